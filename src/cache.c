/*
 * cache.c: the Redis cache. Redis here only makes reads faster, so every
 * failure degrades to "no cache": short timeouts, and after a failure at
 * most one reconnection attempt a second so a dead Redis costs a request
 * almost nothing.
 *
 * Keys (doc/design.md, "Cache protocol"):
 *
 *   inventory:cache:gen:{item|product|lists|orders|users}:{id}
 *                                                   a scope's generation
 *   inventory:cache:gen:floor                       lower bound of them all
 *   inventory:cache:{scope}:{id}:{gen}:{name}       a cached value, with TTL
 *
 * A value is read under the scope's effective generation, max(gen, floor),
 * and a bump moves it past both, so after a bump every value stored
 * before it is out of reach (it just waits for its TTL). Both are done by
 * Lua scripts, so a read learns the generation and the value in one round
 * trip and a bump of three scopes is one round trip too. The scripts name
 * the value key they build themselves, which a Redis Cluster would refuse:
 * the cache server is a single instance.
 *
 * Eviction. A generation key that disappeared (evicted under maxmemory
 * with an allkeys-* policy, or deleted by hand) must not restart from 0,
 * or values stored under the old numbers would come back. So generation
 * keys never get a TTL (under volatile-lru, the policy the README
 * recommends, they are never evicted), and a missing generation is
 * created from the Redis server clock in microseconds: larger than any
 * number it had before, since a generation grows by one per bump and a
 * bump takes Redis more than a microsecond. The floor is made the same way.
 * The cost: one small key per inventory id and product id ever cached.
 *
 * A bump that cannot reach Redis is kept in the handle (up to PENDING_MAX
 * scopes; beyond that the floor is raised instead, which invalidates
 * everything) and sent before this process uses the cache again; until it
 * is sent this process reads MariaDB, so it always sees its own writes.
 * Other processes may serve the old value until then or until its TTL: a
 * write made while Redis was unreachable is the one case the generations
 * cannot cover, and the TTLs bound it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "config.h"
#include "log.h"
#include "redis_conn.h"

#define RECONNECT_INTERVAL_USEC	1000000u
#define KEY_PREFIX		"inventory:cache:"
#define FLOOR_KEY		KEY_PREFIX "gen:floor"
/* Distinct scopes whose bump may wait for Redis; then the floor is raised. */
#define PENDING_MAX		32
/* Most arguments a script takes: the bump's keys, floor and flag, and a
 * push's database, list, value and the cache's database. */
#define EVAL_MAX_ARGS		(PENDING_MAX + 6)

/* Key segment of each scope; indexed by enum cache_scope. */
static const char *const scope_names[CACHE_SCOPE__MAX] = {
	"item",		/* CACHE_SCOPE_ITEM */
	"product",	/* CACHE_SCOPE_PRODUCT */
	"lists",	/* CACHE_SCOPE_LISTS */
	"orders",	/* CACHE_SCOPE_ORDERS */
	"users",	/* CACHE_SCOPE_USERS */
};

enum script {
	SCRIPT_FETCH = 0,
	SCRIPT_BUMP,
	SCRIPT_BUMP_PUSH,
	SCRIPT__MAX
};

/*
 * The bump: KEYS[1..n-1] generations to bump, KEYS[n] the floor;
 * ARGV[1] "1" to raise the floor above every generation first. Each
 * generation becomes max(itself or the clock, floor) + 1. Numbers stay
 * strings: Lua would print 16 digits as 1.7e+15.
 */
#define BUMP_LUA \
	"local fk = KEYS[#KEYS]\n" \
	"local t = redis.call('TIME')\n" \
	"local now = t[1] .. string.format('%06d', t[2])\n" \
	"local f = redis.call('GET', fk)\n" \
	"if ARGV[1] == '1' then\n" \
	"  if not f or tonumber(f) < tonumber(now) then f = now end\n" \
	"  redis.call('SET', fk, f)\n" \
	"  redis.call('INCR', fk)\n" \
	"  f = redis.call('GET', fk)\n" \
	"end\n" \
	"for i = 1, #KEYS - 1 do\n" \
	"  local g = redis.call('GET', KEYS[i]) or now\n" \
	"  if f and tonumber(f) > tonumber(g) then g = f end\n" \
	"  redis.call('SET', KEYS[i], g)\n" \
	"  redis.call('INCR', KEYS[i])\n" \
	"end\n"

/* The Lua scripts, loaded at each connect; indexed by enum script. */
static const char *const scripts[SCRIPT__MAX] = {
	/*
	 * SCRIPT_FETCH: KEYS[1] the generation, KEYS[2] the floor;
	 * ARGV[1] the value key up to the generation, ARGV[2..] the names.
	 * Returns {effective generation, each value or nil}.
	 */
	"local g = redis.call('GET', KEYS[1])\n"
	"if not g then\n"
	"  local t = redis.call('TIME')\n"
	"  g = t[1] .. string.format('%06d', t[2])\n"
	"  redis.call('SET', KEYS[1], g)\n"
	"end\n"
	"local f = redis.call('GET', KEYS[2])\n"
	"if f and tonumber(f) > tonumber(g) then g = f end\n"
	"local r = {g}\n"
	"for i = 2, #ARGV do\n"
	"  r[i] = redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[i])\n"
	"end\n"
	"return r\n",
	/* SCRIPT_BUMP: BUMP_LUA; returns how many generations. */
	BUMP_LUA
	"return #KEYS - 1\n",
	/*
	 * SCRIPT_BUMP_PUSH: LPUSH of ARGV[4] onto list ARGV[3] of database
	 * ARGV[2] of the same server, back to the cache's database ARGV[5],
	 * then BUMP_LUA. The push comes first: refused (an ACL user kept
	 * to the cache's keys), the script stops having written nothing.
	 * A SELECT inside a script changes only the script's database.
	 */
	"redis.call('SELECT', ARGV[2])\n"
	"redis.call('LPUSH', ARGV[3], ARGV[4])\n"
	"redis.call('SELECT', ARGV[5])\n"
	BUMP_LUA
	"return #KEYS - 1\n",
};

/* A scope whose bump has not reached Redis yet. */
struct pending {
	enum cache_scope	 scope;
	int64_t			 id;
};

struct cache {
	const struct config	*cfg;		/* borrowed */
	struct redis_target	 target;	/* redis_* of cfg */
	redisContext		*ctx;		/* NULL while disconnected */
	uint64_t		 last_attempt;	/* now_usec() of last connect */
	bool			 attempted;
	char			 sha[SCRIPT__MAX][41];	/* of the scripts */
	struct pending		 pending[PENDING_MAX];
	size_t			 npending;
	bool			 pending_floor;	/* pending[] overflowed */
	bool			 push_refused;	/* SCRIPT_BUMP_PUSH refused */
	struct cache_stats	 stats;
};

static void
cache_drop(struct cache *ch)
{
	if (ch->ctx != NULL)
		redisFree(ch->ctx);
	ch->ctx = NULL;
}

/*
 * Checks a reply: returns it when usable; on NULL (an I/O error, which
 * leaves hiredis's context unusable) drops the connection, on an error
 * reply frees it, and returns NULL. Takes ownership of reply.
 */
static redisReply *
cache_checked(struct cache *ch, redisReply *reply)
{
	if (reply == NULL) {
		log_warn("redis: %s", ch->ctx->errstr[0] != '\0' ?
		    ch->ctx->errstr : "I/O error");
		cache_drop(ch);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("redis: %s", reply->str);
		/* A demoted master: the next connect asks Sentinel again. */
		if (redis_reply_demoted(reply))
			cache_drop(ch);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Runs a command; the reply (new: freeReplyObject) or NULL on failure. */
static redisReply *
cache_cmd(struct cache *ch, const char *fmt, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = redisvCommand(ch->ctx, fmt, ap);
	va_end(ap);
	return cache_checked(ch, reply);
}

/* Loads the scripts and keeps their SHA1s for EVALSHA. */
static bool
cache_load_scripts(struct cache *ch)
{
	redisReply *reply;
	size_t i;

	for (i = 0; i < SCRIPT__MAX; i++) {
		if ((reply = cache_cmd(ch, "SCRIPT LOAD %s", scripts[i])) == NULL)
			return false;
		if (reply->type != REDIS_REPLY_STRING ||
		    reply->len != sizeof(ch->sha[i]) - 1) {
			log_warn("redis: SCRIPT LOAD: unexpected reply");
			freeReplyObject(reply);
			return false;
		}
		memcpy(ch->sha[i], reply->str, reply->len + 1);
		freeReplyObject(reply);
	}
	return true;
}

/*
 * Connects unless connected or a try was made less than a second ago.
 * After Sentinel moved the master, the floor is raised before the cache is
 * used again: the new master may lack the last bumps the old one took
 * (replication is asynchronous), and values stored before them must not
 * come back.
 */
static bool
cache_connect(struct cache *ch)
{
	uint64_t now = now_usec(), moves = ch->target.master_changes;

	if (ch->ctx != NULL && redis_conn_moved(&ch->target))
		cache_drop(ch);
	if (ch->ctx != NULL)
		return true;
	if (ch->attempted && now - ch->last_attempt < RECONNECT_INTERVAL_USEC)
		return false;
	ch->attempted = true;
	ch->last_attempt = now;
	ch->stats.connects++;
	if ((ch->ctx = redis_conn_open(&ch->target)) == NULL)
		return false;
	if (ch->target.master_changes != moves) {
		ch->pending_floor = true;
		ch->npending = 0;
	}
	if (!cache_load_scripts(ch)) {
		cache_drop(ch);
		return false;
	}
	return true;
}

/*
 * Runs a script with n arguments (borrowed; n <= EVAL_MAX_ARGS), the
 * first nkeys of them keys: EVALSHA, or EVAL when the server lost its
 * script cache (SCRIPT FLUSH). The reply (new) or NULL on failure.
 * Connects first if need be.
 */
static redisReply *
cache_eval(struct cache *ch, enum script s, size_t nkeys, size_t n,
    const char **args)
{
	const char *argv[EVAL_MAX_ARGS + 3];
	char nk[24];
	redisReply *reply;

	if (n > EVAL_MAX_ARGS) {
		log_error("redis: %zu script arguments", n);
		abort();	/* a bug in this file */
	}
	if (!cache_connect(ch))
		return NULL;
	snprintf(nk, sizeof(nk), "%zu", nkeys);
	argv[0] = "EVALSHA";
	argv[1] = ch->sha[s];
	argv[2] = nk;
	memcpy(argv + 3, args, n * sizeof(*argv));
	reply = redisCommandArgv(ch->ctx, (int)n + 3, argv, NULL);
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(reply);
		argv[0] = "EVAL";
		argv[1] = scripts[s];
		reply = redisCommandArgv(ch->ctx, (int)n + 3, argv, NULL);
	}
	return cache_checked(ch, reply);
}

/* The generation key of a scope (new). */
static char *
gen_key(enum cache_scope scope, int64_t id)
{
	return xasprintf(KEY_PREFIX "gen:%s:%lld", scope_names[scope],
	    (long long)id);
}

/* A scope's value keys up to the generation (new). */
static char *
value_prefix(enum cache_scope scope, int64_t id)
{
	return xasprintf(KEY_PREFIX "%s:%lld:", scope_names[scope],
	    (long long)id);
}

/* Queues the bump of a scope, once; too many make it a floor raise. */
static void
pending_add(struct cache *ch, enum cache_scope scope, int64_t id)
{
	size_t i;

	if (ch->pending_floor)
		return;
	for (i = 0; i < ch->npending; i++)
		if (ch->pending[i].scope == scope && ch->pending[i].id == id)
			return;
	if (ch->npending == PENDING_MAX) {
		ch->pending_floor = true;
		ch->npending = 0;
		return;
	}
	ch->pending[ch->npending].scope = scope;
	ch->pending[ch->npending].id = id;
	ch->npending++;
}

/* A push onto a list that rides on a bump (cache_invalidate_order). */
struct push {
	char		 db[24];	/* the list's database */
	const char	*list;
	const char	*text;
	char		 back[24];	/* the cache's database */
};

/*
 * Sends the queued bumps, and push unless it is NULL, in one script
 * call. True when none is left (and the push made); false (the bumps
 * kept, the push not made) when Redis could not take them.
 */
static bool
pending_flush_push(struct cache *ch, const struct push *push)
{
	char *keys[PENDING_MAX + 1];
	const char *args[PENDING_MAX + 6];
	redisReply *reply;
	size_t i, n = 0, nargs;

	if (ch->npending == 0 && !ch->pending_floor && push == NULL)
		return true;
	/* Before the keys are chosen: connecting may raise the floor. */
	if (!cache_connect(ch))
		return false;
	for (i = 0; i < ch->npending; i++)
		keys[n++] = gen_key(ch->pending[i].scope, ch->pending[i].id);
	keys[n++] = xstrdup(FLOOR_KEY);
	for (i = 0; i < n; i++)
		args[i] = keys[i];
	args[n] = ch->pending_floor ? "1" : "0";
	nargs = n + 1;
	if (push != NULL) {
		args[nargs++] = push->db;
		args[nargs++] = push->list;
		args[nargs++] = push->text;
		args[nargs++] = push->back;
	}
	reply = cache_eval(ch, push != NULL ? SCRIPT_BUMP_PUSH : SCRIPT_BUMP,
	    n, nargs, args);
	for (i = 0; i < n; i++)
		free(keys[i]);
	if (reply == NULL)
		return false;
	freeReplyObject(reply);
	ch->npending = 0;
	ch->pending_floor = false;
	return true;
}

/* Sends the queued bumps in one script call (pending_flush_push). */
static bool
pending_flush(struct cache *ch)
{
	return pending_flush_push(ch, NULL);
}

/* Parses a generation sent by the fetch script. */
static bool
parse_gen(const redisReply *r, uint64_t *gen)
{
	unsigned long long v;
	char *end;

	if (r->type != REDIS_REPLY_STRING || r->len == 0 ||
	    r->str[0] < '0' || r->str[0] > '9')
		return false;
	errno = 0;
	v = strtoull(r->str, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*gen = v;
	return true;
}

enum inv_err
cache_open(struct cache **out, const struct config *cfg)
{
	struct cache *ch = xcalloc(1, sizeof(*ch));

	ch->cfg = cfg;
	redis_target_init(&ch->target, "redis", &cfg->redis);
	cache_connect(ch);	/* Redis down is not an error at start */
	*out = ch;
	return INV_OK;
}

void
cache_close(struct cache *ch)
{
	if (ch == NULL)
		return;
	if (ch->npending > 0 || ch->pending_floor)
		log_warn("redis: exiting with cache invalidations not sent");
	cache_drop(ch);
	redis_target_clear(&ch->target);
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

/*
 * A miss counts as a miss, a hit as a hit (a lookup is one, judged by its
 * first value: the others ride along, read only when it missed), and
 * anything that
 * sends the caller to MariaDB because of Redis (down, slow, odd reply,
 * invalidations still waiting) as an error. With caching disabled nothing
 * is counted.
 */
enum inv_err
cache_fetch_n(struct cache *ch, enum cache_scope scope, int64_t scope_id,
    struct cache_val *v, size_t n, uint64_t *gen)
{
	const char *args[3 + CACHE_FETCH_MAX];
	char *gk = NULL, *prefix = NULL;
	redisReply *reply = NULL, *e;
	enum inv_err rc = INV_UNAVAILABLE;
	size_t i;

	*gen = 0;
	for (i = 0; i < n; i++) {
		v[i].val = NULL;
		v[i].len = 0;
	}
	if ((unsigned)scope >= CACHE_SCOPE__MAX || scope_id < 0 ||
	    n == 0 || n > CACHE_FETCH_MAX)
		return INV_INVALID;
	for (i = 0; i < n; i++)
		if (v[i].name == NULL)
			return INV_INVALID;
	if (!ch->cfg->cache_enabled)
		return INV_UNAVAILABLE;
	/* Connected first: a new master's floor raise must go out first. */
	if (!cache_connect(ch) || !pending_flush(ch))
		goto out;
	gk = gen_key(scope, scope_id);
	prefix = value_prefix(scope, scope_id);
	args[0] = gk;
	args[1] = FLOOR_KEY;
	args[2] = prefix;
	for (i = 0; i < n; i++)
		args[3 + i] = v[i].name;
	if ((reply = cache_eval(ch, SCRIPT_FETCH, 2, 3 + n, args)) == NULL)
		goto out;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 + n ||
	    !parse_gen(reply->element[0], gen)) {
		log_warn("redis: cache fetch: unexpected reply");
		*gen = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = reply->element[1 + i];
		if (e->type != REDIS_REPLY_STRING &&
		    e->type != REDIS_REPLY_NIL) {
			log_warn("redis: cache fetch: unexpected reply");
			*gen = 0;
			for (i = 0; i < n; i++) {
				free(v[i].val);
				v[i].val = NULL;
				v[i].len = 0;
			}
			goto out;
		}
		if (e->type == REDIS_REPLY_STRING) {
			v[i].val = xstrndup(e->str, e->len);
			v[i].len = e->len;
		}
	}
	if (v[0].val != NULL)
		ch->stats.hits++;
	else
		ch->stats.misses++;
	rc = INV_OK;
out:
	if (rc == INV_UNAVAILABLE)
		ch->stats.errors++;
	if (reply != NULL)
		freeReplyObject(reply);
	free(gk);
	free(prefix);
	return rc;
}

enum inv_err
cache_fetch(struct cache *ch, enum cache_scope scope, int64_t scope_id,
    const char *name, char **val, uint64_t *gen)
{
	struct cache_val v = { .name = name };
	enum inv_err rc;

	rc = cache_fetch_n(ch, scope, scope_id, &v, 1, gen);
	*val = v.val;
	if (rc == INV_OK && v.val == NULL)
		rc = INV_NOTFOUND;
	return rc;
}

void
cache_store_n(struct cache *ch, enum cache_scope scope, int64_t scope_id,
    uint64_t gen, const struct cache_val *v, size_t n, int64_t ttl)
{
	const char *argv[5];
	size_t argvlen[5], i, sent = 0;
	char *prefix, *key, ex[24];
	redisReply *reply;
	void *r;

	if ((unsigned)scope >= CACHE_SCOPE__MAX || scope_id < 0 ||
	    ttl <= 0 || !ch->cfg->cache_enabled)
		return;
	for (i = 0; i < n; i++)
		if (v[i].name != NULL && v[i].val != NULL)
			break;
	if (i == n)
		return;
	if (!cache_connect(ch) || !pending_flush(ch)) {
		ch->stats.errors++;
		return;
	}
	prefix = value_prefix(scope, scope_id);
	snprintf(ex, sizeof(ex), "%lld", (long long)ttl);
	/* Pipelined: every SET goes out before the first reply is read. */
	for (i = 0; i < n; i++) {
		if (v[i].name == NULL || v[i].val == NULL)
			continue;
		key = xasprintf("%s%llu:%s", prefix, (unsigned long long)gen,
		    v[i].name);
		argv[0] = "SET";
		argv[1] = key;
		argv[2] = v[i].val;
		argv[3] = "EX";
		argv[4] = ex;
		argvlen[0] = 3;
		argvlen[1] = strlen(key);
		argvlen[2] = v[i].len;
		argvlen[3] = 2;
		argvlen[4] = strlen(ex);
		if (redisAppendCommandArgv(ch->ctx, 5, argv, argvlen) ==
		    REDIS_OK)
			sent++;
		else
			ch->stats.errors++;
		free(key);
	}
	for (i = 0; i < sent && ch->ctx != NULL; i++) {
		r = NULL;
		if (redisGetReply(ch->ctx, &r) != REDIS_OK)
			r = NULL;
		if ((reply = cache_checked(ch, r)) == NULL)
			ch->stats.errors++;
		else
			freeReplyObject(reply);
	}
	free(prefix);
}

void
cache_store(struct cache *ch, enum cache_scope scope, int64_t scope_id,
    const char *name, uint64_t gen, const char *val, size_t len,
    int64_t ttl)
{
	struct cache_val v = { .name = name, .val = (char *)val, .len = len };

	cache_store_n(ch, scope, scope_id, gen, &v, 1, ttl);
}

/*
 * cache_invalidate_order and cache_invalidate_order_push (push may be
 * NULL): true when push was made. Runs even with caching disabled in
 * this process: other processes with their own configuration may still
 * cache, and must see the change.
 */
static bool
invalidate_order(struct cache *ch, int64_t owner_id, size_t n,
    const int64_t *inv_ids, const int64_t *product_ids,
    const struct push *push)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* A full handle would bump the floor (every key): send what
		 * it holds first, room kept for this record and the lists. */
		if (ch->npending + 4 > PENDING_MAX && !pending_flush(ch))
			ch->stats.errors++;
		if (inv_ids[i] > 0)
			pending_add(ch, CACHE_SCOPE_ITEM, inv_ids[i]);
		if (product_ids[i] > 0)
			pending_add(ch, CACHE_SCOPE_PRODUCT, product_ids[i]);
	}
	if (n > 0)
		pending_add(ch, CACHE_SCOPE_LISTS, 0);
	/* The owner's orders, and all orders (the admin's counts). */
	if (owner_id > 0) {
		pending_add(ch, CACHE_SCOPE_ORDERS, owner_id);
		pending_add(ch, CACHE_SCOPE_ORDERS, 0);
	}
	if (push != NULL && ch->push_refused)
		push = NULL;
	if (pending_flush_push(ch, push))
		return push != NULL;
	if (push != NULL && ch->ctx != NULL) {
		/* Connected, and refused: not tried again; the bumps go
		 * now, the push is the caller's. */
		log_warn("redis: the cache's user may not push onto %s; "
		    "from now on each order's job goes on its own",
		    push->list);
		ch->push_refused = true;
		if (pending_flush(ch))
			return false;
	}
	ch->stats.errors++;
	log_warn("redis: cache invalidation kept for later "
	    "(user %lld's orders, %zu records; the first: inventory "
	    "%lld, product %lld)", (long long)owner_id,
	    n, n > 0 ? (long long)inv_ids[0] : 0LL,
	    n > 0 ? (long long)product_ids[0] : 0LL);
	return false;
}

void
cache_invalidate_order(struct cache *ch, int64_t owner_id, size_t n,
    const int64_t *inv_ids, const int64_t *product_ids)
{
	(void)invalidate_order(ch, owner_id, n, inv_ids, product_ids, NULL);
}

bool
cache_invalidate_order_push(struct cache *ch, int64_t owner_id, size_t n,
    const int64_t *inv_ids, const int64_t *product_ids, int64_t db,
    const char *list, const char *text)
{
	struct push p;

	snprintf(p.db, sizeof(p.db), "%lld", (long long)db);
	snprintf(p.back, sizeof(p.back), "%lld",
	    (long long)ch->target.set->db);
	p.list = list;
	p.text = text;
	return invalidate_order(ch, owner_id, n, inv_ids, product_ids, &p);
}

const struct redis_settings *
cache_redis(const struct cache *ch)
{
	return ch->target.set;
}

void
cache_invalidate_owners(struct cache *ch, const int64_t *owners, size_t n)
{
	size_t i;

	if (ch == NULL || n == 0)
		return;
	for (i = 0; i < n; i++) {
		/* A full handle would bump the floor (every key): send
		 * what it holds first, one script per PENDING_MAX users. */
		if (ch->npending + 1 > PENDING_MAX && !pending_flush(ch))
			ch->stats.errors++;
		if (owners[i] > 0)
			pending_add(ch, CACHE_SCOPE_ORDERS, owners[i]);
	}
	if (!pending_flush(ch)) {
		ch->stats.errors++;
		log_warn("redis: cache invalidation of %zu user(s)' orders "
		    "kept for later", n);
	}
}

void
cache_invalidate_users(struct cache *ch)
{
	if (ch == NULL)
		return;
	pending_add(ch, CACHE_SCOPE_USERS, 0);
	if (!pending_flush(ch)) {
		ch->stats.errors++;
		log_warn("redis: cache invalidation of the users list kept "
		    "for later");
	}
}

void
cache_invalidate(struct cache *ch, int64_t inv_id, int64_t product_id)
{
	cache_invalidate_order(ch, 0, 1, &inv_id, &product_id);
}

void
cache_get_stats(const struct cache *ch, struct cache_stats *st)
{
	*st = ch->stats;
}
