/*
 * testworker.h: what the suites of inventory-worker share (testworker.c).
 * Integration only: every function fails the test on an error.
 */
#ifndef INV_TESTWORKER_H
#define INV_TESTWORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TW_USER_ID	1	/* the buyer tw_setup makes */
#define TW_POLLS	200	/* tries of a wait, 50 ms apart */

/* This test process's app and queue handle (tw_setup), and the file the
 * last program run wrote its output to. */
extern struct app *tw_app;
extern struct queue *tw_q;
extern char tw_outfile[64];

/* The fixture: an empty database with user TW_USER_ID, an empty queue. */
void tw_setup(void);
void tw_teardown(void);

/* Runs test-only SQL (the statement table holds the programs' SQL). */
void tw_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Product id with stock units in stock, its ledger starting there. */
void tw_seed_product(int64_t id, int stock);

/* A pending order of qty of product_id for TW_USER_ID, reserved as the
 * API does it; not enqueued. */
int64_t tw_make_order(int64_t product_id, int64_t qty);

/* The order's status and reservation, as the database has them. */
void tw_order_state(int64_t id, char status[16], char reservation[16]);
void tw_assert_order(int64_t id, const char *status,
    const char *reservation);

/* The order's notes (new string, "" for none). */
char *tw_order_notes(int64_t id);

/* How many times needle occurs in hay. */
int tw_occurrences(const char *hay, const char *needle);

/* Product id's quantity reserved. */
int64_t tw_reserved(int64_t product_id);

/* Stock, reservations and the ledger agree for every product (what
 * inventoryctl audit checks). */
void tw_assert_stock_invariants(void);

/* The worker program ($INVENTORY_WORKER, else the build's), borrowed;
 * inventoryctl beside it (new string). */
const char *tw_worker_bin(void);
char *tw_ctl_bin(void);

/*
 * Starts bin with argv (NULL-terminated, argv[0] included) and the
 * settings env ("KEY=VALUE", NULL-terminated; may be NULL) added to the
 * environment; stdout and stderr go to the file out (tw_spawn: to
 * tw_outfile), stdin is /dev/null.
 */
pid_t tw_spawn_to(const char *out, const char *bin, const char *const *argv,
    const char *const *env);
pid_t tw_spawn(const char *bin, const char *const *argv,
    const char *const *env);

/* Waits for pid; its exit status (a signal death fails the test). */
int tw_reap(pid_t pid);

/* What the file path holds; what the last run wrote (new strings). */
char *tw_file_text(const char *path);
char *tw_run_output(void);

/* Fails unless the last run's output contains what. */
void tw_assert_output_has(const char *what);

/* Runs `inventory-worker --drain --worker-id id` with env to the end;
 * its exit status. Logs at info, for the summary line. */
int tw_drain(const char *id, const char *const *env);

/* Polls until list key holds n elements; until key exists, or is gone. */
void tw_wait_for_len(const char *key, long long n);
void tw_wait_for_key(const char *key, bool exists);

/* Nothing waiting, in flight, scheduled or dead. */
void tw_assert_queue_empty(void);

#endif
