/*
 * testdb.h: the fixtures and helpers of the db.c suites
 * (check_db, check_db_stmt): a config, a fresh schema, SQL as the owner.
 */
#ifndef INV_TESTDB_H
#define INV_TESTDB_H

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

#define ck_sql(cond) \
	ck_assert_msg(sql_check(db, (cond)) == INV_OK, "false in SQL: %s", \
	    (cond))

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

/* The victim's connection id is left in a row by the victim itself. */
#define VICTIM_ID "(SELECT CAST(SUBSTRING(sku, 6) AS UNSIGNED) FROM " \
	"products WHERE name = 'victim')"

extern struct config cfg;	/* loaded once in main, before the forks */

extern struct db *db;		/* per test: setup() and teardown() */

extern struct db *odb;		/* the same as the schema owner */

/* Child tables first, so the foreign keys never refuse the deletes. */
extern const char clean_sql[];

/* The schema owner's handle (migrate_db_user), as inventoryctl
 * migrate opens it (new). */
struct db *
open_owner(const struct config *c);

void
setup(void);

void
teardown(void);

/* Runs cond (trusted SQL) on the server: INV_OK when it holds. A NULL
 * result counts as false. */
enum inv_err
sql_check(struct db *d, const char *cond);

/* Inserts a user and returns its id. */
int64_t
add_user(struct db *d, const char *email, const char *name, int admin);

int64_t
user_count(struct db *d);

/* Transaction bodies for the tests below. */
struct txarg {
	int		 calls;
	int		 retry_until;	/* return INV_RETRY while calls < this */
	enum inv_err	 fail_with;	/* returned after the insert */
	bool		 twice;		/* insert the same email twice */
	bool		 nest;
};

enum inv_err
tx_nested_fn(struct db *d, void *arg);

enum inv_err
tx_insert_fn(struct db *d, void *arg);

/* main of a db suite: exits 77 (skip) without the services, else loads
 * the config as program name and runs the suite suite() makes. */
int testdb_main(Suite *(*suite)(void), const char *name);

#endif
