/*
 * check_order_pages.c: the owner's order list reads a page that skips
 * nothing with statements of its own (db.c, ORDER_OWN_SEEK); the pages
 * that skip still go through the others. Both must give the same rows,
 * in the same order, ties of created_at included. Needs MariaDB and
 * Redis (tu_app).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "testutil.h"

#define API "/api/v1"
#define ORDERS 23

static struct app *app;
static int64_t user_id;
static char *user;	/* access token */

static void
setup(void)
{
	char *sql;

	app = tu_app();
	tu_reset_db(app);
	user_id = tu_insert_user(app, "pages@example.com", false);
	user = tu_token_for(app, user_id, false);
	/* Three orders a second, so the ids break ties; ids inserted out
	 * of time order, so neither key alone gives the order. */
	ck_assert_int_ge(asprintf(&sql, "INSERT INTO products (sku, name, "
	    "price) VALUES ('SKU-1', 'P', 1.50);"
	    "INSERT INTO orders (order_number, user_id, status, "
	    "total_amount, shipping_address, notes, created_at) "
	    "SELECT CONCAT('ORD-', LPAD(HEX(seq), 8, '0')), %" PRId64 ", "
	    "IF(seq %% 3 = 0, 'pending', 'shipped'), seq, "
	    "CONCAT(seq, ' Road'), IF(seq %% 2, NULL, 'n'), "
	    "'2026-01-01 00:00:00' + INTERVAL ((seq * 7) %% %d DIV 3) "
	    "SECOND FROM seq_1_to_%d;"
	    "INSERT INTO order_items (order_id, product_id, quantity, "
	    "unit_price) SELECT o.id, p.id, 1 + o.id %% 4, 1.50 "
	    "FROM orders o JOIN products p", user_id, ORDERS, ORDERS), 0);
	ck_assert_msg(db_exec_script(tu_owner_db(app), sql) == INV_OK, "%s",
	    sql);
	free(sql);
}

static void
teardown(void)
{
	free(user);
}

/* GET path's array (new); fails on anything but 200. */
static struct json_object *
page(const char *path)
{
	struct http_resp resp;
	struct json_object *arr;

	tu_request(app, "GET", path, user, NULL, NULL, &resp);
	ck_assert_msg(resp.status == 200, "GET %s: %d %s", path, resp.status,
	    resp.body != NULL ? resp.body : "");
	arr = tu_json(&resp);
	ck_assert(json_object_is_type(arr, json_type_array));
	http_resp_free(&resp);
	return arr;
}

static const char *const filters[] = { "", "status=pending&",
	"status=shipped&" };

/* Every page reached by skip holds, member for member, the rows of the
 * whole list read without one (limit 1000), from that row on. */
START_TEST(test_skip_pages_match_unskipped)
{
	struct json_object *all, *pg;
	const char *f = filters[_i];
	size_t n, i, skip, limit;
	char path[128];

	snprintf(path, sizeof(path), API "/orders?%slimit=1000", f);
	all = page(path);
	n = json_object_array_length(all);
	ck_assert_uint_ge(n, ORDERS / 3);
	for (limit = 1; limit <= 4; limit++)
		for (skip = 1; skip <= n; skip++) {
			snprintf(path, sizeof(path), API "/orders?%sskip=%zu"
			    "&limit=%zu", f, skip, limit);
			pg = page(path);
			ck_assert_uint_eq(json_object_array_length(pg),
			    skip + limit <= n ? limit : n - skip);
			for (i = 0; i < json_object_array_length(pg); i++)
				ck_assert_str_eq(json_object_to_json_string(
				    json_object_array_get_idx(pg, i)),
				    json_object_to_json_string(
				    json_object_array_get_idx(all, skip + i)));
			json_object_put(pg);
		}
	json_object_put(all);
}
END_TEST

/* Where both may run (skip 0), the two statements answer alike, every
 * column, from the first key and from one inside a second's ties. */
START_TEST(test_seek_statement_as_page)
{
	static const enum stmt pairs[][2] = {
		{ STMT_ORDER_OWN_PAGE, STMT_ORDER_OWN_SEEK },
		{ STMT_ORDER_OWN_PAGE_BY_STATUS,
		  STMT_ORDER_OWN_SEEK_BY_STATUS },
	};
	static const struct { const char *t; int64_t id; } keys[] = {
		{ "9999-12-31 23:59:59", INT64_MAX },
		{ "2026-01-01 00:00:03", 14 },
	};
	struct db_res *a, *b;
	struct db_val p[7];
	size_t k, s, n, r, c;

	for (s = 0; s < 2; s++)
		for (k = 0; k < 2; k++) {
			n = 0;
			p[n++] = DB_INT(user_id);
			if (s == 1)
				p[n++] = DB_STR("shipped");
			p[n++] = DB_STR(keys[k].t);
			p[n++] = DB_STR(keys[k].t);
			p[n++] = DB_INT(keys[k].id);
			p[n++] = DB_INT(1000);
			p[n++] = DB_INT(0);
			a = b = NULL;
			ck_assert_int_eq(db_exec(app->db, pairs[s][0], p, n,
			    &a, NULL, NULL), INV_OK);
			ck_assert_int_eq(db_exec(app->db, pairs[s][1], p, n,
			    &b, NULL, NULL), INV_OK);
			ck_assert_uint_gt(db_res_rows(a), 1);
			ck_assert_uint_eq(db_res_rows(a), db_res_rows(b));
			for (r = 0; r < db_res_rows(a); r++)
				for (c = 0; c < ORDER_COL__MAX; c++)
					ck_assert_msg((db_res_isnull(a, r, c) &&
					    db_res_isnull(b, r, c)) ||
					    (!db_res_isnull(a, r, c) &&
					    !db_res_isnull(b, r, c) &&
					    strcmp(db_res_str(a, r, c),
					    db_res_str(b, r, c)) == 0 &&
					    db_res_int(a, r, c) ==
					    db_res_int(b, r, c)),
					    "statement pair %zu, key %zu: row "
					    "%zu column %zu differs", s, k, r, c);
			db_res_free(a);
			db_res_free(b);
		}
}
END_TEST

static Suite *
order_pages_suite(void)
{
	Suite *s = suite_create("order_pages");
	TCase *tc = tcase_create("seek");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_skip_pages_match_unskipped, 0,
	    (int)(sizeof(filters) / sizeof(filters[0])));
	tcase_add_test(tc, test_seek_statement_as_page);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(order_pages_suite(), NULL);
}
