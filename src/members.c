/*
 * members.c: the member tables of the API's objects and the one writer
 * of rows as JSON (members.h).
 */
#include <stdbool.h>

#include "members.h"

static const struct member user_m[] = {
	{ "id", USER_COL_ID, MEMBER_INT },
	{ "email", USER_COL_EMAIL, MEMBER_STR },
	{ "full_name", USER_COL_FULL_NAME, MEMBER_STR },
	{ "is_active", USER_COL_IS_ACTIVE, MEMBER_BOOL },
	{ "is_admin", USER_COL_IS_ADMIN, MEMBER_BOOL },
	{ "created_at", USER_COL_CREATED_AT, MEMBER_STR },
};
const struct members members_user = MEMBERS(user_m);

/* Money goes out as the exact DECIMAL text; times come formatted. */
static const struct member product_m[] = {
	{ "id", PRODUCT_COL_ID, MEMBER_INT },
	{ "sku", PRODUCT_COL_SKU, MEMBER_STR },
	{ "name", PRODUCT_COL_NAME, MEMBER_STR },
	{ "description", PRODUCT_COL_DESCRIPTION, MEMBER_STR },
	{ "price", PRODUCT_COL_PRICE, MEMBER_DECIMAL },
	{ "weight", PRODUCT_COL_WEIGHT, MEMBER_DECIMAL },
	{ "dimensions", PRODUCT_COL_DIMENSIONS, MEMBER_STR },
	{ "category", PRODUCT_COL_CATEGORY, MEMBER_STR },
	{ "image_url", PRODUCT_COL_IMAGE_URL, MEMBER_STR },
	{ "created_at", PRODUCT_COL_CREATED_AT, MEMBER_STR },
	{ "updated_at", PRODUCT_COL_UPDATED_AT, MEMBER_STR },
};
const struct members members_product = MEMBERS(product_m);

/* Inventory, then InventoryWithProduct's product name and SKU: one
 * table, of which Inventory is the first part. */
static const struct member inventory_m[] = {
	{ "id", INV_COL_ID, MEMBER_INT },
	{ "product_id", INV_COL_PRODUCT_ID, MEMBER_INT },
	{ "quantity_in_stock", INV_COL_STOCK, MEMBER_INT },
	{ "quantity_reserved", INV_COL_RESERVED, MEMBER_INT },
	{ "reorder_level", INV_COL_REORDER_LEVEL, MEMBER_INT },
	{ "reorder_quantity", INV_COL_REORDER_QUANTITY, MEMBER_INT },
	{ "last_restock_date", INV_COL_LAST_RESTOCK, MEMBER_STR },
	{ "last_stock_count_date", INV_COL_LAST_COUNT, MEMBER_STR },
	{ "created_at", INV_COL_CREATED_AT, MEMBER_STR },
	{ "updated_at", INV_COL_UPDATED_AT, MEMBER_STR },
	{ "available_quantity", INV_COL_AVAILABLE, MEMBER_INT },
	{ "needs_reorder", INV_COL_NEEDS_REORDER, MEMBER_BOOL },
	{ "product_name", INV_COL_PRODUCT_NAME, MEMBER_STR },
	{ "product_sku", INV_COL_PRODUCT_SKU, MEMBER_STR },
};
const struct members members_inventory = { inventory_m,
	NMEMBERS(inventory_m) - 2 };
const struct members members_inventory_product = MEMBERS(inventory_m);

static const struct member movement_m[] = {
	{ "id", MOVEMENT_COL_ID, MEMBER_INT },
	{ "inventory_id", MOVEMENT_COL_INVENTORY_ID, MEMBER_INT },
	{ "product_id", MOVEMENT_COL_PRODUCT_ID, MEMBER_INT },
	{ "change_in_stock", MOVEMENT_COL_CHANGE_IN_STOCK, MEMBER_INT },
	{ "change_reserved", MOVEMENT_COL_CHANGE_RESERVED, MEMBER_INT },
	{ "reason", MOVEMENT_COL_REASON, MEMBER_STR },
	{ "order_id", MOVEMENT_COL_ORDER_ID, MEMBER_INT },
	{ "user_id", MOVEMENT_COL_USER_ID, MEMBER_INT },
	{ "created_at", MOVEMENT_COL_CREATED_AT, MEMBER_STR },
};
const struct members members_movement = MEMBERS(movement_m);

static const struct member reorder_m[] = {
	{ "id", REORDER_COL_ID, MEMBER_INT },
	{ "inventory_id", REORDER_COL_INVENTORY_ID, MEMBER_INT },
	{ "product_id", REORDER_COL_PRODUCT_ID, MEMBER_INT },
	{ "available", REORDER_COL_AVAILABLE, MEMBER_INT },
	{ "reorder_level", REORDER_COL_REORDER_LEVEL, MEMBER_INT },
	{ "suggested_quantity", REORDER_COL_SUGGESTED, MEMBER_INT },
	{ "status", REORDER_COL_STATUS, MEMBER_STR },
	{ "created_at", REORDER_COL_CREATED_AT, MEMBER_STR },
	{ "updated_at", REORDER_COL_UPDATED_AT, MEMBER_STR },
	{ "closed_at", REORDER_COL_CLOSED_AT, MEMBER_STR },
};
const struct members members_reorder = MEMBERS(reorder_m);

/* Order's members, then OrderWithUser's. */
static const struct member order_m[] = {
	{ "id", ORDER_COL_ID, MEMBER_INT },
	{ "order_number", ORDER_COL_NUMBER, MEMBER_STR },
	{ "user_id", ORDER_COL_USER_ID, MEMBER_INT },
	{ "status", ORDER_COL_STATUS, MEMBER_STR },
	{ "total_amount", ORDER_COL_TOTAL, MEMBER_DECIMAL },
	{ "shipping_address", ORDER_COL_ADDRESS, MEMBER_STR },
	{ "shipping_method", ORDER_COL_METHOD, MEMBER_STR },
	{ "tracking_number", ORDER_COL_TRACKING, MEMBER_STR },
	{ "notes", ORDER_COL_NOTES, MEMBER_STR },
	{ "created_at", ORDER_COL_CREATED_AT, MEMBER_TIME },
	{ "updated_at", ORDER_COL_UPDATED_AT, MEMBER_TIME },
};
const struct members members_order = MEMBERS(order_m);
static const struct member order_user_m[] = {
	{ "user_email", ORDER_COL_USER_EMAIL, MEMBER_STR },
	{ "user_full_name", ORDER_COL_USER_NAME, MEMBER_STR },
};
const struct members members_order_user = MEMBERS(order_user_m);

/* An item's members, then the admin's product name and SKU. */
static const struct member item_m[] = {
	{ "id", ORDER_ITEM_COL_ID, MEMBER_INT },
	{ "order_id", ORDER_ITEM_COL_ORDER_ID, MEMBER_INT },
	{ "product_id", ORDER_ITEM_COL_PRODUCT_ID, MEMBER_INT },
	{ "quantity", ORDER_ITEM_COL_QUANTITY, MEMBER_INT },
	{ "unit_price", ORDER_ITEM_COL_UNIT_PRICE, MEMBER_DECIMAL },
	{ "created_at", ORDER_ITEM_COL_CREATED_AT, MEMBER_TIME },
};
const struct members members_item = MEMBERS(item_m);
static const struct member item_product_m[] = {
	{ "product_name", ORDER_ITEM_COL_PRODUCT_NAME, MEMBER_STR },
	{ "product_sku", ORDER_ITEM_COL_PRODUCT_SKU, MEMBER_STR },
};
const struct members members_item_product = MEMBERS(item_product_m);

/* A webhook, then its secret: one table, of which the first part is
 * what every answer but creation and rotation shows. */
static const struct member webhook_m[] = {
	{ "id", WEBHOOK_COL_ID, MEMBER_INT },
	{ "url", WEBHOOK_COL_URL, MEMBER_STR },
	{ "events", WEBHOOK_COL_EVENTS, MEMBER_JSON },
	{ "description", WEBHOOK_COL_DESCRIPTION, MEMBER_STR },
	{ "is_active", WEBHOOK_COL_IS_ACTIVE, MEMBER_BOOL },
	{ "created_at", WEBHOOK_COL_CREATED_AT, MEMBER_STR },
	{ "updated_at", WEBHOOK_COL_UPDATED_AT, MEMBER_STR },
	{ "secret", WEBHOOK_COL_SECRET, MEMBER_STR },
};
const struct members members_webhook = { webhook_m, NMEMBERS(webhook_m) - 1 };
const struct members members_webhook_secret = MEMBERS(webhook_m);

static const struct member wh_delivery_m[] = {
	{ "id", WH_DELIVERY_COL_ID, MEMBER_INT },
	{ "webhook_id", WH_DELIVERY_COL_WEBHOOK_ID, MEMBER_INT },
	{ "event_id", WH_DELIVERY_COL_EVENT_ID, MEMBER_INT },
	{ "event_type", WH_DELIVERY_COL_EVENT_TYPE, MEMBER_STR },
	{ "status", WH_DELIVERY_COL_STATUS, MEMBER_STR },
	{ "attempts", WH_DELIVERY_COL_ATTEMPTS, MEMBER_INT },
	{ "next_attempt_at", WH_DELIVERY_COL_NEXT_ATTEMPT_AT, MEMBER_STR },
	{ "last_attempt_at", WH_DELIVERY_COL_LAST_ATTEMPT_AT, MEMBER_STR },
	{ "last_status_code", WH_DELIVERY_COL_LAST_STATUS_CODE, MEMBER_INT },
	{ "last_duration_ms", WH_DELIVERY_COL_LAST_DURATION_MS, MEMBER_INT },
	{ "last_error", WH_DELIVERY_COL_LAST_ERROR, MEMBER_STR },
	{ "delivered_at", WH_DELIVERY_COL_DELIVERED_AT, MEMBER_STR },
	{ "created_at", WH_DELIVERY_COL_CREATED_AT, MEMBER_STR },
};
const struct members members_wh_delivery = MEMBERS(wh_delivery_m);

void
members_write(struct json_writer *w, const struct db_res *res, size_t row,
    const struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		jw_key(w, m[i].name);
		switch (m[i].kind) {
		case MEMBER_INT:
			if (db_res_isnull(res, row, m[i].col))
				jw_null(w);
			else
				jw_int(w, db_res_int(res, row, m[i].col));
			break;
		case MEMBER_BOOL:
			jw_bool(w, db_res_bool(res, row, m[i].col));
			break;
		case MEMBER_DECIMAL:
			jw_decimal(w, db_res_str(res, row, m[i].col));
			break;
		case MEMBER_TIME:
			jw_utc_datetime(w, db_res_str(res, row, m[i].col));
			break;
		case MEMBER_JSON:
			jw_json(w, db_res_str(res, row, m[i].col));
			break;
		case MEMBER_STR:
		default:
			jw_str(w, db_res_str(res, row, m[i].col));
			break;
		}
	}
}

char *
members_text(const struct db_res *res, size_t row, struct members ms,
    size_t *len)
{
	struct json_writer w;

	jw_init(&w);
	jw_begin_object(&w);
	members_write(&w, res, row, ms.m, ms.n);
	jw_end_object(&w);
	return jw_take(&w, len);
}
