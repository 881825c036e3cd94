/*
 * redis_conn.h: opening a Redis connection, shared by cache.c and
 * queue.c (the only other modules that include hiredis). One place knows
 * how an address, a database number and the timeouts become a ready
 * connection; each module keeps its own policy for when to reconnect and
 * what to do with a failed command.
 */
#ifndef INV_REDIS_CONN_H
#define INV_REDIS_CONN_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct redisContext;
struct redisReply;

/* Where one Redis connection goes. Strings are borrowed from the config. */
struct redis_target {
	const char	*what;		/* log prefix: "redis", "queue" */
	const char	*host;
	int64_t		 port;
	const char	*socket;	/* preferred over host/port when set */
	int64_t		 db;
	int64_t		 connect_timeout_ms;
	int64_t		 command_timeout_ms;
};

/* The cache's (redis_*) and the queue's (queue_redis_*) settings of cfg
 * (borrowed: it must outlive the target). */
void redis_target_cache(struct redis_target *, const struct config *cfg);
void redis_target_queue(struct redis_target *, const struct config *cfg);

/*
 * Connects with the connect timeout, sets the command timeout and selects
 * the database. Returns the connection (new: redisFree it) or NULL, the
 * reason logged here.
 */
struct redisContext *redis_conn_open(const struct redis_target *);

#endif
