/*
 * router.h: the one static route table and its dispatcher.
 *
 * Dispatch order (doc/design.md, "Handling a request"): no path match ->
 * 404; path matched but not the method -> 405 with Allow (HEAD is served
 * by each GET route); then authentication (401) and role (403), so nobody
 * learns anything from a route they may not use; then the query string
 * (422: undecodable or repeated parameters, then the route's query spec);
 * then Content-Type (415) and body against its spec (422); then, on admin
 * routes and writes, the caller's current row (400 inactive, 403 no
 * longer an admin, 401 token older than the user's last change of role
 * or status); then the elements of the body's arrays (422, after the
 * caller's row in any case); then the handler, which reads the typed
 * values (req->query_vals, req->body_vals) at the indices of its spec's
 * rows.
 */
#ifndef INV_ROUTER_H
#define INV_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "validate.h"
#include "util.h"

struct app;

enum role {
	ROLE_NONE = 0,	/* no token needed */
	ROLE_USER,	/* any valid access token */
	ROLE_ADMIN,	/* access token of an admin */
	ROLE__MAX
};

enum body_kind {
	BODY_NONE = 0,	/* any body is ignored */
	BODY_JSON,	/* JSON object, validated against the spec */
	BODY_FORM_OR_JSON, /* form-urlencoded (turned into strings) or JSON */
	BODY__MAX
};

typedef void (*route_handler)(struct app *, struct http_req *,
    struct http_resp *);

/* A route's rules beyond its role and body, or'ed together. */
enum route_flag {
	/* The handler checks the caller's current row itself, inside its
	 * own round trip to MariaDB (POST /orders: order_create in
	 * schema/), so the dispatcher does not (route_reads_user). */
	RF_CALLER_SELF = 1 << 0
};

struct route {
	enum http_method	 method;
	const char		*pattern;	/* "/api/v1/users/{id}" */
	route_handler		 handler;
	enum role		 role;
	enum body_kind		 body;
	const struct body_spec	*spec;		/* NULL: no field checks */
	const struct body_spec	*query;		/* NULL: reads no parameter */
	unsigned		 flags;		/* enum route_flag; rows with none
						   leave it out */
};

/* The most fields a body or query spec has: the dispatcher keeps their
 * values on its stack (t/check_validate checks every route's). */
#define ROUTE_MAX_FIELDS	16

/* The table itself, for tests and the OpenAPI cross-check. */
extern const struct route routes[];
extern const size_t nroutes;

/*
 * Matches path against pattern; {id} segments must be decimal integers in
 * 1..2^63-1 and are stored in ids. Returns true on a match.
 */
bool router_match(const char *pattern, const char *path, int64_t *ids,
    size_t *nids);

/*
 * Whether the dispatcher checks the caller's current row (one primary-key
 * read: active, admin, token version; caller.h) for route r requested
 * with method m: every admin route and every authenticated POST, PUT,
 * PATCH and DELETE, but the routes flagged RF_CALLER_SELF, whose handler
 * reads it itself.
 */
bool route_reads_user(const struct route *r, enum http_method m);

/* Runs the whole dispatch for req, leaving the reply in resp. */
void router_dispatch(struct app *, struct http_req *, struct http_resp *);

#endif
