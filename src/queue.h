/*
 * queue.h: the Redis reliable queue of order jobs (ARCHITECTURE.md, "Queue
 * protocol"). hiredis stays behind this door (and cache.c's).
 *
 * The producer side (the API) needs only queue_open/queue_close and
 * queue_enqueue_order; the worker side is declared below them.
 *
 * Every function returns INV_UNAVAILABLE for any Redis failure (down,
 * timed out, an error reply), never aborts for it, and the next call
 * reconnects.
 */
#ifndef INV_QUEUE_H
#define INV_QUEUE_H

#include <stdint.h>

#include "util.h"

struct config;
struct queue;

enum queue_prio {
	QUEUE_HIGH = 0,
	QUEUE_DEFAULT,
	QUEUE_LOW,
	QUEUE__MAX
};

/* A job's id: random hex digits. */
#define QUEUE_JOB_ID_LEN	16

/* "high", "default", "low". */
const char *queue_prio_name(enum queue_prio);

/* Makes the handle (queue_redis_* settings); never fails for Redis being
 * down: enqueueing then fails and the worker's database sweep finds the
 * order. cfg is borrowed and must outlive the handle. */
enum inv_err queue_open(struct queue **out, const struct config *cfg);
void queue_close(struct queue *);

/* Pushes a process_order job for order_id; INV_UNAVAILABLE when Redis is
 * unreachable. */
enum inv_err queue_enqueue_order(struct queue *, enum queue_prio,
    int64_t order_id);

/* worker side */

#endif
