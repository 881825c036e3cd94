/*
 * check_db.c: db.c against a real MariaDB (integration): migrations,
 * the service account's privileges, the schema's constraints, and the
 * connection (reconnects, lost connections, an unreachable server).
 */
#include "testdb.h"

/* Drops every table of the current database, whatever migrations made. */
static const char drop_all_sql[] =
	"SET FOREIGN_KEY_CHECKS = 0; "
	"SET @t = (SELECT GROUP_CONCAT('`', table_name, '`') "
	"    FROM information_schema.tables WHERE table_schema = DATABASE()); "
	"SET @s = CONCAT('DROP TABLE IF EXISTS ', "
	"    COALESCE(@t, 'check_db_nothing_to_drop')); "
	"PREPARE drop_all FROM @s; EXECUTE drop_all; "
	"DEALLOCATE PREPARE drop_all; SET FOREIGN_KEY_CHECKS = 1";

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
 * check-config's view of the schema: after migrate nothing is pending and
 * the service's account may run every procedure a statement calls; a
 * procedure it cannot run (here: gone) is named. PREPARE of the CALL
 * would still succeed, which is why the check reads the catalogue.
 */
START_TEST(test_check_routines)
{
	char missing[64] = "";
	size_t pending = 99, i, newest = nmigrations;

	ck_assert_int_eq(migrate_pending(db, &pending), INV_OK);
	ck_assert_uint_eq(pending, 0);
	ck_assert_int_eq(db_check_routines(db, missing, sizeof(missing)),
	    INV_OK);
	ck_assert_int_eq(db_exec_script(odb, "DROP PROCEDURE order_create"),
	    INV_OK);
	ck_assert_int_eq(db_check_routines(db, missing, sizeof(missing)),
	    INV_NOTFOUND);
	ck_assert_str_eq(missing, "order_create");
	/* Put it back from the newest migration that makes it (a later one
	 * replaces it): that one alone, so no other migration need be safe
	 * to run twice. */
	for (i = 0; i < nmigrations; i++)
		if (strstr(migrations[i].sql, "CREATE PROCEDURE order_create")
		    != NULL)
			newest = i;
	ck_assert_uint_lt(newest, nmigrations);
	ck_assert_int_eq(db_exec_script(odb, migrations[newest].sql), INV_OK);
	ck_assert_int_eq(db_check_routines(db, missing, sizeof(missing)),
	    INV_OK);
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
	tcase_add_test(tc, test_check_routines);
	tcase_add_test(tc, test_migrate_004_email_collision);
	tcase_add_test(tc, test_migrate_releases_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileges");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_service_account_cannot_change_schema, 0,
	    (int)(sizeof(owner_only) / sizeof(owner_only[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_schema_constraints);
	tcase_add_test(tc, test_schema_order_rules);
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
	return testdb_main(db_suite, "check_db");
}
