/*
 * config.c: one table of keys drives parsing, environment overrides,
 * defaults and validation, so a new key is one row.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "redis_conn.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CONFIG_MAX_FILE	(1024 * 1024)	/* a config file is never this big */

enum key_type { KEY_STR, KEY_INT, KEY_DBL, KEY_BOOL };

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;	/* offsetof(struct config, field) */
	const char	*def;	/* NULL: no default (empty string) */
	int64_t		 min;	/* KEY_INT bounds */
	int64_t		 max;
};

#define S(f, d) { #f, KEY_STR, offsetof(struct config, f), d, 0, 0 }
#define I(f, d, lo, hi) { #f, KEY_INT, offsetof(struct config, f), #d, lo, hi }
#define D(f, d, lo, hi) { #f, KEY_DBL, offsetof(struct config, f), #d, lo, hi }
/* A bool: true|false|1|0. */
#define B(f, d) { #f, KEY_BOOL, offsetof(struct config, f), #d, 0, 1 }
/* The keys of the struct redis_settings p of struct config, named p_field.
 * The cache (redis_*) and the queue (queue_redis_*) have the same keys;
 * only the timeouts' defaults and the command timeout's floor differ. */
#define RS(p, f, d) \
	{ #p "_" #f, KEY_STR, offsetof(struct config, p.f), d, 0, 0 }
#define RI(p, f, d, lo, hi) \
	{ #p "_" #f, KEY_INT, offsetof(struct config, p.f), #d, lo, hi }
#define REDIS_KEYS(p, connect_ms, command_ms, command_min) \
	RS(p, host, "127.0.0.1"), \
	RI(p, port, 6379, 1, 65535), \
	RS(p, socket, NULL), \
	RI(p, db, 0, 0, 1000), \
	RI(p, connect_timeout_ms, connect_ms, 1, 60000), \
	RI(p, command_timeout_ms, command_ms, command_min, 60000), \
	/* Set: the master is found through Sentinel, host/socket unused. */ \
	RS(p, sentinels, NULL), \
	RS(p, master_name, NULL), \
	/* Set: AUTH at connect (username: an ACL user). */ \
	RS(p, username, NULL), \
	RS(p, password, NULL), \
	RS(p, password_file, NULL), \
	RS(p, sentinel_username, NULL), \
	RS(p, sentinel_password, NULL), \
	RS(p, sentinel_password_file, NULL)

static const struct key keys[] = {
	S(db_host, "127.0.0.1"),
	I(db_port, 3306, 1, 65535),
	S(db_socket, NULL),
	S(db_name, "inventory"),
	S(db_user, "inventory"),
	S(db_password, NULL),
	S(db_password_file, NULL),
	/* Set: TLS to db_host, the server's certificate verified (chain and
	 * name) against this CA; the client certificate is optional. */
	S(db_ssl_ca, NULL),
	S(db_ssl_cert, NULL),
	S(db_ssl_key, NULL),
	/* The schema owner, for `inventoryctl migrate` alone; empty: db_user. */
	S(migrate_db_user, NULL),
	S(migrate_db_password, NULL),
	S(migrate_db_password_file, NULL),
	I(db_connect_timeout, 5, 1, 3600),
	I(db_retries, 5, 1, 100),
	/* Longer than innodb_lock_wait_timeout, or lock waits fail. */
	I(db_read_timeout, 120, 1, 3600),
	/* A warning names statements slower than this; 0: never. */
	D(db_slow_statement_ms, 200, 0, 3600000),
	REDIS_KEYS(redis, 50, 50, 1),
	S(jwt_secret, NULL),
	S(jwt_secret_file, NULL),
	S(jwt_issuer, "inventory"),
	I(access_token_ttl, 1800, 10, 86400),
	I(refresh_token_ttl, 604800, 60, 31536000),
	/* Below ln 10 scrypt stops costing an attacker anything. */
	I(scrypt_ln, 14, 10, 20),
	I(scrypt_r, 8, 1, 32),
	I(scrypt_p, 5, 1, 16),
	S(log_level, "info"),
	I(cache_enabled, 1, 0, 1),
	I(cache_ttl_item, 600, 1, 86400),
	I(cache_ttl_list, 600, 1, 86400),
	I(cache_ttl_low_stock, 180, 1, 86400),
	/* Blocking queue waits must stay below the command timeout: hiredis
	 * kills a context whose blocking command outlives the socket
	 * timeout. */
	REDIS_KEYS(queue_redis, 200, 2000, 100),
	I(queue_max_attempts, 5, 1, 100),
	I(queue_backoff_ms, 1000, 1, 3600000),
	I(worker_heartbeat_ttl, 30, 2, 3600),
	I(worker_max_seconds, 55, 1, 86400),
	D(payment_failure_rate, 0, 0, 1),
	I(payment_delay_ms, 0, 0, 60000),
	/* Jobs one worker claims, settles and acknowledges together. */
	I(worker_batch, 100, 1, 1000),
	/* Payments one worker has in flight at once. */
	I(payment_concurrency, 256, 1, 4096),
	S(payment_mode, "simulated"),
	S(payment_url, NULL),
	I(payment_timeout_ms, 10000, 100, 600000),
	/* Webhook deliveries (the worker): one POST's time limit, the
	 * attempts before a delivery fails, the first retry's delay
	 * (doubled each time), how long finished ones are kept. */
	I(webhook_timeout_ms, 10000, 100, 600000),
	I(webhook_max_attempts, 8, 1, 100),
	I(webhook_backoff_ms, 10000, 1, 3600000),
	I(webhook_retention_days, 30, 1, 3650),
	I(idempotency_ttl, 86400, 60, 604800),
	/* Webhook targets in loopback, private, link-local... ranges
	 * (src/target.h): refused unless true. */
	B(webhook_allow_private, false),
	/* Fulfilment: where processing orders are POSTed (empty: nowhere,
	 * admins ship by PUT), the secret that signs them, one POST's time
	 * limit (then retried with the queue's backoff). */
	S(fulfilment_url, NULL),
	S(fulfilment_secret, NULL),
	S(fulfilment_secret_file, NULL),
	I(fulfilment_timeout_ms, 10000, 100, 600000),
	/* Where the units' processes all reach it: both FastCGI pools, the
	 * workers and inventoryctl audit (the package makes the directory). */
	S(metrics_file, RUNSTATEDIR "/inventory/metrics"),
	/* Tests only: production does not say how many processes serve. */
	I(debug_process_header, 0, 0, 1),
};

#undef S
#undef I
#undef D
#undef B
#undef RS
#undef RI
#undef REDIS_KEYS

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
config_default_path(void)
{
	return SYSCONFDIR "/inventory.conf";
}

static const struct key *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Sets one key from text; where names the source for the message.
 * Returns false with *why set (new) when the value is refused.
 */
static bool
key_set(struct config *cfg, const struct key *k, const char *val,
    const char *where, char **why)
{
	char *base = (char *)cfg + k->off;
	int64_t v;

	if (k->type == KEY_STR) {
		char **dst = (char **)(void *)base;

		free(*dst);
		*dst = xstrdup(val);
		return true;
	}
	if (k->type == KEY_DBL) {
		char *end;
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (*val == '\0' || *end != '\0' || errno != 0 ||
		    !(d >= (double)k->min && d <= (double)k->max)) {
			*why = xasprintf("%s: %s must be a number from %lld to "
			    "%lld, not \"%s\"", where, k->name,
			    (long long)k->min, (long long)k->max, val);
			return false;
		}
		*(double *)(void *)base = d;
		return true;
	}
	if (k->type == KEY_BOOL) {
		bool *dst = (bool *)(void *)base;

		if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
			*dst = true;
		else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
			*dst = false;
		else {
			*why = xasprintf("%s: %s must be true or false, not "
			    "\"%s\"", where, k->name, val);
			return false;
		}
		return true;
	}
	if (!str_to_i64(val, k->min, k->max, &v)) {
		*why = xasprintf("%s: %s must be an integer from %lld to %lld, "
		    "not \"%s\"", where, k->name, (long long)k->min,
		    (long long)k->max, val);
		return false;
	}
	*(int64_t *)(void *)base = v;
	return true;
}

static void
config_defaults(struct config *cfg)
{
	size_t i;
	char *why = NULL;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		key_set(cfg, &keys[i], keys[i].def != NULL ? keys[i].def : "",
		    "default", &why);
}

/* Trims the line in place and returns its start. */
static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool
config_parse(struct config *cfg, const char *text, const char *path,
    char **why)
{
	char *copy = xstrdup(text), *line, *next, *eq, *name, *val;
	const struct key *k;
	unsigned lineno = 0;
	bool ok = true;

	for (line = copy; ok && line != NULL; line = next) {
		char where[512];

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';' ||
		    *line == '[')
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if ((eq = strchr(line, '=')) == NULL) {
			*why = xasprintf("%s: expected \"key = value\"", where);
			ok = false;
			break;
		}
		*eq = '\0';
		name = trim(line);
		val = trim(eq + 1);
		/* Quotes let a value keep surrounding spaces or a '#'. */
		if (strlen(val) >= 2 && val[0] == '"' &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		if ((k = key_find(name)) == NULL) {
			*why = xasprintf("%s: unknown key \"%s\"", where, name);
			ok = false;
		} else
			ok = key_set(cfg, k, val, where, why);
	}
	free(copy);
	return ok;
}

static bool
config_env(struct config *cfg, char **why)
{
	char var[128], where[160];
	const char *val;
	size_t i, j;

	for (i = 0; i < NKEYS; i++) {
		snprintf(var, sizeof(var), "INVENTORY_%s", keys[i].name);
		for (j = 0; var[j] != '\0'; j++)
			var[j] = (char)toupper((unsigned char)var[j]);
		if ((val = getenv(var)) == NULL)
			continue;
		snprintf(where, sizeof(where), "environment %s", var);
		if (!key_set(cfg, &keys[i], val, where, why))
			return false;
	}
	return true;
}

/* Indexed by enum payment_mode. */
static const char *const payment_modes[PAYMENT_MODE__MAX] = {
	"simulated",	/* PAYMENT_SIMULATED */
	"http",		/* PAYMENT_HTTP */
};

/* payment_mode known, and an http one with a URL it can POST to. */
static bool
payment_check(const struct config *cfg, const char *path, char **why)
{
	int m;

	for (m = 0; m < PAYMENT_MODE__MAX; m++)
		if (strcmp(cfg->payment_mode, payment_modes[m]) == 0)
			break;
	if (m == PAYMENT_MODE__MAX) {
		*why = xasprintf("%s: payment_mode must be simulated or http, "
		    "not \"%s\"", path, cfg->payment_mode);
		return false;
	}
	if (m == PAYMENT_HTTP && strncmp(cfg->payment_url, "http://", 7) != 0 &&
	    strncmp(cfg->payment_url, "https://", 8) != 0) {
		*why = xasprintf("%s: payment_mode http needs payment_url, an "
		    "http:// or https:// URL", path);
		return false;
	}
	return true;
}

/* fulfilment_url empty, or an http(s) URL with a secret to sign with. */
static bool
fulfilment_check(const struct config *cfg, const char *path, char **why)
{
	if (cfg->fulfilment_url[0] == '\0') {
		if (cfg->fulfilment_secret[0] == '\0')
			return true;
		*why = xasprintf("%s: fulfilment_secret needs fulfilment_url",
		    path);
		return false;
	}
	if (strncmp(cfg->fulfilment_url, "http://", 7) != 0 &&
	    strncmp(cfg->fulfilment_url, "https://", 8) != 0) {
		*why = xasprintf("%s: fulfilment_url must be an http:// or "
		    "https:// URL", path);
		return false;
	}
	if (strlen(cfg->fulfilment_secret) < CONFIG_MIN_SECRET_LEN) {
		*why = xasprintf("%s: fulfilment_url needs fulfilment_secret "
		    "(or fulfilment_secret_file) of at least %d bytes, to sign "
		    "the requests (it is %zu)", path, CONFIG_MIN_SECRET_LEN,
		    strlen(cfg->fulfilment_secret));
		return false;
	}
	return true;
}

enum payment_mode
config_payment_mode(const struct config *cfg)
{
	int m;

	for (m = 0; m < PAYMENT_MODE__MAX; m++)
		if (strcmp(cfg->payment_mode, payment_modes[m]) == 0)
			return (enum payment_mode)m;
	return PAYMENT_SIMULATED;	/* config_check refused anything else */
}

/* TLS settings that would otherwise be silently unused or half used. */
static bool
db_tls_check(const struct config *cfg, const char *path, char **why)
{
	bool tls = cfg->db_ssl_ca[0] != '\0';

	if (!tls && (cfg->db_ssl_cert[0] != '\0' || cfg->db_ssl_key[0] != '\0'))
		*why = xasprintf("%s: db_ssl_cert and db_ssl_key need db_ssl_ca "
		    "(the server's certificate is always verified)", path);
	else if ((cfg->db_ssl_cert[0] == '\0') != (cfg->db_ssl_key[0] == '\0'))
		*why = xasprintf("%s: set db_ssl_cert and db_ssl_key together",
		    path);
	else if (tls && cfg->db_socket[0] != '\0')
		*why = xasprintf("%s: db_ssl_ca is for db_host over TCP; unset "
		    "db_socket", path);
	else
		return true;
	return false;
}

static bool
config_check(const struct config *cfg, const char *path, char **why)
{
	enum log_level lvl;

	if (strlen(cfg->jwt_secret) < CONFIG_MIN_SECRET_LEN) {
		*why = xasprintf("%s: jwt_secret must be at least %d bytes "
		    "(it is %zu)", path, CONFIG_MIN_SECRET_LEN,
		    strlen(cfg->jwt_secret));
		return false;
	}
	/* The limits auth.c applies to any scrypt hash it computes. */
	if ((128 << cfg->scrypt_ln) * cfg->scrypt_r > (256 << 20) ||
	    (cfg->scrypt_r * cfg->scrypt_p << cfg->scrypt_ln) > (1 << 23)) {
		*why = xasprintf("%s: scrypt_ln=%lld, scrypt_r=%lld, "
		    "scrypt_p=%lld need more than 256 MiB or 2^23 blocks",
		    path, (long long)cfg->scrypt_ln, (long long)cfg->scrypt_r,
		    (long long)cfg->scrypt_p);
		return false;
	}
	if (!log_level_parse(cfg->log_level, &lvl)) {
		*why = xasprintf("%s: log_level must be debug, info, warn or "
		    "error, not \"%s\"", path, cfg->log_level);
		return false;
	}
	if (!redis_sentinels_check(&cfg->redis, "redis_", path, why) ||
	    !redis_sentinels_check(&cfg->queue_redis, "queue_redis_", path,
	    why) ||
	    !redis_auth_check(&cfg->redis, "redis_", path, why) ||
	    !redis_auth_check(&cfg->queue_redis, "queue_redis_", path, why))
		return false;
	if (!db_tls_check(cfg, path, why))
		return false;
	if (!payment_check(cfg, path, why))
		return false;
	if (!fulfilment_check(cfg, path, why))
		return false;
	if (cfg->db_name[0] == '\0' || cfg->db_user[0] == '\0') {
		*why = xasprintf("%s: db_name and db_user must be set", path);
		return false;
	}
	/* A password without its account would silently go unused. */
	if (cfg->migrate_db_user[0] == '\0' &&
	    (cfg->migrate_db_password[0] != '\0' ||
	    cfg->migrate_db_password_file[0] != '\0')) {
		*why = xasprintf("%s: migrate_db_password and "
		    "migrate_db_password_file need migrate_db_user", path);
		return false;
	}
	if (cfg->migrate_db_password[0] != '\0' &&
	    cfg->migrate_db_password_file[0] != '\0') {
		*why = xasprintf("%s: set migrate_db_password or "
		    "migrate_db_password_file, not both", path);
		return false;
	}
	return true;
}

/* Reads a whole file (new string) or returns NULL with *why set. */
static char *
slurp(const char *path, char **why)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		int saved = errno;	/* the caller tells ENOENT apart */

		*why = xasprintf("%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > CONFIG_MAX_FILE)
			break;
	}
	if (ferror(f) || b.len > CONFIG_MAX_FILE) {
		*why = xasprintf("%s: %s", path, ferror(f) ?
		    strerror(errno) : "file too large");
		fclose(f);
		buf_free(&b);
		return NULL;
	}
	fclose(f);
	return buf_take(&b);
}

/* Reads a secret file: one line, its newline optional (new string). */
static char *
password_file(const char *path, char **why)
{
	char *text;
	size_t n;

	if ((text = slurp(path, why)) == NULL)
		return NULL;
	n = strlen(text);
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (n > 0 && text[n - 1] == '\r')
		text[--n] = '\0';
	if (n == 0 || strchr(text, '\n') != NULL) {
		*why = xasprintf("%s: must hold the secret on one line",
		    path);
		free(text);
		return NULL;
	}
	return text;
}

/*
 * A secret set by its key or read from its _file key, never both, so no
 * secret has to sit in an environment variable. The file is read at load:
 * a missing one stops the start, not a later request.
 */
static bool
secret_from_file(char **secret, char **file, const char *name,
    const char *path, char **why)
{
	char *text, *inner;

	if ((*file)[0] == '\0')
		return true;
	if ((*secret)[0] != '\0') {
		*why = xasprintf("%s: set %s or %s_file, not both", path, name,
		    name);
		return false;
	}
	if ((text = password_file(*file, why)) == NULL) {
		inner = *why;
		*why = xasprintf("%s: %s_file %s", path, name, inner);
		free(inner);
		return false;
	}
	free(*secret);
	*secret = text;
	return true;
}

/* The two passwords of one Redis's settings from their _file keys;
 * set->keys is the keys' prefix. */
static bool
redis_secrets(struct redis_settings *set, const char *path, char **why)
{
	char name[64];

	snprintf(name, sizeof(name), "%spassword", set->keys);
	if (!secret_from_file(&set->password, &set->password_file, name,
	    path, why))
		return false;
	snprintf(name, sizeof(name), "%ssentinel_password", set->keys);
	return secret_from_file(&set->sentinel_password,
	    &set->sentinel_password_file, name, path, why);
}

enum inv_err
config_load_string(struct config *cfg, const char *text,
    const char *path_for_msgs, char **why)
{
	config_defaults(cfg);
	cfg->redis.keys = "redis_";
	cfg->queue_redis.keys = "queue_redis_";
	*why = NULL;
	if (!config_parse(cfg, text, path_for_msgs, why) ||
	    !config_env(cfg, why) ||
	    !secret_from_file(&cfg->jwt_secret, &cfg->jwt_secret_file,
	    "jwt_secret", path_for_msgs, why) ||
	    !secret_from_file(&cfg->db_password, &cfg->db_password_file,
	    "db_password", path_for_msgs, why) ||
	    !secret_from_file(&cfg->fulfilment_secret,
	    &cfg->fulfilment_secret_file, "fulfilment_secret", path_for_msgs,
	    why) ||
	    !redis_secrets(&cfg->redis, path_for_msgs, why) ||
	    !redis_secrets(&cfg->queue_redis, path_for_msgs, why) ||
	    !config_check(cfg, path_for_msgs, why)) {
		config_free(cfg);
		return INV_CONFIG;
	}
	return INV_OK;
}

enum inv_err
config_load(struct config *cfg, const char *path, char **why)
{
	enum inv_err rc;
	bool optional = false;
	char *text;

	*why = NULL;
	if (path == NULL || *path == '\0')
		path = getenv("INVENTORY_CONFIG");
	if (path == NULL || *path == '\0') {
		/* Only the default may be absent: settings can come from the
		 * environment alone. */
		path = config_default_path();
		optional = true;
	}
	if ((text = slurp(path, why)) == NULL) {
		if (!optional || errno != ENOENT)
			return INV_IO;
		free(*why);
		*why = NULL;
		text = xstrdup("");
	}
	rc = config_load_string(cfg, text, path, why);
	free(text);
	return rc;
}

enum inv_err
config_owner(const struct config *cfg, char **user, char **password,
    char **why)
{
	*why = NULL;
	*user = *password = NULL;
	if (cfg->migrate_db_user[0] == '\0') {
		*user = xstrdup(cfg->db_user);
		*password = xstrdup(cfg->db_password);
		return INV_OK;
	}
	if (cfg->migrate_db_password_file[0] != '\0') {
		*password = password_file(cfg->migrate_db_password_file, why);
		if (*password == NULL) {
			char *inner = *why;

			*why = xasprintf("migrate_db_password_file %s", inner);
			free(inner);
			return INV_IO;
		}
	} else
		*password = xstrdup(cfg->migrate_db_password);
	*user = xstrdup(cfg->migrate_db_user);
	return INV_OK;
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == KEY_STR) {
			char **p = (char **)(void *)((char *)cfg + keys[i].off);

			free(*p);
			*p = NULL;
		}
}

bool
config_startup(struct config *cfg, const char *path, const char *prog)
{
	enum log_level lvl;
	char *why;

	log_init();
	if (config_load(cfg, path, &why) != INV_OK) {
		fprintf(stderr, "%s%s: %s\n", log_prefix(LOG_LVL_ERROR), prog,
		    why);
		free(why);
		return false;
	}
	/* config_check() accepted the level, so this cannot fail. */
	log_level_parse(cfg->log_level, &lvl);
	log_set_level(lvl);
	return true;
}
