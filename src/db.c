/*
 * db.c: the only file that includes MariaDB's headers.
 *
 * One connection per handle, opened on first use and dropped on any
 * connection error; the next call reconnects. Statements come from the one
 * table below, are prepared on first use and kept per connection: a new
 * connection starts with none (statements of a dead connection fail
 * forever with 1243, so MYSQL_OPT_RECONNECT stays off and we redo the
 * connection ourselves).
 *
 * Results are fetched whole, every column converted to a string by the
 * client library, into a struct db_res that owns its copies; the statement
 * is free again before db_exec returns.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "config.h"
#include "db.h"
#include "log.h"

#define USER_COLS \
	"id, email, full_name, is_active, is_admin, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"

/* products and inventory: column lists in the order of enum product_col,
 * inv_col and movement_col (db.h). */
#define ISO_UTC(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define PRODUCT_COLS \
	"id, sku, name, description, price, weight, dimensions, category, " \
	"image_url, " ISO_UTC("created_at") ", " ISO_UTC("updated_at")
/*
 * Lists read a page of ids from an index first, then the page's rows
 * alone: a skipped row costs an index entry, never a row or a join
 * (what a deep skip reads). Each list has one statement per set of
 * filters, not "(? IS NULL OR col = ?)": MariaDB does not drop "NULL IS
 * NULL OR ..." from a prepared statement and then reads every row. The
 * key of the last row shown ("after", src/list.c) starts the next page:
 * "id > ?" is a range of the index, and 0 makes it the first page.
 * KEYS_PAGE(table, where) is the page's ids as the derived table pg
 * (column kid); where ends in "AND ". STRAIGHT_JOIN: from those ids to
 * the rows, not from a small joined table to every row.
 */
#define KEYS_PAGE(table, where) \
	"(SELECT id AS kid FROM " table " WHERE " where "id > ? " \
	"ORDER BY id LIMIT ? OFFSET ?) pg"
/* The order of a page: by the derived table's own columns, which
 * MariaDB sorts before the join (a page, in memory). Sorting by the
 * joined rows' columns made a temporary table of them, on disk for
 * their TEXT columns, per request; and under 16 clients MariaDB 10.11.19
 * crashed dropping one (signal 11 in ha_maria::drop_table). */
#define KEYS_ORDER	" ORDER BY pg.kid"
/* q matches the name or the SKU, both case-insensitively (the SKU column
 * itself compares byte for byte); '!' escapes the LIKE wildcards. It
 * matches inside the text, which no index serves (README, LISTS). */
#define PRODUCT_BY_CATEGORY	"category = ? AND "
#define PRODUCT_BY_Q \
	"(name LIKE ? ESCAPE '!' OR " \
	"sku COLLATE utf8mb4_unicode_ci LIKE ? ESCAPE '!') AND "
#define PRODUCT_PAGE(where) \
	"SELECT STRAIGHT_JOIN " PRODUCT_COLS " FROM " KEYS_PAGE("products", where) \
	" JOIN products ON products.id = pg.kid" KEYS_ORDER
#define PRODUCT_COUNT(where) \
	"SELECT COUNT(*) FROM products WHERE " where "TRUE"
#define INV_COLS \
	"i.id, i.product_id, i.quantity_in_stock, i.quantity_reserved, " \
	"i.reorder_level, i.reorder_quantity, " \
	ISO_UTC("i.last_restock_date") ", " \
	ISO_UTC("i.last_stock_count_date") ", " \
	ISO_UTC("i.created_at") ", " ISO_UTC("i.updated_at") ", " \
	"i.available, i.available <= i.reorder_level, p.name, p.sku"
#define INV_FROM " FROM inventory i JOIN products p ON p.id = i.product_id"
/* needs_reorder is available <= reorder_level, stored and indexed
 * (schema/006_list_indexes.sql). */
#define INV_BY_PRODUCT	"product_id = ? AND "
#define INV_LOW		"needs_reorder = 1 AND "
#define INV_PAGE(where) \
	"SELECT STRAIGHT_JOIN " INV_COLS " FROM " KEYS_PAGE("inventory", where) \
	" JOIN inventory i ON i.id = pg.kid " \
	"JOIN products p ON p.id = i.product_id" KEYS_ORDER
/* A kept count's name in the audit, one collation for every table. */
#define COUNT_NAME(expr) \
	"CONVERT(" expr " USING utf8mb4) COLLATE utf8mb4_unicode_ci"
/* The counts the triggers of schema/012_list_counts.sql keep: a few slot
 * rows to add, where COUNT(*) would read an index of every row. */
#define LIST_COUNT(list) \
	"SELECT COALESCE(SUM(n), 0) FROM list_counts WHERE list = '" list "'"
#define INV_COUNT(where) \
	"SELECT COUNT(*) FROM inventory WHERE " where "TRUE"
#define MOVEMENT_COLS \
	"id, inventory_id, product_id, change_in_stock, change_reserved, " \
	"reason, order_id, user_id, " ISO_UTC("created_at")
#define REORDER_COLS \
	"id, inventory_id, product_id, available, reorder_level, " \
	"suggested_quantity, status, " ISO_UTC("created_at") ", " \
	ISO_UTC("updated_at") ", " ISO_UTC("closed_at")
/* Newest first along the primary key, or along (status, id). */
#define REORDER_PAGE(where) \
	"SELECT " REORDER_COLS " FROM reorder_suggestions WHERE " where \
	"id < ? ORDER BY id DESC LIMIT ? OFFSET ?"

/*
 * enum order_col: an order with its owner (o, u). The owner's own views
 * leave the owner out (NULL, NULL, no join with users): only the admin's
 * OrderWithUser shows them; so does the new order that order_create
 * (schema/) answers its 201 with. Times as they are stored (orders.c
 * writes them in ISO form): DATE_FORMAT on every row of a page cost
 * MariaDB a twentieth of the page.
 */
#define ORDER_BASE_COLS \
	"o.id, o.order_number, o.user_id, o.status, o.total_amount, " \
	"o.shipping_address, o.shipping_method, o.tracking_number, " \
	"o.notes, o.created_at, o.updated_at"
#define ORDER_COLS	ORDER_BASE_COLS ", u.email, u.full_name"
#define ORDER_OWN_COLS	ORDER_BASE_COLS ", NULL, NULL"

/* enum order_item_col: an item with its product (oi, p); likewise the
 * product's name and SKU are the admin's only. */
#define ORDER_ITEM_BASE_COLS \
	"oi.id, oi.order_id, oi.product_id, oi.quantity, oi.unit_price, " \
	"oi.created_at"
#define ORDER_ITEM_COLS		ORDER_ITEM_BASE_COLS ", p.name, p.sku"
#define ORDER_ITEM_PLAIN_COLS	ORDER_ITEM_BASE_COLS ", NULL, NULL"

/* An order event's data (the order as its new status left it). */
#define ORDER_EVENT_DATA \
	"JSON_OBJECT('id', o.id, 'order_number', o.order_number, " \
	"'user_id', o.user_id, 'status', o.status, 'total_amount', " \
	"o.total_amount, 'tracking_number', o.tracking_number, " \
	"'created_at', " ISO_UTC("o.created_at") ", 'updated_at', " \
	ISO_UTC("o.updated_at") ")"

/*
 * A JSON array bound as one parameter stands for a list of values:
 * MariaDB's JSON_TABLE turns it into rows, so a whole order (or the ids
 * of a page) goes in one statement instead of one per element, and the
 * SQL text stays fixed. The JSON is built from validated integers and
 * DECIMAL text, never from request strings.
 */
#define JSON_IDS(col) \
	"JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, " \
	col " BIGINT PATH '$'))"

/*
 * A page of orders, newest first (the id breaks ties within a second):
 * the page's ids walk the index of its filters backwards from the key
 * given (schema/002_orders.sql), whatever the number of orders, then
 * users join those rows only (ordered as KEYS_ORDER says). The index
 * is named: by its statistics
 * MariaDB picked the sweep's (status, swept_at, created_at) for a
 * status, which then sorts every order of that status. where is "" or
 * conditions ending in "AND ". The first page starts below a key later
 * than any order.
 */
#define ORDER_PAGE_OF(cols, join, ix, where) \
	"SELECT STRAIGHT_JOIN " cols " FROM (SELECT id AS kid, " \
	"created_at AS kt FROM orders FORCE INDEX (" ix ") WHERE " where \
	"(created_at < ? OR (created_at = ? AND id < ?)) " \
	"ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?) pg " \
	"JOIN orders o ON o.id = pg.kid " join \
	"ORDER BY pg.kt DESC, pg.kid DESC"
#define ORDER_PAGE(ix, where) \
	ORDER_PAGE_OF(ORDER_COLS, "JOIN users u ON u.id = o.user_id ", ix, \
	where)
#define ORDER_OWN_PAGE(ix, where) ORDER_PAGE_OF(ORDER_OWN_COLS, "", ix, where)
/*
 * The owner's page when it skips nothing (a first page, or one reached
 * by cursor): its rows read along the index, in the index's order. The
 * derived table above keeps a skip from reading whole the rows it drops,
 * but materialises the page and sorts it again: a fifth of the
 * statement's time on a page of 100 (measured). Same parameters.
 */
#define ORDER_OWN_SEEK(ix, where) \
	"SELECT " ORDER_OWN_COLS " FROM orders o FORCE INDEX (" ix ") " \
	"WHERE " where "(created_at < ? OR (created_at = ? AND id < ?)) " \
	"ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
/* The X-Total-Count of those pages, by the same rule. */
#define ORDER_COUNT(where)	"SELECT COUNT(*) FROM orders o " where

/*
 * The items of a whole page of orders in one query, with (join) or
 * without their products. STRAIGHT_JOIN: from the ids to the items by
 * order id; left to itself, the optimizer may start from a small products
 * table and scan every item of those products (measured: 20 times
 * slower). Unsorted: the caller sorts them (db_res_sort), as no index
 * can give the order from the ids of a JSON array and MariaDB's sort
 * went through a temporary table, a tenth of a page's time.
 */
#define ORDER_ITEMS_OF(cols, join) \
	"SELECT STRAIGHT_JOIN " cols " FROM " JSON_IDS("oid") " j " \
	"JOIN order_items oi ON oi.order_id = j.oid " join

/* enum webhook_col: a subscription, its secret left out (NULL) but
 * where the one statement that shows it asks for it. */
#define WEBHOOK_BASE_COLS \
	"id, url, events, description, is_active, " ISO_UTC("created_at") \
	", " ISO_UTC("updated_at")
#define WEBHOOK_COLS		WEBHOOK_BASE_COLS ", NULL"
#define WEBHOOK_SECRET_COLS	WEBHOOK_BASE_COLS ", secret"
/* enum wh_delivery_col. */
#define WH_DELIVERY_COLS \
	"id, webhook_id, event_id, event_type, status, attempts, " \
	ISO_UTC("next_attempt_at") ", " ISO_UTC("last_attempt_at") ", " \
	"last_status_code, last_duration_ms, last_error, " \
	ISO_UTC("delivered_at") ", " ISO_UTC("created_at")

/*
 * Every statement of the programs, indexed by enum stmt (db.h): a name for
 * log lines, the number of result columns and the SQL. Designated
 * initialisers keep each row next to its enum name; db_open() refuses a
 * table with a hole. The column count is the __MAX of the enum (db.h)
 * that callers index the result with, so a column added to a list
 * without its enum entry (or the reverse) fails db_prepare_all(), the
 * schema-drift test, and db_exec(), instead of shifting what callers
 * read.
 */
static const struct {
	const char	*name;
	unsigned	 cols;	/* result columns; 0 for none */
	const char	*sql;
} stmts[STMT__MAX] = {
	[STMT_USER_INSERT] = { "user_insert", 0,
	    "INSERT INTO users (email, full_name, hashed_password, is_admin) "
	    "VALUES (?, ?, ?, ?)" },
	/* email compares byte for byte: callers pass email_canonical(). */
	[STMT_USER_BY_EMAIL] = { "user_by_email", USER_COL__MAX,
	    "SELECT " USER_COLS ", hashed_password, token_version FROM users "
	    "WHERE email = ?" },
	[STMT_USER_BY_ID] = { "user_by_id", USER_COL__MAX,
	    "SELECT " USER_COLS ", hashed_password, token_version FROM users "
	    "WHERE id = ?" },
	[STMT_USER_LIST] = { "user_list", USER_COL_HASH,
	    "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id "
	    "LIMIT ? OFFSET ?" },
	[STMT_USER_COUNT] = { "user_count", 1,
	    "SELECT COUNT(*) FROM users" },
	/* The caller computed the new values under STMT_USER_LOCK. */
	[STMT_USER_UPDATE] = { "user_update", 0,
	    "UPDATE users SET full_name = COALESCE(?, full_name), "
	    "is_active = ?, is_admin = ?, "
	    "token_version = token_version + ? WHERE id = ?" },
	/* The one primary-key read of an authenticated write (router.c). */
	[STMT_USER_AUTH] = { "user_auth", USER_AUTH_COL__MAX,
	    "SELECT is_active, is_admin, token_version FROM users "
	    "WHERE id = ?" },
	[STMT_USER_LOCK] = { "user_lock", USER_AUTH_COL__MAX,
	    "SELECT is_active, is_admin, token_version FROM users "
	    "WHERE id = ? FOR UPDATE" },
	/* A change that may remove an active admin locks them all first,
	 * in id order: two such changes queue here instead of each counting
	 * the other's target as still there. */
	[STMT_USER_ADMINS_LOCK] = { "user_admins_lock", 1,
	    "SELECT id FROM users WHERE is_active = 1 AND is_admin = 1 "
	    "ORDER BY id FOR UPDATE" },
	[STMT_USER_SET_HASH] = { "user_set_hash", 0,
	    "UPDATE users SET hashed_password = ? WHERE id = ?" },
	[STMT_REFRESH_INSERT] = { "refresh_insert", 0,
	    "INSERT INTO refresh_tokens (jti, user_id, family_id, expires_at) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)" },
	[STMT_REFRESH_BY_JTI_LOCK] = { "refresh_by_jti_lock", 5,
	    "SELECT user_id, family_id, used_at IS NOT NULL, "
	    "revoked_at IS NOT NULL, expires_at <= UTC_TIMESTAMP() "
	    "FROM refresh_tokens WHERE jti = ? FOR UPDATE" },
	[STMT_REFRESH_MARK_USED] = { "refresh_mark_used", 0,
	    "UPDATE refresh_tokens SET used_at = UTC_TIMESTAMP() "
	    "WHERE jti = ? AND used_at IS NULL" },
	[STMT_REFRESH_REVOKE_FAMILY] = { "refresh_revoke_family", 0,
	    "UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP() "
	    "WHERE family_id = ? AND revoked_at IS NULL" },
	[STMT_REFRESH_REVOKE_USER] = { "refresh_revoke_user", 0,
	    "UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP() "
	    "WHERE user_id = ? AND revoked_at IS NULL" },
	[STMT_PING] = { "ping", 1,
	    "SELECT 1" },
	[STMT_GET_LOCK] = { "get_lock", 1,
	    "SELECT GET_LOCK(?, ?)" },
	[STMT_RELEASE_LOCK] = { "release_lock", 1,
	    "SELECT RELEASE_LOCK(?)" },
	[STMT_MIGRATION_VERSIONS] = { "migration_versions", 1,
	    "SELECT version FROM schema_migrations ORDER BY version" },
	[STMT_MIGRATION_RECORD] = { "migration_record", 0,
	    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)" },
	/* information_schema lists a routine only to an account that may
	 * run or alter it, while PREPARE of a CALL succeeds without EXECUTE:
	 * this is how check-config sees the grant before an order fails. */
	[STMT_ROUTINES_CALLABLE] = { "routines_callable", 1,
	    "SELECT ROUTINE_NAME FROM information_schema.ROUTINES "
	    "WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME" },
	/* products and inventory */
	[STMT_PRODUCT_INSERT] = { "product_insert", 0,
	    "INSERT INTO products (sku, name, description, price, weight, "
	    "dimensions, category, image_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" },
	[STMT_PRODUCT_BY_ID] = { "product_by_id", PRODUCT_COL__MAX,
	    "SELECT " PRODUCT_COLS " FROM products WHERE id = ?" },
	[STMT_PRODUCT_LOCK] = { "product_lock", 1,
	    "SELECT id FROM products WHERE id = ? FOR UPDATE" },
	[STMT_PRODUCT_PAGE] = { "product_page", PRODUCT_COL__MAX,
	    PRODUCT_PAGE("") },
	[STMT_PRODUCT_PAGE_BY_CATEGORY] = { "product_page_by_category",
	    PRODUCT_COL__MAX, PRODUCT_PAGE(PRODUCT_BY_CATEGORY) },
	[STMT_PRODUCT_PAGE_BY_Q] = { "product_page_by_q", PRODUCT_COL__MAX,
	    PRODUCT_PAGE(PRODUCT_BY_Q) },
	[STMT_PRODUCT_PAGE_BY_CATEGORY_Q] = { "product_page_by_category_q",
	    PRODUCT_COL__MAX, PRODUCT_PAGE(PRODUCT_BY_CATEGORY PRODUCT_BY_Q) },
	[STMT_PRODUCT_COUNT] = { "product_count", 1,
	    LIST_COUNT("products") },
	/* The triggers' count (schema/014_category_counts.sql). */
	[STMT_PRODUCT_COUNT_BY_CATEGORY] = { "product_count_by_category", 1,
	    "SELECT COALESCE(SUM(n), 0) FROM category_counts "
	    "WHERE category = ?" },
	[STMT_PRODUCT_COUNT_BY_Q] = { "product_count_by_q", 1,
	    PRODUCT_COUNT(PRODUCT_BY_Q) },
	[STMT_PRODUCT_COUNT_BY_CATEGORY_Q] = { "product_count_by_category_q",
	    1, PRODUCT_COUNT(PRODUCT_BY_CATEGORY PRODUCT_BY_Q) },
	/* Optional columns take a (given, value) pair so that a JSON null
	 * can clear them while an absent field keeps them. */
	[STMT_PRODUCT_UPDATE] = { "product_update", 0,
	    "UPDATE products SET sku = COALESCE(?, sku), "
	    "name = COALESCE(?, name), price = COALESCE(?, price), "
	    "description = IF(?, ?, description), "
	    "weight = IF(?, ?, weight), "
	    "dimensions = IF(?, ?, dimensions), "
	    "category = IF(?, ?, category), "
	    "image_url = IF(?, ?, image_url) WHERE id = ?" },
	[STMT_PRODUCT_DELETE] = { "product_delete", 0,
	    "DELETE FROM products WHERE id = ?" },
	/* A column set earlier in the row may be read later in VALUES. No
	 * order holds units of a product without a record yet, so all of
	 * its reservation is a manual hold. */
	[STMT_INV_INSERT] = { "inv_insert", 0,
	    "INSERT INTO inventory (product_id, quantity_in_stock, "
	    "quantity_reserved, reorder_level, reorder_quantity, "
	    "last_restock_date, manual_hold) VALUES (?, ?, ?, ?, ?, "
	    "IF(quantity_in_stock > 0, UTC_TIMESTAMP(), NULL), "
	    "quantity_reserved)" },
	[STMT_INV_BY_ID] = { "inv_by_id", INV_COL__MAX,
	    "SELECT " INV_COLS INV_FROM " WHERE i.id = ?" },
	[STMT_INV_BY_PRODUCT] = { "inv_by_product", INV_COL__MAX,
	    "SELECT " INV_COLS INV_FROM " WHERE i.product_id = ?" },
	[STMT_INV_LOCK] = { "inv_lock", INV_LOCK_COL__MAX,
	    "SELECT product_id, quantity_in_stock, quantity_reserved, "
	    "reorder_level, reorder_quantity, manual_hold FROM inventory "
	    "WHERE id = ? FOR UPDATE" },
	/* Locking, so inside a transaction it also sees (and holds off) a
	 * record created concurrently. */
	[STMT_INV_ID_BY_PRODUCT] = { "inv_id_by_product", 1,
	    "SELECT id FROM inventory WHERE product_id = ? FOR UPDATE" },
	[STMT_INV_UPDATE] = { "inv_update", 0,
	    "UPDATE inventory SET quantity_in_stock = ?, "
	    "quantity_reserved = ?, manual_hold = ?, reorder_level = ?, "
	    "reorder_quantity = ?, "
	    "last_restock_date = IF(?, UTC_TIMESTAMP(), last_restock_date) "
	    "WHERE id = ?" },
	[STMT_INV_PAGE] = { "inv_page", INV_COL__MAX, INV_PAGE("") },
	[STMT_INV_PAGE_BY_PRODUCT] = { "inv_page_by_product", INV_COL__MAX,
	    INV_PAGE(INV_BY_PRODUCT) },
	[STMT_INV_PAGE_LOW] = { "inv_page_low", INV_COL__MAX,
	    INV_PAGE(INV_LOW) },
	[STMT_INV_PAGE_BY_PRODUCT_LOW] = { "inv_page_by_product_low",
	    INV_COL__MAX, INV_PAGE(INV_BY_PRODUCT INV_LOW) },
	[STMT_INV_COUNT] = { "inv_count", 1, LIST_COUNT("inventory") },
	[STMT_INV_COUNT_BY_PRODUCT] = { "inv_count_by_product", 1,
	    INV_COUNT(INV_BY_PRODUCT) },
	[STMT_INV_COUNT_LOW] = { "inv_count_low", 1,
	    LIST_COUNT("inventory_low") },
	[STMT_INV_COUNT_BY_PRODUCT_LOW] = { "inv_count_by_product_low", 1,
	    INV_COUNT(INV_BY_PRODUCT INV_LOW) },
	/* A user deleted since their token was issued is recorded as NULL
	 * rather than failing the change on the foreign key. */
	[STMT_MOVEMENT_INSERT] = { "movement_insert", 0,
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason, order_id, user_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, (SELECT id FROM users WHERE id = ?))" },
	[STMT_MOVEMENT_LIST] = { "movement_list", MOVEMENT_COL__MAX,
	    "SELECT " MOVEMENT_COLS " FROM stock_movements "
	    "WHERE inventory_id = ? AND id < ? ORDER BY id DESC "
	    "LIMIT ? OFFSET ?" },
	[STMT_MOVEMENT_COUNT] = { "movement_count", 1,
	    "SELECT COUNT(*) FROM stock_movements WHERE inventory_id = ?" },
	[STMT_REORDER_PAGE] = { "reorder_page", REORDER_COL__MAX,
	    REORDER_PAGE("") },
	[STMT_REORDER_PAGE_BY_STATUS] = { "reorder_page_by_status",
	    REORDER_COL__MAX, REORDER_PAGE("status = ? AND ") },
	[STMT_REORDER_COUNT] = { "reorder_count", 1,
	    "SELECT COUNT(*) FROM reorder_suggestions" },
	[STMT_REORDER_COUNT_BY_STATUS] = { "reorder_count_by_status", 1,
	    "SELECT COUNT(*) FROM reorder_suggestions WHERE status = ?" },
	[STMT_REORDER_BY_ID] = { "reorder_by_id", REORDER_COL__MAX,
	    "SELECT " REORDER_COLS " FROM reorder_suggestions WHERE id = ?" },
	/* The trigger on inventory closes suggestions under the record's
	 * lock; a PATCH holds this one until it commits. */
	[STMT_REORDER_LOCK] = { "reorder_lock", 1,
	    "SELECT status FROM reorder_suggestions WHERE id = ? FOR UPDATE" },
	[STMT_REORDER_SET_STATUS] = { "reorder_set_status", 0,
	    "UPDATE reorder_suggestions SET status = ?, "
	    "updated_at = UTC_TIMESTAMP() WHERE id = ?" },
	/* orders */
	/* The creation rule, in one round trip: a procedure that commits by
	 * itself when told to (schema/007_order_create.sql). Its result
	 * sets are order_flow.c's to check. */
	[STMT_ORDER_CREATE] = { "order_create", 0,
	    "CALL order_create(?, ?, ?, ?, ?, ?, ?)" },
	/* Every transition starts here: one writer per order at a time. */
	[STMT_ORDER_LOCK] = { "order_lock", 4,
	    "SELECT user_id, status, reservation, order_number FROM orders "
	    "WHERE id = ? FOR UPDATE" },
	/* In product-id order: the order in which stock rows are locked. */
	[STMT_ORDER_STOCK_LINES] = { "order_stock_lines", 3,
	    "SELECT oi.product_id, oi.quantity, p.name "
	    "FROM order_items oi JOIN products p ON p.id = oi.product_id "
	    "WHERE oi.order_id = ? ORDER BY oi.product_id" },
	/* The oversell-safe conditional update (doc/design.md, "Stock rules",
	 * rule 1). */
	[STMT_ORDER_RESERVE] = { "order_reserve", 0,
	    "UPDATE inventory SET quantity_reserved = quantity_reserved + ? "
	    "WHERE product_id = ? AND quantity_in_stock - quantity_reserved "
	    ">= ?" },
	/* An order gives back only what orders hold, never the manual
	 * hold: no row touched means the books disagree. */
	[STMT_ORDER_RELEASE] = { "order_release", 0,
	    "UPDATE inventory SET quantity_reserved = quantity_reserved - ? "
	    "WHERE product_id = ? AND quantity_reserved - manual_hold >= ?" },
	[STMT_ORDER_DEDUCT] = { "order_deduct", 0,
	    "UPDATE inventory SET quantity_in_stock = quantity_in_stock - ?, "
	    "quantity_reserved = quantity_reserved - ? "
	    "WHERE product_id = ? AND quantity_reserved - manual_hold >= ?" },
	/* After a refused reservation: the row is already locked by it. */
	[STMT_ORDER_AVAILABLE_LOCK] = { "order_available_lock", 1,
	    "SELECT quantity_in_stock - quantity_reserved FROM inventory "
	    "WHERE product_id = ? FOR UPDATE" },
	/* One ledger row per item of the order (doc/design.md, "Stock
	 * rules", rule 3);
	 * what it returns is the stock to invalidate after the commit. */
	[STMT_ORDER_MOVEMENTS] = { "order_movements", 2,
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason, order_id, user_id) "
	    "SELECT i.id, oi.product_id, ? * oi.quantity, ? * oi.quantity, ?, "
	    "oi.order_id, ? FROM order_items oi JOIN inventory i "
	    "ON i.product_id = oi.product_id WHERE oi.order_id = ? "
	    "ORDER BY oi.product_id RETURNING inventory_id, product_id" },
	[STMT_ORDER_SET_STATE] = { "order_set_state", 0,
	    "UPDATE orders SET status = ?, reservation = ?, "
	    "tracking_number = COALESCE(?, tracking_number), "
	    "notes = COALESCE(?, notes) WHERE id = ?" },
	[STMT_ORDER_APPEND_NOTE] = { "order_append_note", 0,
	    "UPDATE orders SET notes = CONCAT_WS('\\n', NULLIF(notes, ''), ?) "
	    "WHERE id = ?" },
	[STMT_ORDER_BY_ID] = { "order_by_id", ORDER_COL__MAX,
	    "SELECT " ORDER_COLS " FROM orders o JOIN users u "
	    "ON u.id = o.user_id WHERE o.id = ?" },
	/* The admin's counts of all orders and of a status: the pending
	 * orders by their index, the others as the triggers of
	 * schema/013_order_counts.sql keep them. For any status but
	 * pending, the first subquery is an impossible WHERE. */
	[STMT_ORDER_COUNT] = { "order_count", 1,
	    "SELECT (" ORDER_COUNT("WHERE o.status = 'pending'") ") + "
	    "(SELECT COALESCE(SUM(n), 0) FROM order_counts)" },
	[STMT_ORDER_COUNT_BY_STATUS] = { "order_count_by_status", 1,
	    "SELECT (" ORDER_COUNT("WHERE o.status = 'pending' AND "
	    "o.status = f.s") ") + (SELECT COALESCE(SUM(c.n), 0) FROM "
	    "order_counts c WHERE c.status = f.s) FROM (SELECT ? AS s) f" },
	[STMT_ORDER_COUNT_BY_USER] = { "order_count_by_user", 1,
	    ORDER_COUNT("WHERE o.user_id = ?") },
	[STMT_ORDER_COUNT_BY_USER_STATUS] = { "order_count_by_user_status", 1,
	    ORDER_COUNT("WHERE o.user_id = ? AND o.status = ?") },
	[STMT_ORDER_PAGE] = { "order_page", ORDER_COL__MAX,
	    ORDER_PAGE("ix_orders_created", "") },
	[STMT_ORDER_PAGE_BY_STATUS] = { "order_page_by_status", ORDER_COL__MAX,
	    ORDER_PAGE("ix_orders_status_created", "status = ? AND ") },
	[STMT_ORDER_PAGE_BY_USER] = { "order_page_by_user", ORDER_COL__MAX,
	    ORDER_PAGE("ix_orders_user_created", "user_id = ? AND ") },
	[STMT_ORDER_PAGE_BY_USER_STATUS] = { "order_page_by_user_status",
	    ORDER_COL__MAX, ORDER_PAGE("ix_orders_user_status_created",
	    "user_id = ? AND status = ? AND ") },
	[STMT_ORDER_OWN_PAGE] = { "order_own_page", ORDER_COL__MAX,
	    ORDER_OWN_PAGE("ix_orders_user_created", "user_id = ? AND ") },
	[STMT_ORDER_OWN_PAGE_BY_STATUS] = { "order_own_page_by_status",
	    ORDER_COL__MAX, ORDER_OWN_PAGE("ix_orders_user_status_created",
	    "user_id = ? AND status = ? AND ") },
	[STMT_ORDER_OWN_SEEK] = { "order_own_seek", ORDER_COL__MAX,
	    ORDER_OWN_SEEK("ix_orders_user_created", "user_id = ? AND ") },
	[STMT_ORDER_OWN_SEEK_BY_STATUS] = { "order_own_seek_by_status",
	    ORDER_COL__MAX, ORDER_OWN_SEEK("ix_orders_user_status_created",
	    "user_id = ? AND status = ? AND ") },
	[STMT_ORDER_ITEMS_OF] = { "order_items_of", ORDER_ITEM_COL__MAX,
	    ORDER_ITEMS_OF(ORDER_ITEM_COLS,
	    "JOIN products p ON p.id = oi.product_id ") },
	[STMT_ORDER_ITEMS_PLAIN_OF] = { "order_items_plain_of",
	    ORDER_ITEM_COL__MAX,
	    ORDER_ITEMS_OF(ORDER_ITEM_PLAIN_COLS, "") },
	/* The stock invariants, per product: reserved equals what orders
	 * hold plus the manual hold, and the ledger sums to the quantities.
	 * A movement without an order is a manual hold change (only POST
	 * and PUT /inventory change reserved without one). One statement:
	 * one consistent read of everything. */
	[STMT_ORDER_AUDIT] = { "order_audit", AUDIT_COL__MAX,
	    "SELECT i.product_id, i.quantity_in_stock, i.quantity_reserved, "
	    "COALESCE(h.held, 0), COALESCE(m.stock, 0), "
	    "COALESCE(m.reserved, 0), i.manual_hold, COALESCE(m.manual, 0) "
	    "FROM inventory i LEFT JOIN (SELECT oi.product_id, "
	    "SUM(oi.quantity) AS held FROM order_items oi JOIN orders o "
	    "ON o.id = oi.order_id WHERE o.reservation = 'held' "
	    "GROUP BY oi.product_id) h ON h.product_id = i.product_id "
	    "LEFT JOIN (SELECT inventory_id, SUM(change_in_stock) AS stock, "
	    "SUM(change_reserved) AS reserved, "
	    "SUM(IF(order_id IS NULL, change_reserved, 0)) AS manual "
	    "FROM stock_movements GROUP BY inventory_id) m "
	    "ON m.inventory_id = i.id ORDER BY i.product_id" },
	/* The counts the triggers keep (schema/012_list_counts.sql,
	 * 013_order_counts.sql, 014_category_counts.sql), each against
	 * its COUNT(*), in one statement: one consistent read. Each kept
	 * count and each COUNT(*) is a row of its own, so a count kept for
	 * rows that are gone shows too. The names are compared in the
	 * categories' collation, as the product list's filter compares
	 * them. */
	[STMT_LIST_COUNT_AUDIT] = { "list_count_audit", 3,
	    "SELECT MIN(list), SUM(kept), SUM(counted) FROM ("
	    "SELECT " COUNT_NAME("list") " AS list, n AS kept, "
	    "0 AS counted FROM list_counts UNION ALL "
	    "SELECT " COUNT_NAME("CONCAT('orders_', status)") ", n, 0 "
	    "FROM order_counts UNION ALL "
	    "SELECT " COUNT_NAME("CONCAT('category ', category)") ", n, 0 "
	    "FROM category_counts "
	    "UNION ALL SELECT 'products', 0, COUNT(*) FROM products "
	    "UNION ALL SELECT 'inventory', 0, COUNT(*) FROM inventory "
	    "UNION ALL SELECT 'inventory_low', 0, COUNT(*) FROM inventory "
	    "WHERE needs_reorder = 1 UNION ALL "
	    "SELECT " COUNT_NAME("CONCAT('orders_', status)") ", 0, "
	    "COUNT(*) FROM orders WHERE status <> 'pending' GROUP BY status "
	    "UNION ALL SELECT " COUNT_NAME("CONCAT('category ', category)")
	    ", 0, COUNT(*) FROM products WHERE category IS NOT NULL "
	    "GROUP BY category) a "
	    "GROUP BY list HAVING SUM(kept) <> SUM(counted)" },
	/* Idempotency-Key: the row is the claim on the key. The request is
	 * compared by its SHA-256, computed here. */
	[STMT_IDEM_INSERT] = { "idem_insert", 0,
	    "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, "
	    "expires_at) VALUES (?, ?, SHA2(?, 256), "
	    "UTC_TIMESTAMP() + INTERVAL ? SECOND)" },
	[STMT_IDEM_GET] = { "idem_get", 6,
	    "SELECT id, status_code, response_body, "
	    "request_hash <=> SHA2(?, 256), expires_at <= UTC_TIMESTAMP(), "
	    "created_at <= UTC_TIMESTAMP() - INTERVAL ? SECOND "
	    "FROM idempotency_keys WHERE user_id = ? AND idem_key = ?" },
	[STMT_IDEM_LOCK] = { "idem_lock", 1,
	    "SELECT status_code FROM idempotency_keys WHERE id = ? "
	    "FOR UPDATE" },
	[STMT_IDEM_FINISH] = { "idem_finish", 0,
	    "UPDATE idempotency_keys SET status_code = ?, response_body = ? "
	    "WHERE id = ? AND status_code IS NULL" },
	[STMT_IDEM_ABANDON] = { "idem_abandon", 0,
	    "DELETE FROM idempotency_keys WHERE id = ? "
	    "AND status_code IS NULL" },
	[STMT_IDEM_DELETE_EXPIRED] = { "idem_delete_expired", 0,
	    "DELETE FROM idempotency_keys WHERE id = ? "
	    "AND expires_at <= UTC_TIMESTAMP()" },
	[STMT_IDEM_PURGE] = { "idem_purge", 0,
	    "DELETE FROM idempotency_keys WHERE expires_at <= "
	    "UTC_TIMESTAMP() ORDER BY expires_at LIMIT ?" },
	/* queue and worker */
	/* Pending orders the worker's sweep has never enqueued, oldest
	 * first (ix_orders_sweep). */
	[STMT_ORDER_SWEEP] = { "order_sweep", 1,
	    "SELECT id FROM orders WHERE status = 'pending' AND "
	    "swept_at IS NULL AND created_at < UTC_TIMESTAMP() - "
	    "INTERVAL ? SECOND ORDER BY created_at, id LIMIT ?" },
	/* updated_at kept: the order itself did not change. */
	[STMT_ORDER_MARK_SWEPT] = { "order_mark_swept", 0,
	    "UPDATE orders SET swept_at = UTC_TIMESTAMP(), "
	    "updated_at = updated_at WHERE id = ? AND swept_at IS NULL" },
	/*
	 * The worker's batch: every order row locked in one statement, in
	 * the order of the ids given (sorted: two batches lock in the same
	 * order). STRAIGHT_JOIN: each order by its primary key. Left to
	 * itself the optimizer may walk the status index instead, which
	 * locks every pending order and reads the ids once per row.
	 */
	[STMT_ORDER_LOCK_BATCH] = { "order_lock_batch", 4,
	    "SELECT o.id, o.user_id, o.status, o.reservation FROM "
	    JSON_IDS("oid") " j STRAIGHT_JOIN orders o ON o.id = j.oid "
	    "ORDER BY o.id FOR UPDATE" },
	/* Rows already locked by order_lock_batch; the condition repeats
	 * the rule that only a pending order holding its stock moves here. */
	[STMT_ORDER_PROCESS_BATCH] = { "order_process_batch", 0,
	    "UPDATE " JSON_IDS("oid") " j STRAIGHT_JOIN orders o "
	    "ON o.id = j.oid SET o.status = 'processing' "
	    "WHERE o.status = 'pending' AND o.reservation = 'held'" },
	/* What the payment step tells a gateway; no lock: the status is
	 * checked again, locked, when the order is settled. */
	[STMT_ORDER_PAYMENTS] = { "order_payments", 5,
	    "SELECT o.id, o.order_number, o.user_id, o.total_amount, "
	    "o.status FROM " JSON_IDS("oid") " j STRAIGHT_JOIN orders o "
	    "ON o.id = j.oid" },
	/* The events read the rows as the transaction has just written
	 * them, so an event says what its commit made. */
	[STMT_EVENT_ORDER_STATUS] = { "event_order_status", 0,
	    "INSERT INTO outbox (type, data) SELECT CONCAT('order.', "
	    "o.status), " ORDER_EVENT_DATA " FROM orders o WHERE o.id = ?" },
	[STMT_EVENT_ORDER_STATUS_BATCH] = { "event_order_status_batch", 0,
	    "INSERT INTO outbox (type, data) SELECT CONCAT('order.', "
	    "o.status), " ORDER_EVENT_DATA " FROM " JSON_IDS("oid") " j "
	    "STRAIGHT_JOIN orders o ON o.id = j.oid ORDER BY j.n" },
	[STMT_EVENT_INV_ADJUSTED] = { "event_inv_adjusted", 0,
	    "INSERT INTO outbox (type, data) SELECT 'inventory.adjusted', "
	    "JSON_OBJECT('id', i.id, 'product_id', i.product_id, "
	    "'quantity_in_stock', i.quantity_in_stock, 'quantity_reserved', "
	    "i.quantity_reserved, 'available', i.available, 'reorder_level', "
	    "i.reorder_level, 'change', ?, 'reason', ?, 'updated_at', "
	    ISO_UTC("i.updated_at") ") FROM inventory i WHERE i.id = ?" },
	/* webhooks */
	[STMT_WEBHOOK_INSERT] = { "webhook_insert", 0,
	    "INSERT INTO webhooks (url, events, description, is_active, "
	    "secret) VALUES (?, ?, ?, ?, ?)" },
	[STMT_WEBHOOK_BY_ID] = { "webhook_by_id", WEBHOOK_COL__MAX,
	    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?" },
	[STMT_WEBHOOK_WITH_SECRET] = { "webhook_with_secret",
	    WEBHOOK_COL__MAX,
	    "SELECT " WEBHOOK_SECRET_COLS " FROM webhooks WHERE id = ?" },
	[STMT_WEBHOOK_PAGE] = { "webhook_page", WEBHOOK_COL__MAX,
	    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id > ? ORDER BY id "
	    "LIMIT ? OFFSET ?" },
	[STMT_WEBHOOK_COUNT] = { "webhook_count", 1,
	    "SELECT COUNT(*) FROM webhooks" },
	/* NULL keeps a column; the description has a flag of its own, as
	 * null clears it. */
	[STMT_WEBHOOK_UPDATE] = { "webhook_update", 0,
	    "UPDATE webhooks SET url = COALESCE(?, url), "
	    "events = COALESCE(?, events), "
	    "description = IF(?, ?, description), "
	    "is_active = COALESCE(?, is_active) WHERE id = ?" },
	[STMT_WEBHOOK_SET_SECRET] = { "webhook_set_secret", 0,
	    "UPDATE webhooks SET secret = ? WHERE id = ?" },
	/* The foreign key of webhook_deliveries cascades. */
	[STMT_WEBHOOK_DELETE] = { "webhook_delete", 0,
	    "DELETE FROM webhooks WHERE id = ?" },
	[STMT_WEBHOOK_DELIVERY_PAGE] = { "webhook_delivery_page",
	    WH_DELIVERY_COL__MAX,
	    "SELECT " WH_DELIVERY_COLS " FROM webhook_deliveries "
	    "WHERE webhook_id = ? AND id < ? ORDER BY id DESC "
	    "LIMIT ? OFFSET ?" },
	[STMT_WEBHOOK_DELIVERY_COUNT] = { "webhook_delivery_count", 1,
	    "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?" },
	[STMT_WEBHOOK_DELIVERY_BY_ID] = { "webhook_delivery_by_id",
	    WH_DELIVERY_COL__MAX,
	    "SELECT " WH_DELIVERY_COLS " FROM webhook_deliveries "
	    "WHERE id = ? AND webhook_id = ?" },
	/* The worker takes due pending deliveries (ix_delivery_due). */
	[STMT_WEBHOOK_REDELIVER] = { "webhook_redeliver", 0,
	    "UPDATE webhook_deliveries SET status = 'pending', "
	    "next_attempt_at = NOW(3) WHERE id = ? AND webhook_id = ?" },
	/* the worker's side of webhooks */
	/* SKIP LOCKED: two workers dispatching at once take different
	 * events instead of waiting for each other (ix_outbox_pending). */
	[STMT_OUTBOX_PENDING_LOCK] = { "outbox_pending_lock", 1,
	    "SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id "
	    "LIMIT ? FOR UPDATE SKIP LOCKED" },
	/* The unique key (event, subscription) makes a second dispatch of
	 * an event (a worker killed before its commit) write nothing. */
	[STMT_OUTBOX_DISPATCH] = { "outbox_dispatch", 0,
	    "INSERT INTO webhook_deliveries (webhook_id, event_id, "
	    "event_type) SELECT w.id, o.id, o.type FROM " JSON_IDS("oid")
	    " j STRAIGHT_JOIN outbox o ON o.id = j.oid JOIN webhooks w ON "
	    "w.is_active AND JSON_CONTAINS(w.events, JSON_QUOTE(o.type)) "
	    "ON DUPLICATE KEY UPDATE id = webhook_deliveries.id" },
	[STMT_OUTBOX_MARK_DISPATCHED] = { "outbox_mark_dispatched", 0,
	    "UPDATE " JSON_IDS("oid") " j STRAIGHT_JOIN outbox o ON "
	    "o.id = j.oid SET o.dispatched_at = UTC_TIMESTAMP() "
	    "WHERE o.dispatched_at IS NULL" },
	/* ix_delivery_due; a paused subscription's deliveries wait. */
	[STMT_DELIVERY_DUE_LOCK] = { "delivery_due_lock", 1,
	    "SELECT d.id FROM webhook_deliveries d WHERE d.status = "
	    "'pending' AND d.next_attempt_at <= UTC_TIMESTAMP(3) AND "
	    "EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id "
	    "AND w.is_active) ORDER BY d.next_attempt_at LIMIT ? "
	    "FOR UPDATE SKIP LOCKED" },
	[STMT_DELIVERY_LEASE] = { "delivery_lease", 0,
	    "UPDATE " JSON_IDS("did") " j STRAIGHT_JOIN webhook_deliveries d "
	    "ON d.id = j.did SET d.next_attempt_at = UTC_TIMESTAMP(3) + "
	    "INTERVAL ? SECOND WHERE d.status = 'pending'" },
	[STMT_DELIVERY_SEND_INFO] = { "delivery_send_info", SEND_COL__MAX,
	    "SELECT d.status, d.attempts, w.url, w.secret, w.is_active, o.id, "
	    "o.type, o.data, " ISO_UTC("o.created_at") " FROM "
	    "webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
	    "JOIN outbox o ON o.id = d.event_id WHERE d.id = ?" },
	/* Only a pending delivery takes an attempt: one a redelivery or
	 * another worker has finished meanwhile keeps its outcome. */
	[STMT_DELIVERY_RECORD] = { "delivery_record", 0,
	    "UPDATE webhook_deliveries SET status = ?, attempts = attempts + "
	    "1, last_attempt_at = UTC_TIMESTAMP(3), last_status_code = ?, "
	    "last_duration_ms = ?, last_error = ?, next_attempt_at = "
	    "UTC_TIMESTAMP(3) + INTERVAL ? * 1000 MICROSECOND, delivered_at "
	    "= IF(status = 'delivered', UTC_TIMESTAMP(3), delivered_at) "
	    "WHERE id = ? AND status = 'pending'" },
	[STMT_DELIVERY_PURGE] = { "delivery_purge", 0,
	    "DELETE FROM webhook_deliveries WHERE status IN ('delivered', "
	    "'failed') AND created_at < UTC_TIMESTAMP() - INTERVAL ? DAY "
	    "LIMIT ?" },
	/* An event goes with its deliveries (the foreign key cascades),
	 * never while one of them is still to be sent. */
	[STMT_OUTBOX_PURGE] = { "outbox_purge", 0,
	    "DELETE FROM outbox WHERE dispatched_at < UTC_TIMESTAMP() - "
	    "INTERVAL ? DAY AND NOT EXISTS (SELECT 1 FROM webhook_deliveries "
	    "d WHERE d.event_id = outbox.id AND d.status = 'pending') "
	    "ORDER BY dispatched_at LIMIT ?" },
	[STMT_EVENT_BACKLOG] = { "event_backlog", 3,
	    "SELECT UNIX_TIMESTAMP((SELECT created_at FROM outbox WHERE "
	    "dispatched_at IS NULL ORDER BY id LIMIT 1)), UNIX_TIMESTAMP(("
	    "SELECT o.created_at FROM outbox o WHERE o.id = (SELECT "
	    "MIN(event_id) FROM webhook_deliveries WHERE status = "
	    "'pending'))), EXISTS (SELECT 1 FROM webhook_deliveries WHERE "
	    "status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(3))" },
	/* Processing orders no fulfil_order job is known to have reached,
	 * unchanged for a while, oldest change first (ix_orders_fulfil). */
	[STMT_FULFIL_SWEEP] = { "fulfil_sweep", 1,
	    "SELECT id FROM orders WHERE status = 'processing' AND "
	    "fulfil_queued_at IS NULL AND updated_at < UTC_TIMESTAMP() - "
	    "INTERVAL ? SECOND ORDER BY updated_at, id LIMIT ?" },
	/* updated_at kept: the order itself did not change. */
	[STMT_FULFIL_MARK] = { "fulfil_mark", 0,
	    "UPDATE orders SET fulfil_queued_at = UTC_TIMESTAMP(), "
	    "updated_at = updated_at WHERE id = ? AND fulfil_queued_at IS "
	    "NULL" },
};

/*
 * Every session starts in UTC (DATETIME defaults and UTC_TIMESTAMP agree,
 * whatever the server's zone) and in strict mode, so a value that does not
 * fit is refused instead of silently truncated, whatever the server's
 * configured sql_mode.
 */
#define DB_INIT_COMMAND \
	"SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES," \
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE," \
	"NO_ENGINE_SUBSTITUTION'"

/*
 * A read must outlast the longest legitimate wait on the server
 * (cfg->db_read_timeout, 120 s by default: innodb_lock_wait_timeout is 50 s
 * by default and the migration lock 30 s). Past that the server is presumed
 * gone and the connection is dropped.
 */
#define DB_WRITE_TIMEOUT	30	/* seconds */

#define DB_DEFAULT_TRIES	3	/* when cfg->db_retries is 0 */

/* Smallest result buffer; most values are ids, flags and short strings. */
#define DB_MIN_CELL		64

/*
 * Where the handle stands with respect to a transaction. DOOMED and LOST
 * keep a careless fn from going on after its transaction ended under it:
 * the server has rolled back, and anything run now would autocommit.
 */
enum tx_state {
	TX_NONE = 0,	/* no transaction: statements autocommit */
	TX_OPEN,	/* inside db_transaction, all well */
	TX_DOOMED,	/* deadlock or lock wait: only a rerun can help */
	TX_LOST,	/* the connection died inside the transaction */
};

struct db {
	const struct config	*cfg;		/* borrowed */
	char			*user;		/* owned: the account logged in */
	char			*password;	/* owned */
	MYSQL			*conn;		/* NULL while not connected */
	MYSQL_STMT		*st[STMT__MAX];	/* prepared on this conn */
	enum tx_state		 tx;
	bool			 ever_connected;
	uint64_t		 reconnects;
	uint64_t		 tx_retries;
	uint32_t		 rng;		/* retry jitter; 0 = unseeded */
};

/*
 * A fetched result: rows * ncols cells, NULL for SQL NULL. The cells'
 * text lives in one block: a page of orders is thousands of cells, and a
 * malloc and free for each cost more than fetching them.
 */
struct db_res {
	size_t		 nrows;
	size_t		 ncols;
	char		**cells;	/* owned; each points into text */
	char		*text;		/* owned: every cell, NUL-terminated */
	int64_t		*ints;		/* owned: the cells' values, in the
					   columns fetched as integers */
	bool		*int_col;	/* owned: those columns */
};

/* How db_fetch binds a column. */
enum cell_kind {
	CELL_TEXT,	/* as a string, converted by the client if need be */
	CELL_INT,	/* integer types: as an integer, written here */
	CELL_TIME,	/* DATETIME/TIMESTAMP without fractions: likewise */
};

/*
 * Errors that mean the connection is gone or unusable; the server has
 * forgotten our session (and any open transaction). 1243 (unknown
 * prepared statement) can only mean our cache outlived the session.
 * Not 4031: MySQL 8 sends it on an idle disconnect, but to MariaDB it is
 * a trigger error, and MariaDB just closes the socket. 1047 is what a
 * Galera node answers to every statement while it is out of the primary
 * component (cut off from the cluster's majority): the server is as good
 * as gone, and a new connection may reach a healthy node (a proxy).
 */
static bool
err_conn_lost(unsigned int e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:	/* 2002 */
	case CR_CONN_HOST_ERROR:	/* 2003 */
	case CR_SERVER_GONE_ERROR:	/* 2006 */
	case CR_SERVER_LOST:		/* 2013 */
	case CR_SERVER_LOST_EXTENDED:	/* 2055 */
	case ER_CONNECTION_KILLED:	/* 1927 */
	case ER_SERVER_SHUTDOWN:	/* 1053 */
	case ER_NET_READ_ERROR:		/* 1158 */
	case ER_NET_READ_INTERRUPTED:	/* 1159 */
	case ER_NET_ERROR_ON_WRITE:	/* 1160 */
	case ER_NET_WRITE_INTERRUPTED:	/* 1161 */
	case ER_UNKNOWN_STMT_HANDLER:	/* 1243 */
	case ER_UNKNOWN_COM_ERROR:	/* 1047: Galera, not primary */
		return true;
	default:
		return false;
	}
}

/*
 * Of those, the errors that prove the statement never ran, so running it
 * again cannot do it twice. Measured with Connector/C 3.3 against 10.11:
 * a connection the server closed for idling fails the very send (EPIPE
 * on a Unix socket, ECONNRESET on TCP) with 2006. 2013, lost while waiting
 * for the answer, may follow a committed INSERT, so it is not here.
 */
static bool
err_not_sent(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == ER_UNKNOWN_STMT_HANDLER;
}

/* The three-way (and then some) result for a server or client error. */
static enum inv_err
err_map(unsigned int e)
{
	if (err_conn_lost(e))
		return INV_UNAVAILABLE;
	switch (e) {
	case ER_DUP_ENTRY:		/* 1062 */
		return INV_CONFLICT;
	case ER_CONSTRAINT_FAILED:	/* 4025: CHECK */
	case ER_ROW_IS_REFERENCED_2:	/* 1451: a child row refers to it */
	case ER_NO_REFERENCED_ROW_2:	/* 1452: the parent is missing */
		return INV_CONSTRAINT;
	case ER_LOCK_DEADLOCK:		/* 1213 */
	case ER_LOCK_WAIT_TIMEOUT:	/* 1205 */
		return INV_RETRY;
	case ER_NO_SUCH_TABLE:		/* 1146: migrate.c's fresh database */
		return INV_NOTFOUND;
	default:
		return INV_DB;
	}
}

/*
 * Forgets the connection and every statement prepared on it. mysql_close
 * goes first: it detaches the statements from the connection, so closing
 * them afterwards frees memory without talking to a server that may be
 * gone.
 */
static void
db_drop(struct db *db)
{
	size_t i;

	if (db->conn == NULL)
		return;
	mysql_close(db->conn);
	db->conn = NULL;
	for (i = 0; i < STMT__MAX; i++)
		if (db->st[i] != NULL) {
			mysql_stmt_close(db->st[i]);
			db->st[i] = NULL;
		}
	if (db->tx != TX_NONE)
		db->tx = TX_LOST;
}

/*
 * Turns error e (message msg, borrowed) met while doing what into an
 * inv_err, with the side effects that go with it: a lost connection is
 * dropped, a deadlock dooms the open transaction, and errors nobody can
 * act on are logged here, once. Expected outcomes (duplicates, refused
 * constraints, deadlocks) are for the caller to judge, so only debug.
 */
static enum inv_err
db_fail(struct db *db, const char *what, unsigned int e, const char *msg)
{
	enum inv_err rc = err_map(e);

	switch (rc) {
	case INV_UNAVAILABLE:
		log_warn("%s: connection lost: %u %s", what, e, msg);
		db_drop(db);
		break;
	case INV_RETRY:
		log_debug("%s: %u %s", what, e, msg);
		if (db->tx == TX_OPEN)
			db->tx = TX_DOOMED;
		break;
	case INV_DB:
		log_error("%s: %u %s", what, e, msg);
		break;
	default:
		log_debug("%s: %u %s", what, e, msg);
		break;
	}
	return rc;
}

static enum inv_err
db_fail_conn(struct db *db, const char *what)
{
	char msg[512];

	/* Copied: db_fail may close the connection that holds it. */
	snprintf(msg, sizeof(msg), "%s", mysql_error(db->conn));
	return db_fail(db, what, mysql_errno(db->conn), msg);
}

static enum inv_err
db_fail_stmt(struct db *db, MYSQL_STMT *st, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", mysql_stmt_error(st));
	return db_fail(db, what, mysql_stmt_errno(st), msg);
}

/*
 * With db_ssl_ca: TLS required (no fallback to plain text) and the
 * server's certificate verified, its chain against the CA and its name
 * against db_host, so a server that cannot prove who it is never sees
 * the password. False when the library refuses an option.
 */
static bool
db_tls_options(MYSQL *m, const struct config *cfg)
{
	my_bool on = 1;

	if (cfg->db_ssl_ca[0] == '\0')
		return true;
	if (mysql_optionsv(m, MYSQL_OPT_SSL_CA, cfg->db_ssl_ca) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) != 0)
		return false;
	return cfg->db_ssl_cert[0] == '\0' ||
	    (mysql_optionsv(m, MYSQL_OPT_SSL_CERT, cfg->db_ssl_cert) == 0 &&
	    mysql_optionsv(m, MYSQL_OPT_SSL_KEY, cfg->db_ssl_key) == 0);
}

/*
 * Opens the connection unless there is one. Any failure to connect is
 * INV_UNAVAILABLE: wrong credentials make the service as unusable as a
 * server that is down, and the message in the log tells them apart.
 */
static enum inv_err
db_connect(struct db *db)
{
	const struct config *cfg = db->cfg;
	unsigned int ctimeout, rtimeout = (unsigned int)cfg->db_read_timeout,
	    wtimeout = DB_WRITE_TIMEOUT, proto;
	my_bool off = 0;
	const char *sock, *host;
	MYSQL *m;

	if (db->conn != NULL)
		return INV_OK;
	if ((m = mysql_init(NULL)) == NULL) {
		log_error("db_connect: mysql_init failed");
		return INV_ENOMEM;
	}
	ctimeout = cfg->db_connect_timeout > 0 ?
	    (unsigned int)cfg->db_connect_timeout : 5;
	sock = cfg->db_socket != NULL && cfg->db_socket[0] != '\0' ?
	    cfg->db_socket : NULL;
	host = sock != NULL ? "localhost" : cfg->db_host;
	/* Say which transport we mean: "localhost" alone would silently
	 * pick a default socket. */
	proto = sock != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	if (mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rtimeout) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &wtimeout) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
	    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_optionsv(m, MYSQL_INIT_COMMAND, DB_INIT_COMMAND) != 0 ||
	    mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off) != 0 ||
	    /* The server must never read our files (LOAD DATA LOCAL). */
	    mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &off) != 0 ||
	    !db_tls_options(m, cfg)) {
		log_error("db_connect: mysql_optionsv: %s", mysql_error(m));
		mysql_close(m);
		return INV_DB;
	}
	/*
	 * CLIENT_FOUND_ROWS: "affected" counts the rows matched, not only
	 * those whose values changed, so an UPDATE ... WHERE id = ? that
	 * rewrites equal values still says the row exists.
	 * CLIENT_MULTI_STATEMENTS is for db_exec_script; prepared statements
	 * cannot hold several statements, so it opens nothing else.
	 */
	if (mysql_real_connect(m, host, db->user, db->password,
	    cfg->db_name, (unsigned int)cfg->db_port, sock,
	    CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS) == NULL) {
		log_error("db_connect: %s@%s/%s: %u %s", db->user,
		    sock != NULL ? sock : cfg->db_host, cfg->db_name,
		    mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return INV_UNAVAILABLE;
	}
	db->conn = m;
	if (db->ever_connected) {
		db->reconnects++;
		log_info("db_connect: reconnected (%llu so far)",
		    (unsigned long long)db->reconnects);
	}
	db->ever_connected = true;
	return INV_OK;
}

/* The prepared statement st of this connection (borrowed), preparing it
 * on first use. The caller has connected. */
static enum inv_err
db_stmt(struct db *db, enum stmt st, MYSQL_STMT **out)
{
	MYSQL_STMT *s;
	my_bool on = 1;
	enum inv_err rc;
	char what[64];

	if ((s = db->st[st]) != NULL) {
		*out = s;
		return INV_OK;
	}
	if ((s = mysql_stmt_init(db->conn)) == NULL)
		return db_fail_conn(db, "mysql_stmt_init");
	if (mysql_stmt_prepare(s, stmts[st].sql, strlen(stmts[st].sql)) != 0) {
		snprintf(what, sizeof(what), "db_prepare: %s", stmts[st].name);
		rc = db_fail_stmt(db, s, what);
		mysql_stmt_close(s);
		return rc;
	}
	/* Makes mysql_stmt_store_result fill in max_length, from which the
	 * result buffers are sized. */
	mysql_stmt_attr_set(s, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	db->st[st] = *out = s;
	return INV_OK;
}

static enum cell_kind
cell_kind_of(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
		/* Past INT64_MAX an unsigned BIGINT would not fit ints[]. */
		return f->type == MYSQL_TYPE_LONGLONG &&
		    (f->flags & UNSIGNED_FLAG) ? CELL_TEXT : CELL_INT;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
		return f->decimals == 0 ? CELL_TIME : CELL_TEXT;
	default:
		return CELL_TEXT;
	}
}

/* The last two decimal digits of v at p. */
static void
two_digits(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* Appends t as the client writes a DATETIME ("2026-11-26 06:07:08") and
 * a NUL to text. */
static void
text_time(struct buf *text, const MYSQL_TIME *t)
{
	char out[] = "YYYY-MM-DD hh:mm:ss";

	two_digits(out, t->year / 100);
	two_digits(out + 2, t->year);
	two_digits(out + 5, t->month);
	two_digits(out + 8, t->day);
	two_digits(out + 11, t->hour);
	two_digits(out + 14, t->minute);
	two_digits(out + 17, t->second);
	buf_append(text, out, sizeof(out));
}

/*
 * Fetches every row of the stored result of s into *out (new). Integer
 * and time columns are bound as such and written here: the client's own
 * conversion to text goes through snprintf, and every reader of an id
 * parsed it back. Other columns are bound as strings sized from their
 * max_length; a value that still does not fit (the client's max_length
 * for converted types is an estimate) is fetched again whole with
 * mysql_stmt_fetch_column. Cells are first kept as offsets into the
 * growing text (0: NULL, else offset + 1), made pointers once the text
 * has stopped moving.
 */
static enum inv_err
db_fetch(struct db *db, MYSQL_STMT *s, const char *what, struct db_res **out)
{
	MYSQL_RES *meta;
	MYSQL_FIELD *fields;
	MYSQL_BIND *b = NULL;
	MYSQL_TIME *times = NULL;
	enum cell_kind *kinds = NULL;
	unsigned long *lens = NULL;
	my_bool *nulls = NULL, *errs = NULL;
	long long *vals = NULL;
	char **bufs = NULL;
	size_t *offs = NULL;
	struct buf text;
	struct db_res *r;
	size_t ncols, nrows, row = 0, c, i;
	bool failed = false, overflow = false;
	int frc;

	r = xcalloc(1, sizeof(*r));
	if ((meta = mysql_stmt_result_metadata(s)) == NULL) {
		/* No result set (an INSERT or UPDATE): an empty result. */
		*out = r;
		return INV_OK;
	}
	buf_init(&text);
	ncols = mysql_num_fields(meta);
	fields = mysql_fetch_fields(meta);
	nrows = (size_t)mysql_stmt_num_rows(s);
	r->ncols = ncols;
	offs = xcalloc(nrows * ncols + 1, sizeof(*offs));
	r->ints = xcalloc(nrows * ncols + 1, sizeof(*r->ints));
	r->int_col = xcalloc(ncols + 1, sizeof(*r->int_col));
	b = xcalloc(ncols, sizeof(*b));
	kinds = xcalloc(ncols, sizeof(*kinds));
	times = xcalloc(ncols, sizeof(*times));
	vals = xcalloc(ncols, sizeof(*vals));
	lens = xcalloc(ncols, sizeof(*lens));
	nulls = xcalloc(ncols, sizeof(*nulls));
	errs = xcalloc(ncols, sizeof(*errs));
	bufs = xcalloc(ncols, sizeof(*bufs));
	for (c = 0; c < ncols; c++) {
		size_t cap = fields[c].max_length + 1;

		b[c].length = &lens[c];
		b[c].is_null = &nulls[c];
		b[c].error = &errs[c];
		switch ((kinds[c] = cell_kind_of(&fields[c]))) {
		case CELL_INT:
			b[c].buffer_type = MYSQL_TYPE_LONGLONG;
			b[c].buffer = &vals[c];
			r->int_col[c] = true;
			continue;
		case CELL_TIME:
			b[c].buffer_type = MYSQL_TYPE_DATETIME;
			b[c].buffer = &times[c];
			continue;
		case CELL_TEXT:
			break;
		}
		if (cap < DB_MIN_CELL)
			cap = DB_MIN_CELL;
		bufs[c] = xmalloc(cap);
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = cap;
	}
	if (mysql_stmt_bind_result(s, b) != 0) {
		failed = true;
		goto out;
	}
	while ((frc = mysql_stmt_fetch(s)) == 0 || frc == MYSQL_DATA_TRUNCATED) {
		if (row == nrows) {
			/* Cannot happen with a stored result; refuse rather
			 * than write past the cells. */
			log_error("%s: more rows than stored", what);
			overflow = true;
			goto out;
		}
		for (c = 0; c < ncols; c++) {
			MYSQL_BIND whole;
			char *whole_cell;

			if (nulls[c])
				continue;
			offs[row * ncols + c] = text.len + 1;
			if (kinds[c] == CELL_INT) {
				r->ints[row * ncols + c] = vals[c];
				buf_put_i64(&text, vals[c]);
				buf_append(&text, "", 1);
				continue;
			}
			if (kinds[c] == CELL_TIME) {
				text_time(&text, &times[c]);
				continue;
			}
			if (lens[c] < b[c].buffer_length) {
				buf_append(&text, bufs[c], lens[c]);
				buf_append(&text, "", 1);
				continue;
			}
			whole_cell = xmalloc(lens[c] + 1);
			memset(&whole, 0, sizeof(whole));
			whole.buffer_type = MYSQL_TYPE_STRING;
			whole.buffer = whole_cell;
			whole.buffer_length = lens[c] + 1;
			if (mysql_stmt_fetch_column(s, &whole,
			    (unsigned int)c, 0) != 0) {
				free(whole_cell);
				failed = true;
				goto out;
			}
			buf_append(&text, whole_cell, lens[c]);
			buf_append(&text, "", 1);
			free(whole_cell);
		}
		row++;
	}
	if (frc != MYSQL_NO_DATA) {
		failed = true;
		goto out;
	}
	r->nrows = row;
	r->cells = xcalloc(row * ncols + 1, sizeof(char *));
	for (i = 0; i < row * ncols; i++)
		if (offs[i] != 0)
			r->cells[i] = text.data + offs[i] - 1;
	r->text = buf_take(&text);
out:
	for (c = 0; c < ncols; c++)
		free(bufs[c]);
	free(bufs);
	free(errs);
	free(nulls);
	free(lens);
	free(vals);
	free(times);
	free(kinds);
	free(b);
	free(offs);
	buf_free(&text);
	/* Before db_fail, which may close s and the fields meta points to. */
	mysql_free_result(meta);
	if (failed || overflow) {
		enum inv_err rc = failed ? db_fail_stmt(db, s, what) : INV_DB;

		db_res_free(r);
		return rc;
	}
	*out = r;
	return INV_OK;
}

/*
 * Whether statement st has the n result columns its row of the table
 * says; logged (what names the caller and statement) when not: a column
 * list in the SQL changed without its enum in db.h, or the reverse.
 */
static bool
cols_match(const char *what, enum stmt st, unsigned n)
{
	if (n == stmts[st].cols)
		return true;
	log_error("%s: %u result columns, the table says %u", what, n,
	    stmts[st].cols);
	return false;
}

/* The result sets of a CALL, as db_call collects them. */
struct db_sets {
	struct db_res	**sets;
	size_t		  max;
	size_t		  n;
};

static void
sets_free(struct db_sets *c)
{
	while (c->n > 0) {
		c->n--;
		db_res_free(c->sets[c->n]);
		c->sets[c->n] = NULL;
	}
}

/*
 * Reads every result of an executed CALL into c: each SELECT of the
 * procedure is a result set, and the last result is the call's status.
 * The connection takes no other command until all are read.
 */
static enum inv_err
fetch_sets(struct db *db, MYSQL_STMT *s, const char *what, struct db_sets *c)
{
	struct db_res *r;
	enum inv_err rc;
	int more;

	for (;;) {
		if (mysql_stmt_field_count(s) > 0) {
			if (mysql_stmt_store_result(s) != 0)
				return db_fail_stmt(db, s, what);
			if (c->n < c->max) {
				if ((rc = db_fetch(db, s, what, &r)) != INV_OK)
					return rc;
				c->sets[c->n++] = r;
			}
			mysql_stmt_free_result(s);
		}
		if (!mysql_stmt_more_results(s))
			return INV_OK;
		if ((more = mysql_stmt_next_result(s)) > 0)
			return db_fail_stmt(db, s, what);
		if (more < 0)
			return INV_OK;
	}
}

/*
 * Binds params to prepared statement s, runs it and fetches its rows
 * into *res (when res is not NULL; for a CALL, sets collects its result
 * sets instead). cols_of is the statement of the table whose column
 * count the result must have, or STMT__MAX for none. The caller frees
 * s's result. *stale as for db_exec_once.
 */
static enum inv_err
stmt_run(struct db *db, MYSQL_STMT *s, const char *what, enum stmt cols_of,
    const struct db_val *params, size_t nparams, struct db_res **res,
    uint64_t *affected, uint64_t *insert_id, struct db_sets *sets,
    bool *stale)
{
	MYSQL_BIND *b = NULL;
	unsigned long *lens = NULL;
	long long *ints = NULL;
	struct db_res *r = NULL;
	enum inv_err rc;
	size_t i;

	if (mysql_stmt_param_count(s) != nparams) {
		/* A programming error: the caller and the table disagree. */
		log_error("%s: %zu parameters given, %lu expected", what,
		    nparams, mysql_stmt_param_count(s));
		return INV_DB;
	}
	if (nparams > 0) {
		b = xcalloc(nparams, sizeof(*b));
		lens = xcalloc(nparams, sizeof(*lens));
		ints = xcalloc(nparams, sizeof(*ints));
		for (i = 0; i < nparams; i++) {
			switch (params[i].type) {
			case DB_T_INT:
				ints[i] = params[i].i;
				b[i].buffer_type = MYSQL_TYPE_LONGLONG;
				b[i].buffer = &ints[i];
				break;
			case DB_T_STR:
				lens[i] = (unsigned long)params[i].len;
				b[i].buffer_type = MYSQL_TYPE_STRING;
				/* The library only reads parameter buffers. */
				b[i].buffer = (void *)params[i].s;
				b[i].buffer_length = lens[i];
				b[i].length = &lens[i];
				break;
			default:
				b[i].buffer_type = MYSQL_TYPE_NULL;
				break;
			}
		}
		if (mysql_stmt_bind_param(s, b) != 0) {
			rc = db_fail_stmt(db, s, what);
			goto out;
		}
	}
	if (mysql_stmt_execute(s) != 0) {
		unsigned int e = mysql_stmt_errno(s);

		rc = db_fail_stmt(db, s, what);
		*stale = rc == INV_UNAVAILABLE && err_not_sent(e);
		goto out;
	}
	if (sets != NULL) {
		rc = fetch_sets(db, s, what, sets);
		goto out;
	}
	if (mysql_stmt_field_count(s) > 0) {
		/* Rows are read even when the caller wants none: the
		 * connection is not usable until they are. */
		if (mysql_stmt_store_result(s) != 0) {
			rc = db_fail_stmt(db, s, what);
			goto out;
		}
		if (cols_of != STMT__MAX &&
		    !cols_match(what, cols_of, mysql_stmt_field_count(s))) {
			rc = INV_DB;
			goto out;
		}
		if (res != NULL &&
		    (rc = db_fetch(db, s, what, &r)) != INV_OK)
			goto out;
	}
	if (affected != NULL)
		*affected = (uint64_t)mysql_stmt_affected_rows(s);
	if (insert_id != NULL)
		*insert_id = (uint64_t)mysql_stmt_insert_id(s);
	if (res != NULL) {
		if (r == NULL)
			r = xcalloc(1, sizeof(*r));
		*res = r;
		r = NULL;
	}
	rc = INV_OK;
out:
	free(ints);
	free(lens);
	free(b);
	return rc;
}

/*
 * One try at statement st. *stale is set when a connection we already had
 * turned out dead before the statement could run (while preparing, or the
 * send failed): the one case where another try on a fresh connection is
 * both worth it and safe. For a CALL, sets collects its result sets.
 */
static enum inv_err
db_exec_once(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id, struct db_sets *sets, bool *stale)
{
	MYSQL_STMT *s;
	char what[64];
	enum inv_err rc;

	*stale = false;
	snprintf(what, sizeof(what), "db_exec: %s", stmts[st].name);
	if ((rc = db_connect(db)) != INV_OK)
		return rc;
	if ((rc = db_stmt(db, st, &s)) != INV_OK) {
		*stale = rc == INV_UNAVAILABLE;
		return rc;
	}
	rc = stmt_run(db, s, what, st, params, nparams, res, affected,
	    insert_id, sets, stale);
	/* The connection may be gone (db_fail dropped it, closing s). */
	if (db->conn != NULL && db->st[st] == s)
		mysql_stmt_free_result(s);
	return rc;
}

enum inv_err
db_explain(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res)
{
	MYSQL_STMT *s;
	my_bool on = 1;
	char what[64];
	char *sql;
	enum inv_err rc;
	bool stale;

	*res = NULL;
	if ((unsigned)st >= STMT__MAX)
		return INV_INVALID;
	snprintf(what, sizeof(what), "db_explain: %s", stmts[st].name);
	if ((rc = db_connect(db)) != INV_OK)
		return rc;
	if ((s = mysql_stmt_init(db->conn)) == NULL)
		return db_fail_conn(db, "mysql_stmt_init");
	/* Prepared for this call alone: an operator's and a test's tool,
	 * never a request's. */
	sql = xasprintf("EXPLAIN %s", stmts[st].sql);
	if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0)
		rc = db_fail_stmt(db, s, what);
	else {
		mysql_stmt_attr_set(s, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
		rc = stmt_run(db, s, what, STMT__MAX, params, nparams, res,
		    NULL, NULL, NULL, &stale);
	}
	mysql_stmt_close(s);
	free(sql);
	return rc;
}

/*
 * The statements of the lists with the parameters of a first page, in
 * letters: i an id (1), s an order status, r a suggestion's, c a
 * category, q a LIKE pattern, a the key of ascending lists' first page
 * (0), d descending ids' (the largest), t the latest time, l a limit of
 * 101, o no offset, j a JSON array of ids. count marks a COUNT(*), which may read every row it
 * counts (README, LISTS: counts are cached).
 */
static const struct {
	enum stmt	 st;
	const char	*params;
	bool		 count;
} list_plans[] = {
	{ STMT_USER_LIST, "alo", false },
	{ STMT_PRODUCT_PAGE, "alo", false },
	{ STMT_PRODUCT_PAGE_BY_CATEGORY, "calo", false },
	{ STMT_PRODUCT_PAGE_BY_Q, "qqalo", false },
	{ STMT_PRODUCT_PAGE_BY_CATEGORY_Q, "cqqalo", false },
	{ STMT_INV_PAGE, "alo", false },
	{ STMT_INV_PAGE_BY_PRODUCT, "ialo", false },
	{ STMT_INV_PAGE_LOW, "alo", false },
	{ STMT_INV_PAGE_BY_PRODUCT_LOW, "ialo", false },
	{ STMT_MOVEMENT_LIST, "idlo", false },
	{ STMT_REORDER_PAGE, "dlo", false },
	{ STMT_REORDER_PAGE_BY_STATUS, "rdlo", false },
	{ STMT_ORDER_PAGE, "ttdlo", false },
	{ STMT_ORDER_PAGE_BY_STATUS, "sttdlo", false },
	{ STMT_ORDER_PAGE_BY_USER, "ittdlo", false },
	{ STMT_ORDER_PAGE_BY_USER_STATUS, "isttdlo", false },
	{ STMT_ORDER_OWN_PAGE, "ittdlo", false },
	{ STMT_ORDER_OWN_PAGE_BY_STATUS, "isttdlo", false },
	{ STMT_ORDER_OWN_SEEK, "ittdlo", false },
	{ STMT_ORDER_OWN_SEEK_BY_STATUS, "isttdlo", false },
	{ STMT_ORDER_ITEMS_OF, "j", false },
	{ STMT_PRODUCT_COUNT, "", true },
	{ STMT_PRODUCT_COUNT_BY_CATEGORY, "c", true },
	{ STMT_PRODUCT_COUNT_BY_Q, "qq", true },
	{ STMT_PRODUCT_COUNT_BY_CATEGORY_Q, "cqq", true },
	{ STMT_INV_COUNT, "", true },
	{ STMT_INV_COUNT_BY_PRODUCT, "i", true },
	{ STMT_INV_COUNT_LOW, "", true },
	{ STMT_INV_COUNT_BY_PRODUCT_LOW, "i", true },
	{ STMT_MOVEMENT_COUNT, "i", true },
	{ STMT_REORDER_COUNT, "", true },
	{ STMT_REORDER_COUNT_BY_STATUS, "r", true },
	{ STMT_USER_COUNT, "", true },
	{ STMT_ORDER_COUNT, "", true },
	{ STMT_ORDER_COUNT_BY_STATUS, "s", true },
	{ STMT_ORDER_COUNT_BY_USER, "i", true },
	{ STMT_ORDER_COUNT_BY_USER_STATUS, "is", true },
	{ STMT_WEBHOOK_PAGE, "alo", false },
	{ STMT_WEBHOOK_DELIVERY_PAGE, "idlo", false },
	{ STMT_WEBHOOK_COUNT, "", true },
	{ STMT_WEBHOOK_DELIVERY_COUNT, "i", true },
};

/* The tables a list must never read whole. */
static bool
big_table(const char *t)
{
	static const char *const big[] = { "orders", "o", "order_items",
		"oi", "products", "p", "inventory", "i" };
	size_t k;

	for (k = 0; t != NULL && k < sizeof(big) / sizeof(big[0]); k++)
		if (strcmp(t, big[k]) == 0)
			return true;
	return false;
}

enum inv_err
db_explain_lists(struct db *db, FILE *out, size_t *scans)
{
	struct db_val p[8];
	struct db_res *r = NULL;
	const char *type, *table;
	enum inv_err rc;
	size_t k, i, n;
	bool scan;

	*scans = 0;
	fprintf(out, "%-32s %-12s %-8s %-34s %10s\n", "statement", "table",
	    "type", "key", "rows");
	for (k = 0; k < sizeof(list_plans) / sizeof(list_plans[0]); k++) {
		for (n = 0; list_plans[k].params[n] != '\0'; n++)
			switch (list_plans[k].params[n]) {
			case 'i': p[n] = DB_INT(1); break;
			case 's': p[n] = DB_STR("shipped"); break;
			case 'r': p[n] = DB_STR("open"); break;
			case 'c': p[n] = DB_STR("c1"); break;
			case 'q': p[n] = DB_STR("%widget 7%"); break;
			case 'a': p[n] = DB_INT(0); break;
			case 'd': p[n] = DB_INT(INT64_MAX); break;
			case 't': p[n] = DB_STR("9999-12-31 23:59:59"); break;
			case 'l': p[n] = DB_INT(101); break;
			case 'o': p[n] = DB_INT(0); break;
			default: p[n] = DB_STR("[1,2,3]"); break;
			}
		if ((rc = db_explain(db, list_plans[k].st, p, n, &r)) != INV_OK)
			return rc;
		for (i = 0; i < db_res_rows(r); i++) {
			type = db_res_str(r, i, EXPLAIN_COL_TYPE);
			table = db_res_str(r, i, EXPLAIN_COL_TABLE);
			/* ALL reads the table, index the whole of an index. */
			scan = type != NULL && big_table(table) &&
			    (strcmp(type, "ALL") == 0 ||
			    strcmp(type, "index") == 0);
			if (scan && !list_plans[k].count)
				(*scans)++;
			fprintf(out, "%-32s %-12s %-8s %-34s %10s%s\n",
			    stmts[list_plans[k].st].name, table != NULL ?
			    table : "-", type != NULL ? type : "-",
			    db_res_str(r, i, EXPLAIN_COL_KEY) != NULL ?
			    db_res_str(r, i, EXPLAIN_COL_KEY) : "-",
			    db_res_str(r, i, EXPLAIN_COL_ROWS) != NULL ?
			    db_res_str(r, i, EXPLAIN_COL_ROWS) : "-",
			    !scan ? "" : list_plans[k].count ?
			    "  scan (count, cached)" : "  FULL SCAN");
		}
		db_res_free(r);
		r = NULL;
	}
	return INV_OK;
}

/*
 * Times statement st as its caller saw it, reconnection included, and
 * names it when it took longer than db_slow_statement_ms: the first
 * thing to look at when requests slow down.
 */
static void (*statement_timer)(int, uint64_t);

void
db_set_statement_timer(void (*fn)(int st, uint64_t usec))
{
	statement_timer = fn;
}

static void
exec_done(const struct db *db, enum stmt st, uint64_t usec)
{
	double slow_ms = db->cfg->db_slow_statement_ms;

	if (statement_timer != NULL)
		statement_timer((int)st, usec);
	if (slow_ms > 0 && (double)usec >= slow_ms * 1000)
		log_warn("db: slow statement=%s duration_ms=%.3f",
		    stmts[st].name, (double)usec / 1000);
}

/* Whether statement st calls a stored procedure. */
static bool
is_call(enum stmt st)
{
	return strncmp(stmts[st].sql, "CALL ", 5) == 0;
}

/* db_exec, and db_call's each try (sets not NULL: st is a CALL). */
static enum inv_err
db_run(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id, struct db_sets *sets)
{
	enum inv_err rc;
	uint64_t t0;
	bool stale;

	if (res != NULL)
		*res = NULL;
	if ((unsigned)st >= STMT__MAX) {
		log_error("db_exec: no statement %d", (int)st);
		return INV_INVALID;
	}
	if (is_call(st) != (sets != NULL)) {
		/* A CALL's results are sets; anything else has one. */
		log_error("db_exec: %s: %s", stmts[st].name, sets == NULL ?
		    "a CALL, for db_call" : "not a CALL");
		return INV_INVALID;
	}
	/* The server has already ended this transaction; anything run now
	 * would autocommit outside it. */
	if (db->tx == TX_LOST)
		return INV_UNAVAILABLE;
	if (db->tx == TX_DOOMED)
		return INV_RETRY;
	t0 = now_usec();
	rc = db_exec_once(db, st, params, nparams, res, affected, insert_id,
	    sets, &stale);
	/*
	 * A connection that died while idle (wait_timeout, a server
	 * restart) must not cost a request: outside a transaction the
	 * statement stands alone and did not run, so it is run once on a
	 * fresh connection. Inside one, the earlier statements are lost
	 * with the session and only the caller can start over.
	 */
	if (rc == INV_UNAVAILABLE && stale && db->tx == TX_NONE) {
		if (sets != NULL)
			sets_free(sets);
		rc = db_exec_once(db, st, params, nparams, res, affected,
		    insert_id, sets, &stale);
	}
	exec_done(db, st, now_usec() - t0);
	if (rc != INV_OK && sets != NULL)
		sets_free(sets);
	return rc;
}

enum inv_err
db_exec(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id)
{
	return db_run(db, st, params, nparams, res, affected, insert_id,
	    NULL);
}

/*
 * Runs one fixed, result-less command (START TRANSACTION, COMMIT,
 * ROLLBACK) with the same error mapping as statements.
 */
static enum inv_err
db_command(struct db *db, const char *sql)
{
	enum inv_err rc;
	char what[64];

	if ((rc = db_connect(db)) != INV_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, strlen(sql)) == 0)
		return INV_OK;
	snprintf(what, sizeof(what), "db: %s", sql);
	return db_fail_conn(db, what);
}

/* Sleeps 2..20 ms times attempt, at random so that the two sides of a
 * deadlock do not collide again in step. */
static void
db_backoff(struct db *db, unsigned attempt)
{
	struct timespec ts;
	uint32_t x;
	unsigned ms;

	if (db->rng == 0)
		db->rng = (uint32_t)getpid() ^ (uint32_t)now_usec() ^ 0x9e3779b9u;
	x = db->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	db->rng = x != 0 ? x : 1;
	ms = (2 + x % 19) * attempt;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/*
 * Ends a failed try. A rollback that fails leaves the connection in an
 * unknown state, so it is dropped: closing a session rolls back for sure.
 */
static void
db_tx_abort(struct db *db)
{
	if (db->conn == NULL)
		return;
	if (mysql_real_query(db->conn, "ROLLBACK", strlen("ROLLBACK")) != 0) {
		log_warn("db_transaction: ROLLBACK: %u %s",
		    mysql_errno(db->conn), mysql_error(db->conn));
		db_drop(db);
	}
}

/* One try of the whole transaction; *lost tells a connection lost while
 * fn ran (INV_UNAVAILABLE then). */
static enum inv_err
db_tx_once(struct db *db, db_tx_fn fn, void *arg, bool *lost)
{
	bool had = db->conn != NULL;
	enum inv_err rc;

	*lost = false;

	rc = db_command(db, "START TRANSACTION");
	/* Nothing has happened yet, so a connection that died idle is
	 * replaced at once, as db_exec does. */
	if (rc == INV_UNAVAILABLE && had)
		rc = db_command(db, "START TRANSACTION");
	if (rc != INV_OK)
		return rc;
	db->tx = TX_OPEN;
	rc = fn(db, arg);
	if (db->tx == TX_LOST) {
		/* Whatever fn says: its work is gone with the session. */
		rc = INV_UNAVAILABLE;
		*lost = true;
	} else if (rc == INV_OK && db->tx == TX_DOOMED) {
		/* fn carried on past a deadlock; what it did since ran in
		 * no transaction we can vouch for. */
		log_warn("db_transaction: fn ignored a deadlock; rerunning");
		rc = INV_RETRY;
	}
	if (rc == INV_OK) {
		rc = db_command(db, "COMMIT");
		/* A refused COMMIT (a deadlock at commit, say) is rolled
		 * back explicitly so the session is surely clean. */
		if (rc != INV_OK && rc != INV_UNAVAILABLE)
			db_tx_abort(db);
	} else
		db_tx_abort(db);
	db->tx = TX_NONE;
	return rc;
}

enum inv_err
db_transaction(struct db *db, db_tx_fn fn, void *arg)
{
	unsigned attempt, tries;
	enum inv_err rc;
	bool lost;

	if (db->tx != TX_NONE) {
		/* A nested call would commit the outer work early. */
		log_error("db_transaction: already inside a transaction");
		return INV_DB;
	}
	tries = db->cfg->db_retries > 0 ? (unsigned)db->cfg->db_retries :
	    DB_DEFAULT_TRIES;
	for (attempt = 1; ; attempt++) {
		rc = db_tx_once(db, fn, arg, &lost);
		/*
		 * A connection lost while fn ran took the transaction with it
		 * (COMMIT was never sent, so the server rolled it back), and
		 * running it again on a new connection is safe. A server that
		 * is down fails the next START TRANSACTION at once, which ends
		 * it. (A Galera node may leave a session it aborted for a
		 * conflict between two statements without an answer: the read
		 * timeout ends the wait, and the rerun goes through.)
		 */
		if (rc == INV_UNAVAILABLE && lost && attempt < tries) {
			log_warn("db_transaction: connection lost before "
			    "COMMIT; running the transaction again");
			db->tx_retries++;
			continue;
		}
		if (rc != INV_RETRY)
			return rc;
		if (attempt >= tries) {
			log_warn("db_transaction: gave up after %u tries",
			    attempt);
			return INV_RETRY;
		}
		db->tx_retries++;
		db_backoff(db, attempt);
	}
}

enum inv_err
db_call(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **sets, size_t max, size_t *nsets)
{
	struct db_sets c = { sets, max, 0 };
	unsigned attempt, tries;
	enum inv_err rc;

	tries = db->cfg->db_retries > 0 ? (unsigned)db->cfg->db_retries :
	    DB_DEFAULT_TRIES;
	for (attempt = 1; ; attempt++) {
		rc = db_run(db, st, params, nparams, NULL, NULL, NULL, &c);
		/* Inside a transaction only a rerun of the whole can help:
		 * db_transaction's. */
		if (rc != INV_RETRY || db->tx != TX_NONE)
			break;
		if (attempt >= tries) {
			log_warn("db_call: %s: gave up after %u tries",
			    stmts[st].name, attempt);
			break;
		}
		db->tx_retries++;
		db_backoff(db, attempt);
	}
	*nsets = c.n;
	return rc;
}

bool
db_in_transaction(const struct db *db)
{
	return db->tx != TX_NONE;
}

/* db_open as user with password (both copied). */
static enum inv_err
db_open_as(struct db **out, const struct config *cfg, const char *user,
    const char *password)
{
	struct db *db;
	size_t i;

	for (i = 0; i < STMT__MAX; i++)
		if (stmts[i].sql == NULL) {
			log_error("db_open: statement %zu has no SQL", i);
			return INV_DB;
		}
	/* Not thread-safe inside mysql_init; done here, while the program
	 * is still single-threaded. */
	if (mysql_library_init(0, NULL, NULL) != 0) {
		log_error("db_open: mysql_library_init failed");
		return INV_DB;
	}
	db = xcalloc(1, sizeof(*db));
	db->cfg = cfg;
	db->user = xstrdup(user);
	db->password = xstrdup(password);
	*out = db;
	return INV_OK;
}

enum inv_err
db_open(struct db **out, const struct config *cfg)
{
	return db_open_as(out, cfg, cfg->db_user, cfg->db_password);
}

enum inv_err
db_open_owner(struct db **out, const struct config *cfg, char **why)
{
	char *user, *password;
	enum inv_err rc;

	*out = NULL;
	if ((rc = config_owner(cfg, &user, &password, why)) != INV_OK)
		return rc;
	rc = db_open_as(out, cfg, user, password);
	explicit_bzero(password, strlen(password));
	free(password);
	free(user);
	return rc;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_drop(db);
	explicit_bzero(db->password, strlen(db->password));
	free(db->password);
	free(db->user);
	free(db);
}

enum inv_err
db_ping(struct db *db)
{
	return db_exec(db, STMT_PING, NULL, 0, NULL, NULL, NULL);
}

const char *
db_stmt_name(enum stmt st)
{
	return (unsigned)st < STMT__MAX ? stmts[st].name : "?";
}

enum inv_err
db_prepare_all(struct db *db, enum stmt *bad)
{
	MYSQL_STMT *s;
	enum inv_err rc;
	char what[64];
	int i;

	for (i = 0; i < STMT__MAX; i++) {
		/* MariaDB describes the RETURNING of an INSERT only when it
		 * has run (0 columns here): db_exec checks it then. */
		snprintf(what, sizeof(what), "db_prepare_all: %s",
		    stmts[i].name);
		if ((rc = db_connect(db)) == INV_OK &&
		    (rc = db_stmt(db, (enum stmt)i, &s)) == INV_OK &&
		    mysql_stmt_field_count(s) != 0 &&
		    !cols_match(what, (enum stmt)i, mysql_stmt_field_count(s)))
			rc = INV_DB;
		if (rc != INV_OK) {
			/* An expected-looking code (say INV_NOTFOUND for a
			 * missing table) is still drift here: say which. */
			log_error("db_prepare_all: %s: %s", stmts[i].name,
			    inv_strerror(rc));
			if (bad != NULL)
				*bad = (enum stmt)i;
			return rc;
		}
	}
	return INV_OK;
}

enum inv_err
db_check_routines(struct db *db, char *missing, size_t size)
{
	struct db_res *r = NULL;
	const char *name;
	enum inv_err rc;
	size_t len, row;
	int i;

	if ((rc = db_exec(db, STMT_ROUTINES_CALLABLE, NULL, 0, &r, NULL,
	    NULL)) != INV_OK)
		return rc;
	for (i = 0; i < STMT__MAX && rc == INV_OK; i++) {
		if (!is_call((enum stmt)i))
			continue;
		/* "CALL name(...)" */
		name = stmts[i].sql + strlen("CALL ");
		len = strcspn(name, "(");
		for (row = 0; row < db_res_rows(r); row++)
			if (strlen(db_res_str(r, row, 0)) == len &&
			    strncmp(db_res_str(r, row, 0), name, len) == 0)
				break;
		if (row == db_res_rows(r)) {
			snprintf(missing, size, "%.*s", (int)len, name);
			rc = INV_NOTFOUND;
		}
	}
	db_res_free(r);
	return rc;
}

/* Maps the connection's error for a script; see db_exec_script. */
static enum inv_err
db_script_fail(struct db *db)
{
	enum inv_err rc = db_fail_conn(db, "db_exec_script");

	/* The mapped codes log at debug in db_fail; a script is run by an
	 * operator or a test, who wants to see why. */
	if (rc != INV_DB && rc != INV_UNAVAILABLE && rc != INV_RETRY)
		log_warn("db_exec_script: %s", inv_strerror(rc));
	return rc;
}

/*
 * Runs a trusted script of ';'-separated statements and drains every
 * result, since the connection is unusable until all are read. The first
 * failing statement stops the script (the server runs no further) and
 * maps like any statement, so a deadlock inside a transaction still reads
 * as INV_RETRY. A new connection is tried only when the send itself
 * failed, as in db_exec: once part of a script may have run, never (DDL
 * does not roll back).
 */
enum inv_err
db_exec_script(struct db *db, const char *sql)
{
	MYSQL_RES *res;
	enum inv_err rc;
	bool retried = false;
	unsigned int e;
	int more;

	if (db->tx == TX_LOST)
		return INV_UNAVAILABLE;
	if (db->tx == TX_DOOMED)
		return INV_RETRY;
again:
	if ((rc = db_connect(db)) != INV_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0) {
		e = mysql_errno(db->conn);
		rc = db_script_fail(db);
		if (rc == INV_UNAVAILABLE && err_not_sent(e) &&
		    db->tx == TX_NONE && !retried) {
			retried = true;
			goto again;
		}
		return rc;
	}
	do {
		if ((res = mysql_store_result(db->conn)) != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(db->conn) != 0)
			return db_script_fail(db);
		if ((more = mysql_next_result(db->conn)) > 0)
			return db_script_fail(db);
	} while (more == 0);
	return INV_OK;
}

uint64_t
db_reconnects(const struct db *db)
{
	return db->reconnects;
}

uint64_t
db_tx_retries(const struct db *db)
{
	return db->tx_retries;
}

/* A row's sort key for db_res_sort(). */
struct row_key {
	int64_t		 major;
	int64_t		 minor;
	size_t		 row;
};

static int
row_key_cmp(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* A new copy of the per-cell array cells (freed), its rows in the order
 * of keys. */
static void *
rows_permuted(void *cells, const struct db_res *r,
    const struct row_key *keys, size_t cellsize)
{
	size_t rowsize = r->ncols * cellsize, i;
	char *out = xcalloc(r->nrows * r->ncols + 1, cellsize);

	for (i = 0; i < r->nrows; i++)
		memcpy(out + i * rowsize, (char *)cells + keys[i].row * rowsize,
		    rowsize);
	free(cells);
	return out;
}

void
db_res_sort(struct db_res *r, size_t major, size_t minor)
{
	struct row_key *keys;
	size_t i;

	if (r == NULL || r->nrows < 2 || major >= r->ncols ||
	    minor >= r->ncols)
		return;
	keys = xcalloc(r->nrows, sizeof(*keys));
	for (i = 0; i < r->nrows; i++) {
		keys[i].major = db_res_int(r, i, major);
		keys[i].minor = db_res_int(r, i, minor);
		keys[i].row = i;
	}
	qsort(keys, r->nrows, sizeof(*keys), row_key_cmp);
	r->cells = rows_permuted(r->cells, r, keys, sizeof(*r->cells));
	r->ints = rows_permuted(r->ints, r, keys, sizeof(*r->ints));
	free(keys);
}

size_t
db_res_rows(const struct db_res *r)
{
	return r != NULL ? r->nrows : 0;
}

size_t
db_res_cols(const struct db_res *r)
{
	return r != NULL ? r->ncols : 0;
}

const char *
db_res_str(const struct db_res *r, size_t row, size_t col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

int64_t
db_res_int(const struct db_res *r, size_t row, size_t col)
{
	const char *s = db_res_str(r, row, col);

	if (s == NULL)
		return 0;
	if (r->int_col[col])
		return r->ints[row * r->ncols + col];
	return strtoll(s, NULL, 10);
}

bool
db_res_bool(const struct db_res *r, size_t row, size_t col)
{
	return db_res_int(r, row, col) != 0;
}

bool
db_res_isnull(const struct db_res *r, size_t row, size_t col)
{
	return db_res_str(r, row, col) == NULL;
}

void
db_res_free(struct db_res *r)
{
	if (r == NULL)
		return;
	free(r->cells);
	free(r->text);
	free(r->ints);
	free(r->int_col);
	free(r);
}
