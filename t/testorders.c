/*
 * testorders.c: see testorders.h.
 */
#include "testorders.h"

struct app *app;

/* ---- fixtures and helpers ---- */

/* The queue's Redis database, seen through our own connection (new). */
redisContext *
raw_queue(void)
{
	return tu_redis_connect(&app->cfg->queue_redis);
}

void
setup(void)
{
	redisContext *c;
	redisReply *r;

	app = tu_app();
	tu_child_app = &app;
	tu_reset_db(app);
	c = raw_queue();
	r = redisCommand(c, "DEL %s", HIGH_QUEUE);
	ck_assert(r != NULL);
	freeReplyObject(r);
	redisFree(c);
}

/* Runs trusted test SQL (formatted here, never request data). */
void __attribute__((format(printf, 1, 2)))
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
void __attribute__((format(printf, 1, 2)))
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

/*
 * Product id with a price and, when stock >= 0, an inventory record of
 * that stock whose first movement records it (as the inventory API
 * does), so the ledger sums to the stock from the start.
 */
void
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
char *
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



int
call(const char *method, const char *path, const char *token,
    const char *body, struct json_object **out)
{
	return tu_call(app, method, path, token, body, NULL, out, NULL, NULL);
}


/* Asserts that an answer (got, its body o) is status with detail msg. */
void
expect_detail(const char *what, int got, struct json_object *o, int status,
    const char *msg)
{
	ck_assert_msg(got == status, "%s: %d, expected %d (detail \"%s\")",
	    what, got, status, tu_detail(o) != NULL ? tu_detail(o) : "(none)");
	ck_assert_msg(tu_detail(o) != NULL && strcmp(tu_detail(o), msg) == 0,
	    "%s: detail \"%s\", expected \"%s\"", what,
	    tu_detail(o) != NULL ? tu_detail(o) : "(none)", msg);
}

/* Asserts status and detail of a request, and frees the body. */
void
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


/* The body of an order of qty units of one product (new). */
char *
order_body(int64_t product, int qty)
{
	return xasprintf("{\"shipping_address\":\"1 Main St\","
	    "\"items\":[{\"product_id\":%" PRId64 ",\"quantity\":%d}]}",
	    product, qty);
}

/* Places an order of one product; returns its id (> 0) or -status. */
int64_t
order_one(const char *token, int64_t product, int qty)
{
	struct json_object *o = NULL;
	char *body = order_body(product, qty);
	int status = call("POST", ORDERS, token, body, &o);
	int64_t id = status == 201 ? tu_jint(o, "id") : -status;

	json_object_put(o);
	free(body);
	return id;
}

char *
order_path(int64_t id)
{
	return xasprintf(ORDERS "/%" PRId64, id);
}

/* PUT {"status": to} on order id; returns the status code. */
int
set_status(const char *admin, int64_t id, const char *to)
{
	char *path = order_path(id);
	char *body = xasprintf("{\"status\":\"%s\"}", to);
	int status = call("PUT", path, admin, body, NULL);

	free(body);
	free(path);
	return status;
}

int
cancel(const char *token, int64_t id)
{
	char *path = order_path(id);
	int status = call("DELETE", path, token, NULL, NULL);

	free(path);
	return status;
}

/* The status of order id as its owner or an admin sees it (new). */
char *
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
void
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

void
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
void
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
int64_t
order_count(const char *admin)
{
	int64_t total = -1;

	ck_assert_int_eq(tu_call(app, "GET", ORDERS "/admin?limit=1", admin,
	    NULL, NULL, NULL, &total, NULL), 200);
	return total;
}

/* Runs fn(i, out) in n children at once, each on its own connections
 * (tu_concurrently): child i's size bytes of out come back at
 * results + i * size. A failure in any child fails the test. */
void
run_concurrently(int n, void (*fn)(int, void *), void *results,
    size_t size)
{
	tu_concurrently(n, tu_child_connect, fn, results, size);
}

/* Stock of an inventory record read through the API, and so through
 * the cache: "quantity_in_stock" or "quantity_reserved" of path. */
int64_t
api_stock(const char *token, const char *path, const char *field)
{
	struct json_object *o = NULL;
	int64_t v;

	ck_assert_int_eq(call("GET", path, token, NULL, &o), 200);
	v = tu_jint(o, field);
	json_object_put(o);
	return v;
}

/* Every read of product pid's record (by record id inv and by product)
 * shows stock and reserved; each also caches what it read. */
void
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
