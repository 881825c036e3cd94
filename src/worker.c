/*
 * worker.c: the worker's run (worker.h; doc/design.md, "Queue protocol").
 *
 * Each run first takes back the jobs of workers whose heartbeat expired,
 * moves due retries back to their queues, and enqueues the pending orders
 * older than a minute that no job ever reached (the sweep). Then a loop:
 *
 *   claim    up to worker_batch jobs at once into this worker's in-flight
 *            list, while fewer than payment_concurrency are in hand;
 *   pay      start their payments, all waiting together in one loop;
 *   settle   the finished ones: order_flow_process_batch (one transaction
 *            for the paid orders' status moves, one of their own for the
 *            others), one acknowledgement for every settled job, and
 *            queue_fail for the rest (a payment to try again, an order the
 *            database refused), which the queue retries with backoff.
 *
 * Webhooks (delivery.h) ride the same loop: every second, when events
 * wait or deliveries are due, a dispatch job goes on the low queue; it
 * runs at its claim and enqueues a delivery job per due delivery on the
 * default queue, whose POST waits in flight with the payments (httpc.h);
 * its answer is recorded on the delivery's row, and the job acknowledged.
 *
 * Fulfilment (fulfil.h) rides it too: with fulfilment_url set, the
 * settle that makes orders processing pushes their fulfil_order jobs on
 * the default queue in the script that acknowledges the payments' jobs;
 * such a job's POST waits in flight with the others, and its answer
 * ships the order, notes a decline, or fails the job for a retry.
 *
 * A job stays in the in-flight list from its claim to its acknowledgement,
 * so a worker killed at any point leaves its whole batch there, and the
 * next run takes it back once the heartbeat has expired; settling twice
 * is harmless (order_flow.h), so each order is processed once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "delivery.h"
#include "fulfil.h"
#include "httpc.h"
#include "idem.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "order_flow.h"
#include "payment.h"
#include "queue.h"
#include "target.h"
#include "worker.h"

/* --follow: how often the start-of-run work is done again */
#define HOUSEKEEP_USEC		(60 * 1000000ull)
#define PROMOTE_USEC		1000000ull	/* due retries, while busy */
#define FOLLOW_WAIT_MS		1000	/* one blocking wait (clamped) */
#define POLL_MS			200	/* longest wait for payments */
#define OUTAGE_PAUSE_USEC	1000000ull	/* --follow: after a failure */
#define JOB_TYPE_ORDER		"process_order"
#define EVENTS_USEC		1000000ull	/* backlog checked, while up */
/* A dispatch job this worker enqueued and has not run yet may have been
 * taken by another worker or be waiting for a retry: after this long,
 * another may be enqueued. */
#define DISPATCH_WAIT_USEC	(30 * 1000000ull)
#define BOTH_POLL_MS		5	/* each wait while both kinds fly */

/* What a claimed job is. */
enum slot_kind {
	SLOT_ORDER = 0,		/* process_order: a payment */
	SLOT_DISPATCH,		/* QUEUE_JOB_DISPATCH: run at its claim */
	SLOT_DELIVER,		/* QUEUE_JOB_DELIVER: a POST in flight */
	SLOT_FULFIL,		/* QUEUE_JOB_FULFIL: a POST in flight */
	SLOT_UNKNOWN,		/* a type this worker does not run */
	SLOT__MAX
};

/* A claimed job on its way through the loop. */
struct slot {
	struct queue_job	 job;
	uint64_t		 t0;		/* claimed, now_usec() */
	bool			 runnable;	/* a job type this worker runs */
	enum slot_kind		 kind;
	enum payment_result	 pay;		/* once finished */
	char			 why[256];	/* the payment's failure */
	/* dispatch, deliver, fulfil: INV_OK to acknowledge, else why */
	enum inv_err		 rc;
	struct delivery		 delivery;	/* deliver, in flight */
	struct fulfil		 fulfil;	/* fulfil, in flight */
};

/* The loop's state: slots[cap] with a stack of the free ones, and the
 * finished ones waiting to be settled. */
struct run {
	struct worker		*w;
	struct payments		*pay;
	struct slot		*slots;
	size_t			*free;		/* indexes into slots */
	size_t			 nfree;
	struct slot		**done;
	size_t			 ndone;
	size_t			 cap;		/* payment_concurrency */
	size_t			 batch;		/* worker_batch */
	bool			 http;		/* payment_mode http */
	struct queue_job	*claimed;	/* [batch], for queue_claim_batch */
	struct httpc		*hooks;		/* webhook deliveries and
						   fulfilment requests */
	uint64_t		 dispatch_at;	/* our dispatch job enqueued, 0:
						   none waiting */
};

/* Sleeps usec microseconds, whatever signals arrive. */
static void
sleep_usec(uint64_t usec)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(usec / 1000000u);
	ts.tv_nsec = (long)(usec % 1000000u) * 1000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* The sweep of never-queued orders (order_flow_sweep), counted. */
static enum inv_err
sweep(struct worker *w)
{
	size_t n = 0;
	enum inv_err rc;

	rc = order_flow_sweep(w->db, w->queue, w->cfg->fulfilment_url[0] != '\0',
	    w->stop, &n);
	w->t.swept += n;
	return rc;
}

/* Moves the retries that are due back to their queues; *moved may be
 * NULL. */
static enum inv_err
promote(struct worker *w, size_t *moved)
{
	size_t n = 0;
	enum inv_err rc;

	rc = queue_promote(w->queue, queue_now_ms(), &n);
	if (n > 0)
		log_info("%zu retried job(s) due: back on their queues", n);
	if (moved != NULL)
		*moved = n;
	return rc;
}

/* The start of every run (and every minute of --follow). */
static enum inv_err
housekeeping(struct worker *w)
{
	size_t jobs = 0, keys = 0, rows = 0;
	enum inv_err rc;

	if ((rc = queue_recover(w->queue, &jobs, NULL)) != INV_OK)
		return rc;
	w->t.recovered += jobs;
	if ((rc = promote(w, NULL)) != INV_OK)
		return rc;
	if ((rc = sweep(w)) != INV_OK)
		return rc;
	/* Nothing else deletes them, and the table would only grow. */
	rc = idem_purge_expired(w->db, &keys);
	if (keys > 0)
		log_info("%zu expired idempotency key(s) purged", keys);
	if (rc != INV_OK)
		return rc;
	/* The outbox and the deliveries would only grow too. */
	rc = delivery_purge(w->db, w->cfg, &rows);
	if (rows > 0)
		log_info("%zu finished delivery or dispatched event row(s) "
		    "older than %" PRId64 " days purged", rows,
		    w->cfg->webhook_retention_days);
	return rc;
}

static size_t
in_hand(const struct run *r)
{
	return r->cap - r->nfree;
}

/* payment_done_fn: the slot joins the finished ones. */
static void
on_paid(void *arg, void *tag, enum payment_result res, const char *why)
{
	struct run *r = arg;
	struct slot *s = tag;

	s->pay = res;
	snprintf(s->why, sizeof(s->why), "%s", why != NULL ? why : "");
	r->done[r->ndone++] = s;
}

/* Gives slot s back (its job freed). */
static void
slot_release(struct run *r, struct slot *s)
{
	queue_job_free(&s->job);
	delivery_free(&s->delivery);
	fulfil_free(&s->fulfil);
	r->free[r->nfree++] = (size_t)(s - r->slots);
}

/*
 * The http payments of the n slots: one read of their orders, then a
 * POST of each pending one ({"order_id", "order_number", "user_id",
 * "total_amount"}). An order that is gone or no longer pending (a job
 * run twice) is not paid again: settling finds it as it is. On a
 * database failure the slots are given back, their jobs left in flight
 * for the outage to hand back.
 */
static enum inv_err
pay_http(struct run *r, struct slot **slots, size_t n)
{
	struct order_payment *info = xcalloc(n, sizeof(*info));
	struct json_object *o;
	enum inv_err rc;
	size_t i;

	for (i = 0; i < n; i++)
		info[i].order_id = slots[i]->job.order_id;
	if ((rc = order_flow_payments(r->w->db, info, n)) != INV_OK) {
		for (i = 0; i < n; i++)
			slot_release(r, slots[i]);
		free(info);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (!info[i].found || !info[i].pending) {
			on_paid(r, slots[i], PAYMENT_PAID, NULL);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "order_id",
		    json_object_new_int64(info[i].order_id));
		json_object_object_add(o, "order_number",
		    json_object_new_string(info[i].number));
		json_object_object_add(o, "user_id",
		    json_object_new_int64(info[i].user_id));
		json_object_object_add(o, "total_amount",
		    json_object_new_string(info[i].total));
		payments_start(r->pay, info[i].order_id, json_to_plain(o, NULL),
		    slots[i]);
		json_object_put(o);
	}
	free(info);
	return INV_OK;
}

/* A dispatch or delivery job is finished: rc INV_OK acknowledges it,
 * anything else fails it for why (borrowed). */
static void
slot_finish(struct run *r, struct slot *s, enum inv_err rc, const char *why)
{
	s->rc = rc;
	snprintf(s->why, sizeof(s->why), "%s", why != NULL ? why :
	    inv_strerror(rc));
	r->done[r->ndone++] = s;
}

/* The answer of a fulfilment request: applied to the order (the job
 * done), or the job failed for why, to be tried again. */
static void
on_fulfilled(struct run *r, struct slot *s, const struct httpc_response *res)
{
	const char *what = NULL;
	char *why = NULL;
	enum inv_err rc;

	rc = fulfil_record(r->w->db, r->w->cache, &s->fulfil, res, &what,
	    &why);
	if (rc == INV_OK) {
		r->w->t.fulfilled++;
		log_info("job %s fulfil order %" PRId64 ": HTTP %ld, %s "
		    "(%" PRId64 " ms)", s->job.id, s->job.order_id,
		    res->status, what, res->duration_ms);
	}
	fulfil_free(&s->fulfil);
	slot_finish(r, s, rc, why);
	free(why);
}

/* httpc_done_fn of a delivery: its attempt recorded, its job done. A
 * failed POST is the delivery's (its row schedules the next attempt),
 * not the job's, which only fails when the record cannot be written.
 * A fulfilment request's answer goes to on_fulfilled. */
static void
on_delivered(void *arg, void *tag, const struct httpc_response *res)
{
	struct run *r = arg;
	struct slot *s = tag;
	enum inv_err rc;

	if (s->kind == SLOT_FULFIL) {
		on_fulfilled(r, s, res);
		return;
	}
	rc = delivery_record(r->w->db, r->w->cfg, &s->delivery, res, NULL);
	r->w->t.deliveries++;
	delivery_free(&s->delivery);
	slot_finish(r, s, rc, NULL);
}

/* Starts the POST of slot s's delivery; one with nothing to send (sent,
 * failed, paused, gone) is finished at once. */
static void
start_delivery(struct run *r, struct slot *s)
{
	struct httpc_request req;
	enum inv_err rc;

	rc = delivery_prepare(r->w->db, r->w->cfg, s->job.delivery_id,
	    &s->delivery, &req);
	if (rc == INV_NOTFOUND) {
		slot_finish(r, s, INV_OK, NULL);
		return;
	}
	if (rc != INV_OK) {
		slot_finish(r, s, rc, NULL);
		return;
	}
	/* Checked at each connect, on the address the name resolved to
	 * then: a name that pointed elsewhere when the URL was stored
	 * gains nothing. */
	req.refuse = r->w->cfg->webhook_allow_private ? NULL :
	    target_addr_private;
	req.tag = s;
	httpc_start(r->hooks, &req);
}

/* Starts the POST of slot s's order to fulfilment_url; an order no
 * longer processing (or gone) is finished at once. */
static void
start_fulfil(struct run *r, struct slot *s)
{
	struct httpc_request req;
	enum inv_err rc;

	/* Turned off since the job was queued: kept for the operator
	 * (retried, then a dead letter), not silently dropped. */
	if (r->w->cfg->fulfilment_url[0] == '\0') {
		slot_finish(r, s, INV_CONFIG, "fulfilment_url is not set");
		return;
	}
	rc = fulfil_prepare(r->w->db, r->w->cfg, s->job.order_id, s->job.id,
	    &s->fulfil, &req);
	if (rc == INV_NOTFOUND) {
		log_info("job %s fulfil order %" PRId64 ": not processing "
		    "(or gone): nothing to send", s->job.id, s->job.order_id);
		r->w->t.fulfilled++;
		slot_finish(r, s, INV_OK, NULL);
		return;
	}
	if (rc != INV_OK) {
		slot_finish(r, s, rc, NULL);
		return;
	}
	/* The operator's own URL: not held to the webhooks' address
	 * rules. */
	req.tag = s;
	httpc_start(r->hooks, &req);
}

/* Runs slot s's dispatch job now: it is short (a few statements). */
static void
run_dispatch(struct run *r, struct slot *s)
{
	size_t events = 0, queued = 0;
	enum inv_err rc;

	rc = delivery_dispatch(r->w->db, r->w->queue, r->w->cfg, &events,
	    &queued);
	r->w->t.events += events;
	if (events > 0 || queued > 0)
		log_info("dispatch: %zu event(s) dispatched, %zu delivery "
		    "job(s) queued", events, queued);
	r->dispatch_at = 0;
	slot_finish(r, s, rc, NULL);
}

/*
 * Enqueues a dispatch job on the low queue when events wait to be
 * dispatched or deliveries are due, unless the one this worker enqueued
 * has not run yet; reports the backlog to the metrics on the way. True
 * when it enqueued one.
 */
static bool
events_tick(struct run *r)
{
	uint64_t now = now_usec();
	bool work = false;

	if (delivery_backlog(r->w->db, &work) != INV_OK || !work)
		return false;
	if (r->dispatch_at != 0 && now - r->dispatch_at < DISPATCH_WAIT_USEC)
		return false;
	if (queue_enqueue_dispatch(r->w->queue, QUEUE_LOW) != INV_OK)
		return false;
	r->dispatch_at = now;
	return true;
}

/* The kind of job type. */
static enum slot_kind
slot_kind(const char *type)
{
	if (strcmp(type, JOB_TYPE_ORDER) == 0)
		return SLOT_ORDER;
	if (strcmp(type, QUEUE_JOB_DISPATCH) == 0)
		return SLOT_DISPATCH;
	if (strcmp(type, QUEUE_JOB_DELIVER) == 0)
		return SLOT_DELIVER;
	if (strcmp(type, QUEUE_JOB_FULFIL) == 0)
		return SLOT_FULFIL;
	return SLOT_UNKNOWN;
}

/*
 * Claims up to worker_batch jobs (no more than free slots) and starts
 * their payments and deliveries (a dispatch runs at once); a job of a
 * type this worker does not run is finished at once (it fails).
 * INV_NOTFOUND when the queues are empty.
 */
static enum inv_err
claim(struct run *r, int64_t wait_ms)
{
	size_t most = r->nfree < r->batch ? r->nfree : r->batch, n, i, k = 0;
	struct slot *s, **mine;
	enum inv_err rc;

	if ((rc = queue_claim_batch(r->w->queue, most, wait_ms, r->claimed,
	    &n)) != INV_OK)
		return rc;
	mine = xcalloc(n, sizeof(*mine));
	for (i = 0; i < n; i++) {
		s = &r->slots[r->free[--r->nfree]];
		s->job = r->claimed[i];
		s->t0 = now_usec();
		s->kind = slot_kind(s->job.type);
		s->runnable = s->kind != SLOT_UNKNOWN;
		if (s->kind == SLOT_ORDER)
			mine[k++] = s;
		else if (s->kind == SLOT_DISPATCH)
			run_dispatch(r, s);
		else if (s->kind == SLOT_DELIVER)
			start_delivery(r, s);
		else if (s->kind == SLOT_FULFIL)
			start_fulfil(r, s);
		else
			on_paid(r, s, PAYMENT_RETRY, "unknown job type");
	}
	if (r->http && k > 0)
		rc = pay_http(r, mine, k);
	else
		for (i = 0; i < k; i++)
			payments_start(r->pay, mine[i]->job.order_id, "",
			    mine[i]);
	free(mine);
	return rc;
}

/* The log line of a settled job: milliseconds since its claim. */
static double
slot_ms(const struct slot *s)
{
	return (double)(now_usec() - s->t0) / 1000.0;
}

/* Hands job s to queue_fail for why, counted and logged. */
static enum inv_err
fail_job(struct run *r, struct slot *s, const char *why)
{
	struct worker *w = r->w;
	enum queue_fate fate;

	if (queue_fail(w->queue, &s->job, why, queue_now_ms(), &fate, NULL) !=
	    INV_OK)
		return INV_UNAVAILABLE;
	w->t.failed++;
	metrics_job(METRICS_JOB_FAILED);
	if (fate == QUEUE_FATE_RETRY)
		w->t.retried++;
	else if (fate == QUEUE_FATE_DEAD)
		w->t.dead++;
	log_warn("job %s %s %" PRId64 " attempt %" PRId64 ": failed: %s; "
	    "%s (%.1f ms)", s->job.id, s->kind == SLOT_DELIVER ? "delivery" :
	    s->kind == SLOT_DISPATCH ? "dispatch" : s->kind == SLOT_FULFIL ?
	    "fulfil order" : "order",
	    s->kind == SLOT_DELIVER ? s->job.delivery_id : s->job.order_id,
	    s->job.attempt, why,
	    fate == QUEUE_FATE_RETRY ? "retry scheduled" :
	    fate == QUEUE_FATE_DEAD ? "dead letter" :
	    "taken back by another worker", slot_ms(s));
	return INV_OK;
}

/* Counts and logs an acknowledged job whose order ended as it. */
static void
done_job(struct run *r, const struct slot *s, const struct order_settle *it)
{
	bool refused = s->pay == PAYMENT_DECLINED;

	r->w->t.processed++;
	metrics_job(METRICS_JOB_DONE);
	if (it->rc == INV_OK && it->final == ORDER_CANCELLED && refused)
		r->w->t.cancelled++;
	log_info("job %s order %" PRId64 " attempt %" PRId64 ": %s (%.1f ms)",
	    s->job.id, s->job.order_id, s->job.attempt,
	    it->rc == INV_NOTFOUND ? "no such order, dropped" :
	    refused && it->final == ORDER_CANCELLED ?
	    "payment failed, cancelled" : order_status_name(it->final),
	    slot_ms(s));
}

/*
 * Settles every finished slot and frees it. INV_OK, or INV_UNAVAILABLE
 * when MariaDB or Redis went away: what was not acknowledged then stays
 * in the in-flight list, for the caller to hand back (an outage does not
 * use up a job's attempts).
 */
static enum inv_err
settle(struct run *r)
{
	struct order_settle *items = xcalloc(r->ndone, sizeof(*items));
	const struct queue_job **acks = xcalloc(r->ndone, sizeof(*acks));
	struct slot **orders = xcalloc(r->ndone, sizeof(*orders));
	int64_t *fulfil = xcalloc(r->ndone, sizeof(*fulfil));
	struct worker *w = r->w;
	enum inv_err rc = INV_OK;
	size_t i, n = 0, nacks = 0, nfulfil = 0;
	struct slot *s;

	/* A payment to try again never reaches the order. */
	for (i = 0; i < r->ndone; i++) {
		s = r->done[i];
		if (s->kind == SLOT_DISPATCH || s->kind == SLOT_DELIVER ||
		    s->kind == SLOT_FULFIL) {
			/* An outage's job stays in flight, handed back. */
			if (s->rc == INV_OK)
				acks[nacks++] = &s->job;
			else if (s->rc == INV_UNAVAILABLE)
				rc = INV_UNAVAILABLE;
			else if (fail_job(r, s, s->why) != INV_OK)
				rc = INV_UNAVAILABLE;
			continue;
		}
		if (!s->runnable || s->pay == PAYMENT_RETRY) {
			if (fail_job(r, s, s->why) != INV_OK)
				rc = INV_UNAVAILABLE;
			continue;
		}
		items[n].order_id = s->job.order_id;
		items[n].payment_ok = s->pay == PAYMENT_PAID;
		orders[n++] = s;
	}
	order_flow_process_batch(w->db, w->cache, items, n);
	for (i = 0; i < n; i++) {
		if (items[i].rc == INV_OK && items[i].became_processing &&
		    w->cfg->fulfilment_url[0] != '\0')
			fulfil[nfulfil++] = items[i].order_id;
		if (items[i].rc == INV_OK || items[i].rc == INV_NOTFOUND)
			acks[nacks++] = &orders[i]->job;
		else if (items[i].rc == INV_UNAVAILABLE)
			rc = INV_UNAVAILABLE;
		else if (fail_job(r, orders[i], inv_strerror(items[i].rc)) !=
		    INV_OK)
			rc = INV_UNAVAILABLE;
	}
	/* The follow-up jobs go with the acknowledgement, in one script:
	 * lost together, the payments' jobs run again and find their
	 * orders processing, and the sweep queues what they do not. */
	if (queue_ack_fulfil(w->queue, acks, nacks, fulfil, nfulfil) ==
	    INV_OK) {
		for (i = 0; i < n; i++)
			if (items[i].rc == INV_OK ||
			    items[i].rc == INV_NOTFOUND)
				done_job(r, orders[i], &items[i]);
	} else
		rc = INV_UNAVAILABLE;
	for (i = 0; i < r->ndone; i++)
		slot_release(r, r->done[i]);
	r->ndone = 0;
	free(items);
	free(acks);
	free(orders);
	free(fulfil);
	return rc;
}

/* After an outage: drops every job in hand and its payment (the jobs
 * stay in the in-flight list, handed back by queue_worker_stop). */
static void
abandon(struct run *r)
{
	size_t i;
	bool *gone = xcalloc(r->cap, sizeof(*gone));

	payments_close(r->pay);
	r->pay = NULL;
	httpc_close(r->hooks);
	r->hooks = NULL;
	for (i = 0; i < r->nfree; i++)
		gone[r->free[i]] = true;
	for (i = 0; i < r->cap; i++)
		if (!gone[i])
			slot_release(r, &r->slots[i]);
	r->ndone = 0;
	free(gone);
	(void)queue_worker_stop(r->w->queue);
	/* The configuration was good a moment ago. */
	if (payments_open(&r->pay, r->w->cfg) != INV_OK ||
	    httpc_open(&r->hooks, 0) != INV_OK)
		abort();
}

static void
run_init(struct run *r, struct worker *w)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->w = w;
	r->cap = (size_t)w->cfg->payment_concurrency;
	r->batch = (size_t)w->cfg->worker_batch;
	r->http = config_payment_mode(w->cfg) == PAYMENT_HTTP;
	r->slots = xcalloc(r->cap, sizeof(*r->slots));
	r->free = xcalloc(r->cap, sizeof(*r->free));
	r->done = xcalloc(r->cap, sizeof(*r->done));
	r->claimed = xcalloc(r->batch, sizeof(*r->claimed));
	/* Popped from the end: slot 0 first. */
	for (i = 0; i < r->cap; i++)
		r->free[i] = r->cap - 1 - i;
	r->nfree = r->cap;
}

static void
run_free(struct run *r)
{
	size_t i;
	bool *idle = xcalloc(r->cap, sizeof(*idle));

	for (i = 0; i < r->nfree; i++)
		idle[r->free[i]] = true;
	for (i = 0; i < r->cap; i++)
		if (!idle[i]) {
			queue_job_free(&r->slots[i].job);
			delivery_free(&r->slots[i].delivery);
			fulfil_free(&r->slots[i].fulfil);
		}
	free(idle);
	payments_close(r->pay);
	httpc_close(r->hooks);
	free(r->slots);
	free(r->free);
	free(r->done);
	free(r->claimed);
}

/*
 * --drain found the queues empty with nothing in hand: true when it may
 * end, false when due retries, the sweep (now that the queues are
 * empty) or the events' backlog gave it more.
 */
static bool
drained(struct run *r)
{
	struct worker *w = r->w;
	size_t moved = 0;
	uint64_t swept = w->t.swept;

	if (promote(w, &moved) == INV_OK && moved > 0)
		return false;
	if (sweep(w) == INV_OK && w->t.swept > swept)
		return false;
	/* What is due is delivered before the run ends. */
	return !events_tick(r);
}

/*
 * After a failure of MariaDB or Redis: the jobs in hand are dropped
 * (still in flight in Redis) and handed back. Returns true when the run
 * must end (--drain); --follow pauses and goes on.
 */
static bool
outage(struct run *r, enum inv_err rc)
{
	log_error("worker: %s; jobs in hand handed back", inv_strerror(rc));
	abandon(r);
	if (!r->w->follow)
		return true;
	sleep_usec(OUTAGE_PAUSE_USEC);
	return false;
}

int
worker_run(struct worker *w, uint64_t max_usec)
{
	uint64_t start = now_usec(), promoted = start, housekept = start,
	    evented = start, now;
	struct run r;
	enum inv_err rc, lost = INV_OK;
	bool closing, timed_out, empty = false;
	int status = 0;

	run_init(&r, w);
	if (payments_open(&r.pay, w->cfg) != INV_OK ||
	    httpc_open(&r.hooks, 0) != INV_OK) {
		run_free(&r);
		return 1;
	}
	if ((rc = housekeeping(w)) != INV_OK) {
		log_error("worker: start of run: %s", inv_strerror(rc));
		if (!w->follow) {
			run_free(&r);
			return 1;
		}
	}
	(void)events_tick(&r);
	for (;;) {
		metrics_worker_seen();
		now = now_usec();
		timed_out = max_usec > 0 && now - start >= max_usec;
		/* A failed claim takes no more jobs, but settles those in
		 * hand: their payments may have been taken already. */
		closing = *w->stop || timed_out || lost != INV_OK;
		if (closing && in_hand(&r) == 0) {
			if (lost != INV_OK) {
				rc = lost;
				lost = INV_OK;
				if (outage(&r, rc)) {
					status = 1;
					break;
				}
				continue;
			}
			if (timed_out && !*w->stop)
				log_info("worker: time limit reached");
			break;
		}
		if (w->follow && now - housekept >= HOUSEKEEP_USEC) {
			housekept = now;
			if ((rc = housekeeping(w)) != INV_OK)
				log_error("worker: housekeeping: %s",
				    inv_strerror(rc));
		}
		if (now - promoted >= PROMOTE_USEC) {
			promoted = now;
			(void)promote(w, NULL);
		}
		if (!closing && now - evented >= EVENTS_USEC) {
			evented = now;
			(void)events_tick(&r);
		}
		/* Once the queues were found empty, not again before a
		 * settle has made room. */
		if (!closing && r.nfree > 0 && !(empty && in_hand(&r) > 0)) {
			rc = claim(&r, w->follow && in_hand(&r) == 0 ?
			    FOLLOW_WAIT_MS : 0);
			empty = rc == INV_NOTFOUND;
			if (rc == INV_NOTFOUND && in_hand(&r) == 0) {
				if (w->follow)
					continue;
				promoted = now_usec();
				if (drained(&r))
					break;
				continue;
			}
			if (rc != INV_OK && rc != INV_NOTFOUND)
				lost = rc;
		}
		/* Two loops, one thread: while both have work in flight,
		 * each waits briefly in turn. */
		if (payments_in_flight(r.pay) > 0)
			(void)payments_poll(r.pay, r.ndone > 0 ? 0 :
			    httpc_in_flight(r.hooks) > 0 ? BOTH_POLL_MS :
			    POLL_MS, on_paid, &r);
		if (httpc_in_flight(r.hooks) > 0)
			(void)httpc_poll(r.hooks, r.ndone > 0 ? 0 :
			    payments_in_flight(r.pay) > 0 ? BOTH_POLL_MS :
			    POLL_MS, on_delivered, &r);
		/* Failing to beat is not the jobs' failure: at worst
		 * another worker runs them again, which is harmless. */
		(void)queue_heartbeat(w->queue);
		if (r.ndone > 0) {
			empty = false;
			if ((rc = settle(&r)) != INV_OK) {
				lost = INV_OK;
				if (outage(&r, rc)) {
					status = 1;
					break;
				}
			}
		}
	}
	run_free(&r);
	return status;
}
