/*
 * check_openapi.c: the route table (src/router.c) and the OpenAPI document
 * (doc/openapi.json) describe the same API. Every route is documented and
 * every documented operation is routed; each operation's security, request
 * body and error responses agree with the route's role, body kind and field
 * spec. No service is needed: the table and the file are compared as data.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "router.h"
#include "testutil.h"

/* Documented, but answered by nginx from a file: never in the table. */
static const char *const served_by_nginx[] = {
	"GET /api/v1/openapi.json",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct json_object *doc;

/* Problems found by one test, reported together at its end. */
static char problems[16384];

static void
problem(const char *fmt, ...)
{
	size_t len = strlen(problems);
	va_list ap;

	if (len + 2 >= sizeof(problems))
		return;
	problems[len++] = '\n';
	va_start(ap, fmt);
	vsnprintf(problems + len, sizeof(problems) - len, fmt, ap);
	va_end(ap);
}

static void
problems_none(void)
{
	ck_assert_msg(problems[0] == '\0', "%s", problems);
}

static void
setup(void)
{
	doc = json_object_from_file(OPENAPI_JSON);
	ck_assert_msg(doc != NULL, "cannot read %s", OPENAPI_JSON);
	problems[0] = '\0';
}

static void
teardown(void)
{
	json_object_put(doc);
	doc = NULL;
}

/*
 * "METHOD /path" with every {name} made "{}", so the table's {id} and the
 * document's {order_id} compare equal. Writes into buf.
 */
static const char *
op_key(char *buf, size_t len, const char *method, const char *path)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "%s ", method);
	while (*path != '\0' && n + 3 < len) {
		if (*path == '{') {
			buf[n++] = '{';
			buf[n++] = '}';
			while (*path != '\0' && *path != '}')
				path++;
			if (*path == '}')
				path++;
		} else
			buf[n++] = *path++;
	}
	buf[n] = '\0';
	return buf;
}

static bool
in_list(const char *const *list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

/* The table's route with this key, or NULL. */
static const struct route *
route_find(const char *key)
{
	char buf[256];
	size_t i;

	for (i = 0; i < nroutes; i++)
		if (strcmp(op_key(buf, sizeof(buf),
		    http_method_name(routes[i].method), routes[i].pattern),
		    key) == 0)
			return &routes[i];
	return NULL;
}

/* "GET" from "get": an OpenAPI operation key in upper case, in buf. */
static const char *
method_upper(char *buf, size_t len, const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)m[i]);
	buf[i] = '\0';
	return buf;
}

/* The document's operation with this key (borrowed), or NULL. */
static struct json_object *
doc_find(const char *key)
{
	struct json_object *paths;
	char buf[256], method[16];

	if (!json_object_object_get_ex(doc, "paths", &paths))
		return NULL;
	json_object_object_foreach(paths, path, item) {
		json_object_object_foreach(item, m, op) {
			method_upper(method, sizeof(method), m);
			if (strcmp(op_key(buf, sizeof(buf), method, path),
			    key) == 0)
				return op;
		}
	}
	return NULL;
}

/* Follows a local "$ref" (borrowed result; obj itself when none). */
static struct json_object *
deref(struct json_object *obj)
{
	struct json_object *r, *cur = doc;
	char *copy, *seg, *save;
	const char *ref;

	if (obj == NULL || !json_object_object_get_ex(obj, "$ref", &r))
		return obj;
	ref = json_object_get_string(r);
	ck_assert_msg(strncmp(ref, "#/", 2) == 0, "non-local $ref %s", ref);
	copy = strdup(ref + 2);
	for (seg = strtok_r(copy, "/", &save); seg != NULL && cur != NULL;
	    seg = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(cur, seg, &cur))
			cur = NULL;
	free(copy);
	ck_assert_msg(cur != NULL, "dangling $ref %s", ref);
	return deref(cur);
}

static bool
has_response(struct json_object *op, const char *status)
{
	struct json_object *r;

	return json_object_object_get_ex(op, "responses", &r) &&
	    json_object_object_get_ex(r, status, NULL);
}

/* The schema of a request body content type (borrowed), or NULL. */
static struct json_object *
body_schema(struct json_object *op, const char *type)
{
	struct json_object *b, *c, *t, *s;

	if (!json_object_object_get_ex(op, "requestBody", &b))
		return NULL;
	b = deref(b);
	if (!json_object_object_get_ex(b, "content", &c) ||
	    !json_object_object_get_ex(c, type, &t) ||
	    !json_object_object_get_ex(t, "schema", &s))
		return NULL;
	return deref(s);
}

static bool
schema_has(struct json_object *schema, const char *member, const char *name)
{
	struct json_object *m;
	size_t i;

	if (schema == NULL || !json_object_object_get_ex(schema, member, &m))
		return false;
	if (json_object_is_type(m, json_type_object))
		return json_object_object_get_ex(m, name, NULL);
	for (i = 0; i < json_object_array_length(m); i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(m, i)), name) == 0)
			return true;
	return false;
}

START_TEST(every_route_is_documented)
{
	char key[256];
	size_t i;

	for (i = 0; i < nroutes; i++) {
		op_key(key, sizeof(key), http_method_name(routes[i].method),
		    routes[i].pattern);
		if (doc_find(key) == NULL)
			problem("route %s is not in doc/openapi.json", key);
		if (in_list(served_by_nginx, NELEM(served_by_nginx), key))
			problem("%s is routed, but nginx serves it", key);
	}
	problems_none();
}
END_TEST

START_TEST(every_operation_is_routed)
{
	struct json_object *paths;
	char key[256], method[16];
	size_t n = 0;

	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	json_object_object_foreach(paths, path, item) {
		json_object_object_foreach(item, m, op) {
			(void)op;
			if (strcmp(m, "parameters") == 0 ||
			    strcmp(m, "summary") == 0 ||
			    strcmp(m, "description") == 0 ||
			    strcmp(m, "servers") == 0)
				continue;
			op_key(key, sizeof(key),
			    method_upper(method, sizeof(method), m), path);
			n++;
			if (route_find(key) == NULL &&
			    !in_list(served_by_nginx, NELEM(served_by_nginx),
			    key))
				problem("%s is documented but not routed", key);
		}
	}
	ck_assert_uint_ge(n, nroutes);
	problems_none();
}
END_TEST

/* Security and the 401/403 responses follow the route's role. */
START_TEST(security_follows_role)
{
	struct json_object *op, *sec;
	char key[256];
	size_t i;

	for (i = 0; i < nroutes; i++) {
		op_key(key, sizeof(key), http_method_name(routes[i].method),
		    routes[i].pattern);
		if ((op = doc_find(key)) == NULL)
			continue;	/* reported by every_route_is_documented */
		if (!json_object_object_get_ex(op, "security", &sec))
			sec = json_object_object_get(doc, "security");
		if (routes[i].role == ROLE_NONE) {
			if (sec != NULL && json_object_array_length(sec) > 0)
				problem("%s needs no token, but the document "
				    "asks for one", key);
			continue;
		}
		if (sec == NULL || json_object_array_length(sec) == 0)
			problem("%s needs a token: give it a security "
			    "requirement", key);
		if (!has_response(op, "401"))
			problem("%s: no 401 response documented", key);
		if (routes[i].role == ROLE_ADMIN && !has_response(op, "403"))
			problem("%s is for administrators: no 403 response "
			    "documented", key);
	}
	problems_none();
}
END_TEST

/*
 * The request body: its media types follow the route's body kind, each
 * field of the route's spec is a property, and the spec's required fields
 * are the JSON schema's.
 */
START_TEST(bodies_follow_specs)
{
	struct json_object *op, *json, *form, *req;
	const struct field_spec *f;
	char key[256];
	size_t i, j;

	for (i = 0; i < nroutes; i++) {
		op_key(key, sizeof(key), http_method_name(routes[i].method),
		    routes[i].pattern);
		if ((op = doc_find(key)) == NULL)
			continue;
		json = body_schema(op, "application/json");
		form = body_schema(op,
		    "application/x-www-form-urlencoded");
		if (routes[i].body == BODY_NONE) {
			if (json_object_object_get_ex(op, "requestBody",
			    NULL))
				problem("%s takes no body, but one is "
				    "documented", key);
			continue;
		}
		if (json == NULL)
			problem("%s: no application/json body documented",
			    key);
		if (routes[i].body == BODY_FORM_OR_JSON && form == NULL)
			problem("%s: no form body documented", key);
		if (!has_response(op, "422") || !has_response(op, "415") ||
		    !has_response(op, "413"))
			problem("%s: takes a body, so 413, 415 and 422 must "
			    "be documented", key);
		if (routes[i].spec == NULL || json == NULL)
			continue;
		for (j = 0; j < routes[i].spec->nfields; j++) {
			f = &routes[i].spec->fields[j];
			if (!schema_has(json, "properties", f->name) &&
			    !schema_has(form, "properties", f->name))
				problem("%s: body field %s is not documented",
				    key, f->name);
			if ((f->flags & FS_REQUIRED) &&
			    !schema_has(json, "required", f->name))
				problem("%s: body field %s is required, not "
				    "so in the document", key, f->name);
		}
		if (json_object_object_get_ex(json, "required", &req))
			for (j = 0; j < json_object_array_length(req); j++) {
				const char *name = json_object_get_string(
				    json_object_array_get_idx(req, j));
				size_t k;

				for (k = 0; k < routes[i].spec->nfields; k++)
					if (strcmp(routes[i].spec->fields[k].name,
					    name) == 0 &&
					    (routes[i].spec->fields[k].flags &
					    FS_REQUIRED))
						break;
				if (k == routes[i].spec->nfields)
					problem("%s: the document requires %s, "
					    "the route's spec does not", key,
					    name);
			}
	}
	problems_none();
}
END_TEST

/* A route with an {id} documents its 404, and every operation its 500. */
START_TEST(errors_documented)
{
	struct json_object *op;
	char key[256];
	size_t i;

	for (i = 0; i < nroutes; i++) {
		op_key(key, sizeof(key), http_method_name(routes[i].method),
		    routes[i].pattern);
		if ((op = doc_find(key)) == NULL)
			continue;
		if (strstr(routes[i].pattern, "{id}") != NULL &&
		    !has_response(op, "404"))
			problem("%s: no 404 response documented", key);
		if (!has_response(op, "500"))
			problem("%s: no 500 response documented", key);
	}
	problems_none();
}
END_TEST

/* info.version is the package's (configure's AC_INIT), the version the
 * programs' --version and the man pages give. */
START_TEST(version_is_the_package_version)
{
	struct json_object *info, *v;
	const char *got = NULL;

	if (json_object_object_get_ex(doc, "info", &info) &&
	    json_object_object_get_ex(info, "version", &v) &&
	    json_object_is_type(v, json_type_string))
		got = json_object_get_string(v);
	ck_assert_msg(got != NULL, "no info.version string");
	ck_assert_msg(strcmp(got, PACKAGE_VERSION) == 0,
	    "info.version is %s, the package (configure.ac AC_INIT) is %s",
	    got, PACKAGE_VERSION);
}
END_TEST

static Suite *
openapi_suite(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("route table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_route_is_documented);
	tcase_add_test(tc, every_operation_is_routed);
	tcase_add_test(tc, security_follows_role);
	tcase_add_test(tc, bodies_follow_specs);
	tcase_add_test(tc, errors_documented);
	tcase_add_test(tc, version_is_the_package_version);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(openapi_suite(), NULL);
}
