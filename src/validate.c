/*
 * validate.c: declarative validation of request bodies against field
 * specs, producing pydantic-v1-shaped 422 details.
 */

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "validate.h"

static bool validate_url_why(const char *s, enum msg_id *why);

#define MAX_PLACES	2	/* FT_DECIMAL: money */

/* ---- validation ---- */

/* Why one field failed: a message and its argument. */
struct verr {
	enum msg_id	 id;
	struct msg_arg	 arg;
	size_t		 nargs;
	char		 text[512];	/* a string argument's room */
};

/* Fills e and returns false, so checks read "return ok || fail(...)". */
static bool
fail(struct verr *e, enum msg_id id)
{
	e->id = id;
	e->nargs = 0;
	return false;
}

static bool
fail_int(struct verr *e, enum msg_id id, int64_t i)
{
	struct msg_arg a = MSG_INT(i);

	e->id = id;
	e->arg = a;
	e->nargs = 1;
	return false;
}

/* The 422 entry of e at loc [where, name] or, item, [where, name, index
 * (, field)]. */
static void
verr_add(struct json_object **details, const char *where, const char *name,
    bool item, size_t index, const char *field, const struct verr *e)
{
	const struct message *m = msg_get(e->id);
	struct buf msg;

	buf_init(&msg);
	msg_format(&msg, e->id, &e->arg, e->nargs);
	if (item)
		json_detail_add_item(details, where, name, index, field,
		    msg.data, m->type);
	else
		json_detail_add(details, where, name, msg.data, m->type);
	buf_free(&msg);
}

void
detail_add(struct json_object **details, const char *where,
    const char *name, enum msg_id id, const struct msg_arg *args,
    size_t nargs)
{
	struct buf msg;

	buf_init(&msg);
	msg_format(&msg, id, args, nargs);
	json_detail_add(details, where, name, msg.data, msg_get(id)->type);
	buf_free(&msg);
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

/* A length n against the bounds: of a string (characters) or a list. */
static bool
check_length(const struct field_spec *fs, size_t n, bool list,
    struct verr *e)
{
	if (fs->min > 0 && n < (uint64_t)fs->min)
		return fail_int(e, list ? MSG_LIST_MIN : MSG_STR_MIN, fs->min);
	if (spec_has_max(fs) && fs->max >= 0 && n > (uint64_t)fs->max)
		return fail_int(e, list ? MSG_LIST_MAX : MSG_STR_MAX, fs->max);
	return true;
}

/* Bounds of a number, given how it compares to fs->min and fs->max. */
static bool
check_bounds(const struct field_spec *fs, bool below, bool above,
    struct verr *e)
{
	if (below)
		return fail_int(e, MSG_NUM_GE, fs->min);
	if (above && spec_has_max(fs))
		return fail_int(e, MSG_NUM_LE, fs->max);
	return true;
}

/* FT_ENUM: *out the index of s among fs->members. */
static bool
check_member(const struct field_spec *fs, const char *s, int64_t *out,
    struct verr *e)
{
	struct buf names;
	size_t i;

	for (i = 0; fs->members != NULL && fs->members[i] != NULL; i++)
		if (strcmp(s, fs->members[i]) == 0) {
			*out = (int64_t)i;
			return true;
		}
	buf_init(&names);
	for (i = 0; fs->members != NULL && fs->members[i] != NULL; i++)
		buf_printf(&names, "%s'%s'", i > 0 ? ", " : "",
		    fs->members[i]);
	snprintf(e->text, sizeof(e->text), "%s", names.data != NULL ?
	    names.data : "");
	buf_free(&names);
	e->id = MSG_ENUM;
	e->arg.kind = MSG_ARG_STR;
	e->arg.s = e->text;
	e->nargs = 1;
	return false;
}

/*
 * Text of a string field, from a body or a query: bounded in code points
 * as Python counts them, then checked as its type says (an address, a
 * URL, a member of an enum).
 */
static bool
check_text(const struct field_spec *fs, const char *s, size_t len,
    struct field_val *out, struct verr *e)
{
	enum msg_id why;

	out->s = s;
	if (!check_length(fs, json_utf8_chars(s, len), false, e))
		return false;
	switch (fs->type) {
	case FT_EMAIL:
		return email_valid(s) || fail(e, MSG_EMAIL);
	case FT_URL:
		return validate_url_why(s, &why) || fail(e, why);
	case FT_ENUM:
		return check_member(fs, s, &out->i, e);
	default:
		return true;
	}
}

static bool type_error(const struct field_spec *, struct verr *);

/* Strings (FT_STRING, FT_EMAIL, FT_URL, FT_ENUM) of a body: trimmed in
 * place when asked (emails always). Trimming is of ASCII white space. */
static bool
check_string(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
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
	return check_text(fs, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), out, e);
}

static bool
check_int(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
{
	(void)obj;
	if (!json_object_is_type(v, json_type_int))
		return type_error(fs, e);
	out->i = json_object_get_int64(v);
	return check_bounds(fs, out->i < fs->min, out->i > fs->max, e);
}

static bool
check_bool(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
{
	(void)obj;
	out->i = json_object_get_boolean(v);
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
 * (json_decimal), so the value's text is "15" for 1.5e1, ready for a
 * DECIMAL column. Bounds are compared as doubles, exact for money far
 * below 2^53.
 */
static bool
check_decimal(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
{
	struct buf canon;
	double d;
	bool ok;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		out->s = json_object_get_string(v);
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
	if (ok) {
		/* Releases v, which is not used after this. */
		v = json_decimal(canon.data);
		json_object_object_add(obj, fs->name, v);
		out->s = json_object_get_string(v);
	}
	buf_free(&canon);
	return ok || fail_int(e, MSG_DECIMAL_PLACES, MAX_PLACES);
}

static bool
check_array(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
{
	(void)obj;
	if (!json_object_is_type(v, json_type_array))
		return type_error(fs, e);
	out->n = json_object_array_length(v);
	return check_length(fs, out->n, true, e);
}

/*
 * Per field type: the check of a present, non-null value v of obj (which
 * may replace it in obj) filling out, and the error for a value of the
 * wrong type.
 */
typedef bool (*field_check)(struct json_object *obj,
    const struct field_spec *fs, struct json_object *v,
    struct field_val *out, struct verr *e);

static const struct field_type_info {
	field_check	 check;
	enum msg_id	 type_error;
} field_types[FT__MAX] = {
	[FT_STRING] = { check_string, MSG_STR_TYPE },
	[FT_EMAIL] = { check_string, MSG_STR_TYPE },
	[FT_INT] = { check_int, MSG_INT_TYPE },
	[FT_BOOL] = { check_bool, MSG_BOOL_TYPE },
	[FT_DECIMAL] = { check_decimal, MSG_DECIMAL_TYPE },
	[FT_ARRAY] = { check_array, MSG_LIST_TYPE },
	[FT_URL] = { check_string, MSG_STR_TYPE },
	[FT_ENUM] = { check_string, MSG_STR_TYPE },
};

static bool
type_error(const struct field_spec *fs, struct verr *e)
{
	return fail(e, field_types[fs->type].type_error);
}

/* Whether fs is a row this code knows (a bad one is a bug: logged). */
static bool
spec_row_ok(const struct field_spec *fs, struct verr *e)
{
	if ((unsigned)fs->type < FT__MAX)
		return true;
	log_error("validate: field %s: bad type %d", fs->name, (int)fs->type);
	return fail(e, MSG_BAD_SPEC);
}

/* A present value v (of member fs->name of obj, or an element) into
 * out. */
static bool
check_value(struct json_object *obj, const struct field_spec *fs,
    struct json_object *v, struct field_val *out, struct verr *e)
{
	out->given = true;
	if (v == NULL)
		return (fs->flags & FS_NULLABLE) ||
		    fail(e, MSG_NONE_NOT_ALLOWED);
	if (!spec_row_ok(fs, e))
		return false;
	return field_types[fs->type].check(obj, fs, v, out, e);
}

static bool
check_field(struct json_object *obj, const struct field_spec *fs,
    struct field_val *out, struct verr *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, fs->name, &v))
		return !(fs->flags & FS_REQUIRED) ||
		    fail(e, MSG_FIELD_REQUIRED);
	return check_value(obj, fs, v, out, e);
}

/* An elem of one row without a name: the elements are values of that
 * row, not objects (the event names of a webhook). */
static bool
elem_is_value(const struct body_spec *elem)
{
	return elem->nfields == 1 && elem->fields[0].name == NULL;
}

static bool validate_fields(struct json_object *obj,
    const struct body_spec *spec, struct field_val *vals,
    struct json_object **details, const char *array, size_t index);

/*
 * The first element (after the first) repeating an earlier one's
 * FS_UNIQUE field of elem, among the n rows of items: its detail.
 */
static bool
check_unique(const char *name, const struct body_spec *elem,
    const struct field_val *items, size_t n, struct json_object **details)
{
	const struct field_spec *fs;
	struct verr e;
	size_t f, i, j, w = elem->nfields;

	for (f = 0; f < w; f++) {
		fs = &elem->fields[f];
		if (!(fs->flags & FS_UNIQUE))
			continue;
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (items[i * w + f].i == items[j * w + f].i) {
					fail(&e, fs->dup);
					verr_add(details, "body", name, true, i,
					    fs->name, &e);
					return false;
				}
	}
	return true;
}

/* The elements of array arr, the value of field fs, as bodies of
 * fs->elem into out->items (new). */
static bool
check_elements(const struct field_spec *fs, struct json_object *arr,
    struct field_val *out, struct json_object **details)
{
	const struct body_spec *elem = fs->elem;
	struct verr e;
	size_t i;
	bool ok = true;

	out->items = xcalloc(out->n * elem->nfields + 1,
	    sizeof(*out->items));
	for (i = 0; i < out->n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (elem_is_value(elem)) {
			if (!check_value(arr, elem->fields, v, &out->items[i],
			    &e)) {
				verr_add(details, "body", fs->name, true, i,
				    NULL, &e);
				ok = false;
			}
		} else if (!json_object_is_type(v, json_type_object)) {
			fail(&e, MSG_NOT_DICT);
			verr_add(details, "body", fs->name, true, i, NULL, &e);
			ok = false;
		} else if (!validate_fields(v, elem,
		    &out->items[i * elem->nfields], details, fs->name, i))
			ok = false;
	}
	return ok && check_unique(fs->name, elem, out->items, out->n,
	    details);
}

/* The fields of obj (an object) into vals, not the elements of its
 * arrays; each detail is at ["body", field] or, for an element of array,
 * ["body", array, index, field]. */
static bool
validate_fields(struct json_object *obj, const struct body_spec *spec,
    struct field_val *vals, struct json_object **details, const char *array,
    size_t index)
{
	const struct field_spec *fs;
	struct verr e;
	size_t i;
	bool ok = true;

	for (i = 0; i < spec->nfields; i++) {
		fs = &spec->fields[i];
		if (!check_field(obj, fs, &vals[i], &e)) {
			verr_add(details, "body", array != NULL ? array :
			    fs->name, array != NULL, index, fs->name, &e);
			ok = false;
		}
	}
	return ok;
}

struct json_object *
validate_body_vals(struct json_object *obj, const struct body_spec *spec,
    struct field_val *vals)
{
	struct json_object *details = NULL;
	struct verr e;

	if (!json_object_is_type(obj, json_type_object)) {
		fail(&e, MSG_NOT_DICT);
		verr_add(&details, "body", NULL, false, 0, NULL, &e);
		return details;
	}
	validate_fields(obj, spec, vals, &details, NULL, 0);
	return details;
}

struct json_object *
validate_elements(struct json_object *obj, const struct body_spec *spec,
    struct field_val *vals)
{
	const struct field_spec *fs;
	struct json_object *details = NULL, *arr;
	size_t i;

	for (i = 0; i < spec->nfields; i++) {
		fs = &spec->fields[i];
		if (fs->type == FT_ARRAY && fs->elem != NULL &&
		    json_object_object_get_ex(obj, fs->name, &arr) &&
		    json_object_is_type(arr, json_type_array))
			check_elements(fs, arr, &vals[i], &details);
	}
	return details;
}

struct json_object *
validate_body(struct json_object *obj, const struct body_spec *spec)
{
	struct field_val *vals = xcalloc(spec->nfields + 1, sizeof(*vals));
	struct json_object *details = validate_body_vals(obj, spec, vals);

	if (details == NULL)
		details = validate_elements(obj, spec, vals);

	field_vals_free(vals, spec->nfields);
	free(vals);
	return details;
}

bool
validate_array(struct json_object *obj, const char *name,
    const struct body_spec *elem, struct json_object **details)
{
	struct field_spec fs = { .name = name, .type = FT_ARRAY,
	    .elem = elem };
	struct field_val val = { 0 };
	struct json_object *arr = NULL;
	bool ok;

	if (!json_object_object_get_ex(obj, name, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return true;	/* absent or not a list: the field's own spec */
	val.n = json_object_array_length(arr);
	ok = check_elements(&fs, arr, &val, details);
	field_vals_free(&val, 1);
	return ok;
}

void
field_vals_free(struct field_val *vals, size_t n)
{
	size_t i;

	for (i = 0; vals != NULL && i < n; i++) {
		/* Elements hold no arrays of their own: no spec needs it. */
		free(vals[i].items);
		vals[i].items = NULL;
	}
}

/* A query parameter's value v against fs into out. */
static bool
check_param(const struct field_spec *fs, const char *v,
    struct field_val *out, struct verr *e)
{
	switch (fs->type) {
	case FT_INT:
		if (!str_to_i64(v, INT64_MIN, INT64_MAX, &out->i))
			return type_error(fs, e);
		return check_bounds(fs, out->i < fs->min, out->i > fs->max, e);
	case FT_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			out->i = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			out->i = 0;
		else
			return type_error(fs, e);
		return true;
	case FT_STRING:
	case FT_ENUM:
		return check_text(fs, v, strlen(v), out, e);
	default:
		log_error("validate_query: parameter %s: type %d is not one of "
		    "a query", fs->name, (int)fs->type);
		return fail(e, MSG_BAD_SPEC);
	}
}

struct json_object *
validate_query(const struct http_param *params, size_t n,
    const struct body_spec *spec, struct field_val *vals)
{
	struct json_object *details = NULL;
	const struct field_spec *fs;
	const char *v;
	struct verr e;
	size_t i, k;

	for (i = 0; i < spec->nfields; i++) {
		fs = &spec->fields[i];
		vals[i].i = fs->def;
		for (k = 0, v = NULL; k < n && v == NULL; k++)
			if (strcmp(params[k].name, fs->name) == 0)
				v = params[k].value;
		if (v == NULL) {
			if (fs->flags & FS_REQUIRED) {
				fail(&e, MSG_FIELD_REQUIRED);
				verr_add(&details, "query", fs->name, false, 0,
				    NULL, &e);
			}
			continue;
		}
		vals[i].given = true;
		if (!check_param(fs, v, &vals[i], &e)) {
			/* A bad value is not used: the default stays. */
			vals[i].i = fs->def;
			vals[i].s = NULL;
			verr_add(&details, "query", fs->name, false, 0, NULL,
			    &e);
		}
	}
	return details;
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

/* Sets *why and returns false. */
static bool
url_fail(enum msg_id *why, enum msg_id id)
{
	*why = id;
	return false;
}

bool
validate_url(const char *s, const char **msg, const char **type)
{
	enum msg_id why;

	if (validate_url_why(s, &why))
		return true;
	*msg = msg_get(why)->text;
	*type = msg_get(why)->type;
	return false;
}

static bool
validate_url_why(const char *s, enum msg_id *why)
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
			return url_fail(why, MSG_URL_CHARS);
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+-.");
	if (n == 0 || s[n] != ':' || !isalpha((unsigned char)s[0]))
		return url_fail(why, MSG_URL_SCHEME);
	if (!((n == 4 && strncasecmp(s, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(s, "https", 5) == 0)))
		return url_fail(why, MSG_URL_SCHEME_NOT_PERMITTED);
	if (strncmp(s + n, "://", 3) != 0)
		return url_fail(why, MSG_URL_HOST);
	auth = s + n + 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return url_fail(why, MSG_URL_USERINFO);
	/* The port's colon: the last one, after any IP literal. */
	for (i = (size_t)(end - auth); i > 0; i--)
		if (auth[i - 1] == ':' || auth[i - 1] == ']') {
			if (auth[i - 1] == ':')
				colon = auth + i - 1;
			break;
		}
	if (!url_host_valid(auth, (size_t)((colon != NULL ? colon : end) -
	    auth)))
		return url_fail(why, MSG_URL_HOST);
	if (colon != NULL) {
		n = (size_t)(end - colon - 1);
		if (n > 0 && n < sizeof(digits) &&
		    strspn(colon + 1, "0123456789") >= n) {
			memcpy(digits, colon + 1, n);
			digits[n] = '\0';
		} else
			digits[0] = '\0';
		if (!str_to_i64(digits, 1, 65535, &port))
			return url_fail(why, MSG_URL_PORT);
	}
	return true;
}
