/*
 * log.h: leveled logging to stderr, one line per message:
 *   time=2026-11-25T22:44:22Z level=info pid=<pid> rid=<request id> <message>
 * prefixed by the sd-daemon(3) priority (<3> error ... <7> debug) when
 * stderr is the journal, so journalctl -p filters by level.
 * The level is checked before any formatting. Never log secrets.
 */
#ifndef INV_LOG_H
#define INV_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_DEBUG = 0,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
	LOG_LVL__MAX
};

/* Whether stderr is the journal: $JOURNAL_STREAM names its device and
 * inode. Call again after stderr or the variable changes. */
void log_init(void);
/* The priority prefix of level l for a line written without log_msg():
 * "" unless stderr is the journal. */
const char *log_prefix(enum log_level);
void log_set_level(enum log_level);
/* Parses "debug", "info", "warn", "error"; false if unknown. */
bool log_level_parse(const char *, enum log_level *);
bool log_enabled(enum log_level);
/* Request id to put on every line until changed (borrowed; NULL clears). */
void log_set_request_id(const char *);
void log_msg(enum log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The line of one request, at info, every field key=value so that a log
 * query can select on any (route is the route table's pattern, "-" for
 * none; user 0: anonymous). */
void log_request(const char *method, const char *route, int status,
    unsigned long long usec, long long user);

#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_enabled(LOG_LVL_INFO)) \
	log_msg(LOG_LVL_INFO, __VA_ARGS__); } while (0)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif
