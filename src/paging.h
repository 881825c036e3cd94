/*
 * paging.h: where a page of a list starts, as a request asks for it
 * (skip, limit, after) and as a reply's Link names the next one (an
 * opaque cursor). list.h replies with the page; this reads it.
 */
#ifndef INV_PAGING_H
#define INV_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "validate.h"

/*
 * skip (default 0, >= 0), limit (default 100, 1..1000) and after (a
 * cursor, read by paging_or_422), as every list takes them: the first
 * rows of each list's query spec, at PAGE_SKIP, PAGE_LIMIT and
 * PAGE_AFTER; a list's own parameters follow from PAGE__N.
 */
enum { PAGE_SKIP = 0, PAGE_LIMIT, PAGE_AFTER, PAGE__N };
#define PAGING_FIELDS \
	{ "skip", FT_INT, 0, 0, INT64_MAX, FX_NONE }, \
	{ "limit", FT_INT, 0, 1, 1000, .def = 100 }, \
	{ "after", FT_STRING, 0, 0, 0, FX_NONE }
/* The query spec of a list with no other parameter. */
extern const struct body_spec spec_paging;

/*
 * Where a page of a list starts: skip rows, or the rows after a cursor
 * (after), which names the sort key of the last row of the page before.
 * The first page is neither.
 */
#define PAGE_TIME_MAX	19	/* "2026-11-26 06:00:00", a DATETIME */
#define PAGE_CURSOR_MAX	128	/* characters of an after cursor */
struct page {
	int64_t	 skip;
	int64_t	 limit;
	bool	 after;				/* a cursor was given */
	int64_t	 after_id;			/* its row id */
	char	 after_time[PAGE_TIME_MAX + 1];	/* its time; "" for lists
						   sorted by id alone */
};

/*
 * The page of a list from its paging values (PAGING_FIELDS, which the
 * dispatcher checked): the after cursor, made by page_cursor for this
 * path, is read here; a bad one replies 422 and returns false. A cursor
 * with skip > 0 is a 422 too: a page starts at one place.
 */
bool paging_or_422(const struct http_req *, struct http_resp *,
    struct page *);

/*
 * The cursor of the row with key (time, id) of a list at path (both
 * borrowed; time NULL or "" for lists sorted by id) into out. Opaque to
 * clients: hex text with a checksum that binds it to the path, so a
 * cursor changed or taken to another list is refused, not misread. It
 * grants nothing: it only names where a page starts.
 */
void page_cursor(const char *path, const char *time, int64_t id,
    char out[PAGE_CURSOR_MAX + 1]);

#endif
