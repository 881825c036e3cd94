/*
 * cache.h: the Redis cache (hiredis stays behind this door). With short
 * timeouts; when Redis is down every call fails fast and callers fall back
 * to MariaDB. Reconnection is tried at most once a second.
 */
#ifndef INV_CACHE_H
#define INV_CACHE_H

#include <stdbool.h>

#include "util.h"

struct config;
struct cache;

/* Makes the handle and tries to connect; never fails for Redis being down.
 * cfg is borrowed and must outlive the handle. */
enum inv_err cache_open(struct cache **out, const struct config *cfg);
void cache_close(struct cache *);

/* PING; INV_OK or INV_UNAVAILABLE. */
enum inv_err cache_ping(struct cache *);

#endif
