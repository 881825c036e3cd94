/*
 * redis_conn.h: opening a Redis connection, shared by cache.c and
 * queue.c (the only other modules that include hiredis). One place knows
 * how an address, a database number and the timeouts become a ready
 * connection; each module keeps its own policy for when to reconnect and
 * what to do with a failed command.
 *
 * With Sentinel (redis_sentinels or queue_redis_sentinels set) every
 * connect asks the sentinels, one after the other, where the master is
 * (SENTINEL get-master-addr-by-name), connects there and checks with ROLE
 * that the server is a master indeed, so a reconnect after a failover
 * reaches the new master. Sentinel leaves the old master running as a
 * master for several seconds after it promoted another (until it
 * reconfigures it), and a connection kept to it would go on writing
 * there, into data the failover discards: redis_conn_moved() asks a
 * sentinel again at most once a second and tells the caller when to
 * reconnect. A connection to a master that was demoted since answers
 * writes with READONLY (or NOREPLICAS, under min-replicas-to-write):
 * redis_reply_demoted() tells the caller to drop it and connect again.
 */
#ifndef INV_REDIS_CONN_H
#define INV_REDIS_CONN_H

#include <stdbool.h>
#include <stdint.h>

struct redisContext;
struct redisReply;

/*
 * The settings of one Redis, as config.c loads them twice: the cache's
 * (keys redis_*) and the queue's (queue_redis_*). Strings are never NULL
 * ("" when unset).
 */
struct redis_settings {
	char		*host;
	int64_t		 port;
	char		*socket;	/* preferred over host/port when set */
	int64_t		 db;
	int64_t		 connect_timeout_ms;
	int64_t		 command_timeout_ms;
	char		*sentinels;	/* "host:port,/socket,..."; "" none */
	char		*master_name;	/* the master's name in Sentinel */
	/* AUTH at every connect when password is set: with username, as
	 * that ACL user, else as the default user (requirepass). The
	 * sentinels have their own (Sentinel's requirepass or ACL). The
	 * _file keys are read into the passwords at load. */
	char		*username;
	char		*password;
	char		*password_file;
	char		*sentinel_username;
	char		*sentinel_password;
	char		*sentinel_password_file;
	/* "redis_" or "queue_redis_": the keys' prefix, for messages (set by
	 * config.c, not a key) */
	const char	*keys;
};

/* Where one Redis connection goes. */
struct redis_target {
	const char	*what;		/* log prefix: "redis", "queue" */
	const struct redis_settings *set;	/* borrowed */
	/* Kept across connects (Sentinel only); redis_target_clear. */
	char		 master[280];	/* "host:port" of the last master */
	uint64_t	 master_changes; /* times it moved since the first */
	uint64_t	 checked_at;	/* now_usec() of the last question */
	struct redisContext *sentinel;	/* the last sentinel that answered */
};

/* Sets up t to reach the Redis of set (borrowed: it must outlive the
 * target); what prefixes its log lines. */
void redis_target_init(struct redis_target *t, const char *what,
    const struct redis_settings *set);
/* Closes the kept sentinel connection. */
void redis_target_clear(struct redis_target *);

/*
 * Connects with the connect timeout (to the master Sentinel names, when
 * sentinels are set), sets the command timeout, authenticates (when a
 * password is set) and selects the database; a refused AUTH, or a server
 * that wants one when none is set, is logged as an error naming the keys.
 * Returns the connection (new: redisFree it) or NULL, the reason logged
 * here. Updates t->master and t->master_changes.
 */
struct redisContext *redis_conn_open(struct redis_target *t);

/*
 * With Sentinel, at most once a second: true when a sentinel now names
 * another master than the one of the last redis_conn_open (logged); the
 * caller then drops its connection and opens a new one. False without
 * Sentinel, within the second, or when no sentinel answers (the
 * connection in hand is the best there is).
 */
bool redis_conn_moved(struct redis_target *t);

/* Whether a and b name the same server (whatever the database and the
 * user): the same unix socket, or the same host and port; never with
 * Sentinel on either, where the master can move. */
bool redis_same_server(const struct redis_settings *a,
    const struct redis_settings *b);

/* True for an error reply that says the server is no longer a writable
 * master (READONLY, MASTERDOWN): the connection should be dropped. */
bool redis_reply_demoted(const struct redisReply *);

/*
 * Checks the sentinels setting of set as config.c loads it: "" (no
 * Sentinel), or a comma-separated list of host:port ([v6addr]:port) or
 * unix socket paths (beginning with '/'), with a master name set.
 * prefix names the keys in the message ("redis_", "queue_redis_"). False
 * with *why set (new) when refused.
 */
bool redis_sentinels_check(const struct redis_settings *set,
    const char *prefix, const char *path, char **why);

/*
 * Checks the credentials of set as config.c loads them: a username needs
 * its password (prefix and path as above). False with *why set (new).
 */
bool redis_auth_check(const struct redis_settings *set, const char *prefix,
    const char *path, char **why);

#endif
