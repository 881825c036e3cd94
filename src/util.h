/*
 * util.h: the error type shared by every module, the one allocation policy
 * (log and abort on out-of-memory; the supervisor restarts the process) and
 * a growable string buffer.
 */
#ifndef INV_UTIL_H
#define INV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Zero is success; every fallible function returns one of these. */
enum inv_err {
	INV_OK = 0,
	INV_ENOMEM,      /* allocation failed (only where not aborting) */
	INV_INVALID,     /* bad input or argument */
	INV_NOTFOUND,    /* no such row / key / file */
	INV_CONFLICT,    /* unique key violated (duplicate) */
	INV_CONSTRAINT,  /* CHECK or foreign key refused the change */
	INV_RETRY,       /* deadlock or lock wait: run the transaction again */
	INV_UNAVAILABLE, /* service (MariaDB, Redis) unreachable */
	INV_DB,          /* any other database error */
	INV_AUTH,        /* credentials or token rejected */
	INV_IO,          /* file or socket error */
	INV_CONFIG,      /* configuration refused */
	INV_DISAGREE,    /* stored records contradict each other (the stock
	                    books): nothing was changed; an operator must look */
	INV__MAX
};

/* Static string naming an error; never NULL. */
const char *inv_strerror(enum inv_err);

/* Prints "PROGRAM VERSION" on standard output, VERSION being configure's
 * (AC_INIT): the --version of every program. */
void print_version(const char *prog);

/*
 * The options every program takes, for the default branch of its
 * getopt_long loop: c is what getopt_long returned and none of the
 * program's own options. -c FILE sets *cfgpath (optarg, borrowed); -h
 * prints usage on standard output; -V the version; anything else is
 * refused with usage on standard error. Returns -1 when the program goes
 * on, else the status to exit with (0 after -h or -V, 2 when refused).
 */
int cli_common_opt(int c, const char *prog, const char **cfgpath,
    void (*usage)(FILE *));

/* After the options of a program that takes no operand: -1, or 2 having
 * named the first operand and printed usage on standard error. */
int cli_no_operands(int argc, char *const argv[], const char *prog,
    void (*usage)(FILE *));

/* Allocation wrappers: never return NULL (abort after logging). */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* New string formatted like printf; free() it. */
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* A growable NUL-terminated byte buffer; data owned by the buffer. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
/* Makes room for n more bytes plus the terminating NUL. */
void buf_reserve(struct buf *, size_t n);

/* Inline: JSON replies append a few bytes at a time, a million times a
 * second under load. */
static inline void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}
void buf_puts(struct buf *, const char *);
void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, digits by hand: snprintf cost a tenth of a page
 * of orders, which writes hundreds of ids. */
void buf_put_i64(struct buf *, int64_t v);
/* Hands the data to the caller (free() it) and leaves the buffer empty. */
char *buf_take(struct buf *);

/* ASCII classes, whatever the locale (ctype's follow it). */
static inline bool
is_ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_ascii_alnum(unsigned char c)
{
	return is_ascii_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Copy of s without leading/trailing ASCII white space (new). */
char *str_trim_dup(const char *s);
/* Parse a whole decimal string as int64 within [min, max]; false otherwise. */
bool str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Lower-case ASCII letters in place (never any other byte, whatever the
 * locale). */
void str_lower(char *s);
/* The one stored and compared form of an e-mail address (new): trimmed
 * of ASCII white space, ASCII letters lower-cased, every other byte kept,
 * so case is ignored and accents are not. */
char *email_canonical(const char *s);
/* Syntax check of an e-mail address (local@domain.tld, no spaces), as
 * the API and inventoryctl accept it. */
bool email_valid(const char *s);
/* Fill out with 2*nbytes lower-case hex digits of CSPRNG output, NUL-ended. */
void random_hex(char *out, size_t nbytes);
/* A uniformly distributed number in [0, 1) from the CSPRNG. */
double random_unit(void);
/* Microseconds from a monotonic clock. */
uint64_t now_usec(void);

#endif
