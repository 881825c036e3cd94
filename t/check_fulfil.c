/*
 * check_fulfil.c: fulfilment as a follow-up job against real MariaDB and
 * Redis (integration), with the suites' HTTP stub as the fulfilment
 * service (testgateway.h), which verifies every signature. An order made
 * processing (by the worker's payment step, by an admin's PUT, or found
 * by the sweep) is POSTed once and shipped with the tracking number the
 * answer gives, its stock deducted once; a 409 or 422 leaves it
 * processing with the reason in its notes, not retried; a 500 is retried
 * and then ships it once; a 2xx without a tracking number fails the job
 * to the dead letters; without fulfilment_url nothing is queued; an
 * admin's cancel racing the answers leaves each order one outcome.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "order_flow.h"
#include "queue.h"
#include "testgateway.h"
#include "testredis.h"
#include "testutil.h"
#include "testworker.h"

#define SECRET		"fulfil-test-secret-0123456789abcdef"
#define KEY_DEFAULT	"inventory:queue:default"
#define KEY_SCHEDULED	"inventory:queue:scheduled"
#define KEY_DEAD	"inventory:queue:dead"
#define RACE_ORDERS	30

static char url_env[96];
static const char *const secret_env = "INVENTORY_FULFILMENT_SECRET=" SECRET;

/* Fulfilment on for this process's app (the API side: an admin's PUT
 * queues the job); the worker gets the stub's URL from fulfil_env. */
static void
setup_on(void)
{
	setenv("INVENTORY_FULFILMENT_URL", "http://127.0.0.1:9/fulfil", 1);
	setenv("INVENTORY_FULFILMENT_SECRET", SECRET, 1);
	/* One process runs every suite under valgrind (CK_FORK=no): the
	 * app of the suite before read the other configuration. */
	tu_app_reload();
	gw_setup();
	snprintf(gw_secret, sizeof(gw_secret), "%s", SECRET);
}

static void
setup_off(void)
{
	unsetenv("INVENTORY_FULFILMENT_URL");
	unsetenv("INVENTORY_FULFILMENT_SECRET");
	/* One process runs every suite under valgrind (CK_FORK=no): the
	 * app of the suite before read the other configuration. */
	tu_app_reload();
	gw_setup();
}

/* Starts the stub as mode and sets url_env to it. */
static void
stub(enum gw_mode mode)
{
	gw_start(mode);
	snprintf(url_env, sizeof(url_env),
	    "INVENTORY_FULFILMENT_URL=http://127.0.0.1:%d/fulfil", gw_port);
}

/* A drain with fulfilment pointed at the stub, plus extra (may be NULL). */
static void
drain(const char *id, const char *extra)
{
	const char *env[] = { url_env, secret_env, extra, NULL };

	ck_assert_int_eq(tw_drain(id, env), 0);
}

/* An admin straight in the database and an access token for it (new). */
static char *
admin_token(void)
{
	return tu_token_for(tw_app, tu_insert_user(tw_app,
	    "admin@example.com", true), true);
}

/* PUT /api/v1/orders/{id} {"status": "processing"} as the admin: 200. */
static void
put_processing(const char *token, int64_t id)
{
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/orders/%" PRId64, id);
	ck_assert_int_eq(tu_call(tw_app, "PUT", path, token,
	    "{\"status\":\"processing\"}", NULL, NULL, NULL, NULL), 200);
}

/* The ledger rows of order id. */
static void
expect_ledger(int64_t id, int rows)
{
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM stock_movements "
	    "WHERE order_id = %" PRId64 ") = %d", id, rows);
}

/* Shipped by fulfilment: tracking number from the stub, stock deducted
 * by one movement (reserved at creation, deducted now), one
 * order.shipped event. */
static void
expect_shipped(int64_t id)
{
	tw_assert_order(id, "shipped", "deducted");
	tu_expect_sql(tw_app->db, "(SELECT tracking_number LIKE 'TRK-_%%' "
	    "FROM orders WHERE id = %" PRId64 ")", id);
	expect_ledger(id, 2);
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM stock_movements "
	    "WHERE order_id = %" PRId64 " AND change_in_stock < 0) = 1", id);
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM outbox WHERE type = "
	    "'order.shipped' AND JSON_VALUE(data, '$.id') = %" PRId64 ") = 1",
	    id);
}

/* inventoryctl audit finds nothing wrong. */
static void
expect_audit_clean(void)
{
	char *ctl = tw_ctl_bin();
	const char *audit[] = { ctl, "audit", NULL };

	ck_assert_int_eq(tw_reap(tw_spawn(ctl, audit, NULL)), 0);
	tw_assert_output_has(", 0 violation(s)");
	free(ctl);
	tw_assert_stock_invariants();
}

START_TEST(admin_processing_ships_with_tracking_number)
{
	char *token = admin_token(), *log;
	int64_t id;

	tw_seed_product(1, 10);
	id = tw_make_order(1, 3);
	put_processing(token, id);
	/* Queued after the commit, on default. */
	ck_assert_int_eq(tr_int("LLEN %s", KEY_DEFAULT), 1);
	stub(GW_PAY);
	drain("fulfil-put", NULL);
	expect_shipped(id);
	tu_expect_sql(tw_app->db, "(SELECT quantity_in_stock = 7 AND "
	    "quantity_reserved = 0 FROM inventory WHERE product_id = 1)");
	/* One signed POST of the Order as the API shows it. */
	ck_assert_int_eq(gw_requests(NULL), 1);
	log = tw_file_text(gw_log);
	ck_assert_int_eq(tw_occurrences(log, "ok/fulfil_order/"), 1);
	ck_assert_int_eq(tw_occurrences(log, "\"status\":\"processing\""), 1);
	ck_assert_int_eq(tw_occurrences(log, "\"items\":[{\"id\":"), 1);
	ck_assert_int_eq(tw_occurrences(log, "\"quantity\":3,"), 1);
	free(log);
	tw_assert_queue_empty();
	/* Nothing happens twice: another run sends nothing. */
	drain("fulfil-put-2", NULL);
	ck_assert_int_eq(gw_requests(NULL), 1);
	expect_ledger(id, 2);
	expect_audit_clean();
	free(token);
}
END_TEST

/* Orders paid by the worker, in its batch transaction or one of their
 * own, are fulfilled in the same run. */
START_TEST(paid_orders_are_fulfilled_in_the_same_run)
{
	int64_t id[5];
	int i;

	tw_seed_product(1, 50);
	for (i = 0; i < 5; i++) {
		id[i] = tw_make_order(1, 2);
		ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id[i]),
		    INV_OK);
	}
	/* One holds nothing (its reservation undone, books kept right): the
	 * payment step reserves and moves it in a transaction of its own. */
	tw_sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64,
	    id[4]);
	tw_sql("DELETE FROM stock_movements WHERE order_id = %" PRId64, id[4]);
	tw_sql("UPDATE inventory SET quantity_reserved = quantity_reserved - 2 "
	    "WHERE product_id = 1");
	tw_assert_stock_invariants();
	stub(GW_PAY);
	drain("fulfil-paid", NULL);
	for (i = 0; i < 5; i++)
		expect_shipped(id[i]);
	ck_assert_int_eq(gw_requests(NULL), 5);
	tw_assert_output_has("processed=5 ");
	tw_assert_output_has(" fulfilled=5 ");
	tw_assert_queue_empty();
	expect_audit_clean();
}
END_TEST

/* Order id, made processing by the admin, is declined by a stub
 * answering as mode: it stays processing, holding its stock, with note
 * in its notes; the job is done, not retried (nothing scheduled, nothing
 * dead), after one request. */
static void
declined(const char *token, int64_t id, enum gw_mode mode, const char *note)
{
	char *notes;

	put_processing(token, id);
	stub(mode);
	drain("fulfil-declined", NULL);
	tw_assert_order(id, "processing", "held");
	notes = tw_order_notes(id);
	ck_assert_str_eq(notes, note);
	free(notes);
	expect_ledger(id, 1);
	tw_assert_queue_empty();
	ck_assert_int_eq(gw_requests(NULL), 1);
	gw_stop();
}

START_TEST(declined_stays_processing_with_the_reason)
{
	char *token = admin_token();

	tw_seed_product(1, 10);
	declined(token, tw_make_order(1, 1), GW_REFUSE,
	    "Fulfilment declined (HTTP 409): Out of stock at the warehouse");
	declined(token, tw_make_order(1, 1), GW_REJECT,
	    "Fulfilment declined (HTTP 422): Address not deliverable");
	stub(GW_PAY);
	/* Neither is sent again, not even by the sweep a minute later. */
	tw_sql("UPDATE orders SET updated_at = updated_at - INTERVAL 2 MINUTE");
	drain("fulfil-again", NULL);
	ck_assert_int_eq(gw_requests(NULL), 0);
	expect_audit_clean();
	free(token);
}
END_TEST

START_TEST(failure_is_retried_then_ships_once)
{
	char *token = admin_token();
	redisReply *r;
	int64_t id;
	int port;

	tw_seed_product(1, 10);
	id = tw_make_order(1, 4);
	put_processing(token, id);
	stub(GW_FAIL);
	/* A long backoff: the retry waits in the scheduled set. */
	drain("fulfil-500", "INVENTORY_QUEUE_BACKOFF_MS=600000");
	tw_assert_order(id, "processing", "held");
	ck_assert_int_eq(tr_int("ZCARD %s", KEY_SCHEDULED), 1);
	r = tr_cmd("ZRANGE %s 0 0", KEY_SCHEDULED);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_ptr_nonnull(strstr(r->element[0]->str,
	    "\"last_error\":\"HTTP 500"));
	/* Due now, and the service answers again. */
	freeReplyObject(tr_cmd("ZADD %s XX 0 %s", KEY_SCHEDULED,
	    r->element[0]->str));
	freeReplyObject(r);
	port = gw_port;
	gw_stop();
	gw_start_on(port, GW_PAY);
	drain("fulfil-200", NULL);
	expect_shipped(id);
	ck_assert_int_eq(gw_requests(NULL), 2);
	tw_assert_queue_empty();
	expect_audit_clean();
	free(token);
}
END_TEST

START_TEST(no_tracking_number_fails_to_the_dead_letters)
{
	char *token = admin_token();
	redisReply *r;
	int64_t id;

	tw_seed_product(1, 10);
	id = tw_make_order(1, 1);
	put_processing(token, id);
	stub(GW_NOTRACK);
	drain("fulfil-notrack", "INVENTORY_QUEUE_MAX_ATTEMPTS=1");
	tw_assert_order(id, "processing", "held");
	expect_ledger(id, 1);
	ck_assert_int_eq(tr_int("LLEN %s", KEY_DEAD), 1);
	r = tr_cmd("LINDEX %s 0", KEY_DEAD);
	ck_assert_ptr_nonnull(strstr(r->str, "HTTP 200 without a valid "
	    "tracking_number"));
	freeReplyObject(r);
	free(token);
}
END_TEST

START_TEST(sweep_queues_processing_orders_never_sent)
{
	struct order_refused refused;
	int64_t id;

	tw_seed_product(1, 10);
	id = tw_make_order(1, 2);
	/* Made processing without its job (as if Redis had lost it). */
	ck_assert_int_eq(order_flow_update(tw_app->db, tw_app->cache, id,
	    ORDER_PROCESSING, NULL, NULL, 0, &refused), INV_OK);
	ck_assert_int_eq(tr_int("LLEN %s", KEY_DEFAULT), 0);
	stub(GW_PAY);
	/* Processing for less than a minute: its job may be on its way. */
	tw_sql("UPDATE orders SET updated_at = updated_at - INTERVAL 30 SECOND "
	    "WHERE id = %" PRId64, id);
	drain("fulfil-recent", NULL);
	ck_assert_int_eq(gw_requests(NULL), 0);
	tw_sql("UPDATE orders SET updated_at = updated_at - INTERVAL 1 MINUTE "
	    "WHERE id = %" PRId64, id);
	drain("fulfil-sweep", NULL);
	expect_shipped(id);
	ck_assert_int_eq(gw_requests(NULL), 1);
	tw_assert_output_has("was processing and never queued");
}
END_TEST

START_TEST(unset_url_queues_nothing)
{
	char *token = admin_token();
	int64_t put, paid;

	tw_seed_product(1, 10);
	put = tw_make_order(1, 1);
	paid = tw_make_order(1, 1);
	put_processing(token, put);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, paid), INV_OK);
	ck_assert_int_eq(tw_drain("fulfil-off", NULL), 0);
	tw_assert_order(put, "processing", "held");
	tw_assert_order(paid, "processing", "held");
	tw_assert_queue_empty();
	/* Nor does the sweep send old processing orders anywhere. */
	tw_sql("UPDATE orders SET updated_at = updated_at - INTERVAL 2 MINUTE");
	ck_assert_int_eq(tw_drain("fulfil-off-2", NULL), 0);
	tw_assert_queue_empty();
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM orders WHERE "
	    "fulfil_queued_at IS NOT NULL) = 0");
	free(token);
}
END_TEST

/*
 * RACE_ORDERS processing orders, their fulfilment answered after 300 ms,
 * while this process cancels each of them as an admin would: every order
 * ends shipped (deducted) or cancelled (released), one movement after
 * its reservation, never both, and the books agree.
 */
START_TEST(cancel_racing_fulfilment_has_one_outcome)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "fulfil-race", NULL };
	const char *env[] = { url_env, secret_env, NULL };
	struct order_refused refused;
	int64_t id[RACE_ORDERS];
	int i, cancelled = 0;
	enum inv_err rc;
	pid_t pid;

	tw_seed_product(1, 1000);
	for (i = 0; i < RACE_ORDERS; i++) {
		id[i] = tw_make_order(1, 3);
		ck_assert_int_eq(order_flow_update_fulfil(tw_app->db,
		    tw_app->cache, tw_q, id[i], ORDER_PROCESSING, NULL, NULL, 0,
		    &refused), INV_OK);
	}
	ck_assert_int_eq(tr_int("LLEN %s", KEY_DEFAULT), RACE_ORDERS);
	stub(GW_SLOW);
	pid = tw_spawn(tw_worker_bin(), argv, env);
	/* Once the first request is in, the cancels run into the answers. */
	for (i = 0; i < TW_POLLS && gw_requests(NULL) == 0; i++)
		usleep(50000);
	for (i = 0; i < RACE_ORDERS; i++) {
		rc = order_flow_cancel(tw_app->db, tw_app->cache, id[i], 0,
		    &refused);
		ck_assert(rc == INV_OK || rc == INV_INVALID);
		cancelled += rc == INV_OK;
		usleep(15000);
	}
	ck_assert_int_eq(tw_reap(pid), 0);
	printf("cancel vs fulfilment: %d cancelled, %d shipped\n", cancelled,
	    RACE_ORDERS - cancelled);
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM orders WHERE status "
	    "= 'cancelled' AND reservation = 'released') = %d", cancelled);
	tu_expect_sql(tw_app->db, "(SELECT COUNT(*) FROM orders WHERE status "
	    "= 'shipped' AND reservation = 'deducted') = %d",
	    RACE_ORDERS - cancelled);
	for (i = 0; i < RACE_ORDERS; i++)
		expect_ledger(id[i], 2);
	tu_expect_sql(tw_app->db, "(SELECT quantity_in_stock = 1000 - 3 * %d "
	    "AND quantity_reserved = 0 FROM inventory WHERE product_id = 1)",
	    RACE_ORDERS - cancelled);
	expect_audit_clean();
}
END_TEST

#define JWT	"jwt_secret = 0123456789abcdef0123456789abcdef\n"

/* Loads text; INV_OK, or the refusal's reason contains want. */
static void
config_says(const char *text, const char *want)
{
	struct config cfg;
	char *why = NULL;
	enum inv_err rc;

	unsetenv("INVENTORY_FULFILMENT_URL");
	unsetenv("INVENTORY_FULFILMENT_SECRET");
	rc = config_load_string(&cfg, text, "t.conf", &why);
	if (want == NULL) {
		ck_assert_msg(rc == INV_OK, "refused: %s", why);
		config_free(&cfg);
		return;
	}
	ck_assert_int_eq(rc, INV_CONFIG);
	ck_assert_msg(strstr(why, want) != NULL, "reason \"%s\" lacks \"%s\"",
	    why, want);
	free(why);
}

START_TEST(config_keys)
{
	struct config cfg;
	char *why = NULL;

	/* Off by default. */
	ck_assert_int_eq(config_load_string(&cfg, JWT, "t.conf", &why),
	    INV_OK);
	ck_assert_str_eq(cfg.fulfilment_url, "");
	ck_assert_int_eq(cfg.fulfilment_timeout_ms, 10000);
	config_free(&cfg);
	config_says(JWT "fulfilment_url = https://wh.example/in\n"
	    "fulfilment_secret = " SECRET "\n", NULL);
	config_says(JWT "fulfilment_url = https://wh.example/in\n",
	    "fulfilment_url needs fulfilment_secret");
	config_says(JWT "fulfilment_url = https://wh.example/in\n"
	    "fulfilment_secret = short\n", "at least 32 bytes");
	config_says(JWT "fulfilment_url = ftp://wh.example/in\n"
	    "fulfilment_secret = " SECRET "\n", "http:// or https://");
	config_says(JWT "fulfilment_secret = " SECRET "\n",
	    "fulfilment_secret needs fulfilment_url");
	config_says(JWT "fulfilment_url = http://wh.example/in\n"
	    "fulfilment_secret = " SECRET "\n"
	    "fulfilment_secret_file = /nonexistent\n", "not both");
	config_says(JWT "fulfilment_timeout_ms = 50\n",
	    "fulfilment_timeout_ms");
}
END_TEST

int
main(void)
{
	const struct tu_row on[] = {
		TU_CASE("on", 120),
		TU_TEST(admin_processing_ships_with_tracking_number),
		TU_TEST(paid_orders_are_fulfilled_in_the_same_run),
		TU_TEST(declined_stays_processing_with_the_reason),
		TU_TEST(failure_is_retried_then_ships_once),
		TU_TEST(no_tracking_number_fails_to_the_dead_letters),
		TU_TEST(sweep_queues_processing_orders_never_sent),
		TU_TEST(cancel_racing_fulfilment_has_one_outcome),
	};
	const struct tu_row off[] = {
		TU_CASE("off", 120),
		TU_TEST(unset_url_queues_nothing),
	};
	const struct tu_row config[] = {
		TU_CASE("config", 0),
		TU_TEST(config_keys),
	};

	tu_need_services();
	return tu_run(tu_suite("fulfil", setup_on, gw_teardown, on, NROWS(on)),
	    tu_suite("fulfil_off", setup_off, gw_teardown, off, NROWS(off)),
	    tu_suite("fulfil_config", NULL, NULL, config, NROWS(config)),
	    NULL);
}
