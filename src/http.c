/*
 * http.c: the request/response model: method names, query and form
 * decoding, response headers and the JSON replies every handler uses.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "util.h"

static const char *const method_names[HTTP__MAX] = {
	"GET",		/* HTTP_GET */
	"HEAD",		/* HTTP_HEAD */
	"POST",		/* HTTP_POST */
	"PUT",		/* HTTP_PUT */
	"PATCH",	/* HTTP_PATCH */
	"DELETE",	/* HTTP_DELETE */
	"OPTIONS",	/* HTTP_OPTIONS */
	"OTHER",	/* HTTP_OTHER */
};

const char *
http_method_name(enum http_method m)
{
	if ((unsigned)m >= HTTP__MAX)
		m = HTTP_OTHER;
	return method_names[m];
}

/* Methods are case-sensitive (RFC 9110); "OTHER" is no method. */
enum http_method
http_method_parse(const char *s)
{
	int m;

	if (s == NULL)
		return HTTP_OTHER;
	for (m = 0; m < HTTP_OTHER; m++)
		if (strcmp(s, method_names[m]) == 0)
			return (enum http_method)m;
	return HTTP_OTHER;
}

/* ---- query strings and forms ---- */

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the n bytes at s ('+' is a space, %XX a byte) into *out (new)
 * and returns PARAM_OK; on a bad escape, a NUL byte, or a result that is
 * not UTF-8 returns the fault and sets *out NULL.
 */
static enum http_param_fault
form_unescape(const char *s, size_t n, char **out)
{
	char *d = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;
	enum http_param_fault fault = PARAM_OK;

	for (i = 0; i < n && fault == PARAM_OK; i++) {
		if (s[i] == '+')
			d[o] = ' ';
		else if (s[i] != '%')
			d[o] = s[i];
		else if (i + 2 < n &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			d[o] = (char)(hi << 4 | lo);
			i += 2;
		} else
			fault = PARAM_BAD_ESCAPE;
		if (fault == PARAM_OK && d[o++] == '\0')
			fault = PARAM_NOT_TEXT;
	}
	d[o] = '\0';
	if (fault == PARAM_OK && !json_utf8_valid(d, o))
		fault = PARAM_NOT_TEXT;
	if (fault != PARAM_OK) {
		free(d);
		d = NULL;
	}
	*out = d;
	return fault;
}

/* The n bytes at s as sent, bytes outside printable ASCII written %XX:
 * how a 422 names a parameter whose name does not decode (new). */
static char *
form_as_sent(const char *s, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
			buf_append(&b, s + i, 1);
		else
			buf_printf(&b, "%%%02X", (unsigned char)s[i]);
	return b.data != NULL ? buf_take(&b) : xstrdup("");
}

/*
 * Decodes one non-empty "name[=value]" of n bytes and appends it to
 * (*ps)[*np], with its fault when it does not decode (see struct
 * http_param). Returns the fault.
 */
static enum http_param_fault
form_pair(const char *s, size_t n, struct http_param **ps, size_t *np)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen = eq != NULL ? (size_t)(eq - s) : n;
	size_t voff = eq != NULL ? nlen + 1 : n;
	struct http_param p = { NULL, NULL, PARAM_OK };

	p.fault = form_unescape(s, nlen, &p.name);
	if (p.fault != PARAM_OK)
		p.name = form_as_sent(s, nlen);
	else
		p.fault = form_unescape(s + voff, n - voff, &p.value);
	if (p.fault != PARAM_OK) {
		free(p.value);
		p.value = NULL;
	}
	*ps = xrealloc(*ps, (*np + 1) * sizeof(**ps));
	(*ps)[(*np)++] = p;
	return p.fault;
}

/*
 * Decodes every pair of text into *out (new), in order, those that do
 * not decode included. Returns false when any does not.
 */
static bool
form_decode_all(const char *text, size_t len, struct http_param **out,
    size_t *nout)
{
	size_t i = 0, n;
	bool ok = true;
	const char *amp;

	*out = NULL;
	*nout = 0;
	if (text == NULL)
		return true;
	while (i < len) {
		amp = memchr(text + i, '&', len - i);
		n = amp != NULL ? (size_t)(amp - (text + i)) : len - i;
		if (n > 0 && form_pair(text + i, n, out, nout) != PARAM_OK)
			ok = false;
		i += n + 1;
	}
	return ok;
}

/* All or nothing: a caller refusing a bad form has nothing to free. */
bool
http_form_decode(const char *text, size_t len, struct http_param **out,
    size_t *nout)
{
	if (form_decode_all(text, len, out, nout))
		return true;
	http_params_free(*out, *nout);
	*out = NULL;
	*nout = 0;
	return false;
}

void
http_params_free(struct http_param *ps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
}

const char *
http_query_get(const struct http_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].fault == PARAM_OK ?
			    req->params[i].value : NULL;
	return NULL;
}

/* ---- requests ---- */

/* The method starts as HTTP_OTHER so an unfilled request never routes. */
void
http_req_init(struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	req->method = HTTP_OTHER;
}

/*
 * Nothing is dropped: a parameter that fell back to its default, or the
 * first of two values, would answer another question than the one asked
 * (GET /orders/admin?user_id=%zz listed every user's orders). A repeated
 * name keeps its first pair, marked, and loses the others.
 */
void
http_req_finish(struct http_req *req)
{
	struct http_param *ps;
	size_t i, j, n, o = 0;

	http_params_free(req->params, req->nparams);
	req->params = NULL;
	req->nparams = 0;
	if (req->query == NULL)
		return;
	form_decode_all(req->query, strlen(req->query), &ps, &n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < o; j++)
			if (strcmp(ps[j].name, ps[i].name) == 0)
				break;
		if (j == o) {
			ps[o++] = ps[i];
			continue;
		}
		if (ps[j].fault == PARAM_OK)
			ps[j].fault = PARAM_REPEATED;
		free(ps[i].name);
		free(ps[i].value);
	}
	req->params = ps;
	req->nparams = o;
}

void
http_req_free(struct http_req *req)
{
	free(req->path);
	free(req->query);
	free(req->content_type);
	free(req->authorization);
	free(req->request_id);
	free(req->idempotency_key);
	free(req->remote_addr);
	free(req->body);
	http_params_free(req->params, req->nparams);
	json_object_put(req->json);
	http_req_init(req);
}

/* ---- responses ---- */

void
http_resp_init(struct http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
http_resp_free(struct http_resp *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->body);
	http_resp_init(resp);
}

/* CR or LF in a header would let its value start a new header. */
static bool
header_text_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

void
http_resp_header(struct http_resp *resp, const char *name,
    const char *value)
{
	struct http_header *h;

	if (!header_text_ok(name) || !header_text_ok(value)) {
		log_warn("http_resp_header: CR or LF in a header refused");
		return;
	}
	if (resp->nheaders == HTTP_MAX_HEADERS) {
		log_warn("http_resp_header: more than %d headers, %s dropped",
		    HTTP_MAX_HEADERS, name);
		return;
	}
	h = &resp->headers[resp->nheaders++];
	h->name = xstrdup(name);
	h->value = xstrdup(value);
}

const char *
http_resp_get_header(const struct http_resp *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

/* Removes every header called name, keeping the others in order. */
static void
resp_del_header(struct http_resp *resp, const char *name)
{
	size_t i, o = 0;

	for (i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].name);
			free(resp->headers[i].value);
		} else
			resp->headers[o++] = resp->headers[i];
	}
	resp->nheaders = o;
}

/* A header that a reply owns: set once however often replies replace
 * each other. */
static void
resp_set_header(struct http_resp *resp, const char *name, const char *value)
{
	resp_del_header(resp, name);
	http_resp_header(resp, name, value);
}

void
http_reply_json(struct http_resp *resp, int status, struct json_object *obj)
{
	const char *s;
	size_t len;

	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = status;
	if (obj == NULL) {
		resp_del_header(resp, "Content-Type");
		return;
	}
	s = json_to_plain(obj, &len);
	resp->body = xstrndup(s, len);
	resp->body_len = len;
	json_object_put(obj);
	resp_set_header(resp, "Content-Type", "application/json");
}

void
http_reply_text(struct http_resp *resp, int status, const char *ctype,
    struct buf *b)
{
	free(resp->body);
	resp->status = status;
	resp->body_len = b->len;
	resp->body = buf_take(b);
	resp_set_header(resp, "Content-Type", ctype);
}

void
http_reply_json_text(struct http_resp *resp, int status, const char *text,
    size_t len)
{
	http_reply_json_owned(resp, status, xstrndup(text, len), len);
}

void
http_reply_json_owned(struct http_resp *resp, int status, char *text,
    size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->body = text;
	resp->body_len = len;
	resp_set_header(resp, "Content-Type", "application/json");
}

void
http_reply_detail(struct http_resp *resp, int status, const char *detail)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "detail", json_object_new_string(detail));
	http_reply_json(resp, status, obj);
}

void
http_reply_detailf(struct http_resp *resp, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_error("http_reply_detailf: out of memory");
		abort();
	}
	http_reply_detail(resp, status, msg);
	free(msg);
}

void
http_reply_422(struct http_resp *resp, struct json_object *details)
{
	struct json_object *obj = json_object_new_object();

	if (details == NULL)
		details = json_object_new_array();
	json_object_object_add(obj, "detail", details);
	http_reply_json(resp, 422, obj);
}

void
http_reply_msga(struct http_resp *resp, enum msg_id id,
    const struct msg_arg *args, size_t nargs)
{
	const struct message *m = msg_get(id);
	struct buf text;

	buf_init(&text);
	msg_format(&text, id, args, nargs);
	http_reply_detail(resp, m->status, text.data != NULL ? text.data : "");
	if (m->status == 401)
		resp_set_header(resp, "WWW-Authenticate", "Bearer");
	buf_free(&text);
}

void
http_reply_msg(struct http_resp *resp, enum msg_id id)
{
	http_reply_msga(resp, id, NULL, 0);
}

void
http_reply_500(struct http_resp *resp)
{
	http_reply_msg(resp, MSG_INTERNAL);
}

void
http_reply_503(struct http_resp *resp)
{
	http_reply_msg(resp, MSG_UNAVAILABLE);
}

void
http_reply_db_error(struct http_resp *resp, enum inv_err rc)
{
	if (rc == INV_UNAVAILABLE)
		http_reply_503(resp);
	else if (rc == INV_DISAGREE)
		http_reply_msg(resp, MSG_STOCK_DISAGREE);
	else
		http_reply_500(resp);
}

static const struct {
	int		 status;
	const char	*text;
} status_texts[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 413, "Payload Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}
