/*
 * testapp.c: what the integration suites share: an app with real
 * connections, a clean database, and requests through the router.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "queue.h"
#include "redis_conn.h"
#include "router.h"
#include "testutil.h"

bool
tu_have_services(void)
{
	const char *v = getenv("INVENTORY_TEST_SERVICES");

	return v != NULL && strcmp(v, "1") == 0;
}

void
tu_need_services(void)
{
	if (!tu_have_services()) {
		fprintf(stderr, "skipped: needs MariaDB and Redis "
		    "(run tools/devstack test)\n");
		exit(77);
	}
}

struct app *
tu_app_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct app *app = xcalloc(1, sizeof(*app));

	tu_need_services();
	/* A failure, not an exit: in a race's child an exit status would
	 * say less (and once said nothing, read as a result). */
	ck_assert_msg(config_startup(cfg, NULL, "test config"),
	    "test config: cannot load");
	app->cfg = cfg;
	app->tokens = token_memo_new(cfg);
	ck_assert_msg(db_open(&app->db, cfg) == INV_OK &&
	    cache_open(&app->cache, cfg) == INV_OK &&
	    queue_open(&app->queue, cfg) == INV_OK,
	    "test: cannot open connections");
	/* db_open connects on first use: connect now. */
	ck_assert_msg(db_ping(app->db) == INV_OK, "test: cannot reach MariaDB");
	return app;
}

struct app **tu_child_app;

void
tu_child_connect(int i)
{
	(void)i;
	*tu_child_app = tu_app_new();
}

void
tu_app_free(struct app *app)
{
	struct config *cfg = (struct config *)app->cfg;

	queue_close(app->queue);
	db_close(app->db);
	cache_close(app->cache);
	token_memo_free(app->tokens);
	config_free(cfg);
	free(cfg);
	free(app);
}

static struct app *shared_app;
static struct db *owner_db;	/* tu_owner_db's: keeps the config of
				   the app it was opened with */

struct app *
tu_app(void)
{
	if (shared_app == NULL)
		shared_app = tu_app_new();
	return shared_app;
}

void
tu_app_reload(void)
{
	db_close(owner_db);
	owner_db = NULL;
	if (shared_app != NULL)
		tu_app_free(shared_app);
	shared_app = NULL;
}

struct db *
tu_owner_db(struct app *app)
{
	char *why = NULL;

	if (owner_db == NULL && db_open_owner(&owner_db, app->cfg, &why) !=
	    INV_OK)
		ck_abort_msg("test: schema owner: %s", why);
	return owner_db;
}

void
tu_reset_db(struct app *app)
{
	/* Test-only script: the statement table holds no TRUNCATE, and
	 * the service's account may not run one (it drops the table). */
	ck_assert_int_eq(db_exec_script(tu_owner_db(app),
	    "SET FOREIGN_KEY_CHECKS = 0;"
	    "TRUNCATE TABLE stock_movements;"
	    "TRUNCATE TABLE order_items;"
	    "TRUNCATE TABLE orders;"
	    "TRUNCATE TABLE inventory;"
	    "TRUNCATE TABLE products;"
	    "TRUNCATE TABLE idempotency_keys;"
	    "TRUNCATE TABLE refresh_tokens;"
	    "TRUNCATE TABLE users;"
	    "TRUNCATE TABLE webhook_deliveries;"
	    "TRUNCATE TABLE webhooks;"
	    "TRUNCATE TABLE outbox;"
	    "TRUNCATE TABLE reorder_suggestions;"
	    /* TRUNCATE fires no trigger: the counts go with the rows. */
	    "TRUNCATE TABLE list_counts;"
	    "TRUNCATE TABLE order_counts;"
	    "TRUNCATE TABLE category_counts;"
	    "SET FOREIGN_KEY_CHECKS = 1"), INV_OK);
	tu_redis(app, "FLUSHDB");
}

struct redisContext *
tu_redis_connect(const struct redis_settings *set)
{
	struct redis_settings slow = *set;
	struct redis_target t;
	redisContext *c;

	memset(&t, 0, sizeof(t));
	slow.connect_timeout_ms = slow.command_timeout_ms = 5000;
	redis_target_init(&t, "test redis", &slow);
	c = redis_conn_open(&t);
	redis_target_clear(&t);
	ck_assert_msg(c != NULL, "cannot reach Redis (the log says why)");
	return c;
}

void
tu_sql(struct db *db, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	ck_assert_msg(db_exec_script(db, s) == INV_OK, "SQL failed: %s", s);
	free(s);
}

void
tu_expect_sql(struct db *db, const char *fmt, ...)
{
	va_list ap;
	char *cond, *s;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&cond, fmt, ap), 0);
	va_end(ap);
	s = xasprintf("BEGIN NOT ATOMIC IF NOT COALESCE((%s), FALSE) THEN "
	    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tu_expect_sql'; "
	    "END IF; END", cond);
	ck_assert_msg(db_exec_script(db, s) == INV_OK, "does not hold: %s",
	    cond);
	free(s);
	free(cond);
}

void
tu_redis(struct app *app, const char *fmt, ...)
{
	redisContext *c = tu_redis_connect(&app->cfg->redis);
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r != NULL, "redis %s: %s", fmt, c->errstr);
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "redis %s: %s", fmt,
	    r->str);
	freeReplyObject(r);
	redisFree(c);
}

void
tu_request(struct app *app, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    struct http_resp *resp)
{
	tu_request_key(app, method, path, token, content_type, body, NULL,
	    resp);
}

void
tu_request_key(struct app *app, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    const char *idempotency_key, struct http_resp *resp)
{
	struct http_req req;
	const char *q = strchr(path, '?');

	http_req_init(&req);
	http_resp_init(resp);
	req.method = http_method_parse(method);
	req.path = q != NULL ? xstrndup(path, (size_t)(q - path)) :
	    xstrdup(path);
	req.query = q != NULL ? xstrdup(q + 1) : NULL;
	req.content_type = content_type != NULL ? xstrdup(content_type) : NULL;
	req.authorization = token != NULL ? xasprintf("Bearer %s", token) :
	    NULL;
	req.request_id = xstrdup("test");
	if (idempotency_key != NULL)
		req.idempotency_key = xstrdup(idempotency_key);
	if (body != NULL) {
		req.body = xstrdup(body);
		req.body_len = strlen(body);
	}
	http_req_finish(&req);
	router_dispatch(app, &req, resp);
	http_req_free(&req);
}

struct json_object *
tu_json(const struct http_resp *resp)
{
	struct json_object *o = NULL;
	const char *why;

	ck_assert_msg(resp->body != NULL, "response has no body");
	ck_assert_msg(json_parse_strict(resp->body, resp->body_len, &o, &why),
	    "response is not JSON (%s): %s", why, resp->body);
	return o;
}

void
tu_expect_422(const struct http_resp *resp, const char *where,
    const char *name, const char *type)
{
	struct json_object *o, *d, *loc;

	ck_assert_msg(resp->status == 422, "status %d: %s", resp->status,
	    resp->body != NULL ? resp->body : "");
	o = tu_json(resp);
	d = json_object_array_get_idx(json_object_object_get(o, "detail"), 0);
	loc = json_object_object_get(d, "loc");
	ck_assert_int_eq(json_object_array_length(loc), 2);
	ck_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(loc, 0)), where);
	ck_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(loc, 1)), name);
	ck_assert_ptr_nonnull(json_get_str(d, "msg"));
	if (type != NULL)
		ck_assert_str_eq(json_get_str(d, "type"), type);
	json_object_put(o);
}

void
tu_expect_query_422(struct app *app, const char *path, const char *token,
    const char *name, const char *type)
{
	struct http_resp resp;

	tu_request(app, "GET", path, token, NULL, NULL, &resp);
	ck_assert_msg(resp.status == 422, "GET %s: status %d", path,
	    resp.status);
	tu_expect_422(&resp, "query", name, type);
	http_resp_free(&resp);
}

int
tu_send(struct app *app, const char *method, const char *path,
    const char *token, const char *body, const char *idempotency_key,
    struct http_resp *resp)
{
	tu_request_key(app, method, path, token,
	    body != NULL ? "application/json" : NULL, body, idempotency_key,
	    resp);
	ck_assert_msg(resp->status != 500 && resp->status != 0,
	    "%s %s: status %d (%s)", method, path, resp->status,
	    resp->body != NULL ? resp->body : "");
	return resp->status;
}

int
tu_call(struct app *app, const char *method, const char *path,
    const char *token, const char *body, const char *idempotency_key,
    struct json_object **out, int64_t *total, char **raw)
{
	struct http_resp resp;
	const char *tc;
	int status = tu_send(app, method, path, token, body, idempotency_key,
	    &resp);

	if (out != NULL)
		*out = resp.body != NULL ? tu_json(&resp) : NULL;
	if (total != NULL) {
		tc = http_resp_get_header(&resp, "X-Total-Count");
		*total = tc != NULL ? strtoll(tc, NULL, 10) : -1;
	}
	if (raw != NULL)
		*raw = resp.body != NULL ? xstrndup(resp.body, resp.body_len) :
		    NULL;
	http_resp_free(&resp);
	return status;
}

const char *
tu_detail(struct json_object *o)
{
	return json_get_str(o, "detail");
}

int64_t
tu_jint(struct json_object *o, const char *name)
{
	int64_t v = -1;

	ck_assert_msg(json_get_int(o, name, &v), "no integer %s", name);
	return v;
}

int64_t
tu_insert_user(struct app *a, const char *email, bool is_admin)
{
	struct db_val p[4] = { DB_STR(email), DB_STR("Test User"),
	    DB_STR("not-a-hash"), DB_INT(is_admin) };
	uint64_t id;

	ck_assert_int_eq(db_exec(a->db, STMT_USER_INSERT, p, 4, NULL, NULL,
	    &id), INV_OK);
	return (int64_t)id;
}

char *
tu_token_for(struct app *a, int64_t uid, bool is_admin)
{
	char jti[AUTH_JTI_LEN + 1], *t = NULL;

	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(a->cfg, TOKEN_ACCESS, uid, is_admin,
	    0, jti, time(NULL), &t), INV_OK);
	return t;
}

void
tu_admin_and_user(struct app *a, int64_t *admin_id, char **admin,
    int64_t *user_id, char **user)
{
	*admin_id = tu_insert_user(a, "admin@example.com", true);
	*user_id = tu_insert_user(a, "user@example.com", false);
	*admin = tu_token_for(a, *admin_id, true);
	*user = tu_token_for(a, *user_id, false);
}
