/*
 * check_webhooks.c: /api/v1/webhooks against a real MariaDB
 * (integration): who may use it, subscriptions made, read, changed and
 * deleted, the secret shown at creation and rotation only, targets in
 * private ranges refused unless the configuration allows them, and the
 * deliveries' list and redelivery (rows made here as the worker would).
 */
#include "testusers.h"

#define HOOKS	"/api/v1/webhooks"
#define BODY(url, events) \
	"{\"url\":\"" url "\",\"events\":" events "}"
#define HOOK_BODY BODY("http://127.0.0.1:9/hook", "[\"order.created\"]")

/* Sends; the status, *out the parsed body (new) when asked. */
static int
send_json(const char *method, const char *path, const char *token,
    const char *body, struct json_object **out)
{
	return call(method, path, token, body != NULL ? JSON : NULL, body,
	    out);
}

/* Creates a webhook with body; its id (the answer must be 201). */
static int64_t
create(const char *token, const char *body)
{
	struct json_object *o = NULL;
	int64_t id;

	ck_assert_int_eq(send_json("POST", HOOKS, token, body, &o), 201);
	id = tu_jint(o, "id");
	json_object_put(o);
	return id;
}

/* The webhook's stored secret (new). */
static char *
stored_secret(int64_t id)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	char *s;

	ck_assert_int_eq(db_exec(app->db, STMT_WEBHOOK_WITH_SECRET, &p, 1,
	    &res, NULL, NULL), INV_OK);
	ck_assert_int_eq(db_res_rows(res), 1);
	s = xstrdup(db_res_str(res, 0, WEBHOOK_COL_SECRET));
	db_res_free(res);
	return s;
}

/* Whether s is n lower-case hex digits. */
static bool
is_hex(const char *s, size_t n)
{
	return s != NULL && strlen(s) == n && strspn(s,
	    "0123456789abcdef") == n;
}

/* The events of webhook object o as "a,b" (new). */
static char *
events_of(struct json_object *o)
{
	struct json_object *ev = json_object_object_get(o, "events");
	struct buf b;
	size_t i;

	ck_assert(json_object_is_type(ev, json_type_array));
	buf_init(&b);
	for (i = 0; i < json_object_array_length(ev); i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", json_object_get_string(
		    json_object_array_get_idx(ev, i)));
	return buf_take(&b);
}

/*
 * The request's answer is 422 with its first entry at loc (n parts:
 * "body", then names, or an index written as digits) of type type.
 */
static void
expect_422(const char *method, const char *path, const char *token,
    const char *body, const char *const *loc, size_t n, const char *type)
{
	struct json_object *o = NULL, *d, *l;
	const char *part;
	int status = send_json(method, path, token, body, &o);
	size_t i;

	ck_assert_msg(status == 422, "%s %s %s: %d, not 422", method, path,
	    body, status);
	d = json_object_array_get_idx(json_object_object_get(o, "detail"), 0);
	l = json_object_object_get(d, "loc");
	ck_assert_msg(json_object_array_length(l) == n, "%s: loc %s", body,
	    json_object_get_string(l));
	for (i = 0; i < n; i++) {
		part = json_object_get_string(json_object_array_get_idx(l, i));
		ck_assert_msg(strcmp(part, loc[i]) == 0, "%s: loc %s, want %s "
		    "at %zu", body, json_object_get_string(l), loc[i], i);
	}
	ck_assert_str_eq(json_get_str(d, "type"), type);
	ck_assert_ptr_nonnull(json_get_str(d, "msg"));
	json_object_put(o);
}
#define LOC(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/* The status and detail of a request. */
static void
expect_detail(const char *method, const char *path, const char *token,
    const char *body, int status, const char *detail)
{
	struct json_object *o = NULL;
	int got = send_json(method, path, token, body, &o);

	ck_assert_msg(got == status, "%s %s: %d, want %d", method, path, got,
	    status);
	ck_assert_str_eq(json_get_str(o, "detail"), detail);
	json_object_put(o);
}

/* The routes of the API, each with a body it accepts. */
static const struct {
	const char	*method;
	const char	*path;
	const char	*body;
} routes_of_api[] = {
	{ "POST", HOOKS, HOOK_BODY },
	{ "GET", HOOKS, NULL },
	{ "GET", HOOKS "/1", NULL },
	{ "PATCH", HOOKS "/1", "{\"is_active\":false}" },
	{ "DELETE", HOOKS "/1", NULL },
	{ "POST", HOOKS "/1/rotate-secret", NULL },
	{ "GET", HOOKS "/1/deliveries", NULL },
	{ "POST", HOOKS "/1/deliveries/1/redeliver", NULL },
};

/* Without a token 401, as a user 403: for every route. */
START_TEST(admin_only)
{
	char *admin = admin_token(), *user = NULL;
	struct http_resp resp;
	size_t i;

	create(admin, HOOK_BODY);
	ck_assert_int_eq(register_user("u@example.com", "U", PW), 201);
	ck_assert_int_eq(login("u@example.com", PW, &user, NULL), 200);
	for (i = 0; i < NROWS(routes_of_api); i++) {
		tu_request(app, routes_of_api[i].method, routes_of_api[i].path,
		    NULL, routes_of_api[i].body != NULL ? JSON : NULL,
		    routes_of_api[i].body, &resp);
		ck_assert_int_eq(resp.status, 401);
		ck_assert_str_eq(http_resp_get_header(&resp,
		    "WWW-Authenticate"), "Bearer");
		http_resp_free(&resp);
		expect_detail(routes_of_api[i].method, routes_of_api[i].path,
		    NULL, routes_of_api[i].body, 401, "Not authenticated");
		expect_detail(routes_of_api[i].method, routes_of_api[i].path,
		    user, routes_of_api[i].body, 403,
		    "Not enough permissions");
	}
	/* Nothing of it changed the webhook. */
	tu_expect_sql(app->db, "SELECT COUNT(*) = 1 AND MAX(is_active) "
	    "FROM webhooks");
	free(admin);
	free(user);
}
END_TEST

/* POST answers 201 with the secret; no read or change shows it again,
 * rotation shows the new one, which is what is stored. */
START_TEST(secret_at_creation_and_rotation_only)
{
	char *admin = admin_token(), *stored, *first, *ev, path[64];
	struct json_object *o = NULL, *arr = NULL;
	struct http_resp resp;
	int64_t id;

	ck_assert_int_eq(send_json("POST", HOOKS, admin,
	    "{\"url\":\" https://127.0.0.1:8443/in?x=1 \",\"events\":"
	    "[\"order.shipped\",\"inventory.low_stock\"],\"description\":"
	    "\" warehouse \",\"is_active\":false}", &o), 201);
	id = tu_jint(o, "id");
	ck_assert_str_eq(json_get_str(o, "url"),
	    "https://127.0.0.1:8443/in?x=1");
	ev = events_of(o);
	ck_assert_str_eq(ev, "order.shipped,inventory.low_stock");
	free(ev);
	ck_assert_str_eq(json_get_str(o, "description"), "warehouse");
	ck_assert(!json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	ck_assert_ptr_nonnull(json_get_str(o, "created_at"));
	ck_assert_ptr_nonnull(json_get_str(o, "updated_at"));
	first = xstrdup(json_get_str(o, "secret"));
	ck_assert_msg(is_hex(first, 64), "secret %s", first);
	stored = stored_secret(id);
	ck_assert_str_eq(stored, first);
	free(stored);
	json_object_put(o);

	snprintf(path, sizeof(path), HOOKS "/%lld", (long long)id);
	ck_assert_int_eq(send_json("GET", path, admin, NULL, &o), 200);
	ck_assert(!json_object_object_get_ex(o, "secret", NULL));
	ck_assert_int_eq(tu_jint(o, "id"), id);
	json_object_put(o);
	ck_assert_int_eq(send_json("PATCH", path, admin, "{\"is_active\":true}",
	    &o), 200);
	ck_assert(!json_object_object_get_ex(o, "secret", NULL));
	json_object_put(o);
	ck_assert_int_eq(send_json("GET", HOOKS, admin, NULL, &arr), 200);
	ck_assert_int_eq(json_object_array_length(arr), 1);
	ck_assert(!json_object_object_get_ex(json_object_array_get_idx(arr, 0),
	    "secret", NULL));
	json_object_put(arr);

	snprintf(path, sizeof(path), HOOKS "/%lld/rotate-secret",
	    (long long)id);
	/* No cache on the way keeps an answer with a secret. */
	tu_request(app, "POST", path, admin, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(http_resp_get_header(&resp, "Cache-Control"),
	    "no-store");
	o = tu_json(&resp);
	http_resp_free(&resp);
	ck_assert_int_eq(tu_jint(o, "id"), id);
	ck_assert_msg(is_hex(json_get_str(o, "secret"), 64), "secret");
	ck_assert_str_ne(json_get_str(o, "secret"), first);
	stored = stored_secret(id);
	ck_assert_str_eq(stored, json_get_str(o, "secret"));
	free(stored);
	json_object_put(o);
	expect_detail("POST", HOOKS "/999999/rotate-secret", admin, NULL, 404,
	    "Webhook with id 999999 not found");
	free(first);
	free(admin);
}
END_TEST

/* Defaults: active, no description; two webhooks get two secrets. */
START_TEST(create_defaults)
{
	char *admin = admin_token(), *a, *b;
	struct json_object *o = NULL;
	int64_t id1, id2;

	ck_assert_int_eq(send_json("POST", HOOKS, admin, HOOK_BODY, &o), 201);
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	ck_assert(json_object_object_get_ex(o, "description", NULL));
	ck_assert_ptr_null(json_object_object_get(o, "description"));
	id1 = tu_jint(o, "id");
	json_object_put(o);
	id2 = create(admin, HOOK_BODY);
	a = stored_secret(id1);
	b = stored_secret(id2);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	free(admin);
}
END_TEST

/* Bodies refused with 422, each at its field; nothing is stored. */
START_TEST(create_refused_422)
{
	char *admin = admin_token(), *long_url, *long_desc, *body;

	expect_422("POST", HOOKS, admin, "{\"events\":[\"order.created\"]}",
	    LOC("body", "url"), "value_error.missing");
	expect_422("POST", HOOKS, admin, "{\"url\":\"http://127.0.0.1/\"}",
	    LOC("body", "events"), "value_error.missing");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/", "[]"),
	    LOC("body", "events"), "value_error.list.min_items");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/",
	    "\"order.created\""), LOC("body", "events"), "type_error.list");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/",
	    "[\"order.created\",\"order.exploded\"]"),
	    LOC("body", "events", "1"), "type_error.enum");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/",
	    "[\"Order.Created\"]"), LOC("body", "events", "0"),
	    "type_error.enum");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/",
	    "[\"order.created\",\"order.shipped\",\"order.created\"]"),
	    LOC("body", "events", "2"), "value_error.duplicate");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/", "[1]"),
	    LOC("body", "events", "0"), "type_error.str");
	expect_422("POST", HOOKS, admin, BODY("http://127.0.0.1/", "[null]"),
	    LOC("body", "events", "0"), "type_error.none.not_allowed");
	expect_422("POST", HOOKS, admin, BODY("ftp://127.0.0.1/",
	    "[\"order.created\"]"), LOC("body", "url"),
	    "value_error.url.scheme");
	expect_422("POST", HOOKS, admin, BODY("javascript:alert(1)",
	    "[\"order.created\"]"), LOC("body", "url"),
	    "value_error.url.scheme");
	expect_422("POST", HOOKS, admin, BODY("http:///x",
	    "[\"order.created\"]"), LOC("body", "url"),
	    "value_error.url.host");
	expect_422("POST", HOOKS, admin, BODY("http://a@127.0.0.1/",
	    "[\"order.created\"]"), LOC("body", "url"),
	    "value_error.url.userinfo");
	long_url = xasprintf("http://127.0.0.1/%02040d", 0);
	ck_assert_int_eq(strlen(long_url), 2057);
	body = xasprintf("{\"url\":\"%s\",\"events\":[\"order.created\"]}",
	    long_url);
	expect_422("POST", HOOKS, admin, body, LOC("body", "url"),
	    "value_error.any_str.max_length");
	free(body);
	long_desc = xasprintf("%0501d", 0);
	body = xasprintf("{\"url\":\"http://127.0.0.1/\",\"events\":"
	    "[\"order.created\"],\"description\":\"%s\"}", long_desc);
	expect_422("POST", HOOKS, admin, body, LOC("body", "description"),
	    "value_error.any_str.max_length");
	free(body);
	expect_422("POST", HOOKS, admin, "{\"url\":\"http://127.0.0.1/\","
	    "\"events\":[\"order.created\"],\"is_active\":\"yes\"}",
	    LOC("body", "is_active"), "type_error.bool");
	tu_expect_sql(app->db, "SELECT COUNT(*) = 0 FROM webhooks");
	free(long_url);
	free(long_desc);
	free(admin);
}
END_TEST

/* The targets of the refused ranges, by address or by name. */
static const char *const private_urls[] = {
	"http://127.0.0.1:9/hook",
	"http://localhost:8080/",
	"http://10.1.2.3/",
	"http://172.16.0.1/",
	"http://192.168.1.1/",
	"http://169.254.169.254/latest/meta-data/",
	"http://100.64.0.1/",
	"http://0.0.0.0/",
	"http://224.0.0.1/",
	"http://[::1]/",
	"http://[::ffff:127.0.0.1]/",
	"http://[fd00::1]/",
	"http://[fe80::1]/",
	"http://2130706433/",
};

/* Without webhook_allow_private: refused at creation and change, with
 * the configuration's key named; allowed, the same URLs are taken. */
START_TEST(private_targets_refused_unless_allowed)
{
	struct config *cfg = (struct config *)app->cfg;
	char *admin = admin_token(), *body;
	struct json_object *o = NULL;
	int64_t id;
	size_t i;

	cfg->webhook_allow_private = false;
	for (i = 0; i < NROWS(private_urls); i++) {
		body = xasprintf("{\"url\":\"%s\",\"events\":"
		    "[\"order.created\"]}", private_urls[i]);
		expect_422("POST", HOOKS, admin, body, LOC("body", "url"),
		    "value_error.url.private");
		free(body);
	}
	ck_assert_int_eq(send_json("POST", HOOKS, admin, BODY("http://[::1]/",
	    "[\"order.created\"]"), &o), 422);
	ck_assert_ptr_nonnull(strstr(json_get_str(json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0), "msg"),
	    "webhook_allow_private"));
	json_object_put(o);
	expect_422("POST", HOOKS, admin, BODY("http://nowhere.invalid/",
	    "[\"order.created\"]"), LOC("body", "url"), "value_error.url.host");
	tu_expect_sql(app->db, "SELECT COUNT(*) = 0 FROM webhooks");
	/* A public address is taken; moving it inside is not. */
	id = create(admin, BODY("http://8.8.8.8/hook", "[\"order.created\"]"));
	ck_assert_int_eq(id, 1);
	expect_422("PATCH", HOOKS "/1", admin, "{\"url\":\"http://10.0.0.1/\"}",
	    LOC("body", "url"), "value_error.url.private");
	tu_expect_sql(app->db, "SELECT url = 'http://8.8.8.8/hook' FROM "
	    "webhooks WHERE id = 1");
	cfg->webhook_allow_private = true;
	for (i = 0; i < NROWS(private_urls); i++) {
		body = xasprintf("{\"url\":\"%s\",\"events\":"
		    "[\"order.created\"]}", private_urls[i]);
		create(admin, body);
		free(body);
	}
	ck_assert_int_eq(send_json("PATCH", HOOKS "/1", admin,
	    "{\"url\":\"http://10.0.0.1/\"}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "url"), "http://10.0.0.1/");
	json_object_put(o);
	free(admin);
}
END_TEST

/* PATCH changes what it is given and keeps the rest; null clears the
 * description; a missing webhook is 404, a bad body 422. */
START_TEST(patch_changes_given_fields)
{
	char *admin = admin_token(), *ev;
	struct json_object *o = NULL;

	create(admin, "{\"url\":\"http://127.0.0.1:9/a\",\"events\":"
	    "[\"order.created\"],\"description\":\"first\"}");
	ck_assert_int_eq(send_json("PATCH", HOOKS "/1", admin,
	    "{\"events\":[\"order.delivered\",\"inventory.adjusted\"]}", &o),
	    200);
	ev = events_of(o);
	ck_assert_str_eq(ev, "order.delivered,inventory.adjusted");
	free(ev);
	ck_assert_str_eq(json_get_str(o, "url"), "http://127.0.0.1:9/a");
	ck_assert_str_eq(json_get_str(o, "description"), "first");
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	json_object_put(o);
	tu_expect_sql(app->db, "SELECT JSON_CONTAINS(events, "
	    "'\"order.delivered\"') AND NOT JSON_CONTAINS(events, "
	    "'\"order.created\"') FROM webhooks WHERE id = 1");
	ck_assert_int_eq(send_json("PATCH", HOOKS "/1", admin,
	    "{\"description\":null,\"is_active\":false,"
	    "\"url\":\"https://127.0.0.1/b\"}", &o), 200);
	ck_assert_ptr_null(json_object_object_get(o, "description"));
	ck_assert(!json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	ck_assert_str_eq(json_get_str(o, "url"), "https://127.0.0.1/b");
	ev = events_of(o);
	ck_assert_str_eq(ev, "order.delivered,inventory.adjusted");
	free(ev);
	json_object_put(o);
	/* An empty body changes nothing. */
	ck_assert_int_eq(send_json("PATCH", HOOKS "/1", admin, "{}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "url"), "https://127.0.0.1/b");
	json_object_put(o);
	expect_detail("PATCH", HOOKS "/999999", admin, "{\"is_active\":true}",
	    404, "Webhook with id 999999 not found");
	expect_422("PATCH", HOOKS "/1", admin, "{\"events\":[\"order.lost\"]}",
	    LOC("body", "events", "0"), "type_error.enum");
	expect_422("PATCH", HOOKS "/1", admin, "{\"events\":[]}",
	    LOC("body", "events"), "value_error.list.min_items");
	expect_422("PATCH", HOOKS "/1", admin, "{\"url\":null}",
	    LOC("body", "url"), "type_error.none.not_allowed");
	expect_422("PATCH", HOOKS "/1", admin, "{\"events\":null}",
	    LOC("body", "events"), "type_error.none.not_allowed");
	tu_expect_sql(app->db, "SELECT url = 'https://127.0.0.1/b' AND "
	    "JSON_LENGTH(events) = 2 FROM webhooks WHERE id = 1");
	free(admin);
}
END_TEST

/* GET of one and of the list, paged with its total and Link. */
START_TEST(get_and_list)
{
	char *admin = admin_token(), *link, *next, *end;
	struct http_resp resp;
	struct json_object *o = NULL;
	int64_t total = 0;

	create(admin, HOOK_BODY);
	create(admin, HOOK_BODY);
	create(admin, HOOK_BODY);
	ck_assert_int_eq(send_json("GET", HOOKS "/2", admin, NULL, &o), 200);
	ck_assert_int_eq(tu_jint(o, "id"), 2);
	json_object_put(o);
	expect_detail("GET", HOOKS "/999999", admin, NULL, 404,
	    "Webhook with id 999999 not found");
	tu_request(app, "GET", HOOKS "?limit=2", admin, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(http_resp_get_header(&resp, "X-Total-Count"), "3");
	o = tu_json(&resp);
	ck_assert_int_eq(json_object_array_length(o), 2);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), 1);
	json_object_put(o);
	ck_assert_ptr_nonnull(http_resp_get_header(&resp, "Link"));
	link = xstrdup(http_resp_get_header(&resp, "Link"));
	http_resp_free(&resp);
	ck_assert(link[0] == '<' && (end = strchr(link, '>')) != NULL);
	*end = '\0';
	next = link + 1;
	ck_assert_int_eq(tu_call(app, "GET", next, admin, NULL, NULL, &o,
	    &total, NULL), 200);
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), 3);
	json_object_put(o);
	free(link);
	tu_expect_query_422(app, HOOKS "?limit=0", admin, "limit", NULL);
	tu_expect_query_422(app, HOOKS "?after=zz", admin, "after",
	    "value_error.cursor");
	free(admin);
}
END_TEST

/* Events and deliveries as the worker writes them: webhook 1 has
 * deliveries 1..3 (pending, delivered, failed), webhook 2 delivery 4. */
static void
seed_deliveries(void)
{
	tu_sql(app->db, "INSERT INTO outbox (type, data) VALUES "
	    "('order.created', '{\"id\":1}'), ('order.shipped', '{\"id\":1}'), "
	    "('inventory.adjusted', '{\"id\":7}')");
	tu_sql(app->db, "INSERT INTO webhook_deliveries (webhook_id, event_id, "
	    "event_type, status, attempts, next_attempt_at, last_attempt_at, "
	    "last_status_code, last_duration_ms, last_error, delivered_at) "
	    "VALUES "
	    "(1, 1, 'order.created', 'pending', 1, NOW(3) + INTERVAL 1 HOUR, "
	    "NOW(3), 500, 12, 'HTTP 500', NULL), "
	    "(1, 2, 'order.shipped', 'delivered', 1, NOW(3), NOW(3), 204, 3, "
	    "NULL, NOW(3)), "
	    "(1, 3, 'inventory.adjusted', 'failed', 5, "
	    "NOW(3) + INTERVAL 1 DAY, NOW(3), NULL, 10000, 'timed out', NULL), "
	    "(2, 1, 'order.created', 'failed', 5, NOW(3) + INTERVAL 1 DAY, "
	    "NOW(3), 503, 8, 'HTTP 503', NULL)");
}

/* Deliveries newest first, with attempts, codes, durations, errors; a
 * missing webhook 404; paged by cursor. */
START_TEST(deliveries_listed_newest_first)
{
	char *admin = admin_token(), *link, *end;
	struct json_object *o = NULL, *d;
	struct http_resp resp;
	int64_t total = 0;

	create(admin, HOOK_BODY);
	create(admin, HOOK_BODY);
	seed_deliveries();
	ck_assert_int_eq(tu_call(app, "GET", HOOKS "/1/deliveries", admin,
	    NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 3);
	ck_assert_int_eq(json_object_array_length(o), 3);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), 3);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 2), "id"), 1);
	d = json_object_array_get_idx(o, 0);
	ck_assert_str_eq(json_get_str(d, "status"), "failed");
	ck_assert_str_eq(json_get_str(d, "event_type"), "inventory.adjusted");
	ck_assert_int_eq(tu_jint(d, "attempts"), 5);
	ck_assert_int_eq(tu_jint(d, "webhook_id"), 1);
	ck_assert_int_eq(tu_jint(d, "event_id"), 3);
	ck_assert_int_eq(tu_jint(d, "last_duration_ms"), 10000);
	ck_assert_ptr_null(json_object_object_get(d, "last_status_code"));
	ck_assert_str_eq(json_get_str(d, "last_error"), "timed out");
	ck_assert_ptr_null(json_object_object_get(d, "delivered_at"));
	d = json_object_array_get_idx(o, 1);
	ck_assert_str_eq(json_get_str(d, "status"), "delivered");
	ck_assert_int_eq(tu_jint(d, "last_status_code"), 204);
	ck_assert_ptr_nonnull(json_get_str(d, "delivered_at"));
	ck_assert_ptr_nonnull(strchr(json_get_str(d, "next_attempt_at"), 'T'));
	json_object_put(o);

	tu_request(app, "GET", HOOKS "/1/deliveries?limit=2", admin, NULL,
	    NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_nonnull(http_resp_get_header(&resp, "Link"));
	link = xstrdup(http_resp_get_header(&resp, "Link"));
	http_resp_free(&resp);
	ck_assert(link[0] == '<' && (end = strchr(link, '>')) != NULL);
	*end = '\0';
	ck_assert_int_eq(tu_call(app, "GET", link + 1, admin, NULL, NULL, &o,
	    &total, NULL), 200);
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), 1);
	json_object_put(o);
	/* A cursor of webhook 1's list is not webhook 2's. */
	link[1 + strlen(HOOKS) + 1] = '2';
	tu_expect_query_422(app, link + 1, admin, "after",
	    "value_error.cursor");
	free(link);

	ck_assert_int_eq(tu_call(app, "GET", HOOKS "/2/deliveries", admin,
	    NULL, NULL, &o, &total, NULL), 200);
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(tu_jint(json_object_array_get_idx(o, 0), "id"), 4);
	json_object_put(o);
	expect_detail("GET", HOOKS "/999999/deliveries", admin, NULL, 404,
	    "Webhook with id 999999 not found");
	tu_expect_query_422(app, HOOKS "/1/deliveries?skip=-1", admin, "skip",
	    NULL);
	free(admin);
}
END_TEST

/* A failed delivery made pending and due now (202); another webhook's
 * delivery, or none, 404. */
START_TEST(redeliver_makes_pending)
{
	char *admin = admin_token();
	struct json_object *o = NULL;

	create(admin, HOOK_BODY);
	create(admin, HOOK_BODY);
	seed_deliveries();
	ck_assert_int_eq(send_json("POST", HOOKS "/1/deliveries/3/redeliver",
	    admin, NULL, &o), 202);
	ck_assert_int_eq(tu_jint(o, "id"), 3);
	ck_assert_str_eq(json_get_str(o, "status"), "pending");
	ck_assert_int_eq(tu_jint(o, "attempts"), 5);
	json_object_put(o);
	tu_expect_sql(app->db, "SELECT status = 'pending' AND "
	    "next_attempt_at <= NOW(3) AND next_attempt_at > NOW(3) - "
	    "INTERVAL 1 MINUTE FROM webhook_deliveries WHERE id = 3");
	/* Due now: what the worker's pick of due deliveries finds. */
	tu_expect_sql(app->db, "SELECT COUNT(*) = 1 FROM webhook_deliveries "
	    "WHERE status = 'pending' AND next_attempt_at <= NOW(3)");
	/* A delivered one is sent again too. */
	ck_assert_int_eq(send_json("POST", HOOKS "/1/deliveries/2/redeliver",
	    admin, NULL, &o), 202);
	ck_assert_str_eq(json_get_str(o, "status"), "pending");
	json_object_put(o);
	expect_detail("POST", HOOKS "/1/deliveries/4/redeliver", admin, NULL,
	    404, "Delivery with id 4 not found");
	expect_detail("POST", HOOKS "/1/deliveries/999999/redeliver", admin,
	    NULL, 404, "Delivery with id 999999 not found");
	expect_detail("POST", HOOKS "/999999/deliveries/4/redeliver", admin,
	    NULL, 404, "Webhook with id 999999 not found");
	/* Webhook 2's failed delivery was left alone. */
	tu_expect_sql(app->db, "SELECT status = 'failed' AND next_attempt_at > "
	    "NOW(3) FROM webhook_deliveries WHERE id = 4");
	free(admin);
}
END_TEST

/* DELETE answers 204 and takes the webhook's deliveries with it, no
 * other's; then 404. */
START_TEST(delete_cascades_deliveries)
{
	char *admin = admin_token();

	create(admin, HOOK_BODY);
	create(admin, HOOK_BODY);
	seed_deliveries();
	ck_assert_int_eq(send_json("DELETE", HOOKS "/1", admin, NULL, NULL),
	    204);
	tu_expect_sql(app->db, "SELECT COUNT(*) = 0 FROM webhook_deliveries "
	    "WHERE webhook_id = 1");
	tu_expect_sql(app->db, "SELECT COUNT(*) = 1 FROM webhook_deliveries "
	    "WHERE webhook_id = 2");
	tu_expect_sql(app->db, "SELECT COUNT(*) = 3 FROM outbox");
	expect_detail("GET", HOOKS "/1", admin, NULL, 404,
	    "Webhook with id 1 not found");
	expect_detail("DELETE", HOOKS "/1", admin, NULL, 404,
	    "Webhook with id 1 not found");
	expect_detail("GET", HOOKS "/1/deliveries", admin, NULL, 404,
	    "Webhook with id 1 not found");
	free(admin);
}
END_TEST

static Suite *
webhooks_suite(void)
{
	Suite *s = suite_create("webhooks");
	TCase *tc = tcase_create("admin api");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, admin_only);
	tcase_add_test(tc, secret_at_creation_and_rotation_only);
	tcase_add_test(tc, create_defaults);
	tcase_add_test(tc, create_refused_422);
	tcase_add_test(tc, private_targets_refused_unless_allowed);
	tcase_add_test(tc, patch_changes_given_fields);
	tcase_add_test(tc, get_and_list);
	tcase_add_test(tc, deliveries_listed_newest_first);
	tcase_add_test(tc, redeliver_makes_pending);
	tcase_add_test(tc, delete_cascades_deliveries);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(webhooks_suite(), NULL);
}
