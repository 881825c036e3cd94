/*
 * testgateway.h: the HTTP stub the worker's suites start (testgateway.c):
 * a real HTTP server on a TCP port of 127.0.0.1, one process per
 * connection, standing in for a payment gateway or a webhook receiver.
 * Each request is one line of gw_log: its key, then its body. The key is
 * the Idempotency-Key of a payment; for a webhook delivery (a request
 * with X-Inventory-Signature) it is "ok/TYPE/DELIVERY" when the
 * signature verifies with gw_secret, "bad/TYPE/DELIVERY" when not.
 * A fulfilment request (TYPE fulfil_order) answered 200 gets
 * {"tracking_number": "TRK-DELIVERY"}.
 */
#ifndef INV_TESTGATEWAY_H
#define INV_TESTGATEWAY_H

#include <stdbool.h>
#include <sys/types.h>

/* What the stub answers. */
enum gw_mode {
	GW_PAY = 0,	/* 200 */
	GW_DECLINE,	/* 402 */
	GW_FLAKY,	/* 503 the first time a key is seen, then 200 */
	GW_SILENT,	/* reads the request and never answers (hangs) */
	GW_FAIL,	/* 500, every time */
	GW_REFUSE,	/* 409 {"reason": "Out of stock at the warehouse"} */
	GW_REJECT,	/* 422 {"error": "Address not deliverable"} */
	GW_NOTRACK,	/* 200 {}: no tracking number */
	GW_SLOW,	/* 200 after 300 ms */
	GW_NOWHERE,	/* no stub: nothing listens at the URL (gw_nowhere) */
	GW__MAX
};

extern pid_t gw_pid;		/* the stub's process group, 0: none */
extern int gw_port;
extern char gw_log[80];		/* one line per request: key, then body */
extern char gw_url_env[96];	/* INVENTORY_PAYMENT_URL=... */
extern char gw_secret[128];	/* verifies webhook signatures */

/* Starts the stub on a free port of 127.0.0.1, answering as mode; the
 * log starts empty. */
void gw_start(enum gw_mode mode);

/* The same on port (the one of an earlier stub: a receiver back up);
 * the log is kept. */
void gw_start_on(int port, enum gw_mode mode);

/* Stops the stub and everything it forked (its port refuses then). */
void gw_stop(void);

/* The checked fixture of a suite that runs the worker against the stub:
 * tw_setup with no stub yet; the stub stopped, its log removed and
 * tw_teardown. */
void gw_setup(void);
void gw_teardown(void);

/* A URL where nothing listens: a port just bound and let go. */
void gw_nowhere(void);

/* The requests the stub has seen, and those of key. */
int gw_requests(const char *key);

#endif
