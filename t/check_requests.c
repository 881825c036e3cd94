/*
 * check_requests.c: the driver of the request cases, t/requests/ and
 * whatever else it is given: each case file is one request sent through
 * nginx (HTTPS, by curl) and the answer it must get. README, "Request
 * cases", describes the format; in short:
 *
 *	# What the case shows (the first comment line names it).
 *	METHOD PATH [HTTP/1.1]
 *	Header: value
 *
 *	body (\xHH is byte HH)
 *	=== expect
 *	STATUS [STATUS...]		422, or 4xx, or 201 400 (either)
 *	Header: value			exact; value* a prefix
 *
 *	{"detail": [{"loc": ["body", "price"]}]}	JSON: a subset
 *	=== capture			(optional)
 *	name = member			a member of the answer, for {name}
 *	=== cleanup			(optional, sent at the end, not judged)
 *	METHOD PATH
 *	Header: value
 *
 * {name} anywhere in a request or an expectation is a variable: missing
 * (2^63-1, an id no row has), uniq (new for every use), admin_email and
 * admin_password (E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD), what an earlier
 * case captured, and in a cleanup the members of the case's own answer
 * as {@member}; {N*c} is N times the character c, {pad:N} spaces that
 * make the text so far N bytes long. A JSON expectation
 * matches when every member it names is in the answer with a matching
 * value; arrays match element by element, of the same length, unless
 * the last element expected is "..." (then the answer may have more),
 * or the first (then each element expected matches one of the answer's,
 * anywhere).
 * Whatever the case says, an answer is never 5xx, and every 4xx but to
 * HEAD is application/json with a "detail".
 *
 * Usage: check_requests URL DIR|FILE...   The cases of all arguments
 * run in the order of their paths below the argument (so 00-setup/
 * first), sent in batches through one curl; a case that captures ends
 * its batch. E2E_CACERT is the CA certificate to trust. Prints "ok -"
 * or "not ok -" per case, with what differed, then "N passed, M
 * failed"; exits 1 when a case failed.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "util.h"

extern char **environ;

#define MAX_HEADERS	32
#define BATCH		400

struct header {
	char	*name;
	char	*value;
};

struct request {
	char		*method;
	char		*path;
	bool		 http11;
	struct header	 h[MAX_HEADERS];
	size_t		 nh;
	struct buf	 body;
};

struct reqcase {
	char		*file;		/* as given, for messages */
	char		*key;		/* the path below its argument: order */
	char		*title;
	char		*text;		/* the whole file */
	size_t		 len;
	/* What the file says, before substitution. */
	const char	*req_at, *expect_at, *capture_at, *cleanup_at;
	struct request	 req;
	/* The answer. */
	int		 status;
	struct header	 got[MAX_HEADERS];
	size_t		 ngot;
	struct buf	 answer;
	char		*error;		/* why the file cannot run, or NULL */
};

struct var {
	char	*name;
	char	*value;
};

static struct var *vars;
static size_t nvars;
static unsigned long serial;
static char run_id[64];
static const char *base_url, *cacert;
static char workdir[] = "/tmp/check_requests.XXXXXX";
static bool loopback;
static unsigned nauth;
static struct buf cleanups;	/* curl config of the cleanup requests */
static int passed, failed;

/* ------------------------------------------------------------ variables */

static const char *
var_get(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == n &&
		    memcmp(vars[i].name, name, n) == 0)
			return vars[i].value;
	return NULL;
}

static void
var_set(const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0) {
			free(vars[i].value);
			vars[i].value = xstrdup(value);
			return;
		}
	vars = xrealloc(vars, (nvars + 1) * sizeof(*vars));
	vars[nvars].name = xstrdup(name);
	vars[nvars].value = xstrdup(value);
	nvars++;
}

/*
 * Appends s[0..n) to out with the variables filled in and, when bytes,
 * \xHH turned into its byte. self (may be NULL) answers {@member}.
 * Returns false with *why (new) for an unknown variable.
 */
static bool
expand(struct buf *out, const char *s, size_t n, bool bytes,
    struct json_object *self, char **why)
{
	size_t i = 0, j, k;
	const char *v;
	char num[96];

	while (i < n) {
		if (bytes && s[i] == '\\' && i + 3 < n + 0 && s[i + 1] == 'x' &&
		    isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3])) {
			char hex[3] = { s[i + 2], s[i + 3], '\0' };
			char c = (char)strtol(hex, NULL, 16);

			buf_append(out, &c, 1);
			i += 4;
			continue;
		}
		if (s[i] != '{') {
			buf_append(out, s + i, 1);
			i++;
			continue;
		}
		/* {pad:N}: spaces up to N bytes in all. */
		if (n - i > 5 && memcmp(s + i, "{pad:", 5) == 0 &&
		    memchr(s + i, '}', n - i) != NULL) {
			size_t want = (size_t)strtoul(s + i + 5, NULL, 10);
			const char *close = memchr(s + i, '}', n - i);

			while (out->len < want)
				buf_append(out, " ", 1);
			i = (size_t)(close - s) + 1;
			continue;
		}
		for (j = i + 1; j < n && (isalnum((unsigned char)s[j]) ||
		    s[j] == '_' || s[j] == '@'); j++)
			;
		/* {N*c}: c repeated N times. */
		if (j > i + 1 && j + 2 < n && s[j] == '*' && s[j + 2] == '}') {
			long count = strtol(s + i + 1, NULL, 10);

			for (k = 0; k < (size_t)count; k++)
				buf_append(out, s + j + 1, 1);
			i = j + 3;
			continue;
		}
		if (j == i + 1 || j >= n || s[j] != '}') {
			buf_append(out, s + i, 1);	/* JSON, not a name */
			i++;
			continue;
		}
		if (j - i - 1 == 4 && memcmp(s + i + 1, "uniq", 4) == 0) {
			snprintf(num, sizeof(num), "%s-%lu", run_id, ++serial);
			v = num;
		} else if (s[i + 1] == '@' && self != NULL) {
			char *m = xstrndup(s + i + 2, j - i - 2);
			struct json_object *o = NULL;

			json_object_object_get_ex(self, m, &o);
			free(m);
			v = o != NULL ? json_object_get_string(o) : NULL;
		} else
			v = var_get(s + i + 1, j - i - 1);
		if (v == NULL) {
			*why = xasprintf("unknown variable {%.*s}",
			    (int)(j - i - 1), s + i + 1);
			return false;
		}
		buf_puts(out, v);
		i = j + 1;
	}
	return true;
}

/* expand() of a NUL-terminated text, new. */
static char *
expand_str(const char *s, struct json_object *self, char **why)
{
	struct buf b;

	buf_init(&b);
	if (!expand(&b, s, strlen(s), false, self, why)) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* ---------------------------------------------------------- case files */

/* The line at *p (its length in *n, without the newline); moves *p to
 * the next one. NULL at the end. */
static const char *
next_line(const char **p, const char *end, size_t *n)
{
	const char *l = *p, *nl;

	if (l >= end)
		return NULL;
	nl = memchr(l, '\n', (size_t)(end - l));
	*n = (size_t)((nl != NULL ? nl : end) - l);
	*p = nl != NULL ? nl + 1 : end;
	return l;
}

/* Where the line "=== name" starts in [from, end), or NULL. */
static const char *
section(const char *from, const char *end, const char *name)
{
	char want[64];
	const char *p = from;
	size_t n = (size_t)snprintf(want, sizeof(want), "=== %s", name);

	for (; p != NULL && p < end; p = memchr(p, '\n', (size_t)(end - p)),
	    p = p != NULL ? p + 1 : NULL)
		if ((size_t)(end - p) >= n && memcmp(p, want, n) == 0 &&
		    (p + n == end || p[n] == '\n'))
			return p;
	return NULL;
}

/*
 * Reads a request (line, headers, and when body is not NULL the body up
 * to end) from [p, end), variables filled in. Returns false with *why.
 */
static bool
parse_request(const char *p, const char *end, struct request *r,
    struct buf *body, struct json_object *self, char **why)
{
	const char *l;
	size_t n;
	char *line, *sp, *colon;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	while ((l = next_line(&p, end, &n)) != NULL && (n == 0 || l[0] == '#'))
		;
	if (l == NULL) {
		*why = xstrdup("no request line");
		return false;
	}
	line = xstrndup(l, n);
	sp = strchr(line, ' ');
	if (sp == NULL) {
		*why = xasprintf("bad request line: %s", line);
		free(line);
		return false;
	}
	*sp++ = '\0';
	r->method = xstrdup(line);
	if (strlen(sp) > 9 && strcmp(sp + strlen(sp) - 9, " HTTP/1.1") == 0) {
		sp[strlen(sp) - 9] = '\0';
		r->http11 = true;
	}
	r->path = expand_str(sp, self, why);
	free(line);
	if (r->path == NULL)
		return false;
	while ((l = next_line(&p, end, &n)) != NULL && n > 0) {
		line = xstrndup(l, n);
		colon = strchr(line, ':');
		if (colon == NULL || r->nh == MAX_HEADERS) {
			*why = xasprintf("bad header line: %s", line);
			free(line);
			return false;
		}
		*colon++ = '\0';
		while (*colon == ' ')
			colon++;
		r->h[r->nh].name = xstrdup(line);
		r->h[r->nh].value = expand_str(colon, self, why);
		free(line);
		if (r->h[r->nh++].value == NULL)
			return false;
	}
	/* The body ends before the newline that ends its last line. */
	if (body != NULL && p < end)
		return expand(body, p, (size_t)(end - p) -
		    (end[-1] == '\n' ? 1 : 0), true, self, why);
	return true;
}

/* Reads FILE into c; a file that cannot run gets c->error. */
static void
case_load(struct reqcase *c)
{
	FILE *f = fopen(c->file, "rb");
	const char *end, *p, *l;
	struct buf b;
	char chunk[8192];
	size_t n;

	buf_init(&b);
	if (f == NULL) {
		c->error = xasprintf("cannot read: %s", strerror(errno));
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	c->len = b.len;
	c->text = buf_take(&b);
	end = c->text + c->len;
	p = c->text;
	while ((l = next_line(&p, end, &n)) != NULL && n > 0 && l[0] == '#')
		if (c->title == NULL) {
			for (l++, n--; n > 0 && *l == ' '; l++, n--)
				;
			c->title = xstrndup(l, n);
		}
	c->expect_at = section(c->text, end, "expect");
	c->capture_at = section(c->text, end, "capture");
	c->cleanup_at = section(c->text, end, "cleanup");
	if (c->expect_at == NULL)
		c->error = xstrdup("no \"=== expect\" line");
	c->req_at = c->text;
}

/* The end of the section starting at at: the next "=== " line or EOF. */
static const char *
section_end(const struct reqcase *c, const char *at)
{
	const char *e = c->text + c->len, *s[3] = { c->expect_at,
	    c->capture_at, c->cleanup_at };
	int i;

	for (i = 0; i < 3; i++)
		if (s[i] != NULL && s[i] > at && s[i] < e)
			e = s[i];
	return e;
}

/* ---------------------------------------------------------- sending */

/* Appends "--NAME VALUE" to a curl config, VALUE quoted. */
static void
cfg_opt(struct buf *cfg, const char *name, const char *value)
{
	const char *p;

	buf_printf(cfg, "--%s", name);
	if (value != NULL) {
		buf_puts(cfg, " \"");
		for (p = value; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(cfg, "\\", 1);
			buf_append(cfg, p, 1);
		}
		buf_puts(cfg, "\"");
	}
	buf_puts(cfg, "\n");
}

/* The curl config of request r (its body in body_file, or none). */
static void
cfg_request(struct buf *cfg, const struct request *r, const char *body_file)
{
	char *url = xasprintf("%s%s", base_url, r->path), *h;
	bool ct = false;
	size_t i;

	cfg_opt(cfg, "url", url);
	free(url);
	cfg_opt(cfg, "max-time", "20");
	if (cacert != NULL)
		cfg_opt(cfg, "cacert", cacert);
	else
		cfg_opt(cfg, "insecure", NULL);
	if (r->http11)
		cfg_opt(cfg, "http1.1", NULL);
	/* nginx limits /api/v1/auth/ per client address: on loopback the
	 * requests go out from 127.0.0.2-61 in turn. The others say
	 * 127.0.0.1, or curl would reuse a connection from one of those
	 * (and /metrics answers only this host: 403). */
	if (loopback) {
		char ip[32] = "127.0.0.1";

		if (strncmp(r->path, "/api/v1/auth/", 13) == 0)
			snprintf(ip, sizeof(ip), "127.0.0.%u", 2 + nauth++ % 60);
		cfg_opt(cfg, "interface", ip);
	}
	if (strcmp(r->method, "HEAD") == 0)
		cfg_opt(cfg, "head", NULL);
	else
		cfg_opt(cfg, "request", r->method);
	for (i = 0; i < r->nh; i++) {
		if (strcasecmp(r->h[i].name, "Content-Type") == 0)
			ct = true;
		h = xasprintf("%s: %s", r->h[i].name, r->h[i].value);
		cfg_opt(cfg, "header", h);
		free(h);
	}
	/* curl would add one of its own to a body. */
	if (!ct)
		cfg_opt(cfg, "header", "Content-Type:");
	if (body_file != NULL) {
		h = xasprintf("@%s", body_file);
		cfg_opt(cfg, "data-binary", h);
		free(h);
	}
}

/* Runs curl on the config in cfg; its standard output (the codes) into
 * out_file. False when curl could not run at all. */
static bool
run_curl(const struct buf *cfg, const char *out_file)
{
	char *cfg_file = xasprintf("%s/curl.cfg", workdir);
	char curl[] = "curl", opt[] = "--config";
	char *argv[] = { curl, opt, cfg_file, NULL };
	posix_spawn_file_actions_t fa;
	FILE *f = fopen(cfg_file, "w");
	pid_t pid;
	int st = -1;

	if (f == NULL || fwrite(cfg->data, 1, cfg->len, f) != cfg->len) {
		fprintf(stderr, "check_requests: cannot write %s\n", cfg_file);
		exit(2);
	}
	fclose(f);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_file,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawnp(&pid, "curl", &fa, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
	free(cfg_file);
	return st != -1;
}

/* Reads file whole into b (reset first); false when it is not there. */
static bool
slurp_into(struct buf *b, const char *file)
{
	FILE *f = fopen(file, "rb");
	char chunk[8192];
	size_t n;

	buf_reset(b);
	if (f == NULL)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	return true;
}

/* The headers of the last response in curl's dump into c->got. */
static void
read_headers(struct reqcase *c, const char *file)
{
	struct buf b;
	const char *p, *end, *l;
	size_t n, i;

	buf_init(&b);
	slurp_into(&b, file);
	p = b.data;
	end = b.data + b.len;
	while ((l = next_line(&p, end, &n)) != NULL) {
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n >= 5 && memcmp(l, "HTTP/", 5) == 0) {
			for (i = 0; i < c->ngot; i++) {
				free(c->got[i].name);
				free(c->got[i].value);
			}
			c->ngot = 0;
			continue;
		}
		const char *colon = memchr(l, ':', n);

		if (colon == NULL || c->ngot == MAX_HEADERS)
			continue;
		c->got[c->ngot].name = xstrndup(l, (size_t)(colon - l));
		for (colon++; colon < l + n && *colon == ' '; colon++)
			;
		c->got[c->ngot].value = xstrndup(colon,
		    (size_t)(l + n - colon));
		c->ngot++;
	}
	buf_free(&b);
}

/* The answer's header name (the last one of that name), or NULL. */
static const char *
got_header(const struct reqcase *c, const char *name)
{
	size_t i;

	for (i = c->ngot; i-- > 0;)
		if (strcasecmp(c->got[i].name, name) == 0)
			return c->got[i].value;
	return NULL;
}

/* Sends the requests of cases[0..n) (those without an error) through one
 * curl, over kept-alive connections, and reads the answers. A 429 of
 * /api/v1/auth/'s rate limit is sent again, alone, after a pause. */
static void
send_batch(struct reqcase **cases, size_t n)
{
	struct buf cfg, codes;
	char *out = xasprintf("%s/codes", workdir), f[512];
	size_t i, k, sent = 0;
	const char *p;
	int tries;

	buf_init(&cfg);
	buf_init(&codes);
	for (i = 0; i < n; i++) {
		struct reqcase *c = cases[i];
		const char *body = NULL;

		if (c->error != NULL)
			continue;
		if (c->req.body.len > 0) {
			FILE *bf;

			snprintf(f, sizeof(f), "%s/%zu.in", workdir, i);
			bf = fopen(f, "wb");
			if (bf == NULL || fwrite(c->req.body.data, 1,
			    c->req.body.len, bf) != c->req.body.len) {
				fprintf(stderr, "check_requests: cannot "
				    "write %s\n", f);
				exit(2);
			}
			fclose(bf);
			body = f;
		}
		if (sent++ > 0)
			buf_puts(&cfg, "next\n");
		buf_puts(&cfg, "--silent\n--show-error\n");
		buf_puts(&cfg, "--write-out \"%{http_code}\\n\"\n");
		cfg_request(&cfg, &c->req, body);
		snprintf(f, sizeof(f), "%s/%zu.body", workdir, i);
		cfg_opt(&cfg, "output", f);
		snprintf(f, sizeof(f), "%s/%zu.hdr", workdir, i);
		cfg_opt(&cfg, "dump-header", f);
	}
	if (sent > 0 && run_curl(&cfg, out))
		slurp_into(&codes, out);
	p = codes.data != NULL ? codes.data : "";
	for (i = 0; i < n; i++) {
		struct reqcase *c = cases[i];

		if (c->error != NULL)
			continue;
		c->status = atoi(p);
		p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : "";
		for (tries = 0; c->status == 429 && tries < 100 &&
		    strncmp(c->req.path, "/api/v1/auth/", 13) == 0; tries++) {
			struct timespec ts = { 0, 300000000 };

			nanosleep(&ts, NULL);
			send_batch(&c, 1);
		}
		if (tries > 0)
			continue;	/* read by the call that resent it */
		snprintf(f, sizeof(f), "%s/%zu.hdr", workdir, i);
		read_headers(c, f);
		snprintf(f, sizeof(f), "%s/%zu.body", workdir, i);
		/* curl --head writes the headers there: HEAD has no body. */
		if (strcmp(c->req.method, "HEAD") != 0)
			slurp_into(&c->answer, f);
		for (k = 0; k < 3; k++) {
			static const char *const ext[] = { "in", "body", "hdr" };

			snprintf(f, sizeof(f), "%s/%zu.%s", workdir, i, ext[k]);
			unlink(f);
		}
	}
	buf_free(&cfg);
	buf_free(&codes);
	free(out);
}

/* ---------------------------------------------------------- judging */

/* Appends "  at PATH: want W, got G" to diff. */
static void
mismatch(struct buf *diff, const char *at, struct json_object *want,
    struct json_object *got)
{
	buf_printf(diff, "#   body%s: want %s, got %s\n", at,
	    want != NULL ? json_object_to_json_string(want) : "null",
	    got != NULL ? json_object_to_json_string(got) : "(nothing)");
}

static bool json_subset(struct json_object *, struct json_object *, char *,
    size_t, struct buf *);

/* Whether o is the string "...". */
static bool
is_dots(struct json_object *o)
{
	return json_object_is_type(o, json_type_string) &&
	    strcmp(json_object_get_string(o), "...") == 0;
}

/* want is ["...", e1, e2...]: whether each e matches some element of the
 * array got, anywhere. */
static bool
json_contains(struct json_object *want, struct json_object *got,
    const char *at, struct buf *diff)
{
	size_t i, j, nw = json_object_array_length(want),
	    ng = json_object_array_length(got);
	struct buf scratch;
	char where[512];
	bool hit;

	buf_init(&scratch);
	for (i = 1; i < nw; i++) {
		for (hit = false, j = 0; j < ng && !hit; j++) {
			snprintf(where, sizeof(where), "%s", at);
			hit = json_subset(json_object_array_get_idx(want, i),
			    json_object_array_get_idx(got, j), where,
			    sizeof(where), &scratch);
		}
		if (!hit) {
			buf_printf(diff, "#   body%s: no element matches %s\n",
			    at, json_object_to_json_string(
			    json_object_array_get_idx(want, i)));
			buf_free(&scratch);
			return false;
		}
	}
	buf_free(&scratch);
	return true;
}

/* Whether got holds want (the subset rule of the header comment); the
 * first difference goes to diff, at the JSON path at. */
static bool
json_subset(struct json_object *want, struct json_object *got, char *at,
    size_t atlen, struct buf *diff)
{
	size_t len = strlen(at), i, nw, ng;
	struct json_object *g;
	bool more = false;

	if (json_object_get_type(want) != json_object_get_type(got) &&
	    !(json_object_is_type(want, json_type_int) &&
	    json_object_is_type(got, json_type_double)) &&
	    !(json_object_is_type(want, json_type_double) &&
	    json_object_is_type(got, json_type_int))) {
		mismatch(diff, at, want, got);
		return false;
	}
	switch (json_object_get_type(want)) {
	case json_type_object: {
		json_object_object_foreach(want, k, v) {
			snprintf(at + len, atlen - len, ".%s", k);
			if (!json_object_object_get_ex(got, k, &g)) {
				mismatch(diff, at, v, NULL);
				return false;
			}
			if (!json_subset(v, g, at, atlen, diff))
				return false;
		}
		at[len] = '\0';
		return true;
	}
	case json_type_array:
		nw = json_object_array_length(want);
		ng = json_object_array_length(got);
		if (nw > 0 && is_dots(json_object_array_get_idx(want, 0)))
			return json_contains(want, got, at, diff);
		if (nw > 0 && is_dots(json_object_array_get_idx(want, nw - 1))) {
			more = true;
			nw--;
		}
		if (ng < nw || (!more && ng != nw)) {
			buf_printf(diff, "#   body%s: want %zu element%s%s, "
			    "got %zu\n", at, nw, nw == 1 ? "" : "s",
			    more ? " or more" : "", ng);
			return false;
		}
		for (i = 0; i < nw; i++) {
			snprintf(at + len, atlen - len, "[%zu]", i);
			if (!json_subset(json_object_array_get_idx(want, i),
			    json_object_array_get_idx(got, i), at, atlen, diff))
				return false;
		}
		at[len] = '\0';
		return true;
	case json_type_double:
	case json_type_int:
		if (json_object_get_double(want) == json_object_get_double(got))
			return true;
		break;
	case json_type_string:
		if (strcmp(json_object_get_string(want),
		    json_object_get_string(got)) == 0)
			return true;
		break;
	default:
		if (json_object_equal(want, got))
			return true;
	}
	mismatch(diff, at, want, got);
	return false;
}

/* The answer as JSON (new), or NULL. */
static struct json_object *
answer_json(const struct reqcase *c)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (c->answer.len == 0)
		return NULL;
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	o = json_tokener_parse_ex(tok, c->answer.data, (int)c->answer.len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != c->answer.len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Whether status (the answer's) is among the words of line. */
static bool
status_ok(const char *line, int status)
{
	char code[16], *copy = xstrdup(line), *w, *save = NULL;
	bool ok = false;

	snprintf(code, sizeof(code), "%d", status);
	for (w = strtok_r(copy, " |/", &save); w != NULL && !ok;
	    w = strtok_r(NULL, " |/", &save))
		ok = strcmp(w, code) == 0 || (strlen(w) == 3 &&
		    strcmp(w + 1, "xx") == 0 && w[0] == code[0]);
	free(copy);
	return ok;
}

/* Judges case c's answer against its expectation; what differed goes to
 * diff. Runs its captures and queues its cleanup. */
static bool
judge(struct reqcase *c, struct buf *diff)
{
	const char *p = c->expect_at, *end = section_end(c, c->expect_at);
	const char *l, *v, *gv;
	size_t n, wl;
	struct json_object *got = answer_json(c), *want = NULL;
	struct buf text;
	char *line, *why = NULL, at[512] = "";
	bool ok = true;

	buf_init(&text);
	next_line(&p, end, &n);		/* "=== expect" */
	l = next_line(&p, end, &n);
	line = l != NULL ? xstrndup(l, n) : xstrdup("");
	if (c->status == 0 || c->status >= 500 || !status_ok(line, c->status)) {
		buf_printf(diff, "#   status: want %s, got %d\n", line,
		    c->status);
		ok = false;
	}
	free(line);
	/* Errors are JSON with a detail, whatever the case says. */
	if (c->status >= 400 && strcmp(c->req.method, "HEAD") != 0 &&
	    ((gv = got_header(c, "Content-Type")) == NULL ||
	    strncmp(gv, "application/json", 16) != 0 || got == NULL ||
	    !json_object_object_get_ex(got, "detail", NULL))) {
		buf_puts(diff, "#   an error must be application/json with "
		    "a \"detail\"\n");
		ok = false;
	}
	while ((l = next_line(&p, end, &n)) != NULL && n > 0) {
		line = xstrndup(l, n);
		v = strchr(line, ':');
		if (v == NULL) {
			buf_printf(diff, "#   bad expected header: %s\n", line);
			free(line);
			ok = false;
			continue;
		}
		line[v - line] = '\0';
		for (v++; *v == ' '; v++)
			;
		buf_reset(&text);
		if (!expand(&text, v, strlen(v), false, NULL, &why)) {
			buf_printf(diff, "#   %s\n", why);
			free(why);
			why = NULL;
			ok = false;
		} else {
			gv = got_header(c, line);
			wl = text.len;
			if (wl > 0 && text.data[wl - 1] == '*')
				wl--;
			else
				wl = (size_t)-1;
			if (gv == NULL || (wl == (size_t)-1 ?
			    strcmp(gv, text.data) != 0 :
			    strncmp(gv, text.data, wl) != 0)) {
				buf_printf(diff, "#   header %s: want %s, "
				    "got %s\n", line, text.data,
				    gv != NULL ? gv : "(none)");
				ok = false;
			}
		}
		free(line);
	}
	/* The body: JSON, a subset; else the exact text; else unchecked. */
	if (l != NULL && p < end) {
		buf_reset(&text);
		if (!expand(&text, p, (size_t)(end - p) -
		    (end[-1] == '\n' ? 1 : 0), true, NULL, &why)) {
			buf_printf(diff, "#   %s\n", why);
			free(why);
			ok = false;
		} else if (text.len > 0 && (text.data[0] == '{' ||
		    text.data[0] == '[')) {
			want = json_tokener_parse(text.data);
			if (want == NULL) {
				buf_puts(diff, "#   the expected body is no "
				    "JSON\n");
				ok = false;
			} else if (got == NULL) {
				buf_puts(diff, "#   body: want JSON, got no "
				    "JSON\n");
				ok = false;
			} else if (!json_subset(want, got, at, sizeof(at),
			    diff))
				ok = false;
		} else if (text.len > 0 && (text.len != c->answer.len ||
		    memcmp(text.data, c->answer.data, text.len) != 0)) {
			buf_printf(diff, "#   body: want %s\n", text.data);
			ok = false;
		}
	}
	if (!ok) {
		buf_printf(diff, "#   got: %d ", c->status);
		for (n = 0; n < c->answer.len && n < 400; n++)
			buf_printf(diff, isprint((unsigned char)c->answer.data[n]) ||
			    (c->answer.data[n] & 0x80) ? "%c" : "\\x%02x",
			    (unsigned char)c->answer.data[n]);
		buf_puts(diff, c->answer.len > 400 ? "...\n" : "\n");
	}
	/* Captures: name = member of the answer. */
	if (ok && c->capture_at != NULL) {
		p = c->capture_at;
		end = section_end(c, p);
		next_line(&p, end, &n);
		while ((l = next_line(&p, end, &n)) != NULL) {
			char name[64], member[64];
			struct json_object *m = NULL;

			line = xstrndup(l, n);
			if (sscanf(line, " %63[A-Za-z0-9_] = %63[A-Za-z0-9_]",
			    name, member) == 2) {
				if (got != NULL &&
				    json_object_object_get_ex(got, member, &m) &&
				    m != NULL)
					var_set(name, json_object_get_string(m));
				else {
					buf_printf(diff, "#   capture %s: no "
					    "member %s\n", name, member);
					ok = false;
				}
			}
			free(line);
		}
	}
	if (ok && c->cleanup_at != NULL) {
		struct request r;

		p = c->cleanup_at;
		end = section_end(c, p);
		next_line(&p, end, &n);
		if (parse_request(p, end, &r, NULL, got, &why)) {
			if (cleanups.len > 0)
				buf_puts(&cleanups, "next\n");
			buf_puts(&cleanups, "--silent\n--output /dev/null\n");
			cfg_request(&cleanups, &r, NULL);
		} else {
			buf_printf(diff, "#   cleanup: %s\n", why);
			free(why);
			ok = false;
		}
		free(r.method);
		free(r.path);
		for (n = 0; n < r.nh; n++) {
			free(r.h[n].name);
			free(r.h[n].value);
		}
		buf_free(&r.body);
	}
	json_object_put(want);
	json_object_put(got);
	buf_free(&text);
	return ok;
}

/* Prepares, sends and judges cases[0..n). */
static void
run_batch(struct reqcase **cases, size_t n)
{
	struct buf diff;
	size_t i;

	for (i = 0; i < n; i++)
		if (cases[i]->error == NULL && !parse_request(cases[i]->req_at,
		    cases[i]->expect_at, &cases[i]->req, &cases[i]->req.body,
		    NULL, &cases[i]->error))
			continue;
	send_batch(cases, n);
	buf_init(&diff);
	for (i = 0; i < n; i++) {
		struct reqcase *c = cases[i];

		buf_reset(&diff);
		if (c->error == NULL && judge(c, &diff)) {
			passed++;
			printf("ok - %s: %s\n", c->key, c->title);
			continue;
		}
		failed++;
		printf("not ok - %s: %s\n", c->key, c->title != NULL ?
		    c->title : "");
		if (c->error != NULL)
			printf("#   %s: %s\n", c->file, c->error);
		else
			printf("#   %s %s%s\n%s", c->req.method, c->req.path,
			    c->req.http11 ? " (HTTP/1.1)" : "",
			    diff.data != NULL ? diff.data : "");
	}
	buf_free(&diff);
}

/* ---------------------------------------------------------- collecting */

static struct reqcase *all;
static size_t nall;

/* Adds the case files below path (a file or a directory). */
static void
collect(const char *root, const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	char *sub;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "check_requests: %s: %s\n", path,
		    strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		all = xrealloc(all, (nall + 1) * sizeof(*all));
		memset(&all[nall], 0, sizeof(*all));
		all[nall].file = xstrdup(path);
		all[nall].key = xstrdup(strcmp(root, path) == 0 ? path :
		    path + strlen(root) + 1);
		buf_init(&all[nall].answer);
		nall++;
		return;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "check_requests: %s: %s\n", path,
		    strerror(errno));
		exit(2);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", path, e->d_name);
		collect(root, sub);
		free(sub);
	}
	closedir(d);
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct reqcase *)a)->key,
	    ((const struct reqcase *)b)->key);
}

int
main(int argc, char **argv)
{
	struct reqcase **batch;
	const char *v;
	size_t i, n = 0;
	char *root;
	int k;

	if (argc < 3) {
		fprintf(stderr, "usage: check_requests URL DIR|FILE...\n");
		return 2;
	}
	base_url = argv[1];
	loopback = strncmp(base_url, "https://127.0.0.1", 17) == 0 ||
	    strncmp(base_url, "http://127.0.0.1", 16) == 0;
	cacert = getenv("E2E_CACERT");
	if (cacert != NULL && cacert[0] == '\0')
		cacert = NULL;
	if (mkdtemp(workdir) == NULL) {
		perror("check_requests: mkdtemp");
		return 2;
	}
	snprintf(run_id, sizeof(run_id), "%ld-%ld", (long)time(NULL),
	    (long)getpid());
	var_set("run", run_id);
	var_set("missing", "9223372036854775807");
	var_set("admin_email", (v = getenv("E2E_ADMIN_EMAIL")) ? v : "");
	var_set("admin_password", (v = getenv("E2E_ADMIN_PASSWORD")) ? v : "");
	for (k = 2; k < argc; k++) {
		root = xstrdup(argv[k]);
		while (strlen(root) > 1 && root[strlen(root) - 1] == '/')
			root[strlen(root) - 1] = '\0';
		collect(root, root);
		free(root);
	}
	qsort(all, nall, sizeof(*all), by_key);
	buf_init(&cleanups);
	batch = xcalloc(BATCH, sizeof(*batch));
	for (i = 0; i < nall; i++) {
		case_load(&all[i]);
		batch[n++] = &all[i];
		/* A capture feeds the cases after it: it ends its batch. */
		if (n == BATCH || all[i].capture_at != NULL || i + 1 == nall) {
			run_batch(batch, n);
			n = 0;
		}
	}
	free(batch);
	if (cleanups.len > 0) {
		char *out = xasprintf("%s/cleanup.out", workdir);

		run_curl(&cleanups, out);
		unlink(out);
		free(out);
	}
	buf_free(&cleanups);
	{
		char *cfg = xasprintf("%s/curl.cfg", workdir), *codes =
		    xasprintf("%s/codes", workdir);

		unlink(cfg);
		unlink(codes);
		free(cfg);
		free(codes);
		rmdir(workdir);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
