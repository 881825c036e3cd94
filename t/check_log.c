/*
 * check_log.c: log lines on stderr, with the journal's priority prefix
 * only while $JOURNAL_STREAM names the stream stderr really is.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

static int saved_stderr = -1;
static int pipe_rd = -1;

/* Points stderr at a fresh pipe, the first one's stderr kept until
 * restore(). */
static void
capture(void)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	if (saved_stderr < 0)
		ck_assert_int_ge(saved_stderr = dup(STDERR_FILENO), 0);
	if (pipe_rd >= 0)
		close(pipe_rd);
	ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	close(fds[1]);
	pipe_rd = fds[0];
}

/* Sets $JOURNAL_STREAM to value (NULL: unsets it) and has the log look
 * at it again. */
static void
journal(const char *value)
{
	if (value != NULL)
		setenv("JOURNAL_STREAM", value, 1);
	else
		unsetenv("JOURNAL_STREAM");
	log_init();
}

static void
restore(void)
{
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (pipe_rd >= 0) {
		close(pipe_rd);
		pipe_rd = -1;
	}
	journal(NULL);
	log_set_level(LOG_LVL_INFO);
}

/* Sets $JOURNAL_STREAM to stderr's device and inode, plus ino_delta,
 * and has the log look at it. */
static void
journal_is_stderr(long ino_delta)
{
	struct stat st;
	char val[64];

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(val, sizeof(val), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (unsigned long long)ino_delta);
	journal(val);
}

/* What stderr got since the last read (static buffer). */
static const char *
line_read(void)
{
	static char buf[512];
	ssize_t n;

	n = read(pipe_rd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(buf[n - 1], '\n');
	return buf;
}

/* Logs at level l and returns the line read back (static buffer). */
static const char *
line_at(enum log_level l)
{
	log_msg(l, "hello x=%d", 1);
	return line_read();
}

static void
starts_with(const char *line, const char *want)
{
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0,
	    "line \"%s\" does not start with \"%s\"", line, want);
}

START_TEST(journal_priorities)
{
	capture();
	log_set_level(LOG_LVL_DEBUG);
	journal_is_stderr(0);
	starts_with(line_at(LOG_LVL_ERROR), "<3>time=");
	starts_with(line_at(LOG_LVL_WARN), "<4>time=");
	starts_with(line_at(LOG_LVL_INFO), "<6>time=");
	starts_with(line_at(LOG_LVL_DEBUG), "<7>time=");
	ck_assert_str_eq(log_prefix(LOG_LVL_ERROR), "<3>");
	ck_assert_ptr_nonnull(strstr(line_at(LOG_LVL_ERROR),
	    " level=error pid="));
}
END_TEST

START_TEST(no_journal_no_prefix)
{
	capture();
	/* Not set, set to another stream, or not a device:inode pair. */
	journal(NULL);
	starts_with(line_at(LOG_LVL_ERROR), "time=");
	journal_is_stderr(1);
	starts_with(line_at(LOG_LVL_ERROR), "time=");
	ck_assert_str_eq(log_prefix(LOG_LVL_ERROR), "");
	journal("garbage");
	starts_with(line_at(LOG_LVL_ERROR), "time=");
	/* stderr redirected after systemd set the variable. */
	journal_is_stderr(0);
	capture();
	log_init();
	starts_with(line_at(LOG_LVL_ERROR), "time=");
}
END_TEST

START_TEST(request_id_on_line)
{
	capture();
	log_set_request_id("abc123");
	ck_assert_ptr_nonnull(strstr(line_at(LOG_LVL_INFO),
	    " rid=abc123 hello x=1\n"));
	log_set_request_id(NULL);
	ck_assert_ptr_null(strstr(line_at(LOG_LVL_INFO), "rid="));
}
END_TEST

START_TEST(request_line_is_key_value)
{
	const char *line;

	capture();
	log_set_request_id("4f1c");
	log_request("GET", "/api/v1/orders/{id}", 200, 1830, 17);
	log_set_request_id(NULL);
	line = line_read();
	ck_assert_msg(strstr(line, " level=info pid=") != NULL &&
	    strstr(line, " rid=4f1c method=GET route=/api/v1/orders/{id} "
	    "status=200 duration_us=1830 user=17\n") != NULL, "line: %s", line);
	/* Above info, no line: the next read finds the warning alone. */
	log_set_level(LOG_LVL_WARN);
	log_request("GET", "-", 404, 1, 0);
	line = line_at(LOG_LVL_WARN);
	ck_assert_msg(strstr(line, "method=") == NULL, "line: %s", line);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("stderr");

	tcase_add_checked_fixture(tc, NULL, restore);
	tcase_add_test(tc, journal_priorities);
	tcase_add_test(tc, no_journal_no_prefix);
	tcase_add_test(tc, request_id_on_line);
	tcase_add_test(tc, request_line_is_key_value);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(log_suite(), NULL);
}
