/*
 * check_orders_status.c: order status changes (PUT and DELETE
 * /orders/{id}), the worker's step, and the stock books that the
 * inventory PUT must keep in step with the orders' holds (integration).
 */
#include "testorders.h"

/* ---- transitions ---- */

START_TEST(admin_update_order_status)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	path = order_path(id);
	expect_stock(1, 10, 3);
	/* pending -> processing keeps the one reservation. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"processing\"}",
	    &o), 200);
	ck_assert_str_eq(json_get_str(o, "status"), "processing");
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "items")), 1);
	json_object_put(o);
	expect_stock(1, 10, 3);
	expect_invariants();
	/* processing -> shipped deducts it from stock and reserved. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"shipped\","
	    "\"tracking_number\":\" TRK-1 \"}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "status"), "shipped");
	ck_assert_str_eq(json_get_str(o, "tracking_number"), "TRK-1");
	json_object_put(o);
	expect_stock(1, 7, 0);
	expect_invariants();
	/* The same status again: only the texts change, no stock. */
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"shipped\","
	    "\"notes\":\"left at door\"}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "tracking_number"), "TRK-1");
	ck_assert_str_eq(json_get_str(o, "notes"), "left at door");
	json_object_put(o);
	expect_stock(1, 7, 0);
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	expect_stock(1, 7, 0);
	expect_invariants();
	expect_error("PUT", ORDERS "/9999", admin, "{\"status\":\"shipped\"}",
	    404, "Order with id 9999 not found");
	/* A pending order can be shipped only through processing. */
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "shipped"), 200);
	expect_stock(1, 5, 0);
	expect_invariants();
	free(path);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(order_cancellation)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id, id2;
	char *path, *s;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 4), 0);
	ck_assert_int_gt(order_one(tok, 1, 1), 0);
	expect_stock(1, 10, 5);
	ck_assert_int_eq(cancel(tok, id), 204);
	s = status_of(tok, id);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 10, 1);
	/* Released exactly once: a second cancel is refused and changes
	 * nothing. */
	path = order_path(id);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in cancelled status");
	expect_error("DELETE", path, admin, NULL, 400,
	    "Cannot cancel order in cancelled status");
	expect_stock(1, 10, 1);
	/* A PUT of cancelled on a cancelled order is a no-op, not a second
	 * release. */
	ck_assert_int_eq(set_status(admin, id, "cancelled"), 200);
	expect_stock(1, 10, 1);
	expect_invariants();
	free(path);
	/* From processing, by an admin, for someone else's order. */
	ck_assert_int_gt(id2 = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(set_status(admin, id2, "processing"), 200);
	expect_stock(1, 10, 4);
	ck_assert_int_eq(cancel(admin, id2), 204);
	expect_stock(1, 10, 1);
	/* The admin's PUT cancels too, releasing once. */
	ck_assert_int_gt(id2 = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id2, "cancelled"), 200);
	expect_stock(1, 10, 1);
	expect_invariants();
	expect_error("DELETE", ORDERS "/9999", tok, NULL, 404,
	    "Order with id 9999 not found");
	ck_assert_int_eq(cancel(NULL, id), 401);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(cannot_cancel_shipped_order)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id;
	char *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 2), 0);
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	ck_assert_int_eq(set_status(admin, id, "shipped"), 200);
	path = order_path(id);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in shipped status");
	expect_error("DELETE", path, admin, NULL, 400,
	    "Cannot cancel order in shipped status");
	ck_assert_int_eq(set_status(admin, id, "delivered"), 200);
	expect_error("DELETE", path, tok, NULL, 400,
	    "Cannot cancel order in delivered status");
	expect_stock(1, 8, 0);
	expect_invariants();
	free(path);
	free(tok);
	free(admin);
}
END_TEST

START_TEST(invalid_status_transitions)
{
	static const struct {
		const char	*path[3];	/* statuses to get there */
		const char	*to;
		const char	*msg;
	} cases[] = {
		{ { NULL }, "shipped",
		    "Invalid status transition from pending to shipped" },
		{ { NULL }, "delivered",
		    "Invalid status transition from pending to delivered" },
		{ { "processing" }, "pending",
		    "Invalid status transition from processing to pending" },
		{ { "processing" }, "delivered",
		    "Invalid status transition from processing to delivered" },
		{ { "processing", "shipped" }, "pending",
		    "Invalid status transition from shipped to pending" },
		{ { "processing", "shipped" }, "processing",
		    "Invalid status transition from shipped to processing" },
		{ { "processing", "shipped" }, "cancelled",
		    "Invalid status transition from shipped to cancelled" },
		{ { "processing", "shipped", "delivered" }, "shipped",
		    "Cannot change status of a delivered order" },
		{ { "processing", "shipped", "delivered" }, "cancelled",
		    "Cannot change status of a delivered order" },
		{ { "processing", "shipped", "delivered" }, "pending",
		    "Cannot change status of a delivered order" },
		{ { "cancelled" }, "pending",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "processing",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "shipped",
		    "Cannot reactivate a cancelled order" },
		{ { "cancelled" }, "delivered",
		    "Cannot reactivate a cancelled order" },
	};
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	int64_t id, before_stock, before_res, after_stock, after_res;
	char *path, *body, *s;
	size_t i, k;

	seed_product(1, "Widget", "3.00", 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_gt(id = order_one(tok, 1, 1), 0);
		for (k = 0; k < 3 && cases[i].path[k] != NULL; k++)
			ck_assert_int_eq(set_status(admin, id,
			    cases[i].path[k]), 200);
		path = order_path(id);
		body = xasprintf("{\"status\":\"%s\"}", cases[i].to);
		stock_of(1, &before_stock, &before_res);
		s = status_of(tok, id);
		expect_error("PUT", path, admin, body, 400, cases[i].msg);
		stock_of(1, &after_stock, &after_res);
		ck_assert_int_eq(before_stock, after_stock);
		ck_assert_int_eq(before_res, after_res);
		free(s);
		s = status_of(tok, id);
		ck_assert_str_eq(s, k > 0 ? cases[i].path[k - 1] : "pending");
		free(s);
		free(body);
		free(path);
	}
	expect_invariants();
	ck_assert_int_gt(id = order_one(tok, 1, 1), 0);
	path = order_path(id);
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"lost\"}",
	    NULL), 422);
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":\"PENDING\"}",
	    NULL), 422);
	ck_assert_int_eq(call("PUT", path, admin, "{\"tracking_number\":"
	    "\"x\"}", NULL), 422);
	free(path);
	free(tok);
	free(admin);
}
END_TEST

/* ---- the worker's step ---- */

START_TEST(process_order_step)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	struct json_object *o = NULL;
	enum order_status final;
	int64_t id, id2;
	char *s, *path;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 3);
	/* A job run twice finds the work done. */
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, false,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 3);
	/* Payment failure: cancelled, released, noted after the notes. */
	ck_assert_int_eq(call("POST", ORDERS, tok, "{\"shipping_address\":"
	    "\"x\",\"notes\":\"gift\",\"items\":[{\"product_id\":1,"
	    "\"quantity\":2}]}", &o), 201);
	id2 = tu_jint(o, "id");
	json_object_put(o);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id2, false,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	path = order_path(id2);
	ck_assert_int_eq(call("GET", path, tok, NULL, &o), 200);
	ck_assert_str_eq(json_get_str(o, "notes"),
	    "gift\nPayment processing failed");
	json_object_put(o);
	free(path);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id2, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	expect_stock(1, 10, 3);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, 9999, true,
	    &final), INV_NOTFOUND);
	/* An order that holds nothing (made before reservations, say) is
	 * reserved now ... (Its reservation is undone by hand, in the
	 * order's name: a movement without an order is a manual hold.) */
	ck_assert_int_gt(id = order_one(tok, 1, 4), 0);
	sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64, id);
	sql("UPDATE inventory SET quantity_reserved = quantity_reserved - 4 "
	    "WHERE product_id = 1; INSERT INTO stock_movements (inventory_id, "
	    "product_id, change_in_stock, change_reserved, reason, order_id) "
	    "VALUES (1, 1, 0, -4, 'test', %" PRId64 ")", id);
	expect_stock(1, 10, 3);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_PROCESSING);
	expect_stock(1, 10, 7);
	expect_invariants();
	/* ... or, when the stock is gone, cancelled saying why. */
	ck_assert_int_gt(id = order_one(tok, 1, 3), 0);
	sql("UPDATE orders SET reservation = 'none' WHERE id = %" PRId64, id);
	sql("UPDATE inventory SET quantity_reserved = quantity_reserved - 3 "
	    "WHERE product_id = 1; INSERT INTO stock_movements (inventory_id, "
	    "product_id, change_in_stock, change_reserved, reason, order_id) "
	    "VALUES (1, 1, 0, -3, 'test', %" PRId64 ")", id);
	sql("UPDATE inventory SET quantity_in_stock = 8 WHERE product_id = 1;"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) VALUES "
	    "(1, 1, -2, 0, 'test')");
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id, true,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	s = status_of(tok, id);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 8, 7);
	expect_invariants();
	free(tok);
}
END_TEST

/* ---- the owner's cached pages ---- */

/*
 * Order id as GET /orders?limit=100 shows it to tok's owner: *status
 * and *notes (new; "" for none); how many orders the page has.
 */
static size_t
own_page(const char *tok, int64_t id, char **status, char **notes)
{
	struct json_object *o = NULL, *e;
	const char *n;
	size_t i, len;

	*status = *notes = NULL;
	ck_assert_int_eq(call("GET", ORDERS "?limit=100", tok, NULL, &o), 200);
	len = json_object_array_length(o);
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(o, i);
		if (tu_jint(e, "id") != id)
			continue;
		*status = xstrdup(json_get_str(e, "status"));
		n = json_object_get_string(json_object_object_get(e, "notes"));
		*notes = xstrdup(n != NULL ? n : "");
	}
	json_object_put(o);
	ck_assert_msg(*status != NULL, "order %" PRId64 " not on the page",
	    id);
	return len;
}

/* The owner's page shows order id in status want, with want_notes. */
static void
expect_own_page(const char *tok, int64_t id, const char *want,
    const char *want_notes)
{
	char *status, *notes;

	own_page(tok, id, &status, &notes);
	ck_assert_str_eq(status, want);
	ck_assert_str_eq(notes, want_notes);
	free(status);
	free(notes);
}

/*
 * The owner's pages are cached whole: every change of one of the
 * owner's orders, by the admin, the owner or the worker's step, shows on
 * the next read; a new order too. A change made behind the service's
 * back (SQL) is not seen until the cache lets the page go, which shows
 * that the page did come from the cache.
 */
START_TEST(own_page_follows_every_change)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	enum order_status final;
	char *status, *notes, *path;
	int64_t id, id2;

	seed_product(1, "Widget", "3.00", 10);
	ck_assert_int_gt(id = order_one(tok, 1, 1), 0);
	expect_own_page(tok, id, "pending", "");
	sql("UPDATE orders SET notes = 'behind its back' WHERE id = %" PRId64,
	    id);
	expect_own_page(tok, id, "pending", "");
	ck_assert_int_eq(set_status(admin, id, "processing"), 200);
	expect_own_page(tok, id, "processing", "behind its back");
	path = order_path(id);
	ck_assert_int_eq(call("PUT", path, admin, "{\"status\":"
	    "\"processing\",\"notes\":\"wrapped\"}", NULL), 200);
	free(path);
	expect_own_page(tok, id, "processing", "wrapped");
	ck_assert_int_eq(cancel(tok, id), 204);
	expect_own_page(tok, id, "cancelled", "wrapped");
	/* A new order joins the page; the worker's step moves it. */
	ck_assert_int_gt(id2 = order_one(tok, 1, 1), 0);
	ck_assert_uint_eq(own_page(tok, id2, &status, &notes), 2);
	ck_assert_str_eq(status, "pending");
	free(status);
	free(notes);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, id2, false,
	    &final), INV_OK);
	ck_assert_int_eq(final, ORDER_CANCELLED);
	expect_own_page(tok, id2, "cancelled", "Payment processing failed");
	free(tok);
	free(admin);
}
END_TEST

/* PUT body on inventory record id as admin; returns the status, *out
 * the parsed body when not NULL. */
static int
put_inventory(const char *admin, int64_t id, const char *body,
    struct json_object **out)
{
	char *path = xasprintf("/api/v1/inventory/%" PRId64, id);
	int status = call("PUT", path, admin, body, out);

	free(path);
	return status;
}

/* Asserts a 422 with one detail, at loc ["body", field], saying msg;
 * frees o. */
static void
expect_422_at(struct json_object *o, const char *field, const char *msg)
{
	struct json_object *d, *loc;
	char *want = xasprintf("[\"body\",\"%s\"]", field);

	d = json_object_array_get_idx(json_object_object_get(o, "detail"), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "detail")), 1);
	loc = json_object_object_get(d, "loc");
	ck_assert_str_eq(json_object_to_json_string_ext(loc,
	    JSON_C_TO_STRING_PLAIN), want);
	ck_assert_str_eq(json_get_str(d, "msg"), msg);
	free(want);
	json_object_put(o);
}

/* Sends method path as token with body and expects 409 DISAGREE, with
 * an error-level log line (this process's stderr, caught in a file)
 * saying so. */
static void
expect_disagree_logged(const char *method, const char *path,
    const char *token, const char *body)
{
	char file[] = "check_orders_status-log.XXXXXX", text[4096];
	int saved, fd;
	ssize_t n;

	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(fd = mkstemp(file), 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	expect_error(method, path, token, body, 409, DISAGREE);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(file);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	ck_assert_msg(strstr(text, "level=error") != NULL &&
	    strstr(text, "the stock records disagree; run inventoryctl audit")
	    != NULL, "%s %s: not logged at error level: %s", method, path,
	    text);
}

/* The manual hold of product pid's record, as stored. */
static void
expect_manual_hold(int64_t pid, int64_t manual)
{
	expect_sql("SELECT manual_hold = %" PRId64 " FROM inventory WHERE "
	    "product_id = %" PRId64, manual, pid);
}

/*
 * The review's finding: PUT quantity_reserved 0 while orders held 5 was
 * 200, then cancelling those orders 500 and a new order reserved 5 more
 * against 5 in stock. Now the PUT is refused, naming what the orders
 * hold, and changes nothing; the cancels and a full order go through.
 */
START_TEST(books_reserved_below_orders_is_422)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	const char *msg = "quantity_reserved cannot be less than 5, the "
	    "units held by orders";
	struct json_object *o = NULL;
	int64_t a, b;

	seed_product(1, "Widget", "1.00", 5);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":0}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved", msg);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":4,"
	    "\"reorder_level\":1}", &o), 422);
	expect_422_at(o, "quantity_reserved", msg);
	/* Refused whole: no quantity, no reorder level, no ledger row. */
	expect_stock(1, 5, 5);
	expect_sql("SELECT reorder_level = 10 FROM inventory WHERE id = 1");
	expect_sql("SELECT COUNT(*) = 3 FROM stock_movements");
	/* Exactly what orders hold is no manual hold, and no movement. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":5}",
	    NULL), 200);
	expect_manual_hold(1, 0);
	expect_sql("SELECT COUNT(*) = 3 FROM stock_movements");
	ck_assert_int_eq(order_one(tok, 1, 1), -400);
	ck_assert_int_eq(cancel(tok, a), 204);
	ck_assert_int_eq(cancel(tok, b), 204);
	expect_stock(1, 5, 0);
	ck_assert_int_gt(order_one(tok, 1, 5), 0);
	ck_assert_int_eq(order_one(tok, 1, 1), -400);
	expect_stock(1, 5, 5);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/*
 * Between what orders hold and the stock, quantity_reserved is the
 * orders' part plus a manual hold, written to the ledger as a movement
 * without an order. The orders release and ship their own part only;
 * the manual hold stays until a PUT changes it. Every write drops the
 * cached reads of the record.
 */
START_TEST(books_manual_hold_between_orders_and_stock)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	int64_t admin_id;
	char *admin = user_token("a@example.com", "A", true, &admin_id);
	struct json_object *o = NULL;
	int64_t a, b;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	expect_api_stock(tok, 1, 1, 10, 5);	/* cached now */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":8}",
	    &o), 200);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 8);
	ck_assert_int_eq(tu_jint(o, "available_quantity"), 2);
	json_object_put(o);
	expect_api_stock(tok, 1, 1, 10, 8);
	expect_manual_hold(1, 3);
	expect_sql("SELECT COUNT(*) = 1 FROM stock_movements WHERE "
	    "order_id IS NULL AND change_reserved = 3 AND change_in_stock = 0 "
	    "AND user_id = %" PRId64, admin_id);
	expect_invariants();
	expect_error("POST", ORDERS, tok, "{\"shipping_address\":\"x\","
	    "\"items\":[{\"product_id\":1,\"quantity\":3}]}", 400,
	    "Insufficient stock for product Widget. Available: 2");
	/* Stock under the whole reservation is still refused. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_in_stock\":7}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved",
	    "quantity_reserved cannot exceed quantity_in_stock");
	/* Cancelling and shipping with the manual hold in place. */
	ck_assert_int_eq(cancel(tok, a), 204);
	expect_api_stock(tok, 1, 1, 10, 6);
	ck_assert_int_eq(set_status(admin, b, "processing"), 200);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 200);
	expect_api_stock(tok, 1, 1, 7, 3);
	expect_manual_hold(1, 3);
	expect_invariants();
	/* With no order holding anything, the hold can be set at will. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":0}",
	    NULL), 200);
	expect_api_stock(tok, 1, 1, 7, 0);
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_in_stock\":4,"
	    "\"quantity_reserved\":4}", NULL), 200);
	expect_api_stock(tok, 1, 1, 4, 4);
	expect_manual_hold(1, 4);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* POST /inventory with quantity_reserved: all of it is a manual hold
 * (no order can hold units of a product without a record), recorded in
 * the record's first movement, and the audit finds nothing. */
START_TEST(books_created_reservation_is_a_manual_hold)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	struct json_object *o = NULL;
	int64_t a;

	seed_product(1, "Widget", "1.00", -1);
	ck_assert_int_eq(call("GET", "/api/v1/inventory/product/1", tok, NULL,
	    NULL), 404);
	ck_assert_int_eq(call("POST", "/api/v1/inventory", admin,
	    "{\"product_id\":1,\"quantity_in_stock\":10,"
	    "\"quantity_reserved\":3}", &o), 201);
	ck_assert_int_eq(tu_jint(o, "quantity_reserved"), 3);
	json_object_put(o);
	expect_api_stock(tok, 1, 1, 10, 3);
	expect_manual_hold(1, 3);
	expect_sql("SELECT COUNT(*) = 1 AND MIN(change_reserved) = 3 AND "
	    "MIN(change_in_stock) = 10 FROM stock_movements WHERE "
	    "order_id IS NULL");
	expect_invariants();
	ck_assert_int_eq(order_one(tok, 1, 8), -400);
	ck_assert_int_gt(a = order_one(tok, 1, 7), 0);
	/* The orders' 7 cannot be taken by a PUT; the hold can. */
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":6}",
	    &o), 422);
	expect_422_at(o, "quantity_reserved", "quantity_reserved cannot be "
	    "less than 7, the units held by orders");
	ck_assert_int_eq(put_inventory(admin, 1, "{\"quantity_reserved\":7}",
	    NULL), 200);
	expect_manual_hold(1, 0);
	ck_assert_int_eq(cancel(tok, a), 204);
	expect_stock(1, 10, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/*
 * Books made to disagree behind the API's back (by SQL, as no API call
 * can): every release and deduct that finds less held by orders than the
 * order holds is 409 and changes nothing, never a 500; so is one that
 * would eat into the manual hold. Put right, everything goes through.
 */
START_TEST(books_disagreement_is_409)
{
	char *tok = user_token("u@example.com", "U", false, NULL);
	char *admin = user_token("a@example.com", "A", true, NULL);
	enum order_status final;
	int64_t a, b, c;
	char *path, *s;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_gt(a = order_one(tok, 1, 2), 0);
	ck_assert_int_gt(b = order_one(tok, 1, 3), 0);
	ck_assert_int_gt(c = order_one(tok, 1, 1), 0);
	ck_assert_int_eq(set_status(admin, b, "processing"), 200);
	sql("UPDATE inventory SET quantity_reserved = 0 WHERE id = 1");
	path = order_path(a);
	expect_disagree_logged("DELETE", path, tok, NULL);
	expect_disagree_logged("PUT", path, admin,
	    "{\"status\":\"cancelled\"}");
	free(path);
	path = order_path(b);
	expect_disagree_logged("PUT", path, admin, "{\"status\":\"shipped\"}");
	free(path);
	/* The worker's release after a failed payment: the same. */
	ck_assert_int_eq(order_flow_process(app->db, app->cache, c, false,
	    &final), INV_DISAGREE);
	/* Nothing moved. */
	expect_stock(1, 10, 0);
	expect_sql("SELECT COUNT(*) = 3 FROM orders WHERE reservation = "
	    "'held' AND status IN ('pending', 'processing')");
	expect_sql("SELECT COUNT(*) = 4 FROM stock_movements");
	/* Orders never take the manual hold: all 6 reserved held by hand. */
	sql("UPDATE inventory SET quantity_reserved = 6, manual_hold = 6 "
	    "WHERE id = 1");
	ck_assert_int_eq(cancel(tok, a), 409);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 409);
	/* Put right, the same requests succeed. */
	sql("UPDATE inventory SET manual_hold = 0 WHERE id = 1");
	expect_invariants();
	ck_assert_int_eq(cancel(tok, a), 204);
	ck_assert_int_eq(set_status(admin, b, "shipped"), 200);
	ck_assert_int_eq(order_flow_process(app->db, app->cache, c, false,
	    &final), INV_OK);
	s = status_of(tok, c);
	ck_assert_str_eq(s, "cancelled");
	free(s);
	expect_stock(1, 7, 0);
	expect_invariants();
	free(tok);
	free(admin);
}
END_TEST

/* The race's shared state, set before the fork. */
static char *bk_owner, *bk_admin;
static int64_t bk_orders[8];

/*
 * Child i of the race: cancels a held order (204), places a new one
 * (201), or sets quantity_reserved to what the orders held before the
 * race: 200, or the 422 naming the more that orders hold by then.
 */
static void
books_race_child(int i, void *out)
{
	struct json_object *o = NULL, *d;
	const char *msg;
	char want[128];
	long long held = 0;
	int st;

	(void)out;
	switch (i % 3) {
	case 0:
		ck_assert_int_eq(cancel(bk_owner, bk_orders[i / 3]), 204);
		break;
	case 1:
		ck_assert_int_gt(order_one(bk_owner, 1, 1 + i % 4), 0);
		break;
	default:
		st = put_inventory(bk_admin, 1, "{\"quantity_reserved\":16}",
		    &o);
		if (st == 200) {
			json_object_put(o);
			break;
		}
		d = json_object_array_get_idx(json_object_object_get(o,
		    "detail"), 0);
		msg = json_get_str(d, "msg");
		ck_assert_msg(st == 422 && msg != NULL && sscanf(msg,
		    "quantity_reserved cannot be less than %lld", &held) ==
		    1 && held > 16, "PUT: %d \"%s\", expected 200 or 422 "
		    "naming more than 16 units held", st, msg != NULL ? msg :
		    "(none)");
		snprintf(want, sizeof(want), "quantity_reserved cannot be "
		    "less than %lld, the units held by orders", held);
		expect_422_at(o, "quantity_reserved", want);
		break;
	}
}

/*
 * A PUT of quantity_reserved racing with orders being placed and
 * cancelled: it computes what orders hold under the record's lock, so
 * afterwards the books agree, and every order still holding can be
 * cancelled, leaving exactly the manual hold.
 */
START_TEST(books_reserved_put_races_orders)
{
	enum { N = 8, CLIENTS = 3 * N };
	struct json_object *o = NULL;
	int i;
	size_t k;

	bk_owner = user_token("u@example.com", "U", false, NULL);
	bk_admin = user_token("a@example.com", "A", true, NULL);
	seed_product(1, "Widget", "1.00", 200);
	for (i = 0; i < N; i++)
		ck_assert_int_gt(bk_orders[i] = order_one(bk_owner, 1, 2), 0);
	run_concurrently(CLIENTS, books_race_child, NULL, 0);
	expect_invariants();
	/* Every order still holding is cancelled: what stays reserved is
	 * the manual hold alone, which a PUT then clears. */
	ck_assert_int_eq(call("GET", ORDERS "/admin?status=pending&limit=100",
	    bk_admin, NULL, &o), 200);
	ck_assert_uint_eq(json_object_array_length(o), N);
	for (k = 0; k < json_object_array_length(o); k++)
		ck_assert_int_eq(cancel(bk_owner, tu_jint(
		    json_object_array_get_idx(o, k), "id")), 204);
	json_object_put(o);
	expect_sql("SELECT quantity_reserved = manual_hold FROM inventory "
	    "WHERE id = 1");
	expect_invariants();
	ck_assert_int_eq(put_inventory(bk_admin, 1,
	    "{\"quantity_reserved\":0}", NULL), 200);
	expect_stock(1, 200, 0);
	expect_invariants();
	free(bk_owner);
	free(bk_admin);
}
END_TEST

static Suite *
orders_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("transitions", 0),
		TU_TEST(admin_update_order_status),
		TU_TEST(order_cancellation),
		TU_TEST(cannot_cancel_shipped_order),
		TU_TEST(invalid_status_transitions),
		TU_CASE("worker step", 0),
		TU_TEST(process_order_step),
		TU_CASE("own pages", 0),
		TU_TEST(own_page_follows_every_change),
		TU_CASE("stock books", 60),
		TU_TEST(books_reserved_below_orders_is_422),
		TU_TEST(books_manual_hold_between_orders_and_stock),
		TU_TEST(books_created_reservation_is_a_manual_hold),
		TU_TEST(books_disagreement_is_409),
		TU_TEST(books_reserved_put_races_orders),
	};

	return tu_suite("orders status", setup, NULL, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(orders_suite(), NULL);
}
