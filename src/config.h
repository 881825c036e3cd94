/*
 * config.h: the configuration of every program. An INI-style file
 * ("key = value", '#' or ';' comments, optional [section] headers that are
 * ignored) read from --config, $INVENTORY_CONFIG or SYSCONFDIR/inventory.conf;
 * then each key may be overridden by the environment variable
 * INVENTORY_<KEY> (upper case). Unknown keys in the file, an unreadable
 * explicit file, bad numbers, or a JWT secret shorter than 32 bytes refuse
 * to load, with a one-line reason.
 */
#ifndef INV_CONFIG_H
#define INV_CONFIG_H

#include <stdint.h>

#include "util.h"

#define CONFIG_MIN_SECRET_LEN 32

struct config {
	/* MariaDB */
	char		*db_host;
	int64_t		 db_port;
	char		*db_socket;	/* preferred over host/port when set */
	char		*db_name;
	char		*db_user;
	char		*db_password;
	int64_t		 db_connect_timeout;	/* seconds */
	int64_t		 db_retries;	/* tries of a deadlocked transaction */
	/* Redis cache */
	char		*redis_host;
	int64_t		 redis_port;
	char		*redis_socket;	/* preferred over host/port when set */
	int64_t		 redis_db;
	int64_t		 redis_connect_timeout_ms;
	int64_t		 redis_command_timeout_ms;
	/* Tokens */
	char		*jwt_secret;
	char		*jwt_issuer;
	int64_t		 access_token_ttl;	/* seconds */
	int64_t		 refresh_token_ttl;	/* seconds */
	/* Password hashing (scrypt) */
	int64_t		 scrypt_ln;	/* log2 of N */
	int64_t		 scrypt_r;
	int64_t		 scrypt_p;
	/* Logging */
	char		*log_level;
};

/* The file used when neither --config nor $INVENTORY_CONFIG names one. */
const char *config_default_path(void);

/*
 * Loads cfg from path (NULL: $INVENTORY_CONFIG, else the default path, which
 * may be absent) plus environment overrides, then validates it.
 * On failure returns INV_CONFIG (or INV_IO) and sets *why to a new one-line
 * reason (free() it); cfg is left freed. On success free cfg with
 * config_free().
 */
enum inv_err config_load(struct config *cfg, const char *path, char **why);

/* Same from a string, for tests; path_for_msgs names it in messages. */
enum inv_err config_load_string(struct config *cfg, const char *text,
    const char *path_for_msgs, char **why);

void config_free(struct config *);

#endif
