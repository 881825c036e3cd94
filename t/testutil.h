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

#include "app.h"
#include "http.h"

/* Runs the suites, a NULL-terminated list (CK_NORMAL output), and returns
 * main's exit status. (testutil.c) */
int tu_run(Suite *first, ...);

/* _exit(code) for a child a test forked: use it, not _exit, so that under
 * valgrind the child is judged by its memory errors, not by the heap it
 * inherited (testutil.c). */
void tu_child_exit(int code) __attribute__((noreturn));

/* The rest is in testapp.c, for suites that go through the router. */

/* Exits 77 (skip) unless the harness started the services. Call from main
 * before running an integration suite. */
void tu_need_services(void);

/* This process's app (config, db, cache, queue), made on first use.
 * Check forks each test, so each test process gets its own connections.
 * Borrowed. */
struct app *tu_app(void);

/* A new app with its own connections, for a forked child (new; never
 * freed: the child exits). */
struct app *tu_app_new(void);

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

/* The response body parsed as JSON (new; json_object_put it). Fails the
 * test when it is not JSON. */
struct json_object *tu_json(const struct http_resp *);

#endif
