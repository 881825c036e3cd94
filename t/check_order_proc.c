/*
 * check_order_proc.c: order creation as the stored procedure order_create
 * (schema/007_order_create.sql) does it, against a real MariaDB: every
 * refusal and what it leaves behind (nothing), the caller's row checked
 * inside the call with the dispatcher's answers, the round trips one
 * order costs, and concurrent orders that never oversell.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "order_flow.h"
#include "redis_conn.h"
#include "testutil.h"

#define ORDERS		"/api/v1/orders"
#define JSON_TYPE	"application/json"
#define TEST_CHECK	"ck_check_order_proc"	/* test_disagree's CHECK */

static struct app *app;

static void
setup(void)
{
	app = tu_app();
	tu_sql(tu_owner_db(app), "ALTER TABLE inventory DROP CONSTRAINT IF "
	    "EXISTS " TEST_CHECK);
	tu_reset_db(app);
	/*
	 * Users 1 (active) and 2 (an admin); products 1 Widget (5 in
	 * stock), 2 Gadget (10), 3 Ghost (no stock record), 4 Gold (priced
	 * so that two overflow an order's total); each record's first
	 * movement records its stock, as the inventory API writes it.
	 */
	tu_sql(app->db, "INSERT INTO users (id, email, full_name, "
	    "hashed_password, is_admin) VALUES "
	    "(1, 'u@example.com', 'U', 'x', 0), "
	    "(2, 'a@example.com', 'A', 'x', 1);"
	    "INSERT INTO products (id, sku, name, price) VALUES "
	    "(1, 'W', 'Widget', 2.50), (2, 'G', 'Gadget', 1.00), "
	    "(3, 'H', 'Ghost', 1.00), (4, 'AU', 'Gold', 9999999999.00);"
	    "INSERT INTO inventory (product_id, quantity_in_stock) VALUES "
	    "(1, 5), (2, 10), (4, 10);"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, reason) SELECT id, product_id, "
	    "quantity_in_stock, 'initial stock' FROM inventory");
}

/* Nothing but the seed: no order, item or order movement; the stock
 * as seeded (reserved the manual hold alone); the books agree; and the
 * session is in no transaction. */
static void
expect_untouched(void)
{
	size_t products, bad;

	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders) = 0 AND "
	    "(SELECT COUNT(*) FROM order_items) = 0 AND "
	    "(SELECT COUNT(*) FROM stock_movements WHERE order_id IS NOT "
	    "NULL) = 0 AND (SELECT COUNT(*) FROM inventory WHERE "
	    "quantity_reserved <> manual_hold) = 0 AND @@in_transaction = 0");
	ck_assert_int_eq(order_flow_audit(app->db, &products, &bad), INV_OK);
	ck_assert_uint_eq(bad, 0);
}

/* order_flow_create on db for user_id with token version ver, of the
 * n (product, quantity) pairs in pq; *refused says why not. */
static enum inv_err
create_on(struct db *db, int64_t user_id, int64_t ver,
    struct order_refused *refused, struct order_touched *touched, size_t n,
    const int64_t *pq)
{
	struct order_line lines[ORDER_MAX_ITEMS];
	struct order_new o = { user_id, ver, "1 Main St", NULL, "n", lines,
	    n };
	int64_t id;
	size_t i;

	for (i = 0; i < n; i++) {
		lines[i].product_id = pq[2 * i];
		lines[i].quantity = pq[2 * i + 1];
	}
	return order_flow_create(db, &o, &id, NULL, NULL, touched, refused);
}

/* create_on the test's connection, as user 1 with a current token. */
static enum inv_err
create(struct order_refused *refused, size_t n, const int64_t *pq)
{
	struct order_touched touched;

	return create_on(app->db, 1, 0, refused, &touched, n, pq);
}

/* Asserts that the order of pq is refused for why, naming product pid
 * (by id, and by name when name is not NULL) with available units. */
static void
expect_refused(size_t n, const int64_t *pq, enum order_refusal why,
    int64_t pid, const char *name, int64_t available)
{
	struct order_refused r;

	ck_assert_int_eq(create(&r, n, pq), INV_INVALID);
	ck_assert_int_eq(r.why, why);
	ck_assert_int_eq(r.product_id, pid);
	if (name != NULL)
		ck_assert_str_eq(r.product_name, name);
	ck_assert_int_eq(r.available, available);
	expect_untouched();
}

START_TEST(test_refusals)
{
	static const int64_t too_many[] = { 1, 6 };
	static const int64_t unknown[] = { 2, 1, 99, 1, 98, 1 };
	static const int64_t no_record[] = { 3, 1, 1, 1 };
	static const int64_t too_dear[] = { 2, 1, 4, 1, 4, 1 };
	static const int64_t held[] = { 2, 8 };
	struct order_refused r;

	expect_refused(1, too_many, ORDER_REFUSED_STOCK, 1, "Widget", 5);
	/* The first missing product in the client's order. */
	expect_refused(3, unknown, ORDER_REFUSED_NO_PRODUCT, 99, NULL, 0);
	/* Widget (1) is reserved before Ghost (3) finds no record, and
	 * rolled back with the rest. */
	expect_refused(2, no_record, ORDER_REFUSED_NO_INVENTORY, 3, "Ghost",
	    0);
	/* The running total passes 9,999,999,999.99 at the second Gold. */
	expect_refused(3, too_dear, ORDER_REFUSED_TOTAL, 4, NULL, 0);
	/* A manual hold of 3 of Gadget's 10 leaves 7 to orders. */
	tu_sql(app->db, "UPDATE inventory SET quantity_reserved = 3, "
	    "manual_hold = 3 WHERE product_id = 2; INSERT INTO "
	    "stock_movements (inventory_id, product_id, change_in_stock, "
	    "change_reserved, reason) SELECT id, 2, 0, 3, 'hold' FROM "
	    "inventory WHERE product_id = 2");
	expect_refused(1, held, ORDER_REFUSED_STOCK, 2, "Gadget", 7);
	/* The manual hold is never the order's. */
	tu_expect_sql(app->db, "(SELECT manual_hold FROM inventory WHERE "
	    "product_id = 2) = 3");
	ck_assert_int_eq(create(&r, 1, (const int64_t[]){ 2, 7 }), INV_OK);
	tu_expect_sql(app->db, "(SELECT quantity_reserved FROM inventory "
	    "WHERE product_id = 2) = 10 AND @@in_transaction = 0");
}
END_TEST

/* The order made: its row, items and reservations, as the procedure
 * answers them and as the database holds them. */
START_TEST(test_order_made)
{
	struct order_line lines[2] = { { 2, 3 }, { 1, 2 } };
	struct order_new o = { 1, 0, "1 Main St", "post", NULL, lines, 2 };
	struct order_touched touched;
	struct order_refused r;
	struct db_res *order = NULL, *items = NULL;
	int64_t id;

	ck_assert_int_eq(order_flow_create(app->db, &o, &id, &order, &items,
	    &touched, &r), INV_OK);
	ck_assert_int_eq(db_res_int(order, 0, ORDER_COL_ID), id);
	ck_assert_str_eq(db_res_str(order, 0, ORDER_COL_TOTAL), "8.00");
	ck_assert_str_eq(db_res_str(order, 0, ORDER_COL_STATUS), "pending");
	ck_assert_str_eq(db_res_str(order, 0, ORDER_COL_METHOD), "post");
	ck_assert(db_res_isnull(order, 0, ORDER_COL_NOTES));
	ck_assert(db_res_isnull(order, 0, ORDER_COL_USER_EMAIL));
	ck_assert_int_eq(strncmp(db_res_str(order, 0, ORDER_COL_NUMBER),
	    "ORD-", 4), 0);
	ck_assert_uint_eq(strlen(db_res_str(order, 0, ORDER_COL_NUMBER)), 16);
	/* Items in the client's order, at the prices of the products. */
	ck_assert_uint_eq(db_res_rows(items), 2);
	ck_assert_int_eq(db_res_int(items, 0, ORDER_ITEM_COL_PRODUCT_ID), 2);
	ck_assert_str_eq(db_res_str(items, 0, ORDER_ITEM_COL_UNIT_PRICE),
	    "1.00");
	ck_assert_int_eq(db_res_int(items, 1, ORDER_ITEM_COL_PRODUCT_ID), 1);
	ck_assert_int_lt(db_res_int(items, 0, ORDER_ITEM_COL_ID),
	    db_res_int(items, 1, ORDER_ITEM_COL_ID));
	/* The stock records to forget, in product-id order. */
	ck_assert_int_eq(touched.user_id, 1);
	ck_assert_uint_eq(touched.n, 2);
	ck_assert_int_eq(touched.rec[0].product_id, 1);
	ck_assert_int_eq(touched.rec[1].product_id, 2);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders WHERE id = "
	    "%" PRId64 " AND reservation = 'held') = 1 AND "
	    "(SELECT GROUP_CONCAT(quantity_reserved ORDER BY product_id) "
	    "FROM inventory) = '2,3,0' AND (SELECT GROUP_CONCAT(CONCAT("
	    "product_id, ':', change_reserved, ':', user_id) ORDER BY id) "
	    "FROM stock_movements WHERE order_id = %" PRId64 ") = "
	    "'1:2:1,2:3:1' AND @@in_transaction = 0", id, id);
	db_res_free(order);
	db_res_free(items);
}
END_TEST

/* The caller's row, read inside the call: gone, deactivated, or a token
 * of an older version refuse the order, and nothing is done. */
START_TEST(test_caller_refusals)
{
	static const int64_t pq[] = { 1, 1 };
	struct order_touched touched;
	struct order_refused r;

	ck_assert_int_eq(create_on(app->db, 1, 1, &r, &touched, 1, pq),
	    INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_STALE);
	ck_assert_int_eq(create_on(app->db, 99, 0, &r, &touched, 1, pq),
	    INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_NO_USER);
	tu_sql(app->db, "UPDATE users SET is_active = 0 WHERE id = 1");
	ck_assert_int_eq(create_on(app->db, 1, 0, &r, &touched, 1, pq),
	    INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_INACTIVE);
	expect_untouched();
}
END_TEST

/* An access token of user id (admin as the token says) at version ver
 * (new). */
static char *
token(int64_t id, bool admin, int64_t ver)
{
	char jti[AUTH_JTI_LEN + 1], *tok = NULL;

	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, id, admin,
	    ver, jti, time(NULL), &tok), INV_OK);
	return tok;
}

/* POSTs body (with Idempotency-Key key, or none) as tok; asserts the
 * status and, when msg is not NULL, the detail. */
static void
expect_post(const char *tok, const char *body, const char *key, int status,
    const char *msg)
{
	struct http_resp resp;
	struct json_object *o;

	tu_request_key(app, "POST", ORDERS, tok, JSON_TYPE, body, key, &resp);
	ck_assert_msg(resp.status == status, "POST %s: %d, expected %d",
	    body, resp.status, status);
	if (msg != NULL) {
		o = tu_json(&resp);
		ck_assert_str_eq(json_get_str(o, "detail"), msg);
		json_object_put(o);
	}
	http_resp_free(&resp);
}

#define GOOD_ORDER \
	"{\"shipping_address\":\"x\",\"items\":[{\"product_id\":1," \
	"\"quantity\":1}]}"
/* Refused by the handler's own checks of the items (422). */
#define BAD_ITEMS \
	"{\"shipping_address\":\"x\",\"items\":[{\"product_id\":1," \
	"\"quantity\":0}]}"
#define NOT_VALID	"Could not validate credentials"

/*
 * Through the API the caller's refusals read as the dispatcher words
 * them for every other write, and come first, as there: before the
 * handler's 422 and before an Idempotency-Key is claimed or stored.
 */
START_TEST(test_caller_answers)
{
	char *user = token(1, false, 0), *admin = token(2, true, 0);
	char *gone = token(99, false, 0);

	expect_post(user, GOOD_ORDER, NULL, 201, NULL);
	expect_post(gone, GOOD_ORDER, NULL, 401, NOT_VALID);
	expect_post(gone, BAD_ITEMS, NULL, 401, NOT_VALID);
	/* Demoted: the version goes up, so the admin's token is stale. */
	tu_sql(app->db, "UPDATE users SET is_admin = 0, token_version = "
	    "token_version + 1 WHERE id = 2");
	expect_post(admin, GOOD_ORDER, NULL, 401, NOT_VALID);
	expect_post(admin, BAD_ITEMS, NULL, 401, NOT_VALID);
	expect_post(admin, GOOD_ORDER, "k-demoted", 401, NOT_VALID);
	/* Deactivated without a version change: the row still says so. */
	tu_sql(app->db, "UPDATE users SET is_active = 0 WHERE id = 1");
	expect_post(user, GOOD_ORDER, NULL, 400, "Inactive user");
	expect_post(user, BAD_ITEMS, NULL, 400, "Inactive user");
	expect_post(user, GOOD_ORDER, "k-inactive", 400, "Inactive user");
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders) = 1 AND "
	    "(SELECT COUNT(*) FROM idempotency_keys) = 0");
	/* A current token of the same user works again. */
	free(admin);
	admin = token(2, false, 1);
	expect_post(admin, GOOD_ORDER, "k-current", 201, NULL);
	expect_post(admin, BAD_ITEMS, NULL, 422, NULL);
	free(user);
	free(admin);
	free(gone);
}
END_TEST

/* A CHECK of the stock refusing a reservation whose condition passed:
 * the books disagree (INV_DISAGREE), and nothing is done. */
START_TEST(test_disagree)
{
	static const int64_t pq[] = { 1, 1, 2, 3 };
	struct order_refused r;

	tu_sql(tu_owner_db(app), "ALTER TABLE inventory ADD CONSTRAINT "
	    TEST_CHECK " CHECK (quantity_reserved <= 2)");
	ck_assert_int_eq(create(&r, 2, pq), INV_DISAGREE);
	tu_sql(tu_owner_db(app), "ALTER TABLE inventory DROP CONSTRAINT "
	    TEST_CHECK);
	expect_untouched();
}
END_TEST

/*
 * Standing alone, the call is its own transaction: a lock wait that
 * times out inside it is rolled back by the procedure and called again,
 * and when every try timed out nothing is left done and no transaction
 * open; once the lock goes, the same order goes through.
 */
START_TEST(test_lock_wait_rolled_back)
{
	static const int64_t pq[] = { 2, 1, 1, 1 };
	struct order_refused r;

	tu_sql(app->db, "SET SESSION innodb_lock_wait_timeout = 1");
	tu_sql(tu_owner_db(app), "START TRANSACTION; SELECT id FROM inventory "
	    "WHERE product_id = 2 FOR UPDATE");
	ck_assert_int_eq(create(&r, 2, pq), INV_RETRY);
	tu_sql(tu_owner_db(app), "ROLLBACK");
	expect_untouched();
	ck_assert_int_eq(create(&r, 2, pq), INV_OK);
	tu_expect_sql(app->db, "(SELECT GROUP_CONCAT(quantity_reserved ORDER "
	    "BY product_id) FROM inventory) = '1,1,0' AND @@in_transaction = 0");
}
END_TEST

/* A session counter, for tu_expect_sql. */
#define COUNTER(name) "(SELECT VARIABLE_VALUE FROM " \
	"information_schema.SESSION_STATUS WHERE VARIABLE_NAME = '" name "')"

/*
 * One round trip to MariaDB for a POST /orders, made or refused: one
 * statement from the client (the CALL: the caller's row is read inside
 * it, not by the dispatcher), no START TRANSACTION or COMMIT of its own.
 * Questions counts what clients send; the SET and the check that reads
 * it are the other two.
 */
START_TEST(test_one_round_trip)
{
	char *user = token(1, false, 0);

	tu_sql(app->db, "SET @q = " COUNTER("QUESTIONS") ", @x = "
	    COUNTER("COM_STMT_EXECUTE") ", @c = " COUNTER("COM_COMMIT"));
	expect_post(user, GOOD_ORDER, NULL, 201, NULL);
	tu_expect_sql(app->db, COUNTER("QUESTIONS") " - @q = 2 AND "
	    COUNTER("COM_STMT_EXECUTE") " - @x = 1 AND "
	    COUNTER("COM_COMMIT") " - @c = 1");
	tu_sql(app->db, "SET @q = " COUNTER("QUESTIONS"));
	expect_post(user, "{\"shipping_address\":\"x\",\"items\":["
	    "{\"product_id\":1,\"quantity\":5}]}", NULL, 400,
	    "Insufficient stock for product Widget. Available: 4");
	tu_expect_sql(app->db, COUNTER("QUESTIONS") " - @q = 2");
	free(user);
}
END_TEST

/* One command on a new connection to the Redis of set, in its database;
 * the reply (new: freeReplyObject it). */
static redisReply *
redis_ask(const struct redis_settings *set, const char *cmd)
{
	redisContext *c = tu_redis_connect(set);
	redisReply *reply = redisCommand(c, cmd);

	ck_assert(reply != NULL && reply->type != REDIS_REPLY_ERROR);
	redisFree(c);
	return reply;
}

/*
 * The order's Redis work after the commit, the cache's invalidation and
 * the worker's job, is one round trip where the queue lives in the
 * cache's Redis (as the harness has it): one script on the cache's
 * connection, so no connection of the service's last sent an LPUSH of
 * its own, and yet the job is queued and the owner's orders bumped.
 */
START_TEST(test_one_redis_round_trip)
{
	const struct config *cfg = app->cfg;
	char *user = token(1, false, 0);
	redisReply *r;

	ck_assert_msg(redis_same_server(&cfg->redis, &cfg->queue_redis),
	    "the harness puts the queue in the cache's Redis server");
	r = redis_ask(&cfg->queue_redis, "DEL inventory:queue:high");
	freeReplyObject(r);
	expect_post(user, GOOD_ORDER, NULL, 201, NULL);
	r = redis_ask(&cfg->redis, "CLIENT LIST TYPE normal");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(strstr(r->str, " cmd=lpush ") == NULL, "a connection "
	    "pushed a job on its own:\n%s", r->str);
	ck_assert_msg(strstr(r->str, " cmd=evalsha ") != NULL, "no script "
	    "ran:\n%s", r->str);
	freeReplyObject(r);
	r = redis_ask(&cfg->queue_redis, "LLEN inventory:queue:high");
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	r = redis_ask(&cfg->redis, "EXISTS inventory:cache:gen:orders:1 "
	    "inventory:cache:gen:item:1 inventory:cache:gen:product:1");
	ck_assert_int_eq(r->integer, 3);
	freeReplyObject(r);
	free(user);
}
END_TEST

/* ---- concurrency ---- */

enum { RACE_CHILDREN = 24, RACE_ORDERS = 2, RACE_STOCK = 15 };

/* A race's child: its own connections, made before the barrier. */
static void
race_ready(int i)
{
	(void)i;
	app = tu_app_new();
}

/* Child i: RACE_ORDERS orders of a Widget and a Gadget each, listed in
 * either order (the procedure locks them in product-id order whatever
 * the list); counts those made, and checks each refusal. */
static void
race_child(int i, void *out)
{
	static const int64_t ab[] = { 1, 1, 2, 1 }, ba[] = { 2, 1, 1, 1 };
	struct order_touched touched;
	struct order_refused r;
	enum inv_err rc;
	int k;

	for (k = 0; k < RACE_ORDERS; k++) {
		rc = create_on(app->db, 1, 0, &r, &touched, 2,
		    (i + k) % 2 ? ab : ba);
		if (rc == INV_OK) {
			(*(int *)out)++;
			continue;
		}
		ck_assert_int_eq(rc, INV_INVALID);
		ck_assert_int_eq(r.why, ORDER_REFUSED_STOCK);
		ck_assert_int_eq(r.product_id, 1);
		ck_assert_int_eq(r.available, 0);
	}
}

START_TEST(test_oversell_race)
{
	int made[RACE_CHILDREN], i, total = 0;
	size_t products, bad;

	/* Widgets for RACE_STOCK orders, Gadgets for every one. */
	tu_sql(app->db, "UPDATE inventory SET quantity_in_stock = IF("
	    "product_id = 1, %d, %d) WHERE product_id IN (1, 2); "
	    "UPDATE stock_movements SET change_in_stock = IF(product_id = 1, "
	    "%d, %d) WHERE product_id IN (1, 2)", RACE_STOCK,
	    RACE_CHILDREN * RACE_ORDERS, RACE_STOCK,
	    RACE_CHILDREN * RACE_ORDERS);
	memset(made, 0, sizeof(made));
	tu_concurrently(RACE_CHILDREN, race_ready, race_child, made,
	    sizeof(made[0]));
	for (i = 0; i < RACE_CHILDREN; i++)
		total += made[i];
	/* Exactly as many winners as Widgets, each holding one Gadget. */
	ck_assert_int_eq(total, RACE_STOCK);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders) = %d AND "
	    "(SELECT GROUP_CONCAT(quantity_reserved ORDER BY product_id) "
	    "FROM inventory) = '%d,%d,0'", RACE_STOCK, RACE_STOCK,
	    RACE_STOCK);
	ck_assert_int_eq(order_flow_audit(app->db, &products, &bad), INV_OK);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

static Suite *
order_proc_suite(void)
{
	Suite *s = suite_create("order_create");
	TCase *rule = tcase_create("rule");
	/* Lock waits and races: longer than Check's default. */
	TCase *conc = tcase_create("concurrency");

	tcase_add_checked_fixture(rule, setup, NULL);
	tcase_add_test(rule, test_refusals);
	tcase_add_test(rule, test_order_made);
	tcase_add_test(rule, test_caller_refusals);
	tcase_add_test(rule, test_caller_answers);
	tcase_add_test(rule, test_disagree);
	tcase_add_test(rule, test_one_round_trip);
	tcase_add_test(rule, test_one_redis_round_trip);
	tcase_add_checked_fixture(conc, setup, NULL);
	tcase_set_timeout(conc, 60);
	tcase_add_test(conc, test_lock_wait_rolled_back);
	tcase_add_test(conc, test_oversell_race);
	suite_add_tcase(s, rule);
	suite_add_tcase(s, conc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(order_proc_suite(), NULL);
}
