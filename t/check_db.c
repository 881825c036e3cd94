/*
 * check_db.c: db.c, migrate.c and schema/ against a real MariaDB.
 *
 * Integration suite: skipped (77) unless INVENTORY_TEST_SERVICES=1; the
 * database comes from the config named by $INVENTORY_CONFIG, as for the
 * programs. Each test opens its own handle in its own (Check-forked)
 * process, migrates if needed and empties the tables it touches.
 *
 * Reading arbitrary rows needs statements the program does not have, so
 * facts about the data are checked in SQL instead: sql_check() runs a
 * condition on the server and fails the script when it is false.
 */

#include <inttypes.h>
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"

static struct config cfg;	/* loaded once in main, before the forks */
static struct db *db;		/* per test: setup() and teardown() */
static struct db *odb;		/* the same as the schema owner */

/* Child tables first, so the foreign keys never refuse the deletes. */
static const char clean_sql[] =
	"DELETE FROM stock_movements; DELETE FROM order_items; "
	"DELETE FROM idempotency_keys; DELETE FROM refresh_tokens; "
	"DELETE FROM orders; DELETE FROM inventory; DELETE FROM products; "
	"DELETE FROM users";

/* Drops every table of the current database, whatever migrations made. */
static const char drop_all_sql[] =
	"SET FOREIGN_KEY_CHECKS = 0; "
	"SET @t = (SELECT GROUP_CONCAT('`', table_name, '`') "
	"    FROM information_schema.tables WHERE table_schema = DATABASE()); "
	"SET @s = CONCAT('DROP TABLE IF EXISTS ', "
	"    COALESCE(@t, 'check_db_nothing_to_drop')); "
	"PREPARE drop_all FROM @s; EXECUTE drop_all; "
	"DEALLOCATE PREPARE drop_all; SET FOREIGN_KEY_CHECKS = 1";

/* The schema owner's handle (migrate_db_user), as inventoryctl
 * migrate opens it (new). */
static struct db *
open_owner(const struct config *c)
{
	struct db *d = NULL;
	char *why = NULL;

	if (db_open_owner(&d, c, &why) != INV_OK)
		ck_abort_msg("schema owner: %s", why);
	return d;
}

static void
setup(void)
{
	ck_assert_int_eq(db_open(&db, &cfg), INV_OK);
	odb = open_owner(&cfg);
	ck_assert_int_eq(migrate_apply(odb, NULL), INV_OK);
	ck_assert_int_eq(db_exec_script(db, clean_sql), INV_OK);
}

static void
teardown(void)
{
	db_close(db);
	db_close(odb);
	db = odb = NULL;
}

/* Runs cond (trusted SQL) on the server: INV_OK when it holds. A NULL
 * result counts as false. */
static enum inv_err
sql_check(struct db *d, const char *cond)
{
	enum inv_err rc;
	char *sql;

	sql = xasprintf("BEGIN NOT ATOMIC IF NOT COALESCE((%s), FALSE) THEN "
	    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'sql_check failed'; "
	    "END IF; END", cond);
	rc = db_exec_script(d, sql);
	free(sql);
	return rc;
}

#define ck_sql(cond) \
	ck_assert_msg(sql_check(db, (cond)) == INV_OK, "false in SQL: %s", \
	    (cond))

/* Inserts a user and returns its id. */
static int64_t
add_user(struct db *d, const char *email, const char *name, int admin)
{
	struct db_val p[4] = { DB_STR(email), DB_STR(name),
	    DB_STR("$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA"), DB_INT(admin) };
	uint64_t id = 0, n = 0;

	ck_assert_int_eq(db_exec(d, STMT_USER_INSERT, p, 4, NULL, &n, &id),
	    INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_gt(id, 0);
	return (int64_t)id;
}

static int64_t
user_count(struct db *d)
{
	struct db_res *r = NULL;
	int64_t n;

	ck_assert_int_eq(db_exec(d, STMT_USER_COUNT, NULL, 0, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	n = db_res_int(r, 0, 0);
	db_res_free(r);
	return n;
}

/* Runs STMT_USER_COUNT with db_slow_statement_ms = ms; returns what
 * this process logged meanwhile (new). */
static char *
count_logging(double ms)
{
	char file[] = "check_db-log.XXXXXX";
	struct stat st;
	char *text;
	int saved, fd;
	ssize_t n;

	cfg.db_slow_statement_ms = ms;	/* db borrows cfg */
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(fd = mkstemp(file), 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	user_count(db);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	ck_assert_int_eq(fstat(fd, &st), 0);
	text = xcalloc(1, (size_t)st.st_size + 1);
	n = pread(fd, text, (size_t)st.st_size, 0);
	close(fd);
	unlink(file);
	ck_assert_int_eq(n, st.st_size);
	return text;
}

/* The count of STMT_USER_COUNT runs in this process's /metrics. */
static long long
count_runs(void)
{
	static const char key[] = "inventory_db_statement_duration_seconds"
	    "_count{statement=\"user_count\"} ";
	struct buf b;
	const char *p;
	long long n;

	buf_init(&b);
	metrics_render(&b);
	p = strstr(b.data, key);
	n = p != NULL ? atoll(p + strlen(key)) : 0;
	buf_free(&b);
	return n;
}

START_TEST(test_statements_timed_and_slow_logged)
{
	char *text;

	/* This process's own counters, not the served ones' file. */
	cfg.metrics_file[0] = '\0';
	metrics_init(&cfg);
	user_count(db);
	ck_assert_int_eq(count_runs(), 1);
	text = count_logging(0.001);
	ck_assert_msg(strstr(text, "level=warn") != NULL &&
	    strstr(text, "slow statement=user_count duration_ms=") != NULL,
	    "not logged: %s", text);
	free(text);
	text = count_logging(3600000);
	ck_assert_msg(strstr(text, "slow statement") == NULL, "logged: %s",
	    text);
	free(text);
	text = count_logging(0);	/* off */
	ck_assert_msg(strstr(text, "slow statement") == NULL, "logged: %s",
	    text);
	free(text);
	ck_assert_int_eq(count_runs(), 4);
}
END_TEST

/* The migration tests want a database no migration has touched. A
 * scratch database beside the configured one is used when the schema
 * owner may create it; otherwise the configured one is emptied in place
 * (then no other suite must run at the same time). */
START_TEST(test_migrate_fresh)
{
	struct config c2 = cfg;
	struct db *fdb = odb, *other = NULL;
	struct db_res *r = NULL;
	char *scratch, *sql;
	enum stmt bad = STMT__MAX;
	size_t n = 99, i;
	bool own_db;

	scratch = xasprintf("%s_check_fresh", cfg.db_name);
	sql = xasprintf("DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` "
	    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", scratch,
	    scratch);
	own_db = db_exec_script(odb, sql) == INV_OK;
	free(sql);
	if (own_db) {
		c2.db_name = scratch;
		other = open_owner(&c2);
		fdb = other;
	} else {
		log_warn("check_db: no CREATE DATABASE; migrating in place");
		ck_assert_int_eq(db_exec_script(odb, drop_all_sql), INV_OK);
	}

	/* Before: not a single table, so the versions table is missing. */
	ck_assert_int_eq(db_exec(fdb, STMT_MIGRATION_VERSIONS, NULL, 0, &r,
	    NULL, NULL), INV_NOTFOUND);
	ck_assert_ptr_null(r);
	ck_assert_int_ne(db_prepare_all(fdb, &bad), INV_OK);
	ck_assert_int_lt(bad, STMT__MAX);

	ck_assert_int_eq(migrate_apply(fdb, &n), INV_OK);
	ck_assert_uint_eq(n, nmigrations);
	ck_assert_int_eq(migrate_apply(fdb, &n), INV_OK);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(db_exec(fdb, STMT_MIGRATION_VERSIONS, NULL, 0, &r,
	    NULL, NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), nmigrations);
	for (i = 0; i < nmigrations; i++)
		ck_assert_int_eq(db_res_int(r, i, 0), migrations[i].version);
	db_res_free(r);
	ck_assert_int_eq(db_prepare_all(fdb, &bad), INV_OK);

	if (own_db) {
		db_close(other);
		sql = xasprintf("DROP DATABASE `%s`", scratch);
		ck_assert_int_eq(db_exec_script(odb, sql), INV_OK);
		free(sql);
	}
	free(scratch);
}
END_TEST

/* setup() migrated already, whether or not the harness had. */
START_TEST(test_migrate_again_applies_none)
{
	size_t n = 99;

	ck_assert_int_eq(migrate_apply(odb, &n), INV_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* The schema-drift test: every statement of the table prepares, as the
 * service's own account (preparing checks its privileges too), with as
 * many result columns as the enum callers read them by. */
START_TEST(test_prepare_all)
{
	enum stmt bad = STMT__MAX;

	ck_assert_int_eq(db_prepare_all(db, &bad), INV_OK);
	ck_assert_int_eq(bad, STMT__MAX);
}
END_TEST

/*
 * MariaDB describes the RETURNING of an INSERT only once it has run, so
 * db_prepare_all cannot count its columns: each such statement runs here,
 * and db_exec refuses a result whose columns are not the ones its row of
 * the statement table gives (the enum callers read it by).
 */
START_TEST(test_returning_columns)
{
	struct db_val prod[8] = { DB_STR("p1"), DB_STR("P1"), DB_NULL,
	    DB_STR("5.00"), DB_NULL, DB_NULL, DB_NULL, DB_NULL };
	struct db_val inv[5], ord[6], items[2], moves[5];
	struct db_res *r = NULL;
	int64_t uid, oid;
	uint64_t pid = 0;
	char *json;

	uid = add_user(db, "buyer@example.org", "Buyer", 0);
	ck_assert_int_eq(db_exec(db, STMT_PRODUCT_INSERT, prod, 8, NULL, NULL,
	    &pid), INV_OK);
	inv[0] = DB_INT((int64_t)pid);
	inv[1] = DB_INT(5);
	inv[2] = inv[3] = inv[4] = DB_INT(0);
	ck_assert_int_eq(db_exec(db, STMT_INV_INSERT, inv, 5, NULL, NULL,
	    NULL), INV_OK);

	ord[0] = DB_STR("ORD-0000000A");
	ord[1] = DB_INT(uid);
	ord[2] = DB_STR("5.00");
	ord[3] = DB_STR("here");
	ord[4] = ord[5] = DB_NULL;
	ck_assert_int_eq(db_exec(db, STMT_ORDER_INSERT, ord, 6, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	oid = db_res_int(r, 0, ORDER_COL_ID);
	ck_assert_int_eq(db_res_int(r, 0, ORDER_COL_USER_ID), uid);
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_ADDRESS), "here");
	db_res_free(r);

	json = xasprintf("[[%" PRIu64 ",1,\"5.00\"]]", pid);
	items[0] = DB_INT(oid);
	items[1] = DB_STR(json);
	ck_assert_int_eq(db_exec(db, STMT_ORDER_ITEMS_INSERT, items, 2, &r,
	    NULL, NULL), INV_OK);
	free(json);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, ORDER_ITEM_COL_PRODUCT_ID),
	    (int64_t)pid);
	ck_assert_str_eq(db_res_str(r, 0, ORDER_ITEM_COL_UNIT_PRICE), "5.00");
	db_res_free(r);

	moves[0] = DB_INT(0);
	moves[1] = DB_INT(1);
	moves[2] = DB_STR("test");
	moves[3] = DB_INT(uid);
	moves[4] = DB_INT(oid);
	ck_assert_int_eq(db_exec(db, STMT_ORDER_MOVEMENTS, moves, 5, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, 1), (int64_t)pid);
	db_res_free(r);
}
END_TEST

/* The migration lock is free again after a run. */
START_TEST(test_migrate_releases_lock)
{
	struct db_val p[1] = { DB_STR("inventory_migrate") };
	struct db_res *r = NULL;

	ck_assert_int_eq(db_exec(db, STMT_RELEASE_LOCK, p, 1, &r, NULL, NULL),
	    INV_OK);
	/* NULL: no such lock exists; 0 would mean someone else holds it. */
	ck_assert(db_res_isnull(r, 0, 0));
	db_res_free(r);
}
END_TEST

/*
 * A database that no migration touched, for tests that apply migrations
 * one by one: a scratch database named after the configured one plus
 * suffix when the schema owner may create it (*scratch new, an owner's
 * handle on it), else the configured one emptied (*scratch NULL, the
 * handle odb).
 */
static struct db *
untouched_db(const char *suffix, char **scratch)
{
	/* The handle keeps a pointer to its config to reconnect with: it
	 * must outlive this call. */
	static struct config c2;
	struct db *d = NULL;
	char *sql;

	*scratch = xasprintf("%s%s", cfg.db_name, suffix);
	sql = xasprintf("DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` "
	    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", *scratch,
	    *scratch);
	if (db_exec_script(odb, sql) == INV_OK) {
		c2 = cfg;
		c2.db_name = *scratch;
		d = open_owner(&c2);
	} else {
		log_warn("check_db: no CREATE DATABASE; migrating in place");
		ck_assert_int_eq(db_exec_script(odb, drop_all_sql), INV_OK);
		free(*scratch);
		*scratch = NULL;
		d = odb;
	}
	free(sql);
	return d;
}

/* Undoes untouched_db: drops the scratch database. */
static void
untouched_db_done(struct db *d, char *scratch)
{
	char *sql;

	if (scratch == NULL)
		return;
	db_close(d);
	sql = xasprintf("DROP DATABASE `%s`", scratch);
	ck_assert_int_eq(db_exec_script(odb, sql), INV_OK);
	free(sql);
	free(scratch);
}

#define ck_sql_on(d, cond) \
	ck_assert_msg(sql_check((d), (cond)) == INV_OK, "false in SQL: %s", \
	    (cond))

/* The e-mail column's collation in the current database. */
#define EMAIL_COLLATION "(SELECT collation_name FROM " \
	"information_schema.columns WHERE table_schema = DATABASE() AND " \
	"table_name = 'users' AND column_name = 'email')"
#define HAS_TOKEN_VERSION "EXISTS (SELECT 1 FROM information_schema.columns " \
	"WHERE table_schema = DATABASE() AND table_name = 'users' AND " \
	"column_name = 'token_version')"

/*
 * migration_004_refuses_email_collision: two accounts of a schema before
 * 004 whose addresses are one once trimmed and lower-cased stop 004
 * before it changes anything; once they differ, 004 lower-cases the
 * addresses (ASCII only), makes them compare byte for byte and adds the
 * token version.
 */
START_TEST(test_migrate_004_email_collision)
{
	struct db_val rec[2];
	char *scratch;
	struct db *d = untouched_db("_check_identity", &scratch);
	size_t i, n = 99;

	for (i = 0; i < nmigrations && migrations[i].version < 4; i++) {
		ck_assert_int_eq(db_exec_script(d, migrations[i].sql), INV_OK);
		rec[0] = DB_INT(migrations[i].version);
		rec[1] = DB_STR(migrations[i].name);
		ck_assert_int_eq(db_exec(d, STMT_MIGRATION_RECORD, rec, 2, NULL,
		    NULL, NULL), INV_OK);
	}
	/* Apart under 001's collation (the leading space counts there). */
	ck_assert_int_eq(db_exec_script(d, "INSERT INTO users (email, "
	    "full_name, hashed_password) VALUES (' Ann@X.org', 'A', 'x'), "
	    "('ann@x.org', 'B', 'x'), ('Jos\xc3\xa9@Example.COM', 'C', 'x')"),
	    INV_OK);

	ck_assert_int_ne(migrate_apply(d, &n), INV_OK);
	ck_assert_uint_eq(n, 0);
	ck_sql_on(d, EMAIL_COLLATION " = 'utf8mb4_unicode_ci'");
	ck_sql_on(d, "NOT " HAS_TOKEN_VERSION);
	ck_sql_on(d, "(SELECT COUNT(*) FROM users WHERE BINARY email IN "
	    "(' Ann@X.org', 'ann@x.org', 'Jos\xc3\xa9@Example.COM')) = 3");
	ck_sql_on(d, "NOT EXISTS (SELECT 1 FROM schema_migrations "
	    "WHERE version = 4)");

	/* The operator resolves it; the same run now goes through. */
	ck_assert_int_eq(db_exec_script(d, "DELETE FROM users "
	    "WHERE full_name = 'A'"), INV_OK);
	ck_assert_int_eq(migrate_apply(d, &n), INV_OK);
	ck_assert_uint_eq(n, nmigrations - 3);
	ck_sql_on(d, EMAIL_COLLATION " = 'utf8mb4_bin'");
	ck_sql_on(d, HAS_TOKEN_VERSION);
	ck_sql_on(d, "(SELECT COUNT(*) FROM users WHERE BINARY email IN "
	    "('ann@x.org', 'jos\xc3\xa9@example.com')) = 2");
	/* Accents are distinct now. */
	ck_assert_int_eq(db_exec_script(d, "INSERT INTO users (email, "
	    "full_name, hashed_password) VALUES ('jose@example.com', 'D', "
	    "'x')"), INV_OK);
	untouched_db_done(d, scratch);
}
END_TEST

/*
 * Least privilege: the service's account (db_user) may read and write
 * rows and nothing else. Each statement below is refused to it and leaves
 * the scratch table as it was, and then works for the schema owner, so
 * it is the privilege that stops it, not the SQL.
 */
static const char *const owner_only[] = {
	"DROP TABLE check_db_victim",
	"ALTER TABLE check_db_victim ADD COLUMN b INT",
	"CREATE TABLE check_db_new (a INT)",
	"TRUNCATE TABLE check_db_victim",
	"CREATE INDEX check_db_a ON check_db_victim (a)",
	"CREATE TRIGGER check_db_t BEFORE INSERT ON check_db_victim "
	    "FOR EACH ROW SET NEW.a = 2",
	"CREATE VIEW check_db_v AS SELECT a FROM check_db_victim",
	"CREATE PROCEDURE check_db_p() SELECT 1",
	"CREATE TEMPORARY TABLE check_db_tmp (a INT)",
	"LOCK TABLES check_db_victim WRITE",
};

/* Made again by the owner before each try: one row, nothing else. */
static const char victim_sql[] =
	"UNLOCK TABLES; DROP TEMPORARY TABLE IF EXISTS check_db_tmp; "
	"DROP VIEW IF EXISTS check_db_v; DROP PROCEDURE IF EXISTS check_db_p; "
	"DROP TABLE IF EXISTS check_db_victim, check_db_new; "
	"CREATE TABLE check_db_victim (a INT) ENGINE = InnoDB; "
	"INSERT INTO check_db_victim VALUES (1)";

/* The victim as victim_sql made it: its one column, its one row, no
 * index or neighbour. */
#define VICTIM_INTACT \
	"(SELECT COUNT(*) FROM check_db_victim) = 1 AND " \
	"(SELECT COUNT(*) FROM check_db_victim WHERE a = 1) = 1 AND " \
	"(SELECT COUNT(*) FROM information_schema.columns WHERE " \
	"table_schema = DATABASE() AND table_name = 'check_db_victim') = 1 " \
	"AND (SELECT COUNT(*) FROM information_schema.statistics WHERE " \
	"table_schema = DATABASE() AND table_name = 'check_db_victim') = 0 " \
	"AND (SELECT COUNT(*) FROM information_schema.tables WHERE " \
	"table_schema = DATABASE() AND table_name LIKE 'check\\_db\\_%' " \
	"AND table_name <> 'check_db_victim') = 0"

START_TEST(test_service_account_cannot_change_schema)
{
	const char *st = owner_only[_i];

	ck_assert_int_eq(db_exec_script(odb, victim_sql), INV_OK);
	ck_assert_msg(db_exec_script(db, st) == INV_DB, "the service's "
	    "account (db_user) may run \"%s\": grant it only SELECT, INSERT, "
	    "UPDATE and DELETE, and set migrate_db_user to the schema owner",
	    st);
	/* Rows it may still write; a trigger would have changed this one. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO check_db_victim "
	    "VALUES (3); DELETE FROM check_db_victim WHERE a = 3"), INV_OK);
	ck_sql(VICTIM_INTACT);

	ck_assert_msg(db_exec_script(odb, st) == INV_OK,
	    "the schema owner cannot run \"%s\"", st);
	ck_assert_int_eq(db_exec_script(odb, "DROP TRIGGER IF EXISTS "
	    "check_db_t"), INV_OK);
	ck_assert_int_eq(db_exec_script(odb, victim_sql), INV_OK);
	ck_assert_int_eq(db_exec_script(odb, "DROP TABLE check_db_victim"),
	    INV_OK);
}
END_TEST

/* Checks that s reads YYYY-MM-DDTHH:MM:SSZ and is within two minutes of
 * now as UTC. */
static void
check_iso_utc_now(const char *s)
{
	struct tm tm;
	time_t t;
	size_t i;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), 20);
	for (i = 0; i < 20; i++) {
		switch (i) {
		case 4: case 7:
			ck_assert_int_eq(s[i], '-');
			break;
		case 10:
			ck_assert_int_eq(s[i], 'T');
			break;
		case 13: case 16:
			ck_assert_int_eq(s[i], ':');
			break;
		case 19:
			ck_assert_int_eq(s[i], 'Z');
			break;
		default:
			ck_assert_msg(s[i] >= '0' && s[i] <= '9', "%s", s);
		}
	}
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
	t = timegm(&tm);
	ck_assert_msg(labs((long)(t - time(NULL))) < 120,
	    "created_at %s is not now in UTC", s);
}

START_TEST(test_user_roundtrip)
{
	struct db_val pid[1], pem[1] = { DB_STR("Ann@Example.org") };
	struct db_res *r = NULL;
	int64_t id;

	id = add_user(db, "ann@example.org",
	    "Ann \xc3\x85str\xc3\xb6m \xf0\x9f\x93\xa6", 1);
	pid[0] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_ID, pid, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), id);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_EMAIL), "ann@example.org");
	/* Four-byte UTF-8 survives: the connection is utf8mb4. */
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_FULL_NAME),
	    "Ann \xc3\x85str\xc3\xb6m \xf0\x9f\x93\xa6");
	ck_assert(db_res_bool(r, 0, USER_COL_IS_ACTIVE));
	ck_assert(db_res_bool(r, 0, USER_COL_IS_ADMIN));
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_IS_ADMIN), "1");
	check_iso_utc_now(db_res_str(r, 0, USER_COL_CREATED_AT));
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_HASH),
	    "$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA");
	ck_assert(!db_res_isnull(r, 0, USER_COL_HASH));
	/* Outside the result: NULL, never a crash. */
	ck_assert_ptr_null(db_res_str(r, 1, 0));
	ck_assert_ptr_null(db_res_str(r, 0, USER_COL__MAX));
	db_res_free(r);

	/* The column compares byte for byte: the programs look addresses up
	 * in their canonical form (email_canonical), never another. */
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, pem, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 0);
	db_res_free(r);
	pem[0] = DB_STR("ann@example.org");
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, pem, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), id);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_TOKEN_VERSION), 0);
	db_res_free(r);
}
END_TEST

START_TEST(test_user_not_found_is_empty)
{
	struct db_val p[1] = { DB_STR("nobody@example.org") };
	struct db_res *r = NULL;

	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(db_res_rows(r), 0);
	ck_assert_ptr_null(db_res_str(r, 0, 0));
	ck_assert_int_eq(db_res_int(r, 0, 0), 0);
	db_res_free(r);
	db_res_free(NULL);
}
END_TEST

START_TEST(test_user_list_and_count)
{
	struct db_val p[3] = { DB_INT(0), DB_INT(2), DB_INT(1) };
	struct db_res *r = NULL;
	int64_t ids[3];

	ids[0] = add_user(db, "a@example.org", "A", 0);
	ids[1] = add_user(db, "b@example.org", "B", 0);
	ids[2] = add_user(db, "c@example.org", "C", 0);
	ck_assert_int_eq(user_count(db), 3);
	ck_assert_int_eq(db_exec(db, STMT_USER_LIST, p, 3, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 2);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), ids[1]);
	ck_assert_int_eq(db_res_int(r, 1, USER_COL_ID), ids[2]);
	ck_assert_str_eq(db_res_str(r, 1, USER_COL_EMAIL), "c@example.org");
	/* The list never carries the hash. */
	ck_assert_ptr_null(db_res_str(r, 0, USER_COL_HASH));
	db_res_free(r);
}
END_TEST

/* email_identity_one_per_address: the unique key is on the stored
 * (canonical) form, compared byte for byte: accents are distinct. */
START_TEST(test_duplicate_email_conflicts)
{
	struct db_val p[4] = { DB_STR("bob@example.org"), DB_STR("Bob"),
	    DB_STR("x"), DB_INT(0) };

	add_user(db, "bob@example.org", "Bob", 0);
	ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, p, 4, NULL, NULL, NULL),
	    INV_CONFLICT);
	ck_assert_int_eq(user_count(db), 1);
	/* The connection is fine after the refusal. */
	ck_assert_int_eq(db_ping(db), INV_OK);
	add_user(db, "b\xc3\xb3" "b@example.org", "B\xc3\xb3" "b", 0);
	add_user(db, "bob@ex\xc3\xa4mple.org", "Bob", 0);
	ck_assert_int_eq(user_count(db), 3);
}
END_TEST

/* NULL parameters keep columns (COALESCE); NULL results read as NULL. */
START_TEST(test_null_params_and_results)
{
	struct db_val up[5], lk[1] = { DB_STR("check_db_never_taken") };
	struct db_res *r = NULL;
	uint64_t n = 0;
	int64_t id;
	char *cond;

	id = add_user(db, "nul@example.org", "Kept", 0);
	up[0] = DB_NULL;
	up[1] = DB_INT(0);
	up[2] = DB_INT(0);
	up[3] = DB_INT(1);
	up[4] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 1);
	cond = xasprintf("(SELECT full_name = 'Kept' AND NOT is_active AND "
	    "NOT is_admin AND token_version = 1 FROM users WHERE id = %lld)",
	    (long long)id);
	ck_sql(cond);
	free(cond);
	/* Same values again: still one row, as "affected" counts matches. */
	up[3] = DB_INT(0);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 1);
	up[4] = DB_INT(id + 1000);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(db_exec(db, STMT_RELEASE_LOCK, lk, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert(db_res_isnull(r, 0, 0));
	ck_assert_ptr_null(db_res_str(r, 0, 0));
	ck_assert_int_eq(db_res_int(r, 0, 0), 0);
	ck_assert(!db_res_bool(r, 0, 0));
	db_res_free(r);
}
END_TEST

/* Values near the column limits come back whole. */
START_TEST(test_long_values)
{
	struct db_val p[2], q[1];
	struct db_res *r = NULL;
	char name[256], hash[256];
	int64_t id;

	memset(name, 'n', 255);
	name[255] = '\0';
	memset(hash, 'h', 255);
	hash[255] = '\0';
	id = add_user(db, "long@example.org", name, 0);
	p[0] = DB_STR(hash);
	p[1] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_SET_HASH, p, 2, NULL, NULL,
	    NULL), INV_OK);
	q[0] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_ID, q, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_FULL_NAME), name);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_HASH), hash);
	db_res_free(r);
	/* Too long is refused, not truncated (strict mode). */
	{
		char big[300];
		struct db_val b[4];

		memset(big, 'x', 299);
		big[299] = '\0';
		b[0] = DB_STR("big@example.org");
		b[1] = DB_STR(big);
		b[2] = DB_STR("h");
		b[3] = DB_INT(0);
		ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, b, 4, NULL,
		    NULL, NULL), INV_DB);
	}
	ck_assert_int_eq(user_count(db), 1);
}
END_TEST

/*
 * Integer and time columns are fetched as such and written as the client
 * would write them: a BIGINT past 32 bits, the extremes of INT, NULLs,
 * DATETIMEs; and a result sorted in C keeps each row together. (Not
 * BIGINT's maximum as a product id: the next test's AUTO_INCREMENT
 * would overflow.)
 */
START_TEST(test_typed_cells)
{
	struct db_val p;
	struct db_res *r = NULL;
	int64_t uid = add_user(db, "typed@example.org", "T", 0);
	char *sql;
	size_t row;

	sql = xasprintf("INSERT INTO products (id, sku, name, price) VALUES "
	    "(1099511627776, 'MAX', 'Max', 1.50), (1, 'ONE', 'One', 2); "
	    "INSERT INTO inventory (id, product_id, quantity_in_stock) VALUES "
	    "(7, 1099511627776, 5), (8, 1, 5); "
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason, user_id) VALUES "
	    "(7, 1099511627776, -2147483648, 0, 'min', %" PRId64 "), "
	    "(7, 1099511627776, 2147483647, -1, 'max', NULL); "
	    "INSERT INTO orders (id, order_number, user_id, total_amount, "
	    "shipping_address, created_at, updated_at) VALUES (42, 'ORD-T', "
	    "%" PRId64 ", 3.50, 'a', '2026-01-02 03:04:05', "
	    "'2026-12-31 23:59:59'); "
	    "INSERT INTO order_items (id, order_id, product_id, quantity, "
	    "unit_price) VALUES (20, 42, 1, 1, 2.00), "
	    "(10, 42, 1099511627776, 1, 1.50)", uid, uid);
	ck_assert_int_eq(db_exec_script(db, sql), INV_OK);
	free(sql);

	{
		struct db_val q[4] = { DB_INT(7), DB_INT(INT64_MAX),
		    DB_INT(10), DB_INT(0) };

		ck_assert_int_eq(db_exec(db, STMT_MOVEMENT_LIST, q, 4, &r,
		    NULL, NULL), INV_OK);
	}
	ck_assert_uint_eq(db_res_rows(r), 2);
	/* Newest first: the "max" row, then the "min" one. */
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_PRODUCT_ID),
	    "1099511627776");
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_PRODUCT_ID),
	    INT64_C(1099511627776));
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_CHANGE_IN_STOCK),
	    "2147483647");
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_CHANGE_RESERVED), "-1");
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_CHANGE_RESERVED), -1);
	ck_assert(db_res_isnull(r, 0, MOVEMENT_COL_USER_ID));
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_USER_ID), 0);
	ck_assert_str_eq(db_res_str(r, 1, MOVEMENT_COL_CHANGE_IN_STOCK),
	    "-2147483648");
	ck_assert_int_eq(db_res_int(r, 1, MOVEMENT_COL_CHANGE_IN_STOCK),
	    INT32_MIN);
	ck_assert_int_eq(db_res_int(r, 1, MOVEMENT_COL_USER_ID), uid);
	db_res_free(r);

	p = DB_INT(42);
	ck_assert_int_eq(db_exec(db, STMT_ORDER_BY_ID, &p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_CREATED_AT),
	    "2026-01-02 03:04:05");
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_UPDATED_AT),
	    "2026-12-31 23:59:59");
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_TOTAL), "3.50");
	ck_assert(db_res_isnull(r, 0, ORDER_COL_TRACKING));
	db_res_free(r);

	p = DB_STR("[42]");
	ck_assert_int_eq(db_exec(db, STMT_ORDER_ITEMS_OF, &p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 2);
	db_res_sort(r, ORDER_ITEM_COL_ORDER_ID, ORDER_ITEM_COL_ID);
	for (row = 0; row < 2; row++) {
		ck_assert_int_eq(db_res_int(r, row, ORDER_ITEM_COL_ID),
		    row == 0 ? 10 : 20);
		ck_assert_str_eq(db_res_str(r, row, ORDER_ITEM_COL_PRODUCT_NAME),
		    row == 0 ? "Max" : "One");
		ck_assert_str_eq(db_res_str(r, row, ORDER_ITEM_COL_UNIT_PRICE),
		    row == 0 ? "1.50" : "2.00");
	}
	db_res_free(r);
	ck_assert_int_eq(db_exec_script(db, clean_sql), INV_OK);
	ck_assert_int_eq(db_exec_script(odb, "ALTER TABLE products "
	    "AUTO_INCREMENT = 1"), INV_OK);
}
END_TEST

START_TEST(test_param_count_mismatch)
{
	struct db_val p[1] = { DB_INT(1) };

	ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, p, 1, NULL, NULL, NULL),
	    INV_DB);
	ck_assert_int_eq(db_exec(db, STMT_USER_COUNT, p, 1, NULL, NULL, NULL),
	    INV_DB);
	ck_assert_int_eq(db_exec(db, STMT__MAX, NULL, 0, NULL, NULL, NULL),
	    INV_INVALID);
	ck_assert_int_eq(db_ping(db), INV_OK);
}
END_TEST

START_TEST(test_refresh_tokens)
{
	const char *jti = "0123456789abcdef0123456789abcdef";
	const char *fam = "fedcba9876543210fedcba9876543210";
	struct db_val ins[4], one[1] = { DB_STR(jti) }, f[1] = { DB_STR(fam) };
	struct db_res *r = NULL;
	uint64_t n = 0;
	int64_t uid;

	uid = add_user(db, "tok@example.org", "Tok", 0);
	ins[0] = DB_STR(jti);
	ins[1] = DB_INT(uid);
	ins[2] = DB_STR(fam);
	ins[3] = DB_INT(3600);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_OK);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_CONFLICT);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, 0), uid);
	ck_assert_str_eq(db_res_str(r, 0, 1), fam);
	ck_assert(!db_res_bool(r, 0, 2));	/* used */
	ck_assert(!db_res_bool(r, 0, 3));	/* revoked */
	ck_assert(!db_res_bool(r, 0, 4));	/* expired */
	db_res_free(r);

	/* Used once only. */
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_MARK_USED, one, 1, NULL, &n,
	    NULL), INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_MARK_USED, one, 1, NULL, &n,
	    NULL), INV_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_REVOKE_FAMILY, f, 1, NULL,
	    &n, NULL), INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert(db_res_bool(r, 0, 2));
	ck_assert(db_res_bool(r, 0, 3));
	db_res_free(r);

	/* Already expired (UTC against UTC). */
	ins[0] = DB_STR("11111111111111111111111111111111");
	ins[3] = DB_INT(-1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_OK);
	one[0] = ins[0];
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert(db_res_bool(r, 0, 4));
	db_res_free(r);

	/* A token for no user: the foreign key refuses it. */
	ins[0] = DB_STR("22222222222222222222222222222222");
	ins[1] = DB_INT(uid + 1000);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_CONSTRAINT);
}
END_TEST

START_TEST(test_session_is_utc_and_strict)
{
	ck_sql("@@session.time_zone = '+00:00'");
	ck_sql("TIMESTAMPDIFF(SECOND, NOW(), UTC_TIMESTAMP()) BETWEEN -2 AND 2");
	ck_sql("FIND_IN_SET('STRICT_ALL_TABLES', @@session.sql_mode) > 0");
	ck_sql("@@character_set_connection = 'utf8mb4'");
	/* And sql_check itself can fail. */
	ck_assert_int_eq(sql_check(db, "1 = 0"), INV_DB);
	ck_assert_int_eq(sql_check(db, "NULL"), INV_DB);
}
END_TEST

/* The database refuses what the code must never do (doc/design.md,
 * "Data model"). */
START_TEST(test_schema_constraints)
{
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO products "
	    "(sku, name, price) VALUES ('neg', 'Neg', -0.01)"), INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO products "
	    "(sku, name, price) VALUES ('ab-1', 'a', 1.50), "
	    "('AB-1', 'A', 2.00)"), INV_OK);
	/* SKUs compare case-sensitively, but exactly equal is a duplicate. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO products "
	    "(sku, name, price) VALUES ('ab-1', 'again', 1)"), INV_CONFLICT);
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO inventory "
	    "(product_id, quantity_in_stock, quantity_reserved) SELECT id, 10, "
	    "3 FROM products WHERE sku = 'ab-1'"), INV_OK);
	ck_sql("(SELECT available FROM inventory i JOIN products p ON "
	    "p.id = i.product_id WHERE p.sku = 'ab-1') = 7");
	/* Oversell, negative stock, negative reservation. */
	ck_assert_int_eq(db_exec_script(db, "UPDATE inventory SET "
	    "quantity_reserved = 11"), INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "UPDATE inventory SET "
	    "quantity_in_stock = 2"), INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "UPDATE inventory SET "
	    "quantity_reserved = -1"), INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "UPDATE inventory SET "
	    "reorder_level = -1"), INV_CONSTRAINT);
	/* Stock for a product that does not exist. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO inventory "
	    "(product_id) VALUES (999999999)"), INV_CONSTRAINT);
	ck_sql("(SELECT quantity_in_stock = 10 AND quantity_reserved = 3 "
	    "FROM inventory)");
}
END_TEST

START_TEST(test_schema_order_rules)
{
	add_user(db, "buyer@example.org", "Buyer", 0);
	ck_assert_int_eq(db_exec_script(db,
	    "INSERT INTO products (sku, name, price) VALUES ('p1', 'P1', 5), "
	    "    ('p2', 'P2', 6); "
	    "INSERT INTO inventory (product_id, quantity_in_stock) "
	    "    SELECT id, 5 FROM products; "
	    "INSERT INTO orders (order_number, user_id, shipping_address) "
	    "    SELECT 'ORD-0000000A', id, 'here' FROM users; "
	    "INSERT INTO order_items (order_id, product_id, quantity, "
	    "    unit_price) SELECT o.id, p.id, 1, p.price FROM orders o, "
	    "    products p WHERE p.sku = 'p1'; "
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "    change_in_stock, reason, order_id) SELECT i.id, i.product_id, "
	    "    0, 'test', o.id FROM inventory i, orders o"), INV_OK);
	ck_sql("(SELECT status = 'pending' AND reservation = 'none' AND "
	    "total_amount = 0 FROM orders)");
	/* Quantity bounds, one line per product, ordered products stay. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO order_items "
	    "(order_id, product_id, quantity, unit_price) SELECT o.id, p.id, "
	    "0, 1 FROM orders o, products p WHERE p.sku = 'p2'"),
	    INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO order_items "
	    "(order_id, product_id, quantity, unit_price) SELECT o.id, p.id, "
	    "1000001, 1 FROM orders o, products p WHERE p.sku = 'p2'"),
	    INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO order_items "
	    "(order_id, product_id, quantity, unit_price) SELECT o.id, p.id, "
	    "2, 1 FROM orders o, products p WHERE p.sku = 'p1'"),
	    INV_CONFLICT);
	ck_assert_int_eq(db_exec_script(db, "DELETE FROM products WHERE "
	    "sku = 'p1'"), INV_CONSTRAINT);
	ck_assert_int_eq(db_exec_script(db, "UPDATE orders SET status = "
	    "'lost'"), INV_DB);
	/* An unordered product goes, with its stock and its ledger. */
	ck_assert_int_eq(db_exec_script(db, "DELETE FROM products WHERE "
	    "sku = 'p2'"), INV_OK);
	ck_sql("(SELECT COUNT(*) FROM inventory) = 1");
	ck_sql("(SELECT COUNT(*) FROM stock_movements) = 1");
	/* Deleting the order keeps the ledger, without the reference. */
	ck_assert_int_eq(db_exec_script(db, "DELETE FROM orders"), INV_OK);
	ck_sql("(SELECT COUNT(*) FROM order_items) = 0");
	ck_sql("(SELECT order_id IS NULL FROM stock_movements)");
}
END_TEST

/* Transaction bodies for the tests below. */
struct txarg {
	int		 calls;
	int		 retry_until;	/* return INV_RETRY while calls < this */
	enum inv_err	 fail_with;	/* returned after the insert */
	bool		 twice;		/* insert the same email twice */
	bool		 nest;
};

static enum inv_err
tx_nested_fn(struct db *d, void *arg)
{
	(void)d;
	(void)arg;
	return INV_OK;
}

static enum inv_err
tx_insert_fn(struct db *d, void *arg)
{
	struct txarg *a = arg;
	struct db_val p[4];
	enum inv_err rc;
	char email[64];

	a->calls++;
	snprintf(email, sizeof(email), "tx%d@example.org", a->calls);
	p[0] = DB_STR(email);
	p[1] = DB_STR("Tx");
	p[2] = DB_STR("h");
	p[3] = DB_INT(0);
	if ((rc = db_exec(d, STMT_USER_INSERT, p, 4, NULL, NULL, NULL)) != INV_OK)
		return rc;
	if (a->twice &&
	    (rc = db_exec(d, STMT_USER_INSERT, p, 4, NULL, NULL, NULL)) != INV_OK)
		return rc;
	if (a->nest)
		return db_transaction(d, tx_nested_fn, NULL);
	if (a->calls < a->retry_until)
		return INV_RETRY;
	return a->fail_with;
}

START_TEST(test_tx_commits)
{
	struct txarg a = { 0 };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_OK);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(user_count(db), 1);
}
END_TEST

START_TEST(test_tx_failure_leaves_nothing)
{
	struct txarg a = { .fail_with = INV_INVALID };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_INVALID);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(user_count(db), 0);
	/* The handle is usable and out of the transaction. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO products (sku, name, "
	    "price) VALUES ('after', 'After', 1)"), INV_OK);
	ck_sql("@@in_transaction = 0");
}
END_TEST

START_TEST(test_tx_conflict_rolls_back_all)
{
	struct txarg a = { .twice = true };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_CONFLICT);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

START_TEST(test_tx_retry_reruns)
{
	struct txarg a = { .retry_until = 2 };
	uint64_t before = db_tx_retries(db);

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_OK);
	ck_assert_int_eq(a.calls, 2);
	ck_assert_uint_eq(db_tx_retries(db), before + 1);
	/* Only the second run's work is there. */
	ck_assert_int_eq(user_count(db), 1);
	ck_sql("(SELECT email FROM users) = 'tx2@example.org'");
}
END_TEST

START_TEST(test_tx_retry_gives_up)
{
	struct txarg a = { .retry_until = 1000 };
	int tries = cfg.db_retries > 0 ? (int)cfg.db_retries : 3;
	uint64_t before = db_tx_retries(db);

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_RETRY);
	ck_assert_int_eq(a.calls, tries);
	ck_assert_uint_eq(db_tx_retries(db), before + (uint64_t)tries - 1);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

START_TEST(test_tx_nested_refused)
{
	struct txarg a = { .nest = true };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_DB);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

/*
 * A real deadlock: two handles in two threads each update one user row,
 * meet at a barrier, then update the other's row. InnoDB kills one of
 * them (1213); db_transaction must rerun it so that both commit, each
 * change exactly once.
 */
struct dl_side {
	struct db		*db;
	pthread_barrier_t	*bar;
	int64_t			 first, second;
	const char		*tag;
	int			 calls;
	enum inv_err		 rc;
};

static enum inv_err
dl_update(struct db *d, int64_t id, const char *tag)
{
	enum inv_err rc;
	char *sql;

	sql = xasprintf("UPDATE users SET full_name = CONCAT(full_name, '%s') "
	    "WHERE id = %lld", tag, (long long)id);
	rc = db_exec_script(d, sql);
	free(sql);
	return rc;
}

static enum inv_err
dl_fn(struct db *d, void *arg)
{
	struct dl_side *s = arg;
	enum inv_err rc;

	s->calls++;
	if ((rc = dl_update(d, s->first, s->tag)) != INV_OK)
		return rc;
	/* Only the first run waits: the rerun must not wait for a partner
	 * that has finished. */
	if (s->calls == 1)
		pthread_barrier_wait(s->bar);
	return dl_update(d, s->second, s->tag);
}

static void *
dl_thread(void *arg)
{
	struct dl_side *s = arg;

	s->rc = db_transaction(s->db, dl_fn, s);
	return NULL;
}

START_TEST(test_tx_real_deadlock_retried)
{
	struct dl_side a = { 0 }, b = { 0 };
	pthread_barrier_t bar;
	pthread_t ta, tb;
	int64_t x, y;
	char *cond;

	x = add_user(db, "x@example.org", "x", 0);
	y = add_user(db, "y@example.org", "y", 0);
	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 2), 0);
	a.bar = b.bar = &bar;
	a.first = b.second = x;
	a.second = b.first = y;
	a.tag = "A";
	b.tag = "B";
	/* Opened here: mysql_library_init is not thread-safe. */
	ck_assert_int_eq(db_open(&a.db, &cfg), INV_OK);
	ck_assert_int_eq(db_open(&b.db, &cfg), INV_OK);
	ck_assert_int_eq(pthread_create(&ta, NULL, dl_thread, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, dl_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&bar);

	ck_assert_int_eq(a.rc, INV_OK);
	ck_assert_int_eq(b.rc, INV_OK);
	ck_assert_uint_ge(db_tx_retries(a.db) + db_tx_retries(b.db), 1);
	ck_assert_int_ge(a.calls + b.calls, 3);
	cond = xasprintf("(SELECT full_name IN ('xAB', 'xBA') FROM users "
	    "WHERE id = %lld) AND (SELECT full_name IN ('yAB', 'yBA') FROM "
	    "users WHERE id = %lld)", (long long)x, (long long)y);
	ck_sql(cond);
	free(cond);
	db_close(a.db);
	db_close(b.db);
}
END_TEST

/* An idle connection the server closed costs the caller nothing. */
START_TEST(test_reconnect_after_idle_kill)
{
	uint64_t before;

	/* Cached statements from the first connection must not survive. */
	ck_assert_int_eq(db_ping(db), INV_OK);
	ck_assert_int_eq(user_count(db), 0);
	before = db_reconnects(db);
	ck_assert_int_eq(db_exec_script(db, "SET SESSION wait_timeout = 1"),
	    INV_OK);
	sleep(2);
	ck_assert_int_eq(user_count(db), 0);
	ck_assert_uint_eq(db_reconnects(db), before + 1);
	ck_assert_int_eq(db_ping(db), INV_OK);
	ck_assert_uint_eq(db_reconnects(db), before + 1);
	/* The new session is set up like the first. */
	ck_sql("@@session.time_zone = '+00:00'");

	/* A script whose send fails is retried too: nothing of it ran. */
	ck_assert_int_eq(db_exec_script(db, "SET SESSION wait_timeout = 1"),
	    INV_OK);
	sleep(2);
	ck_assert_int_eq(db_exec_script(db, "SET @check_db = 1"), INV_OK);
	ck_assert_uint_eq(db_reconnects(db), before + 2);

	/* Same for a transaction whose BEGIN finds the connection dead. */
	ck_assert_int_eq(db_exec_script(db, "SET SESSION wait_timeout = 1"),
	    INV_OK);
	sleep(2);
	{
		struct txarg a = { 0 };

		ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_OK);
	}
	ck_assert_uint_eq(db_reconnects(db), before + 3);
	ck_assert_int_eq(user_count(db), 1);
}
END_TEST

struct lost {
	int		 calls;
	uint64_t	 reconnects;	/* seen inside fn, after the loss */
};

static enum inv_err
tx_lose_connection_fn(struct db *d, void *arg)
{
	struct lost *l = arg;
	enum inv_err rc;

	l->calls++;
	if ((rc = db_exec_script(d, "SET SESSION wait_timeout = 1")) != INV_OK)
		return rc;
	add_user(d, "lost@example.org", "Lost", 0);
	sleep(2);
	rc = db_exec(d, STMT_USER_COUNT, NULL, 0, NULL, NULL, NULL);
	ck_assert_int_eq(rc, INV_UNAVAILABLE);
	/* Nothing more runs in this transaction, and no reconnect happens
	 * behind its back (the statements would autocommit). */
	ck_assert_int_eq(db_exec(d, STMT_PING, NULL, 0, NULL, NULL, NULL),
	    INV_UNAVAILABLE);
	ck_assert_int_eq(db_exec_script(d, "SELECT 1"), INV_UNAVAILABLE);
	if (l->calls == 1)
		l->reconnects = db_reconnects(d);
	/* What fn says does not matter: the session is gone. */
	return INV_RETRY;
}

/* Every try loses its connection: INV_UNAVAILABLE once the tries are
 * spent, each insert gone with its session. */
START_TEST(test_connection_lost_in_tx_is_unavailable)
{
	uint64_t before = db_reconnects(db);
	int tries = cfg.db_retries > 0 ? (int)cfg.db_retries : 3;
	struct lost l = { 0 };

	ck_assert_int_eq(db_transaction(db, tx_lose_connection_fn, &l),
	    INV_UNAVAILABLE);
	ck_assert_int_eq(l.calls, tries);
	ck_assert_uint_eq(l.reconnects, before);
	ck_assert_uint_eq(db_tx_retries(db), (uint64_t)tries - 1);
	/* Next call reconnects; the inserts died with their sessions. */
	ck_assert_int_eq(user_count(db), 0);
	ck_assert_uint_eq(db_reconnects(db), before + (uint64_t)tries);
}
END_TEST

/* Loses its connection the first time (its session kills itself), then
 * inserts and commits. */
static enum inv_err
tx_lose_once_fn(struct db *d, void *arg)
{
	struct lost *l = arg;

	l->calls++;
	add_user(d, l->calls == 1 ? "gone@example.org" : "kept@example.org",
	    "Lost", 0);
	if (l->calls == 1)
		return db_exec_script(d, "EXECUTE IMMEDIATE "
		    "CONCAT('KILL CONNECTION ', CONNECTION_ID())");
	return INV_OK;
}

/* A connection lost before COMMIT: the server rolled the work back, and
 * the transaction runs again on a new connection. */
START_TEST(test_connection_lost_in_tx_reruns)
{
	uint64_t before = db_reconnects(db);
	struct lost l = { 0 };

	ck_assert_int_eq(db_transaction(db, tx_lose_once_fn, &l), INV_OK);
	ck_assert_int_eq(l.calls, 2);
	ck_assert_uint_eq(db_tx_retries(db), 1);
	ck_assert_uint_eq(db_reconnects(db), before + 1);
	ck_assert_int_eq(user_count(db), 1);
	ck_sql("(SELECT email FROM users) = 'kept@example.org'");
}
END_TEST

/*
 * A connection lost while the server runs the statement is not retried:
 * the statement may have done its work already (an INSERT committed just
 * before the connection broke would be made twice). The victim blocks in
 * GET_LOCK on a lock this handle holds, and this handle kills it.
 */
struct victim {
	struct db	*d;
	enum inv_err	 rc;
	uint64_t	 reconnects;
};

static void *
victim_thread(void *arg)
{
	struct victim *v = arg;
	struct db_val p[2] = { DB_STR("check_db_kill"), DB_INT(20) };

	v->rc = db_exec(v->d, STMT_GET_LOCK, p, 2, NULL, NULL, NULL);
	v->reconnects = db_reconnects(v->d);
	return NULL;
}

/* The victim's connection id is left in a row by the victim itself. */
#define VICTIM_ID "(SELECT CAST(SUBSTRING(sku, 6) AS UNSIGNED) FROM " \
	"products WHERE name = 'victim')"

START_TEST(test_lost_during_query_not_rerun)
{
	struct db_val lk[2] = { DB_STR("check_db_kill"), DB_INT(0) };
	struct timespec tick = { 0, 100 * 1000000L };
	struct victim v = { 0 };
	struct db_res *r = NULL;
	pthread_t t;
	int i;

	ck_assert_int_eq(db_exec(db, STMT_GET_LOCK, lk, 2, &r, NULL, NULL),
	    INV_OK);
	ck_assert(db_res_bool(r, 0, 0));
	db_res_free(r);
	ck_assert_int_eq(db_open(&v.d, &cfg), INV_OK);
	ck_assert_int_eq(db_exec_script(v.d, "INSERT INTO products (sku, name, "
	    "price) VALUES (CONCAT('conn-', CONNECTION_ID()), 'victim', 0)"),
	    INV_OK);
	ck_assert_int_eq(pthread_create(&t, NULL, victim_thread, &v), 0);
	/* Kill only once it waits: killed idle, it would rightly retry. */
	for (i = 0; i < 50; i++) {
		nanosleep(&tick, NULL);
		if (sql_check(db, "(SELECT state = 'User lock' FROM "
		    "information_schema.processlist WHERE id = " VICTIM_ID ")")
		    == INV_OK)
			break;
	}
	ck_assert_int_lt(i, 50);
	ck_assert_int_eq(db_exec_script(db, "BEGIN NOT ATOMIC "
	    "DECLARE c BIGINT DEFAULT " VICTIM_ID "; "
	    "EXECUTE IMMEDIATE CONCAT('KILL CONNECTION ', c); END"), INV_OK);
	pthread_join(t, NULL);

	ck_assert_int_eq(v.rc, INV_UNAVAILABLE);
	ck_assert_uint_eq(v.reconnects, 0);
	/* The next call reconnects as usual. */
	ck_assert_int_eq(db_ping(v.d), INV_OK);
	ck_assert_uint_eq(db_reconnects(v.d), 1);
	db_close(v.d);
}
END_TEST

START_TEST(test_server_unreachable)
{
	struct config bad = cfg;
	struct txarg a = { 0 };
	struct db *d;

	bad.db_socket = (char *)"/nonexistent/check_db.sock";
	ck_assert_int_eq(db_open(&d, &bad), INV_OK);
	ck_assert_int_eq(db_ping(d), INV_UNAVAILABLE);
	ck_assert_int_eq(db_transaction(d, tx_insert_fn, &a), INV_UNAVAILABLE);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_int_eq(db_exec_script(d, "SELECT 1"), INV_UNAVAILABLE);
	ck_assert_int_eq(migrate_apply(d, NULL), INV_UNAVAILABLE);
	ck_assert_uint_eq(db_reconnects(d), 0);
	db_close(d);
	db_close(NULL);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tcase_create("migrate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_migrate_fresh);
	tcase_add_test(tc, test_migrate_again_applies_none);
	tcase_add_test(tc, test_prepare_all);
	tcase_add_test(tc, test_migrate_004_email_collision);
	tcase_add_test(tc, test_migrate_releases_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileges");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_service_account_cannot_change_schema, 0,
	    (int)(sizeof(owner_only) / sizeof(owner_only[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("statements");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_user_roundtrip);
	tcase_add_test(tc, test_user_not_found_is_empty);
	tcase_add_test(tc, test_user_list_and_count);
	tcase_add_test(tc, test_duplicate_email_conflicts);
	tcase_add_test(tc, test_null_params_and_results);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_typed_cells);
	tcase_add_test(tc, test_param_count_mismatch);
	tcase_add_test(tc, test_returning_columns);
	tcase_add_test(tc, test_refresh_tokens);
	tcase_add_test(tc, test_session_is_utc_and_strict);
	tcase_add_test(tc, test_statements_timed_and_slow_logged);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_schema_constraints);
	tcase_add_test(tc, test_schema_order_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("transactions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tx_commits);
	tcase_add_test(tc, test_tx_failure_leaves_nothing);
	tcase_add_test(tc, test_tx_conflict_rolls_back_all);
	tcase_add_test(tc, test_tx_retry_reruns);
	tcase_add_test(tc, test_tx_retry_gives_up);
	tcase_add_test(tc, test_tx_nested_refused);
	tcase_add_test(tc, test_tx_real_deadlock_retried);
	suite_add_tcase(s, tc);

	tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reconnect_after_idle_kill);
	tcase_add_test(tc, test_connection_lost_in_tx_is_unavailable);
	tcase_add_test(tc, test_connection_lost_in_tx_reruns);
	tcase_add_test(tc, test_lost_during_query_not_rerun);
	tcase_add_test(tc, test_server_unreachable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *svc = getenv("INVENTORY_TEST_SERVICES");
	int failed;

	if (svc == NULL || strcmp(svc, "1") != 0)
		return 77;
	if (!config_startup(&cfg, NULL, "check_db"))
		return 1;
	failed = tu_run(db_suite(), NULL);
	config_free(&cfg);
	return failed;
}
