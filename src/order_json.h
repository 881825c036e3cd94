/*
 * order_json.h: the Order JSON as the API shows it (doc/openapi.json's
 * Order and OrderWithUser, with their items), for the orders API and the
 * worker's fulfilment POST alike; below the request layer.
 */
#ifndef INV_ORDER_JSON_H
#define INV_ORDER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct db;
struct db_res;
struct json_writer;

/*
 * Writes the Order of row `row` of orders (ORDER_COLS) with its items
 * found in items (ORDER_ITEM_COLS sorted by order, may be NULL).
 * with_user makes the admin's OrderWithUser: the owner's email and name,
 * and each item's product name and SKU. Everything borrowed.
 */
void order_json_write(struct json_writer *, const struct db_res *orders,
    size_t row, const struct db_res *items, bool with_user);

/* The items of every order in orders (borrowed; new in *items), in one
 * query whatever the number of orders, sorted by order; with their
 * product's name and SKU when with_products (the admin's view). */
enum inv_err order_json_items(struct db *, const struct db_res *orders,
    bool with_products, struct db_res **items);

/* Row 0 of orders with its items as JSON text (new in *text, its length
 * in *len; NULL when orders has no row). */
enum inv_err order_json_of(struct db *, const struct db_res *orders,
    bool with_user, char **text, size_t *len);

/* The same for order id, read now (*text NULL: no such order). */
enum inv_err order_json_text(struct db *, int64_t id, bool with_user,
    char **text, size_t *len);

#endif
