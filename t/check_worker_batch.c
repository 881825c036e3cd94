/*
 * check_worker_batch.c: inventory-worker's batches and its payments in
 * flight at once, against real MariaDB and Redis (integration): the http
 * payment step against a gateway stub this suite starts (a real HTTP
 * server on a TCP port of 127.0.0.1, one process per connection, that
 * pays, declines, fails once, never answers, or is not there at all);
 * a batch killed in the middle; Redis lost between the settling and the
 * acknowledgement. The stock invariants are checked after each.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "db.h"
#include "order_flow.h"
#include "queue.h"
#include "testgateway.h"
#include "testredis.h"
#include "testutil.h"
#include "testworker.h"

#define PAYMENT_FAILED	"Payment processing failed"
#define HTTP_MODE	"INVENTORY_PAYMENT_MODE=http"

/* n orders of one unit of product pid, queued on the high queue. */
static void
queue_orders(int64_t pid, int64_t *ids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ids[i] = tw_make_order(pid, 1);
		ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, ids[i]),
		    INV_OK);
	}
}

/*
 * How each test of the HTTP mode starts: n orders (ids) of one unit of
 * a new product pid with a stock of 10, queued; the stub answering as
 * mode; then one worker run named name with env (NULL ended: HTTP_MODE,
 * the stub's URL and any other), which must exit 0.
 */
static void
gw_orders_drained(int64_t pid, int64_t *ids, int n, enum gw_mode mode,
    const char *name, const char *const *env)
{
	tw_seed_product(pid, 10);
	queue_orders(pid, ids, n);
	if (mode == GW_NOWHERE)
		gw_nowhere();
	else
		gw_start(mode);
	ck_assert_int_eq(tw_drain(name, env), 0);
}

/* Every order of ids in status/reservation; each note of a refused
 * payment once (cancelled) or never. */
static void
assert_orders(const int64_t *ids, int n, const char *status,
    const char *reservation)
{
	char *notes;
	int i;

	for (i = 0; i < n; i++) {
		tw_assert_order(ids[i], status, reservation);
		notes = tw_order_notes(ids[i]);
		ck_assert_int_eq(tw_occurrences(notes, PAYMENT_FAILED),
		    strcmp(status, "cancelled") == 0 ? 1 : 0);
		free(notes);
	}
}

/* "Idempotency-Key" value of order id, into key. */
static void
order_key(int64_t id, char key[64])
{
	snprintf(key, 64, "order-%" PRId64, id);
}

START_TEST(http_gateway_pays)
{
	const char *env[] = { HTTP_MODE, gw_url_env, NULL };
	int64_t ids[3];
	char key[64], *log;
	int i;

	gw_orders_drained(40, ids, 3, GW_PAY, "http-pay", env);
	assert_orders(ids, 3, "processing", "held");
	ck_assert_int_eq(tw_reserved(40), 3);
	tw_assert_output_has("processed=3 ");
	/* One POST per order, naming it and its amount, under its own key. */
	ck_assert_int_eq(gw_requests(NULL), 3);
	log = tw_file_text(gw_log);
	for (i = 0; i < 3; i++) {
		order_key(ids[i], key);
		ck_assert_int_eq(gw_requests(key), 1);
		snprintf(key, sizeof(key), "{\"order_id\":%" PRId64 ","
		    "\"order_number\":\"ORD-", ids[i]);
		ck_assert_msg(strstr(log, key) != NULL, "no %s in:\n%s", key,
		    log);
	}
	ck_assert_int_eq(tw_occurrences(log, "\"user_id\":1,"
	    "\"total_amount\":\"9.99\"}"), 3);
	free(log);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
	/* A job run again (recovered, swept twice) pays nothing again. */
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, ids[1]),
	    INV_OK);
	ck_assert_int_eq(tw_drain("http-pay", env), 0);
	tw_assert_output_has("processed=1 ");
	ck_assert_int_eq(gw_requests(NULL), 3);
	assert_orders(ids, 3, "processing", "held");
	tw_assert_queue_empty();
}
END_TEST

START_TEST(http_gateway_declines)
{
	const char *env[] = { HTTP_MODE, gw_url_env, NULL };
	int64_t ids[2];

	gw_orders_drained(41, ids, 2, GW_DECLINE, "http-no", env);
	assert_orders(ids, 2, "cancelled", "released");
	ck_assert_int_eq(tw_reserved(41), 0);
	tw_assert_output_has("processed=2 cancelled=2 ");
	ck_assert_int_eq(gw_requests(NULL), 2);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

/*
 * A 503 is not a refusal: the job is retried with the queue's backoff,
 * the order left pending; the second try is paid.
 */
START_TEST(http_gateway_5xx_then_paid)
{
	const char *env[] = { HTTP_MODE, gw_url_env, NULL };
	int64_t ids[2];
	size_t moved;
	char key[64];

	gw_orders_drained(42, ids, 2, GW_FLAKY, "http-5xx", env);
	tw_assert_output_has("retried=2 ");
	tw_assert_output_has("payment gateway: HTTP 503");
	assert_orders(ids, 2, "pending", "held");
	ck_assert_int_eq(tr_int("ZCARD %s", "inventory:queue:scheduled"), 2);
	/* Instead of waiting for the backoff: promote as if it had passed. */
	ck_assert_int_eq(queue_promote(tw_q, queue_now_ms() + 3600000,
	    &moved), INV_OK);
	ck_assert_uint_eq(moved, 2);
	ck_assert_int_eq(tw_drain("http-5xx", env), 0);
	tw_assert_output_has("processed=2 ");
	assert_orders(ids, 2, "processing", "held");
	order_key(ids[0], key);
	ck_assert_int_eq(gw_requests(key), 2);
	ck_assert_int_eq(tw_reserved(42), 2);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

/* A gateway that never answers: after payment_timeout_ms, a retry. */
START_TEST(http_gateway_timeout_is_retried)
{
	const char *env[] = { HTTP_MODE, gw_url_env,
	    "INVENTORY_PAYMENT_TIMEOUT_MS=300", NULL };
	int64_t ids[2];

	gw_orders_drained(43, ids, 2, GW_SILENT, "http-slow", env);
	tw_assert_output_has("retried=2 ");
	tw_assert_output_has("payment gateway: ");
	tw_assert_output_has("retry scheduled");
	ck_assert_int_eq(gw_requests(NULL), 2);
	assert_orders(ids, 2, "pending", "held");
	ck_assert_int_eq(tr_int("ZCARD %s", "inventory:queue:scheduled"), 2);
	ck_assert_int_eq(tw_reserved(43), 2);
	tw_assert_stock_invariants();
}
END_TEST

/* No gateway at all (connection refused): a retry, nothing changed. */
START_TEST(http_gateway_down_is_retried)
{
	const char *env[] = { HTTP_MODE, gw_url_env, NULL };
	int64_t ids[2];

	gw_orders_drained(44, ids, 2, GW_NOWHERE, "http-down", env);
	tw_assert_output_has("retried=2 ");
	tw_assert_output_has("payment gateway: ");
	assert_orders(ids, 2, "pending", "held");
	ck_assert_int_eq(tr_int("ZCARD %s", "inventory:queue:scheduled"), 2);
	tw_assert_stock_invariants();
}
END_TEST

/* payment_mode http without a URL, or an unknown mode: refused at start. */
START_TEST(http_mode_needs_a_url)
{
	const char *no_url[] = { HTTP_MODE, NULL };
	const char *bad[] = { "INVENTORY_PAYMENT_MODE=cheque", NULL };

	ck_assert_int_eq(tw_drain("conf", no_url), 1);
	tw_assert_output_has("payment_url");
	ck_assert_int_eq(tw_drain("conf", bad), 1);
	tw_assert_output_has("payment_mode must be simulated or http");
}
END_TEST

/*
 * One run claims worker_batch jobs at once and keeps their payments in
 * flight together: with a 2 s payment, a batch of 30 sits in the
 * in-flight list whole while a second batch waits only for room
 * (payment_concurrency 50). All are processed, each once.
 */
START_TEST(batch_claimed_whole_payments_together)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "batcher", NULL };
	const char *env[] = { "INVENTORY_PAYMENT_DELAY_MS=2000",
	    "INVENTORY_WORKER_BATCH=30", "INVENTORY_PAYMENT_CONCURRENCY=50",
	    "INVENTORY_LOG_LEVEL=info", NULL };
	struct cache *ch = NULL;
	int64_t ids[70];
	char *val = NULL;
	uint64_t gen;
	pid_t pid;

	tw_seed_product(45, 100);
	queue_orders(45, ids, 70);
	/* The owner's cached pages of orders: the settled batch must make
	 * them stale (one bump for its owners, after the commit). */
	ck_assert_int_eq(cache_open(&ch, tw_app->cfg), INV_OK);
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ORDERS, TW_USER_ID,
	    "page", &val, &gen), INV_NOTFOUND);
	cache_store(ch, CACHE_SCOPE_ORDERS, TW_USER_ID, "page", gen, "[old]",
	    5, 600);
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ORDERS, TW_USER_ID,
	    "page", &val, &gen), INV_OK);
	free(val);
	val = NULL;
	pid = tw_spawn(tw_worker_bin(), argv, env);
	/* 30 + 20: as many as the payments in flight allow, at once. */
	tw_wait_for_len("inventory:queue:inflight:batcher", 50);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:high"), 20);
	assert_orders(ids, 70, "pending", "held");
	ck_assert_int_eq(tw_reap(pid), 0);
	tw_assert_output_has("processed=70 ");
	assert_orders(ids, 70, "processing", "held");
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ORDERS, TW_USER_ID,
	    "page", &val, &gen), INV_NOTFOUND);
	cache_close(ch);
	ck_assert_int_eq(tw_reserved(45), 70);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

/*
 * A batch mixing paid orders (settled together) and refused ones (each
 * in its own transaction), the same order's job twice, and a job for an
 * order that does not exist: every order ends once, as its payment said.
 */
START_TEST(batch_mixes_paid_refused_and_duplicates)
{
	const char *pay[] = { "INVENTORY_PAYMENT_FAILURE_RATE=0", NULL };
	const char *refuse[] = { "INVENTORY_PAYMENT_FAILURE_RATE=1", NULL };
	int64_t paid[5], refused[5];
	int i;

	tw_seed_product(46, 20);
	queue_orders(46, paid, 5);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, paid[2]),
	    INV_OK);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, 999999),
	    INV_OK);
	ck_assert_int_eq(tw_drain("mixed", pay), 0);
	tw_assert_output_has("processed=7 ");
	tw_assert_output_has("no such order");
	assert_orders(paid, 5, "processing", "held");

	queue_orders(46, refused, 5);
	for (i = 0; i < 5; i++)	/* done before: left alone */
		ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH,
		    paid[i]), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, refused[0]),
	    INV_OK);
	ck_assert_int_eq(tw_drain("mixed", refuse), 0);
	tw_assert_output_has("processed=11 ");
	assert_orders(paid, 5, "processing", "held");
	assert_orders(refused, 5, "cancelled", "released");
	ck_assert_int_eq(tw_reserved(46), 5);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

/*
 * SIGKILL in the middle of a batch (its payments in flight): the whole
 * batch stays in the dead worker's in-flight list; once the heartbeat
 * has expired the next run takes it back whole, and every order is
 * processed once (the refused payment would release stock twice).
 */
START_TEST(killed_mid_batch_batch_taken_back_whole)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "victim", NULL };
	const char *slow[] = { "INVENTORY_PAYMENT_DELAY_MS=60000",
	    "INVENTORY_WORKER_HEARTBEAT_TTL=2", "INVENTORY_WORKER_BATCH=40",
	    "INVENTORY_PAYMENT_CONCURRENCY=40", NULL };
	const char *fail[] = { "INVENTORY_PAYMENT_FAILURE_RATE=1", NULL };
	int64_t ids[60];
	pid_t pid;

	tw_seed_product(47, 60);
	queue_orders(47, ids, 60);
	pid = tw_spawn(tw_worker_bin(), argv, slow);
	tw_wait_for_len("inventory:queue:inflight:victim", 40);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	assert_orders(ids, 60, "pending", "held");
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:high"), 20);
	tw_wait_for_key("inventory:queue:worker:victim", false);

	ck_assert_int_eq(tw_drain("rescuer", fail), 0);
	tw_assert_output_has("recovered=40 ");
	tw_assert_output_has("processed=60 cancelled=60 ");
	assert_orders(ids, 60, "cancelled", "released");
	ck_assert_int_eq(tw_reserved(47), 0);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s",
	    "victim"), 0);
}
END_TEST

/*
 * Redis stops answering while a batch's payments are in flight: the run
 * takes no more jobs, settles the batch in MariaDB (the payments went
 * through), fails to acknowledge it and exits 1; the jobs stay in flight,
 * and the next run takes them back and finds their orders done.
 */
START_TEST(redis_lost_before_the_ack)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "cut", NULL };
	const char *env[] = { "INVENTORY_PAYMENT_DELAY_MS=1500",
	    "INVENTORY_WORKER_HEARTBEAT_TTL=2",
	    "INVENTORY_QUEUE_REDIS_COMMAND_TIMEOUT_MS=200",
	    "INVENTORY_LOG_LEVEL=info", NULL };
	int64_t ids[10];
	char st[16], res[16];
	pid_t pid;
	int i;

	tw_seed_product(48, 20);
	queue_orders(48, ids, 10);
	pid = tw_spawn(tw_worker_bin(), argv, env);
	tw_wait_for_len("inventory:queue:inflight:cut", 10);
	/* Every client waits 4 s: the worker's acknowledgement times out,
	 * and so does its attempt to hand the jobs back. */
	tu_redis(tw_app, "CLIENT PAUSE %d ALL", 4000);
	ck_assert_int_eq(tw_reap(pid), 1);
	tw_assert_output_has("jobs in hand handed back");
	for (i = 0; i < TW_POLLS; i++) {
		tw_order_state(ids[9], st, res);
		if (strcmp(st, "processing") == 0)
			break;
		usleep(50000);
	}
	assert_orders(ids, 10, "processing", "held");
	tw_wait_for_key("inventory:queue:worker:cut", false);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:inflight:cut"),
	    10);

	ck_assert_int_eq(tw_drain("mender", NULL), 0);
	tw_assert_output_has("recovered=10 ");
	tw_assert_output_has("processed=10 ");
	assert_orders(ids, 10, "processing", "held");
	ck_assert_int_eq(tw_reserved(48), 10);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

static Suite *
worker_batch_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("http_payments", 60),
		TU_TEST(http_gateway_pays),
		TU_TEST(http_gateway_declines),
		TU_TEST(http_gateway_5xx_then_paid),
		TU_TEST(http_gateway_timeout_is_retried),
		TU_TEST(http_gateway_down_is_retried),
		TU_TEST(http_mode_needs_a_url),
		TU_CASE("batches", 60),
		TU_TEST(batch_claimed_whole_payments_together),
		TU_TEST(batch_mixes_paid_refused_and_duplicates),
		TU_CASE("faults", 60),
		TU_TEST(killed_mid_batch_batch_taken_back_whole),
		TU_TEST(redis_lost_before_the_ack),
	};

	return tu_suite("worker_batch", gw_setup, gw_teardown, rows,
	    NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(worker_batch_suite(), NULL);
}
