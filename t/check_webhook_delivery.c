/*
 * check_webhook_delivery.c: inventory-worker's webhook deliveries against
 * real MariaDB and Redis (integration), with the suites' HTTP stub as the
 * receiver (testgateway.h), which verifies every signature and can
 * answer 500, hang, or be down. Events of every type arrive signed; a
 * receiver down for 20 s gets every event once it is back (duplicates
 * counted and printed: delivery is at least once); a worker killed in
 * the middle of a POST leaves the delivery to the next run; a change
 * rolled back sends nothing; 1,000 orders make 1,000 deliveries. The
 * failure paths: 500 until the last attempt, a hang cut by the timeout,
 * a private address refused at connect.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "order_flow.h"
#include "queue.h"
#include "testgateway.h"
#include "testredis.h"
#include "testutil.h"
#include "testworker.h"

#define SECRET		"whsec-test-0123456789abcdef"
#define ALL_TYPES	"[\"order.created\",\"order.processing\"," \
			"\"order.cancelled\",\"order.shipped\"," \
			"\"order.delivered\",\"inventory.adjusted\"]"
#define PRIVATE_OK	"INVENTORY_WEBHOOK_ALLOW_PRIVATE=true"

static char hook_url[96];

static void
setup(void)
{
	gw_setup();
	snprintf(gw_secret, sizeof(gw_secret), "%s", SECRET);
}

/* Whether the SQL condition holds now. */
static bool
holds(const char *fmt, ...)
{
	char *cond, *s;
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&cond, fmt, ap), 0);
	va_end(ap);
	s = xasprintf("BEGIN NOT ATOMIC IF NOT COALESCE((%s), FALSE) THEN "
	    "SIGNAL SQLSTATE '45000'; END IF; END", cond);
	/* false is an answer here, not an error to log. */
	log_set_level(LOG_LVL__MAX);
	ok = db_exec_script(tw_app->db, s) == INV_OK;
	log_set_level(LOG_LVL_WARN);
	free(s);
	free(cond);
	return ok;
}

/* Delivery 1 of subscription 1 as one line (new), for a failure's
 * message. */
static char *
delivery_text(void)
{
	struct db_val p[2] = { DB_INT(1), DB_INT(1) };
	struct db_res *res = NULL;
	char *text;
	int c;

	ck_assert_int_eq(db_exec(tw_app->db, STMT_WEBHOOK_DELIVERY_BY_ID, p,
	    2, &res, NULL, NULL), INV_OK);
	if (db_res_rows(res) == 0)
		text = xstrdup("no delivery 1");
	else {
		text = xstrdup("delivery 1:");
		for (c = WH_DELIVERY_COL_STATUS; c <= WH_DELIVERY_COL_LAST_ERROR;
		    c++) {
			char *t = xasprintf("%s %s", text, db_res_isnull(res, 0,
			    (size_t)c) ? "NULL" : db_res_str(res, 0, (size_t)c));

			free(text);
			text = t;
		}
	}
	db_res_free(res);
	return text;
}

/* Fails with delivery 1's row unless cond holds. */
#define ASSERT_DELIVERY(cond) do {					\
	char *row_ = delivery_text();					\
									\
	ck_assert_msg(holds("%s", cond), "%s: %s", cond, row_);	\
	free(row_);							\
} while (0)

/* Polls cond every 100 ms for up to tenths; whether it held. */
static bool
waits_for(int tenths, const char *cond)
{
	bool ok = false;
	int i;

	for (i = 0; i < tenths && !(ok = holds("%s", cond)); i++)
		usleep(100000);
	return ok;
}

/* Starts the receiver and subscribes id to events (a JSON array) at it,
 * with secret, active or not. */
static void
subscribe(int64_t id, const char *events, const char *secret, bool active)
{
	snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/hook",
	    gw_port);
	tw_sql("INSERT INTO webhooks (id, url, events, secret, is_active) "
	    "VALUES (%" PRId64 ", '%s', '%s', '%s', %d)", id, hook_url, events,
	    secret, active ? 1 : 0);
}

/* One event of each type, through the code that writes it: two orders
 * (one paid, shipped, delivered; one cancelled) and an adjustment. */
static void
every_event(void)
{
	struct db_val p[3] = { DB_INT(3), DB_STR("count"), DB_INT(1) };
	struct order_refused r;
	int64_t a, b;

	tw_seed_product(1, 100);
	a = tw_make_order(1, 1);
	ck_assert_int_eq(order_flow_update(tw_app->db, tw_app->cache, a,
	    ORDER_PROCESSING, NULL, NULL, TW_USER_ID, &r), INV_OK);
	ck_assert_int_eq(order_flow_update(tw_app->db, tw_app->cache, a,
	    ORDER_SHIPPED, "TRACK-1", NULL, TW_USER_ID, &r), INV_OK);
	ck_assert_int_eq(order_flow_update(tw_app->db, tw_app->cache, a,
	    ORDER_DELIVERED, NULL, NULL, TW_USER_ID, &r), INV_OK);
	b = tw_make_order(1, 1);
	ck_assert_int_eq(order_flow_cancel(tw_app->db, tw_app->cache, b,
	    TW_USER_ID, &r), INV_OK);
	ck_assert_int_eq(db_exec(tw_app->db, STMT_EVENT_INV_ADJUSTED, p, 3,
	    NULL, NULL, NULL), INV_OK);
	ck_assert(holds("(SELECT COUNT(*) FROM outbox) = 7"));
}

/*
 * How many requests the receiver logged for each event id (from the
 * payload's "id", which starts every body) into counts[1..max]; returns
 * the number of requests, and fails on a bad signature unless bad_ok.
 * Prints every event that came more than once.
 */
static int
tally(int *counts, int max, bool bad_ok)
{
	char *text = tw_file_text(gw_log), *line, *save = NULL, *p;
	int n = 0, dup = 0;
	long id;

	memset(counts, 0, sizeof(*counts) * (size_t)(max + 1));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n++;
		ck_assert_msg(bad_ok || strncmp(line, "ok/", 3) == 0,
		    "signature refused: %s", line);
		ck_assert_msg((p = strstr(line, " {\"id\":")) != NULL,
		    "no event id: %s", line);
		id = strtol(p + 7, NULL, 10);
		ck_assert_msg(id >= 1 && id <= max, "event %ld?", id);
		counts[id]++;
	}
	for (id = 1; id <= max; id++)
		if (counts[id] > 1) {
			printf("event %ld delivered %d times\n", id,
			    counts[id]);
			dup++;
		}
	printf("%d request(s), %d event(s) more than once\n", n, dup);
	free(text);
	return n;
}

START_TEST(every_type_arrives_signed)
{
	const char *env[] = { PRIVATE_OK, NULL };
	int counts[8];
	char *log;

	gw_start(GW_PAY);
	subscribe(1, ALL_TYPES, SECRET, true);
	/* Another subscriber's secret, for adjustments only: the receiver
	 * must refuse its signature (it checks with SECRET). */
	subscribe(2, "[\"inventory.adjusted\"]", "another-secret", true);
	/* A paused subscription gets nothing. */
	subscribe(3, ALL_TYPES, SECRET, false);
	every_event();
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests(NULL), 8);
	log = tw_file_text(gw_log);
	ck_assert_int_eq(tw_occurrences(log, "ok/order.created/"), 2);
	ck_assert_int_eq(tw_occurrences(log, "ok/order.processing/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "ok/order.shipped/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "ok/order.delivered/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "ok/order.cancelled/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "ok/inventory.adjusted/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "bad/inventory.adjusted/"), 1);
	/* The payload: the event's id and type, its time, the object. */
	ck_assert_int_eq(tw_occurrences(log, ",\"type\":\"order.shipped\","
	    "\"created_at\":\""), 1);
	/* Shipped and delivered: the order as each change left it. */
	ck_assert_int_eq(tw_occurrences(log, "\"tracking_number\":"
	    "\"TRACK-1\""), 2);
	free(log);
	tally(counts, 7, true);
	for (int i = 1; i <= 7; i++)
		ck_assert_int_ge(counts[i], 1);
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries) = 8 AND "
	    "(SELECT COUNT(*) FROM webhook_deliveries WHERE status = "
	    "'delivered' AND attempts = 1 AND last_status_code = 200 AND "
	    "last_error IS NULL AND delivered_at IS NOT NULL AND "
	    "last_duration_ms >= 0) = 8 AND (SELECT COUNT(*) FROM "
	    "webhook_deliveries WHERE webhook_id = 3) = 0 AND "
	    "(SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL) = 0"));
	tw_assert_queue_empty();
	/* A second run finds nothing more to send. */
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests(NULL), 8);
}
END_TEST

/* A change rolled back wrote no event: nothing is sent. */
static enum inv_err
order_then_fail(struct db *db, void *arg)
{
	struct order_line line = { 1, 1 };
	struct order_new o = { TW_USER_ID, 0, "1 Main St", NULL, NULL, &line,
	    1 };
	struct order_touched touched;
	struct order_refused r;
	int64_t id;

	(void)arg;
	ck_assert_int_eq(order_flow_create(db, &o, &id, NULL, NULL, &touched,
	    &r), INV_OK);
	/* A later step of the same change fails. */
	return INV_INVALID;
}

START_TEST(rolled_back_change_sends_nothing)
{
	const char *env[] = { PRIVATE_OK, NULL };

	gw_start(GW_PAY);
	subscribe(1, ALL_TYPES, SECRET, true);
	tw_seed_product(1, 10);
	ck_assert_int_eq(db_transaction(tw_app->db, order_then_fail, NULL),
	    INV_INVALID);
	ck_assert(holds("(SELECT COUNT(*) FROM orders) = 0"));
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests(NULL), 0);
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries) = 0"));
}
END_TEST

/* 500 every time: retried with backoff, then failed after the last. */
START_TEST(server_error_until_failed)
{
	const char *env[] = { PRIVATE_OK, "INVENTORY_WEBHOOK_MAX_ATTEMPTS=3",
	    "INVENTORY_WEBHOOK_BACKOFF_MS=1", NULL };
	int i;

	gw_start(GW_FAIL);
	subscribe(1, ALL_TYPES, SECRET, true);
	tw_seed_product(1, 10);
	(void)tw_make_order(1, 1);
	/* A run ends when nothing is due: a retry due a millisecond
	 * later may be the next run's (cron's next minute). */
	for (i = 0; i < 10 && !holds("(SELECT status = 'failed' FROM "
	    "webhook_deliveries WHERE id = 1)"); i++)
		ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests("ok/order.created/1"), 3);
	tw_assert_output_has("failed, no attempt left");
	ck_assert(holds("(SELECT COUNT(*) FROM outbox) = 1"));
	ASSERT_DELIVERY("(SELECT status = 'failed' AND attempts = 3 AND "
	    "last_status_code = 500 AND last_error = 'HTTP 500: {}' AND "
	    "delivered_at IS NULL FROM webhook_deliveries WHERE id = 1)");
	tw_assert_queue_empty();
}
END_TEST

/* A receiver that never answers: the timeout ends the attempt. */
START_TEST(hang_cut_by_timeout)
{
	const char *env[] = { PRIVATE_OK, "INVENTORY_WEBHOOK_MAX_ATTEMPTS=1",
	    "INVENTORY_WEBHOOK_TIMEOUT_MS=300", NULL };

	gw_start(GW_SILENT);
	subscribe(1, ALL_TYPES, SECRET, true);
	tw_seed_product(1, 10);
	(void)tw_make_order(1, 1);
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests(NULL), 1);
	ASSERT_DELIVERY("(SELECT status = 'failed' AND attempts = 1 AND "
	    "last_status_code IS NULL AND last_error LIKE '%timed out%' "
	    "AND last_duration_ms >= 250 FROM webhook_deliveries WHERE id = "
	    "1)");
}
END_TEST

/* Without webhook_allow_private, loopback is refused at the connect,
 * whatever the URL stored says. */
START_TEST(private_address_refused_at_connect)
{
	const char *env[] = { "INVENTORY_WEBHOOK_ALLOW_PRIVATE=false",
	    "INVENTORY_WEBHOOK_MAX_ATTEMPTS=1", NULL };

	gw_start(GW_PAY);
	subscribe(1, ALL_TYPES, SECRET, true);
	tw_seed_product(1, 10);
	(void)tw_make_order(1, 1);
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert_int_eq(gw_requests(NULL), 0);
	ASSERT_DELIVERY("(SELECT status = 'failed' AND last_status_code IS "
	    "NULL AND last_error LIKE 'address 127.0.0.1 refused%' FROM "
	    "webhook_deliveries WHERE id = 1)");
}
END_TEST

/*
 * The receiver down for 20 s while a --follow worker runs: every event
 * is delivered once it is back (backoff 1.4 s doubled: an attempt lands
 * about 21 s after the first). Duplicates are allowed (at least once):
 * counted and printed.
 */
START_TEST(receiver_down_then_back)
{
	const char *argv[] = { tw_worker_bin(), "--follow", "--worker-id",
	    "hooks", "--max-seconds", "120", NULL };
	const char *env[] = { PRIVATE_OK, "INVENTORY_LOG_LEVEL=info",
	    "INVENTORY_WEBHOOK_BACKOFF_MS=1400",
	    "INVENTORY_WEBHOOK_MAX_ATTEMPTS=10", NULL };
	int counts[21], i, port;
	pid_t pid;

	gw_start(GW_PAY);
	port = gw_port;
	subscribe(1, "[\"order.created\"]", SECRET, true);
	gw_stop();
	tw_seed_product(1, 100);
	for (i = 0; i < 20; i++)
		(void)tw_make_order(1, 1);
	pid = tw_spawn(tw_worker_bin(), argv, env);
	ck_assert(waits_for(100, "(SELECT COUNT(*) FROM webhook_deliveries "
	    "WHERE attempts > 0) = 20"));
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries WHERE "
	    "status = 'pending' AND last_error LIKE '%%onnect%%') = 20"));
	sleep(20);
	gw_start_on(port, GW_PAY);
	(void)waits_for(600, "(SELECT COUNT(*) FROM webhook_deliveries "
	    "WHERE status = 'delivered') = 20");
	kill(pid, SIGTERM);
	ck_assert_int_eq(tw_reap(pid), 0);
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries WHERE "
	    "status = 'delivered') = 20"));
	ck_assert_int_ge(tally(counts, 20, false), 20);
	for (i = 1; i <= 20; i++)
		ck_assert_msg(counts[i] >= 1, "event %d never arrived", i);
}
END_TEST

/*
 * A worker killed while its POST waits for the (hanging) receiver: the
 * delivery stays pending, its job in the dead worker's in-flight list;
 * the next run takes the job back once the heartbeat has expired, and
 * delivers it.
 */
START_TEST(killed_mid_delivery_delivered_after)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "victim", NULL };
	const char *env[] = { PRIVATE_OK, "INVENTORY_WORKER_HEARTBEAT_TTL=2",
	    NULL };
	int counts[2], i, port;
	pid_t pid;

	gw_start(GW_SILENT);
	port = gw_port;
	subscribe(1, ALL_TYPES, SECRET, true);
	tw_seed_product(1, 10);
	(void)tw_make_order(1, 1);
	pid = tw_spawn(tw_worker_bin(), argv, env);
	for (i = 0; i < TW_POLLS && gw_requests(NULL) == 0; i++)
		usleep(50000);
	ck_assert_int_eq(gw_requests(NULL), 1);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:inflight:victim"),
	    1);
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	ck_assert(holds("(SELECT status = 'pending' AND attempts = 0 FROM "
	    "webhook_deliveries WHERE id = 1)"));
	gw_stop();
	gw_start_on(port, GW_PAY);
	sleep(3);
	ck_assert_int_eq(tw_drain("rescuer", env), 0);
	tw_assert_output_has("recovered=1 ");
	ck_assert(holds("(SELECT status = 'delivered' AND attempts = 1 FROM "
	    "webhook_deliveries WHERE id = 1)"));
	ck_assert_int_eq(tally(counts, 1, false), 2);
	ck_assert_int_eq(counts[1], 2);
	tw_assert_queue_empty();
}
END_TEST

/* 1,000 orders: 1,000 order.created events, each delivered. */
START_TEST(thousand_orders_thousand_events)
{
	/* The stub answers one POST at a time: under valgrind the last of
	 * a thousand in flight waits longer than the default 10 s, and a
	 * timed-out one waits for its backoff past the drain's end. */
	const char *env[] = { PRIVATE_OK,
	    "INVENTORY_WEBHOOK_TIMEOUT_MS=120000", NULL };
	/* Event ids are the outbox's, shared by every type: the stock's
	 * fall to its reorder level writes an inventory.low_stock event
	 * among the orders' (not subscribed to), so the order.created ids
	 * run past 1000. */
	int *counts = xcalloc(2001, sizeof(*counts)), i, arrived = 0;

	gw_start(GW_PAY);
	subscribe(1, "[\"order.created\"]", SECRET, true);
	tw_seed_product(1, 1000);
	for (i = 0; i < 1000; i++)
		(void)tw_make_order(1, 1);
	ck_assert(holds("(SELECT COUNT(*) FROM outbox WHERE type = "
	    "'order.created') = 1000"));
	ck_assert_int_eq(tw_drain("hooks", env), 0);
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries WHERE "
	    "status = 'delivered') = 1000"));
	ck_assert_int_ge(tally(counts, 2000, false), 1000);
	for (i = 1; i <= 2000; i++)
		arrived += counts[i] >= 1;
	ck_assert_int_eq(arrived, 1000);
	ck_assert(holds("(SELECT COUNT(*) FROM webhook_deliveries d JOIN "
	    "outbox e ON e.id = d.event_id WHERE e.type = 'order.created' "
	    "AND d.status = 'delivered') = 1000"));
	free(counts);
	tw_assert_queue_empty();
}
END_TEST

static Suite *
webhook_delivery_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("send", 60),
		TU_TEST(every_type_arrives_signed),
		TU_TEST(rolled_back_change_sends_nothing),
		TU_TEST(server_error_until_failed),
		TU_TEST(hang_cut_by_timeout),
		TU_TEST(private_address_refused_at_connect),
		TU_TEST(thousand_orders_thousand_events),
		TU_CASE("faults", 120),
		TU_TEST(receiver_down_then_back),
		TU_TEST(killed_mid_delivery_delivered_after),
	};

	return tu_suite("webhook_delivery", setup, gw_teardown, rows,
	    NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(webhook_delivery_suite(), NULL);
}
