/*
 * payment.c: the payment step (payment.h). Both kinds keep many payments
 * waiting at once in one loop, so a run's throughput is
 * payment_concurrency / latency instead of 1 / latency.
 *
 * simulated: every payment waits the same payment_delay_ms, so those
 * started first end first: a FIFO of due times is the whole timer wheel.
 *
 * http: one libcurl multi handle; each payment is an easy handle POSTing
 * the order, reusing the multi handle's connections. The status decides:
 * 2xx paid, 4xx declined (the gateway has refused it: asking again will
 * not help), anything else, a timeout or no answer, retry later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "payment.h"

/* A simulated payment: when it ends, and whose it is. */
struct sim {
	uint64_t	 due;	/* now_usec() */
	void		*tag;
};

/* An http payment in flight. */
struct xfer {
	CURL			*easy;
	struct curl_slist	*headers;
	void			*tag;
	struct xfer		*prev, *next;	/* the handle's list */
	char			 err[CURL_ERROR_SIZE];
};

struct payments {
	const struct config	*cfg;		/* borrowed */
	enum payment_mode	 mode;
	/* simulated: a ring of n payments from head, capacity cap */
	struct sim		*ring;
	size_t			 head, n, cap;
	/* http */
	CURLM			*multi;
	struct xfer		*xfers;		/* in flight */
	size_t			 nxfers;
};

/* libcurl's body sink: the gateway's words are not needed, its status is. */
static size_t
discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

enum inv_err
payments_open(struct payments **out, const struct config *cfg)
{
	struct payments *p = xcalloc(1, sizeof(*p));

	p->cfg = cfg;
	p->mode = config_payment_mode(cfg);
	*out = p;
	if (p->mode != PAYMENT_HTTP)
		return INV_OK;
	/* Once per process, before anything else of libcurl. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (p->multi = curl_multi_init()) == NULL) {
		log_error("payment: libcurl cannot be set up");
		free(p);
		*out = NULL;
		return INV_CONFIG;
	}
	curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)cfg->payment_concurrency);
	return INV_OK;
}

/* Takes one finished transfer out of the multi handle and frees it. */
static void
xfer_free(struct payments *p, struct xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		p->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_multi_remove_handle(p->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x);
	p->nxfers--;
}

void
payments_close(struct payments *p)
{
	if (p == NULL)
		return;
	if (p->multi != NULL) {
		while (p->xfers != NULL)
			xfer_free(p, p->xfers);
		curl_multi_cleanup(p->multi);
		curl_global_cleanup();
	}
	free(p->ring);
	free(p);
}

size_t
payments_in_flight(const struct payments *p)
{
	return p->mode == PAYMENT_HTTP ? p->nxfers : p->n;
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
	struct xfer *x = xcalloc(1, sizeof(*x));
	char key[64];

	if ((x->easy = curl_easy_init()) == NULL) {
		log_error("payment: curl_easy_init: out of memory");
		abort();
	}
	snprintf(key, sizeof(key), "Idempotency-Key: order-%" PRId64,
	    order_id);
	x->headers = curl_slist_append(x->headers,
	    "Content-Type: application/json");
	x->headers = curl_slist_append(x->headers, key);
	/* A small body needs no "100 Continue" round trip. */
	x->headers = curl_slist_append(x->headers, "Expect:");
	if (x->headers == NULL) {
		log_error("payment: curl_slist_append: out of memory");
		abort();
	}
	x->tag = tag;
	curl_easy_setopt(x->easy, CURLOPT_URL, p->cfg->payment_url);
	curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
	    (long)p->cfg->payment_timeout_ms);
	/* Signals are the worker's (SIGTERM ends it cleanly). */
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "inventory-worker");
	if (curl_multi_add_handle(p->multi, x->easy) != CURLM_OK) {
		log_error("payment: curl_multi_add_handle failed");
		abort();
	}
	x->next = p->xfers;
	if (p->xfers != NULL)
		p->xfers->prev = x;
	p->xfers = x;
	p->nxfers++;
}

/* Reports the finished transfers; how many. */
static size_t
http_reap(struct payments *p, payment_done_fn *done, void *arg)
{
	enum payment_result r;
	struct xfer *x;
	CURLMsg *msg;
	char why[CURL_ERROR_SIZE + 64];
	long status = 0;
	size_t reported = 0;
	int left;
	char *priv;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)priv;
		if (msg->data.result != CURLE_OK) {
			r = PAYMENT_RETRY;
			snprintf(why, sizeof(why), "payment gateway: %s",
			    x->err[0] != '\0' ? x->err :
			    curl_easy_strerror(msg->data.result));
		} else {
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
			    &status);
			if (status >= 200 && status < 300)
				r = PAYMENT_PAID;
			else if (status >= 400 && status < 500)
				r = PAYMENT_DECLINED;
			else
				r = PAYMENT_RETRY;
			snprintf(why, sizeof(why), "payment gateway: HTTP %ld",
			    status);
		}
		done(arg, x->tag, r, r == PAYMENT_PAID ? NULL : why);
		xfer_free(p, x);
		reported++;
	}
	return reported;
}

static size_t
http_poll(struct payments *p, int64_t wait_ms, payment_done_fn *done,
    void *arg)
{
	uint64_t until = now_usec() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) *
	    1000u;
	size_t n;
	int running;

	for (;;) {
		curl_multi_perform(p->multi, &running);
		if ((n = http_reap(p, done, arg)) > 0 || p->nxfers == 0)
			return n;
		if (now_usec() >= until)
			return 0;
		/* Wakes on a socket's activity or curl's own timers. */
		curl_multi_poll(p->multi, NULL, 0,
		    (int)((until - now_usec()) / 1000u) + 1, NULL);
	}
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
