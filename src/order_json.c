/*
 * order_json.c: the Order JSON as the API shows it (order_json.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "json.h"
#include "members.h"
#include "order_json.h"

/* First row of items (sorted by order id) with order id >= id. */
static size_t
items_lower_bound(const struct db_res *items, int64_t id)
{
	size_t lo = 0, hi = db_res_rows(items), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (db_res_int(items, mid, ORDER_ITEM_COL_ORDER_ID) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
order_json_write(struct json_writer *w, const struct db_res *orders, size_t row,
    const struct db_res *items, bool with_user)
{
	int64_t id = db_res_int(orders, row, ORDER_COL_ID);
	size_t i;

	jw_begin_object(w);
	members_write(w, orders, row, members_order.m, members_order.n);
	if (with_user)
		members_write(w, orders, row, members_order_user.m,
		    members_order_user.n);
	jw_key(w, "items");
	jw_begin_array(w);
	for (i = items_lower_bound(items, id); i < db_res_rows(items) &&
	    db_res_int(items, i, ORDER_ITEM_COL_ORDER_ID) == id; i++) {
		jw_begin_object(w);
		members_write(w, items, i, members_item.m, members_item.n);
		if (with_user)
			members_write(w, items, i, members_item_product.m,
			    members_item_product.n);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_end_object(w);
}

enum inv_err
order_json_items(struct db *db, const struct db_res *orders, bool with_products,
    struct db_res **items)
{
	struct buf ids;
	struct db_val p;
	enum inv_err rc;
	size_t i;

	*items = NULL;
	if (db_res_rows(orders) == 0)
		return INV_OK;
	buf_init(&ids);
	buf_puts(&ids, "[");
	for (i = 0; i < db_res_rows(orders); i++)
		buf_printf(&ids, "%s%" PRId64, i > 0 ? "," : "",
		    db_res_int(orders, i, ORDER_COL_ID));
	buf_puts(&ids, "]");
	p = DB_STR(ids.data);
	rc = db_exec(db, with_products ? STMT_ORDER_ITEMS_OF :
	    STMT_ORDER_ITEMS_PLAIN_OF, &p, 1, items, NULL, NULL);
	buf_free(&ids);
	/* By order, each order's items in the order they were added. */
	db_res_sort(*items, ORDER_ITEM_COL_ORDER_ID, ORDER_ITEM_COL_ID);
	return rc;
}

enum inv_err
order_json_of(struct db *db, const struct db_res *orders, bool with_user,
    char **text, size_t *len)
{
	struct db_res *items = NULL;
	struct json_writer w;
	enum inv_err rc;

	*text = NULL;
	*len = 0;
	if (db_res_rows(orders) == 0)
		return INV_OK;
	if ((rc = order_json_items(db, orders, with_user, &items)) == INV_OK) {
		jw_init(&w);
		order_json_write(&w, orders, 0, items, with_user);
		*text = jw_take(&w, len);
	}
	db_res_free(items);
	return rc;
}

enum inv_err
order_json_text(struct db *db, int64_t id, bool with_user, char **text,
    size_t *len)
{
	struct db_res *orders = NULL;
	struct db_val p = DB_INT(id);
	enum inv_err rc;

	*text = NULL;
	*len = 0;
	if ((rc = db_exec(db, STMT_ORDER_BY_ID, &p, 1, &orders, NULL,
	    NULL)) == INV_OK)
		rc = order_json_of(db, orders, with_user, text, len);
	db_res_free(orders);
	return rc;
}
