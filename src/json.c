/*
 * json.c: strict JSON parsing on top of json-c, typed getters, builders
 * (422 detail objects among them) and a streaming writer for replies made
 * of many rows.
 *
 * json-c 0.16 in STRICT mode still lets through NaN, Infinity, single-quoted
 * keys, "-01", "1.", raw control characters in strings, overlong and
 * surrogate UTF-8, "\u0000", and integers beyond 64 bits (saturated). So
 * json-c parses and builds the tree, then one lexical pass over the same
 * text (json_lex_check) enforces RFC 8259 and our limits.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "messages.h"
#include "util.h"

#define PLAIN_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Reasons json_parse_strict gives in *why: a 422 entry's msg. */
#define WHY_EMPTY	(messages[MSG_JSON_EMPTY].text)
#define WHY_SYNTAX	(messages[MSG_JSON_SYNTAX].text)
#define WHY_UTF8	(messages[MSG_JSON_UTF8].text)
#define WHY_NUL		(messages[MSG_JSON_NUL].text)
#define WHY_DEPTH	(messages[MSG_JSON_DEPTH].text)
#define WHY_RANGE	(messages[MSG_JSON_RANGE].text)
#define WHY_SIZE	(messages[MSG_JSON_SIZE].text)

/* ---- UTF-8 ---- */

/*
 * Length (1..4) of the well-formed UTF-8 sequence at s, which has avail
 * bytes, or 0. RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range is what excludes overlongs and surrogates. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

bool
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return false;
	return true;
}

size_t
json_utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* ---- the lexical pass ---- */

struct lex {
	const unsigned char	*p;
	size_t			 len;
	size_t			 i;
};

/*
 * Length of the RFC 8259 number at the start of p[0..len), 0 when there is
 * none. *integral tells whether it has neither fraction nor exponent.
 */
static size_t
num_scan(const unsigned char *p, size_t len, bool *integral)
{
	size_t i = 0;

	*integral = true;
	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0')
		i++;
	else if (i < len && p[i] >= '1' && p[i] <= '9')
		while (i < len && is_ascii_digit(p[i]))
			i++;
	else
		return 0;
	if (i < len && p[i] == '.') {
		*integral = false;
		if (++i >= len || !is_ascii_digit(p[i]))
			return 0;
		while (i < len && is_ascii_digit(p[i]))
			i++;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		*integral = false;
		if (++i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= len || !is_ascii_digit(p[i]))
			return 0;
		while (i < len && is_ascii_digit(p[i]))
			i++;
	}
	return i;
}

/* Whether the n-byte number literal s fits: int64 for integers, a finite
 * double otherwise (json-c would saturate the first and make inf of the
 * second). */
static bool
num_in_range(const char *s, size_t n, bool integral)
{
	char *copy = xstrndup(s, n);
	bool ok;

	errno = 0;
	if (integral) {
		(void)strtoll(copy, NULL, 10);
		ok = errno != ERANGE;
	} else
		ok = isfinite(strtod(copy, NULL));
	free(copy);
	return ok;
}

static const char *
lex_number(struct lex *lx)
{
	const unsigned char *p = lx->p + lx->i;
	size_t rest = lx->len - lx->i, n;
	bool integral;

	n = num_scan(p, rest, &integral);
	/* "-01" scans as "-0": the digit after it makes it invalid. */
	if (n == 0 || (n < rest && strchr("0123456789.eE+-", p[n]) != NULL))
		return WHY_SYNTAX;
	lx->i += n;
	return num_in_range((const char *)p, n, integral) ? NULL : WHY_RANGE;
}

/* Only the three literals of RFC 8259: json-c also takes NaN, Infinity. */
static const char *
lex_word(struct lex *lx)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t n = 0, k;

	while (lx->i + n < lx->len && isalpha(lx->p[lx->i + n]))
		n++;
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (strlen(words[k]) == n &&
		    memcmp(lx->p + lx->i, words[k], n) == 0) {
			lx->i += n;
			return NULL;
		}
	return WHY_SYNTAX;
}

/*
 * A string, from after its opening quote to after its closing one. json-c
 * has checked the escapes; here raw control characters, "\u0000" and
 * ill-formed UTF-8 are refused.
 */
static const char *
lex_string(struct lex *lx)
{
	size_t n;

	for (;;) {
		const unsigned char *p = lx->p + lx->i;
		size_t rest = lx->len - lx->i;

		if (rest == 0)
			return WHY_SYNTAX;
		if (p[0] == '"') {
			lx->i++;
			return NULL;
		}
		if (p[0] == '\0')
			return WHY_NUL;
		if (p[0] < 0x20)
			return WHY_SYNTAX;
		if (p[0] == '\\') {
			if (rest >= 6 && memcmp(p + 1, "u0000", 5) == 0)
				return WHY_NUL;
			/* Skipping the escaped byte keeps \" inside. */
			lx->i += rest >= 2 ? 2 : 1;
			continue;
		}
		if ((n = utf8_seq(p, rest)) == 0)
			return WHY_UTF8;
		lx->i += n;
	}
}

/* NULL when buf[0..len) is RFC 8259 JSON within our limits, else why. */
static const char *
json_lex_check(const char *buf, size_t len)
{
	struct lex lx = { (const unsigned char *)buf, len, 0 };
	const char *why = NULL;

	while (why == NULL && lx.i < lx.len) {
		unsigned char c = lx.p[lx.i];

		if (c == '"') {
			lx.i++;
			why = lex_string(&lx);
		} else if (c == '-' || is_ascii_digit(c))
			why = lex_number(&lx);
		else if (isalpha(c))
			why = lex_word(&lx);
		else if (c != '\0' && strchr(" \t\n\r{}[],:", c) != NULL)
			lx.i++;
		else
			why = c == '\0' ? WHY_NUL : WHY_SYNTAX;
	}
	return why;
}

/* ---- parsing ---- */

static const char *
tokener_why(enum json_tokener_error err)
{
	switch (err) {
	case json_tokener_error_depth:
		return WHY_DEPTH;
	case json_tokener_error_parse_utf8_string:
		return WHY_UTF8;
	default:
		return WHY_SYNTAX;
	}
}

/* JSON null parses to a NULL *out and true, as json-c represents it. */
bool
json_parse_strict(const char *buf, size_t len, struct json_object **out,
    const char **why)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error err;

	*out = NULL;
	*why = NULL;
	if (buf == NULL || len == 0) {
		*why = WHY_EMPTY;
		return false;
	}
	if (len > INT_MAX) {
		*why = WHY_SIZE;
		return false;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL) {
		log_error("json_tokener_new_ex: out of memory");
		abort();
	}
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_continue) {
		/* A top-level number or literal ends only where json-c sees
		 * what follows it: show it the end of the string. */
		obj = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
	} else if (err == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len)
		err = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);

	if (err != json_tokener_success)
		*why = tokener_why(err);
	else
		*why = json_lex_check(buf, len);
	if (*why != NULL) {
		json_object_put(obj);
		return false;
	}
	*out = obj;
	return true;
}

/* ---- details ---- */

/* Appends {"loc": loc, "msg", "type"} to *details; takes loc. */
static void
detail_push(struct json_object **details, struct json_object *loc,
    const char *msg, const char *type)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "loc", loc);
	json_object_object_add(d, "msg", json_object_new_string(msg));
	json_object_object_add(d, "type", json_object_new_string(type));
	if (*details == NULL)
		*details = json_object_new_array();
	json_object_array_add(*details, d);
}

void
json_detail_add(struct json_object **details, const char *where,
    const char *field, const char *msg, const char *type)
{
	struct json_object *loc = json_object_new_array();

	json_object_array_add(loc, json_object_new_string(where));
	if (field != NULL)
		json_object_array_add(loc, json_object_new_string(field));
	detail_push(details, loc, msg, type);
}

void
json_detail_add_item(struct json_object **details, const char *where,
    const char *array, size_t index, const char *field, const char *msg,
    const char *type)
{
	struct json_object *loc = json_object_new_array();

	json_object_array_add(loc, json_object_new_string(where));
	json_object_array_add(loc, json_object_new_string(array));
	json_object_array_add(loc, json_object_new_int64((int64_t)index));
	if (field != NULL)
		json_object_array_add(loc, json_object_new_string(field));
	detail_push(details, loc, msg, type);
}

/* ---- getters and builders ---- */

/* Borrowed member of obj, NULL when absent, null, or obj no object. */
static struct json_object *
obj_member(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

const char *
json_get_str(struct json_object *obj, const char *name)
{
	struct json_object *v = obj_member(obj, name);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

bool
json_get_int(struct json_object *obj, const char *name, int64_t *out)
{
	struct json_object *v = obj_member(obj, name);

	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

bool
json_get_bool(struct json_object *obj, const char *name, bool *out)
{
	struct json_object *v = obj_member(obj, name);

	if (!json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

bool
json_has(struct json_object *obj, const char *name)
{
	return json_object_object_get_ex(obj, name, NULL);
}

const char *
json_to_plain(struct json_object *obj, size_t *len)
{
	size_t n;
	const char *s;

	s = json_object_to_json_string_length(obj, PLAIN_FLAGS, &n);
	if (len != NULL)
		*len = n;
	return s;
}

struct json_object *
json_str_or_null(const char *s)
{
	return s == NULL ? NULL : json_object_new_string(s);
}

/*
 * The text is written out verbatim by json-c, so it must be a JSON number
 * without exponent ("19.90", "-5", "0.50"); anything else is a bug in the
 * caller, logged and sent as null rather than as broken JSON.
 */
static bool
decimal_text_ok(const char *s)
{
	size_t len = strlen(s);
	bool integral;

	if (len == 0 || num_scan((const unsigned char *)s, len, &integral) !=
	    len || strpbrk(s, "eE") != NULL) {
		log_error("json_decimal: not a decimal: \"%.32s\"", s);
		return false;
	}
	return true;
}

struct json_object *
json_decimal(const char *s)
{
	if (s == NULL || !decimal_text_ok(s))
		return NULL;
	return json_object_new_double_s(strtod(s, NULL), s);
}

/* ---- writer ---- */

void
jw_init(struct json_writer *w)
{
	buf_init(&w->out);
	w->comma = false;
}

char *
jw_take(struct json_writer *w, size_t *len)
{
	*len = w->out.len;
	return buf_take(&w->out);
}

void
jw_free(struct json_writer *w)
{
	buf_free(&w->out);
}

/* Starts a value (or a member) at the current level. */
static void
jw_sep(struct json_writer *w)
{
	if (w->comma)
		buf_append(&w->out, ",", 1);
	w->comma = true;
}

static void
jw_open(struct json_writer *w, char c)
{
	jw_sep(w);
	buf_append(&w->out, &c, 1);
	w->comma = false;
}

static void
jw_close(struct json_writer *w, char c)
{
	buf_append(&w->out, &c, 1);
	w->comma = true;
}

void
jw_begin_object(struct json_writer *w)
{
	jw_open(w, '{');
}

void
jw_end_object(struct json_writer *w)
{
	jw_close(w, '}');
}

void
jw_begin_array(struct json_writer *w)
{
	jw_open(w, '[');
}

void
jw_end_array(struct json_writer *w)
{
	jw_close(w, ']');
}

/*
 * s as a JSON string, escaped as json-c escapes with
 * JSON_C_TO_STRING_NOSLASHESCAPE: the two-character forms, other control
 * characters as \u00XX, everything else (UTF-8 included) as is.
 */
static void
jw_quoted(struct json_writer *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[6];

	buf_append(&w->out, "\"", 1);
	for (; *p != '\0'; p++) {
		const char *e;
		size_t n = 2;

		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		switch (*p) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			e = esc;
			n = 6;
			break;
		}
		buf_append(&w->out, run, (size_t)(p - run));
		buf_append(&w->out, e, n);
		run = p + 1;
	}
	buf_append(&w->out, run, (size_t)(p - run));
	buf_append(&w->out, "\"", 1);
}

void
jw_key(struct json_writer *w, const char *name)
{
	jw_sep(w);
	jw_quoted(w, name);
	buf_append(&w->out, ":", 1);
	w->comma = false;
}

void
jw_int(struct json_writer *w, int64_t v)
{
	jw_sep(w);
	buf_put_i64(&w->out, v);
}

void
jw_bool(struct json_writer *w, bool v)
{
	jw_sep(w);
	buf_puts(&w->out, v ? "true" : "false");
}

void
jw_null(struct json_writer *w)
{
	jw_sep(w);
	buf_append(&w->out, "null", 4);
}

void
jw_str(struct json_writer *w, const char *s)
{
	jw_sep(w);
	if (s == NULL)
		buf_append(&w->out, "null", 4);
	else
		jw_quoted(w, s);
}

void
jw_decimal(struct json_writer *w, const char *s)
{
	jw_sep(w);
	if (s == NULL || !decimal_text_ok(s))
		buf_append(&w->out, "null", 4);
	else
		buf_puts(&w->out, s);
}


void
jw_utc_datetime(struct json_writer *w, const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	char iso[sizeof(shape) + 3];
	size_t i;

	for (i = 0; s != NULL && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !is_ascii_digit((unsigned char)s[i]) :
		    s[i] != shape[i])
			break;
	if (s == NULL || i < sizeof(shape) - 1 || s[i] != '\0') {
		if (s != NULL)
			log_error("jw_utc_datetime: not a DATETIME: \"%.32s\"",
			    s);
		jw_str(w, NULL);
		return;
	}
	iso[0] = '"';
	memcpy(iso + 1, s, 10);
	iso[11] = 'T';
	memcpy(iso + 12, s + 11, 8);
	iso[20] = 'Z';
	iso[21] = '"';
	jw_sep(w);
	buf_append(&w->out, iso, 22);
}
