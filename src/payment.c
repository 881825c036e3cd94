/*
 * payment.c: the payment step (payment.h). Both kinds keep many payments
 * waiting at once in one loop, so a run's throughput is
 * payment_concurrency / latency instead of 1 / latency.
 *
 * simulated: every payment waits the same payment_delay_ms, so those
 * started first end first: a FIFO of due times is the whole timer wheel.
 *
 * http: one HTTP client handle (httpc.h) POSTing each order, many at
 * once over the handle's reused connections. The status decides:
 * 2xx paid, 4xx declined (the gateway has refused it: asking again will
 * not help), anything else, a timeout or no answer, retry later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "httpc.h"
#include "log.h"
#include "payment.h"

/* A simulated payment: when it ends, and whose it is. */
struct sim {
	uint64_t	 due;	/* now_usec() */
	void		*tag;
};

struct payments {
	const struct config	*cfg;		/* borrowed */
	enum payment_mode	 mode;
	/* simulated: a ring of n payments from head, capacity cap */
	struct sim		*ring;
	size_t			 head, n, cap;
	/* http */
	struct httpc		*http;
	/* http_poll's caller, for on_answer */
	payment_done_fn		*done;
	void			*done_arg;
};

enum inv_err
payments_open(struct payments **out, const struct config *cfg)
{
	struct payments *p = xcalloc(1, sizeof(*p));

	p->cfg = cfg;
	p->mode = config_payment_mode(cfg);
	*out = p;
	if (p->mode != PAYMENT_HTTP)
		return INV_OK;
	if (httpc_open(&p->http, (long)cfg->payment_concurrency) != INV_OK) {
		log_error("payment: the HTTP client cannot be set up");
		free(p);
		*out = NULL;
		return INV_CONFIG;
	}
	return INV_OK;
}

void
payments_close(struct payments *p)
{
	if (p == NULL)
		return;
	httpc_close(p->http);
	free(p->ring);
	free(p);
}

size_t
payments_in_flight(const struct payments *p)
{
	return p->mode == PAYMENT_HTTP ? httpc_in_flight(p->http) : p->n;
}

/* simulated */

static void
sim_start(struct payments *p, void *tag)
{
	size_t i;

	if (p->n == p->cap) {
		size_t cap = p->cap > 0 ? p->cap * 2 : 64;
		struct sim *r = xcalloc(cap, sizeof(*r));

		for (i = 0; i < p->n; i++)
			r[i] = p->ring[(p->head + i) % p->cap];
		free(p->ring);
		p->ring = r;
		p->cap = cap;
		p->head = 0;
	}
	i = (p->head + p->n) % p->cap;
	p->ring[i].due = now_usec() + (uint64_t)p->cfg->payment_delay_ms *
	    1000u;
	p->ring[i].tag = tag;
	p->n++;
}

/* Reports the payments due by now; how many. */
static size_t
sim_reap(struct payments *p, payment_done_fn *done, void *arg)
{
	uint64_t now = now_usec();
	size_t reported = 0;
	void *tag;
	bool paid;

	while (p->n > 0 && p->ring[p->head].due <= now) {
		tag = p->ring[p->head].tag;
		p->head = (p->head + 1) % p->cap;
		p->n--;
		/* random_unit() < 1 always, so a rate of 1 refuses every
		 * payment and a rate of 0 none (without the system call of
		 * asking for a random number). */
		paid = p->cfg->payment_failure_rate <= 0 ||
		    random_unit() >= p->cfg->payment_failure_rate;
		done(arg, tag, paid ? PAYMENT_PAID : PAYMENT_DECLINED,
		    paid ? NULL : "payment refused (simulated)");
		reported++;
	}
	return reported;
}

static size_t
sim_poll(struct payments *p, int64_t wait_ms, payment_done_fn *done,
    void *arg)
{
	uint64_t now, until;
	struct timespec ts;
	size_t n;

	if ((n = sim_reap(p, done, arg)) > 0 || p->n == 0 || wait_ms <= 0)
		return n;
	now = now_usec();
	until = now + (uint64_t)wait_ms * 1000u;
	if (p->ring[p->head].due < until)
		until = p->ring[p->head].due;
	ts.tv_sec = (time_t)((until - now) / 1000000u);
	ts.tv_nsec = (long)((until - now) % 1000000u) * 1000L;
	/* A signal cuts the wait short: the caller looks at it. */
	(void)nanosleep(&ts, NULL);
	return sim_reap(p, done, arg);
}

/* http */

static void
http_start(struct payments *p, int64_t order_id, const char *body, void *tag)
{
	char key[64];
	const char *headers[] = { "Content-Type: application/json", key,
	    NULL };
	struct httpc_request req = {
		.url = p->cfg->payment_url,
		.body = body,
		.headers = headers,
		.timeout_ms = p->cfg->payment_timeout_ms,
		.tag = tag,
	};

	snprintf(key, sizeof(key), "Idempotency-Key: order-%" PRId64,
	    order_id);
	httpc_start(p->http, &req);
}

/* httpc_done_fn: the gateway's status decides. */
static void
on_answer(void *arg, void *tag, const struct httpc_response *res)
{
	struct payments *p = arg;
	enum payment_result r;
	char why[512];

	if (res->status == 0) {
		r = PAYMENT_RETRY;
		snprintf(why, sizeof(why), "payment gateway: %s", res->error);
	} else {
		if (res->status >= 200 && res->status < 300)
			r = PAYMENT_PAID;
		else if (res->status >= 400 && res->status < 500)
			r = PAYMENT_DECLINED;
		else
			r = PAYMENT_RETRY;
		snprintf(why, sizeof(why), "payment gateway: HTTP %ld",
		    res->status);
	}
	p->done(p->done_arg, tag, r, r == PAYMENT_PAID ? NULL : why);
}

static size_t
http_poll(struct payments *p, int64_t wait_ms, payment_done_fn *done,
    void *arg)
{
	p->done = done;
	p->done_arg = arg;
	return httpc_poll(p->http, wait_ms, on_answer, p);
}

void
payments_start(struct payments *p, int64_t order_id, const char *body,
    void *tag)
{
	if (p->mode == PAYMENT_HTTP)
		http_start(p, order_id, body, tag);
	else
		sim_start(p, tag);
}

size_t
payments_poll(struct payments *p, int64_t wait_ms, payment_done_fn *done,
    void *arg)
{
	if (p->mode == PAYMENT_HTTP)
		return http_poll(p, wait_ms, done, arg);
	return sim_poll(p, wait_ms, done, arg);
}
