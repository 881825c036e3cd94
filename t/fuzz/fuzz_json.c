/*
 * fuzz_json: request bodies. json_parse_strict on any bytes, then
 * validate_body of what parses against body specs of the real handlers
 * (strings, emails and trimming; decimals and nullable fields; integer
 * ranges crossing zero; booleans; the order's array of items, each
 * checked with validate_array as POST /orders does) and against a
 * spec mixing every field type with bounds of its own.
 *
 * Invariants:
 *  - parsing succeeds with no reason, or fails with a reason and no tree;
 *  - every key and string of a tree that parsed is UTF-8 without NUL,
 *    ready for a utf8mb4 column;
 *  - such a tree serialises (json_to_plain) to text that parses strictly
 *    again to an equal tree;
 *  - validation gives NULL or a non-empty array of well-formed details;
 *    validate_array is true exactly when it adds no detail;
 *  - a field that validated holds what its spec promises the handler: a
 *    string within its length in characters, trimmed when asked (emails
 *    always, and then well-formed); an integer within its bounds; a
 *    decimal as plain text, with no exponent, no leading or trailing
 *    zeros and at most two places.
 */
#include <ctype.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "handlers.h"
#include "json.h"
#include "validate.h"
#include "order_flow.h"

/* Every field type, with bounds that give each check a chance. */
static const struct field_spec mixed_fields[] = {
	{ "items", FT_ARRAY, FS_REQUIRED, 1, 50, FX_NONE },
	{ "note", FT_STRING, FS_NULLABLE | FS_TRIM, 0, 10, FX_NONE },
	{ "contact", FT_EMAIL, FS_NULLABLE, 0, 254, FX_NONE },
	{ "gift", FT_BOOL, 0, 0, 0, FX_NONE },
	{ "discount", FT_DECIMAL, FS_NULLABLE, -1000, 1000, FX_NONE },
	{ "total", FT_DECIMAL, 0, INT64_MIN, INT64_MAX, FX_NONE },
};
static const struct body_spec spec_mixed = { mixed_fields,
	sizeof(mixed_fields) / sizeof(mixed_fields[0]) };

/*
 * The elements of "items": what orders.c checks them against (its spec
 * is file-local), plus a decimal.
 */
static const struct field_spec item_fields[] = {
	{ "product_id", FT_INT, FS_REQUIRED, 1, INT64_MAX, FX_NONE },
	{ "quantity", FT_INT, FS_REQUIRED, 1, ORDER_MAX_QUANTITY, FX_NONE },
	{ "unit_price", FT_DECIMAL, 0, 0, 9999999999, FX_NONE },
};
static const struct body_spec spec_item = { item_fields,
	sizeof(item_fields) / sizeof(item_fields[0]) };

static const struct body_spec *const specs[] = {
	&spec_register,
	&spec_login,
	&spec_user_patch,
	&spec_product_create,
	&spec_inventory_create,
	&spec_inventory_adjust,
	&spec_order_create,
	&spec_order_update,
	&spec_mixed,
};

/* Keys and strings of v and below: UTF-8, no NUL. */
static void
check_text(struct json_object *v)
{
	const char *s;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		FUZZ_ASSERT(strlen(s) == n && json_utf8_valid(s, n));
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++)
			check_text(json_object_array_get_idx(v, i));
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			FUZZ_ASSERT(json_utf8_valid(key, strlen(key)));
			check_text(val);
		}
		break;
	}
	default:
		break;
	}
}

/* True when details (an array or NULL) names field in a loc. */
static bool
details_name(struct json_object *details, const char *field)
{
	struct json_object *d, *loc, *name;
	size_t i;

	for (i = 0; details != NULL && i < json_object_array_length(details);
	    i++) {
		d = json_object_array_get_idx(details, i);
		if (json_object_object_get_ex(d, "loc", &loc) &&
		    (name = json_object_array_get_idx(loc, 1)) != NULL &&
		    strcmp(json_object_get_string(name), field) == 0)
			return true;
	}
	return false;
}

/* Each detail is {"loc": ["body", ...], "msg": str, "type": str}. */
static void
check_details(struct json_object *details)
{
	struct json_object *d, *loc;
	size_t i;

	if (details == NULL)
		return;
	FUZZ_ASSERT(json_object_is_type(details, json_type_array));
	FUZZ_ASSERT(json_object_array_length(details) > 0);
	for (i = 0; i < json_object_array_length(details); i++) {
		d = json_object_array_get_idx(details, i);
		FUZZ_ASSERT(json_object_object_get_ex(d, "loc", &loc));
		FUZZ_ASSERT(json_object_array_length(loc) >= 1);
		FUZZ_ASSERT(json_get_str(d, "msg") != NULL);
		FUZZ_ASSERT(json_get_str(d, "type") != NULL);
	}
}

/* -?(0|[1-9][0-9]*)(\.[0-9]?[1-9])? */
static bool
plain_decimal(const char *s)
{
	const char *dot;
	size_t places;

	if (*s == '-')
		s++;
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' &&
	    s[1] <= '9'))
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '\0')
		return true;
	if (*s != '.')
		return false;
	dot = s++;
	while (*s >= '0' && *s <= '9')
		s++;
	places = (size_t)(s - dot - 1);
	return *s == '\0' && places >= 1 && places <= 2 && s[-1] != '0';
}

/* Code points in valid UTF-8 s. */
static size_t
utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A string field that validated: bounds, trimming, email syntax. */
static void
check_valid_string(const struct field_spec *fs, const char *s)
{
	size_t n = utf8_len(s), len = strlen(s);

	FUZZ_ASSERT(fs->min <= 0 || n >= (uint64_t)fs->min);
	FUZZ_ASSERT(fs->max <= 0 || n <= (uint64_t)fs->max);
	if ((fs->flags & FS_TRIM) || fs->type == FT_EMAIL)
		FUZZ_ASSERT(len == 0 || (!isspace((unsigned char)s[0]) &&
		    !isspace((unsigned char)s[len - 1])));
	if (fs->type == FT_EMAIL)
		FUZZ_ASSERT(email_valid(s));
}

/*
 * Every field of spec that validated (present, not null, not named in
 * details) holds what the spec promises.
 */
static void
check_valid_fields(struct json_object *obj, const struct body_spec *spec,
    struct json_object *details)
{
	struct json_object *v;
	size_t i;

	if (!json_object_is_type(obj, json_type_object))
		return;
	for (i = 0; i < spec->nfields; i++) {
		const struct field_spec *fs = &spec->fields[i];

		if (details_name(details, fs->name) ||
		    !json_object_object_get_ex(obj, fs->name, &v) || v == NULL)
			continue;
		switch (fs->type) {
		case FT_STRING:
		case FT_EMAIL:
			FUZZ_ASSERT(json_object_is_type(v, json_type_string));
			check_valid_string(fs, json_object_get_string(v));
			break;
		case FT_INT:
			FUZZ_ASSERT(json_object_is_type(v, json_type_int));
			FUZZ_ASSERT(json_object_get_int64(v) >= fs->min);
			/* max 0 is "none" unless min < 0 (validate.h) */
			FUZZ_ASSERT((fs->max == 0 && fs->min >= 0) ||
			    json_object_get_int64(v) <= fs->max);
			break;
		case FT_DECIMAL:
			FUZZ_ASSERT(plain_decimal(json_object_get_string(v)));
			break;
		default:
			break;
		}
	}
}

/* Number of details in details (an array or NULL). */
static size_t
ndetails(struct json_object *details)
{
	return details != NULL ? json_object_array_length(details) : 0;
}

/* The elements of the "items" of obj against spec_item. */
static void
validate_items(struct json_object *obj)
{
	struct json_object *details = NULL, *items;
	size_t i;
	bool ok;

	ok = validate_array(obj, "items", &spec_item, &details);
	check_details(details);
	FUZZ_ASSERT(ok == (ndetails(details) == 0));
	if (ok && json_object_object_get_ex(obj, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		for (i = 0; i < json_object_array_length(items); i++)
			check_valid_fields(json_object_array_get_idx(items, i),
			    &spec_item, NULL);
	json_object_put(details);
}

/* Validates a fresh tree of data against spec (validation rewrites it). */
static void
validate_with(const uint8_t *data, size_t size,
    const struct body_spec *spec)
{
	struct json_object *obj, *details;
	const char *why;

	FUZZ_ASSERT(json_parse_strict((const char *)data, size, &obj, &why));
	details = validate_body(obj, spec);
	check_details(details);
	check_valid_fields(obj, spec, details);
	/* Bodies with items: each element against its own spec. */
	if (details == NULL &&
	    (spec == &spec_order_create || spec == &spec_mixed))
		validate_items(obj);
	json_object_put(details);
	json_object_put(obj);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *obj = NULL, *again = NULL;
	const char *why = NULL, *text;
	size_t i, len;
	bool ok;

	ok = json_parse_strict((const char *)data, size, &obj, &why);
	if (!ok) {
		FUZZ_ASSERT(obj == NULL && why != NULL && *why != '\0');
		return 0;
	}
	FUZZ_ASSERT(why == NULL);
	check_text(obj);

	/* What we accept we can write, and what we write we accept. */
	text = json_to_plain(obj, &len);
	FUZZ_ASSERT(json_parse_strict(text, len, &again, &why));
	FUZZ_ASSERT(json_object_equal(obj, again));
	json_object_put(again);
	json_object_put(obj);

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		validate_with(data, size, specs[i]);
	return 0;
}
