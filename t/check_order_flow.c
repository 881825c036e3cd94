/*
 * check_order_flow.c: the stock rules of src/order_flow.c called
 * directly, without the router, against a real MariaDB and Redis
 * (integration): reserve at creation in one transaction or not at all,
 * release on cancel and deduct on shipping each at most once, the
 * reservation states (none, held, released, deducted) moving with the
 * stock, a movement for every change, and nothing changed when the
 * stock records disagree. What is checked is what the database holds.
 */
#include "testorders.h"

/* order_flow_create's results, run in a transaction of its own. */
struct created {
	int64_t			 id;
	struct order_touched	 touched;
	struct order_refused	 refused;
};

/* The db_transaction function around order_flow_create; arg is a
 * struct flow_create. */
struct flow_create {
	const struct order_new	*in;
	struct created		*out;
};

static enum inv_err
create_tx(struct db *db, void *arg)
{
	struct flow_create *c = arg;

	return order_flow_create(db, c->in, &c->out->id, NULL, NULL,
	    &c->out->touched, &c->out->refused);
}

/* Creates an order of user uid for the n lines (pid, qty pairs) through
 * order_flow_create in its own transaction; returns its result, *out
 * filled. */
static enum inv_err
flow_create(int64_t uid, const struct order_line *lines, size_t n,
    struct created *out)
{
	struct order_new in = { uid, 0, "1 Test Street", NULL, NULL, lines, n };
	struct flow_create c = { &in, out };
	enum inv_err e;

	memset(out, 0, sizeof(*out));
	e = db_transaction(app->db, create_tx, &c);
	if (e == INV_OK)
		order_flow_invalidate(app->cache, &out->touched);
	return e;
}

/* A user to own the orders (its id). */
static int64_t
owner(void)
{
	int64_t uid = 0;

	free(user_token("u@example.com", "U", false, &uid));
	ck_assert_int_gt(uid, 0);
	return uid;
}

/* Order id's reservation state is res and it has n movements. */
static void
expect_order(int64_t id, const char *res, int n)
{
	expect_sql("(SELECT reservation FROM orders WHERE id = %" PRId64
	    ") = '%s'", id, res);
	expect_sql("(SELECT COUNT(*) FROM stock_movements WHERE order_id = %"
	    PRId64 ") = %d", id, n);
}

/* One order of 3 Widgets (product 1, stock 10): its id. */
static int64_t
three_widgets(int64_t uid)
{
	struct order_line l[1] = { { 1, 3 } };
	struct created c;

	seed_product(1, "Widget", "2.50", 10);
	ck_assert_int_eq(flow_create(uid, l, 1, &c), INV_OK);
	ck_assert_int_gt(c.id, 0);
	return c.id;
}

START_TEST(create_reserves_every_line)
{
	struct order_line l[2] = { { 2, 4 }, { 1, 3 } };
	struct created c;

	seed_product(1, "Widget", "2.50", 10);
	seed_product(2, "Gadget", "1.00", 5);
	ck_assert_int_eq(flow_create(owner(), l, 2, &c), INV_OK);
	expect_stock(1, 10, 3);
	expect_stock(2, 5, 4);
	expect_order(c.id, "held", 2);
	expect_sql("(SELECT total_amount FROM orders WHERE id = %" PRId64
	    ") = 11.50", c.id);
	/* Both records are named for the cache, in product-id order. */
	ck_assert_uint_eq(c.touched.n, 2);
	ck_assert_int_eq(c.touched.rec[0].product_id, 1);
	ck_assert_int_eq(c.touched.rec[1].product_id, 2);
	expect_invariants();
}
END_TEST

START_TEST(create_all_or_nothing)
{
	struct order_line l[2] = { { 1, 3 }, { 2, 6 } };
	struct created c;
	char text[256];

	seed_product(1, "Widget", "2.50", 10);
	seed_product(2, "Gadget", "1.00", 5);
	/* The second line is short: the first one's reservation goes too. */
	ck_assert_int_eq(flow_create(owner(), l, 2, &c), INV_INVALID);
	ck_assert_int_eq(c.refused.why, ORDER_REFUSED_STOCK);
	ck_assert_int_eq(c.refused.available, 5);
	ck_assert_str_eq(order_refused_text(&c.refused, text, sizeof(text)),
	    "Insufficient stock for product Gadget. Available: 5");
	expect_stock(1, 10, 0);
	expect_stock(2, 5, 0);
	expect_sql("(SELECT COUNT(*) FROM orders) = 0");
	expect_sql("(SELECT COUNT(*) FROM stock_movements WHERE order_id "
	    "IS NOT NULL) = 0");
	expect_invariants();
}
END_TEST

START_TEST(create_refuses_missing_product_and_stock)
{
	struct order_line none[1] = { { 7, 1 } }, bare[1] = { { 3, 1 } };
	struct created c;
	int64_t uid = owner();

	seed_product(3, "Bare", "1.00", -1);	/* no inventory record */
	ck_assert_int_eq(flow_create(uid, none, 1, &c), INV_INVALID);
	ck_assert_int_eq(c.refused.why, ORDER_REFUSED_NO_PRODUCT);
	ck_assert_int_eq(c.refused.product_id, 7);
	ck_assert_int_eq(flow_create(uid, bare, 1, &c), INV_INVALID);
	ck_assert_int_eq(c.refused.why, ORDER_REFUSED_NO_INVENTORY);
	ck_assert_str_eq(c.refused.product_name, "Bare");
	expect_sql("(SELECT COUNT(*) FROM orders) = 0");
}
END_TEST

START_TEST(cancel_releases_once)
{
	struct order_refused r;
	int64_t id = three_widgets(owner());

	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, id, 0, &r),
	    INV_OK);
	expect_stock(1, 10, 0);
	expect_order(id, "released", 2);
	/* A second cancel is refused and releases nothing more. */
	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, id, 0, &r),
	    INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_CANCEL);
	ck_assert_int_eq(r.from, ORDER_CANCELLED);
	expect_stock(1, 10, 0);
	expect_order(id, "released", 2);
	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, 999, 0, &r),
	    INV_NOTFOUND);
	expect_invariants();
}
END_TEST

START_TEST(ship_deducts_once)
{
	struct order_refused r;
	int64_t id = three_widgets(owner());

	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PROCESSING, NULL, NULL, 0, &r), INV_OK);
	expect_stock(1, 10, 3);
	expect_order(id, "held", 1);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_SHIPPED, "TRACK-1", NULL, 0, &r), INV_OK);
	expect_stock(1, 7, 0);
	expect_order(id, "deducted", 2);
	/* Shipped again: only the tracking number changes. */
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_SHIPPED, "TRACK-2", NULL, 0, &r), INV_OK);
	expect_stock(1, 7, 0);
	expect_order(id, "deducted", 2);
	expect_sql("(SELECT tracking_number FROM orders WHERE id = %" PRId64
	    ") = 'TRACK-2'", id);
	/* Neither a cancel nor a way back gives the units back. */
	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, id, 0, &r),
	    INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_CANCEL);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PENDING, NULL, NULL, 0, &r), INV_INVALID);
	ck_assert_int_eq(r.why, ORDER_REFUSED_TRANSITION);
	expect_stock(1, 7, 0);
	expect_invariants();
}
END_TEST

START_TEST(process_is_idempotent)
{
	enum order_status st;
	int64_t uid = owner(), paid = three_widgets(uid), failed;
	struct order_line l[1] = { { 1, 2 } };
	struct created c;

	ck_assert_int_eq(flow_create(uid, l, 1, &c), INV_OK);
	failed = c.id;
	expect_stock(1, 10, 5);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, paid, true,
	    &st), INV_OK);
	ck_assert_int_eq(st, ORDER_PROCESSING);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, failed,
	    false, &st), INV_OK);
	ck_assert_int_eq(st, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	expect_order(failed, "released", 2);
	expect_sql("(SELECT notes FROM orders WHERE id = %" PRId64 ") LIKE "
	    "'%%Payment processing failed%%'", failed);
	/* The jobs run again: nothing moves. */
	ck_assert_int_eq(order_flow_process(app->db, app->cache, paid, false,
	    &st), INV_OK);
	ck_assert_int_eq(st, ORDER_PROCESSING);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, failed, true,
	    &st), INV_OK);
	ck_assert_int_eq(st, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	expect_order(paid, "held", 1);
	expect_order(failed, "released", 2);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, 999, true,
	    &st), INV_NOTFOUND);
	expect_invariants();
}
END_TEST

START_TEST(process_reserves_an_order_holding_none)
{
	enum order_status st;
	int64_t id = three_widgets(owner());

	/* As if the order had been made before reservations were taken at
	 * creation: it holds none, and its movement is gone. */
	sql("DELETE FROM stock_movements WHERE order_id = %" PRId64, id);
	sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64, id);
	sql("UPDATE inventory SET quantity_reserved = 0 WHERE product_id = 1");
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &st), INV_OK);
	ck_assert_int_eq(st, ORDER_PROCESSING);
	expect_stock(1, 10, 3);
	expect_order(id, "held", 1);
	expect_invariants();
}
END_TEST

START_TEST(disagreeing_records_change_nothing)
{
	struct order_refused r;
	int64_t id = three_widgets(owner());

	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_PROCESSING, NULL, NULL, 0, &r), INV_OK);
	/* Behind the rules' back, the record holds less than the order. */
	sql("UPDATE inventory SET quantity_reserved = 1 WHERE product_id = 1");
	ck_assert_int_eq(order_flow_cancel(app->db, app->cache, id, 0, &r),
	    INV_DISAGREE);
	ck_assert_int_eq(order_flow_update(app->db, app->cache, id,
	    ORDER_SHIPPED, NULL, NULL, 0, &r), INV_DISAGREE);
	expect_stock(1, 10, 1);
	expect_order(id, "held", 1);
	expect_sql("(SELECT status FROM orders WHERE id = %" PRId64
	    ") = 'processing'", id);
}
END_TEST

static Suite *
order_flow_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("reserve at creation", 0),
		TU_TEST(create_reserves_every_line),
		TU_TEST(create_all_or_nothing),
		TU_TEST(create_refuses_missing_product_and_stock),
		TU_CASE("release and deduct", 0),
		TU_TEST(cancel_releases_once),
		TU_TEST(ship_deducts_once),
		TU_TEST(process_is_idempotent),
		TU_TEST(process_reserves_an_order_holding_none),
		TU_TEST(disagreeing_records_change_nothing),
	};

	return tu_suite("order_flow", setup, NULL, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(order_flow_suite(), NULL);
}
