/*
 * metrics.h: request, latency, cache and database counters, shared by the
 * FastCGI processes of one installation through a memory-mapped file
 * (metrics_file in the config), so /metrics shows their sum whichever
 * process answers the scrape. The workers count their jobs and the last
 * time they were at work there too, and inventoryctl audit its result (process_* gauges are per process, with a
 * pid label, and inventory_build_info names the version). Each process
 * owns one slot of the file and writes only there; a scrape adds the
 * slots up. Without metrics_file the counters are the answering
 * process's own.
 */
#ifndef INV_METRICS_H
#define INV_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct buf;
struct config;

/* Counters a process reports about itself besides requests. */
struct metrics_gauges {
	uint64_t	cache_hits;
	uint64_t	cache_misses;
	uint64_t	cache_errors;
	uint64_t	db_reconnects;
	uint64_t	db_tx_retries;
};

/* What a process that counts into the file is. */
enum metrics_kind {
	METRICS_FCGI = 0,	/* inventory.fcgi: counted by inventory_processes */
	METRICS_WORKER,		/* inventory-worker */
};

/* How a worker settled a job. */
enum metrics_job {
	METRICS_JOB_DONE = 0,	/* acknowledged */
	METRICS_JOB_FAILED,	/* handed back for a retry or dead-lettered */
	METRICS_JOB__MAX
};

/* How a webhook delivery's attempt ended. */
enum metrics_delivery {
	METRICS_DELIVERY_DELIVERED = 0,	/* a 2xx */
	METRICS_DELIVERY_RETRY,		/* another attempt scheduled */
	METRICS_DELIVERY_FAILED,	/* the last attempt failed */
	METRICS_DELIVERY__MAX
};

/*
 * Maps the shared file (created when missing; a file of another version
 * is replaced) and claims a slot: a free one, or one whose process is
 * gone (its totals are kept, so counters never go backwards). Falls back
 * to private counters, with a warning, when the file cannot be used. Call
 * one of them once per process: metrics_init for inventory.fcgi.
 */
void metrics_init(const struct config *);
void metrics_init_kind(const struct config *, enum metrics_kind);

/* Worker: counts one settled job. */
void metrics_job(enum metrics_job);

/* Worker: counts one delivery attempt that took usec. */
void metrics_delivery(enum metrics_delivery, uint64_t usec);

/* Worker: the creation times (seconds since the epoch, 0: none) of the
 * oldest event not dispatched yet and of the oldest event with a
 * delivery still pending; /metrics shows their ages. */
void metrics_event_backlog(int64_t undispatched, int64_t undelivered);

/* Worker: records now as the time a worker was last at work. */
void metrics_worker_seen(void);

/*
 * Stores the result of an audit (its violations, and now as its time)
 * in the metrics file, which must exist already (the services make it);
 * false when there is none to write to.
 */
bool metrics_audit_store(const struct config *, int64_t violations);

/* Counts one request: route is its index in routes[] or -1 when none
 * matched. */
void metrics_request(int route, int status, uint64_t usec);

/* Counts one run of statement st (an enum stmt) that took usec. */
void metrics_statement(int st, uint64_t usec);

/* Records this process's cache and database counters (its totals since
 * it started; added to what its slot's previous owner had counted). */
void metrics_set_gauges(const struct metrics_gauges *);

/* Appends the Prometheus text exposition of every slot's sum to b. */
void metrics_render(struct buf *b);

#endif
