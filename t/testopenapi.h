/*
 * testopenapi.h: what the OpenAPI suites (check_openapi,
 * check_openapi_details) share: the document, loaded, and its problems.
 */
#ifndef INV_TESTOPENAPI_H
#define INV_TESTOPENAPI_H

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auth.h"
#include "db.h"
#include "router.h"
#include "util.h"
#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the 404 of each operation on one record, as the service sends it ---- */

/* An id no record has after tu_reset_db. */
#define MISSING_ID "987654321"

extern struct json_object *doc;

/* Problems found by one test, reported together at its end. */
extern char problems[16384];

void
problem(const char *fmt, ...);

void
problems_none(void);

void
setup(void);

void
teardown(void);

/*
 * "METHOD /path" with every {name} made "{}", so the table's {id} and the
 * document's {order_id} compare equal. Writes into buf.
 */
const char *
op_key(char *buf, size_t len, const char *method, const char *path);

bool
in_list(const char *const *list, size_t n, const char *key);

/* "GET" from "get": an OpenAPI operation key in upper case, in buf. */
const char *
method_upper(char *buf, size_t len, const char *m);

/* The document's operation with this key (borrowed), or NULL. */
struct json_object *
doc_find(const char *key);

/* Follows a local "$ref" (borrowed result; obj itself when none). */
struct json_object *
deref(struct json_object *obj);

/* The schema of a request body content type (borrowed), or NULL. */
struct json_object *
body_schema(struct json_object *op, const char *type);

/*
 * Calls visit for obj and every object below it, with its JSON pointer
 * ("/components/schemas/Product") in where.
 */
void
walk(struct json_object *obj, char *where, size_t len,
    void (*visit)(struct json_object *, const char *));

#endif
