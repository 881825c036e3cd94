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

const struct route routes[] = {
	/* Service banner and health. */
	{ HTTP_GET, "/", h_root, ROLE_NONE, BODY_NONE, NULL },
	{ HTTP_GET, "/healthz", h_healthz, ROLE_NONE, BODY_NONE, NULL },
	/* Prometheus; nginx lets only trusted networks reach it. */
	{ HTTP_GET, "/metrics", h_metrics, ROLE_NONE, BODY_NONE, NULL },
	/* Accounts and tokens. */
	{ HTTP_POST, API "/auth/register", h_auth_register, ROLE_NONE,
	  BODY_JSON, &spec_register },
	/* OAuth2 password flow: a form, though JSON is accepted too. */
	{ HTTP_POST, API "/auth/login", h_auth_login, ROLE_NONE,
	  BODY_FORM_OR_JSON, &spec_login },
	{ HTTP_POST, API "/auth/refresh", h_auth_refresh, ROLE_NONE,
	  BODY_JSON, &spec_refresh },
	{ HTTP_POST, API "/auth/logout", h_auth_logout, ROLE_NONE,
	  BODY_JSON, &spec_refresh },
	/* Users. */
	{ HTTP_GET, API "/users/me", h_users_me, ROLE_USER, BODY_NONE, NULL },
	{ HTTP_GET, API "/users", h_users_list, ROLE_ADMIN, BODY_NONE, NULL },
	{ HTTP_PATCH, API "/users/{id}", h_users_patch, ROLE_ADMIN,
	  BODY_JSON, &spec_user_patch },
	/* Products. */
	{ HTTP_GET, API "/products", h_products_list, ROLE_USER, BODY_NONE,
	  NULL },
	{ HTTP_POST, API "/products", h_products_create, ROLE_ADMIN,
	  BODY_JSON, &spec_product_create },
	{ HTTP_GET, API "/products/{id}", h_products_get, ROLE_USER,
	  BODY_NONE, NULL },
	{ HTTP_PUT, API "/products/{id}", h_products_update, ROLE_ADMIN,
	  BODY_JSON, &spec_product_update },
	{ HTTP_DELETE, API "/products/{id}", h_products_delete, ROLE_ADMIN,
	  BODY_NONE, NULL },
	/* Inventory. */
	{ HTTP_GET, API "/inventory", h_inventory_list, ROLE_USER, BODY_NONE,
	  NULL },
	{ HTTP_POST, API "/inventory", h_inventory_create, ROLE_ADMIN,
	  BODY_JSON, &spec_inventory_create },
	{ HTTP_GET, API "/inventory/status/low-stock", h_inventory_low_stock,
	  ROLE_ADMIN, BODY_NONE, NULL },
	{ HTTP_GET, API "/inventory/product/{id}", h_inventory_by_product,
	  ROLE_USER, BODY_NONE, NULL },
	{ HTTP_GET, API "/inventory/{id}", h_inventory_get, ROLE_USER,
	  BODY_NONE, NULL },
	{ HTTP_PUT, API "/inventory/{id}", h_inventory_update, ROLE_ADMIN,
	  BODY_JSON, &spec_inventory_update },
	{ HTTP_POST, API "/inventory/{id}/adjust", h_inventory_adjust,
	  ROLE_ADMIN, BODY_JSON, &spec_inventory_adjust },
	{ HTTP_GET, API "/inventory/{id}/movements", h_inventory_movements,
	  ROLE_ADMIN, BODY_NONE, NULL },
	/* Orders. */
	{ HTTP_POST, API "/orders", h_orders_create, ROLE_USER, BODY_JSON,
	  &spec_order_create },
	{ HTTP_GET, API "/orders", h_orders_list, ROLE_USER, BODY_NONE, NULL },
	/* Not an {id}: ids are digits only. */
	{ HTTP_GET, API "/orders/admin", h_orders_admin_list, ROLE_ADMIN,
	  BODY_NONE, NULL },
	{ HTTP_GET, API "/orders/{id}", h_orders_get, ROLE_USER, BODY_NONE,
	  NULL },
	{ HTTP_PUT, API "/orders/{id}", h_orders_update, ROLE_ADMIN,
	  BODY_JSON, &spec_order_update },
	/* Cancels; the order itself is kept. */
	{ HTTP_DELETE, API "/orders/{id}", h_orders_cancel, ROLE_USER,
	  BODY_NONE, NULL },
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
		http_reply_detail(resp, 404, "Not Found");
		return NULL;
	}
	for (m = 0; m < HTTP__MAX; m++)
		if (allowed & (1u << m))
			snprintf(allow + strlen(allow), sizeof(allow) -
			    strlen(allow), "%s%s", allow[0] != '\0' ? ", " : "",
			    http_method_name((enum http_method)m));
	http_reply_detail(resp, 405, "Method Not Allowed");
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
		http_reply_detail(resp, 400, "Inactive user");
		break;
	case CALLER_NOT_ADMIN:
		http_reply_detail(resp, 403, "Not enough permissions");
		break;
	default:
		http_reply_401(resp, "Could not validate credentials");
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
		http_reply_detail(resp, 403, "Not enough permissions");
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
		http_reply_401(resp, "Not authenticated");
		return false;
	}
	tok += 7;
	while (*tok == ' ')
		tok++;
	if (auth_token_verify(app->cfg, tok, TOKEN_ACCESS, time(NULL),
	    &claims) != INV_OK) {
		http_reply_401(resp, "Could not validate credentials");
		return false;
	}
	req->principal.authenticated = true;
	req->principal.user_id = claims.user_id;
	req->principal.is_admin = claims.is_admin;
	req->principal.token_version = claims.version;
	/* A token that never had the role needs no read to be refused. */
	if (r->role == ROLE_ADMIN && !claims.is_admin) {
		http_reply_detail(resp, 403, "Not enough permissions");
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

/* The 422 detail of each enum http_param_fault. */
static const struct {
	const char	*msg;
	const char	*type;
} param_faults[PARAM__MAX] = {
	/* PARAM_OK */
	{ NULL, NULL },
	/* PARAM_BAD_ESCAPE */
	{ "invalid percent-encoding: '%' must be followed by two hexadecimal "
	    "digits", "value_error.percent_encoding" },
	/* PARAM_NOT_TEXT */
	{ "value must decode to UTF-8 text without NUL characters",
	    "value_error.str.encoding" },
	/* PARAM_REPEATED */
	{ "parameter given more than once", "value_error.repeated" },
};

/*
 * The query string as a whole: every pair decodes and no name comes
 * twice, whether or not the route reads it (names it does not read are
 * ignored, as FastAPI does). Returns false having replied 422, one
 * detail per faulty name. The values themselves are the handler's to
 * check.
 */
static bool
query_or_reply(const struct http_req *req, struct http_resp *resp)
{
	struct json_object *details = NULL;
	const struct http_param *p;
	size_t i;

	for (i = 0; i < req->nparams; i++) {
		p = &req->params[i];
		if (p->fault != PARAM_OK && (unsigned)p->fault < PARAM__MAX)
			json_detail_add(&details, "query", p->name,
			    param_faults[p->fault].msg,
			    param_faults[p->fault].type);
	}
	if (details == NULL)
		return true;
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
    struct http_resp *resp)
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
		http_reply_detail(resp, 415, "Unsupported Media Type");
		return false;
	}
	if (req->body_len == 0 && !form) {
		json_detail_add(&details, "body", NULL, "field required",
		    "value_error.missing");
		http_reply_422(resp, details);
		return false;
	}
	if (form) {
		if ((obj = form_to_json(req)) == NULL) {
			json_detail_add(&details, "body", NULL,
			    "invalid form encoding", "value_error.form");
			http_reply_422(resp, details);
			return false;
		}
	} else if (!json_parse_strict(req->body, req->body_len, &obj, &why)) {
		json_detail_add(&details, "body", NULL, why,
		    "value_error.jsondecode");
		http_reply_422(resp, details);
		return false;
	}
	if (r->spec != NULL && (details = validate_body(obj, r->spec)) != NULL) {
		json_object_put(obj);
		http_reply_422(resp, details);
		return false;
	}
	req->json = obj;
	return true;
}

/* HEAD answers as GET does, every reply included (404, 405, 401, ...);
 * the FastCGI layer leaves the body out. */
void
router_dispatch(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct route *r;

	resp->omit_body = req->method == HTTP_HEAD;
	if ((r = route_or_reply(req, resp)) == NULL)
		return;
	req->route = r;
	if (auth_or_reply(app, r, req, resp) && query_or_reply(req, resp) &&
	    body_or_reply(r, req, resp) &&
	    current_or_reply(app, r, req, resp)) {
		r->handler(app, req, resp);
		if (resp->status == 0) {
			/* A handler that forgot to reply is a bug, not a
			 * success. */
			log_error("%s %s: handler set no reply",
			    http_method_name(req->method), r->pattern);
			http_reply_500(resp);
		}
	}
}

bool
query_int(const struct http_req *req, const char *name, int64_t def,
    int64_t min, int64_t max, int64_t *out, struct json_object **details)
{
	const char *v = http_query_get(req, name);
	char msg[96];
	int64_t x;

	*out = def;
	if (v == NULL)
		return true;
	if (!str_to_i64(v, INT64_MIN, INT64_MAX, &x)) {
		json_detail_add(details, "query", name,
		    "value is not a valid integer", "type_error.integer");
		return false;
	}
	if (x < min) {
		snprintf(msg, sizeof(msg), "ensure this value is greater than "
		    "or equal to %lld", (long long)min);
		json_detail_add(details, "query", name, msg,
		    "value_error.number.not_ge");
		return false;
	}
	if (x > max) {
		snprintf(msg, sizeof(msg), "ensure this value is less than "
		    "or equal to %lld", (long long)max);
		json_detail_add(details, "query", name, msg,
		    "value_error.number.not_le");
		return false;
	}
	*out = x;
	return true;
}

bool
query_bool(const struct http_req *req, const char *name, bool *out,
    bool *present, struct json_object **details)
{
	const char *v = http_query_get(req, name);

	if (present != NULL)
		*present = v != NULL;
	if (v == NULL)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else {
		json_detail_add(details, "query", name,
		    "value could not be parsed to a boolean", "type_error.bool");
		return false;
	}
	return true;
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
	struct json_object *details = NULL;
	const char *after = http_query_get(req, "after");

	memset(pg, 0, sizeof(*pg));
	query_int(req, "skip", 0, 0, INT64_MAX, &pg->skip, &details);
	query_int(req, "limit", 100, 1, 1000, &pg->limit, &details);
	if (after != NULL) {
		pg->after = true;
		if (strlen(after) > PAGE_CURSOR_MAX ||
		    !cursor_parse(req->path, after, pg))
			json_detail_add(&details, "query", "after",
			    "invalid cursor: use the Link of the page before",
			    "value_error.cursor");
		else if (pg->skip > 0)
			json_detail_add(&details, "query", "skip",
			    "skip cannot be combined with after",
			    "value_error.cursor_skip");
	}
	if (details != NULL) {
		http_reply_422(resp, details);
		return false;
	}
	return true;
}
