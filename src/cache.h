/*
 * cache.h: the Redis cache (hiredis stays behind this door). With short
 * timeouts; when Redis is down every call fails fast and callers fall back
 * to MariaDB. Reconnection is tried at most once a second. The program
 * must ignore SIGPIPE: hiredis writes with write(2), and a connection
 * Redis closed would otherwise kill it.
 */
#ifndef INV_CACHE_H
#define INV_CACHE_H

#include <stdbool.h>

#include "util.h"

struct config;
struct cache;
struct redis_settings;

/* Makes the handle and tries to connect; never fails for Redis being down.
 * cfg is borrowed and must outlive the handle. */
enum inv_err cache_open(struct cache **out, const struct config *cfg);
void cache_close(struct cache *);

/* PING; INV_OK or INV_UNAVAILABLE. */
enum inv_err cache_ping(struct cache *);

/*
 * Coherent read-through caching of inventory reads (doc/design.md,
 * "Cache protocol"), and of the counts of a user's orders. Every cached
 * value lives in a scope with its own generation counter in Redis; the
 * generation is part of the value's key.
 * A reader learns the generation together with the lookup (one round
 * trip) and stores what it read from MariaDB under that generation, so a
 * reader that fetched before an invalidation writes into a key nobody will
 * read again. A writer bumps the generations after its commit.
 */
enum cache_scope {
	CACHE_SCOPE_ITEM = 0,	/* one inventory record, by inventory id */
	CACHE_SCOPE_PRODUCT,	/* one product's inventory, by product id */
	CACHE_SCOPE_LISTS,	/* every list and report (scope id 0) */
	CACHE_SCOPE_ORDERS,	/* a user's orders: the counts of the order
				   lists, by user id (0: all users) */
	CACHE_SCOPE_USERS,	/* the users list's count (scope id 0) */
	CACHE_SCOPE__MAX
};

/*
 * Looks up name (borrowed; e.g. "skip=0&limit=100"; "" for the scope's
 * only value) in the scope. INV_OK with *val new (free()) on a hit;
 * INV_NOTFOUND on a miss; INV_UNAVAILABLE when Redis is down or slow,
 * when this process still has invalidations to send, or when caching is
 * disabled (Redis is then not asked); INV_INVALID for a bad scope or a
 * negative id. *gen is the generation to pass to cache_store (set on a
 * miss). One round trip.
 */
enum inv_err cache_fetch(struct cache *, enum cache_scope, int64_t scope_id,
    const char *name, char **val, uint64_t *gen);

/* One value of a scope, for cache_fetch_n and cache_store_n. */
struct cache_val {
	const char	*name;		/* borrowed; as cache_fetch's */
	char		*val;		/* fetch: new (free()) on a hit, else
					   NULL; store: borrowed, NULL is not
					   stored */
	size_t		 len;
};

#define CACHE_FETCH_MAX	4

/*
 * cache_fetch of n values (1..CACHE_FETCH_MAX) of one scope, still in
 * one round trip: INV_OK when Redis answered, each v[i].val set on its
 * hit; otherwise as cache_fetch (every v[i].val NULL). v[0] is the one
 * the caller wants most (the stats count one hit or miss, by v[0]); the
 * others are what it reads when v[0] missed.
 */
enum inv_err cache_fetch_n(struct cache *, enum cache_scope,
    int64_t scope_id, struct cache_val *v, size_t n, uint64_t *gen);

/* Stores val (len bytes; borrowed, like name) under the generation a
 * cache_fetch miss returned, with a TTL in seconds: when the scope was
 * invalidated since that fetch, nobody reads it. Failures are counted,
 * never reported. */
void cache_store(struct cache *, enum cache_scope, int64_t scope_id,
    const char *name, uint64_t gen, const char *val, size_t len,
    int64_t ttl);
/* cache_store of the values of v[0..n) that are not NULL, pipelined: one
 * round trip. */
void cache_store_n(struct cache *, enum cache_scope, int64_t scope_id,
    uint64_t gen, const struct cache_val *v, size_t n, int64_t ttl);

/*
 * After a commit that changed inventory record inv_id of product
 * product_id: bumps the item, product and lists generations in one round
 * trip. Either id may be 0 when unknown (only the others are bumped; the
 * lists always are). When Redis cannot be reached the bump is remembered
 * and retried before this process's next cache use, which reads MariaDB
 * until it succeeds. Bumps even with cache_enabled = 0 (other processes
 * may cache).
 */
void cache_invalidate(struct cache *, int64_t inv_id, int64_t product_id);
/* After a commit that changed an order of user owner_id (0: none) and
 * moved the stock of n records (inv_ids[i] of product_ids[i], borrowed;
 * n may be 0): bumps that user's orders and the records, still in one
 * round trip (an order touches up to 100 records). */
void cache_invalidate_order(struct cache *, int64_t owner_id, size_t n,
    const int64_t *inv_ids, const int64_t *product_ids);

/*
 * cache_invalidate_order, and in the same round trip (one script) LPUSH
 * of text onto list in database db of the cache's own Redis server: for
 * a caller whose list lives there (see cache_redis). True when the push
 * was made; else the push is the caller's to make another way (and the
 * bumps went or are kept for later, as always). A push refused to the
 * cache's user (ACL) is not tried again by this handle.
 */
bool cache_invalidate_order_push(struct cache *, int64_t owner_id, size_t n,
    const int64_t *inv_ids, const int64_t *product_ids, int64_t db,
    const char *list, const char *text);

/* The settings of the cache's Redis (borrowed from the config). */
const struct redis_settings *cache_redis(const struct cache *);

/* After a commit that changed orders of the n users owners[] (borrowed;
 * repeats allowed): bumps their orders, one round trip per 32 users. */
void cache_invalidate_owners(struct cache *, const int64_t *owners,
    size_t n);

/* After a commit that added a user: bumps the users scope, or keeps the
 * bump for later as cache_invalidate does. */
void cache_invalidate_users(struct cache *);

/* Counters since the process started, for /metrics. */
struct cache_stats {
	uint64_t	hits;
	uint64_t	misses;
	uint64_t	errors;		/* fetch, store or bump failed on Redis */
	uint64_t	connects;	/* connection attempts, made or failed */
};
void cache_get_stats(const struct cache *, struct cache_stats *);

#endif
