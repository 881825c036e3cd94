/*
 * check_lists.c: every list endpoint paged by cursor and by skip, the
 * Link header, bad cursors, the plans of the list statements, cursor
 * walks under concurrent writes, and X-Total-Count against COUNT(*)
 * after concurrent writes. Needs MariaDB and Redis (tu_app).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "testutil.h"

#define JSON "application/json"
#define API "/api/v1"
#define MAX_IDS 512

static struct app *app;
static int64_t admin_id, user_id;
static char *admin, *user;	/* access tokens */

/* Runs a test-only SQL script as the schema owner; printf-like. */
static void
sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sqlf(const char *fmt, ...)
{
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&sql, fmt, ap), 0);
	va_end(ap);
	ck_assert_msg(db_exec_script(tu_owner_db(app), sql) == INV_OK, "%s",
	    sql);
	free(sql);
}

/*
 * The fixture: 4 users; 60 products (categories a and b, names "Widget
 * N" for the multiples of 3, else "Gadget N"), each with inventory, one
 * in four of them low on stock; 5 movements of record 1; 40 orders of
 * the user and 10 of another, three to a second so that the ids break
 * ties of created_at.
 */
static void
seed(void)
{
	int64_t other = tu_insert_user(app, "other@example.com", false);

	tu_insert_user(app, "third@example.com", false);
	sqlf("INSERT INTO products (sku, name, price, category) "
	    "SELECT CONCAT('SKU-', seq), CONCAT(IF(seq %% 3 = 0, 'Widget ', "
	    "'Gadget '), seq), 1.50, IF(seq %% 2 = 0, 'a', 'b') "
	    "FROM seq_1_to_60;"
	    "INSERT INTO inventory (product_id, quantity_in_stock, "
	    "reorder_level) SELECT id, IF(id %% 4 = 0, 5, 100), 10 "
	    "FROM products;"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) SELECT 1, 1, seq, 0, "
	    "'seed' FROM seq_1_to_5;"
	    "INSERT INTO orders (order_number, user_id, status, "
	    "total_amount, shipping_address, created_at) "
	    "SELECT CONCAT('ORD-', LPAD(HEX(seq), 8, '0')), "
	    "IF(seq %% 5 = 0, %" PRId64 ", %" PRId64 "), "
	    "IF(seq %% 2 = 0, 'pending', 'shipped'), 1.00, 'a', "
	    "'2026-01-01 00:00:00' + INTERVAL (seq DIV 3) SECOND "
	    "FROM seq_1_to_50;"
	    "INSERT INTO order_items (order_id, product_id, quantity, "
	    "unit_price) SELECT id, 1 + id %% 60, 1, 1.00 FROM orders",
	    other, user_id);
}

static void
setup(void)
{
	app = tu_app();
	tu_reset_db(app);
	tu_admin_and_user(app, &admin_id, &admin, &user_id, &user);
	seed();
}

static void
teardown(void)
{
	free(admin);
	free(user);
}

/* GET path; the response in *resp; fails on anything but 200. */
static void
get_ok(const char *path, const char *tok, struct http_resp *resp)
{
	tu_request(app, "GET", path, tok, NULL, NULL, resp);
	ck_assert_msg(resp->status == 200, "GET %s: %d %s", path,
	    resp->status, resp->body != NULL ? resp->body : "");
}

/* The "id" of every element of the body's array into ids (at most
 * MAX_IDS - *n more), after the *n there already. */
static void
body_ids(const struct http_resp *resp, int64_t *ids, size_t *n)
{
	struct json_object *arr = tu_json(resp), *v;
	size_t i;

	ck_assert(json_object_is_type(arr, json_type_array));
	for (i = 0; i < json_object_array_length(arr); i++) {
		ck_assert_uint_lt(*n, MAX_IDS);
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(
		    arr, i), "id", &v));
		ids[(*n)++] = json_object_get_int64(v);
	}
	json_object_put(arr);
}

/* The target of the response's Link rel="next" (new), or NULL. */
static char *
next_of(const struct http_resp *resp)
{
	const char *l = http_resp_get_header(resp, "Link"), *end;

	if (l == NULL)
		return NULL;
	ck_assert_msg(l[0] == '<' && (end = strchr(l, '>')) != NULL &&
	    strcmp(end, ">; rel=\"next\"") == 0, "Link: %s", l);
	return xstrndup(l + 1, (size_t)(end - l - 1));
}

/* The X-Total-Count of resp; -1 when absent. */
static int64_t
total_of(const struct http_resp *resp)
{
	const char *t = http_resp_get_header(resp, "X-Total-Count");

	return t != NULL ? strtoll(t, NULL, 10) : -1;
}

/*
 * Walks list path (a query string of its filters, or "") by cursor
 * with limit per page from its first page, into ids; returns the number
 * of pages. Checks that only the first page counts and that only the
 * last page has no Link.
 */
static int
walk(const char *path, const char *tok, int limit, int64_t *ids, size_t *n)
{
	struct http_resp resp;
	char *url, *next;
	int pages = 0;
	size_t before;

	url = xasprintf("%s%slimit=%d", path, strchr(path, '?') != NULL ?
	    "&" : "?", limit);
	*n = 0;
	while (url != NULL) {
		get_ok(url, tok, &resp);
		before = *n;
		body_ids(&resp, ids, n);
		next = next_of(&resp);
		if (pages == 0)
			ck_assert_int_ge(total_of(&resp), 0);
		else
			ck_assert_msg(total_of(&resp) == -1, "%s: cursor page "
			    "counted", url);
		/* A Link only when more rows follow: a full page. */
		if (next != NULL)
			ck_assert_uint_eq(*n - before, (size_t)limit);
		ck_assert_msg(next == NULL || strstr(next, "after=") != NULL,
		    "%s", next);
		free(url);
		url = next;
		http_resp_free(&resp);
		ck_assert_int_lt(++pages, 200);
	}
	return pages;
}

struct list_case {
	const char	*path;
	bool		 as_admin;
};

static const struct list_case lists[] = {
	{ API "/users", true },
	{ API "/products", false },
	{ API "/products?category=a", false },
	{ API "/products?q=widget", false },
	{ API "/products?category=a&q=widget", false },
	{ API "/inventory", false },
	{ API "/inventory?low_stock=true", false },
	{ API "/inventory?product_id=7", false },
	{ API "/inventory?product_id=8&low_stock=1", false },
	{ API "/inventory/status/low-stock", true },
	{ API "/inventory/1/movements", true },
	{ API "/orders", false },
	{ API "/orders?status=pending", false },
	{ API "/orders/admin", true },
	{ API "/orders/admin?status=shipped", true },
	{ API "/orders/admin?user_id=3", true },
	{ API "/orders/admin?user_id=2&status=pending", true },
};

/* Every list walked by cursor gives what one big page gives, in the same
 * order, and the first page's count is that page's length. */
START_TEST(test_walk_every_list)
{
	const struct list_case *c = &lists[_i];
	const char *tok = c->as_admin ? admin : user;
	int64_t all[MAX_IDS], walked[MAX_IDS];
	struct http_resp resp;
	size_t n = 0, m = 0, i;
	char *url;
	int pages;

	url = xasprintf("%s%slimit=1000", c->path, strchr(c->path, '?') !=
	    NULL ? "&" : "?");
	get_ok(url, tok, &resp);
	body_ids(&resp, all, &n);
	ck_assert_int_eq(total_of(&resp), (int64_t)n);
	ck_assert_ptr_null(http_resp_get_header(&resp, "Link"));
	http_resp_free(&resp);
	free(url);
	ck_assert_msg(n >= 1, "%s: the fixture gives it rows", c->path);
	pages = walk(c->path, tok, 2, walked, &m);
	ck_assert_int_eq(pages, (int)((n + 1) / 2));
	ck_assert_uint_eq(m, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(walked[i] == all[i], "%s: row %zu is %" PRId64
		    ", not %" PRId64, c->path, i, walked[i], all[i]);
}
END_TEST

/* A skip page has a Link too, and it leads on to the row after it. */
START_TEST(test_skip_page_link)
{
	int64_t ids[MAX_IDS];
	struct http_resp resp;
	size_t n = 0;
	char *next;

	get_ok(API "/orders/admin?status=pending&skip=3&limit=4", admin,
	    &resp);
	body_ids(&resp, ids, &n);
	ck_assert_int_eq(total_of(&resp), 25);
	next = next_of(&resp);
	http_resp_free(&resp);
	ck_assert_ptr_nonnull(next);
	/* The filters stay, skip goes. */
	ck_assert_msg(strncmp(next, API "/orders/admin?status=pending&limit=4"
	    "&after=", strlen(API "/orders/admin?status=pending&limit=4"
	    "&after=")) == 0, "%s", next);
	get_ok(next, admin, &resp);
	body_ids(&resp, ids, &n);
	http_resp_free(&resp);
	free(next);
	get_ok(API "/orders/admin?status=pending&skip=3&limit=8", admin,
	    &resp);
	{
		int64_t want[MAX_IDS];
		size_t k = 0, i;

		body_ids(&resp, want, &k);
		ck_assert_uint_eq(k, n);
		for (i = 0; i < k; i++)
			ck_assert_int_eq(ids[i], want[i]);
	}
	http_resp_free(&resp);
	/* The last page: no Link. */
	get_ok(API "/orders/admin?status=pending&skip=20&limit=5", admin,
	    &resp);
	ck_assert_ptr_null(http_resp_get_header(&resp, "Link"));
	http_resp_free(&resp);
}
END_TEST

/* The request's other parameters go into the Link as sent, with what
 * may not stand inside its <> percent-encoded. */
START_TEST(test_link_keeps_query)
{
	struct http_resp resp;
	char *next;

	get_ok(API "/products?category=a&limit=2&mine=<x\"y>", user, &resp);
	next = next_of(&resp);
	http_resp_free(&resp);
	ck_assert_ptr_nonnull(next);
	ck_assert_msg(strncmp(next, API "/products?category=a&mine=%3Cx%22y%3E"
	    "&limit=2&after=", strlen(API "/products?category=a&mine="
	    "%3Cx%22y%3E&limit=2&after=")) == 0, "%s", next);
	get_ok(next, user, &resp);
	http_resp_free(&resp);
	free(next);
}
END_TEST

/* A valid cursor of path's first page of limit 2 (new). */
static char *
cursor_of(const char *path, const char *tok)
{
	struct http_resp resp;
	char *next, *after, *c;

	get_ok(path, tok, &resp);
	next = next_of(&resp);
	http_resp_free(&resp);
	ck_assert_ptr_nonnull(next);
	ck_assert_ptr_nonnull(after = strstr(next, "after="));
	c = xstrdup(after + strlen("after="));
	free(next);
	return c;
}

START_TEST(test_bad_cursor)
{
	char *c = cursor_of(API "/products?limit=2", user), *path;
	char *users = cursor_of(API "/users?limit=2", admin);
	char *orders = cursor_of(API "/orders?limit=2", user);
	struct http_resp resp;

	tu_expect_query_422(app, API "/products?after=zz", user, "after",
	    "value_error.cursor");
	tu_expect_query_422(app, API "/products?after=", user, "after",
	    "value_error.cursor");
	tu_expect_query_422(app, API "/products?after=3", user, "after",
	    "value_error.cursor");
	/* One digit changed. */
	path = xasprintf(API "/products?after=%s", c);
	path[strlen(path) - 1] = path[strlen(path) - 1] == '0' ? '1' : '0';
	tu_expect_query_422(app, path, user, "after", "value_error.cursor");
	free(path);
	/* The key changed (the checksum kept). */
	path = xasprintf(API "/products?after=%s", c);
	path[strlen(API "/products?after=") + 1] ^= 1;
	tu_expect_query_422(app, path, user, "after", "value_error.cursor");
	free(path);
	/* Another list's cursor. */
	path = xasprintf(API "/products?after=%s", users);
	tu_expect_query_422(app, path, user, "after", "value_error.cursor");
	free(path);
	path = xasprintf(API "/orders/admin?after=%s", orders);
	tu_expect_query_422(app, path, admin, "after", "value_error.cursor");
	free(path);
	/* A page starts at one place. */
	path = xasprintf(API "/products?skip=1&after=%s", c);
	tu_expect_query_422(app, path, user, "skip", "value_error.cursor_skip");
	free(path);
	/* skip=0 with a cursor is its page. */
	path = xasprintf(API "/products?skip=0&limit=2&after=%s", c);
	get_ok(path, user, &resp);
	ck_assert_int_eq(total_of(&resp), -1);
	http_resp_free(&resp);
	free(path);
	free(c);
	free(users);
	free(orders);
}
END_TEST

/* Asserts that the plan of st reads table through key (NULL: any index,
 * never a full scan). */
static void
expect_plan(enum stmt st, const struct db_val *p, size_t n,
    const char *table, const char *key)
{
	struct db_res *r = NULL;
	const char *k, *t;
	bool found = false;
	size_t i;

	ck_assert_int_eq(db_explain(app->db, st, p, n, &r), INV_OK);
	for (i = 0; i < db_res_rows(r); i++) {
		t = db_res_str(r, i, EXPLAIN_COL_TABLE);
		if (t == NULL || strcmp(t, table) != 0)
			continue;
		found = true;
		k = db_res_str(r, i, EXPLAIN_COL_KEY);
		ck_assert_msg(strcmp(db_res_str(r, i, EXPLAIN_COL_TYPE),
		    "ALL") != 0, "%s: full scan of %s", db_stmt_name(st),
		    table);
		if (key != NULL)
			ck_assert_msg(k != NULL && strcmp(k, key) == 0,
			    "%s: %s read by %s, not %s", db_stmt_name(st),
			    table, k != NULL ? k : "no index", key);
	}
	db_res_free(r);
	ck_assert_msg(found, "%s: %s not read", db_stmt_name(st), table);
}

/* The low-stock lists read the needs_reorder index, the counts of whole
 * tables and of low stock the triggers' slot rows; the order pages walk
 * an index of orders, never all of them. */
START_TEST(test_list_plans)
{
	struct db_val low[3] = { DB_INT(0), DB_INT(11), DB_INT(0) };
	struct db_val cat = DB_STR("a");
	struct db_val ord[7];

	/* A table the optimizer would rather scan whole when it is tiny. */
	sqlf("INSERT INTO products (sku, name, price) SELECT CONCAT('X-', "
	    "seq), 'x', 1 FROM seq_1_to_2000;"
	    "INSERT INTO inventory (product_id, quantity_in_stock) "
	    "SELECT id, 500 FROM products WHERE sku LIKE 'X-%%';"
	    "ANALYZE TABLE inventory, products, orders");
	expect_plan(STMT_INV_PAGE_LOW, low, 3, "inventory",
	    "ix_inventory_needs_reorder");
	/* The counts of whole tables and of low stock: slot rows. */
	expect_plan(STMT_INV_COUNT_LOW, NULL, 0, "list_counts", "PRIMARY");
	expect_plan(STMT_PRODUCT_COUNT, NULL, 0, "list_counts", "PRIMARY");
	expect_plan(STMT_INV_COUNT, NULL, 0, "list_counts", "PRIMARY");
	expect_plan(STMT_PRODUCT_COUNT_BY_CATEGORY, &cat, 1,
	    "category_counts", "PRIMARY");
	ord[0] = ord[1] = DB_STR("9999-12-31 23:59:59");
	ord[2] = DB_INT(INT64_MAX);
	ord[3] = DB_INT(101);
	ord[4] = DB_INT(0);
	expect_plan(STMT_ORDER_PAGE, ord, 5, "orders", NULL);
	ord[0] = DB_STR("shipped");
	ord[1] = ord[2] = DB_STR("9999-12-31 23:59:59");
	ord[3] = DB_INT(INT64_MAX);
	ord[4] = DB_INT(101);
	ord[5] = DB_INT(0);
	expect_plan(STMT_ORDER_PAGE_BY_STATUS, ord, 6, "orders", NULL);
	ord[0] = DB_INT(user_id);
	expect_plan(STMT_ORDER_PAGE_BY_USER, ord, 6, "orders", NULL);
	/* The admin's order counts: the pending orders' range of their
	 * index, the other statuses' slot rows. */
	expect_plan(STMT_ORDER_COUNT, NULL, 0, "o",
	    "ix_orders_status_created");
	ord[0] = DB_STR("pending");
	expect_plan(STMT_ORDER_COUNT_BY_STATUS, ord, 1, "o",
	    "ix_orders_status_created");
	ord[0] = DB_STR("shipped");
	expect_plan(STMT_ORDER_COUNT_BY_STATUS, ord, 1, "c", "PRIMARY");
}
END_TEST

/* ---- cursor walks under concurrent writes ---- */

#define WALKERS		2
#define WRITERS		2
#define WALKS		4

/* Children's own connections (tu_concurrently's ready). */
static struct app *child;
static struct db *child_owner;

static void
race_connect(int i)
{
	char *why = NULL;

	(void)i;
	child = tu_app_new();
	ck_assert_msg(db_open_owner(&child_owner, child->cfg, &why) == INV_OK,
	    "%s", why);
}

/*
 * Walkers follow the product list and the admin's order list by cursor,
 * WALKS times; writers meanwhile insert products and orders and delete
 * the even-numbered ones of the fixture. Among the rows that exist
 * throughout (odd product ids, orders of odd id), every walk sees each
 * once, and no walk sees a row twice.
 */
static void
race_walk(int i, void *out)
{
	static const char *const paths[] = { API "/products",
		API "/orders/admin" };
	int64_t ids[MAX_IDS];
	struct http_resp resp;
	char *url, *next, sql[256];
	size_t n, j, k, w, p;
	int64_t seen[64];
	int64_t max_id;

	(void)out;
	if (i >= WALKERS) {
		/* Writers: each deletes its share of the even ids. */
		for (j = 0; j < 30; j++) {
			snprintf(sql, sizeof(sql), "INSERT INTO products (sku, "
			    "name, price) VALUES ('NEW-%d-%zu', 'n', 1);"
			    "INSERT INTO orders (order_number, user_id, "
			    "total_amount, shipping_address) VALUES "
			    "('ORD-%02X%06zX', %" PRId64 ", 1, 'a')", i, j, i,
			    j, user_id);
			ck_assert_int_eq(db_exec_script(child_owner, sql),
			    INV_OK);
			k = 2 + 2 * (j * WRITERS + (size_t)(i - WALKERS));
			snprintf(sql, sizeof(sql), "DELETE FROM order_items "
			    "WHERE order_id = %zu OR product_id = %zu; DELETE "
			    "FROM orders WHERE id = %zu; DELETE FROM products "
			    "WHERE id = %zu", k, k, k, k);
			if (k <= 50)
				ck_assert_int_eq(db_exec_script(child_owner,
				    sql), INV_OK);
		}
		return;
	}
	for (w = 0; w < WALKS; w++)
		for (p = 0; p < 2; p++) {
			max_id = p == 0 ? 60 : 50;
			memset(seen, 0, sizeof(seen));
			url = xasprintf("%s?limit=3", paths[p]);
			while (url != NULL) {
				tu_request(child, "GET", url, admin, NULL, NULL,
				    &resp);
				ck_assert_msg(resp.status == 200, "%s: %d", url,
				    resp.status);
				n = 0;
				body_ids(&resp, ids, &n);
				for (j = 0; j < n; j++) {
					if (ids[j] > max_id)
						continue;
					ck_assert_msg(seen[ids[j]] == 0, "%s: "
					    "id %" PRId64 " twice", paths[p],
					    ids[j]);
					seen[ids[j]] = 1;
				}
				next = next_of(&resp);
				http_resp_free(&resp);
				free(url);
				url = next;
			}
			for (j = 1; j <= (size_t)max_id; j += 2)
				ck_assert_msg(seen[j] == 1, "%s: id %zu missed",
				    paths[p], j);
		}
}

START_TEST(test_cursor_concurrent_writes)
{
	tu_concurrently(WALKERS + WRITERS, race_connect, race_walk, NULL, 0);
}
END_TEST

/* ---- X-Total-Count after concurrent writes ---- */

/* The count the first page of path reports. */
static int64_t
api_total(struct app *a, const char *path, const char *tok)
{
	struct http_resp resp;
	int64_t t;

	tu_request(a, "GET", path, tok, NULL, NULL, &resp);
	ck_assert_msg(resp.status == 200, "%s: %d", path, resp.status);
	t = total_of(&resp);
	http_resp_free(&resp);
	return t;
}

/* The lists whose counts are checked, and COUNT(*) of their rows. */
static const struct {
	const char	*path;
	bool		 as_admin;
	const char	*count;		/* SQL */
} counted[] = {
	{ API "/products?limit=1", false, "SELECT COUNT(*) FROM products" },
	{ API "/inventory?limit=1", false, "SELECT COUNT(*) FROM inventory" },
	{ API "/inventory?low_stock=1&limit=1", false,
	    "SELECT COUNT(*) FROM inventory WHERE quantity_in_stock - "
	    "quantity_reserved <= reorder_level" },
	{ API "/orders/admin?limit=1", true, "SELECT COUNT(*) FROM orders" },
	{ API "/orders/admin?status=pending&limit=1", true,
	    "SELECT COUNT(*) FROM orders WHERE status = 'pending'" },
	{ API "/users?limit=1", true, "SELECT COUNT(*) FROM users" },
	{ API "/inventory/2/movements?limit=1", true,
	    "SELECT COUNT(*) FROM stock_movements WHERE inventory_id = 2" },
	{ API "/products?category=a&limit=1", false,
	    "SELECT COUNT(*) FROM products WHERE category = 'a'" },
	{ API "/products?category=b&limit=1", false,
	    "SELECT COUNT(*) FROM products WHERE category = 'b'" },
	{ API "/orders/admin?status=processing&limit=1", true,
	    "SELECT COUNT(*) FROM orders WHERE status = 'processing'" },
	{ API "/orders/admin?status=shipped&limit=1", true,
	    "SELECT COUNT(*) FROM orders WHERE status = 'shipped'" },
	{ API "/orders/admin?status=cancelled&limit=1", true,
	    "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'" },
};
#define NCOUNTED	(sizeof(counted) / sizeof(counted[0]))

/* Reads the count of every list of counted[] through a's API. */
static void
read_counts(struct app *a)
{
	size_t k;

	for (k = 0; k < NCOUNTED; k++)
		api_total(a, counted[k].path, counted[k].as_admin ? admin :
		    user);
}

/* Every list of counted[] reports its COUNT(*) through app's API, and
 * every count the triggers keep is its COUNT(*). */
static void
expect_counts_exact(void)
{
	size_t k;

	for (k = 0; k < NCOUNTED; k++)
		tu_expect_sql(app->db, "(%s) = %" PRId64, counted[k].count,
		    api_total(app, counted[k].path, counted[k].as_admin ?
		    admin : user));
	tu_expect_sql(app->db, "(SELECT COALESCE(SUM(n), 0) FROM list_counts "
	    "WHERE list = 'products') = (%s)", counted[0].count);
	tu_expect_sql(app->db, "(SELECT COALESCE(SUM(n), 0) FROM list_counts "
	    "WHERE list = 'inventory') = (%s)", counted[1].count);
	tu_expect_sql(app->db, "(SELECT COALESCE(SUM(n), 0) FROM list_counts "
	    "WHERE list = 'inventory_low') = (%s)", counted[2].count);
	tu_expect_sql(app->db, "NOT EXISTS (SELECT 1 FROM (SELECT status, "
	    "SUM(n) AS n FROM order_counts GROUP BY status) c LEFT JOIN "
	    "(SELECT status, COUNT(*) AS n FROM orders GROUP BY status) o "
	    "ON o.status = c.status WHERE c.n <> COALESCE(o.n, 0) OR "
	    "c.status = 'pending') AND NOT EXISTS (SELECT 1 FROM orders o "
	    "WHERE status <> 'pending' AND NOT EXISTS (SELECT 1 FROM "
	    "order_counts c WHERE c.status = o.status))");
}

#define COUNTERS	3
#define COUNTER_ROUNDS	6
/* Fixture products 52..60 have no orders: each child deletes 3. */
#define DELETABLE	52

/*
 * Each child creates products, users and orders (each order then
 * cancelled, or moved to processing and some on to shipped), moves the
 * stock of record 2 below its reorder level and back (a movement each
 * time), deletes products with their stock records (the cascade, one in
 * four of them low on stock), all through the API, and reads every
 * counted list between writes, so that counts read before a write are
 * cached while it happens.
 */
static void
race_count(int i, void *out)
{
	char body[256], path[64];
	struct http_resp resp;
	struct json_object *o;
	int64_t order;
	int j;

	(void)out;
	for (j = 0; j < COUNTER_ROUNDS; j++) {
		/* "B" is category b: one count, as the filter has it. */
		snprintf(body, sizeof(body), "{\"sku\":\"C-%d-%d\",\"name\":"
		    "\"c\",\"price\":1,\"category\":\"%s\"}", i, j,
		    j % 2 == 0 ? "a" : "B");
		tu_request(child, "POST", API "/products", admin, JSON, body,
		    &resp);
		ck_assert_int_eq(resp.status, 201);
		http_resp_free(&resp);
		/* Stock of product 2 down to low and back. */
		snprintf(body, sizeof(body), "{\"quantity\":%d}", j % 2 == 0 ?
		    -95 : 95);
		tu_request(child, "POST", API "/inventory/2/adjust", admin, JSON,
		    body, &resp);
		http_resp_free(&resp);
		tu_request(child, "POST", API "/orders", user, JSON,
		    "{\"shipping_address\":\"a\",\"items\":[{\"product_id\":"
		    "1,\"quantity\":1}]}", &resp);
		ck_assert_msg(resp.status == 201, "order: %d %s", resp.status,
		    resp.body != NULL ? resp.body : "");
		o = tu_json(&resp);
		order = tu_jint(o, "id");
		json_object_put(o);
		http_resp_free(&resp);
		/* The order moves on: cancelled by its owner, or to
		 * processing and on to shipped by the admin. */
		snprintf(path, sizeof(path), API "/orders/%" PRId64, order);
		if (j % 2 == 0)
			tu_request(child, "DELETE", path, user, NULL, NULL,
			    &resp);
		else
			tu_request(child, "PUT", path, admin, JSON,
			    "{\"status\":\"processing\"}", &resp);
		ck_assert_msg(resp.status == (j % 2 == 0 ? 204 : 200),
		    "%s: %d %s", path, resp.status, resp.body != NULL ?
		    resp.body : "");
		http_resp_free(&resp);
		if (j % 4 == 3) {
			tu_request(child, "PUT", path, admin, JSON,
			    "{\"status\":\"shipped\"}", &resp);
			ck_assert_msg(resp.status == 200, "%s: %d %s", path,
			    resp.status, resp.body != NULL ? resp.body : "");
			http_resp_free(&resp);
		}
		snprintf(body, sizeof(body), "{\"email\":\"c%d-%d@example.com\","
		    "\"full_name\":\"C\",\"password\":\"long enough 1\"}", i, j);
		tu_request(child, "POST", API "/auth/register", NULL, JSON, body,
		    &resp);
		ck_assert_msg(resp.status == 201, "register: %d %s",
		    resp.status, resp.body != NULL ? resp.body : "");
		http_resp_free(&resp);
		if (j < 3) {
			snprintf(path, sizeof(path), API "/products/%d",
			    DELETABLE + 3 * i + j);
			tu_request(child, "DELETE", path, admin, NULL, NULL,
			    &resp);
			ck_assert_msg(resp.status == 204, "%s: %d", path,
			    resp.status);
			http_resp_free(&resp);
		}
		read_counts(child);
	}
}

START_TEST(test_count_exact_after_concurrent_writes)
{
	/* Counts in the cache before the writes begin. */
	expect_counts_exact();
	tu_concurrently(COUNTERS, race_connect, race_count, NULL, 0);
	expect_counts_exact();
	/* The writes happened. */
	tu_expect_sql(app->db, "(%s) = %d", counted[0].count,
	    60 + COUNTER_ROUNDS * COUNTERS - 3 * COUNTERS);
	tu_expect_sql(app->db, "(%s) = %d", counted[5].count,
	    4 + COUNTER_ROUNDS * COUNTERS);
}
END_TEST

/*
 * A first page the cache holds neither the reply nor the count of costs
 * one script call to look both up and one pipelined pair of SETs to
 * store them: counted on the Redis server (the default user's
 * INFO commandstats), which other clients may share, so a few tries.
 */
static long long
calls_of(redisContext *c, const char *cmd)
{
	redisReply *r = redisCommand(c, "INFO commandstats");
	const char *at;
	char key[64];
	long long n = 0;

	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_STRING, "INFO: %s",
	    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
	snprintf(key, sizeof(key), "cmdstat_%s:calls=", cmd);
	if ((at = strstr(r->str, key)) != NULL)
		n = strtoll(at + strlen(key), NULL, 10);
	freeReplyObject(r);
	return n;
}

START_TEST(test_first_page_one_round_trip)
{
	struct redis_settings set = app->cfg->redis;
	const char *pw = getenv("INVENTORY_TEST_REDIS_PASSWORD");
	struct http_resp resp;
	redisContext *c;
	long long evals = 0, sets = 0;
	char path[64];
	int try;

	ck_assert_msg(pw != NULL, "INVENTORY_TEST_REDIS_PASSWORD is not set");
	set.username = NULL;
	set.password = (char *)pw;
	c = tu_redis_connect(&set);
	/* Connected, scripts loaded. */
	get_ok(API "/inventory?limit=1", user, &resp);
	http_resp_free(&resp);
	for (try = 0; try < 5; try++) {
		/* A page and a count nobody read before. */
		snprintf(path, sizeof(path), API "/inventory?product_id=%d&"
		    "limit=2", 10 + try);
		evals = calls_of(c, "evalsha");
		sets = calls_of(c, "set");
		get_ok(path, user, &resp);
		ck_assert_int_ge(total_of(&resp), 0);
		http_resp_free(&resp);
		evals = calls_of(c, "evalsha") - evals;
		sets = calls_of(c, "set") - sets;
		if (evals == 1 && sets == 2)
			break;
	}
	ck_assert_msg(evals == 1 && sets == 2, "a first page's miss: %lld "
	    "script calls, %lld SETs", evals, sets);
	redisFree(c);
}
END_TEST

/* The output of `inventoryctl audit` (new; the program beside
 * INVENTORY_WORKER, with the suite's configuration) and its exit status. */
static int
ctl_audit(char **out)
{
	const char *worker = getenv("INVENTORY_WORKER"), *slash;
	struct buf b;
	char chunk[512], *cmd;
	size_t n;
	FILE *f;
	int st;

	ck_assert_msg(worker != NULL && (slash = strrchr(worker, '/')) != NULL,
	    "INVENTORY_WORKER is not set to the worker's path");
	cmd = xasprintf("'%.*s/inventoryctl' audit 2>&1",
	    (int)(slash - worker), worker);
	ck_assert((f = popen(cmd, "r")) != NULL);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	st = pclose(f);
	free(cmd);
	*out = buf_take(&b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* inventoryctl audit compares the counts the triggers keep with
 * COUNT(*), and names one that is off. */
START_TEST(test_audit_list_counts)
{
	char *out;

	ctl_audit(&out);
	ck_assert_msg(strstr(out, "list counts: 0 wrong") != NULL, "%.300s",
	    out);
	free(out);
	sqlf("INSERT INTO list_counts (list, slot, n) VALUES "
	    "('inventory_low', 0, 1) ON DUPLICATE KEY UPDATE n = n + 1");
	ck_assert_int_eq(ctl_audit(&out), 1);
	ck_assert_msg(strstr(out, "list counts: 1 wrong") != NULL &&
	    strstr(out, "list count inventory_low: kept 16, COUNT(*) 15") !=
	    NULL, "%.300s", out);
	free(out);
	/* A status of orders, and one kept for orders that are gone. */
	sqlf("INSERT INTO order_counts (status, slot, n) VALUES "
	    "('shipped', 0, 1), ('delivered', 0, 2) "
	    "ON DUPLICATE KEY UPDATE n = n + VALUES(n)");
	ck_assert_int_eq(ctl_audit(&out), 1);
	ck_assert_msg(strstr(out, "list counts: 3 wrong") != NULL &&
	    strstr(out, "list count orders_shipped: kept 26, COUNT(*) 25") !=
	    NULL && strstr(out, "list count orders_delivered: kept 2, "
	    "COUNT(*) 0") != NULL, "%.500s", out);
	free(out);
	/* A category, named as the products spell it. */
	sqlf("INSERT INTO category_counts (category, slot, n) VALUES "
	    "('A', 7, 1) ON DUPLICATE KEY UPDATE n = n + 1");
	ck_assert_int_eq(ctl_audit(&out), 1);
	ck_assert_msg(strstr(out, "list counts: 4 wrong") != NULL &&
	    strstr(out, "kept 31, COUNT(*) 30") != NULL, "%.500s", out);
	free(out);
}
END_TEST

static Suite *
lists_suite(void)
{
	Suite *s = suite_create("lists");
	TCase *tc = tcase_create("cursor");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_walk_every_list, 0,
	    (int)(sizeof(lists) / sizeof(lists[0])));
	tcase_add_test(tc, test_skip_page_link);
	tcase_add_test(tc, test_link_keeps_query);
	tcase_add_test(tc, test_bad_cursor);
	tcase_add_test(tc, test_list_plans);
	tcase_add_test(tc, test_cursor_concurrent_writes);
	tcase_add_test(tc, test_count_exact_after_concurrent_writes);
	tcase_add_test(tc, test_first_page_one_round_trip);
	tcase_add_test(tc, test_audit_list_counts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(lists_suite(), NULL);
}
