/*
 * delivery.h: the worker's side of webhooks (doc/design.md, "Events").
 *
 *   dispatch   a job on the low queue: the outbox's new events become
 *              one webhook_deliveries row per active subscription to
 *              their type, and the events are marked dispatched (one
 *              transaction per batch); then the due deliveries are
 *              leased and get a job each on the default queue.
 *   send       such a job: the POST of one delivery (signed), through
 *              the worker's HTTP client; its answer recorded as an
 *              attempt: delivered (2xx), pending again after a backoff,
 *              or failed after webhook_max_attempts.
 *
 * The database holds each delivery's state and schedule; the queue only
 * carries the work, with its usual rules (in flight, heartbeat, retry of
 * a job that could not run, dead letters). Delivery is at least once.
 */
#ifndef INV_DELIVERY_H
#define INV_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct db;
struct httpc_request;
struct httpc_response;
struct queue;

/*
 * The dispatch job: dispatches the undispatched events in batches and
 * enqueues every due delivery (leased first, so a second dispatch does
 * not enqueue it again while its job waits). *events and *queued count
 * them.
 */
enum inv_err delivery_dispatch(struct db *, struct queue *,
    const struct config *, size_t *events, size_t *queued);

/*
 * Reads the backlog, reports it to the metrics, and says whether there
 * is work for a dispatch job (undispatched events or due deliveries).
 */
enum inv_err delivery_backlog(struct db *, bool *work);

/* Deletes the finished deliveries and the dispatched events (with
 * theirs) older than webhook_retention_days; *n counts both. */
enum inv_err delivery_purge(struct db *, const struct config *, size_t *n);

/* One delivery about to be sent: what delivery_record needs. */
struct delivery {
	int64_t		 id;
	int64_t		 attempts;	/* before this one */
	char		*url;		/* new */
	char		*body;		/* new: the signed payload */
	char		*headers[6];	/* new each, NULL-ended */
};

/*
 * Reads delivery id and fills *d (delivery_free it) and *req (pointing
 * into *d; tag, refuse left to the caller). INV_NOTFOUND when there is
 * nothing to send: the row is gone, finished, or its subscription is
 * paused.
 */
enum inv_err delivery_prepare(struct db *, const struct config *,
    int64_t id, struct delivery *d, struct httpc_request *req);

void delivery_free(struct delivery *);

/*
 * The headers of a signed POST of body (borrowed), webhook deliveries'
 * and fulfilment's alike, into headers[0..5) (new each; headers[5] set
 * to NULL): Content-Type: application/json, X-Inventory-Event: type,
 * X-Inventory-Delivery: id, X-Inventory-Timestamp: now (Unix seconds)
 * and X-Inventory-Signature: auth_webhook_signature keyed with secret.
 */
void delivery_sign(char *headers[6], const char *secret, const char *type,
    const char *id, const char *body);

/* What went wrong with an answer that was not a 2xx, as last_error says
 * it (new): the transport's error, or the status and the start of the
 * body in printable ASCII, never the whole body. */
char *delivery_answer_text(const struct httpc_response *);

/*
 * Records the attempt res (borrowed) of d: delivered on a 2xx, else
 * failed at webhook_max_attempts attempts, else pending again after the
 * backoff. Counts it in the metrics; *outcome (may be NULL) says which
 * (enum metrics_delivery).
 */
enum inv_err delivery_record(struct db *, const struct config *,
    const struct delivery *d, const struct httpc_response *res,
    int *outcome);

#endif
