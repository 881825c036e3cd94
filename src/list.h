/*
 * list.h: the one way a list endpoint replies (count, page, JSON array,
 * X-Total-Count, Link), and the cached replies of inventory reads.
 *
 * A page is read by key, not by position alone: the page statement
 * takes the list's filters, then the key to start after (from the after
 * cursor, or one before every row for the first page), then limit + 1
 * and skip. The extra row says whether a next page exists; when it does,
 * the reply carries `Link: <...>; rel="next"` (RFC 8288) with the cursor
 * of the page's last row. Pages reached by cursor carry no X-Total-Count:
 * a client walking a list learned it on the first page, and counting is
 * what would make a page cost the whole table.
 */
#ifndef INV_LIST_H
#define INV_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cache.h"
#include "db.h"
#include "http.h"
#include "members.h"
#include "paging.h"

/* The sort key of a list, as its page statements take it. */
enum list_key {
	LIST_KEY_ID_ASC = 0,	/* "id > ?" */
	LIST_KEY_ID_DESC,	/* "id < ?" */
	LIST_KEY_TIME_ID_DESC,	/* "(time < ? OR (time = ? AND id < ?))" */
	LIST_KEY__MAX
};

/* Where one read's reply (or one list's count) lives in the cache. */
struct cached {
	enum cache_scope	 scope;
	int64_t			 id;		/* scope id */
	const char		*name;		/* borrowed; "" */
	int64_t			 ttl;		/* seconds */
	uint64_t		 gen;		/* from the miss */
	bool			 fill;		/* store what is read */
};

/* A list of the API: its statements, key and JSON. */
struct list_spec {
	enum stmt	 count;		/* the filters -> COUNT(*) */
	enum stmt	 page;		/* see above */
	enum list_key	 key;
	size_t		 id_col;	/* the key's columns in a page row */
	size_t		 time_col;	/* LIST_KEY_TIME_ID_DESC only */
	const struct members *members;	/* each row's object, unless
					   list_query's rows */
};

/*
 * Writes rows [0, n) of a page as elements of the open array; for lists
 * whose objects are more than one row (orders and their items). arg is
 * list_query's.
 */
typedef enum inv_err (*list_rows_fn)(struct app *, struct json_writer *,
    const struct db_res *rows, size_t n, void *arg);

#define LIST_MAX_FILTERS	4

/* One request of a list. Everything is borrowed. */
struct list_query {
	const struct list_spec	*spec;
	const struct db_val	*filters;	/* the statements' first
						   parameters */
	size_t			 nfilters;	/* <= LIST_MAX_FILTERS */
	const struct page	*page;
	struct cached		*reply;		/* the whole reply; NULL */
	struct cached		*count;		/* the count alone; NULL */
	list_rows_fn		 rows;		/* NULL: spec->members */
	void			*arg;
};

/*
 * Replies 200 with the page q asks for (through q->reply's cache when
 * given), its X-Total-Count unless it was reached by cursor (through
 * q->count's cache when given) and its Link when a next page exists; or
 * a database error.
 */
void list_reply(struct app *, const struct http_req *,
    const struct list_query *q, struct http_resp *);

/*
 * Looks c up. On a hit replies 200 with the stored body (a list: with
 * its X-Total-Count and Link) and returns true. Otherwise the caller
 * reads MariaDB; c->fill says whether its reply goes into the cache (a
 * plain miss, not Redis trouble).
 */
bool cached_reply(struct app *, struct cached *c, bool list,
    struct http_resp *);

/*
 * Replies 200 with text (len bytes; taken) and, when c says so (c may
 * be NULL), stores it in the cache. For a list, total >= 0 adds
 * X-Total-Count and link (NULL: none) a Link header, both stored with
 * the body.
 */
void cached_fill(struct app *, struct cached *c, bool list, char *text,
    size_t len, int64_t total, const char *link, struct http_resp *);

/*
 * The name of a page's cached reply (new): filters (the list and its
 * filters, as the count's name) and the page's place: skip, limit and
 * the after cursor as the request gave it.
 */
char *list_page_name(const struct http_req *, const struct page *,
    const char *filters);
/* Replies status with row `row` of res as one object of members ms. */
void row_reply(struct http_resp *, int status, const struct db_res *,
    size_t row, struct members ms);

#endif
