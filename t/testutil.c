/*
 * testutil.c: what every Check suite shares; needs nothing but Check, so
 * unit suites link no more of the library than they test.
 */
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TU_VALGRIND 1
#endif
#endif

#include "testutil.h"

int
tu_run(Suite *first, ...)
{
	SRunner *sr = srunner_create(first);
	Suite *s;
	va_list ap;
	int failed;

	va_start(ap, first);
	while ((s = va_arg(ap, Suite *)) != NULL)
		srunner_add_suite(sr, s);
	va_end(ap);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

Suite *
tu_suite(const char *name, SFun setup, SFun teardown,
    const struct tu_row *rows, size_t nrows)
{
	Suite *s = suite_create(name);
	TCase *tc = NULL;
	size_t i;

	for (i = 0; i < nrows; i++) {
		if (rows[i].tcase != NULL) {
			tc = tcase_create(rows[i].tcase);
			tcase_add_checked_fixture(tc, setup, teardown);
			if (rows[i].timeout > 0)
				tcase_set_timeout(tc, rows[i].timeout);
			suite_add_tcase(s, tc);
		} else if (tc == NULL) {
			/* A table that starts with a test: a bug of the suite. */
			fprintf(stderr, "%s: a test before any case\n", name);
			abort();
		} else
			tcase_add_test(tc, rows[i].test);
	}
	return s;
}

/*
 * Under valgrind (make valgrind) a forked child's exit would run a leak
 * check of the whole heap it inherited, and what its parent's frames
 * still hold is unreachable from the child: "definitely lost" that is no
 * leak. So the child skips that check by exec'ing a shell that exits with
 * its status; the memory errors it made on the way (invalid reads and
 * writes) were reported as they happened, and turn the status into 99,
 * valgrind's --error-exitcode in the Makefile. Leaks are checked where
 * the memory is owned: in the parent, which runs the same code.
 */
void
tu_child_exit(int code)
{
#ifdef TU_VALGRIND
	char s[16];

	if (RUNNING_ON_VALGRIND) {
		if (VALGRIND_COUNT_ERRORS > 0)
			code = 99;
		snprintf(s, sizeof(s), "%d", code);
		execl("/bin/sh", "sh", "-c", "exit \"$0\"", s, (char *)NULL);
	}
#endif
	_exit(code);
}

/* ---- races: children whose failures count ---- */

/* What a child of tu_race sends its parent: one write, so one record. */
struct child_report {
	int		index;
	int		passed;
	char		why[400];
	unsigned char	out[TU_RESULT_MAX];
};

_Static_assert(sizeof(struct child_report) <= PIPE_BUF,
    "a child's report must fit one atomic pipe write");

/* The child's part, set in the child before its nested run. */
static struct {
	int		 i;
	int		 ready_fd;	/* written once ready, then closed */
	int		 go_fd;		/* EOF: the barrier has opened */
	void		(*ready)(int);
	void		(*fn)(int, void *);
	void		*out;
} child;

static void
child_run(void)
{
	char c;

	if (child.ready != NULL)
		child.ready(child.i);
	ck_assert_int_eq(write(child.ready_fd, "r", 1), 1);
	close(child.ready_fd);
	child.ready_fd = -1;
	ck_assert_int_eq(read(child.go_fd, &c, 1), 0);
	child.fn(child.i, child.out);
}

START_TEST(nested_child)
{
	child_run();
}
END_TEST

/*
 * Runs child_run under a Check runner of this process's own, without a
 * fork: a failed assertion comes back here with its message. Without it
 * the assertion would, in Check's fork mode, only end this process with
 * status 1, and with CK_FORK=no (make valgrind) jump into the copy of
 * the parent's runner and run the rest of the suite in this child.
 * Check supports one runner nested in another. True when it passed;
 * else *why gets "file:line: message".
 */
static bool
run_nested(char *why, size_t len)
{
	/* Settings of the outer run that would filter out or log this one. */
	static const char *const outer[] = { "CK_INCLUDE_TAGS",
	    "CK_EXCLUDE_TAGS", "CK_LOG_FILE_NAME", "CK_XML_LOG_FILE_NAME",
	    "CK_TAP_LOG_FILE_NAME" };
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("child");
	TestResult **tr;
	SRunner *sr;
	bool passed;
	size_t i;

	for (i = 0; i < sizeof(outer) / sizeof(outer[0]); i++)
		unsetenv(outer[i]);
	tcase_add_test(tc, nested_child);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run(sr, "child", "child", CK_SILENT);
	passed = srunner_ntests_failed(sr) == 0;
	if (!passed) {
		tr = srunner_failures(sr);
		snprintf(why, len, "%s:%d: %s", tr_lfile(tr[0]) != NULL ?
		    tr_lfile(tr[0]) : "?", tr_lno(tr[0]), tr_msg(tr[0]) != NULL ?
		    tr_msg(tr[0]) : "?");
		free(tr);
	}
	srunner_free(sr);
	return passed;
}

/* Appends one failure, "child i: ...", to list (len bytes). */
static void __attribute__((format(printf, 4, 5)))
add_failure(char *list, size_t len, int i, const char *fmt, ...)
{
	size_t used = strlen(list);
	va_list ap;

	if (used + 16 >= len)
		return;
	used += (size_t)snprintf(list + used, len - used, "%schild %d: ",
	    used > 0 ? "; " : "", i);
	va_start(ap, fmt);
	vsnprintf(list + used, len - used, fmt, ap);
	va_end(ap);
}

bool
tu_race(int n, void (*ready)(int), void (*fn)(int, void *),
    void *results, size_t size, char *why, size_t len)
{
	struct child_report r;
	pid_t *pids;
	bool *seen, *failed;
	int rd[2], go[2], res[2], i, st, nfailed = 0;
	ssize_t got;
	char c, list[2048] = "";

	ck_assert_uint_le(size, TU_RESULT_MAX);
	ck_assert(n > 0 && (size == 0 || results != NULL));
	ck_assert(pipe(rd) == 0 && pipe(go) == 0 && pipe(res) == 0);
	pids = calloc((size_t)n, sizeof(*pids));
	seen = calloc((size_t)n, sizeof(*seen));
	failed = calloc((size_t)n, sizeof(*failed));
	ck_assert(pids != NULL && seen != NULL && failed != NULL);
	/* Or each child would write what this process has buffered. */
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0) {
			close(rd[0]);
			close(go[1]);
			close(res[0]);
			memset(&r, 0, sizeof(r));
			r.index = i;
			child.i = i;
			child.ready_fd = rd[1];
			child.go_fd = go[0];
			child.ready = ready;
			child.fn = fn;
			child.out = r.out;
			r.passed = run_nested(r.why, sizeof(r.why));
			/* Failed before the barrier: the others go anyway. */
			if (child.ready_fd >= 0)
				close(child.ready_fd);
			tu_child_exit(write(res[1], &r, sizeof(r)) ==
			    (ssize_t)sizeof(r) ? 0 : 1);
		}
		ck_assert_int_gt(pids[i], 0);
	}
	close(rd[1]);
	close(go[0]);
	close(res[1]);
	/* The barrier: each child writes once it is ready and closes its
	 * end, so EOF means all are ready (or gone: reported below). */
	while (read(rd[0], &c, 1) > 0)
		continue;
	close(rd[0]);
	close(go[1]);	/* opens the barrier for every child at once */
	while ((got = read(res[0], &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		ck_assert_msg(r.index >= 0 && r.index < n && !seen[r.index],
		    "a stray report (child %d)", r.index);
		seen[r.index] = true;
		if (!r.passed) {
			add_failure(list, sizeof(list), r.index, "%s", r.why);
			failed[r.index] = true;
		}
		if (size > 0)
			memcpy((char *)results + (size_t)r.index * size, r.out,
			    size);
	}
	close(res[0]);
	for (i = 0; i < n; i++) {
		while (waitpid(pids[i], &st, 0) < 0)
			ck_assert_msg(errno == EINTR, "waitpid: %s",
			    strerror(errno));
		if (WIFSIGNALED(st))
			add_failure(list, sizeof(list), i,
			    "died of signal %d", WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0)
			add_failure(list, sizeof(list), i, "exited %d%s",
			    WEXITSTATUS(st), WEXITSTATUS(st) == 99 ?
			    " (a memory error under valgrind)" : "");
		else if (!seen[i])
			add_failure(list, sizeof(list), i, "reported nothing");
		else
			continue;
		failed[i] = true;
	}
	ck_assert_msg(got == 0, "a torn report (%zd bytes)", got);
	for (i = 0; i < n; i++)
		nfailed += failed[i];
	if (nfailed > 0)
		snprintf(why, len, "%d of %d children failed: %s", nfailed, n,
		    list);
	free(pids);
	free(seen);
	free(failed);
	return nfailed == 0;
}

void
tu_concurrently(int n, void (*ready)(int), void (*fn)(int, void *),
    void *results, size_t size)
{
	char why[1024];

	if (!tu_race(n, ready, fn, results, size, why, sizeof(why)))
		ck_abort_msg("%s", why);
}

double
tu_cpu_seconds(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
tu_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
