/*
 * check_events.c: the outbox (schema/008_outbox.sql) against a real
 * MariaDB. Every change that causes an event writes it in its own
 * transaction: an order made, an order's new status (one by one and in
 * the worker's batch), a stock adjustment. A change refused or rolled
 * back, however far it got, leaves no event behind.
 */
#include "order_flow.h"
#include "testinventory.h"

/* Product 1 Widget, 5 in stock (record 1); product 2 Ghost, no record. */
static void
seed(void)
{
	setup();
	tu_sql(app->db, "INSERT INTO products (id, sku, name, price) VALUES "
	    "(1, 'W', 'Widget', 2.50), (2, 'H', 'Ghost', 1.00);"
	    "INSERT INTO inventory (id, product_id, quantity_in_stock) "
	    "VALUES (1, 1, 5)");
}

/* Orders n (product, quantity) pairs of pq as the user; *id the order. */
static enum inv_err
order(size_t n, const int64_t *pq, int64_t *id)
{
	struct order_line lines[ORDER_MAX_ITEMS];
	struct order_new o = { user_id, 0, "1 Main St", NULL, NULL, lines,
	    n };
	struct order_touched touched;
	struct order_refused r;
	size_t i;

	for (i = 0; i < n; i++) {
		lines[i].product_id = pq[2 * i];
		lines[i].quantity = pq[2 * i + 1];
	}
	return order_flow_create(app->db, &o, id, NULL, NULL, &touched, &r);
}

/* Asserts that the outbox holds exactly the types of want, in order,
 * ','-separated ("" for none). */
static void
expect_events(const char *want)
{
	tu_expect_sql(app->db, "(SELECT COALESCE(GROUP_CONCAT(type ORDER BY "
	    "id), '') FROM outbox) = '%s' AND @@in_transaction = 0", want);
}

START_TEST(test_order_created)
{
	static const int64_t two[] = { 1, 2 };
	int64_t id;

	ck_assert_int_eq(order(1, two, &id), INV_OK);
	expect_events("order.created");
	/* The order as made, its items and times as the API writes them. */
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox WHERE "
	    "JSON_VALUE(data, '$.id') = %" PRId64 " AND "
	    "JSON_VALUE(data, '$.status') = 'pending' AND "
	    "JSON_VALUE(data, '$.user_id') = %" PRId64 " AND "
	    "JSON_VALUE(data, '$.total_amount') = 5.00 AND "
	    "JSON_VALUE(data, '$.items[0].product_id') = 1 AND "
	    "JSON_VALUE(data, '$.items[0].quantity') = 2 AND "
	    "JSON_LENGTH(data, '$.items') = 1 AND "
	    "JSON_VALUE(data, '$.created_at') LIKE '____-__-__T__:__:__Z' "
	    "AND dispatched_at IS NULL) = 1", id, user_id);
}
END_TEST

/* Refused after the order row, its items and a reservation were
 * written: the procedure rolls all of it back, the event too. */
START_TEST(test_order_refused)
{
	static const int64_t too_many[] = { 1, 6 };
	static const int64_t no_record[] = { 1, 1, 2, 1 };
	int64_t id;

	ck_assert_int_eq(order(1, too_many, &id), INV_INVALID);
	ck_assert_int_eq(order(2, no_record, &id), INV_INVALID);
	expect_events("");
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders) = 0");
}
END_TEST

/* An order made inside a caller's transaction that then fails. */
static enum inv_err
made_then_failed_tx(struct db *db, void *arg)
{
	static const int64_t one[] = { 1, 1 };
	int64_t id;

	(void)db;
	(void)arg;
	ck_assert_int_eq(order(1, one, &id), INV_OK);
	/* Inside, the event is there with the order... */
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox WHERE "
	    "JSON_VALUE(data, '$.id') = %" PRId64 ") = 1", id);
	/* ...and a later step of the same change fails. */
	return INV_INVALID;
}

START_TEST(test_rolled_back)
{
	ck_assert_int_eq(db_transaction(app->db, made_then_failed_tx, NULL),
	    INV_INVALID);
	expect_events("");
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM orders) = 0");
}
END_TEST

START_TEST(test_status_changes)
{
	static const int64_t one[] = { 1, 1 };
	struct order_refused r;
	int64_t id;

	ck_assert_int_eq(order(1, one, &id), INV_OK);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PROCESSING, NULL, NULL, admin_id, &r), INV_OK);
	/* The same status again changes no status: no event. */
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PROCESSING, NULL, "again", admin_id, &r), INV_OK);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_SHIPPED, "TRACK-1", NULL, admin_id, &r), INV_OK);
	/* A transition refused (shipped back to processing): none. */
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PROCESSING, NULL, NULL, admin_id, &r), INV_INVALID);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_DELIVERED, NULL, NULL, admin_id, &r), INV_OK);
	expect_events("order.created,order.processing,order.shipped,"
	    "order.delivered");
	tu_expect_sql(app->db, "(SELECT JSON_VALUE(data, "
	    "'$.tracking_number') FROM outbox WHERE type = 'order.shipped') "
	    "= 'TRACK-1' AND (SELECT COUNT(*) FROM outbox WHERE "
	    "JSON_VALUE(data, '$.id') = %" PRId64 ") = 4", id);
	ck_assert_int_eq(order(1, one, &id), INV_OK);
	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, id, user_id,
	    &r), INV_OK);
	tu_expect_sql(app->db, "(SELECT type FROM outbox ORDER BY id DESC "
	    "LIMIT 1) = 'order.cancelled'");
}
END_TEST

/* The worker's batch: one order.processing per order it moves, none for
 * the order processed before. */
START_TEST(test_batch)
{
	static const int64_t one[] = { 1, 1 };
	struct order_settle s[3];
	struct order_refused r;
	int64_t id[3];
	size_t i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(order(1, one, &id[i]), INV_OK);
		s[i].order_id = id[i];
		s[i].payment_ok = true;
	}
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id[1],
	    ORDER_PROCESSING, NULL, NULL, admin_id, &r), INV_OK);
	order_flow_process_batch(app->db, app->cache, s, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(s[i].rc, INV_OK);
		ck_assert_int_eq(s[i].final, ORDER_PROCESSING);
		tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox WHERE "
		    "type = 'order.processing' AND JSON_VALUE(data, '$.id') "
		    "= %" PRId64 ") = 1", id[i]);
	}
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox) = 6");
}
END_TEST

START_TEST(test_inventory_adjusted)
{
	ck_assert_int_eq(call("POST", API "/inventory/1/adjust", admin,
	    "{\"quantity\":3,\"reason\":\"delivery\"}", NULL), 200);
	expect_events("inventory.adjusted");
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox WHERE "
	    "JSON_VALUE(data, '$.id') = 1 AND "
	    "JSON_VALUE(data, '$.product_id') = 1 AND "
	    "JSON_VALUE(data, '$.quantity_in_stock') = 8 AND "
	    "JSON_VALUE(data, '$.change') = 3 AND "
	    "JSON_VALUE(data, '$.reason') = 'delivery') = 1");
	/* Refused adjustments write nothing. */
	ck_assert_int_eq(call("POST", API "/inventory/1/adjust", admin,
	    "{\"quantity\":-9}", NULL), 400);
	ck_assert_int_eq(call("POST", API "/inventory/9/adjust", admin,
	    "{\"quantity\":1}", NULL), 404);
	expect_events("inventory.adjusted");
}
END_TEST

static Suite *
events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("outbox");

	tcase_add_checked_fixture(tc, seed, teardown);
	tcase_add_test(tc, test_order_created);
	tcase_add_test(tc, test_order_refused);
	tcase_add_test(tc, test_rolled_back);
	tcase_add_test(tc, test_status_changes);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_inventory_adjusted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(events_suite(), NULL);
}
