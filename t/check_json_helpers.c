/*
 * check_json_helpers.c: json.c's helpers (unit): 422 details and
 * getters, serialisation, e-mail syntax, UTF-8.
 */
#include "testjson.h"

/* ---- details, getters, builders ---- */

START_TEST(detail_add_builds_array)
{
	struct json_object *d = NULL;

	json_detail_add(&d, "body", NULL, "m1", "t1");
	ck_assert_ptr_nonnull(d);
	json_detail_add(&d, "query", "limit", "m2", "t2");
	ck_assert_str_eq(json_to_plain(d, NULL),
	    "[{\"loc\":[\"body\"],\"msg\":\"m1\",\"type\":\"t1\"},"
	    "{\"loc\":[\"query\",\"limit\"],\"msg\":\"m2\",\"type\":\"t2\"}]");
	json_object_put(d);
}
END_TEST

START_TEST(detail_add_item_nests_the_loc)
{
	struct json_object *d = NULL;

	json_detail_add_item(&d, "body", "items", 3, "quantity", "m1", "t1");
	json_detail_add_item(&d, "body", "items", 0, NULL, "m2", "t2");
	ck_assert_str_eq(json_to_plain(d, NULL),
	    "[{\"loc\":[\"body\",\"items\",3,\"quantity\"],\"msg\":\"m1\","
	    "\"type\":\"t1\"},{\"loc\":[\"body\",\"items\",0],\"msg\":\"m2\","
	    "\"type\":\"t2\"}]");
	json_object_put(d);
}
END_TEST

/* Elements of an array member are checked like bodies, each detail
 * pointing at its element. */
START_TEST(validate_array_elements)
{
	static const struct field_spec fields[] = {
		{ "id", FT_INT, REQ, 1, INT64_MAX },
		{ "n", FT_INT, REQ, 1, 10 },
	};
	struct body_spec spec = { fields, 2 };
	struct json_object *o = parse_ok("{\"items\":[{\"id\":1,\"n\":2},"
	    "7,{\"id\":0},{\"id\":2,\"n\":\"3\"}]}"), *d = NULL;

	ck_assert(!validate_array(o, "items", &spec, &d));
	ck_assert_str_eq(json_to_plain(d, NULL),
	    "[{\"loc\":[\"body\",\"items\",1],\"msg\":\"value is not a "
	    "valid dict\",\"type\":\"type_error.dict\"},"
	    "{\"loc\":[\"body\",\"items\",2,\"id\"],\"msg\":\"ensure this "
	    "value is greater than or equal to 1\",\"type\":"
	    "\"value_error.number.not_ge\"},"
	    "{\"loc\":[\"body\",\"items\",2,\"n\"],\"msg\":\"field "
	    "required\",\"type\":\"value_error.missing\"},"
	    "{\"loc\":[\"body\",\"items\",3,\"n\"],\"msg\":\"value is not "
	    "a valid integer\",\"type\":\"type_error.integer\"}]");
	json_object_put(d);
	json_object_put(o);
	/* All good, absent, or not an array: nothing to say here. */
	o = parse_ok("{\"items\":[{\"id\":5,\"n\":10}],\"x\":1}");
	d = NULL;
	ck_assert(validate_array(o, "items", &spec, &d));
	ck_assert(validate_array(o, "other", &spec, &d));
	ck_assert(validate_array(o, "x", &spec, &d));
	ck_assert_ptr_null(d);
	json_object_put(o);
}
END_TEST

START_TEST(getters_check_types)
{
	struct json_object *o = parse_ok("{\"s\":\"x\",\"i\":-7,\"d\":1.5,"
	    "\"n\":null,\"t\":true,\"f\":false,\"si\":\"12\",\"big\":"
	    "9223372036854775807}");
	int64_t i = 99;
	bool b = false;

	ck_assert_str_eq(json_get_str(o, "s"), "x");
	ck_assert_ptr_null(json_get_str(o, "i"));
	ck_assert_ptr_null(json_get_str(o, "n"));
	ck_assert_ptr_null(json_get_str(o, "absent"));
	ck_assert(json_get_int(o, "i", &i));
	ck_assert_int_eq(i, -7);
	ck_assert(json_get_int(o, "big", &i));
	ck_assert_int_eq(i, INT64_MAX);
	i = 99;
	ck_assert(!json_get_int(o, "d", &i));
	ck_assert(!json_get_int(o, "si", &i));
	ck_assert(!json_get_int(o, "t", &i));
	ck_assert(!json_get_int(o, "n", &i));
	ck_assert(!json_get_int(o, "absent", &i));
	ck_assert_int_eq(i, 99);
	ck_assert(json_get_bool(o, "t", &b));
	ck_assert(b);
	ck_assert(json_get_bool(o, "f", &b));
	ck_assert(!b);
	ck_assert(!json_get_bool(o, "i", &b));
	ck_assert(!json_get_bool(o, "s", &b));
	ck_assert(!json_get_bool(o, "absent", &b));
	ck_assert(json_has(o, "n"));
	ck_assert(json_has(o, "s"));
	ck_assert(!json_has(o, "absent"));
	json_object_put(o);
}
END_TEST

START_TEST(getters_on_non_objects)
{
	struct json_object *a = parse_ok("[1]");
	int64_t i;
	bool b;

	ck_assert_ptr_null(json_get_str(a, "x"));
	ck_assert(!json_get_int(a, "x", &i));
	ck_assert(!json_get_bool(NULL, "x", &b));
	ck_assert(!json_has(NULL, "x"));
	ck_assert(!json_has(a, "x"));
	json_object_put(a);
}
END_TEST

START_TEST(plain_has_no_slash_escapes)
{
	struct json_object *o = json_object_new_object();
	size_t len = 0;
	const char *s;

	json_object_object_add(o, "url", json_object_new_string(
	    "https://example.com/a/b"));
	json_object_object_add(o, "q", json_object_new_string("say \"hi\"\n"));
	json_object_object_add(o, "u", json_object_new_string("\xc3\xa9"));
	s = json_to_plain(o, &len);
	ck_assert_str_eq(s, "{\"url\":\"https://example.com/a/b\","
	    "\"q\":\"say \\\"hi\\\"\\n\",\"u\":\"\xc3\xa9\"}");
	ck_assert_uint_eq(len, strlen(s));
	ck_assert_ptr_null(strstr(s, "\\/"));
	json_object_put(o);
	ck_assert_str_eq(json_to_plain(NULL, &len), "null");
	ck_assert_uint_eq(len, 4);
}
END_TEST

/*
 * The writer gives the bytes json-c gives for the same document: every
 * control character, quotes, backslashes, slashes, UTF-8, nesting, empty
 * containers, nulls, extreme integers and decimals.
 */
START_TEST(writer_matches_json_c)
{
	struct json_object *o = json_object_new_object(), *arr, *inner;
	struct json_writer w;
	char all[40], *text;
	size_t len, i;

	for (i = 0; i < 31; i++)
		all[i] = (char)(i + 1);
	memcpy(all + 31, "\"\\/\x7f\xc3\xa9", 7);
	all[38] = '\0';
	jw_init(&w);
	jw_begin_object(&w);
	json_object_object_add(o, "all", json_object_new_string(all));
	jw_key(&w, "all");
	jw_str(&w, all);
	json_object_object_add(o, "q\"k", NULL);
	jw_key(&w, "q\"k");
	jw_str(&w, NULL);
	json_object_object_add(o, "min", json_object_new_int64(INT64_MIN));
	jw_key(&w, "min");
	jw_int(&w, INT64_MIN);
	json_object_object_add(o, "max", json_object_new_int64(INT64_MAX));
	jw_key(&w, "max");
	jw_int(&w, INT64_MAX);
	json_object_object_add(o, "price", json_decimal("19.90"));
	jw_key(&w, "price");
	jw_decimal(&w, "19.90");
	json_object_object_add(o, "bad", json_decimal("1e5"));
	jw_key(&w, "bad");
	jw_decimal(&w, "1e5");
	arr = json_object_new_array();
	inner = json_object_new_object();
	json_object_object_add(inner, "empty", json_object_new_array());
	json_object_array_add(arr, inner);
	json_object_array_add(arr, json_object_new_object());
	json_object_array_add(arr, json_object_new_int64(0));
	json_object_object_add(o, "list", arr);
	jw_key(&w, "list");
	jw_begin_array(&w);
	jw_begin_object(&w);
	jw_key(&w, "empty");
	jw_begin_array(&w);
	jw_end_array(&w);
	jw_end_object(&w);
	jw_begin_object(&w);
	jw_end_object(&w);
	jw_int(&w, 0);
	jw_end_array(&w);
	jw_end_object(&w);
	text = jw_take(&w, &len);
	ck_assert_str_eq(text, json_to_plain(o, NULL));
	ck_assert_uint_eq(len, strlen(text));
	free(text);
	json_object_put(o);
	jw_free(&w);
}
END_TEST

/* MariaDB's DATETIME text becomes the API's ISO form; anything else is
 * null rather than a malformed time. */
START_TEST(writer_utc_datetime)
{
	static const char *const bad[] = {
		"", "2026-11-26", "2026-11-26T06:00:00Z", "2026-11-26 06:00:00.5",
		"2026-11-26 6:00:00", "2026/11/26 06:00:00", "2026-11-26 06:00:0x",
	};
	struct json_writer w;
	char *text;
	size_t len, i;

	jw_init(&w);
	jw_begin_array(&w);
	jw_utc_datetime(&w, "2026-11-26 06:07:08");
	jw_utc_datetime(&w, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		jw_utc_datetime(&w, bad[i]);
	jw_end_array(&w);
	text = jw_take(&w, &len);
	ck_assert_str_eq(text, "[\"2026-11-26T06:07:08Z\",null,null,null,null,"
	    "null,null,null,null]");
	free(text);
}
END_TEST

START_TEST(str_or_null)
{
	struct json_object *s = json_str_or_null("a/b");

	ck_assert_ptr_null(json_str_or_null(NULL));
	ck_assert_str_eq(json_to_plain(s, NULL), "\"a/b\"");
	json_object_put(s);
}
END_TEST

static const char *const decimals_good[] = { "19.90", "0.50", "-5.00", "0",
    "100", "12345678901.99", "-0.01" };

START_TEST(decimal_prints_exactly)
{
	struct json_object *o = json_object_new_object();
	struct json_object *d = json_decimal(decimals_good[_i]);
	char want[64];

	ck_assert_ptr_nonnull(d);
	ck_assert(json_object_is_type(d, json_type_double));
	ck_assert_str_eq(json_to_plain(d, NULL), decimals_good[_i]);
	/* And inside a document, with nothing added or lost. */
	json_object_object_add(o, "price", d);
	snprintf(want, sizeof(want), "{\"price\":%s}", decimals_good[_i]);
	ck_assert_str_eq(json_to_plain(o, NULL), want);
	json_object_put(o);
}
END_TEST

static const char *const decimals_bad[] = { "", "abc", "1e5", "19.", ".5",
    " 1", "1 ", "01.5", "+1", "1,5", "NaN", "--1", "1.2.3",
    "\"1\"" };

START_TEST(decimal_refuses_non_decimals)
{

	ck_assert_msg(json_decimal(decimals_bad[_i]) == NULL, "\"%s\" taken", decimals_bad[_i]);
}
END_TEST

START_TEST(decimal_null_is_null)
{
	ck_assert_ptr_null(json_decimal(NULL));
}
END_TEST

/* ---- email and UTF-8 ---- */

static const char *const emails_valid[] = {
	"a@b.co",
	"first.last@example.com",
	"user+tag@sub.example.org",
	"x_y-z@a-b.example",
	"Mixed.Case@Example.COM",
	"o'brien@example.ie",
	"\xc3\xbcser@example.com",		/* UTF-8 local part */
};

static const char *const emails_invalid[] = {
	"",
	"plain",
	"@example.com",
	"a@",
	"a@b",
	"a@@b.com",
	"a@b@c.com",
	"a b@c.com",
	"a@b .com",
	" a@b.com",
	"a\t@b.com",
	".a@b.com",
	"a.@b.com",
	"a..b@c.com",
	"a@.b.com",
	"a@b.com.",
	"a@b..com",
	"a@-b.com",
	"a@b-.com",
	"a@b_c.com",
	"<a>@b.com",
	"a\"b@c.com",
	"a,b@c.com",
	"a@ex\xc3\xa4mple.com",			/* IDN domains not taken */
	"a@[127.0.0.1]",
};

START_TEST(email_syntax)
{
	ck_assert_msg(email_valid(emails_valid[_i]), "\"%s\" refused",
	    emails_valid[_i]);
}
END_TEST

START_TEST(email_invalid)
{
	ck_assert_msg(!email_valid(emails_invalid[_i]), "\"%s\" taken",
	    emails_invalid[_i]);
}
END_TEST

START_TEST(email_length_limits)
{
	char s[300];
	size_t i, n;

	ck_assert(!email_valid(NULL));
	/* Local part of 64 is fine, 65 is not. */
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.com");
	ck_assert(email_valid(s));
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.com");
	ck_assert(!email_valid(s));
	/* A label of 64 is too long. */
	strcpy(s, "a@");
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".com");
	ck_assert(!email_valid(s));
	/* 254 in all is the limit: "a@", 4 labels of 60 and dots, 8 more. */
	strcpy(s, "a@");
	for (i = 0; i < 4; i++) {
		n = strlen(s);
		memset(s + n, 'd', 60);
		strcpy(s + n + 60, ".");
	}
	strcat(s, "abcdefgh");
	ck_assert_uint_eq(strlen(s), 254);
	ck_assert(email_valid(s));
	strcat(s, "i");
	ck_assert(!email_valid(s));
}
END_TEST

static const char *const urls_valid[] = {
	"http://example.com",
	"https://example.com/",
	"HTTPS://Example.COM/img/a.png",		/* scheme in any case */
	"hTTp://example.com:8080/a?b=c&d=%20e#f",
	"https://cdn.example.com/a%2Fb/c_d~e.png?w=100;h=50",
	"http://127.0.0.1/a.png",
	"http://[::1]:443/a.png",
	"http://[2001:db8::1]/",
	"https://localhost",
	"https://example.com/path/with/[brackets]",
};

/* Each with the type of its detail. */
static const struct {
	const char	*s;
	const char	*type;
} urls_invalid[] = {
	{ "javascript:alert(1)", "value_error.url.scheme" },
	{ "JavaScript:alert(1)", "value_error.url.scheme" },
	{ "data:image/png;base64,AAAA", "value_error.url.scheme" },
	{ "ftp://example.com/a.png", "value_error.url.scheme" },
	{ "file:///etc/passwd", "value_error.url.scheme" },
	{ "/relative/a.png", "value_error.url.scheme" },
	{ "a.png", "value_error.url.scheme" },
	{ "//example.com/a.png", "value_error.url.scheme" },
	{ "", "value_error.url.scheme" },
	{ "1http://example.com", "value_error.url.scheme" },
	{ "http:", "value_error.url.host" },
	{ "http://", "value_error.url.host" },
	{ "https:///a.png", "value_error.url.host" },
	{ "http:/example.com", "value_error.url.host" },
	{ "http:example.com", "value_error.url.host" },
	{ "http://:80/", "value_error.url.host" },
	{ "http://exa_mple!.com/", "value_error.url.host" },
	{ "http://[::1/", "value_error.url.host" },
	{ "http://[zz]/", "value_error.url.host" },
	{ "http://a:b@example.com/", "value_error.url.userinfo" },
	{ "http://trusted.example@evil.example/", "value_error.url.userinfo" },
	{ "http://example.com:/", "value_error.url.port" },
	{ "http://example.com:0/", "value_error.url.port" },
	{ "http://example.com:65536/", "value_error.url.port" },
	{ "http://example.com:8o/", "value_error.url.port" },
	{ "http://example.com/a b.png", "value_error.url" },
	{ "http://example .com/", "value_error.url" },
	{ "http://example.com/\t", "value_error.url" },
	{ "http://example.com/a\nb", "value_error.url" },
	{ "http://example.com/\x7f", "value_error.url" },
	{ "http://ex\xc3\xa4mple.com/", "value_error.url" },
	{ "http://example.com/<script>", "value_error.url" },
	{ "http://example.com/a\"b", "value_error.url" },
	{ "http://example.com/%zz", "value_error.url" },
	{ "http://example.com/%4", "value_error.url" },
};

START_TEST(url_valid)
{
	const char *msg = NULL, *type = NULL;

	ck_assert_msg(validate_url(urls_valid[_i], &msg, &type),
	    "\"%s\" refused: %s", urls_valid[_i], msg);
}
END_TEST

START_TEST(url_invalid)
{
	const char *msg = NULL, *type = NULL;

	ck_assert_msg(!validate_url(urls_invalid[_i].s, &msg, &type),
	    "\"%s\" taken", urls_invalid[_i].s);
	ck_assert_msg(strcmp(type, urls_invalid[_i].type) == 0,
	    "\"%s\": %s (%s)", urls_invalid[_i].s, type, msg);
	ck_assert_ptr_nonnull(msg);
}
END_TEST

static const struct {
	const char	*s;
	size_t		 len;
	bool		 ok;
} utf8_rows[] = {
	{ BYTES(""), true },
	{ BYTES("plain ascii"), true },
	{ BYTES("\xc3\xa9"), true },
	{ BYTES("\xe2\x82\xac"), true },
	{ BYTES("\xef\xbf\xbd"), true },
	{ BYTES("\xf0\x9f\x98\x80"), true },
	{ BYTES("\xf4\x8f\xbf\xbf"), true },
	{ BYTES("a\0b"), true },	/* NUL is UTF-8; callers check it */
	{ BYTES("\x80"), false },
	{ BYTES("\xc3"), false },
	{ BYTES("\xc3\x28"), false },
	{ BYTES("\xc1\xbf"), false },
	{ BYTES("\xe0\x9f\xbf"), false },
	{ BYTES("\xed\xbf\xbf"), false },
	{ BYTES("\xf0\x8f\xbf\xbf"), false },
	{ BYTES("\xf4\x90\x80\x80"), false },
	{ BYTES("\xf5\x80\x80\x80"), false },
	{ BYTES("\xff"), false },
	{ BYTES("ok\xe2\x82"), false },
};

START_TEST(utf8_validity)
{

	ck_assert_msg(json_utf8_valid(utf8_rows[_i].s, utf8_rows[_i].len) ==
	    utf8_rows[_i].ok, "row %d", _i);
}
END_TEST

static Suite *
helpers_suite(void)
{
	Suite *s = suite_create("json helpers");
	TCase *tc;

	tc = tcase_create("details and getters");
	tcase_add_test(tc, detail_add_builds_array);
	tcase_add_test(tc, detail_add_item_nests_the_loc);
	tcase_add_test(tc, validate_array_elements);
	tcase_add_test(tc, getters_check_types);
	tcase_add_test(tc, getters_on_non_objects);
	suite_add_tcase(s, tc);
	tc = tcase_create("serialisation");
	tcase_add_test(tc, plain_has_no_slash_escapes);
	tcase_add_test(tc, writer_matches_json_c);
	tcase_add_test(tc, writer_utc_datetime);
	tcase_add_test(tc, str_or_null);
	tcase_add_loop_test(tc, decimal_prints_exactly, 0,
	    NROWS(decimals_good));
	tcase_add_loop_test(tc, decimal_refuses_non_decimals, 0,
	    NROWS(decimals_bad));
	tcase_add_test(tc, decimal_null_is_null);
	suite_add_tcase(s, tc);
	tc = tcase_create("email syntax");
	tcase_add_loop_test(tc, email_syntax, 0, NROWS(emails_valid));
	tcase_add_loop_test(tc, email_invalid, 0, NROWS(emails_invalid));
	tcase_add_loop_test(tc, url_valid, 0, NROWS(urls_valid));
	tcase_add_loop_test(tc, url_invalid, 0, NROWS(urls_invalid));
	tcase_add_test(tc, email_length_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("UTF-8");
	tcase_add_loop_test(tc, utf8_validity, 0, NROWS(utf8_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(helpers_suite(), NULL);
}
