/*
 * orders.c: /api/v1/orders. The rules themselves live in order_flow.c
 * and the Idempotency-Key protocol in idem.c; this file checks
 * requests, words the replies and wires the two together: the order and
 * the key's stored answer commit in one transaction (create_tx).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cache.h"
#include "caller.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "idem.h"
#include "list.h"
#include "log.h"
#include "members.h"
#include "order_flow.h"
#include "order_json.h"
#include "queue.h"

#define ADDRESS_MAX		1000
#define METHOD_MAX		50	/* orders.shipping_method */
#define TRACKING_MAX		100	/* orders.tracking_number */
#define NOTES_MAX		5000
#define STATUS_MAX		32

/* The rows of each spec, at these indices of the handler's values. */
enum { CREATE_ADDRESS, CREATE_METHOD, CREATE_NOTES, CREATE_ITEMS,
	CREATE__N };
enum { ITEM_PRODUCT, ITEM_QUANTITY, ITEM__N };
enum { UPDATE_STATUS, UPDATE_TRACKING, UPDATE_NOTES, UPDATE__N };
enum { LIST_STATUS = PAGE__N, LIST_USER, LIST__N };

/* Each element of "items": one line per product (order_items' unique
 * key), so a repeat is the client's to resolve. */
static const struct field_spec order_item_fields[] = {
	[ITEM_PRODUCT] = { "product_id", FT_INT, FS_REQUIRED | FS_UNIQUE, 1,
	    INT64_MAX, .dup = MSG_DUP_PRODUCT },
	[ITEM_QUANTITY] = { "quantity", FT_INT, FS_REQUIRED, 1,
	    ORDER_MAX_QUANTITY, FX_NONE },
};
static const struct body_spec spec_order_item = { order_item_fields,
	ITEM__N };

static const struct field_spec order_create_fields[] = {
	[CREATE_ADDRESS] = { "shipping_address", FT_STRING,
	    FS_REQUIRED | FS_TRIM, 1, ADDRESS_MAX, FX_NONE },
	[CREATE_METHOD] = { "shipping_method", FT_STRING,
	    FS_TRIM | FS_NULLABLE, 0, METHOD_MAX, FX_NONE },
	[CREATE_NOTES] = { "notes", FT_STRING, FS_NULLABLE, 0, NOTES_MAX,
	    FX_NONE },
	[CREATE_ITEMS] = { "items", FT_ARRAY, FS_REQUIRED, 1,
	    ORDER_MAX_ITEMS, .elem = &spec_order_item },
};
const struct body_spec spec_order_create = { order_create_fields,
	CREATE__N };

static const struct field_spec order_update_fields[] = {
	[UPDATE_STATUS] = { "status", FT_ENUM, FS_REQUIRED | FS_TRIM, 1,
	    STATUS_MAX, .members = order_status_names },
	[UPDATE_TRACKING] = { "tracking_number", FT_STRING,
	    FS_TRIM | FS_NULLABLE, 0, TRACKING_MAX, FX_NONE },
	[UPDATE_NOTES] = { "notes", FT_STRING, FS_NULLABLE, 0, NOTES_MAX,
	    FX_NONE },
};
const struct body_spec spec_order_update = { order_update_fields,
	UPDATE__N };

/* The lists' filters: any status or one; the admin's, any user or one. */
static const struct field_spec list_fields[] = {
	PAGING_FIELDS,
	[LIST_STATUS] = { "status", FT_ENUM, 0, 0, 0,
	    .members = order_status_names },
	[LIST_USER] = { "user_id", FT_INT, 0, 1, INT64_MAX, FX_NONE },
};
const struct body_spec query_orders_list = { list_fields, LIST_STATUS + 1 };
const struct body_spec query_orders_admin_list = { list_fields, LIST__N };

/* ---- JSON of orders ---- */

/* Replies status with the text written by w (taken). */
static void
reply_written(struct http_resp *resp, int status, struct json_writer *w)
{
	size_t len;
	char *text = jw_take(w, &len);

	http_reply_json_owned(resp, status, text, len);
}

static void
reply_no_order(struct http_resp *resp, int64_t id)
{
	http_reply_msgf(resp, MSG_NO_ORDER, MSG_INT(id));
}

/*
 * Order id as the caller may see it: *orders (new) holds its row.
 * Returns false having replied 404, 403 with forbidden (neither its
 * owner nor an admin), 400/401/403 from principal_admin_or_reply, or a
 * database error.
 */
static bool
order_or_reply(struct app *app, const struct http_req *req,
    struct http_resp *resp, int64_t id, enum msg_id forbidden,
    struct db_res **orders)
{
	struct db_val p = DB_INT(id);
	enum inv_err rc;

	if ((rc = db_exec(app->db, STMT_ORDER_BY_ID, &p, 1, orders, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(*orders) == 0)
		reply_no_order(resp, id);
	else if (db_res_int(*orders, 0, ORDER_COL_USER_ID) ==
	    req->principal.user_id)
		return true;
	else if (!req->principal.is_admin)
		http_reply_msg(resp, forbidden);
	/* Another's order takes admin rights: as they are now, not as the
	 * token remembers them. */
	else if (principal_admin_or_reply(app, req, resp))
		return true;
	return false;
}

/* Refusals of the caller's row by the creation itself, and the
 * dispatcher's word for each. */
static const struct {
	enum order_refusal	 why;
	enum caller_refusal	 caller;
} caller_refusals[] = {
	{ ORDER_REFUSED_NO_USER, CALLER_GONE },
	{ ORDER_REFUSED_INACTIVE, CALLER_INACTIVE },
	{ ORDER_REFUSED_STALE, CALLER_STALE },
};

/* Whether r refuses the caller rather than the order; *c says how. */
static bool
refuses_caller(const struct order_refused *r, enum caller_refusal *c)
{
	size_t i;

	for (i = 0; i < NMEMBERS(caller_refusals); i++)
		if (caller_refusals[i].why == r->why) {
			*c = caller_refusals[i].caller;
			return true;
		}
	return false;
}

/* Replies a refusal of the rules: 404 for a missing product, else 400
 * (each message's status); a refused caller as the dispatcher answers
 * one. */
static void
reply_refused(struct http_resp *resp, const struct order_refused *r)
{
	struct msg_arg args[2];
	enum caller_refusal c;
	enum msg_id id;
	size_t n;

	if (refuses_caller(r, &c)) {
		caller_reply_refused(resp, c);
		return;
	}
	id = order_refused_msg(r, args, &n);
	http_reply_msga(resp, id, args, n);
}

/* A reply for order_flow's result rc (not INV_OK). */
static void
reply_flow_error(struct http_resp *resp, enum inv_err rc, int64_t id,
    const struct order_refused *r)
{
	if (rc == INV_NOTFOUND)
		reply_no_order(resp, id);
	else if (rc == INV_INVALID)
		reply_refused(resp, r);
	else
		http_reply_db_error(resp, rc);
}

/* ---- creation ---- */

/* The validated items as order lines (ORDER_MAX_ITEMS places). */
static size_t
order_lines(const struct field_val *items, struct order_line *lines)
{
	size_t i;

	for (i = 0; i < items->n; i++) {
		lines[i].product_id = items->items[i * ITEM__N +
		    ITEM_PRODUCT].i;
		lines[i].quantity = items->items[i * ITEM__N +
		    ITEM_QUANTITY].i;
	}
	return items->n;
}

struct create_tx {
	const struct order_new	*order;
	int64_t			 idem_id;	/* the key's row; 0: no key */
	int64_t			 order_id;
	struct order_touched	 touched;
	struct order_refused	 refused;
	char			*body;		/* the 201 body (owned) */
	size_t			 body_len;
};

/* The order and its 201 body, from what order_flow_create returned: as a
 * GET reads it. */
static enum inv_err
create_order(struct db *db, struct create_tx *t)
{
	struct db_res *order = NULL, *items = NULL;
	struct json_writer w;
	enum inv_err rc;

	free(t->body);
	t->body = NULL;
	if ((rc = order_flow_create(db, t->order, &t->order_id, &order,
	    &items, &t->touched, &t->refused)) != INV_OK)
		return rc;
	jw_init(&w);
	order_json_write(&w, order, 0, items, false);
	t->body = jw_take(&w, &t->body_len);
	db_res_free(order);
	db_res_free(items);
	return INV_OK;
}

/*
 * With a key: the order, its 201 body and the key's stored answer, in
 * one transaction. INV_CONFLICT when the key's row is no longer an
 * unfinished claim (another request finished it, or it expired and went).
 */
static enum inv_err
create_tx(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	enum inv_err rc;

	if ((rc = idem_lock(db, t->idem_id)) != INV_OK ||
	    (rc = create_order(db, t)) != INV_OK)
		return rc;
	return idem_store(db, t->idem_id, 201, t->body);
}

/* After the commit: the cache forgets what the order changed and the
 * worker gets its job, in one round trip to Redis where they share it;
 * without the queue's Redis the worker's sweep of the database finds
 * the order instead (doc/design.md, "Queue protocol"). */
static void
order_announce(struct app *app, const struct create_tx *t)
{
	enum inv_err rc;

	rc = order_flow_announce(app->cache, app->queue, &t->touched,
	    t->order_id);
	if (rc != INV_OK && app->queue != NULL)
		log_warn("order %" PRId64 " not queued (%s): the worker's "
		    "sweep will find it", t->order_id, inv_strerror(rc));
}

/* POST /api/v1/orders: 201 | 400 | 404 | 409 | 422 */
void
h_orders_create(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	struct order_line lines[ORDER_MAX_ITEMS];
	enum caller_refusal caller;
	struct order_new o;
	struct create_tx t;
	enum inv_err rc;
	bool keyed = req->idempotency_key != NULL;
	int tries = 0;
	char *canon = NULL;

	memset(&t, 0, sizeof(t));
	/* Without a key the order's one call checks the caller; with one,
	 * the claim may answer without that call (a replay, 409, 422), so
	 * the caller's row is read first, as for any other write (the
	 * dispatcher read it already if it refused the items). */
	if ((keyed && !principal_current_or_reply(app, req, resp)) ||
	    !idem_key_or_422(req, resp))
		return;
	o.user_id = req->principal.user_id;
	o.token_version = req->principal.token_version;
	o.shipping_address = b[CREATE_ADDRESS].s;
	o.shipping_method = b[CREATE_METHOD].s;
	o.notes = b[CREATE_NOTES].s;
	o.nlines = order_lines(&b[CREATE_ITEMS], lines);
	o.lines = lines;
	t.order = &o;
	if (keyed)
		canon = idem_order_canonical(&o);
	do {
		if (keyed && !idem_claim_or_reply(app, req, resp, canon,
		    &t.idem_id))
			goto out;
		rc = keyed ? db_transaction(app->db, create_tx, &t) :
		    create_order(app->db, &t);
		/* Someone else finished the key first: claiming again
		 * replays their answer. */
	} while (rc == INV_CONFLICT && keyed && ++tries < 2);
	switch (rc) {
	case INV_OK:
		order_announce(app, &t);
		http_reply_json_text(resp, 201, t.body, t.body_len);
		break;
	case INV_INVALID:
		reply_refused(resp, &t.refused);
		/* A refused caller's answer is no answer to the key. */
		if (keyed && refuses_caller(&t.refused, &caller))
			idem_abandon(app->db, t.idem_id);
		else if (keyed)
			idem_finish(app->db, t.idem_id, resp);
		break;
	case INV_CONFLICT:
		idem_reply_busy(resp);
		break;
	default:
		if (keyed)
			idem_abandon(app->db, t.idem_id);
		http_reply_db_error(resp, rc);
		break;
	}
out:
	free(canon);
	free(t.body);
}

/* ---- reading ---- */

/* The admin's lists by the filters given, [by user][by status]; the
 * owner's own view, always of one user, [by status]: it leaves out the
 * owner's email and name. */
#define ORDER_LIST(page, count) { (count), (page), \
	LIST_KEY_TIME_ID_DESC, ORDER_COL_ID, ORDER_COL_CREATED_AT, NULL }
static const struct list_spec admin_lists[2][2] = {
	{ ORDER_LIST(STMT_ORDER_PAGE, STMT_ORDER_COUNT),
	  ORDER_LIST(STMT_ORDER_PAGE_BY_STATUS, STMT_ORDER_COUNT_BY_STATUS) },
	{ ORDER_LIST(STMT_ORDER_PAGE_BY_USER, STMT_ORDER_COUNT_BY_USER),
	  ORDER_LIST(STMT_ORDER_PAGE_BY_USER_STATUS,
	      STMT_ORDER_COUNT_BY_USER_STATUS) },
};
/* The owner's: [a page that skips nothing][by status]; such a page has
 * statements of its own, cheaper (db.c, ORDER_OWN_SEEK). */
static const struct list_spec own_lists[2][2] = {
	{ ORDER_LIST(STMT_ORDER_OWN_PAGE, STMT_ORDER_COUNT_BY_USER),
	  ORDER_LIST(STMT_ORDER_OWN_PAGE_BY_STATUS,
	      STMT_ORDER_COUNT_BY_USER_STATUS) },
	{ ORDER_LIST(STMT_ORDER_OWN_SEEK, STMT_ORDER_COUNT_BY_USER),
	  ORDER_LIST(STMT_ORDER_OWN_SEEK_BY_STATUS,
	      STMT_ORDER_COUNT_BY_USER_STATUS) },
};

/* Writes orders [0, n) of a page with their items (list_rows_fn); arg
 * points to with_user. Items of the whole page in one query. */
static enum inv_err
orders_rows(struct app *app, struct json_writer *w,
    const struct db_res *orders, size_t n, void *arg)
{
	bool with_user = *(bool *)arg;
	struct db_res *items = NULL;
	enum inv_err rc;
	size_t i;

	if ((rc = order_json_items(app->db, orders, with_user, &items)) != INV_OK)
		return rc;
	for (i = 0; i < n; i++)
		order_json_write(w, orders, i, items, with_user);
	db_res_free(items);
	return INV_OK;
}

/*
 * A page of orders, newest first, filtered by user (0: all) and status
 * (NULL: all), with their items: three queries whatever the page size
 * (count, page, items of the page). Counts are cached per user (0: all
 * users) and status, and the owner's own pages whole in the owner's
 * scope: order_flow bumps the owner's generation and that of all orders
 * after every change of one, so neither is older than a change that has
 * returned (doc/design.md, "Cache protocol"). An owner's page holds
 * nothing but the owner's orders and their items; the admin's pages
 * also show users' and products' names, which change elsewhere, so only
 * their counts are cached.
 */
static void
list_orders(struct app *app, const struct http_req *req,
    struct http_resp *resp, int64_t user_id, const char *status,
    const struct page *pg, bool with_user)
{
	struct cached count = { .scope = CACHE_SCOPE_ORDERS, .id = user_id,
	    .name = status != NULL ? status : "",
	    .ttl = app->cfg->cache_ttl_list };
	struct cached reply = count;
	struct list_query q = { .page = pg, .count = &count,
	    .rows = orders_rows, .arg = &with_user };
	struct db_val p[2];
	char *filters = NULL, *page_name = NULL;

	if (user_id > 0)
		p[q.nfilters++] = DB_INT(user_id);
	if (status != NULL)
		p[q.nfilters++] = DB_STR(status);
	q.filters = p;
	q.spec = with_user ? &admin_lists[user_id > 0][status != NULL] :
	    &own_lists[pg->skip == 0][status != NULL];
	if (!with_user) {
		filters = xasprintf("page?status=%s", count.name);
		page_name = list_page_name(req, pg, filters);
		reply.name = page_name;
		q.reply = &reply;
	}
	list_reply(app, req, &q, resp);
	free(filters);
	free(page_name);
}

/* GET /api/v1/orders?skip&limit&after&status: 200 | 401 | 422 */
void
h_orders_list(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *q = req->query_vals;
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	list_orders(app, req, resp, req->principal.user_id, q[LIST_STATUS].s,
	    &pg, false);
}

/* GET /api/v1/orders/admin?skip&limit&after&status&user_id: 200 | 401 |
 * 403 | 422 */
void
h_orders_admin_list(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *q = req->query_vals;
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	list_orders(app, req, resp, q[LIST_USER].i, q[LIST_STATUS].s, &pg,
	    true);
}

/* GET /api/v1/orders/{id}: 200 | 401 | 403 | 404 */
void
h_orders_get(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct db_res *orders = NULL, *items = NULL;
	struct json_writer w;
	enum inv_err rc;

	if (!order_or_reply(app, req, resp, req->ids[0],
	    MSG_ORDER_NOT_YOURS, &orders))
		goto out;
	if ((rc = order_json_items(app->db, orders, false, &items)) != INV_OK) {
		http_reply_db_error(resp, rc);
		goto out;
	}
	jw_init(&w);
	order_json_write(&w, orders, 0, items, false);
	reply_written(resp, 200, &w);
out:
	db_res_free(orders);
	db_res_free(items);
}

/* ---- changes ---- */

/* PUT /api/v1/orders/{id}: 200 | 400 | 401 | 403 | 404 | 409 | 422 */
void
h_orders_update(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	struct order_refused refused;
	int64_t id = req->ids[0];
	enum inv_err rc;
	size_t len;
	char *text = NULL;

	/* Made processing, it goes to fulfilment when that is on. */
	rc = order_flow_update_fulfil(app->db, app->cache,
	    app->cfg->fulfilment_url[0] != '\0' ? app->queue : NULL, id,
	    (enum order_status)b[UPDATE_STATUS].i, b[UPDATE_TRACKING].s,
	    b[UPDATE_NOTES].s, req->principal.user_id, &refused);
	if (rc == INV_OK)
		rc = order_json_text(app->db, id, false, &text, &len);
	if (rc != INV_OK)
		reply_flow_error(resp, rc, id, &refused);
	else if (text == NULL)
		reply_flow_error(resp, INV_NOTFOUND, id, &refused);
	else
		http_reply_json_owned(resp, 200, text, len);
}

/* DELETE /api/v1/orders/{id}: 204 | 400 | 401 | 403 | 404 | 409 */
void
h_orders_cancel(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct order_refused refused;
	struct db_res *orders = NULL;
	int64_t id = req->ids[0];
	enum inv_err rc;

	if (order_or_reply(app, req, resp, id,
	    MSG_ORDER_CANCEL_NOT_YOURS, &orders)) {
		rc = order_flow_cancel(app->db, app->cache, id,
		    req->principal.user_id, &refused);
		if (rc == INV_OK)
			http_reply_json(resp, 204, NULL);
		else
			reply_flow_error(resp, rc, id, &refused);
	}
	db_res_free(orders);
}
