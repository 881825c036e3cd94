/*
 * fuzz.h: what every libFuzzer harness of t/fuzz/ shares.
 *
 * A harness checks the invariants of the functions it drives with
 * FUZZ_ASSERT: a broken one aborts, which libFuzzer reports as a crash
 * and saves the input, as it does for ASan and UBSan reports.
 */
#ifndef INV_FUZZ_H
#define INV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * New NUL-terminated copy of data[0..size), cut at the first NUL: what a
 * C string taken from a request or a file would hold.
 */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);

	return xstrndup((const char *)data,
	    nul != NULL ? (size_t)(nul - data) : size);
}

/*
 * Splits *data at the next byte sep: returns a new C string of what comes
 * before it (cut at a NUL) and advances past the separator.
 */
static inline char *
fuzz_field(const uint8_t **data, size_t *size, uint8_t sep)
{
	const uint8_t *end = memchr(*data, sep, *size);
	size_t n = end != NULL ? (size_t)(end - *data) : *size;
	char *s = fuzz_cstr(*data, n);

	*data += n < *size ? n + 1 : n;
	*size -= n < *size ? n + 1 : n;
	return s;
}

/* Errors only: what is logged at lower levels is expected refusals. */
static inline void
fuzz_quiet_log(void)
{
	log_set_level(LOG_LVL_ERROR);
}

#endif
