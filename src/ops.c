/*
 * ops.c: the operational endpoints outside /api/v1.
 */
#include "app.h"
#include "cache.h"
#include "db.h"
#include "handlers.h"

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
