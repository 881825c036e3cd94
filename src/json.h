/*
 * json.h: strict JSON parsing, small typed getters and builders (the 422
 * detail objects among them), and a streaming writer.
 *
 * json-c reference rules apply: json_object_object_add() takes the caller's
 * reference; json_object_put() releases one. Getters here return borrowed
 * pointers into the object.
 */
#ifndef INV_JSON_H
#define INV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util.h"

#define JSON_MAX_DEPTH 16

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
void jw_bool(struct json_writer *, bool);
void jw_null(struct json_writer *);
/* A string, or null when s is NULL. */
void jw_str(struct json_writer *, const char *s);
/* A number for an exact decimal string, as json_decimal() (null when s
 * is NULL or not such a number). */
void jw_decimal(struct json_writer *, const char *s);
/* JSON text s as it is, or null when s is NULL: for text this program
 * wrote (a column it filled), never for text a client sent. */
void jw_json(struct json_writer *, const char *s);
/* A UTC time as MariaDB gives a DATETIME ("2026-11-26 06:00:00"), in
 * the API's form "2026-11-26T06:00:00Z" (null when s is NULL or of
 * another form, logged). */
void jw_utc_datetime(struct json_writer *, const char *s);

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF). */
bool json_utf8_valid(const char *s, size_t len);

/* Code points in valid UTF-8 s[0..len): what Python's len() and a
 * VARCHAR length count. */
size_t json_utf8_chars(const char *s, size_t len);

#endif
