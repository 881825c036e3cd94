/*
 * fulfil.c: the worker's side of fulfilment (fulfil.h; doc/design.md,
 * "Fulfilment").
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "delivery.h"
#include "fulfil.h"
#include "httpc.h"
#include "json.h"
#include "order_flow.h"
#include "order_json.h"
#include "queue.h"

#define TRACKING_MAX	100	/* orders.tracking_number */
#define REASON_MAX	500	/* bytes of a decline's reason in notes */

enum inv_err
fulfil_prepare(struct db *db, const struct config *cfg, int64_t order_id,
    const char *job_id, struct fulfil *f, struct httpc_request *req)
{
	struct db_val p = DB_INT(order_id);
	struct db_res *orders = NULL;
	enum inv_err rc;
	size_t len;

	memset(f, 0, sizeof(*f));
	memset(req, 0, sizeof(*req));
	/* Marked first: a job that reached the order, whatever becomes of
	 * it (retries, dead letter), is the sweep's no longer. */
	if ((rc = db_exec(db, STMT_FULFIL_MARK, &p, 1, NULL, NULL, NULL)) !=
	    INV_OK ||
	    (rc = db_exec(db, STMT_ORDER_BY_ID, &p, 1, &orders, NULL, NULL)) !=
	    INV_OK)
		goto out;
	rc = INV_NOTFOUND;
	if (db_res_rows(orders) == 0 || strcmp(db_res_str(orders, 0,
	    ORDER_COL_STATUS), order_status_name(ORDER_PROCESSING)) != 0)
		goto out;
	if ((rc = order_json_of(db, orders, false, &f->body, &len)) != INV_OK)
		goto out;
	f->order_id = order_id;
	delivery_sign(f->headers, cfg->fulfilment_secret, QUEUE_JOB_FULFIL,
	    job_id, f->body);
	req->url = cfg->fulfilment_url;
	req->body = f->body;
	req->headers = (const char *const *)f->headers;
	req->timeout_ms = cfg->fulfilment_timeout_ms;
out:
	db_res_free(orders);
	if (rc != INV_OK)
		fulfil_free(f);
	return rc;
}

void
fulfil_free(struct fulfil *f)
{
	size_t i;

	free(f->body);
	for (i = 0; f->headers[i] != NULL; i++)
		free(f->headers[i]);
	memset(f, 0, sizeof(*f));
}

/* The answer's body as a JSON object (new), or NULL. */
static struct json_object *
answer_object(const struct httpc_response *res)
{
	struct json_object *o = NULL;
	const char *why;

	if (res->truncated || !json_parse_strict(res->body, res->body_len,
	    &o, &why))
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The tracking number of a 2xx answer into out: a string of 1 to
 * TRACKING_MAX bytes without control characters. */
static bool
tracking_of(const struct httpc_response *res, char out[TRACKING_MAX + 1])
{
	struct json_object *o = answer_object(res);
	const char *t = o != NULL ? json_get_str(o, "tracking_number") : NULL;
	size_t i, n = t != NULL ? strlen(t) : 0;
	bool ok = n > 0 && n <= TRACKING_MAX;

	for (i = 0; ok && i < n; i++)
		ok = (unsigned char)t[i] >= 0x20 && t[i] != 0x7f;
	if (ok)
		memcpy(out, t, n + 1);
	json_object_put(o);
	return ok;
}

/*
 * The note of a decline (new): "Fulfilment declined (HTTP n): " and the
 * answer's "reason", "error" or "message" (the first that is a string),
 * else its start in printable ASCII; control characters become spaces
 * and the reason is cut at REASON_MAX bytes on a character's boundary.
 */
static char *
decline_note(const struct httpc_response *res)
{
	static const char *const members[] = { "reason", "error", "message" };
	struct json_object *o = answer_object(res);
	const char *text = NULL;
	char reason[REASON_MAX + 1];
	size_t i, n;

	for (i = 0; o != NULL && text == NULL && i < 3; i++)
		text = json_get_str(o, members[i]);
	if (text != NULL) {
		/* Valid UTF-8 (strict parse): only control bytes go. */
		n = strlen(text);
		if (n > REASON_MAX)
			for (n = REASON_MAX; n > 0 &&
			    ((unsigned char)text[n] & 0xc0) == 0x80; n--)
				continue;
		for (i = 0; i < n; i++)
			reason[i] = (unsigned char)text[i] < 0x20 ||
			    text[i] == 0x7f ? ' ' : text[i];
	} else {
		/* Any bytes: printable ASCII only. */
		n = res->body_len < REASON_MAX ? res->body_len : REASON_MAX;
		for (i = 0; i < n; i++)
			reason[i] = res->body[i] >= 0x20 && res->body[i] < 0x7f ?
			    res->body[i] : ' ';
	}
	reason[n] = '\0';
	json_object_put(o);
	return xasprintf("Fulfilment declined (HTTP %ld): %s", res->status,
	    n > 0 ? reason : "no reason given");
}

enum inv_err
fulfil_record(struct db *db, struct cache *cache, const struct fulfil *f,
    const struct httpc_response *res, const char **what, char **why)
{
	char tracking[TRACKING_MAX + 1], *note;
	bool applied = false;
	enum inv_err rc;

	*what = NULL;
	*why = NULL;
	if (res->status >= 200 && res->status < 300) {
		if (!tracking_of(res, tracking)) {
			*why = xasprintf("HTTP %ld without a valid "
			    "tracking_number (a string of 1 to %d characters "
			    "in a JSON object)", res->status, TRACKING_MAX);
			return INV_IO;
		}
		rc = order_flow_fulfil(db, cache, f->order_id, tracking, NULL,
		    &applied);
		*what = applied ? "shipped" : "answered for an order no "
		    "longer processing: left alone";
	} else if (res->status == 409 || res->status == 422) {
		note = decline_note(res);
		rc = order_flow_fulfil(db, cache, f->order_id, NULL, note,
		    &applied);
		free(note);
		*what = applied ? "declined: stays processing, reason in "
		    "notes" : "declined an order no longer processing: left "
		    "alone";
	} else {
		*why = delivery_answer_text(res);
		return INV_IO;
	}
	if (rc == INV_NOTFOUND) {
		*what = "no such order, dropped";
		rc = INV_OK;
	}
	return rc;
}
