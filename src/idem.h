/*
 * idem.h: the Idempotency-Key protocol of POST /api/v1/orders
 * (doc/design.md, "Orders"): validating the header, claiming the key,
 * replaying a stored answer, and storing or dropping the answer of the
 * request that holds the claim. The rules of the protocol are in idem.c.
 */
#ifndef INV_IDEM_H
#define INV_IDEM_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct app;
struct db;
struct http_req;
struct http_resp;
struct order_new;

/* Whether the request's Idempotency-Key, when it has one, is well made.
 * False having replied 422. */
bool idem_key_or_422(const struct http_req *, struct http_resp *);

/* The text a replay under the same key must match (new): the order's
 * meaning as validated, whatever the body's layout. */
char *idem_order_canonical(const struct order_new *);

/*
 * Claims the request's key for the request whose canonical text is
 * request (borrowed): true with *id, the key's row, when the work is to
 * be done. False having replied: the stored answer (a replay), 409 while
 * the first request runs, 422 for the key reused with another request,
 * or a database error.
 */
bool idem_claim_or_reply(struct app *, const struct http_req *,
    struct http_resp *, const char *request, int64_t *id);

/* Inside the caller's transaction, locks the key's row id: INV_OK when it
 * is still an unfinished claim, INV_CONFLICT when it is not (finished by
 * another request, or expired and gone), else a database error. */
enum inv_err idem_lock(struct db *, int64_t id);

/* Stores status and body (borrowed) as the answer of key id. */
enum inv_err idem_store(struct db *, int64_t id, int status,
    const char *body);

/* Stores the reply in resp as the answer of key id, best effort (a key
 * left unfinished is taken over later). */
void idem_finish(struct db *, int64_t id, const struct http_resp *);

/* Drops the unfinished claim id, so that a retry runs afresh. */
void idem_abandon(struct db *, int64_t id);

/* Deletes every expired key, in batches (short locks); *n (may be NULL)
 * counts them. The worker runs it with its housekeeping. */
enum inv_err idem_purge_expired(struct db *, size_t *n);

/* Replies 409: a request with this key is in progress. */
void idem_reply_busy(struct http_resp *);

#endif
