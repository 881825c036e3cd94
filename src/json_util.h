/*
 * json_util.h: strict JSON parsing, declarative body validation producing
 * FastAPI-shaped 422 details, and small typed getters.
 *
 * json-c reference rules apply: json_object_object_add() takes the caller's
 * reference; json_object_put() releases one. Getters here return borrowed
 * pointers into the object.
 */
#ifndef INV_JSON_UTIL_H
#define INV_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util.h"

#define JSON_MAX_DEPTH 16

enum field_type {
	FT_STRING = 0,	/* JSON string; min/max bound its length in characters */
	FT_EMAIL,	/* string checked as an email address (case kept) */
	FT_INT,		/* JSON integer (not 5.0, not "5"); min/max bound it */
	FT_BOOL,	/* JSON true/false */
	FT_DECIMAL,	/* JSON number, >= min, at most 2 decimals (money) */
	FT_ARRAY,	/* JSON array; min/max bound its length */
	FT_URL,		/* string, an absolute http(s) URL (json_url_valid);
			   min/max bound its length */
	FT__MAX
};

/* Flags of a field. */
#define FS_REQUIRED	0x01	/* absence is "field required" */
#define FS_TRIM		0x02	/* strings: trim surrounding white space first */
#define FS_NULLABLE	0x04	/* null is accepted (and kept as null) */

/*
 * One field of a body: a row in a route's const table.
 * Bounds in detail: min always applies (lengths: 0 is no minimum; numbers:
 * use INT64_MIN for none). max 0 means no maximum unless min is negative
 * (a range like -10..0); use INT64_MAX to say "none" explicitly.
 */
struct field_spec {
	const char	*name;
	enum field_type	 type;
	unsigned	 flags;
	int64_t		 min;	/* see enum field_type for the meaning */
	int64_t		 max;	/* 0 with min 0 means unbounded */
};

struct body_spec {
	const struct field_spec	*fields;
	size_t			 nfields;
};

/*
 * Parses buf strictly: RFC 8259 only (no trailing garbage, comments,
 * single quotes, NaN), valid UTF-8, no NUL inside strings, depth at most
 * JSON_MAX_DEPTH, integers within int64, finite numbers. On success *out
 * is new (NULL for the text "null"). On failure returns false and
 * *why (static) says what was wrong.
 */
bool json_parse_strict(const char *buf, size_t len, struct json_object **out,
    const char **why);

/*
 * Validates obj (must be a JSON object) against spec, trimming string
 * values in place where the spec says FS_TRIM (FT_EMAIL always), and
 * replacing each valid FT_DECIMAL double by its exact canonical text
 * (json_decimal: 1.5e1 -> 15, 19.90 -> 19.9), so json_object_get_string()
 * on it gives a string ready for a DECIMAL column. Returns NULL when
 * valid, else a new array of detail objects, one per bad field, each
 * {"loc": ["body", name], "msg": ..., "type": ...}. Unknown fields are
 * ignored, as FastAPI does.
 */
struct json_object *json_validate(struct json_object *obj,
    const struct body_spec *spec);

/*
 * Appends one detail {"loc":[where, field], "msg", "type"} to the array
 * details (created when *details is NULL). field may be NULL for loc
 * [where] alone.
 */
void json_detail_add(struct json_object **details, const char *where,
    const char *field, const char *msg, const char *type);
/* The same for an element of an array: loc [where, array, index, field]
 * (field NULL: [where, array, index]). */
void json_detail_add_item(struct json_object **details, const char *where,
    const char *array, size_t index, const char *field, const char *msg,
    const char *type);

/*
 * Validates each element of the array member name of obj against elem,
 * as json_validate does a body (an absent member, or one that is not an
 * array, is left to the member's own FT_ARRAY spec). Each bad field adds
 * a detail with loc ["body", name, index, field], an element that is not
 * an object one with loc ["body", name, index]; *details is created when
 * NULL. Returns true when every element is valid.
 */
bool json_validate_array(struct json_object *obj, const char *name,
    const struct body_spec *elem, struct json_object **details);

/* Borrowed string member or NULL if absent, null, or not a string. */
const char *json_get_str(struct json_object *obj, const char *name);
/* True and *out set when the member is a JSON integer. */
bool json_get_int(struct json_object *obj, const char *name, int64_t *out);
/* True and *out set when the member is a JSON boolean. */
bool json_get_bool(struct json_object *obj, const char *name, bool *out);
/* True when the member is present (even null). */
bool json_has(struct json_object *obj, const char *name);

/* Serialises plainly, without "\/" escapes; borrowed string valid while
 * obj lives. */
const char *json_to_plain(struct json_object *obj, size_t *len);

/* New JSON string, or JSON null when s is NULL. */
struct json_object *json_str_or_null(const char *s);
/*
 * New JSON number for an exact decimal string such as "19.90" (as MariaDB
 * returns DECIMAL), printed exactly as given; JSON null when s is NULL
 * or not such a number (logged: a caller's bug).
 */
struct json_object *json_decimal(const char *s);

/*
 * A JSON text written straight into a buffer, for replies made of many
 * database rows: json-c would allocate, hash and free an object per value,
 * which cost more than the queries behind a page of orders. The caller
 * nests begin/end correctly; the writer places the commas and escapes
 * strings exactly as json_to_plain() does, so both give the same bytes.
 */
struct json_writer {
	struct buf	 out;		/* the text so far (owned) */
	bool		 comma;		/* a value precedes at this level */
};

void jw_init(struct json_writer *);
/* Hands the text to the caller (free() it), *len its length. */
char *jw_take(struct json_writer *, size_t *len);
void jw_free(struct json_writer *);
void jw_begin_object(struct json_writer *);
void jw_end_object(struct json_writer *);
void jw_begin_array(struct json_writer *);
void jw_end_array(struct json_writer *);
/* The member name of the value written next. */
void jw_key(struct json_writer *, const char *name);
void jw_int(struct json_writer *, int64_t);
/* A string, or null when s is NULL. */
void jw_str(struct json_writer *, const char *s);
/* A number for an exact decimal string, as json_decimal() (null when s
 * is NULL or not such a number). */
void jw_decimal(struct json_writer *, const char *s);
/* A UTC time as MariaDB gives a DATETIME ("2026-11-26 06:00:00"), in
 * the API's form "2026-11-26T06:00:00Z" (null when s is NULL or of
 * another form, logged). */
void jw_utc_datetime(struct json_writer *, const char *s);

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF). */
bool json_utf8_valid(const char *s, size_t len);

/* Syntax check of an email address (local@domain.tld, no spaces). */
bool json_email_valid(const char *s);

/*
 * Syntax check of an absolute http or https URL (scheme in any case), as
 * RFC 3986 spells a URI: ASCII only, anything else (space and control
 * characters included) percent-encoded; a host (name, IPv4 or [IPv6]),
 * an optional port up to 65535, no user name or password. When invalid,
 * *msg and *type (static) say why, as a 422 detail does.
 */
bool json_url_valid(const char *s, const char **msg, const char **type);

#endif
