/*
 * check_inventory.c: /inventory against a real MariaDB and Redis
 * (integration): the contract's cases, the movements ledger, concurrent
 * adjustments, bad input.
 */
#include "testinventory.h"

static bool
jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_boolean),
	    "%s not bool", key);
	return json_object_get_boolean(v);
}

/* ---- the named cases of the contract ---- */

START_TEST(get_inventory)
{
	struct json_object *arr, *o;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t i1 = new_inventory(p1, 100, 10, 5);
	int64_t i2 = new_inventory(p2, 3, 0, 10);
	int64_t total;

	arr = get_list(API "/inventory", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(tu_jint(o, "id"), i1);
	ck_assert_int_eq(tu_jint(o, "product_id"), p1);
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_str_eq(json_get_str(o, "product_sku"), "A-1");
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 90);
	ck_assert(!jbool(o, "needs_reorder"));
	o = json_object_array_get_idx(arr, 1);
	ck_assert_int_eq(tu_jint(o, "id"), i2);
	ck_assert(jbool(o, "needs_reorder"));
	json_object_put(arr);
	arr = get_list(API "/inventory?skip=1&limit=1", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0), "id"), i2);
	json_object_put(arr);
	ck_assert_int_eq(call("GET", API "/inventory", NULL, NULL, NULL), 401);
}
END_TEST

START_TEST(get_inventory_with_filters)
{
	struct json_object *arr;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t p3 = create_product("C-3", "Gamma", NULL);
	int64_t total;
	char *path;

	new_inventory(p1, 100, 0, 10);
	new_inventory(p2, 5, 0, 10);
	new_inventory(p3, 20, 10, 10);	/* available 10: low */
	path = xasprintf(API "/inventory?product_id=%" PRId64, p2);
	arr = get_list(path, user, &total);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0),
	    "product_id"),
	    p2);
	json_object_put(arr);
	free(path);
	arr = get_list(API "/inventory?low_stock=true", user, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 0),
	    "product_id"),
	    p2);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 1),
	    "product_id"),
	    p3);
	json_object_put(arr);
	expect_list(API "/inventory?low_stock=1&product_id=1", user, 0, -1,
	    NULL);
	expect_list(API "/inventory?low_stock=false", user, 3, -1, NULL);
	expect_list(API "/inventory?product_id=999", user, 0, 0, NULL);
}
END_TEST

START_TEST(get_inventory_item)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 50, 5, 10);

	ck_assert_int_eq(callf("GET", user, NULL, &o, API "/inventory/%" PRId64,
	    id), 200);
	ck_assert_int_eq(tu_jint(o, "id"), id);
	ck_assert_int_eq(tu_jint(o, "product_id"), p);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 50);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 5);
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 10);
	ck_assert_int_eq(tu_jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 45);
	ck_assert(!jbool(o, "needs_reorder"));
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_str_eq(json_get_str(o, "product_sku"), "A-1");
	ck_assert_uint_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_uint_eq(strlen(json_get_str(o, "updated_at")), 20);
	ck_assert(jnull(o, "last_stock_count_date"));
	json_object_put(o);
}
END_TEST

START_TEST(get_nonexistent_inventory_item)
{
	struct json_object *o;

	ck_assert_int_eq(call("GET", API "/inventory/999", user, NULL, &o),
	    404);
	ck_assert_str_eq(tu_detail(o), "Inventory item with id 999 not found");
	json_object_put(o);
}
END_TEST

START_TEST(create_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	const char *d;
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":100,\"quantity_reserved\":10}", p);

	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	ck_assert_int_eq(tu_jint(o, "product_id"), p);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 100);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 10);
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 10);
	ck_assert_int_eq(tu_jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 90);
	d = json_get_str(o, "last_restock_date");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(strlen(d), 20);
	ck_assert_int_eq(d[10], 'T');
	ck_assert_int_eq(d[19], 'Z');
	/* Inventory, not InventoryWithProduct. */
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	free(body);
	/* No stock: no restock. */
	body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":0,\"reorder_level\":0,"
	    "\"reorder_quantity\":7}", p2);
	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	ck_assert(jnull(o, "last_restock_date"));
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 0);
	ck_assert_int_eq(tu_jint(o, "reorder_quantity"), 7);
	ck_assert(jbool(o, "needs_reorder"));
	json_object_put(o);
	free(body);
}
END_TEST

START_TEST(create_inventory_for_nonexistent_product)
{
	struct json_object *o;

	ck_assert_int_eq(call("POST", API "/inventory", admin,
	    "{\"product_id\":4242,\"quantity_in_stock\":1}", &o), 404);
	ck_assert_str_eq(tu_detail(o), "Product with id 4242 not found");
	json_object_put(o);
}
END_TEST

START_TEST(create_duplicate_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":5}", p), *want;

	new_inventory(p, 1, 0, 10);
	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 400);
	want = xasprintf("Inventory already exists for product %" PRId64, p);
	ck_assert_str_eq(tu_detail(o), want);
	ck_assert_ptr_nonnull(strstr(tu_detail(o), "already exists"));
	json_object_put(o);
	free(want);
	free(body);
}
END_TEST

START_TEST(create_inventory_as_non_admin)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":5}", p);

	ck_assert_int_eq(call("POST", API "/inventory", user, body, &o), 403);
	ck_assert_str_eq(tu_detail(o), "Not enough permissions");
	json_object_put(o);
	ck_assert_int_eq(call("POST", API "/inventory", NULL, body, NULL), 401);
	free(body);
	ck_assert_int_eq(call("GET", API "/inventory/product/1", user, NULL,
	    NULL), 404);
}
END_TEST

START_TEST(update_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 0, 0, 10), s, r;

	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":150,"
	    "\"reorder_level\":20}", &o, API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 150);
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 20);
	ck_assert_int_eq(tu_jint(o, "reorder_quantity"), 50);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 0);
	ck_assert_ptr_nonnull(json_get_str(o, "last_restock_date"));
	ck_assert(!json_has(o, "product_sku"));
	json_object_put(o);
	/* Only the fields given change. */
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":40}", &o,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 150);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 40);
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 20);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 110);
	json_object_put(o);
	/* Lowering the stock under what is reserved is refused. */
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":39}", &o,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert_str_eq(detail_field(o), "quantity_reserved");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_reserved\":151}",
	    NULL, API "/inventory/%" PRId64, id), 422);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":-1}", NULL,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert_int_eq(callf("PUT", admin, "{\"reorder_quantity\":-5}", NULL,
	    API "/inventory/%" PRId64, id), 422);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 150);
	ck_assert_int_eq(r, 40);
	ck_assert_int_eq(call("PUT", API "/inventory/999", admin,
	    "{\"reorder_level\":1}", &o), 404);
	ck_assert_str_eq(tu_detail(o), "Inventory with id 999 not found");
	json_object_put(o);
	ck_assert_int_eq(callf("PUT", user, "{\"reorder_level\":1}", NULL,
	    API "/inventory/%" PRId64, id), 403);
}
END_TEST

START_TEST(adjust_stock_up)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	const char *d;

	ck_assert_int_eq(db_exec_script(app->db, "UPDATE inventory SET "
	    "last_restock_date = '2001-02-03 04:05:06'"), INV_OK);
	/* Down does not restock. */
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-4}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 6);
	ck_assert_str_eq(json_get_str(o, "last_restock_date"),
	    "2001-02-03T04:05:06Z");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":25,"
	    "\"reason\":\"delivery\"}", &o, API "/inventory/%" PRId64 "/adjust",
	    id), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 31);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 31);
	d = json_get_str(o, "last_restock_date");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_ne(d, "2001-02-03T04:05:06Z");
	ck_assert_int_ge(strcmp(d, "2020"), 0);
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	ck_assert_int_eq(api_stock(id), 31);
	ck_assert_int_eq(call("POST", API "/inventory/999/adjust", admin,
	    "{\"quantity\":1}", &o), 404);
	ck_assert_str_eq(tu_detail(o), "Inventory with id 999 not found");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", user, "{\"quantity\":1}", NULL,
	    API "/inventory/%" PRId64 "/adjust", id), 403);
}
END_TEST

START_TEST(adjust_stock_validation)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 0, 5);
	static const char *const bad[] = {
		"{\"quantity\":0}", "{\"quantity\":1.5}", "{\"quantity\":\"5\"}",
		"{\"quantity\":5.0}", "{\"quantity\":null}", "{}",
		"{\"quantity\":true}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(callf("POST", admin, bad[i], &o, API "/inventory/%"
		    PRId64 "/adjust", id) == 422, "%s", bad[i]);
		ck_assert_str_eq(detail_field(o), "quantity");
		json_object_put(o);
	}
	ck_assert_int_eq(api_stock(id), 10);
}
END_TEST

START_TEST(adjust_stock_below_zero)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 5, 3, 1), s, r, ms, mr, min;
	size_t n;

	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-6}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 400);
	ck_assert_str_eq(tu_detail(o), "Cannot reduce stock below zero");
	json_object_put(o);
	ck_assert_int_eq(callf("POST", admin, "{\"quantity\":-3}", &o,
	    API "/inventory/%" PRId64 "/adjust", id), 400);
	ck_assert_str_eq(tu_detail(o), "Cannot reduce stock below reserved "
	    "quantity");
	json_object_put(o);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 5);
	ck_assert_int_eq(r, 3);
	/* Nothing written to the ledger either. */
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_uint_eq(n, 1);
	/* Down to exactly the reserved quantity is allowed. */
	ck_assert_int_eq(adjust(id, -2, NULL), 200);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 3);
}
END_TEST

START_TEST(get_product_inventory)
{
	struct json_object *o;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t id = new_inventory(p, 7, 2, 10);
	char *want;

	ck_assert_int_eq(callf("GET", user, NULL, &o, API
	    "/inventory/product/%" PRId64, p), 200);
	ck_assert_int_eq(tu_jint(o, "id"), id);
	ck_assert_int_eq(tu_jint(o, "quantity_in_stock"), 7);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 5);
	ck_assert(jbool(o, "needs_reorder"));
	ck_assert(!json_has(o, "product_name"));
	json_object_put(o);
	ck_assert_int_eq(callf("GET", user, NULL, &o, API
	    "/inventory/product/%" PRId64, p2), 404);
	want = xasprintf("No inventory found for product with id %" PRId64, p2);
	ck_assert_str_eq(tu_detail(o), want);
	json_object_put(o);
	free(want);
}
END_TEST

START_TEST(get_low_stock_items)
{
	struct json_object *arr, *o;
	int64_t p1 = create_product("A-1", "Alpha", NULL);
	int64_t p2 = create_product("B-2", "Beta", NULL);
	int64_t p3 = create_product("C-3", "Gamma", NULL);
	int64_t i1, i3, total;

	i1 = new_inventory(p1, 15, 5, 10);	/* available 10 = level */
	new_inventory(p2, 16, 5, 10);	/* available 11 */
	i3 = new_inventory(p3, 0, 0, 0);	/* 0 <= 0 */
	arr = get_list(API "/inventory/status/low-stock", admin, &total);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(tu_jint(o, "id"), i1);
	ck_assert(jbool(o, "needs_reorder"));
	ck_assert_str_eq(json_get_str(o, "product_name"), "Alpha");
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 1), "id"), i3);
	json_object_put(arr);
	expect_list(API "/inventory/status/low-stock?skip=1&limit=5", admin, 2,
	    1, NULL);
	ck_assert_int_eq(call("GET", API "/inventory/status/low-stock", user,
	    NULL, NULL), 403);
}
END_TEST

/* ---- the ledger ---- */

START_TEST(movements_ledger)
{
	struct json_object *arr, *m;
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 2, 5), s, r, ms, mr, min, total;
	size_t n;
	char *path;

	ck_assert_int_eq(adjust(id, 5, "restock"), 200);
	ck_assert_int_eq(adjust(id, -3, "sale"), 200);
	ck_assert_int_eq(callf("PUT", admin, "{\"quantity_in_stock\":20,"
	    "\"quantity_reserved\":4}", NULL, API "/inventory/%" PRId64, id),
	    200);
	ck_assert_int_eq(callf("PUT", admin, "{\"reorder_level\":7}", NULL,
	    API "/inventory/%" PRId64, id), 200);
	ck_assert_int_eq(adjust(id, -1, NULL), 200);
	ck_assert_int_eq(adjust(id, -100, NULL), 400);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 19);
	ck_assert_int_eq(r, 4);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	ck_assert_uint_eq(n, 5);	/* no row for the reorder level */
	path = xasprintf(API "/inventory/%" PRId64 "/movements?limit=2", id);
	arr = get_list(path, admin, &total);
	ck_assert_int_eq(total, 5);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	m = json_object_array_get_idx(arr, 0);	/* newest */
	ck_assert_int_eq(tu_jint(m, "change_in_stock"), -1);
	ck_assert(jnull(m, "reason"));
	ck_assert(jnull(m, "order_id"));
	ck_assert_int_eq(tu_jint(m, "user_id"), admin_id);
	ck_assert_int_eq(tu_jint(m, "product_id"), p);
	ck_assert_uint_eq(strlen(json_get_str(m, "created_at")), 20);
	m = json_object_array_get_idx(arr, 1);
	ck_assert_int_eq(tu_jint(m, "change_in_stock"), 8);
	ck_assert_int_eq(tu_jint(m, "change_reserved"), 2);
	json_object_put(arr);
	free(path);
	path = xasprintf(API "/inventory/%" PRId64 "/movements?skip=3", id);
	arr = get_list(path, admin, &total);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
	    "reason"), "restock");
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(arr, 1),
	    "change_in_stock"), 10);
	json_object_put(arr);
	ck_assert_int_eq(call("GET", path, user, NULL, NULL), 403);
	free(path);
	ck_assert_int_eq(call("GET", API "/inventory/999/movements", admin,
	    NULL, &arr), 404);
	ck_assert_str_eq(tu_detail(arr), "Inventory with id 999 not found");
	json_object_put(arr);
}
END_TEST

/* ---- concurrency ---- */

/* The adjustment race's item, set before the fork. */
static int64_t race_item;


enum { RACE_ADJUSTERS = 8, RACE_ADJUSTMENTS = 12 };

/* Child i: its adjustments, each accepted (200) or refused as going
 * below the reserved quantity (400); out gets the sum it moved and how
 * many were accepted. */
static void
race_adjust(int i, void *out)
{
	static const int64_t deltas[] = { 3, -7, 1, -4, -2, 5, -6 };
	int64_t *mine = out;
	int j, status;

	for (j = 0; j < RACE_ADJUSTMENTS; j++) {
		int64_t q = deltas[(size_t)(i + j) %
		    (sizeof(deltas) / sizeof(deltas[0]))];

		status = adjust(race_item, q, "race");
		ck_assert_msg(status == 200 || status == 400,
		    "adjusting by %" PRId64 ": status %d", q, status);
		if (status == 200) {
			mine[0] += q;
			mine[1]++;
		}
	}
}

START_TEST(concurrent_adjustments)
{
	enum { N = RACE_ADJUSTERS, M = RACE_ADJUSTMENTS };
	int64_t p = create_product("A-1", "Alpha", NULL);
	int64_t id = new_inventory(p, 10, 2, 5), sum = 0, s, r, ms, mr, min;
	int64_t got[N][2];
	int i, accepted = 0;
	size_t n;

	race_item = id;
	tu_concurrently(N, tu_child_connect, race_adjust, got, sizeof(got[0]));
	for (i = 0; i < N; i++) {
		sum += got[i][0];
		accepted += (int)got[i][1];
	}
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 10 + sum);
	ck_assert_int_eq(r, 2);
	ck_assert_int_ge(s, r);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_uint_eq(n, 1 + (size_t)accepted);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	/* Never below the reserved quantity, let alone zero. */
	ck_assert_int_ge(min, 2);
	/* Both kinds happened, so the race was real. */
	ck_assert_int_gt(accepted, 0);
	ck_assert_int_lt(accepted, N * M);
	ck_assert_int_eq(api_stock(id), s);
}
END_TEST

/* ---- bad input ---- */

struct bad_case {
	const char	*method;
	const char	*path;
	const char	*ct;	/* NULL: JSON when there is a body */
	const char	*body;
	int		 status;
};

static const struct bad_case bad_cases[] = {
	/* Products: bodies. */
	{ "POST", API "/products", NULL, "{}", 422 },
	{ "POST", API "/products", NULL, "{", 422 },
	{ "POST", API "/products", NULL, "[]", 422 },
	{ "POST", API "/products", NULL, "null", 422 },
	{ "POST", API "/products", NULL, "", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"" LONG "\",\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"" LONG
	    "\",\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"category\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"image_url\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"dimensions\":\"" LONG "\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":5,\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":\"1\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1.999}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e400}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e-400}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":9223372036854775808}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":9223372036854775807}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":-9223372036854775808}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1e20}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":NaN}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":true}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"weight\":1000000000}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\",\"name\":\"n\","
	    "\"price\":1,\"weight\":\"heavy\"}", 422 },
	{ "POST", API "/products", NULL, "{\"sku\":\"s\\u0000\",\"name\":\"n\","
	    "\"price\":1}", 422 },
	{ "POST", API "/products", "text/plain", "{\"sku\":\"s\","
	    "\"name\":\"n\",\"price\":1}", 415 },
	{ "PUT", API "/products/1", NULL, "{\"price\":\"x\"}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"sku\":null}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"name\":5}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"sku\":\"" LONG "\"}", 422 },
	{ "PUT", API "/products/1", NULL, "{\"price\":-1}", 422 },
	{ "PUT", API "/products/1", "application/xml", "{}", 415 },
	{ "PUT", API "/products/1", NULL, "{\"name\":", 422 },
	/* Products: paths and queries. */
	{ "GET", API "/products/0", NULL, NULL, 404 },
	{ "GET", API "/products/-1", NULL, NULL, 404 },
	{ "GET", API "/products/abc", NULL, NULL, 404 },
	{ "GET", API "/products/1.5", NULL, NULL, 404 },
	{ "GET", API "/products/9223372036854775808", NULL, NULL, 404 },
	{ "GET", API "/products/9223372036854775807", NULL, NULL, 404 },
	{ "GET", API "/products/99999999999999999999999", NULL, NULL, 404 },
	{ "PUT", API "/products/abc", NULL, "{}", 404 },
	{ "DELETE", API "/products/0", NULL, NULL, 404 },
	{ "GET", API "/products?limit=0", NULL, NULL, 422 },
	{ "GET", API "/products?limit=1001", NULL, NULL, 422 },
	{ "GET", API "/products?skip=-1", NULL, NULL, 422 },
	{ "GET", API "/products?skip=abc", NULL, NULL, 422 },
	{ "GET", API "/products?skip=9223372036854775808", NULL, NULL, 422 },
	{ "GET", API "/products?q=" LONG, NULL, NULL, 422 },
	{ "GET", API "/products?category=" LONG, NULL, NULL, 422 },
	{ "PATCH", API "/products/1", NULL, "{}", 405 },
	/* Inventory: bodies. */
	{ "POST", API "/inventory", NULL, "{}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":\"1\","
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1.5,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":0,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":-1,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":9223372036854775808,"
	    "\"quantity_in_stock\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":9223372036854775807,"
	    "\"quantity_in_stock\":1}", 404 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":2147483648}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":1e400}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"quantity_reserved\":6}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"quantity_reserved\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"reorder_level\":-1}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":5,\"reorder_quantity\":2147483648}", 422 },
	{ "POST", API "/inventory", NULL, "{\"product_id\":1,"
	    "\"quantity_in_stock\":\"" LONG "\"}", 422 },
	{ "POST", API "/inventory", "application/x-www-form-urlencoded",
	    "product_id=1&quantity_in_stock=1", 415 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_in_stock\":-1}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_reserved\":99999}",
	    422 },
	{ "PUT", API "/inventory/1", NULL, "{\"quantity_in_stock\":0}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"reorder_quantity\":"
	    "2147483648}", 422 },
	{ "PUT", API "/inventory/1", NULL, "{\"reorder_level\":\"abc\"}", 422 },
	{ "PUT", API "/inventory/1", NULL, "[1]", 422 },
	{ "PUT", API "/inventory/0", NULL, "{}", 404 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":0}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1.5}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":\"5\"}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000001}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-1000000001}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":9223372036854775808}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-9223372036854775808}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1e400}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1,"
	    "\"reason\":\"" LONG "\"}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1,"
	    "\"reason\":5}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-11}", 400 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":-6}", 400 },
	/* Stock 10 + 1e9 twice would pass INT's 2147483647. */
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    200 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    200 },
	{ "POST", API "/inventory/1/adjust", NULL, "{\"quantity\":1000000000}",
	    422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-2000000000}", 422 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-1000000000}", 200 },
	{ "POST", API "/inventory/1/adjust", NULL,
	    "{\"quantity\":-1000000000}", 200 },
	{ "POST", API "/inventory/1/adjust", "text/html", "{\"quantity\":1}",
	    415 },
	{ "POST", API "/inventory/1/adjust", NULL, "", 422 },
	{ "POST", API "/inventory/abc/adjust", NULL, "{\"quantity\":1}", 404 },
	{ "POST", API "/inventory/9223372036854775808/adjust", NULL,
	    "{\"quantity\":1}", 404 },
	/* Inventory: paths and queries. */
	{ "GET", API "/inventory/0", NULL, NULL, 404 },
	{ "GET", API "/inventory/abc", NULL, NULL, 404 },
	{ "GET", API "/inventory/9223372036854775808", NULL, NULL, 404 },
	{ "GET", API "/inventory/product/0", NULL, NULL, 404 },
	{ "GET", API "/inventory/product/x", NULL, NULL, 404 },
	{ "GET", API "/inventory/status", NULL, NULL, 404 },
	{ "GET", API "/inventory?product_id=abc", NULL, NULL, 422 },
	{ "GET", API "/inventory?product_id=0", NULL, NULL, 422 },
	{ "GET", API "/inventory?product_id=9223372036854775808", NULL, NULL,
	    422 },
	{ "GET", API "/inventory?low_stock=maybe", NULL, NULL, 422 },
	{ "GET", API "/inventory?limit=1001", NULL, NULL, 422 },
	{ "GET", API "/inventory?skip=-5", NULL, NULL, 422 },
	{ "GET", API "/inventory/1/movements?limit=0", NULL, NULL, 422 },
	{ "GET", API "/inventory/1/movements?skip=x", NULL, NULL, 422 },
	{ "GET", API "/inventory/0/movements", NULL, NULL, 404 },
	{ "GET", API "/inventory/status/low-stock?limit=-1", NULL, NULL, 422 },
	{ "DELETE", API "/inventory/1", NULL, NULL, 405 },
};

START_TEST(bad_input_is_4xx)
{
	int64_t p = create_product("A-1", "Alpha", NULL), s, r, ms, mr, min;
	int64_t id = new_inventory(p, 10, 5, 3);
	char *longstr = xmalloc(10001);
	struct http_resp resp;
	size_t i, n;

	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(id, 1);
	memset(longstr, 'x', 10000);
	longstr[10000] = '\0';
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct buf path, body;
		const char *at;

		buf_init(&path);
		buf_init(&body);
		/* Fill in the long string where asked. */
		at = strstr(bc->path, LONG);
		if (at != NULL) {
			buf_append(&path, bc->path, (size_t)(at - bc->path));
			buf_puts(&path, longstr);
			buf_puts(&path, at + strlen(LONG));
		} else
			buf_puts(&path, bc->path);
		if (bc->body != NULL) {
			at = strstr(bc->body, LONG);
			if (at != NULL) {
				buf_append(&body, bc->body,
				    (size_t)(at - bc->body));
				buf_puts(&body, longstr);
				buf_puts(&body, at + strlen(LONG));
			} else
				buf_puts(&body, bc->body);
		}
		tu_request(app, bc->method, path.data, admin, bc->ct != NULL ?
		    bc->ct : bc->body != NULL ? JSON : NULL, bc->body != NULL ?
		    (body.data != NULL ? body.data : "") : NULL, &resp);
		ck_assert_msg(resp.status == bc->status,
		    "case %zu: %s %.80s %.80s: %d, want %d: %.200s", i,
		    bc->method, bc->path, bc->body != NULL ? bc->body : "",
		    resp.status, bc->status, resp.body != NULL ? resp.body : "");
		/* Every error has a JSON detail. */
		if (resp.status >= 400) {
			struct json_object *o = tu_json(&resp);

			ck_assert(json_has(o, "detail"));
			json_object_put(o);
		}
		http_resp_free(&resp);
		buf_free(&path);
		buf_free(&body);
	}
	free(longstr);
	/* Nothing the refusals touched changed; the ledger adds up. */
	ck_assert(db_quantities(id, &s, &r));
	ck_assert_int_eq(s, 10);
	ck_assert_int_eq(r, 5);
	ledger(id, &ms, &mr, &n, &min);
	ck_assert_int_eq(ms, s);
	ck_assert_int_eq(mr, r);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(call("GET", API "/products/1", user, NULL, NULL), 200);
}
END_TEST

static Suite *
inventory_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("contract", 0),
		TU_TEST(get_inventory),
		TU_TEST(get_inventory_with_filters),
		TU_TEST(get_inventory_item),
		TU_TEST(get_nonexistent_inventory_item),
		TU_TEST(create_inventory),
		TU_TEST(create_inventory_for_nonexistent_product),
		TU_TEST(create_duplicate_inventory),
		TU_TEST(create_inventory_as_non_admin),
		TU_TEST(update_inventory),
		TU_TEST(adjust_stock_up),
		TU_TEST(adjust_stock_validation),
		TU_TEST(adjust_stock_below_zero),
		TU_TEST(get_product_inventory),
		TU_TEST(get_low_stock_items),
		TU_CASE("ledger", 0),
		TU_TEST(movements_ledger),
		TU_CASE("concurrency", 60),
		TU_TEST(concurrent_adjustments),
		TU_CASE("bad input", 30),
		TU_TEST(bad_input_is_4xx),
	};

	return tu_suite("inventory", setup, teardown, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(inventory_suite(), NULL);
}
