/*
 * check_worker.c: the inventory-worker program against real MariaDB and
 * Redis (integration). Orders are made by order_flow_create, as the API
 * makes them; the worker is the built program itself, run as cron or
 * systemd would run it ($INVENTORY_WORKER, set by tools/devstack test;
 * else src/inventory-worker of the build directory), killed and stopped
 * with real signals. The invariants are then checked in SQL.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "metrics.h"
#include "order_flow.h"
#include "queue.h"
#include "testredis.h"
#include "testutil.h"
#include "testworker.h"

#define PAYMENT_FAILED	"Payment processing failed"

START_TEST(process_order_in_background)
{
	int64_t id;
	char *notes;

	tw_seed_product(10, 50);
	id = tw_make_order(10, 3);
	ck_assert_int_eq(tw_reserved(10), 3);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	ck_assert_int_eq(tw_drain("bg", NULL), 0);
	/* Processing, still holding the one reservation it had. */
	tw_assert_order(id, "processing", "held");
	ck_assert_int_eq(tw_reserved(10), 3);
	notes = tw_order_notes(id);
	ck_assert_int_eq(tw_occurrences(notes, PAYMENT_FAILED), 0);
	free(notes);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
	tw_assert_output_has("processed=1 ");
	/* A second run finds nothing and changes nothing. */
	ck_assert_int_eq(tw_drain("bg", NULL), 0);
	tw_assert_output_has("processed=0 ");
	tw_assert_order(id, "processing", "held");
}
END_TEST

START_TEST(process_order_payment_failure)
{
	const char *env[] = { "INVENTORY_PAYMENT_FAILURE_RATE=1", NULL };
	int64_t id;
	char *notes;

	tw_seed_product(11, 5);
	id = tw_make_order(11, 5);
	ck_assert_int_eq(tw_reserved(11), 5);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	ck_assert_int_eq(tw_drain("pay", env), 0);
	tw_assert_order(id, "cancelled", "released");
	ck_assert_int_eq(tw_reserved(11), 0);
	notes = tw_order_notes(id);
	ck_assert_int_eq(tw_occurrences(notes, PAYMENT_FAILED), 1);
	free(notes);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
	tw_assert_output_has("cancelled=1 ");
}
END_TEST

START_TEST(job_for_a_deleted_order_is_dropped)
{
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_DEFAULT, 999999),
	    INV_OK);
	ck_assert_int_eq(tw_drain("gone", NULL), 0);
	tw_assert_queue_empty();
	tw_assert_output_has("no such order");
}
END_TEST

/*
 * Killed with SIGKILL in the middle of a job (during a long payment):
 * the job stays in the dead worker's in-flight list; once its heartbeat
 * has expired, the next run takes it back and finishes the order, once.
 */
START_TEST(worker_killed_mid_job_finishes_once)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "victim", NULL };
	const char *slow[] = { "INVENTORY_PAYMENT_DELAY_MS=60000",
	    "INVENTORY_WORKER_HEARTBEAT_TTL=2", NULL };
	const char *fail[] = { "INVENTORY_PAYMENT_FAILURE_RATE=1", NULL };
	int64_t id;
	pid_t pid;
	char *notes;

	tw_seed_product(12, 4);
	id = tw_make_order(12, 4);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	pid = tw_spawn(tw_worker_bin(), argv, slow);
	tw_wait_for_len("inventory:queue:inflight:victim", 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	tw_assert_order(id, "pending", "held");
	/* While its heartbeat lives, nobody takes its job. */
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:inflight:victim"),
	    1);
	tw_wait_for_key("inventory:queue:worker:victim", false);

	/* The payment fails this time, so finishing twice would release
	 * the stock twice: the ledger would show it. */
	ck_assert_int_eq(tw_drain("rescuer", fail), 0);
	tw_assert_output_has("recovered=1 ");
	tw_assert_output_has("processed=1 ");
	tw_assert_order(id, "cancelled", "released");
	ck_assert_int_eq(tw_reserved(12), 0);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s",
	    "victim"), 0);
	/* A stray duplicate of the job changes nothing either. */
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	ck_assert_int_eq(tw_drain("rescuer", fail), 0);
	tw_assert_order(id, "cancelled", "released");
	notes = tw_order_notes(id);
	ck_assert_int_eq(tw_occurrences(notes, PAYMENT_FAILED), 1);
	free(notes);
	tw_assert_stock_invariants();
}
END_TEST

START_TEST(sigterm_finishes_the_job_in_hand)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id",
	    "polite", NULL };
	/* One job in hand at a time, so that one is still queued. */
	const char *slow[] = { "INVENTORY_PAYMENT_DELAY_MS=1500",
	    "INVENTORY_WORKER_BATCH=1", "INVENTORY_PAYMENT_CONCURRENCY=1",
	    NULL };
	int64_t id, other;
	pid_t pid;

	tw_seed_product(13, 10);
	id = tw_make_order(13, 1);
	other = tw_make_order(13, 1);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, other), INV_OK);
	pid = tw_spawn(tw_worker_bin(), argv, slow);
	tw_wait_for_len("inventory:queue:inflight:polite", 1);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tw_reap(pid), 0);
	/* The job in hand was finished; the next one was not started. */
	tw_assert_order(id, "processing", "held");
	tw_assert_order(other, "pending", "held");
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:high"), 1);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:inflight:polite"),
	    0);
	/* A clean stop leaves no heartbeat and no registration. */
	ck_assert_int_eq(tr_int("EXISTS %s", "inventory:queue:worker:polite"),
	    0);
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s",
	    "polite"), 0);
}
END_TEST

START_TEST(follow_processes_until_sigterm)
{
	const char *argv[] = { tw_worker_bin(), "--follow", "--worker-id",
	    "follower", NULL };
	char st[16], res[16];
	int64_t id;
	pid_t pid;
	int i;

	tw_seed_product(14, 10);
	id = tw_make_order(14, 2);
	pid = tw_spawn(tw_worker_bin(), argv, NULL);
	/* Registered and waiting before the job exists. */
	tw_wait_for_key("inventory:queue:worker:follower", true);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	for (i = 0; i < TW_POLLS; i++) {
		tw_order_state(id, st, res);
		if (strcmp(st, "pending") != 0)
			break;
		usleep(50000);
	}
	ck_assert_str_eq(st, "processing");
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tw_reap(pid), 0);
	tw_assert_queue_empty();
}
END_TEST

/*
 * The orders made while Redis was down are in MariaDB only: a worker run
 * cannot do anything while Redis is still down, and sweeps them (those
 * older than a minute, once) when it is back.
 */
START_TEST(orders_made_while_redis_was_down_are_swept)
{
	const char *no_redis[] = {
	    "INVENTORY_QUEUE_REDIS_SOCKET=/nonexistent/redis.sock", NULL };
	int64_t old, fresh, swept;

	tw_seed_product(15, 10);
	old = tw_make_order(15, 1);
	fresh = tw_make_order(15, 1);
	swept = tw_make_order(15, 1);
	tw_sql("UPDATE orders SET created_at = created_at - INTERVAL 2 MINUTE "
	    "WHERE id IN (%" PRId64 ", %" PRId64 ")", old, swept);
	/* One an earlier sweep enqueued already (its job, say, waiting in
	 * the dead letters): not enqueued again. */
	tw_sql("UPDATE orders SET swept_at = UTC_TIMESTAMP() WHERE id = %"
	    PRId64, swept);

	ck_assert_int_eq(tw_drain("noredis", no_redis), 1);
	tw_assert_order(old, "pending", "held");

	ck_assert_int_eq(tw_drain("sweeper", NULL), 0);
	tw_assert_output_has("swept=1 ");
	tw_assert_order(old, "processing", "held");
	/* Not a minute old yet: */
	tw_assert_order(fresh, "pending", "held");
	tw_assert_order(swept, "pending", "held");
	tw_assert_queue_empty();
	/* Once a minute has passed for it, the fresh one's turn. */
	tw_sql("UPDATE orders SET created_at = created_at - INTERVAL 2 MINUTE "
	    "WHERE id = %" PRId64, fresh);
	ck_assert_int_eq(tw_drain("sweeper", NULL), 0);
	tw_assert_output_has("swept=1 ");
	tw_assert_order(fresh, "processing", "held");
	ck_assert_int_eq(tw_drain("sweeper", NULL), 0);
	tw_assert_output_has("swept=0 ");
	tw_assert_stock_invariants();
}
END_TEST

/* The score and attempt of the one scheduled job. */
static void
scheduled_job(int64_t *due, int64_t *attempt)
{
	redisReply *r = tr_cmd("ZRANGE inventory:queue:scheduled 0 -1 "
	    "WITHSCORES");
	const char *a;

	ck_assert_uint_eq(r->elements, 2);
	*due = strtoll(r->element[1]->str, NULL, 10);
	ck_assert_ptr_nonnull(a = strstr(r->element[0]->str, "\"attempt\":"));
	*attempt = strtoll(a + strlen("\"attempt\":"), NULL, 10);
	freeReplyObject(r);
}

/*
 * A job whose processing always fails (a trigger makes MariaDB refuse
 * every change of its order): retried with growing delays, a dead letter
 * after the last attempt, and processed after the cause is gone and an
 * operator runs `inventoryctl dead retry ID`.
 */
START_TEST(job_that_always_fails_is_retried_then_dead_then_requeued)
{
	const char *env[] = { "INVENTORY_QUEUE_MAX_ATTEMPTS=4", NULL };
	const int64_t base = tw_app->cfg->queue_backoff_ms;
	struct queue_job *dead;
	int64_t id, attempt, due, before, after, n, prev_max = 0;
	size_t ndead, moved;
	char *ctl, *out, *text;
	char dead_id[QUEUE_JOB_ID_LEN + 1];

	tw_seed_product(16, 10);
	id = tw_make_order(16, 2);
	/* A trigger is the schema owner's to make, not the service's. */
	text = xasprintf("CREATE TRIGGER t_refuse BEFORE UPDATE ON orders "
	    "FOR EACH ROW BEGIN IF OLD.id = %" PRId64 " THEN SIGNAL SQLSTATE "
	    "'45000' SET MESSAGE_TEXT = 'test: this order cannot change'; "
	    "END IF; END", id);
	ck_assert_int_eq(db_exec_script(tu_owner_db(tw_app), text), INV_OK);
	free(text);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, id), INV_OK);
	for (n = 1; n < 4; n++) {
		before = queue_now_ms();
		ck_assert_int_eq(tw_drain("stubborn", env), 0);
		after = queue_now_ms();
		tw_assert_output_has("retried=1 ");
		scheduled_job(&due, &attempt);
		ck_assert_int_eq(attempt, n + 1);
		/* base * 2^(n-1) after the failure, plus at most 25%: each
		 * delay is longer than the longest the one before could be. */
		ck_assert_int_ge(due - before, base << (n - 1));
		ck_assert_int_le(due - after, (base << (n - 1)) +
		    (base << (n - 1)) / 4);
		ck_assert_int_gt(due - before, prev_max);
		prev_max = due - before;
		tw_assert_order(id, "pending", "held");
		/* Instead of waiting for it: promote at its due time. */
		ck_assert_int_eq(queue_promote(tw_q, due, &moved), INV_OK);
		ck_assert_uint_eq(moved, 1);
	}
	ck_assert_int_eq(tw_drain("stubborn", env), 0);
	tw_assert_output_has("dead=1 ");
	ck_assert_int_eq(queue_dead_list(tw_q, &dead, &ndead), INV_OK);
	ck_assert_uint_eq(ndead, 1);
	ck_assert_int_eq(dead[0].order_id, id);
	ck_assert_int_eq(dead[0].attempt, 4);
	ck_assert_ptr_nonnull(dead[0].last_error);
	snprintf(dead_id, sizeof(dead_id), "%s", dead[0].id);
	queue_jobs_free(dead, ndead);
	ck_assert_int_eq(tr_int("ZCARD %s", "inventory:queue:scheduled"), 0);
	/* Dead letters wait for the operator: a run leaves them. */
	ck_assert_int_eq(tw_drain("stubborn", env), 0);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:dead"), 1);
	tw_assert_order(id, "pending", "held");

	/* The operator's view and retry, through the real program. */
	ctl = tw_ctl_bin();
	{
		const char *list[] = { ctl, "dead", "list", NULL };
		const char *retry[] = { ctl, "dead", "retry", dead_id, NULL };
		const char *stats[] = { ctl, "queue", "stats", NULL };

		ck_assert_int_eq(tw_reap(tw_spawn(ctl, list, NULL)), 0);
		tw_assert_output_has(dead_id);
		ck_assert_int_eq(db_exec_script(tu_owner_db(tw_app),
		    "DROP TRIGGER t_refuse"), INV_OK);
		ck_assert_int_eq(tw_reap(tw_spawn(ctl, retry, NULL)), 0);
		ck_assert_int_eq(tw_reap(tw_spawn(ctl, retry, NULL)), 1);
		tw_assert_output_has("no dead letter");
		ck_assert_int_eq(tw_reap(tw_spawn(ctl, stats, NULL)), 0);
		out = tw_run_output();
		ck_assert_msg(strstr(out, "high       1\n") != NULL &&
		    strstr(out, "dead       0\n") != NULL, "stats:\n%s", out);
		free(out);
	}
	free(ctl);
	ck_assert_int_eq(tw_drain("stubborn", env), 0);
	tw_assert_output_has("processed=1 ");
	tw_assert_order(id, "processing", "held");
	tw_assert_queue_empty();
	tw_assert_stock_invariants();
}
END_TEST

/* The jobs a worker's log says it finished: their ids, which appear
 * in the order of the log (new array of n new strings). */
static char **
jobs_done(const char *log, size_t *n)
{
	const char *p = log, *id, *end;
	char **ids = NULL;

	*n = 0;
	while ((p = strstr(p, " job ")) != NULL) {
		id = p + strlen(" job ");
		end = strchr(id, ' ');
		ck_assert_ptr_nonnull(end);
		p = end;
		if (strncmp(end, " order ", strlen(" order ")) != 0)
			continue;
		ids = xrealloc(ids, (*n + 1) * sizeof(*ids));
		ids[(*n)++] = xstrndup(id, (size_t)(end - id));
	}
	return ids;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Several workers take one queue at once, each order's job there twice
 * (a duplicate, as recovery or the sweep can make): every job is done
 * once, by one worker, more than one of them has work, and every order's
 * stock is released exactly once. The workers start behind a barrier:
 * each is registered and waiting on the queue before the first job is
 * there.
 */
START_TEST(concurrent_workers_process_each_order_once)
{
	enum { WORKERS = 4, ORDERS = 100 };
	const char *env[] = { "INVENTORY_PAYMENT_FAILURE_RATE=1",
	    "INVENTORY_LOG_LEVEL=info", NULL };
	int64_t ids[ORDERS];
	pid_t pids[WORKERS];
	char names[WORKERS][16], logs[WORKERS][80], key[96], *notes, *log,
	    *summary, **all = NULL, **mine;
	size_t n, total = 0, k, busy = 0;
	unsigned long processed;
	struct queue_stats st;
	int i, w;

	tw_seed_product(17, ORDERS);
	for (i = 0; i < ORDERS; i++)
		ids[i] = tw_make_order(17, 1);
	ck_assert_int_eq(tw_reserved(17), ORDERS);
	for (i = 0; i < WORKERS; i++) {
		const char *argv[] = { tw_worker_bin(), "--follow",
		    "--worker-id", names[i], NULL };

		snprintf(names[i], sizeof(names[i]), "many%d", i);
		snprintf(logs[i], sizeof(logs[i]), "%s.%d", tw_outfile, i);
		pids[i] = tw_spawn_to(logs[i], tw_worker_bin(), argv, env);
	}
	/* The barrier: every worker is registered and waiting before the
	 * first job exists. The bounds are not measures: four workers start
	 * at once, slowly under valgrind. */
	for (i = 0, w = 0; w < WORKERS && i < TW_POLLS * 6; i++) {
		snprintf(key, sizeof(key), "inventory:queue:worker:%s",
		    names[w]);
		if (tr_int("EXISTS %s", key) == 1)
			w++;
		else
			usleep(50000);
	}
	ck_assert_msg(w == WORKERS, "worker %d did not start", w);
	/* The high queue: the waiting workers are woken as jobs come. */
	for (i = 0; i < 2 * ORDERS; i++)
		ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH,
		    ids[i % ORDERS]), INV_OK);
	for (i = 0; i < TW_POLLS * 6; i++) {
		ck_assert_int_eq(queue_get_stats(tw_q, &st), INV_OK);
		if (st.depth[QUEUE_HIGH] + st.depth[QUEUE_DEFAULT] +
		    st.depth[QUEUE_LOW] + st.inflight + st.scheduled +
		    st.dead == 0)
			break;
		usleep(50000);
	}
	ck_assert_msg(i < TW_POLLS * 6, "the workers left jobs behind");
	for (i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(kill(pids[i], SIGTERM), 0);
		ck_assert_int_eq(tw_reap(pids[i]), 0);
	}
	for (i = 0; i < WORKERS; i++) {
		log = tw_file_text(logs[i]);
		mine = jobs_done(log, &n);
		ck_assert_ptr_nonnull(summary = strstr(log, " done: "));
		ck_assert_msg(sscanf(summary, " done: processed=%lu ",
		    &processed) == 1 && processed == n, "worker %d: %zu jobs "
		    "logged, summary: %.60s", i, n, summary);
		busy += n > 0;
		all = xrealloc(all, (total + n) * sizeof(*all));
		memcpy(all + total, mine, n * sizeof(*mine));
		total += n;
		free(mine);
		free(log);
		unlink(logs[i]);
	}
	ck_assert_msg(busy > 1, "only %zu of %d workers did any work", busy,
	    WORKERS);
	/* Every job once: as many distinct ids as jobs. */
	ck_assert_uint_eq(total, 2 * ORDERS);
	qsort(all, total, sizeof(*all), cmp_str);
	for (k = 1; k < total; k++)
		ck_assert_msg(strcmp(all[k - 1], all[k]) != 0,
		    "job %s done twice", all[k]);
	for (k = 0; k < total; k++)
		free(all[k]);
	free(all);
	for (i = 0; i < ORDERS; i++) {
		tw_assert_order(ids[i], "cancelled", "released");
		notes = tw_order_notes(ids[i]);
		ck_assert_int_eq(tw_occurrences(notes, PAYMENT_FAILED), 1);
		free(notes);
	}
	ck_assert_int_eq(tw_reserved(17), 0);
	tw_assert_stock_invariants();
	tw_assert_queue_empty();
}
END_TEST

START_TEST(exit_status)
{
	const char *bogus[] = { tw_worker_bin(), "--bogus", NULL };
	const char *both[] = { tw_worker_bin(), "extra", NULL };
	const char *zero[] = { tw_worker_bin(), "--max-seconds", "0", NULL };
	const char *noconf[] = { tw_worker_bin(), "--config",
	    "/nonexistent/inventory.conf", NULL };
	const char *help[] = { tw_worker_bin(), "--help", NULL };
	const char *no_db[] = { "INVENTORY_DB_SOCKET=/nonexistent/db.sock",
	    NULL };

	ck_assert_int_eq(tw_reap(tw_spawn(tw_worker_bin(), bogus, NULL)), 2);
	ck_assert_int_eq(tw_reap(tw_spawn(tw_worker_bin(), both, NULL)), 2);
	ck_assert_int_eq(tw_reap(tw_spawn(tw_worker_bin(), zero, NULL)), 2);
	ck_assert_int_eq(tw_reap(tw_spawn(tw_worker_bin(), help, NULL)), 0);
	tw_assert_output_has("exit status");
	ck_assert_int_eq(tw_reap(tw_spawn(tw_worker_bin(), noconf, NULL)), 1);
	/* Nothing to do is success; no database is failure. */
	ck_assert_int_eq(tw_drain("idle", NULL), 0);
	ck_assert_int_eq(tw_drain("idle", no_db), 1);
}
END_TEST

/* inventoryctl audit: 0 while the invariants hold, 1 naming the product
 * once a reservation no order holds appears. */
START_TEST(ctl_audit_finds_a_stray_reservation)
{
	char *ctl = tw_ctl_bin();
	const char *audit[] = { ctl, "audit", NULL };
	const char *extra[] = { ctl, "audit", "now", NULL };

	tw_seed_product(31, 10);
	tw_seed_product(32, 10);
	tw_make_order(31, 4);
	ck_assert_int_eq(tw_reap(tw_spawn(ctl, audit, NULL)), 0);
	tw_assert_output_has("stock audit: 2 product(s), 0 violation(s)");
	tw_sql("UPDATE inventory SET quantity_reserved = 1 "
	    "WHERE product_id = 32");
	ck_assert_int_eq(tw_reap(tw_spawn(ctl, audit, NULL)), 1);
	tw_assert_output_has("stock audit: 2 product(s), 1 violation(s)");
	tw_assert_output_has("product 32: in stock 10 (movements 10), "
	    "reserved 1 (movements 0) = held by orders 0 + manual hold 0 "
	    "(movements 0)");
	ck_assert_int_eq(tw_reap(tw_spawn(ctl, extra, NULL)), 2);
	tw_sql("UPDATE inventory SET quantity_reserved = 0 "
	    "WHERE product_id = 32");
	free(ctl);
}
END_TEST

/* --follow with --max-seconds stops by itself once the time is up. */
START_TEST(follow_stops_after_max_seconds)
{
	const char *argv[] = { tw_worker_bin(), "--follow", "--max-seconds",
	    "1", "--worker-id", "timed", NULL };
	/* The limit is told at info; the test command's config logs warn. */
	const char *env[] = { "INVENTORY_LOG_LEVEL=info", NULL };
	pid_t pid = tw_spawn(tw_worker_bin(), argv, env);
	int i, st = 0;

	for (i = 0; i < TW_POLLS && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == TW_POLLS) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
		ck_abort_msg("--follow --max-seconds 1 still running after "
		    "%d ms", TW_POLLS * 50);
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tw_assert_output_has("time limit reached");
}
END_TEST

/* Whether user 1's Idempotency-Key key has a row. */
static bool
idem_key_exists(const char *key)
{
	struct db_val p[4] = { DB_STR("x"), DB_INT(60), DB_INT(TW_USER_ID),
	    DB_STR(key) };
	struct db_res *r = NULL;
	bool found;

	ck_assert_int_eq(db_exec(tw_app->db, STMT_IDEM_GET, p, 4, &r, NULL,
	    NULL), INV_OK);
	found = db_res_rows(r) == 1;
	db_res_free(r);
	return found;
}

/* A run's housekeeping deletes the expired Idempotency-Keys, and only
 * those. */
START_TEST(housekeeping_purges_expired_idempotency_keys)
{
	tw_sql("INSERT INTO idempotency_keys (user_id, idem_key, status_code, "
	    "expires_at) VALUES (1, 'old', 201, UTC_TIMESTAMP() - INTERVAL 1 "
	    "SECOND), (1, 'older', NULL, UTC_TIMESTAMP() - INTERVAL 1 DAY), "
	    "(1, 'fresh', 201, UTC_TIMESTAMP() + INTERVAL 1 HOUR)");
	ck_assert(idem_key_exists("old"));
	ck_assert_int_eq(tw_drain("purger", NULL), 0);
	tw_assert_output_has("2 expired idempotency key(s) purged");
	ck_assert(!idem_key_exists("old"));
	ck_assert(!idem_key_exists("older"));
	ck_assert(idem_key_exists("fresh"));
}
END_TEST

/* /metrics's rendering of the metrics file at path (new string). */
static char *
metrics_of(const char *path)
{
	struct config mc;
	struct buf b;
	char *text, *why;

	text = xasprintf("jwt_secret = 0123456789abcdef0123456789abcdef\n"
	    "metrics_file = %s\n", path);
	ck_assert_int_eq(config_load_string(&mc, text, "t", &why), INV_OK);
	free(text);
	metrics_init(&mc);
	buf_init(&b);
	metrics_render(&b);
	config_free(&mc);
	return buf_take(&b);
}

/* The worker counts the jobs it settles and when it ran, and
 * inventoryctl audit its result, in the file /metrics reads. */
START_TEST(worker_and_audit_write_the_metrics_file)
{
	char *ctl = tw_ctl_bin(), *path, *env_file, *text;
	const char *audit[] = { ctl, "audit", NULL };
	const char *env[2];

	path = xasprintf("/tmp/check_worker_metrics.%d", (int)getpid());
	env_file = xasprintf("INVENTORY_METRICS_FILE=%s", path);
	env[0] = env_file;
	env[1] = NULL;
	unlink(path);
	/* No such order: done (dropped). Unknown type: failed. */
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, 999999),
	    INV_OK);
	freeReplyObject(tr_cmd("LPUSH inventory:queue:default {\"id\":"
	    "\"00000000000000aa\",\"type\":\"bogus\",\"order_id\":1,"
	    "\"attempt\":1,\"queue\":\"default\",\"enqueued_at\":"
	    "\"2026-01-01T00:00:00Z\"}"));
	ck_assert_int_eq(tw_drain("counted", env), 0);
	text = metrics_of(path);
	ck_assert_ptr_nonnull(strstr(text,
	    "inventory_worker_jobs_total{result=\"done\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "inventory_worker_jobs_total{result=\"failed\"} 1\n"));
	ck_assert_ptr_null(strstr(text,
	    "inventory_worker_last_seen_timestamp_seconds 0\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "inventory_audit_timestamp_seconds 0\n"));
	free(text);
	tw_seed_product(41, 5);
	ck_assert_int_eq(tw_reap(tw_spawn(ctl, audit, env)), 0);
	text = metrics_of(path);
	ck_assert_ptr_null(strstr(text,
	    "inventory_audit_timestamp_seconds 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "inventory_audit_violations 0\n"));
	free(text);
	unlink(path);
	free(env_file);
	free(path);
	free(ctl);
}
END_TEST

/* The queue's stats name the oldest waiting job's time and the workers
 * whose heartbeat is alive. */
START_TEST(stats_tell_oldest_job_and_live_workers)
{
	struct queue_stats st;

	ck_assert_int_eq(queue_get_stats(tw_q, &st), INV_OK);
	ck_assert_int_eq(st.oldest, 0);
	ck_assert_int_eq(queue_enqueue_order(tw_q, QUEUE_HIGH, 1), INV_OK);
	freeReplyObject(tr_cmd("LPUSH inventory:queue:low {\"id\":"
	    "\"00000000000000bb\",\"type\":\"process_order\",\"order_id\":2,"
	    "\"attempt\":1,\"queue\":\"low\",\"enqueued_at\":"
	    "\"2020-01-01T00:00:00Z\"}"));
	freeReplyObject(tr_cmd("SADD inventory:queue:workers w1 w2"));
	freeReplyObject(tr_cmd("SET inventory:queue:worker:w1 1 EX 60"));
	ck_assert_int_eq(queue_get_stats(tw_q, &st), INV_OK);
	ck_assert_int_eq(st.oldest, 1577836800);
	ck_assert_int_eq(st.workers, 2);
	ck_assert_int_eq(st.workers_alive, 1);
}
END_TEST

static Suite *
worker_suite(void)
{
	Suite *s = suite_create("worker");
	TCase *jobs = tcase_create("jobs");
	TCase *faults = tcase_create("faults");
	TCase *cli = tcase_create("program");
	TCase *ops = tcase_create("operations");

	tcase_add_checked_fixture(jobs, tw_setup, tw_teardown);
	tcase_set_timeout(jobs, 60);
	tcase_add_test(jobs, process_order_in_background);
	tcase_add_test(jobs, process_order_payment_failure);
	tcase_add_test(jobs, job_for_a_deleted_order_is_dropped);
	tcase_add_test(jobs, concurrent_workers_process_each_order_once);
	tcase_add_checked_fixture(faults, tw_setup, tw_teardown);
	tcase_set_timeout(faults, 60);
	tcase_add_test(faults, worker_killed_mid_job_finishes_once);
	tcase_add_test(faults, sigterm_finishes_the_job_in_hand);
	tcase_add_test(faults, follow_processes_until_sigterm);
	tcase_add_test(faults, orders_made_while_redis_was_down_are_swept);
	tcase_add_test(faults,
	    job_that_always_fails_is_retried_then_dead_then_requeued);
	tcase_add_checked_fixture(cli, tw_setup, tw_teardown);
	tcase_set_timeout(cli, 60);
	tcase_add_test(cli, exit_status);
	tcase_add_test(cli, ctl_audit_finds_a_stray_reservation);
	suite_add_tcase(s, jobs);
	suite_add_tcase(s, faults);
	suite_add_tcase(s, cli);
	tcase_add_checked_fixture(ops, tw_setup, tw_teardown);
	tcase_set_timeout(ops, 60);
	tcase_add_test(ops, follow_stops_after_max_seconds);
	tcase_add_test(ops, housekeeping_purges_expired_idempotency_keys);
	tcase_add_test(ops, worker_and_audit_write_the_metrics_file);
	tcase_add_test(ops, stats_tell_oldest_job_and_live_workers);
	suite_add_tcase(s, ops);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(worker_suite(), NULL);
}
