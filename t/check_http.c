/*
 * check_http.c: http: methods, form and query decoding, response headers
 * and the JSON replies.
 */

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"
#include "http.h"
#include "json.h"
#include "util.h"

#define BYTES(s)	(s), sizeof(s) - 1

/* ---- methods and status texts ---- */

static const struct {
	const char		*name;
	enum http_method	 m;
} methods[] = {
	{ "GET", HTTP_GET },
	{ "HEAD", HTTP_HEAD },
	{ "POST", HTTP_POST },
	{ "PUT", HTTP_PUT },
	{ "PATCH", HTTP_PATCH },
	{ "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS },
};

START_TEST(method_round_trip)
{
	ck_assert_int_eq(http_method_parse(methods[_i].name), methods[_i].m);
	ck_assert_str_eq(http_method_name(methods[_i].m), methods[_i].name);
}
END_TEST

static const char *const methods_unknown[] = {
	"get", "Post", "", "CONNECT", "TRACE", "OTHER", "GET ", " GET", "GETX",
};

START_TEST(method_unknown_is_other)
{
	ck_assert_int_eq(http_method_parse(methods_unknown[_i]), HTTP_OTHER);
}
END_TEST

START_TEST(method_edge_cases)
{
	ck_assert_int_eq(http_method_parse(NULL), HTTP_OTHER);
	ck_assert_str_eq(http_method_name(HTTP_OTHER), "OTHER");
	ck_assert_str_eq(http_method_name(HTTP__MAX), "OTHER");
	ck_assert_str_eq(http_method_name((enum http_method)-1), "OTHER");
}
END_TEST

/* The statuses the service sends (the contract's), and some it never
 * does. Their texts are src/http.c's table: tested through the function,
 * not copied here. */
static const int sent_statuses[] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500,
	502, 503, 504,
};
static const int unsent_statuses[] = { 0, 418, -1, 999 };

/* Each status sent has a reason phrase of its own, capitalised. */
START_TEST(status_text_sent)
{
	const char *text = http_status_text(sent_statuses[_i]);
	size_t i;

	ck_assert_str_ne(text, "Unknown");
	ck_assert(isupper((unsigned char)text[0]));
	for (i = 0; i < NROWS(sent_statuses); i++)
		if ((int)i != _i)
			ck_assert_str_ne(http_status_text(sent_statuses[i]),
			    text);
}
END_TEST

START_TEST(status_text_unsent)
{
	ck_assert_str_eq(http_status_text(unsent_statuses[_i]), "Unknown");
}
END_TEST

/* A few phrases as RFC 9110 words them. */
START_TEST(status_text_phrases)
{
	ck_assert_str_eq(http_status_text(200), "OK");
	ck_assert_str_eq(http_status_text(404), "Not Found");
	ck_assert_str_eq(http_status_text(422), "Unprocessable Entity");
}
END_TEST

/* ---- form and query decoding ---- */

/*
 * Decoded pairs are written "name\tvalue", one a line, so one string
 * compares a whole result, order included.
 */
static const struct form_case {
	const char	*in;
	size_t		 len;
	bool		 ok;
	const char	*pairs;
} forms[] = {
	{ BYTES("a=1&b=2"), true, "a\t1\nb\t2\n" },
	{ BYTES("q=hello+world"), true, "q\thello world\n" },
	{ BYTES("q=a%20b"), true, "q\ta b\n" },
	{ BYTES("q=1%2B1"), true, "q\t1+1\n" },
	{ BYTES("q=%2b%2F%3d%26"), true, "q\t+/=&\n" },	/* mixed case */
	{ BYTES("q=%C3%A9%c3%a9"), true, "q\t\xc3\xa9\xc3\xa9\n" },
	{ BYTES("q=%e2%82%ac"), true, "q\t\xe2\x82\xac\n" },
	{ BYTES("q=\xc3\xa9"), true, "q\t\xc3\xa9\n" },	/* raw UTF-8 */
	{ BYTES("a+b=c+d"), true, "a b\tc d\n" },
	{ BYTES("%61%62=x"), true, "ab\tx\n" },		/* names decode too */
	{ BYTES("q=%2526"), true, "q\t%26\n" },		/* decoded once */
	{ BYTES("q=a%0Ab"), true, "q\ta\nb\n" },
	{ BYTES("a=1&&b=2&"), true, "a\t1\nb\t2\n" },	/* empty pairs */
	{ BYTES("&&&"), true, "" },
	{ BYTES("&a=1"), true, "a\t1\n" },
	{ BYTES(""), true, "" },
	{ BYTES("flag"), true, "flag\t\n" },		/* no '=' */
	{ BYTES("flag&x=1"), true, "flag\t\nx\t1\n" },
	{ BYTES("a="), true, "a\t\n" },
	{ BYTES("=v"), true, "\tv\n" },
	{ BYTES("a=1=2"), true, "a\t1=2\n" },
	{ BYTES("a=1&a=2&b=3&a=4"), true, "a\t1\na\t2\nb\t3\na\t4\n" },
	{ BYTES("username=a%40b.co&password=p%26ss+w%3Drd"), true,
	    "username\ta@b.co\npassword\tp&ss w=rd\n" },
	/* Refused: bad escapes, NULs, invalid UTF-8; nothing is kept. */
	{ BYTES("q=%G1"), false, "" },
	{ BYTES("q=%1G"), false, "" },
	{ BYTES("q=%4"), false, "" },			/* truncated */
	{ BYTES("q=%"), false, "" },
	{ BYTES("q%=1"), false, "" },			/* in the name */
	{ BYTES("q=%%41"), false, "" },
	{ BYTES("q=%00"), false, "" },			/* decoded NUL */
	{ BYTES("q=a%00b"), false, "" },
	{ BYTES("%00=x"), false, "" },
	{ BYTES("q=a\0b"), false, "" },			/* raw NUL */
	{ BYTES("q=%FF"), false, "" },			/* not UTF-8 */
	{ BYTES("q=%C3"), false, "" },			/* cut sequence */
	{ BYTES("q=%C0%AF"), false, "" },		/* overlong */
	{ BYTES("q=\xff"), false, "" },
	{ BYTES("a=1&q=%zz&b=2"), false, "" },
	{ BYTES("a=%4&b=%00&c=3"), false, "" },
	{ BYTES("a=1&b=2&c=%"), false, "" },
};

/* The pairs as "name\tvalue\n" lines (new). */
static char *
render(const struct http_param *ps, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\t%s\n", ps[i].name, ps[i].value);
	return buf_take(&b);
}

START_TEST(form_decode_table)
{
	const struct form_case *c = &forms[_i];
	struct http_param *ps = (struct http_param *)&ps;
	size_t n = 99;
	bool ok = http_form_decode(c->in, c->len, &ps, &n);
	char *got = render(ps, n);

	ck_assert_msg(ok == c->ok, "row %d \"%s\": returned %d", _i, c->in,
	    ok);
	ck_assert_msg(strcmp(got, c->pairs) == 0, "row %d \"%s\": got "
	    "\"%s\"", _i, c->in, got);
	if (!ok)
		ck_assert_ptr_null(ps);
	free(got);
	http_params_free(ps, n);
}
END_TEST

START_TEST(form_decode_stops_at_len)
{
	struct http_param *ps;
	size_t n;

	ck_assert(http_form_decode("a=1&b=2", 3, &ps, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ps[0].value, "1");
	http_params_free(ps, n);
	/* A cut escape at the end of the slice is a bad escape. */
	ck_assert(!http_form_decode("a=%41", 4, &ps, &n));
	ck_assert_uint_eq(n, 0);
	http_params_free(ps, n);
}
END_TEST

START_TEST(form_decode_null_text)
{
	struct http_param *ps = (struct http_param *)&ps;
	size_t n = 5;

	ck_assert(http_form_decode(NULL, 0, &ps, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ps);
	http_params_free(NULL, 0);
}
END_TEST

START_TEST(form_decode_many_pairs)
{
	struct buf b;
	struct http_param *ps;
	size_t n, i;

	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%sk%zu=v%zu", i ? "&" : "", i, i);
	ck_assert(http_form_decode(b.data, b.len, &ps, &n));
	ck_assert_uint_eq(n, 1000);
	ck_assert_str_eq(ps[999].name, "k999");
	ck_assert_str_eq(ps[999].value, "v999");
	http_params_free(ps, n);
	buf_free(&b);
}
END_TEST

/* A request with the given raw query (copied), finished. */
static void
req_with_query(struct http_req *req, const char *query)
{
	http_req_init(req);
	req->method = HTTP_GET;
	req->path = xstrdup("/api/v1/products");
	req->query = query != NULL ? xstrdup(query) : NULL;
	http_req_finish(req);
}

START_TEST(query_params_decoded_in_order)
{
	struct http_req req;

	req_with_query(&req, "skip=10&limit=5&q=blue+shirt&x");
	ck_assert_uint_eq(req.nparams, 4);
	ck_assert_str_eq(http_query_get(&req, "skip"), "10");
	ck_assert_str_eq(http_query_get(&req, "limit"), "5");
	ck_assert_str_eq(http_query_get(&req, "q"), "blue shirt");
	ck_assert_str_eq(http_query_get(&req, "x"), "");
	ck_assert_str_eq(req.params[2].name, "q");
	ck_assert_int_eq(req.params[2].fault, PARAM_OK);
	http_req_free(&req);
}
END_TEST

START_TEST(query_get_missing_and_case)
{
	struct http_req req;

	req_with_query(&req, "limit=5");
	ck_assert_ptr_null(http_query_get(&req, "skip"));
	ck_assert_ptr_null(http_query_get(&req, "Limit"));
	ck_assert_ptr_null(http_query_get(&req, "limit "));
	ck_assert_ptr_null(http_query_get(&req, ""));
	http_req_free(&req);
}
END_TEST

START_TEST(query_absent_or_empty)
{
	struct http_req req;

	req_with_query(&req, NULL);
	ck_assert_uint_eq(req.nparams, 0);
	ck_assert_ptr_null(http_query_get(&req, "skip"));
	http_req_free(&req);
	req_with_query(&req, "");
	ck_assert_uint_eq(req.nparams, 0);
	http_req_free(&req);
}
END_TEST

/* Asserts that req's parameter i is name, value (NULL: none), fault. */
static void
expect_param(const struct http_req *req, size_t i, const char *name,
    const char *value, enum http_param_fault fault)
{
	ck_assert_uint_lt(i, req->nparams);
	ck_assert_str_eq(req->params[i].name, name);
	if (value != NULL)
		ck_assert_str_eq(req->params[i].value, value);
	else
		ck_assert_ptr_null(req->params[i].value);
	ck_assert_int_eq(req->params[i].fault, fault);
}

/* GET /orders/admin?user_id=%zz answered every user's orders, and
 * limit=%zz the default page: a pair that does not decode is kept, with
 * its fault, for the dispatcher's 422; its neighbours decode as usual. */
START_TEST(query_bad_pair_kept_with_its_fault)
{
	struct http_req req;

	req_with_query(&req, "user_id=%zz&limit=5&q=%00&status=pending&"
	    "category=%c3%28&x=%4");
	ck_assert_uint_eq(req.nparams, 6);
	expect_param(&req, 0, "user_id", NULL, PARAM_BAD_ESCAPE);
	expect_param(&req, 1, "limit", "5", PARAM_OK);
	expect_param(&req, 2, "q", NULL, PARAM_NOT_TEXT);
	expect_param(&req, 3, "status", "pending", PARAM_OK);
	expect_param(&req, 4, "category", NULL, PARAM_NOT_TEXT);
	expect_param(&req, 5, "x", NULL, PARAM_BAD_ESCAPE);
	/* A handler asking anyway reads nothing, never a fallback. */
	ck_assert_ptr_null(http_query_get(&req, "user_id"));
	ck_assert_ptr_null(http_query_get(&req, "q"));
	http_req_free(&req);
}
END_TEST

/* A name that does not decode is named as sent, other bytes as %XX. */
START_TEST(query_bad_name_shown_as_sent)
{
	struct http_req req;

	req_with_query(&req, "%zz=1&a%00b=2&\xff\x01 =3&ok=4");
	ck_assert_uint_eq(req.nparams, 4);
	expect_param(&req, 0, "%zz", NULL, PARAM_BAD_ESCAPE);
	expect_param(&req, 1, "a%00b", NULL, PARAM_NOT_TEXT);
	expect_param(&req, 2, "%FF%01%20", NULL, PARAM_NOT_TEXT);
	expect_param(&req, 3, "ok", "4", PARAM_OK);
	http_req_free(&req);
}
END_TEST

/* limit=1&limit=5000 took the first: a repeated name is kept once,
 * marked, whatever its values (even equal ones, even a bad one later). */
START_TEST(query_repeated_name_marked_once)
{
	struct http_req req;

	req_with_query(&req, "limit=1&skip=0&limit=5000&limit=%zz&a=1&a=1&"
	    "b=%zz&b=2");
	ck_assert_uint_eq(req.nparams, 4);
	expect_param(&req, 0, "limit", "1", PARAM_REPEATED);
	expect_param(&req, 1, "skip", "0", PARAM_OK);
	expect_param(&req, 2, "a", "1", PARAM_REPEATED);
	/* The first fault found stands. */
	expect_param(&req, 3, "b", NULL, PARAM_BAD_ESCAPE);
	ck_assert_ptr_null(http_query_get(&req, "limit"));
	http_req_free(&req);
	/* Names compare decoded: %6Cimit is limit. */
	req_with_query(&req, "limit=1&%6Cimit=2");
	ck_assert_uint_eq(req.nparams, 1);
	expect_param(&req, 0, "limit", "1", PARAM_REPEATED);
	http_req_free(&req);
}
END_TEST

START_TEST(query_finish_twice_does_not_duplicate)
{
	struct http_req req;

	req_with_query(&req, "a=1");
	http_req_finish(&req);
	ck_assert_uint_eq(req.nparams, 1);
	http_req_free(&req);
}
END_TEST

START_TEST(req_init_and_free_reset)
{
	struct http_req req;

	http_req_init(&req);
	ck_assert_int_eq(req.method, HTTP_OTHER);
	ck_assert_ptr_null(req.path);
	ck_assert_ptr_null(req.body);
	ck_assert_ptr_null(req.json);
	ck_assert_uint_eq(req.nparams, 0);
	ck_assert_uint_eq(req.nids, 0);
	ck_assert(!req.principal.authenticated);
	/* Everything a request owns is released (ASan checks) and reset. */
	req.method = HTTP_POST;
	req.path = xstrdup("/api/v1/orders");
	req.query = xstrdup("a=1");
	req.content_type = xstrdup("application/json");
	req.authorization = xstrdup("Bearer x");
	req.request_id = xstrdup("rid");
	req.idempotency_key = xstrdup("key");
	req.remote_addr = xstrdup("127.0.0.1");
	req.body = xstrdup("{}");
	req.body_len = 2;
	req.json = json_object_new_object();
	http_req_finish(&req);
	http_req_free(&req);
	ck_assert_int_eq(req.method, HTTP_OTHER);
	ck_assert_ptr_null(req.path);
	ck_assert_ptr_null(req.params);
	ck_assert_ptr_null(req.json);
	ck_assert_uint_eq(req.body_len, 0);
	http_req_free(&req);		/* a second free is harmless */
}
END_TEST

/* ---- response headers ---- */

/* How many headers resp has called name (any case). */
static int
header_count(const struct http_resp *resp, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			n++;
	return n;
}

START_TEST(header_lookup_ignores_case)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_resp_header(&resp, "X-Total-Count", "42");
	http_resp_header(&resp, "x-request-id", "abc");
	ck_assert_str_eq(http_resp_get_header(&resp, "X-Total-Count"), "42");
	ck_assert_str_eq(http_resp_get_header(&resp, "x-total-count"), "42");
	ck_assert_str_eq(http_resp_get_header(&resp, "X-TOTAL-COUNT"), "42");
	ck_assert_str_eq(http_resp_get_header(&resp, "X-Request-ID"), "abc");
	ck_assert_ptr_null(http_resp_get_header(&resp, "X-Total"));
	ck_assert_ptr_null(http_resp_get_header(&resp, "Allow"));
	http_resp_free(&resp);
}
END_TEST

START_TEST(header_values_are_copied)
{
	struct http_resp resp;
	char name[] = "Allow", value[] = "GET, POST";

	http_resp_init(&resp);
	http_resp_header(&resp, name, value);
	name[0] = 'X';
	value[0] = 'X';
	ck_assert_str_eq(http_resp_get_header(&resp, "Allow"), "GET, POST");
	http_resp_free(&resp);
}
END_TEST

START_TEST(header_repeated_keeps_first_for_lookup)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_resp_header(&resp, "Link", "<a>");
	http_resp_header(&resp, "Link", "<b>");
	ck_assert_uint_eq(resp.nheaders, 2);
	ck_assert_str_eq(http_resp_get_header(&resp, "link"), "<a>");
	http_resp_free(&resp);
}
END_TEST

START_TEST(header_limit_drops_extra)
{
	struct http_resp resp;
	char name[32];
	int i;

	http_resp_init(&resp);
	for (i = 0; i < HTTP_MAX_HEADERS + 3; i++) {
		snprintf(name, sizeof(name), "X-H%d", i);
		http_resp_header(&resp, name, "v");
	}
	ck_assert_uint_eq(resp.nheaders, HTTP_MAX_HEADERS);
	ck_assert_str_eq(http_resp_get_header(&resp, "X-H15"), "v");
	ck_assert_ptr_null(http_resp_get_header(&resp, "X-H16"));
	http_resp_free(&resp);
}
END_TEST

START_TEST(header_refuses_line_breaks)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_resp_header(&resp, "X-A", "v\r\nSet-Cookie: x=1");
	http_resp_header(&resp, "X-B\n", "v");
	http_resp_header(&resp, "X-C", "line\nbreak");
	ck_assert_uint_eq(resp.nheaders, 0);
	http_resp_free(&resp);
}
END_TEST

START_TEST(resp_free_resets)
{
	struct http_resp resp;

	http_resp_init(&resp);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_ptr_null(resp.body);
	http_reply_detail(&resp, 404, "Not Found");
	http_resp_header(&resp, "X-A", "1");
	http_resp_free(&resp);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_uint_eq(resp.nheaders, 0);
	ck_assert_ptr_null(resp.body);
	ck_assert_uint_eq(resp.body_len, 0);
	http_resp_free(&resp);
}
END_TEST

/* ---- replies ---- */

/* Asserts status, body (exactly) and its length and JSON content type. */
static void
assert_reply(const struct http_resp *resp, int status, const char *body)
{
	ck_assert_int_eq(resp->status, status);
	ck_assert_ptr_nonnull(resp->body);
	ck_assert_str_eq(resp->body, body);
	ck_assert_uint_eq(resp->body_len, strlen(body));
	ck_assert_str_eq(http_resp_get_header(resp, "Content-Type"),
	    "application/json");
	ck_assert_int_eq(header_count(resp, "Content-Type"), 1);
}

START_TEST(reply_json_serialises_plainly)
{
	struct http_resp resp;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "image_url",
	    json_object_new_string("https://x.example/a.png"));
	json_object_object_add(o, "price", json_decimal("19.90"));
	json_object_object_add(o, "notes", NULL);
	http_resp_init(&resp);
	http_reply_json(&resp, 201, o);
	assert_reply(&resp, 201, "{\"image_url\":\"https://x.example/a.png\","
	    "\"price\":19.90,\"notes\":null}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_json_null_has_no_body)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_json(&resp, 204, NULL);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_ptr_null(resp.body);
	ck_assert_uint_eq(resp.body_len, 0);
	ck_assert_ptr_null(http_resp_get_header(&resp, "Content-Type"));
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_replaces_earlier_reply)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_resp_header(&resp, "X-Request-ID", "rid");
	http_reply_detail(&resp, 400, "first");
	http_reply_detail(&resp, 409, "second");
	assert_reply(&resp, 409, "{\"detail\":\"second\"}");
	/* A body-less reply also drops the content type. */
	http_reply_json(&resp, 204, NULL);
	ck_assert_ptr_null(resp.body);
	ck_assert_int_eq(header_count(&resp, "Content-Type"), 0);
	ck_assert_str_eq(http_resp_get_header(&resp, "X-Request-ID"), "rid");
	http_reply_500(&resp);
	assert_reply(&resp, 500, "{\"detail\":\"Internal server error\"}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_detail_escapes)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_detail(&resp, 400, "Product with SKU \"A/1\\\xc3\xa9\" "
	    "already exists");
	assert_reply(&resp, 400, "{\"detail\":\"Product with SKU "
	    "\\\"A/1\\\\\xc3\xa9\\\" already exists\"}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_detailf_formats)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_detailf(&resp, 404, "Product with id %lld not found",
	    (long long)9223372036854775807LL);
	assert_reply(&resp, 404,
	    "{\"detail\":\"Product with id 9223372036854775807 not found\"}");
	http_reply_detailf(&resp, 400, "Insufficient stock for product %s. "
	    "Available: %d", "Blue Shirt", 3);
	assert_reply(&resp, 400, "{\"detail\":\"Insufficient stock for "
	    "product Blue Shirt. Available: 3\"}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_422_wraps_details)
{
	struct http_resp resp;
	struct json_object *d = NULL;

	json_detail_add(&d, "body", "email", "field required",
	    "value_error.missing");
	http_resp_init(&resp);
	http_reply_422(&resp, d);
	assert_reply(&resp, 422, "{\"detail\":[{\"loc\":[\"body\",\"email\"],"
	    "\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}");
	http_reply_422(&resp, NULL);
	assert_reply(&resp, 422, "{\"detail\":[]}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_401_asks_for_bearer)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_401(&resp, "Not authenticated");
	assert_reply(&resp, 401, "{\"detail\":\"Not authenticated\"}");
	ck_assert_str_eq(http_resp_get_header(&resp, "WWW-Authenticate"),
	    "Bearer");
	http_reply_401(&resp, "Could not validate credentials");
	assert_reply(&resp, 401,
	    "{\"detail\":\"Could not validate credentials\"}");
	ck_assert_int_eq(header_count(&resp, "www-authenticate"), 1);
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_other_errors_lack_bearer)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_detail(&resp, 403, "Not enough permissions");
	assert_reply(&resp, 403, "{\"detail\":\"Not enough permissions\"}");
	ck_assert_ptr_null(http_resp_get_header(&resp, "WWW-Authenticate"));
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_500_and_503)
{
	struct http_resp resp;

	http_resp_init(&resp);
	http_reply_500(&resp);
	assert_reply(&resp, 500, "{\"detail\":\"Internal server error\"}");
	http_reply_503(&resp);
	assert_reply(&resp, 503,
	    "{\"detail\":\"Service temporarily unavailable\"}");
	http_resp_free(&resp);
}
END_TEST

START_TEST(reply_array_body)
{
	struct http_resp resp;
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_int64(1));
	json_object_array_add(a, json_object_new_string("a/b"));
	http_resp_init(&resp);
	http_reply_json(&resp, 200, a);
	assert_reply(&resp, 200, "[1,\"a/b\"]");
	ck_assert_int_eq(resp.body[resp.body_len], '\0');
	http_resp_free(&resp);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("http model");
	TCase *tc;

	tc = tcase_create("methods");
	tcase_add_loop_test(tc, method_round_trip, 0, NROWS(methods));
	tcase_add_loop_test(tc, method_unknown_is_other, 0,
	    NROWS(methods_unknown));
	tcase_add_test(tc, method_edge_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("status texts");
	tcase_add_loop_test(tc, status_text_sent, 0, NROWS(sent_statuses));
	tcase_add_loop_test(tc, status_text_unsent, 0,
	    NROWS(unsent_statuses));
	tcase_add_test(tc, status_text_phrases);
	suite_add_tcase(s, tc);
	tc = tcase_create("request lifetime");
	tcase_add_test(tc, req_init_and_free_reset);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
decode_suite(void)
{
	Suite *s = suite_create("form and query decoding");
	TCase *tc;

	tc = tcase_create("http_form_decode");
	tcase_add_loop_test(tc, form_decode_table, 0, NROWS(forms));
	tcase_add_test(tc, form_decode_stops_at_len);
	tcase_add_test(tc, form_decode_null_text);
	tcase_add_test(tc, form_decode_many_pairs);
	suite_add_tcase(s, tc);
	tc = tcase_create("query parameters");
	tcase_add_test(tc, query_params_decoded_in_order);
	tcase_add_test(tc, query_get_missing_and_case);
	tcase_add_test(tc, query_absent_or_empty);
	tcase_add_test(tc, query_bad_pair_kept_with_its_fault);
	tcase_add_test(tc, query_bad_name_shown_as_sent);
	tcase_add_test(tc, query_repeated_name_marked_once);
	tcase_add_test(tc, query_finish_twice_does_not_duplicate);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
response_suite(void)
{
	Suite *s = suite_create("responses");
	TCase *tc;

	tc = tcase_create("headers");
	tcase_add_test(tc, header_lookup_ignores_case);
	tcase_add_test(tc, header_values_are_copied);
	tcase_add_test(tc, header_repeated_keeps_first_for_lookup);
	tcase_add_test(tc, header_limit_drops_extra);
	tcase_add_test(tc, header_refuses_line_breaks);
	tcase_add_test(tc, resp_free_resets);
	suite_add_tcase(s, tc);
	tc = tcase_create("replies");
	tcase_add_test(tc, reply_json_serialises_plainly);
	tcase_add_test(tc, reply_json_null_has_no_body);
	tcase_add_test(tc, reply_replaces_earlier_reply);
	tcase_add_test(tc, reply_detail_escapes);
	tcase_add_test(tc, reply_detailf_formats);
	tcase_add_test(tc, reply_422_wraps_details);
	tcase_add_test(tc, reply_401_asks_for_bearer);
	tcase_add_test(tc, reply_other_errors_lack_bearer);
	tcase_add_test(tc, reply_500_and_503);
	tcase_add_test(tc, reply_array_body);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(model_suite(), decode_suite(), response_suite(), NULL);
}
