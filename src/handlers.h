/*
 * handlers.h: every route handler, body spec and query spec, as named by
 * the route table in router.c. Each module (users.c, ops.c, ...) defines
 * its own. The router includes this list; a handler never includes the
 * router: what handlers share with the dispatcher lives below both
 * (caller.h, paging.h, validate.h, http.h).
 */
#ifndef INV_HANDLERS_H
#define INV_HANDLERS_H

#include "http.h"
#include "validate.h"

struct app;

/* ops.c */
void h_root(struct app *, struct http_req *, struct http_resp *);
void h_healthz(struct app *, struct http_req *, struct http_resp *);
void h_metrics(struct app *, struct http_req *, struct http_resp *);

/* users.c */
extern const struct body_spec spec_register;
extern const struct body_spec spec_login;
extern const struct body_spec spec_refresh;
extern const struct body_spec spec_user_patch;
void h_auth_register(struct app *, struct http_req *, struct http_resp *);
void h_auth_login(struct app *, struct http_req *, struct http_resp *);
void h_auth_refresh(struct app *, struct http_req *, struct http_resp *);
void h_auth_logout(struct app *, struct http_req *, struct http_resp *);
void h_users_me(struct app *, struct http_req *, struct http_resp *);
void h_users_list(struct app *, struct http_req *, struct http_resp *);
void h_users_patch(struct app *, struct http_req *, struct http_resp *);

/* inventory.c: products and inventory */
extern const struct body_spec spec_product_create;
extern const struct body_spec spec_product_update;
extern const struct body_spec spec_inventory_create;
extern const struct body_spec spec_inventory_update;
extern const struct body_spec spec_inventory_adjust;
extern const struct body_spec query_products_list;
extern const struct body_spec query_inventory_list;
void h_products_list(struct app *, struct http_req *, struct http_resp *);
void h_products_get(struct app *, struct http_req *, struct http_resp *);
void h_products_create(struct app *, struct http_req *, struct http_resp *);
void h_products_update(struct app *, struct http_req *, struct http_resp *);
void h_products_delete(struct app *, struct http_req *, struct http_resp *);
void h_inventory_list(struct app *, struct http_req *, struct http_resp *);
void h_inventory_get(struct app *, struct http_req *, struct http_resp *);
void h_inventory_by_product(struct app *, struct http_req *,
    struct http_resp *);
void h_inventory_create(struct app *, struct http_req *, struct http_resp *);
void h_inventory_update(struct app *, struct http_req *, struct http_resp *);
void h_inventory_adjust(struct app *, struct http_req *, struct http_resp *);
void h_inventory_movements(struct app *, struct http_req *,
    struct http_resp *);
void h_inventory_low_stock(struct app *, struct http_req *,
    struct http_resp *);

/* orders.c */
extern const struct body_spec spec_order_create;
extern const struct body_spec spec_order_update;
extern const struct body_spec query_orders_list;
extern const struct body_spec query_orders_admin_list;
void h_orders_create(struct app *, struct http_req *, struct http_resp *);
void h_orders_list(struct app *, struct http_req *, struct http_resp *);
void h_orders_admin_list(struct app *, struct http_req *, struct http_resp *);
void h_orders_get(struct app *, struct http_req *, struct http_resp *);
void h_orders_update(struct app *, struct http_req *, struct http_resp *);
void h_orders_cancel(struct app *, struct http_req *, struct http_resp *);

#endif
