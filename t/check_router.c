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
}

static void
teardown(void)
{
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

START_TEST(validation_details_name_fields)
{
	struct http_resp resp;
	struct json_object *o, *d;

	tu_request(&app, "POST", "/api/v1/auth/register", NULL, NULL,
	    "{\"email\":\"not-an-email\",\"full_name\":\"  \","
	    "\"password\":\"short\"}", &resp);
	ck_assert_int_eq(resp.status, 422);
	o = tu_json(&resp);
	d = json_object_object_get(o, "detail");
	ck_assert_int_eq(json_object_array_length(d), 3);
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
	suite_add_tcase(s, m);
	suite_add_tcase(s, d);
	return s;
}

int
main(void)
{
	return tu_run(router_suite(), NULL);
}
