/*
 * testutil.c: what every Check suite shares; needs nothing but Check, so
 * unit suites link no more of the library than they test.
 */
#include <stdarg.h>
#include <stdlib.h>

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
