/*
 * check_router.c: path matching and the dispatcher's own replies (404,
 * 405 + Allow, 401, 403, 415, 422) without any service: no handler that
 * needs the database is reached.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "router.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct config cfg;
static struct app app;

static void
setup(void)
{
	char *why = NULL;

	ck_assert_int_eq(config_load_string(&cfg,
	    "jwt_secret = 0123456789abcdef0123456789abcdef\n", "test", &why),
	    INV_OK);
	app.cfg = &cfg;
	app.tokens = token_memo_new(&cfg);
}

static void
teardown(void)
{
	token_memo_free(app.tokens);
	config_free(&cfg);
}

/* A signed access token (new) for user 7. */
static char *
token(bool admin)
{
	char *t = NULL;

	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 7, admin, 0,
	    "0123456789abcdef0123456789abcdef", time(NULL), &t), INV_OK);
	return t;
}

static void
expect(const char *method, const char *path, const char *tok,
    const char *ct, const char *body, int status, const char *detail)
{
	struct http_resp resp;
	struct json_object *o;

	tu_request(&app, method, path, tok, ct, body, &resp);
	ck_assert_msg(resp.status == status, "%s %s: status %d, want %d (%s)",
	    method, path, resp.status, status, resp.body ? resp.body : "");
	o = tu_json(&resp);
	if (detail != NULL)
		ck_assert_str_eq(json_get_str(o, "detail"), detail);
	json_object_put(o);
	http_resp_free(&resp);
}

START_TEST(match_literal_and_ids)
{
	int64_t ids[HTTP_MAX_PARAMS];
	size_t n = 99;

	ck_assert(router_match("/a/b", "/a/b", ids, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(router_match("/a/{id}/c/{id}", "/a/12/c/9223372036854775807",
	    ids, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 12);
	ck_assert_int_eq(ids[1], INT64_MAX);
	ck_assert(router_match("/", "/", ids, &n));
}
END_TEST

START_TEST(match_rejects)
{
	static const char *const bad[] = {
		"/a/0", "/a/-1", "/a/+1", "/a/1.0", "/a/ 1", "/a/1x",
		"/a/9223372036854775808", "/a/99999999999999999999999",
		"/a/", "/a", "/a/1/", "/a/1/b", "/a//1", "/b/1", "",
	};
	int64_t ids[HTTP_MAX_PARAMS];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!router_match("/a/{id}", bad[i], ids, &n),
		    "%s matched", bad[i]);
	ck_assert(!router_match("/a/b", "/a/bc", ids, &n));
	ck_assert(!router_match("/a/bc", "/a/b", ids, &n));
}
END_TEST

START_TEST(root_is_200)
{
	expect("GET", "/", NULL, NULL, NULL, 200, NULL);
}
END_TEST

START_TEST(unknown_path_is_404)
{
	expect("GET", "/nope", NULL, NULL, NULL, 404, "Not Found");
	expect("GET", "/api/v1/users/abc", NULL, NULL, NULL, 404, "Not Found");
	expect("PATCH", "/api/v1/users/0", NULL, NULL, "{}", 404, "Not Found");
	expect("PATCH", "/api/v1/users/9223372036854775808", NULL, NULL, "{}",
	    404, "Not Found");
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
	struct http_resp resp;

	tu_request(&app, "GET", "/api/v1/auth/login", NULL, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"), "POST");
	http_resp_free(&resp);
	tu_request(&app, "DELETE", "/api/v1/users/5", NULL, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"), "PATCH");
	http_resp_free(&resp);
	expect("BREW", "/", NULL, NULL, NULL, 405, "Method Not Allowed");
}
END_TEST

START_TEST(missing_token_is_401)
{
	struct http_resp resp;

	tu_request(&app, "GET", "/api/v1/users/me", NULL, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_str_eq(http_resp_get_header(&resp, "WWW-Authenticate"),
	    "Bearer");
	http_resp_free(&resp);
	expect("GET", "/api/v1/users/me", NULL, NULL, NULL, 401,
	    "Not authenticated");
}
END_TEST

START_TEST(bad_token_is_401)
{
	char *t = token(false), *tampered = xstrdup(t);

	expect("GET", "/api/v1/users/me", "garbage", NULL, NULL, 401,
	    "Could not validate credentials");
	tampered[strlen(tampered) - 2] ^= 1;
	expect("GET", "/api/v1/users/me", tampered, NULL, NULL, 401,
	    "Could not validate credentials");
	free(t);
	free(tampered);
}
END_TEST

START_TEST(user_on_admin_route_is_403)
{
	char *t = token(false);

	expect("GET", "/api/v1/users", t, NULL, NULL, 403,
	    "Not enough permissions");
	expect("PATCH", "/api/v1/users/1", t, NULL, "{}", 403,
	    "Not enough permissions");
	free(t);
}
END_TEST

START_TEST(auth_comes_before_body)
{
	/* Nobody learns a route's body rules without the right to use it. */
	expect("PATCH", "/api/v1/users/1", NULL, "text/plain", "{", 401,
	    "Not authenticated");
}
END_TEST

START_TEST(wrong_content_type_is_415)
{
	expect("POST", "/api/v1/auth/register", NULL, "text/plain", "{}", 415,
	    "Unsupported Media Type");
	expect("POST", "/api/v1/auth/register", NULL,
	    "application/x-www-form-urlencoded", "a=b", 415,
	    "Unsupported Media Type");
	expect("POST", "/api/v1/auth/login", NULL, "text/plain", "a=b", 415,
	    "Unsupported Media Type");
}
END_TEST

START_TEST(malformed_json_is_422)
{
	struct http_resp resp;
	struct json_object *o, *d, *loc;

	tu_request(&app, "POST", "/api/v1/auth/register", NULL,
	    "application/json; charset=utf-8", "{\"email\":", &resp);
	ck_assert_int_eq(resp.status, 422);
	o = tu_json(&resp);
	d = json_object_array_get_idx(json_object_object_get(o, "detail"), 0);
	loc = json_object_object_get(d, "loc");
	ck_assert_int_eq(json_object_array_length(loc), 1);
	ck_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(loc, 0)), "body");
	json_object_put(o);
	http_resp_free(&resp);
	expect("POST", "/api/v1/auth/register", NULL, NULL, "", 422, NULL);
	expect("POST", "/api/v1/auth/register", NULL, NULL, "[1]", 422, NULL);
	expect("POST", "/api/v1/auth/refresh", NULL, NULL, "{} {}", 422, NULL);
}
END_TEST

/* Each bad field has exactly one detail, with loc ["body", field] and a
 * msg and a type. */
START_TEST(validation_details_name_fields)
{
	static const char *const fields[] = { "email", "full_name",
	    "password" };
	struct http_resp resp;
	struct json_object *o, *d, *e, *loc, *v;
	size_t i, j, found;

	tu_request(&app, "POST", "/api/v1/auth/register", NULL, NULL,
	    "{\"email\":\"not-an-email\",\"full_name\":\"  \","
	    "\"password\":\"short\"}", &resp);
	ck_assert_int_eq(resp.status, 422);
	o = tu_json(&resp);
	d = json_object_object_get(o, "detail");
	ck_assert_int_eq(json_object_array_length(d), 3);
	for (i = 0; i < 3; i++) {
		for (found = 0, j = 0; j < json_object_array_length(d); j++) {
			e = json_object_array_get_idx(d, j);
			loc = json_object_object_get(e, "loc");
			if (json_object_array_length(loc) != 2 ||
			    strcmp(json_object_get_string(
			    json_object_array_get_idx(loc, 1)), fields[i]) != 0)
				continue;
			found++;
			ck_assert_str_eq(json_object_get_string(
			    json_object_array_get_idx(loc, 0)), "body");
			ck_assert(json_object_object_get_ex(e, "msg", &v) &&
			    json_object_get_string_len(v) > 0);
			ck_assert(json_object_object_get_ex(e, "type", &v) &&
			    json_object_get_string_len(v) > 0);
		}
		ck_assert_msg(found == 1, "%zu details with loc [\"body\", "
		    "\"%s\"] in %s", found, fields[i], resp.body);
	}
	json_object_put(o);
	http_resp_free(&resp);
}
END_TEST

START_TEST(paging_bounds_are_422)
{
	/* A user route: an admin route would read the caller's row. */
	char *t = token(false);

	expect("GET", "/api/v1/products?limit=0", t, NULL, NULL, 422, NULL);
	expect("GET", "/api/v1/products?limit=1001", t, NULL, NULL, 422, NULL);
	expect("GET", "/api/v1/products?skip=-1", t, NULL, NULL, 422, NULL);
	expect("GET", "/api/v1/products?skip=abc", t, NULL, NULL, 422, NULL);
	expect("GET", "/api/v1/products?skip=99999999999999999999", t, NULL,
	    NULL, 422, NULL);
	free(t);
}
END_TEST

/* A query string the dispatcher refuses (422, loc ["query", name]) before
 * any handler, so no service is needed. */
static void
expect_query_422(const char *path, const char *tok, const char *name,
    const char *type)
{
	tu_expect_query_422(&app, path, tok, name, type);
}

/* GET /orders/admin?user_id=%zz answered 200 with every order; limit=%zz
 * fell back to the default; limit=1&limit=5000 took the first. */
START_TEST(query_malformed_or_repeated_is_422)
{
	char *t = token(true);
	static const char *const lists[] = {
		"/api/v1/users", "/api/v1/products", "/api/v1/inventory",
		"/api/v1/inventory/status/low-stock",
		"/api/v1/inventory/1/movements", "/api/v1/orders",
		"/api/v1/orders/admin",
	};
	static const char *const params[] = {
		"skip", "limit", "status", "user_id", "product_id",
		"low_stock", "category", "q",
	};
	char *path;
	size_t i, j;

	expect_query_422("/api/v1/orders/admin?user_id=%zz", t, "user_id",
	    "value_error.percent_encoding");
	expect_query_422("/api/v1/orders/admin?limit=%zz", t, "limit",
	    "value_error.percent_encoding");
	expect_query_422("/api/v1/orders/admin?limit=1&limit=5000", t, "limit",
	    "value_error.repeated");
	/* Every parameter of every list, whether the list reads it or not. */
	for (i = 0; i < NELEM(lists); i++)
		for (j = 0; j < NELEM(params); j++) {
			path = xasprintf("%s?%s=%%zz", lists[i], params[j]);
			expect_query_422(path, t, params[j],
			    "value_error.percent_encoding");
			free(path);
			path = xasprintf("%s?%s=1&skip=0&%s=1", lists[i],
			    params[j], params[j]);
			expect_query_422(path, t, params[j],
			    "value_error.repeated");
			free(path);
			path = xasprintf("%s?%s=%%ff", lists[i], params[j]);
			expect_query_422(path, t, params[j],
			    "value_error.str.encoding");
			free(path);
		}
	expect_query_422("/api/v1/products?q=a%00b", t, "q",
	    "value_error.str.encoding");
	expect_query_422("/api/v1/products?%zz=1", t, "%zz",
	    "value_error.percent_encoding");
	/* Routes that read no parameter are as strict about the syntax. */
	expect_query_422("/?a=1&a=2", NULL, "a", "value_error.repeated");
	expect_query_422("/api/v1/orders/5?x=%", t, "x",
	    "value_error.percent_encoding");
	free(t);
}
END_TEST

/* One detail per faulty name, in the order given. */
START_TEST(query_422_names_each_parameter)
{
	struct http_resp resp;
	struct json_object *o, *d;
	char *t = token(true);

	tu_request(&app, "GET", "/api/v1/orders/admin?limit=%zz&skip=1&"
	    "status=a&status=b&status=c&user_id=%c3", t, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 422);
	o = tu_json(&resp);
	d = json_object_object_get(o, "detail");
	ck_assert_int_eq(json_object_array_length(d), 3);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(json_object_array_get_idx(d, 1), "loc"),
	    1)), "status");
	json_object_put(o);
	http_resp_free(&resp);
	free(t);
}
END_TEST

/* Names a route does not read are ignored (FastAPI's behaviour); the
 * syntax is checked only once the caller may use the route. */
START_TEST(query_unknown_ignored_syntax_after_auth)
{
	expect("GET", "/?anything=1&other", NULL, NULL, NULL, 200, NULL);
	expect("GET", "/api/v1/users?limit=%zz", NULL, NULL, NULL, 401,
	    "Not authenticated");
	expect("GET", "/nope?a=%zz", NULL, NULL, NULL, 404, "Not Found");
}
END_TEST

/* HEAD answers as GET does, without sending the body: the GET's status,
 * headers and body length. Only the FastCGI layer leaves the body out. */
START_TEST(head_answers_like_get)
{
	struct http_resp get, head;

	tu_request(&app, "GET", "/", NULL, NULL, NULL, &get);
	tu_request(&app, "HEAD", "/", NULL, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 200);
	ck_assert(head.omit_body);
	ck_assert(!get.omit_body);
	ck_assert_uint_eq(head.body_len, get.body_len);
	ck_assert_uint_gt(head.body_len, 0);
	ck_assert_str_eq(http_resp_get_header(&head, "Content-Type"),
	    http_resp_get_header(&get, "Content-Type"));
	http_resp_free(&get);
	http_resp_free(&head);
	/* And every refusal: 404, 401, 422. */
	tu_request(&app, "HEAD", "/nope", NULL, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 404);
	ck_assert(head.omit_body);
	http_resp_free(&head);
	tu_request(&app, "HEAD", "/api/v1/users/me", NULL, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 401);
	ck_assert_str_eq(http_resp_get_header(&head, "WWW-Authenticate"),
	    "Bearer");
	http_resp_free(&head);
	tu_request(&app, "HEAD", "/?a=%zz", NULL, NULL, NULL, &head);
	ck_assert_int_eq(head.status, 422);
	http_resp_free(&head);
}
END_TEST

/* Allow names HEAD wherever GET is; HEAD where no GET is is a 405. */
START_TEST(head_listed_in_allow_with_get)
{
	struct http_resp resp;

	tu_request(&app, "DELETE", "/api/v1/users/me", NULL, NULL, NULL,
	    &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"), "GET, HEAD");
	http_resp_free(&resp);
	tu_request(&app, "PATCH", "/api/v1/orders/5", NULL, NULL, NULL,
	    &resp);
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"),
	    "GET, HEAD, PUT, DELETE");
	http_resp_free(&resp);
	tu_request(&app, "HEAD", "/api/v1/auth/login", NULL, NULL, NULL,
	    &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"), "POST");
	http_resp_free(&resp);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *m = tcase_create("matching");
	TCase *d = tcase_create("dispatch");

	tcase_add_test(m, match_literal_and_ids);
	tcase_add_test(m, match_rejects);
	tcase_add_checked_fixture(d, setup, teardown);
	tcase_add_test(d, root_is_200);
	tcase_add_test(d, unknown_path_is_404);
	tcase_add_test(d, wrong_method_is_405_with_allow);
	tcase_add_test(d, missing_token_is_401);
	tcase_add_test(d, bad_token_is_401);
	tcase_add_test(d, user_on_admin_route_is_403);
	tcase_add_test(d, auth_comes_before_body);
	tcase_add_test(d, wrong_content_type_is_415);
	tcase_add_test(d, malformed_json_is_422);
	tcase_add_test(d, validation_details_name_fields);
	tcase_add_test(d, paging_bounds_are_422);
	tcase_add_test(d, query_malformed_or_repeated_is_422);
	tcase_add_test(d, query_422_names_each_parameter);
	tcase_add_test(d, query_unknown_ignored_syntax_after_auth);
	tcase_add_test(d, head_answers_like_get);
	tcase_add_test(d, head_listed_in_allow_with_get);
	suite_add_tcase(s, m);
	suite_add_tcase(s, d);
	return s;
}

int
main(void)
{
	return tu_run(router_suite(), NULL);
}
