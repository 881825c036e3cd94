/*
 * check_products.c: /products against a real MariaDB and Redis
 * (integration), and the cache in front of both: every read coherent
 * with the writes before it, Redis down or paused.
 */
#include "testinventory.h"

static uint64_t
hits_of(struct app *a)
{
	struct cache_stats st;

	cache_get_stats(a->cache, &st);
	return st.hits;
}

/* GETs path twice: the second answer must come from the cache and equal
 * the first, header included. */
static void
warm(const char *path, const char *tok)
{
	struct http_resp a, b;
	uint64_t before;
	const char *ta, *tb;

	send_req("GET", path, tok, NULL, &a);
	ck_assert_int_eq(a.status, 200);
	before = hits_of(app);
	send_req("GET", path, tok, NULL, &b);
	ck_assert_int_eq(b.status, 200);
	ck_assert_msg(hits_of(app) == before + 1, "%s: no cache hit", path);
	ck_assert_str_eq(a.body, b.body);
	ta = http_resp_get_header(&a, "X-Total-Count");
	tb = http_resp_get_header(&b, "X-Total-Count");
	ck_assert(ta == NULL ? tb == NULL : tb != NULL && strcmp(ta, tb) == 0);
	http_resp_free(&a);
	http_resp_free(&b);
}

/* ---- products ---- */

START_TEST(product_crud)
{
	struct json_object *o, *arr;
	struct http_resp resp;
	int64_t id, inv, total, s, r;
	char *path;

	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\"  SKU-1 \",\"name\":\" Widget \",\"price\":19.90,"
	    "\"weight\":2.5,\"description\":\"A widget\",\"dimensions\":"
	    "\"1x2x3\",\"category\":\"tools\",\"image_url\":"
	    "\"https://example.com/w.png\"}", &o), 201);
	id = tu_jint(o, "id");
	ck_assert_str_eq(json_get_str(o, "sku"), "SKU-1");
	ck_assert_str_eq(json_get_str(o, "name"), "Widget");
	ck_assert_str_eq(json_get_str(o, "description"), "A widget");
	ck_assert_str_eq(json_get_str(o, "dimensions"), "1x2x3");
	ck_assert_str_eq(json_get_str(o, "category"), "tools");
	ck_assert_str_eq(json_get_str(o, "image_url"),
	    "https://example.com/w.png");
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_uint_eq(strlen(json_get_str(o, "updated_at")), 20);
	json_object_put(o);
	/* Money is exact on the wire: 19.90, never 19.899999. */
	path = xasprintf(API "/products/%" PRId64, id);
	send_req("GET", path, user, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"price\":19.90,"));
	ck_assert_ptr_nonnull(strstr(resp.body, "\"weight\":2.500,"));
	ck_assert_ptr_nonnull(strstr(resp.body, "\"image_url\":"
	    "\"https://example.com/w.png\""));
	http_resp_free(&resp);
	/* Only what is given changes; null clears an optional field. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"price\":1.5e1,"
	    "\"description\":null}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "name"), "Widget");
	ck_assert_str_eq(json_get_str(o, "sku"), "SKU-1");
	ck_assert(jnull(o, "description"));
	ck_assert_str_eq(json_get_str(o, "category"), "tools");
	json_object_put(o);
	send_req("GET", path, user, NULL, &resp);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"price\":15.00,"));
	ck_assert_ptr_nonnull(strstr(resp.body, "\"weight\":2.500,"));
	http_resp_free(&resp);
	ck_assert_int_eq(call("PUT", path, admin, "{\"name\":\"Gizmo\","
	    "\"sku\":\"SKU-2\",\"weight\":null,\"price\":0}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "name"), "Gizmo");
	ck_assert_str_eq(json_get_str(o, "sku"), "SKU-2");
	ck_assert(jnull(o, "weight"));
	json_object_put(o);
	/* An empty body changes nothing. */
	ck_assert_int_eq(call("PUT", path, admin, "{}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "name"), "Gizmo");
	json_object_put(o);
	arr = get_list(API "/products", user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	/* Delete takes the inventory record (and its ledger) along. */
	inv = new_inventory(id, 5, 0, 1);
	ck_assert_int_eq(call("DELETE", path, admin, NULL, &o), 204);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 404);
	ck_assert(!db_quantities(inv, &s, &r));
	ck_assert_int_eq(callf("GET", user, NULL, NULL, API "/inventory/%"
	    PRId64, inv), 404);
	ck_assert_int_eq(call("DELETE", path, admin, NULL, NULL), 404);
	free(path);
}
END_TEST

START_TEST(product_errors)
{
	struct json_object *o;
	int64_t id = create_product("ab-1", "Lower", NULL), id2;
	char *path = xasprintf(API "/products/%" PRId64, id), *script;

	/* SKUs compare byte for byte. */
	id2 = create_product("AB-1", "Upper", NULL);
	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\" ab-1 \",\"name\":\"Again\",\"price\":1}", &o), 400);
	ck_assert_str_eq(tu_detail(o), "Product with SKU ab-1 already exists");
	json_object_put(o);
	ck_assert_int_eq(call("PUT", path, admin, "{\"sku\":\"AB-1\"}", &o),
	    400);
	ck_assert_str_eq(tu_detail(o), "Product with SKU AB-1 already exists");
	json_object_put(o);
	ck_assert_int_eq(call("GET", API "/products/777", user, NULL, &o), 404);
	ck_assert_str_eq(tu_detail(o), "Product with id 777 not found");
	json_object_put(o);
	ck_assert_int_eq(call("PUT", API "/products/777", admin,
	    "{\"name\":\"X\"}", &o), 404);
	ck_assert_str_eq(tu_detail(o), "Product with id 777 not found");
	json_object_put(o);
	ck_assert_int_eq(call("DELETE", API "/products/777", admin, NULL, &o),
	    404);
	ck_assert_str_eq(tu_detail(o), "Product with id 777 not found");
	json_object_put(o);
	/* Roles. */
	ck_assert_int_eq(call("POST", API "/products", user,
	    "{\"sku\":\"U\",\"name\":\"U\",\"price\":1}", NULL), 403);
	ck_assert_int_eq(call("PUT", path, user, "{\"name\":\"U\"}", NULL), 403);
	ck_assert_int_eq(call("DELETE", path, user, NULL, NULL), 403);
	ck_assert_int_eq(call("GET", path, NULL, NULL, NULL), 401);
	/* 422s name their field. */
	expect_422_field("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\"}", "price");
	expect_422_field("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\",\"price\":-0.01}", "price");
	expect_422_field("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\",\"price\":1,\"weight\":-1}",
	    "weight");
	expect_422_field("POST", API "/products", admin,
	    "{\"sku\":\"  \",\"name\":\"N\",\"price\":1}", "sku");
	expect_422_field("PUT", path, admin, "{\"price\":null}", "price");
	/* The largest price DECIMAL(12,2) is sure to hold, and one past. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"price\":9999999999}",
	    NULL), 200);
	ck_assert_int_eq(call("PUT", path, admin, "{\"price\":10000000000}",
	    NULL), 422);
	/* Ordered products cannot go. */
	script = xasprintf("INSERT INTO orders (order_number, user_id, "
	    "shipping_address) VALUES ('ORD-0000000A', %" PRId64 ", 'here');"
	    "INSERT INTO order_items (order_id, product_id, quantity, "
	    "unit_price) VALUES (LAST_INSERT_ID(), %" PRId64 ", 1, 9.99)",
	    user_id, id);
	ck_assert_int_eq(db_exec_script(app->db, script), INV_OK);
	new_inventory(id, 3, 0, 1);
	ck_assert_int_eq(call("DELETE", path, admin, NULL, &o), 409);
	ck_assert_str_eq(tu_detail(o), "Product has orders");
	json_object_put(o);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 200);
	ck_assert_int_eq(callf("GET", user, NULL, NULL, API
	    "/inventory/product/%" PRId64, id), 200);
	/* The other one has none. */
	ck_assert_int_eq(callf("DELETE", admin, NULL, NULL, API "/products/%"
	    PRId64, id2), 204);
	free(script);
	free(path);
}
END_TEST

START_TEST(product_list_filters)
{
	create_product("W-1", "Red Widget", "tools");
	create_product("C_2", "Blue 100% cotton", "cloth");
	create_product("g-3", "Gadget", "Tools");
	create_product("X!4", "Excl", NULL);
	expect_list(API "/products?category=tools", user, 2, -1, NULL);
	expect_list(API "/products?q=widget", user, 1, -1, "W-1");
	/* Wildcards in q are literal characters. */
	expect_list(API "/products?q=%25", user, 1, -1, "C_2");
	expect_list(API "/products?q=_", user, 1, -1, NULL);
	expect_list(API "/products?q=!", user, 1, -1, "X!4");
	/* The SKU, in any case. */
	expect_list(API "/products?q=G-3", user, 1, -1, NULL);
	expect_list(API "/products?q=w-1&category=cloth", user, 0, 0, NULL);
	expect_list(API "/products?skip=1&limit=2", user, 4, 2, "C_2");
}
END_TEST

/* An admin could set image_url to javascript:alert(1): only absolute
 * http and https URLs are taken, on create and on update. */
START_TEST(product_image_url_only_http)
{
	static const char *const bad[] = {
		"javascript:alert(1)", "JAVASCRIPT:alert(1)",
		"ftp://example.com/a.png", "/images/a.png", "a.png",
		"//example.com/a.png", "http://", "https://",
		"http://exa mple.com/a.png", "http://example.com/a b.png",
		"http://example.com/a\\t.png", "", "   ",
		"data:image/png;base64,AAAA", "http://user:pw@example.com/a.png",
	};
	struct json_object *o;
	int64_t id;
	size_t i;
	char *body;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body = xasprintf("{\"sku\":\"U-%zu\",\"name\":\"n\","
		    "\"price\":1,\"image_url\":\"%s\"}", i, bad[i]);
		ck_assert_msg(call("POST", API "/products", admin, body, &o) ==
		    422, "POST image_url \"%s\"", bad[i]);
		ck_assert_str_eq(detail_field(o), "image_url");
		json_object_put(o);
		free(body);
	}
	ck_assert_int_eq(call("POST", API "/products", admin, "{\"sku\":\"U\","
	    "\"name\":\"n\",\"price\":1,\"image_url\":"
	    "\" HTTPS://Cdn.Example.com:8443/a.png?w=1#x \"}", &o), 201);
	id = tu_jint(o, "id");
	ck_assert_str_eq(json_get_str(o, "image_url"),
	    "HTTPS://Cdn.Example.com:8443/a.png?w=1#x");
	json_object_put(o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body = xasprintf("{\"image_url\":\"%s\"}", bad[i]);
		ck_assert_int_eq(callf("PUT", admin, body, &o, API
		    "/products/%" PRId64, id), 422);
		ck_assert_str_eq(detail_field(o), "image_url");
		json_object_put(o);
		free(body);
	}
	ck_assert_int_eq(callf("GET", user, NULL, &o, API "/products/%" PRId64,
	    id), 200);
	ck_assert_str_eq(json_get_str(o, "image_url"),
	    "HTTPS://Cdn.Example.com:8443/a.png?w=1#x");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", admin, "{\"image_url\":"
	    "\"http://127.0.0.1/a.png\"}", &o, API "/products/%" PRId64, id),
	    200);
	ck_assert_str_eq(json_get_str(o, "image_url"),
	    "http://127.0.0.1/a.png");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", admin, "{\"image_url\":null}", &o, API
	    "/products/%" PRId64, id), 200);
	ck_assert(jnull(o, "image_url"));
	json_object_put(o);
}
END_TEST

/* A 422 whose first detail has loc ["query", name]. */
static void
expect_query_422(const char *path, const char *token, const char *name)
{
	tu_expect_query_422(app, path, token, name, NULL);
}

/* Repeated and undecodable parameters fell back to defaults or took the
 * first value; q=%ff (not UTF-8) was dropped, listing everything. */
START_TEST(list_queries_are_strict)
{
	struct json_object *arr;
	int64_t pid, total;

	pid = create_product("W-1", "Widget", "tools");
	new_inventory(pid, 5, 0, 10);
	expect_query_422(API "/inventory?product_id=%zz", user, "product_id");
	expect_query_422(API "/inventory?product_id=1&product_id=2", user,
	    "product_id");
	expect_query_422(API "/inventory?low_stock=%zz", user, "low_stock");
	expect_query_422(API "/inventory?low_stock=true&low_stock=false",
	    user, "low_stock");
	expect_query_422(API "/inventory?limit=1&limit=5000", user, "limit");
	expect_query_422(API "/inventory?skip=%zz", user, "skip");
	expect_query_422(API "/inventory/status/low-stock?limit=%zz", admin,
	    "limit");
	expect_query_422(API "/inventory/status/low-stock?skip=1&skip=1",
	    admin, "skip");
	expect_query_422(API "/products?category=tools&category=cloth", user,
	    "category");
	expect_query_422(API "/products?category=%zz", user, "category");
	expect_query_422(API "/products?q=a&q=b", user, "q");
	expect_query_422(API "/products?q=%zz", user, "q");
	expect_query_422(API "/products?q=%ff%fe", user, "q");
	expect_query_422(API "/products?q=%00", user, "q");
	expect_query_422(API "/products?category=%c3%28", user, "category");
	expect_query_422(API "/products?limit=%zz", user, "limit");
	expect_query_422(API "/users?limit=1&limit=5000", admin, "limit");
	/* Well-formed, each once: as before. */
	arr = get_list(API "/products?category=tools&q=%57idget&limit=1",
	    user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	arr = get_list(API "/inventory?low_stock=1&unknown=1", user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
}
END_TEST

/* HEAD on a list answers as GET, cached or not: status, X-Total-Count
 * and the body's length, without the body; on a 404 as well. */
START_TEST(head_on_inventory_list)
{
	struct http_resp get, head;
	int i;

	new_inventory(create_product("W-1", "Widget", NULL), 5, 0, 10);
	new_inventory(create_product("W-2", "Gadget", NULL), 5, 0, 10);
	for (i = 0; i < 2; i++) {	/* a miss, then a cache hit */
		send_req("HEAD", API "/inventory", user, NULL, &head);
		send_req("GET", API "/inventory", user, NULL, &get);
		ck_assert_int_eq(head.status, 200);
		ck_assert(head.omit_body);
		ck_assert(!get.omit_body);
		ck_assert_str_eq(http_resp_get_header(&head, "X-Total-Count"),
		    "2");
		ck_assert_uint_eq(head.body_len, get.body_len);
		ck_assert_str_eq(http_resp_get_header(&head, "Content-Type"),
		    "application/json");
		http_resp_free(&get);
		http_resp_free(&head);
	}
	send_req("HEAD", API "/inventory/999", user, NULL, &head);
	ck_assert_int_eq(head.status, 404);
	ck_assert(head.omit_body);
	http_resp_free(&head);
	/* HEAD is GET's: a write route stays a 405. */
	send_req("HEAD", API "/inventory/1/adjust", admin, NULL, &head);
	ck_assert_int_eq(head.status, 405);
	ck_assert_str_eq(http_resp_get_header(&head, "Allow"), "POST");
	http_resp_free(&head);
}
END_TEST

/* ---- the cache ---- */

START_TEST(cache_item_coherent)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	char *path = xasprintf(API "/inventory/%" PRId64, id);
	char *ppath = xasprintf(API "/products/%" PRId64, p);

	warm(path, user);
	ck_assert_int_eq(adjust(id, 4, NULL), 200);
	ck_assert_int_eq(api_stock(id), 14);
	warm(path, user);
	ck_assert_int_eq(call("PUT", path, admin, "{\"quantity_in_stock\":3}",
	    NULL), 200);
	ck_assert_int_eq(api_stock(id), 3);
	warm(path, user);
	/* The product's name and SKU are part of the record's reply. */
	ck_assert_int_eq(call("PUT", ppath, admin, "{\"name\":\"Renamed\","
	    "\"sku\":\"R-1\"}", NULL), 200);
	ck_assert_int_eq(call("GET", path, user, NULL, &o), 200);
	ck_assert_str_eq(json_get_str(o, "product_name"), "Renamed");
	ck_assert_str_eq(json_get_str(o, "product_sku"), "R-1");
	json_object_put(o);
	warm(path, user);
	ck_assert_int_eq(call("DELETE", ppath, admin, NULL, NULL), 204);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 404);
	free(path);
	free(ppath);
}
END_TEST

START_TEST(cache_product_coherent)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	char *path = xasprintf(API "/inventory/product/%" PRId64, p);

	warm(path, user);
	ck_assert_int_eq(adjust(id, -4, NULL), 200);
	ck_assert_int_eq(call("GET", path, user, NULL, &o), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 6);
	json_object_put(o);
	warm(path, user);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":6}", NULL,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(call("GET", path, user, NULL, &o), 200);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 0);
	json_object_put(o);
	free(path);
	/* A product without inventory, read (404, not cached), then given
	 * some. */
	p = create_product("B-2", "Beta", NULL);
	path = xasprintf(API "/inventory/product/%" PRId64, p);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 404);
	new_inventory(p, 1, 0, 0);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 200);
	free(path);
}
END_TEST

START_TEST(cache_lists_coherent)
{
	struct json_object *arr;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t i1 = new_inventory(p1, 10, 0, 5), i2, total;
	char *filtered = xasprintf(API "/inventory?low_stock=true&product_id=%"
	    PRId64, p1);

	warm(API "/inventory", user);
	warm(API "/inventory?skip=0&limit=100", user);
	warm(filtered, user);
	warm(API "/inventory/status/low-stock", admin);
	/* A new record shows at once in the list. */
	i2 = new_inventory(p2, 1, 0, 5);
	arr = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(total, 2);
	json_object_put(arr);
	arr = get_list(API "/inventory/status/low-stock", admin, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0), "id"), i2);
	json_object_put(arr);
	warm(API "/inventory", user);
	warm(API "/inventory/status/low-stock", admin);
	warm(filtered, user);
	/* An adjust makes i1 low and i2 not. */
	ck_assert_int_eq(adjust(i1, -5, NULL), 200);
	ck_assert_int_eq(adjust(i2, 10, NULL), 200);
	arr = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0),
	    "quantity_in_stock"), 5);
	json_object_put(arr);
	arr = get_list(API "/inventory?skip=0&limit=100", user, &total);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 1),
	    "quantity_in_stock"), 11);
	json_object_put(arr);
	arr = get_list(filtered, user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	arr = get_list(API "/inventory/status/low-stock", admin, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0), "id"), i1);
	json_object_put(arr);
	/* A product rename shows in the lists. */
	warm(API "/inventory", user);
	ck_assert_int_eq(callf("PUT", admin, "{\"name\":\"Zeta\"}", NULL,
	    API "/products/%" PRId64, p2), 200);
	arr = get_list(API "/inventory", user, &total);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 1),
	    "product_name"), "Zeta");
	json_object_put(arr);
	free(filtered);
}
END_TEST

/* Points a second app's cache at path (through the environment, as an
 * operator would). */
static struct app *
app_with_redis_socket(const char *path)
{
	struct app *a;

	ck_assert_int_eq(setenv("INVENTORY_REDIS_SOCKET", path, 1), 0);
	a = tu_app_new();
	unsetenv("INVENTORY_REDIS_SOCKET");
	return a;
}

/*
 * Reads record id through a until the cache answers again (the cache
 * reconnects at most once a second), checking every answer; returns
 * whether it did within about ten seconds.
 */
static bool
cache_resumes(struct app *a, int64_t id, int64_t stock)
{
	struct app *saved = app;
	uint64_t before = hits_of(a);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	bool back = false;
	int i;

	app = a;
	for (i = 0; i < 100 && !back; i++) {
		ck_assert_int_eq(api_stock(id), stock);
		back = hits_of(a) > before;
		if (!back)
			nanosleep(&ts, NULL);
	}
	app = saved;
	return back;
}

START_TEST(redis_unreachable_then_back)
{
	struct json_object *o;
	struct app *main_app = app, *down;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5), total;
	char dir[] = "/tmp/check_inventory.XXXXXX", *sock, *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	sock = xasprintf("%s/redis.sock", dir);
	path = xasprintf(API "/inventory/%" PRId64, id);
	down = app_with_redis_socket(sock);
	warm(path, user);
	/* Another process, whose Redis is gone: reads and writes go on. */
	app = down;
	ck_assert_int_eq(adjust(id, 5, NULL), 200);
	ck_assert_int_eq(api_stock(id), 15);
	ck_assert_int_eq(api_stock(id), 15);
	o = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0),
	    "quantity_in_stock"), 15);
	json_object_put(o);
	ck_assert_int_eq(call("GET", "/healthz", NULL, NULL, &o), 200);
	ck_assert_str_eq(json_get_str(o, "redis"), "unavailable");
	ck_assert_str_eq(json_get_str(o, "status"), "degraded");
	json_object_put(o);
	ck_assert_uint_eq(hits_of(down), 0);
	/* Redis comes back: the invalidation that could not be sent is sent
	 * first, then the cache serves again. */
	ck_assert_int_eq(symlink(tu_app()->cfg->redis.socket, sock), 0);
	ck_assert(cache_resumes(down, id, 15));
	app = main_app;
	ck_assert_int_eq(api_stock(id), 15);
	tu_app_free(down);
	unlink(sock);
	rmdir(dir);
	free(sock);
	free(path);
}
END_TEST

START_TEST(redis_paused_mid_test)
{
	struct json_object *o;
	struct app *other;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5), total;
	char *path = xasprintf(API "/inventory/%" PRId64, id);

	warm(path, user);
	warm(API "/inventory", user);
	/* Redis stops taking writes: every invalidation times out. */
	tu_redis(app, "CLIENT PAUSE 20000 WRITE");
	ck_assert_int_eq(adjust(id, 7, NULL), 200);
	ck_assert_int_eq(api_stock(id), 17);
	o = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0),
	    "quantity_in_stock"), 17);
	json_object_put(o);
	ck_assert_int_eq(adjust(id, -2, NULL), 200);
	ck_assert_int_eq(api_stock(id), 15);
	tu_redis(app, "CLIENT UNPAUSE");
	ck_assert(cache_resumes(app, id, 15));
	/* Another process sees the change: the lost invalidations were
	 * sent before caching resumed. */
	other = tu_app_new();
	app = other;
	ck_assert_int_eq(api_stock(id), 15);
	o = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0),
	    "quantity_in_stock"), 15);
	json_object_put(o);
	app = tu_app();
	tu_app_free(other);
	free(path);
}
END_TEST

static Suite *
products_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("products", 0),
		TU_TEST(product_crud),
		TU_TEST(product_errors),
		TU_TEST(product_list_filters),
		TU_TEST(product_image_url_only_http),
		TU_TEST(list_queries_are_strict),
		TU_TEST(head_on_inventory_list),
		TU_CASE("cache", 60),
		TU_TEST(cache_item_coherent),
		TU_TEST(cache_product_coherent),
		TU_TEST(cache_lists_coherent),
		TU_TEST(redis_unreachable_then_back),
		TU_TEST(redis_paused_mid_test),
	};

	return tu_suite("products", setup, teardown, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(products_suite(), NULL);
}
