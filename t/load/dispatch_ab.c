/*
 * dispatch_ab.c: an A/B driver of the dispatcher, for a change that must
 * not make request handling slower: N requests of one kind through
 * router_dispatch in one process, against the database and Redis of
 * INVENTORY_CONFIG. Built once against each tree's library, the two
 * programs are run in turn (A B A B ...), each run timed from outside
 * (/usr/bin/time -f %U+%S), and the ratio taken pair by pair, so the
 * drift of a shared machine cancels out:
 *
 *	cc -D_GNU_SOURCE -O2 -Isrc -Ibuild -I/usr/include/json-c \
 *	    t/load/dispatch_ab.c build/src/libinventory.a -lmariadb \
 *	    -lhiredis -ljson-c -ljwt -lcrypto -lcrypt -lm -o dispatch_new
 *	(the same in the other tree: dispatch_old)
 *	INVENTORY_CONFIG=run/inventory.conf ./dispatch_new prepare 200 0 ADMIN_ID
 *	INVENTORY_CONFIG=run/inventory.conf ./dispatch_new KIND N STATUS [USER_ID]
 *
 * KIND: refused (POST /orders refused by validation, 422), products
 * (GET /products?limit=50, uncached), inventory (GET /inventory?limit=50,
 * cached), orders (GET /orders?status=pending&limit=20), order (POST
 * /orders of products 1 and 2, one unit each, 201: give them the stock;
 * for a change of the database rather than of the program, one program
 * run in turn against the two schemas, timed by the clock, %e, since
 * MariaDB does that work). STATUS is the
 * status every reply must have. prepare adds 200 products with stock,
 * through the API, as the admin ADMIN_ID. doc/BENCHMARKS.md has results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "router.h"

static struct app app;
static struct config cfg;

/* One request through the dispatcher: its status. */
static int
request(const char *method, const char *path, const char *tok,
    const char *body)
{
	struct http_req r;
	struct http_resp resp;
	const char *q = strchr(path, '?');
	int st;

	http_req_init(&r);
	http_resp_init(&resp);
	r.method = http_method_parse(method);
	r.path = q != NULL ? xstrndup(path, (size_t)(q - path)) :
	    xstrdup(path);
	r.query = q != NULL ? xstrdup(q + 1) : NULL;
	r.content_type = body != NULL ? xstrdup("application/json") : NULL;
	r.authorization = xasprintf("Bearer %s", tok);
	r.request_id = xstrdup("bench");
	if (body != NULL) {
		r.body = xstrdup(body);
		r.body_len = strlen(body);
	}
	http_req_finish(&r);
	router_dispatch(&app, &r, &resp);
	st = resp.status;
	http_req_free(&r);
	http_resp_free(&resp);
	return st;
}

/* The 200 products with stock the reads page through. */
static int
prepare(const char *tok, int n)
{
	char body[256];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"sku\":\"AB-%d\",\"name\":"
		    "\"A/B %d\",\"price\":9.99}", i, i);
		if (request("POST", "/api/v1/products", tok, body) != 201)
			return 1;
		snprintf(body, sizeof(body), "{\"product_id\":%d,"
		    "\"quantity_in_stock\":100}", i + 1);
		request("POST", "/api/v1/inventory", tok, body);
	}
	return 0;
}

static const struct {
	const char	*kind;
	const char	*method;
	const char	*path;
	const char	*body;
} kinds[] = {
	{ "refused", "POST", "/api/v1/orders",
	    "{\"shipping_address\":\"\",\"items\":[]}" },
	{ "products", "GET", "/api/v1/products?limit=50&skip=10", NULL },
	{ "inventory", "GET", "/api/v1/inventory?limit=50&low_stock=false",
	    NULL },
	{ "orders", "GET", "/api/v1/orders?status=pending&limit=20", NULL },
	{ "order", "POST", "/api/v1/orders",
	    "{\"shipping_address\":\"a\",\"items\":[{\"product_id\":1,"
	    "\"quantity\":1},{\"product_id\":2,\"quantity\":1}]}" },
};

int
main(int argc, char **argv)
{
	char *tok = NULL;
	int i, n, want;
	size_t k;

	if (argc < 4) {
		fprintf(stderr, "usage: dispatch_ab KIND N STATUS [USER_ID]\n");
		return 2;
	}
	n = atoi(argv[2]);
	want = atoi(argv[3]);
	if (!config_startup(&cfg, NULL, "dispatch_ab") ||
	    db_open(&app.db, &cfg) != INV_OK ||
	    cache_open(&app.cache, &cfg) != INV_OK)
		return 2;
	app.cfg = &cfg;
	app.tokens = token_memo_new(&cfg);
	if (auth_token_issue(&cfg, TOKEN_ACCESS, argc > 4 ? atol(argv[4]) : 7,
	    true, 0, "0123456789abcdef0123456789abcdef", time(NULL), &tok) !=
	    INV_OK)
		return 2;
	if (strcmp(argv[1], "prepare") == 0)
		return prepare(tok, n);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kinds[k].kind, argv[1]) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(stderr, "dispatch_ab: unknown kind %s\n", argv[1]);
		return 2;
	}
	for (i = 0; i < n; i++)
		if (request(kinds[k].method, kinds[k].path, tok,
		    kinds[k].body) != want) {
			fprintf(stderr, "dispatch_ab: %s: not %d\n", argv[1],
			    want);
			return 1;
		}
	free(tok);
	return 0;
}
