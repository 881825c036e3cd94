/*
 * ops.c: the operational endpoints outside /api/v1.
 */
#include <time.h>

#include "app.h"
#include "util.h"
#include "cache.h"
#include "db.h"
#include "handlers.h"
#include "metrics.h"
#include "queue.h"

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

/* Queue gauges, read from Redis at scrape time (one round trip). */
static void
render_queue(struct app *app, struct buf *b)
{
	struct queue_stats qs;
	bool up = app->queue != NULL &&
	    queue_get_stats(app->queue, &qs) == INV_OK;
	int i;

	buf_printf(b, "# HELP inventory_queue_up Whether the queue's Redis "
	    "answered this scrape.\n# TYPE inventory_queue_up gauge\n"
	    "inventory_queue_up %d\n", up);
	if (!up)
		return;
	buf_puts(b, "# HELP inventory_queue_depth Jobs waiting, by queue.\n"
	    "# TYPE inventory_queue_depth gauge\n");
	for (i = 0; i < QUEUE__MAX; i++)
		buf_printf(b, "inventory_queue_depth{queue=\"%s\"} %lld\n",
		    queue_prio_name((enum queue_prio)i),
		    (long long)qs.depth[i]);
	buf_printf(b, "# HELP inventory_queue_inflight Jobs claimed by a "
	    "worker and not yet done.\n# TYPE inventory_queue_inflight gauge\n"
	    "inventory_queue_inflight %lld\n"
	    "# HELP inventory_queue_scheduled_retries Failed jobs waiting for "
	    "their retry time.\n"
	    "# TYPE inventory_queue_scheduled_retries gauge\n"
	    "inventory_queue_scheduled_retries %lld\n"
	    "# HELP inventory_queue_dead_letters Jobs that used up their "
	    "tries.\n# TYPE inventory_queue_dead_letters gauge\n"
	    "inventory_queue_dead_letters %lld\n", (long long)qs.inflight,
	    (long long)qs.scheduled, (long long)qs.dead);
	buf_printf(b, "# HELP inventory_queue_workers Workers known to the "
	    "queue (running, or gone and not yet recovered).\n"
	    "# TYPE inventory_queue_workers gauge\n"
	    "inventory_queue_workers %lld\n"
	    "# HELP inventory_queue_workers_alive Workers with a live "
	    "heartbeat.\n# TYPE inventory_queue_workers_alive gauge\n"
	    "inventory_queue_workers_alive %lld\n"
	    "# HELP inventory_queue_oldest_job_age_seconds How long the "
	    "oldest waiting job has been queued; 0 when none waits.\n"
	    "# TYPE inventory_queue_oldest_job_age_seconds gauge\n"
	    "inventory_queue_oldest_job_age_seconds %lld\n",
	    (long long)qs.workers, (long long)qs.workers_alive,
	    qs.oldest > 0 && (int64_t)time(NULL) > qs.oldest ?
	    (long long)((int64_t)time(NULL) - qs.oldest) : 0LL);
}

/* The database as this process sees it at the scrape (one ping). */
static void
render_db(struct app *app, struct buf *b)
{
	buf_printf(b, "# HELP inventory_db_up Whether MariaDB answered this "
	    "scrape's ping.\n# TYPE inventory_db_up gauge\n"
	    "inventory_db_up %d\n", db_ping(app->db) == INV_OK);
}

/* GET /metrics: 200, Prometheus text format 0.0.4 */
void
h_metrics(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct buf b;

	(void)req;
	buf_init(&b);
	metrics_render(&b);
	render_db(app, &b);
	render_queue(app, &b);
	http_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    &b);
}
