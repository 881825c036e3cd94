/*
 * queue.c: the Redis reliable queue (ARCHITECTURE.md, "Queue protocol").
 *
 * Keys, all under inventory:queue: —
 *   high, default, low     lists of waiting jobs: LPUSH in, taken from the
 *                          right, so each list is first in, first out
 *
 * A job is one JSON object {"id", "type", "order_id", "attempt", "queue",
 * "enqueued_at"}; "queue" names the list it belongs to, so a job that
 * comes back (a retry, a recovery) returns to its own priority.
 *
 * One connection per handle, opened at queue_open when Redis is there and
 * otherwise on the next call: an order must be enqueued as soon as Redis
 * is back, so there is no pause between attempts (a refused connection on
 * a unix socket costs microseconds; a silent host, the connect timeout).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "json_util.h"
#include "log.h"
#include "queue.h"

#define KEY_PREFIX	"inventory:queue:"
#define JOB_TYPE_ORDER	"process_order"

/* Indexed by enum queue_prio. */
static const char *const prio_names[QUEUE__MAX] = {
	"high",		/* QUEUE_HIGH */
	"default",	/* QUEUE_DEFAULT */
	"low",		/* QUEUE_LOW */
};

/* The list of each priority, indexed by enum queue_prio. */
static const char *const prio_keys[QUEUE__MAX] = {
	KEY_PREFIX "high",	/* QUEUE_HIGH */
	KEY_PREFIX "default",	/* QUEUE_DEFAULT */
	KEY_PREFIX "low",	/* QUEUE_LOW */
};

struct queue {
	const struct config	*cfg;	/* borrowed */
	redisContext		*ctx;	/* NULL while disconnected */
};

const char *
queue_prio_name(enum queue_prio p)
{
	return (unsigned)p < QUEUE__MAX ? prio_names[p] : "?";
}

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

static void
queue_drop(struct queue *q)
{
	if (q->ctx != NULL)
		redisFree(q->ctx);
	q->ctx = NULL;
}

/*
 * Checks a reply just read: NULL means an I/O error or timeout, after
 * which hiredis's context is unusable (FACTS.md), so it is dropped; an
 * error reply is logged and freed. Returns the reply (the caller frees
 * it) or NULL.
 */
static redisReply *
queue_reply(struct queue *q, redisReply *reply, const char *what)
{
	if (reply == NULL) {
		log_warn("queue: %s: %s", what, q->ctx->errstr[0] != '\0' ?
		    q->ctx->errstr : "connection lost");
		queue_drop(q);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("queue: %s: %s", what, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Runs one command (printf-like, hiredis's %s/%b); the reply is new. */
static redisReply *
queue_cmd(struct queue *q, const char *what, const char *fmt, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = redisvCommand(q->ctx, fmt, ap);
	va_end(ap);
	return queue_reply(q, reply, what);
}

/* Connects unless connected; false (logged) when Redis cannot be had. */
static bool
queue_connect(struct queue *q)
{
	const struct config *cfg = q->cfg;
	struct timeval ct = ms_to_tv(cfg->queue_redis_connect_timeout_ms);
	redisReply *reply;

	if (q->ctx != NULL)
		return true;
	if (cfg->queue_redis_socket[0] != '\0')
		q->ctx = redisConnectUnixWithTimeout(cfg->queue_redis_socket,
		    ct);
	else
		q->ctx = redisConnectWithTimeout(cfg->queue_redis_host,
		    (int)cfg->queue_redis_port, ct);
	if (q->ctx == NULL || q->ctx->err) {
		log_warn("queue: connect: %s", q->ctx != NULL ?
		    q->ctx->errstr : "out of memory");
		queue_drop(q);
		return false;
	}
	if (redisSetTimeout(q->ctx,
	    ms_to_tv(cfg->queue_redis_command_timeout_ms)) != REDIS_OK) {
		log_warn("queue: cannot set the command timeout");
		queue_drop(q);
		return false;
	}
	if (cfg->queue_redis_db != 0) {
		if ((reply = queue_cmd(q, "select", "SELECT %lld",
		    (long long)cfg->queue_redis_db)) == NULL) {
			queue_drop(q);
			return false;
		}
		freeReplyObject(reply);
	}
	return true;
}

enum inv_err
queue_open(struct queue **out, const struct config *cfg)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->cfg = cfg;
	queue_connect(q);	/* Redis down is not an error at start */
	*out = q;
	return INV_OK;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	queue_drop(q);
	free(q);
}

/* The current UTC time as "2026-11-25T22:44:22Z" into buf. */
static void
utc_now(char buf[24])
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A new job's text (new string): attempt 1, a fresh random id. */
static char *
job_new(enum queue_prio prio, int64_t order_id)
{
	char id[QUEUE_JOB_ID_LEN + 1], when[24];

	random_hex(id, QUEUE_JOB_ID_LEN / 2);
	utc_now(when);
	/* Every value is a fixed word, digits or hex: nothing to escape. */
	return xasprintf("{\"id\":\"%s\",\"type\":\"" JOB_TYPE_ORDER "\","
	    "\"order_id\":%lld,\"attempt\":1,\"queue\":\"%s\","
	    "\"enqueued_at\":\"%s\"}", id, (long long)order_id,
	    prio_names[prio], when);
}

enum inv_err
queue_enqueue_order(struct queue *q, enum queue_prio prio, int64_t order_id)
{
	redisReply *reply;
	char *job;

	if ((unsigned)prio >= QUEUE__MAX || order_id <= 0)
		return INV_INVALID;
	if (!queue_connect(q))
		return INV_UNAVAILABLE;
	job = job_new(prio, order_id);
	reply = queue_cmd(q, "enqueue", "LPUSH %s %s", prio_keys[prio], job);
	free(job);
	if (reply == NULL)
		return INV_UNAVAILABLE;
	freeReplyObject(reply);
	return INV_OK;
}
