/*
 * worker.h: what inventory-worker does with the order queue, apart from
 * its options: claims jobs in batches, keeps their payments in flight at
 * once (payment.h), settles the paid ones in one transaction per batch
 * (order_flow_process_batch) and acknowledges them in one round trip.
 */
#ifndef INV_WORKER_H
#define INV_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct cache;
struct config;
struct db;
struct queue;

/* What one run did, for the summary line. */
struct worker_tally {
	uint64_t	processed;	/* order jobs acknowledged: done, or
					   nothing to do */
	uint64_t	cancelled;	/* of those, refused by the payment */
	uint64_t	failed;		/* handed to queue_fail */
	uint64_t	retried;	/* of those, scheduled again */
	uint64_t	dead;		/* of those, dead letters */
	uint64_t	recovered;	/* jobs of dead workers put back */
	uint64_t	swept;		/* orders enqueued by the sweep */
	/* Webhooks (not in the counts above, which are the orders'). */
	uint64_t	events;		/* outbox events dispatched */
	uint64_t	deliveries;	/* delivery attempts recorded */
	/* Fulfilment (not in the orders' counts either). */
	uint64_t	fulfilled;	/* fulfil_order jobs done: shipped,
					   declined, or nothing to send */
};

/* A run's connections and settings, all borrowed. */
struct worker {
	const struct config		*cfg;
	struct db			*db;
	struct cache			*cache;
	struct queue			*queue;	/* its worker id set */
	bool				 follow;	/* else --drain */
	const volatile sig_atomic_t	*stop;	/* set: claim no more */
	struct worker_tally		 t;
};

/*
 * The run. --drain ends when the queues are empty or after max_usec;
 * --follow waits on the queue until *stop (or max_usec, unless 0).
 * Either ends, once *stop is set or the time is up, after settling the
 * jobs whose payments are in flight. Returns the
 * exit status, 0 or 1: a failure of MariaDB or Redis ends a --drain run
 * (cron tries again in a minute) and makes a --follow run pause and go
 * on; either way the jobs in hand go back to their queue.
 */
int worker_run(struct worker *, uint64_t max_usec);

#endif
