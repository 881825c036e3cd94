/*
 * check_orders.c: /orders and the order state machine (order_flow)
 * against a real MariaDB and Redis (integration). Products and stock are
 * seeded with SQL; stock levels and the invariants are read back with
 * the audit statement, so what is checked is what the database holds.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "order_flow.h"
#include "testutil.h"

#define JSON "application/json"
#define ORDERS "/api/v1/orders"
#define HIGH_QUEUE "inventory:queue:high"

static struct app *app;

/* ---- fixtures and helpers ---- */

/* The queue's Redis database, seen through our own connection (new). */
static redisContext *
raw_queue(void)
{
	const struct config *cfg = app->cfg;
	redisContext *c;
	redisReply *r;

	c = cfg->queue_redis.socket != NULL &&
	    cfg->queue_redis.socket[0] != '\0' ?
	    redisConnectUnix(cfg->queue_redis.socket) :
	    redisConnect(cfg->queue_redis.host, (int)cfg->queue_redis.port);
	ck_assert_msg(c != NULL && c->err == 0, "cannot reach the queue");
	r = redisCommand(c, "SELECT %lld", (long long)cfg->queue_redis.db);
	ck_assert(r != NULL && r->type != REDIS_REPLY_ERROR);
	freeReplyObject(r);
	return c;
}

static void
setup(void)
{
	redisContext *c;
	redisReply *r;

	app = tu_app();
	tu_reset_db(app);
	c = raw_queue();
	r = redisCommand(c, "DEL %s", HIGH_QUEUE);
	ck_assert(r != NULL);
	freeReplyObject(r);
	redisFree(c);
}

/* Runs trusted test SQL (formatted here, never request data). */
static void __attribute__((format(printf, 1, 2)))
sql(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	ck_assert_msg(db_exec_script(app->db, s) == INV_OK, "SQL failed: %s",
	    s);
	free(s);
}

/* Fails the test unless the condition (trusted test SQL, formatted here)
 * holds on the server; NULL counts as false. */
static void __attribute__((format(printf, 1, 2)))
expect_sql(const char *fmt, ...)
{
	va_list ap;
	char *cond;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&cond, fmt, ap), 0);
	va_end(ap);
	sql("BEGIN NOT ATOMIC IF NOT COALESCE((%s), FALSE) THEN SIGNAL "
	    "SQLSTATE '45000' SET MESSAGE_TEXT = 'expect_sql'; END IF; END",
	    cond);
	free(cond);
}

/* A counter of this process's database session (the one requests go
 * through), such as "Com_stmt_execute", as SQL. */
#define SESSION_COUNT(name) "(SELECT VARIABLE_VALUE FROM " \
	"information_schema.SESSION_STATUS WHERE VARIABLE_NAME = '" name "')"

/*
 * Product id with a price and, when stock >= 0, an inventory record of
 * that stock whose first movement records it (as the inventory API
 * does), so the ledger sums to the stock from the start.
 */
static void
seed_product(int64_t id, const char *name, const char *price, int stock)
{
	sql("INSERT INTO products (id, sku, name, price) VALUES "
	    "(%" PRId64 ", 'SKU-%" PRId64 "', '%s', %s)", id, id, name, price);
	if (stock < 0)
		return;
	sql("INSERT INTO inventory (product_id, quantity_in_stock) VALUES "
	    "(%" PRId64 ", %d);"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) SELECT id, product_id, "
	    "quantity_in_stock, 0, 'initial stock' FROM inventory "
	    "WHERE product_id = %" PRId64, id, stock, id);
}

/* A user straight in the database and an access token for it (new). */
static char *
user_token(const char *email, const char *name, bool admin, int64_t *id)
{
	struct db_val p[4] = { DB_STR(email), DB_STR(name),
	    DB_STR("$scrypt$unused"), DB_INT(admin) };
	char jti[AUTH_JTI_LEN + 1], *tok = NULL;
	uint64_t uid;

	ck_assert_int_eq(db_exec(app->db, STMT_USER_INSERT, p, 4, NULL, NULL,
	    &uid), INV_OK);
	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS,
	    (int64_t)uid, admin, 0, jti, time(NULL), &tok), INV_OK);
	if (id != NULL)
		*id = (int64_t)uid;
	return tok;
}

/* Sends a request (key: an Idempotency-Key, or NULL) and returns its
 * status; *resp gets the reply (http_resp_free it). No request here may
 * ever be answered 500. */
static int
send_req(const char *method, const char *path, const char *token,
    const char *body, const char *key, struct http_resp *resp)
{
	tu_request_key(app, method, path, token, body != NULL ? JSON : NULL,
	    body, key, resp);
	ck_assert_msg(resp->status != 500, "%s %s: 500", method, path);
	return resp->status;
}

/* Sends a request; returns the status, *out the parsed body, *total the
 * X-Total-Count, *raw the body as sent (new): each may be NULL. */
static int
call_full(const char *method, const char *path, const char *token,
    const char *body, const char *key, struct json_object **out,
    int64_t *total, char **raw)
{
	struct http_resp resp;
	const char *tc;
	int status = send_req(method, path, token, body, key, &resp);

	if (out != NULL)
		*out = resp.body != NULL ? tu_json(&resp) : NULL;
	if (total != NULL) {
		tc = http_resp_get_header(&resp, "X-Total-Count");
		*total = tc != NULL ? strtoll(tc, NULL, 10) : -1;
	}
	if (raw != NULL)
		*raw = resp.body != NULL ? xstrndup(resp.body, resp.body_len) :
		    NULL;
	http_resp_free(&resp);
	return status;
}

static int
call(const char *method, const char *path, const char *token,
    const char *body, struct json_object **out)
{
	return call_full(method, path, token, body, NULL, out, NULL, NULL);
}

/* The "detail" string of an error body (borrowed from o). */
static const char *
detail(struct json_object *o)
{
	return json_get_str(o, "detail");
}

/* Asserts that an answer (got, its body o) is status with detail msg. */
static void
expect_detail(const char *what, int got, struct json_object *o, int status,
    const char *msg)
{
	ck_assert_msg(got == status, "%s: %d, expected %d (detail \"%s\")",
	    what, got, status, detail(o) != NULL ? detail(o) : "(none)");
	ck_assert_msg(detail(o) != NULL && strcmp(detail(o), msg) == 0,
	    "%s: detail \"%s\", expected \"%s\"", what,
	    detail(o) != NULL ? detail(o) : "(none)", msg);
}

/* Asserts status and detail of a request, and frees the body. */
static void
expect_error(const char *method, const char *path, const char *token,
    const char *body, int status, const char *msg)
{
	struct json_object *o = NULL;
	char *what = xasprintf("%s %s", method, path);
	int got = call(method, path, token, body, &o);

	expect_detail(what, got, o, status, msg);
	json_object_put(o);
	free(what);
}

static int64_t
jint(struct json_object *o, const char *name)
{
	int64_t v = -1;

	ck_assert_msg(json_get_int(o, name, &v), "no integer %s", name);
	return v;
}

/* The body of an order of qty units of one product (new). */
static char *
order_body(int64_t product, int qty)
{
	return xasprintf("{\"shipping_address\":\"1 Main St\","
	    "\"items\":[{\"product_id\":%" PRId64 ",\"quantity\":%d}]}",
	    product, qty);
}

/* Places an order of one product; returns its id (> 0) or -status. */
static int64_t
order_one(const char *token, int64_t product, int qty)
{
	struct json_object *o = NULL;
	char *body = order_body(product, qty);
	int status = call("POST", ORDERS, token, body, &o);
	int64_t id = status == 201 ? jint(o, "id") : -status;

	json_object_put(o);
	free(body);
	return id;
}

static char *
order_path(int64_t id)
{
	return xasprintf(ORDERS "/%" PRId64, id);
}

/* PUT {"status": to} on order id; returns the status code. */
static int
set_status(const char *admin, int64_t id, const char *to)
{
	char *path = order_path(id);
	char *body = xasprintf("{\"status\":\"%s\"}", to);
	int status = call("PUT", path, admin, body, NULL);

	free(body);
	free(path);
	return status;
}

static int
cancel(const char *token, int64_t id)
{
	char *path = order_path(id);
	int status = call("DELETE", path, token, NULL, NULL);

	free(path);
	return status;
}

/* The status of order id as its owner or an admin sees it (new). */
static char *
status_of(const char *token, int64_t id)
{
	struct json_object *o = NULL;
	char *path = order_path(id), *s;

	ck_assert_int_eq(call("GET", path, token, NULL, &o), 200);
	s = xstrdup(json_get_str(o, "status"));
	json_object_put(o);
	free(path);
	return s;
}

/* Stock of product pid from the audit: in stock and reserved. */
static void
stock_of(int64_t pid, int64_t *in_stock, int64_t *reserved)
{
	struct db_res *res = NULL;
	size_t i;
	bool found = false;

	ck_assert_int_eq(db_exec(app->db, STMT_ORDER_AUDIT, NULL, 0, &res,
	    NULL, NULL), INV_OK);
	for (i = 0; i < db_res_rows(res); i++)
		if (db_res_int(res, i, AUDIT_COL_PRODUCT_ID) == pid) {
			*in_stock = db_res_int(res, i, AUDIT_COL_IN_STOCK);
			*reserved = db_res_int(res, i, AUDIT_COL_RESERVED);
			found = true;
		}
	db_res_free(res);
	ck_assert_msg(found, "no inventory for product %" PRId64, pid);
}

static void
expect_stock(int64_t pid, int64_t in_stock, int64_t reserved)
{
	int64_t s, r;

	stock_of(pid, &s, &r);
	ck_assert_msg(s == in_stock && r == reserved, "product %" PRId64
	    ": stock %" PRId64 " reserved %" PRId64 ", expected %" PRId64
	    " and %" PRId64, pid, s, r, in_stock, reserved);
}

/*
 * Both invariants, for every product: reserved equals the quantities of
 * the orders holding a reservation, and the movements sum to the
 * quantities; and the database's own bound, reserved <= stock.
 */
static void
expect_invariants(void)
{
	struct db_res *res = NULL;
	size_t products, bad, i;

	ck_assert_int_eq(order_flow_audit(app->db, &products, &bad), INV_OK);
	ck_assert_uint_gt(products, 0);
	ck_assert_msg(bad == 0, "%zu products break the stock invariants",
	    bad);
	ck_assert_int_eq(db_exec(app->db, STMT_ORDER_AUDIT, NULL, 0, &res,
	    NULL, NULL), INV_OK);
	for (i = 0; i < db_res_rows(res); i++)
		ck_assert_int_le(db_res_int(res, i, AUDIT_COL_RESERVED),
		    db_res_int(res, i, AUDIT_COL_IN_STOCK));
	db_res_free(res);
}

/* Number of orders in the database (through the admin list). */
static int64_t
order_count(const char *admin)
{
	int64_t total = -1;

	ck_assert_int_eq(call_full("GET", ORDERS "/admin?limit=1", admin,
	    NULL, NULL, NULL, &total, NULL), 200);
	return total;
}

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

/* A race's child: its own connections, made before the barrier. */
static void
child_connect(int i)
{
	(void)i;
	app = tu_app_new();
}

/* Runs fn(i, out) in n children at once, each on its own connections
 * (tu_concurrently): child i's size bytes of out come back at
 * results + i * size. A failure in any child fails the test. */
static void
run_concurrently(int n, void (*fn)(int, void *), void *results,
    size_t size)
{
	tu_concurrently(n, child_connect, fn, results, size);
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
	ck_assert_int_eq(call_full("POST", ORDERS, tok,
	    "{\"shipping_address\":\"  1 Main St  \",\"shipping_method\":"
	    "\"express\",\"notes\":\"ring twice\",\"items\":["
	    "{\"product_id\":2,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":3}]}", NULL, &o, NULL, &raw), 201);
	id = jint(o, "id");
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
	ck_assert_int_gt(jint(o, "user_id"), 0);
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	items = json_object_object_get(o, "items");
	ck_assert_uint_eq(json_object_array_length(items), 2);
	for (i = 0; i < 2; i++) {
		it = json_object_array_get_idx(items, i);
		ck_assert_int_eq(jint(it, "order_id"), id);
		ck_assert_int_gt(jint(it, "id"), 0);
		ck_assert(!json_has(it, "product_name"));
		if (jint(it, "product_id") == 1) {
			ck_assert_int_eq(jint(it, "quantity"), 3);
			ck_assert(fabs(json_object_get_double(
			    json_object_object_get(it, "unit_price")) - 19.9) <
			    1e-9);
		} else
			ck_assert_int_eq(jint(it, "quantity"), 1);
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
	ck_assert_int_eq(call_full("POST", ORDERS, tok, "{\"shipping_address\""
	    ":\"x\",\"shipping_method\":null,\"notes\":\"n\",\"items\":["
	    "{\"product_id\":3,\"quantity\":1},"
	    "{\"product_id\":1,\"quantity\":2},"
	    "{\"product_id\":2,\"quantity\":3}]}", NULL, &o, NULL,
	    &created), 201);
	id = jint(o, "id");
	items = json_object_object_get(o, "items");
	ck_assert_uint_eq(json_object_array_length(items), 3);
	for (i = 0; i < 3; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		ck_assert_int_eq(jint(it, "product_id"), listed[i]);
		ck_assert_int_gt(jint(it, "id"), prev);
		prev = jint(it, "id");
	}
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_str_eq(json_get_str(o, "created_at"),
	    json_get_str(o, "updated_at"));
	path = order_path(id);
	ck_assert_int_eq(call_full("GET", path, tok, NULL, NULL, NULL, NULL,
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

/* Stock of an inventory record read through the API, and so through
 * the cache: "quantity_in_stock" or "quantity_reserved" of path. */
static int64_t
api_stock(const char *token, const char *path, const char *field)
{
	struct json_object *o = NULL;
	int64_t v;

	ck_assert_int_eq(call("GET", path, token, NULL, &o), 200);
	v = jint(o, field);
	json_object_put(o);
	return v;
}

/* Every read of product pid's record (by record id inv and by product)
 * shows stock and reserved; each also caches what it read. */
static void
expect_api_stock(const char *token, int64_t inv, int64_t pid,
    int64_t in_stock, int64_t reserved)
{
	char *paths[2];
	int i;

	paths[0] = xasprintf("/api/v1/inventory/%" PRId64, inv);
	paths[1] = xasprintf("/api/v1/inventory/product/%" PRId64, pid);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(api_stock(token, paths[i],
		    "quantity_in_stock"), in_stock);
		ck_assert_int_eq(api_stock(token, paths[i],
		    "quantity_reserved"), reserved);
		free(paths[i]);
	}
}

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
	id = jint(o, "id");
	json_object_put(o);
	expect_api_stock(tok, 1, 7, 10, 2);
	expect_api_stock(tok, 2, 3, 10, 1);
	ck_assert_int_eq(cancel(tok, id), 204);
	expect_api_stock(tok, 1, 7, 10, 0);
	expect_api_stock(tok, 2, 3, 10, 0);
	ck_assert_int_eq(call("POST", ORDERS, tok, two, &o), 201);
	id = jint(o, "id");
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
	ck_assert_int_eq(call_full("GET", ORDERS, a, NULL, NULL, &o, &total,
	    NULL), 200);
	ck_assert_int_eq(total, 3);
	ck_assert_uint_eq(json_object_array_length(o), 3);
	/* Newest first, each with its own items. */
	for (i = 0; i < 3; i++) {
		struct json_object *ord = json_object_array_get_idx(o, i);
		struct json_object *items = json_object_object_get(ord,
		    "items");

		ck_assert_int_eq(jint(ord, "id"), ids[2 - i]);
		ck_assert_uint_eq(json_object_array_length(items), 1);
		ck_assert_int_eq(jint(json_object_array_get_idx(items, 0),
		    "quantity"), 3 - i);
		ck_assert_int_eq(jint(json_object_array_get_idx(items, 0),
		    "product_id"), 1 + (2 - i) % 2);
		/* The owner and the product names are the admin's view. */
		ck_assert(!json_has(ord, "user_email"));
		ck_assert(!json_has(json_object_array_get_idx(items, 0),
		    "product_name"));
	}
	json_object_put(o);
	ck_assert_int_eq(call_full("GET", ORDERS "?limit=2&skip=1", a, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 3);
	ck_assert_uint_eq(json_object_array_length(o), 2);
	first = json_object_array_get_idx(o, 0);
	ck_assert_int_eq(jint(first, "id"), ids[1]);
	json_object_put(o);
	ck_assert_int_eq(cancel(a, ids[0]), 204);
	ck_assert_int_eq(call_full("GET", ORDERS "?status=cancelled", a, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0), "id"), ids[0]);
	json_object_put(o);
	ck_assert_int_eq(call_full("GET", ORDERS "?status=pending", a, NULL,
	    NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 2);
	json_object_put(o);
	ck_assert_int_eq(call_full("GET", ORDERS "?status=shipped", b, NULL,
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
	return jint(*body, "id");
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

		ck_assert_int_eq(jint(ord, "id"), ids[i]);
		ck_assert(is_iso_time(json_get_str(ord, "created_at")));
		ck_assert(is_iso_time(json_get_str(ord, "updated_at")));
		ck_assert_uint_eq(json_object_array_length(items), nitems[i]);
		for (j = 0; j < nitems[i]; j++) {
			struct json_object *it = json_object_array_get_idx(
			    items, j);

			ck_assert_int_eq(jint(it, "product_id"), given[i][j]);
			ck_assert_int_eq(jint(it, "order_id"), ids[i]);
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

	ck_assert_int_eq(call_full("GET", path, token, NULL, NULL, &o, &total,
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
	ck_assert_int_eq(jint(o, "id"), id);
	ck_assert_str_eq(json_get_str(o, "status"), "pending");
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "items")), 1);
	json_object_put(o);
	ck_assert_int_eq(call("GET", path, admin, NULL, &o), 200);
	ck_assert_int_eq(jint(o, "id"), id);
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
	ck_assert_int_eq(call_full("GET", ORDERS "/admin", admin, NULL, NULL,
	    &o, &total, NULL), 200);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(o), 2);
	ord = json_object_array_get_idx(o, 0);	/* newest: Bob's */
	ck_assert_int_eq(jint(ord, "id"), idb);
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
	ck_assert_int_eq(call_full("GET", path, admin, NULL, NULL, &o, &total,
	    NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0), "id"), ida);
	json_object_put(o);
	free(path);
	ck_assert_int_eq(set_status(admin, idb, "processing"), 200);
	ck_assert_int_eq(call_full("GET", ORDERS "/admin?status=processing",
	    admin, NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(o, 0), "id"), idb);
	json_object_put(o);
	path = xasprintf(ORDERS "/admin?user_id=%" PRId64 "&status=pending",
	    bid);
	ck_assert_int_eq(call_full("GET", path, admin, NULL, NULL, &o, &total,
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
	ck_assert_int_eq(call_full("GET", ORDERS "/admin?limit=1000", admin,
	    NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 30);
	for (i = 0; i < 30; i++) {
		ord = json_object_array_get_idx(o, i);
		items = json_object_object_get(ord, "items");
		ck_assert_uint_eq(json_object_array_length(items), 3);
		for (j = 0; j < 3; j++)
			ck_assert_int_eq(jint(json_object_array_get_idx(items,
			    j), "order_id"), jint(ord, "id"));
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
	ck_assert_int_eq(call_full("GET", ORDERS "/admin?user_id=1", admin,
	    NULL, NULL, NULL, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(call_full("GET", ORDERS "?status=%70ending", u, NULL,
	    NULL, NULL, &total, NULL), 200);
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
	send_req("GET", ORDERS, u, NULL, NULL, &get);
	send_req("HEAD", ORDERS, u, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 200);
	ck_assert(head.omit_body);
	ck_assert_str_eq(http_resp_get_header(&head, "X-Total-Count"), "2");
	ck_assert_uint_eq(head.body_len, get.body_len);
	http_resp_free(&get);
	http_resp_free(&head);
	send_req("HEAD", ORDERS "/99", u, NULL, NULL, &head);
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

/* ---- transitions ---- */

START_TEST(admin_update_order_status)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	path = order_path(id);
	expect_stock(1, 10, 3);
	/* pending -> processing keeps the one reservation. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"processing\"}",
	    &o), 200);
	ck_assert_str_eq(json_get_str(o, "status"), "processing");
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "items")), 1);
	json_object_put(o);
	expect_stock(1, 10, 3);
	expect_invariants();
	/* processing -> shipped deducts it from stock and reserved. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"shipped\","
	    "\"tracking_number\":\" TRK-1 \"}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "status"), "shipped");
	ck_assert_str_eq(json_get_str(o, "tracking_number"), "TRK-1");
	json_object_put(o);
	expect_stock(1, 7, 0);
	expect_invariants();
	/* The same status again: only the texts change, no stock. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"shipped\","
	    "\"notes\":\"left at door\"}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "tracking_number"), "TRK-1");
	ck_assert_str_eq(json_get_str(o, "notes"), "left at door");
	json_object_put(o);
	expect_stock(1, 7, 0);
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	expect_stock(1, 7, 0);
	expect_invariants();
	expect_error("PUT", ORDERS "/9999", admin, "{\"status\":\"shipped\"}",
	    404, "Order with id 9999 not found");
	/* A pending order can be shipped only through processing. */
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "shipped"), 200);
	expect_stock(1, 5, 0);
	expect_invariants();
	free(path);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(order_cancellation)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id, id2;
	char *path, *s;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 4), 0);
	ck_assert_int_gt(order_one(tok, 1, 1), 0);
	expect_stock(1, 10, 5);
	ck_assert_int_eq(cancel(tok, id), 204);
	s = status_of(tok, id);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 10, 1);
	/* Released exactly once: a second cancel is refused and changes
	 * nothing. */
	path = order_path(id);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in cancelled status");
	expect_error("DELETE", path, admin, NULL, 400,
	    "Cannot cancel order in cancelled status");
	expect_stock(1, 10, 1);
	/* A PUT of cancelled on a cancelled order is a no-op, not a second
	 * release. */
	ck_assert_int_eq(set_status(admin, id, "cancelled"), 200);
	expect_stock(1, 10, 1);
	expect_invariants();
	free(path);
	/* From processing, by an admin, for someone else's order. */
	ck_assert_int_gt(id2 = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(set_status(admin, id2, "processing"), 200);
	expect_stock(1, 10, 4);
	ck_assert_int_eq(cancel(admin, id2), 204);
	expect_stock(1, 10, 1);
	/* The admin's PUT cancels too, releasing once. */
	ck_assert_int_gt(id2 = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id2, "cancelled"), 200);
	expect_stock(1, 10, 1);
	expect_invariants();
	expect_error("DELETE", ORDERS "/9999", tok, NULL, 404,
	    "Order with id 9999 not found");
	ck_assert_int_eq(cancel(NULL, id), 401);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(cannot_cancel_shipped_order)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "shipped"), 200);
	path = order_path(id);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in shipped status");
	expect_error("DELETE", path, admin, NULL, 400,
	    "Cannot cancel order in shipped status");
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in delivered status");
	expect_stock(1, 8, 0);
	expect_invariants();
	free(path);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(invalid_status_transitions)
{
	static const struct {
		const char	*path[3];	/* statuses to get there */
		const char	*to;
		const char	*msg;
	} cases[] = {
		{ { NULL }, "shipped",
		    "Invalid status transition from pending to shipped" },
		{ { NULL }, "delivered",
		    "Invalid status transition from pending to delivered" },
		{ { "processing" }, "pending",
		    "Invalid status transition from processing to pending" },
		{ { "processing" }, "delivered",
		    "Invalid status transition from processing to delivered" },
		{ { "processing", "shipped" }, "pending",
		    "Invalid status transition from shipped to pending" },
		{ { "processing", "shipped" }, "processing",
		    "Invalid status transition from shipped to processing" },
		{ { "processing", "shipped" }, "cancelled",
		    "Invalid status transition from shipped to cancelled" },
		{ { "processing", "shipped", "delivered" }, "shipped",
		    "Cannot change status of a delivered order" },
		{ { "processing", "shipped", "delivered" }, "cancelled",
		    "Cannot change status of a delivered order" },
		{ { "processing", "shipped", "delivered" }, "pending",
		    "Cannot change status of a delivered order" },
		{ { "cancelled" }, "pending",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "processing",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "shipped",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "delivered",
		    "Cannot reactivate a cancelled order" },
	};
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id, before_stock, before_res, after_stock, after_res;
	char *path, *body, *s;
	size_t i, k;

	seed_product(1, "Widget", "3.00", 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_gt(id = order_one(tok, 1, 1), 0);
		for (k = 0; k < 3 && cases[i].path[k] != NULL; k++)
			ck_assert_int_eq(set_status(admin, id,
			    cases[i].path[k]), 200);
		path = order_path(id);
		body = xasprintf("{\"status\":\"%s\"}", cases[i].to);
		stock_of(1, &before_stock, &before_res);
		s = status_of(tok, id);
		expect_error("PUT", path, admin, body, 400, cases[i].msg);
		stock_of(1, &after_stock, &after_res);
		ck_assert_int_eq(before_stock, after_stock);
		ck_assert_int_eq(before_res, after_res);
		free(s);
		s = status_of(tok, id);
		ck_assert_str_eq(s, k > 0 ? cases[i].path[k - 1] : "pending");
		free(s);
		free(body);
		free(path);
	}
	expect_invariants();
	ck_assert_int_gt(id = order_one(tok, 1, 1), 0);
	path = order_path(id);
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"lost\"}",
	    NULL), 422);
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"PENDING\"}",
	    NULL), 422);
	ck_assert_int_eq(call("PUT", path, admin, "{\"tracking_number\":"
	    "\"x\"}", NULL), 422);
	free(path);
	free(tok);
	free(admin);
}
END_TEST

/* ---- the worker's step ---- */

START_TEST(process_order_step)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	struct json_object *o = NULL;
	enum order_status final;
	int64_t id, id2;
	char *s, *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 3);
	/* A job run twice finds the work done. */
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, false,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 3);
	/* Payment failure: cancelled, released, noted after the notes. */
	ck_assert_int_eq(call("POST", ORDERS, tok, "{\"shipping_address\":"
	    "\"x\",\"notes\":\"gift\",\"items\":[{\"product_id\":1,"
	    "\"quantity\":2}]}", &o), 201);
	id2 = jint(o, "id");
	json_object_put(o);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id2, false,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	path = order_path(id2);
	ck_assert_int_eq(call("GET", path, tok, NULL, &o), 200);
	ck_assert_str_eq(json_get_str(o, "notes"),
	    "gift\nPayment processing failed");
	json_object_put(o);
	free(path);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id2, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, 9999, true,
	    &final), INV_NOTFOUND);
	/* An order that holds nothing (made before reservations, say) is
	 * reserved now ... (Its reservation is undone by hand, in the
	 * order's name: a movement without an order is a manual hold.) */
	ck_assert_int_gt(id = order_one(tok, 1, 4), 0);
	sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64, id);
	sql("UPDATE inventory SET quantity_reserved = quantity_reserved - 4 "
	    "WHERE product_id = 1; INSERT INTO stock_movements (inventory_id, "
	    "product_id, change_in_stock, change_reserved, reason, order_id) "
	    "VALUES (1, 1, 0, -4, 'test', %" PRId64 ")", id);
	expect_stock(1, 10, 3);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 7);
	expect_invariants();
	/* ... or, when the stock is gone, cancelled saying why. */
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64, id);
	sql("UPDATE inventory SET quantity_reserved = quantity_reserved - 3 "
	    "WHERE product_id = 1; INSERT INTO stock_movements (inventory_id, "
	    "product_id, change_in_stock, change_reserved, reason, order_id) "
	    "VALUES (1, 1, 0, -3, 'test', %" PRId64 ")", id);
	sql("UPDATE inventory SET quantity_in_stock = 8 WHERE product_id = 1;"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) VALUES "
	    "(1, 1, -2, 0, 'test')");
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	s = status_of(tok, id);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 8, 7);
	expect_invariants();
	free(tok);
}
END_TEST

/* ---- concurrency ---- */

/* The race's shared state, set before the fork. */
static char *race_tokens[64];
static int64_t race_product;
static int race_qty;
static char race_refusal[128];	/* the losers' exact detail */

/* "Insufficient stock ..." as order_flow words it, in buf. */
static const char *
short_of(char *buf, size_t len, const char *name, int64_t available)
{
	snprintf(buf, len, "Insufficient stock for product %s. Available: %"
	    PRId64, name, available);
	return buf;
}

/* Child i of the race: 1 or 2 orders; *out, an int, how many were made.
 * Every refusal is the 400 that names what is left. */
static void
race_child(int i, void *out)
{
	struct json_object *o;
	char *body = order_body(race_product, race_qty);
	int n = 1 + (i < 28), k, st;

	for (k = 0; k < n; k++) {
		o = NULL;
		st = call("POST", ORDERS, race_tokens[i % 8], body, &o);
		if (st == 201)
			(*(int *)out)++;
		else
			expect_detail("POST /orders", st, o, 400,
			    race_refusal);
		json_object_put(o);
	}
	free(body);
}

START_TEST(reserve_inventory_race_condition)
{
	enum { K = 20, CLIENTS = 32 };
	char *admin = user_token("a@example.com", "A", true, NULL);
	int made[CLIENTS], i, total = 0;
	char email[64];

	/* 32 clients place 3K = 60 single-unit orders for K units. */
	seed_product(1, "Widget", "1.00", K);
	for (i = 0; i < 8; i++) {
		snprintf(email, sizeof(email), "r%d@example.com", i);
		race_tokens[i] = user_token(email, "R", false, NULL);
	}
	race_product = 1;
	race_qty = 1;
	short_of(race_refusal, sizeof(race_refusal), "Widget", 0);
	memset(made, 0, sizeof(made));
	run_concurrently(CLIENTS, race_child, made, sizeof(made[0]));
	for (i = 0; i < CLIENTS; i++)
		total += made[i];
	ck_assert_int_eq(total, K);
	ck_assert_int_eq(order_count(admin), K);
	expect_stock(1, K, K);
	expect_invariants();
	for (i = 0; i < 8; i++)
		free(race_tokens[i]);
	free(admin);
}
END_TEST

START_TEST(reserve_race_several_units)
{
	enum { STOCK = 20, QTY = 3, CLIENTS = 16 };
	int made[CLIENTS], i, total = 0;
	char email[64];

	/* floor(20 / 3) = 6 orders of 3 fit; 2 units stay available, and
	 * every refusal says so. */
	seed_product(1, "Widget", "1.00", STOCK);
	for (i = 0; i < 8; i++) {
		snprintf(email, sizeof(email), "r%d@example.com", i);
		race_tokens[i] = user_token(email, "R", false, NULL);
	}
	race_product = 1;
	race_qty = QTY;
	short_of(race_refusal, sizeof(race_refusal), "Widget", STOCK % QTY);
	memset(made, 0, sizeof(made));
	run_concurrently(CLIENTS, race_child, made, sizeof(made[0]));
	for (i = 0; i < CLIENTS; i++)
		total += made[i];
	ck_assert_int_eq(total, STOCK / QTY);
	expect_stock(1, STOCK, STOCK / QTY * QTY);
	expect_invariants();
	for (i = 0; i < 8; i++)
		free(race_tokens[i]);
}
END_TEST

/* The multi-item race's orders: two products listed in either order,
 * and a single one; units of product 0 are unused. */
static const struct {
	int	n;
	int	pid[2];
	int	qty[2];
} multi_orders[] = {
	{ 2, { 1, 2 }, { 1, 2 } },
	{ 2, { 2, 1 }, { 1, 2 } },
	{ 1, { 2, 0 }, { 1, 0 } },
};
static const char *const multi_names[] = { NULL, "Widget", "Gadget" };

/* What a child of the multi-item race made: orders, and the units of
 * each product their 201 answers list. */
struct multi_made {
	int	orders;
	int64_t	units[3];
};

/* Whether why is the refusal of order k: short of one of its products,
 * with fewer units available than it asked for. */
static bool
multi_refusal(int k, const char *why)
{
	char want[128];
	int j, avail;

	for (j = 0; why != NULL && j < multi_orders[k].n; j++)
		for (avail = 0; avail < multi_orders[k].qty[j]; avail++)
			if (strcmp(why, short_of(want, sizeof(want),
			    multi_names[multi_orders[k].pid[j]], avail)) == 0)
				return true;
	return false;
}

static void
multi_child(int i, void *out)
{
	struct multi_made *m = out;
	struct json_object *o, *items, *it;
	char *body;
	size_t j;
	int k, n, st;

	for (n = 0; n < 3; n++) {
		k = (i + n) % 3;
		body = multi_orders[k].n == 2 ? xasprintf(
		    "{\"shipping_address\":\"x\",\"items\":["
		    "{\"product_id\":%d,\"quantity\":%d},"
		    "{\"product_id\":%d,\"quantity\":%d}]}",
		    multi_orders[k].pid[0], multi_orders[k].qty[0],
		    multi_orders[k].pid[1], multi_orders[k].qty[1]) :
		    xasprintf("{\"shipping_address\":\"x\",\"items\":["
		    "{\"product_id\":%d,\"quantity\":%d}]}",
		    multi_orders[k].pid[0], multi_orders[k].qty[0]);
		o = NULL;
		st = call("POST", ORDERS, race_tokens[i % 8], body, &o);
		if (st == 201) {
			m->orders++;
			items = json_object_object_get(o, "items");
			ck_assert_uint_eq(json_object_array_length(items),
			    (size_t)multi_orders[k].n);
			for (j = 0; j < json_object_array_length(items); j++) {
				it = json_object_array_get_idx(items, j);
				ck_assert(jint(it, "product_id") == 1 ||
				    jint(it, "product_id") == 2);
				m->units[jint(it, "product_id")] +=
				    jint(it, "quantity");
			}
		} else {
			ck_assert_msg(st == 400 && multi_refusal(k, detail(o)),
			    "%s: %d \"%s\", expected 400 short of one of its "
			    "products", body, st,
			    detail(o) != NULL ? detail(o) : "(none)");
		}
		json_object_put(o);
		free(body);
	}
}

START_TEST(multi_item_orders_under_contention)
{
	enum { CLIENTS = 32 };
	struct multi_made made[CLIENTS];
	int64_t units[3] = { 0, 0, 0 }, s, r;
	int i, p, orders = 0;
	char email[64];

	seed_product(1, "Widget", "1.00", 25);
	seed_product(2, "Gadget", "1.00", 30);
	for (i = 0; i < 8; i++) {
		snprintf(email, sizeof(email), "m%d@example.com", i);
		race_tokens[i] = user_token(email, "M", false, NULL);
	}
	memset(made, 0, sizeof(made));
	run_concurrently(CLIENTS, multi_child, made, sizeof(made[0]));
	for (i = 0; i < CLIENTS; i++) {
		orders += made[i].orders;
		for (p = 1; p <= 2; p++)
			units[p] += made[i].units[p];
	}
	/* Both kinds of answer, so the race was real. */
	ck_assert_int_gt(orders, 0);
	ck_assert_int_lt(orders, 3 * CLIENTS);
	/* What the 201 answers list is what is reserved, to the unit. */
	for (p = 1; p <= 2; p++) {
		stock_of(p, &s, &r);
		ck_assert_msg(r == units[p], "product %d: %" PRId64 " reserved, "
		    "the orders made list %" PRId64, p, r, units[p]);
	}
	/* Never part of an order: what is reserved is exactly what the
	 * orders hold, and never more than the stock. */
	expect_invariants();
	for (i = 0; i < 8; i++)
		free(race_tokens[i]);
}
END_TEST

static char *cs_owner, *cs_admin;
static int64_t cs_orders[8];

/* Even children cancel order i/2 as its owner, odd ones ship it; *out,
 * an int, 1 for the winner. The loser is refused in the words of what
 * the winner did. */
static void
cancel_ship_child(int i, void *out)
{
	struct json_object *o = NULL;
	char *path = order_path(cs_orders[i / 2]);
	int st;

	if (i % 2 == 0) {
		st = call("DELETE", path, cs_owner, NULL, &o);
		if (st != 204)
			expect_detail("cancel", st, o, 400,
			    "Cannot cancel order in shipped status");
		*(int *)out = st == 204;
	} else {
		st = call("PUT", path, cs_admin, "{\"status\":\"shipped\"}",
		    &o);
		if (st != 200)
			expect_detail("ship", st, o, 400,
			    "Cannot reactivate a cancelled order");
		*(int *)out = st == 200;
	}
	json_object_put(o);
	free(path);
}

START_TEST(concurrent_cancel_and_ship)
{
	enum { N = 8 };
	int won[2 * N], i, shipped = 0;
	char *s;

	cs_owner = user_token("u@example.com", "U", false, NULL);
	cs_admin = user_token("a@example.com", "A", true, NULL);
	seed_product(1, "Widget", "1.00", 100);
	for (i = 0; i < N; i++) {
		ck_assert_int_gt(cs_orders[i] = order_one(cs_owner, 1, i + 1),
		    0);
		ck_assert_int_eq(set_status(cs_admin, cs_orders[i],
		    "processing"), 200);
	}
	memset(won, 0, sizeof(won));
	run_concurrently(2 * N, cancel_ship_child, won, sizeof(won[0]));
	for (i = 0; i < N; i++) {
		/* Exactly one of the two wins; the other is refused. */
		ck_assert_int_eq(won[2 * i] + won[2 * i + 1], 1);
		s = status_of(cs_owner, cs_orders[i]);
		if (won[2 * i + 1]) {
			ck_assert_str_eq(s, "shipped");
			shipped += i + 1;
		} else
			ck_assert_str_eq(s, "cancelled");
		free(s);
	}
	expect_stock(1, 100 - shipped, 0);
	expect_invariants();
	free(cs_owner);
	free(cs_admin);
}
END_TEST

/* ---- the race harness itself ---- */

/* Child 1 fails an assertion, as a 500 or a wrong refusal would. */
static void
fails_on_purpose(int i, void *out)
{
	(void)out;
	ck_assert_msg(i != 1, "child %d fails on purpose", i);
}

/* Child 1 ends without a word, as an exit deep in a helper would. */
static void
exits_on_purpose(int i, void *out)
{
	(void)out;
	if (i == 1)
		tu_child_exit(0);
}

/* Child 1 dies of a signal, as a crash would. */
static void
dies_on_purpose(int i, void *out)
{
	(void)out;
	if (i == 1)
		raise(SIGKILL);
}

/* Child 1 cannot reach MariaDB before the barrier. */
static void
cannot_connect(int i)
{
	if (i == 1)
		setenv("INVENTORY_DB_SOCKET", "/nonexistent/db.sock", 1);
	child_connect(i);
}

static void
reports_its_square(int i, void *out)
{
	*(int *)out = i * i;
}

/*
 * A child's failure is the race's: in the harness this replaced, any
 * exit status under 250 read as a result, so a child whose assertion
 * failed (status 1) counted as "1 order made" and Check said "Checks:
 * 1, Failures: 0".
 */
START_TEST(a_failing_child_fails_the_race)
{
	char why[1024];
	int got[3] = { -1, -1, -1 };

	ck_assert(!tu_race(3, child_connect, fails_on_purpose, NULL, 0, why,
	    sizeof(why)));
	ck_assert_msg(strncmp(why, "1 of 3 children failed: child 1: ",
	    strlen("1 of 3 children failed: child 1: ")) == 0 &&
	    strstr(why, "check_orders.c:") != NULL &&
	    strstr(why, "child 1 fails on purpose") != NULL, "%s", why);
	ck_assert(!tu_race(3, child_connect, exits_on_purpose, NULL, 0, why,
	    sizeof(why)));
	ck_assert_str_eq(why, "1 of 3 children failed: child 1: reported "
	    "nothing");
	ck_assert(!tu_race(3, child_connect, dies_on_purpose, NULL, 0, why,
	    sizeof(why)));
	ck_assert_str_eq(why, "1 of 3 children failed: child 1: died of "
	    "signal 9");
	ck_assert(!tu_race(3, cannot_connect, reports_its_square, got,
	    sizeof(got[0]), why, sizeof(why)));
	ck_assert_msg(strncmp(why, "1 of 3 children failed: child 1: ",
	    strlen("1 of 3 children failed: child 1: ")) == 0 &&
	    strstr(why, "cannot reach MariaDB") != NULL, "%s", why);
	/* And when every child passes, so does the race, with each one's
	 * result in its place. */
	ck_assert_msg(tu_race(3, child_connect, reports_its_square, got,
	    sizeof(got[0]), why, sizeof(why)), "%s", why);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], 4);
}
END_TEST

/* ---- Idempotency-Key ---- */

#define IDEM_BODY "{\"shipping_address\":\"x\",\"items\":" \
	"[{\"product_id\":1,\"quantity\":1}]}"
/* IDEM_BODY as the key's row compares it: its meaning, canonical. */
#define IDEM_CANON "{\"items\":[{\"product_id\":1,\"quantity\":1}]," \
	"\"notes\":null,\"shipping_address\":\"x\",\"shipping_method\":null}"

START_TEST(idempotency_key_replays)
{
	int64_t total;
	char *a = user_token("a@example.com", "A", false, NULL);
	char *b = user_token("b@example.com", "B", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	struct json_object *o = NULL;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_eq(call_full("POST", ORDERS, a, IDEM_BODY, "key-1", NULL,
	    NULL, &first), 201);
	ck_assert_int_eq(call_full("POST", ORDERS, a, IDEM_BODY, "key-1", NULL,
	    NULL, &again), 201);
	ck_assert_str_eq(first, again);
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 10, 1);
	free(again);
	/* Whitespace does not make it another request. */
	ck_assert_int_eq(call_full("POST", ORDERS, a, "{ \"shipping_address\""
	    ": \"x\", \"items\": [{\"product_id\": 1, \"quantity\": 1}] }",
	    "key-1", NULL, NULL, &again), 201);
	ck_assert_str_eq(first, again);
	free(again);
	/* Another user's key of the same name is another key. */
	ck_assert_int_eq(call_full("POST", ORDERS, b, IDEM_BODY, "key-1", NULL,
	    NULL, &again), 201);
	ck_assert_str_ne(first, again);
	free(again);
	ck_assert_int_eq(order_count(admin), 2);
	/* The same key with another request is refused. */
	ck_assert_int_eq(call_full("POST", ORDERS, a, "{\"shipping_address\":"
	    "\"y\",\"items\":[{\"product_id\":1,\"quantity\":1}]}", "key-1",
	    &o, NULL, NULL), 422);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0), "loc"), 1)),
	    "idempotency-key");
	json_object_put(o);
	/* Without a key, the same body makes another order. */
	ck_assert_int_eq(call("POST", ORDERS, a, IDEM_BODY, NULL), 201);
	ck_assert_int_eq(call_full("GET", ORDERS, a, NULL, NULL, NULL, &total,
	    NULL), 200);
	ck_assert_int_eq(total, 2);
	expect_stock(1, 10, 3);
	expect_invariants();
	free(first);
	free(a);
	free(b);
	free(admin);
}
END_TEST

/* POST /orders with a key; returns the status, *raw the body (new),
 * *replayed whether it was a replay (either may be NULL). */
static int
post_keyed(const char *token, const char *body, const char *key,
    char **raw, bool *replayed)
{
	struct http_resp resp;
	int status = send_req("POST", ORDERS, token, body, key, &resp);

	if (raw != NULL)
		*raw = xstrndup(resp.body != NULL ? resp.body : "",
		    resp.body != NULL ? resp.body_len : 0);
	if (replayed != NULL)
		*replayed = http_resp_get_header(&resp,
		    "Idempotent-Replayed") != NULL;
	http_resp_free(&resp);
	return status;
}

START_TEST(idempotency_key_in_progress_and_expiry)
{
	int64_t uid;
	char *a = user_token("a@example.com", "A", false, &uid);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	struct db_val p[4];
	bool replayed;

	seed_product(1, "Widget", "1.00", 10);
	/* A claim whose request is still running elsewhere. */
	p[0] = DB_INT(uid);
	p[1] = DB_STR("busy");
	p[2] = DB_STR(IDEM_CANON);
	p[3] = DB_INT(3600);
	ck_assert_int_eq(db_exec(app->db, STMT_IDEM_INSERT, p, 4, NULL, NULL,
	    NULL), INV_OK);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &first, NULL), 409);
	ck_assert(strstr(first, "Request with this Idempotency-Key is in "
	    "progress") != NULL);
	free(first);
	ck_assert_int_eq(order_count(admin), 0);
	/* Its process died: after a while a retry takes the claim over. */
	sql("UPDATE idempotency_keys SET created_at = created_at - "
	    "INTERVAL 1 HOUR WHERE idem_key = 'busy'");
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &first, &replayed),
	    201);
	ck_assert(!replayed);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &again, &replayed),
	    201);
	ck_assert(replayed);
	ck_assert_str_eq(first, again);
	free(again);
	ck_assert_int_eq(order_count(admin), 1);
	/* An expired key is a new key. */
	sql("UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP() - "
	    "INTERVAL 1 SECOND WHERE idem_key = 'busy'");
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &again, &replayed),
	    201);
	ck_assert(!replayed);
	ck_assert_str_ne(first, again);
	free(again);
	free(first);
	ck_assert_int_eq(order_count(admin), 2);
	expect_stock(1, 10, 2);
	expect_invariants();
	free(a);
	free(admin);
}
END_TEST

START_TEST(idempotency_key_refusals)
{
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	static const char big[] = "{\"shipping_address\":\"x\",\"items\":"
	    "[{\"product_id\":1,\"quantity\":5}]}";
	char *first = NULL, *again = NULL, key[130];
	bool replayed;

	seed_product(1, "Widget", "1.00", 3);
	/* A refusal is the answer to that key, replayed as it was... */
	ck_assert_int_eq(post_keyed(a, big, "k", &first, &replayed), 400);
	ck_assert(!replayed);
	sql("UPDATE inventory SET quantity_in_stock = 10 WHERE product_id = 1;"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) VALUES "
	    "(1, 1, 7, 0, 'restock')");
	ck_assert_int_eq(post_keyed(a, big, "k", &again, &replayed), 400);
	ck_assert(replayed);
	ck_assert_str_eq(first, again);
	free(first);
	free(again);
	ck_assert_int_eq(order_count(admin), 0);
	/* ... and a new attempt takes a new key. */
	ck_assert_int_eq(post_keyed(a, big, "k2", NULL, NULL), 201);
	/* Validation errors claim nothing. */
	ck_assert_int_eq(post_keyed(a, "{\"items\":[]}", "k3", NULL, NULL),
	    422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "k3", NULL, NULL), 201);
	/* Keys are 1..128 printable ASCII characters. */
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "", NULL, NULL), 422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "tab\there", NULL, NULL),
	    422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "caf\xc3\xa9", NULL, NULL),
	    422);
	memset(key, 'k', 129);
	key[129] = '\0';
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, &first, NULL), 422);
	ck_assert(strstr(first, "\"loc\":[\"header\",\"idempotency-key\"]") !=
	    NULL);
	free(first);
	key[128] = '\0';
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, NULL, NULL), 201);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, NULL, &replayed), 201);
	ck_assert(replayed);
	ck_assert_int_eq(order_count(admin), 3);
	expect_invariants();
	free(a);
	free(admin);
}
END_TEST

/* The same order with its members in another order, its items in
 * another order, other white space and defaults spelt out was refused
 * as "already used with a different request": a replay compares what
 * the request means, not its bytes. */
START_TEST(idempotency_key_replays_reordered_keys)
{
	static const char first_body[] = "{\"shipping_address\":\"1 Main "
	    "St\",\"items\":[{\"product_id\":1,\"quantity\":2},"
	    "{\"product_id\":2,\"quantity\":1}]}";
	static const char *const same[] = {
		"{\"items\":[{\"quantity\":2,\"product_id\":1},"
		    "{\"quantity\":1,\"product_id\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":2,\"quantity\":1},"
		    "{\"product_id\":1,\"quantity\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\n  \"shipping_method\": null,\n  \"notes\": null,\n"
		    "  \"shipping_address\": \"  1 Main St \",\n"
		    "  \"items\": [ { \"product_id\": 1, \"quantity\": 2 },"
		    " { \"product_id\": 2, \"quantity\": 1 } ],\n"
		    "  \"unknown\": [1, 2, 3]\n}",
	};
	static const char *const other[] = {
		"{\"items\":[{\"product_id\":1,\"quantity\":3},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\",\"notes\":\"\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\","
		    "\"shipping_method\":\"\"}",
	};
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	bool replayed;
	size_t i;

	seed_product(1, "Widget", "1.00", 10);
	seed_product(2, "Gadget", "2.00", 10);
	ck_assert_int_eq(post_keyed(a, first_body, "order-7", &first,
	    &replayed), 201);
	ck_assert(!replayed);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		ck_assert_msg(post_keyed(a, same[i], "order-7", &again,
		    &replayed) == 201, "same[%zu]: %s", i, again);
		ck_assert(replayed);
		ck_assert_str_eq(first, again);
		free(again);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ck_assert_msg(post_keyed(a, other[i], "order-7", &again,
		    NULL) == 422, "other[%zu]: %s", i, again);
		ck_assert(strstr(again, "already used with a different "
		    "request") != NULL);
		free(again);
	}
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 10, 2);
	expect_stock(2, 10, 1);
	expect_invariants();
	free(first);
	free(a);
	free(admin);
}
END_TEST

/* An empty or blank Idempotency-Key was treated as no key (a second
 * order on a retry): it is a 422 naming the header, and nothing is
 * made. */
START_TEST(idempotency_key_blank_is_422)
{
	static const char *const keys[] = { "", " ", "   ", "\t", " \t " };
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *body = NULL;
	size_t i;

	seed_product(1, "Widget", "1.00", 10);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_int_eq(post_keyed(a, IDEM_BODY, keys[i], &body,
		    NULL), 422);
		ck_assert_msg(strstr(body, "\"loc\":[\"header\","
		    "\"idempotency-key\"]") != NULL, "key \"%s\": %s",
		    keys[i], body);
		free(body);
	}
	ck_assert_int_eq(order_count(admin), 0);
	/* Spaces inside a key are printable characters like others. */
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, " a key ", NULL, NULL), 201);
	ck_assert_int_eq(order_count(admin), 1);
	free(a);
	free(admin);
}
END_TEST

static char *idem_token;

/* What a child of the duplicates race was answered. */
struct idem_answer {
	int	status;
	bool	replayed;
	int64_t	id;		/* the order's, on 201 */
};

/* Every child sends the same request with the same key: it makes the
 * order, replays it, or finds it in progress. */
static void
idem_child(int i, void *out)
{
	struct idem_answer *a = out;
	struct http_resp resp;
	struct json_object *o;

	(void)i;
	a->status = send_req("POST", ORDERS, idem_token, IDEM_BODY,
	    "same-key", &resp);
	o = tu_json(&resp);
	if (a->status == 201) {
		a->replayed = http_resp_get_header(&resp,
		    "Idempotent-Replayed") != NULL;
		a->id = jint(o, "id");
	} else
		expect_detail("POST /orders", a->status, o, 409,
		    "Request with this Idempotency-Key is in progress");
	json_object_put(o);
	http_resp_free(&resp);
}

START_TEST(idempotency_key_concurrent_duplicates)
{
	enum { N = 12 };
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	struct idem_answer got[N];
	int i, made = 0;
	int64_t id = 0;

	idem_token = user_token("a@example.com", "A", false, NULL);
	seed_product(1, "Widget", "1.00", 100);
	memset(got, 0, sizeof(got));
	run_concurrently(N, idem_child, got, sizeof(got[0]));
	/* One made it; every other 201 replays that very order. */
	for (i = 0; i < N; i++)
		if (got[i].status == 201 && !got[i].replayed) {
			made++;
			id = got[i].id;
		}
	ck_assert_int_eq(made, 1);
	for (i = 0; i < N; i++)
		if (got[i].status == 201)
			ck_assert_int_eq(got[i].id, id);
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 100, 1);
	expect_invariants();
	free(idem_token);
	free(admin);
}
END_TEST

/* ---- the stock books: reserved = held by orders + a manual hold ---- */

#define DISAGREE "Stock records disagree; run inventoryctl audit"

/* PUT body on inventory record id as admin; returns the status, *out
 * the parsed body when not NULL. */
static int
put_inventory(const char *admin, int64_t id, const char *body,
    struct json_object **out)
{
	char *path = xasprintf("/api/v1/inventory/%" PRId64, id);
	int status = call("PUT", path, admin, body, out);

	free(path);
	return status;
}

/* Asserts a 422 with one detail, at loc ["body", field], saying msg;
 * frees o. */
static void
expect_422_at(struct json_object *o, const char *field, const char *msg)
{
	struct json_object *d, *loc;
	char *want = xasprintf("[\"body\",\"%s\"]", field);

	d = json_object_array_get_idx(json_object_object_get(o, "detail"), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "detail")), 1);
	loc = json_object_object_get(d, "loc");
	ck_assert_str_eq(json_object_to_json_string_ext(loc,
	    JSON_C_TO_STRING_PLAIN), want);
	ck_assert_str_eq(json_get_str(d, "msg"), msg);
	free(want);
	json_object_put(o);
}

/* Sends method path as token with body and expects 409 DISAGREE, with
 * an error-level log line (this process's stderr, caught in a file)
 * saying so. */
static void
expect_disagree_logged(const char *method, const char *path,
    const char *token, const char *body)
{
	char file[] = "check_orders-log.XXXXXX", text[4096];
	int saved, fd;
	ssize_t n;

	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(fd = mkstemp(file), 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	expect_error(method, path, token, body, 409, DISAGREE);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(file);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	ck_assert_msg(strstr(text, "level=error") != NULL &&
	    strstr(text, "the stock records disagree; run inventoryctl audit")
	    != NULL, "%s %s: not logged at error level: %s", method, path,
	    text);
}

/* The manual hold of product pid's record, as stored. */
static void
expect_manual_hold(int64_t pid, int64_t manual)
{
	expect_sql("SELECT manual_hold = %" PRId64 " FROM inventory WHERE "
	    "product_id = %" PRId64, manual, pid);
}

/*
 * The review's finding: PUT quantity_reserved 0 while orders held 5 was
 * 200, then cancelling those orders 500 and a new order reserved 5 more
 * against 5 in stock. Now the PUT is refused, naming what the orders
 * hold, and changes nothing; the cancels and a full order go through.
 */
START_TEST(books_reserved_below_orders_is_422)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	const char *msg = "quantity_reserved cannot be less than 5, the "
	    "units held by orders";
	struct json_object *o = NULL;
	int64_t a, b;

	seed_product(1, "Widget", "1.00", 5);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":0}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved", msg);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":4,"
	    "\"reorder_level\":1}", &o), 422);
	expect_422_at(o, "quantity_reserved", msg);
	/* Refused whole: no quantity, no reorder level, no ledger row. */
	expect_stock(1, 5, 5);
	expect_sql("SELECT reorder_level = 10 FROM inventory WHERE id = 1");
	expect_sql("SELECT COUNT(*) = 3 FROM stock_movements");
	/* Exactly what orders hold is no manual hold, and no movement. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":5}",
	    NULL), 200);
	expect_manual_hold(1, 0);
	expect_sql("SELECT COUNT(*) = 3 FROM stock_movements");
	ck_assert_int_eq(order_one(tok, 1, 1), -400);
	ck_assert_int_eq(cancel(tok, a), 204);
	ck_assert_int_eq(cancel(tok, b), 204);
	expect_stock(1, 5, 0);
	ck_assert_int_gt(order_one(tok, 1, 5), 0);
	ck_assert_int_eq(order_one(tok, 1, 1), -400);
	expect_stock(1, 5, 5);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/*
 * Between what orders hold and the stock, quantity_reserved is the
 * orders' part plus a manual hold, written to the ledger as a movement
 * without an order. The orders release and ship their own part only;
 * the manual hold stays until a PUT changes it. Every write drops the
 * cached reads of the record.
 */
START_TEST(books_manual_hold_between_orders_and_stock)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	int64_t admin_id;
	char *admin = user_token("a@example.com", "A", true, &admin_id);
	struct json_object *o = NULL;
	int64_t a, b;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	expect_api_stock(tok, 1, 1, 10, 5);	/* cached now */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":8}",
	    &o), 200);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 8);
	ck_assert_int_eq(jint(o, "available_quantity"), 2);
	json_object_put(o);
	expect_api_stock(tok, 1, 1, 10, 8);
	expect_manual_hold(1, 3);
	expect_sql("SELECT COUNT(*) = 1 FROM stock_movements WHERE "
	    "order_id IS NULL AND change_reserved = 3 AND change_in_stock = 0 "
	    "AND user_id = %" PRId64, admin_id);
	expect_invariants();
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":1,\"quantity\":3}]}", 400,
	    "Insufficient stock for product Widget. Available: 2");
	/* Stock under the whole reservation is still refused. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_in_stock\":7}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved",
	    "quantity_reserved cannot exceed quantity_in_stock");
	/* Cancelling and shipping with the manual hold in place. */
	ck_assert_int_eq(cancel(tok, a), 204);
	expect_api_stock(tok, 1, 1, 10, 6);
	ck_assert_int_eq(set_status(admin, b, "processing"), 200);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 200);
	expect_api_stock(tok, 1, 1, 7, 3);
	expect_manual_hold(1, 3);
	expect_invariants();
	/* With no order holding anything, the hold can be set at will. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":0}",
	    NULL), 200);
	expect_api_stock(tok, 1, 1, 7, 0);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_in_stock\":4,"
	    "\"quantity_reserved\":4}", NULL), 200);
	expect_api_stock(tok, 1, 1, 4, 4);
	expect_manual_hold(1, 4);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* POST /inventory with quantity_reserved: all of it is a manual hold
 * (no order can hold units of a product without a record), recorded in
 * the record's first movement, and the audit finds nothing. */
START_TEST(books_created_reservation_is_a_manual_hold)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t a;

	seed_product(1, "Widget", "1.00", -1);
	ck_assert_int_eq(call("GET", "/api/v1/inventory/product/1", tok, NULL,
	    NULL), 404);
	ck_assert_int_eq(call("POST", "/api/v1/inventory", admin,
	    "{\"product_id\":1,\"quantity_in_stock\":10,"
	    "\"quantity_reserved\":3}", &o), 201);
	ck_assert_int_eq(jint(o, "quantity_reserved"), 3);
	json_object_put(o);
	expect_api_stock(tok, 1, 1, 10, 3);
	expect_manual_hold(1, 3);
	expect_sql("SELECT COUNT(*) = 1 AND MIN(change_reserved) = 3 AND "
	    "MIN(change_in_stock) = 10 FROM stock_movements WHERE "
	    "order_id IS NULL");
	expect_invariants();
	ck_assert_int_eq(order_one(tok, 1, 8), -400);
	ck_assert_int_gt(a = order_one(tok, 1, 7), 0);
	/* The orders' 7 cannot be taken by a PUT; the hold can. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":6}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved", "quantity_reserved cannot be "
	    "less than 7, the units held by orders");
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":7}",
	    NULL), 200);
	expect_manual_hold(1, 0);
	ck_assert_int_eq(cancel(tok, a), 204);
	expect_stock(1, 10, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/*
 * Books made to disagree behind the API's back (by SQL, as no API call
 * can): every release and deduct that finds less held by orders than the
 * order holds is 409 and changes nothing, never a 500; so is one that
 * would eat into the manual hold. Put right, everything goes through.
 */
START_TEST(books_disagreement_is_409)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	enum order_status final;
	int64_t a, b, c;
	char *path, *s;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	ck_assert_int_gt(c = order_one(tok, 1, 1), 0);
	ck_assert_int_eq(set_status(admin, b, "processing"), 200);
	sql("UPDATE inventory SET quantity_reserved = 0 WHERE id = 1");
	path = order_path(a);
	expect_disagree_logged("DELETE", path, tok, NULL);
	expect_disagree_logged("PUT", path, admin,
	    "{\"status\":\"cancelled\"}");
	free(path);
	path = order_path(b);
	expect_disagree_logged("PUT", path, admin, "{\"status\":\"shipped\"}");
	free(path);
	/* The worker's release after a failed payment: the same. */
	ck_assert_int_eq(order_flow_process(app->db, app->cache, c, false,
	    &final), INV_DISAGREE);
	/* Nothing moved. */
	expect_stock(1, 10, 0);
	expect_sql("SELECT COUNT(*) = 3 FROM orders WHERE reservation = "
	    "'held' AND status IN ('pending', 'processing')");
	expect_sql("SELECT COUNT(*) = 4 FROM stock_movements");
	/* Orders never take the manual hold: all 6 reserved held by hand. */
	sql("UPDATE inventory SET quantity_reserved = 6, manual_hold = 6 "
	    "WHERE id = 1");
	ck_assert_int_eq(cancel(tok, a), 409);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 409);
	/* Put right, the same requests succeed. */
	sql("UPDATE inventory SET manual_hold = 0 WHERE id = 1");
	expect_invariants();
	ck_assert_int_eq(cancel(tok, a), 204);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 200);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, c, false,
	    &final), INV_OK);
	s = status_of(tok, c);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 7, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* The race's shared state, set before the fork. */
static char *bk_owner, *bk_admin;
static int64_t bk_orders[8];

/*
 * Child i of the race: cancels a held order (204), places a new one
 * (201), or sets quantity_reserved to what the orders held before the
 * race: 200, or the 422 naming the more that orders hold by then.
 */
static void
books_race_child(int i, void *out)
{
	struct json_object *o = NULL, *d;
	const char *msg;
	char want[128];
	long long held = 0;
	int st;

	(void)out;
	switch (i % 3) {
	case 0:
		ck_assert_int_eq(cancel(bk_owner, bk_orders[i / 3]), 204);
		break;
	case 1:
		ck_assert_int_gt(order_one(bk_owner, 1, 1 + i % 4), 0);
		break;
	default:
		st = put_inventory(bk_admin, 1, "{\"quantity_reserved\":16}",
		    &o);
		if (st == 200) {
			json_object_put(o);
			break;
		}
		d = json_object_array_get_idx(json_object_object_get(o,
		    "detail"), 0);
		msg = json_get_str(d, "msg");
		ck_assert_msg(st == 422 && msg != NULL && sscanf(msg,
		    "quantity_reserved cannot be less than %lld", &held) ==
		    1 && held > 16, "PUT: %d \"%s\", expected 200 or 422 "
		    "naming more than 16 units held", st, msg != NULL ? msg :
		    "(none)");
		snprintf(want, sizeof(want), "quantity_reserved cannot be "
		    "less than %lld, the units held by orders", held);
		expect_422_at(o, "quantity_reserved", want);
		break;
	}
}

/*
 * A PUT of quantity_reserved racing with orders being placed and
 * cancelled: it computes what orders hold under the record's lock, so
 * afterwards the books agree, and every order still holding can be
 * cancelled, leaving exactly the manual hold.
 */
START_TEST(books_reserved_put_races_orders)
{
	enum { N = 8, CLIENTS = 3 * N };
	struct json_object *o = NULL;
	int i;
	size_t k;

	bk_owner = user_token("u@example.com", "U", false, NULL);
	bk_admin = user_token("a@example.com", "A", true, NULL);
	seed_product(1, "Widget", "1.00", 200);
	for (i = 0; i < N; i++)
		ck_assert_int_gt(bk_orders[i] = order_one(bk_owner, 1, 2), 0);
	run_concurrently(CLIENTS, books_race_child, NULL, 0);
	expect_invariants();
	/* Every order still holding is cancelled: what stays reserved is
	 * the manual hold alone, which a PUT then clears. */
	ck_assert_int_eq(call("GET", ORDERS "/admin?status=pending&limit=100",
	    bk_admin, NULL, &o), 200);
	ck_assert_uint_eq(json_object_array_length(o), N);
	for (k = 0; k < json_object_array_length(o); k++)
		ck_assert_int_eq(cancel(bk_owner, jint(
		    json_object_array_get_idx(o, k), "id")), 204);
	json_object_put(o);
	expect_sql("SELECT quantity_reserved = manual_hold FROM inventory "
	    "WHERE id = 1");
	expect_invariants();
	ck_assert_int_eq(put_inventory(bk_admin, 1,
	    "{\"quantity_reserved\":0}", NULL), 200);
	expect_stock(1, 200, 0);
	expect_invariants();
	free(bk_owner);
	free(bk_admin);
}
END_TEST

/* ---- the invariants after everything at once ---- */

static uint32_t mix_rng = 12345;

static uint32_t
mix_next(void)
{
	mix_rng ^= mix_rng << 13;
	mix_rng ^= mix_rng >> 17;
	mix_rng ^= mix_rng << 5;
	return mix_rng;
}

START_TEST(stock_invariants_after_mixed_operations)
{
	static const char *const statuses[] = { "pending", "processing",
	    "shipped", "delivered", "cancelled" };
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL, *ord, *items, *it;
	int64_t ids[200], shipped[4] = { 0 }, s, r;
	enum order_status final;
	size_t nids = 0, i, j;
	struct buf body;
	int op, k, n;

	for (k = 1; k <= 3; k++) {
		char name[16];

		snprintf(name, sizeof(name), "P%d", k);
		seed_product(k, name, "2.50", 40);
	}
	buf_init(&body);
	for (i = 0; i < 300; i++) {
		op = (int)(mix_next() % 10);
		if (op < 4 || nids == 0) {
			/* A new order of 1..3 products, 1..6 units each. */
			buf_reset(&body);
			buf_puts(&body, "{\"shipping_address\":\"x\","
			    "\"items\":[");
			n = 1 + (int)(mix_next() % 3);
			for (k = 0; k < n; k++)
				buf_printf(&body, "%s{\"product_id\":%d,"
				    "\"quantity\":%u}", k > 0 ? "," : "",
				    1 + (k + (int)i) % 3,
				    1 + mix_next() % 6);
			buf_puts(&body, "]}");
			if (call("POST", ORDERS, tok, body.data, &o) == 201 &&
			    nids < 200)
				ids[nids++] = jint(o, "id");
			json_object_put(o);
			o = NULL;
		} else if (op < 6)
			cancel(mix_next() % 2 ? tok : admin,
			    ids[mix_next() % nids]);
		else if (op < 9)
			set_status(admin, ids[mix_next() % nids],
			    statuses[mix_next() % 5]);
		else
			ck_assert_int_eq(order_flow_process(app->db,
			    app->cache, ids[mix_next() % nids],
			    mix_next() % 2, &final), INV_OK);
	}
	buf_free(&body);
	expect_invariants();
	/* And stock went down by exactly what was shipped. */
	ck_assert_int_eq(call("GET", ORDERS "/admin?limit=1000", admin, NULL,
	    &o), 200);
	for (i = 0; i < json_object_array_length(o); i++) {
		const char *st;

		ord = json_object_array_get_idx(o, i);
		st = json_get_str(ord, "status");
		if (strcmp(st, "shipped") != 0 && strcmp(st, "delivered") != 0)
			continue;
		items = json_object_object_get(ord, "items");
		for (j = 0; j < json_object_array_length(items); j++) {
			it = json_object_array_get_idx(items, j);
			shipped[jint(it, "product_id")] += jint(it,
			    "quantity");
		}
	}
	json_object_put(o);
	for (k = 1; k <= 3; k++) {
		stock_of(k, &s, &r);
		ck_assert_int_eq(s, 40 - shipped[k]);
	}
	free(tok);
	free(admin);
}
END_TEST

/* ---- bad input ---- */

START_TEST(bad_input_is_4xx)
{
	static const struct {
		const char	*method;
		const char	*path;
		const char	*body;
		int		 status;
	} cases[] = {
		{ "POST", ORDERS, NULL, 422 },
		{ "POST", ORDERS, "", 422 },
		{ "POST", ORDERS, "[]", 422 },
		{ "POST", ORDERS, "null", 422 },
		{ "POST", ORDERS, "{}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\"}", 422 },
		{ "POST", ORDERS, "{\"items\":[{\"product_id\":1,"
		    "\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":[]}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":{}}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":1}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":[1]}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[null]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[[1,1]]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":0}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":-1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":1000001}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":\"5\"}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":5.5}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":5.0}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":true}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":null}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":9223372036854775808}]}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":9223372036854775807}]}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":1e400}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":0,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":-5,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":\"1\",\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":18446744073709551616,\"quantity\":1}]}",
		    422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":9223372036854775807,\"quantity\":1}]}",
		    404 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":1},"
		    "{\"product_id\":1,\"quantity\":2}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"   \",\"items\":"
		    "[{\"product_id\":1,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":5,\"items\":"
		    "[{\"product_id\":1,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":null,\"items\":"
		    "[{\"product_id\":1,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"shipping_"
		    "method\":[],\"items\":[{\"product_id\":1,"
		    "\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"notes\":1,"
		    "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\\u0000\","
		    "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 422 },
		{ "POST", ORDERS, "{\"shipping_address\":\"x\",\"items\":"
		    "[{\"product_id\":1,\"quantity\":1}]", 422 },
		{ "GET", ORDERS "?status=bogus", NULL, 422 },
		{ "GET", ORDERS "?status=", NULL, 422 },
		{ "GET", ORDERS "?limit=0", NULL, 422 },
		{ "GET", ORDERS "?limit=1001", NULL, 422 },
		{ "GET", ORDERS "?skip=-1", NULL, 422 },
		{ "GET", ORDERS "?limit=abc", NULL, 422 },
		{ "GET", ORDERS "?skip=9223372036854775808", NULL, 422 },
		{ "GET", ORDERS "/admin?user_id=0", NULL, 422 },
		{ "GET", ORDERS "/admin?user_id=abc", NULL, 422 },
		{ "GET", ORDERS "/admin?user_id=99999999999999999999", NULL,
		    422 },
		{ "GET", ORDERS "/admin?status=Pending", NULL, 422 },
		{ "GET", ORDERS "/0", NULL, 404 },
		{ "GET", ORDERS "/-1", NULL, 404 },
		{ "GET", ORDERS "/abc", NULL, 404 },
		{ "GET", ORDERS "/1.5", NULL, 404 },
		{ "GET", ORDERS "/9223372036854775808", NULL, 404 },
		{ "GET", ORDERS "/9223372036854775807", NULL, 404 },
		{ "DELETE", ORDERS "/0", NULL, 404 },
		{ "DELETE", ORDERS "/9223372036854775807", NULL, 404 },
		{ "PUT", ORDERS "/1", "{\"status\":\"bogus\"}", 422 },
		{ "PUT", ORDERS "/1", "{\"status\":5}", 422 },
		{ "PUT", ORDERS "/1", "{\"status\":null}", 422 },
		{ "PUT", ORDERS "/1", "{}", 422 },
		{ "PUT", ORDERS "/1", "[]", 422 },
		{ "PUT", ORDERS "/1", NULL, 422 },
		{ "PUT", ORDERS "/1", "{\"status\":\"shipped\","
		    "\"tracking_number\":7}", 422 },
		{ "PUT", ORDERS "/9223372036854775807", "{\"status\":"
		    "\"shipped\"}", 404 },
		{ "PUT", ORDERS "/x", "{\"status\":\"shipped\"}", 404 },
		{ "PATCH", ORDERS "/1", "{}", 405 },
		{ "DELETE", ORDERS, NULL, 405 },
		{ "PUT", ORDERS "/admin", "{}", 405 },
	};
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL, *loc;
	struct buf body;
	size_t i;
	int st;

	seed_product(1, "Widget", "1.00", 1000000);
	ck_assert_int_gt(order_one(admin, 1, 1), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = call(cases[i].method, cases[i].path, admin, cases[i].body,
		    NULL);
		ck_assert_msg(st == cases[i].status, "case %zu: %s %s %s: %d, "
		    "expected %d", i, cases[i].method, cases[i].path,
		    cases[i].body != NULL ? cases[i].body : "", st,
		    cases[i].status);
	}
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
	Suite *s = suite_create("orders");
	TCase *create = tcase_create("create");
	TCase *read = tcase_create("read");
	TCase *change = tcase_create("transitions");
	TCase *worker = tcase_create("worker step");
	TCase *conc = tcase_create("concurrency");
	TCase *idem = tcase_create("idempotency");
	TCase *mixed = tcase_create("invariants");
	TCase *books = tcase_create("stock books");
	TCase *bad = tcase_create("bad input");

	tcase_add_checked_fixture(create, setup, NULL);
	tcase_add_test(create, create_order_success);
	tcase_add_test(create, create_order_insufficient_stock);
	tcase_add_test(create, create_order_nonexistent_product);
	tcase_add_test(create, create_order_descending_product_ids);
	tcase_add_test(create, create_order_body_matches_get);
	tcase_add_test(create, create_order_total_too_large);
	tcase_add_test(create, create_order_without_redis);
	tcase_add_test(create, order_moves_invalidate_cached_stock);
	tcase_add_checked_fixture(read, setup, NULL);
	tcase_add_test(read, get_user_orders);
	tcase_add_test(read, get_order_detail);
	tcase_add_test(read, list_matches_single_orders);
	tcase_add_test(read, order_counts_follow_every_change);
	tcase_add_test(read, get_order_unauthorized);
	tcase_add_test(read, admin_get_all_orders);
	tcase_add_test(read, admin_list_fixed_queries);
	tcase_add_test(read, non_admin_cannot_access_all_orders);
	tcase_add_test(read, list_queries_are_strict);
	tcase_add_test(read, head_on_order_list);
	tcase_add_checked_fixture(change, setup, NULL);
	tcase_add_test(change, admin_update_order_status);
	tcase_add_test(change, order_cancellation);
	tcase_add_test(change, cannot_cancel_shipped_order);
	tcase_add_test(change, invalid_status_transitions);
	tcase_add_checked_fixture(worker, setup, NULL);
	tcase_add_test(worker, process_order_step);
	tcase_add_checked_fixture(conc, setup, NULL);
	tcase_set_timeout(conc, 60);
	tcase_add_test(conc, reserve_inventory_race_condition);
	tcase_add_test(conc, reserve_race_several_units);
	tcase_add_test(conc, multi_item_orders_under_contention);
	tcase_add_test(conc, concurrent_cancel_and_ship);
	tcase_add_test(conc, a_failing_child_fails_the_race);
	tcase_add_checked_fixture(idem, setup, NULL);
	tcase_add_test(idem, idempotency_key_replays);
	tcase_add_test(idem, idempotency_key_in_progress_and_expiry);
	tcase_add_test(idem, idempotency_key_refusals);
	tcase_add_test(idem, idempotency_key_replays_reordered_keys);
	tcase_add_test(idem, idempotency_key_blank_is_422);
	tcase_add_test(idem, idempotency_key_concurrent_duplicates);
	tcase_add_checked_fixture(mixed, setup, NULL);
	tcase_set_timeout(mixed, 60);
	tcase_add_test(mixed, stock_invariants_after_mixed_operations);
	tcase_add_checked_fixture(books, setup, NULL);
	tcase_set_timeout(books, 60);
	tcase_add_test(books, books_reserved_below_orders_is_422);
	tcase_add_test(books, books_manual_hold_between_orders_and_stock);
	tcase_add_test(books, books_created_reservation_is_a_manual_hold);
	tcase_add_test(books, books_disagreement_is_409);
	tcase_add_test(books, books_reserved_put_races_orders);
	tcase_add_checked_fixture(bad, setup, NULL);
	tcase_add_test(bad, bad_input_is_4xx);
	suite_add_tcase(s, create);
	suite_add_tcase(s, read);
	suite_add_tcase(s, change);
	suite_add_tcase(s, worker);
	suite_add_tcase(s, conc);
	suite_add_tcase(s, idem);
	suite_add_tcase(s, mixed);
	suite_add_tcase(s, books);
	suite_add_tcase(s, bad);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(orders_suite(), NULL);
}
