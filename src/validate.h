/*
 * validate.h: declarative validation of request bodies and query strings
 * (validation as data: one spec row per field), producing FastAPI-shaped
 * 422 details and the typed values handlers read.
 */
#ifndef INV_VALIDATE_H
#define INV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "messages.h"

enum field_type {
	FT_STRING = 0,	/* JSON string; min/max bound its length in characters */
	FT_EMAIL,	/* string checked as an email address (case kept) */
	FT_INT,		/* JSON integer (not 5.0, not "5"); min/max bound it */
	FT_BOOL,	/* JSON true/false; in a query true|false|1|0 */
	FT_DECIMAL,	/* JSON number, >= min, at most 2 decimals (money) */
	FT_ARRAY,	/* JSON array; min/max bound its length; elem, when
			   set, is the spec of each element (an object), or
			   of one row named NULL: each element is a value
			   of that row (not an FT_DECIMAL) */
	FT_URL,		/* string, an absolute http(s) URL (validate_url);
			   min/max bound its length */
	FT_ENUM,	/* string, one of members (after the bounds of a
			   string); the value is its index */
	FT__MAX
};

/* Flags of a field. */
#define FS_REQUIRED	0x01	/* absence is "field required" */
#define FS_TRIM		0x02	/* strings: trim surrounding white space first */
#define FS_NULLABLE	0x04	/* null is accepted (and kept as null) */
#define FS_UNIQUE	0x08	/* an FT_INT or FT_ENUM of an array's
				   elements: no two elements have the same
				   (dup says so) */

struct body_spec;

/*
 * One field of a body or one parameter of a query string: a row in a
 * route's const table, as kcgi's keys[]. Bounds in detail: min always
 * applies (lengths: 0 is no minimum; numbers: use INT64_MIN for none).
 * max 0 means no maximum unless min is negative (a range like -10..0);
 * use INT64_MAX to say "none" explicitly.
 */
struct field_spec {
	const char	*name;
	enum field_type	 type;
	unsigned	 flags;
	int64_t		 min;	/* see enum field_type for the meaning */
	int64_t		 max;	/* 0 with min 0 means unbounded */
	int64_t		 def;	/* FT_INT of a query: the value when absent */
	const struct body_spec *elem;	/* FT_ARRAY: each element's fields */
	const char *const *members;	/* FT_ENUM: the names, NULL ended */
	enum msg_id	 dup;	/* FS_UNIQUE: the 422 entry of a repeat */
};

/* The rest of a row that needs none of def, elem, members and dup. */
#define FX_NONE	0, NULL, NULL, MSG_INTERNAL

/* The fields of a body (or of an array's elements), or the parameters of
 * a query string, in order: a handler finds each value at its row's
 * index (each module names the indices in an enum). */
struct body_spec {
	const struct field_spec	*fields;
	size_t			 nfields;
};

/*
 * The typed value of one field, at the index of its row; what a handler
 * reads instead of the JSON or the query string. Strings are borrowed
 * from the request (trimmed, and a decimal in its canonical text).
 */
struct field_val {
	bool		 given;	/* present, null included (a PUT's "clear") */
	int64_t		 i;	/* FT_INT (def when absent), FT_BOOL 0/1,
				   FT_ENUM the member's index */
	const char	*s;	/* FT_STRING, FT_EMAIL, FT_URL, FT_ENUM,
				   FT_DECIMAL text; NULL when absent or null */
	struct field_val *items;	/* FT_ARRAY with elem: n rows of
					   elem->nfields values (owned) */
	size_t		 n;	/* FT_ARRAY: its length */
};

/*
 * Validates obj (must be a JSON object) against spec, trimming string
 * values in place where the spec says FS_TRIM (FT_EMAIL always), and
 * replacing each valid FT_DECIMAL double by its exact canonical text
 * (json_decimal: 1.5e1 -> 15, 19.90 -> 19.9). Returns NULL when valid,
 * with vals (spec->nfields places, zeroed) filled; else a new array of
 * detail objects in the order of the rows, one per bad field, each
 * {"loc": ["body", name], "msg": ..., "type": ...}. Unknown fields are
 * ignored, as FastAPI does. The elements of an array are not looked at:
 * validate_elements does, once the body's own fields are valid. Free
 * vals with field_vals_free either way.
 */
struct json_object *validate_body_vals(struct json_object *obj,
    const struct body_spec *spec, struct field_val *vals);
/*
 * After validate_body_vals accepted obj: the elements of each FT_ARRAY
 * with elem, validated as bodies into the array's vals[i].items, then
 * (when all are valid) checked for FS_UNIQUE repeats, the first one
 * reported. NULL when valid, else the details, at ["body", array,
 * index(, field)].
 */
struct json_object *validate_elements(struct json_object *obj,
    const struct body_spec *spec, struct field_val *vals);
/* Both, the verdict alone. */
struct json_object *validate_body(struct json_object *obj,
    const struct body_spec *spec);

/*
 * Validates each element of the array member name of obj against elem,
 * as validate_body does a body (an absent member, or one that is not an
 * array, is left to the member's own FT_ARRAY spec). Each bad field adds
 * a detail with loc ["body", name, index, field], an element that is not
 * an object one with loc ["body", name, index]; *details is created when
 * NULL. Returns true when every element is valid.
 */
bool validate_array(struct json_object *obj, const char *name,
    const struct body_spec *elem, struct json_object **details);

/*
 * The same for a query string's parameters (n of them, each name once,
 * values decoded): locs are ["query", name]. Absent parameters take def
 * (FT_INT) or are not given; FT_STRING and FT_ENUM are not trimmed.
 */
struct http_param;
struct json_object *validate_query(const struct http_param *params,
    size_t n, const struct body_spec *spec, struct field_val *vals);

/* Frees what validate_body_vals allocated in vals (n of them), not vals. */
void field_vals_free(struct field_val *vals, size_t n);

/*
 * Appends a 422 entry {"loc": [where, name], "msg", "type"} of message id
 * (messages.h) to *details, created when NULL; name may be NULL.
 */
void detail_add(struct json_object **details, const char *where,
    const char *name, enum msg_id id, const struct msg_arg *args,
    size_t nargs);
#define detail_addf(details, where, name, id, ...) \
	detail_add((details), (where), (name), (id), MSG_ARGS(__VA_ARGS__))

/*
 * Syntax check of an absolute http or https URL (scheme in any case), as
 * RFC 3986 spells a URI: ASCII only, anything else (space and control
 * characters included) percent-encoded; a host (name, IPv4 or [IPv6]),
 * an optional port up to 65535, no user name or password. When invalid,
 * *msg and *type (static) say why, as a 422 detail does.
 */
bool validate_url(const char *s, const char **msg, const char **type);

#endif
