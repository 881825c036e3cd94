/*
 * testutil.c: what every Check suite shares; needs nothing but Check, so
 * unit suites link no more of the library than they test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
