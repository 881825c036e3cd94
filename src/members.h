/*
 * members.h: JSON of database rows, declared as member tables. A table
 * names each member, the result column it comes from and how it is
 * written; members_write() streams a row through json.h's writer. Every
 * reply made of rows (users, products, inventory, movements, orders)
 * goes this one way, which gives the same bytes json-c would and costs
 * no object per value.
 */
#ifndef INV_MEMBERS_H
#define INV_MEMBERS_H

#include <stddef.h>

#include "db.h"
#include "json.h"

/* A column of a result and the member it is written as. */
struct member {
	const char	*name;
	size_t		 col;
	enum member_kind {
		MEMBER_INT = 0,	/* null for SQL NULL */
		MEMBER_STR,	/* null for SQL NULL */
		MEMBER_BOOL,	/* true for a non-zero integer */
		MEMBER_DECIMAL,	/* DECIMAL text, written as a number */
		MEMBER_TIME,	/* DATETIME text, written in API form */
		MEMBER_JSON,	/* JSON text this program stored (an array
				   of names), written as it is */
		MEMBER__MAX
	}		 kind;
};

#define NMEMBERS(a)	(sizeof(a) / sizeof((a)[0]))

/* A table and its length, for callers that pick one of several. */
struct members {
	const struct member	*m;
	size_t			 n;
};
#define MEMBERS(a)	((struct members){ (a), NMEMBERS(a) })

/* Writes the members m[0..n) of row `row` of res into the open object. */
void members_write(struct json_writer *, const struct db_res *, size_t row,
    const struct member *m, size_t n);

/* Row `row` of res as one object of members ms: new text (free()), its
 * length in *len. */
char *members_text(const struct db_res *, size_t row, struct members ms,
    size_t *len);

/* The tables of the API's objects (doc/openapi.json's member order). */
extern const struct members members_user;	/* USER_COLS */
extern const struct members members_product;	/* PRODUCT_COLS */
extern const struct members members_inventory;	/* INV_COLS: Inventory */
extern const struct members members_inventory_product; /* INV_COLS:
					   InventoryWithProduct */
extern const struct members members_movement;	/* MOVEMENT_COLS */
extern const struct members members_reorder;	/* REORDER_COLS */
extern const struct members members_order;	/* ORDER_COLS: Order */
extern const struct members members_order_user;	/* OrderWithUser's own */
extern const struct members members_item;	/* ORDER_ITEM_COLS */
extern const struct members members_item_product; /* the admin's own */
extern const struct members members_webhook;	/* WEBHOOK_COLS but the
					   secret */
extern const struct members members_webhook_secret; /* the same and the
					   secret: creation and rotation */
extern const struct members members_wh_delivery; /* WH_DELIVERY_COLS */

#endif
