/*
 * fuzz_router: path matching and the whole dispatch in front of the
 * handlers: 404, 405, the Bearer token (401), the role (403), the
 * Content-Type (415) and the body (422).
 *
 * Input: one byte choosing the method, then the path, the Authorization
 * header, the Content-Type and the body, separated by '\n'.
 *
 * The app has no database, cache or queue, and needs none: every handler
 * is replaced by a stub (stubs.h) that checks what it was given and
 * replies 200, and db_exec (which the dispatcher calls to read the
 * caller's row on admin routes and writes) by one that fails as if
 * MariaDB were down. The secret is fixed, so the seed corpus can hold
 * valid tokens (an admin's and a user's, valid until 2100) for the
 * fuzzer to get past authentication.
 *
 * Invariants:
 *  - router_match: one id per {id} of the pattern, each in 1..2^63-1,
 *    and only paths with as many segments as the pattern match;
 *  - router_dispatch answers what the route table and the request say:
 *    404 for an unknown path; 405 with Allow (naming HEAD wherever it
 *    names GET) when only the method is wrong, HEAD taking the GET
 *    route and leaving the body unsent; 401 with WWW-Authenticate
 *    without a valid access token; 403 for a user on an admin route;
 *    else 415 or 422 for a bad body; 503 where the caller's row must
 *    then be read (admin routes, writes); or
 *    the handler runs;
 *  - a handler runs only for its route, with the token's principal, and
 *    with a body that is a JSON object which validates against the
 *    route's spec again as it is (validation is idempotent).
 */
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "fuzz.h"
#include "http.h"
#include "router.h"
#include "stubs.h"

/* The secret of the tokens in t/fuzz/corpus/router/. */
#define SECRET	"fuzz-router-secret-0123456789abcdef0123456789"

static struct config cfg;
static struct app app;

/* What the request should meet, worked out apart from the dispatcher. */
static const struct route *expected_route;
static struct token_claims expected_claims;
static bool expected_token;
static bool handler_ran;

enum inv_err __wrap_db_exec(struct db *, enum stmt, const struct db_val *,
    size_t, struct db_res **, uint64_t *, uint64_t *);

/* The dispatcher's read of the caller's row, with no server (fuzz.mk
 * links with -Wl,--wrap=db_exec). */
enum inv_err
__wrap_db_exec(struct db *db, enum stmt st, const struct db_val *params,
    size_t nparams, struct db_res **res, uint64_t *affected,
    uint64_t *insert_id)
{
	(void)db;
	(void)params;
	(void)nparams;
	(void)affected;
	(void)insert_id;
	FUZZ_ASSERT(st == STMT_USER_AUTH);
	if (res != NULL)
		*res = NULL;
	return INV_UNAVAILABLE;
}

/* Whether a body spec has an array of objects, whose elements the
 * dispatcher checks only after the caller's row. */
static bool
has_elements(const struct body_spec *spec)
{
	size_t k;

	for (k = 0; spec != NULL && k < spec->nfields; k++)
		if (spec->fields[k].elem != NULL)
			return true;
	return false;
}

/* Number of c in s. */
static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* Number of "{id}" in pattern. */
static size_t
count_ids(const char *pattern)
{
	size_t n = 0;

	while ((pattern = strstr(pattern, "{id}")) != NULL) {
		n++;
		pattern += 4;
	}
	return n;
}

void
fuzz_handler(struct app *a, struct http_req *req, struct http_resp *resp)
{
	const struct route *r = req->route;
	struct json_object *details;

	FUZZ_ASSERT(a == &app && r == expected_route);
	FUZZ_ASSERT(req->nids == count_ids(r->pattern));
	FUZZ_ASSERT(req->principal.authenticated == (r->role != ROLE_NONE));
	if (r->role != ROLE_NONE) {
		FUZZ_ASSERT(expected_token);
		FUZZ_ASSERT(req->principal.user_id == expected_claims.user_id);
		FUZZ_ASSERT(req->principal.is_admin ==
		    expected_claims.is_admin);
		FUZZ_ASSERT(r->role != ROLE_ADMIN || req->principal.is_admin);
	}
	if (r->body == BODY_NONE)
		FUZZ_ASSERT(req->json == NULL);
	else if (r->spec != NULL) {
		FUZZ_ASSERT(json_object_is_type(req->json, json_type_object));
		details = validate_body(req->json, r->spec);
		FUZZ_ASSERT(details == NULL);
	}
	handler_ran = true;
	http_reply_detail(resp, 200, "stub");
}

/* Whether req carries a valid access token, as the dispatcher reads it. */
static bool
token_valid(const struct http_req *req, struct token_claims *c)
{
	const char *tok = req->authorization;

	memset(c, 0, sizeof(*c));
	if (tok == NULL || strncasecmp(tok, "Bearer ", 7) != 0)
		return false;
	for (tok += 7; *tok == ' '; tok++)
		;
	return auth_token_verify(&cfg, tok, TOKEN_ACCESS, time(NULL), c) ==
	    INV_OK;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *why = NULL;
	size_t i, k;

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	if (config_load_string(&cfg, "jwt_secret = " SECRET "\n",
	    "fuzz_router", &why) != INV_OK) {
		fprintf(stderr, "fuzz_router: config: %s\n", why);
		abort();
	}
	app.cfg = &cfg;
	app.tokens = token_memo_new(&cfg);
	/* No real handler may run: each route must name a stub. */
	for (i = 0; i < nroutes; i++) {
		for (k = 0; fuzz_stubs[k] != NULL; k++)
			if (routes[i].handler == fuzz_stubs[k])
				break;
		if (fuzz_stubs[k] == NULL) {
			fprintf(stderr, "fuzz_router: the handler of %s %s has "
			    "no stub: declare it in src/handlers.h as "
			    "\"void h_NAME(...\" on one line\n",
			    http_method_name(routes[i].method),
			    routes[i].pattern);
			abort();
		}
	}
	return 0;
}

/* Drops an empty header: a missing one is NULL, not "". */
static void
null_if_empty(char **s)
{
	if (**s == '\0') {
		free(*s);
		*s = NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct route *found = NULL;
	struct http_req req;
	struct http_resp resp;
	int64_t ids[HTTP_MAX_PARAMS];
	size_t i, k, nids;
	bool path_known = false;
	enum http_method want;
	const char *allow;

	if (size < 1)
		return 0;
	http_req_init(&req);
	http_resp_init(&resp);
	req.method = (enum http_method)(data[0] % HTTP__MAX);
	data++;
	size--;
	req.path = fuzz_field(&data, &size, '\n');
	req.authorization = fuzz_field(&data, &size, '\n');
	req.content_type = fuzz_field(&data, &size, '\n');
	req.body = xstrndup((const char *)data, size);
	req.body_len = size;
	null_if_empty(&req.authorization);
	null_if_empty(&req.content_type);
	want = req.method == HTTP_HEAD ? HTTP_GET : req.method;

	for (i = 0; i < nroutes; i++) {
		nids = SIZE_MAX;
		if (!router_match(routes[i].pattern, req.path, ids, &nids))
			continue;
		FUZZ_ASSERT(nids == count_ids(routes[i].pattern));
		for (k = 0; k < nids; k++)
			FUZZ_ASSERT(ids[k] >= 1);
		FUZZ_ASSERT(count_char(req.path, '/') ==
		    count_char(routes[i].pattern, '/'));
		path_known = true;
		if (found == NULL && routes[i].method == want)
			found = &routes[i];
	}
	expected_route = found;
	expected_token = token_valid(&req, &expected_claims);
	handler_ran = false;

	router_dispatch(&app, &req, &resp);

	FUZZ_ASSERT(resp.body != NULL);
	FUZZ_ASSERT(resp.omit_body == (req.method == HTTP_HEAD));
	if (!path_known)
		FUZZ_ASSERT(resp.status == 404);
	else if (found == NULL) {
		FUZZ_ASSERT(resp.status == 405);
		allow = http_resp_get_header(&resp, "Allow");
		FUZZ_ASSERT(allow != NULL);
		FUZZ_ASSERT((strncmp(allow, "GET", 3) == 0) ==
		    (strncmp(allow, "GET, HEAD", 9) == 0));
	} else if (found->role != ROLE_NONE && !expected_token) {
		FUZZ_ASSERT(resp.status == 401);
		FUZZ_ASSERT(http_resp_get_header(&resp,
		    "WWW-Authenticate") != NULL);
	} else if (found->role == ROLE_ADMIN && !expected_claims.is_admin)
		FUZZ_ASSERT(resp.status == 403);
	else if (resp.status == 503)
		/* The read of the caller's row, once the request was good,
		 * or before the 422 of faulty array elements (the caller's
		 * refusal comes first, also where the handler reads the row
		 * itself). */
		FUZZ_ASSERT((route_reads_user(found, req.method) ||
		    has_elements(found->spec)) && !handler_ran);
	else if (handler_ran)
		FUZZ_ASSERT(resp.status == 200);
	else
		FUZZ_ASSERT(found->body != BODY_NONE &&
		    (resp.status == 415 || resp.status == 422));
	FUZZ_ASSERT(!handler_ran || found != NULL);
	FUZZ_ASSERT(!handler_ran || !route_reads_user(found, req.method));
	http_resp_free(&resp);
	http_req_free(&req);
	return 0;
}
