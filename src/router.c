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
#include "caller.h"
#include "handlers.h"
#include "log.h"
#include "paging.h"
#include "router.h"

#define API "/api/v1"

/*
 * A row leaves out the fields after its last one that is not zero (the
 * flags, on most rows): they are zero, and -Wextra's warning about it
 * would make every row spell them.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
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
	/* Orders. order_create (schema/) checks the caller in the
	 * order's own round trip to MariaDB. */
	{ HTTP_POST, API "/orders", h_orders_create, ROLE_USER, BODY_JSON,
	  &spec_order_create, NULL, RF_CALLER_SELF },
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
	/* Webhooks: subscriptions to events, and their deliveries. */
	{ HTTP_POST, API "/webhooks", h_webhooks_create, ROLE_ADMIN,
	  BODY_JSON, &spec_webhook_create, NULL },
	{ HTTP_GET, API "/webhooks", h_webhooks_list, ROLE_ADMIN, BODY_NONE,
	  NULL, &spec_paging },
	{ HTTP_GET, API "/webhooks/{id}", h_webhooks_get, ROLE_ADMIN,
	  BODY_NONE, NULL, NULL },
	{ HTTP_PATCH, API "/webhooks/{id}", h_webhooks_update, ROLE_ADMIN,
	  BODY_JSON, &spec_webhook_update, NULL },
	/* Its deliveries go with it. */
	{ HTTP_DELETE, API "/webhooks/{id}", h_webhooks_delete, ROLE_ADMIN,
	  BODY_NONE, NULL, NULL },
	/* The one answer but creation's that shows the secret. */
	{ HTTP_POST, API "/webhooks/{id}/rotate-secret",
	  h_webhooks_rotate_secret, ROLE_ADMIN, BODY_NONE, NULL, NULL },
	{ HTTP_GET, API "/webhooks/{id}/deliveries", h_webhooks_deliveries,
	  ROLE_ADMIN, BODY_NONE, NULL, &spec_paging },
	/* {webhook}/deliveries/{delivery}: the worker sends it again. */
	{ HTTP_POST, API "/webhooks/{id}/deliveries/{id}/redeliver",
	  h_webhooks_redeliver, ROLE_ADMIN, BODY_NONE, NULL, NULL },
};
#pragma GCC diagnostic pop

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
	if (r->flags & RF_CALLER_SELF)
		return false;
	return r->role == ROLE_ADMIN || (r->role != ROLE_NONE &&
	    (m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH ||
	    m == HTTP_DELETE));
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
	if (auth_token_verify_memo(app->tokens, tok, TOKEN_ACCESS, time(NULL),
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
