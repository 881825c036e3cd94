/*
 * check_validate.c: validation as data without any service: the typed
 * values a spec fills, arrays of objects with a unique field, enums,
 * query specs (directly and through the dispatcher, whose 422 comes
 * before any handler), and the message table every reply takes its
 * words from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "handlers.h"
#include "messages.h"
#include "paging.h"
#include "router.h"
#include "validate.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const colours[] = { "red", "green", NULL };

enum { E_ID, E_N, E__N };
static const struct field_spec elem_fields[E__N] = {
	{ "id", FT_INT, FS_REQUIRED | FS_UNIQUE, 1, INT64_MAX,
	    .dup = MSG_DUP_PRODUCT },
	{ "n", FT_INT, FS_REQUIRED, 1, 10, FX_NONE },
};
static const struct body_spec elem_spec = { elem_fields, E__N };

enum { B_NAME, B_PRICE, B_COLOUR, B_NOTE, B_ITEMS, B__N };
static const struct field_spec body_fields[B__N] = {
	{ "name", FT_STRING, FS_REQUIRED | FS_TRIM, 1, 10, FX_NONE },
	{ "price", FT_DECIMAL, 0, 0, 1000, FX_NONE },
	{ "colour", FT_ENUM, FS_TRIM, 1, 10, .members = colours },
	{ "note", FT_STRING, FS_NULLABLE, 0, 0, FX_NONE },
	{ "items", FT_ARRAY, 0, 1, 5, .elem = &elem_spec },
};
static const struct body_spec body_spec = { body_fields, B__N };

enum { Q_LIMIT, Q_FLAG, Q_COLOUR, Q_TEXT, Q__N };
static const struct field_spec query_fields[Q__N] = {
	{ "limit", FT_INT, 0, 1, 1000, .def = 100 },
	{ "flag", FT_BOOL, 0, 0, 0, FX_NONE },
	{ "colour", FT_ENUM, 0, 0, 0, .members = colours },
	{ "text", FT_STRING, 0, 0, 3, FX_NONE },
};
static const struct body_spec query_spec = { query_fields, Q__N };

/* Validates body text against body_spec: the details as plain JSON text
 * (new) or NULL; the values in vals (B__N, freed by the caller). */
static char *
body_details(const char *text, struct json_object **obj,
    struct field_val *vals)
{
	struct json_object *d;
	const char *why;
	char *out = NULL;

	ck_assert_msg(json_parse_strict(text, strlen(text), obj, &why),
	    "%s: %s", text, why);
	memset(vals, 0, B__N * sizeof(*vals));
	if ((d = validate_body_vals(*obj, &body_spec, vals)) != NULL ||
	    (d = validate_elements(*obj, &body_spec, vals)) != NULL) {
		out = strdup(json_to_plain(d, NULL));
		json_object_put(d);
	}
	return out;
}

START_TEST(body_values_are_typed)
{
	struct field_val v[B__N];
	struct json_object *o;
	char *d;

	d = body_details("{\"name\":\"  ab \",\"price\":1.50e1,\"colour\":"
	    "\" green\",\"note\":null,\"items\":[{\"id\":3,\"n\":2},"
	    "{\"id\":4,\"n\":10}],\"other\":1}", &o, v);
	ck_assert_msg(d == NULL, "%s", d);
	ck_assert_str_eq(v[B_NAME].s, "ab");
	ck_assert_str_eq(v[B_PRICE].s, "15");
	ck_assert(v[B_COLOUR].given);
	ck_assert_int_eq(v[B_COLOUR].i, 1);
	ck_assert_str_eq(v[B_COLOUR].s, "green");
	/* Given as null: given, with no text. */
	ck_assert(v[B_NOTE].given);
	ck_assert_ptr_null(v[B_NOTE].s);
	ck_assert_uint_eq(v[B_ITEMS].n, 2);
	ck_assert_int_eq(v[B_ITEMS].items[0 * E__N + E_ID].i, 3);
	ck_assert_int_eq(v[B_ITEMS].items[1 * E__N + E_ID].i, 4);
	ck_assert_int_eq(v[B_ITEMS].items[1 * E__N + E_N].i, 10);
	field_vals_free(v, B__N);
	json_object_put(o);
	/* Absent: not given. */
	d = body_details("{\"name\":\"x\"}", &o, v);
	ck_assert_ptr_null(d);
	ck_assert(!v[B_PRICE].given && !v[B_ITEMS].given);
	ck_assert_ptr_null(v[B_PRICE].s);
	field_vals_free(v, B__N);
	json_object_put(o);
}
END_TEST

/* The first element repeating an earlier one's unique field is named,
 * with the row's message; only when every element is valid. */
START_TEST(array_unique_field)
{
	struct field_val v[B__N];
	struct json_object *o;
	char *d;

	d = body_details("{\"name\":\"x\",\"items\":[{\"id\":1,\"n\":1},"
	    "{\"id\":2,\"n\":1},{\"id\":1,\"n\":2},{\"id\":2,\"n\":3}]}", &o,
	    v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"body\",\"items\",2,\"id\"],"
	    "\"msg\":\"duplicate product_id: each product may appear once "
	    "per order\",\"type\":\"value_error.duplicate\"}]");
	free(d);
	field_vals_free(v, B__N);
	json_object_put(o);
	d = body_details("{\"name\":\"x\",\"items\":[{\"id\":1,\"n\":1},"
	    "{\"id\":1,\"n\":11}]}", &o, v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"body\",\"items\",1,\"n\"],"
	    "\"msg\":\"ensure this value is less than or equal to 10\","
	    "\"type\":\"value_error.number.not_le\"}]");
	free(d);
	field_vals_free(v, B__N);
	json_object_put(o);
}
END_TEST

/* Every bad field is reported in the order of the rows; the elements of
 * arrays only once the fields are right. */
START_TEST(body_details_in_row_order)
{
	struct field_val v[B__N];
	struct json_object *o;
	char *d;

	d = body_details("{\"items\":[{\"id\":0,\"n\":1}],\"colour\":\"blue\","
	    "\"price\":1.001}", &o, v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"body\",\"name\"],\"msg\":\"field "
	    "required\",\"type\":\"value_error.missing\"},"
	    "{\"loc\":[\"body\",\"price\"],\"msg\":\"ensure that there are "
	    "no more than 2 decimal places\",\"type\":"
	    "\"value_error.decimal.max_places\"},"
	    "{\"loc\":[\"body\",\"colour\"],\"msg\":\"value is not a valid "
	    "enumeration member; permitted: 'red', 'green'\",\"type\":"
	    "\"type_error.enum\"}]");
	free(d);
	field_vals_free(v, B__N);
	json_object_put(o);
	d = body_details("{\"name\":\"x\",\"items\":[{\"id\":0,\"n\":1},7]}",
	    &o, v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"body\",\"items\",0,\"id\"],"
	    "\"msg\":\"ensure this value is greater than or equal to 1\","
	    "\"type\":\"value_error.number.not_ge\"},"
	    "{\"loc\":[\"body\",\"items\",1],\"msg\":\"value is not a "
	    "valid dict\",\"type\":\"type_error.dict\"}]");
	free(d);
	field_vals_free(v, B__N);
	json_object_put(o);
}
END_TEST

/* Decodes query text into params and validates it against query_spec:
 * the details as text (new) or NULL. */
static char *
query_details(const char *text, struct field_val *vals)
{
	struct http_param *p;
	struct json_object *d;
	size_t n;
	char *out = NULL;

	ck_assert(http_form_decode(text, strlen(text), &p, &n));
	memset(vals, 0, Q__N * sizeof(*vals));
	if ((d = validate_query(p, n, &query_spec, vals)) != NULL) {
		out = strdup(json_to_plain(d, NULL));
		json_object_put(d);
	}
	/* Strings are the caller's to copy before the params go. */
	ck_assert(vals[Q_TEXT].s == NULL || strcmp(vals[Q_TEXT].s, "ab") == 0);
	http_params_free(p, n);
	return out;
}

START_TEST(query_values_are_typed)
{
	struct field_val v[Q__N];
	char *d;

	d = query_details("", v);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(v[Q_LIMIT].i, 100);
	ck_assert(!v[Q_LIMIT].given && !v[Q_FLAG].given);
	ck_assert_ptr_null(v[Q_COLOUR].s);
	d = query_details("limit=5&flag=true&colour=red&text=ab&x=1", v);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(v[Q_LIMIT].i, 5);
	ck_assert_int_eq(v[Q_FLAG].i, 1);
	ck_assert_int_eq(v[Q_COLOUR].i, 0);
	d = query_details("flag=0", v);
	ck_assert_ptr_null(d);
	ck_assert(v[Q_FLAG].given);
	ck_assert_int_eq(v[Q_FLAG].i, 0);
}
END_TEST

START_TEST(query_details_in_row_order)
{
	struct field_val v[Q__N];
	char *d;

	d = query_details("text=abcd&colour=&flag=yes&limit=1001", v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"query\",\"limit\"],\"msg\":\"ensure "
	    "this value is less than or equal to 1000\",\"type\":"
	    "\"value_error.number.not_le\"},"
	    "{\"loc\":[\"query\",\"flag\"],\"msg\":\"value could not be parsed "
	    "to a boolean\",\"type\":\"type_error.bool\"},"
	    "{\"loc\":[\"query\",\"colour\"],\"msg\":\"value is not a valid "
	    "enumeration member; permitted: 'red', 'green'\",\"type\":"
	    "\"type_error.enum\"},"
	    "{\"loc\":[\"query\",\"text\"],\"msg\":\"ensure this value has at "
	    "most 3 characters\",\"type\":\"value_error.any_str.max_length\"}"
	    "]");
	free(d);
	/* A bad value leaves the default. */
	d = query_details("limit=x", v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "[{\"loc\":[\"query\",\"limit\"],\"msg\":\"value "
	    "is not a valid integer\",\"type\":\"type_error.integer\"}]");
	ck_assert_int_eq(v[Q_LIMIT].i, 100);
	free(d);
}
END_TEST

/* ---- through the dispatcher: a query refused before any handler ---- */

/*
 * GET path as a user, through the dispatcher of an app with a config
 * alone (no service: the 422 comes before any handler): the reply must
 * be a 422 with exactly these details.
 */
static void
expect_query_422(const char *path, const char *details)
{
	static struct config cfg;
	static struct app app;
	struct http_resp resp;
	struct json_object *o, *d;
	char *why = NULL, *tok = NULL;

	if (app.cfg == NULL) {
		ck_assert_int_eq(config_load_string(&cfg, "jwt_secret = "
		    "0123456789abcdef0123456789abcdef\n", "test", &why),
		    INV_OK);
		app.cfg = &cfg;
		app.tokens = token_memo_new(&cfg);
	}
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 7, false, 0,
	    "0123456789abcdef0123456789abcdef", time(NULL), &tok), INV_OK);
	tu_request(&app, "GET", path, tok, NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 422);
	o = tu_json(&resp);
	ck_assert(json_object_object_get_ex(o, "detail", &d));
	ck_assert_str_eq(json_to_plain(d, NULL), details);
	json_object_put(o);
	http_resp_free(&resp);
	free(tok);
}

static const struct {
	const char	*path;
	const char	*details;
} refused_queries[] = {
	{ "/api/v1/orders?status=lost&limit=0",
	  "[{\"loc\":[\"query\",\"limit\"],\"msg\":\"ensure this value is "
	  "greater than or equal to 1\",\"type\":"
	  "\"value_error.number.not_ge\"},"
	  "{\"loc\":[\"query\",\"status\"],\"msg\":\"value is not a valid "
	  "enumeration member; permitted: 'pending', 'processing', 'shipped', "
	  "'delivered', 'cancelled'\",\"type\":\"type_error.enum\"}]" },
	{ "/api/v1/inventory?low_stock=maybe&product_id=0",
	  "[{\"loc\":[\"query\",\"product_id\"],\"msg\":\"ensure this value "
	  "is greater than or equal to 1\",\"type\":"
	  "\"value_error.number.not_ge\"},"
	  "{\"loc\":[\"query\",\"low_stock\"],\"msg\":\"value could not be "
	  "parsed to a boolean\",\"type\":\"type_error.bool\"}]" },
};

START_TEST(dispatcher_refuses_query)
{
	expect_query_422(refused_queries[_i].path, refused_queries[_i].details);
}
END_TEST

/* Text bounded in characters, not bytes. */
START_TEST(dispatcher_refuses_long_text)
{
	char path[2048] = "/api/v1/products?q=";
	size_t i;

	for (i = 0; i < 256; i++)	/* 256 times U+00E9 */
		strcat(path, "%C3%A9");
	expect_query_422(path, "[{\"loc\":[\"query\",\"q\"],\"msg\":"
	    "\"ensure this value has at most 255 characters\",\"type\":"
	    "\"value_error.any_str.max_length\"}]");
}
END_TEST

/* The dispatcher keeps each route's values on its stack. */
START_TEST(route_specs_fit)
{
	size_t i;

	for (i = 0; i < nroutes; i++) {
		ck_assert_msg(routes[i].spec == NULL ||
		    routes[i].spec->nfields <= ROUTE_MAX_FIELDS, "%s: body "
		    "spec too large", routes[i].pattern);
		ck_assert_msg(routes[i].query == NULL ||
		    routes[i].query->nfields <= ROUTE_MAX_FIELDS, "%s: query "
		    "spec too large", routes[i].pattern);
		/* A list's query spec begins with the paging rows. */
		if (routes[i].query != NULL) {
			const struct field_spec *f = routes[i].query->fields;

			ck_assert_str_eq(f[PAGE_SKIP].name, "skip");
			ck_assert_str_eq(f[PAGE_LIMIT].name, "limit");
		}
	}
}
END_TEST

/* ---- the query specs against the document ---- */

/* The member at JSON pointer ref ("#/components/...") of doc, borrowed. */
static struct json_object *
resolve(struct json_object *doc, struct json_object *o)
{
	struct json_object *r;
	char *copy, *tok, *save = NULL;

	if (o == NULL || !json_object_object_get_ex(o, "$ref", &r))
		return o;
	copy = strdup(json_object_get_string(r) + 2);	/* past "#/" */
	o = doc;
	for (tok = strtok_r(copy, "/", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	free(copy);
	return o;
}

/* Whether doc path p is route pattern r, path parameters' names aside. */
static bool
same_path(const char *r, const char *p)
{
	while (*r != '\0' && *p != '\0') {
		if (*r == '{' && *p == '{') {
			r += strcspn(r, "}");
			p += strcspn(p, "}");
		}
		if (*r++ != *p++)
			return false;
	}
	return *r == *p;
}

/* schema's integer member name equals want (absent: fails). */
static void
expect_int(struct json_object *schema, const char *name, int64_t want,
    const char *where)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(schema, name, &v) &&
	    json_object_get_int64(v) == want, "%s: %s is not %" PRId64
	    " in the document", where, name, want);
}

/* Row fs of a query spec against the parameter's schema. */
static void
row_matches(struct json_object *doc, const struct field_spec *fs,
    struct json_object *schema, const char *where)
{
	static const char *const types[FT__MAX] = { [FT_STRING] = "string",
	    [FT_INT] = "integer", [FT_BOOL] = "boolean", [FT_ENUM] = "string" };
	struct json_object *v;
	size_t i;

	schema = resolve(doc, schema);
	ck_assert_msg(json_object_object_get_ex(schema, "type", &v) &&
	    strcmp(json_object_get_string(v), types[fs->type]) == 0,
	    "%s: not of type %s in the document", where, types[fs->type]);
	if (fs->type == FT_INT) {
		expect_int(schema, "minimum", fs->min, where);
		if (fs->max != INT64_MAX)
			expect_int(schema, "maximum", fs->max, where);
		if (fs->def != 0)
			expect_int(schema, "default", fs->def, where);
	}
	if (fs->type == FT_STRING && fs->max > 0)
		expect_int(schema, "maxLength", fs->max, where);
	if (fs->type == FT_ENUM) {
		ck_assert_msg(json_object_object_get_ex(schema, "enum", &v),
		    "%s: no enum in the document", where);
		for (i = 0; fs->members[i] != NULL; i++)
			ck_assert_msg(i < json_object_array_length(v) &&
			    strcmp(json_object_get_string(
			    json_object_array_get_idx(v, i)),
			    fs->members[i]) == 0, "%s: member %zu is not %s in "
			    "the document", where, i, fs->members[i]);
		ck_assert_uint_eq(i, json_object_array_length(v));
	}
}

/*
 * Each GET route reads exactly the query parameters the document gives
 * its operation, with the document's type and bounds: the spec is the
 * contract's, row for row.
 */
START_TEST(query_specs_are_documented)
{
	struct json_object *doc, *paths, *op, *params, *p, *v;
	const struct body_spec *q;
	char where[256];
	size_t i, k, n, r, found;

	doc = json_object_from_file(SRCDIR "/doc/openapi.json");
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	for (i = 0; i < nroutes; i++) {
		if (routes[i].method != HTTP_GET ||
		    strncmp(routes[i].pattern, "/api/", 5) != 0)
			continue;
		op = NULL;
		json_object_object_foreach(paths, path, ops)
			if (same_path(routes[i].pattern, path))
				json_object_object_get_ex(ops, "get", &op);
		ck_assert_msg(op != NULL, "GET %s: not in the document",
		    routes[i].pattern);
		q = routes[i].query;
		found = 0;
		if (!json_object_object_get_ex(op, "parameters", &params))
			params = NULL;
		n = params != NULL ? json_object_array_length(params) : 0;
		for (k = 0; k < n; k++) {
			p = resolve(doc, json_object_array_get_idx(params, k));
			if (!json_object_object_get_ex(p, "in", &v) ||
			    strcmp(json_object_get_string(v), "query") != 0)
				continue;
			json_object_object_get_ex(p, "name", &v);
			snprintf(where, sizeof(where), "GET %s?%s",
			    routes[i].pattern, json_object_get_string(v));
			ck_assert_msg(q != NULL, "%s: the route reads no "
			    "query", where);
			for (r = 0; r < q->nfields; r++)
				if (strcmp(q->fields[r].name,
				    json_object_get_string(v)) == 0)
					break;
			ck_assert_msg(r < q->nfields, "%s: not in the route's "
			    "query spec", where);
			json_object_object_get_ex(p, "schema", &v);
			row_matches(doc, &q->fields[r], v, where);
			found++;
		}
		ck_assert_msg(found == (q != NULL ? q->nfields : 0),
		    "GET %s: the query spec has %zu rows, the document %zu "
		    "parameters", routes[i].pattern,
		    q != NULL ? q->nfields : 0, found);
	}
	json_object_put(doc);
}
END_TEST

/* ---- the message table ---- */

START_TEST(messages_complete)
{
	const struct message *m, *o;
	size_t i, j;

	for (i = 0; i < MSG__MAX; i++) {
		m = &messages[i];
		ck_assert_msg(m->text != NULL, "message %zu has no text", i);
		ck_assert_msg(m->status >= 400 && m->status <= 599,
		    "\"%s\": status %d", m->text, m->status);
		/* A 422 entry has its type; a detail has none. */
		ck_assert_msg((m->status == 422) == (m->type != NULL),
		    "\"%s\": status %d, type %s", m->text, m->status,
		    m->type != NULL ? m->type : "none");
		for (j = 0; j < i; j++) {
			o = &messages[j];
			ck_assert_msg(strcmp(m->text, o->text) != 0 ||
			    m->status != o->status, "\"%s\" twice (%zu, %zu)",
			    m->text, j, i);
		}
	}
}
END_TEST

/* Conversions are those msg_format knows: "%s", "%" PRId64 and "%%". */
START_TEST(messages_conversions_known)
{
	static const char int_conv[] = "%" PRId64;
	const char *p;
	size_t i;

	for (i = 0; i < MSG__MAX; i++)
		for (p = strchr(messages[i].text, '%'); p != NULL;
		    p = strchr(p, '%')) {
			if (p[1] == 's' || p[1] == '%')
				p += 2;
			else if (strncmp(p, int_conv, strlen(int_conv)) == 0)
				p += strlen(int_conv);
			else
				ck_abort_msg("\"%s\": unknown conversion at "
				    "\"%s\"", messages[i].text, p);
		}
}
END_TEST

START_TEST(messages_format_typed_arguments)
{
	struct buf b;

	buf_init(&b);
	msg_format(&b, MSG_REFUSED_STOCK, MSG_ARGS(MSG_STR("Mug"),
	    MSG_INT(-3)));
	ck_assert_str_eq(b.data, "Insufficient stock for product Mug. "
	    "Available: -3");
	buf_reset(&b);
	msg_format(&b, MSG_PERCENT_ENCODING, NULL, 0);
	ck_assert_str_eq(b.data, "invalid percent-encoding: '%' must be "
	    "followed by two hexadecimal digits");
	/* The wrong kind, or too few: a mark, not a wrong read. */
	buf_reset(&b);
	msg_format(&b, MSG_REFUSED_STOCK, MSG_ARGS(MSG_INT(1)));
	ck_assert_str_eq(b.data, "Insufficient stock for product ?. "
	    "Available: ?");
	buf_free(&b);
}
END_TEST

static Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("specs");

	tcase_add_test(tc, body_values_are_typed);
	tcase_add_test(tc, array_unique_field);
	tcase_add_test(tc, body_details_in_row_order);
	tcase_add_test(tc, query_values_are_typed);
	tcase_add_test(tc, query_details_in_row_order);
	tcase_add_test(tc, route_specs_fit);
	tcase_add_test(tc, query_specs_are_documented);
	suite_add_tcase(s, tc);
	tc = tcase_create("dispatcher");
	tcase_add_loop_test(tc, dispatcher_refuses_query, 0,
	    NELEM(refused_queries));
	tcase_add_test(tc, dispatcher_refuses_long_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("messages");
	tcase_add_test(tc, messages_complete);
	tcase_add_test(tc, messages_conversions_known);
	tcase_add_test(tc, messages_format_typed_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(validate_suite(), NULL);
}
