/*
 * testredis.c: see testredis.h.
 */
#include <stdarg.h>

#include <check.h>

#include "config.h"
#include "testredis.h"
#include "testutil.h"

static redisContext *raw;

void
tr_connect(const struct config *cfg)
{
	if (raw == NULL)
		raw = tu_redis_connect(&cfg->queue_redis);
}

void
tr_disconnect(void)
{
	if (raw != NULL)
		redisFree(raw);
	raw = NULL;
}

static redisReply *
tr_vcmd(const char *fmt, va_list ap)
{
	redisReply *r;

	ck_assert_msg(raw != NULL, "tr_connect first");
	r = redisvCommand(raw, fmt, ap);
	ck_assert_msg(r != NULL, "redis: %s", raw->errstr);
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "redis: %s", r->str);
	return r;
}

redisReply *
tr_cmd(const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = tr_vcmd(fmt, ap);
	va_end(ap);
	return r;
}

long long
tr_int(const char *fmt, ...)
{
	redisReply *r;
	long long v;
	va_list ap;

	va_start(ap, fmt);
	r = tr_vcmd(fmt, ap);
	va_end(ap);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

void
tr_wipe_queue(void)
{
	redisReply *keys = tr_cmd("KEYS inventory:queue:*"), *r;
	size_t i;

	for (i = 0; i < keys->elements; i++) {
		r = tr_cmd("DEL %s", keys->element[i]->str);
		freeReplyObject(r);
	}
	freeReplyObject(keys);
}
