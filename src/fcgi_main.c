/*
 * fcgi_main.c: inventory.fcgi, the FastCGI responder. The only file that
 * sees libfcgi: it turns each FastCGI request into an http_req, hands it
 * to the router and writes the http_resp back. One request at a time per
 * process; spawn-fcgi runs several (doc/design.md, "Processes").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "app.h"
#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "router.h"

static volatile sig_atomic_t stopping;
static int devnull_fd = -1;

/*
 * A stop signal that lands after the loop tested `stopping` but before
 * accept() started would leave the process blocked in accept() until the
 * next request (seen under valgrind, where that window is wide). So the
 * handler also puts /dev/null in place of this process's copy of the
 * listening socket: accept() then fails at once. The socket itself stays
 * open in the other processes sharing it.
 */
static void
on_term(int sig)
{
	int saved = errno;

	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
	if (devnull_fd >= 0)
		(void)dup2(devnull_fd, FCGI_LISTENSOCK_FILENO);
	errno = saved;
}

/* Borrowed FastCGI parameter, NULL when absent or empty. */
static const char *
param(FCGX_Request *r, const char *name)
{
	const char *v = FCGX_GetParam(name, r->envp);

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
param_dup(FCGX_Request *r, const char *name)
{
	const char *v = param(r, name);

	return v != NULL ? xstrdup(v) : NULL;
}

/*
 * Reads the request body into req. Returns false when it is larger than
 * HTTP_MAX_BODY (nginx normally stops those first).
 */
static bool
read_body(FCGX_Request *r, struct http_req *req)
{
	const char *cl = param(r, "CONTENT_LENGTH");
	int64_t want = 0;
	int got;

	if (cl != NULL && !str_to_i64(cl, 0, INT64_MAX, &want))
		want = 0;
	if (want > HTTP_MAX_BODY)
		return false;
	req->body = xmalloc((size_t)want + 1);
	got = want > 0 ? FCGX_GetStr(req->body, (int)want, r->in) : 0;
	req->body_len = got > 0 ? (size_t)got : 0;
	req->body[req->body_len] = '\0';
	return true;
}

/* Fills req from the FastCGI parameters (new strings owned by req). */
static void
req_from_fcgi(FCGX_Request *r, struct http_req *req)
{
	const char *m = param(r, "REQUEST_METHOD"), *rid, *v;
	char gen[33];

	req->method = http_method_parse(m != NULL ? m : "");
	req->path = param_dup(r, "DOCUMENT_URI");
	if (req->path == NULL)
		req->path = xstrdup("/");
	req->query = param_dup(r, "QUERY_STRING");
	req->content_type = param_dup(r, "CONTENT_TYPE");
	req->authorization = param_dup(r, "HTTP_AUTHORIZATION");
	/* Unlike the others, an empty key is not an absent one: it is
	 * refused (422), not taken as "no key". */
	if ((v = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->envp)) != NULL)
		req->idempotency_key = xstrdup(v);
	req->remote_addr = param_dup(r, "REMOTE_ADDR");
	if ((rid = param(r, "REQUEST_ID")) == NULL) {
		/* Not behind our nginx: make one so logs still correlate. */
		random_hex(gen, 16);
		rid = gen;
	}
	req->request_id = xstrndup(rid, strnlen(rid, 64));
	http_req_finish(req);
}

/* Writes resp as a FastCGI (CGI-style) response; an answer to HEAD
 * without its body, whose length Content-Length still gives. */
static void
resp_to_fcgi(FCGX_Request *r, const struct http_resp *resp)
{
	char line[512];
	size_t i;
	int n;

	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", resp->status,
	    http_status_text(resp->status));
	FCGX_PutStr(line, n, r->out);
	for (i = 0; i < resp->nheaders; i++) {
		n = snprintf(line, sizeof(line), "%s: %s\r\n",
		    resp->headers[i].name, resp->headers[i].value);
		if (n > 0 && (size_t)n < sizeof(line))
			FCGX_PutStr(line, n, r->out);
	}
	/* FCGX_FPrintF has no %zu: format here, put as bytes. */
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n",
	    resp->body != NULL ? resp->body_len : 0);
	FCGX_PutStr(line, n, r->out);
	if (resp->body != NULL && resp->body_len > 0 && !resp->omit_body)
		FCGX_PutStr(resp->body, (int)resp->body_len, r->out);
}

static void
serve(struct app *app, FCGX_Request *r)
{
	struct http_req req;
	struct http_resp resp;
	struct metrics_gauges g = { 0 };
	struct cache_stats cs;
	uint64_t t0 = now_usec(), usec;
	char pid[24];

	http_req_init(&req);
	http_resp_init(&resp);
	req_from_fcgi(r, &req);
	log_set_request_id(req.request_id);
	if (!read_body(r, &req))
		http_reply_msg(&resp, MSG_TOO_LARGE);
	else
		router_dispatch(app, &req, &resp);
	if (app->cfg->debug_process_header) {
		/* All processes accept on one socket: a test that must reach
		 * each of them can only tell them apart by this. */
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		http_resp_header(&resp, "X-Inventory-Process", pid);
	}
	resp_to_fcgi(r, &resp);
	usec = now_usec() - t0;
	metrics_request(req.route != NULL ? (int)(req.route - routes) : -1,
	    resp.status, usec);
	cache_get_stats(app->cache, &cs);
	g.cache_hits = cs.hits;
	g.cache_misses = cs.misses;
	g.cache_errors = cs.errors;
	g.db_reconnects = db_reconnects(app->db);
	g.db_tx_retries = db_tx_retries(app->db);
	metrics_set_gauges(&g);
	log_request(http_method_name(req.method),
	    req.route != NULL ? req.route->pattern : "-", resp.status,
	    (unsigned long long)usec,
	    (long long)(req.principal.authenticated ?
	    req.principal.user_id : 0));
	log_set_request_id(NULL);
	http_resp_free(&resp);
	http_req_free(&req);
}

/*
 * Whether standard input is a listening socket, as spawn-fcgi leaves it.
 * Anything else (a terminal, a file, a connected socket) would make the
 * first accept fail and the process exit 0 after logging "ready", which
 * a supervisor takes for a clean stop.
 */
static bool
stdin_listens(void)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(FCGI_LISTENSOCK_FILENO, SOL_SOCKET, SO_ACCEPTCONN,
	    &v, &len) == 0 && v != 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: inventory.fcgi [--config FILE]\n"
	    "       inventory.fcgi --version\n"
	    "Serves the inventory API over FastCGI on standard input, as "
	    "spawn-fcgi provides it.\n");
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = NULL;
	struct config cfg;
	struct app app = { 0 };
	struct sigaction sa;
	FCGX_Request r;
	int c, rc;

	/*
	 * A fixed mmap threshold: scrypt's 16 MiB (scrypt_ln = 14) is then
	 * always mapped and unmapped, given back at once. With glibc's
	 * default the first free raises the threshold to 16 MiB, the next
	 * hash lands in the heap, and the heap stays 16 MiB larger for the
	 * life of the process (measured: 23 MiB after one login, 7 MiB
	 * now). Nothing else here asks for a megabyte at a time.
	 *
	 * Fixing it also fixes the trim threshold at 128 KiB: a list reply
	 * (its rows, its JSON, the FastCGI copy) takes the heap's top past
	 * that and free() then gives it back to the kernel, every request,
	 * and the brk() that shrinks it flushes the TLB of every core
	 * (measured: a third of the process's CPU on a cached 100-row list
	 * at 64 connections, and 2.8 times the requests per second once
	 * kept). Below the mmap threshold a request's memory is reused.
	 */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1)
		if ((rc = cli_common_opt(c, "inventory.fcgi", &cfgpath,
		    usage)) >= 0)
			return rc;
	if ((rc = cli_no_operands(argc, argv, "inventory.fcgi", usage)) >= 0)
		return rc;
	/* The failures from here on are the service's, seen in the journal
	 * (with its priority) rather than on a terminal. */
	log_init();
	if (!stdin_listens()) {
		fprintf(stderr, "%sinventory.fcgi: standard input is not a "
		    "listening socket; run it under spawn-fcgi (see "
		    "inventory.fcgi(8))\n", log_prefix(LOG_LVL_ERROR));
		return 1;
	}
	if (!config_startup(&cfg, cfgpath, "inventory.fcgi"))
		return 1;
	metrics_init(&cfg);
	app.cfg = &cfg;
	app.tokens = token_memo_new(&cfg);
	if (db_open(&app.db, &cfg) != INV_OK ||
	    cache_open(&app.cache, &cfg) != INV_OK ||
	    queue_open(&app.queue, &cfg) != INV_OK) {
		fprintf(stderr, "%sinventory.fcgi: cannot set up connections\n",
		    log_prefix(LOG_LVL_ERROR));
		return 1;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "%sinventory.fcgi: FCGX_Init failed\n",
		    log_prefix(LOG_LVL_ERROR));
		return 1;
	}
	if ((devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%sinventory.fcgi: /dev/null: %s\n",
		    log_prefix(LOG_LVL_ERROR), strerror(errno));
		return 1;
	}
	/*
	 * No SA_RESTART: SIGTERM must interrupt a waiting accept so the
	 * process exits at once when idle, and after the request in hand
	 * when busy.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Stop under multiwatch: Debian 12's multiwatch 1.0.0 sends the
	 * index of the -s name in its list (HUP INT QUIT TERM USR1 USR2)
	 * instead of the signal, so "-s TERM" reaches the children as 3,
	 * SIGQUIT, whose default action would cut the request in hand off
	 * (and dump core). Caught like SIGTERM. */
	sigaction(SIGQUIT, &sa, NULL);
	/* Reload: multiwatch passes SIGUSR2 on and, unlike after SIGTERM,
	 * starts the process again, which rereads the configuration. Caught
	 * like SIGTERM so the request in hand is finished first (the default
	 * action would cut it off). */
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	FCGX_InitRequest(&r, 0, FCGI_FAIL_ACCEPT_ON_INTR);
	log_info("inventory.fcgi ready");
	while (!stopping && FCGX_Accept_r(&r) >= 0) {
		serve(&app, &r);
		FCGX_Finish_r(&r);
	}
	log_info("inventory.fcgi stopping");
	queue_close(app.queue);
	cache_close(app.cache);
	db_close(app.db);
	token_memo_free(app.tokens);
	config_free(&cfg);
	return 0;
}
