/*
 * delivery.c: the worker's side of webhooks (delivery.h; doc/design.md,
 * "Events").
 *
 * A delivery's row is its truth: status, attempts, next_attempt_at. A
 * dispatch job leases the due rows (next_attempt_at moved past the time
 * their jobs need) before it enqueues them, so the next dispatch does not
 * enqueue them again; a job lost with Redis comes back when its lease
 * runs out. A job run twice (a worker killed mid-send, its job taken
 * back) sends twice: receivers drop duplicates by the event's id.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "delivery.h"
#include "httpc.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"

#define DISPATCH_BATCH	500	/* events per transaction */
#define DISPATCH_ROUNDS	20	/* batches per job; the next job does more */
#define LEASE_MIN_S	300	/* a leased delivery's job must start by then */
#define PURGE_BATCH	1000	/* rows per DELETE */
#define EXCERPT_MAX	200	/* bytes of an answer kept in last_error */
#define LAST_ERROR_MAX	500	/* webhook_deliveries.last_error */

/*
 * Runs st, a locking SELECT of up to DISPATCH_BATCH ids: *n of them, in
 * *ids (new, NULL when none) and as the JSON array the next statement's
 * JSON_TABLE reads in b (initialised here; buf_free it).
 */
static enum inv_err
lock_batch(struct db *db, enum stmt st, struct buf *b, int64_t **ids,
    size_t *n)
{
	struct db_val p = DB_INT(DISPATCH_BATCH);
	struct db_res *res = NULL;
	enum inv_err rc;
	size_t i;

	buf_init(b);
	*ids = NULL;
	*n = 0;
	if ((rc = db_exec(db, st, &p, 1, &res, NULL, NULL)) != INV_OK)
		return rc;
	if ((*n = db_res_rows(res)) > 0) {
		*ids = xcalloc(*n, sizeof(**ids));
		for (i = 0; i < *n; i++)
			(*ids)[i] = db_res_int(res, i, 0);
		buf_put_ids(b, *ids, *n);
	}
	db_res_free(res);
	return INV_OK;
}

/* One dispatch transaction: *n events. */
struct dispatch_tx {
	size_t	n;
};

static enum inv_err
dispatch_tx(struct db *db, void *arg)
{
	struct dispatch_tx *t = arg;
	struct db_val p;
	struct buf ids;
	int64_t *list;
	enum inv_err rc;

	rc = lock_batch(db, STMT_OUTBOX_PENDING_LOCK, &ids, &list, &t->n);
	if (rc == INV_OK && t->n > 0) {
		p = DB_STR(ids.data);
		if ((rc = db_exec(db, STMT_OUTBOX_DISPATCH, &p, 1, NULL, NULL,
		    NULL)) == INV_OK)
			rc = db_exec(db, STMT_OUTBOX_MARK_DISPATCHED, &p, 1,
			    NULL, NULL, NULL);
	}
	free(list);
	buf_free(&ids);
	return rc;
}

/* One lease transaction: the due ids in *ids (new), *n of them. */
struct lease_tx {
	int64_t	 seconds;
	int64_t	*ids;
	size_t	 n;
};

static enum inv_err
lease_tx(struct db *db, void *arg)
{
	struct lease_tx *t = arg;
	struct db_val p[2];
	struct buf ids;
	enum inv_err rc;

	free(t->ids);
	rc = lock_batch(db, STMT_DELIVERY_DUE_LOCK, &ids, &t->ids, &t->n);
	if (rc == INV_OK && t->n > 0) {
		p[0] = DB_STR(ids.data);
		p[1] = DB_INT(t->seconds);
		rc = db_exec(db, STMT_DELIVERY_LEASE, p, 2, NULL, NULL, NULL);
	}
	buf_free(&ids);
	return rc;
}

enum inv_err
delivery_dispatch(struct db *db, struct queue *q, const struct config *cfg,
    size_t *events, size_t *queued)
{
	struct dispatch_tx d;
	struct lease_tx l = { 0 };
	enum inv_err rc = INV_OK;
	int round;

	*events = *queued = 0;
	for (round = 0; round < DISPATCH_ROUNDS; round++) {
		if ((rc = db_transaction(db, dispatch_tx, &d)) != INV_OK)
			return rc;
		*events += d.n;
		if (d.n < DISPATCH_BATCH)
			break;
	}
	/* Time for the job to wait its turn and for every try of its
	 * POST; a worker's own failures retry the job sooner. */
	l.seconds = cfg->webhook_timeout_ms * 3 / 1000;
	if (l.seconds < LEASE_MIN_S)
		l.seconds = LEASE_MIN_S;
	for (round = 0; round < DISPATCH_ROUNDS; round++) {
		if ((rc = db_transaction(db, lease_tx, &l)) != INV_OK)
			break;
		/* Lost with Redis: due again when the lease runs out. */
		if ((rc = queue_enqueue_deliveries(q, l.ids, l.n)) != INV_OK)
			break;
		*queued += l.n;
		if (l.n < DISPATCH_BATCH)
			break;
	}
	free(l.ids);
	return rc;
}

enum inv_err
delivery_backlog(struct db *db, bool *work)
{
	struct db_res *res = NULL;
	enum inv_err rc;

	*work = false;
	if ((rc = db_exec(db, STMT_EVENT_BACKLOG, NULL, 0, &res, NULL,
	    NULL)) != INV_OK)
		return rc;
	metrics_event_backlog(db_res_int(res, 0, 0), db_res_int(res, 0, 1));
	*work = !db_res_isnull(res, 0, 0) || db_res_bool(res, 0, 2);
	db_res_free(res);
	return INV_OK;
}

/* Runs DELETE st (days, limit) until it deletes less than a batch. */
static enum inv_err
purge(struct db *db, enum stmt st, int64_t days, size_t *n)
{
	struct db_val p[2] = { DB_INT(days), DB_INT(PURGE_BATCH) };
	uint64_t affected;
	enum inv_err rc;

	do {
		if ((rc = db_exec(db, st, p, 2, NULL, &affected, NULL)) !=
		    INV_OK)
			return rc;
		*n += (size_t)affected;
	} while (affected == PURGE_BATCH);
	return INV_OK;
}

enum inv_err
delivery_purge(struct db *db, const struct config *cfg, size_t *n)
{
	enum inv_err rc;

	*n = 0;
	if ((rc = purge(db, STMT_DELIVERY_PURGE, cfg->webhook_retention_days,
	    n)) != INV_OK)
		return rc;
	return purge(db, STMT_OUTBOX_PURGE, cfg->webhook_retention_days, n);
}

void
delivery_free(struct delivery *d)
{
	size_t i;

	free(d->url);
	free(d->body);
	for (i = 0; d->headers[i] != NULL; i++)
		free(d->headers[i]);
	memset(d, 0, sizeof(*d));
}

/* The payload (new): {id, type, created_at, data}; the event's id is
 * the receiver's key for dropping a duplicate. NULL when data is not
 * JSON (the table's CHECK says it always is). */
static char *
payload(const struct db_res *res)
{
	const char *data = db_res_str(res, 0, SEND_COL_DATA), *why;
	struct json_object *o, *d = NULL;
	char *text;

	if (data == NULL || !json_parse_strict(data, strlen(data), &d, &why))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(db_res_int(res,
	    0, SEND_COL_EVENT_ID)));
	json_object_object_add(o, "type", json_object_new_string(
	    db_res_str(res, 0, SEND_COL_TYPE)));
	json_object_object_add(o, "created_at", json_object_new_string(
	    db_res_str(res, 0, SEND_COL_CREATED_AT)));
	json_object_object_add(o, "data", d);
	text = xstrdup(json_to_plain(o, NULL));
	json_object_put(o);
	return text;
}

void
delivery_sign(char *headers[6], const char *secret, const char *type,
    const char *id, const char *body)
{
	char ts[24], sig[AUTH_SIGNATURE_LEN];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	auth_webhook_signature(secret, ts, body, strlen(body), sig);
	headers[0] = xstrdup("Content-Type: application/json");
	headers[1] = xasprintf("X-Inventory-Event: %s", type);
	headers[2] = xasprintf("X-Inventory-Delivery: %s", id);
	headers[3] = xasprintf("X-Inventory-Timestamp: %s", ts);
	headers[4] = xasprintf("X-Inventory-Signature: %s", sig);
	headers[5] = NULL;
}

enum inv_err
delivery_prepare(struct db *db, const struct config *cfg, int64_t id,
    struct delivery *d, struct httpc_request *req)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	char sid[24];
	enum inv_err rc;

	memset(d, 0, sizeof(*d));
	memset(req, 0, sizeof(*req));
	if ((rc = db_exec(db, STMT_DELIVERY_SEND_INFO, &p, 1, &res, NULL,
	    NULL)) != INV_OK)
		return rc;
	rc = INV_NOTFOUND;
	if (db_res_rows(res) == 0 || !db_res_bool(res, 0, SEND_COL_ACTIVE) ||
	    strcmp(db_res_str(res, 0, SEND_COL_STATUS), "pending") != 0)
		goto out;
	d->id = id;
	d->attempts = db_res_int(res, 0, SEND_COL_ATTEMPTS);
	if ((d->body = payload(res)) == NULL) {
		log_error("delivery %" PRId64 ": its event's data is not JSON",
		    id);
		rc = INV_DB;
		goto out;
	}
	d->url = xstrdup(db_res_str(res, 0, SEND_COL_URL));
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	delivery_sign(d->headers, db_res_str(res, 0, SEND_COL_SECRET),
	    db_res_str(res, 0, SEND_COL_TYPE), sid, d->body);
	req->url = d->url;
	req->body = d->body;
	req->headers = (const char *const *)d->headers;
	req->timeout_ms = cfg->webhook_timeout_ms;
	rc = INV_OK;
out:
	db_res_free(res);
	if (rc != INV_OK)
		delivery_free(d);
	return rc;
}

/* last_error of an answer that was not a 2xx (new): the status and the
 * start of the body, printable ASCII only; never the whole body. */
static char *
answer_error(const struct httpc_response *res)
{
	char excerpt[EXCERPT_MAX + 1];
	size_t i, n = res->body_len < EXCERPT_MAX ? res->body_len :
	    EXCERPT_MAX;

	for (i = 0; i < n; i++)
		excerpt[i] = res->body[i] >= 0x20 && res->body[i] < 0x7f ?
		    res->body[i] : ' ';
	excerpt[n] = '\0';
	return xasprintf("HTTP %ld%s%s%s", res->status, n > 0 ? ": " : "",
	    excerpt, n < res->body_len ? "..." : "");
}

char *
delivery_answer_text(const struct httpc_response *res)
{
	return res->status == 0 ? xstrdup(res->error != NULL ? res->error :
	    "no answer") : answer_error(res);
}

enum inv_err
delivery_record(struct db *db, const struct config *cfg,
    const struct delivery *d, const struct httpc_response *res,
    int *outcome)
{
	bool ok = res->status >= 200 && res->status < 300;
	bool last = !ok && d->attempts + 1 >= cfg->webhook_max_attempts;
	enum metrics_delivery m = ok ? METRICS_DELIVERY_DELIVERED : last ?
	    METRICS_DELIVERY_FAILED : METRICS_DELIVERY_RETRY;
	int64_t delay = ok || last ? 0 :
	    queue_retry_delay(cfg->webhook_backoff_ms, d->attempts + 1);
	char *why = ok ? NULL : delivery_answer_text(res);
	struct db_val p[6];
	char code[32];
	enum inv_err rc;

	snprintf(code, sizeof(code), "HTTP %ld", res->status);
	if (why != NULL && strlen(why) > LAST_ERROR_MAX)
		why[LAST_ERROR_MAX] = '\0';
	p[0] = DB_STR(ok ? "delivered" : last ? "failed" : "pending");
	p[1] = res->status != 0 ? DB_INT(res->status) : DB_NULL;
	p[2] = DB_INT(res->duration_ms);
	p[3] = DB_STR_OR_NULL(why);
	p[4] = DB_INT(delay);
	p[5] = DB_INT(d->id);
	rc = db_exec(db, STMT_DELIVERY_RECORD, p, 6, NULL, NULL, NULL);
	metrics_delivery(m, (uint64_t)res->duration_ms * 1000u);
	if (ok)
		log_info("delivery %" PRId64 " attempt %" PRId64 ": HTTP %ld "
		    "(%" PRId64 " ms)", d->id, d->attempts + 1, res->status,
		    res->duration_ms);
	else
		log_warn("delivery %" PRId64 " attempt %" PRId64 ": %s; %s "
		    "(%" PRId64 " ms)", d->id, d->attempts + 1,
		    res->status != 0 ? code : why, last ?
		    "failed, no attempt left" : "retry scheduled",
		    res->duration_ms);
	free(why);
	if (outcome != NULL)
		*outcome = (int)m;
	return rc;
}
