/*
 * paging.c: the paging parameters of a list and its cursors (paging.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "paging.h"
#include "util.h"

static const struct field_spec paging_fields[] = { PAGING_FIELDS };
const struct body_spec spec_paging = { paging_fields, PAGE__N };

/* FNV-1a of a cursor's path and key: what tells a cursor we made from
 * one changed on the way. */
static uint64_t
cursor_sum(const char *path, const char *key, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	h = (h ^ '\n') * UINT64_C(1099511628211);
	for (p = (const unsigned char *)key; len-- > 0; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return h;
}

void
page_cursor(const char *path, const char *time, int64_t id,
    char out[PAGE_CURSOR_MAX + 1])
{
	char key[PAGE_TIME_MAX + 24];
	size_t i, n;
	int len;

	len = snprintf(key, sizeof(key), "%s%s%" PRId64, time != NULL ? time :
	    "", time != NULL && *time != '\0' ? "," : "", id);
	n = 0;
	for (i = 0; i < (size_t)len; i++)
		n += (size_t)snprintf(out + n, PAGE_CURSOR_MAX + 1 - n, "%02x",
		    (unsigned char)key[i]);
	snprintf(out + n, PAGE_CURSOR_MAX + 1 - n, ".%016" PRIx64,
	    cursor_sum(path, key, (size_t)len));
}

/* A DATETIME as MariaDB writes it: "YYYY-MM-DD HH:MM:SS". */
static bool
cursor_time_valid(const char *t, size_t len)
{
	static const char form[] = "0000-00-00 00:00:00";
	size_t i;

	if (len != sizeof(form) - 1)
		return false;
	for (i = 0; i < len; i++)
		if (form[i] == '0' ? !is_ascii_digit((unsigned char)t[i]) :
		    t[i] != form[i])
			return false;
	return true;
}

/* Hex digit value, -1 for anything else (upper case included: we write
 * lower case only). */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads cursor text made by page_cursor() for path into pg. */
static bool
cursor_parse(const char *path, const char *text, struct page *pg)
{
	char key[PAGE_TIME_MAX + 24], sum[17], *comma;
	const char *dot = strchr(text, '.');
	size_t i, hexlen, n;
	int hi, lo;

	if (dot == NULL || strlen(dot + 1) != 16)
		return false;
	hexlen = (size_t)(dot - text);
	if (hexlen == 0 || hexlen % 2 != 0 || hexlen / 2 >= sizeof(key))
		return false;
	for (i = 0, n = 0; i < hexlen; i += 2) {
		if ((hi = hexval(text[i])) < 0 || (lo = hexval(text[i + 1])) < 0)
			return false;
		key[n++] = (char)(hi * 16 + lo);
	}
	key[n] = '\0';
	snprintf(sum, sizeof(sum), "%016" PRIx64, cursor_sum(path, key, n));
	if (strlen(key) != n || strcmp(sum, dot + 1) != 0)
		return false;
	pg->after_time[0] = '\0';
	if ((comma = strchr(key, ',')) != NULL) {
		if (!cursor_time_valid(key, (size_t)(comma - key)))
			return false;
		memcpy(pg->after_time, key, (size_t)(comma - key));
		pg->after_time[comma - key] = '\0';
	}
	return str_to_i64(comma != NULL ? comma + 1 : key, 1, INT64_MAX,
	    &pg->after_id);
}

bool
paging_or_422(const struct http_req *req, struct http_resp *resp,
    struct page *pg)
{
	const struct field_val *q = req->query_vals;
	struct json_object *details = NULL;
	const char *after = q[PAGE_AFTER].s;

	memset(pg, 0, sizeof(*pg));
	pg->skip = q[PAGE_SKIP].i;
	pg->limit = q[PAGE_LIMIT].i;
	if (after != NULL) {
		pg->after = true;
		if (strlen(after) > PAGE_CURSOR_MAX ||
		    !cursor_parse(req->path, after, pg))
			detail_add(&details, "query", "after",
			    MSG_CURSOR_INVALID, NULL, 0);
		else if (pg->skip > 0)
			detail_add(&details, "query", "skip", MSG_CURSOR_SKIP,
			    NULL, 0);
	}
	if (details != NULL) {
		http_reply_422(resp, details);
		return false;
	}
	return true;
}
