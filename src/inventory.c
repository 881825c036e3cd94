/*
 * inventory.c: /api/v1/products and /api/v1/inventory.
 *
 * Stock (doc/design.md, "Stock rules"): every change of an inventory row
 * runs in one transaction that locks the row (SELECT ... FOR UPDATE),
 * checks the new quantities under the lock, writes them and writes the
 * stock_movements row. Two concurrent changes of one row are thus
 * serialised, each seeing the other's result, and the schema's CHECK
 * constraints refuse whatever might still slip by.
 *
 * Cache (cache.h, "Cache protocol"): GET /inventory/{id}, GET
 * /inventory/product/{pid}, the inventory lists and the low-stock report
 * are read through Redis (list.h), and so are the counts of the product
 * list. Every write that changes what those reads show invalidates after
 * its commit. Redis trouble costs speed only: a failed lookup reads
 * MariaDB.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "list.h"
#include "log.h"
#include "members.h"

/* Lengths follow schema/001_init.sql (VARCHAR counts characters). */
#define SKU_MAX		64
#define NAME_MAX_LEN	255
#define DESCRIPTION_MAX	65535		/* TEXT: bytes, checked as such too */
#define DIMENSIONS_MAX	100
#define CATEGORY_MAX	100
#define IMAGE_URL_MAX	500
#define QUERY_TEXT_MAX	255		/* the q filter of the product list */
/* DECIMAL(12,2) holds up to 9999999999.99 and DECIMAL(12,3) up to
 * 999999999.999; the whole-number bounds keep every accepted value
 * inside them. */
#define PRICE_MAX	INT64_C(9999999999)
#define WEIGHT_MAX	INT64_C(999999999)
/* Numeric bounds of the contract (doc/openapi.json). */
#define QTY_MAX		INT64_C(2147483647)	/* INT columns */
#define ADJUST_MAX	INT64_C(1000000000)
#define REASON_MAX	255

#define DEFAULT_REORDER_LEVEL		10
#define DEFAULT_REORDER_QUANTITY	50

/* The rows of each spec, at these indices of the handler's values. */
enum { P_SKU, P_NAME, P_DESCRIPTION, P_PRICE, P_WEIGHT, P_DIMENSIONS,
	P_CATEGORY, P_IMAGE_URL, P__N };
/* An inventory body's quantities, from Q_STOCK of where they start. */
enum { Q_STOCK, Q_RESERVED, Q_LEVEL, Q_REORDER, Q__N };
enum { C_PRODUCT, C_QTY, C__N = C_QTY + Q__N };
enum { A_QUANTITY, A_REASON, A__N };
enum { PL_CATEGORY = PAGE__N, PL_Q, PL__N };
enum { IL_PRODUCT = PAGE__N, IL_LOW, IL__N };

/* Product bodies: create requires what update leaves optional. */
#define PRODUCT_FIELDS(REQ) \
	{ "sku", FT_STRING, (REQ) | FS_TRIM, 1, SKU_MAX, FX_NONE }, \
	{ "name", FT_STRING, (REQ) | FS_TRIM, 1, NAME_MAX_LEN, FX_NONE }, \
	{ "description", FT_STRING, FS_NULLABLE, 0, DESCRIPTION_MAX, \
	    FX_NONE }, \
	{ "price", FT_DECIMAL, (REQ), 0, PRICE_MAX, FX_NONE }, \
	{ "weight", FT_DECIMAL, FS_NULLABLE, 0, WEIGHT_MAX, FX_NONE }, \
	{ "dimensions", FT_STRING, FS_NULLABLE | FS_TRIM, 0, DIMENSIONS_MAX, \
	    FX_NONE }, \
	{ "category", FT_STRING, FS_NULLABLE | FS_TRIM, 0, CATEGORY_MAX, \
	    FX_NONE }, \
	{ "image_url", FT_URL, FS_NULLABLE | FS_TRIM, 0, IMAGE_URL_MAX, \
	    FX_NONE }

static const struct field_spec product_create_fields[P__N] = {
	PRODUCT_FIELDS(FS_REQUIRED),
};
const struct body_spec spec_product_create = { product_create_fields, P__N };

static const struct field_spec product_update_fields[P__N] = {
	PRODUCT_FIELDS(0),
};
const struct body_spec spec_product_update = { product_update_fields, P__N };

/* The quantities of an inventory body; create requires the stock. */
#define INV_QTY_FIELDS(STOCK) \
	{ "quantity_in_stock", FT_INT, (STOCK), 0, QTY_MAX, FX_NONE }, \
	{ "quantity_reserved", FT_INT, 0, 0, QTY_MAX, FX_NONE }, \
	{ "reorder_level", FT_INT, 0, 0, QTY_MAX, FX_NONE }, \
	{ "reorder_quantity", FT_INT, 0, 0, QTY_MAX, FX_NONE }

static const struct field_spec inventory_create_fields[C__N] = {
	{ "product_id", FT_INT, FS_REQUIRED, 1, INT64_MAX, FX_NONE },
	INV_QTY_FIELDS(FS_REQUIRED),
};
const struct body_spec spec_inventory_create = { inventory_create_fields,
	C__N };

static const struct field_spec inventory_update_fields[Q__N] = {
	INV_QTY_FIELDS(0),
};
const struct body_spec spec_inventory_update = { inventory_update_fields,
	Q__N };

/* Zero is in range here and refused by the handler, with its own text. */
static const struct field_spec inventory_adjust_fields[A__N] = {
	[A_QUANTITY] = { "quantity", FT_INT, FS_REQUIRED, -ADJUST_MAX,
	    ADJUST_MAX, FX_NONE },
	[A_REASON] = { "reason", FT_STRING, FS_NULLABLE | FS_TRIM, 0,
	    REASON_MAX, FX_NONE },
};
const struct body_spec spec_inventory_adjust = { inventory_adjust_fields,
	A__N };

/* The lists' filters. */
static const struct field_spec products_list_fields[PL__N] = {
	PAGING_FIELDS,
	[PL_CATEGORY] = { "category", FT_STRING, 0, 0, CATEGORY_MAX,
	    FX_NONE },
	[PL_Q] = { "q", FT_STRING, 0, 0, QUERY_TEXT_MAX, FX_NONE },
};
const struct body_spec query_products_list = { products_list_fields,
	PL__N };

static const struct field_spec inventory_list_fields[IL__N] = {
	PAGING_FIELDS,
	[IL_PRODUCT] = { "product_id", FT_INT, 0, 1, INT64_MAX, FX_NONE },
	[IL_LOW] = { "low_stock", FT_BOOL, 0, 0, 0, FX_NONE },
};
const struct body_spec query_inventory_list = { inventory_list_fields,
	IL__N };

/* ---- query parameters ---- */

/* "%q%" for LIKE with q's own '%', '_' and '!' escaped by '!' (the
 * statement's ESCAPE character): new. */
static char *
like_pattern(const char *q)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "%");
	for (; *q != '\0'; q++) {
		if (*q == '%' || *q == '_' || *q == '!')
			buf_puts(&b, "!");
		buf_append(&b, q, 1);
	}
	buf_puts(&b, "%");
	return buf_take(&b);
}

/* ---- writes ---- */

/* What a write found, when it is not a database error. */
enum outcome {
	OUT_OK = 0,
	OUT_NO_PRODUCT,		/* 404 */
	OUT_NO_INVENTORY,	/* 404 */
	OUT_DUP_SKU,		/* 400 */
	OUT_HAS_ORDERS,		/* 409 */
	OUT_INV_EXISTS,		/* 400 */
	OUT_RESERVED_GT_STOCK,	/* 422 */
	OUT_RESERVED_LT_HELD,	/* 422: below what orders hold */
	OUT_BELOW_ZERO,		/* 400 */
	OUT_BELOW_RESERVED,	/* 400 */
	OUT_ABOVE_MAX,		/* 422: stock past the INT column */
	OUT__MAX
};

/* One write's state, kept across a transaction's reruns. */
struct write {
	struct http_req	*req;		/* borrowed */
	int64_t		 id;		/* the path id */
	int64_t		 product_id;	/* of the row changed, for the cache */
	int64_t		 inv_id;	/* same */
	int64_t		 held;		/* units held by orders, for
					   OUT_RESERVED_LT_HELD */
	enum outcome	 out;
	struct db_res	*res;		/* the row to reply with (owned) */
};

/* Starts a transaction function's try afresh (a rerun after deadlock). */
static void
write_reset(struct write *w)
{
	db_res_free(w->res);
	w->res = NULL;
	w->out = OUT_OK;
	w->inv_id = 0;
	w->product_id = 0;
	w->held = 0;
}

/* Records outcome out, which rolls the transaction back. */
static enum inv_err
write_refuse(struct write *w, enum outcome out)
{
	w->out = out;
	return INV_INVALID;
}

/* A 422 about one body field: message id with its arguments. */
static void
reply_422_field(struct http_resp *resp, const char *field, enum msg_id id,
    const struct msg_arg *args, size_t nargs)
{
	struct json_object *details = NULL;

	detail_add(&details, "body", field, id, args, nargs);
	http_reply_422(resp, details);
}

static void
reply_no_product(struct http_resp *resp, int64_t id)
{
	http_reply_msgf(resp, MSG_NO_PRODUCT, MSG_INT(id));
}

/* 400 for a SKU taken (the trimmed one of the body). */
static void
reply_dup_sku(struct http_resp *resp, const struct http_req *req)
{
	http_reply_msgf(resp, MSG_DUP_SKU, MSG_STR(req->body_vals[P_SKU].s));
}

static void
reply_no_inventory(struct http_resp *resp, int64_t id)
{
	http_reply_msgf(resp, MSG_NO_INVENTORY, MSG_INT(id));
}

/* 422: reserved above the stock. */
static void
reply_reserved_gt_stock(struct http_resp *resp)
{
	reply_422_field(resp, "quantity_reserved", MSG_RESERVED_GT_STOCK, NULL,
	    0);
}

/*
 * Replies for a write that did not succeed: its outcome when it found
 * one (rc INV_INVALID), else the database error.
 */
static void
reply_refused(struct http_resp *resp, const struct write *w, enum inv_err rc)
{
	if (rc != INV_INVALID || w->out == OUT_OK) {
		http_reply_db_error(resp, rc);
		return;
	}
	switch (w->out) {
	case OUT_NO_PRODUCT:
		reply_no_product(resp, w->product_id);
		break;
	case OUT_NO_INVENTORY:
		reply_no_inventory(resp, w->id);
		break;
	case OUT_DUP_SKU:
		reply_dup_sku(resp, w->req);
		break;
	case OUT_HAS_ORDERS:
		http_reply_msg(resp, MSG_PRODUCT_HAS_ORDERS);
		break;
	case OUT_INV_EXISTS:
		http_reply_msgf(resp, MSG_INVENTORY_EXISTS,
		    MSG_INT(w->product_id));
		break;
	case OUT_RESERVED_GT_STOCK:
		reply_reserved_gt_stock(resp);
		break;
	case OUT_RESERVED_LT_HELD:
		reply_422_field(resp, "quantity_reserved", MSG_RESERVED_LT_HELD,
		    MSG_ARGS(MSG_INT(w->held)));
		break;
	case OUT_BELOW_ZERO:
		http_reply_msg(resp, MSG_BELOW_ZERO);
		break;
	case OUT_BELOW_RESERVED:
		http_reply_msg(resp, MSG_BELOW_RESERVED);
		break;
	case OUT_ABOVE_MAX:
		reply_422_field(resp, "quantity", MSG_STOCK_ABOVE_MAX, NULL, 0);
		break;
	default:
		http_reply_500(resp);
		break;
	}
}

/* ---- products ---- */

/* The description fits its TEXT column (bytes), or a 422 is sent. The
 * spec bounds characters, which may take up to four bytes each. */
static bool
description_fits_or_422(struct http_req *req, struct http_resp *resp)
{
	const char *d = req->body_vals[P_DESCRIPTION].s;

	if (d == NULL || strlen(d) <= DESCRIPTION_MAX)
		return true;
	reply_422_field(resp, "description", MSG_DESCRIPTION_BYTES, NULL, 0);
	return false;
}

/* Reads product id into *res (new; zero or one row). */
static enum inv_err
product_fetch(struct db *db, int64_t id, struct db_res **res)
{
	struct db_val p = DB_INT(id);

	return db_exec(db, STMT_PRODUCT_BY_ID, &p, 1, res, NULL, NULL);
}

/*
 * The inventory record of product (0 when none) into *inv_id, locking it
 * inside a transaction, so that the caller can invalidate its cached
 * reads.
 */
static enum inv_err
inventory_of_product(struct db *db, int64_t product_id, int64_t *inv_id)
{
	struct db_val p = DB_INT(product_id);
	struct db_res *res = NULL;
	enum inv_err rc;

	*inv_id = 0;
	rc = db_exec(db, STMT_INV_ID_BY_PRODUCT, &p, 1, &res, NULL, NULL);
	if (rc == INV_OK && db_res_rows(res) > 0)
		*inv_id = db_res_int(res, 0, 0);
	db_res_free(res);
	return rc;
}

/* The product list by filters given, [by category][by q]. */
#define PRODUCT_LIST(page, count) { (count), (page), LIST_KEY_ID_ASC, \
	PRODUCT_COL_ID, 0, &members_product }
static const struct list_spec product_lists[2][2] = {
	{ PRODUCT_LIST(STMT_PRODUCT_PAGE, STMT_PRODUCT_COUNT),
	  PRODUCT_LIST(STMT_PRODUCT_PAGE_BY_Q, STMT_PRODUCT_COUNT_BY_Q) },
	{ PRODUCT_LIST(STMT_PRODUCT_PAGE_BY_CATEGORY,
	      STMT_PRODUCT_COUNT_BY_CATEGORY),
	  PRODUCT_LIST(STMT_PRODUCT_PAGE_BY_CATEGORY_Q,
	      STMT_PRODUCT_COUNT_BY_CATEGORY_Q) },
};

/*
 * GET /api/v1/products?skip&limit&after&category&q: 200 | 401 | 422
 * Counts are cached in the lists scope, which every product and
 * inventory write bumps; a count with q is a scan and is cached too.
 */
void
h_products_list(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *qv = req->query_vals;
	struct list_query q = { .nfilters = 0 };
	struct cached count = { .scope = CACHE_SCOPE_LISTS,
	    .ttl = app->cfg->cache_ttl_list };
	const char *category = qv[PL_CATEGORY].s, *text = qv[PL_Q].s;
	char *pattern = NULL, *name;
	struct db_val p[3];
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	q.spec = &product_lists[category != NULL][text != NULL];
	if (category != NULL)
		p[q.nfilters++] = DB_STR(category);
	if (text != NULL) {
		pattern = like_pattern(text);
		p[q.nfilters++] = DB_STR(pattern);
		p[q.nfilters++] = DB_STR(pattern);
	}
	/* Each filter with its length: one name per filter set. */
	name = xasprintf("products?c%zu:%s&q%zu:%s", category != NULL ?
	    strlen(category) + 1 : 0, category != NULL ? category : "",
	    text != NULL ? strlen(text) + 1 : 0, text != NULL ? text : "");
	count.name = name;
	q.filters = p;
	q.page = &pg;
	q.count = &count;
	list_reply(app, req, &q, resp);
	free(name);
	free(pattern);
}

/* GET /api/v1/products/{id}: 200 | 401 | 404 */
void
h_products_get(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = product_fetch(app->db, req->ids[0], &res)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		reply_no_product(resp, req->ids[0]);
	else
		row_reply(resp, 200, res, 0, members_product);
	db_res_free(res);
}

/* POST /api/v1/products: 201 | 400 | 401 | 403 | 422 */
void
h_products_create(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	struct db_res *res = NULL;
	struct db_val p[8];
	uint64_t id;
	enum inv_err rc;

	if (!description_fits_or_422(req, resp))
		return;
	p[0] = DB_STR(b[P_SKU].s);
	p[1] = DB_STR(b[P_NAME].s);
	p[2] = DB_STR_OR_NULL(b[P_DESCRIPTION].s);
	p[3] = DB_STR(b[P_PRICE].s);
	p[4] = DB_STR_OR_NULL(b[P_WEIGHT].s);
	p[5] = DB_STR_OR_NULL(b[P_DIMENSIONS].s);
	p[6] = DB_STR_OR_NULL(b[P_CATEGORY].s);
	p[7] = DB_STR_OR_NULL(b[P_IMAGE_URL].s);
	rc = db_exec(app->db, STMT_PRODUCT_INSERT, p, 8, NULL, NULL, &id);
	/* The product lists' counts are cached in the lists scope. */
	if (rc == INV_OK)
		cache_invalidate(app->cache, 0, 0);
	if (rc == INV_CONFLICT)
		reply_dup_sku(resp, req);
	else if (rc != INV_OK || (rc = product_fetch(app->db, (int64_t)id,
	    &res)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		/* Deleted between the two statements by someone else. */
		reply_no_product(resp, (int64_t)id);
	else
		row_reply(resp, 201, res, 0, members_product);
	db_res_free(res);
}

/* The optional product columns, in the order of STMT_PRODUCT_UPDATE. */
static const int product_optional[] = {
	P_DESCRIPTION, P_WEIGHT, P_DIMENSIONS, P_CATEGORY, P_IMAGE_URL,
};
#define PRODUCT_NOPTIONAL \
	(sizeof(product_optional) / sizeof(product_optional[0]))

/*
 * PUT's transaction: the update, and the product's inventory record
 * looked up under lock, so the cache of that record is invalidated even
 * if it was created concurrently.
 */
static enum inv_err
product_update_tx(struct db *db, void *arg)
{
	struct write *w = arg;
	const struct field_val *b = w->req->body_vals, *v;
	struct db_val p[4 + 2 * PRODUCT_NOPTIONAL];
	uint64_t affected;
	size_t i, n = 0;
	enum inv_err rc;

	write_reset(w);
	w->product_id = w->id;
	p[n++] = DB_STR_OR_NULL(b[P_SKU].s);
	p[n++] = DB_STR_OR_NULL(b[P_NAME].s);
	p[n++] = DB_STR_OR_NULL(b[P_PRICE].s);
	for (i = 0; i < PRODUCT_NOPTIONAL; i++) {
		v = &b[product_optional[i]];
		p[n++] = DB_INT(v->given);
		p[n++] = DB_STR_OR_NULL(v->s);
	}
	p[n++] = DB_INT(w->id);
	rc = db_exec(db, STMT_PRODUCT_UPDATE, p, n, NULL, &affected, NULL);
	if (rc == INV_CONFLICT)
		return write_refuse(w, OUT_DUP_SKU);
	if (rc != INV_OK)
		return rc;
	if (affected == 0)
		return write_refuse(w, OUT_NO_PRODUCT);
	if ((rc = inventory_of_product(db, w->id, &w->inv_id)) != INV_OK)
		return rc;
	return product_fetch(db, w->id, &w->res);
}

/* PUT /api/v1/products/{id}: 200 | 400 | 401 | 403 | 404 | 422 */
void
h_products_update(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct write w = { .req = req, .id = req->ids[0] };
	enum inv_err rc;

	if (!description_fits_or_422(req, resp))
		return;
	rc = db_transaction(app->db, product_update_tx, &w);
	if (rc != INV_OK)
		reply_refused(resp, &w, rc);
	else {
		/* Inventory reads show the product's name and SKU. */
		cache_invalidate(app->cache, w.inv_id, w.product_id);
		if (db_res_rows(w.res) == 0)
			http_reply_500(resp);
		else
			row_reply(resp, 200, w.res, 0,
			    members_product);
	}
	db_res_free(w.res);
}

/*
 * DELETE's transaction: the product row is locked first, which holds off
 * an inventory record being created for it, then its record (if any) is
 * found for the cache and the delete cascades to it. order_items refuse
 * the delete through their foreign key.
 */
static enum inv_err
product_delete_tx(struct db *db, void *arg)
{
	struct write *w = arg;
	struct db_val p = DB_INT(w->id);
	struct db_res *res = NULL;
	size_t rows;
	enum inv_err rc;

	write_reset(w);
	w->product_id = w->id;
	rc = db_exec(db, STMT_PRODUCT_LOCK, &p, 1, &res, NULL, NULL);
	rows = db_res_rows(res);
	db_res_free(res);
	if (rc != INV_OK)
		return rc;
	if (rows == 0)
		return write_refuse(w, OUT_NO_PRODUCT);
	if ((rc = inventory_of_product(db, w->id, &w->inv_id)) != INV_OK)
		return rc;
	rc = db_exec(db, STMT_PRODUCT_DELETE, &p, 1, NULL, NULL, NULL);
	if (rc == INV_CONSTRAINT)
		return write_refuse(w, OUT_HAS_ORDERS);
	return rc;
}

/* DELETE /api/v1/products/{id}: 204 | 401 | 403 | 404 | 409 */
void
h_products_delete(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct write w = { .req = req, .id = req->ids[0] };
	enum inv_err rc;

	rc = db_transaction(app->db, product_delete_tx, &w);
	if (rc != INV_OK)
		reply_refused(resp, &w, rc);
	else {
		cache_invalidate(app->cache, w.inv_id, w.product_id);
		http_reply_json(resp, 204, NULL);
	}
	db_res_free(w.res);
}

/* ---- inventory reads ---- */

/*
 * GET /inventory/{id} (InventoryWithProduct) and GET
 * /inventory/product/{pid} (Inventory), read through the cache.
 */
static void
inventory_read(struct app *app, int64_t id, bool by_product,
    struct http_resp *resp)
{
	struct cached c = { .scope = by_product ? CACHE_SCOPE_PRODUCT :
	    CACHE_SCOPE_ITEM, .id = id, .name = "",
	    .ttl = app->cfg->cache_ttl_item };
	struct db_val p = DB_INT(id);
	struct db_res *res = NULL;
	enum inv_err rc;
	size_t len;
	char *text;

	if (cached_reply(app, &c, false, resp))
		return;
	rc = db_exec(app->db, by_product ? STMT_INV_BY_PRODUCT :
	    STMT_INV_BY_ID, &p, 1, &res, NULL, NULL);
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0 && by_product)
		http_reply_msgf(resp, MSG_NO_INVENTORY_FOR_PRODUCT,
		    MSG_INT(id));
	else if (db_res_rows(res) == 0)
		http_reply_msgf(resp, MSG_NO_INVENTORY_ITEM, MSG_INT(id));
	else {
		text = members_text(res, 0, by_product ? members_inventory :
		    members_inventory_product, &len);
		cached_fill(app, &c, false, text, len, -1, NULL, resp);
	}
	db_res_free(res);
}

/* GET /api/v1/inventory/{id}: 200 | 401 | 404 */
void
h_inventory_get(struct app *app, struct http_req *req, struct http_resp *resp)
{
	inventory_read(app, req->ids[0], false, resp);
}

/* GET /api/v1/inventory/product/{product_id}: 200 | 401 | 404 */
void
h_inventory_by_product(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	inventory_read(app, req->ids[0], true, resp);
}

/* The inventory lists by filters given, [by product][low stock]. */
#define INV_LIST(page, count) { (count), (page), LIST_KEY_ID_ASC, \
	INV_COL_ID, 0, &members_inventory_product }
static const struct list_spec inventory_lists[2][2] = {
	{ INV_LIST(STMT_INV_PAGE, STMT_INV_COUNT),
	  INV_LIST(STMT_INV_PAGE_LOW, STMT_INV_COUNT_LOW) },
	{ INV_LIST(STMT_INV_PAGE_BY_PRODUCT, STMT_INV_COUNT_BY_PRODUCT),
	  INV_LIST(STMT_INV_PAGE_BY_PRODUCT_LOW,
	      STMT_INV_COUNT_BY_PRODUCT_LOW) },
};

/*
 * One page of InventoryWithProduct, read through the cache: product_id
 * 0 is no filter; low keeps the rows that need reordering. Every page
 * and every count is a name in the lists scope, which every write
 * invalidates as a whole.
 */
static void
inventory_page(struct app *app, const struct http_req *req,
    const struct page *pg, int64_t product_id, bool low, bool report,
    struct http_resp *resp)
{
	struct cached reply = { .scope = CACHE_SCOPE_LISTS,
	    .ttl = report ? app->cfg->cache_ttl_low_stock :
	    app->cfg->cache_ttl_list };
	struct cached count = reply;
	struct list_query q = { .page = pg, .reply = &reply, .count = &count };
	struct db_val p;
	char *filters, *page_name;

	q.spec = &inventory_lists[product_id != 0][low];
	if (product_id != 0) {
		p = DB_INT(product_id);
		q.filters = &p;
		q.nfilters = 1;
	}
	filters = xasprintf("%s?product_id=%" PRId64 "&low_stock=%d",
	    report ? "low-stock" : "inventory", product_id, low);
	page_name = list_page_name(req, pg, filters);
	count.name = filters;
	reply.name = page_name;
	list_reply(app, req, &q, resp);
	free(filters);
	free(page_name);
}

/* GET /api/v1/inventory?skip&limit&after&product_id&low_stock: 200 | 401
 * | 422 */
void
h_inventory_list(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *q = req->query_vals;
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	inventory_page(app, req, &pg, q[IL_PRODUCT].i, q[IL_LOW].i != 0, false,
	    resp);
}

/* GET /api/v1/inventory/status/low-stock?skip&limit&after: 200 | 401 |
 * 403 | 422 */
void
h_inventory_low_stock(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct page pg;

	if (paging_or_422(req, resp, &pg))
		inventory_page(app, req, &pg, 0, true, true, resp);
}

static const struct list_spec movement_list = { STMT_MOVEMENT_COUNT,
	STMT_MOVEMENT_LIST, LIST_KEY_ID_DESC, MOVEMENT_COL_ID, 0,
	&members_movement };

/*
 * GET /api/v1/inventory/{id}/movements?skip&limit&after: 200 | 401 | 403
 * | 404 | 422
 * The count is cached in the record's item scope: every movement comes
 * with a change of the record, which bumps it.
 */
void
h_inventory_movements(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct db_val p = DB_INT(req->ids[0]);
	struct cached count = { .scope = CACHE_SCOPE_ITEM, .id = req->ids[0],
	    .name = "movements", .ttl = app->cfg->cache_ttl_list };
	struct list_query q = { .spec = &movement_list, .filters = &p,
	    .nfilters = 1, .count = &count };
	struct db_res *inv = NULL;
	struct page pg;
	enum inv_err rc;

	if (!paging_or_422(req, resp, &pg))
		return;
	q.page = &pg;
	if ((rc = db_exec(app->db, STMT_INV_BY_ID, &p, 1, &inv, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(inv) == 0)
		reply_no_inventory(resp, req->ids[0]);
	else
		list_reply(app, req, &q, resp);
	db_res_free(inv);
}

/* ---- inventory writes ---- */

/* The quantities of an inventory record. */
struct qty {
	int64_t	stock;
	int64_t	reserved;	/* held by orders + manual */
	int64_t	manual;		/* the manual hold */
	int64_t	level;
	int64_t	reorder;
};

/* An integer of the body, or def when absent. */
static int64_t
val_int(const struct field_val *v, int64_t def)
{
	return v->given ? v->i : def;
}

/* The quantities a body gives (its Q__N values from b), each defaulting
 * to the one in def; the manual hold is def's (the caller derives it). */
static struct qty
body_qty(const struct field_val *b, const struct qty *def)
{
	struct qty q;

	q.manual = def->manual;
	q.stock = val_int(&b[Q_STOCK], def->stock);
	q.reserved = val_int(&b[Q_RESERVED], def->reserved);
	q.level = val_int(&b[Q_LEVEL], def->level);
	q.reorder = val_int(&b[Q_REORDER], def->reorder);
	return q;
}

/* Appends the ledger row of a change; user_id is the acting user. */
static enum inv_err
movement_insert(struct db *db, int64_t inv_id, int64_t product_id,
    int64_t d_stock, int64_t d_reserved, const char *reason, int64_t user_id)
{
	struct db_val p[7] = { DB_INT(inv_id), DB_INT(product_id),
	    DB_INT(d_stock), DB_INT(d_reserved), DB_STR_OR_NULL(reason),
	    DB_NULL, DB_INT(user_id) };

	return db_exec(db, STMT_MOVEMENT_INSERT, p, 7, NULL, NULL, NULL);
}

/* Reads record w->inv_id into w->res for the reply. */
static enum inv_err
inventory_reply_row(struct db *db, struct write *w)
{
	struct db_val p = DB_INT(w->inv_id);

	return db_exec(db, STMT_INV_BY_ID, &p, 1, &w->res, NULL, NULL);
}

/* POST's transaction: the product must exist and have no record yet. */
static enum inv_err
inventory_create_tx(struct db *db, void *arg)
{
	static const struct qty defaults = { 0, 0, 0, DEFAULT_REORDER_LEVEL,
	    DEFAULT_REORDER_QUANTITY };
	struct write *w = arg;
	struct qty q = body_qty(&w->req->body_vals[C_QTY], &defaults);
	struct db_val p[5];
	struct db_res *res = NULL;
	uint64_t id;
	size_t rows;
	enum inv_err rc;

	write_reset(w);
	w->product_id = w->id;
	p[0] = DB_INT(w->product_id);
	rc = product_fetch(db, w->product_id, &res);
	rows = db_res_rows(res);
	db_res_free(res);
	if (rc != INV_OK)
		return rc;
	if (rows == 0)
		return write_refuse(w, OUT_NO_PRODUCT);
	p[1] = DB_INT(q.stock);
	p[2] = DB_INT(q.reserved);
	p[3] = DB_INT(q.level);
	p[4] = DB_INT(q.reorder);
	rc = db_exec(db, STMT_INV_INSERT, p, 5, NULL, NULL, &id);
	if (rc == INV_CONFLICT)
		return write_refuse(w, OUT_INV_EXISTS);
	if (rc == INV_CONSTRAINT)	/* the product went meanwhile */
		return write_refuse(w, OUT_NO_PRODUCT);
	if (rc != INV_OK)
		return rc;
	w->inv_id = (int64_t)id;
	if ((q.stock != 0 || q.reserved != 0) &&
	    (rc = movement_insert(db, w->inv_id, w->product_id, q.stock,
	    q.reserved, "Initial stock", w->req->principal.user_id)) != INV_OK)
		return rc;
	return inventory_reply_row(db, w);
}

/*
 * Locks record w->id and reads its quantities into *q; OUT_NO_INVENTORY
 * when there is none.
 */
static enum inv_err
inventory_lock(struct db *db, struct write *w, struct qty *q)
{
	struct db_val p = DB_INT(w->id);
	struct db_res *res = NULL;
	enum inv_err rc;

	write_reset(w);
	rc = db_exec(db, STMT_INV_LOCK, &p, 1, &res, NULL, NULL);
	if (rc == INV_OK && db_res_rows(res) == 0)
		rc = write_refuse(w, OUT_NO_INVENTORY);
	if (rc == INV_OK) {
		w->inv_id = w->id;
		w->product_id = db_res_int(res, 0, INV_LOCK_COL_PRODUCT_ID);
		q->stock = db_res_int(res, 0, INV_LOCK_COL_STOCK);
		q->reserved = db_res_int(res, 0, INV_LOCK_COL_RESERVED);
		q->level = db_res_int(res, 0, INV_LOCK_COL_REORDER_LEVEL);
		q->reorder = db_res_int(res, 0, INV_LOCK_COL_REORDER_QUANTITY);
		q->manual = db_res_int(res, 0, INV_LOCK_COL_MANUAL_HOLD);
	}
	db_res_free(res);
	return rc;
}

/*
 * Writes the locked record's new quantities, its ledger row when stock or
 * reservation changed, and reads it back for the reply. A rise of stock
 * is a restock. The callers have checked the quantities under the lock;
 * should a CHECK constraint still refuse them, the request is refused as
 * refused says, not failed.
 */
static enum inv_err
inventory_write(struct db *db, struct write *w, const struct qty *old,
    const struct qty *new, const char *reason, enum outcome refused)
{
	struct db_val p[7] = { DB_INT(new->stock), DB_INT(new->reserved),
	    DB_INT(new->manual), DB_INT(new->level), DB_INT(new->reorder),
	    DB_INT(new->stock > old->stock), DB_INT(w->inv_id) };
	enum inv_err rc;

	rc = db_exec(db, STMT_INV_UPDATE, p, 7, NULL, NULL, NULL);
	if (rc == INV_CONSTRAINT) {
		log_warn("inventory %" PRId64 ": CHECK refused a change that "
		    "passed our checks", w->inv_id);
		return write_refuse(w, refused);
	}
	if (rc != INV_OK)
		return rc;
	if ((new->stock != old->stock || new->reserved != old->reserved) &&
	    (rc = movement_insert(db, w->inv_id, w->product_id,
	    new->stock - old->stock, new->reserved - old->reserved, reason,
	    w->req->principal.user_id)) != INV_OK)
		return rc;
	return inventory_reply_row(db, w);
}

/*
 * PUT's transaction: the given quantities replace those under the lock.
 * quantity_reserved may go anywhere from what orders hold up to the
 * stock; the rest of it is the manual hold. Every order's reserve,
 * release and deduct updates this row, so under its lock reserved minus
 * the manual hold is exactly what orders hold, and stays so until the
 * commit.
 */
static enum inv_err
inventory_update_tx(struct db *db, void *arg)
{
	struct write *w = arg;
	struct qty old, new;
	enum inv_err rc;

	if ((rc = inventory_lock(db, w, &old)) != INV_OK)
		return rc;
	new = body_qty(w->req->body_vals, &old);
	if (new.reserved > new.stock)
		return write_refuse(w, OUT_RESERVED_GT_STOCK);
	w->held = old.reserved - old.manual;
	if (new.reserved < w->held)
		return write_refuse(w, OUT_RESERVED_LT_HELD);
	new.manual = new.reserved - w->held;
	return inventory_write(db, w, &old, &new, "Inventory update",
	    OUT_RESERVED_GT_STOCK);
}

/* The inventory.adjusted event of w's adjust, in its transaction (the
 * outbox, schema/008_outbox.sql), so that it commits with the change. */
static enum inv_err
adjusted_event(struct db *db, const struct write *w)
{
	struct db_val p[3] = { DB_INT(w->req->body_vals[A_QUANTITY].i),
	    DB_STR_OR_NULL(w->req->body_vals[A_REASON].s),
	    DB_INT(w->inv_id) };

	return db_exec(db, STMT_EVENT_INV_ADJUSTED, p, 3, NULL, NULL, NULL);
}

/* The adjust's transaction: stock moves by quantity under the lock. */
static enum inv_err
inventory_adjust_tx(struct db *db, void *arg)
{
	struct write *w = arg;
	struct qty old, new;
	enum inv_err rc;

	if ((rc = inventory_lock(db, w, &old)) != INV_OK)
		return rc;
	new = old;
	new.stock += w->req->body_vals[A_QUANTITY].i;
	if (new.stock < 0)
		return write_refuse(w, OUT_BELOW_ZERO);
	if (new.stock < new.reserved)
		return write_refuse(w, OUT_BELOW_RESERVED);
	if (new.stock > QTY_MAX)
		return write_refuse(w, OUT_ABOVE_MAX);
	if ((rc = inventory_write(db, w, &old, &new,
	    w->req->body_vals[A_REASON].s, OUT_BELOW_RESERVED)) != INV_OK)
		return rc;
	return adjusted_event(db, w);
}

/*
 * Runs an inventory write and replies: status with the Inventory on
 * success, after invalidating the cache of what changed.
 */
static void
inventory_write_reply(struct app *app, struct write *w, db_tx_fn fn,
    int status, struct http_resp *resp)
{
	enum inv_err rc = db_transaction(app->db, fn, w);

	if (rc != INV_OK)
		reply_refused(resp, w, rc);
	else {
		cache_invalidate(app->cache, w->inv_id, w->product_id);
		if (db_res_rows(w->res) == 0)
			http_reply_500(resp);
		else
			row_reply(resp, status, w->res, 0, members_inventory);
	}
	db_res_free(w->res);
	w->res = NULL;
}

/* POST /api/v1/inventory: 201 | 400 | 401 | 403 | 404 | 422 */
void
h_inventory_create(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	const struct field_val *q = &req->body_vals[C_QTY];
	struct write w = { .req = req };

	if (val_int(&q[Q_RESERVED], 0) > q[Q_STOCK].i) {
		reply_reserved_gt_stock(resp);
		return;
	}
	w.id = req->body_vals[C_PRODUCT].i;
	inventory_write_reply(app, &w, inventory_create_tx, 201, resp);
}

/* PUT /api/v1/inventory/{id}: 200 | 401 | 403 | 404 | 422 */
void
h_inventory_update(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct write w = { .req = req, .id = req->ids[0] };

	inventory_write_reply(app, &w, inventory_update_tx, 200, resp);
}

/* POST /api/v1/inventory/{id}/adjust: 200 | 400 | 401 | 403 | 404 | 422 */
void
h_inventory_adjust(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	struct write w = { .req = req, .id = req->ids[0] };

	if (req->body_vals[A_QUANTITY].i == 0) {
		reply_422_field(resp, "quantity", MSG_ADJUST_ZERO, NULL, 0);
		return;
	}
	inventory_write_reply(app, &w, inventory_adjust_tx, 200, resp);
}
