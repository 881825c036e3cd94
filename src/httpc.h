/*
 * httpc.h: the programs' HTTP client (payments, webhooks, fulfilment),
 * the only door to libcurl. One handle keeps many requests in flight at
 * once in one loop (libcurl's multi interface, connections reused);
 * each request has its own timeout, and its answer comes back through
 * httpc_poll with the status, at most HTTPC_BODY_MAX bytes of the body
 * and how long it took.
 */
#ifndef INV_HTTPC_H
#define INV_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct httpc;
struct sockaddr;

/* The most of a response body kept; the rest is not read. */
#define HTTPC_BODY_MAX	(64 * 1024)

/* true when a connection to addr must not be made. */
typedef bool httpc_refuse_fn(const struct sockaddr *addr);

/* A request to start; every pointer is borrowed for httpc_start only. */
struct httpc_request {
	const char		*url;		/* http:// or https:// */
	const char		*body;		/* POSTed (copied); NULL: GET */
	const char *const	*headers;	/* "Name: value", NULL-ended;
						   may be NULL */
	int64_t			 timeout_ms;	/* the whole exchange */
	httpc_refuse_fn		*refuse;	/* NULL, or checked at each
						   connect */
	void			*tag;		/* given back with the answer */
};

/* How a request ended; every pointer is borrowed for the callback. */
struct httpc_response {
	long		 status;	/* HTTP status; 0: no answer */
	const char	*error;		/* status 0: why; else NULL */
	const char	*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	bool		 truncated;	/* longer than HTTPC_BODY_MAX */
	int64_t		 duration_ms;	/* from httpc_start to the end */
};

/* Called by httpc_poll once per finished request. */
typedef void httpc_done_fn(void *arg, void *tag,
    const struct httpc_response *);

/* A handle with at most max_connections open at once (0: no limit);
 * INV_CONFIG when libcurl cannot be set up. */
enum inv_err httpc_open(struct httpc **out, long max_connections);

/* Abandons whatever is still in flight (no callback for it). */
void httpc_close(struct httpc *);

/* Starts req; the answer comes through httpc_poll. */
void httpc_start(struct httpc *, const struct httpc_request *req);

/* How many have been started and not reported by httpc_poll. */
size_t httpc_in_flight(const struct httpc *);

/*
 * Runs the transfers until at least one has finished or wait_ms have
 * passed (0: only what can be done now), then reports every finished one
 * through done. Returns how many were reported.
 */
size_t httpc_poll(struct httpc *, int64_t wait_ms, httpc_done_fn *done,
    void *arg);

#endif
