/*
 * check_reorder.c: low stock (schema/010_reorder_suggestions.sql) against
 * a real MariaDB, through the router: a record that falls to or below its
 * reorder level, by any path, writes one suggestion and one
 * inventory.low_stock event in the change's transaction; staying low
 * writes none; rising above the level closes the suggestion; concurrent
 * orders crossing the level at once leave exactly one. Then the routes of
 * /inventory/reorder-suggestions, their successes and their errors.
 */
#include "paging.h"
#include "testinventory.h"

#define SUGGESTIONS	API "/inventory/reorder-suggestions"

/* Product 1 Widget at 2.50 with record 1: 20 in stock, level 10,
 * reorder quantity 50 (above its level: nothing suggested). */
static void
seed(void)
{
	setup();
	tu_sql(app->db, "INSERT INTO products (id, sku, name, price) VALUES "
	    "(1, 'W', 'Widget', 2.50), (2, 'G', 'Gadget', 1.00);"
	    "INSERT INTO inventory (id, product_id, quantity_in_stock, "
	    "reorder_level, reorder_quantity) VALUES (1, 1, 20, 10, 50), "
	    "(2, 2, 100, 0, 5)");
}

/* Asserts the number of suggestions of record 1 (all and open) and of
 * inventory.low_stock events. */
static void
expect_counts(int all, int open, int events)
{
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions "
	    "WHERE inventory_id = 1) = %d AND (SELECT COUNT(*) FROM "
	    "reorder_suggestions WHERE inventory_id = 1 AND status = 'open') "
	    "= %d AND (SELECT COUNT(*) FROM outbox WHERE type = "
	    "'inventory.low_stock') = %d AND @@in_transaction = 0", all, open,
	    events);
}

/* PUT /inventory/1 with body; asserts 200. */
static void
put_record(const char *body)
{
	ck_assert_int_eq(call("PUT", API "/inventory/1", admin, body, NULL),
	    200);
}

/* An order of qty Widgets by the user; returns the status, *id the order
 * when made (id may be NULL). */
static int
order_widgets(int qty, int64_t *id)
{
	struct json_object *o = NULL;
	char *body = xasprintf("{\"shipping_address\":\"1 Main St\","
	    "\"items\":[{\"product_id\":1,\"quantity\":%d}]}", qty);
	int status = call("POST", API "/orders", user, body, &o);

	if (status == 201 && id != NULL)
		*id = tu_jint(o, "id");
	json_object_put(o);
	free(body);
	return status;
}

/* ---- the crossing rule ---- */

/* An adjustment from 20 to 8 (level 10): one open suggestion with the
 * record's numbers, one event whose data is the record as the API shows
 * it, both committed with the change. */
START_TEST(test_crossing_writes_one)
{
	char *raw = NULL;

	expect_counts(0, 0, 0);
	ck_assert_int_eq(adjust(1, -12, "breakage"), 200);
	expect_counts(1, 1, 1);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions "
	    "WHERE inventory_id = 1 AND product_id = 1 AND available = 8 AND "
	    "reorder_level = 10 AND suggested_quantity = 50 AND status = "
	    "'open' AND closed_at IS NULL AND created_at <= UTC_TIMESTAMP() "
	    "AND created_at > UTC_TIMESTAMP() - INTERVAL 1 MINUTE) = 1");
	ck_assert_int_eq(tu_call(app, "GET", API "/inventory/product/1", user,
	    NULL, NULL, NULL, NULL, &raw), 200);
	ck_assert_ptr_null(strchr(raw, '\''));
	tu_expect_sql(app->db, "(SELECT JSON_EQUALS(data, '%s') FROM outbox "
	    "WHERE type = 'inventory.low_stock') = 1", raw);
	free(raw);
}
END_TEST

/* Once low, further falls write nothing, whatever the path. */
START_TEST(test_staying_low_writes_none)
{
	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	expect_counts(1, 1, 1);
	ck_assert_int_eq(adjust(1, -1, NULL), 200);
	put_record("{\"quantity_reserved\":2}");
	put_record("{\"reorder_level\":12}");
	ck_assert_int_eq(order_widgets(1, NULL), 201);
	expect_counts(1, 1, 1);
	/* A change that touches no quantity at all. */
	put_record("{\"reorder_quantity\":60}");
	expect_counts(1, 1, 1);
}
END_TEST

/* A restock above the level closes the open suggestion; falling again
 * makes a new one, and the closed one stays as it was. */
START_TEST(test_restock_closes)
{
	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	ck_assert_int_eq(adjust(1, 2, NULL), 200);	/* 10: still low */
	expect_counts(1, 1, 1);
	ck_assert_int_eq(adjust(1, 1, NULL), 200);	/* 11: above */
	expect_counts(1, 0, 1);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions "
	    "WHERE status = 'closed' AND closed_at IS NOT NULL AND "
	    "available = 8) = 1");
	ck_assert_int_eq(adjust(1, -5, NULL), 200);	/* 6 */
	expect_counts(2, 1, 2);
	tu_expect_sql(app->db, "(SELECT GROUP_CONCAT(CONCAT(status, ':', "
	    "available) ORDER BY id) FROM reorder_suggestions) = "
	    "'closed:8,open:6'");
}
END_TEST

/* The reorder level moves too: raised to the available quantity is a
 * crossing, lowered below it a lift. */
START_TEST(test_level_changes)
{
	put_record("{\"reorder_level\":20}");
	expect_counts(1, 1, 1);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions "
	    "WHERE available = 20 AND reorder_level = 20) = 1");
	put_record("{\"reorder_level\":19}");
	expect_counts(1, 0, 1);
}
END_TEST

/* A manual hold lowers what is available: it crosses as an order would;
 * releasing it lifts the record again. */
START_TEST(test_manual_hold)
{
	put_record("{\"quantity_reserved\":15}");
	expect_counts(1, 1, 1);
	put_record("{\"quantity_reserved\":0}");
	expect_counts(1, 0, 1);
}
END_TEST

/* The reservation inside order_create (the stored procedure) crosses;
 * the order's cancellation (order_flow's release) lifts it back. */
START_TEST(test_order_paths)
{
	int64_t id = 0;

	ck_assert_int_eq(order_widgets(10, &id), 201);
	expect_counts(1, 1, 1);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM outbox WHERE type = "
	    "'inventory.low_stock' AND JSON_VALUE(data, '$.id') = 1 AND "
	    "JSON_VALUE(data, '$.quantity_reserved') = 10 AND "
	    "JSON_VALUE(data, '$.available_quantity') = 10 AND "
	    "JSON_EXTRACT(data, '$.needs_reorder') = true) = 1");
	ck_assert_int_eq(callf("DELETE", user, NULL, NULL, API
	    "/orders/%" PRId64, id), 204);
	expect_counts(1, 0, 1);
}
END_TEST

/* A change rolled back takes its suggestion and event with it: the
 * order's first line crosses, its second is refused. */
START_TEST(test_rolled_back)
{
	ck_assert_int_eq(call("POST", API "/orders", user,
	    "{\"shipping_address\":\"1 Main St\",\"items\":["
	    "{\"product_id\":1,\"quantity\":15},"
	    "{\"product_id\":2,\"quantity\":101}]}", NULL), 400);
	expect_counts(0, 0, 0);
	tu_expect_sql(app->db, "(SELECT quantity_reserved FROM inventory "
	    "WHERE id = 1) = 0");
}
END_TEST

/* A record made low is no crossing: only a fall from above is. */
START_TEST(test_created_low)
{
	int64_t p = create_product("N-1", "New", NULL);

	new_inventory(p, 0, 0, 10);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions) = "
	    "0 AND (SELECT COUNT(*) FROM outbox) = 0");
}
END_TEST

/* An ordered suggestion stays ordered when the stock arrives; closed_at
 * says when it did. */
START_TEST(test_ordered_then_restocked)
{
	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	ck_assert_int_eq(call("PATCH", SUGGESTIONS "/1", admin,
	    "{\"status\":\"ordered\"}", NULL), 200);
	ck_assert_int_eq(adjust(1, 50, NULL), 200);
	tu_expect_sql(app->db, "(SELECT COUNT(*) FROM reorder_suggestions "
	    "WHERE id = 1 AND status = 'ordered' AND closed_at IS NOT NULL) "
	    "= 1");
}
END_TEST

/* The schema itself refuses a second open suggestion for a record. */
START_TEST(test_one_open_in_schema)
{
	static const char dup[] = "INSERT INTO reorder_suggestions "
	    "(inventory_id, product_id, available, reorder_level, "
	    "suggested_quantity, created_at, updated_at) VALUES "
	    "(1, 1, 8, 10, 50, UTC_TIMESTAMP(), UTC_TIMESTAMP())";

	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	ck_assert_int_ne(db_exec_script(tu_owner_db(app), dup), INV_OK);
	/* Closed ones do not count. */
	tu_sql(app->db, "UPDATE reorder_suggestions SET status = 'dismissed'");
	ck_assert_int_eq(db_exec_script(tu_owner_db(app), dup), INV_OK);
	expect_counts(2, 1, 1);
}
END_TEST

/* ---- concurrency ---- */

enum { RACE_CHILDREN = 8, RACE_QTY = 2 };

/* Child i: one order of RACE_QTY Widgets, at the barrier with the others;
 * each must be made. */
static void
race_order(int i, void *out)
{
	(void)i;
	(void)out;
	ck_assert_int_eq(order_widgets(RACE_QTY, NULL), 201);
}

/* 20 available, level 10: the fifth order of 2 crosses, whichever runs
 * fifth; all run at once, and exactly one suggestion and one event come
 * of it. */
START_TEST(test_concurrent_orders)
{
	tu_concurrently(RACE_CHILDREN, tu_child_connect, race_order, NULL, 0);
	tu_expect_sql(app->db, "(SELECT available FROM inventory WHERE "
	    "id = 1) = %d", 20 - RACE_CHILDREN * RACE_QTY);
	expect_counts(1, 1, 1);
	tu_expect_sql(app->db, "(SELECT available FROM reorder_suggestions) "
	    "= 10");
}
END_TEST

/* ---- GET /inventory/reorder-suggestions ---- */

/* Three suggestions, newest first: 1 closed, 2 ordered (record 1), 3 open
 * (record 2). */
static void
three(void)
{
	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	ck_assert_int_eq(adjust(1, 12, NULL), 200);
	ck_assert_int_eq(adjust(1, -12, NULL), 200);
	ck_assert_int_eq(call("PATCH", SUGGESTIONS "/2", admin,
	    "{\"status\":\"ordered\"}", NULL), 200);
	ck_assert_int_eq(call("PUT", API "/inventory/2", admin,
	    "{\"reorder_level\":100}", NULL), 200);
}

/* The ids of a list page as "3,2,1". */
static char *
ids_of(struct json_object *arr)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < json_object_array_length(arr); i++)
		buf_printf(&b, "%s%" PRId64, i > 0 ? "," : "",
		    tu_jint(json_object_array_get_idx(arr, i), "id"));
	return buf_take(&b);
}

/* GET path as the admin: the array (new) and its X-Total-Count in
 * *total (-1: none). */
static struct json_object *
page_of(const char *path, int64_t *total)
{
	struct json_object *arr = NULL;

	ck_assert_int_eq(tu_call(app, "GET", path, admin, NULL, NULL, &arr,
	    total, NULL), 200);
	ck_assert(json_object_is_type(arr, json_type_array));
	return arr;
}

/* GET path as the admin: 200, its X-Total-Count total (-1: none), its
 * ids want. */
static void
expect_page(const char *path, int64_t total, const char *want)
{
	struct json_object *arr;
	int64_t got;
	char *ids;

	arr = page_of(path, &got);
	ids = ids_of(arr);
	ck_assert_msg(strcmp(ids, want) == 0, "GET %s: %s, not %s", path, ids,
	    want);
	ck_assert_int_eq(got, total);
	free(ids);
	json_object_put(arr);
}

START_TEST(test_list)
{
	struct json_object *arr, *o;

	three();
	expect_page(SUGGESTIONS, 3, "3,2,1");
	expect_page(SUGGESTIONS "?status=open", 1, "3");
	expect_page(SUGGESTIONS "?status=ordered", 1, "2");
	expect_page(SUGGESTIONS "?status=closed", 1, "1");
	expect_page(SUGGESTIONS "?status=dismissed", 0, "");
	expect_page(SUGGESTIONS "?skip=1&limit=1", 3, "2");
	/* Every member, as the document lists them. */
	arr = page_of(SUGGESTIONS "?status=open", NULL);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(tu_jint(o, "inventory_id"), 2);
	ck_assert_int_eq(tu_jint(o, "product_id"), 2);
	ck_assert_int_eq(tu_jint(o, "available"), 100);
	ck_assert_int_eq(tu_jint(o, "reorder_level"), 100);
	ck_assert_int_eq(tu_jint(o, "suggested_quantity"), 5);
	ck_assert_str_eq(json_get_str(o, "status"), "open");
	ck_assert(jnull(o, "closed_at"));
	ck_assert_int_eq(strlen(json_get_str(o, "created_at")), 20);
	ck_assert_int_eq(strlen(json_get_str(o, "updated_at")), 20);
	ck_assert_int_eq(json_object_object_length(o), 10);
	json_object_put(arr);
}
END_TEST

/* Pages by cursor: the Link of each page leads to the next. */
START_TEST(test_list_cursor)
{
	struct http_resp resp;
	const char *link;
	char *next;

	three();
	send_req("GET", SUGGESTIONS "?limit=2", admin, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	link = http_resp_get_header(&resp, "Link");
	ck_assert_ptr_nonnull(link);
	ck_assert(link[0] == '<' && strchr(link, '>') != NULL);
	next = xstrndup(link + 1, (size_t)(strchr(link, '>') - link - 1));
	http_resp_free(&resp);
	/* A page reached by cursor carries no count. */
	expect_page(next, -1, "1");
	send_req("GET", next, admin, NULL, &resp);
	ck_assert_ptr_null(http_resp_get_header(&resp, "Link"));
	http_resp_free(&resp);
	free(next);
}
END_TEST

START_TEST(test_list_errors)
{
	char cursor[PAGE_CURSOR_MAX + 1], *path;

	ck_assert_int_eq(call("GET", SUGGESTIONS, NULL, NULL, NULL), 401);
	ck_assert_int_eq(call("GET", SUGGESTIONS, user, NULL, NULL), 403);
	tu_expect_query_422(app, SUGGESTIONS "?status=lost", admin, "status",
	    "type_error.enum");
	tu_expect_query_422(app, SUGGESTIONS "?status=open&status=open",
	    admin, "status", NULL);
	tu_expect_query_422(app, SUGGESTIONS "?limit=0", admin, "limit",
	    NULL);
	tu_expect_query_422(app, SUGGESTIONS "?skip=-1", admin, "skip", NULL);
	tu_expect_query_422(app, SUGGESTIONS "?after=zz", admin, "after",
	    NULL);
	/* Another list's cursor is not this one's. */
	page_cursor(API "/inventory/status/low-stock", NULL, 1, cursor);
	path = xasprintf(SUGGESTIONS "?after=%s", cursor);
	tu_expect_query_422(app, path, admin, "after", NULL);
	free(path);
	ck_assert_int_eq(call("POST", SUGGESTIONS, admin, "{}", NULL), 405);
}
END_TEST

/* ---- PATCH /inventory/reorder-suggestions/{id} ---- */

/* PATCH suggestion id with {"status": to} as the admin: the status. */
static int
patch(int64_t id, const char *to, struct json_object **out)
{
	char *body = xasprintf("{\"status\":\"%s\"}", to);
	int status = callf("PATCH", admin, body, out, SUGGESTIONS "/%" PRId64,
	    id);

	free(body);
	return status;
}

/* 400 with "Invalid status transition from <from> to <to>". */
static void
expect_refused(int64_t id, const char *from, const char *to)
{
	struct json_object *o;
	char *want = xasprintf("Invalid status transition from %s to %s",
	    from, to);

	ck_assert_int_eq(patch(id, to, &o), 400);
	ck_assert_str_eq(tu_detail(o), want);
	json_object_put(o);
	free(want);
}

START_TEST(test_patch)
{
	struct json_object *o;

	three();
	/* open -> ordered: the suggestion as changed. */
	ck_assert_int_eq(patch(3, "ordered", &o), 200);
	ck_assert_int_eq(tu_jint(o, "id"), 3);
	ck_assert_str_eq(json_get_str(o, "status"), "ordered");
	ck_assert_int_eq(tu_jint(o, "suggested_quantity"), 5);
	json_object_put(o);
	/* The same again changes nothing; ordered -> dismissed. */
	ck_assert_int_eq(patch(3, "ordered", NULL), 200);
	ck_assert_int_eq(patch(3, "dismissed", NULL), 200);
	ck_assert_int_eq(patch(3, " dismissed ", NULL), 200);
	tu_expect_sql(app->db, "(SELECT GROUP_CONCAT(status ORDER BY id) "
	    "FROM reorder_suggestions) = 'closed,ordered,dismissed'");
	/* A dismissed suggestion leaves room for none: the record is
	 * still low, and only a new fall makes another. */
	expect_page(SUGGESTIONS "?status=open", 0, "");
}
END_TEST

START_TEST(test_patch_refused)
{
	three();
	expect_refused(2, "ordered", "open");
	ck_assert_int_eq(patch(3, "dismissed", NULL), 200);
	expect_refused(3, "dismissed", "open");
	expect_refused(3, "dismissed", "ordered");
	expect_refused(1, "closed", "open");
	expect_refused(1, "closed", "ordered");
	expect_refused(1, "closed", "dismissed");
	tu_expect_sql(app->db, "(SELECT GROUP_CONCAT(status ORDER BY id) "
	    "FROM reorder_suggestions) = 'closed,ordered,dismissed'");
}
END_TEST

START_TEST(test_patch_errors)
{
	struct json_object *o;
	struct http_resp resp;

	three();
	ck_assert_int_eq(patch(4, "ordered", &o), 404);
	ck_assert_str_eq(tu_detail(o), "Reorder suggestion with id 4 not "
	    "found");
	json_object_put(o);
	/* closed is the service's word, not the admin's. */
	send_req("PATCH", SUGGESTIONS "/3", admin, "{\"status\":\"closed\"}",
	    &resp);
	ck_assert_int_eq(resp.status, 422);
	tu_expect_422(&resp, "body", "status", "type_error.enum");
	http_resp_free(&resp);
	send_req("PATCH", SUGGESTIONS "/3", admin, "{}", &resp);
	ck_assert_int_eq(resp.status, 422);
	tu_expect_422(&resp, "body", "status", "value_error.missing");
	http_resp_free(&resp);
	send_req("PATCH", SUGGESTIONS "/3", admin, "{\"status\":1}", &resp);
	ck_assert_int_eq(resp.status, 422);
	tu_expect_422(&resp, "body", "status", NULL);
	http_resp_free(&resp);
	send_req("PATCH", SUGGESTIONS "/3", admin, "{\"status\":", &resp);
	ck_assert_int_eq(resp.status, 422);
	http_resp_free(&resp);
	ck_assert_int_eq(call("PATCH", SUGGESTIONS "/3", NULL,
	    "{\"status\":\"ordered\"}", NULL), 401);
	ck_assert_int_eq(call("PATCH", SUGGESTIONS "/3", user,
	    "{\"status\":\"ordered\"}", NULL), 403);
	ck_assert_int_eq(call("PATCH", SUGGESTIONS "/0", admin,
	    "{\"status\":\"ordered\"}", NULL), 404);
	ck_assert_int_eq(call("GET", SUGGESTIONS "/3", admin, NULL, NULL),
	    405);
	/* Nothing changed. */
	tu_expect_sql(app->db, "(SELECT GROUP_CONCAT(status ORDER BY id) "
	    "FROM reorder_suggestions) = 'closed,ordered,open'");
}
END_TEST

static Suite *
reorder_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("crossing", 0),
		TU_TEST(test_crossing_writes_one),
		TU_TEST(test_staying_low_writes_none),
		TU_TEST(test_restock_closes),
		TU_TEST(test_level_changes),
		TU_TEST(test_manual_hold),
		TU_TEST(test_order_paths),
		TU_TEST(test_rolled_back),
		TU_TEST(test_created_low),
		TU_TEST(test_ordered_then_restocked),
		TU_TEST(test_one_open_in_schema),
		/* Lock waits of eight children: longer than Check's default. */
		TU_CASE("concurrency", 60),
		TU_TEST(test_concurrent_orders),
		TU_CASE("routes", 0),
		TU_TEST(test_list),
		TU_TEST(test_list_cursor),
		TU_TEST(test_list_errors),
		TU_TEST(test_patch),
		TU_TEST(test_patch_refused),
		TU_TEST(test_patch_errors),
	};

	return tu_suite("reorder", seed, teardown, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(reorder_suite(), NULL);
}
