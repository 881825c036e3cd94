/*
 * check_orders_idem.c: the Idempotency-Key protocol of POST /orders
 * (integration): replays, keys in progress and expired, refusals, and
 * concurrent duplicates.
 */
#include "testorders.h"

START_TEST(idempotency_key_replays)
{
	int64_t total;
	char *a = user_token("a@example.com", "A", false, NULL);
	char *b = user_token("b@example.com", "B", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	struct json_object *o = NULL;

	seed_product(1, "Widget", "1.00", 10);
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, a, IDEM_BODY, "key-1",
	    NULL, NULL, &first), 201);
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, a, IDEM_BODY, "key-1",
	    NULL, NULL, &again), 201);
	ck_assert_str_eq(first, again);
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 10, 1);
	free(again);
	/* Whitespace does not make it another request. */
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, a,
	    "{ \"shipping_address\""
	    ": \"x\", \"items\": [{\"product_id\": 1, \"quantity\": 1}] }",
	    "key-1", NULL, NULL, &again), 201);
	ck_assert_str_eq(first, again);
	free(again);
	/* Another user's key of the same name is another key. */
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, b, IDEM_BODY, "key-1",
	    NULL, NULL, &again), 201);
	ck_assert_str_ne(first, again);
	free(again);
	ck_assert_int_eq(order_count(admin), 2);
	/* The same key with another request is refused. */
	ck_assert_int_eq(tu_call(app, "POST", ORDERS, a,
	    "{\"shipping_address\":"
	    "\"y\",\"items\":[{\"product_id\":1,\"quantity\":1}]}", "key-1",
	    &o, NULL, NULL), 422);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0), "loc"), 1)),
	    "idempotency-key");
	json_object_put(o);
	/* Without a key, the same body makes another order. */
	ck_assert_int_eq(call("POST", ORDERS, a, IDEM_BODY, NULL), 201);
	ck_assert_int_eq(tu_call(app, "GET", ORDERS, a, NULL, NULL, NULL,
	    &total,
	    NULL), 200);
	ck_assert_int_eq(total, 2);
	expect_stock(1, 10, 3);
	expect_invariants();
	free(first);
	free(a);
	free(b);
	free(admin);
}
END_TEST

/* POST /orders with a key; returns the status, *raw the body (new),
 * *replayed whether it was a replay (either may be NULL). */
static int
post_keyed(const char *token, const char *body, const char *key,
    char **raw, bool *replayed)
{
	struct http_resp resp;
	int status = tu_send(app, "POST", ORDERS, token, body, key, &resp);

	if (raw != NULL)
		*raw = xstrndup(resp.body != NULL ? resp.body : "",
		    resp.body != NULL ? resp.body_len : 0);
	if (replayed != NULL)
		*replayed = http_resp_get_header(&resp,
		    "Idempotent-Replayed") != NULL;
	http_resp_free(&resp);
	return status;
}

START_TEST(idempotency_key_in_progress_and_expiry)
{
	int64_t uid;
	char *a = user_token("a@example.com", "A", false, &uid);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	struct db_val p[4];
	bool replayed;

	seed_product(1, "Widget", "1.00", 10);
	/* A claim whose request is still running elsewhere. */
	p[0] = DB_INT(uid);
	p[1] = DB_STR("busy");
	p[2] = DB_STR(IDEM_CANON);
	p[3] = DB_INT(3600);
	ck_assert_int_eq(db_exec(app->db, STMT_IDEM_INSERT, p, 4, NULL, NULL,
	    NULL), INV_OK);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &first, NULL), 409);
	ck_assert(strstr(first, "Request with this Idempotency-Key is in "
	    "progress") != NULL);
	free(first);
	ck_assert_int_eq(order_count(admin), 0);
	/* Its process died: after a while a retry takes the claim over. */
	sql("UPDATE idempotency_keys SET created_at = created_at - "
	    "INTERVAL 1 HOUR WHERE idem_key = 'busy'");
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &first, &replayed),
	    201);
	ck_assert(!replayed);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &again, &replayed),
	    201);
	ck_assert(replayed);
	ck_assert_str_eq(first, again);
	free(again);
	ck_assert_int_eq(order_count(admin), 1);
	/* An expired key is a new key. */
	sql("UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP() - "
	    "INTERVAL 1 SECOND WHERE idem_key = 'busy'");
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "busy", &again, &replayed),
	    201);
	ck_assert(!replayed);
	ck_assert_str_ne(first, again);
	free(again);
	free(first);
	ck_assert_int_eq(order_count(admin), 2);
	expect_stock(1, 10, 2);
	expect_invariants();
	free(a);
	free(admin);
}
END_TEST

START_TEST(idempotency_key_refusals)
{
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	static const char big[] = "{\"shipping_address\":\"x\",\"items\":"
	    "[{\"product_id\":1,\"quantity\":5}]}";
	char *first = NULL, *again = NULL, key[130];
	bool replayed;

	seed_product(1, "Widget", "1.00", 3);
	/* A refusal is the answer to that key, replayed as it was... */
	ck_assert_int_eq(post_keyed(a, big, "k", &first, &replayed), 400);
	ck_assert(!replayed);
	sql("UPDATE inventory SET quantity_in_stock = 10 WHERE product_id = 1;"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason) VALUES "
	    "(1, 1, 7, 0, 'restock')");
	ck_assert_int_eq(post_keyed(a, big, "k", &again, &replayed), 400);
	ck_assert(replayed);
	ck_assert_str_eq(first, again);
	free(first);
	free(again);
	ck_assert_int_eq(order_count(admin), 0);
	/* ... and a new attempt takes a new key. */
	ck_assert_int_eq(post_keyed(a, big, "k2", NULL, NULL), 201);
	/* Validation errors claim nothing. */
	ck_assert_int_eq(post_keyed(a, "{\"items\":[]}", "k3", NULL, NULL),
	    422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "k3", NULL, NULL), 201);
	/* Keys are 1..128 printable ASCII characters. */
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "", NULL, NULL), 422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "tab\there", NULL, NULL),
	    422);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, "caf\xc3\xa9", NULL, NULL),
	    422);
	memset(key, 'k', 129);
	key[129] = '\0';
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, &first, NULL), 422);
	ck_assert(strstr(first, "\"loc\":[\"header\",\"idempotency-key\"]") !=
	    NULL);
	free(first);
	key[128] = '\0';
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, NULL, NULL), 201);
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, key, NULL, &replayed), 201);
	ck_assert(replayed);
	ck_assert_int_eq(order_count(admin), 3);
	expect_invariants();
	free(a);
	free(admin);
}
END_TEST

/* The same order with its members in another order, its items in
 * another order, other white space and defaults spelt out was refused
 * as "already used with a different request": a replay compares what
 * the request means, not its bytes. */
START_TEST(idempotency_key_replays_reordered_keys)
{
	static const char first_body[] = "{\"shipping_address\":\"1 Main "
	    "St\",\"items\":[{\"product_id\":1,\"quantity\":2},"
	    "{\"product_id\":2,\"quantity\":1}]}";
	static const char *const same[] = {
		"{\"items\":[{\"quantity\":2,\"product_id\":1},"
		    "{\"quantity\":1,\"product_id\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":2,\"quantity\":1},"
		    "{\"product_id\":1,\"quantity\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\n  \"shipping_method\": null,\n  \"notes\": null,\n"
		    "  \"shipping_address\": \"  1 Main St \",\n"
		    "  \"items\": [ { \"product_id\": 1, \"quantity\": 2 },"
		    " { \"product_id\": 2, \"quantity\": 1 } ],\n"
		    "  \"unknown\": [1, 2, 3]\n}",
	};
	static const char *const other[] = {
		"{\"items\":[{\"product_id\":1,\"quantity\":3},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2}],"
		    "\"shipping_address\":\"1 Main St\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\",\"notes\":\"\"}",
		"{\"items\":[{\"product_id\":1,\"quantity\":2},"
		    "{\"product_id\":2,\"quantity\":1}],"
		    "\"shipping_address\":\"1 Main St\","
		    "\"shipping_method\":\"\"}",
	};
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *first = NULL, *again = NULL;
	bool replayed;
	size_t i;

	seed_product(1, "Widget", "1.00", 10);
	seed_product(2, "Gadget", "2.00", 10);
	ck_assert_int_eq(post_keyed(a, first_body, "order-7", &first,
	    &replayed), 201);
	ck_assert(!replayed);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		ck_assert_msg(post_keyed(a, same[i], "order-7", &again,
		    &replayed) == 201, "same[%zu]: %s", i, again);
		ck_assert(replayed);
		ck_assert_str_eq(first, again);
		free(again);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ck_assert_msg(post_keyed(a, other[i], "order-7", &again,
		    NULL) == 422, "other[%zu]: %s", i, again);
		ck_assert(strstr(again, "already used with a different "
		    "request") != NULL);
		free(again);
	}
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 10, 2);
	expect_stock(2, 10, 1);
	expect_invariants();
	free(first);
	free(a);
	free(admin);
}
END_TEST

/* An empty or blank Idempotency-Key was treated as no key (a second
 * order on a retry): it is a 422 naming the header, and nothing is
 * made. */
START_TEST(idempotency_key_blank_is_422)
{
	static const char *const keys[] = { "", " ", "   ", "\t", " \t " };
	char *a = user_token("a@example.com", "A", false, NULL);
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	char *body = NULL;
	size_t i;

	seed_product(1, "Widget", "1.00", 10);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_int_eq(post_keyed(a, IDEM_BODY, keys[i], &body,
		    NULL), 422);
		ck_assert_msg(strstr(body, "\"loc\":[\"header\","
		    "\"idempotency-key\"]") != NULL, "key \"%s\": %s",
		    keys[i], body);
		free(body);
	}
	ck_assert_int_eq(order_count(admin), 0);
	/* Spaces inside a key are printable characters like others. */
	ck_assert_int_eq(post_keyed(a, IDEM_BODY, " a key ", NULL, NULL), 201);
	ck_assert_int_eq(order_count(admin), 1);
	free(a);
	free(admin);
}
END_TEST

static char *idem_token;

/* What a child of the duplicates race was answered. */
struct idem_answer {
	int	status;
	bool	replayed;
	int64_t	id;		/* the order's, on 201 */
};

/* Every child sends the same request with the same key: it makes the
 * order, replays it, or finds it in progress. */
static void
idem_child(int i, void *out)
{
	struct idem_answer *a = out;
	struct http_resp resp;
	struct json_object *o;

	(void)i;
	a->status = tu_send(app, "POST", ORDERS, idem_token, IDEM_BODY,
	    "same-key", &resp);
	o = tu_json(&resp);
	if (a->status == 201) {
		a->replayed = http_resp_get_header(&resp,
		    "Idempotent-Replayed") != NULL;
		a->id = tu_jint(o, "id");
	} else
		expect_detail("POST /orders", a->status, o, 409,
		    "Request with this Idempotency-Key is in progress");
	json_object_put(o);
	http_resp_free(&resp);
}

START_TEST(idempotency_key_concurrent_duplicates)
{
	enum { N = 12 };
	char *admin = user_token("admin@example.com", "Admin", true, NULL);
	struct idem_answer got[N];
	int i, made = 0;
	int64_t id = 0;

	idem_token = user_token("a@example.com", "A", false, NULL);
	seed_product(1, "Widget", "1.00", 100);
	memset(got, 0, sizeof(got));
	run_concurrently(N, idem_child, got, sizeof(got[0]));
	/* One made it; every other 201 replays that very order. */
	for (i = 0; i < N; i++)
		if (got[i].status == 201 && !got[i].replayed) {
			made++;
			id = got[i].id;
		}
	ck_assert_int_eq(made, 1);
	for (i = 0; i < N; i++)
		if (got[i].status == 201)
			ck_assert_int_eq(got[i].id, id);
	ck_assert_int_eq(order_count(admin), 1);
	expect_stock(1, 100, 1);
	expect_invariants();
	free(idem_token);
	free(admin);
}
END_TEST

static Suite *
orders_suite(void)
{
	const struct tu_row rows[] = {
		TU_CASE("idempotency", 0),
		TU_TEST(idempotency_key_replays),
		TU_TEST(idempotency_key_in_progress_and_expiry),
		TU_TEST(idempotency_key_refusals),
		TU_TEST(idempotency_key_replays_reordered_keys),
		TU_TEST(idempotency_key_blank_is_422),
		TU_TEST(idempotency_key_concurrent_duplicates),
	};

	return tu_suite("orders idempotency", setup, NULL, rows, NROWS(rows));
}

int
main(void)
{
	tu_need_services();
	return tu_run(orders_suite(), NULL);
}
