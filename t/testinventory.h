/*
 * testinventory.h: the fixtures and helpers of the /inventory and
 * /products suites (check_inventory, check_products).
 */
#ifndef INV_TESTINVENTORY_H
#define INV_TESTINVENTORY_H

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "testutil.h"

#define JSON "application/json"
#define API "/api/v1"

/* Placeholders filled per run: a long string. */
#define LONG "@LONG@"

extern struct app *app;

extern int64_t admin_id, user_id;

extern char *admin, *user;	/* access tokens */

void
setup(void);

void
teardown(void);

/* Sends (JSON when there is a body); the response stays in *resp. */
void
send_req(const char *method, const char *path, const char *tok,
    const char *body, struct http_resp *resp);

/* Sends and returns the status; *out gets the parsed body when asked. */
int
call(const char *method, const char *path, const char *tok, const char *body,
    struct json_object **out);

/* Same with a printf-made path. */
extern int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

int
callf(const char *method, const char *tok, const char *body,
    struct json_object **out, const char *fmt, ...);


/* True when key is present and null. */
bool
jnull(struct json_object *o, const char *key);


/* The first 422 detail's loc[1] (borrowed from o). */
const char *
detail_field(struct json_object *o);

/* Sends the request (call's arguments) and fails the test unless it is a
 * 422 whose first detail names field. */
void
expect_422_field(const char *method, const char *path, const char *tok,
    const char *body, const char *field);

int64_t
create_product(const char *sku, const char *name, const char *category);

int64_t
new_inventory(int64_t pid, int64_t stock, int64_t reserved,
    int64_t level);

/* Adjusts inventory id by q; returns the status. */
int
adjust(int64_t id, int64_t q, const char *reason);

/* Stock and reserved of record id straight from the database; false
 * when there is no such record. */
bool
db_quantities(int64_t id, int64_t *stock, int64_t *reserved);

/* The stock of record id as GET /inventory/{id} shows it. */
int64_t
api_stock(int64_t id);

/* GET path: the array body and its X-Total-Count. */
struct json_object *
get_list(const char *path, const char *tok, int64_t *total);

/* Sum of a record's movements through the API; *n is their count, *min
 * the lowest stock the ledger ever shows (oldest first). */
void
ledger(int64_t id, int64_t *stock, int64_t *reserved, size_t *n,
    int64_t *min);

/* GET path with tok: X-Total-Count is total, the page holds len items
 * (-1: not checked) and, unless sku is NULL, the first is sku's. */
void expect_list(const char *path, const char *tok, int64_t total, int len,
    const char *sku);

#endif
