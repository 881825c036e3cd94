/*
 * testutil.c: what every Check suite shares; needs nothing but Check, so
 * unit suites link no more of the library than they test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
