/*
 * check_orders_race.c: orders under contention (integration): races
 * for the last units, multi-item orders, cancel against ship, the race
 * harness itself, and the stock invariants after a mixed sequence.
 */
#include "testorders.h"

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
				ck_assert(tu_jint(it, "product_id") == 1 ||
				    tu_jint(it, "product_id") == 2);
				m->units[tu_jint(it, "product_id")] +=
				    tu_jint(it, "quantity");
			}
		} else {
			ck_assert_msg(st == 400 && multi_refusal(k,
			    tu_detail(o)),
			    "%s: %d \"%s\", expected 400 short of one of its "
			    "products", body, st,
			    tu_detail(o) != NULL ? tu_detail(o) : "(none)");
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
	tu_child_connect(i);
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

	ck_assert(!tu_race(3, tu_child_connect, fails_on_purpose, NULL, 0, why,
	    sizeof(why)));
	ck_assert_msg(strncmp(why, "1 of 3 children failed: child 1: ",
	    strlen("1 of 3 children failed: child 1: ")) == 0 &&
	    strstr(why, "check_orders_race.c:") != NULL &&
	    strstr(why, "child 1 fails on purpose") != NULL, "%s", why);
	ck_assert(!tu_race(3, tu_child_connect, exits_on_purpose, NULL, 0, why,
	    sizeof(why)));
	ck_assert_str_eq(why, "1 of 3 children failed: child 1: reported "
	    "nothing");
	ck_assert(!tu_race(3, tu_child_connect, dies_on_purpose, NULL, 0, why,
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
	ck_assert_msg(tu_race(3, tu_child_connect, reports_its_square, got,
	    sizeof(got[0]), why, sizeof(why)), "%s", why);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], 4);
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
				ids[nids++] = tu_jint(o, "id");
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
			shipped[tu_jint(it, "product_id")] += tu_jint(it,
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

static Suite *
orders_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("concurrency", 60),
		TU_TEST(reserve_inventory_race_condition),
		TU_TEST(reserve_race_several_units),
		TU_TEST(multi_item_orders_under_contention),
		TU_TEST(concurrent_cancel_and_ship),
		TU_TEST(a_failing_child_fails_the_race),
		TU_CASE("invariants", 60),
		TU_TEST(stock_invariants_after_mixed_operations),
	};

	return tu_suite("orders race", setup, NULL, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(orders_suite(), NULL);
}
