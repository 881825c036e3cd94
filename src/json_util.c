/*
 * json_util.c: strict JSON parsing on top of json-c, declarative body
 * validation producing pydantic-v1-shaped 422 details, and small getters.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "log.h"
#include "util.h"

#define PLAIN_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define MAX_PLACES	2	/* FT_DECIMAL: money */

/* Reasons json_parse_strict gives in *why. */
static const char WHY_EMPTY[] = "Empty body";
static const char WHY_SYNTAX[] = "Invalid JSON";
static const char WHY_UTF8[] = "Invalid UTF-8";
static const char WHY_NUL[] = "NUL character in JSON text";
static const char WHY_DEPTH[] = "JSON nested too deeply";
static const char WHY_RANGE[] = "Number out of range";
static const char WHY_SIZE[] = "JSON text too large";

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

/* Code points in valid UTF-8 s: what Python's len() counts. */
static size_t
utf8_chars(const char *s, size_t len)
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

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

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
		while (i < len && is_digit(p[i]))
			i++;
	else
		return 0;
	if (i < len && p[i] == '.') {
		*integral = false;
		if (++i >= len || !is_digit(p[i]))
			return 0;
		while (i < len && is_digit(p[i]))
			i++;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		*integral = false;
		if (++i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= len || !is_digit(p[i]))
			return 0;
		while (i < len && is_digit(p[i]))
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
		} else if (c == '-' || is_digit(c))
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

/* ---- validation ---- */

/* Why one field failed; msg is built here as it may carry a bound. */
struct verr {
	const char	*type;
	char		 msg[128];
};

/* Fills e and returns false, so checks read "return ok || fail(...)". */
static bool __attribute__((format(printf, 3, 4)))
fail(struct verr *e, const char *type, const char *fmt, ...)
{
	va_list ap;

	e->type = type;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Whether fs->max bounds the value. A max of 0 means "no maximum" (the
 * zero-initialised spec) unless min is negative, as in a range -10..0.
 * min always applies: specs use INT64_MIN for an unbounded integer.
 */
static bool
spec_has_max(const struct field_spec *fs)
{
	return fs->max != 0 || fs->min < 0;
}

/* What a length bound counts, for the messages. */
struct len_kind {
	const char	*unit;
	const char	*type_min;
	const char	*type_max;
};

static const struct len_kind LEN_STR = { "characters",
	"value_error.any_str.min_length", "value_error.any_str.max_length" };
static const struct len_kind LEN_LIST = { "items",
	"value_error.list.min_items", "value_error.list.max_items" };

static bool
check_length(const struct field_spec *fs, size_t n,
    const struct len_kind *k, struct verr *e)
{
	if (fs->min > 0 && n < (uint64_t)fs->min)
		return fail(e, k->type_min, "ensure this value has at least "
		    "%" PRId64 " %s", fs->min, k->unit);
	if (spec_has_max(fs) && fs->max >= 0 && n > (uint64_t)fs->max)
		return fail(e, k->type_max, "ensure this value has at most "
		    "%" PRId64 " %s", fs->max, k->unit);
	return true;
}

/* Bounds of a number, given how it compares to fs->min and fs->max. */
static bool
check_bounds(const struct field_spec *fs, bool below, bool above,
    struct verr *e)
{
	if (below)
		return fail(e, "value_error.number.not_ge", "ensure this value "
		    "is greater than or equal to %" PRId64, fs->min);
	if (above && spec_has_max(fs))
		return fail(e, "value_error.number.not_le", "ensure this value "
		    "is less than or equal to %" PRId64, fs->max);
	return true;
}

static bool type_error(const struct field_spec *, struct verr *);

/*
 * Strings: trimmed in place when asked (emails always), then bounded in
 * code points as Python counts them. Trimming is of ASCII white space.
 */
static bool
check_string(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	const char *s;
	char *trimmed;

	(void)obj;
	if (!json_object_is_type(v, json_type_string))
		return type_error(fs, e);
	if ((fs->flags & FS_TRIM) || fs->type == FT_EMAIL) {
		s = json_object_get_string(v);
		trimmed = str_trim_dup(s);
		if (strcmp(trimmed, s) != 0)
			json_object_set_string(v, trimmed);
		free(trimmed);
	}
	return check_length(fs, utf8_chars(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)), &LEN_STR, e);
}

static bool
check_email(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	if (!check_string(obj, fs, v, e))
		return false;
	return json_email_valid(json_object_get_string(v)) ||
	    fail(e, "value_error.email", "value is not a valid email address");
}

static bool
check_url(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	const char *msg, *type;

	if (!check_string(obj, fs, v, e))
		return false;
	return json_url_valid(json_object_get_string(v), &msg, &type) ||
	    fail(e, type, "%s", msg);
}

static bool
check_int(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	int64_t i;

	(void)obj;
	if (!json_object_is_type(v, json_type_int))
		return type_error(fs, e);
	i = json_object_get_int64(v);
	return check_bounds(fs, i < fs->min, i > fs->max, e);
}

static bool
check_bool(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	(void)obj;
	return json_object_is_type(v, json_type_boolean) || type_error(fs, e);
}

/* Writes sign, the n digits dig (no leading zero) and scale (<= 2)
 * decimal places; a negative scale appends zeros. */
static void
dec_format(struct buf *out, bool neg, const char *dig, size_t n, long scale)
{
	if (n == 0) {
		buf_puts(out, "0");
		return;
	}
	if (neg)
		buf_puts(out, "-");
	if (scale <= 0) {
		buf_append(out, dig, n);
		for (; scale < 0; scale++)
			buf_puts(out, "0");
	} else if (n <= (size_t)scale)
		buf_printf(out, "0.%.*s%.*s", (int)(scale - (long)n), "00",
		    (int)n, dig);
	else
		buf_printf(out, "%.*s.%.*s", (int)(n - (size_t)scale), dig,
		    (int)scale, dig + n - (size_t)scale);
}

/*
 * Rewrites the JSON number literal lit (valid RFC 8259 grammar, finite)
 * into out as a plain decimal without exponent or trailing fractional
 * zeros: "1.50e1" -> "15", "0.050" -> "0.05", "-0.0" -> "0". Returns the
 * decimal places of the value, or -1 when more than MAX_PLACES. Places
 * are those of the exact value, so "19.990" and "1e2" pass as they do in
 * FastAPI (where the number goes through a float); "19.999" does not.
 */
static int
dec_canon(const char *lit, struct buf *out)
{
	struct buf d;
	const char *p = lit, *dig;
	bool neg = false;
	long scale = 0, x;
	size_t n;

	buf_init(&d);
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; is_digit((unsigned char)*p); p++)
		buf_append(&d, p, 1);
	if (*p == '.')
		for (p++; is_digit((unsigned char)*p); p++, scale++)
			buf_append(&d, p, 1);
	if (*p == 'e' || *p == 'E') {
		/* Saturated by strtol; clamped so scale cannot overflow. A
		 * finite literal never needs more. */
		x = strtol(p + 1, NULL, 10);
		x = x > 100000 ? 100000 : x < -100000 ? -100000 : x;
		scale -= x;
	}
	/* value = digits * 10^-scale; drop non-significant zeros. */
	dig = d.data != NULL ? d.data : "";
	n = d.len;
	while (n > 0 && *dig == '0') {
		dig++;
		n--;
	}
	while (n > 0 && scale > 0 && dig[n - 1] == '0') {
		n--;
		scale--;
	}
	if (n == 0)
		scale = 0;
	if (scale > MAX_PLACES) {
		buf_free(&d);
		return -1;
	}
	dec_format(out, neg, dig, n, scale);
	buf_free(&d);
	return scale > 0 ? (int)scale : 0;
}

/*
 * Money: an integer, or a double whose literal has at most two decimal
 * places. A valid double is replaced in obj by its canonical decimal text
 * (json_decimal), so json_object_get_string() gives handlers "15" for
 * 1.5e1, ready for a DECIMAL column. Bounds are compared as doubles,
 * exact for money far below 2^53.
 */
static bool
check_decimal(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	struct buf canon;
	double d;
	bool ok;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		return check_bounds(fs, i < fs->min, i > fs->max, e);
	}
	if (!json_object_is_type(v, json_type_double))
		return type_error(fs, e);
	d = json_object_get_double(v);
	if (!isfinite(d))
		return type_error(fs, e);
	if (!check_bounds(fs, d < (double)fs->min, d > (double)fs->max, e))
		return false;
	buf_init(&canon);
	ok = dec_canon(json_object_get_string(v), &canon) >= 0;
	if (ok)
		/* Releases v, which is not used after this. */
		json_object_object_add(obj, fs->name,
		    json_decimal(canon.data));
	buf_free(&canon);
	return ok || fail(e, "value_error.decimal.max_places", "ensure that "
	    "there are no more than %d decimal places", MAX_PLACES);
}

static bool
check_array(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	(void)obj;
	if (!json_object_is_type(v, json_type_array))
		return type_error(fs, e);
	return check_length(fs, json_object_array_length(v), &LEN_LIST, e);
}

/*
 * Per field type: the check of a present, non-null value v of obj (which
 * may replace it in obj), and the error for a value of the wrong type.
 */
typedef bool (*field_check)(struct json_object *obj,
    const struct field_spec *fs, struct json_object *v, struct verr *e);

static const struct field_type_info {
	field_check	 check;
	const char	*msg;
	const char	*type;
} field_types[FT__MAX] = {
	/* FT_STRING */
	{ check_string, "str type expected", "type_error.str" },
	/* FT_EMAIL */
	{ check_email, "str type expected", "type_error.str" },
	/* FT_INT */
	{ check_int, "value is not a valid integer", "type_error.integer" },
	/* FT_BOOL */
	{ check_bool, "value could not be parsed to a boolean",
	    "type_error.bool" },
	/* FT_DECIMAL */
	{ check_decimal, "value is not a valid decimal", "type_error.decimal" },
	/* FT_ARRAY */
	{ check_array, "value is not a valid list", "type_error.list" },
	/* FT_URL */
	{ check_url, "str type expected", "type_error.str" },
};

static bool
type_error(const struct field_spec *fs, struct verr *e)
{
	return fail(e, field_types[fs->type].type, "%s",
	    field_types[fs->type].msg);
}

static bool
check_field(struct json_object *obj, const struct field_spec *fs,
    struct verr *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, fs->name, &v))
		return !(fs->flags & FS_REQUIRED) ||
		    fail(e, "value_error.missing", "field required");
	if (v == NULL)
		return (fs->flags & FS_NULLABLE) ||
		    fail(e, "type_error.none.not_allowed",
		    "none is not an allowed value");
	if ((unsigned)fs->type >= FT__MAX) {
		log_error("json_validate: field %s: bad type %d", fs->name,
		    (int)fs->type);
		return fail(e, "type_error", "invalid field specification");
	}
	return field_types[fs->type].check(obj, fs, v, e);
}

struct json_object *
json_validate(struct json_object *obj, const struct body_spec *spec)
{
	struct json_object *details = NULL;
	struct verr e;
	size_t i;

	if (!json_object_is_type(obj, json_type_object)) {
		json_detail_add(&details, "body", NULL,
		    "value is not a valid dict", "type_error.dict");
		return details;
	}
	for (i = 0; i < spec->nfields; i++)
		if (!check_field(obj, &spec->fields[i], &e))
			json_detail_add(&details, "body",
			    spec->fields[i].name, e.msg, e.type);
	return details;
}

bool
json_validate_array(struct json_object *obj, const char *name,
    const struct body_spec *elem, struct json_object **details)
{
	struct json_object *arr = NULL, *v;
	struct verr e;
	size_t i, k, n;
	bool ok = true;

	if (!json_object_object_get_ex(obj, name, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return true;	/* absent or not a list: the field's own spec */
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_object)) {
			json_detail_add_item(details, "body", name, i, NULL,
			    "value is not a valid dict", "type_error.dict");
			ok = false;
			continue;
		}
		for (k = 0; k < elem->nfields; k++)
			if (!check_field(v, &elem->fields[k], &e)) {
				json_detail_add_item(details, "body", name, i,
				    elem->fields[k].name, e.msg, e.type);
				ok = false;
			}
	}
	return ok;
}

/* ---- getters and builders ---- */

/* Borrowed member of obj, NULL when absent, null, or obj no object. */
static struct json_object *
member(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

const char *
json_get_str(struct json_object *obj, const char *name)
{
	struct json_object *v = member(obj, name);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

bool
json_get_int(struct json_object *obj, const char *name, int64_t *out)
{
	struct json_object *v = member(obj, name);

	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

bool
json_get_bool(struct json_object *obj, const char *name, bool *out)
{
	struct json_object *v = member(obj, name);

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

/* ---- email ---- */

static bool
is_alnum_ascii(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Local part: 1..64 bytes, no space, control or RFC 5322 special, dots
 * only between other characters. UTF-8 (RFC 6531) is allowed. */
static bool
email_local_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || strchr("()<>[]:;@\\,\"", c))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* Domain: two or more ASCII labels of 1..63 letters, digits and inner
 * hyphens. An empty label is a leading, trailing or double dot. */
static bool
email_domain_valid(const char *d)
{
	size_t label = 0, labels = 0;
	const char *p;

	for (p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			if (*p == '\0')
				break;
			label = 0;
		} else if (is_alnum_ascii((unsigned char)*p) ||
		    (*p == '-' && label > 0))
			label++;
		else
			return false;
	}
	return labels >= 2;
}

bool
json_email_valid(const char *s)
{
	const char *at;

	if (s == NULL || strlen(s) > 254 || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return false;
	return email_local_valid(s, (size_t)(at - s)) &&
	    email_domain_valid(at + 1);
}

/* ---- URL ---- */

/* A character RFC 3986 allows in a URI as it is ('%' starts an escape). */
static bool
uri_char(unsigned char c)
{
	return is_alnum_ascii(c) || (c != '\0' &&
	    strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL);
}

/* A host: a name or IPv4 address (unreserved characters and escapes), or
 * an IP literal in brackets; n bytes at h. */
static bool
url_host_valid(const char *h, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (i = 0; i < n; i++)
		if (!is_alnum_ascii((unsigned char)h[i]) &&
		    strchr("-._~%", h[i]) == NULL)
			return false;
	return true;
}

/* Sets *msg and *type and returns false. */
static bool
url_fail(const char **msg, const char **type, const char *m, const char *t)
{
	*msg = m;
	*type = t;
	return false;
}

bool
json_url_valid(const char *s, const char **msg, const char **type)
{
	const char *auth, *end, *colon = NULL;
	size_t i, n, slen;
	int64_t port;
	char digits[8];

	slen = strlen(s);
	for (i = 0; i < slen; i++)
		if (!uri_char((unsigned char)s[i]) || (s[i] == '%' &&
		    (!isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))))
			return url_fail(msg, type, "URL invalid: spaces, "
			    "control and non-ASCII characters must be "
			    "percent-encoded", "value_error.url");
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+-.");
	if (n == 0 || s[n] != ':' || !isalpha((unsigned char)s[0]))
		return url_fail(msg, type, "invalid or missing URL scheme",
		    "value_error.url.scheme");
	if (!((n == 4 && strncasecmp(s, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(s, "https", 5) == 0)))
		return url_fail(msg, type, "URL scheme not permitted",
		    "value_error.url.scheme");
	if (strncmp(s + n, "://", 3) != 0)
		return url_fail(msg, type, "URL host invalid",
		    "value_error.url.host");
	auth = s + n + 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return url_fail(msg, type, "URL must not contain a user name "
		    "or password", "value_error.url.userinfo");
	/* The port's colon: the last one, after any IP literal. */
	for (i = (size_t)(end - auth); i > 0; i--)
		if (auth[i - 1] == ':' || auth[i - 1] == ']') {
			if (auth[i - 1] == ':')
				colon = auth + i - 1;
			break;
		}
	if (!url_host_valid(auth, (size_t)((colon != NULL ? colon : end) -
	    auth)))
		return url_fail(msg, type, "URL host invalid",
		    "value_error.url.host");
	if (colon != NULL) {
		n = (size_t)(end - colon - 1);
		if (n > 0 && n < sizeof(digits) &&
		    strspn(colon + 1, "0123456789") >= n) {
			memcpy(digits, colon + 1, n);
			digits[n] = '\0';
		} else
			digits[0] = '\0';
		if (!str_to_i64(digits, 1, 65535, &port))
			return url_fail(msg, type, "URL port invalid: a port "
			    "is 1 to 65535", "value_error.url.port");
	}
	return true;
}

void
jw_utc_datetime(struct json_writer *w, const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	char iso[sizeof(shape) + 3];
	size_t i;

	for (i = 0; s != NULL && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !is_digit((unsigned char)s[i]) :
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
