/*
 * payment.h: the worker's payment step, with many payments in flight at
 * once in one event loop. Two kinds (payment_mode): simulated, which
 * waits payment_delay_ms and refuses with probability
 * payment_failure_rate; and http, which POSTs the order to payment_url.
 * The HTTP exchange itself is httpc.h's.
 */
#ifndef INV_PAYMENT_H
#define INV_PAYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct payments;

/* How a payment ended. */
enum payment_result {
	PAYMENT_PAID = 0,	/* simulated success, or a 2xx */
	PAYMENT_DECLINED,	/* simulated refusal, or a 4xx */
	PAYMENT_RETRY,		/* 5xx, timeout, gateway unreachable */
	PAYMENT__MAX
};

/* Called by payments_poll once per finished payment: tag as given to
 * payments_start, why (borrowed, for the log and the job's last error)
 * says what went wrong for anything but PAYMENT_PAID. */
typedef void payment_done_fn(void *arg, void *tag, enum payment_result,
    const char *why);

/* A handle for cfg (borrowed; it must outlive the handle). INV_CONFIG
 * when the HTTP client cannot be set up. */
enum inv_err payments_open(struct payments **out, const struct config *cfg);

/* Abandons whatever is still in flight: the jobs stay with the queue. */
void payments_close(struct payments *);

/*
 * Starts the payment of order_id; body (borrowed, copied) is what the
 * http kind POSTs, with the header Idempotency-Key: order-ORDER_ID so
 * that a gateway takes one payment per order however often it is asked.
 * The caller keeps at most payment_concurrency in flight.
 */
void payments_start(struct payments *, int64_t order_id, const char *body,
    void *tag);

/* How many have been started and not reported by payments_poll. */
size_t payments_in_flight(const struct payments *);

/*
 * Runs the loop until at least one payment has finished or wait_ms have
 * passed (0: only what is finished now), then reports every finished
 * one through done. Returns how many were reported.
 */
size_t payments_poll(struct payments *, int64_t wait_ms,
    payment_done_fn *done, void *arg);

#endif
