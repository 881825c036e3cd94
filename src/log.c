/*
 * log.c: one line per message on stderr, level checked before formatting,
 * with the journal's priority prefix when stderr is the journal.
 * Lines are written with a single write(2) so lines of the several
 * FastCGI processes sharing one stderr do not interleave.
 */

#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const level_names[LOG_LVL__MAX] = {
	"debug",	/* LOG_LVL_DEBUG */
	"info",		/* LOG_LVL_INFO */
	"warn",		/* LOG_LVL_WARN */
	"error",	/* LOG_LVL_ERROR */
};

/* sd-daemon(3) priorities, which journald takes off the line. */
static const char *const level_prefixes[LOG_LVL__MAX] = {
	"<7>",	/* LOG_LVL_DEBUG */
	"<6>",	/* LOG_LVL_INFO */
	"<4>",	/* LOG_LVL_WARN */
	"<3>",	/* LOG_LVL_ERROR */
};

static enum log_level cur_level = LOG_LVL_INFO;
static const char *cur_rid;
static bool to_journal;

void
log_init(void)
{
	unsigned long long dev, ino;
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	char end;

	/* The variable is inherited: it speaks for stderr only while stderr
	 * is still the stream systemd connected, not after a redirection. */
	to_journal = js != NULL &&
	    sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

const char *
log_prefix(enum log_level l)
{
	return to_journal ? level_prefixes[l] : "";
}

void
log_set_level(enum log_level l)
{
	cur_level = l;
}

bool
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	for (i = 0; i < LOG_LVL__MAX; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	return false;
}

bool
log_enabled(enum log_level l)
{
	return l >= cur_level;
}

void
log_set_request_id(const char *rid)
{
	cur_rid = rid;
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	char line[2048];
	struct tm tm;
	time_t t;
	va_list ap;
	int n, m;

	if (!log_enabled(l))
		return;
	t = time(NULL);
	gmtime_r(&t, &tm);
	n = snprintf(line, sizeof(line), "%stime=%04d-%02d-%02dT%02d:%02d:%02dZ "
	    "level=%s pid=%d%s%s ", log_prefix(l),
	    tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, level_names[l],
	    (int)getpid(), cur_rid != NULL ? " rid=" : "",
	    cur_rid != NULL ? cur_rid : "");
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* truncated message */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void
log_request(const char *method, const char *route, int status,
    unsigned long long usec, long long user)
{
	log_info("method=%s route=%s status=%d duration_us=%llu user=%lld",
	    method, route, status, usec, user);
}
