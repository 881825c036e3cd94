/*
 * check_orders_create.c: POST /orders and the order reads against a
 * real MariaDB and Redis (integration): creation, lists, details, bad input.
 */
#include "testorders.h"

/* Whether the high queue holds a job for order id. */
static bool
job_queued(int64_t id)
{
	redisContext *c = raw_queue();
	redisReply *r = redisCommand(c, "LRANGE %s 0 -1", HIGH_QUEUE);
	struct json_object *o;
	const char *why;
	int64_t oid;
	bool found = false;
	size_t i;

	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	for (i = 0; i < r->elements; i++) {
		ck_assert(json_parse_strict(r->element[i]->str,
		    r->element[i]->len, &o, &why));
		if (json_get_int(o, "order_id", &oid) && oid == id &&
		    strcmp(json_get_str(o, "type"), "process_order") == 0)
			found = true;
		json_object_put(o);
	}
	freeReplyObject(r);
	redisFree(c);
	return found;
}

/* ---- creation ---- */

START_TEST(create_order_success)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	struct json_object *o = NULL, *items, *it;
	const char *num;
	char *raw = NULL;
	int64_t id;
	size_t i;

	seed_product(1, "Widget", "19.90", 10);
	seed_product(2, "Gadget", "5.05", 10);
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, tok,
	    "{\"shipping_address\":\"  1 Main St  \",\"shipping_method\":"
	    "\"express\",\"notes\":\"ring twice\",\"items\":["
	    "{\"product_id\":2,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":3}]}", NULL, &o, NULL, &raw), 201);
	id = tu_jint(o, "id");
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(json_get_str(o, "status"), "pending");
	num = json_get_str(o, "order_number");
	ck_assert_uint_ge(strlen(num), 12);
	ck_assert(strncmp(num, "ORD-", 4) == 0);
	for (i = 4; num[i] != '\0'; i++)
		ck_assert_msg(strchr("0123456789ABCDEF", num[i]) != NULL,
		    "order number %s", num);
	/* 3 * 19.90 + 5.05, exactly, as a number with two decimals. */
	ck_assert_msg(strstr(raw, "\"total_amount\":64.75") != NULL, "%s", raw);
	ck_assert_str_eq(json_get_str(o, "shipping_address"), "1 Main St");
	ck_assert_str_eq(json_get_str(o, "shipping_method"), "express");
	ck_assert_str_eq(json_get_str(o, "notes"), "ring twice");
	ck_assert(json_object_object_get(o, "tracking_number") == NULL);
	ck_assert_int_gt(tu_jint(o, "user_id"), 0);
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	items = json_object_object_get(o, "items");
	ck_assert_uint_eq(json_object_array_length(items), 2);
	for (i = 0; i < 2; i++) {
		it = json_object_array_get_idx(items, i);
		ck_assert_int_eq(tu_jint(it, "order_id"), id);
		ck_assert_int_gt(tu_jint(it, "id"), 0);
		ck_assert(!json_has(it, "product_name"));
		if (tu_jint(it, "product_id") == 1) {
			ck_assert_int_eq(tu_jint(it, "quantity"), 3);
			ck_assert(fabs(json_object_get_double(
			    json_object_object_get(it, "unit_price")) - 19.9) <
			    1e-9);
		} else
			ck_assert_int_eq(tu_jint(it, "quantity"), 1);
	}
	ck_assert(strstr(raw, "\"unit_price\":19.90") != NULL);
	expect_stock(1, 10, 3);
	expect_stock(2, 10, 1);
	expect_invariants();
	ck_assert_msg(job_queued(id), "no job on " HIGH_QUEUE);
	json_object_put(o);
	free(raw);
	free(tok);
}
END_TEST

START_TEST(create_order_insufficient_stock)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);

	seed_product(1, "Gadget", "1.00", 50);
	seed_product(2, "Widget", "1.00", 2);
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":2,\"quantity\":3}]}", 400,
	    "Insufficient stock for product Widget. Available: 2");
	/* Gadget (1) is reserved before Widget (2) fails: the whole order
	 * rolls back, Gadget's reservation with it. */
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":2,\"quantity\":3},"
	    "{\"product_id\":1,\"quantity\":5}]}", 400,
	    "Insufficient stock for product Widget. Available: 2");
	ck_assert_int_eq(order_count(admin), 0);
	expect_stock(1, 50, 0);
	expect_stock(2, 2, 0);
	expect_invariants();
	/* What is there can still be ordered, and then nothing more. */
	ck_assert_int_gt(order_one(tok, 2, 2), 0);
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":2,\"quantity\":1}]}", 400,
	    "Insufficient stock for product Widget. Available: 0");
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(2, 2, 2);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

START_TEST(create_order_nonexistent_product)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);

	seed_product(1, "Widget", "1.00", 5);
	seed_product(2, "Ghost", "1.00", -1);	/* no inventory record */
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":1,\"quantity\":1},"
	    "{\"product_id\":999,\"quantity\":1}]}", 404,
	    "Product with id 999 not found");
	/* Missing products are named in the client's order, before any
	 * stock is looked at. */
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":2,\"quantity\":1},"
	    "{\"product_id\":999,\"quantity\":1},"
	    "{\"product_id\":998,\"quantity\":1}]}", 404,
	    "Product with id 999 not found");
	/* Widget (1) is reserved before Ghost (2) finds no record... */
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":1,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":1}]}", 400,
	    "No inventory found for product Ghost");
	/* ... and, listed after Stocked (3), is still the first refused. */
	seed_product(3, "Stocked", "1.00", 5);
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":3,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":1}]}", 400,
	    "No inventory found for product Ghost");
	/* Nothing is left behind: no order, item, reservation or
	 * movement. */
	ck_assert_int_eq(order_count(admin), 0);
	expect_sql("(SELECT COUNT(*) FROM order_items) = 0");
	expect_sql("(SELECT COUNT(*) FROM stock_movements WHERE order_id IS "
	    "NOT NULL) = 0");
	expect_stock(1, 5, 0);
	expect_stock(3, 5, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/*
 * Items listed in descending product-id order are reserved all the same
 * (in product-id order), and a creation costs one statement, the call
 * of order_create (which reads the caller's row itself), and one commit,
 * inside it.
 */
START_TEST(create_order_descending_product_ids)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);

	seed_product(1, "One", "1.00", 10);
	seed_product(2, "Two", "2.00", 10);
	seed_product(3, "Three", "3.00", 1);
	sql("SET @executed = " SESSION_COUNT("COM_STMT_EXECUTE") ", "
	    "@commits = " SESSION_COUNT("COM_COMMIT"));
	ck_assert_int_eq(call("POST", ORDERS, tok, "{\"shipping_address\":"
	    "\"x\",\"items\":[{\"product_id\":3,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":2},"
	    "{\"product_id\":1,\"quantity\":3}]}", NULL), 201);
	expect_sql(SESSION_COUNT("COM_STMT_EXECUTE") " - @executed = 1");
	expect_sql(SESSION_COUNT("COM_COMMIT") " - @commits = 1");
	expect_stock(1, 10, 3);
	expect_stock(2, 10, 2);
	expect_stock(3, 1, 1);
	/* The first item listed has the highest id and no stock left: the
	 * two before it in product-id order are rolled back with it. */
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":3,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":1}]}", 400,
	    "Insufficient stock for product Three. Available: 0");
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 10, 3);
	expect_stock(2, 10, 2);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* The 201 body is the order exactly as a GET of it reads it afterwards:
 * ids, items in the order listed, times. */
START_TEST(create_order_body_matches_get)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	struct json_object *o = NULL, *items;
	char *created = NULL, *got = NULL, *path;
	int64_t prev = 0, id;
	size_t i;
	static const int64_t listed[] = { 3, 1, 2 };

	seed_product(1, "One", "1.00", 10);
	seed_product(2, "Two", "2.50", 10);
	seed_product(3, "Three", "3.00", 10);
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, tok,
	    "{\"shipping_address\""
	    ":\"x\",\"shipping_method\":null,\"notes\":\"n\",\"items\":["
	    "{\"product_id\":3,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":2},"
	    "{\"product_id\":2,\"quantity\":3}]}", NULL, &o, NULL,
	    &created), 201);
	id = tu_jint(o, "id");
	items = json_object_object_get(o, "items");
	ck_assert_uint_eq(json_object_array_length(items), 3);
	for (i = 0; i < 3; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		ck_assert_int_eq(tu_jint(it, "product_id"), listed[i]);
		ck_assert_int_gt(tu_jint(it, "id"), prev);
		prev = tu_jint(it, "id");
	}
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_str_eq(json_get_str(o, "created_at"),
	    json_get_str(o, "updated_at"));
	path = order_path(id);
	ck_assert_int_eq(tu_call(app, "GET", path, tok, NULL, NULL, NULL, NULL,
	    &got), 200);
	ck_assert_str_eq(created, got);
	json_object_put(o);
	free(path);
	free(created);
	free(got);
	free(tok);
}
END_TEST

START_TEST(create_order_total_too_large)
{
	char *tok = user_token("u@example.com", "U", false, NULL);

	seed_product(1, "Yacht", "9999999999.99", 1000);
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":1,\"quantity\":2}]}", 400,
	    "Order total exceeds 9999999999.99");
	ck_assert_int_gt(order_one(tok, 1, 1), 0);
	expect_invariants();
	free(tok);
}
END_TEST

START_TEST(create_order_without_redis)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	struct app *main_app = app, *down;
	int64_t id;

	/* A process whose Redis (queue and cache) cannot be reached. */
	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_eq(setenv("INVENTORY_QUEUE_REDIS_SOCKET",
	    "/nonexistent/redis.sock", 1), 0);
	ck_assert_int_eq(setenv("INVENTORY_REDIS_SOCKET",
	    "/nonexistent/redis.sock", 1), 0);
	down = tu_app_new();
	unsetenv("INVENTORY_QUEUE_REDIS_SOCKET");
	unsetenv("INVENTORY_REDIS_SOCKET");
	app = down;
	/* The order is made all the same; the worker's sweep will find it. */
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(cancel(tok, order_one(tok, 1, 1)), 204);
	app = main_app;
	ck_assert(!job_queued(id));
	expect_stock(1, 10, 2);
	expect_invariants();
	tu_app_free(down);
	free(tok);
}
END_TEST

/*
 * Every stock move of an order drops the cached reads of the records it
 * changed, by record and by product (record ids unlike product ids here,
 * so one taken for the other shows).
 */
START_TEST(order_moves_invalidate_cached_stock)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	const char *two = "{\"shipping_address\":\"x\",\"items\":["
	    "{\"product_id\":7,\"quantity\":2},"
	    "{\"product_id\":3,\"quantity\":1}]}";
	struct json_object *o = NULL;
	int64_t id;

	seed_product(7, "Seven", "1.00", 10);	/* record 1 */
	seed_product(3, "Three", "1.00", 10);	/* record 2 */
	expect_api_stock(tok, 1, 7, 10, 0);
	expect_api_stock(tok, 2, 3, 10, 0);
	ck_assert_int_eq(call("POST", ORDERS, tok, two, &o), 201);
	id = tu_jint(o, "id");
	json_object_put(o);
	expect_api_stock(tok, 1, 7, 10, 2);
	expect_api_stock(tok, 2, 3, 10, 1);
	ck_assert_int_eq(cancel(tok, id), 204);
	expect_api_stock(tok, 1, 7, 10, 0);
	expect_api_stock(tok, 2, 3, 10, 0);
	ck_assert_int_eq(call("POST", ORDERS, tok, two, &o), 201);
	id = tu_jint(o, "id");
	json_object_put(o);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	expect_api_stock(tok, 1, 7, 10, 2);
	ck_assert_int_eq(set_status(admin, id, "shipped"), 200);
	expect_api_stock(tok, 1, 7, 8, 0);
	expect_api_stock(tok, 2, 3, 9, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* ---- reading ---- */

START_TEST(get_user_orders)
{
	char *a = user_token("a@example.com", "A", false, NULL);
	char *b = user_token("b@example.com", "B", false, NULL);
	struct json_object *o = NULL, *first;
	int64_t ids[3], total;
	int i;

	seed_product(1, "Widget", "2.50", 100);
	seed_product(2, "Gadget", "1.00", 100);
	for (i = 0; i < 3; i++)
		ck_assert_int_gt(ids[i] = order_one(a, 1 + i % 2, i + 1), 0);
	ck_assert_int_gt(order_one(b, 1, 1), 0);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS, a, NULL, NULL, &o, &total,
	    NULL), 200);
	ck_assert_int_eq(total, 3);
	ck_assert_uint_eq(json_object_array_length(o), 3);
	/* Newest first, each with its own items. */
	for (i = 0; i < 3; i++) {
		struct json_object *ord = json_object_array_get_idx(o, i);
		struct json_object *items = json_object_object_get(ord,
		    "items");

		ck_assert_int_eq(tu_jint(ord, "id"), ids[2 - i]);
		ck_assert_uint_eq(json_object_array_length(items), 1);
		ck_assert_int_eq(tu_jint(json_object_array_get_idx(items, 0),
		    "quantity"), 3 - i);
		ck_assert_int_eq(tu_jint(json_object_array_get_idx(items, 0),
		    "product_id"), 1 + (2 - i) % 2);
		/* The owner and the product names are the admin's view. */
		ck_assert(!json_has(ord, "user_email"));
		ck_assert(!json_has(json_object_array_get_idx(items, 0),
		    "product_name"));
	}
	json_object_put(o);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "?limit=2&skip=1", a, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 3);
	ck_assert_uint_eq(json_object_array_length(o), 2);
	first = json_object_array_get_idx(o, 0);
	ck_assert_int_eq(tu_jint(first, "id"), ids[1]);
	json_object_put(o);
	ck_assert_int_eq(cancel(a, ids[0]), 204);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "?status=cancelled", a,
	    NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"),
	    ids[0]);
	json_object_put(o);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "?status=pending", a, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 2);
	json_object_put(o);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "?status=shipped", b, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 0);
	ck_assert_uint_eq(json_object_array_length(o), 0);
	json_object_put(o);
	ck_assert_int_eq(call("GET", ORDERS "?status=lost", a, NULL, NULL),
	    422);
	free(a);
	free(b);
}
END_TEST

/* Whether s is an API time: "2026-11-26T06:07:08Z". */
static bool
is_iso_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return false;
	return true;
}

/* Places an order of the products pids, a unit each, in that order;
 * *body (new) is the 201 body. Returns the order id. */
static int64_t
order_of(const char *token, const int64_t *pids, size_t n,
    struct json_object **body)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_puts(&b, "{\"shipping_address\":\"1 Main St\",\"items\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s{\"product_id\":%" PRId64 ",\"quantity\":1}",
		    i > 0 ? "," : "", pids[i]);
	buf_puts(&b, "]}");
	ck_assert_int_eq(call("POST", ORDERS, token, b.data, body), 201);
	buf_free(&b);
	return tu_jint(*body, "id");
}

/*
 * A page of orders shows each order exactly as GET /orders/{id} and the
 * 201 of its creation do: its own items, in the order they were given
 * (not by product), with API times.
 */
START_TEST(list_matches_single_orders)
{
	static const int64_t given[3][3] = { { 3, 1, 2 }, { 2, 3 }, { 1 } };
	static const size_t nitems[3] = { 3, 2, 1 };
	char *a = user_token("a@example.com", "A", false, NULL);
	struct json_object *created[3], *list = NULL, *one = NULL;
	int64_t ids[3];
	size_t i, j;
	char *path;

	seed_product(1, "Widget", "2.50", 100);
	seed_product(2, "Gadget", "1.00", 100);
	seed_product(3, "Gizmo", "0.10", 100);
	for (i = 0; i < 3; i++)
		ids[i] = order_of(a, given[i], nitems[i], &created[i]);
	ck_assert_int_eq(call("GET", ORDERS, a, NULL, &list), 200);
	ck_assert_uint_eq(json_object_array_length(list), 3);
	for (i = 0; i < 3; i++) {
		/* Newest first. */
		struct json_object *ord = json_object_array_get_idx(list,
		    2 - i);
		struct json_object *items = json_object_object_get(ord,
		    "items");

		ck_assert_int_eq(tu_jint(ord, "id"), ids[i]);
		ck_assert(is_iso_time(json_get_str(ord, "created_at")));
		ck_assert(is_iso_time(json_get_str(ord, "updated_at")));
		ck_assert_uint_eq(json_object_array_length(items), nitems[i]);
		for (j = 0; j < nitems[i]; j++) {
			struct json_object *it = json_object_array_get_idx(
			    items, j);

			ck_assert_int_eq(tu_jint(it, "product_id"),
			    given[i][j]);
			ck_assert_int_eq(tu_jint(it, "order_id"), ids[i]);
			ck_assert(is_iso_time(json_get_str(it, "created_at")));
		}
		path = order_path(ids[i]);
		ck_assert_int_eq(call("GET", path, a, NULL, &one), 200);
		ck_assert_msg(json_object_equal(ord, one), "list %s, get %s",
		    json_to_plain(ord, NULL), json_to_plain(one, NULL));
		ck_assert_msg(json_object_equal(created[i], one),
		    "201 %s, get %s", json_to_plain(created[i], NULL),
		    json_to_plain(one, NULL));
		json_object_put(one);
		json_object_put(created[i]);
		free(path);
	}
	json_object_put(list);
	free(a);
}
END_TEST

/* X-Total-Count of GET path as token, the body freed. */
static int64_t
total_of(const char *token, const char *path)
{
	struct json_object *o = NULL;
	int64_t total = -1;

	ck_assert_int_eq(tu_call(app, "GET", path, token, NULL, NULL, &o,
	    &total,
	    NULL), 200);
	json_object_put(o);
	return total;
}

/* Hits of the test process's cache so far. */
static uint64_t
cache_hits(void)
{
	struct cache_stats st;

	cache_get_stats(app->cache, &st);
	return st.hits;
}

/*
 * A user's counts come from the cache, and every kind of change to the
 * user's orders shows in them at once: creation, the owner's cancel, the
 * admin's status change, the worker's processing and its payment failure.
 */
START_TEST(order_counts_follow_every_change)
{
	int64_t uid, a, b, c;
	char *u = user_token("u@example.com", "U", false, &uid);
	char *admin = user_token("a@example.com", "A", true, NULL);
	char *path = xasprintf("/api/v1/orders/admin?status=shipped&user_id=%"
	    PRId64, uid);
	uint64_t hits;

	seed_product(1, "Widget", "1.00", 100);
	ck_assert_int_eq(total_of(u, ORDERS), 0);
	hits = cache_hits();
	ck_assert_int_eq(total_of(u, ORDERS), 0);
	ck_assert_uint_eq(cache_hits(), hits + 1);
	ck_assert_int_gt(a = order_one(u, 1, 1), 0);
	ck_assert_int_gt(b = order_one(u, 1, 1), 0);
	ck_assert_int_gt(c = order_one(u, 1, 1), 0);
	ck_assert_int_eq(total_of(u, ORDERS), 3);
	ck_assert_int_eq(total_of(u, ORDERS "?status=pending"), 3);
	ck_assert_int_eq(total_of(u, ORDERS "?status=pending"), 3);
	ck_assert_int_eq(cancel(u, a), 204);
	ck_assert_int_eq(total_of(u, ORDERS "?status=pending"), 2);
	ck_assert_int_eq(total_of(u, ORDERS "?status=cancelled"), 1);
	ck_assert_int_eq(set_status(admin, b, "processing"), 200);
	ck_assert_int_eq(total_of(u, ORDERS "?status=pending"), 1);
	ck_assert_int_eq(total_of(u, ORDERS "?status=processing"), 1);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 200);
	ck_assert_int_eq(total_of(u, ORDERS "?status=processing"), 0);
	/* The admin's view of this user reads the same counts. */
	ck_assert_int_eq(total_of(admin, path), 1);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, c, false,
	    NULL), INV_OK);
	ck_assert_int_eq(total_of(u, ORDERS "?status=pending"), 0);
	ck_assert_int_eq(total_of(u, ORDERS "?status=cancelled"), 2);
	ck_assert_int_eq(total_of(u, ORDERS), 3);
	free(path);
	free(u);
	free(admin);
}
END_TEST

START_TEST(get_order_detail)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	path = order_path(id);
	ck_assert_int_eq(call("GET", path, tok, NULL, &o), 200);
	ck_assert_int_eq(tu_jint(o, "id"), id);
	ck_assert_str_eq(json_get_str(o, "status"), "pending");
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "items")), 1);
	json_object_put(o);
	ck_assert_int_eq(call("GET", path, admin, NULL, &o), 200);
	ck_assert_int_eq(tu_jint(o, "id"), id);
	json_object_put(o);
	expect_error("GET", ORDERS "/9999", tok, NULL, 404,
	    "Order with id 9999 not found");
	expect_error("GET", ORDERS "/9999", admin, NULL, 404,
	    "Order with id 9999 not found");
	ck_assert_int_eq(call("GET", path, NULL, NULL, NULL), 401);
	free(path);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(get_order_unauthorized)
{
	char *a = user_token("a@example.com", "A", false, NULL);
	char *b = user_token("b@example.com", "B", false, NULL);
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(a, 1, 1), 0);
	path = order_path(id);
	expect_error("GET", path, b, NULL, 403,
	    "Not authorized to access this order");
	expect_error("DELETE", path, b, NULL, 403,
	    "Not authorized to cancel this order");
	expect_stock(1, 10, 1);
	free(path);
	free(a);
	free(b);
}
END_TEST

START_TEST(admin_get_all_orders)
{
	int64_t aid, bid, total;
	char *a = user_token("a@example.com", "Alice Smith", false, &aid);
	char *b = user_token("b@example.com", "Bob Jones", false, &bid);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	struct json_object *o = NULL, *ord, *it;
	char *path;
	int64_t ida, idb;

	seed_product(1, "Widget", "3.00", 10);
	seed_product(2, "Gadget", "4.00", 10);
	ck_assert_int_gt(ida = order_one(a, 1, 1), 0);
	ck_assert_int_gt(idb = order_one(b, 2, 2), 0);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "/admin", admin, NULL, NULL,
	    &o, &total, NULL), 200);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(o), 2);
	ord = json_object_array_get_idx(o, 0);	/* newest: Bob's */
	ck_assert_int_eq(tu_jint(ord, "id"), idb);
	ck_assert_str_eq(json_get_str(ord, "user_email"), "b@example.com");
	ck_assert_str_eq(json_get_str(ord, "user_full_name"), "Bob Jones");
	it = json_object_array_get_idx(json_object_object_get(ord, "items"),
	    0);
	ck_assert_str_eq(json_get_str(it, "product_name"), "Gadget");
	ck_assert_str_eq(json_get_str(it, "product_sku"), "SKU-2");
	ord = json_object_array_get_idx(o, 1);
	ck_assert_str_eq(json_get_str(ord, "user_full_name"), "Alice Smith");
	it = json_object_array_get_idx(json_object_object_get(ord, "items"),
	    0);
	ck_assert_str_eq(json_get_str(it, "product_name"), "Widget");
	json_object_put(o);
	/* Filters: by user, by status, both. */
	path = xasprintf(ORDERS "/admin?user_id=%" PRId64, aid);
	ck_assert_int_eq(tu_call(app, "GET", path, admin, NULL, NULL, &o,
	    &total,
	    NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), ida);
	json_object_put(o);
	free(path);
	ck_assert_int_eq(set_status(admin, idb, "processing"), 200);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "/admin?status=processing",
	    admin, NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), idb);
	json_object_put(o);
	path = xasprintf(ORDERS "/admin?user_id=%" PRId64 "&status=pending",
	    bid);
	ck_assert_int_eq(tu_call(app, "GET", path, admin, NULL, NULL, &o,
	    &total,
	    NULL), 200);
	ck_assert_int_eq(total, 0);
	json_object_put(o);
	free(path);
	ck_assert_int_eq(call("GET", ORDERS "/admin?status=nope", admin, NULL,
	    NULL), 422);
	free(a);
	free(b);
	free(admin);
}
END_TEST

START_TEST(admin_list_fixed_queries)
{
	/* A page of many orders with several items each comes out whole:
	 * the items are matched to their orders, not fetched per order. */
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL, *ord, *items;
	int64_t total;
	size_t i, j;

	seed_product(1, "Widget", "1.00", 1000);
	seed_product(2, "Gadget", "2.00", 1000);
	seed_product(3, "Gizmo", "3.00", 1000);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(call("POST", ORDERS, tok,
		    "{\"shipping_address\":\"x\",\"items\":["
		    "{\"product_id\":3,\"quantity\":1},"
		    "{\"product_id\":1,\"quantity\":2},"
		    "{\"product_id\":2,\"quantity\":3}]}", NULL), 201);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "/admin?limit=1000", admin,
	    NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 30);
	for (i = 0; i < 30; i++) {
		ord = json_object_array_get_idx(o, i);
		items = json_object_object_get(ord, "items");
		ck_assert_uint_eq(json_object_array_length(items), 3);
		for (j = 0; j < 3; j++)
			ck_assert_int_eq(tu_jint(
			    json_object_array_get_idx(items, j), "order_id"),
			    tu_jint(ord, "id"));
	}
	json_object_put(o);
	free(tok);
	free(admin);
}
END_TEST

/* A 422 whose first detail has loc ["query", name]. */
static void
expect_query_422(const char *path, const char *token, const char *name)
{
	tu_expect_query_422(app, path, token, name, NULL);
}

/* GET /orders/admin?user_id=%zz answered 200 with every order, limit=%zz
 * the default page and limit=1&limit=5000 the first value; an unknown
 * status was always a 422 and stays one. */
START_TEST(list_queries_are_strict)
{
	char *u = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t total;

	seed_product(1, "Widget", "1.00", 100);
	ck_assert_int_gt(order_one(u, 1, 1), 0);
	ck_assert_int_gt(order_one(admin, 1, 1), 0);
	expect_query_422(ORDERS "/admin?user_id=%zz", admin, "user_id");
	expect_query_422(ORDERS "/admin?limit=%zz", admin, "limit");
	expect_query_422(ORDERS "/admin?limit=1&limit=5000", admin, "limit");
	expect_query_422(ORDERS "/admin?user_id=1&user_id=2", admin,
	    "user_id");
	expect_query_422(ORDERS "/admin?status=pending&status=cancelled",
	    admin, "status");
	expect_query_422(ORDERS "/admin?skip=0&skip=0", admin, "skip");
	expect_query_422(ORDERS "/admin?status=%zz", admin, "status");
	expect_query_422(ORDERS "/admin?skip=%zz", admin, "skip");
	expect_query_422(ORDERS "?status=pending&status=pending", u, "status");
	expect_query_422(ORDERS "?limit=%zz", u, "limit");
	expect_query_422(ORDERS "?status=bogus", u, "status");
	expect_query_422(ORDERS "/admin?status=bogus", admin, "status");
	expect_query_422(ORDERS "?status=%70ending%", u, "status");
	expect_query_422(ORDERS "/admin?user_id=0", admin, "user_id");
	expect_query_422(ORDERS "/admin?limit=5000", admin, "limit");
	ck_assert_int_eq(call("GET", ORDERS "?status=bogus", u, NULL, &o),
	    422);
	ck_assert(strstr(json_object_to_json_string(o), "permitted: "
	    "'pending'") != NULL);
	json_object_put(o);
	/* The values as meant: one user's orders, or a percent-encoded
	 * status. */
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "/admin?user_id=1", admin,
	    NULL, NULL, NULL, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS "?status=%70ending", u,
	    NULL, NULL, NULL, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	free(u);
	free(admin);
}
END_TEST

/* HEAD /orders answers as GET: status, X-Total-Count, the body's length,
 * no body sent. */
START_TEST(head_on_order_list)
{
	char *u = user_token("u@example.com", "U", false, NULL);
	struct http_resp get, head;

	seed_product(1, "Widget", "1.00", 100);
	ck_assert_int_gt(order_one(u, 1, 1), 0);
	ck_assert_int_gt(order_one(u, 1, 2), 0);
	tu_send(app, "GET", ORDERS, u, NULL, NULL, &get);
	tu_send(app, "HEAD", ORDERS, u, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 200);
	ck_assert(head.omit_body);
	ck_assert_str_eq(http_resp_get_header(&head, "X-Total-Count"), "2");
	ck_assert_uint_eq(head.body_len, get.body_len);
	http_resp_free(&get);
	http_resp_free(&head);
	tu_send(app, "HEAD", ORDERS "/99", u, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 404);
	ck_assert(head.omit_body);
	http_resp_free(&head);
	free(u);
}
END_TEST

START_TEST(non_admin_cannot_access_all_orders)
{
	char *tok = user_token("u@example.com", "U", false, NULL);

	expect_error("GET", ORDERS "/admin", tok, NULL, 403,
	    "Not enough permissions");
	expect_error("PUT", ORDERS "/1", tok, "{\"status\":\"shipped\"}", 403,
	    "Not enough permissions");
	ck_assert_int_eq(call("GET", ORDERS "/admin", NULL, NULL, NULL), 401);
	free(tok);
}
END_TEST

/* ---- bad input ---- */

/*
 * What a table of requests cannot say (the plain refusals are request
 * cases, t/requests/60-orders-input/): which element of items a 422
 * points at, the bounds of items and of every string, and that nothing
 * of it moved the stock.
 */
START_TEST(bad_input_is_4xx)
{
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL, *loc;
	struct buf body;
	size_t i;

	seed_product(1, "Widget", "1.00", 1000000);
	ck_assert_int_gt(order_one(admin, 1, 1), 0);
	/* The duplicate is pointed at. */
	ck_assert_int_eq(call("POST", ORDERS, admin, "{\"shipping_address\":"
	    "\"x\",\"items\":[{\"product_id\":1,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":2}]}", &o), 422);
	loc = json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0), "loc");
	ck_assert_str_eq(json_object_to_json_string_ext(loc,
	    JSON_C_TO_STRING_PLAIN), "[\"body\",\"items\",2,\"product_id\"]");
	json_object_put(o);
	/* A bad element is pointed at too. */
	ck_assert_int_eq(call("POST", ORDERS, admin, "{\"shipping_address\":"
	    "\"x\",\"items\":[{\"product_id\":1,\"quantity\":1},"
	    "{\"product_id\":2,\"quantity\":0}]}", &o), 422);
	loc = json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0), "loc");
	ck_assert_str_eq(json_object_to_json_string_ext(loc,
	    JSON_C_TO_STRING_PLAIN), "[\"body\",\"items\",1,\"quantity\"]");
	json_object_put(o);
	/* Sizes: 101 items; strings one past their bound, and at it. */
	buf_init(&body);
	buf_puts(&body, "{\"shipping_address\":\"x\",\"items\":[");
	for (i = 1; i <= 101; i++)
		buf_printf(&body, "%s{\"product_id\":%zu,\"quantity\":1}",
		    i > 1 ? "," : "", i);
	buf_puts(&body, "]}");
	ck_assert_int_eq(call("POST", ORDERS, admin, body.data, NULL), 422);
	/* 100 items of products that do not exist: a valid shape, 404. */
	buf_reset(&body);
	buf_puts(&body, "{\"shipping_address\":\"x\",\"items\":[");
	for (i = 1; i <= 100; i++)
		buf_printf(&body, "%s{\"product_id\":%zu,\"quantity\":1}",
		    i > 1 ? "," : "", i + 1000);
	buf_puts(&body, "]}");
	expect_error("POST", ORDERS, admin, body.data, 404,
	    "Product with id 1001 not found");
	{
		static const struct {
			const char	*field;
			size_t		 max;
		} strs[] = {
			{ "shipping_address", 1000 },
			{ "shipping_method", 50 },
			{ "notes", 5000 },
		};

		for (i = 0; i < 3; i++) {
			size_t len;

			for (len = strs[i].max; len <= strs[i].max + 1; len++) {
				char *s = xmalloc(len + 1);

				memset(s, 'a', len);
				s[len] = '\0';
				buf_reset(&body);
				buf_printf(&body, "{\"shipping_address\":\"x\","
				    "\"%s\":\"%s\",\"items\":[{\"product_id\""
				    ":1,\"quantity\":1}]}", strs[i].field, s);
				ck_assert_int_eq(call("POST", ORDERS, admin,
				    body.data, NULL), len == strs[i].max ? 201 :
				    422);
				free(s);
			}
		}
	}
	buf_reset(&body);
	buf_puts(&body, "{\"status\":\"pending\",\"tracking_number\":\"");
	for (i = 0; i < 101; i++)
		buf_puts(&body, "t");
	buf_puts(&body, "\"}");
	ck_assert_int_eq(call("PUT", ORDERS "/1", admin, body.data, NULL), 422);
	buf_free(&body);
	expect_invariants();
	free(admin);
}
END_TEST

static Suite *
orders_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("create", 0),
		TU_TEST(create_order_success),
		TU_TEST(create_order_insufficient_stock),
		TU_TEST(create_order_nonexistent_product),
		TU_TEST(create_order_descending_product_ids),
		TU_TEST(create_order_body_matches_get),
		TU_TEST(create_order_total_too_large),
		TU_TEST(create_order_without_redis),
		TU_TEST(order_moves_invalidate_cached_stock),
		TU_CASE("read", 0),
		TU_TEST(get_user_orders),
		TU_TEST(get_order_detail),
		TU_TEST(list_matches_single_orders),
		TU_TEST(order_counts_follow_every_change),
		TU_TEST(get_order_unauthorized),
		TU_TEST(admin_get_all_orders),
		TU_TEST(admin_list_fixed_queries),
		TU_TEST(non_admin_cannot_access_all_orders),
		TU_TEST(list_queries_are_strict),
		TU_TEST(head_on_order_list),
		TU_CASE("bad input", 0),
		TU_TEST(bad_input_is_4xx),
	};

	return tu_suite("orders create", setup, NULL, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(orders_suite(), NULL);
}
