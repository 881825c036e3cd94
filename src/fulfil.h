/*
 * fulfil.h: the worker's side of fulfilment (doc/design.md,
 * "Fulfilment"). With fulfilment_url set, an order that becomes
 * processing gets a fulfil_order job on the default queue; its run POSTs
 * the order (the Order JSON as the API shows it) to fulfilment_url,
 * signed as webhook deliveries are, through the worker's HTTP client,
 * and applies the answer:
 *
 *   2xx {"tracking_number": "..."}   the order is shipped with it
 *                                    (order_flow_fulfil: stock deducted
 *                                    once, order.shipped written);
 *   409, 422                         declined: it stays processing, the
 *                                    reason appended to its notes;
 *   anything else, no answer, or a   the job fails, retried with the
 *   2xx without a tracking number    queue's backoff, then a dead letter.
 *
 * An order that is no longer processing when the job runs, or when the
 * answer comes, is left alone.
 */
#ifndef INV_FULFIL_H
#define INV_FULFIL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct cache;
struct config;
struct db;
struct httpc_request;
struct httpc_response;

/* One order about to be sent: what fulfil_record needs. */
struct fulfil {
	int64_t		 order_id;
	char		*body;		/* new: the Order JSON */
	char		*headers[6];	/* new each, NULL-ended */
};

/*
 * Marks order_id as reached by a fulfil_order job (the sweep leaves it
 * then), reads it and, while it is processing, fills *f (fulfil_free it)
 * and *req (pointing into *f and cfg; tag and refuse left to the
 * caller); job_id (borrowed) is the X-Inventory-Delivery header.
 * INV_NOTFOUND when there is nothing to send: no such order, or it is
 * no longer processing.
 */
enum inv_err fulfil_prepare(struct db *, const struct config *,
    int64_t order_id, const char *job_id, struct fulfil *f,
    struct httpc_request *req);

void fulfil_free(struct fulfil *);

/*
 * Applies the answer res (borrowed) to f's order. INV_OK when the job is
 * done (shipped, declined, or no longer processing: *what, static, says
 * which); INV_IO when it is to be tried again, with why (new, free() it)
 * saying what was wrong; database errors as they come (INV_UNAVAILABLE
 * for an outage).
 */
enum inv_err fulfil_record(struct db *, struct cache *, const struct fulfil *f,
    const struct httpc_response *res, const char **what, char **why);

#endif
