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
#include "json.h"
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

struct route {
	enum http_method	 method;
	const char		*pattern;	/* "/api/v1/users/{id}" */
	route_handler		 handler;
	enum role		 role;
	enum body_kind		 body;
	const struct body_spec	*spec;		/* NULL: no field checks */
	const struct body_spec	*query;		/* NULL: reads no parameter */
};

/* The most fields a body or query spec has: the dispatcher keeps their
 * values on its stack (t/check_validate checks every route's). */
#define ROUTE_MAX_FIELDS	16

/*
 * skip (default 0, >= 0), limit (default 100, 1..1000) and after (a
 * cursor, read by paging_or_422), as every list takes them: the first
 * rows of each list's query spec, at PAGE_SKIP, PAGE_LIMIT and
 * PAGE_AFTER; a list's own parameters follow from PAGE__N.
 */
enum { PAGE_SKIP = 0, PAGE_LIMIT, PAGE_AFTER, PAGE__N };
#define PAGING_FIELDS \
	{ "skip", FT_INT, 0, 0, INT64_MAX, FX_NONE }, \
	{ "limit", FT_INT, 0, 1, 1000, .def = 100 }, \
	{ "after", FT_STRING, 0, 0, 0, FX_NONE }
/* The query spec of a list with no other parameter. */
extern const struct body_spec spec_paging;

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
 * read: active, admin, token version) for route r requested with method
 * m: every admin route and every authenticated POST, PUT, PATCH and
 * DELETE, but POST /orders, whose handler reads it itself (inside the
 * order's own database call).
 */
bool route_reads_user(const struct route *r, enum http_method m);

/*
 * For a handler about to use admin rights where the dispatcher trusted the
 * token alone (a GET of a user route, such as another user's order):
 * checks the caller's current row as an admin route would. True when the
 * caller is an admin now; else false having replied 400, 401 or 403.
 */
bool principal_admin_or_reply(struct app *, const struct http_req *,
    struct http_resp *);

/*
 * For a handler that reads the caller's row itself (route_reads_user
 * false) and answers without that read: checks it as the dispatcher would have
 * (a no-op once checked). True when the caller's token still counts;
 * else false having replied 400, 401 or a database error.
 */
bool principal_current_or_reply(struct app *, struct http_req *,
    struct http_resp *);

/* Why the caller's current row refuses its token. */
enum caller_refusal {
	CALLER_GONE = 0,	/* no such user: 401 */
	CALLER_INACTIVE,	/* 400 "Inactive user" */
	CALLER_NOT_ADMIN,	/* 403 where an admin is needed */
	CALLER_STALE,		/* a token older than the user's last change
				   of role or status: 401 */
	CALLER__MAX
};

/* The reply to each, in the dispatcher's words. */
void caller_reply_refused(struct http_resp *, enum caller_refusal);

/* Runs the whole dispatch for req, leaving the reply in resp. */
void router_dispatch(struct app *, struct http_req *, struct http_resp *);

/*
 * Where a page of a list starts: skip rows, or the rows after a cursor
 * (after), which names the sort key of the last row of the page before.
 * The first page is neither.
 */
#define PAGE_TIME_MAX	19	/* "2026-11-26 06:00:00", a DATETIME */
#define PAGE_CURSOR_MAX	128	/* characters of an after cursor */
struct page {
	int64_t	 skip;
	int64_t	 limit;
	bool	 after;				/* a cursor was given */
	int64_t	 after_id;			/* its row id */
	char	 after_time[PAGE_TIME_MAX + 1];	/* its time; "" for lists
						   sorted by id alone */
};

/*
 * The page of a list from its paging values (PAGING_FIELDS, which the
 * dispatcher checked): the after cursor, made by page_cursor for this
 * path, is read here; a bad one replies 422 and returns false. A cursor
 * with skip > 0 is a 422 too: a page starts at one place.
 */
bool paging_or_422(const struct http_req *, struct http_resp *,
    struct page *);

/*
 * The cursor of the row with key (time, id) of a list at path (both
 * borrowed; time NULL or "" for lists sorted by id) into out. Opaque to
 * clients: hex text with a checksum that binds it to the path, so a
 * cursor changed or taken to another list is refused, not misread. It
 * grants nothing: it only names where a page starts.
 */
void page_cursor(const char *path, const char *time, int64_t id,
    char out[PAGE_CURSOR_MAX + 1]);

#endif
