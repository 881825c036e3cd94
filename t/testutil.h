/*
 * testutil.h: what the Check suites share.
 *
 * Integration suites call tu_app() first: it exits 77 (automake's "skip")
 * unless INVENTORY_TEST_SERVICES=1, which tools/devstack test sets after
 * starting MariaDB and Redis and writing the config named by
 * INVENTORY_CONFIG. devstack counts a skip as a failure.
 */
#ifndef INV_TESTUTIL_H
#define INV_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "http.h"
#include "redis_conn.h"

/* The number of rows of a table (an array, not a pointer). */
#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Runs the suites, a NULL-terminated list (CK_NORMAL output), and returns
 * main's exit status. (testutil.c) */
int tu_run(Suite *first, ...);

/*
 * A suite as a table: each TU_CASE row starts a test case (its name, and
 * its timeout in seconds, 0 for Check's default), and the TU_TEST rows
 * after it are its tests, in order. Every case gets setup and teardown
 * (either may be NULL) as its checked fixture. The rows name tests as
 * START_TEST defines them, which are no constants: the table is an
 * automatic array. (testutil.c)
 */
struct tu_row {
	const char	*tcase;		/* a case's name; NULL: a test */
	int		 timeout;	/* seconds; 0: Check's default */
	const TTest	*test;
};
#define TU_CASE(name, secs)	{ (name), (secs), NULL }
#define TU_TEST(t)		{ NULL, 0, (t) }
Suite *tu_suite(const char *name, SFun setup, SFun teardown,
    const struct tu_row *rows, size_t nrows);

/* _exit(code) for a child a test forked: use it, not _exit, so that under
 * valgrind the child is judged by its memory errors, not by the heap it
 * inherited (testutil.c). */
void tu_child_exit(int code) __attribute__((noreturn));

/* Bytes a child of tu_concurrently may report. */
#define TU_RESULT_MAX	512

/*
 * Runs a race: forks n children; child i runs ready(i) (may be NULL; its
 * own connections, say), then waits at a barrier that opens once every
 * child is ready, then runs fn(i, out) with out size zeroed bytes (at most
 * TU_RESULT_MAX), which come back at results + i * size (results may be
 * NULL when size is 0). Each child runs under a Check runner of its own,
 * so its failed assertion ends the child with its message, in either of
 * Check's fork modes. The test fails, repeating that message, when a
 * child fails an assertion, reports nothing, exits non-zero or dies of a
 * signal; it is told only after every child has been reaped.
 */
void tu_concurrently(int n, void (*ready)(int), void (*fn)(int, void *),
    void *results, size_t size);

/* tu_concurrently's verdict instead of a failed test: true when every
 * child passed; else *why (len bytes) says which child failed and how.
 * For the tests of the harness itself. */
bool tu_race(int n, void (*ready)(int), void (*fn)(int, void *),
    void *results, size_t size, char *why, size_t len);

/* CPU time of the calling thread, in seconds: what a computation costs,
 * not what the rest of a loaded machine takes from it. (testutil.c) */
double tu_cpu_seconds(void);

/* The median of v[0..n) (n > 0), which it sorts. (testutil.c) */
double tu_median(double *v, size_t n);

/* The rest is in testapp.c, for suites that go through the router. */

/* Whether the harness started the services (INVENTORY_TEST_SERVICES=1). */
bool tu_have_services(void);

/* Exits 77 (skip) unless the harness started the services. Call from main
 * before running an integration suite. */
void tu_need_services(void);

/* This process's app (config, db, cache, queue), made on first use.
 * Check forks each test, so each test process gets its own connections.
 * Borrowed. */
struct app *tu_app(void);
/* Frees tu_app's app, so that the next tu_app() reads the configuration
 * (and its environment) anew: for a suite whose setup changes it. */
void tu_app_reload(void);

/* A new app with its own connections, MariaDB's made, for a forked
 * child (new; never freed: the child exits). A failure fails the test. */
struct app *tu_app_new(void);

/* The suite's own app variable, which tu_child_connect points at a new
 * app: each suite that races sets it (to &app) in its fixture. */
extern struct app **tu_child_app;

/* A ready function for tu_concurrently and tu_race: the child's own
 * connections, made before the barrier (*tu_child_app = tu_app_new()). */
void tu_child_connect(int i);

/* Stores a user straight in the database (name "Test User", a password
 * hash nothing matches); returns its id. */
int64_t tu_insert_user(struct app *, const char *email, bool is_admin);

/* An access token for user uid (new). */
char *tu_token_for(struct app *, int64_t uid, bool is_admin);

/* The usual pair: admin@example.com, an admin, and user@example.com,
 * with their ids and access tokens (new). */
void tu_admin_and_user(struct app *, int64_t *admin_id, char **admin,
    int64_t *user_id, char **user);

/* Closes and frees an app from tu_app_new (a second one in the same
 * process, which the leak checker would otherwise report). */
void tu_app_free(struct app *);

/* A connection of this process as the schema owner (config_owner():
 * migrate_db_user), for test-only SQL beyond what the service's account
 * may do (TRUNCATE, ALTER, triggers). Made on first use; borrowed. */
struct db *tu_owner_db(struct app *);

/* Empties every table but schema_migrations and the cache's Redis
 * database (for a fixture's setup): ids restart with the tables, so a
 * value cached by an earlier test must not answer for a new row. */
void tu_reset_db(struct app *);

/* Runs a trusted test script (formatted here, never request data) on db
 * (db_exec_script); a failure fails the test. */
void tu_sql(struct db *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails the test unless the SQL condition (trusted, formatted here)
 * holds on db's server, in db's session; NULL counts as false. */
void tu_expect_sql(struct db *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A new raw connection to the Redis of set (the cache's or the queue's),
 * opened as the programs open theirs (redis_conn_open: AUTH, SELECT) but
 * with timeouts of seconds; fails the test when it cannot be had.
 */
struct redisContext *tu_redis_connect(const struct redis_settings *set);

/*
 * Runs one command on a new raw connection to the cache's Redis database
 * (hiredis format: words split on spaces, then %s/%d/%lld filled in) and
 * fails the test on an I/O or Redis error. For tests that need to act on
 * Redis behind the cache's back (FLUSHDB, CLIENT PAUSE).
 */
void tu_redis(struct app *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Builds a request, dispatches it through the router and returns the
 * response in *resp (http_resp_free it). token may be NULL (no
 * Authorization); content_type may be NULL; body may be NULL.
 */
void tu_request(struct app *, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    struct http_resp *resp);

/* The same with an Idempotency-Key header (NULL: none). */
void tu_request_key(struct app *, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    const char *idempotency_key, struct http_resp *resp);

/*
 * tu_request_key with a JSON body (Content-Type application/json when
 * body is not NULL); fails the test when the answer is a 500 or none (no
 * request may get one). Returns the status; *resp as tu_request's.
 */
int tu_send(struct app *, const char *method, const char *path,
    const char *token, const char *body, const char *idempotency_key,
    struct http_resp *resp);

/* tu_send, then *out the body parsed as JSON (new; NULL without a body),
 * *total its X-Total-Count (-1: none), *raw the body as sent (new): each
 * may be NULL. Returns the status. */
int tu_call(struct app *, const char *method, const char *path,
    const char *token, const char *body, const char *idempotency_key,
    struct json_object **out, int64_t *total, char **raw);

/* The "detail" string of an error body (borrowed from o), or NULL. */
const char *tu_detail(struct json_object *o);

/* Integer member name of o; fails the test when there is none. */
int64_t tu_jint(struct json_object *o, const char *name);

/* The response body parsed as JSON (new; json_object_put it). Fails the
 * test when it is not JSON. */
struct json_object *tu_json(const struct http_resp *);

/* Asserts that resp is a 422 whose first detail has loc [where, name]
 * and a msg, and, unless type is NULL, that type. */
void tu_expect_422(const struct http_resp *, const char *where,
    const char *name, const char *type);

/* GET path (with token, may be NULL) and tu_expect_422 with loc
 * ["query", name]. */
void tu_expect_query_422(struct app *, const char *path, const char *token,
    const char *name, const char *type);

#endif
