/*
 * queue.h: the Redis reliable queue of order jobs (doc/design.md, "Queue
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

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct queue;
struct redis_settings;

enum queue_prio {
	QUEUE_HIGH = 0,
	QUEUE_DEFAULT,
	QUEUE_LOW,
	QUEUE__MAX
};

/* The job types besides process_order: the outbox's dispatch (low) and
 * one webhook delivery (default). */
#define QUEUE_JOB_DISPATCH	"dispatch_events"
#define QUEUE_JOB_DELIVER	"deliver_webhook"
/* An order's POST to fulfilment_url (default), with "order_id". */
#define QUEUE_JOB_FULFIL	"fulfil_order"

/* A job's id: random hex digits. */
#define QUEUE_JOB_ID_LEN	16

/* "high", "default", "low". */
const char *queue_prio_name(enum queue_prio);

/* Makes the handle (queue_redis_* settings); never fails for Redis being
 * down: enqueueing then fails and the worker's database sweep finds the
 * order. cfg is borrowed and must outlive the handle. */
enum inv_err queue_open(struct queue **out, const struct config *cfg);
void queue_close(struct queue *);

/*
 * For a producer that can push the job in a round trip it makes anyway
 * (cache_invalidate_order_push): the process_order job of order_id (new
 * text), its list in *list (borrowed) and the database in *db, when the
 * queue's Redis is the server of other (the same socket or address, no
 * Sentinel on either); else NULL, and queue_enqueue_order it is.
 */
char *queue_job_on(const struct queue *, const struct redis_settings *other,
    enum queue_prio, int64_t order_id, const char **list, int64_t *db);

/* The same for the fulfil_order job of order_id (on the default
 * queue). */
char *queue_fulfil_on(const struct queue *, const struct redis_settings *other,
    int64_t order_id, const char **list, int64_t *db);

/* Pushes a process_order job for order_id; INV_UNAVAILABLE when Redis is
 * unreachable. */
enum inv_err queue_enqueue_order(struct queue *, enum queue_prio,
    int64_t order_id);

/* Pushes one job of type QUEUE_JOB_DISPATCH (it names no row) on prio. */
enum inv_err queue_enqueue_dispatch(struct queue *, enum queue_prio);

/* Pushes a QUEUE_JOB_DELIVER job on the default queue for each of the n
 * delivery ids (borrowed), in one round trip. */
enum inv_err queue_enqueue_deliveries(struct queue *, const int64_t *ids,
    size_t n);

/* Pushes a QUEUE_JOB_FULFIL job on the default queue for each of the n
 * order ids (borrowed), in one round trip. */
enum inv_err queue_enqueue_fulfil(struct queue *, const int64_t *order_ids,
    size_t n);

/* worker side */

/*
 * A job as read from Redis. raw is the exact text stored there: an
 * acknowledgement removes that text from the in-flight list. Strings are
 * owned by the job (queue_job_free).
 */
struct queue_job {
	char		*raw;
	char		 id[QUEUE_JOB_ID_LEN + 1];
	char		*type;		/* "process_order", QUEUE_JOB_* */
	int64_t		 order_id;	/* process_order; else 0 */
	int64_t		 delivery_id;	/* QUEUE_JOB_DELIVER; else 0 */
	int64_t		 attempt;	/* 1 on the first try */
	enum queue_prio	 prio;		/* the queue it belongs to */
	char		*last_error;	/* NULL before any failure */
	char		*failed_at;	/* dead letters: "2026-...Z", else NULL */
};

void queue_job_free(struct queue_job *);
void queue_jobs_free(struct queue_job *, size_t n);

/* Wall clock in milliseconds since the epoch: the unit of retry times. */
int64_t queue_now_ms(void);

/*
 * Gives this handle a worker identity (copied): its in-flight list
 * inventory:queue:inflight:ID and heartbeat key inventory:queue:worker:ID.
 * Needed before claim, ack, fail and heartbeat.
 */
void queue_set_worker(struct queue *, const char *worker_id);

/*
 * Takes the next job, high before default before low, into this worker's
 * in-flight list, and refreshes the heartbeat (which registers the
 * worker). With wait_ms > 0 and every queue empty, waits up to about
 * wait_ms for a job on the high queue (clamped below the command timeout,
 * doc/design.md, "Library facts", hiredis). INV_OK with *job filled
 * (queue_job_free it); INV_NOTFOUND when there is none. A job that
 * cannot be parsed goes straight to the dead letters and the next one is
 * taken.
 */
enum inv_err queue_claim(struct queue *, int64_t wait_ms,
    struct queue_job *job);

/*
 * The same for up to most jobs at once (one round trip when the queues
 * hold them): INV_OK with *n >= 1 of jobs[0..most) filled (queue_job_free
 * each); INV_NOTFOUND (*n = 0) when there is none. With wait_ms > 0 and
 * every queue empty, the one job the wait brings is returned alone.
 */
enum inv_err queue_claim_batch(struct queue *, size_t most, int64_t wait_ms,
    struct queue_job *jobs, size_t *n);

/* Sets the heartbeat again (TTL worker_heartbeat_ttl), when a third of
 * the TTL has passed since the last time: cheap to call often. */
enum inv_err queue_heartbeat(struct queue *);

/* Success: removes the job from the in-flight list. INV_OK also when it
 * was no longer there (another worker took it back after this worker's
 * heartbeat lapsed; running it twice is harmless). */
enum inv_err queue_ack(struct queue *, const struct queue_job *);

/* queue_ack of n jobs (borrowed) in one round trip. */
enum inv_err queue_ack_batch(struct queue *,
    const struct queue_job *const *jobs, size_t n);

/* The same, and in the same script a QUEUE_JOB_FULFIL job pushed on the
 * default queue for each of the nfulfil order ids (borrowed): the orders
 * the acknowledged jobs made processing. Both happen or neither. */
enum inv_err queue_ack_fulfil(struct queue *,
    const struct queue_job *const *jobs, size_t n, const int64_t *order_ids,
    size_t nfulfil);

/* What queue_fail did with the job. */
enum queue_fate {
	QUEUE_FATE_RETRY = 0,	/* scheduled for another attempt */
	QUEUE_FATE_DEAD,	/* attempts exhausted: in the dead letters */
	QUEUE_FATE_GONE,	/* no longer in flight here: left alone */
	QUEUE_FATE__MAX
};

/*
 * Milliseconds before retry number attempt + 1 of something that failed
 * attempt: base * 2^(attempt-1), capped at a day, plus up to 25% jitter
 * so what failed together does not come back together (jobs here, and
 * webhook deliveries).
 */
int64_t queue_retry_delay(int64_t base, int64_t attempt);

/*
 * Failure: takes the job out of the in-flight list and, with attempt + 1
 * and why (borrowed) as last_error, either schedules it at now_ms +
 * queue_backoff_ms * 2^(attempt-1) plus up to 25% jitter (*due_ms, may
 * be NULL), or after queue_max_attempts attempts puts it in the dead
 * letters. Atomic: the job is in exactly one place afterwards.
 */
enum inv_err queue_fail(struct queue *, const struct queue_job *,
    const char *why, int64_t now_ms, enum queue_fate *fate, int64_t *due_ms);

/*
 * For every known worker whose heartbeat key is gone, moves its in-flight
 * jobs back to the front of their queues and forgets the worker (one
 * script per worker: atomic). *jobs and *workers count what was moved
 * (either may be NULL).
 */
enum inv_err queue_recover(struct queue *, size_t *jobs, size_t *workers);

/* Moves the scheduled retries due at now_ms back to their queues;
 * *moved (may be NULL) counts them. */
enum inv_err queue_promote(struct queue *, int64_t now_ms, size_t *moved);

/*
 * Clean end of a worker: deletes its heartbeat, hands back anything still
 * in its in-flight list and forgets it.
 */
enum inv_err queue_worker_stop(struct queue *);

struct queue_stats {
	int64_t		depth[QUEUE__MAX];	/* waiting jobs per queue */
	int64_t		inflight;	/* in every worker's in-flight list */
	int64_t		scheduled;	/* retries waiting for their time */
	int64_t		dead;		/* dead letters */
	int64_t		workers;	/* known workers (alive or not yet
					   recovered) */
	int64_t		workers_alive;	/* of those, with a heartbeat */
	int64_t		oldest;		/* enqueued_at of the oldest waiting
					   job, seconds since the epoch; 0
					   when none waits */
};

/* One round trip. */
enum inv_err queue_get_stats(struct queue *, struct queue_stats *);

/* Dead letters, newest first: *jobs new (queue_jobs_free), *n of them. A
 * dead letter that does not parse is listed with id "" and raw set. */
enum inv_err queue_dead_list(struct queue *, struct queue_job **jobs,
    size_t *n);

/* Re-queues dead letter id on its queue with attempt 1: INV_NOTFOUND when
 * there is no such dead letter. */
enum inv_err queue_dead_retry(struct queue *, const char *id);

/* Re-queues every dead letter; *n counts them. */
enum inv_err queue_dead_retry_all(struct queue *, size_t *n);

/* Deletes every dead letter; *n counts them. */
enum inv_err queue_dead_purge(struct queue *, size_t *n);

#endif
