/*
 * check_config.c: parsing, defaults, environment overrides and every
 * reason the programs refuse to start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

#define SECRET "jwt_secret = 0123456789abcdef0123456789abcdef\n"

static void
clear_env(void)
{
	unsetenv("INVENTORY_CONFIG");
	unsetenv("INVENTORY_DB_PASSWORD");
	unsetenv("INVENTORY_DB_PORT");
	unsetenv("INVENTORY_JWT_SECRET");
	unsetenv("INVENTORY_LOG_LEVEL");
	unsetenv("INVENTORY_MIGRATE_DB_USER");
	unsetenv("INVENTORY_QUEUE_REDIS_DB");
	unsetenv("INVENTORY_QUEUE_REDIS_PORT");
}

/* Loads text and expects refusal with a reason containing want. */
static void
refused(const char *text, const char *want)
{
	struct config cfg;
	char *why = NULL;

	ck_assert_int_eq(config_load_string(&cfg, text, "t.conf", &why),
	    INV_CONFIG);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, want) != NULL, "reason \"%s\" lacks \"%s\"",
	    why, want);
	ck_assert_ptr_null(strchr(why, '\n'));	/* one line */
	free(why);
}

START_TEST(defaults)
{
	struct config cfg;
	char *why;

	ck_assert_int_eq(config_load_string(&cfg, SECRET, "t", &why), INV_OK);
	ck_assert_str_eq(cfg.db_host, "127.0.0.1");
	ck_assert_int_eq(cfg.db_port, 3306);
	ck_assert_str_eq(cfg.db_socket, "");
	ck_assert_int_eq(cfg.redis.connect_timeout_ms, 50);
	ck_assert_int_eq(cfg.access_token_ttl, 1800);
	ck_assert_int_eq(cfg.refresh_token_ttl, 604800);
	ck_assert_int_eq(cfg.scrypt_ln, 14);
	ck_assert_int_eq(cfg.scrypt_r, 8);
	ck_assert_int_eq(cfg.scrypt_p, 5);
	ck_assert_str_eq(cfg.log_level, "info");
	ck_assert_int_eq(cfg.cache_ttl_low_stock, 180);
	ck_assert_int_eq(cfg.queue_max_attempts, 5);
	ck_assert(cfg.payment_failure_rate == 0.0);
	config_free(&cfg);
}
END_TEST

START_TEST(file_syntax)
{
	struct config cfg;
	char *why;

	ck_assert_int_eq(config_load_string(&cfg,
	    "# comment\n; another\n[database]\n"
	    "  db_name =  shop  \n"
	    "db_password = \" spaced # kept \"\n"
	    "db_port=3307\n\npayment_failure_rate = 0.25\n" SECRET, "t", &why),
	    INV_OK);
	ck_assert(cfg.payment_failure_rate == 0.25);
	ck_assert_str_eq(cfg.db_name, "shop");
	ck_assert_str_eq(cfg.db_password, " spaced # kept ");
	ck_assert_int_eq(cfg.db_port, 3307);
	config_free(&cfg);
}
END_TEST

START_TEST(environment_overrides_file)
{
	struct config cfg;
	char *why;

	setenv("INVENTORY_DB_PORT", "4000", 1);
	setenv("INVENTORY_LOG_LEVEL", "debug", 1);
	ck_assert_int_eq(config_load_string(&cfg, "db_port = 3307\n" SECRET,
	    "t", &why), INV_OK);
	ck_assert_int_eq(cfg.db_port, 4000);
	ck_assert_str_eq(cfg.log_level, "debug");
	config_free(&cfg);
	clear_env();
}
END_TEST

START_TEST(environment_alone_is_enough)
{
	struct config cfg;
	char *why;

	setenv("INVENTORY_JWT_SECRET", "abcdefghijklmnopqrstuvwxyz0123456789",
	    1);
	ck_assert_int_eq(config_load_string(&cfg, "", "t", &why), INV_OK);
	ck_assert_str_eq(cfg.jwt_secret, "abcdefghijklmnopqrstuvwxyz0123456789");
	config_free(&cfg);
	clear_env();
}
END_TEST

START_TEST(refuses_bad_settings)
{
	refused("", "jwt_secret must be at least 32 bytes");
	refused("jwt_secret = short\n", "jwt_secret must be at least 32");
	refused(SECRET "no_such_key = 1\n", "unknown key \"no_such_key\"");
	refused(SECRET "db_port = 70000\n", "db_port must be an integer");
	refused(SECRET "db_port = 33x\n", "db_port must be an integer");
	refused(SECRET "db_port =\n", "db_port must be an integer");
	refused(SECRET "scrypt_ln = 40\n", "scrypt_ln");
	refused(SECRET "scrypt_ln = 20\n", "256 MiB");
	refused(SECRET "just words\n", "t.conf:2: expected");
	refused(SECRET "log_level = loud\n", "log_level");
	refused(SECRET "payment_failure_rate = 1.5\n", "payment_failure_rate");
	refused(SECRET "payment_failure_rate = nan\n", "payment_failure_rate");
	refused(SECRET "payment_failure_rate = 0.5x\n", "payment_failure_rate");
	refused(SECRET "db_name =\n", "db_name and db_user");
	refused(SECRET "migrate_db_password = x\n",
	    "migrate_db_password and migrate_db_password_file need "
	    "migrate_db_user");
	refused(SECRET "migrate_db_password_file = /etc/pw\n",
	    "need migrate_db_user");
	refused(SECRET "migrate_db_user = o\nmigrate_db_password = x\n"
	    "migrate_db_password_file = /etc/pw\n", "not both");
}
END_TEST

START_TEST(sentinel_lists)
{
	struct config cfg;
	char *why;

	ck_assert_int_eq(config_load_string(&cfg, SECRET
	    "redis_sentinels = 10.0.0.5:26379, [::1]:26380,/run/s.sock\n"
	    "redis_master_name = cache\n"
	    "queue_redis_sentinels = s1:26379\n"
	    "queue_redis_master_name = queue\n", "t", &why), INV_OK);
	ck_assert_str_eq(cfg.redis.master_name, "cache");
	ck_assert_str_eq(cfg.queue_redis.sentinels, "s1:26379");
	config_free(&cfg);
	refused(SECRET "redis_sentinels = s1:26379\n",
	    "redis_sentinels needs redis_master_name");
	refused(SECRET "queue_redis_sentinels = s1:26379\n",
	    "queue_redis_sentinels needs queue_redis_master_name");
	refused(SECRET "redis_master_name = m\nredis_sentinels = s1\n",
	    "\"s1\" is neither host:port nor a socket path");
	refused(SECRET "redis_master_name = m\nredis_sentinels = s1:0\n",
	    "\"s1:0\" is neither");
	refused(SECRET "redis_master_name = m\n"
	    "redis_sentinels = s1:26379,,s2:26379\n", "\"\" is neither");
	refused(SECRET "redis_master_name = m\nredis_sentinels = :26379\n",
	    "\":26379\" is neither");
}
END_TEST

/* Expects every setting of one Redis. */
static void
redis_is(const struct redis_settings *r, const char *host, int64_t port,
    const char *socket, int64_t db, int64_t connect_ms, int64_t command_ms,
    const char *sentinels, const char *master_name)
{
	ck_assert_str_eq(r->host, host);
	ck_assert_int_eq(r->port, port);
	ck_assert_str_eq(r->socket, socket);
	ck_assert_int_eq(r->db, db);
	ck_assert_int_eq(r->connect_timeout_ms, connect_ms);
	ck_assert_int_eq(r->command_timeout_ms, command_ms);
	ck_assert_str_eq(r->sentinels, sentinels);
	ck_assert_str_eq(r->master_name, master_name);
}

/* The cache's redis_* and the queue's queue_redis_* keys are twins: the
 * same keys and defaults but for the timeouts, each landing in its own
 * settings, from the file and from the environment. */
START_TEST(redis_key_twins)
{
	struct config cfg;
	char *why;

	ck_assert_int_eq(config_load_string(&cfg, SECRET, "t", &why), INV_OK);
	redis_is(&cfg.redis, "127.0.0.1", 6379, "", 0, 50, 50, "", "");
	redis_is(&cfg.queue_redis, "127.0.0.1", 6379, "", 0, 200, 2000, "",
	    "");
	config_free(&cfg);

	setenv("INVENTORY_QUEUE_REDIS_DB", "5", 1);
	ck_assert_int_eq(config_load_string(&cfg, SECRET
	    "redis_host = c\nredis_port = 7001\nredis_socket = /c.sock\n"
	    "redis_db = 1\nredis_connect_timeout_ms = 11\n"
	    "redis_command_timeout_ms = 12\nredis_sentinels = c:1\n"
	    "redis_master_name = cm\n"
	    "queue_redis_host = q\nqueue_redis_port = 7002\n"
	    "queue_redis_socket = /q.sock\nqueue_redis_db = 2\n"
	    "queue_redis_connect_timeout_ms = 21\n"
	    "queue_redis_command_timeout_ms = 122\n"
	    "queue_redis_sentinels = q:2\nqueue_redis_master_name = qm\n",
	    "t", &why), INV_OK);
	redis_is(&cfg.redis, "c", 7001, "/c.sock", 1, 11, 12, "c:1", "cm");
	redis_is(&cfg.queue_redis, "q", 7002, "/q.sock", 5, 21, 122, "q:2",
	    "qm");
	config_free(&cfg);
	clear_env();

	/* Each prefix keeps its own bounds and names itself. */
	refused(SECRET "redis_command_timeout_ms = 0\n",
	    "t.conf:2: redis_command_timeout_ms must be an integer from 1 to "
	    "60000, not \"0\"");
	refused(SECRET "queue_redis_command_timeout_ms = 99\n",
	    "t.conf:2: queue_redis_command_timeout_ms must be an integer from "
	    "100 to 60000, not \"99\"");
	setenv("INVENTORY_QUEUE_REDIS_PORT", "0", 1);
	refused(SECRET, "environment INVENTORY_QUEUE_REDIS_PORT: "
	    "queue_redis_port must be an integer from 1 to 65535");
	clear_env();
}
END_TEST

START_TEST(refuses_bad_environment)
{
	setenv("INVENTORY_DB_PORT", "nope", 1);
	refused(SECRET, "environment INVENTORY_DB_PORT");
	clear_env();
}
END_TEST

START_TEST(unreadable_file_is_refused)
{
	struct config cfg;
	char *why = NULL;

	ck_assert_int_eq(config_load(&cfg, "/nonexistent/inventory.conf",
	    &why), INV_IO);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/inventory.conf"));
	free(why);
	setenv("INVENTORY_CONFIG", "/nonexistent/x.conf", 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &why), INV_IO);
	free(why);
	clear_env();
}
END_TEST

/* The temporary files of the test running, removed by temps_remove
 * (the fixture's teardown). */
static char temps[8][32];
static int ntemps;

/* A new temporary file holding text: its name (static). */
static const char *
temp_file(const char *text)
{
	char *path;
	int fd;
	FILE *f;

	ck_assert_int_lt(ntemps, (int)(sizeof(temps) / sizeof(temps[0])));
	path = temps[ntemps++];
	snprintf(path, sizeof(temps[0]), "/tmp/check_config_XXXXXX");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static void
temps_remove(void)
{
	while (ntemps > 0)
		unlink(temps[--ntemps]);
}

START_TEST(file_from_environment)
{
	const char *path = temp_file("db_name = fromfile\n" SECRET);
	struct config cfg;
	char *why;

	setenv("INVENTORY_CONFIG", path, 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &why), INV_OK);
	ck_assert_str_eq(cfg.db_name, "fromfile");
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, &why), INV_OK);
	config_free(&cfg);
	clear_env();
}
END_TEST

/* config_owner(cfg): expects rc, and on success that user and password;
 * on failure a one-line reason that contains user. */
static void
owner_is(const struct config *cfg, enum inv_err rc, const char *user,
    const char *password)
{
	char *u = NULL, *p = NULL, *why = NULL;

	ck_assert_int_eq(config_owner(cfg, &u, &p, &why), rc);
	if (rc == INV_OK) {
		ck_assert_str_eq(u, user);
		ck_assert_str_eq(p, password);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_ptr_null(u);
		ck_assert_ptr_null(p);
		ck_assert_msg(why != NULL && strstr(why, user) != NULL &&
		    strchr(why, '\n') == NULL, "reason \"%s\" lacks \"%s\"",
		    why, user);
	}
	free(u);
	free(p);
	free(why);
}

/* The schema owner for inventoryctl migrate: its own account when set,
 * its password from a file read only when asked for, else db_user. */
START_TEST(schema_owner)
{
	const char *pw1, *pw2, *pw3, *pw4;
	struct config cfg;
	char *text, *why;

	ck_assert_int_eq(config_load_string(&cfg, SECRET "db_user = app\n"
	    "db_password = apppw\n", "t", &why), INV_OK);
	owner_is(&cfg, INV_OK, "app", "apppw");
	config_free(&cfg);

	ck_assert_int_eq(config_load_string(&cfg, SECRET "db_user = app\n"
	    "migrate_db_user = owner\nmigrate_db_password = \" o pw\"\n", "t",
	    &why), INV_OK);
	owner_is(&cfg, INV_OK, "owner", " o pw");
	config_free(&cfg);

	/* The environment names it like any key. */
	setenv("INVENTORY_MIGRATE_DB_USER", "envowner", 1);
	ck_assert_int_eq(config_load_string(&cfg, SECRET, "t", &why), INV_OK);
	owner_is(&cfg, INV_OK, "envowner", "");
	config_free(&cfg);
	unsetenv("INVENTORY_MIGRATE_DB_USER");

	/* One line, its newline (CR LF too) not part of the password. */
	pw1 = temp_file("filepw\n");
	pw2 = temp_file("crlf pw\r\n");
	pw3 = temp_file("two\nlines\n");
	pw4 = temp_file("");
	text = xasprintf(SECRET "migrate_db_user = owner\n"
	    "migrate_db_password_file = %s\n", pw1);
	ck_assert_int_eq(config_load_string(&cfg, text, "t", &why), INV_OK);
	free(text);
	owner_is(&cfg, INV_OK, "owner", "filepw");
	free(cfg.migrate_db_password_file);
	cfg.migrate_db_password_file = xstrdup(pw2);
	owner_is(&cfg, INV_OK, "owner", "crlf pw");
	free(cfg.migrate_db_password_file);
	cfg.migrate_db_password_file = xstrdup(pw3);
	owner_is(&cfg, INV_IO, pw3, NULL);
	free(cfg.migrate_db_password_file);
	cfg.migrate_db_password_file = xstrdup(pw4);
	owner_is(&cfg, INV_IO, pw4, NULL);
	config_free(&cfg);

	/* Loading never reads it: the service starts without access. */
	ck_assert_int_eq(config_load_string(&cfg, SECRET
	    "migrate_db_user = owner\n"
	    "migrate_db_password_file = /nonexistent/pw\n", "t", &why),
	    INV_OK);
	owner_is(&cfg, INV_IO, "/nonexistent/pw", NULL);
	config_free(&cfg);
}
END_TEST

/* Refused with a reason naming key and file: the file's text is the value. */
static void
secret_file_refused(const char *key, const char *file, const char *want)
{
	char *text = xasprintf("%s%s_file = %s\n",
	    strcmp(key, "jwt_secret") == 0 ? "" : SECRET, key, file);

	refused(text, want);
	free(text);
}

START_TEST(secret_files)
{
	const char *shrt = temp_file("short\n"),
	    *jwt = temp_file("fedcba9876543210fedcba9876543210\n"),
	    *dbpw = temp_file("db pw\r\n"), *two = temp_file("two\nlines\n"),
	    *empty = temp_file("");
	struct config cfg;
	char *text, *why;

	text = xasprintf("jwt_secret_file = %s\ndb_password_file = %s\n",
	    jwt, dbpw);
	ck_assert_int_eq(config_load_string(&cfg, text, "t", &why), INV_OK);
	free(text);
	ck_assert_str_eq(cfg.jwt_secret, "fedcba9876543210fedcba9876543210");
	ck_assert_str_eq(cfg.db_password, "db pw");
	config_free(&cfg);

	/* The file's secret is checked like the key's. */
	secret_file_refused("jwt_secret", shrt, "at least 32 bytes");
	secret_file_refused("jwt_secret", two, "must hold the secret on one");
	secret_file_refused("db_password", empty, "must hold the secret on one");
	secret_file_refused("db_password", "/nonexistent/pw",
	    "db_password_file /nonexistent/pw: No such file");
	refused(SECRET "jwt_secret_file = /etc/s\n",
	    "set jwt_secret or jwt_secret_file, not both");
	refused(SECRET "db_password = x\ndb_password_file = /etc/pw\n",
	    "set db_password or db_password_file, not both");
	/* The environment counts as setting the key. */
	setenv("INVENTORY_DB_PASSWORD", "envpw", 1);
	secret_file_refused("db_password", dbpw, "not both");
	unsetenv("INVENTORY_DB_PASSWORD");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, clear_env, temps_remove);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, file_syntax);
	tcase_add_test(tc, environment_overrides_file);
	tcase_add_test(tc, environment_alone_is_enough);
	tcase_add_test(tc, refuses_bad_settings);
	tcase_add_test(tc, sentinel_lists);
	tcase_add_test(tc, redis_key_twins);
	tcase_add_test(tc, refuses_bad_environment);
	tcase_add_test(tc, unreadable_file_is_refused);
	tcase_add_test(tc, file_from_environment);
	tcase_add_test(tc, schema_owner);
	tcase_add_test(tc, secret_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(config_suite(), NULL);
}
