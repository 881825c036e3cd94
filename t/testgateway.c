/*
 * testgateway.c: the HTTP stub of the worker's suites (testgateway.h).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "testgateway.h"
#include "testutil.h"
#include "testworker.h"

pid_t gw_pid;
int gw_port;
char gw_log[80];
char gw_url_env[96];
char gw_secret[128];

/* Appends the request's key and body to the log: one write, so the
 * lines of several connections do not mix. */
static void
gw_note(const char *key, const char *body)
{
	char line[4096];
	int fd, n;

	n = snprintf(line, sizeof(line), "%s %s\n", key, body);
	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if ((fd = open(gw_log, O_WRONLY | O_APPEND | O_CREAT, 0600)) < 0)
		tu_child_exit(1);
	if (write(fd, line, (size_t)n) != n)
		tu_child_exit(1);
	close(fd);
}

/* Whether an earlier request carried key (the log says). */
static bool
gw_seen(const char *key)
{
	char line[4096];
	size_t len = strlen(key);
	bool seen = false;
	FILE *f;

	if ((f = fopen(gw_log, "r")) == NULL)
		return false;
	while (!seen && fgets(line, sizeof(line), f) != NULL)
		seen = strncmp(line, key, len) == 0 && line[len] == ' ';
	fclose(f);
	return seen;
}

/* The value of header name in the head (NUL-terminated), into out. */
static void
gw_header(const char *head, const char *name, char *out, size_t len)
{
	const char *p = head;
	size_t n = strlen(name), i = 0;

	out[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		for (p += n + 1; *p == ' '; p++)
			continue;
		while (i + 1 < len && *p != '\r' && *p != '\n')
			out[i++] = *p++;
		out[i] = '\0';
		return;
	}
}

/* Serves the requests of one kept-alive connection until it closes. */
static void
gw_serve(int fd, enum gw_mode mode)
{
	char buf[65536], key[128], clen[32], *end, body[4000];
	char sig[AUTH_SIGNATURE_LEN + 8], want[AUTH_SIGNATURE_LEN], ts[32];
	char type[64], id[32];
	size_t have = 0, need;
	const char *status, *answer;
	char reply[512], track[96];
	bool fulfil;
	ssize_t r;
	int n;

	for (;;) {
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL) {
			if (have + 1 >= sizeof(buf) ||
			    (r = read(fd, buf + have, sizeof(buf) - 1 - have))
			    <= 0)
				tu_child_exit(0);
			have += (size_t)r;
			continue;
		}
		*end = '\0';
		gw_header(buf, "Idempotency-Key", key, sizeof(key));
		gw_header(buf, "Content-Length", clen, sizeof(clen));
		need = (size_t)(end + 4 - buf) + strtoul(clen, NULL, 10);
		while (have < need) {
			if (need >= sizeof(buf) ||
			    (r = read(fd, buf + have, need - have)) <= 0)
				tu_child_exit(0);
			have += (size_t)r;
		}
		snprintf(body, sizeof(body), "%.*s",
		    (int)(need - (size_t)(end + 4 - buf)), end + 4);
		type[0] = id[0] = '\0';
		gw_header(buf, "X-Inventory-Signature", sig, sizeof(sig));
		if (sig[0] != '\0') {
			/* A webhook: its signature checked over the raw body. */
			gw_header(buf, "X-Inventory-Timestamp", ts, sizeof(ts));
			gw_header(buf, "X-Inventory-Event", type, sizeof(type));
			gw_header(buf, "X-Inventory-Delivery", id, sizeof(id));
			auth_webhook_signature(gw_secret, ts, end + 4,
			    need - (size_t)(end + 4 - buf), want);
			snprintf(key, sizeof(key), "%s/%s/%s",
			    strcmp(sig, want) == 0 ? "ok" : "bad", type, id);
		}
		if (mode == GW_SILENT) {
			gw_note(key, body);
			pause();
		}
		status = mode == GW_DECLINE ? "402 Payment Required" :
		    mode == GW_FAIL ? "500 Internal Server Error" :
		    mode == GW_REFUSE ? "409 Conflict" :
		    mode == GW_REJECT ? "422 Unprocessable Entity" :
		    mode == GW_FLAKY && !gw_seen(key) ?
		    "503 Service Unavailable" : "200 OK";
		/* A fulfilment request's 200 carries a tracking number made
		 * of its delivery id (one per job); its refusals, reasons. */
		fulfil = sig[0] != '\0' && strcmp(type, "fulfil_order") == 0;
		snprintf(track, sizeof(track), "{\"tracking_number\":"
		    "\"TRK-%s\"}", id);
		answer = !fulfil || mode == GW_NOTRACK ? "{}" :
		    mode == GW_REFUSE ? "{\"reason\":\"Out of stock at the "
		    "warehouse\"}" : mode == GW_REJECT ? "{\"error\":"
		    "\"Address not deliverable\"}" : strncmp(status, "200", 3)
		    == 0 ? track : "{}";
		gw_note(key, body);
		/* Logged first: a test sees the request while it waits. */
		if (mode == GW_SLOW)
			usleep(300000);
		n = snprintf(reply, sizeof(reply), "HTTP/1.1 %s\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "\r\n%s", status, strlen(answer), answer);
		if (write(fd, reply, (size_t)n) != n)
			tu_child_exit(0);
		memmove(buf, buf + need, have - need);
		have -= need;
	}
}

/* Starts the stub on a free port of 127.0.0.1, answering as mode. */
void
gw_start(enum gw_mode mode)
{
	snprintf(gw_log, sizeof(gw_log), "%s.gateway", tw_outfile);
	unlink(gw_log);
	gw_start_on(0, mode);
}

void
gw_start_on(int port, enum gw_mode mode)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int ls, fd, one = 1;

	ck_assert_int_ge(ls = socket(AF_INET, SOCK_STREAM, 0), 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ls, 512), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	gw_port = ntohs(sa.sin_port);
	snprintf(gw_url_env, sizeof(gw_url_env),
	    "INVENTORY_PAYMENT_URL=http://127.0.0.1:%d/pay", gw_port);
	if ((gw_pid = fork()) == 0) {
		setpgid(0, 0);
		/* A test that fails skips its teardown: the stub (and its
		 * connections, below) must not outlive the test's process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The connections' processes reap themselves. */
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			if ((fd = accept(ls, NULL, NULL)) < 0)
				continue;
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				close(ls);
				gw_serve(fd, mode);
				tu_child_exit(0);
			}
			close(fd);
		}
	}
	ck_assert_int_gt(gw_pid, 0);
	setpgid(gw_pid, gw_pid);
	close(ls);
}

/* Stops the stub and everything it forked. */
void
gw_stop(void)
{
	if (gw_pid <= 0)
		return;
	kill(-gw_pid, SIGKILL);
	waitpid(gw_pid, NULL, 0);
	gw_pid = 0;
}

void
gw_setup(void)
{
	tw_setup();
	gw_pid = 0;
}

void
gw_teardown(void)
{
	gw_stop();
	unlink(gw_log);
	tw_teardown();
}

/* A URL where nothing listens: a port just bound and let go. */
void
gw_nowhere(void)
{
	gw_start(GW_PAY);
	gw_stop();
}

/* The requests the stub has seen, and those of key. */
int
gw_requests(const char *key)
{
	char *text, line[64];
	int n;

	if (access(gw_log, F_OK) != 0)
		return 0;
	text = tw_file_text(gw_log);
	if (key == NULL) {
		n = tw_occurrences(text, "\n");
	} else {
		snprintf(line, sizeof(line), "%s {", key);
		n = tw_occurrences(text, line);
	}
	free(text);
	return n;
}

