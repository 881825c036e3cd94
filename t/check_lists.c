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

/* The low-stock lists and their counts read the needs_reorder index;
 * the order pages walk an index of orders, never all of them. */
START_TEST(test_list_plans)
{
	struct db_val low[3] = { DB_INT(0), DB_INT(11), DB_INT(0) };
	struct db_val ord[7];

	/* A table the optimizer would rather scan whole when it is tiny. */
	sqlf("INSERT INTO products (sku, name, price) SELECT CONCAT('X-', "
	    "seq), 'x', 1 FROM seq_1_to_2000;"
	    "INSERT INTO inventory (product_id, quantity_in_stock) "
	    "SELECT id, 500 FROM products WHERE sku LIKE 'X-%%';"
	    "ANALYZE TABLE inventory, products, orders");
	expect_plan(STMT_INV_PAGE_LOW, low, 3, "inventory",
	    "ix_inventory_needs_reorder");
	expect_plan(STMT_INV_COUNT_LOW, NULL, 0, "inventory",
	    "ix_inventory_needs_reorder");
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

/* COUNT(*) of a list's rows, straight from MariaDB: "products", "low"
 * (records that need reordering), "pending" orders or all "orders". */
static int64_t
sql_count(const char *what)
{
	struct db_res *r = NULL;
	struct db_val p;
	int64_t v;

	if (strcmp(what, "products") == 0)
		ck_assert_int_eq(db_exec(app->db, STMT_PRODUCT_COUNT, NULL, 0,
		    &r, NULL, NULL), INV_OK);
	else if (strcmp(what, "low") == 0)
		ck_assert_int_eq(db_exec(app->db, STMT_INV_COUNT_LOW, NULL, 0,
		    &r, NULL, NULL), INV_OK);
	else if (strcmp(what, "pending") == 0) {
		p = DB_STR("pending");
		ck_assert_int_eq(db_exec(app->db, STMT_ORDER_COUNT_BY_STATUS,
		    &p, 1, &r, NULL, NULL), INV_OK);
	} else
		ck_assert_int_eq(db_exec(app->db, STMT_ORDER_COUNT, NULL, 0,
		    &r, NULL, NULL), INV_OK);
	v = db_res_int(r, 0, 0);
	db_res_free(r);
	return v;
}

#define COUNTERS	3

/* Each child creates products and orders through the API and reads the
 * counted lists between writes, so that counts read before a write are
 * cached while it happens. */
static void
race_count(int i, void *out)
{
	char body[256];
	struct http_resp resp;
	int j;

	(void)out;
	for (j = 0; j < 6; j++) {
		snprintf(body, sizeof(body), "{\"sku\":\"C-%d-%d\",\"name\":"
		    "\"c\",\"price\":1}", i, j);
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
		http_resp_free(&resp);
		api_total(child, API "/products?limit=1", user);
		api_total(child, API "/inventory?low_stock=1&limit=1", user);
		api_total(child, API "/orders/admin?limit=1", admin);
		api_total(child, API "/orders/admin?status=pending&limit=1",
		    admin);
	}
}

START_TEST(test_count_exact_after_concurrent_writes)
{
	/* Counts in the cache before the writes begin. */
	ck_assert_int_eq(api_total(app, API "/products?limit=1", user),
	    sql_count("products"));
	ck_assert_int_eq(api_total(app, API "/orders/admin?limit=1", admin),
	    sql_count("orders"));
	api_total(app, API "/inventory?low_stock=1&limit=1", user);
	api_total(app, API "/orders/admin?status=pending&limit=1", admin);
	tu_concurrently(COUNTERS, race_connect, race_count, NULL, 0);
	ck_assert_int_eq(api_total(app, API "/products?limit=1", user),
	    sql_count("products"));
	ck_assert_int_eq(api_total(app, API "/inventory?low_stock=1&limit=1",
	    user), sql_count("low"));
	ck_assert_int_eq(api_total(app, API "/orders/admin?limit=1", admin),
	    sql_count("orders"));
	ck_assert_int_eq(api_total(app, API "/orders/admin?status=pending"
	    "&limit=1", admin), sql_count("pending"));
	/* The writes happened. */
	ck_assert_int_eq(sql_count("products"), 60 + 6 * COUNTERS);
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
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(lists_suite(), NULL);
}
