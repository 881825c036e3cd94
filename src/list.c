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

bool
cached_reply(struct app *app, struct cached *c, bool list,
    struct http_resp *resp)
{
	char *val = NULL, *body, *nl, *nl2;
	int64_t total;
	enum inv_err rc;

	c->fill = false;
	rc = cache_fetch(app->cache, c->scope, c->id, c->name, &val, &c->gen);
	if (rc == INV_NOTFOUND)
		c->fill = true;
	if (rc != INV_OK)
		return false;
	body = val;
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

void
cached_fill(struct app *app, struct cached *c, bool list, char *text,
    size_t len, int64_t total, const char *link, struct http_resp *resp)
{
	struct buf val;
	char count[32] = "";

	buf_init(&val);
	if (total >= 0) {
		snprintf(count, sizeof(count), "%" PRId64, total);
		http_resp_header(resp, "X-Total-Count", count);
	}
	if (link != NULL)
		http_resp_header(resp, "Link", link);
	if (c != NULL && c->fill) {
		if (list)
			buf_printf(&val, "%s\n%s\n", count, link != NULL ?
			    link : "");
		buf_append(&val, text, len);
		cache_store(app->cache, c->scope, c->id, c->name, c->gen,
		    val.data, val.len, c->ttl);
	}
	http_reply_json_owned(resp, 200, text, len);
	buf_free(&val);
}

/* The number of rows q's filters select into *total, through q->count's
 * cache when given. */
static enum inv_err
list_count(struct app *app, const struct list_query *q, int64_t *total)
{
	struct cached *c = q->count;
	struct db_res *res = NULL;
	char *val = NULL, text[32];
	enum inv_err rc;

	if (c != NULL) {
		c->fill = false;
		rc = cache_fetch(app->cache, c->scope, c->id, c->name, &val,
		    &c->gen);
		c->fill = rc == INV_NOTFOUND;
		if (rc == INV_OK && str_to_i64(val, 0, INT64_MAX, total)) {
			free(val);
			return INV_OK;
		}
		free(val);
	}
	if ((rc = db_exec(app->db, q->spec->count, q->filters, q->nfilters,
	    &res, NULL, NULL)) != INV_OK)
		return rc;
	*total = db_res_int(res, 0, 0);
	db_res_free(res);
	/* Only after a plain miss: not when Redis is in trouble. */
	if (c != NULL && c->fill) {
		snprintf(text, sizeof(text), "%" PRId64, *total);
		cache_store(app->cache, c->scope, c->id, c->name, c->gen, text,
		    strlen(text), c->ttl);
	}
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
	if (q->reply != NULL && cached_reply(app, q->reply, true, resp))
		return;
	if (!pg->after && (rc = list_count(app, q, &total)) != INV_OK)
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
	cached_fill(app, q->reply, true, text, len, total, link, resp);
out:
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	free(link);
	db_res_free(res);
}

void
row_reply(struct http_resp *resp, int status, const struct db_res *res,
    size_t row, struct members ms)
{
	size_t len;
	char *text = members_text(res, row, ms, &len);

	http_reply_json_owned(resp, status, text, len);
}
