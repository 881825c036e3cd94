/*
 * ops.c: the operational endpoints outside /api/v1.
 */
#include "app.h"
#include "util.h"
#include "cache.h"
#include "db.h"
#include "handlers.h"
#include "metrics.h"

/* GET /: 200 */
void
h_root(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct json_object *o = json_object_new_object();

	(void)app;
	(void)req;
	json_object_object_add(o, "message",
	    json_object_new_string("Inventory Management API"));
	http_reply_json(resp, 200, o);
}

/*
 * GET /healthz: 200 | 503. The database is required; Redis only speeds
 * things up, so without it the service is "degraded" but still 200.
 */
void
h_healthz(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct json_object *o = json_object_new_object();
	bool db_ok = db_ping(app->db) == INV_OK;
	bool redis_ok = cache_ping(app->cache) == INV_OK;

	(void)req;
	json_object_object_add(o, "status", json_object_new_string(
	    !db_ok ? "unavailable" : redis_ok ? "ok" : "degraded"));
	json_object_object_add(o, "database",
	    json_object_new_string(db_ok ? "ok" : "unavailable"));
	json_object_object_add(o, "redis",
	    json_object_new_string(redis_ok ? "ok" : "unavailable"));
	http_reply_json(resp, db_ok ? 200 : 503, o);
}

/* GET /metrics: 200, Prometheus text format 0.0.4 */
void
h_metrics(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct buf b;

	(void)app;
	(void)req;
	buf_init(&b);
	metrics_render(&b);
	http_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    &b);
}
