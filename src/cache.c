/*
 * cache.c: the Redis cache connection. Redis here only makes reads faster,
 * so every failure degrades to "no cache": short timeouts, and after a
 * failure at most one reconnection attempt a second so a dead Redis costs
 * a request almost nothing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "config.h"
#include "log.h"

#define RECONNECT_INTERVAL_USEC	1000000u

struct cache {
	const struct config	*cfg;		/* borrowed */
	redisContext		*ctx;		/* NULL while disconnected */
	uint64_t		 last_attempt;	/* now_usec() of last connect */
	bool			 attempted;
};

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

static void
cache_drop(struct cache *ch)
{
	if (ch->ctx != NULL)
		redisFree(ch->ctx);
	ch->ctx = NULL;
}

/* Runs a command; NULL (and the connection dropped) on any failure. */
static redisReply *
cache_cmd(struct cache *ch, const char *fmt, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = redisvCommand(ch->ctx, fmt, ap);
	va_end(ap);
	if (reply == NULL) {
		/* An I/O error leaves the context unusable (FACTS.md). */
		log_warn("redis: %s", ch->ctx->errstr);
		cache_drop(ch);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("redis: %s", reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Connects unless connected or a try was made less than a second ago. */
static bool
cache_connect(struct cache *ch)
{
	const struct config *cfg = ch->cfg;
	struct timeval ct = ms_to_tv(cfg->redis_connect_timeout_ms);
	redisReply *reply;
	uint64_t now = now_usec();

	if (ch->ctx != NULL)
		return true;
	if (ch->attempted && now - ch->last_attempt < RECONNECT_INTERVAL_USEC)
		return false;
	ch->attempted = true;
	ch->last_attempt = now;
	if (cfg->redis_socket[0] != '\0')
		ch->ctx = redisConnectUnixWithTimeout(cfg->redis_socket, ct);
	else
		ch->ctx = redisConnectWithTimeout(cfg->redis_host,
		    (int)cfg->redis_port, ct);
	if (ch->ctx == NULL || ch->ctx->err) {
		log_warn("redis: connect: %s", ch->ctx != NULL ?
		    ch->ctx->errstr : "out of memory");
		cache_drop(ch);
		return false;
	}
	redisSetTimeout(ch->ctx, ms_to_tv(cfg->redis_command_timeout_ms));
	if (cfg->redis_db != 0) {
		if ((reply = cache_cmd(ch, "SELECT %lld",
		    (long long)cfg->redis_db)) == NULL) {
			cache_drop(ch);
			return false;
		}
		freeReplyObject(reply);
	}
	return true;
}

enum inv_err
cache_open(struct cache **out, const struct config *cfg)
{
	struct cache *ch = xcalloc(1, sizeof(*ch));

	ch->cfg = cfg;
	cache_connect(ch);	/* Redis down is not an error at start */
	*out = ch;
	return INV_OK;
}

void
cache_close(struct cache *ch)
{
	if (ch == NULL)
		return;
	cache_drop(ch);
	free(ch);
}

enum inv_err
cache_ping(struct cache *ch)
{
	redisReply *reply;

	if (!cache_connect(ch) || (reply = cache_cmd(ch, "PING")) == NULL)
		return INV_UNAVAILABLE;
	freeReplyObject(reply);
	return INV_OK;
}
