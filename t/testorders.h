/*
 * testorders.h: the fixtures and helpers of the /orders suites
 * (check_orders_create, _status, _idem, _race): seeded products, tokens,
 * requests through the router, stock and invariants read back with SQL.
 */
#ifndef INV_TESTORDERS_H
#define INV_TESTORDERS_H

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "order_flow.h"
#include "testutil.h"

#define JSON "application/json"
#define ORDERS "/api/v1/orders"
#define HIGH_QUEUE "inventory:queue:high"

/* A counter of this process's database session (the one requests go
 * through), such as "Com_stmt_execute", as SQL. */
#define SESSION_COUNT(name) "(SELECT VARIABLE_VALUE FROM " \
	"information_schema.SESSION_STATUS WHERE VARIABLE_NAME = '" name "')"

/* ---- Idempotency-Key ---- */

#define IDEM_BODY "{\"shipping_address\":\"x\",\"items\":" \
	"[{\"product_id\":1,\"quantity\":1}]}"
/* IDEM_BODY as the key's row compares it: its meaning, canonical. */
#define IDEM_CANON "{\"items\":[{\"product_id\":1,\"quantity\":1}]," \
	"\"notes\":null,\"shipping_address\":\"x\",\"shipping_method\":null}"

/* ---- the stock books: reserved = held by orders + a manual hold ---- */

#define DISAGREE "Stock records disagree; run inventoryctl audit"

extern struct app *app;

/* ---- fixtures and helpers ---- */
/* The queue's Redis database, seen through our own connection (new). */
redisContext *
raw_queue(void);

void
setup(void);

/* Runs trusted test SQL (formatted here, never request data). */
void __attribute__((format(printf, 1, 2)))
sql(const char *fmt, ...);

/* Fails the test unless the condition (trusted test SQL, formatted here)
 * holds on the server; NULL counts as false. */
void __attribute__((format(printf, 1, 2)))
expect_sql(const char *fmt, ...);

/*
 * Product id with a price and, when stock >= 0, an inventory record of
 * that stock whose first movement records it (as the inventory API
 * does), so the ledger sums to the stock from the start.
 */
void
seed_product(int64_t id, const char *name, const char *price, int stock);

/* A user straight in the database and an access token for it (new). */
char *
user_token(const char *email, const char *name, bool admin, int64_t *id);



/* tu_call with no key, total or raw body. */
int
call(const char *method, const char *path, const char *token,
    const char *body, struct json_object **out);


/* Asserts that an answer (got, its body o) is status with detail msg. */
void
expect_detail(const char *what, int got, struct json_object *o, int status,
    const char *msg);

/* Asserts status and detail of a request, and frees the body. */
void
expect_error(const char *method, const char *path, const char *token,
    const char *body, int status, const char *msg);


/* The body of an order of qty units of one product (new). */
char *
order_body(int64_t product, int qty);

/* Places an order of one product; returns its id (> 0) or -status. */
int64_t
order_one(const char *token, int64_t product, int qty);

char *
order_path(int64_t id);

/* PUT {"status": to} on order id; returns the status code. */
int
set_status(const char *admin, int64_t id, const char *to);

int
cancel(const char *token, int64_t id);

/* The status of order id as its owner or an admin sees it (new). */
char *
status_of(const char *token, int64_t id);

/* Stock of product pid from the audit: in stock and reserved. */
void
stock_of(int64_t pid, int64_t *in_stock, int64_t *reserved);

void
expect_stock(int64_t pid, int64_t in_stock, int64_t reserved);

/*
 * Both invariants, for every product: reserved equals the quantities of
 * the orders holding a reservation, and the movements sum to the
 * quantities; and the database's own bound, reserved <= stock.
 */
void
expect_invariants(void);

/* Number of orders in the database (through the admin list). */
int64_t
order_count(const char *admin);

/* Runs fn(i, out) in n children at once, each on its own connections
 * (tu_concurrently): child i's size bytes of out come back at
 * results + i * size. A failure in any child fails the test. */
void
run_concurrently(int n, void (*fn)(int, void *), void *results,
    size_t size);

/* Stock of an inventory record read through the API, and so through
 * the cache: "quantity_in_stock" or "quantity_reserved" of path. */
int64_t
api_stock(const char *token, const char *path, const char *field);

/* Every read of product pid's record (by record id inv and by product)
 * shows stock and reserved; each also caches what it read. */
void
expect_api_stock(const char *token, int64_t inv, int64_t pid,
    int64_t in_stock, int64_t reserved);

#endif
