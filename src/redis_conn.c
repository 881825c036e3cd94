/*
 * redis_conn.c: see redis_conn.h.
 */
#include <stddef.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "log.h"
#include "redis_conn.h"

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

void
redis_target_cache(struct redis_target *t, const struct config *cfg)
{
	t->what = "redis";
	t->host = cfg->redis_host;
	t->port = cfg->redis_port;
	t->socket = cfg->redis_socket;
	t->db = cfg->redis_db;
	t->connect_timeout_ms = cfg->redis_connect_timeout_ms;
	t->command_timeout_ms = cfg->redis_command_timeout_ms;
}

void
redis_target_queue(struct redis_target *t, const struct config *cfg)
{
	t->what = "queue";
	t->host = cfg->queue_redis_host;
	t->port = cfg->queue_redis_port;
	t->socket = cfg->queue_redis_socket;
	t->db = cfg->queue_redis_db;
	t->connect_timeout_ms = cfg->queue_redis_connect_timeout_ms;
	t->command_timeout_ms = cfg->queue_redis_command_timeout_ms;
}

/*
 * Connects to one address (socket when set, else host:port) and sets the
 * command timeout. The connection (new) or NULL, logged.
 */
static redisContext *
connect_addr(const char *what, const char *socket, const char *host,
    int64_t port, int64_t connect_ms, int64_t command_ms)
{
	struct timeval ct = ms_to_tv(connect_ms);
	redisContext *ctx;

	if (socket != NULL && socket[0] != '\0')
		ctx = redisConnectUnixWithTimeout(socket, ct);
	else
		ctx = redisConnectWithTimeout(host, (int)port, ct);
	if (ctx == NULL || ctx->err) {
		log_warn("%s: connect: %s", what, ctx != NULL ? ctx->errstr :
		    "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, ms_to_tv(command_ms)) != REDIS_OK) {
		log_warn("%s: cannot set the command timeout", what);
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

struct redisContext *
redis_conn_open(const struct redis_target *t)
{
	redisContext *ctx;
	redisReply *reply;

	ctx = connect_addr(t->what, t->socket, t->host, t->port,
	    t->connect_timeout_ms, t->command_timeout_ms);
	if (ctx == NULL)
		return NULL;
	if (t->db != 0) {
		reply = redisCommand(ctx, "SELECT %lld", (long long)t->db);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
			log_warn("%s: SELECT %lld: %s", t->what,
			    (long long)t->db, reply != NULL ? reply->str :
			    ctx->errstr);
			if (reply != NULL)
				freeReplyObject(reply);
			redisFree(ctx);
			return NULL;
		}
		freeReplyObject(reply);
	}
	return ctx;
}
