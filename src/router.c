/*
 * router.c: the route table (routes are data: one row per endpoint) and
 * the dispatcher that does everything a handler should not repeat:
 * 404/405, authentication and role, Content-Type, body parsing and
 * validation.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "db.h"
#include "handlers.h"
#include "log.h"
#include "router.h"

#define API "/api/v1"

static const struct field_spec paging_fields[] = { PAGING_FIELDS };
const struct body_spec spec_paging = { paging_fields, PAGE__N };

const struct route routes[] = {
	/* Service banner and health. */
	{ HTTP_GET, "/", h_root, ROLE_NONE, BODY_NONE, NULL, NULL },
	{ HTTP_GET, "/healthz", h_healthz, ROLE_NONE, BODY_NONE, NULL, NULL },
	/* Prometheus; nginx lets only trusted networks reach it. */
	{ HTTP_GET, "/metrics", h_metrics, ROLE_NONE, BODY_NONE, NULL, NULL },
	/* Accounts and tokens. */
	{ HTTP_POST, API "/auth/register", h_auth_register, ROLE_NONE,
	  BODY_JSON, &spec_register, NULL },
	/* OAuth2 password flow: a form, though JSON is accepted too. */
	{ HTTP_POST, API "/auth/login", h_auth_login, ROLE_NONE,
	  BODY_FORM_OR_JSON, &spec_login, NULL },
	{ HTTP_POST, API "/auth/refresh", h_auth_refresh, ROLE_NONE,
	  BODY_JSON, &spec_refresh, NULL },
	{ HTTP_POST, API "/auth/logout", h_auth_logout, ROLE_NONE,
	  BODY_JSON, &spec_refresh, NULL },
	/* Users. */
	{ HTTP_GET, API "/users/me", h_users_me, ROLE_USER, BODY_NONE, NULL,
	  NULL },
	{ HTTP_GET, API "/users", h_users_list, ROLE_ADMIN, BODY_NONE, NULL,
	  &spec_paging },
	{ HTTP_PATCH, API "/users/{id}", h_users_patch, ROLE_ADMIN,
	  BODY_JSON, &spec_user_patch, NULL },
	/* Products. */
	{ HTTP_GET, API "/products", h_products_list, ROLE_USER, BODY_NONE,
	  NULL, &query_products_list },
	{ HTTP_POST, API "/products", h_products_create, ROLE_ADMIN,
	  BODY_JSON, &spec_product_create, NULL },
	{ HTTP_GET, API "/products/{id}", h_products_get, ROLE_USER,
	  BODY_NONE, NULL, NULL },
	{ HTTP_PUT, API "/products/{id}", h_products_update, ROLE_ADMIN,
	  BODY_JSON, &spec_product_update, NULL },
	{ HTTP_DELETE, API "/products/{id}", h_products_delete, ROLE_ADMIN,
	  BODY_NONE, NULL, NULL },
	/* Inventory. */
	{ HTTP_GET, API "/inventory", h_inventory_list, ROLE_USER, BODY_NONE,
	  NULL, &query_inventory_list },
	{ HTTP_POST, API "/inventory", h_inventory_create, ROLE_ADMIN,
	  BODY_JSON, &spec_inventory_create, NULL },
	{ HTTP_GET, API "/inventory/status/low-stock", h_inventory_low_stock,
	  ROLE_ADMIN, BODY_NONE, NULL, &spec_paging },
	/* Before /inventory/{id} as the others, though {id} takes digits
	 * only. */
	{ HTTP_GET, API "/inventory/reorder-suggestions", h_reorder_list,
	  ROLE_ADMIN, BODY_NONE, NULL, &query_reorder_list },
	{ HTTP_PATCH, API "/inventory/reorder-suggestions/{id}",
	  h_reorder_patch, ROLE_ADMIN, BODY_JSON, &spec_reorder_patch, NULL },
	{ HTTP_GET, API "/inventory/product/{id}", h_inventory_by_product,
	  ROLE_USER, BODY_NONE, NULL, NULL },
	{ HTTP_GET, API "/inventory/{id}", h_inventory_get, ROLE_USER,
	  BODY_NONE, NULL, NULL },
	{ HTTP_PUT, API "/inventory/{id}", h_inventory_update, ROLE_ADMIN,
	  BODY_JSON, &spec_inventory_update, NULL },
	{ HTTP_POST, API "/inventory/{id}/adjust", h_inventory_adjust,
	  ROLE_ADMIN, BODY_JSON, &spec_inventory_adjust, NULL },
	{ HTTP_GET, API "/inventory/{id}/movements", h_inventory_movements,
	  ROLE_ADMIN, BODY_NONE, NULL, &spec_paging },
	/* Orders. */
	{ HTTP_POST, API "/orders", h_orders_create, ROLE_USER, BODY_JSON,
	  &spec_order_create, NULL },
	{ HTTP_GET, API "/orders", h_orders_list, ROLE_USER, BODY_NONE, NULL,
	  &query_orders_list },
	/* Not an {id}: ids are digits only. */
	{ HTTP_GET, API "/orders/admin", h_orders_admin_list, ROLE_ADMIN,
	  BODY_NONE, NULL, &query_orders_admin_list },
	{ HTTP_GET, API "/orders/{id}", h_orders_get, ROLE_USER, BODY_NONE,
	  NULL, NULL },
	{ HTTP_PUT, API "/orders/{id}", h_orders_update, ROLE_ADMIN,
	  BODY_JSON, &spec_order_update, NULL },
	/* Cancels; the order itself is kept. */
	{ HTTP_DELETE, API "/orders/{id}", h_orders_cancel, ROLE_USER,
	  BODY_NONE, NULL, NULL },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

/* Length of the path segment starting at s. */
static size_t
seglen(const char *s)
{
	return strcspn(s, "/");
}

/* An {id} segment: digits only, 1..2^63-1. */
static bool
id_segment(const char *s, size_t len, int64_t *out)
{
	char tmp[32];
	size_t i;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return str_to_i64(tmp, 1, INT64_MAX, out);
}

bool
router_match(const char *pattern, const char *path, int64_t *ids,
    size_t *nids)
{
	size_t n = 0;

	for (;;) {
		size_t pl, sl;

		if (*pattern != *path)	/* both '/' or both end */
			return false;
		if (*pattern == '\0')
			break;
		pattern++;
		path++;
		pl = seglen(pattern);
		sl = seglen(path);
		if (pl == 4 && strncmp(pattern, "{id}", 4) == 0) {
			if (n == HTTP_MAX_PARAMS ||
			    !id_segment(path, sl, &ids[n]))
				return false;
			n++;
		} else if (pl != sl || strncmp(pattern, path, pl) != 0)
			return false;
		pattern += pl;
		path += sl;
	}
	*nids = n;
	return true;
}

/*
 * Finds the route for req; HEAD takes the GET route of the path. Returns
 * it, or NULL having replied 404 (no path matched) or 405 with an Allow
 * header naming every method the path has, HEAD with GET.
 */
static const struct route *
route_or_reply(struct http_req *req, struct http_resp *resp)
{
	const struct route *found = NULL;
	unsigned allowed = 0;	/* bit per enum http_method */
	char allow[128] = "";
	int64_t ids[HTTP_MAX_PARAMS];
	enum http_method want = req->method == HTTP_HEAD ? HTTP_GET :
	    req->method;
	size_t i, nids;
	int m;

	for (i = 0; i < nroutes; i++) {
		if (!router_match(routes[i].pattern, req->path, ids, &nids))
			continue;
		allowed |= 1u << routes[i].method;
		if (routes[i].method == HTTP_GET)
			allowed |= 1u << HTTP_HEAD;
		if (routes[i].method == want && found == NULL) {
			found = &routes[i];
			memcpy(req->ids, ids, sizeof(ids));
			req->nids = nids;
		}
	}
	if (found != NULL)
		return found;
	if (allowed == 0) {
		http_reply_msg(resp, MSG_NOT_FOUND);
		return NULL;
	}
	for (m = 0; m < HTTP__MAX; m++)
		if (allowed & (1u << m))
			snprintf(allow + strlen(allow), sizeof(allow) -
			    strlen(allow), "%s%s", allow[0] != '\0' ? ", " : "",
			    http_method_name((enum http_method)m));
	http_reply_msg(resp, MSG_METHOD_NOT_ALLOWED);
	http_resp_header(resp, "Allow", allow);
	return NULL;
}

/* A plain read of a user route trusts the token's signature alone, for
 * at most its lifetime (README, ACCOUNTS AND TOKENS). */
bool
route_reads_user(const struct route *r, enum http_method m)
{
	/* order_create (schema/) checks the caller in the order's own
	 * round trip to MariaDB. */
	if (r->handler == h_orders_create)
		return false;
	return r->role == ROLE_ADMIN || (r->role != ROLE_NONE &&
	    (m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH ||
	    m == HTTP_DELETE));
}

void
caller_reply_refused(struct http_resp *resp, enum caller_refusal why)
{
	switch (why) {
	case CALLER_INACTIVE:
		http_reply_msg(resp, MSG_INACTIVE_USER);
		break;
	case CALLER_NOT_ADMIN:
		http_reply_msg(resp, MSG_NOT_ENOUGH_PERMISSIONS);
		break;
	default:
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
		break;
	}
}

/*
 * The caller's current row against its token, with one primary-key read:
 * no such user 401, inactive 400, not an admin where need_admin 403 (the
 * original service's order), then a token issued before the user's last
 * change of role or status 401. Returns false having replied; else
 * *is_admin is the row's role.
 */
static bool
principal_check(struct app *app, const struct principal *who,
    bool need_admin, bool *is_admin, struct http_resp *resp)
{
	struct db_val p = DB_INT(who->user_id);
	struct db_res *res = NULL;
	enum inv_err rc;
	bool ok = false;

	if ((rc = db_exec(app->db, STMT_USER_AUTH, &p, 1, &res, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		caller_reply_refused(resp, CALLER_GONE);
	else if (!db_res_bool(res, 0, USER_AUTH_COL_IS_ACTIVE))
		caller_reply_refused(resp, CALLER_INACTIVE);
	else if (need_admin && !db_res_bool(res, 0, USER_AUTH_COL_IS_ADMIN))
		caller_reply_refused(resp, CALLER_NOT_ADMIN);
	else if (db_res_int(res, 0, USER_AUTH_COL_TOKEN_VERSION) !=
	    who->token_version)
		caller_reply_refused(resp, CALLER_STALE);
	else {
		*is_admin = db_res_bool(res, 0, USER_AUTH_COL_IS_ADMIN);
		ok = true;
	}
	db_res_free(res);
	return ok;
}

bool
principal_admin_or_reply(struct app *app, const struct http_req *req,
    struct http_resp *resp)
{
	bool admin = req->principal.is_admin;

	if (!req->principal.current)
		return principal_check(app, &req->principal, true, &admin,
		    resp);
	if (!admin)
		http_reply_msg(resp, MSG_NOT_ENOUGH_PERMISSIONS);
	return admin;
}

bool
principal_current_or_reply(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	if (req->principal.current)
		return true;
	if (!principal_check(app, &req->principal, false,
	    &req->principal.is_admin, resp))
		return false;
	req->principal.current = true;
	return true;
}

/*
 * Fills req->principal from a Bearer access token when the route needs
 * one. Returns false having replied 401 or 403. Signature and claims
 * only: the caller's row is current_or_reply's.
 */
static bool
auth_or_reply(struct app *app, const struct route *r, struct http_req *req,
    struct http_resp *resp)
{
	struct token_claims claims;
	const char *tok;

	if (r->role == ROLE_NONE)
		return true;
	tok = req->authorization;
	if (tok == NULL || strncasecmp(tok, "Bearer ", 7) != 0) {
		http_reply_msg(resp, MSG_NOT_AUTHENTICATED);
		return false;
	}
	tok += 7;
	while (*tok == ' ')
		tok++;
	if (auth_token_verify(app->cfg, tok, TOKEN_ACCESS, time(NULL),
	    &claims) != INV_OK) {
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
		return false;
	}
	req->principal.authenticated = true;
	req->principal.user_id = claims.user_id;
	req->principal.is_admin = claims.is_admin;
	req->principal.token_version = claims.version;
	/* A token that never had the role needs no read to be refused. */
	if (r->role == ROLE_ADMIN && !claims.is_admin) {
		http_reply_msg(resp, MSG_NOT_ENOUGH_PERMISSIONS);
		return false;
	}
	return true;
}

/*
 * Where route_reads_user says so, the caller's current row decides
 * (principal_check) and the role becomes the row's. Last before the
 * handler: a request refused for its own faults (422, 415) costs no read.
 * Returns false having replied 400, 401, 403, or 500/503 when the row
 * cannot be read.
 */
static bool
current_or_reply(struct app *app, const struct route *r,
    struct http_req *req, struct http_resp *resp)
{
	if (!route_reads_user(r, req->method))
		return true;
	if (!principal_check(app, &req->principal, r->role == ROLE_ADMIN,
	    &req->principal.is_admin, resp))
		return false;
	req->principal.current = true;
	return true;
}

/* The 422 entry of each enum http_param_fault. */
static const enum msg_id param_faults[PARAM__MAX] = {
	[PARAM_OK] = MSG_INTERNAL,
	[PARAM_BAD_ESCAPE] = MSG_PERCENT_ENCODING,
	[PARAM_NOT_TEXT] = MSG_PARAM_NOT_TEXT,
	[PARAM_REPEATED] = MSG_PARAM_REPEATED,
};

/*
 * The query string: every pair decodes and no name comes twice, whether
 * or not the route reads it (names it does not read are ignored, as
 * FastAPI does); then the route's parameters are checked against its
 * query spec into vals. Returns false having replied 422, one detail per
 * faulty name.
 */
static bool
query_or_reply(const struct route *r, struct http_req *req,
    struct field_val *vals, struct http_resp *resp)
{
	struct json_object *details = NULL;
	const struct http_param *p;
	size_t i;

	for (i = 0; i < req->nparams; i++) {
		p = &req->params[i];
		if (p->fault != PARAM_OK && (unsigned)p->fault < PARAM__MAX)
			detail_add(&details, "query", p->name,
			    param_faults[p->fault], NULL, 0);
	}
	if (details == NULL && r->query != NULL)
		details = validate_query(req->params, req->nparams, r->query,
		    vals);
	if (details == NULL) {
		req->query_vals = vals;
		return true;
	}
	http_reply_422(resp, details);
	return false;
}

/* True when the Content-Type's media type (parameters ignored) is mt. */
static bool
media_type_is(const char *ct, const char *mt)
{
	size_t n = strlen(mt);

	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, mt, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Turns a form body into a JSON object of strings (new), or NULL. */
static struct json_object *
form_to_json(const struct http_req *req)
{
	struct http_param *p;
	struct json_object *obj;
	size_t i, n;

	if (!http_form_decode(req->body, req->body_len, &p, &n))
		return NULL;
	obj = json_object_new_object();
	for (i = 0; i < n; i++)
		json_object_object_add(obj, p[i].name,
		    json_object_new_string(p[i].value));
	http_params_free(p, n);
	return obj;
}

/*
 * Parses and validates the body as the route declares. Returns false
 * having replied 415 or 422.
 */
static bool
body_or_reply(const struct route *r, struct http_req *req,
    struct field_val *vals, struct http_resp *resp)
{
	struct json_object *details = NULL, *obj = NULL;
	const char *ct = req->content_type, *why;
	bool form;

	if (r->body == BODY_NONE)
		return true;
	form = r->body == BODY_FORM_OR_JSON && ct != NULL &&
	    media_type_is(ct, "application/x-www-form-urlencoded");
	if (!form && ct != NULL && *ct != '\0' &&
	    !media_type_is(ct, "application/json")) {
		http_reply_msg(resp, MSG_UNSUPPORTED_MEDIA_TYPE);
		return false;
	}
	if (req->body_len == 0 && !form)
		detail_add(&details, "body", NULL, MSG_FIELD_REQUIRED, NULL, 0);
	else if (form && (obj = form_to_json(req)) == NULL)
		detail_add(&details, "body", NULL, MSG_FORM_ENCODING, NULL, 0);
	else if (!form && !json_parse_strict(req->body, req->body_len, &obj,
	    &why))
		/* why is a text of the table, its type jsondecode. */
		json_detail_add(&details, "body", NULL, why,
		    msg_get(MSG_JSON_SYNTAX)->type);
	else if (r->spec != NULL)
		details = validate_body_vals(obj, r->spec, vals);
	req->json = obj;
	if (details == NULL) {
		req->body_vals = vals;
		return true;
	}
	http_reply_422(resp, details);
	return false;
}

/*
 * The elements of the body's arrays (the items of an order) against
 * their spec, after the caller's row: the contract answers a refused
 * caller before faulty items, as it always has, also where the handler
 * reads the row itself (POST /orders). Returns false having replied 422,
 * or the caller's refusal.
 */
static bool
elements_or_reply(struct app *app, const struct route *r,
    struct http_req *req, struct field_val *vals, struct http_resp *resp)
{
	struct json_object *details;

	if (r->spec == NULL || req->json == NULL ||
	    (details = validate_elements(req->json, r->spec, vals)) == NULL)
		return true;
	if (!req->principal.authenticated ||
	    principal_current_or_reply(app, req, resp))
		http_reply_422(resp, details);
	else
		json_object_put(details);
	return false;
}

/* HEAD answers as GET does, every reply included (404, 405, 401, ...);
 * the FastCGI layer leaves the body out. */
void
router_dispatch(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct field_val qv[ROUTE_MAX_FIELDS], bv[ROUTE_MAX_FIELDS];
	const struct route *r;

	resp->omit_body = req->method == HTTP_HEAD;
	if ((r = route_or_reply(req, resp)) == NULL)
		return;
	req->route = r;
	memset(qv, 0, sizeof(qv));
	memset(bv, 0, sizeof(bv));
	if (auth_or_reply(app, r, req, resp) &&
	    query_or_reply(r, req, qv, resp) &&
	    body_or_reply(r, req, bv, resp) &&
	    current_or_reply(app, r, req, resp) &&
	    elements_or_reply(app, r, req, bv, resp)) {
		r->handler(app, req, resp);
		if (resp->status == 0) {
			/* A handler that forgot to reply is a bug, not a
			 * success. */
			log_error("%s %s: handler set no reply",
			    http_method_name(req->method), r->pattern);
			http_reply_500(resp);
		}
	}
	field_vals_free(bv, r->spec != NULL ? r->spec->nfields : 0);
	req->query_vals = req->body_vals = NULL;
}

/* FNV-1a of a cursor's path and key: what tells a cursor we made from
 * one changed on the way. */
static uint64_t
cursor_sum(const char *path, const char *key, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	h = (h ^ '\n') * UINT64_C(1099511628211);
	for (p = (const unsigned char *)key; len-- > 0; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return h;
}

void
page_cursor(const char *path, const char *time, int64_t id,
    char out[PAGE_CURSOR_MAX + 1])
{
	char key[PAGE_TIME_MAX + 24];
	size_t i, n;
	int len;

	len = snprintf(key, sizeof(key), "%s%s%" PRId64, time != NULL ? time :
	    "", time != NULL && *time != '\0' ? "," : "", id);
	n = 0;
	for (i = 0; i < (size_t)len; i++)
		n += (size_t)snprintf(out + n, PAGE_CURSOR_MAX + 1 - n, "%02x",
		    (unsigned char)key[i]);
	snprintf(out + n, PAGE_CURSOR_MAX + 1 - n, ".%016" PRIx64,
	    cursor_sum(path, key, (size_t)len));
}

/* A DATETIME as MariaDB writes it: "YYYY-MM-DD HH:MM:SS". */
static bool
cursor_time_valid(const char *t, size_t len)
{
	static const char form[] = "0000-00-00 00:00:00";
	size_t i;

	if (len != sizeof(form) - 1)
		return false;
	for (i = 0; i < len; i++)
		if (form[i] == '0' ? !is_ascii_digit((unsigned char)t[i]) :
		    t[i] != form[i])
			return false;
	return true;
}

/* Hex digit value, -1 for anything else (upper case included: we write
 * lower case only). */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads cursor text made by page_cursor() for path into pg. */
static bool
cursor_parse(const char *path, const char *text, struct page *pg)
{
	char key[PAGE_TIME_MAX + 24], sum[17], *comma;
	const char *dot = strchr(text, '.');
	size_t i, hexlen, n;
	int hi, lo;

	if (dot == NULL || strlen(dot + 1) != 16)
		return false;
	hexlen = (size_t)(dot - text);
	if (hexlen == 0 || hexlen % 2 != 0 || hexlen / 2 >= sizeof(key))
		return false;
	for (i = 0, n = 0; i < hexlen; i += 2) {
		if ((hi = hexval(text[i])) < 0 || (lo = hexval(text[i + 1])) < 0)
			return false;
		key[n++] = (char)(hi * 16 + lo);
	}
	key[n] = '\0';
	snprintf(sum, sizeof(sum), "%016" PRIx64, cursor_sum(path, key, n));
	if (strlen(key) != n || strcmp(sum, dot + 1) != 0)
		return false;
	pg->after_time[0] = '\0';
	if ((comma = strchr(key, ',')) != NULL) {
		if (!cursor_time_valid(key, (size_t)(comma - key)))
			return false;
		memcpy(pg->after_time, key, (size_t)(comma - key));
		pg->after_time[comma - key] = '\0';
	}
	return str_to_i64(comma != NULL ? comma + 1 : key, 1, INT64_MAX,
	    &pg->after_id);
}

bool
paging_or_422(const struct http_req *req, struct http_resp *resp,
    struct page *pg)
{
	const struct field_val *q = req->query_vals;
	struct json_object *details = NULL;
	const char *after = q[PAGE_AFTER].s;

	memset(pg, 0, sizeof(*pg));
	pg->skip = q[PAGE_SKIP].i;
	pg->limit = q[PAGE_LIMIT].i;
	if (after != NULL) {
		pg->after = true;
		if (strlen(after) > PAGE_CURSOR_MAX ||
		    !cursor_parse(req->path, after, pg))
			detail_add(&details, "query", "after",
			    MSG_CURSOR_INVALID, NULL, 0);
		else if (pg->skip > 0)
			detail_add(&details, "query", "skip", MSG_CURSOR_SKIP,
			    NULL, 0);
	}
	if (details != NULL) {
		http_reply_422(resp, details);
		return false;
	}
	return true;
}
