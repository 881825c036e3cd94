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
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct db;
struct db_res;

/* Every SQL statement of the programs; the text is in db.c's stmts[]. */
enum stmt {
	STMT_USER_INSERT = 0,		/* email, full_name, hash, is_admin */
	STMT_USER_BY_EMAIL,		/* email (canonical) -> USER_COLS,
					   hashed_password, token_version */
	STMT_USER_BY_ID,		/* id -> the same */
	STMT_USER_LIST,			/* after id, limit, skip -> USER_COLS */
	STMT_USER_COUNT,		/* -> count */
	STMT_USER_UPDATE,		/* full_name?, is_active, is_admin,
					   version bump, id */
	STMT_USER_AUTH,			/* id -> enum user_auth_col */
	STMT_USER_LOCK,			/* id -> enum user_auth_col; FOR UPDATE */
	STMT_USER_ADMINS_LOCK,		/* -> id of every active admin;
					   FOR UPDATE */
	STMT_USER_SET_HASH,		/* hash, id */
	STMT_REFRESH_INSERT,		/* jti, user_id, family, expires(s) */
	STMT_REFRESH_BY_JTI_LOCK,	/* jti -> user_id, family, used, revoked, expired */
	STMT_REFRESH_MARK_USED,		/* jti */
	STMT_REFRESH_REVOKE_FAMILY,	/* family */
	STMT_REFRESH_REVOKE_USER,	/* user_id */
	STMT_PING,			/* SELECT 1 */
	STMT_GET_LOCK,			/* name, timeout -> 1 when got */
	STMT_RELEASE_LOCK,		/* name */
	STMT_MIGRATION_VERSIONS,	/* -> version, ascending */
	STMT_MIGRATION_RECORD,		/* version, name */
	STMT_ROUTINES_CALLABLE,		/* -> routine names this account sees */
	/* products and inventory */
	STMT_PRODUCT_INSERT,		/* sku, name, description, price, weight,
					   dimensions, category, image_url */
	STMT_PRODUCT_BY_ID,		/* id -> PRODUCT_COLS */
	STMT_PRODUCT_LOCK,		/* id -> id; FOR UPDATE */
	/* A page of products by id: the filters, then after id, limit,
	 * skip -> PRODUCT_COLS; the count takes the filters alone. */
	STMT_PRODUCT_PAGE,		/* nothing */
	STMT_PRODUCT_PAGE_BY_CATEGORY,	/* category */
	STMT_PRODUCT_PAGE_BY_Q,		/* pattern x2 */
	STMT_PRODUCT_PAGE_BY_CATEGORY_Q, /* category, pattern x2 */
	STMT_PRODUCT_COUNT,
	STMT_PRODUCT_COUNT_BY_CATEGORY,
	STMT_PRODUCT_COUNT_BY_Q,
	STMT_PRODUCT_COUNT_BY_CATEGORY_Q,
	STMT_PRODUCT_UPDATE,		/* sku?, name?, price?, then (given,
					   value) for description, weight,
					   dimensions, category, image_url; id */
	STMT_PRODUCT_DELETE,		/* id */
	STMT_INV_INSERT,		/* product_id, stock, reserved,
					   reorder_level, reorder_quantity */
	STMT_INV_BY_ID,			/* id -> INV_COLS */
	STMT_INV_BY_PRODUCT,		/* product_id -> INV_COLS */
	STMT_INV_LOCK,			/* id -> INV_LOCK_COLS; FOR UPDATE */
	STMT_INV_ID_BY_PRODUCT,		/* product_id -> id; FOR UPDATE */
	STMT_INV_UPDATE,		/* stock, reserved, manual_hold,
					   reorder_level, reorder_quantity,
					   restocked, id */
	/* A page of records by id, as products: -> INV_COLS. */
	STMT_INV_PAGE,			/* nothing */
	STMT_INV_PAGE_BY_PRODUCT,	/* product_id */
	STMT_INV_PAGE_LOW,		/* nothing: needs reorder */
	STMT_INV_PAGE_BY_PRODUCT_LOW,	/* product_id: the same */
	STMT_INV_COUNT,
	STMT_INV_COUNT_BY_PRODUCT,
	STMT_INV_COUNT_LOW,
	STMT_INV_COUNT_BY_PRODUCT_LOW,
	STMT_MOVEMENT_INSERT,		/* inventory_id, product_id,
					   change_in_stock, change_reserved,
					   reason, order_id, user_id */
	STMT_MOVEMENT_LIST,		/* inventory_id, before id, limit,
					   skip -> MOVEMENT_COLS, newest
					   first */
	STMT_MOVEMENT_COUNT,		/* inventory_id -> count */
	/* reorder suggestions (schema/010_reorder_suggestions.sql, whose
	 * trigger makes and closes them) */
	STMT_REORDER_PAGE,		/* before id, limit, skip ->
					   REORDER_COLS, newest first */
	STMT_REORDER_PAGE_BY_STATUS,	/* status, then the same */
	STMT_REORDER_COUNT,
	STMT_REORDER_COUNT_BY_STATUS,	/* status */
	STMT_REORDER_BY_ID,		/* id -> REORDER_COLS */
	STMT_REORDER_LOCK,		/* id -> status; FOR UPDATE */
	STMT_REORDER_SET_STATUS,	/* status, id */
	/* orders */
	STMT_ORDER_CREATE,		/* CALL order_create: user_id,
					   token version, [[pid,qty],...],
					   address, method?, notes?, own
					   transaction -> result sets
					   (schema/007_order_create.sql, as
					   008_outbox.sql makes it) */
	STMT_ORDER_LOCK,		/* id -> user_id, status, reservation,
					   number */
	STMT_ORDER_STOCK_LINES,		/* id -> product_id, qty, name */
	STMT_ORDER_RESERVE,		/* qty, product_id, qty */
	STMT_ORDER_RELEASE,		/* qty, product_id, qty */
	STMT_ORDER_DEDUCT,		/* qty, qty, product_id, qty */
	STMT_ORDER_AVAILABLE_LOCK,	/* product_id -> in stock - reserved */
	STMT_ORDER_MOVEMENTS,		/* stock sign, reserved sign, reason,
					   user_id, order_id -> inventory_id,
					   product_id */
	STMT_ORDER_SET_STATE,		/* status, reservation, tracking?,
					   notes?, id */
	STMT_ORDER_APPEND_NOTE,		/* line, id */
	STMT_ORDER_BY_ID,		/* id -> ORDER_COLS */
	STMT_ORDER_COUNT,		/* nothing -> count */
	STMT_ORDER_COUNT_BY_STATUS,	/* status -> count */
	STMT_ORDER_COUNT_BY_USER,	/* user_id -> count */
	STMT_ORDER_COUNT_BY_USER_STATUS, /* user_id, status -> count */
	/* A page, newest first: the filters, then the key to start
	 * below (created_at x2, id), limit, skip -> ORDER_COLS */
	STMT_ORDER_PAGE,		/* nothing */
	STMT_ORDER_PAGE_BY_STATUS,	/* status */
	STMT_ORDER_PAGE_BY_USER,	/* user_id */
	STMT_ORDER_PAGE_BY_USER_STATUS,	/* user_id, status */
	STMT_ORDER_OWN_PAGE,		/* user_id -> ORDER_COLS, owner NULL */
	STMT_ORDER_OWN_PAGE_BY_STATUS,	/* user_id, status: the same */
	STMT_ORDER_OWN_SEEK,		/* STMT_ORDER_OWN_PAGE for skip 0 */
	STMT_ORDER_OWN_SEEK_BY_STATUS,	/* the same by status */
	STMT_ORDER_ITEMS_OF,		/* [order_id,...] -> ORDER_ITEM_COLS,
					   unsorted */
	STMT_ORDER_ITEMS_PLAIN_OF,	/* the same, product name, SKU NULL */
	STMT_ORDER_AUDIT,		/* -> enum stock_audit_col rows */
	STMT_LIST_COUNT_AUDIT,		/* -> list, kept, COUNT(*): each
					   count of list_counts that is
					   wrong */
	STMT_IDEM_INSERT,		/* user_id, key, request, ttl(s) */
	STMT_IDEM_GET,			/* request, stale(s), user_id, key ->
					   id, status, body, same, expired,
					   stale */
	STMT_IDEM_LOCK,			/* id -> status_code */
	STMT_IDEM_FINISH,		/* status, body, id */
	STMT_IDEM_ABANDON,		/* id: forget an unfinished key */
	STMT_IDEM_DELETE_EXPIRED,	/* id */
	STMT_IDEM_PURGE,		/* limit: expired keys, oldest first */
	/* queue and worker */
	STMT_ORDER_SWEEP,		/* age(s), limit -> id: pending, never swept */
	STMT_ORDER_MARK_SWEPT,		/* id */
	STMT_ORDER_LOCK_BATCH,		/* [id,...] -> id, user_id, status,
					   reservation, in id order */
	STMT_ORDER_PROCESS_BATCH,	/* [id,...]: pending and held ->
					   processing */
	STMT_ORDER_PAYMENTS,		/* [id,...] -> id, number, user_id,
					   total, status */
	/* events (schema/008_outbox.sql), inside the change's transaction */
	STMT_EVENT_ORDER_STATUS,	/* id: order.<its status now> */
	STMT_EVENT_ORDER_STATUS_BATCH,	/* [id,...]: the same for each */
	STMT_EVENT_INV_ADJUSTED,	/* change, reason?, id:
					   inventory.adjusted */
	/* webhooks (schema/009_webhooks.sql): the admin API. Only
	 * _WITH_SECRET reads the secret; the others give NULL for it. */
	STMT_WEBHOOK_INSERT,		/* url, events (JSON), description?,
					   is_active, secret */
	STMT_WEBHOOK_BY_ID,		/* id -> WEBHOOK_COLS */
	STMT_WEBHOOK_WITH_SECRET,	/* id -> WEBHOOK_COLS and secret */
	STMT_WEBHOOK_PAGE,		/* after id, limit, skip ->
					   WEBHOOK_COLS */
	STMT_WEBHOOK_COUNT,		/* -> count */
	STMT_WEBHOOK_UPDATE,		/* url?, events?, description given,
					   description?, is_active?, id */
	STMT_WEBHOOK_SET_SECRET,	/* secret, id */
	STMT_WEBHOOK_DELETE,		/* id: its deliveries go with it */
	STMT_WEBHOOK_DELIVERY_PAGE,	/* webhook_id, before id, limit,
					   skip -> WH_DELIVERY_COLS, newest
					   first */
	STMT_WEBHOOK_DELIVERY_COUNT,	/* webhook_id -> count */
	STMT_WEBHOOK_DELIVERY_BY_ID,	/* id, webhook_id ->
					   WH_DELIVERY_COLS */
	STMT_WEBHOOK_REDELIVER,		/* id, webhook_id: pending, due
					   now */
	/* the worker's side of webhooks (schema/009_webhooks.sql) */
	STMT_OUTBOX_PENDING_LOCK,	/* limit -> id: undispatched, oldest
					   first; FOR UPDATE SKIP LOCKED */
	STMT_OUTBOX_DISPATCH,		/* [id,...]: a delivery per active
					   subscription to the type */
	STMT_OUTBOX_MARK_DISPATCHED,	/* [id,...] */
	STMT_DELIVERY_DUE_LOCK,		/* limit -> id: pending, due, active
					   subscription; FOR UPDATE SKIP
					   LOCKED */
	STMT_DELIVERY_LEASE,		/* [id,...], seconds: due again then */
	STMT_DELIVERY_SEND_INFO,	/* id -> enum send_col */
	STMT_DELIVERY_RECORD,		/* status, code?, ms, error?,
					   delay ms, id: one attempt */
	STMT_DELIVERY_PURGE,		/* days, limit: finished, old */
	STMT_OUTBOX_PURGE,		/* days, limit: dispatched, old, no
					   delivery pending */
	STMT_EVENT_BACKLOG,		/* -> oldest undispatched event,
					   oldest undelivered one (seconds
					   since the epoch or NULL), whether
					   a delivery is due */
	/* fulfilment (schema/011_fulfilment.sql) */
	STMT_FULFIL_SWEEP,		/* age(s), limit -> id: processing,
					   no fulfil_order job known */
	STMT_FULFIL_MARK,		/* id: a fulfil_order job known */
	STMT__MAX
};

/* Columns of STMT_DELIVERY_SEND_INFO. */
enum send_col {
	SEND_COL_STATUS = 0,	/* pending, delivered, failed */
	SEND_COL_ATTEMPTS,
	SEND_COL_URL,
	SEND_COL_SECRET,
	SEND_COL_ACTIVE,	/* the subscription's is_active */
	SEND_COL_EVENT_ID,
	SEND_COL_TYPE,
	SEND_COL_DATA,		/* JSON text */
	SEND_COL_CREATED_AT,	/* the event's, ISO 8601 UTC */
	SEND_COL__MAX
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
	USER_COL_TOKEN_VERSION,	/* likewise */
	USER_COL__MAX
};

/* Columns of STMT_USER_AUTH and STMT_USER_LOCK: what decides whether a
 * user's token still counts. */
enum user_auth_col {
	USER_AUTH_COL_IS_ACTIVE = 0,
	USER_AUTH_COL_IS_ADMIN,
	USER_AUTH_COL_TOKEN_VERSION,
	USER_AUTH_COL__MAX
};

/* Column order of PRODUCT_COLS. */
enum product_col {
	PRODUCT_COL_ID = 0,
	PRODUCT_COL_SKU,
	PRODUCT_COL_NAME,
	PRODUCT_COL_DESCRIPTION,
	PRODUCT_COL_PRICE,		/* DECIMAL text: "19.90" */
	PRODUCT_COL_WEIGHT,		/* DECIMAL text or NULL */
	PRODUCT_COL_DIMENSIONS,
	PRODUCT_COL_CATEGORY,
	PRODUCT_COL_IMAGE_URL,
	PRODUCT_COL_CREATED_AT,
	PRODUCT_COL_UPDATED_AT,
	PRODUCT_COL__MAX
};

/* Column order of INV_COLS (an inventory row joined with its product). */
enum inv_col {
	INV_COL_ID = 0,
	INV_COL_PRODUCT_ID,
	INV_COL_STOCK,
	INV_COL_RESERVED,
	INV_COL_REORDER_LEVEL,
	INV_COL_REORDER_QUANTITY,
	INV_COL_LAST_RESTOCK,		/* ISO 8601 or NULL */
	INV_COL_LAST_COUNT,		/* ISO 8601 or NULL */
	INV_COL_CREATED_AT,
	INV_COL_UPDATED_AT,
	INV_COL_AVAILABLE,		/* stock - reserved */
	INV_COL_NEEDS_REORDER,		/* available <= reorder_level */
	INV_COL_PRODUCT_NAME,
	INV_COL_PRODUCT_SKU,
	INV_COL__MAX
};

/* Columns of STMT_INV_LOCK: the inventory row alone, so the product row
 * is not locked with it. */
enum inv_lock_col {
	INV_LOCK_COL_PRODUCT_ID = 0,
	INV_LOCK_COL_STOCK,
	INV_LOCK_COL_RESERVED,
	INV_LOCK_COL_REORDER_LEVEL,
	INV_LOCK_COL_REORDER_QUANTITY,
	INV_LOCK_COL_MANUAL_HOLD,	/* of reserved, the part no order holds */
	INV_LOCK_COL__MAX
};

/* Column order of MOVEMENT_COLS. */
enum movement_col {
	MOVEMENT_COL_ID = 0,
	MOVEMENT_COL_INVENTORY_ID,
	MOVEMENT_COL_PRODUCT_ID,
	MOVEMENT_COL_CHANGE_IN_STOCK,
	MOVEMENT_COL_CHANGE_RESERVED,
	MOVEMENT_COL_REASON,
	MOVEMENT_COL_ORDER_ID,
	MOVEMENT_COL_USER_ID,
	MOVEMENT_COL_CREATED_AT,
	MOVEMENT_COL__MAX
};

/* Column order of REORDER_COLS. */
enum reorder_col {
	REORDER_COL_ID = 0,
	REORDER_COL_INVENTORY_ID,
	REORDER_COL_PRODUCT_ID,
	REORDER_COL_AVAILABLE,		/* the record's at the crossing */
	REORDER_COL_REORDER_LEVEL,	/* likewise */
	REORDER_COL_SUGGESTED,		/* its reorder_quantity then */
	REORDER_COL_STATUS,
	REORDER_COL_CREATED_AT,		/* ISO 8601 */
	REORDER_COL_UPDATED_AT,		/* ISO 8601 */
	REORDER_COL_CLOSED_AT,		/* ISO 8601 or NULL */
	REORDER_COL__MAX
};

/* Column order of ORDER_COLS (orders joined with their user). */
enum order_col {
	ORDER_COL_ID = 0,
	ORDER_COL_NUMBER,
	ORDER_COL_USER_ID,
	ORDER_COL_STATUS,
	ORDER_COL_TOTAL,	/* DECIMAL text */
	ORDER_COL_ADDRESS,
	ORDER_COL_METHOD,
	ORDER_COL_TRACKING,
	ORDER_COL_NOTES,
	ORDER_COL_CREATED_AT,	/* DATETIME text, UTC */
	ORDER_COL_UPDATED_AT,	/* the same */
	ORDER_COL_USER_EMAIL,
	ORDER_COL_USER_NAME,
	ORDER_COL__MAX
};

/* Column order of ORDER_ITEM_COLS (items joined with their product). */
enum order_item_col {
	ORDER_ITEM_COL_ID = 0,
	ORDER_ITEM_COL_ORDER_ID,
	ORDER_ITEM_COL_PRODUCT_ID,
	ORDER_ITEM_COL_QUANTITY,
	ORDER_ITEM_COL_UNIT_PRICE,	/* DECIMAL text */
	ORDER_ITEM_COL_CREATED_AT,	/* DATETIME text, UTC */
	ORDER_ITEM_COL_PRODUCT_NAME,
	ORDER_ITEM_COL_PRODUCT_SKU,
	ORDER_ITEM_COL__MAX
};

/* Columns of STMT_ORDER_AUDIT: one row per inventory record. */
enum stock_audit_col {
	AUDIT_COL_PRODUCT_ID = 0,
	AUDIT_COL_IN_STOCK,
	AUDIT_COL_RESERVED,
	AUDIT_COL_HELD,		/* sum of quantities of orders holding stock */
	AUDIT_COL_LEDGER_STOCK,	/* sum of its movements' change_in_stock */
	AUDIT_COL_LEDGER_RESERVED, /* ... and change_reserved */
	AUDIT_COL_MANUAL_HOLD,	/* inventory.manual_hold */
	AUDIT_COL_LEDGER_MANUAL, /* change_reserved of movements without an
				    order */
	AUDIT_COL__MAX
};

/* Column order of WEBHOOK_COLS. */
enum webhook_col {
	WEBHOOK_COL_ID = 0,
	WEBHOOK_COL_URL,
	WEBHOOK_COL_EVENTS,		/* a JSON array of event names */
	WEBHOOK_COL_DESCRIPTION,
	WEBHOOK_COL_IS_ACTIVE,
	WEBHOOK_COL_CREATED_AT,		/* ISO 8601 */
	WEBHOOK_COL_UPDATED_AT,		/* ISO 8601 */
	WEBHOOK_COL_SECRET,		/* NULL but in _WITH_SECRET */
	WEBHOOK_COL__MAX
};

/* Column order of WH_DELIVERY_COLS (times ISO 8601 or NULL). */
enum wh_delivery_col {
	WH_DELIVERY_COL_ID = 0,
	WH_DELIVERY_COL_WEBHOOK_ID,
	WH_DELIVERY_COL_EVENT_ID,
	WH_DELIVERY_COL_EVENT_TYPE,
	WH_DELIVERY_COL_STATUS,		/* pending, delivered, failed */
	WH_DELIVERY_COL_ATTEMPTS,
	WH_DELIVERY_COL_NEXT_ATTEMPT_AT,
	WH_DELIVERY_COL_LAST_ATTEMPT_AT,
	WH_DELIVERY_COL_LAST_STATUS_CODE,
	WH_DELIVERY_COL_LAST_DURATION_MS,
	WH_DELIVERY_COL_LAST_ERROR,
	WH_DELIVERY_COL_DELIVERED_AT,
	WH_DELIVERY_COL_CREATED_AT,
	WH_DELIVERY_COL__MAX
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

/*
 * The same, logged in as the schema owner instead of db_user (see
 * config_owner(): migrate_db_user, its password read now). For
 * `inventoryctl migrate` and tests that need DDL. On failure *why is set
 * (new) and *out is NULL.
 */
enum inv_err db_open_owner(struct db **out, const struct config *cfg,
    char **why);
void db_close(struct db *);

/*
 * Runs statement st with params. When res is not NULL, *res receives all
 * rows (new; db_res_free it, also on empty results). affected and insert_id
 * may be NULL.
 * Returns INV_OK; INV_CONFLICT on a duplicate key (1062);
 * INV_CONSTRAINT on a CHECK (4025) or foreign key (1451/1452) refusal;
 * INV_RETRY on deadlock (1213) or lock wait timeout (1205);
 * INV_UNAVAILABLE when the server cannot be reached (the connection is
 * dropped so the next call reconnects); INV_DB otherwise (logged here),
 * also for a result whose column count is not the table's.
 */
enum inv_err db_exec(struct db *, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id);

/*
 * Runs st, a CALL of a stored procedure (its row of the table says so),
 * with params: every result set it returns, in order, into
 * sets[0..max) (new each; db_res_free them; sets past max are read and
 * dropped), *nsets how many. Errors as db_exec; on any error no set is
 * returned. Outside a transaction (for a procedure that ends its own:
 * its error handler rolls back) a deadlock or lock wait timeout calls
 * it again after a short random sleep, as db_transaction reruns a
 * transaction; inside one, INV_RETRY is for db_transaction. A
 * connection lost during the call is INV_UNAVAILABLE and never called
 * again: the procedure may have committed.
 */
enum inv_err db_call(struct db *, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **sets, size_t max, size_t *nsets);

/* Whether a db_transaction is running on the handle. */
bool db_in_transaction(const struct db *);

size_t db_res_rows(const struct db_res *);
/* The result's columns (0 for none). */
size_t db_res_cols(const struct db_res *);
/* Borrowed value or NULL for SQL NULL (or out of range). */
const char *db_res_str(const struct db_res *, size_t row, size_t col);
/* Integer value; 0 for NULL. */
int64_t db_res_int(const struct db_res *, size_t row, size_t col);
bool db_res_bool(const struct db_res *, size_t row, size_t col);
bool db_res_isnull(const struct db_res *, size_t row, size_t col);
/* Orders the rows by the integers in column major, then column minor
 * (ties keep their order): cheaper here than MariaDB's temporary table
 * and filesort for a join that has no index to give the order. */
void db_res_sort(struct db_res *, size_t major, size_t minor);
void db_res_free(struct db_res *);

/*
 * Runs fn inside BEGIN ... COMMIT. fn returns INV_OK to commit; anything
 * else rolls back and is returned. INV_RETRY (from fn or the commit) runs
 * the whole transaction again after a short random sleep, up to
 * cfg->db_retries times. So does a connection lost while fn ran (the
 * server rolled the work back), at once, until the tries are spent:
 * INV_UNAVAILABLE then, as for a connection lost at COMMIT (the commit
 * may have happened) or a server that cannot be reached. No transaction
 * is left open on any path.
 */
typedef enum inv_err (*db_tx_fn)(struct db *, void *arg);
enum inv_err db_transaction(struct db *, db_tx_fn fn, void *arg);

/* SELECT 1 on the connection (connecting if needed). */
enum inv_err db_ping(struct db *);

/* Columns of db_explain's rows: MariaDB's EXPLAIN. */
enum explain_col {
	EXPLAIN_COL_ID = 0,
	EXPLAIN_COL_SELECT_TYPE,
	EXPLAIN_COL_TABLE,
	EXPLAIN_COL_TYPE,	/* "ALL" is a full scan */
	EXPLAIN_COL_POSSIBLE_KEYS,
	EXPLAIN_COL_KEY,
	EXPLAIN_COL_KEY_LEN,
	EXPLAIN_COL_REF,
	EXPLAIN_COL_ROWS,
	EXPLAIN_COL_EXTRA,
	EXPLAIN_COL__MAX
};

/*
 * MariaDB's plan of statement st with params, one row per table read
 * (new in *res): how a list reads its page, for `inventoryctl explain`
 * and the tests. Not for requests: it prepares the statement anew.
 */
enum inv_err db_explain(struct db *, enum stmt st,
    const struct db_val *params, size_t nparams, struct db_res **res);

/*
 * Prints the plan of every list statement (its page and its count, with
 * the parameters of a first page) to out, a row per table read; *scans
 * is the number of page statements that read a whole table of orders,
 * items, products or inventory (counts may: they are cached).
 */
enum inv_err db_explain_lists(struct db *, FILE *out, size_t *scans);

/* The statement's name in log lines and /metrics. */
const char *db_stmt_name(enum stmt);

/*
 * Whom each run of a statement is reported to (st an enum stmt, usec as
 * its caller saw it, reconnection included): metrics.c, which sets
 * itself here when a process starts counting; NULL (the default) reports
 * nothing. The database layer knows no module above it.
 */
void db_set_statement_timer(void (*fn)(int st, uint64_t usec));

/* Prepares every statement of the table and checks that each has the
 * number of result columns the table gives (the __MAX of its column
 * enum; db_exec checks an INSERT's RETURNING, which MariaDB describes
 * only once it has run); for the schema-drift test. On failure *bad is
 * the first statement that failed. */
enum inv_err db_prepare_all(struct db *, enum stmt *bad);

/*
 * Whether this account may run every stored procedure a statement calls:
 * INV_OK, or INV_NOTFOUND with the first one it cannot (absent from the
 * schema, or no EXECUTE grant) named in missing.
 */
enum inv_err db_check_routines(struct db *, char *missing, size_t size);

/*
 * Runs a script of several ';'-separated statements as it stands (for
 * migrations only: the text is trusted, never request data).
 */
enum inv_err db_exec_script(struct db *, const char *sql);

/* Reconnects and transaction retries since start, for /metrics later. */
uint64_t db_reconnects(const struct db *);
uint64_t db_tx_retries(const struct db *);

#endif
