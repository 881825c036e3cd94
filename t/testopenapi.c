/*
 * testopenapi.c: see testopenapi.h.
 */
#include "testopenapi.h"

struct json_object *doc;

/* Problems found by one test, reported together at its end. */
char problems[16384];

void
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

void
problems_none(void)
{
	ck_assert_msg(problems[0] == '\0', "%s", problems);
}

void
setup(void)
{
	doc = json_object_from_file(OPENAPI_JSON);
	ck_assert_msg(doc != NULL, "cannot read %s", OPENAPI_JSON);
	problems[0] = '\0';
}

void
teardown(void)
{
	json_object_put(doc);
	doc = NULL;
}

/*
 * "METHOD /path" with every {name} made "{}", so the table's {id} and the
 * document's {order_id} compare equal. Writes into buf.
 */
const char *
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

bool
in_list(const char *const *list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

/* "GET" from "get": an OpenAPI operation key in upper case, in buf. */
const char *
method_upper(char *buf, size_t len, const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)m[i]);
	buf[i] = '\0';
	return buf;
}

/* The document's operation with this key (borrowed), or NULL. */
struct json_object *
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
struct json_object *
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

/* The schema of a request body content type (borrowed), or NULL. */
struct json_object *
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

/*
 * Calls visit for obj and every object below it, with its JSON pointer
 * ("/components/schemas/Product") in where.
 */
void
walk(struct json_object *obj, char *where, size_t len,
    void (*visit)(struct json_object *, const char *))
{
	size_t at = strlen(where), i;

	if (json_object_is_type(obj, json_type_array)) {
		for (i = 0; i < json_object_array_length(obj); i++) {
			snprintf(where + at, len - at, "/%zu", i);
			walk(json_object_array_get_idx(obj, i), where, len,
			    visit);
		}
	} else if (json_object_is_type(obj, json_type_object)) {
		visit(obj, where);
		json_object_object_foreach(obj, k, v) {
			snprintf(where + at, len - at, "/%s", k);
			walk(v, where, len, visit);
		}
	}
	where[at] = '\0';
}
