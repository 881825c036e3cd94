/*
 * testinventory.c: see testinventory.h.
 */
#include "testinventory.h"

struct app *app;
int64_t admin_id, user_id;
char *admin, *user;	/* access tokens */

void
setup(void)
{
	app = tu_app();
	tu_child_app = &app;
	/* A test that failed while Redis was paused must not stall the
	 * next one. */
	tu_redis(app, "CLIENT UNPAUSE");
	tu_reset_db(app);
	tu_admin_and_user(app, &admin_id, &admin, &user_id, &user);
}

void
teardown(void)
{
	free(admin);
	free(user);
}

/* Sends (JSON when there is a body); the response stays in *resp. */
void
send_req(const char *method, const char *path, const char *tok,
    const char *body, struct http_resp *resp)
{
	tu_send(app, method, path, tok, body, NULL, resp);
}

/* Sends and returns the status; *out gets the parsed body when asked. */
int
call(const char *method, const char *path, const char *tok, const char *body,
    struct json_object **out)
{
	return tu_call(app, method, path, tok, body, NULL, out, NULL, NULL);
}

/* Same with a printf-made path. */
int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...)
{
	va_list ap;
	char *path;
	int status;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&path, fmt, ap), 0);
	va_end(ap);
	status = call(method, path, tok, body, out);
	free(path);
	return status;
}


/* True when key is present and null. */
bool
jnull(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v == NULL;
}


/* The first 422 detail's loc[1] (borrowed from o). */
const char *
detail_field(struct json_object *o)
{
	struct json_object *d = json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0);

	return json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(d, "loc"), 1));
}

void
expect_422_field(const char *method, const char *path, const char *tok,
    const char *body, const char *field)
{
	struct json_object *o = NULL;

	ck_assert_msg(call(method, path, tok, body, &o) == 422, "%s %s %s",
	    method, path, body != NULL ? body : "");
	ck_assert_str_eq(detail_field(o), field);
	json_object_put(o);
}

int64_t
create_product(const char *sku, const char *name, const char *category)
{
	struct json_object *o;
	char *body = xasprintf("{\"sku\":\"%s\",\"name\":\"%s\","
	    "\"price\":9.99%s%s%s}", sku, name,
	    category != NULL ? ",\"category\":\"" : "",
	    category != NULL ? category : "", category != NULL ? "\"" : "");
	int64_t id;

	ck_assert_int_eq(call("POST", API "/products", admin, body, &o), 201);
	id = tu_jint(o, "id");
	json_object_put(o);
	free(body);
	return id;
}

int64_t
new_inventory(int64_t pid, int64_t stock, int64_t reserved,
    int64_t level)
{
	struct json_object *o;
	char *body = xasprintf("{\"product_id\":%" PRId64 ","
	    "\"quantity_in_stock\":%" PRId64 ",\"quantity_reserved\":%" PRId64
	    ",\"reorder_level\":%" PRId64 "}", pid, stock, reserved, level);
	int64_t id;

	ck_assert_int_eq(call("POST", API "/inventory", admin, body, &o), 201);
	id = tu_jint(o, "id");
	json_object_put(o);
	free(body);
	return id;
}

/* Adjusts inventory id by q; returns the status. */
int
adjust(int64_t id, int64_t q, const char *reason)
{
	char *body = reason != NULL ? xasprintf("{\"quantity\":%" PRId64
	    ",\"reason\":\"%s\"}", q, reason) : xasprintf("{\"quantity\":%"
	    PRId64 "}", q);
	int status = callf("POST", admin, body, NULL, API
	    "/inventory/%" PRId64 "/adjust", id);

	free(body);
	return status;
}

/* Stock and reserved of record id straight from the database; false
 * when there is no such record. */
bool
db_quantities(int64_t id, int64_t *stock, int64_t *reserved)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	bool found;

	ck_assert_int_eq(db_exec(app->db, STMT_INV_BY_ID, &p, 1, &res, NULL,
	    NULL), INV_OK);
	found = db_res_rows(res) == 1;
	if (found) {
		*stock = db_res_int(res, 0, INV_COL_STOCK);
		*reserved = db_res_int(res, 0, INV_COL_RESERVED);
	}
	db_res_free(res);
	return found;
}

/* The stock of record id as GET /inventory/{id} shows it. */
int64_t
api_stock(int64_t id)
{
	struct json_object *o;
	int64_t stock;

	ck_assert_int_eq(callf("GET", user, NULL, &o, API "/inventory/%"
	    PRId64, id), 200);
	stock = tu_jint(o, "quantity_in_stock");
	json_object_put(o);
	return stock;
}

/* GET path: the array body and its X-Total-Count. */
struct json_object *
get_list(const char *path, const char *tok, int64_t *total)
{
	struct http_resp resp;
	struct json_object *o;
	const char *t;

	send_req("GET", path, tok, NULL, &resp);
	ck_assert_msg(resp.status == 200, "%s: %d", path, resp.status);
	t = http_resp_get_header(&resp, "X-Total-Count");
	ck_assert_ptr_nonnull(t);
	*total = strtoll(t, NULL, 10);
	o = tu_json(&resp);
	ck_assert(json_object_is_type(o, json_type_array));
	http_resp_free(&resp);
	return o;
}

/* Sum of a record's movements through the API; *n is their count, *min
 * the lowest stock the ledger ever shows (oldest first). */
void
ledger(int64_t id, int64_t *stock, int64_t *reserved, size_t *n,
    int64_t *min)
{
	struct json_object *arr, *m;
	int64_t total, run = 0;
	char *path = xasprintf(API "/inventory/%" PRId64
	    "/movements?limit=1000", id);
	size_t i;

	arr = get_list(path, admin, &total);
	*n = json_object_array_length(arr);
	ck_assert_int_eq(total, (int64_t)*n);
	*stock = *reserved = 0;
	*min = INT64_MAX;
	/* Newest first: walk from the end. */
	for (i = *n; i-- > 0;) {
		m = json_object_array_get_idx(arr, i);
		ck_assert_int_eq(tu_jint(m, "inventory_id"), id);
		*stock += tu_jint(m, "change_in_stock");
		*reserved += tu_jint(m, "change_reserved");
		run += tu_jint(m, "change_in_stock");
		if (run < *min)
			*min = run;
		if (i + 1 < *n)
			ck_assert_int_lt(tu_jint(json_object_array_get_idx(arr,
			    i + 1), "id"), tu_jint(m, "id"));
	}
	json_object_put(arr);
	free(path);
}

void
expect_list(const char *path, const char *tok, int64_t total, int len,
    const char *sku)
{
	struct json_object *arr;
	int64_t got;

	arr = get_list(path, tok, &got);
	ck_assert_msg(got == total, "GET %s: X-Total-Count %" PRId64
	    ", want %" PRId64, path, got, total);
	if (len >= 0)
		ck_assert_int_eq(json_object_array_length(arr), len);
	if (sku != NULL)
		ck_assert_str_eq(json_get_str(json_object_array_get_idx(arr, 0),
		    "sku"), sku);
	json_object_put(arr);
}
