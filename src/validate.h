/*
 * validate.h: declarative validation of request bodies, producing
 * FastAPI-shaped 422 details (json_detail_add).
 */
#ifndef INV_VALIDATE_H
#define INV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum field_type {
	FT_STRING = 0,	/* JSON string; min/max bound its length in characters */
	FT_EMAIL,	/* string checked as an email address (case kept) */
	FT_INT,		/* JSON integer (not 5.0, not "5"); min/max bound it */
	FT_BOOL,	/* JSON true/false */
	FT_DECIMAL,	/* JSON number, >= min, at most 2 decimals (money) */
	FT_ARRAY,	/* JSON array; min/max bound its length */
	FT_URL,		/* string, an absolute http(s) URL (validate_url);
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
 * Validates obj (must be a JSON object) against spec, trimming string
 * values in place where the spec says FS_TRIM (FT_EMAIL always), and
 * replacing each valid FT_DECIMAL double by its exact canonical text
 * (json_decimal: 1.5e1 -> 15, 19.90 -> 19.9), so json_object_get_string()
 * on it gives a string ready for a DECIMAL column. Returns NULL when
 * valid, else a new array of detail objects, one per bad field, each
 * {"loc": ["body", name], "msg": ..., "type": ...}. Unknown fields are
 * ignored, as FastAPI does.
 */
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
 * Syntax check of an absolute http or https URL (scheme in any case), as
 * RFC 3986 spells a URI: ASCII only, anything else (space and control
 * characters included) percent-encoded; a host (name, IPv4 or [IPv6]),
 * an optional port up to 65535, no user name or password. When invalid,
 * *msg and *type (static) say why, as a 422 detail does.
 */
bool validate_url(const char *s, const char **msg, const char **type);

#endif
