/*
 * validate.c: declarative validation of request bodies against field
 * specs, producing pydantic-v1-shaped 422 details.
 */

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "log.h"
#include "util.h"
#include "validate.h"

#define MAX_PLACES	2	/* FT_DECIMAL: money */

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
	return check_length(fs, json_utf8_chars(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)), &LEN_STR, e);
}

static bool
check_email(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	if (!check_string(obj, fs, v, e))
		return false;
	return email_valid(json_object_get_string(v)) ||
	    fail(e, "value_error.email", "value is not a valid email address");
}

static bool
check_url(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct verr *e)
{
	const char *msg, *type;

	if (!check_string(obj, fs, v, e))
		return false;
	return validate_url(json_object_get_string(v), &msg, &type) ||
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
	for (; is_ascii_digit((unsigned char)*p); p++)
		buf_append(&d, p, 1);
	if (*p == '.')
		for (p++; is_ascii_digit((unsigned char)*p); p++, scale++)
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
		log_error("validate_body: field %s: bad type %d", fs->name,
		    (int)fs->type);
		return fail(e, "type_error", "invalid field specification");
	}
	return field_types[fs->type].check(obj, fs, v, e);
}

struct json_object *
validate_body(struct json_object *obj, const struct body_spec *spec)
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
validate_array(struct json_object *obj, const char *name,
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

/* ---- URL ---- */

/* A character RFC 3986 allows in a URI as it is ('%' starts an escape). */
static bool
uri_char(unsigned char c)
{
	return is_ascii_alnum(c) || (c != '\0' &&
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
		if (!is_ascii_alnum((unsigned char)h[i]) &&
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
validate_url(const char *s, const char **msg, const char **type)
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
