/*
 * testdb.c: see testdb.h.
 */
#include "testdb.h"

struct config cfg;	/* loaded once in main, before the forks */
struct db *db;		/* per test: setup() and teardown() */
struct db *odb;		/* the same as the schema owner */

/* Child tables first, so the foreign keys never refuse the deletes. */
const char clean_sql[] =
	"DELETE FROM stock_movements; DELETE FROM order_items; "
	"DELETE FROM idempotency_keys; DELETE FROM refresh_tokens; "
	"DELETE FROM orders; DELETE FROM inventory; DELETE FROM products; "
	"DELETE FROM users";

/* The schema owner's handle (migrate_db_user), as inventoryctl
 * migrate opens it (new). */
struct db *
open_owner(const struct config *c)
{
	struct db *d = NULL;
	char *why = NULL;

	if (db_open_owner(&d, c, &why) != INV_OK)
		ck_abort_msg("schema owner: %s", why);
	return d;
}

void
setup(void)
{
	ck_assert_int_eq(db_open(&db, &cfg), INV_OK);
	odb = open_owner(&cfg);
	ck_assert_int_eq(migrate_apply(odb, NULL), INV_OK);
	ck_assert_int_eq(db_exec_script(db, clean_sql), INV_OK);
}

void
teardown(void)
{
	db_close(db);
	db_close(odb);
	db = odb = NULL;
}

/* Runs cond (trusted SQL) on the server: INV_OK when it holds. A NULL
 * result counts as false. */
enum inv_err
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

/* Inserts a user and returns its id. */
int64_t
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

int64_t
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

enum inv_err
tx_nested_fn(struct db *d, void *arg)
{
	(void)d;
	(void)arg;
	return INV_OK;
}

enum inv_err
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

int
testdb_main(Suite *(*suite)(void), const char *name)
{
	const char *svc = getenv("INVENTORY_TEST_SERVICES");
	int failed;

	if (svc == NULL || strcmp(svc, "1") != 0)
		return 77;
	if (!config_startup(&cfg, NULL, name))
		return 1;
	failed = tu_run(suite(), NULL);
	config_free(&cfg);
	return failed;
}
