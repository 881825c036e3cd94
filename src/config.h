/*
 * config.h: the configuration of every program. An INI-style file
 * ("key = value", '#' or ';' comments, optional [section] headers that are
 * ignored) read from --config, $INVENTORY_CONFIG or SYSCONFDIR/inventory.conf;
 * then each key may be overridden by the environment variable
 * INVENTORY_<KEY> (upper case). Unknown keys in the file, an unreadable
 * explicit file, bad numbers, or a JWT secret shorter than 32 bytes refuse
 * to load, with a one-line reason. jwt_secret_file, db_password_file and
 * the Redis *password_file keys name files read at load whose one line is
 * the secret (for systemd's LoadCredential=), refused with the key itself
 * set.
 */
#ifndef INV_CONFIG_H
#define INV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "redis_conn.h"
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
	char		*db_password_file;	/* read into db_password */
	/* TLS over TCP when db_ssl_ca is set, the server verified against
	 * it; a client certificate and key optional */
	char		*db_ssl_ca;
	char		*db_ssl_cert;
	char		*db_ssl_key;
	/* The schema owner `inventoryctl migrate` logs in as ("" = db_user);
	 * its password from the file when that is set (config_owner()). */
	char		*migrate_db_user;
	char		*migrate_db_password;
	char		*migrate_db_password_file;
	int64_t		 db_connect_timeout;	/* seconds */
	int64_t		 db_retries;	/* tries of a deadlocked transaction */
	int64_t		 db_read_timeout;	/* seconds to wait for a reply */
	double		 db_slow_statement_ms;	/* warn above; 0: never */
	/* Redis cache: keys redis_host, redis_port, ... */
	struct redis_settings redis;
	/* Tokens */
	char		*jwt_secret;
	char		*jwt_secret_file;	/* read into jwt_secret */
	char		*jwt_issuer;
	int64_t		 access_token_ttl;	/* seconds */
	int64_t		 refresh_token_ttl;	/* seconds */
	/* Password hashing (scrypt) */
	int64_t		 scrypt_ln;	/* log2 of N */
	int64_t		 scrypt_r;
	int64_t		 scrypt_p;
	/* Logging */
	char		*log_level;
	/* Inventory read cache (in the Redis above) */
	int64_t		 cache_enabled;		/* 0: always read MariaDB */
	int64_t		 cache_ttl_item;	/* seconds */
	int64_t		 cache_ttl_list;	/* seconds */
	int64_t		 cache_ttl_low_stock;	/* seconds */
	/* Order queue: its own Redis settings (queue_redis_host, ...), so it
	 * can live elsewhere */
	struct redis_settings queue_redis;
	int64_t		 queue_max_attempts;	/* then the dead-letter list */
	int64_t		 queue_backoff_ms;	/* first retry delay, doubled */
	/* Worker and orders */
	int64_t		 worker_heartbeat_ttl;	/* seconds */
	int64_t		 worker_max_seconds;	/* --drain time limit */
	double		 payment_failure_rate;	/* 0..1, simulated payment */
	int64_t		 payment_delay_ms;	/* simulated payment time */
	int64_t		 worker_batch;		/* jobs claimed together */
	int64_t		 payment_concurrency;	/* payments in flight */
	char		*payment_mode;		/* enum payment_mode's name */
	char		*payment_url;		/* payment_mode http: POST here */
	int64_t		 payment_timeout_ms;	/* http: then retried */
	int64_t		 webhook_timeout_ms;	/* one delivery's POST */
	int64_t		 webhook_max_attempts;	/* then status failed */
	int64_t		 webhook_backoff_ms;	/* first retry delay, doubled */
	int64_t		 webhook_retention_days; /* finished ones kept */
	int64_t		 idempotency_ttl;	/* seconds a key is remembered */
	/* Webhooks */
	bool		 webhook_allow_private; /* private targets too */
	/* Fulfilment ("": off) */
	char		*fulfilment_url;	/* processing orders POSTed here */
	char		*fulfilment_secret;	/* signs them */
	char		*fulfilment_secret_file; /* read into fulfilment_secret */
	int64_t		 fulfilment_timeout_ms;	/* one POST; then retried */
	/* Shared counters of the FastCGI processes ("" = per process) */
	char		*metrics_file;
	/* 1: responses name the process that answered (tests only) */
	int64_t		 debug_process_header;
};

/* How the worker takes payments (payment_mode). */
enum payment_mode {
	PAYMENT_SIMULATED = 0,	/* payment_delay_ms, payment_failure_rate */
	PAYMENT_HTTP,		/* POST to payment_url */
	PAYMENT_MODE__MAX
};

/* payment_mode of a loaded configuration. */
enum payment_mode config_payment_mode(const struct config *);

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

/*
 * The account that owns the schema, which `inventoryctl migrate` (and a
 * test that needs DDL) logs in as: migrate_db_user with
 * migrate_db_password, or with the one line of migrate_db_password_file,
 * read now (so only the programs that need it read it); db_user and
 * db_password when migrate_db_user is empty. *user and *password are new
 * strings (free() them). INV_IO with *why set (new) when the file cannot
 * be read or does not hold one line.
 */
enum inv_err config_owner(const struct config *, char **user,
    char **password, char **why);

void config_free(struct config *);

/*
 * What every program does first: config_load(), and on failure the reason
 * on stderr as "prog: reason"; on success the log level is set from the
 * configuration. Returns false when the program must exit 1.
 */
bool config_startup(struct config *cfg, const char *path, const char *prog);

#endif
