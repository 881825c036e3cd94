/*
 * check_queue.c: the Redis reliable queue against a real Redis
 * (integration). The suites inspect Redis through their own hiredis
 * connection, so what is checked is what is stored, not what queue.c
 * believes it stored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "json_util.h"
#include "queue.h"
#include "testutil.h"

static struct app *app;
static struct queue *q;
static redisContext *raw;	/* the suite's own look into Redis */

/* A raw command on the suite's connection; fails the test on error. */
static redisReply *
rcmd(const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(raw, fmt, ap);
	va_end(ap);
	ck_assert_msg(r != NULL, "redis: %s", raw->errstr);
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "redis: %s", r->str);
	return r;
}

static long long
rnum(const char *fmt, const char *arg)
{
	redisReply *r = rcmd(fmt, arg);
	long long v;

	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* Connects the suite's look into the queue's Redis database. */
static void
raw_connect(const struct config *cfg)
{
	redisReply *r;

	raw = cfg->queue_redis_socket[0] != '\0' ?
	    redisConnectUnix(cfg->queue_redis_socket) :
	    redisConnect(cfg->queue_redis_host, (int)cfg->queue_redis_port);
	ck_assert_msg(raw != NULL && raw->err == 0, "cannot reach Redis");
	r = rcmd("SELECT %lld", (long long)cfg->queue_redis_db);
	freeReplyObject(r);
}

/* Deletes every key of the queue (and nothing else of that database). */
static void
queue_wipe(void)
{
	redisReply *keys = rcmd("KEYS inventory:queue:*"), *r;
	size_t i;

	for (i = 0; i < keys->elements; i++) {
		r = rcmd("DEL %s", keys->element[i]->str);
		freeReplyObject(r);
	}
	freeReplyObject(keys);
}

static void
setup(void)
{
	app = tu_app();
	raw_connect(app->cfg);
	queue_wipe();
	ck_assert_int_eq(queue_open(&q, app->cfg), INV_OK);
}

static void
teardown(void)
{
	queue_close(q);
	q = NULL;
	redisFree(raw);
	raw = NULL;
}

/* Element i of list key, parsed (new; json_object_put it). */
static struct json_object *
list_job(const char *key, long i)
{
	redisReply *r = rcmd("LINDEX %s %ld", key, i);
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
	ck_assert_int_eq(rnum("LLEN %s", "inventory:queue:high"), 1);
	ck_assert_int_eq(rnum("LLEN %s", "inventory:queue:default"), 1);
	ck_assert_int_eq(rnum("LLEN %s", "inventory:queue:low"), 2);

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
	ck_assert_int_eq(rnum("EXISTS %s", "inventory:queue:high"), 0);
}
END_TEST

/* A queue handle on a Redis that is not there (new config in *cfg). */
static struct queue *
unreachable_queue(struct config *cfg)
{
	struct queue *dead;
	char *why;

	ck_assert_int_eq(config_load(cfg, NULL, &why), INV_OK);
	free(cfg->queue_redis_socket);
	cfg->queue_redis_socket = xstrdup("/nonexistent/redis.sock");
	ck_assert_int_eq(queue_open(&dead, cfg), INV_OK);
	return dead;
}

START_TEST(redis_unreachable_is_unavailable)
{
	struct config cfg;
	struct queue *dead = unreachable_queue(&cfg);

	/* Every call tries again, and none crashes. */
	ck_assert_int_eq(queue_enqueue_order(dead, QUEUE_HIGH, 1),
	    INV_UNAVAILABLE);
	ck_assert_int_eq(queue_enqueue_order(dead, QUEUE_HIGH, 1),
	    INV_UNAVAILABLE);
	queue_close(dead);
	config_free(&cfg);
}
END_TEST

START_TEST(reconnects_after_the_connection_is_killed)
{
	redisReply *r;
	enum inv_err rc;

	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 1), INV_OK);
	r = rcmd("CLIENT KILL TYPE normal SKIPME yes");
	freeReplyObject(r);
	/* The first call may only learn that the connection died. */
	rc = queue_enqueue_order(q, QUEUE_HIGH, 2);
	ck_assert(rc == INV_OK || rc == INV_UNAVAILABLE);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 3), INV_OK);
	ck_assert_int_eq(rnum("LLEN %s", "inventory:queue:high"),
	    rc == INV_OK ? 3 : 2);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *prod = tcase_create("producer");
	TCase *fault = tcase_create("faults");

	tcase_add_checked_fixture(prod, setup, teardown);
	tcase_add_test(prod, enqueue_puts_a_job_on_its_queue);
	tcase_add_test(prod, enqueue_refuses_bad_arguments);
	tcase_add_checked_fixture(fault, setup, teardown);
	tcase_add_test(fault, redis_unreachable_is_unavailable);
	tcase_add_test(fault, reconnects_after_the_connection_is_killed);
	suite_add_tcase(s, prod);
	suite_add_tcase(s, fault);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(queue_suite(), NULL);
}
