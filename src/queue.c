/*
 * queue.c: the Redis reliable queue (doc/design.md, "Queue protocol").
 *
 * Keys, all under inventory:queue: —
 *   high, default, low  lists of waiting jobs: LPUSH in, taken from the
 *                       right, so each list is first in, first out
 *   inflight:ID         the jobs worker ID has claimed and not finished
 *   worker:ID           worker ID's heartbeat, a key with a TTL
 *   workers             set of the IDs that may have an in-flight list
 *   scheduled           sorted set of failed jobs waiting to be retried,
 *                       scored by the time (ms since the epoch) they are due
 *   dead                list of jobs that failed their last attempt
 *
 * A job is one JSON object {"id", "type", "order_id", "attempt", "queue",
 * "enqueued_at"} (a webhook delivery's has "delivery_id" for "order_id",
 * an outbox dispatch neither; a fulfil_order job is an order's) (plus "last_error" after a failure and "failed_at" in the
 * dead letters); "queue" names the list it belongs to, so a job that comes
 * back (a retry, a recovery) returns to its own priority.
 *
 * Every move of a job between keys is one Lua script, so a job is in
 * exactly one place at any time whatever crashes: claiming is LMOVE into
 * the in-flight list, and everything else removes the exact text from
 * where it is and adds it (or its successor) somewhere else in the same
 * script. Scripts that walk the known workers build the in-flight key names
 * themselves, which a single Redis server allows (not Redis Cluster).
 *
 * One connection per handle, opened at queue_open when Redis is there and
 * otherwise at the next call: an order must be enqueued as soon as Redis
 * is back, so there is no pause between attempts (a refused connection on
 * a unix socket costs microseconds; a silent host, the connect timeout).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "queue.h"
#include "redis_conn.h"

#define KEY_PREFIX	"inventory:queue:"
#define KEY_INFLIGHT	KEY_PREFIX "inflight:"
#define KEY_WORKER	KEY_PREFIX "worker:"
#define KEY_WORKERS	KEY_PREFIX "workers"
#define KEY_SCHEDULED	KEY_PREFIX "scheduled"
#define KEY_DEAD	KEY_PREFIX "dead"

#define JOB_TYPE_ORDER	"process_order"
#define PROMOTE_BATCH	"500"	/* due retries moved per script run */
#define BLOCK_MAX_MS	1000	/* longest blocking wait per call */
#define RETRY_MAX_MS	(24 * 3600 * 1000LL)	/* cap of one retry delay */
#define LAST_ERROR_MAX	500	/* bytes of last_error kept in a job */

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

/*
 * The queue list a job belongs to, for scripts whose KEYS[1..3] are the
 * high, default and low lists. A job that does not parse goes to default.
 */
#define LUA_DEST \
	"local function dest(job)\n" \
	"  local ok, j = pcall(cjson.decode, job)\n" \
	"  if ok and type(j) == 'table' then\n" \
	"    if j.queue == 'high' then return KEYS[1] end\n" \
	"    if j.queue == 'low' then return KEYS[3] end\n" \
	"  end\n" \
	"  return KEYS[2]\n" \
	"end\n"

/* Heartbeat: KEYS worker:ID, workers; ARGV ID, TTL seconds, value. */
#define LUA_HEARTBEAT \
	"redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2])\n" \
	"redis.call('SADD', KEYS[2], ARGV[1])\n"

enum script {
	SCRIPT_HEARTBEAT = 0,
	SCRIPT_CLAIM,
	SCRIPT_ACK,
	SCRIPT_FAIL,
	SCRIPT_PROMOTE,
	SCRIPT_RECOVER,
	SCRIPT_MOVE,
	SCRIPT_PURGE,
	SCRIPT_STATS,
	SCRIPT__MAX
};

/* Indexed by enum script: a name for log lines and the Lua text. */
static const struct {
	const char	*name;
	const char	*lua;
} scripts[SCRIPT__MAX] = {
	/* KEYS worker:ID, workers; ARGV ID, TTL, value. */
	[SCRIPT_HEARTBEAT] = { "heartbeat", LUA_HEARTBEAT },
	/*
	 * KEYS worker:ID, workers, inflight:ID, high, default, low;
	 * ARGV ID, TTL, value, most. Takes up to most jobs, high before
	 * default before low, and returns {priority, job, priority, job,
	 * ...}, empty when there was none.
	 */
	[SCRIPT_CLAIM] = { "claim", LUA_HEARTBEAT
	    "local out, most = {}, tonumber(ARGV[4])\n"
	    "for i = 4, 6 do\n"
	    "  while #out < 2 * most do\n"
	    "    local job = redis.call('LMOVE', KEYS[i], KEYS[3], 'RIGHT', "
	    "'LEFT')\n"
	    "    if not job then break end\n"
	    "    out[#out + 1] = i - 4\n"
	    "    out[#out + 1] = job\n"
	    "  end\n"
	    "end\n"
	    "return out\n" },
	/*
	 * KEYS inflight:ID, default; ARGV k, k jobs to acknowledge, then
	 * jobs to push on default (the follow-up of what was
	 * acknowledged). Returns how many of the k were there.
	 */
	[SCRIPT_ACK] = { "ack",
	    "local n, k = 0, tonumber(ARGV[1])\n"
	    "for i = 2, k + 1 do\n"
	    "  n = n + redis.call('LREM', KEYS[1], 1, ARGV[i])\n"
	    "end\n"
	    "for i = k + 2, #ARGV do\n"
	    "  redis.call('LPUSH', KEYS[2], ARGV[i])\n"
	    "end\n"
	    "return n\n" },
	/*
	 * KEYS inflight:ID, scheduled, dead; ARGV job, next job, due ms,
	 * "1" when dead. Returns 0 (not in flight), 1 (scheduled), 2 (dead).
	 */
	[SCRIPT_FAIL] = { "fail",
	    "if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then "
	    "return 0 end\n"
	    "if ARGV[4] == '1' then\n"
	    "  redis.call('LPUSH', KEYS[3], ARGV[2])\n"
	    "  return 2\n"
	    "end\n"
	    "redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])\n"
	    "return 1\n" },
	/*
	 * KEYS high, default, low, scheduled; ARGV now ms, batch. Moves up
	 * to batch due jobs to the back of their queues; returns how many.
	 */
	[SCRIPT_PROMOTE] = { "promote", LUA_DEST
	    "local jobs = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', "
	    "ARGV[1], 'LIMIT', 0, ARGV[2])\n"
	    "for _, job in ipairs(jobs) do\n"
	    "  redis.call('ZREM', KEYS[4], job)\n"
	    "  redis.call('LPUSH', dest(job), job)\n"
	    "end\n"
	    "return #jobs\n" },
	/*
	 * KEYS high, default, low, workers, worker:ID, inflight:ID; ARGV ID,
	 * "1" to end the worker now (its own clean stop). A worker whose
	 * heartbeat still lives is left alone (-1). Otherwise its jobs go
	 * to the front of their queues, oldest nearest the front (they have
	 * waited longest), it is forgotten, and the count is returned.
	 */
	[SCRIPT_RECOVER] = { "recover", LUA_DEST
	    "if ARGV[2] == '1' then redis.call('DEL', KEYS[5])\n"
	    "elseif redis.call('EXISTS', KEYS[5]) == 1 then return -1 end\n"
	    "local n = 0\n"
	    "while true do\n"
	    "  local job = redis.call('LPOP', KEYS[6])\n"
	    "  if not job then break end\n"
	    "  redis.call('RPUSH', dest(job), job)\n"
	    "  n = n + 1\n"
	    "end\n"
	    "redis.call('SREM', KEYS[4], ARGV[1])\n"
	    "return n\n" },
	/*
	 * KEYS from, to; ARGV job, replacement. Removes the exact job from
	 * list from and pushes the replacement on list to; 0 when the job
	 * was not there.
	 */
	[SCRIPT_MOVE] = { "move",
	    "if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then "
	    "return 0 end\n"
	    "redis.call('LPUSH', KEYS[2], ARGV[2])\n"
	    "return 1\n" },
	/* KEYS dead. Returns how many dead letters were deleted. */
	[SCRIPT_PURGE] = { "purge",
	    "local n = redis.call('LLEN', KEYS[1])\n"
	    "redis.call('DEL', KEYS[1])\n"
	    "return n\n" },
	/*
	 * KEYS high, default, low, workers, scheduled, dead; ARGV the
	 * in-flight and heartbeat key prefixes. Returns {high, default,
	 * low, in flight, scheduled, dead, workers, workers alive (with a
	 * heartbeat), then the oldest job of high, default, low (false when
	 * empty)}.
	 */
	[SCRIPT_STATS] = { "stats",
	    "local ws = redis.call('SMEMBERS', KEYS[4])\n"
	    "local inflight, alive = 0, 0\n"
	    "for _, w in ipairs(ws) do\n"
	    "  inflight = inflight + redis.call('LLEN', ARGV[1] .. w)\n"
	    "  alive = alive + redis.call('EXISTS', ARGV[2] .. w)\n"
	    "end\n"
	    "return {redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]),"
	    " redis.call('LLEN', KEYS[3]), inflight,"
	    " redis.call('ZCARD', KEYS[5]), redis.call('LLEN', KEYS[6]),"
	    " #ws, alive, redis.call('LINDEX', KEYS[1], -1),"
	    " redis.call('LINDEX', KEYS[2], -1),"
	    " redis.call('LINDEX', KEYS[3], -1)}\n" },
};

struct queue {
	const struct config	*cfg;		/* borrowed */
	struct redis_target	 target;	/* queue_redis_* of cfg */
	redisContext		*ctx;		/* NULL while disconnected */
	/* Worker identity (queue_set_worker); all NULL for a producer. */
	char			*worker;
	char			*hb_key;	/* inventory:queue:worker:ID */
	char			*inflight_key;	/* inventory:queue:inflight:ID */
	uint64_t		 hb_at;		/* now_usec() of the last beat */
};

const char *
queue_prio_name(enum queue_prio p)
{
	return (unsigned)p < QUEUE__MAX ? prio_names[p] : "?";
}

int64_t
queue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
queue_drop(struct queue *q)
{
	if (q->ctx != NULL)
		redisFree(q->ctx);
	q->ctx = NULL;
}

/* Connects unless connected (to the master Sentinel names, when it
 * does); false (logged) when Redis cannot be had. */
static bool
queue_connect(struct queue *q)
{
	if (q->ctx != NULL && redis_conn_moved(&q->target))
		queue_drop(q);
	if (q->ctx == NULL)
		q->ctx = redis_conn_open(&q->target);
	return q->ctx != NULL;
}

/*
 * True when the last failure says the server had closed the connection
 * before our command reached it (Redis restarted, or dropped an idle
 * client). A timeout is not that: the command may be running.
 */
static bool
closed_under_us(const redisContext *ctx, int err)
{
	return ctx->err == REDIS_ERR_EOF || (ctx->err == REDIS_ERR_IO &&
	    (err == EPIPE || err == ECONNRESET));
}

/*
 * Runs argv[0..argc) (NUL-terminated strings, borrowed), connecting
 * first. Returns the reply (new: freeReplyObject) or NULL on any failure,
 * logged here: after an I/O error or timeout hiredis's context is
 * unusable, so it is dropped for the next call to replace; an error
 * reply keeps the connection, except one that says the server is
 * no longer a writable master (redis_reply_demoted). A connection found closed by the server, or refused as
 * a demoted master's, gets one more try on a fresh one (through Sentinel,
 * when set): every command here may run twice without harm (a job run
 * twice is harmless; the scripts check where a job is before moving it).
 * lens[i] is the length of argv[i].
 */
static redisReply *
queue_argv_lens(struct queue *q, const char *what, int argc,
    const char **argv, const size_t *lens)
{
	redisReply *reply;
	bool had;
	int err;

	for (;;) {
		had = q->ctx != NULL;
		if (!queue_connect(q))
			return NULL;
		reply = redisCommandArgv(q->ctx, argc, argv, lens);
		err = errno;
		/*
		 * A master demoted by a failover refuses writes: the command
		 * did not run, so it goes to the master Sentinel names now.
		 */
		if (redis_reply_demoted(reply)) {
			log_warn("queue: %s: %s; reconnecting", what,
			    reply->str);
			freeReplyObject(reply);
			queue_drop(q);
			if (had)
				continue;
			return NULL;
		}
		if (reply != NULL)
			break;
		if (had && closed_under_us(q->ctx, err)) {
			log_debug("queue: %s: %s; reconnecting", what,
			    q->ctx->errstr);
			queue_drop(q);
			continue;
		}
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

/* queue_argv_lens of NUL-terminated strings. */
static redisReply *
queue_argv(struct queue *q, const char *what, int argc, const char **argv)
{
	size_t *lens = xcalloc((size_t)argc, sizeof(*lens));
	redisReply *reply;
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	reply = queue_argv_lens(q, what, argc, argv, lens);
	free(lens);
	return reply;
}

/* Runs script s with nkeys keys and nargs arguments (borrowed). */
static redisReply *
queue_eval(struct queue *q, enum script s, int nkeys,
    const char *const *keys, int nargs, const char *const *args)
{
	const char **argv = xcalloc((size_t)(3 + nkeys + nargs),
	    sizeof(*argv));
	redisReply *reply;
	char n[16];
	int argc = 0, i;

	snprintf(n, sizeof(n), "%d", nkeys);
	argv[argc++] = "EVAL";
	argv[argc++] = scripts[s].lua;
	argv[argc++] = n;
	for (i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	reply = queue_argv(q, scripts[s].name, argc, argv);
	free(argv);
	return reply;
}

/* An integer reply's value (freeing the reply); false for NULL or any
 * other type. */
static bool
reply_int(redisReply *reply, long long *out)
{
	bool ok;

	if (reply == NULL)
		return false;
	ok = reply->type == REDIS_REPLY_INTEGER;
	if (ok)
		*out = reply->integer;
	else
		log_warn("queue: unexpected reply type %d", reply->type);
	freeReplyObject(reply);
	return ok;
}

enum inv_err
queue_open(struct queue **out, const struct config *cfg)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->cfg = cfg;
	redis_target_init(&q->target, "queue", &cfg->queue_redis);
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
	redis_target_clear(&q->target);
	free(q->worker);
	free(q->hb_key);
	free(q->inflight_key);
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

/* A new job's text (new string): attempt 1, a fresh random id; key
 * names the row it is about (NULL: none). */
static char *
job_text(enum queue_prio prio, const char *type, const char *key,
    int64_t row)
{
	char id[QUEUE_JOB_ID_LEN + 1], when[24], ref[64] = "";

	random_hex(id, QUEUE_JOB_ID_LEN / 2);
	utc_now(when);
	if (key != NULL)
		snprintf(ref, sizeof(ref), "\"%s\":%lld,", key,
		    (long long)row);
	/* Every value is a fixed word, digits or hex: nothing to escape. */
	return xasprintf("{\"id\":\"%s\",\"type\":\"%s\",%s"
	    "\"attempt\":1,\"queue\":\"%s\",\"enqueued_at\":\"%s\"}", id,
	    type, ref, prio_names[prio], when);
}

/* A new process_order job's text (new string). */
static char *
job_new(enum queue_prio prio, int64_t order_id)
{
	return job_text(prio, JOB_TYPE_ORDER, "order_id", order_id);
}

/* A fulfil_order job's text (new string): always on the default queue. */
static char *
job_fulfil(int64_t order_id)
{
	return job_text(QUEUE_DEFAULT, QUEUE_JOB_FULFIL, "order_id", order_id);
}

/* Whether a job of order_id on prio can ride a round trip to other: then
 * *list and *db say where it goes. */
static bool
job_on(const struct queue *q, const struct redis_settings *other,
    enum queue_prio prio, int64_t order_id, const char **list, int64_t *db)
{
	if ((unsigned)prio >= QUEUE__MAX || order_id <= 0 ||
	    !redis_same_server(q->target.set, other))
		return false;
	*list = prio_keys[prio];
	*db = q->target.set->db;
	return true;
}

char *
queue_job_on(const struct queue *q, const struct redis_settings *other,
    enum queue_prio prio, int64_t order_id, const char **list, int64_t *db)
{
	return job_on(q, other, prio, order_id, list, db) ?
	    job_new(prio, order_id) : NULL;
}

char *
queue_fulfil_on(const struct queue *q, const struct redis_settings *other,
    int64_t order_id, const char **list, int64_t *db)
{
	return job_on(q, other, QUEUE_DEFAULT, order_id, list, db) ?
	    job_fulfil(order_id) : NULL;
}

/* LPUSHes the n jobs (borrowed) on list key in one command. */
static enum inv_err
push_jobs(struct queue *q, const char *key, char *const *jobs, size_t n)
{
	const char **argv = xcalloc(n + 2, sizeof(*argv));
	redisReply *reply;
	size_t i;

	argv[0] = "LPUSH";
	argv[1] = key;
	for (i = 0; i < n; i++)
		argv[i + 2] = jobs[i];
	reply = queue_argv(q, "enqueue", (int)(n + 2), argv);
	free(argv);
	if (reply == NULL)
		return INV_UNAVAILABLE;
	freeReplyObject(reply);
	return INV_OK;
}

enum inv_err
queue_enqueue_order(struct queue *q, enum queue_prio prio, int64_t order_id)
{
	enum inv_err rc;
	char *job;

	if ((unsigned)prio >= QUEUE__MAX || order_id <= 0)
		return INV_INVALID;
	job = job_new(prio, order_id);
	rc = push_jobs(q, prio_keys[prio], &job, 1);
	free(job);
	return rc;
}

enum inv_err
queue_enqueue_dispatch(struct queue *q, enum queue_prio prio)
{
	char *job;
	enum inv_err rc;

	if ((unsigned)prio >= QUEUE__MAX)
		return INV_INVALID;
	job = job_text(prio, QUEUE_JOB_DISPATCH, NULL, 0);
	rc = push_jobs(q, prio_keys[prio], &job, 1);
	free(job);
	return rc;
}

/* Pushes a job of type on the default queue for each of the n rows
 * (borrowed), named by key, in one round trip. */
static enum inv_err
push_rows(struct queue *q, const char *type, const char *key,
    const int64_t *ids, size_t n)
{
	char **jobs;
	enum inv_err rc;
	size_t i;

	if (n == 0)
		return INV_OK;
	jobs = xcalloc(n, sizeof(*jobs));
	for (i = 0; i < n; i++)
		jobs[i] = job_text(QUEUE_DEFAULT, type, key, ids[i]);
	rc = push_jobs(q, prio_keys[QUEUE_DEFAULT], jobs, n);
	for (i = 0; i < n; i++)
		free(jobs[i]);
	free(jobs);
	return rc;
}

enum inv_err
queue_enqueue_deliveries(struct queue *q, const int64_t *ids, size_t n)
{
	return push_rows(q, QUEUE_JOB_DELIVER, "delivery_id", ids, n);
}

enum inv_err
queue_enqueue_fulfil(struct queue *q, const int64_t *order_ids, size_t n)
{
	return push_rows(q, QUEUE_JOB_FULFIL, "order_id", order_ids, n);
}

/* worker side */

void
queue_job_free(struct queue_job *job)
{
	if (job == NULL)
		return;
	free(job->raw);
	free(job->type);
	free(job->last_error);
	free(job->failed_at);
	memset(job, 0, sizeof(*job));
}

void
queue_jobs_free(struct queue_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		queue_job_free(&jobs[i]);
	free(jobs);
}

/* A copy of a member that is a string, or NULL. */
static char *
dup_member(struct json_object *o, const char *name)
{
	const char *s = json_get_str(o, name);

	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * Parses the job text raw (len bytes) into *job, which takes a copy of
 * raw; prio is the job's queue unless the job names one. False when it is
 * not a job this module wrote: *job then holds only the copy of raw.
 */
static bool
job_parse(const char *raw, size_t len, enum queue_prio prio,
    struct queue_job *job)
{
	struct json_object *o = NULL;
	const char *why, *id, *name;
	bool ok = false;
	int p;

	memset(job, 0, sizeof(*job));
	job->raw = xstrndup(raw, len);
	job->prio = prio;
	if (!json_parse_strict(raw, len, &o, &why) ||
	    !json_object_is_type(o, json_type_object))
		goto out;
	id = json_get_str(o, "id");
	if (id == NULL || *id == '\0' || strlen(id) > QUEUE_JOB_ID_LEN ||
	    !json_get_int(o, "attempt", &job->attempt) || job->attempt < 1 ||
	    (job->type = dup_member(o, "type")) == NULL)
		goto out;
	/* Each type names its row; the dispatch none. */
	if (strcmp(job->type, QUEUE_JOB_DELIVER) == 0) {
		if (!json_get_int(o, "delivery_id", &job->delivery_id) ||
		    job->delivery_id <= 0)
			goto out;
	} else if (strcmp(job->type, QUEUE_JOB_DISPATCH) != 0 &&
	    (!json_get_int(o, "order_id", &job->order_id) ||
	    job->order_id <= 0))
		goto out;
	memcpy(job->id, id, strlen(id) + 1);
	if ((name = json_get_str(o, "queue")) != NULL)
		for (p = 0; p < QUEUE__MAX; p++)
			if (strcmp(name, prio_names[p]) == 0)
				job->prio = (enum queue_prio)p;
	job->last_error = dup_member(o, "last_error");
	job->failed_at = dup_member(o, "failed_at");
	ok = true;
out:
	json_object_put(o);
	if (!ok) {
		char *keep = job->raw;

		job->raw = NULL;
		queue_job_free(job);
		job->raw = keep;
		job->prio = prio;
	}
	return ok;
}

/*
 * The text of job's next state (new): raw with attempt set, and
 * last_error and failed_at set, or removed when NULL. Other members are
 * kept as they were. raw has been parsed by job_parse already.
 */
static char *
job_rewrite(const char *raw, int64_t attempt, const char *last_error,
    const char *failed_at)
{
	struct json_object *o = NULL;
	const char *why;
	char *text;

	if (!json_parse_strict(raw, strlen(raw), &o, &why)) {
		/* job_parse accepted it a moment ago. */
		log_error("queue: job_rewrite: %s", why);
		abort();
	}
	json_object_object_add(o, "attempt", json_object_new_int64(attempt));
	if (last_error != NULL)
		json_object_object_add(o, "last_error",
		    json_object_new_string_len(last_error,
		    (int)strnlen(last_error, LAST_ERROR_MAX)));
	else
		json_object_object_del(o, "last_error");
	if (failed_at != NULL)
		json_object_object_add(o, "failed_at",
		    json_object_new_string(failed_at));
	else
		json_object_object_del(o, "failed_at");
	text = xstrdup(json_to_plain(o, NULL));
	json_object_put(o);
	return text;
}

void
queue_set_worker(struct queue *q, const char *worker_id)
{
	free(q->worker);
	free(q->hb_key);
	free(q->inflight_key);
	q->worker = xstrdup(worker_id);
	q->hb_key = xasprintf(KEY_WORKER "%s", worker_id);
	q->inflight_key = xasprintf(KEY_INFLIGHT "%s", worker_id);
	q->hb_at = 0;
}

/* Runs a script whose first keys and arguments are the heartbeat's
 * (claim, heartbeat), with extra keys and one more argument (or NULL)
 * after them. */
static redisReply *
queue_beat_eval(struct queue *q, enum script s, int nextra,
    const char *const *extra, const char *arg)
{
	const char *keys[8];
	const char *args[4];
	char ttl[24], stamp[24];
	redisReply *reply;
	int nkeys = 0, i;

	snprintf(ttl, sizeof(ttl), "%" PRId64, q->cfg->worker_heartbeat_ttl);
	snprintf(stamp, sizeof(stamp), "%" PRId64, queue_now_ms());
	keys[nkeys++] = q->hb_key;
	keys[nkeys++] = KEY_WORKERS;
	for (i = 0; i < nextra; i++)
		keys[nkeys++] = extra[i];
	args[0] = q->worker;
	args[1] = ttl;
	args[2] = stamp;	/* when it last beat, for whoever looks */
	args[3] = arg;
	if ((reply = queue_eval(q, s, nkeys, keys, arg != NULL ? 4 : 3,
	    args)) != NULL)
		q->hb_at = now_usec();
	return reply;
}

enum inv_err
queue_heartbeat(struct queue *q)
{
	uint64_t third = (uint64_t)q->cfg->worker_heartbeat_ttl * 1000000u / 3;
	redisReply *reply;

	if (q->worker == NULL)
		return INV_INVALID;
	if (q->hb_at != 0 && now_usec() - q->hb_at < third)
		return INV_OK;
	if ((reply = queue_beat_eval(q, SCRIPT_HEARTBEAT, 0, NULL, NULL)) == NULL)
		return INV_UNAVAILABLE;
	freeReplyObject(reply);
	return INV_OK;
}

/*
 * One try to claim up to most jobs: from the claim script, or with
 * wait_ms > 0 one from a blocking LMOVE on the high queue. INV_OK with
 * *n >= 1 texts in raw[] (new) and their priorities in prio[];
 * INV_NOTFOUND when nothing came.
 */
static enum inv_err
claim_once(struct queue *q, int64_t wait_ms, size_t most, char **raw,
    enum queue_prio *prio, size_t *n)
{
	const char *argv[6];
	redisReply *reply, *p, *j;
	char secs[32], max[24];
	bool empty;
	size_t i;

	*n = 0;
	if (wait_ms <= 0) {
		const char *extra[QUEUE__MAX + 1] = { q->inflight_key,
		    prio_keys[QUEUE_HIGH], prio_keys[QUEUE_DEFAULT],
		    prio_keys[QUEUE_LOW] };

		snprintf(max, sizeof(max), "%zu", most);
		if ((reply = queue_beat_eval(q, SCRIPT_CLAIM, QUEUE__MAX + 1,
		    extra, max)) == NULL)
			return INV_UNAVAILABLE;
		if (reply->type != REDIS_REPLY_ARRAY ||
		    reply->elements % 2 != 0 || reply->elements / 2 > most) {
			log_error("queue: claim: unexpected reply");
			freeReplyObject(reply);
			return INV_UNAVAILABLE;
		}
		empty = reply->elements == 0;
		for (i = 0; i + 1 < reply->elements; i += 2) {
			p = reply->element[i];
			j = reply->element[i + 1];
			if (p->type != REDIS_REPLY_INTEGER ||
			    j->type != REDIS_REPLY_STRING ||
			    p->integer < 0 || p->integer >= QUEUE__MAX) {
				/* What was taken stays in flight here: the
				 * clean stop or a recovery hands it back. */
				log_error("queue: claim: unexpected reply");
				break;
			}
			prio[*n] = (enum queue_prio)p->integer;
			raw[(*n)++] = xstrndup(j->str, j->len);
		}
		freeReplyObject(reply);
		return *n > 0 ? INV_OK : empty ? INV_NOTFOUND :
		    INV_UNAVAILABLE;
	}
	/*
	 * The wait stays well below the command timeout: a blocking command that
	 * outlives the socket's timeout kills the context (doc/design.md,
	 * "Library facts", hiredis). Only the high list can be waited on (BLMOVE
	 * takes one source); the caller's next round finds the others.
	 */
	if (wait_ms > q->cfg->queue_redis.command_timeout_ms / 2)
		wait_ms = q->cfg->queue_redis.command_timeout_ms / 2;
	if (wait_ms > BLOCK_MAX_MS)
		wait_ms = BLOCK_MAX_MS;
	snprintf(secs, sizeof(secs), "%" PRId64 ".%03" PRId64,
	    wait_ms / 1000, wait_ms % 1000);
	argv[0] = "BLMOVE";
	argv[1] = prio_keys[QUEUE_HIGH];
	argv[2] = q->inflight_key;
	argv[3] = "RIGHT";
	argv[4] = "LEFT";
	argv[5] = secs;
	if ((reply = queue_argv(q, "wait", 6, argv)) == NULL)
		return INV_UNAVAILABLE;
	if (reply->type != REDIS_REPLY_STRING) {
		freeReplyObject(reply);
		return INV_NOTFOUND;
	}
	prio[0] = QUEUE_HIGH;
	raw[0] = xstrndup(reply->str, reply->len);
	*n = 1;
	freeReplyObject(reply);
	return INV_OK;
}

/* Moves the exact text job from list from to list to (as replacement,
 * or itself when NULL). INV_NOTFOUND when it was not in from. */
static enum inv_err
queue_move(struct queue *q, const char *from, const char *to,
    const char *job, const char *replacement)
{
	const char *keys[2] = { from, to };
	const char *args[2] = { job, replacement != NULL ? replacement : job };
	long long moved;

	if (!reply_int(queue_eval(q, SCRIPT_MOVE, 2, keys, 2, args), &moved))
		return INV_UNAVAILABLE;
	return moved == 1 ? INV_OK : INV_NOTFOUND;
}

enum inv_err
queue_claim_batch(struct queue *q, size_t most, int64_t wait_ms,
    struct queue_job *jobs, size_t *n)
{
	enum queue_prio *prio;
	enum inv_err rc;
	char **raw;
	size_t i, got;

	*n = 0;
	if (q->worker == NULL || most == 0)
		return INV_INVALID;
	raw = xcalloc(most, sizeof(*raw));
	prio = xcalloc(most, sizeof(*prio));
	for (;;) {
		rc = claim_once(q, 0, most, raw, prio, &got);
		if (rc == INV_NOTFOUND && wait_ms > 0)
			rc = claim_once(q, wait_ms, most, raw, prio, &got);
		if (rc != INV_OK)
			break;
		for (i = 0; i < got; i++) {
			if (job_parse(raw[i], strlen(raw[i]), prio[i],
			    &jobs[*n])) {
				(*n)++;
				free(raw[i]);
				continue;
			}
			/* Nobody can run it; an operator can read it there. */
			log_error("queue: malformed job moved to the dead "
			    "letters: %.200s", raw[i]);
			if (queue_move(q, q->inflight_key, KEY_DEAD, raw[i],
			    NULL) == INV_UNAVAILABLE)
				rc = INV_UNAVAILABLE;
			free(raw[i]);
			queue_job_free(&jobs[*n]);
		}
		if (rc != INV_OK || *n > 0)
			break;
	}
	free(raw);
	free(prio);
	/* What was parsed is in flight here either way: the caller must
	 * settle it, even when Redis went away meanwhile. */
	return *n > 0 ? INV_OK : rc;
}

enum inv_err
queue_claim(struct queue *q, int64_t wait_ms, struct queue_job *job)
{
	size_t n;

	memset(job, 0, sizeof(*job));
	return queue_claim_batch(q, 1, wait_ms, job, &n);
}

enum inv_err
queue_ack_fulfil(struct queue *q, const struct queue_job *const *jobs,
    size_t n, const int64_t *order_ids, size_t nfulfil)
{
	const char **args;
	const char *keys[2];
	char **texts, count[24];
	long long removed;
	size_t i;
	bool ok;

	if (q->worker == NULL)
		return INV_INVALID;
	if (n == 0 && nfulfil == 0)
		return INV_OK;
	for (i = 0; i < n; i++)
		if (jobs[i]->raw == NULL)
			return INV_INVALID;
	args = xcalloc(1 + n + nfulfil, sizeof(*args));
	texts = xcalloc(nfulfil + 1, sizeof(*texts));
	snprintf(count, sizeof(count), "%zu", n);
	args[0] = count;
	for (i = 0; i < n; i++)
		args[1 + i] = jobs[i]->raw;
	for (i = 0; i < nfulfil; i++)
		args[1 + n + i] = texts[i] = job_fulfil(order_ids[i]);
	keys[0] = q->inflight_key;
	keys[1] = prio_keys[QUEUE_DEFAULT];
	ok = reply_int(queue_eval(q, SCRIPT_ACK, 2, keys,
	    (int)(1 + n + nfulfil), args), &removed);
	for (i = 0; i < nfulfil; i++)
		free(texts[i]);
	free(texts);
	free(args);
	if (!ok)
		return INV_UNAVAILABLE;
	if (n == 0)
		return INV_OK;
	if ((size_t)removed < n)
		log_info("queue: %zu of %zu acknowledged job(s) (the first: "
		    "%s, order %" PRId64 ") were no longer in flight here: "
		    "taken back after a lapsed heartbeat", n - (size_t)removed,
		    n, jobs[0]->id, jobs[0]->order_id);
	return INV_OK;
}

enum inv_err
queue_ack_batch(struct queue *q, const struct queue_job *const *jobs,
    size_t n)
{
	return queue_ack_fulfil(q, jobs, n, NULL, 0);
}

enum inv_err
queue_ack(struct queue *q, const struct queue_job *job)
{
	return queue_ack_batch(q, &job, 1);
}

int64_t
queue_retry_delay(int64_t base, int64_t attempt)
{
	int64_t d = base;

	while (--attempt > 0 && d < RETRY_MAX_MS)
		d *= 2;
	if (d > RETRY_MAX_MS)
		d = RETRY_MAX_MS;
	return d + (int64_t)(random_unit() * (double)(d / 4));
}

enum inv_err
queue_fail(struct queue *q, const struct queue_job *job, const char *why,
    int64_t now_ms, enum queue_fate *fate, int64_t *due_ms)
{
	const char *keys[3] = { q->inflight_key, KEY_SCHEDULED, KEY_DEAD };
	const char *args[4];
	bool dead = job->attempt >= q->cfg->queue_max_attempts;
	char due[24], when[24], *next;
	int64_t at = 0;
	long long r;

	if (q->worker == NULL || job->raw == NULL || job->type == NULL)
		return INV_INVALID;
	if (!dead)
		at = now_ms + queue_retry_delay(q->cfg->queue_backoff_ms,
		    job->attempt);
	utc_now(when);
	next = job_rewrite(job->raw, dead ? job->attempt : job->attempt + 1,
	    why != NULL ? why : "failed", dead ? when : NULL);
	snprintf(due, sizeof(due), "%" PRId64, at);
	args[0] = job->raw;
	args[1] = next;
	args[2] = due;
	args[3] = dead ? "1" : "0";
	if (!reply_int(queue_eval(q, SCRIPT_FAIL, 3, keys, 4, args), &r)) {
		free(next);
		return INV_UNAVAILABLE;
	}
	free(next);
	if (fate != NULL)
		*fate = r == 1 ? QUEUE_FATE_RETRY : r == 2 ? QUEUE_FATE_DEAD :
		    QUEUE_FATE_GONE;
	if (due_ms != NULL)
		*due_ms = r == 1 ? at : 0;
	return INV_OK;
}

/* Runs the recover script for worker id; *moved is -1 when it is alive. */
static enum inv_err
recover_one(struct queue *q, const char *id, bool self, long long *moved)
{
	char *hb = xasprintf(KEY_WORKER "%s", id);
	char *inflight = xasprintf(KEY_INFLIGHT "%s", id);
	const char *keys[6] = { prio_keys[QUEUE_HIGH],
	    prio_keys[QUEUE_DEFAULT], prio_keys[QUEUE_LOW], KEY_WORKERS, hb,
	    inflight };
	const char *args[2] = { id, self ? "1" : "0" };
	bool ok;

	ok = reply_int(queue_eval(q, SCRIPT_RECOVER, 6, keys, 2, args), moved);
	free(hb);
	free(inflight);
	return ok ? INV_OK : INV_UNAVAILABLE;
}

enum inv_err
queue_recover(struct queue *q, size_t *jobs, size_t *workers)
{
	const char *argv[2] = { "SMEMBERS", KEY_WORKERS };
	redisReply *reply;
	enum inv_err rc = INV_OK;
	long long moved;
	size_t i, njobs = 0, nworkers = 0;

	if ((reply = queue_argv(q, "recover", 2, argv)) == NULL)
		return INV_UNAVAILABLE;
	for (i = 0; i < reply->elements; i++) {
		const redisReply *w = reply->element[i];

		if (w->type != REDIS_REPLY_STRING)
			continue;
		if ((rc = recover_one(q, w->str, false, &moved)) != INV_OK)
			break;
		if (moved < 0)
			continue;	/* alive */
		nworkers++;
		njobs += (size_t)moved;
		if (moved > 0)
			log_info("queue: worker %s is gone: %lld job(s) "
			    "returned to the queues", w->str, moved);
	}
	freeReplyObject(reply);
	if (jobs != NULL)
		*jobs = njobs;
	if (workers != NULL)
		*workers = nworkers;
	return rc;
}

enum inv_err
queue_worker_stop(struct queue *q)
{
	long long moved;
	enum inv_err rc;

	if (q->worker == NULL)
		return INV_INVALID;
	if ((rc = recover_one(q, q->worker, true, &moved)) == INV_OK &&
	    moved > 0)
		log_warn("queue: %lld job(s) left in flight handed back",
		    moved);
	return rc;
}

enum inv_err
queue_promote(struct queue *q, int64_t now_ms, size_t *moved)
{
	const char *keys[4] = { prio_keys[QUEUE_HIGH],
	    prio_keys[QUEUE_DEFAULT], prio_keys[QUEUE_LOW], KEY_SCHEDULED };
	const char *args[2];
	char now[24];
	long long n, batch = strtoll(PROMOTE_BATCH, NULL, 10);
	size_t total = 0;

	snprintf(now, sizeof(now), "%" PRId64, now_ms);
	args[0] = now;
	args[1] = PROMOTE_BATCH;
	/* In batches, so one script never blocks Redis for long. */
	do {
		if (!reply_int(queue_eval(q, SCRIPT_PROMOTE, 4, keys, 2, args),
		    &n)) {
			if (moved != NULL)
				*moved = total;
			return INV_UNAVAILABLE;
		}
		total += (size_t)n;
	} while (n == batch);
	if (moved != NULL)
		*moved = total;
	return INV_OK;
}

/* Seconds since the epoch of job text raw's enqueued_at; 0 when it has
 * none that parses. */
static int64_t
job_enqueued_at(const char *raw, size_t len)
{
	struct json_object *o = NULL;
	const char *why, *when;
	struct tm tm;
	int64_t t = 0;

	memset(&tm, 0, sizeof(tm));
	if (json_parse_strict(raw, len, &o, &why) &&
	    json_object_is_type(o, json_type_object) &&
	    (when = json_get_str(o, "enqueued_at")) != NULL &&
	    strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
		t = (int64_t)timegm(&tm);
	json_object_put(o);
	return t;
}

enum inv_err
queue_get_stats(struct queue *q, struct queue_stats *st)
{
	const char *keys[6] = { prio_keys[QUEUE_HIGH],
	    prio_keys[QUEUE_DEFAULT], prio_keys[QUEUE_LOW], KEY_WORKERS,
	    KEY_SCHEDULED, KEY_DEAD };
	const char *args[2] = { KEY_INFLIGHT, KEY_WORKER };
	redisReply *reply;
	long long v[8];
	size_t i;

	memset(st, 0, sizeof(*st));
	if ((reply = queue_eval(q, SCRIPT_STATS, 6, keys, 2, args)) == NULL)
		return INV_UNAVAILABLE;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 11) {
		log_error("queue: stats: unexpected reply");
		freeReplyObject(reply);
		return INV_UNAVAILABLE;
	}
	for (i = 0; i < 8; i++)
		v[i] = reply->element[i]->type == REDIS_REPLY_INTEGER ?
		    reply->element[i]->integer : 0;
	for (i = 8; i < 11; i++) {
		const redisReply *e = reply->element[i];
		int64_t t;

		if (e->type == REDIS_REPLY_STRING &&
		    (t = job_enqueued_at(e->str, e->len)) > 0 &&
		    (st->oldest == 0 || t < st->oldest))
			st->oldest = t;
	}
	freeReplyObject(reply);
	st->depth[QUEUE_HIGH] = v[0];
	st->depth[QUEUE_DEFAULT] = v[1];
	st->depth[QUEUE_LOW] = v[2];
	st->inflight = v[3];
	st->scheduled = v[4];
	st->dead = v[5];
	st->workers = v[6];
	st->workers_alive = v[7];
	return INV_OK;
}

enum inv_err
queue_dead_list(struct queue *q, struct queue_job **jobs, size_t *n)
{
	const char *argv[4] = { "LRANGE", KEY_DEAD, "0", "-1" };
	redisReply *reply;
	size_t i, got = 0;

	*jobs = NULL;
	*n = 0;
	if ((reply = queue_argv(q, "dead list", 4, argv)) == NULL)
		return INV_UNAVAILABLE;
	*jobs = xcalloc(reply->elements > 0 ? reply->elements : 1,
	    sizeof(**jobs));
	for (i = 0; i < reply->elements; i++) {
		const redisReply *e = reply->element[i];

		if (e->type != REDIS_REPLY_STRING)
			continue;
		/* A malformed job is listed anyway, with id "". */
		(void)job_parse(e->str, e->len, QUEUE_DEFAULT,
		    &(*jobs)[got++]);
	}
	freeReplyObject(reply);
	*n = got;
	return INV_OK;
}

/* Puts dead letter job back on its queue as a first attempt. */
static enum inv_err
dead_requeue(struct queue *q, const struct queue_job *job)
{
	char *fresh = job_rewrite(job->raw, 1, NULL, NULL);
	enum inv_err rc;

	rc = queue_move(q, KEY_DEAD, prio_keys[job->prio], job->raw, fresh);
	free(fresh);
	return rc;
}

enum inv_err
queue_dead_retry(struct queue *q, const char *id)
{
	struct queue_job *jobs;
	enum inv_err rc;
	size_t i, n;

	if (id == NULL || *id == '\0')
		return INV_NOTFOUND;
	if ((rc = queue_dead_list(q, &jobs, &n)) != INV_OK)
		return rc;
	rc = INV_NOTFOUND;
	for (i = 0; i < n; i++)
		if (jobs[i].type != NULL && strcmp(jobs[i].id, id) == 0) {
			/* NOTFOUND also when another retry took it first. */
			rc = dead_requeue(q, &jobs[i]);
			break;
		}
	queue_jobs_free(jobs, n);
	return rc;
}

enum inv_err
queue_dead_retry_all(struct queue *q, size_t *count)
{
	struct queue_job *jobs;
	enum inv_err rc;
	size_t i, n;

	*count = 0;
	if ((rc = queue_dead_list(q, &jobs, &n)) != INV_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (jobs[i].type == NULL)
			continue;	/* malformed: stays for purge */
		rc = dead_requeue(q, &jobs[i]);
		if (rc == INV_OK)
			(*count)++;
		else if (rc != INV_NOTFOUND)
			break;
		rc = INV_OK;
	}
	queue_jobs_free(jobs, n);
	return rc;
}

enum inv_err
queue_dead_purge(struct queue *q, size_t *count)
{
	const char *keys[1] = { KEY_DEAD };
	long long n;

	*count = 0;
	if (!reply_int(queue_eval(q, SCRIPT_PURGE, 1, keys, 0, NULL), &n))
		return INV_UNAVAILABLE;
	*count = (size_t)n;
	return INV_OK;
}
