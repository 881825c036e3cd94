/*
 * db.h: the only door to MariaDB. One connection per process, opened
 * lazily and reopened after the server goes away; every statement is
 * prepared once per connection from the table in db.c and re-prepared
 * after a reconnect. Parameters are always bound, never formatted in.
 *
 * Results are fetched whole as strings (DECIMAL arrives as a string anyway,
 * timestamps are formatted as ISO 8601 by the SQL itself), so callers read
 * them with db_res_str/int/bool.
 */
#ifndef INV_DB_H
#define INV_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct db;
struct db_res;

/* Every SQL statement of the programs; the text is in db.c's stmts[]. */
enum stmt {
	STMT_USER_INSERT = 0,		/* email, full_name, hash, is_admin */
	STMT_USER_BY_EMAIL,		/* email -> USER_COLS, hashed_password */
	STMT_USER_BY_ID,		/* id -> USER_COLS, hashed_password */
	STMT_USER_LIST,			/* limit, skip -> USER_COLS */
	STMT_USER_COUNT,		/* -> count */
	STMT_USER_UPDATE,		/* full_name?, is_active?, is_admin?, id */
	STMT_USER_SET_HASH,		/* hash, id */
	STMT_REFRESH_INSERT,		/* jti, user_id, family, expires(s) */
	STMT_REFRESH_BY_JTI_LOCK,	/* jti -> user_id, family, used, revoked, expired */
	STMT_REFRESH_MARK_USED,		/* jti */
	STMT_REFRESH_REVOKE_FAMILY,	/* family */
	STMT_PING,			/* SELECT 1 */
	STMT_GET_LOCK,			/* name, timeout -> 1 when got */
	STMT_RELEASE_LOCK,		/* name */
	STMT_MIGRATION_VERSIONS,	/* -> version, ascending */
	STMT_MIGRATION_RECORD,		/* version, name */
	/* products and inventory */
	/* orders */
	/* queue and worker */
	STMT_ORDER_SWEEP,		/* age(s), limit -> id: pending, never swept */
	STMT_ORDER_MARK_SWEPT,		/* id */
	STMT__MAX
};

/* Column order of USER_COLS in the statements above. */
enum user_col {
	USER_COL_ID = 0,
	USER_COL_EMAIL,
	USER_COL_FULL_NAME,
	USER_COL_IS_ACTIVE,
	USER_COL_IS_ADMIN,
	USER_COL_CREATED_AT,	/* "2026-11-25T22:44:22Z" */
	USER_COL_HASH,		/* only in _BY_EMAIL and _BY_ID */
	USER_COL__MAX
};

/* A bound parameter; strings are borrowed for the call. */
enum db_type { DB_T_NULL = 0, DB_T_INT, DB_T_STR };
struct db_val {
	enum db_type	 type;
	int64_t		 i;
	const char	*s;
	size_t		 len;
};

#define DB_INT(v)  ((struct db_val){ .type = DB_T_INT, .i = (v) })
#define DB_STR(v)  ((struct db_val){ .type = DB_T_STR, .s = (v), .len = strlen(v) })
#define DB_NULL    ((struct db_val){ .type = DB_T_NULL })
/* A string or NULL when v is NULL. */
#define DB_STR_OR_NULL(v) ((struct db_val){ .type = (v) != NULL ? DB_T_STR : \
    DB_T_NULL, .s = (v), .len = (v) != NULL ? strlen(v) : 0 })

/*
 * Makes the handle; the connection itself is opened on first use, so a
 * process starts even while MariaDB is down. cfg is borrowed and must
 * outlive the handle.
 */
enum inv_err db_open(struct db **out, const struct config *cfg);
void db_close(struct db *);

/*
 * Runs statement st with params. When res is not NULL, *res receives all
 * rows (new; db_res_free it, also on empty results). affected and insert_id
 * may be NULL.
 * Returns INV_OK; INV_CONFLICT on a duplicate key (1062);
 * INV_CONSTRAINT on a CHECK (4025) or foreign key (1451/1452) refusal;
 * INV_RETRY on deadlock (1213) or lock wait timeout (1205);
 * INV_UNAVAILABLE when the server cannot be reached (the connection is
 * dropped so the next call reconnects); INV_DB otherwise (logged here).
 */
enum inv_err db_exec(struct db *, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id);

size_t db_res_rows(const struct db_res *);
/* Borrowed value or NULL for SQL NULL (or out of range). */
const char *db_res_str(const struct db_res *, size_t row, size_t col);
/* Integer value; 0 for NULL. */
int64_t db_res_int(const struct db_res *, size_t row, size_t col);
bool db_res_bool(const struct db_res *, size_t row, size_t col);
bool db_res_isnull(const struct db_res *, size_t row, size_t col);
void db_res_free(struct db_res *);

/*
 * Runs fn inside BEGIN ... COMMIT. fn returns INV_OK to commit; anything
 * else rolls back and is returned. INV_RETRY (from fn or the commit) runs
 * the whole transaction again after a short random sleep, up to
 * cfg->db_retries times. No transaction is left open on any path.
 */
typedef enum inv_err (*db_tx_fn)(struct db *, void *arg);
enum inv_err db_transaction(struct db *, db_tx_fn fn, void *arg);

/* SELECT 1 on the connection (connecting if needed). */
enum inv_err db_ping(struct db *);

/* Prepares every statement of the table; for the schema-drift test. On
 * failure *bad is the first statement that failed. */
enum inv_err db_prepare_all(struct db *, enum stmt *bad);

/*
 * Runs a script of several ';'-separated statements as it stands (for
 * migrations only: the text is trusted, never request data).
 */
enum inv_err db_exec_script(struct db *, const char *sql);

/* Reconnects and transaction retries since start, for /metrics later. */
uint64_t db_reconnects(const struct db *);
uint64_t db_tx_retries(const struct db *);

#endif
