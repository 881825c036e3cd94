/*
 * check_cache.c: the coherent inventory cache against a real Redis
 * (integration). A second, raw hiredis connection looks at the keys and
 * plays the operator (kills connections, flushes scripts) where a case
 * needs it.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "config.h"
#include "testutil.h"

#define GEN_KEY(scope, id)	"inventory:cache:gen:" scope ":" #id
#define FLOOR_KEY		"inventory:cache:gen:floor"

static char bogus_socket[] = "/nonexistent/redis.sock";

static redisContext *raw;

/* A raw connection to the test Redis (new). */
static redisContext *
raw_connect(const struct config *cfg)
{
	return tu_redis_connect(&cfg->redis);
}

/* Runs a raw command; its reply (new). Fails the test on an error. */
static redisReply *
raw_cmd(const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(raw, fmt, ap);
	va_end(ap);
	ck_assert_msg(r != NULL, "raw redis: %s", raw->errstr);
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "raw redis: %s", r->str);
	return r;
}

/* A raw command's integer reply. */
static long long
raw_int(const char *fmt, ...)
{
	redisReply *r;
	long long v;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(raw, fmt, ap);
	va_end(ap);
	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_INTEGER,
	    "raw redis: expected an integer");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* A key's number value, 0 when absent. */
static unsigned long long
raw_num(const char *key)
{
	redisReply *r = raw_cmd("GET %s", key);
	unsigned long long v = 0;

	if (r->type == REDIS_REPLY_STRING)
		v = strtoull(r->str, NULL, 10);
	freeReplyObject(r);
	return v;
}

/* Kills every Redis client but the raw one: the cache handles' too. */
static void
raw_kill_clients(void)
{
	freeReplyObject(raw_cmd("CLIENT KILL TYPE normal SKIPME yes"));
}

static void
setup(void)
{
	struct app *app = tu_app();

	raw = raw_connect(app->cfg);
	freeReplyObject(raw_cmd("EVAL %s 0 %s",
	    "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
	    "redis.call('DEL', k) end", "inventory:cache:*"));
}

static void
teardown(void)
{
	redisFree(raw);
	raw = NULL;
}

/* A copy of the test configuration the case may change (new; its strings
 * stay borrowed from the original, so free() only the struct). */
static struct config *
cfg_copy(void)
{
	struct config *c = xmalloc(sizeof(*c));

	*c = *tu_app()->cfg;
	return c;
}

/* A new cache handle on cfg (borrowed, must outlive it). */
static struct cache *
open_cache(const struct config *cfg)
{
	struct cache *ch = NULL;

	ck_assert_int_eq(cache_open(&ch, cfg), INV_OK);
	ck_assert_ptr_nonnull(ch);
	return ch;
}

/* Fetches; on a hit compares the value with want (NULL: expect a miss). */
static uint64_t
expect(struct cache *ch, enum cache_scope s, int64_t id, const char *name,
    const char *want)
{
	char *val = NULL;
	uint64_t gen = 0;
	enum inv_err rc = cache_fetch(ch, s, id, name, &val, &gen);

	if (want == NULL) {
		ck_assert_msg(rc == INV_NOTFOUND, "expected a miss, got %s "
		    "(%s)", inv_strerror(rc), val != NULL ? val : "-");
		ck_assert_ptr_null(val);
	} else {
		ck_assert_msg(rc == INV_OK, "expected a hit, got %s",
		    inv_strerror(rc));
		ck_assert_str_eq(val, want);
	}
	ck_assert_uint_gt(gen, 0);
	free(val);
	return gen;
}

/* A miss, then what it read from "the database" stored under its gen. */
static void
warm(struct cache *ch, enum cache_scope s, int64_t id, const char *name,
    const char *val)
{
	uint64_t gen = expect(ch, s, id, name, NULL);

	cache_store(ch, s, id, name, gen, val, strlen(val), 600);
	expect(ch, s, id, name, val);
}

/* Polls a handle that lost Redis until it serves again (one reconnect
 * try a second); returns the first answer that is not UNAVAILABLE. */
static enum inv_err
fetch_when_back(struct cache *ch, enum cache_scope s, int64_t id)
{
	char *val = NULL;
	uint64_t gen;
	enum inv_err rc = INV_UNAVAILABLE;
	int i;

	for (i = 0; i < 200 && rc == INV_UNAVAILABLE; i++) {
		rc = cache_fetch(ch, s, id, "", &val, &gen);
		if (rc == INV_UNAVAILABLE)
			usleep(50000);
	}
	free(val);
	return rc;
}

START_TEST(miss_then_store_then_hit)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	struct cache_stats st;
	uint64_t g1, g2;

	g1 = expect(ch, CACHE_SCOPE_ITEM, 1, "", NULL);
	cache_store(ch, CACHE_SCOPE_ITEM, 1, "", g1, "{\"id\":1}", 8, 600);
	g2 = expect(ch, CACHE_SCOPE_ITEM, 1, "", "{\"id\":1}");
	ck_assert_uint_eq(g1, g2);
	/* Names are separate values within one scope. */
	expect(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", NULL);
	warm(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=50", "[1]");
	expect(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", NULL);
	cache_get_stats(ch, &st);
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.misses, 4);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.connects, 1);
	cache_close(ch);
}
END_TEST

START_TEST(invalidate_makes_the_next_fetch_miss)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	struct cache *other = open_cache(tu_app()->cfg);
	uint64_t before, after;

	warm(ch, CACHE_SCOPE_ITEM, 3, "", "old");
	before = expect(other, CACHE_SCOPE_ITEM, 3, "", "old");
	cache_invalidate(ch, 3, 30);
	/* Every process misses at once, not only the writer. */
	after = expect(other, CACHE_SCOPE_ITEM, 3, "", NULL);
	ck_assert_uint_gt(after, before);
	warm(other, CACHE_SCOPE_ITEM, 3, "", "new");
	expect(ch, CACHE_SCOPE_ITEM, 3, "", "new");
	cache_close(ch);
	cache_close(other);
}
END_TEST

/*
 * An order's records go in one call: every one is invalidated, more than
 * a handle can hold at once included, and nothing else is (no floor).
 */
START_TEST(invalidate_each_names_every_record_and_no_more)
{
	enum { N = 100 };
	struct cache *ch = open_cache(tu_app()->cfg);
	int64_t inv[N], prod[N];
	int i;

	for (i = 0; i < N; i++) {
		inv[i] = 100 + i;
		prod[i] = 1000 + i;
		warm(ch, CACHE_SCOPE_ITEM, inv[i], "", "old");
		warm(ch, CACHE_SCOPE_PRODUCT, prod[i], "", "old");
	}
	warm(ch, CACHE_SCOPE_ITEM, 99, "", "untouched");
	warm(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", "[old]");
	cache_invalidate_order(ch, 0, N, inv, prod);
	for (i = 0; i < N; i++) {
		expect(ch, CACHE_SCOPE_ITEM, inv[i], "", NULL);
		expect(ch, CACHE_SCOPE_PRODUCT, prod[i], "", NULL);
	}
	expect(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", NULL);
	expect(ch, CACHE_SCOPE_ITEM, 99, "", "untouched");
	ck_assert_int_eq(raw_int("EXISTS %s", FLOOR_KEY), 0);
	cache_close(ch);
}
END_TEST

/* A change of an order that moved no stock bumps its owner's orders
 * and nothing else; one that did, the records and the lists too. */
START_TEST(invalidate_order_bumps_the_owner)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	int64_t inv = 5, prod = 50;

	warm(ch, CACHE_SCOPE_ORDERS, 7, "", "3");
	warm(ch, CACHE_SCOPE_ORDERS, 8, "", "1");
	warm(ch, CACHE_SCOPE_ITEM, 5, "", "old");
	warm(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", "[old]");
	cache_invalidate_order(ch, 7, 0, NULL, NULL);
	expect(ch, CACHE_SCOPE_ORDERS, 7, "", NULL);
	expect(ch, CACHE_SCOPE_ORDERS, 8, "", "1");
	expect(ch, CACHE_SCOPE_ITEM, 5, "", "old");
	expect(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", "[old]");
	warm(ch, CACHE_SCOPE_ORDERS, 7, "pending", "2");
	cache_invalidate_order(ch, 7, 1, &inv, &prod);
	expect(ch, CACHE_SCOPE_ORDERS, 7, "pending", NULL);
	expect(ch, CACHE_SCOPE_ITEM, 5, "", NULL);
	expect(ch, CACHE_SCOPE_LISTS, 0, "skip=0&limit=100", NULL);
	expect(ch, CACHE_SCOPE_ORDERS, 8, "", "1");
	cache_close(ch);
}
END_TEST

START_TEST(stale_store_after_invalidation_is_never_read)
{
	struct cache *reader = open_cache(tu_app()->cfg);
	struct cache *writer = open_cache(tu_app()->cfg);
	uint64_t slow_gen;

	/* A slow reader misses and reads the database... */
	slow_gen = expect(reader, CACHE_SCOPE_PRODUCT, 9, "", NULL);
	/* ...meanwhile a writer commits and invalidates... */
	cache_invalidate(writer, 4, 9);
	/* ...then the reader stores what it read before the write. */
	cache_store(reader, CACHE_SCOPE_PRODUCT, 9, "", slow_gen, "stale", 5,
	    600);
	expect(writer, CACHE_SCOPE_PRODUCT, 9, "", NULL);
	expect(reader, CACHE_SCOPE_PRODUCT, 9, "", NULL);
	/* The same for a list. */
	slow_gen = expect(reader, CACHE_SCOPE_LISTS, 0, "low", NULL);
	cache_invalidate(writer, 0, 0);
	cache_store(reader, CACHE_SCOPE_LISTS, 0, "low", slow_gen, "[]", 2,
	    600);
	expect(reader, CACHE_SCOPE_LISTS, 0, "low", NULL);
	cache_close(reader);
	cache_close(writer);
}
END_TEST

START_TEST(scopes_are_independent)
{
	struct cache *ch = open_cache(tu_app()->cfg);

	warm(ch, CACHE_SCOPE_ITEM, 1, "", "i1");
	warm(ch, CACHE_SCOPE_ITEM, 2, "", "i2");
	warm(ch, CACHE_SCOPE_PRODUCT, 10, "", "p10");
	warm(ch, CACHE_SCOPE_PRODUCT, 20, "", "p20");
	warm(ch, CACHE_SCOPE_LISTS, 0, "all", "[]");
	/* Item 1 of product 10 changed: its item, its product, the lists. */
	cache_invalidate(ch, 1, 10);
	expect(ch, CACHE_SCOPE_ITEM, 1, "", NULL);
	expect(ch, CACHE_SCOPE_ITEM, 2, "", "i2");
	expect(ch, CACHE_SCOPE_PRODUCT, 10, "", NULL);
	expect(ch, CACHE_SCOPE_PRODUCT, 20, "", "p20");
	expect(ch, CACHE_SCOPE_LISTS, 0, "all", NULL);
	/* Ids of 0 skip their scope; the lists are always bumped. */
	warm(ch, CACHE_SCOPE_LISTS, 0, "all", "[]");
	cache_invalidate(ch, 2, 0);
	expect(ch, CACHE_SCOPE_ITEM, 2, "", NULL);
	expect(ch, CACHE_SCOPE_PRODUCT, 20, "", "p20");
	expect(ch, CACHE_SCOPE_LISTS, 0, "all", NULL);
	warm(ch, CACHE_SCOPE_LISTS, 0, "all", "[]");
	cache_invalidate(ch, 0, 20);
	expect(ch, CACHE_SCOPE_PRODUCT, 20, "", NULL);
	expect(ch, CACHE_SCOPE_LISTS, 0, "all", NULL);
	cache_close(ch);
}
END_TEST

START_TEST(values_have_ttls_generations_do_not)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	uint64_t gen;
	char *key, *val = NULL;
	long long ttl;

	gen = expect(ch, CACHE_SCOPE_ITEM, 5, "", NULL);
	cache_store(ch, CACHE_SCOPE_ITEM, 5, "", gen, "v", 1, 123);
	key = xasprintf("inventory:cache:item:5:%llu:",
	    (unsigned long long)gen);
	ttl = raw_int("TTL %s", key);
	ck_assert_msg(ttl > 0 && ttl <= 123, "TTL %lld", ttl);
	free(key);
	/* Generations stay, so volatile-lru never evicts them. */
	ck_assert_int_eq(raw_int("TTL %s", GEN_KEY("item", 5)), -1);
	cache_invalidate(ch, 5, 50);
	ck_assert_int_eq(raw_int("TTL %s", GEN_KEY("item", 5)), -1);
	ck_assert_int_eq(raw_int("TTL %s", GEN_KEY("product", 50)), -1);
	ck_assert_int_eq(raw_int("TTL %s", GEN_KEY("lists", 0)), -1);
	/* A bad TTL, scope or id stores nothing and reads nothing. */
	gen = expect(ch, CACHE_SCOPE_ITEM, 6, "", NULL);
	cache_store(ch, CACHE_SCOPE_ITEM, 6, "", gen, "v", 1, 0);
	expect(ch, CACHE_SCOPE_ITEM, 6, "", NULL);
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE__MAX, 1, "", &val, &gen),
	    INV_INVALID);
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ITEM, -1, "", &val, &gen),
	    INV_INVALID);
	ck_assert_ptr_null(val);
	cache_close(ch);
}
END_TEST

START_TEST(evicted_generation_does_not_bring_old_values_back)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	uint64_t gen;

	warm(ch, CACHE_SCOPE_ITEM, 7, "", "before");
	/* maxmemory under an allkeys-* policy may evict a generation; its
	 * value key, with its TTL, may still be there. */
	ck_assert_int_eq(raw_int("DEL %s", GEN_KEY("item", 7)), 1);
	gen = expect(ch, CACHE_SCOPE_ITEM, 7, "", NULL);
	warm(ch, CACHE_SCOPE_ITEM, 7, "", "after");
	ck_assert_int_eq(raw_int("DEL %s", GEN_KEY("item", 7)), 1);
	ck_assert_uint_gt(expect(ch, CACHE_SCOPE_ITEM, 7, "", NULL), gen);
	/* A bump of an evicted generation does not go back either. */
	warm(ch, CACHE_SCOPE_ITEM, 7, "", "again");
	ck_assert_int_eq(raw_int("DEL %s", GEN_KEY("item", 7)), 1);
	cache_invalidate(ch, 7, 0);
	expect(ch, CACHE_SCOPE_ITEM, 7, "", NULL);
	cache_close(ch);
}
END_TEST

START_TEST(lost_script_cache_falls_back_to_eval)
{
	struct cache *ch = open_cache(tu_app()->cfg);
	struct cache_stats st;

	warm(ch, CACHE_SCOPE_ITEM, 8, "", "v");
	freeReplyObject(raw_cmd("SCRIPT FLUSH"));
	expect(ch, CACHE_SCOPE_ITEM, 8, "", "v");
	freeReplyObject(raw_cmd("SCRIPT FLUSH"));
	cache_invalidate(ch, 8, 0);
	expect(ch, CACHE_SCOPE_ITEM, 8, "", NULL);
	cache_get_stats(ch, &st);
	ck_assert_uint_eq(st.errors, 0);
	cache_close(ch);
}
END_TEST

START_TEST(disabled_cache_is_unavailable_but_invalidates)
{
	struct config *c = cfg_copy();
	struct cache *off, *on = open_cache(tu_app()->cfg);
	struct cache_stats st;
	char *val = NULL;
	uint64_t gen = 1;

	c->cache_enabled = 0;
	off = open_cache(c);
	warm(on, CACHE_SCOPE_ITEM, 11, "", "cached elsewhere");
	ck_assert_int_eq(cache_fetch(off, CACHE_SCOPE_ITEM, 11, "", &val,
	    &gen), INV_UNAVAILABLE);
	ck_assert_ptr_null(val);
	ck_assert_uint_eq(gen, 0);
	/* Redis was not asked: the fetch script would make a generation. */
	ck_assert_int_eq(cache_fetch(off, CACHE_SCOPE_ITEM, 12, "", &val,
	    &gen), INV_UNAVAILABLE);
	ck_assert_int_eq(raw_int("EXISTS %s", GEN_KEY("item", 12)), 0);
	cache_store(off, CACHE_SCOPE_ITEM, 12, "", 1, "x", 1, 600);
	ck_assert_int_eq(raw_int("EXISTS inventory:cache:item:12:1:"), 0);
	/* A writer with caching off still tells the processes that cache. */
	cache_invalidate(off, 11, 0);
	expect(on, CACHE_SCOPE_ITEM, 11, "", NULL);
	cache_get_stats(off, &st);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.misses, 0);
	ck_assert_uint_eq(st.errors, 0);
	cache_close(off);
	cache_close(on);
	free(c);
}
END_TEST

/*
 * A unix socket that listens and never accepts (fd new; path in buf): a
 * connection to it is made, and a command sent on it never answered.
 */
static int
black_hole(char *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(buf, len, "/tmp/check_cache-%ld.sock", (long)getpid());
	ck_assert_uint_lt(strlen(buf), sizeof(sa.sun_path));
	memcpy(sa.sun_path, buf, strlen(buf) + 1);
	unlink(buf);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	return fd;
}

/*
 * Redis unreachable (_i 0: no socket at the address; 1: a server that
 * never answers): every call fails at once, not after a wait for Redis,
 * and the process tries to connect at most once a second. The time bound
 * is generous (5 s for N calls that take milliseconds); a process that
 * tried Redis at each call would wait N times the command timeout there
 * (15 s), and its connects would exceed the bound on them anyway.
 */
START_TEST(unreachable_redis_fails_fast_and_reconnects_rarely)
{
	enum { N = 300 };
	struct config *c = cfg_copy();
	struct cache *ch;
	struct cache_stats st;
	uint64_t t0, usecs, gen;
	char *val = NULL, hole[108];
	int i, fd = -1;

	if (_i == 1)
		fd = black_hole(hole, sizeof(hole));
	c->redis.socket = _i == 1 ? hole : bogus_socket;
	t0 = now_usec();
	ch = open_cache(c);
	ck_assert_int_eq(cache_ping(ch), INV_UNAVAILABLE);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ITEM, 1, "", &val,
		    &gen), INV_UNAVAILABLE);
		ck_assert_ptr_null(val);
	}
	cache_store(ch, CACHE_SCOPE_ITEM, 1, "", 1, "x", 1, 600);
	cache_invalidate(ch, 1, 1);
	usecs = now_usec() - t0;
	cache_get_stats(ch, &st);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.misses, 0);
	ck_assert_uint_eq(st.errors, N + 2);
	/* One attempt at open, then at most one a second. */
	ck_assert_uint_ge(st.connects, 1);
	ck_assert_msg(st.connects <= 2 + usecs / 1000000u,
	    "%llu connects in %.1f s", (unsigned long long)st.connects,
	    (double)usecs / 1e6);
	ck_assert_msg(usecs < 5000000u, "%d calls took %.1f s with Redis "
	    "unreachable: they wait for it", N + 3, (double)usecs / 1e6);
	cache_close(ch);
	free(c);
	if (fd >= 0) {
		close(fd);
		unlink(hole);
	}
}
END_TEST

START_TEST(pending_invalidation_is_sent_when_redis_is_back)
{
	struct config *c = cfg_copy();
	char *real = c->redis.socket;
	struct cache *ch, *other = open_cache(tu_app()->cfg);
	struct cache_stats st;
	unsigned long long gen_before;
	char *val = NULL;
	uint64_t gen;

	if (real[0] == '\0')	/* the harness always uses a socket */
		ck_abort_msg("test Redis has no redis_socket");
	ch = open_cache(c);
	warm(ch, CACHE_SCOPE_ITEM, 21, "", "before the write");
	warm(ch, CACHE_SCOPE_PRODUCT, 210, "", "before the write");
	gen_before = raw_num(GEN_KEY("item", 21));
	/* Redis goes away for this process (and stays away: its address
	 * now leads nowhere), then a write commits and invalidates. */
	c->redis.socket = bogus_socket;
	raw_kill_clients();
	cache_invalidate(ch, 21, 210);
	cache_get_stats(ch, &st);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert_uint_eq(raw_num(GEN_KEY("item", 21)), gen_before);
	/* Until the bump is sent this process reads MariaDB. */
	ck_assert_int_eq(cache_fetch(ch, CACHE_SCOPE_ITEM, 21, "", &val,
	    &gen), INV_UNAVAILABLE);
	ck_assert_ptr_null(val);
	c->redis.socket = real;
	ck_assert_int_eq(fetch_when_back(ch, CACHE_SCOPE_ITEM, 21),
	    INV_NOTFOUND);
	ck_assert_uint_gt(raw_num(GEN_KEY("item", 21)), gen_before);
	/* The bump reached Redis: another process misses too. */
	ck_assert_int_eq(fetch_when_back(other, CACHE_SCOPE_PRODUCT, 210),
	    INV_NOTFOUND);
	cache_close(ch);
	cache_close(other);
	free(c);
}
END_TEST

START_TEST(too_many_pending_invalidations_invalidate_everything)
{
	struct config *c = cfg_copy();
	char *real = c->redis.socket;
	struct cache *ch, *other = open_cache(tu_app()->cfg);
	int i;

	ch = open_cache(c);
	warm(ch, CACHE_SCOPE_ITEM, 1, "", "untouched but unsure");
	warm(ch, CACHE_SCOPE_PRODUCT, 2, "", "untouched but unsure");
	c->redis.socket = bogus_socket;
	raw_kill_clients();
	for (i = 0; i < 100; i++)
		cache_invalidate(ch, 1000 + i, 2000 + i);
	ck_assert_int_eq(raw_int("EXISTS %s", FLOOR_KEY), 0);
	c->redis.socket = real;
	/* Item 1 was never named, yet its old value is gone with the rest. */
	ck_assert_int_eq(fetch_when_back(ch, CACHE_SCOPE_ITEM, 1),
	    INV_NOTFOUND);
	ck_assert_int_eq(raw_int("EXISTS %s", FLOOR_KEY), 1);
	ck_assert_int_eq(fetch_when_back(other, CACHE_SCOPE_PRODUCT, 2),
	    INV_NOTFOUND);
	/* Caching works as before above the floor. */
	warm(ch, CACHE_SCOPE_ITEM, 1, "", "fresh");
	expect(other, CACHE_SCOPE_ITEM, 1, "", "fresh");
	cache_invalidate(other, 1, 0);
	expect(ch, CACHE_SCOPE_ITEM, 1, "", NULL);
	cache_close(ch);
	cache_close(other);
	free(c);
}
END_TEST

/* Shared by the processes of the concurrent case (MAP_SHARED). */
struct shared {
	uint64_t	version;	/* "the database": last committed */
	uint64_t	completed;	/* highest version invalidated */
};

static void
atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_SEQ_CST);

	while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

/* A writer: commit, invalidate, then the write has "returned". */
static void
run_writer(struct cache *ch, struct shared *sh, int n)
{
	struct cache_stats st;
	uint64_t v;
	int i;

	for (i = 0; i < n; i++) {
		v = __atomic_add_fetch(&sh->version, 1, __ATOMIC_SEQ_CST);
		cache_invalidate(ch, 1, 10);
		atomic_max(&sh->completed, v);
	}
	cache_get_stats(ch, &st);
	ck_assert_msg(st.errors == 0, "writer: %llu cache errors",
	    (unsigned long long)st.errors);
}

/* A reader: read through the cache; a hit must not predate a write
 * that had returned before the read began. */
static void
run_reader(struct cache *ch, struct shared *sh, int n)
{
	char buf[32], *val, *end;
	uint64_t floor_v, gen, v;
	enum inv_err rc;
	int i;

	for (i = 0; i < n; i++) {
		floor_v = __atomic_load_n(&sh->completed, __ATOMIC_SEQ_CST);
		rc = cache_fetch(ch, CACHE_SCOPE_ITEM, 1, "", &val, &gen);
		if (rc == INV_OK) {
			v = strtoull(val, &end, 10);
			ck_assert_msg(*end == '\0' && v >= floor_v,
			    "read %s after version %llu had returned", val,
			    (unsigned long long)floor_v);
			free(val);
		} else {
			ck_assert_msg(rc == INV_NOTFOUND, "fetch: %d", rc);
			v = __atomic_load_n(&sh->version, __ATOMIC_SEQ_CST);
			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)v);
			cache_store(ch, CACHE_SCOPE_ITEM, 1, "", gen, buf,
			    strlen(buf), 600);
		}
	}
}

enum { RACE_WRITERS = 2, RACE_READERS = 4, RACE_ROUNDS = 300 };

/* The race's config and shared state, set before the fork, and each
 * child's own cache handle, opened before the barrier. */
static struct config *race_cfg;
static struct shared *race_sh;
static struct cache *race_ch;

static void
race_open(int i)
{
	(void)i;
	race_ch = open_cache(race_cfg);
}

/* Children 0 .. RACE_WRITERS - 1 write, the others read. */
static void
race_run(int i, void *out)
{
	(void)out;
	if (i < RACE_WRITERS)
		run_writer(race_ch, race_sh, RACE_ROUNDS);
	else
		run_reader(race_ch, race_sh, RACE_ROUNDS);
	cache_close(race_ch);
}

START_TEST(concurrent_readers_never_see_a_value_older_than_a_write)
{
	enum { WRITERS = RACE_WRITERS, N = RACE_ROUNDS };
	struct config *c = cfg_copy();
	struct shared *sh;
	struct cache *ch;
	char *val = NULL, want[32];
	uint64_t gen;

	/* A slow, loaded machine must not turn into cache errors here. */
	c->redis.command_timeout_ms = 10000;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	race_cfg = c;
	race_sh = sh;
	tu_concurrently(RACE_WRITERS + RACE_READERS, race_open, race_run,
	    NULL, 0);
	ck_assert_uint_eq(sh->version, WRITERS * N);
	ck_assert_uint_eq(sh->completed, WRITERS * N);
	/* Every write returned: the cache holds the last one or nothing. */
	ch = open_cache(c);
	snprintf(want, sizeof(want), "%d", WRITERS * N);
	if (cache_fetch(ch, CACHE_SCOPE_ITEM, 1, "", &val, &gen) == INV_OK)
		ck_assert_str_eq(val, want);
	free(val);
	cache_close(ch);
	munmap(sh, sizeof(*sh));
	free(c);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *rw = tcase_create("coherence");
	TCase *down = tcase_create("unavailable");
	TCase *conc = tcase_create("concurrent");

	tcase_add_checked_fixture(rw, setup, teardown);
	tcase_add_test(rw, miss_then_store_then_hit);
	tcase_add_test(rw, invalidate_makes_the_next_fetch_miss);
	tcase_add_test(rw, invalidate_each_names_every_record_and_no_more);
	tcase_add_test(rw, invalidate_order_bumps_the_owner);
	tcase_add_test(rw, stale_store_after_invalidation_is_never_read);
	tcase_add_test(rw, scopes_are_independent);
	tcase_add_test(rw, values_have_ttls_generations_do_not);
	tcase_add_test(rw, evicted_generation_does_not_bring_old_values_back);
	tcase_add_test(rw, lost_script_cache_falls_back_to_eval);
	tcase_add_test(rw, disabled_cache_is_unavailable_but_invalidates);
	tcase_add_checked_fixture(down, setup, teardown);
	tcase_set_timeout(down, 30);
	tcase_add_loop_test(down,
	    unreachable_redis_fails_fast_and_reconnects_rarely, 0, 2);
	tcase_add_test(down, pending_invalidation_is_sent_when_redis_is_back);
	tcase_add_test(down,
	    too_many_pending_invalidations_invalidate_everything);
	tcase_add_checked_fixture(conc, setup, teardown);
	tcase_set_timeout(conc, 60);
	tcase_add_test(conc,
	    concurrent_readers_never_see_a_value_older_than_a_write);
	suite_add_tcase(s, rw);
	suite_add_tcase(s, down);
	suite_add_tcase(s, conc);
	return s;
}

int
main(void)
{
	tu_need_services();
	/* hiredis writes with write(2): a connection Redis closed must be an
	 * error, not a signal (inventory.fcgi ignores SIGPIPE the same way). */
	signal(SIGPIPE, SIG_IGN);
	return tu_run(cache_suite(), NULL);
}
