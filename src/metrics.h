/*
 * metrics.h: request, latency, cache and database counters, shared by the
 * FastCGI processes of one installation through a memory-mapped file
 * (metrics_file in the config), so /metrics shows their sum whichever
 * process answers the scrape (process_* gauges are per process, with a
 * pid label, and inventory_build_info names the version). Each process
 * owns one slot of the file and writes only there; a scrape adds the
 * slots up. Without metrics_file the counters are the answering
 * process's own.
 */
#ifndef INV_METRICS_H
#define INV_METRICS_H

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

/*
 * Maps the shared file (created when missing) and claims a slot: a free
 * one, or one whose process is gone (its totals are kept, so counters
 * never go backwards). Falls back to private counters, with a warning,
 * when the file cannot be used. Call once per process.
 */
void metrics_init(const struct config *);

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
