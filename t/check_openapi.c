/*
 * check_openapi.c: the route table of src/router.c against the OpenAPI
 * document (no service needed), and, with the services, the 404 details
 * the service sends.
 */
#include "testopenapi.h"

/* Documented, but answered by nginx from a file: never in the table. */
static const char *const served_by_nginx[] = {
	"GET /api/v1/openapi.json",
};

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

static bool
has_response(struct json_object *op, const char *status)
{
	struct json_object *r;

	return json_object_object_get_ex(op, "responses", &r) &&
	    json_object_object_get_ex(r, status, NULL);
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

/* Security and the 400/401/403 responses follow the route's role. */
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
		/* "Inactive user" from the dispatcher's read of the row. */
		if (route_reads_user(&routes[i], routes[i].method) &&
		    !has_response(op, "400"))
			problem("%s reads the caller's row: no 400 response "
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

/* A multipleOf that is not an integer, as problem. */
static void
fractional_multiple(struct json_object *obj, const char *where)
{
	struct json_object *m;
	double v;

	if (!json_object_object_get_ex(obj, "multipleOf", &m))
		return;
	v = json_object_get_double(m);
	if (!json_object_is_type(m, json_type_int) && v != (double)(long)v)
		problem("%s: multipleOf %s: binary floating point makes "
		    "validators refuse exact values (19.99); say the decimals "
		    "in the description instead", where,
		    json_object_get_string(m));
}

/*
 * No multipleOf with a fraction: a standard validator divides in binary
 * floating point, where 19.99 is not a multiple of 0.01.
 */
START_TEST(no_fractional_multiple_of)
{
	char where[1024] = "";

	walk(doc, where, sizeof(where), fractional_multiple);
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
	tcase_add_test(tc, no_fractional_multiple_of);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(openapi_suite(), NULL);
}
