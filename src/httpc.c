/*
 * httpc.c: the HTTP client (httpc.h), the one file that includes
 * libcurl. One multi handle; each request is an easy handle reusing the
 * multi handle's connections. Signals are the program's: libcurl is told
 * not to use them (a worker's SIGTERM ends it cleanly).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "httpc.h"
#include "log.h"

/* A request in flight. */
struct xfer {
	CURL			*easy;
	struct curl_slist	*headers;
	void			*tag;
	httpc_refuse_fn		*refuse;
	uint64_t		 t0;		/* now_usec() at the start */
	char			*body;		/* HTTPC_BODY_MAX + 1 */
	size_t			 len;
	bool			 truncated;
	char			 refused[INET6_ADDRSTRLEN];
	struct xfer		*prev, *next;	/* the handle's list */
	char			 err[CURL_ERROR_SIZE];
};

struct httpc {
	CURLM		*multi;
	struct xfer	*xfers;		/* in flight */
	size_t		 n;
};

enum inv_err
httpc_open(struct httpc **out, long max_connections)
{
	struct httpc *h = xcalloc(1, sizeof(*h));

	/* libcurl counts its own initialisations: one per handle is fine. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("httpc: curl_global_init failed");
		free(h);
		*out = NULL;
		return INV_CONFIG;
	}
	if ((h->multi = curl_multi_init()) == NULL) {
		log_error("httpc: curl_multi_init failed");
		curl_global_cleanup();
		free(h);
		*out = NULL;
		return INV_CONFIG;
	}
	if (max_connections > 0)
		curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
		    max_connections);
	*out = h;
	return INV_OK;
}

/* Takes x out of the multi handle and frees it. */
static void
xfer_free(struct httpc *h, struct xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_multi_remove_handle(h->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x);
	h->n--;
}

void
httpc_close(struct httpc *h)
{
	if (h == NULL)
		return;
	while (h->xfers != NULL)
		xfer_free(h, h->xfers);
	curl_multi_cleanup(h->multi);
	curl_global_cleanup();
	free(h);
}

size_t
httpc_in_flight(const struct httpc *h)
{
	return h->n;
}

/* libcurl's body sink: keeps HTTPC_BODY_MAX bytes, then ends the
 * transfer (returning less than given), so a huge answer is not read. */
static size_t
keep_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, room = HTTPC_BODY_MAX - x->len;

	if (n > room) {
		memcpy(x->body + x->len, data, room);
		x->len += room;
		x->truncated = true;
		return 0;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	return n;
}

/* libcurl's socket maker: refuses an address the request's refuse
 * predicate names. Checked here, at the connect to the address the name
 * resolved to, so a name that resolves differently later cannot slip
 * past a check made on the URL earlier. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = arg;
	const void *ip;

	(void)purpose;
	if (x->refuse != NULL && x->refuse(&a->addr)) {
		ip = a->family == AF_INET6 ?
		    (const void *)&((const struct sockaddr_in6 *)
		    (const void *)&a->addr)->sin6_addr :
		    (const void *)&((const struct sockaddr_in *)
		    (const void *)&a->addr)->sin_addr;
		if (inet_ntop(a->family, ip, x->refused,
		    sizeof(x->refused)) == NULL)
			snprintf(x->refused, sizeof(x->refused), "?");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

void
httpc_start(struct httpc *h, const struct httpc_request *req)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	const char *const *hd;

	if ((x->easy = curl_easy_init()) == NULL) {
		log_error("httpc: curl_easy_init: out of memory");
		abort();
	}
	x->body = xcalloc(1, HTTPC_BODY_MAX + 1);
	x->tag = req->tag;
	x->refuse = req->refuse;
	x->t0 = now_usec();
	for (hd = req->headers; hd != NULL && *hd != NULL; hd++)
		if ((x->headers = curl_slist_append(x->headers, *hd)) ==
		    NULL) {
			log_error("httpc: curl_slist_append: out of memory");
			abort();
		}
	/* A small body needs no "100 Continue" round trip. */
	if ((x->headers = curl_slist_append(x->headers, "Expect:")) == NULL) {
		log_error("httpc: curl_slist_append: out of memory");
		abort();
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, req->url);
	/* Never anything but http(s), and no redirects (the default):
	 * an answer elsewhere would dodge the address check. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (req->body != NULL)
		curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, req->body);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "inventory-worker");
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		log_error("httpc: curl_multi_add_handle failed");
		abort();
	}
	x->next = h->xfers;
	if (h->xfers != NULL)
		h->xfers->prev = x;
	h->xfers = x;
	h->n++;
}

/* Reports the finished transfers; how many. */
static size_t
reap(struct httpc *h, httpc_done_fn *done, void *arg)
{
	struct httpc_response res;
	struct xfer *x;
	CURLMsg *msg;
	char why[CURL_ERROR_SIZE + 64];
	size_t reported = 0;
	int left;
	char *priv;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)priv;
		memset(&res, 0, sizeof(res));
		res.duration_ms = (int64_t)((now_usec() - x->t0) / 1000u);
		/* A body cut short still came with its status. */
		if (msg->data.result == CURLE_OK ||
		    (msg->data.result == CURLE_WRITE_ERROR && x->truncated))
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
			    &res.status);
		if (res.status == 0) {
			if (x->refused[0] != '\0')
				snprintf(why, sizeof(why), "address %s refused "
				    "(private, loopback or link-local)",
				    x->refused);
			else
				snprintf(why, sizeof(why), "%s", x->err[0] !=
				    '\0' ? x->err :
				    curl_easy_strerror(msg->data.result));
			res.error = why;
		}
		x->body[x->len] = '\0';
		res.body = x->body;
		res.body_len = x->len;
		res.truncated = x->truncated;
		done(arg, x->tag, &res);
		xfer_free(h, x);
		reported++;
	}
	return reported;
}

size_t
httpc_poll(struct httpc *h, int64_t wait_ms, httpc_done_fn *done, void *arg)
{
	uint64_t until = now_usec() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) *
	    1000u;
	size_t n;
	int running;

	for (;;) {
		curl_multi_perform(h->multi, &running);
		if ((n = reap(h, done, arg)) > 0 || h->n == 0)
			return n;
		if (now_usec() >= until)
			return 0;
		/* Wakes on a socket's activity or libcurl's own timers. */
		curl_multi_poll(h->multi, NULL, 0,
		    (int)((until - now_usec()) / 1000u) + 1, NULL);
	}
}
