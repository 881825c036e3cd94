/*
 * order_flow.h: the order state machine and the reservation rules
 * (ARCHITECTURE.md, "The rules that keep stock right"), shared by the
 * orders API and the worker. Every transition locks the order row and
 * moves orders.reservation (none, held, released, deducted) in the same
 * transaction as the stock change, so reserve, release and deduct each
 * happen at most once; each stock change writes its stock_movements row.
 * Callers invalidate the cache for the products involved after commit.
 */
#ifndef INV_ORDER_FLOW_H
#define INV_ORDER_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct db;
struct cache;

enum order_status {
	ORDER_PENDING = 0,
	ORDER_PROCESSING,
	ORDER_SHIPPED,
	ORDER_DELIVERED,
	ORDER_CANCELLED,
	ORDER__MAX
};

/* "pending", ...; parse returns false for anything else. */
const char *order_status_name(enum order_status);
bool order_status_parse(const char *, enum order_status *);

/*
 * The worker's step for one order, after the (simulated) payment said
 * payment_ok. In one transaction: lock the order; when it is still
 * pending, make sure it holds its reservation (reserving now if it holds
 * none), then set processing, or on a failed payment cancel it, release
 * the reservation and append "Payment processing failed" to notes. An
 * order no longer pending is left alone (the job ran before: idempotent).
 * *final is the order's status afterwards. Invalidates the cache of the
 * products involved after commit. INV_NOTFOUND for no such order.
 */
enum inv_err order_flow_process(struct db *, struct cache *, int64_t order_id,
    bool payment_ok, enum order_status *final);

#endif
