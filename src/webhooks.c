/*
 * webhooks.c: /api/v1/webhooks, the admin's subscriptions to events and
 * their deliveries (schema/009_webhooks.sql). The worker turns events
 * into deliveries and sends them; here they are made, listed and sent
 * again.
 *
 * The signing secret is the service's (auth_webhook_secret): it is read
 * from the database by the two answers that show it, creation and
 * rotation, and by no other statement of this file.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "list.h"
#include "members.h"
#include "target.h"

#define DESCRIPTION_MAX	500	/* webhooks.description */

/* The event types a subscription may name, as the outbox writes them. */
static const char *const event_names[] = {
	"order.created",
	"order.processing",
	"order.cancelled",
	"order.shipped",
	"order.delivered",
	"inventory.low_stock",
	"inventory.adjusted",
	NULL
};
#define NEVENTS	(sizeof(event_names) / sizeof(event_names[0]) - 1)

/* Each element of events: one of the names, each once. */
static const struct field_spec event_fields[] = {
	{ NULL, FT_ENUM, FS_UNIQUE, 0, 0, 0, NULL, event_names,
	    MSG_DUP_EVENT },
};
static const struct body_spec event_spec = { event_fields, 1 };

/* The rows of both specs, at these indices of the handler's values. */
enum { WH_URL, WH_EVENTS, WH_DESCRIPTION, WH_ACTIVE, WH__N };

/* The fields of a body, each FS_REQUIRED when req is: creation's
 * url and events are, a change's none (a null description clears it). */
#define WEBHOOK_FIELDS(req) \
	{ "url", FT_URL, (req) | FS_TRIM, 1, TARGET_URL_MAX, FX_NONE }, \
	{ "events", FT_ARRAY, (req), 1, NEVENTS, .elem = &event_spec }, \
	{ "description", FT_STRING, FS_TRIM | FS_NULLABLE, 0, \
	    DESCRIPTION_MAX, FX_NONE }, \
	{ "is_active", FT_BOOL, 0, 0, 0, FX_NONE }
static const struct field_spec webhook_create_fields[WH__N] = {
	WEBHOOK_FIELDS(FS_REQUIRED)
};
const struct body_spec spec_webhook_create = { webhook_create_fields,
	WH__N };
static const struct field_spec webhook_update_fields[WH__N] = {
	WEBHOOK_FIELDS(0)
};
const struct body_spec spec_webhook_update = { webhook_update_fields,
	WH__N };

/* The 422 entry of each refusal of a target (src/target.h). */
static const enum msg_id target_faults[TARGET__MAX] = {
	[TARGET_OK] = MSG_INTERNAL,
	[TARGET_SCHEME] = MSG_URL_SCHEME_NOT_PERMITTED,
	[TARGET_TOO_LONG] = MSG_STR_MAX,
	[TARGET_HOST] = MSG_URL_HOST,
	[TARGET_UNRESOLVED] = MSG_URL_UNRESOLVED,
	[TARGET_PRIVATE] = MSG_URL_PRIVATE,
};

/*
 * Whether url (its syntax checked by the spec) may be a target as the
 * configuration says; false having replied 422 at ["body", "url"].
 */
static bool
target_or_422(struct app *app, const char *url, struct http_resp *resp)
{
	struct json_object *details = NULL;
	enum target_fault f;

	f = target_url_check(url, app->cfg->webhook_allow_private);
	if (f == TARGET_OK)
		return true;
	detail_addf(&details, "body", "url", (unsigned)f < TARGET__MAX ?
	    target_faults[f] : MSG_URL_HOST, MSG_INT(TARGET_URL_MAX));
	http_reply_422(resp, details);
	return false;
}

/* The events' values (checked members) as the JSON array stored (new). */
static char *
events_json(const struct field_val *v)
{
	struct json_writer w;
	size_t i, len;

	jw_init(&w);
	jw_begin_array(&w);
	for (i = 0; i < v->n; i++)
		jw_str(&w, event_names[v->items[i].i]);
	jw_end_array(&w);
	return jw_take(&w, &len);
}

/*
 * Replies status with webhook id read by st (STMT_WEBHOOK_BY_ID, or
 * _WITH_SECRET and its members), or 404 when there is none. An answer
 * with the secret is kept by no cache on the way.
 */
static void
webhook_reply(struct app *app, int64_t id, enum stmt st, int status,
    struct members ms, struct http_resp *resp)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_exec(app->db, st, &p, 1, &res, NULL, NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		http_reply_msgf(resp, MSG_NO_WEBHOOK, MSG_INT(id));
	else {
		row_reply(resp, status, res, 0, ms);
		if (st == STMT_WEBHOOK_WITH_SECRET)
			http_resp_header(resp, "Cache-Control", "no-store");
	}
	db_res_free(res);
}

/* Whether webhook id exists; false having replied 404 or an error. */
static bool
webhook_or_404(struct app *app, int64_t id, struct http_resp *resp)
{
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	enum inv_err rc;
	bool found = false;

	if ((rc = db_exec(app->db, STMT_WEBHOOK_BY_ID, &p, 1, &res, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (!(found = db_res_rows(res) > 0))
		http_reply_msgf(resp, MSG_NO_WEBHOOK, MSG_INT(id));
	db_res_free(res);
	return found;
}

/* POST /api/v1/webhooks: 201 | 400 | 401 | 403 | 422 */
void
h_webhooks_create(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	char secret[AUTH_WEBHOOK_SECRET_LEN + 1], *events = NULL;
	struct db_val p[5];
	uint64_t id = 0;
	enum inv_err rc;

	if (!target_or_422(app, b[WH_URL].s, resp))
		return;
	if ((rc = auth_webhook_secret(secret)) != INV_OK) {
		http_reply_500(resp);
		return;
	}
	events = events_json(&b[WH_EVENTS]);
	p[0] = DB_STR(b[WH_URL].s);
	p[1] = DB_STR(events);
	p[2] = DB_STR_OR_NULL(b[WH_DESCRIPTION].s);
	p[3] = DB_INT(b[WH_ACTIVE].given ? b[WH_ACTIVE].i : 1);
	p[4] = DB_STR(secret);
	rc = db_exec(app->db, STMT_WEBHOOK_INSERT, p, 5, NULL, NULL, &id);
	explicit_bzero(secret, sizeof(secret));
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	else
		webhook_reply(app, (int64_t)id, STMT_WEBHOOK_WITH_SECRET, 201,
		    members_webhook_secret, resp);
	free(events);
}

static const struct list_spec webhook_list = { STMT_WEBHOOK_COUNT,
	STMT_WEBHOOK_PAGE, LIST_KEY_ID_ASC, WEBHOOK_COL_ID, 0,
	&members_webhook };

/* GET /api/v1/webhooks?skip&limit&after: 200 | 400 | 401 | 403 | 422 */
void
h_webhooks_list(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct list_query q = { .spec = &webhook_list };
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	q.page = &pg;
	list_reply(app, req, &q, resp);
}

/* GET /api/v1/webhooks/{id}: 200 | 400 | 401 | 403 | 404 */
void
h_webhooks_get(struct app *app, struct http_req *req, struct http_resp *resp)
{
	webhook_reply(app, req->ids[0], STMT_WEBHOOK_BY_ID, 200,
	    members_webhook, resp);
}

/* PATCH /api/v1/webhooks/{id}: 200 | 400 | 401 | 403 | 404 | 422 */
void
h_webhooks_update(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	char *events = NULL;
	struct db_val p[6];
	enum inv_err rc;

	if (b[WH_URL].given && !target_or_422(app, b[WH_URL].s, resp))
		return;
	if (b[WH_EVENTS].given)
		events = events_json(&b[WH_EVENTS]);
	p[0] = DB_STR_OR_NULL(b[WH_URL].s);
	p[1] = DB_STR_OR_NULL(events);
	p[2] = DB_INT(b[WH_DESCRIPTION].given);
	p[3] = DB_STR_OR_NULL(b[WH_DESCRIPTION].s);
	p[4] = b[WH_ACTIVE].given ? DB_INT(b[WH_ACTIVE].i) : DB_NULL;
	p[5] = DB_INT(req->ids[0]);
	/* A missing webhook changes nothing: the read says 404. */
	if ((rc = db_exec(app->db, STMT_WEBHOOK_UPDATE, p, 6, NULL, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else
		webhook_reply(app, req->ids[0], STMT_WEBHOOK_BY_ID, 200,
		    members_webhook, resp);
	free(events);
}

/* DELETE /api/v1/webhooks/{id}: 204 | 400 | 401 | 403 | 404 */
void
h_webhooks_delete(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct db_val p = DB_INT(req->ids[0]);
	uint64_t affected = 0;
	enum inv_err rc;

	if ((rc = db_exec(app->db, STMT_WEBHOOK_DELETE, &p, 1, NULL, &affected,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (affected == 0)
		http_reply_msgf(resp, MSG_NO_WEBHOOK, MSG_INT(req->ids[0]));
	else
		http_reply_json(resp, 204, NULL);
}

/* POST /api/v1/webhooks/{id}/rotate-secret: 200 | 400 | 401 | 403 | 404 */
void
h_webhooks_rotate_secret(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	char secret[AUTH_WEBHOOK_SECRET_LEN + 1];
	struct db_val p[2];
	uint64_t affected = 0;
	enum inv_err rc;

	if (auth_webhook_secret(secret) != INV_OK) {
		http_reply_500(resp);
		return;
	}
	p[0] = DB_STR(secret);
	p[1] = DB_INT(req->ids[0]);
	/* A new random secret always changes the row: none changed is none
	 * there. */
	rc = db_exec(app->db, STMT_WEBHOOK_SET_SECRET, p, 2, NULL, &affected,
	    NULL);
	explicit_bzero(secret, sizeof(secret));
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	else if (affected == 0)
		http_reply_msgf(resp, MSG_NO_WEBHOOK, MSG_INT(req->ids[0]));
	else
		webhook_reply(app, req->ids[0], STMT_WEBHOOK_WITH_SECRET, 200,
		    members_webhook_secret, resp);
}

static const struct list_spec delivery_list = { STMT_WEBHOOK_DELIVERY_COUNT,
	STMT_WEBHOOK_DELIVERY_PAGE, LIST_KEY_ID_DESC, WH_DELIVERY_COL_ID, 0,
	&members_wh_delivery };

/* GET /api/v1/webhooks/{id}/deliveries?skip&limit&after:
 * 200 | 400 | 401 | 403 | 404 | 422 */
void
h_webhooks_deliveries(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct db_val p = DB_INT(req->ids[0]);
	struct list_query q = { .spec = &delivery_list, .filters = &p,
	    .nfilters = 1 };
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	q.page = &pg;
	if (webhook_or_404(app, req->ids[0], resp))
		list_reply(app, req, &q, resp);
}

/*
 * POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver:
 * 202 | 400 | 401 | 403 | 404. The worker sends it: here it becomes
 * pending and due.
 */
void
h_webhooks_redeliver(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct db_val p[2] = { DB_INT(req->ids[1]), DB_INT(req->ids[0]) };
	struct db_res *res = NULL;
	enum inv_err rc;

	if (!webhook_or_404(app, req->ids[0], resp))
		return;
	if ((rc = db_exec(app->db, STMT_WEBHOOK_REDELIVER, p, 2, NULL, NULL,
	    NULL)) != INV_OK || (rc = db_exec(app->db,
	    STMT_WEBHOOK_DELIVERY_BY_ID, p, 2, &res, NULL, NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		http_reply_msgf(resp, MSG_NO_DELIVERY, MSG_INT(req->ids[1]));
	else
		row_reply(resp, 202, res, 0, members_wh_delivery);
	db_res_free(res);
}
