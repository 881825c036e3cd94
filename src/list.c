/*
 * list.c: list replies and cached replies (list.h).
 *
 * A cached reply is the exact response body; for a list, its
 * X-Total-Count (or nothing) and its Link (or nothing) come first, each
 * followed by a newline. Keys carry the scope's generation (cache.h), so
 * a reply read before a write that has returned is never served after
 * it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "list.h"
#include "log.h"

/* After the first page's key: later than any row. */
#define KEY_TIME_LAST	"9999-12-31 23:59:59"

/* Values a list_reply fetches at once: its reply and its count. */
#define CACHED_MAX	2

/*
 * The entries of cs[from..n) that go to Redis together with cs[from]
 * (one scope and id; for a store also one generation and TTL), not yet
 * done: their indexes into at[], marked done. How many.
 */
static size_t
cached_batch(struct cached *const *cs, size_t n, size_t from, bool store,
    bool *done, size_t *at)
{
	const struct cached *a = cs[from], *b;
	size_t i, m = 0;

	for (i = from; i < n; i++) {
		b = cs[i];
		if (b == NULL || done[i] || b->scope != a->scope ||
		    b->id != a->id || (store && (b->gen != a->gen ||
		    b->ttl != a->ttl)))
			continue;
		done[i] = true;
		at[m++] = i;
	}
	return m;
}

/*
 * The one way a cached value is looked up: vals[i] becomes the value of
 * cs[i] (new; NULL on a miss, for a NULL cs[i] and when Redis is in
 * trouble), in one round trip for the values of one scope. Sets each
 * c->gen, and c->fill on a plain miss only, which cached_put honours.
 */
static void
cached_get(struct app *app, struct cached *const *cs, size_t n, char **vals)
{
	struct cache_val v[CACHED_MAX];
	bool done[CACHED_MAX] = { false };
	size_t at[CACHED_MAX], i, k, m;
	uint64_t gen;
	enum inv_err rc;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	for (i = 0; i < n; i++) {
		if (cs[i] == NULL || done[i])
			continue;
		m = cached_batch(cs, n, i, false, done, at);
		for (k = 0; k < m; k++)
			v[k].name = cs[at[k]]->name;
		rc = cache_fetch_n(app->cache, cs[i]->scope, cs[i]->id, v, m,
		    &gen);
		for (k = 0; k < m; k++) {
			cs[at[k]]->gen = gen;
			cs[at[k]]->fill = rc == INV_OK && v[k].val == NULL;
			vals[at[k]] = v[k].val;
		}
	}
}

/* Stores vals[i] (lens[i] bytes) for each cs[i] that cached_get left to
 * fill, one round trip per scope. */
static void
cached_put(struct app *app, struct cached *const *cs, size_t n,
    const char *const *vals, const size_t *lens)
{
	struct cached *fill[CACHED_MAX];
	struct cache_val v[CACHED_MAX];
	bool done[CACHED_MAX] = { false };
	size_t at[CACHED_MAX], i, k, m;

	for (i = 0; i < n; i++)
		fill[i] = cs[i] != NULL && cs[i]->fill && vals[i] != NULL ?
		    cs[i] : NULL;
	for (i = 0; i < n; i++) {
		if (fill[i] == NULL || done[i])
			continue;
		m = cached_batch(fill, n, i, true, done, at);
		for (k = 0; k < m; k++) {
			v[k].name = fill[at[k]]->name;
			v[k].val = (char *)vals[at[k]];
			v[k].len = lens[at[k]];
		}
		cache_store_n(app->cache, fill[i]->scope, fill[i]->id,
		    fill[i]->gen, v, m, fill[i]->ttl);
	}
}

/*
 * Replies 200 with val (taken), the stored body of c (a list: with its
 * X-Total-Count and Link). False (nothing replied) when val is not what
 * is stored.
 */
static bool
cached_serve(const struct cached *c, bool list, char *val,
    struct http_resp *resp)
{
	char *body = val, *nl, *nl2;
	int64_t total;

	if (list) {
		if ((nl = strchr(val, '\n')) == NULL ||
		    (nl2 = strchr(nl + 1, '\n')) == NULL)
			goto bad;
		*nl = *nl2 = '\0';
		if (*val != '\0' && !str_to_i64(val, 0, INT64_MAX, &total))
			goto bad;
		if (*val != '\0')
			http_resp_header(resp, "X-Total-Count", val);
		if (nl[1] != '\0')
			http_resp_header(resp, "Link", nl + 1);
		body = nl2 + 1;
	}
	http_reply_json_text(resp, 200, body, strlen(body));
	free(val);
	return true;
bad:
	/* Not what we store: read MariaDB, and leave the entry to expire. */
	log_warn("cache: malformed list value for \"%s\"", c->name);
	free(val);
	return false;
}

bool
cached_reply(struct app *app, struct cached *c, bool list,
    struct http_resp *resp)
{
	char *val;

	cached_get(app, &c, 1, &val);
	return val != NULL && cached_serve(c, list, val, resp);
}

/*
 * cached_fill, and the count total into count (NULL: none) when the
 * lookup left it to fill: both in one round trip.
 */
static void
fill_reply(struct app *app, struct cached *c, struct cached *count,
    bool list, char *text, size_t len, int64_t total, const char *link,
    struct http_resp *resp)
{
	struct cached *cs[CACHED_MAX] = { c, total >= 0 ? count : NULL };
	const char *vals[CACHED_MAX] = { NULL, NULL };
	size_t lens[CACHED_MAX] = { 0, 0 };
	char num[32] = "";
	struct buf val;

	buf_init(&val);
	if (total >= 0) {
		snprintf(num, sizeof(num), "%" PRId64, total);
		http_resp_header(resp, "X-Total-Count", num);
		vals[1] = num;
		lens[1] = strlen(num);
	}
	if (link != NULL)
		http_resp_header(resp, "Link", link);
	if (c != NULL && c->fill) {
		if (list)
			buf_printf(&val, "%s\n%s\n", num, link != NULL ?
			    link : "");
		buf_append(&val, text, len);
		vals[0] = val.data;
		lens[0] = val.len;
	}
	cached_put(app, cs, CACHED_MAX, vals, lens);
	http_reply_json_owned(resp, 200, text, len);
	buf_free(&val);
}

void
cached_fill(struct app *app, struct cached *c, bool list, char *text,
    size_t len, int64_t total, const char *link, struct http_resp *resp)
{
	fill_reply(app, c, NULL, list, text, len, total, link, resp);
}

/* The number of rows q's filters select, from MariaDB, into *total. */
static enum inv_err
list_count(struct app *app, const struct list_query *q, int64_t *total)
{
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_exec(app->db, q->spec->count, q->filters, q->nfilters,
	    &res, NULL, NULL)) != INV_OK)
		return rc;
	*total = db_res_int(res, 0, 0);
	db_res_free(res);
	return INV_OK;
}

/* True when segment s[0..n) of a query string is parameter name. */
static bool
segment_is(const char *s, size_t n, const char *name)
{
	size_t len = strlen(name);

	return n >= len && strncmp(s, name, len) == 0 &&
	    (n == len || s[len] == '=');
}

/* Appends s[0..n) of a query string as sent, percent-encoding what may
 * not stand inside a Link's <URI> (a client may send it unencoded). */
static void
link_append(struct buf *b, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' ||
		    c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' ||
		    c == '}')
			buf_printf(b, "%%%02X", c);
		else
			buf_append(b, &s[i], 1);
	}
}

/*
 * The Link header of the next page (new): the request's path and query
 * as the client sent them (the filters stay as they were written),
 * without skip, limit and after, then the limit and the cursor of row
 * `last` of res.
 */
static char *
next_link(const struct http_req *req, const struct list_spec *spec,
    const struct page *pg, const struct db_res *res, size_t last)
{
	char cursor[PAGE_CURSOR_MAX + 1];
	const char *s = req->query, *amp;
	struct buf b;
	size_t n;

	page_cursor(req->path, spec->key == LIST_KEY_TIME_ID_DESC ?
	    db_res_str(res, last, spec->time_col) : NULL,
	    db_res_int(res, last, spec->id_col), cursor);
	buf_init(&b);
	buf_printf(&b, "<%s?", req->path);
	while (s != NULL && *s != '\0') {
		amp = strchr(s, '&');
		n = amp != NULL ? (size_t)(amp - s) : strlen(s);
		if (n > 0 && !segment_is(s, n, "skip") &&
		    !segment_is(s, n, "limit") && !segment_is(s, n, "after")) {
			link_append(&b, s, n);
			buf_puts(&b, "&");
		}
		s = amp != NULL ? amp + 1 : NULL;
	}
	buf_printf(&b, "limit=%" PRId64 "&after=%s>; rel=\"next\"", pg->limit,
	    cursor);
	return buf_take(&b);
}

/* Appends the key parameters of a page of spec's list to p at *n. */
static void
key_params(const struct list_spec *spec, const struct page *pg,
    struct db_val *p, size_t *n)
{
	switch (spec->key) {
	case LIST_KEY_ID_ASC:
		p[(*n)++] = DB_INT(pg->after ? pg->after_id : 0);
		break;
	case LIST_KEY_ID_DESC:
		p[(*n)++] = DB_INT(pg->after ? pg->after_id : INT64_MAX);
		break;
	case LIST_KEY_TIME_ID_DESC:
	default:
		p[*n] = p[*n + 1] = DB_STR(pg->after ? pg->after_time :
		    KEY_TIME_LAST);
		*n += 2;
		p[(*n)++] = DB_INT(pg->after ? pg->after_id : INT64_MAX);
		break;
	}
}

void
list_reply(struct app *app, const struct http_req *req,
    const struct list_query *q, struct http_resp *resp)
{
	const struct list_spec *spec = q->spec;
	const struct page *pg = q->page;
	struct db_val p[LIST_MAX_FILTERS + 5];
	struct json_object *details = NULL;
	struct cached *cs[CACHED_MAX];
	char *vals[CACHED_MAX];
	struct db_res *res = NULL;
	struct json_writer w;
	int64_t total = -1;
	char *link = NULL, *text;
	size_t i, n, rows, len;
	enum inv_err rc = INV_OK;

	/* A cursor of the other kind was not made for this list. */
	if (pg->after && (pg->after_time[0] != '\0') !=
	    (spec->key == LIST_KEY_TIME_ID_DESC)) {
		detail_add(&details, "query", "after", MSG_CURSOR_INVALID, NULL,
		    0);
		http_reply_422(resp, details);
		return;
	}
	/* The reply and the count (none for a cursor page): a first page
	 * missed by both is one round trip to Redis to look, one to fill. */
	cs[0] = q->reply;
	cs[1] = pg->after ? NULL : q->count;
	cached_get(app, cs, CACHED_MAX, vals);
	if (vals[0] != NULL && cached_serve(q->reply, true, vals[0], resp)) {
		free(vals[1]);
		return;
	}
	if (vals[1] != NULL && !str_to_i64(vals[1], 0, INT64_MAX, &total))
		total = -1;
	free(vals[1]);
	if (!pg->after && total < 0 && (rc = list_count(app, q, &total)) !=
	    INV_OK)
		goto out;
	for (n = 0; n < q->nfilters; n++)
		p[n] = q->filters[n];
	key_params(spec, pg, p, &n);
	p[n++] = DB_INT(pg->limit + 1);
	p[n++] = DB_INT(pg->skip);
	if ((rc = db_exec(app->db, spec->page, p, n, &res, NULL, NULL)) !=
	    INV_OK)
		goto out;
	rows = db_res_rows(res);
	if (rows > (size_t)pg->limit) {
		rows = (size_t)pg->limit;
		link = next_link(req, spec, pg, res, rows - 1);
	}
	jw_init(&w);
	jw_begin_array(&w);
	if (q->rows != NULL)
		rc = q->rows(app, &w, res, rows, q->arg);
	else
		for (i = 0; i < rows; i++) {
			jw_begin_object(&w);
			members_write(&w, res, i, spec->members->m,
			    spec->members->n);
			jw_end_object(&w);
		}
	jw_end_array(&w);
	if (rc != INV_OK) {
		jw_free(&w);
		goto out;
	}
	text = jw_take(&w, &len);
	fill_reply(app, q->reply, cs[1], true, text, len, total, link, resp);
out:
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	free(link);
	db_res_free(res);
}

char *
list_page_name(const struct http_req *req, const struct page *pg,
    const char *filters)
{
	return xasprintf("%s&skip=%" PRId64 "&limit=%" PRId64 "&after=%s",
	    filters, pg->skip, pg->limit, pg->after ?
	    http_query_get(req, "after") : "");
}

void
row_reply(struct http_resp *resp, int status, const struct db_res *res,
    size_t row, struct members ms)
{
	size_t len;
	char *text = members_text(res, row, ms, &len);

	http_reply_json_owned(resp, status, text, len);
}
