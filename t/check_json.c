/*
 * check_json.c: strict JSON parsing and declared body validation
 * (unit).
 */
#include "testjson.h"

/* ---- json_parse_strict ---- */

static const char WHY_EMPTY[] = "Empty body";
static const char WHY_SYNTAX[] = "Invalid JSON";
static const char WHY_UTF8[] = "Invalid UTF-8";
static const char WHY_NUL[] = "NUL character in JSON text";
static const char WHY_DEPTH[] = "JSON nested too deeply";
static const char WHY_RANGE[] = "Number out of range";

static const struct parse_case {
	const char	*in;
	size_t		 len;
	const char	*why;	/* NULL: accepted */
} parse_accepted[] = {
	{ BYTES("{}"), NULL },
	{ BYTES("{} "), NULL },				/* trailing space */
	{ BYTES("\r\n {\"a\":1}\n\t "), NULL },		/* both sides */
	{ BYTES("[1,2,3]"), NULL },
	{ BYTES("\"x\""), NULL },
	{ BYTES("5"), NULL },				/* top-level number */
	{ BYTES("-0"), NULL },
	{ BYTES("0.5"), NULL },
	{ BYTES("1e5"), NULL },
	{ BYTES("-1.5E+5"), NULL },
	{ BYTES("1e-400"), NULL },			/* underflows to 0 */
	{ BYTES("true"), NULL },
	{ BYTES("null"), NULL },
	{ BYTES("{\"a\":{\"b\":[1,{\"c\":null}],\"d\":false}}"), NULL },
	{ BYTES("\"\\u00e9\""), NULL },
	{ BYTES("\"\xc3\xa9\""), NULL },		/* é */
	{ BYTES("\"\xf0\x9f\x98\x80\""), NULL },	/* U+1F600 */
	{ BYTES("\"\xf4\x8f\xbf\xbf\""), NULL },	/* U+10FFFF */
	{ BYTES("\"\xef\xbb\xbf\""), NULL },		/* U+FEFF in a string */
	{ BYTES("\"\\ud83d\\ude00\""), NULL },
	{ BYTES("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), NULL },
	{ BYTES("\"a\\\"]\""), NULL },		/* escaped quote in a string */
	{ BYTES("9223372036854775807"), NULL },		/* INT64_MAX */
	{ BYTES("-9223372036854775808"), NULL },	/* INT64_MIN */
	{ BYTES("[1.7976931348623157e308]"), NULL },	/* DBL_MAX */
	{ BYTES("{\"a\":1,\"a\":2}"), NULL },		/* last one wins */
};

static const struct parse_case parse_refused[] = {
	{ BYTES(""), WHY_EMPTY },
	{ BYTES("   "), WHY_SYNTAX },
	{ BYTES("\n\t"), WHY_SYNTAX },
	{ BYTES("{} x"), WHY_SYNTAX },			/* trailing garbage */
	{ BYTES("{}{}"), WHY_SYNTAX },
	{ BYTES("{}\0"), WHY_SYNTAX },			/* trailing NUL byte */
	{ BYTES("[1,]"), WHY_SYNTAX },			/* trailing comma */
	{ BYTES("{\"a\":1,}"), WHY_SYNTAX },
	{ BYTES("[1,,2]"), WHY_SYNTAX },
	{ BYTES("{'a':1}"), WHY_SYNTAX },		/* single quotes */
	{ BYTES("['a']"), WHY_SYNTAX },
	{ BYTES("{\"a\":'b'}"), WHY_SYNTAX },
	{ BYTES("{a:1}"), WHY_SYNTAX },
	{ BYTES("01"), WHY_SYNTAX },			/* leading zeros */
	{ BYTES("[01]"), WHY_SYNTAX },
	{ BYTES("[-01]"), WHY_SYNTAX },
	{ BYTES("[1.]"), WHY_SYNTAX },
	{ BYTES("[1.e5]"), WHY_SYNTAX },
	{ BYTES("[.5]"), WHY_SYNTAX },
	{ BYTES("[+1]"), WHY_SYNTAX },
	{ BYTES("[0x10]"), WHY_SYNTAX },
	{ BYTES("[1e]"), WHY_SYNTAX },
	{ BYTES("[-]"), WHY_SYNTAX },
	{ BYTES("NaN"), WHY_SYNTAX },
	{ BYTES("[NaN]"), WHY_SYNTAX },
	{ BYTES("{\"p\":NaN}"), WHY_SYNTAX },
	{ BYTES("[Infinity]"), WHY_SYNTAX },
	{ BYTES("[-Infinity]"), WHY_SYNTAX },
	{ BYTES("[nan]"), WHY_SYNTAX },
	{ BYTES("/*c*/{}"), WHY_SYNTAX },		/* comments */
	{ BYTES("{}//x"), WHY_SYNTAX },
	{ BYTES("{} /* x */"), WHY_SYNTAX },
	{ BYTES("[True]"), WHY_SYNTAX },
	{ BYTES("tru"), WHY_SYNTAX },
	{ BYTES("[1 2]"), WHY_SYNTAX },
	{ BYTES("{\"a\" 1}"), WHY_SYNTAX },
	{ BYTES("\"abc"), WHY_SYNTAX },			/* unterminated */
	{ BYTES("{"), WHY_SYNTAX },
	{ BYTES("\"\\x\""), WHY_SYNTAX },		/* bad escape */
	{ BYTES("\"a\tb\""), WHY_SYNTAX },		/* raw control char */
	{ BYTES("[\"\x01\"]"), WHY_SYNTAX },
	{ BYTES("[\"\xff\"]"), WHY_UTF8 },		/* invalid byte */
	{ BYTES("[\"\xc3\"]"), WHY_UTF8 },		/* truncated sequence */
	{ BYTES("[\"\xc0\xaf\"]"), WHY_UTF8 },		/* overlong '/' */
	{ BYTES("[\"\xe0\x80\xaf\"]"), WHY_UTF8 },	/* overlong, 3 bytes */
	{ BYTES("[\"\xf0\x80\x80\xaf\"]"), WHY_UTF8 },	/* overlong, 4 bytes */
	{ BYTES("[\"\xed\xa0\x80\"]"), WHY_UTF8 },	/* UTF-16 surrogate */
	{ BYTES("[\"\xf4\x90\x80\x80\"]"), WHY_UTF8 },	/* above U+10FFFF */
	{ BYTES("[\"\xf8\x88\x80\x80\x80\"]"), WHY_UTF8 },	/* 5 bytes */
	{ BYTES("{\"\xc0\xaf\":1}"), WHY_UTF8 },	/* in a key */
	{ BYTES("\xef\xbb\xbf{}"), WHY_UTF8 },		/* BOM before the text */
	{ BYTES("[\"\\u0000\"]"), WHY_NUL },		/* escaped NUL */
	{ BYTES("{\"a\\u0000b\":1}"), WHY_NUL },	/* ... in a key */
	{ BYTES("[\"a\0b\"]"), WHY_SYNTAX },		/* raw NUL byte */
	{ BYTES("1e400"), WHY_RANGE },
	{ BYTES("[1e400]"), WHY_RANGE },
	{ BYTES("[-1e400]"), WHY_RANGE },
	{ BYTES("18446744073709551616"), WHY_RANGE },	/* 2^64 */
	{ BYTES("[18446744073709551615]"), WHY_RANGE },	/* 2^64 - 1 */
	{ BYTES("{\"q\":99999999999999999999}"), WHY_RANGE },
	{ BYTES("[9223372036854775808]"), WHY_RANGE },	/* INT64_MAX + 1 */
	{ BYTES("[-9223372036854775809]"), WHY_RANGE },	/* INT64_MIN - 1 */
};

START_TEST(parse_accepts_rfc8259)
{
	const struct parse_case *c = &parse_accepted[_i];
	struct json_object *o = NULL;
	const char *why = "unset";

	ck_assert_msg(json_parse_strict(c->in, c->len, &o, &why),
	    "row %d \"%s\" refused: %s", _i, c->in, why);
	ck_assert_ptr_null(why);
	json_object_put(o);
}
END_TEST

START_TEST(parse_refuses_non_rfc8259)
{
	const struct parse_case *c = &parse_refused[_i];
	struct json_object *o = (struct json_object *)&o;
	const char *why = NULL;

	ck_assert_msg(!json_parse_strict(c->in, c->len, &o, &why),
	    "row %d \"%s\" accepted", _i, c->in);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strcmp(why, c->why) == 0, "row %d \"%s\": \"%s\", "
	    "want \"%s\"", _i, c->in, why, c->why);
}
END_TEST

START_TEST(parse_builds_the_tree)
{
	struct json_object *o = parse_ok("{\"a\":[1,\"x\"],\"b\":null}");
	struct json_object *a;

	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert(json_object_object_get_ex(o, "a", &a));
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert(json_has(o, "b"));
	json_object_put(o);
}
END_TEST

START_TEST(parse_null_text_is_null_object)
{
	struct json_object *o = (struct json_object *)&o;
	const char *why;

	ck_assert(json_parse_strict("null", 4, &o, &why));
	ck_assert_ptr_null(o);
}
END_TEST

START_TEST(parse_null_buffer_is_empty)
{
	struct json_object *o;
	const char *why;

	ck_assert(!json_parse_strict(NULL, 0, &o, &why));
	ck_assert_str_eq(why, WHY_EMPTY);
}
END_TEST

START_TEST(parse_respects_len_not_nul)
{
	struct json_object *o;
	const char *why;

	/* Only the first two bytes are the body. */
	ck_assert(json_parse_strict("{}garbage", 2, &o, &why));
	json_object_put(o);
	ck_assert(!json_parse_strict("{\"a\":1}", 5, &o, &why));
}
END_TEST

/* n nested arrays around a 1 (or empty when scalar is false). */
static char *
nested(int n, bool scalar)
{
	char *s = malloc((size_t)n * 2 + 2);
	int i, k = 0;

	for (i = 0; i < n; i++)
		s[k++] = '[';
	if (scalar)
		s[k++] = '1';
	for (i = 0; i < n; i++)
		s[k++] = ']';
	s[k] = '\0';
	return s;
}

static const struct {
	int	 arrays;
	bool	 scalar;
	bool	 ok;
} depth_rows[] = {
	{ JSON_MAX_DEPTH - 1, true, true },
	{ JSON_MAX_DEPTH, false, true },
	{ JSON_MAX_DEPTH, true, false },
	{ JSON_MAX_DEPTH + 1, false, false },
	{ 1000, true, false },
};

/* Depth counts every value level: 15 arrays around a number are 16. */
START_TEST(parse_depth_limit)
{
	struct json_object *o;
	const char *why;
	char *s = nested(depth_rows[_i].arrays, depth_rows[_i].scalar);
	bool ok = json_parse_strict(s, strlen(s), &o, &why);

	ck_assert_msg(ok == depth_rows[_i].ok, "row %d: got %d", _i, ok);
	if (ok)
		json_object_put(o);
	else
		ck_assert_str_eq(why, WHY_DEPTH);
	free(s);
}
END_TEST

/* ---- validate_body: one field at a time ---- */

struct validate_case {
	struct field_spec	 fs;
	const char		*body;
	const char		*msg;	/* NULL: valid */
	const char		*type;
};

static const struct validate_case validate_cases[] = {
	/* Presence and null, whatever the type. */
	{ { "f", FT_STRING, REQ, 0, 0 }, "{}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, 0, 0, 0 }, "{}", NULL, NULL },
	{ { "f", FT_INT, REQ, 0, 0 }, "{\"g\":1}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, REQ | NUL_OK, 0, 0 }, "{}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":null}",
	    "none is not an allowed value", "type_error.none.not_allowed" },
	{ { "f", FT_INT, 0, 0, 0 }, "{\"f\":null}",
	    "none is not an allowed value", "type_error.none.not_allowed" },
	{ { "f", FT_STRING, NUL_OK, 0, 0 }, "{\"f\":null}", NULL, NULL },
	{ { "f", FT_INT, REQ | NUL_OK, 1, 10 }, "{\"f\":null}", NULL, NULL },
	{ { "f", FT_ARRAY, NUL_OK, 1, 0 }, "{\"f\":null}", NULL, NULL },

	/* FT_STRING */
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":\"\"}", NULL, NULL },
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":5}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":true}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":[\"a\"]}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0 }, "{\"f\":{}}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 1, 3 }, "{\"f\":\"abc\"}", NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 3 }, "{\"f\":\"\"}",
	    "ensure this value has at least 1 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ, 1, 3 }, "{\"f\":\"abcd\"}",
	    "ensure this value has at most 3 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_STRING, REQ, 8, 1024 }, "{\"f\":\"1234567\"}",
	    "ensure this value has at least 8 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ | FS_TRIM, 1, 0 }, "{\"f\":\" \\t\\n \"}",
	    "ensure this value has at least 1 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ, 1, 0 }, "{\"f\":\"   \"}", NULL, NULL },
	{ { "f", FT_STRING, REQ | FS_TRIM, 1, 3 }, "{\"f\":\"  abc  \"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 3 }, "{\"f\":\"  abc  \"}",
	    "ensure this value has at most 3 characters",
	    "value_error.any_str.max_length" },
	/* Lengths are code points: é is 2 bytes, U+1F600 is 4. */
	{ { "f", FT_STRING, REQ, 0, 2 }, "{\"f\":\"\xc3\xa9\xc3\xa9\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 0, 2 }, "{\"f\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	    "ensure this value has at most 2 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_STRING, REQ, 0, 1 }, "{\"f\":\"\xf0\x9f\x98\x80\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 2, 0 }, "{\"f\":\"\\u00e9\"}",
	    "ensure this value has at least 2 characters",
	    "value_error.any_str.min_length" },
	/* max 0 is no maximum; min 0 no minimum. */
	{ { "f", FT_STRING, REQ, 0, 0 },
	    "{\"f\":\"a very long string indeed, longer than any bound\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 0 }, "{\"f\":\"unbounded above\"}",
	    NULL, NULL },

	/* FT_EMAIL: trimmed always, then checked. */
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":\"a@example.com\"}",
	    NULL, NULL },
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":\"  A@Example.COM \"}",
	    NULL, NULL },
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":\"not-an-email\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":\"\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":\"a b@example.com\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0 }, "{\"f\":42}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_EMAIL, REQ, 0, 10 }, "{\"f\":\"abcdef@example.com\"}",
	    "ensure this value has at most 10 characters",
	    "value_error.any_str.max_length" },

	/* FT_URL: a string (trimmed when asked), bounded, then checked. */
	{ { "f", FT_URL, REQ | FS_TRIM, 0, 30 },
	    "{\"f\":\" https://example.com/a.png \"}", NULL, NULL },
	{ { "f", FT_URL, REQ, 0, 20 },
	    "{\"f\":\"https://example.com/a.png\"}",
	    "ensure this value has at most 20 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_URL, REQ, 0, 0 }, "{\"f\":\"javascript:alert(1)\"}",
	    "URL scheme not permitted", "value_error.url.scheme" },
	{ { "f", FT_URL, REQ, 0, 0 }, "{\"f\":\"http://\"}",
	    "URL host invalid", "value_error.url.host" },
	{ { "f", FT_URL, REQ, 0, 0 }, "{\"f\":\"\"}",
	    "invalid or missing URL scheme", "value_error.url.scheme" },
	{ { "f", FT_URL, REQ, 0, 0 }, "{\"f\":5}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_URL, NUL_OK, 0, 0 }, "{\"f\":null}", NULL, NULL },

	/* FT_INT */
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":5}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":1}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":10}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":0}",
	    "ensure this value is greater than or equal to 1",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":11}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, 1, 1000000 }, "{\"f\":-9223372036854775808}",
	    "ensure this value is greater than or equal to 1",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 0, 2147483647 }, "{\"f\":2147483648}",
	    "ensure this value is less than or equal to 2147483647",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":5.0}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":5.5}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":1e0}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":\"5\"}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":true}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10 }, "{\"f\":[5]}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, INT64_MIN, INT64_MAX },
	    "{\"f\":9223372036854775807}", NULL, NULL },
	{ { "f", FT_INT, REQ, INT64_MIN, INT64_MAX },
	    "{\"f\":-9223372036854775808}", NULL, NULL },
	/* Zero-initialised bounds: >= 0, no maximum. */
	{ { "f", FT_INT, REQ, 0, 0 }, "{\"f\":9000000000}", NULL, NULL },
	{ { "f", FT_INT, REQ, 0, 0 }, "{\"f\":-1}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 1, 0 }, "{\"f\":123456}", NULL, NULL },
	/* A negative minimum makes a max of 0 real. */
	{ { "f", FT_INT, REQ, -10, 0 }, "{\"f\":-10}", NULL, NULL },
	{ { "f", FT_INT, REQ, -10, 0 }, "{\"f\":1}",
	    "ensure this value is less than or equal to 0",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, -10, 0 }, "{\"f\":-11}",
	    "ensure this value is greater than or equal to -10",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, -1000000000, 1000000000 },
	    "{\"f\":-1000000001}",
	    "ensure this value is greater than or equal to -1000000000",
	    "value_error.number.not_ge" },

	/* FT_BOOL */
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":true}", NULL, NULL },
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":false}", NULL, NULL },
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":1}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":0}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":\"true\"}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0 }, "{\"f\":[]}",
	    "value could not be parsed to a boolean", "type_error.bool" },

	/* FT_DECIMAL (money: min 0) */
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":19.99}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":19.9}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":19}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":0.0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":-0.0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":19.990}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":1e2}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":1.5e-1}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":12345678.9}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":19.999}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":0.001}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":1.5e-3}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":1e-400}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":-1}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":-0.01}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	/* Bounds come before places, as in pydantic. */
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":-1.999}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_DECIMAL, REQ, 0, 10 }, "{\"f\":10.01}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_DECIMAL, REQ, 0, 10 }, "{\"f\":11}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_DECIMAL, REQ, 0, 10 }, "{\"f\":10.00}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":\"19.99\"}",
	    "value is not a valid decimal", "type_error.decimal" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":true}",
	    "value is not a valid decimal", "type_error.decimal" },
	{ { "f", FT_DECIMAL, REQ, 0, 0 }, "{\"f\":[1]}",
	    "value is not a valid decimal", "type_error.decimal" },

	/* FT_ARRAY */
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":[1,2]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 0, 0 }, "{\"f\":[]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 1, 0 }, "{\"f\":[1,2,3,4,5,6,7]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":[]}",
	    "ensure this value has at least 1 items",
	    "value_error.list.min_items" },
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":[1,2,3,4]}",
	    "ensure this value has at most 3 items",
	    "value_error.list.max_items" },
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":{}}",
	    "value is not a valid list", "type_error.list" },
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":\"abc\"}",
	    "value is not a valid list", "type_error.list" },
	{ { "f", FT_ARRAY, REQ, 1, 3 }, "{\"f\":1}",
	    "value is not a valid list", "type_error.list" },
};

/* Asserts that detail is {"loc":["body"(, field)],"msg":msg,"type":type}. */
static void
assert_detail(struct json_object *detail, const char *field,
    const char *msg, const char *type)
{
	struct json_object *loc;

	ck_assert(json_object_object_get_ex(detail, "loc", &loc));
	ck_assert_uint_eq(json_object_array_length(loc), field ? 2 : 1);
	ck_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(loc, 0)), "body");
	if (field != NULL)
		ck_assert_str_eq(json_object_get_string(
		    json_object_array_get_idx(loc, 1)), field);
	ck_assert_str_eq(json_get_str(detail, "msg"), msg);
	ck_assert_str_eq(json_get_str(detail, "type"), type);
}

START_TEST(validate_field_table)
{
	const struct validate_case *c = &validate_cases[_i];
	struct body_spec spec = { &c->fs, 1 };
	struct json_object *o = parse_ok(c->body), *d;

	d = validate_body(o, &spec);
	if (c->msg == NULL)
		ck_assert_msg(d == NULL, "row %d %s: %s", _i, c->body,
		    json_to_plain(d, NULL));
	else {
		ck_assert_msg(d != NULL, "row %d %s: accepted", _i, c->body);
		ck_assert_uint_eq(json_object_array_length(d), 1);
		ck_assert_msg(strcmp(json_get_str(json_object_array_get_idx(d,
		    0), "msg"), c->msg) == 0, "row %d %s: %s", _i, c->body,
		    json_to_plain(d, NULL));
		assert_detail(json_object_array_get_idx(d, 0), c->fs.name,
		    c->msg, c->type);
	}
	json_object_put(d);
	json_object_put(o);
}
END_TEST

static const struct field_spec some_fields[] = {
	{ "a", FT_STRING, REQ, 1, 0 },
};

static const char *const non_object_bodies[] = { "[]", "\"x\"", "5", "true",
    "[{\"a\":\"x\"}]" };

START_TEST(validate_refuses_non_object)
{
	struct body_spec spec = { some_fields, 1 };
	struct json_object *o = parse_ok(non_object_bodies[_i]), *d;

	d = validate_body(o, &spec);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_object_array_length(d), 1);
	assert_detail(json_object_array_get_idx(d, 0), NULL,
	    "value is not a valid dict", "type_error.dict");
	json_object_put(d);
	json_object_put(o);
}
END_TEST

START_TEST(validate_refuses_null_body)
{
	struct body_spec spec = { some_fields, 1 };
	struct json_object *d = validate_body(NULL, &spec);

	ck_assert_str_eq(json_to_plain(d, NULL), "[{\"loc\":[\"body\"],"
	    "\"msg\":\"value is not a valid dict\","
	    "\"type\":\"type_error.dict\"}]");
	json_object_put(d);
}
END_TEST

START_TEST(validate_details_in_spec_order)
{
	static const struct field_spec fields[] = {
		{ "email", FT_EMAIL, REQ, 0, 0 },
		{ "full_name", FT_STRING, REQ | FS_TRIM, 1, 255 },
		{ "password", FT_STRING, REQ, 8, 1024 },
		{ "is_admin", FT_BOOL, 0, 0, 0 },
	};
	struct body_spec spec = { fields, 4 };
	struct json_object *o = parse_ok("{\"is_admin\":\"yes\","
	    "\"password\":\"short\",\"email\":\"nope\",\"extra\":1}"), *d;

	d = validate_body(o, &spec);
	ck_assert_uint_eq(json_object_array_length(d), 4);
	ck_assert_str_eq(json_to_plain(d, NULL),
	    "[{\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a valid "
	    "email address\",\"type\":\"value_error.email\"},"
	    "{\"loc\":[\"body\",\"full_name\"],\"msg\":\"field required\","
	    "\"type\":\"value_error.missing\"},"
	    "{\"loc\":[\"body\",\"password\"],\"msg\":\"ensure this value has "
	    "at least 8 characters\",\"type\":"
	    "\"value_error.any_str.min_length\"},"
	    "{\"loc\":[\"body\",\"is_admin\"],\"msg\":\"value could not be "
	    "parsed to a boolean\",\"type\":\"type_error.bool\"}]");
	json_object_put(d);
	json_object_put(o);
}
END_TEST

START_TEST(validate_ignores_unknown_fields)
{
	static const struct field_spec fields[] = {
		{ "a", FT_INT, REQ, 0, 0 },
	};
	struct body_spec spec = { fields, 1 };
	struct json_object *o = parse_ok("{\"a\":1,\"b\":\"x\",\"c\":[null]}");

	ck_assert_ptr_null(validate_body(o, &spec));
	json_object_put(o);
}
END_TEST

START_TEST(validate_empty_spec_accepts_any_object)
{
	struct body_spec spec = { NULL, 0 };
	struct json_object *o = parse_ok("{\"a\":1}");

	ck_assert_ptr_null(validate_body(o, &spec));
	json_object_put(o);
}
END_TEST

START_TEST(validate_writes_trimmed_strings_back)
{
	static const struct field_spec fields[] = {
		{ "name", FT_STRING, REQ | FS_TRIM, 1, 0 },
		{ "email", FT_EMAIL, REQ, 0, 0 },
		{ "raw", FT_STRING, REQ, 0, 0 },
		{ "uni", FT_STRING, REQ | FS_TRIM, 0, 0 },
	};
	struct body_spec spec = { fields, 4 };
	struct json_object *o = parse_ok("{\"name\":\"  Bob Smith \\t\","
	    "\"email\":\"\\n A@Example.com \",\"raw\":\"  x  \","
	    "\"uni\":\" \xc3\xa9t\xc3\xa9 \"}");

	ck_assert_ptr_null(validate_body(o, &spec));
	ck_assert_str_eq(json_get_str(o, "name"), "Bob Smith");
	ck_assert_str_eq(json_get_str(o, "email"), "A@Example.com");
	ck_assert_str_eq(json_get_str(o, "raw"), "  x  ");
	ck_assert_str_eq(json_get_str(o, "uni"), "\xc3\xa9t\xc3\xa9");
	json_object_put(o);
}
END_TEST

START_TEST(validate_keeps_null_when_nullable)
{
	static const struct field_spec fields[] = {
		{ "notes", FT_STRING, FS_NULLABLE | FS_TRIM, 0, 10 },
	};
	struct body_spec spec = { fields, 1 };
	struct json_object *o = parse_ok("{\"notes\":null}");

	ck_assert_ptr_null(validate_body(o, &spec));
	ck_assert(json_has(o, "notes"));
	ck_assert_ptr_null(json_get_str(o, "notes"));
	json_object_put(o);
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;
} canon_rows[] = {
	{ "19.99", "19.99" },
	{ "19.90", "19.9" },
	{ "19.990", "19.99" },
	{ "0.050", "0.05" },
	{ "0.5", "0.5" },
	{ "1e2", "100" },
	{ "1.5E1", "15" },
	{ "1.5e-1", "0.15" },
	{ "-0.0", "0" },
	{ "0e5", "0" },
	{ "12345678.90", "12345678.9" },
	{ "7", "7" },			/* integers are left alone */
};

/* Valid decimals come back as exact canonical text. */
START_TEST(validate_canonicalises_decimals)
{
	static const struct field_spec fields[] = {
		{ "p", FT_DECIMAL, REQ, 0, 0 },
	};
	struct body_spec spec = { fields, 1 };
	char body[64];
	struct json_object *o, *v;

	snprintf(body, sizeof(body), "{\"p\":%s}", canon_rows[_i].in);
	o = parse_ok(body);
	ck_assert_ptr_null(validate_body(o, &spec));
	ck_assert(json_object_object_get_ex(o, "p", &v));
	ck_assert_str_eq(json_object_get_string(v), canon_rows[_i].out);
	ck_assert_str_eq(json_to_plain(v, NULL), canon_rows[_i].out);
	json_object_put(o);
}
END_TEST

START_TEST(validate_negative_decimal_range)
{
	static const struct field_spec fields[] = {
		{ "d", FT_DECIMAL, REQ, -100, 0 },
	};
	struct body_spec spec = { fields, 1 };
	struct json_object *o = parse_ok("{\"d\":-99.5}"), *d;

	ck_assert_ptr_null(validate_body(o, &spec));
	ck_assert_str_eq(json_to_plain(o, NULL), "{\"d\":-99.5}");
	json_object_put(o);
	o = parse_ok("{\"d\":0.5}");
	d = validate_body(o, &spec);
	assert_detail(json_object_array_get_idx(d, 0), "d",
	    "ensure this value is less than or equal to 0",
	    "value_error.number.not_le");
	json_object_put(d);
	json_object_put(o);
}
END_TEST

static const char *const huge_bodies[] = {
	"{\"q\":99999999999999999999}",
	"{\"q\":18446744073709551616}",
	"{\"q\":18446744073709551615}",
	"{\"q\":-99999999999999999999}",
	"{\"q\":1e400}",
};

/* The bug this guards against: json-c saturating to a bounded value. */
START_TEST(huge_integers_never_reach_validation)
{
	struct json_object *o;
	const char *why;

	ck_assert(!json_parse_strict(huge_bodies[_i], strlen(huge_bodies[_i]), &o,
	    &why));
	ck_assert_str_eq(why, WHY_RANGE);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("json_parse_strict");
	TCase *tc;

	tc = tcase_create("accepts RFC 8259 text");
	tcase_add_loop_test(tc, parse_accepts_rfc8259, 0,
	    NROWS(parse_accepted));
	tcase_add_test(tc, parse_builds_the_tree);
	tcase_add_test(tc, parse_null_text_is_null_object);
	tcase_add_test(tc, parse_respects_len_not_nul);
	suite_add_tcase(s, tc);
	tc = tcase_create("refuses what json-c lets through");
	tcase_add_loop_test(tc, parse_refuses_non_rfc8259, 0,
	    NROWS(parse_refused));
	tcase_add_test(tc, parse_null_buffer_is_empty);
	tcase_add_loop_test(tc, huge_integers_never_reach_validation, 0,
	    NROWS(huge_bodies));
	suite_add_tcase(s, tc);
	tc = tcase_create("limits nesting depth");
	tcase_add_loop_test(tc, parse_depth_limit, 0, NROWS(depth_rows));
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate_body");
	TCase *tc;

	tc = tcase_create("one field: types, flags, bounds, messages");
	tcase_add_loop_test(tc, validate_field_table, 0,
	    NROWS(validate_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("whole bodies");
	tcase_add_loop_test(tc, validate_refuses_non_object, 0,
	    NROWS(non_object_bodies));
	tcase_add_test(tc, validate_refuses_null_body);
	tcase_add_test(tc, validate_details_in_spec_order);
	tcase_add_test(tc, validate_ignores_unknown_fields);
	tcase_add_test(tc, validate_empty_spec_accepts_any_object);
	suite_add_tcase(s, tc);
	tc = tcase_create("rewrites values in place");
	tcase_add_test(tc, validate_writes_trimmed_strings_back);
	tcase_add_test(tc, validate_keeps_null_when_nullable);
	tcase_add_loop_test(tc, validate_canonicalises_decimals, 0,
	    NROWS(canon_rows));
	tcase_add_test(tc, validate_negative_decimal_range);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(parse_suite(), validate_suite(), NULL);
}
