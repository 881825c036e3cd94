/*
 * check_json.c: json.c and validate.c: strict parsing, declarative
 * validation (the exact pydantic-v1 422 details), getters, builders, and
 * the e-mail syntax of util.c.
 */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "json.h"
#include "validate.h"

/* A byte string that may hold NULs: its length comes from sizeof. */
#define BYTES(s)	(s), sizeof(s) - 1
#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Parses s strictly and fails the test when it is refused. New. */
static struct json_object *
parse_ok(const char *s)
{
	struct json_object *o = NULL;
	const char *why = NULL;

	ck_assert_msg(json_parse_strict(s, strlen(s), &o, &why),
	    "refused %s: %s", s, why != NULL ? why : "(null)");
	return o;
}

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

#define REQ	FS_REQUIRED
#define NUL_OK	FS_NULLABLE

static const struct validate_case validate_cases[] = {
	/* Presence and null, whatever the type. */
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, 0, 0, 0, FX_NONE }, "{}", NULL, NULL },
	{ { "f", FT_INT, REQ, 0, 0, FX_NONE }, "{\"g\":1}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, REQ | NUL_OK, 0, 0, FX_NONE }, "{}",
	    "field required", "value_error.missing" },
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":null}",
	    "none is not an allowed value", "type_error.none.not_allowed" },
	{ { "f", FT_INT, 0, 0, 0, FX_NONE }, "{\"f\":null}",
	    "none is not an allowed value", "type_error.none.not_allowed" },
	{ { "f", FT_STRING, NUL_OK, 0, 0, FX_NONE },
	    "{\"f\":null}", NULL, NULL },
	{ { "f", FT_INT, REQ | NUL_OK, 1, 10, FX_NONE },
	    "{\"f\":null}", NULL, NULL },
	{ { "f", FT_ARRAY, NUL_OK, 1, 0, FX_NONE },
	    "{\"f\":null}", NULL, NULL },

	/* FT_STRING */
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":\"\"}", NULL, NULL },
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":5}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":true}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":[\"a\"]}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE }, "{\"f\":{}}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_STRING, REQ, 1, 3, FX_NONE },
	    "{\"f\":\"abc\"}", NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 3, FX_NONE }, "{\"f\":\"\"}",
	    "ensure this value has at least 1 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ, 1, 3, FX_NONE }, "{\"f\":\"abcd\"}",
	    "ensure this value has at most 3 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_STRING, REQ, 8, 1024, FX_NONE }, "{\"f\":\"1234567\"}",
	    "ensure this value has at least 8 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ | FS_TRIM, 1, 0, FX_NONE },
	    "{\"f\":\" \\t\\n \"}",
	    "ensure this value has at least 1 characters",
	    "value_error.any_str.min_length" },
	{ { "f", FT_STRING, REQ, 1, 0, FX_NONE },
	    "{\"f\":\"   \"}", NULL, NULL },
	{ { "f", FT_STRING, REQ | FS_TRIM, 1, 3, FX_NONE },
	    "{\"f\":\"  abc  \"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 3, FX_NONE }, "{\"f\":\"  abc  \"}",
	    "ensure this value has at most 3 characters",
	    "value_error.any_str.max_length" },
	/* Lengths are code points: é is 2 bytes, U+1F600 is 4. */
	{ { "f", FT_STRING, REQ, 0, 2, FX_NONE },
	    "{\"f\":\"\xc3\xa9\xc3\xa9\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 0, 2, FX_NONE },
	    "{\"f\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	    "ensure this value has at most 2 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_STRING, REQ, 0, 1, FX_NONE },
	    "{\"f\":\"\xf0\x9f\x98\x80\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 2, 0, FX_NONE }, "{\"f\":\"\\u00e9\"}",
	    "ensure this value has at least 2 characters",
	    "value_error.any_str.min_length" },
	/* max 0 is no maximum; min 0 no minimum. */
	{ { "f", FT_STRING, REQ, 0, 0, FX_NONE },
	    "{\"f\":\"a very long string indeed, longer than any bound\"}",
	    NULL, NULL },
	{ { "f", FT_STRING, REQ, 1, 0, FX_NONE }, "{\"f\":\"unbounded above\"}",
	    NULL, NULL },

	/* FT_EMAIL: trimmed always, then checked. */
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":\"a@example.com\"}",
	    NULL, NULL },
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":\"  A@Example.COM \"}",
	    NULL, NULL },
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":\"not-an-email\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":\"\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":\"a b@example.com\"}",
	    "value is not a valid email address", "value_error.email" },
	{ { "f", FT_EMAIL, REQ, 0, 0, FX_NONE }, "{\"f\":42}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_EMAIL, REQ, 0, 10, FX_NONE },
	    "{\"f\":\"abcdef@example.com\"}",
	    "ensure this value has at most 10 characters",
	    "value_error.any_str.max_length" },

	/* FT_URL: a string (trimmed when asked), bounded, then checked. */
	{ { "f", FT_URL, REQ | FS_TRIM, 0, 30, FX_NONE },
	    "{\"f\":\" https://example.com/a.png \"}", NULL, NULL },
	{ { "f", FT_URL, REQ, 0, 20, FX_NONE },
	    "{\"f\":\"https://example.com/a.png\"}",
	    "ensure this value has at most 20 characters",
	    "value_error.any_str.max_length" },
	{ { "f", FT_URL, REQ, 0, 0, FX_NONE },
	    "{\"f\":\"javascript:alert(1)\"}",
	    "URL scheme not permitted", "value_error.url.scheme" },
	{ { "f", FT_URL, REQ, 0, 0, FX_NONE }, "{\"f\":\"http://\"}",
	    "URL host invalid", "value_error.url.host" },
	{ { "f", FT_URL, REQ, 0, 0, FX_NONE }, "{\"f\":\"\"}",
	    "invalid or missing URL scheme", "value_error.url.scheme" },
	{ { "f", FT_URL, REQ, 0, 0, FX_NONE }, "{\"f\":5}",
	    "str type expected", "type_error.str" },
	{ { "f", FT_URL, NUL_OK, 0, 0, FX_NONE }, "{\"f\":null}", NULL, NULL },

	/* FT_INT */
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":5}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":1}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":10}", NULL, NULL },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":0}",
	    "ensure this value is greater than or equal to 1",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":11}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, 1, 1000000, FX_NONE },
	    "{\"f\":-9223372036854775808}",
	    "ensure this value is greater than or equal to 1",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 0, 2147483647, FX_NONE }, "{\"f\":2147483648}",
	    "ensure this value is less than or equal to 2147483647",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":5.0}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":5.5}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":1e0}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":\"5\"}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":true}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, 1, 10, FX_NONE }, "{\"f\":[5]}",
	    "value is not a valid integer", "type_error.integer" },
	{ { "f", FT_INT, REQ, INT64_MIN, INT64_MAX, FX_NONE },
	    "{\"f\":9223372036854775807}", NULL, NULL },
	{ { "f", FT_INT, REQ, INT64_MIN, INT64_MAX, FX_NONE },
	    "{\"f\":-9223372036854775808}", NULL, NULL },
	/* Zero-initialised bounds: >= 0, no maximum. */
	{ { "f", FT_INT, REQ, 0, 0, FX_NONE },
	    "{\"f\":9000000000}", NULL, NULL },
	{ { "f", FT_INT, REQ, 0, 0, FX_NONE }, "{\"f\":-1}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, 1, 0, FX_NONE }, "{\"f\":123456}", NULL, NULL },
	/* A negative minimum makes a max of 0 real. */
	{ { "f", FT_INT, REQ, -10, 0, FX_NONE }, "{\"f\":-10}", NULL, NULL },
	{ { "f", FT_INT, REQ, -10, 0, FX_NONE }, "{\"f\":1}",
	    "ensure this value is less than or equal to 0",
	    "value_error.number.not_le" },
	{ { "f", FT_INT, REQ, -10, 0, FX_NONE }, "{\"f\":-11}",
	    "ensure this value is greater than or equal to -10",
	    "value_error.number.not_ge" },
	{ { "f", FT_INT, REQ, -1000000000, 1000000000, FX_NONE },
	    "{\"f\":-1000000001}",
	    "ensure this value is greater than or equal to -1000000000",
	    "value_error.number.not_ge" },

	/* FT_BOOL */
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":true}", NULL, NULL },
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":false}", NULL, NULL },
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":1}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":0}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":\"true\"}",
	    "value could not be parsed to a boolean", "type_error.bool" },
	{ { "f", FT_BOOL, REQ, 0, 0, FX_NONE }, "{\"f\":[]}",
	    "value could not be parsed to a boolean", "type_error.bool" },

	/* FT_DECIMAL (money: min 0) */
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE },
	    "{\"f\":19.99}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":19.9}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":19}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":0.0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":-0.0}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE },
	    "{\"f\":19.990}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":1e2}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE },
	    "{\"f\":1.5e-1}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE },
	    "{\"f\":12345678.9}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":19.999}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":0.001}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":1.5e-3}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":1e-400}",
	    "ensure that there are no more than 2 decimal places",
	    "value_error.decimal.max_places" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":-1}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":-0.01}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	/* Bounds come before places, as in pydantic. */
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":-1.999}",
	    "ensure this value is greater than or equal to 0",
	    "value_error.number.not_ge" },
	{ { "f", FT_DECIMAL, REQ, 0, 10, FX_NONE }, "{\"f\":10.01}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_DECIMAL, REQ, 0, 10, FX_NONE }, "{\"f\":11}",
	    "ensure this value is less than or equal to 10",
	    "value_error.number.not_le" },
	{ { "f", FT_DECIMAL, REQ, 0, 10, FX_NONE },
	    "{\"f\":10.00}", NULL, NULL },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":\"19.99\"}",
	    "value is not a valid decimal", "type_error.decimal" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":true}",
	    "value is not a valid decimal", "type_error.decimal" },
	{ { "f", FT_DECIMAL, REQ, 0, 0, FX_NONE }, "{\"f\":[1]}",
	    "value is not a valid decimal", "type_error.decimal" },

	/* FT_ARRAY */
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":[1,2]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 0, 0, FX_NONE }, "{\"f\":[]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 1, 0, FX_NONE },
	    "{\"f\":[1,2,3,4,5,6,7]}", NULL, NULL },
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":[]}",
	    "ensure this value has at least 1 items",
	    "value_error.list.min_items" },
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":[1,2,3,4]}",
	    "ensure this value has at most 3 items",
	    "value_error.list.max_items" },
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":{}}",
	    "value is not a valid list", "type_error.list" },
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":\"abc\"}",
	    "value is not a valid list", "type_error.list" },
	{ { "f", FT_ARRAY, REQ, 1, 3, FX_NONE }, "{\"f\":1}",
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
	{ "a", FT_STRING, REQ, 1, 0, FX_NONE },
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
		{ "email", FT_EMAIL, REQ, 0, 0, FX_NONE },
		{ "full_name", FT_STRING, REQ | FS_TRIM, 1, 255, FX_NONE },
		{ "password", FT_STRING, REQ, 8, 1024, FX_NONE },
		{ "is_admin", FT_BOOL, 0, 0, 0, FX_NONE },
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
		{ "a", FT_INT, REQ, 0, 0, FX_NONE },
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
		{ "name", FT_STRING, REQ | FS_TRIM, 1, 0, FX_NONE },
		{ "email", FT_EMAIL, REQ, 0, 0, FX_NONE },
		{ "raw", FT_STRING, REQ, 0, 0, FX_NONE },
		{ "uni", FT_STRING, REQ | FS_TRIM, 0, 0, FX_NONE },
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
		{ "notes", FT_STRING, FS_NULLABLE | FS_TRIM, 0, 10, FX_NONE },
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
		{ "p", FT_DECIMAL, REQ, 0, 0, FX_NONE },
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
		{ "d", FT_DECIMAL, REQ, -100, 0, FX_NONE },
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
		{ "id", FT_INT, REQ, 1, INT64_MAX, FX_NONE },
		{ "n", FT_INT, REQ, 1, 10, FX_NONE },
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
	return tu_run(parse_suite(), validate_suite(), helpers_suite(),
	    NULL);
}
