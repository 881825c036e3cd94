/*
 * check_fcgi.c: inventory.fcgi as a process (src/fcgi_main.c), started
 * as spawn-fcgi starts it, with a listening unix socket for standard
 * input, against the test services (integration): every signal that
 * stops or reloads it, as multiwatch and systemd send them, ends it
 * cleanly (status 0, "stopping" logged), never by the signal's default
 * action, which would cut off the request in hand. And, with no service
 * needed: started on anything but a listening socket, it refuses to run
 * (non-zero, a message, no "ready"), so a supervisor sees a failure.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define POLLS	600	/* tries of a wait, 50 ms apart (valgrind is slow) */

static char sockpath[64];
static char outfile[64];

static void
setup(void)
{
	snprintf(sockpath, sizeof(sockpath), "/tmp/check_fcgi.%d.sock",
	    (int)getpid());
	snprintf(outfile, sizeof(outfile), "/tmp/check_fcgi.%d.log",
	    (int)getpid());
}

static void
teardown(void)
{
	unlink(sockpath);
	unlink(outfile);
}

/* What the process wrote to its standard error (new string). */
static char *
output(void)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(outfile, "r");

	buf_init(&b);
	if (f != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
	}
	return b.data != NULL ? buf_take(&b) : xstrdup("");
}

static bool
output_has(const char *what)
{
	char *out = output();
	bool has = strstr(out, what) != NULL;

	free(out);
	return has;
}

/* A new listening unix socket at sockpath. */
static int
listen_socket(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	unlink(sockpath);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	return fd;
}

/*
 * Starts inventory.fcgi on a new socket, logging at info to outfile, and
 * returns its pid once it says it is ready: its signal handlers are in
 * place by then.
 */
static pid_t
start_fcgi(void)
{
	const char *cfg = getenv("INVENTORY_CONFIG");
	pid_t pid;
	char *out;
	int fd, log, i;

	ck_assert_ptr_nonnull(cfg);
	fd = listen_socket();
	if ((pid = fork()) == 0) {
		if (dup2(fd, 0) < 0 || (log = open(outfile, O_WRONLY |
		    O_CREAT | O_TRUNC, 0600)) < 0 || dup2(log, 2) < 0 ||
		    setenv("INVENTORY_LOG_LEVEL", "info", 1) != 0)
			tu_child_exit(126);
		execl(FCGI_BIN, FCGI_BIN, "--config", cfg, (char *)NULL);
		tu_child_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	close(fd);
	for (i = 0; i < POLLS && !output_has("inventory.fcgi ready"); i++)
		usleep(50000);
	out = output();
	ck_assert_msg(strstr(out, "inventory.fcgi ready") != NULL,
	    "inventory.fcgi did not start:\n%s", out);
	free(out);
	return pid;
}

/*
 * SIGTERM and SIGINT stop it; SIGUSR2 is multiwatch's reload (it starts
 * the process again); SIGQUIT is what Debian 12's multiwatch 1.0.0
 * sends for "-s TERM".
 */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR2 };

START_TEST(stop_signal_ends_it_cleanly)
{
	int sig = stop_signals[_i], st;
	pid_t pid = start_fcgi();
	char *out;

	ck_assert_int_eq(kill(pid, sig), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "signal %d: died of signal %d", sig,
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	out = output();
	ck_assert_msg(strstr(out, "inventory.fcgi stopping") != NULL,
	    "signal %d: no \"stopping\" in:\n%s", sig, out);
	free(out);
}
END_TEST

/* What standard input is in not_a_listening_socket's runs. */
enum stdin_kind { STDIN_NULL, STDIN_CONNECTED, STDIN_UNLISTENED };

START_TEST(not_a_listening_socket_is_refused)
{
	int fds[2], fd, log, st;
	pid_t pid;
	char *out;

	switch (_i) {
	case STDIN_NULL:
		fd = open("/dev/null", O_RDONLY);
		break;
	case STDIN_CONNECTED:
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
		close(fds[1]);
		fd = fds[0];
		break;
	default:
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		break;
	}
	ck_assert_int_ge(fd, 0);
	if ((pid = fork()) == 0) {
		/* No configuration file: the refusal comes before it. */
		if (dup2(fd, 0) < 0 || (log = open(outfile, O_WRONLY |
		    O_CREAT | O_TRUNC, 0600)) < 0 || dup2(log, 2) < 0 ||
		    setenv("INVENTORY_LOG_LEVEL", "info", 1) != 0)
			tu_child_exit(126);
		execl(FCGI_BIN, FCGI_BIN, "--config", "/nonexistent",
		    (char *)NULL);
		tu_child_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	close(fd);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	out = output();
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "stdin %d: status %#x, output:\n%s", _i, st, out);
	ck_assert_msg(strstr(out, "not a listening socket") != NULL &&
	    strstr(out, "ready") == NULL, "stdin %d: output:\n%s", _i, out);
	free(out);
}
END_TEST

static Suite *
fcgi_suite(bool services)
{
	Suite *s = suite_create("fcgi");
	TCase *stdin_kinds = tcase_create("stdin");
	TCase *signals = tcase_create("signals");

	tcase_add_checked_fixture(stdin_kinds, setup, teardown);
	tcase_add_loop_test(stdin_kinds, not_a_listening_socket_is_refused,
	    STDIN_NULL, STDIN_UNLISTENED + 1);
	suite_add_tcase(s, stdin_kinds);
	if (!services)
		return s;

	tcase_add_checked_fixture(signals, setup, teardown);
	tcase_set_timeout(signals, 120);
	tcase_add_loop_test(signals, stop_signal_ends_it_cleanly, 0,
	    (int)(sizeof(stop_signals) / sizeof(stop_signals[0])));
	suite_add_tcase(s, signals);
	return s;
}

int
main(void)
{
	return tu_run(fcgi_suite(tu_have_services()), NULL);
}
