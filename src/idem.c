/*
 * idem.c: the Idempotency-Key of POST /api/v1/orders (doc/design.md,
 * "Orders"), called by orders.c. The key's row in idempotency_keys is
 * the claim on it: inserted, and committed, before the work, so a
 * duplicate arriving meanwhile finds it unfinished and gets 409. The
 * order transaction then locks that row (idem_lock), checks that it is
 * still unfinished and stores the 201 response in it (idem_store), so
 * the order and its stored answer commit together: there is no moment at
 * which the order exists and a retry would make a second one. What is
 * kept:
 *   - 201, and the 400/404 refusals of the stock rules: stored and
 *     replayed (status and body as first sent) to the same user for
 *     idempotency_ttl seconds, as Stripe does: a retry learns what the
 *     first request got; a new attempt takes a new key;
 *   - a 5xx (database trouble): the claim is dropped, so a retry runs
 *     afresh;
 *   - a 422 from validation: nothing was claimed.
 * A claim left unfinished by a process that died is taken over by a
 * retry after IDEM_STALE_SECONDS; the row lock makes even a premature
 * take-over harmless (whoever locks second finds the stored answer). The
 * same key with another order is a 422, as the IETF draft on the header
 * advises; "another" by meaning, not bytes (idem_order_canonical). Keys
 * are per user: two users never see each other's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "idem.h"
#include "json.h"
#include "log.h"
#include "order_flow.h"

#define IDEM_KEY_MAX		128
#define IDEM_STALE_SECONDS	30
#define IDEM_CLAIM_TRIES	3
#define IDEM_HEADER		"idempotency-key"
/* Rows one purge statement deletes: its locks stay short. */
#define IDEM_PURGE_BATCH	1000

static const char IDEM_BUSY[] = "Request with this Idempotency-Key is in "
    "progress";

void
idem_reply_busy(struct http_resp *resp)
{
	http_reply_detail(resp, 409, IDEM_BUSY);
}

/* Whether the Idempotency-Key header, when there is one, is 1..128
 * printable ASCII characters, not all spaces: a present but empty or
 * blank key is a client's bug, not "no key". False having replied 422. */
bool
idem_key_or_422(const struct http_req *req, struct http_resp *resp)
{
	const char *k = req->idempotency_key;
	struct json_object *details = NULL;
	size_t i, len;
	bool blank = true;

	if (k == NULL)
		return true;
	len = strlen(k);
	for (i = 0; i < len; i++) {
		if (k[i] < 0x20 || k[i] > 0x7e)
			break;
		if (k[i] != ' ')
			blank = false;
	}
	if (!blank && len <= IDEM_KEY_MAX && i == len)
		return true;
	json_detail_add(&details, "header", IDEM_HEADER, "ensure this value "
	    "has 1 to 128 printable ASCII characters, not all blank",
	    "value_error.idempotency_key");
	http_reply_422(resp, details);
	return false;
}

/* Lines by product id. */
static int
line_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct order_line *)a)->product_id;
	int64_t y = ((const struct order_line *)b)->product_id;

	return (x > y) - (x < y);
}

/*
 * What a replay under the same Idempotency-Key must match: the order's
 * meaning as validated, in one canonical text (new): members in name
 * order without white space, an absent optional member as null, strings
 * as trimmed by the spec, unknown members (which the API ignores) left
 * out, and the items in product order (a product comes once, so their
 * order means nothing). Bodies that differ only in layout, member order
 * or item order give the same text.
 */
char *
idem_order_canonical(const struct order_new *o)
{
	struct order_line sorted[ORDER_MAX_ITEMS];
	struct json_writer w;
	size_t i, len;

	memcpy(sorted, o->lines, o->nlines * sizeof(sorted[0]));
	qsort(sorted, o->nlines, sizeof(sorted[0]), line_cmp);
	jw_init(&w);
	jw_begin_object(&w);
	jw_key(&w, "items");
	jw_begin_array(&w);
	for (i = 0; i < o->nlines; i++) {
		jw_begin_object(&w);
		jw_key(&w, "product_id");
		jw_int(&w, sorted[i].product_id);
		jw_key(&w, "quantity");
		jw_int(&w, sorted[i].quantity);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "notes");
	jw_str(&w, o->notes);
	jw_key(&w, "shipping_address");
	jw_str(&w, o->shipping_address);
	jw_key(&w, "shipping_method");
	jw_str(&w, o->shipping_method);
	jw_end_object(&w);
	return jw_take(&w, &len);
}

/* Columns of STMT_IDEM_GET. */
enum { IDEM_ID = 0, IDEM_STATUS, IDEM_BODY, IDEM_SAME, IDEM_EXPIRED,
    IDEM_STALE };

/*
 * Claims the request's Idempotency-Key for this request: true with *id,
 * the key's row, when the order is to be made (a new claim, or one left
 * unfinished long enough to be taken over). Otherwise replies: the
 * stored answer (a replay), 409 while the first request runs, 422 for
 * the key reused with another body, or a database error. An expired key
 * is deleted and claimed anew.
 */
bool
idem_claim_or_reply(struct app *app, const struct http_req *req,
    struct http_resp *resp, const char *request, int64_t *id)
{
	struct json_object *details = NULL;
	struct db_res *res = NULL;
	struct db_val p[4];
	uint64_t insert_id;
	enum inv_err rc = INV_OK;
	int tries;

	for (tries = 0; tries < IDEM_CLAIM_TRIES; tries++) {
		db_res_free(res);
		res = NULL;
		p[0] = DB_INT(req->principal.user_id);
		p[1] = DB_STR(req->idempotency_key);
		p[2] = DB_STR(request);
		p[3] = DB_INT(app->cfg->idempotency_ttl);
		rc = db_exec(app->db, STMT_IDEM_INSERT, p, 4, NULL, NULL,
		    &insert_id);
		if (rc == INV_OK) {
			*id = (int64_t)insert_id;
			return true;
		}
		if (rc != INV_CONFLICT)
			break;
		p[0] = DB_STR(request);
		p[1] = DB_INT(IDEM_STALE_SECONDS);
		p[2] = DB_INT(req->principal.user_id);
		p[3] = DB_STR(req->idempotency_key);
		if ((rc = db_exec(app->db, STMT_IDEM_GET, p, 4, &res, NULL,
		    NULL)) != INV_OK)
			break;
		if (db_res_rows(res) == 0)
			continue;	/* gone meanwhile: claim it */
		if (db_res_bool(res, 0, IDEM_EXPIRED)) {
			p[0] = DB_INT(db_res_int(res, 0, IDEM_ID));
			if ((rc = db_exec(app->db, STMT_IDEM_DELETE_EXPIRED, p,
			    1, NULL, NULL, NULL)) != INV_OK)
				break;
			continue;
		}
		if (!db_res_bool(res, 0, IDEM_SAME)) {
			json_detail_add(&details, "header", IDEM_HEADER,
			    "this key was already used with a different "
			    "request", "value_error.idempotency_key.reused");
			http_reply_422(resp, details);
		} else if (!db_res_isnull(res, 0, IDEM_STATUS)) {
			const char *body = db_res_str(res, 0, IDEM_BODY);

			http_reply_json_text(resp, (int)db_res_int(res, 0,
			    IDEM_STATUS), body != NULL ? body : "",
			    body != NULL ? strlen(body) : 0);
			http_resp_header(resp, "Idempotent-Replayed", "true");
		} else if (db_res_bool(res, 0, IDEM_STALE)) {
			*id = db_res_int(res, 0, IDEM_ID);
			db_res_free(res);
			return true;
		} else
			idem_reply_busy(resp);
		db_res_free(res);
		return false;
	}
	db_res_free(res);
	if (rc == INV_CONFLICT)
		idem_reply_busy(resp);
	else
		http_reply_db_error(resp, rc);
	return false;
}

enum inv_err
idem_lock(struct db *db, int64_t id)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_exec(db, STMT_IDEM_LOCK, &p, 1, &res, NULL, NULL)) !=
	    INV_OK)
		return rc;
	rc = db_res_rows(res) == 1 && db_res_isnull(res, 0, 0) ? INV_OK :
	    INV_CONFLICT;
	db_res_free(res);
	return rc;
}

enum inv_err
idem_store(struct db *db, int64_t id, int status, const char *body)
{
	struct db_val p[3] = { DB_INT(status),
	    DB_STR(body != NULL ? body : ""), DB_INT(id) };

	return db_exec(db, STMT_IDEM_FINISH, p, 3, NULL, NULL, NULL);
}

/* Stores the reply in resp as the key's answer (best effort: a key left
 * unfinished is taken over later). */
void
idem_finish(struct db *db, int64_t id, const struct http_resp *resp)
{
	if (idem_store(db, id, resp->status, resp->body) != INV_OK)
		log_warn("idempotency key %" PRId64 ": answer not stored", id);
}

/* Drops an unfinished claim so that a retry runs afresh. */
void
idem_abandon(struct db *db, int64_t id)
{
	struct db_val p = DB_INT(id);

	if (db_exec(db, STMT_IDEM_ABANDON, &p, 1, NULL, NULL, NULL) != INV_OK)
		log_warn("idempotency key %" PRId64 ": claim not dropped", id);
}

enum inv_err
idem_purge_expired(struct db *db, size_t *n)
{
	struct db_val p = DB_INT(IDEM_PURGE_BATCH);
	uint64_t affected;
	size_t total = 0;
	enum inv_err rc;

	do {
		if ((rc = db_exec(db, STMT_IDEM_PURGE, &p, 1, NULL, &affected,
		    NULL)) != INV_OK)
			break;
		total += (size_t)affected;
	} while (affected == IDEM_PURGE_BATCH);
	if (n != NULL)
		*n = total;
	return rc;
}
