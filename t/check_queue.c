/*
 * check_queue.c: the Redis reliable queue against a real Redis
 * (integration), inspected through the suite's own connection
 * (testredis.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "queue.h"
#include "testredis.h"
#include "testutil.h"

static struct app *app;
static struct queue *q;

static void
setup(void)
{
	app = tu_app();
	tr_connect(app->cfg);
	tr_wipe_queue();
	ck_assert_int_eq(queue_open(&q, app->cfg), INV_OK);
}

static void
teardown(void)
{
	queue_close(q);
	q = NULL;
	tr_disconnect();
}

/* Element i of list key, parsed (new; json_object_put it). */
static struct json_object *
list_job(const char *key, long i)
{
	redisReply *r = tr_cmd("LINDEX %s %ld", key, i);
	struct json_object *o = NULL;
	const char *why;

	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_msg(json_parse_strict(r->str, r->len, &o, &why),
	    "job is not JSON (%s): %s", why, r->str);
	freeReplyObject(r);
	return o;
}

START_TEST(enqueue_puts_a_job_on_its_queue)
{
	struct json_object *o;
	const char *id;
	int64_t v;

	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 42), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_DEFAULT, 43), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 44), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 45), INV_OK);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:high"), 1);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:default"), 1);
	ck_assert_int_eq(tr_int("LLEN %s", "inventory:queue:low"), 2);

	o = list_job("inventory:queue:high", 0);
	ck_assert_str_eq(json_get_str(o, "type"), "process_order");
	ck_assert(json_get_int(o, "order_id", &v));
	ck_assert_int_eq(v, 42);
	ck_assert(json_get_int(o, "attempt", &v));
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(json_get_str(o, "queue"), "high");
	id = json_get_str(o, "id");
	ck_assert_ptr_nonnull(id);
	ck_assert_uint_eq(strlen(id), QUEUE_JOB_ID_LEN);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), QUEUE_JOB_ID_LEN);
	ck_assert_uint_eq(strlen(json_get_str(o, "enqueued_at")), 20);
	json_object_put(o);

	/* First in, first out: the oldest is at the right end. */
	o = list_job("inventory:queue:low", -1);
	ck_assert(json_get_int(o, "order_id", &v));
	ck_assert_int_eq(v, 44);
	ck_assert_str_eq(json_get_str(o, "queue"), "low");
	json_object_put(o);
}
END_TEST

START_TEST(enqueue_refuses_bad_arguments)
{
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 0), INV_INVALID);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, -5), INV_INVALID);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE__MAX, 1), INV_INVALID);
	ck_assert_int_eq(tr_int("EXISTS %s", "inventory:queue:high"), 0);
}
END_TEST

/* A fresh copy of the test configuration (config_free it). */
static void
cfg_load(struct config *cfg)
{
	char *why;

	ck_assert_int_eq(config_load(cfg, NULL, &why), INV_OK);
}

/* A second handle with a worker identity (queue_close it). */
static struct queue *
worker_queue(const struct config *cfg, const char *id)
{
	struct queue *w;

	ck_assert_int_eq(queue_open(&w, cfg), INV_OK);
	queue_set_worker(w, id);
	return w;
}

/* Claims one job and checks its order id. */
static void
claim_order(struct queue *w, int64_t order_id, struct queue_job *job)
{
	ck_assert_int_eq(queue_claim(w, 0, job), INV_OK);
	ck_assert_int_eq(job->order_id, order_id);
}

static long long
llen(const char *key)
{
	return tr_int("LLEN %s", key);
}

START_TEST(claim_then_ack)
{
	struct queue_job job;
	struct queue_stats st;
	redisReply *r;

	queue_set_worker(q, "w1");
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 1), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 2), INV_OK);
	claim_order(q, 1, &job);
	ck_assert_int_eq(job.attempt, 1);
	ck_assert_int_eq(job.prio, QUEUE_HIGH);
	ck_assert_str_eq(job.type, "process_order");
	ck_assert_uint_eq(strlen(job.id), QUEUE_JOB_ID_LEN);
	ck_assert_ptr_null(job.last_error);
	/* In flight: in the worker's list, out of the queue. */
	ck_assert_int_eq(llen("inventory:queue:inflight:w1"), 1);
	ck_assert_int_eq(llen("inventory:queue:high"), 1);
	r = tr_cmd("LINDEX inventory:queue:inflight:w1 0");
	ck_assert_str_eq(r->str, job.raw);
	freeReplyObject(r);
	/* The claim beat the heart and registered the worker. */
	ck_assert_int_gt(tr_int("TTL %s", "inventory:queue:worker:w1"), 0);
	ck_assert_int_le(tr_int("TTL %s", "inventory:queue:worker:w1"),
	    app->cfg->worker_heartbeat_ttl);
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s", "w1"),
	    1);
	ck_assert_int_eq(queue_get_stats(q, &st), INV_OK);
	ck_assert_int_eq(st.depth[QUEUE_HIGH], 1);
	ck_assert_int_eq(st.inflight, 1);
	ck_assert_int_eq(st.workers, 1);

	ck_assert_int_eq(queue_ack(q, &job), INV_OK);
	ck_assert_int_eq(llen("inventory:queue:inflight:w1"), 0);
	/* A second ack finds nothing and says so quietly. */
	ck_assert_int_eq(queue_ack(q, &job), INV_OK);
	queue_job_free(&job);

	claim_order(q, 2, &job);
	ck_assert_int_eq(queue_ack(q, &job), INV_OK);
	queue_job_free(&job);
	ck_assert_int_eq(queue_claim(q, 0, &job), INV_NOTFOUND);
	ck_assert_int_eq(queue_get_stats(q, &st), INV_OK);
	ck_assert_int_eq(st.depth[QUEUE_HIGH], 0);
	ck_assert_int_eq(st.inflight, 0);
}
END_TEST

START_TEST(claim_needs_a_worker_identity)
{
	struct queue_job job = { 0 };

	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 1), INV_OK);
	ck_assert_int_eq(queue_claim(q, 0, &job), INV_INVALID);
	ck_assert_int_eq(queue_heartbeat(q), INV_INVALID);
	ck_assert_int_eq(queue_worker_stop(q), INV_INVALID);
	ck_assert_int_eq(llen("inventory:queue:high"), 1);
}
END_TEST

START_TEST(claims_in_priority_order)
{
	static const struct { enum queue_prio p; int64_t order; } in[] = {
		{ QUEUE_LOW, 1 }, { QUEUE_DEFAULT, 2 }, { QUEUE_HIGH, 3 },
		{ QUEUE_LOW, 4 }, { QUEUE_HIGH, 5 }, { QUEUE_DEFAULT, 6 },
	};
	static const int64_t out[] = { 3, 5, 2, 6, 1, 4 };
	struct queue_job job;
	size_t i;

	queue_set_worker(q, "prio");
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_int_eq(queue_enqueue_order(q, in[i].p, in[i].order),
		    INV_OK);
	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		claim_order(q, out[i], &job);
		ck_assert_int_eq(queue_ack(q, &job), INV_OK);
		queue_job_free(&job);
	}
	ck_assert_int_eq(queue_claim(q, 0, &job), INV_NOTFOUND);
}
END_TEST

/* The score of the one scheduled job (its due time in ms). */
static int64_t
scheduled_score(void)
{
	redisReply *r = tr_cmd("ZRANGE inventory:queue:scheduled 0 -1 "
	    "WITHSCORES");
	int64_t v;

	ck_assert_uint_eq(r->elements, 2);
	v = strtoll(r->element[1]->str, NULL, 10);
	freeReplyObject(r);
	return v;
}

START_TEST(failures_back_off_then_die_then_retry)
{
	const struct config *cfg = app->cfg;
	int64_t attempt, now, due, delay, prev = 0, base;
	struct queue_job job, none, *dead;
	enum queue_fate fate;
	struct queue_stats st;
	size_t n, moved;

	ck_assert_int_ge(cfg->queue_max_attempts, 3);
	queue_set_worker(q, "fails");
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_DEFAULT, 7), INV_OK);
	for (attempt = 1; attempt < cfg->queue_max_attempts; attempt++) {
		claim_order(q, 7, &job);
		ck_assert_int_eq(job.attempt, attempt);
		if (attempt > 1)
			ck_assert_str_eq(job.last_error, "payment timeout");
		now = queue_now_ms();
		ck_assert_int_eq(queue_fail(q, &job, "payment timeout", now,
		    &fate, &due), INV_OK);
		ck_assert_int_eq(fate, QUEUE_FATE_RETRY);
		/* What is stored is what was computed: base * 2^(n-1), plus
		 * at most a quarter of jitter, so each delay is longer. */
		ck_assert_int_eq(scheduled_score(), due);
		delay = due - now;
		base = cfg->queue_backoff_ms << (attempt - 1);
		ck_assert_int_ge(delay, base);
		ck_assert_int_le(delay, base + base / 4);
		ck_assert_int_gt(delay, prev);
		prev = delay;
		ck_assert_int_eq(llen("inventory:queue:inflight:fails"), 0);
		/* Not due yet: stays; due: back on its own queue. */
		ck_assert_int_eq(queue_promote(q, due - 1, &moved), INV_OK);
		ck_assert_uint_eq(moved, 0);
		ck_assert_int_eq(queue_claim(q, 0, &none), INV_NOTFOUND);
		ck_assert_int_eq(queue_promote(q, due, &moved), INV_OK);
		ck_assert_uint_eq(moved, 1);
		ck_assert_int_eq(llen("inventory:queue:default"), 1);
		queue_job_free(&job);
	}
	/* The last attempt fails: a dead letter with the last error. */
	claim_order(q, 7, &job);
	ck_assert_int_eq(job.attempt, cfg->queue_max_attempts);
	ck_assert_int_eq(queue_fail(q, &job, "still broken", queue_now_ms(),
	    &fate, &due), INV_OK);
	ck_assert_int_eq(fate, QUEUE_FATE_DEAD);
	ck_assert_int_eq(due, 0);
	ck_assert_int_eq(queue_get_stats(q, &st), INV_OK);
	ck_assert_int_eq(st.dead, 1);
	ck_assert_int_eq(st.scheduled, 0);
	ck_assert_int_eq(st.inflight, 0);
	ck_assert_int_eq(st.depth[QUEUE_DEFAULT], 0);
	ck_assert_int_eq(queue_dead_list(q, &dead, &n), INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(dead[0].id, job.id);
	ck_assert_int_eq(dead[0].order_id, 7);
	ck_assert_int_eq(dead[0].attempt, cfg->queue_max_attempts);
	ck_assert_str_eq(dead[0].last_error, "still broken");
	ck_assert_ptr_nonnull(dead[0].failed_at);
	queue_jobs_free(dead, n);

	/* An operator's retry: back on its queue as a first attempt. */
	ck_assert_int_eq(queue_dead_retry(q, "0123456789abcdef"),
	    INV_NOTFOUND);
	ck_assert_int_eq(queue_dead_retry(q, job.id), INV_OK);
	ck_assert_int_eq(queue_dead_retry(q, job.id), INV_NOTFOUND);
	queue_job_free(&job);
	claim_order(q, 7, &job);
	ck_assert_int_eq(job.attempt, 1);
	ck_assert_int_eq(job.prio, QUEUE_DEFAULT);
	ck_assert_ptr_null(job.last_error);
	ck_assert_ptr_null(job.failed_at);
	ck_assert_int_eq(queue_ack(q, &job), INV_OK);
	queue_job_free(&job);
	ck_assert_int_eq(queue_get_stats(q, &st), INV_OK);
	ck_assert_int_eq(st.dead + st.scheduled + st.inflight +
	    st.depth[QUEUE_DEFAULT], 0);
}
END_TEST

/* Puts order order_id in the dead letters through a one-attempt queue. */
static void
kill_job(struct queue *w, enum queue_prio p, int64_t order_id)
{
	struct queue_job job;
	enum queue_fate fate;

	ck_assert_int_eq(queue_enqueue_order(w, p, order_id), INV_OK);
	claim_order(w, order_id, &job);
	ck_assert_int_eq(queue_fail(w, &job, "boom", queue_now_ms(), &fate,
	    NULL), INV_OK);
	ck_assert_int_eq(fate, QUEUE_FATE_DEAD);
	queue_job_free(&job);
}

START_TEST(dead_letters_retry_all_and_purge)
{
	struct config cfg;
	struct queue *w;
	struct queue_job *dead, job;
	size_t n;

	cfg_load(&cfg);
	cfg.queue_max_attempts = 1;
	w = worker_queue(&cfg, "one-shot");
	kill_job(w, QUEUE_HIGH, 1);
	kill_job(w, QUEUE_LOW, 2);
	kill_job(w, QUEUE_DEFAULT, 3);
	ck_assert_int_eq(queue_dead_list(q, &dead, &n), INV_OK);
	ck_assert_uint_eq(n, 3);
	/* Newest first. */
	ck_assert_int_eq(dead[0].order_id, 3);
	ck_assert_int_eq(dead[2].order_id, 1);
	queue_jobs_free(dead, n);

	ck_assert_int_eq(queue_dead_retry_all(q, &n), INV_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(llen("inventory:queue:dead"), 0);
	/* Each back on its own queue. */
	ck_assert_int_eq(llen("inventory:queue:high"), 1);
	ck_assert_int_eq(llen("inventory:queue:default"), 1);
	ck_assert_int_eq(llen("inventory:queue:low"), 1);
	ck_assert_int_eq(queue_dead_retry_all(q, &n), INV_OK);
	ck_assert_uint_eq(n, 0);

	claim_order(w, 1, &job);
	ck_assert_int_eq(queue_fail(w, &job, "again", queue_now_ms(), NULL,
	    NULL), INV_OK);
	queue_job_free(&job);
	claim_order(w, 3, &job);
	ck_assert_int_eq(queue_fail(w, &job, "again", queue_now_ms(), NULL,
	    NULL), INV_OK);
	queue_job_free(&job);
	ck_assert_int_eq(queue_dead_purge(q, &n), INV_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(llen("inventory:queue:dead"), 0);
	ck_assert_int_eq(queue_dead_purge(q, &n), INV_OK);
	ck_assert_uint_eq(n, 0);
	/* The purge touched nothing else. */
	ck_assert_int_eq(llen("inventory:queue:low"), 1);
	queue_close(w);
	config_free(&cfg);
}
END_TEST

START_TEST(malformed_job_goes_to_the_dead_letters)
{
	struct queue_job job, *dead;
	redisReply *r;
	size_t n;

	queue_set_worker(q, "m");
	r = tr_cmd("LPUSH inventory:queue:high %s", "{\"id\":\"x\"}");
	freeReplyObject(r);
	r = tr_cmd("LPUSH inventory:queue:high %s", "not json");
	freeReplyObject(r);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 9), INV_OK);
	/* Both are skipped on the way to the good one. */
	claim_order(q, 9, &job);
	queue_job_free(&job);
	ck_assert_int_eq(queue_dead_list(q, &dead, &n), INV_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(dead[0].raw, "not json");
	ck_assert_str_eq(dead[0].id, "");
	ck_assert_ptr_null(dead[0].type);
	queue_jobs_free(dead, n);
	/* Nothing to retry in them; a purge removes them. */
	ck_assert_int_eq(queue_dead_retry_all(q, &n), INV_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(queue_dead_purge(q, &n), INV_OK);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(recovers_jobs_of_a_worker_whose_heartbeat_expired)
{
	struct queue *gone = worker_queue(app->cfg, "gone");
	struct queue *alive = worker_queue(app->cfg, "alive");
	struct queue_job a, b, c, job;
	enum queue_fate fate;
	size_t jobs, workers;
	redisReply *r;
	int64_t i;

	for (i = 1; i <= 4; i++)
		ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, i), INV_OK);
	claim_order(gone, 1, &a);
	claim_order(gone, 2, &b);
	claim_order(alive, 3, &c);
	/* Nobody is recovered while the heartbeats live. */
	ck_assert_int_eq(queue_recover(q, &jobs, &workers), INV_OK);
	ck_assert_uint_eq(jobs, 0);
	ck_assert_uint_eq(workers, 0);
	/* What a lapsed TTL does. */
	r = tr_cmd("DEL inventory:queue:worker:gone");
	freeReplyObject(r);
	ck_assert_int_eq(queue_recover(q, &jobs, &workers), INV_OK);
	ck_assert_uint_eq(jobs, 2);
	ck_assert_uint_eq(workers, 1);
	ck_assert_int_eq(llen("inventory:queue:inflight:gone"), 0);
	ck_assert_int_eq(llen("inventory:queue:inflight:alive"), 1);
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s", "gone"),
	    0);
	/* Recovered jobs go first, oldest first, before order 4. */
	queue_set_worker(q, "next");
	claim_order(q, 1, &job);
	queue_job_free(&job);
	claim_order(q, 2, &job);
	queue_job_free(&job);
	claim_order(q, 4, &job);
	queue_job_free(&job);
	/* The slow worker's late acknowledgement and failure change
	 * nothing: its jobs now belong to someone else. */
	ck_assert_int_eq(queue_ack(gone, &a), INV_OK);
	ck_assert_int_eq(queue_fail(gone, &b, "late", queue_now_ms(), &fate,
	    NULL), INV_OK);
	ck_assert_int_eq(fate, QUEUE_FATE_GONE);
	ck_assert_int_eq(tr_int("ZCARD %s", "inventory:queue:scheduled"), 0);
	ck_assert_int_eq(llen("inventory:queue:inflight:next"), 3);
	queue_job_free(&a);
	queue_job_free(&b);
	queue_job_free(&c);
	queue_close(gone);
	queue_close(alive);
}
END_TEST

START_TEST(clean_stop_hands_back_jobs_in_flight)
{
	struct queue_job job;
	size_t jobs;

	queue_set_worker(q, "stopping");
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 1), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 2), INV_OK);
	claim_order(q, 1, &job);
	queue_job_free(&job);
	ck_assert_int_eq(queue_worker_stop(q), INV_OK);
	ck_assert_int_eq(tr_int("EXISTS %s", "inventory:queue:worker:stopping"),
	    0);
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s",
	    "stopping"), 0);
	ck_assert_int_eq(llen("inventory:queue:inflight:stopping"), 0);
	/* Back at the front of its own queue. */
	claim_order(q, 1, &job);
	queue_job_free(&job);
	ck_assert_int_eq(queue_worker_stop(q), INV_OK);
	ck_assert_int_eq(queue_recover(q, &jobs, NULL), INV_OK);
	ck_assert_uint_eq(jobs, 0);
}
END_TEST

START_TEST(heartbeat_is_set_and_refreshed)
{
	redisReply *r;

	queue_set_worker(q, "beat");
	ck_assert_int_eq(queue_heartbeat(q), INV_OK);
	ck_assert_int_gt(tr_int("TTL %s", "inventory:queue:worker:beat"), 0);
	ck_assert_int_eq(tr_int("SISMEMBER inventory:queue:workers %s", "beat"),
	    1);
	/* Within a third of the TTL a beat costs nothing. */
	r = tr_cmd("DEL inventory:queue:worker:beat");
	freeReplyObject(r);
	ck_assert_int_eq(queue_heartbeat(q), INV_OK);
	ck_assert_int_eq(tr_int("EXISTS %s", "inventory:queue:worker:beat"), 0);
	/* A new identity beats at once. */
	queue_set_worker(q, "beat");
	ck_assert_int_eq(queue_heartbeat(q), INV_OK);
	ck_assert_int_eq(tr_int("EXISTS %s", "inventory:queue:worker:beat"), 1);
}
END_TEST

START_TEST(stats_count_every_place)
{
	struct config cfg;
	struct queue *w, *one;
	struct queue_job job;
	struct queue_stats st;

	cfg_load(&cfg);
	cfg.queue_max_attempts = 1;
	one = worker_queue(&cfg, "one");
	w = worker_queue(app->cfg, "two");
	kill_job(one, QUEUE_HIGH, 100);			/* dead */
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 1), INV_OK);
	claim_order(w, 1, &job);
	ck_assert_int_eq(queue_fail(w, &job, "x", queue_now_ms(), NULL, NULL),
	    INV_OK);					/* scheduled */
	queue_job_free(&job);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 2), INV_OK);
	claim_order(w, 2, &job);			/* in flight */
	queue_job_free(&job);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 3), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_DEFAULT, 4), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_DEFAULT, 5), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 6), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 7), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 8), INV_OK);
	ck_assert_int_eq(queue_get_stats(q, &st), INV_OK);
	ck_assert_int_eq(st.depth[QUEUE_HIGH], 1);
	ck_assert_int_eq(st.depth[QUEUE_DEFAULT], 2);
	ck_assert_int_eq(st.depth[QUEUE_LOW], 3);
	ck_assert_int_eq(st.inflight, 1);
	ck_assert_int_eq(st.scheduled, 1);
	ck_assert_int_eq(st.dead, 1);
	ck_assert_int_eq(st.workers, 2);
	queue_close(w);
	queue_close(one);
	config_free(&cfg);
}
END_TEST

START_TEST(blocking_claim_waits_for_a_job)
{
	struct queue_job job;
	enum inv_err rc = INV_NOTFOUND;
	pid_t pid;
	int st, i;

	queue_set_worker(q, "follower");
	/* Nothing comes: the wait ends empty-handed, the connection fine. */
	ck_assert_int_eq(queue_claim(q, 100, &job), INV_NOTFOUND);
	/* A job on a lower queue is taken without waiting. */
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_LOW, 1), INV_OK);
	ck_assert_int_eq(queue_claim(q, 100, &job), INV_OK);
	ck_assert_int_eq(job.order_id, 1);
	queue_job_free(&job);
	/* A job pushed by another process while we wait reaches us. The
	 * child only exits with its verdict: an assertion there would, with
	 * CK_FORK=no, carry on with the parent's runner. */
	if ((pid = fork()) == 0) {
		struct queue *p;

		if (queue_open(&p, app->cfg) != INV_OK)
			tu_child_exit(2);
		usleep(50000);
		tu_child_exit(queue_enqueue_order(p, QUEUE_HIGH, 2) == INV_OK ?
		    0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	for (i = 0; i < 100 && rc == INV_NOTFOUND; i++)
		rc = queue_claim(q, 1000, &job);
	ck_assert_int_eq(rc, INV_OK);
	ck_assert_int_eq(job.order_id, 2);
	ck_assert_int_eq(job.prio, QUEUE_HIGH);
	ck_assert_int_eq(llen("inventory:queue:inflight:follower"), 2);
	queue_job_free(&job);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the producer failed (status %#x)", st);
}
END_TEST

enum { RACE_WORKERS = 8, RACE_JOBS = 400 };

/* Each worker's own queue handle, opened before the barrier. */
static struct queue *race_q;

static void
race_open(int i)
{
	char name[16];

	snprintf(name, sizeof(name), "c%d", i);
	race_q = worker_queue(app->cfg, name);
}

/* A worker: claims and acks until the queue is empty; out[k] counts
 * the claims of order k + 1. */
static void
race_claim(int i, void *out)
{
	unsigned char *taken = out;
	struct queue_job job;

	(void)i;
	while (queue_claim(race_q, 0, &job) == INV_OK) {
		ck_assert_msg(job.order_id >= 1 && job.order_id <= RACE_JOBS,
		    "claimed order %" PRId64, job.order_id);
		ck_assert_msg(taken[job.order_id - 1] == 0,
		    "order %" PRId64 " claimed twice", job.order_id);
		taken[job.order_id - 1]++;
		ck_assert_int_eq(queue_ack(race_q, &job), INV_OK);
		queue_job_free(&job);
	}
	queue_close(race_q);
}

/*
 * Several workers claim from one queue at once: every job is taken by
 * exactly one of them.
 */
START_TEST(concurrent_workers_claim_each_job_once)
{
	enum { WORKERS = RACE_WORKERS, JOBS = RACE_JOBS };
	unsigned char taken[WORKERS][JOBS];
	int i, w, seen;

	for (i = 1; i <= JOBS; i++)
		ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, i), INV_OK);
	tu_concurrently(WORKERS, race_open, race_claim, taken,
	    sizeof(taken[0]));
	for (i = 1; i <= JOBS; i++) {
		for (seen = 0, w = 0; w < WORKERS; w++)
			seen += taken[w][i - 1];
		ck_assert_msg(seen == 1, "order %d taken %d times", i, seen);
	}
	ck_assert_int_eq(llen("inventory:queue:high"), 0);
	/* Every claim was acked: nothing is left in flight. */
	for (w = 0; w < WORKERS; w++)
		ck_assert_int_eq(tr_int("LLEN inventory:queue:inflight:c%d", w),
		    0);
}
END_TEST

/* A queue handle on a Redis that is not there (new config in *cfg). */
static struct queue *
unreachable_queue(struct config *cfg)
{
	struct queue *dead;

	cfg_load(cfg);
	free(cfg->queue_redis.socket);
	cfg->queue_redis.socket = xstrdup("/nonexistent/redis.sock");
	ck_assert_int_eq(queue_open(&dead, cfg), INV_OK);
	return dead;
}

START_TEST(redis_unreachable_is_unavailable)
{
	struct config cfg;
	struct queue *dead = unreachable_queue(&cfg);
	struct queue_job job = { 0 }, *jobs;
	struct queue_stats st;
	size_t n;

	/* Every call tries again, and none crashes. */
	ck_assert_int_eq(queue_enqueue_order(dead, QUEUE_HIGH, 1),
	    INV_UNAVAILABLE);
	ck_assert_int_eq(queue_enqueue_order(dead, QUEUE_HIGH, 1),
	    INV_UNAVAILABLE);
	queue_set_worker(dead, "nowhere");
	ck_assert_int_eq(queue_claim(dead, 0, &job), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_claim(dead, 100, &job), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_heartbeat(dead), INV_UNAVAILABLE);
	job.raw = xstrdup("{\"id\":\"1\",\"type\":\"process_order\","
	    "\"order_id\":1,\"attempt\":1}");
	job.type = xstrdup("process_order");
	job.attempt = 1;
	ck_assert_int_eq(queue_ack(dead, &job), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_fail(dead, &job, "x", queue_now_ms(), NULL,
	    NULL), INV_UNAVAILABLE);
	queue_job_free(&job);
	ck_assert_int_eq(queue_recover(dead, NULL, NULL), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_promote(dead, queue_now_ms(), NULL),
	    INV_UNAVAILABLE);
	ck_assert_int_eq(queue_get_stats(dead, &st), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_dead_list(dead, &jobs, &n), INV_UNAVAILABLE);
	ck_assert_ptr_null(jobs);
	ck_assert_int_eq(queue_dead_retry(dead, "1"), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_dead_retry_all(dead, &n), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_dead_purge(dead, &n), INV_UNAVAILABLE);
	ck_assert_int_eq(queue_worker_stop(dead), INV_UNAVAILABLE);
	queue_close(dead);
	config_free(&cfg);
}
END_TEST

START_TEST(reconnects_after_the_connection_is_killed)
{
	redisReply *r;

	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 1), INV_OK);
	r = tr_cmd("CLIENT KILL TYPE normal SKIPME yes");
	freeReplyObject(r);
	/* The dead connection is noticed and replaced within the call. */
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 2), INV_OK);
	ck_assert_int_eq(llen("inventory:queue:high"), 2);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *prod = tcase_create("producer");
	TCase *work = tcase_create("worker");
	TCase *fault = tcase_create("faults");

	tcase_add_checked_fixture(prod, setup, teardown);
	tcase_add_test(prod, enqueue_puts_a_job_on_its_queue);
	tcase_add_test(prod, enqueue_refuses_bad_arguments);
	tcase_add_checked_fixture(work, setup, teardown);
	tcase_add_test(work, claim_then_ack);
	tcase_add_test(work, claim_needs_a_worker_identity);
	tcase_add_test(work, claims_in_priority_order);
	tcase_add_test(work, failures_back_off_then_die_then_retry);
	tcase_add_test(work, dead_letters_retry_all_and_purge);
	tcase_add_test(work, malformed_job_goes_to_the_dead_letters);
	tcase_add_test(work, recovers_jobs_of_a_worker_whose_heartbeat_expired);
	tcase_add_test(work, clean_stop_hands_back_jobs_in_flight);
	tcase_add_test(work, heartbeat_is_set_and_refreshed);
	tcase_add_test(work, stats_count_every_place);
	tcase_add_test(work, blocking_claim_waits_for_a_job);
	tcase_add_test(work, concurrent_workers_claim_each_job_once);
	tcase_add_checked_fixture(fault, setup, teardown);
	tcase_add_test(fault, redis_unreachable_is_unavailable);
	tcase_add_test(fault, reconnects_after_the_connection_is_killed);
	suite_add_tcase(s, prod);
	suite_add_tcase(s, work);
	suite_add_tcase(s, fault);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(queue_suite(), NULL);
}
