/*
 * util.c: errors, allocation, buffers and small string helpers.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void
print_version(const char *prog)
{
	printf("%s %s\n", prog, PACKAGE_VERSION);
}

int
cli_common_opt(int c, const char *prog, const char **cfgpath,
    void (*usage)(FILE *))
{
	switch (c) {
	case 'c':
		*cfgpath = optarg;
		return -1;
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		print_version(prog);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

int
cli_no_operands(int argc, char *const argv[], const char *prog,
    void (*usage)(FILE *))
{
	if (optind == argc)
		return -1;
	fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
	usage(stderr);
	return 2;
}

static const char *const inv_errs[INV__MAX] = {
	"success",			/* INV_OK */
	"out of memory",		/* INV_ENOMEM */
	"invalid input",		/* INV_INVALID */
	"not found",			/* INV_NOTFOUND */
	"duplicate key",		/* INV_CONFLICT */
	"constraint violated",		/* INV_CONSTRAINT */
	"transaction must be retried",	/* INV_RETRY */
	"service unavailable",		/* INV_UNAVAILABLE */
	"database error",		/* INV_DB */
	"not authenticated",		/* INV_AUTH */
	"input/output error",		/* INV_IO */
	"configuration error",		/* INV_CONFIG */
	"stored records disagree",	/* INV_DISAGREE */
};

const char *
inv_strerror(enum inv_err e)
{
	if ((unsigned)e >= INV__MAX)
		return "unknown error";
	return inv_errs[e];
}

static void
oom(size_t n)
{
	log_error("out of memory allocating %zu bytes", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		oom(n * sz);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(strlen(fmt));
	va_end(ap);
	return p;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t want = b->len + n + 1;

	if (want <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < want)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_put_i64(struct buf *b, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(num + sizeof(num) - p));
}

char *
buf_take(struct buf *b)
{
	char *p = b->data != NULL ? b->data : xstrdup("");

	buf_init(b);
	return p;
}

char *
str_trim_dup(const char *s)
{
	const char *e;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

bool
str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* schema/004_users_identity.sql converts stored addresses by the same
 * rule: change both or neither. */
char *
email_canonical(const char *s)
{
	char *e = str_trim_dup(s);

	str_lower(e);
	return e;
}

/* Local part: 1..64 bytes, no space, control or RFC 5322 special, dots
 * only between other characters. UTF-8 (RFC 6531) is allowed. */
static bool
email_local_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || strchr("()<>[]:;@\\,\"", c))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* Domain: two or more ASCII labels of 1..63 letters, digits and inner
 * hyphens. An empty label is a leading, trailing or double dot. */
static bool
email_domain_valid(const char *d)
{
	size_t label = 0, labels = 0;
	const char *p;

	for (p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			if (*p == '\0')
				break;
			label = 0;
		} else if (is_ascii_alnum((unsigned char)*p) ||
		    (*p == '-' && label > 0))
			label++;
		else
			return false;
	}
	return labels >= 2;
}

bool
email_valid(const char *s)
{
	const char *at;

	if (s == NULL || strlen(s) > 254 || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return false;
	return email_local_valid(s, (size_t)(at - s)) &&
	    email_domain_valid(at + 1);
}

/* Fills buf with n bytes from the kernel's CSPRNG (aborts if it fails:
 * nothing here can go on without randomness). */
static void
random_fill(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_error("getrandom: %s", strerror(errno));
			abort();
		}
		p += r;
		n -= (size_t)r;
	}
}

void
random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t i, got = 0;

	while (nbytes > 0) {
		size_t n = nbytes < sizeof(raw) ? nbytes : sizeof(raw);

		random_fill(raw, n);
		for (i = 0; i < n; i++) {
			out[got++] = hex[raw[i] >> 4];
			out[got++] = hex[raw[i] & 0xf];
		}
		nbytes -= n;
	}
	out[got] = '\0';
}

double
random_unit(void)
{
	uint64_t x;

	random_fill(&x, sizeof(x));
	/* The top 53 bits: every double of [0, 1) a multiple of 2^-53. */
	return (double)(x >> 11) * 0x1.0p-53;
}

uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
