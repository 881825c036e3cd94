/*
 * caller.h: the caller's current row against its access token, for the
 * dispatcher (admin routes and writes, router.c) and for the handlers
 * that decide themselves when to read it (orders.c). One primary-key
 * read (active, admin, token version); the replies to a refused caller
 * are the same wherever it is checked.
 */
#ifndef INV_CALLER_H
#define INV_CALLER_H

#include <stdbool.h>

#include "http.h"

struct app;

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

/*
 * The caller's current row against its token (who, borrowed): no such
 * user 401, inactive 400, not an admin where need_admin 403 (the
 * original service's order), then a token issued before the user's last
 * change of role or status 401. Returns false having replied (a
 * database error too); else *is_admin is the row's role.
 */
bool principal_check(struct app *, const struct principal *who,
    bool need_admin, bool *is_admin, struct http_resp *);

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

#endif
