/*
 * check_inventory.c: /products and /inventory against a real MariaDB and
 * Redis (integration): the contract's codes and messages, the stock
 * ledger, cache coherence, Redis going away, and concurrent adjustments.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "testutil.h"

#define JSON "application/json"
#define API "/api/v1"

static struct app *app;
static int64_t admin_id, user_id;
static char *admin, *user;	/* access tokens */

/* Stores a user straight in the database; returns its id. */
static int64_t
insert_user(const char *email, bool is_admin)
{
	struct db_val p[4] = { DB_STR(email), DB_STR("Test User"),
	    DB_STR("not-a-hash"), DB_INT(is_admin) };
	uint64_t id;

	ck_assert_int_eq(db_exec(app->db, STMT_USER_INSERT, p, 4, NULL, NULL,
	    &id), INV_OK);
	return (int64_t)id;
}

/* An access token for uid (new). */
static char *
token_for(int64_t uid, bool is_admin)
{
	char jti[AUTH_JTI_LEN + 1], *t = NULL;

	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, uid, is_admin,
	    0, jti, time(NULL), &t), INV_OK);
	return t;
}

static void
setup(void)
{
	app = tu_app();
	/* A test that failed while Redis was paused must not stall the
	 * next one. */
	tu_redis(app, "CLIENT UNPAUSE");
	tu_reset_db(app);
	admin_id = insert_user("admin@example.com", true);
	user_id = insert_user("user@example.com", false);
	admin = token_for(admin_id, true);
	user = token_for(user_id, false);
}

static void
teardown(void)
{
	free(admin);
	free(user);
}

/* Sends (JSON when there is a body); the response stays in *resp. */
static void
send_req(const char *method, const char *path, const char *tok,
    const char *body, struct http_resp *resp)
{
	tu_request(app, method, path, tok, body != NULL ? JSON : NULL, body,
	    resp);
	ck_assert_msg(resp->status != 500 && resp->status != 0,
	    "%s %s: status %d (%s)", method, path, resp->status,
	    resp->body != NULL ? resp->body : "");
}

/* Sends and returns the status; *out gets the parsed body when asked. */
static int
call(const char *method, const char *path, const char *tok, const char *body,
    struct json_object **out)
{
	struct http_resp resp;
	int status;

	send_req(method, path, tok, body, &resp);
	status = resp.status;
	if (out != NULL)
		*out = resp.body != NULL ? tu_json(&resp) : NULL;
	http_resp_free(&resp);
	return status;
}

/* Same with a printf-made path. */
static int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...)
{
	va_list ap;
	char *path;
	int status;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&path, fmt, ap), 0);
	va_end(ap);
	status = call(method, path, tok, body, out);
	free(path);
	return status;
}

static int64_t
jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s not int",
	    key);
	return json_object_get_int64(v);
}

static bool
jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_boolean),
	    "%s not bool", key);
	return json_object_get_boolean(v);
}

/* True when key is present and null. */
static bool
jnull(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v == NULL;
}

static const char *
detail(struct json_object *o)
{
	return json_get_str(o, "detail");
}

/* The first 422 detail's loc[1] (borrowed from o). */
static const char *
detail_field(struct json_object *o)
{
	struct json_object *d = json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0);

	return json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(d, "loc"), 1));
}

static int64_t
create_product(const char *sku, const char *name, const char *category)
{
	struct json_object *o;
	char *body = xasprintf("{\"sku\":\"%s\",\"name\":\"%s\","
	    "\"price\":9.99%s%s%s}", sku, name,
	    category != NULL ? ",\"category\":\"" : "",
	    category != NULL ? category : "", category != NULL ? "\"" : "");
	int64_t id;

	ck_assert_int_eq(call("POST", API "/products", admin, body, &o), 201);
	id = jint(o, "id");
	json_object_put(o);
	free(body);
	return id;
}

static int64_t
new_inventory(int64_t pid, int64_t stock, int64_t reserved,
    int64_t level)
{
	struct json_object *o;
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":%" PRId64 ",\"quantity_reserved\":%" PRId64
	    ",\"reorder_level\":%" PRId64 "}", pid, stock, reserved, level);
	int64_t id;

	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	id = jint(o, "id");
	json_object_put(o);
	free(body);
	return id;
}

/* Adjusts inventory id by q; returns the status. */
static int
adjust(int64_t id, int64_t q, const char *reason)
{
	char *body = reason != NULL ? xasprintf("{\"quantity\":%" PRId64
	    ",\"reason\":\"%s\"}", q, reason) : xasprintf("{\"quantity\":%"
	    PRId64 "}", q);
	int status = callf("POST", admin, body, NULL, API
	    "/inventory/%" PRId64 "/adjust", id);

	free(body);
	return status;
}

/* Stock and reserved of record id straight from the database; false
 * when there is no such record. */
static bool
db_quantities(int64_t id, int64_t *stock, int64_t *reserved)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	bool found;

	ck_assert_int_eq(db_exec(app->db, STMT_INV_BY_ID, &p, 1, &res, NULL,
	    NULL), INV_OK);
	found = db_res_rows(res) == 1;
	if (found) {
		*stock = db_res_int(res, 0, INV_COL_STOCK);
		*reserved = db_res_int(res, 0, INV_COL_RESERVED);
	}
	db_res_free(res);
	return found;
}

/* The stock of record id as GET /inventory/{id} shows it. */
static int64_t
api_stock(int64_t id)
{
	struct json_object *o;
	int64_t stock;

	ck_assert_int_eq(callf("GET", user, NULL, &o, API "/inventory/%"
	    PRId64, id), 200);
	stock = jint(o, "quantity_in_stock");
	json_object_put(o);
	return stock;
}

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

/* GET path: the array body and its X-Total-Count. */
static struct json_object *
get_list(const char *path, const char *tok, int64_t *total)
{
	struct http_resp resp;
	struct json_object *o;
	const char *t;

	send_req("GET", path, tok, NULL, &resp);
	ck_assert_msg(resp.status == 200, "%s: %d", path, resp.status);
	t = http_resp_get_header(&resp, "X-Total-Count");
	ck_assert_ptr_nonnull(t);
	*total = strtoll(t, NULL, 10);
	o = tu_json(&resp);
	ck_assert(json_object_is_type(o, json_type_array));
	http_resp_free(&resp);
	return o;
}

/* Sum of a record's movements through the API; *n is their count, *min
 * the lowest stock the ledger ever shows (oldest first). */
static void
ledger(int64_t id, int64_t *stock, int64_t *reserved, size_t *n,
    int64_t *min)
{
	struct json_object *arr, *m;
	int64_t total, run = 0;
	char *path = xasprintf(API "/inventory/%" PRId64
	    "/movements?limit=1000", id);
	size_t i;

	arr = get_list(path, admin, &total);
	*n = json_object_array_length(arr);
	ck_assert_int_eq(total, (int64_t)*n);
	*stock = *reserved = 0;
	*min = INT64_MAX;
	/* Newest first: walk from the end. */
	for (i = *n; i-- > 0;) {
		m = json_object_array_get_idx(arr, i);
		ck_assert_int_eq(jint(m, "inventory_id"), id);
		*stock += jint(m, "change_in_stock");
		*reserved += jint(m, "change_reserved");
		run += jint(m, "change_in_stock");
		if (run < *min)
			*min = run;
		if (i + 1 < *n)
			ck_assert_int_lt(jint(json_object_array_get_idx(arr,
			    i + 1), "id"), jint(m, "id"));
	}
	json_object_put(arr);
	free(path);
}

/* ---- the named cases of the contract ---- */

START_TEST(get_inventory)
{
	struct json_object *arr, *o;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t i1 = new_inventory(p1, 100, 10, 5);
	int64_t i2 = new_inventory(p2, 3, 0, 10);
	int64_t total;

	arr = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(jint(o, "id"), i1);
	ck_assert_int_eq(jint(o, "product_id"), p1);
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_str_eq(json_get_str(o, "product_sku"), "A-1");
	ck_assert_int_eq(jint(o, "available_quantity"), 90);
	ck_assert(!jbool(o, "needs_reorder"));
	o = json_object_array_get_idx(arr, 1);
	ck_assert_int_eq(jint(o, "id"), i2);
	ck_assert(jbool(o, "needs_reorder"));
	json_object_put(arr);
	arr = get_list(API "/inventory?skip=1&limit=1", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "id"), i2);
	json_object_put(arr);
	ck_assert_int_eq(call("GET", API "/inventory", NULL, NULL, NULL), 401);
}
END_TEST

START_TEST(get_inventory_with_filters)
{
	struct json_object *arr;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t p3 = create_product("C-3", "Gamma", NULL);
	int64_t total;
	char *path;

	new_inventory(p1, 100, 0, 10);
	new_inventory(p2, 5, 0, 10);
	new_inventory(p3, 20, 10, 10);	/* available 10: low */
	path = xasprintf(API "/inventory?product_id=%" PRId64, p2);
	arr = get_list(path, user, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "product_id"),
	    p2);
	json_object_put(arr);
	free(path);
	arr = get_list(API "/inventory?low_stock=true", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "product_id"),
	    p2);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 1), "product_id"),
	    p3);
	json_object_put(arr);
	arr = get_list(API "/inventory?low_stock=1&product_id=1", user, &total);
	ck_assert_int_eq(total, 0);
	json_object_put(arr);
	arr = get_list(API "/inventory?low_stock=false", user, &total);
	ck_assert_int_eq(total, 3);
	json_object_put(arr);
	arr = get_list(API "/inventory?product_id=999", user, &total);
	ck_assert_int_eq(total, 0);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
}
END_TEST

START_TEST(get_inventory_item)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 50, 5, 10);

	ck_assert_int_eq(callf("GET", user, NULL, &o, API "/inventory/%" PRId64,
	    id), 200);
	ck_assert_int_eq(jint(o, "id"), id);
	ck_assert_int_eq(jint(o, "product_id"), p);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 50);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 5);
	ck_assert_int_eq(jint(o, "reorder_level"), 10);
	ck_assert_int_eq(jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(jint(o, "available_quantity"), 45);
	ck_assert(!jbool(o, "needs_reorder"));
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_str_eq(json_get_str(o, "product_sku"), "A-1");
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_uint_eq(strlen(json_get_str(o, "updated_at")), 20);
	ck_assert(jnull(o, "last_stock_count_date"));
	json_object_put(o);
}
END_TEST

START_TEST(get_nonexistent_inventory_item)
{
	struct json_object *o;

	ck_assert_int_eq(call("GET", API "/inventory/999", user, NULL, &o),
	    404);
	ck_assert_str_eq(detail(o), "Inventory item with id 999 not found");
	json_object_put(o);
}
END_TEST

START_TEST(create_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	const char *d;
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":100,\"quantity_reserved\":10}", p);

	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	ck_assert_int_eq(jint(o, "product_id"), p);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 100);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 10);
	ck_assert_int_eq(jint(o, "reorder_level"), 10);
	ck_assert_int_eq(jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(jint(o, "available_quantity"), 90);
	d = json_get_str(o, "last_restock_date");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(strlen(d), 20);
	ck_assert_int_eq(d[10], 'T');
	ck_assert_int_eq(d[19], 'Z');
	/* Inventory, not InventoryWithProduct. */
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	free(body);
	/* No stock: no restock. */
	body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":0,\"reorder_level\":0,"
	    "\"reorder_quantity\":7}", p2);
	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	ck_assert(jnull(o, "last_restock_date"));
	ck_assert_int_eq(jint(o, "reorder_level"), 0);
	ck_assert_int_eq(jint(o, "reorder_quantity"), 7);
	ck_assert(jbool(o, "needs_reorder"));
	json_object_put(o);
	free(body);
}
END_TEST

START_TEST(create_inventory_for_nonexistent_product)
{
	struct json_object *o;

	ck_assert_int_eq(call("POST", API "/inventory", admin,
	    "{\"product_id\":4242,\"quantity_in_stock\":1}", &o), 404);
	ck_assert_str_eq(detail(o), "Product with id 4242 not found");
	json_object_put(o);
}
END_TEST

START_TEST(create_duplicate_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":5}", p), *want;

	new_inventory(p, 1, 0, 10);
	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 400);
	want = xasprintf("Inventory already exists for product %" PRId64, p);
	ck_assert_str_eq(detail(o), want);
	ck_assert_ptr_nonnull(strstr(detail(o), "already exists"));
	json_object_put(o);
	free(want);
	free(body);
}
END_TEST

START_TEST(create_inventory_as_non_admin)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":5}", p);

	ck_assert_int_eq(call("POST", API "/inventory", user, body, &o), 403);
	ck_assert_str_eq(detail(o), "Not enough permissions");
	json_object_put(o);
	ck_assert_int_eq(call("POST", API "/inventory", NULL, body, NULL), 401);
	free(body);
	ck_assert_int_eq(call("GET", API "/inventory/product/1", user, NULL,
	    NULL), 404);
}
END_TEST

START_TEST(update_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 0, 0, 10), s, r;

	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":150,"
	    "\"reorder_level\":20}", &o, API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 150);
	ck_assert_int_eq(jint(o, "reorder_level"), 20);
	ck_assert_int_eq(jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 0);
	ck_assert_ptr_nonnull(json_get_str(o, "last_restock_date"));
	ck_assert(!json_has(o, "product_sku"));
	json_object_put(o);
	/* Only the fields given change. */
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":40}", &o,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 150);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 40);
	ck_assert_int_eq(jint(o, "reorder_level"), 20);
	ck_assert_int_eq(jint(o, "available_quantity"), 110);
	json_object_put(o);
	/* Lowering the stock under what is reserved is refused. */
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":39}", &o,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert_str_eq(detail_field(o), "quantity_reserved");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":151}", NULL,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":-1}", NULL,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert_int_eq(callf("PUT", admin, "{\"reorder_quantity\":-5}", NULL,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 150);
	ck_assert_int_eq(r, 40);
	ck_assert_int_eq(call("PUT", API "/inventory/999", admin,
	    "{\"reorder_level\":1}", &o), 404);
	ck_assert_str_eq(detail(o), "Inventory with id 999 not found");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", user, "{\"reorder_level\":1}", NULL,
	    API "/inventory/%" PRId64, id), 403);
}
END_TEST

START_TEST(adjust_stock_up)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	const char *d;

	ck_assert_int_eq(db_exec_script(app->db, "UPDATE inventory SET "
	    "last_restock_date = '2001-02-03 04:05:06'"), INV_OK);
	/* Down does not restock. */
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-4}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 200);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 6);
	ck_assert_str_eq(json_get_str(o, "last_restock_date"),
	    "2001-02-03T04:05:06Z");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":25,"
	    "\"reason\":\"delivery\"}", &o, API "/inventory/%" PRId64 "/adjust",
	    id), 200);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 31);
	ck_assert_int_eq(jint(o, "available_quantity"), 31);
	d = json_get_str(o, "last_restock_date");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_ne(d, "2001-02-03T04:05:06Z");
	ck_assert_int_ge(strcmp(d, "2020"), 0);
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	ck_assert_int_eq(api_stock(id), 31);
	ck_assert_int_eq(call("POST", API "/inventory/999/adjust", admin,
	    "{\"quantity\":1}", &o), 404);
	ck_assert_str_eq(detail(o), "Inventory with id 999 not found");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", user, "{\"quantity\":1}", NULL,
	    API "/inventory/%" PRId64 "/adjust", id), 403);
}
END_TEST

START_TEST(adjust_stock_validation)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	static const char *const bad[] = {
		"{\"quantity\":0}", "{\"quantity\":1.5}", "{\"quantity\":\"5\"}",
		"{\"quantity\":5.0}", "{\"quantity\":null}", "{}",
		"{\"quantity\":true}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(callf("POST", admin, bad[i], &o, API "/inventory/%"
		    PRId64 "/adjust", id) == 422, "%s", bad[i]);
		ck_assert_str_eq(detail_field(o), "quantity");
		json_object_put(o);
	}
	ck_assert_int_eq(api_stock(id), 10);
}
END_TEST

START_TEST(adjust_stock_below_zero)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 5, 3, 1), s, r, ms, mr, min;
	size_t n;

	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-6}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 400);
	ck_assert_str_eq(detail(o), "Cannot reduce stock below zero");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-3}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 400);
	ck_assert_str_eq(detail(o), "Cannot reduce stock below reserved "
	    "quantity");
	json_object_put(o);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 5);
	ck_assert_int_eq(r, 3);
	/* Nothing written to the ledger either. */
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_uint_eq(n, 1);
	/* Down to exactly the reserved quantity is allowed. */
	ck_assert_int_eq(adjust(id, -2, NULL), 200);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 3);
}
END_TEST

START_TEST(get_product_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t id = new_inventory(p, 7, 2, 10);
	char *want;

	ck_assert_int_eq(callf("GET", user, NULL, &o, API
	    "/inventory/product/%" PRId64, p), 200);
	ck_assert_int_eq(jint(o, "id"), id);
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 7);
	ck_assert_int_eq(jint(o, "available_quantity"), 5);
	ck_assert(jbool(o, "needs_reorder"));
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	ck_assert_int_eq(callf("GET", user, NULL, &o, API
	    "/inventory/product/%" PRId64, p2), 404);
	want = xasprintf("No inventory found for product with id %" PRId64, p2);
	ck_assert_str_eq(detail(o), want);
	json_object_put(o);
	free(want);
}
END_TEST

START_TEST(get_low_stock_items)
{
	struct json_object *arr, *o;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t p3 = create_product("C-3", "Gamma", NULL);
	int64_t i1, i3, total;

	i1 = new_inventory(p1, 15, 5, 10);	/* available 10 = level */
	new_inventory(p2, 16, 5, 10);	/* available 11 */
	i3 = new_inventory(p3, 0, 0, 0);	/* 0 <= 0 */
	arr = get_list(API "/inventory/status/low-stock", admin, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(jint(o, "id"), i1);
	ck_assert(jbool(o, "needs_reorder"));
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 1), "id"), i3);
	json_object_put(arr);
	arr = get_list(API "/inventory/status/low-stock?skip=1&limit=5", admin,
	    &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	json_object_put(arr);
	ck_assert_int_eq(call("GET", API "/inventory/status/low-stock", user,
	    NULL, NULL), 403);
}
END_TEST

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
	id = jint(o, "id");
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
	ck_assert_str_eq(detail(o), "Product with SKU ab-1 already exists");
	json_object_put(o);
	ck_assert_int_eq(call("PUT", path, admin, "{\"sku\":\"AB-1\"}", &o),
	    400);
	ck_assert_str_eq(detail(o), "Product with SKU AB-1 already exists");
	json_object_put(o);
	ck_assert_int_eq(call("GET", API "/products/777", user, NULL, &o), 404);
	ck_assert_str_eq(detail(o), "Product with id 777 not found");
	json_object_put(o);
	ck_assert_int_eq(call("PUT", API "/products/777", admin,
	    "{\"name\":\"X\"}", &o), 404);
	ck_assert_str_eq(detail(o), "Product with id 777 not found");
	json_object_put(o);
	ck_assert_int_eq(call("DELETE", API "/products/777", admin, NULL, &o),
	    404);
	ck_assert_str_eq(detail(o), "Product with id 777 not found");
	json_object_put(o);
	/* Roles. */
	ck_assert_int_eq(call("POST", API "/products", user,
	    "{\"sku\":\"U\",\"name\":\"U\",\"price\":1}", NULL), 403);
	ck_assert_int_eq(call("PUT", path, user, "{\"name\":\"U\"}", NULL), 403);
	ck_assert_int_eq(call("DELETE", path, user, NULL, NULL), 403);
	ck_assert_int_eq(call("GET", path, NULL, NULL, NULL), 401);
	/* 422s name their field. */
	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\"}", &o), 422);
	ck_assert_str_eq(detail_field(o), "price");
	json_object_put(o);
	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\",\"price\":-0.01}", &o), 422);
	ck_assert_str_eq(detail_field(o), "price");
	json_object_put(o);
	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\"N\",\"name\":\"N\",\"price\":1,\"weight\":-1}", &o), 422);
	ck_assert_str_eq(detail_field(o), "weight");
	json_object_put(o);
	ck_assert_int_eq(call("POST", API "/products", admin,
	    "{\"sku\":\"  \",\"name\":\"N\",\"price\":1}", &o), 422);
	ck_assert_str_eq(detail_field(o), "sku");
	json_object_put(o);
	ck_assert_int_eq(call("PUT", path, admin, "{\"price\":null}", &o), 422);
	ck_assert_str_eq(detail_field(o), "price");
	json_object_put(o);
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
	ck_assert_str_eq(detail(o), "Product has orders");
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
	struct json_object *arr;
	int64_t total;

	create_product("W-1", "Red Widget", "tools");
	create_product("C_2", "Blue 100% cotton", "cloth");
	create_product("g-3", "Gadget", "Tools");
	create_product("X!4", "Excl", NULL);
	arr = get_list(API "/products?category=tools", user, &total);
	ck_assert_int_eq(total, 2);
	json_object_put(arr);
	arr = get_list(API "/products?q=widget", user, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "sku"), "W-1");
	json_object_put(arr);
	/* Wildcards in q are literal characters. */
	arr = get_list(API "/products?q=%25", user, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "sku"), "C_2");
	json_object_put(arr);
	arr = get_list(API "/products?q=_", user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	arr = get_list(API "/products?q=!", user, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "sku"), "X!4");
	json_object_put(arr);
	/* The SKU, in any case. */
	arr = get_list(API "/products?q=G-3", user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	arr = get_list(API "/products?q=w-1&category=cloth", user, &total);
	ck_assert_int_eq(total, 0);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
	arr = get_list(API "/products?skip=1&limit=2", user, &total);
	ck_assert_int_eq(total, 4);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "sku"), "C_2");
	json_object_put(arr);
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
	id = jint(o, "id");
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

/* ---- the ledger ---- */

START_TEST(movements_ledger)
{
	struct json_object *arr, *m;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 2, 5), s, r, ms, mr, min, total;
	size_t n;
	char *path;

	ck_assert_int_eq(adjust(id, 5, "restock"), 200);
	ck_assert_int_eq(adjust(id, -3, "sale"), 200);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":20,"
	    "\"quantity_reserved\":4}", NULL, API "/inventory/%" PRId64, id),
	    200);
	ck_assert_int_eq(callf("PUT", admin, "{\"reorder_level\":7}", NULL,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(adjust(id, -1, NULL), 200);
	ck_assert_int_eq(adjust(id, -100, NULL), 400);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 19);
	ck_assert_int_eq(r, 4);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	ck_assert_uint_eq(n, 5);	/* no row for the reorder level */
	path = xasprintf(API "/inventory/%" PRId64 "/movements?limit=2", id);
	arr = get_list(path, admin, &total);
	ck_assert_int_eq(total, 5);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	m = json_object_array_get_idx(arr, 0);	/* newest */
	ck_assert_int_eq(jint(m, "change_in_stock"), -1);
	ck_assert(jnull(m, "reason"));
	ck_assert(jnull(m, "order_id"));
	ck_assert_int_eq(jint(m, "user_id"), admin_id);
	ck_assert_int_eq(jint(m, "product_id"), p);
	ck_assert_uint_eq(strlen(json_get_str(m, "created_at")), 20);
	m = json_object_array_get_idx(arr, 1);
	ck_assert_int_eq(jint(m, "change_in_stock"), 8);
	ck_assert_int_eq(jint(m, "change_reserved"), 2);
	json_object_put(arr);
	free(path);
	path = xasprintf(API "/inventory/%" PRId64 "/movements?skip=3", id);
	arr = get_list(path, admin, &total);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "reason"), "restock");
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 1),
	    "change_in_stock"), 10);
	json_object_put(arr);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 403);
	free(path);
	ck_assert_int_eq(call("GET", API "/inventory/999/movements", admin,
	    NULL, &arr), 404);
	ck_assert_str_eq(detail(arr), "Inventory with id 999 not found");
	json_object_put(arr);
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
	ck_assert_int_eq(jint(o, "quantity_in_stock"), 6);
	json_object_put(o);
	warm(path, user);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":6}", NULL,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(call("GET", path, user, NULL, &o), 200);
	ck_assert_int_eq(jint(o, "available_quantity"), 0);
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
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "id"), i2);
	json_object_put(arr);
	warm(API "/inventory", user);
	warm(API "/inventory/status/low-stock", admin);
	warm(filtered, user);
	/* An adjust makes i1 low and i2 not. */
	ck_assert_int_eq(adjust(i1, -5, NULL), 200);
	ck_assert_int_eq(adjust(i2, 10, NULL), 200);
	arr = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0),
	    "quantity_in_stock"), 5);
	json_object_put(arr);
	arr = get_list(API "/inventory?skip=0&limit=100", user, &total);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 1),
	    "quantity_in_stock"), 11);
	json_object_put(arr);
	arr = get_list(filtered, user, &total);
	ck_assert_int_eq(total, 1);
	json_object_put(arr);
	arr = get_list(API "/inventory/status/low-stock", admin, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "id"), i1);
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
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0),
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
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0),
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
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0),
	    "quantity_in_stock"), 15);
	json_object_put(o);
	app = tu_app();
	tu_app_free(other);
	free(path);
}
END_TEST

/* ---- concurrency ---- */

/* The adjustment race's item, set before the fork. */
static int64_t race_item;

/* A race's child: its own connections, made before the barrier. */
static void
race_connect(int i)
{
	(void)i;
	app = tu_app_new();
}

enum { RACE_ADJUSTERS = 8, RACE_ADJUSTMENTS = 12 };

/* Child i: its adjustments, each accepted (200) or refused as going
 * below the reserved quantity (400); out gets the sum it moved and how
 * many were accepted. */
static void
race_adjust(int i, void *out)
{
	static const int64_t deltas[] = { 3, -7, 1, -4, -2, 5, -6 };
	int64_t *mine = out;
	int j, status;

	for (j = 0; j < RACE_ADJUSTMENTS; j++) {
		int64_t q = deltas[(size_t)(i + j) %
		    (sizeof(deltas) / sizeof(deltas[0]))];

		status = adjust(race_item, q, "race");
		ck_assert_msg(status == 200 || status == 400,
		    "adjusting by %" PRId64 ": status %d", q, status);
		if (status == 200) {
			mine[0] += q;
			mine[1]++;
		}
	}
}

START_TEST(concurrent_adjustments)
{
	enum { N = RACE_ADJUSTERS, M = RACE_ADJUSTMENTS };
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 2, 5), sum = 0, s, r, ms, mr, min;
	int64_t got[N][2];
	int i, accepted = 0;
	size_t n;

	race_item = id;
	tu_concurrently(N, race_connect, race_adjust, got, sizeof(got[0]));
	for (i = 0; i < N; i++) {
		sum += got[i][0];
		accepted += (int)got[i][1];
	}
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 10 + sum);
	ck_assert_int_eq(r, 2);
	ck_assert_int_ge(s, r);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_uint_eq(n, 1 + (size_t)accepted);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	/* Never below the reserved quantity, let alone zero. */
	ck_assert_int_ge(min, 2);
	/* Both kinds happened, so the race was real. */
	ck_assert_int_gt(accepted, 0);
	ck_assert_int_lt(accepted, N * M);
	ck_assert_int_eq(api_stock(id), s);
}
END_TEST

/* ---- bad input ---- */

struct bad_case {
	const char	*method;
	const char	*path;
	const char	*ct;	/* NULL: JSON when there is a body */
	const char	*body;
	int		 status;
};

/* Placeholders filled per run: a long string. */
#define LONG "@LONG@"

static const struct bad_case bad_cases[] = {
	/* Products: bodies. */
	{ "POST", API "/products", NULL, "{}", 422 },
	{ "POST", API "/products", NULL, "{", 422 },
	{ "POST", API "/products", NULL, "[]", 422 },
	{ "POST", API "/products", NULL, "null", 422 },
	{ "POST", API "/products", NULL, "", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"" LONG "\",\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"" LONG
	    "\",\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"category\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"image_url\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"dimensions\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":5,\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":\"1\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1.999}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e400}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e-400}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":9223372036854775808}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":9223372036854775807}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":-9223372036854775808}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e20}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":NaN}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":true}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"weight\":1000000000}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"weight\":\"heavy\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\\u0000\",\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", "text/plain", "{\"sku\":\"s\","
	    "\"name\":\"n\",\"price\":1}", 415 },
	{ "PUT", API "/products/1", NULL, "{\"price\":\"x\"}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"sku\":null}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"name\":5}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"sku\":\"" LONG "\"}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"price\":-1}", 422 },
	{ "PUT", API "/products/1", "application/xml", "{}", 415 },
	{ "PUT", API "/products/1", NULL, "{\"name\":", 422 },
	/* Products: paths and queries. */
	{ "GET", API "/products/0", NULL, NULL, 404 },
	{ "GET", API "/products/-1", NULL, NULL, 404 },
	{ "GET", API "/products/abc", NULL, NULL, 404 },
	{ "GET", API "/products/1.5", NULL, NULL, 404 },
	{ "GET", API "/products/9223372036854775808", NULL, NULL, 404 },
	{ "GET", API "/products/9223372036854775807", NULL, NULL, 404 },
	{ "GET", API "/products/99999999999999999999999", NULL, NULL, 404 },
	{ "PUT", API "/products/abc", NULL, "{}", 404 },
	{ "DELETE", API "/products/0", NULL, NULL, 404 },
	{ "GET", API "/products?limit=0", NULL, NULL, 422 },
	{ "GET", API "/products?limit=1001", NULL, NULL, 422 },
	{ "GET", API "/products?skip=-1", NULL, NULL, 422 },
	{ "GET", API "/products?skip=abc", NULL, NULL, 422 },
	{ "GET", API "/products?skip=9223372036854775808", NULL, NULL, 422 },
	{ "GET", API "/products?q=" LONG, NULL, NULL, 422 },
	{ "GET", API "/products?category=" LONG, NULL, NULL, 422 },
	{ "PATCH", API "/products/1", NULL, "{}", 405 },
	/* Inventory: bodies. */
	{ "POST", API "/inventory", NULL, "{}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":\"1\","
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1.5,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":0,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":-1,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":9223372036854775808,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":9223372036854775807,"
	    "\"quantity_in_stock\":1}", 404 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":2147483648}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":1e400}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"quantity_reserved\":6}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"quantity_reserved\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"reorder_level\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"reorder_quantity\":2147483648}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":\"" LONG "\"}", 422 },
	{ "POST", API "/inventory", "application/x-www-form-urlencoded",
	    "product_id=1&quantity_in_stock=1", 415 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_in_stock\":-1}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_reserved\":99999}",
	    422 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_in_stock\":0}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"reorder_quantity\":"
	    "2147483648}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"reorder_level\":\"abc\"}", 422 },
	{ "PUT", API "/inventory/1", NULL, "[1]", 422 },
	{ "PUT", API "/inventory/0", NULL, "{}", 404 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":0}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1.5}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":\"5\"}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000001}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-1000000001}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":9223372036854775808}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-9223372036854775808}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1e400}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1,"
	    "\"reason\":\"" LONG "\"}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1,"
	    "\"reason\":5}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-11}", 400 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-6}", 400 },
	/* Stock 10 + 1e9 twice would pass INT's 2147483647. */
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    200 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    200 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-2000000000}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-1000000000}", 200 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-1000000000}", 200 },
	{ "POST", API "/inventory/1/adjust", "text/html", "{\"quantity\":1}",
	    415 },
	{ "POST", API "/inventory/1/adjust", NULL, "", 422 },
	{ "POST", API "/inventory/abc/adjust", NULL, "{\"quantity\":1}", 404 },
	{ "POST", API "/inventory/9223372036854775808/adjust", NULL,
	    "{\"quantity\":1}", 404 },
	/* Inventory: paths and queries. */
	{ "GET", API "/inventory/0", NULL, NULL, 404 },
	{ "GET", API "/inventory/abc", NULL, NULL, 404 },
	{ "GET", API "/inventory/9223372036854775808", NULL, NULL, 404 },
	{ "GET", API "/inventory/product/0", NULL, NULL, 404 },
	{ "GET", API "/inventory/product/x", NULL, NULL, 404 },
	{ "GET", API "/inventory/status", NULL, NULL, 404 },
	{ "GET", API "/inventory?product_id=abc", NULL, NULL, 422 },
	{ "GET", API "/inventory?product_id=0", NULL, NULL, 422 },
	{ "GET", API "/inventory?product_id=9223372036854775808", NULL, NULL,
	    422 },
	{ "GET", API "/inventory?low_stock=maybe", NULL, NULL, 422 },
	{ "GET", API "/inventory?limit=1001", NULL, NULL, 422 },
	{ "GET", API "/inventory?skip=-5", NULL, NULL, 422 },
	{ "GET", API "/inventory/1/movements?limit=0", NULL, NULL, 422 },
	{ "GET", API "/inventory/1/movements?skip=x", NULL, NULL, 422 },
	{ "GET", API "/inventory/0/movements", NULL, NULL, 404 },
	{ "GET", API "/inventory/status/low-stock?limit=-1", NULL, NULL, 422 },
	{ "DELETE", API "/inventory/1", NULL, NULL, 405 },
};

START_TEST(bad_input_is_4xx)
{
	int64_t p = create_product("A-1", "Alpha", NULL), s, r, ms, mr, min;
	int64_t id = new_inventory(p, 10, 5, 3);
	char *longstr = xmalloc(10001);
	struct http_resp resp;
	size_t i, n;

	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(id, 1);
	memset(longstr, 'x', 10000);
	longstr[10000] = '\0';
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct buf path, body;
		const char *at;

		buf_init(&path);
		buf_init(&body);
		/* Fill in the long string where asked. */
		at = strstr(bc->path, LONG);
		if (at != NULL) {
			buf_append(&path, bc->path, (size_t)(at - bc->path));
			buf_puts(&path, longstr);
			buf_puts(&path, at + strlen(LONG));
		} else
			buf_puts(&path, bc->path);
		if (bc->body != NULL) {
			at = strstr(bc->body, LONG);
			if (at != NULL) {
				buf_append(&body, bc->body,
				    (size_t)(at - bc->body));
				buf_puts(&body, longstr);
				buf_puts(&body, at + strlen(LONG));
			} else
				buf_puts(&body, bc->body);
		}
		tu_request(app, bc->method, path.data, admin, bc->ct != NULL ?
		    bc->ct : bc->body != NULL ? JSON : NULL, bc->body != NULL ?
		    (body.data != NULL ? body.data : "") : NULL, &resp);
		ck_assert_msg(resp.status == bc->status,
		    "case %zu: %s %.80s %.80s: %d, want %d: %.200s", i,
		    bc->method, bc->path, bc->body != NULL ? bc->body : "",
		    resp.status, bc->status, resp.body != NULL ? resp.body : "");
		/* Every error has a JSON detail. */
		if (resp.status >= 400) {
			struct json_object *o = tu_json(&resp);

			ck_assert(json_has(o, "detail"));
			json_object_put(o);
		}
		http_resp_free(&resp);
		buf_free(&path);
		buf_free(&body);
	}
	free(longstr);
	/* Nothing the refusals touched changed; the ledger adds up. */
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 10);
	ck_assert_int_eq(r, 5);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(call("GET", API "/products/1", user, NULL, NULL), 200);
}
END_TEST

static Suite *
inventory_suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *named = tcase_create("contract");
	TCase *prod = tcase_create("products");
	TCase *led = tcase_create("ledger");
	TCase *cache = tcase_create("cache");
	TCase *race = tcase_create("concurrency");
	TCase *bad = tcase_create("bad input");

	tcase_add_checked_fixture(named, setup, teardown);
	tcase_add_test(named, get_inventory);
	tcase_add_test(named, get_inventory_with_filters);
	tcase_add_test(named, get_inventory_item);
	tcase_add_test(named, get_nonexistent_inventory_item);
	tcase_add_test(named, create_inventory);
	tcase_add_test(named, create_inventory_for_nonexistent_product);
	tcase_add_test(named, create_duplicate_inventory);
	tcase_add_test(named, create_inventory_as_non_admin);
	tcase_add_test(named, update_inventory);
	tcase_add_test(named, adjust_stock_up);
	tcase_add_test(named, adjust_stock_validation);
	tcase_add_test(named, adjust_stock_below_zero);
	tcase_add_test(named, get_product_inventory);
	tcase_add_test(named, get_low_stock_items);
	tcase_add_checked_fixture(prod, setup, teardown);
	tcase_add_test(prod, product_crud);
	tcase_add_test(prod, product_errors);
	tcase_add_test(prod, product_list_filters);
	tcase_add_test(prod, product_image_url_only_http);
	tcase_add_test(prod, list_queries_are_strict);
	tcase_add_test(prod, head_on_inventory_list);
	tcase_add_checked_fixture(led, setup, teardown);
	tcase_add_test(led, movements_ledger);
	tcase_add_checked_fixture(cache, setup, teardown);
	tcase_set_timeout(cache, 60);
	tcase_add_test(cache, cache_item_coherent);
	tcase_add_test(cache, cache_product_coherent);
	tcase_add_test(cache, cache_lists_coherent);
	tcase_add_test(cache, redis_unreachable_then_back);
	tcase_add_test(cache, redis_paused_mid_test);
	tcase_add_checked_fixture(race, setup, teardown);
	tcase_set_timeout(race, 60);
	tcase_add_test(race, concurrent_adjustments);
	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, bad_input_is_4xx);
	suite_add_tcase(s, named);
	suite_add_tcase(s, prod);
	suite_add_tcase(s, led);
	suite_add_tcase(s, cache);
	suite_add_tcase(s, race);
	suite_add_tcase(s, bad);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(inventory_suite(), NULL);
}
