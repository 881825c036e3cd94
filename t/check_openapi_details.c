/*
 * check_openapi_details.c: the detail messages of src/ and nginx/
 * against the OpenAPI document: every documented one is sent, every
 * sent one documented (no service needed).
 */
#include "testopenapi.h"

/* ---- detail messages: the document's examples and the code's texts ---- */

/*
 * A message the service or nginx can send as {"detail": text}: a printf
 * format from src/ or a fixed text from nginx/.
 */
struct msg {
	char	*text;
	int	 status;	/* 0: the call site does not say */
	bool	 own;		/* from src/: must be documented (4xx) */
	char	 where[96];	/* "src/users.c:208" */
};

/* A string detail in the document: an example of one response. */
struct example {
	char	*text;
	int	 status;
	char	 method[8];	/* "POST" */
	char	 path[128];	/* "/api/v1/orders" */
	char	 where[160];	/* "POST /api/v1/orders 400" */
};

static struct msg *msgs;
static size_t nmsgs;
static struct example *examples;
static size_t nexamples;
/* The 422 entries' "type" names src/ can send (string literals). */
static char **err_types;
static size_t nerr_types;

/*
 * Functions of src/ that make detail texts for their callers to send
 * (their snprintf formats are messages); the test fails when one is gone
 * or yields nothing, so a rename cannot silently shrink what is checked.
 */
static const char *const text_makers[] = {
	"order_refused_text",	/* order_flow.c: the stock rules' refusals */
};

/*
 * Texts of src/ that need no documentation, each with why; the test fails
 * when one no longer occurs in src/.
 */
static const char *const undocumented_ok[] = {
	"Order refused",	/* order_refused_text's default: unreachable */
};

/* One token of C source: what the scan below needs to see calls. */
enum tok_type { TK_ID, TK_STR, TK_NUM, TK_PUNCT };
struct tok {
	enum tok_type	 type;
	char		*text;	/* a string literal decoded, unquoted */
	int		 line;
};

static void
msg_add(const char *text, int status, bool own, const char *file, int line)
{
	msgs = xrealloc(msgs, (nmsgs + 1) * sizeof(*msgs));
	msgs[nmsgs].text = xstrdup(text);
	msgs[nmsgs].status = status;
	msgs[nmsgs].own = own;
	snprintf(msgs[nmsgs].where, sizeof(msgs[nmsgs].where), "%s:%d", file,
	    line);
	nmsgs++;
}

/* Decodes the C string literal at *p (past its opening quote) into a new
 * string; *p ends past the closing quote. Only the escapes messages use. */
static char *
lex_string(const char **p, int *line)
{
	const char *s = *p;
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;

	while (*s != '\0' && *s != '"') {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			out[n++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			if (*s == '\n')
				(*line)++;
			out[n++] = *s;
		}
		s++;
	}
	out[n] = '\0';
	*p = *s == '"' ? s + 1 : s;
	return out;
}

/* The tokens of a C source text (new array of *n; free with toks_free).
 * Comments, character constants and preprocessor lines are dropped. */
static struct tok *
lex(const char *s, size_t *n)
{
	struct tok *t = NULL;
	const char *start;
	int line = 1;
	bool bol = true;

	*n = 0;
	while (*s != '\0') {
		if (*s == '\n') {
			line++;
			bol = true;
			s++;
			continue;
		}
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (bol && *s == '#') {	/* to the end of the line */
			for (; *s != '\0' && (*s != '\n' || s[-1] == '\\');
			    s++)
				if (*s == '\n')
					line++;
			continue;
		}
		bol = false;
		if (s[0] == '/' && s[1] == '*') {
			for (s += 2; *s != '\0' && (s[0] != '*' ||
			    s[1] != '/'); s++)
				if (*s == '\n')
					line++;
			s += *s != '\0' ? 2 : 0;
			continue;
		}
		if (s[0] == '/' && s[1] == '/') {
			while (*s != '\0' && *s != '\n')
				s++;
			continue;
		}
		if (*s == '\'') {
			for (s++; *s != '\0' && *s != '\''; s++)
				if (*s == '\\' && s[1] != '\0')
					s++;
			s += *s != '\0';
			continue;
		}
		t = xrealloc(t, (*n + 1) * sizeof(*t));
		t[*n].line = line;
		start = s;
		if (*s == '"') {
			s++;
			t[*n].type = TK_STR;
			t[*n].text = lex_string(&s, &line);
		} else if (isalpha((unsigned char)*s) || *s == '_') {
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			t[*n].type = TK_ID;
			t[*n].text = strndup(start, (size_t)(s - start));
		} else if (isdigit((unsigned char)*s)) {
			while (isalnum((unsigned char)*s))
				s++;
			t[*n].type = TK_NUM;
			t[*n].text = strndup(start, (size_t)(s - start));
		} else {
			t[*n].type = TK_PUNCT;
			t[*n].text = strndup(s++, 1);
		}
		(*n)++;
	}
	return t;
}

static void
toks_free(struct tok *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(t[i].text);
	free(t);
}

static bool
tok_is(const struct tok *t, const char *punct)
{
	return t->type == TK_PUNCT && strcmp(t->text, punct) == 0;
}

/* The length macros of <inttypes.h> the code uses in formats. */
static const char *
pri_macro(const char *id)
{
	if (strncmp(id, "PRI", 3) != 0 || strlen(id) < 5)
		return NULL;
	return strcmp(id + 4, "64") == 0 ? (id[3] == 'd' ? "lld" :
	    id[3] == 'i' ? "lli" : id[3] == 'u' ? "llu" : NULL) : NULL;
}

/*
 * The text of the argument t[from..to): adjacent string literals and
 * PRId64-style macros, or one identifier naming a `static const char
 * NAME[] = "..."` of the same file (names, t..nt). New, or NULL when the
 * argument is anything else.
 */
static char *
arg_text(const struct tok *t, size_t from, size_t to, const struct tok *all,
    size_t nall)
{
	char *out = NULL;
	size_t i, len = 0;
	const char *piece;

	if (to == from + 1 && t[from].type == TK_ID && pri_macro(t[from].text)
	    == NULL) {
		/* static const char NAME [ ] = "..." ... ; */
		for (i = 0; i + 5 < nall; i++)
			if (all[i].type == TK_ID && strcmp(all[i].text,
			    t[from].text) == 0 && i >= 2 &&
			    strcmp(all[i - 1].text, "char") == 0 &&
			    strcmp(all[i - 2].text, "const") == 0 &&
			    tok_is(&all[i + 1], "[") &&
			    tok_is(&all[i + 2], "]") &&
			    tok_is(&all[i + 3], "=") &&
			    all[i + 4].type == TK_STR) {
				size_t j;

				for (j = i + 4; j < nall &&
				    !tok_is(&all[j], ";"); j++)
					;
				return arg_text(all, i + 4, j, all, nall);
			}
		return NULL;
	}
	for (i = from; i < to; i++) {
		if (t[i].type == TK_STR)
			piece = t[i].text;
		else if (t[i].type != TK_ID || (piece = pri_macro(t[i].text))
		    == NULL) {
			free(out);
			return NULL;
		}
		out = xrealloc(out, len + strlen(piece) + 1);
		memcpy(out + len, piece, strlen(piece) + 1);
		len += strlen(piece);
	}
	return out;
}

/*
 * The call whose "(" is t[open]: the token index where each argument
 * starts, in starts (at most max; *nargs of them, and starts[*nargs] one
 * past the closing ")").
 */
static void
call_args(const struct tok *t, size_t n, size_t open, size_t *starts,
    size_t max, size_t *nargs)
{
	size_t i;
	int depth = 0;

	*nargs = 0;
	starts[0] = open + 1;
	for (i = open; i < n; i++) {
		if (tok_is(&t[i], "(") || tok_is(&t[i], "[") ||
		    tok_is(&t[i], "{"))
			depth++;
		else if (tok_is(&t[i], ")") || tok_is(&t[i], "]") ||
		    tok_is(&t[i], "}")) {
			if (--depth == 0)
				break;
		} else if (depth == 1 && tok_is(&t[i], ",") &&
		    *nargs + 2 < max)
			starts[++*nargs] = i + 1;
	}
	if (i > open + 1)
		(*nargs)++;
	starts[*nargs] = i + 1;
}

/* Records the message of argument k of a call, if it is text. */
static void
call_msg(const struct tok *t, size_t n, const size_t *starts, size_t k,
    int status, const char *file)
{
	char *text = arg_text(t, starts[k], starts[k + 1] - 1, t, n);

	if (text != NULL) {
		msg_add(text, status, true, file, t[starts[k]].line);
		free(text);
	}
}

/* Messages found in each of text_makers. */
static size_t maker_hits[NELEM(text_makers)];

/* The index of name in text_makers, or -1. */
static int
text_maker(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(text_makers); i++)
		if (strcmp(text_makers[i], name) == 0)
			return (int)i;
	return -1;
}

/* Whether s is shaped as a 422 entry's type: "value_error.missing",
 * "type_error.integer", "type_error". */
static bool
is_err_type(const char *s)
{
	if (strncmp(s, "value_error", 11) != 0 &&
	    strncmp(s, "type_error", 10) != 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz_.") == strlen(s);
}

static void
err_type_add(const char *type)
{
	if (in_list((const char *const *)err_types, nerr_types, type))
		return;
	err_types = xrealloc(err_types, (nerr_types + 1) *
	    sizeof(*err_types));
	err_types[nerr_types++] = xstrdup(type);
}

/*
 * The detail texts of one source file of src/ (and, from any string
 * literal, the 422 type names): the text of every
 * http_reply_detail(f) and http_reply_401 call (the status as written,
 * 0 when computed), every text argument of an ..._or_reply helper (which
 * replies with it itself) and the snprintf formats of the text_makers.
 */
static void
scan_c(const char *file, const char *src)
{
	struct tok *t;
	size_t n, i, k, nargs, starts[16];
	int depth = 0, status, maker;
	const char *fn = "", *name;

	t = lex(src, &n);
	for (i = 0; i < n; i++)
		if (t[i].type == TK_STR && is_err_type(t[i].text))
			err_type_add(t[i].text);
	for (i = 0; i + 1 < n; i++) {
		if (tok_is(&t[i], "{") && depth++ == 0)
			continue;
		if (tok_is(&t[i], "}")) {
			if (--depth == 0)
				fn = "";
			continue;
		}
		if (t[i].type != TK_ID || !tok_is(&t[i + 1], "("))
			continue;
		name = t[i].text;
		if (depth == 0) {	/* a definition or a declaration */
			fn = name;
			continue;
		}
		call_args(t, n, i + 1, starts, NELEM(starts), &nargs);
		if ((strcmp(name, "http_reply_detail") == 0 ||
		    strcmp(name, "http_reply_detailf") == 0) && nargs >= 3) {
			status = starts[2] - starts[1] == 2 &&
			    t[starts[1]].type == TK_NUM ?
			    atoi(t[starts[1]].text) : 0;
			call_msg(t, n, starts, 2, status, file);
		} else if (strcmp(name, "http_reply_401") == 0 && nargs >= 2)
			call_msg(t, n, starts, 1, 401, file);
		else if (strlen(name) > 9 && strcmp(name + strlen(name) - 9,
		    "_or_reply") == 0)
			for (k = 0; k < nargs; k++)
				call_msg(t, n, starts, k, 0, file);
		else if (strcmp(name, "snprintf") == 0 && nargs >= 3 &&
		    (maker = text_maker(fn)) >= 0) {
			size_t before = nmsgs;

			call_msg(t, n, starts, 2, 0, file);
			maker_hits[maker] += nmsgs - before;
		}
	}
	toks_free(t, n);
}

/* The contents of a file (new), or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;

	if (f == NULL)
		return NULL;
	do {
		buf = xrealloc(buf, len + 4096 + 1);
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/*
 * The details nginx sends itself: the "return STATUS '{"detail":"TEXT"}'"
 * lines of a site file.
 */
static void
scan_nginx(const char *file, const char *conf)
{
	const char *line = conf, *r, *d, *q;
	char *text;
	int lineno = 1;

	for (; line != NULL && *line != '\0'; lineno++) {
		const char *eol = strchr(line, '\n');

		if ((r = strstr(line, "return ")) != NULL &&
		    (eol == NULL || r < eol) &&
		    (d = strstr(r, "{\"detail\":\"")) != NULL &&
		    (eol == NULL || d < eol) &&
		    (q = strchr(d + 11, '"')) != NULL) {
			text = strndup(d + 11, (size_t)(q - d - 11));
			msg_add(text, atoi(r + 7), false, file, lineno);
			free(text);
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
}

/* Calls scan for every file of SRCDIR/dir ending in suffix. */
static size_t
scan_dir(const char *dir, const char *suffix,
    void (*scan)(const char *, const char *))
{
	char path[4096], rel[256];
	struct dirent *e;
	DIR *d;
	size_t n = 0, len;
	char *text;

	snprintf(path, sizeof(path), "%s/%s", SRCDIR, dir);
	ck_assert_msg((d = opendir(path)) != NULL, "cannot read %s", path);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len <= strlen(suffix) || strcmp(e->d_name + len -
		    strlen(suffix), suffix) != 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, e->d_name);
		snprintf(path, sizeof(path), "%s/%s", SRCDIR, rel);
		ck_assert_msg((text = slurp(path)) != NULL, "cannot read %s",
		    path);
		scan(rel, text);
		free(text);
		n++;
	}
	closedir(d);
	return n;
}

/* Records value's "detail" when it is a string. */
static void
example_of(struct json_object *value, int status, const char *method,
    const char *path)
{
	struct json_object *d;
	struct example *e;

	value = deref(value);
	if (!json_object_object_get_ex(value, "detail", &d) ||
	    !json_object_is_type(d, json_type_string))
		return;
	examples = xrealloc(examples, (nexamples + 1) * sizeof(*examples));
	e = &examples[nexamples++];
	e->text = xstrdup(json_object_get_string(d));
	e->status = status;
	snprintf(e->method, sizeof(e->method), "%s", method);
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->where, sizeof(e->where), "%s %s %d", method, path, status);
}

/*
 * Every string detail in the examples of the operations' responses
 * ("example", or "examples" with their "value"), through $refs.
 */
static void
collect_examples(void)
{
	struct json_object *paths, *responses, *content, *ex;
	char method[16];

	ck_assert(json_object_object_get_ex(doc, "paths", &paths));
	json_object_object_foreach(paths, path, item) {
		json_object_object_foreach(item, m, op) {
			if (!json_object_object_get_ex(op, "responses",
			    &responses))
				continue;
			method_upper(method, sizeof(method), m);
			json_object_object_foreach(responses, st, r) {
				if (!json_object_object_get_ex(deref(r),
				    "content", &content))
					continue;
				json_object_object_foreach(content, type, mt) {
					(void)type;
					if (json_object_object_get_ex(mt,
					    "example", &ex))
						example_of(ex, atoi(st), method,
						    path);
					if (!json_object_object_get_ex(mt,
					    "examples", &ex))
						continue;
					json_object_object_foreach(ex, name,
					    e) {
						(void)name;
						example_of(json_object_object_get(
						    deref(e), "value"), atoi(st),
						    method, path);
					}
				}
			}
		}
	}
}

/*
 * Whether text is what printf could make of fmt: an integer conversion
 * (%d, %i, %u, any length) stands for an integer, any other for one or
 * more characters. In text an integer may also be written as a
 * placeholder in capitals (N), as prose does.
 */
static bool
fmt_match(const char *f, const char *t)
{
	const char *c;
	size_t i;

	for (; *f != '\0'; f++, t++) {
		if (*f != '%' || f[1] == '%') {
			f += *f == '%';
			if (*t != *f)
				return false;
			continue;
		}
		for (c = f + 1; *c != '\0' &&
		    strchr("-+ #0123456789.hljzt", *c) != NULL; c++)
			;
		if (*c == 'd' || *c == 'i' || *c == 'u') {
			i = *t == '-';
			if (!isalnum((unsigned char)t[i]))
				return false;
			while (isdigit((unsigned char)t[i]) ||
			    isupper((unsigned char)t[i]))
				i++;
			return fmt_match(c + 1, t + i);
		}
		for (i = 1; i <= strlen(t); i++)
			if (fmt_match(c + 1, t + i))
				return true;
		return false;
	}
	return *t == '\0';
}

/* Whether some `quoted` span of a description in obj matches fmt. */
static bool
described(struct json_object *obj, const char *fmt)
{
	const char *s, *e;
	char *span;
	bool found = false;
	size_t i;

	if (json_object_is_type(obj, json_type_array)) {
		for (i = 0; i < json_object_array_length(obj); i++)
			if (described(json_object_array_get_idx(obj, i), fmt))
				return true;
		return false;
	}
	if (!json_object_is_type(obj, json_type_object))
		return false;
	json_object_object_foreach(obj, k, v) {
		if (strcmp(k, "description") != 0 ||
		    !json_object_is_type(v, json_type_string)) {
			if (described(v, fmt))
				return true;
			continue;
		}
		for (s = strchr(json_object_get_string(v), '`');
		    s != NULL && !found && (e = strchr(s + 1, '`')) != NULL;
		    s = strchr(e + 1, '`')) {
			span = strndup(s + 1, (size_t)(e - s - 1));
			found = fmt_match(fmt, span);
			free(span);
		}
		if (found)
			return true;
	}
	return false;
}

static void
details_setup(void)
{
	setup();
	ck_assert_uint_gt(scan_dir("src", ".c", scan_c), 0);
	ck_assert_uint_gt(scan_dir("nginx", ".conf", scan_nginx), 0);
	collect_examples();
}

static void
details_teardown(void)
{
	size_t i;

	for (i = 0; i < nmsgs; i++)
		free(msgs[i].text);
	for (i = 0; i < nexamples; i++)
		free(examples[i].text);
	for (i = 0; i < nerr_types; i++)
		free(err_types[i]);
	free(msgs);
	free(examples);
	free(err_types);
	msgs = NULL;
	examples = NULL;
	err_types = NULL;
	nmsgs = nexamples = nerr_types = 0;
	teardown();
}

/* Neither direction may pass for want of anything to compare. */
static void
details_found(void)
{
	size_t i, own = 0, nginx = 0;

	for (i = 0; i < nmsgs; i++)
		msgs[i].own ? own++ : nginx++;
	ck_assert_msg(nexamples >= 10, "only %zu detail examples found in "
	    "doc/openapi.json: the walk of its responses is broken",
	    nexamples);
	ck_assert_msg(own >= 10 && nginx >= 5, "only %zu detail texts found "
	    "in src/ and %zu in nginx/: the scan is broken", own, nginx);
	for (i = 0; i < NELEM(text_makers); i++)
		ck_assert_msg(maker_hits[i] > 0, "no snprintf format found in "
		    "%s (src/): renamed? update text_makers", text_makers[i]);
}

/*
 * Every detail the document shows is one the service (src/) or nginx can
 * send with that status: the example, its numbers and names aside, is
 * what the format makes.
 */
START_TEST(documented_details_are_sent)
{
	size_t i, j;
	const struct msg *other;

	details_found();
	for (i = 0; i < nexamples; i++) {
		other = NULL;
		for (j = 0; j < nmsgs; j++) {
			if (!fmt_match(msgs[j].text, examples[i].text))
				continue;
			if (msgs[j].status == 0 ||
			    msgs[j].status == examples[i].status)
				break;
			other = &msgs[j];
		}
		if (j < nmsgs)
			continue;
		if (other != NULL)
			problem("%s: \"%s\" is sent with status %d (%s), not "
			    "%d", examples[i].where, examples[i].text,
			    other->status, other->where, examples[i].status);
		else
			problem("%s: the document's detail \"%s\" is sent by "
			    "nothing in src/ or nginx/", examples[i].where,
			    examples[i].text);
	}
	problems_none();
}
END_TEST

static size_t ntypes_seen;

/* Checks that a type name the document shows is one src/ sends. */
static void
type_sent(const char *type, const char *where)
{
	ntypes_seen++;
	if (!in_list((const char *const *)err_types, nerr_types, type))
		problem("%s: the 422 type \"%s\" is sent by nothing in src/",
		    where, type);
}

/*
 * The type names in obj: the "type" of an entry of a 422 list (an object
 * with "loc", "msg" and "type") and every `quoted` type name in its
 * description.
 */
static void
doc_types(struct json_object *obj, const char *where)
{
	struct json_object *v;
	const char *s, *e;
	char *span;

	if (json_object_object_get_ex(obj, "loc", NULL) &&
	    json_object_object_get_ex(obj, "msg", NULL) &&
	    json_object_object_get_ex(obj, "type", &v) &&
	    json_object_is_type(v, json_type_string))
		type_sent(json_object_get_string(v), where);
	if (!json_object_object_get_ex(obj, "description", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	for (s = strchr(json_object_get_string(v), '`');
	    s != NULL && (e = strchr(s + 1, '`')) != NULL;
	    s = strchr(e + 1, '`')) {
		span = strndup(s + 1, (size_t)(e - s - 1));
		if (is_err_type(span))
			type_sent(span, where);
		free(span);
	}
}

/*
 * Every 422 type name the document shows (in examples and descriptions)
 * is one the service sends: pydantic v1's, as src/ writes them, not
 * another version's.
 */
START_TEST(documented_types_are_sent)
{
	char where[1024] = "";

	ck_assert_msg(nerr_types >= 10, "only %zu 422 type names found in "
	    "src/: the scan is broken", nerr_types);
	ntypes_seen = 0;
	walk(doc, where, sizeof(where), doc_types);
	ck_assert_msg(ntypes_seen >= 5, "only %zu 422 type names found in "
	    "doc/openapi.json: the walk is broken", ntypes_seen);
	problems_none();
}
END_TEST

/*
 * Every 4xx detail of src/ is documented: as a detail example of some
 * response, or quoted (`...`) in a description.
 */
START_TEST(sent_details_are_documented)
{
	size_t i, j;

	details_found();
	for (i = 0; i < NELEM(undocumented_ok); i++) {
		for (j = 0; j < nmsgs; j++)
			if (strcmp(msgs[j].text, undocumented_ok[i]) == 0)
				break;
		if (j == nmsgs)
			problem("\"%s\" is listed in undocumented_ok but no "
			    "longer in src/: remove it there",
			    undocumented_ok[i]);
	}
	for (i = 0; i < nmsgs; i++) {
		if (!msgs[i].own || (msgs[i].status != 0 &&
		    (msgs[i].status < 400 || msgs[i].status > 499)) ||
		    in_list(undocumented_ok, NELEM(undocumented_ok),
		    msgs[i].text))
			continue;
		for (j = 0; j < nexamples; j++)
			if (fmt_match(msgs[i].text, examples[j].text))
				break;
		if (j == nexamples && !described(doc, msgs[i].text))
			problem("%s: the detail \"%s\" (status %d) is not in "
			    "doc/openapi.json: add it as an example of the "
			    "responses that send it", msgs[i].where,
			    msgs[i].text, msgs[i].status);
	}
	problems_none();
}
END_TEST

static struct app *app;
static char *admin_token;

/* With the services: a clean database with one admin, and its token. */
static void
answers_setup(void)
{
	struct db_val p[4] = { DB_STR("admin@example.com"),
	    DB_STR("Test Admin"), DB_STR("not-a-hash"), DB_INT(1) };
	char jti[AUTH_JTI_LEN + 1];
	uint64_t id;

	details_setup();
	app = tu_app();
	tu_reset_db(app);
	ck_assert_int_eq(db_exec(app->db, STMT_USER_INSERT, p, 4, NULL, NULL,
	    &id), INV_OK);
	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, (int64_t)id,
	    true, 0, jti, time(NULL), &admin_token), INV_OK);
}

static void
answers_teardown(void)
{
	free(admin_token);
	admin_token = NULL;
	details_teardown();
}

/*
 * A value the schema accepts (new), for the required fields of a body:
 * the first of an enum, else one of the type's plainest values.
 */
static struct json_object *
sample_value(struct json_object *schema)
{
	struct json_object *v, *min;
	const char *type;

	schema = deref(schema);
	if (json_object_object_get_ex(schema, "enum", &v))
		return json_object_get(json_object_array_get_idx(v, 0));
	if (!json_object_object_get_ex(schema, "type", &v))
		return json_object_new_string("x");
	type = json_object_get_string(v);
	if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)
		return json_object_new_int64(json_object_object_get_ex(schema,
		    "minimum", &min) && json_object_get_int64(min) > 1 ?
		    json_object_get_int64(min) : 1);
	if (strcmp(type, "boolean") == 0)
		return json_object_new_boolean(1);
	if (strcmp(type, "array") == 0)
		return json_object_new_array();
	return json_object_new_string("x");
}

/* A JSON body of op's required fields (new), or NULL when it takes none. */
static char *
sample_body(struct json_object *op)
{
	struct json_object *schema, *req, *props, *prop, *body;
	const char *name;
	char *text;
	size_t i;

	if ((schema = body_schema(op, "application/json")) == NULL)
		return NULL;
	body = json_object_new_object();
	if (json_object_object_get_ex(schema, "required", &req) &&
	    json_object_object_get_ex(schema, "properties", &props))
		for (i = 0; i < json_object_array_length(req); i++) {
			name = json_object_get_string(
			    json_object_array_get_idx(req, i));
			if (json_object_object_get_ex(props, name, &prop))
				json_object_object_add(body, name,
				    sample_value(prop));
		}
	text = xstrdup(json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	return text;
}

/* Whether detail is the example but for its numbers (the ids). */
static bool
same_but_numbers(const char *example, const char *detail)
{
	while (*example != '\0' && *detail != '\0') {
		if (isdigit((unsigned char)*example) &&
		    isdigit((unsigned char)*detail)) {
			while (isdigit((unsigned char)*example))
				example++;
			while (isdigit((unsigned char)*detail))
				detail++;
		} else if (*example++ != *detail++)
			return false;
	}
	return *example == '\0' && *detail == '\0';
}

/* Whether a is a 404 example of b's operation. */
static bool
same_404(const struct example *a, const struct example *b)
{
	return a->status == 404 && strcmp(a->path, b->path) == 0 &&
	    strcmp(a->method, b->method) == 0;
}

/* path with every {name} made MISSING_ID, in buf. */
static const char *
path_missing(char *buf, size_t len, const char *path)
{
	size_t n = 0;

	while (*path != '\0' && n + sizeof(MISSING_ID) < len) {
		if (*path == '{') {
			memcpy(buf + n, MISSING_ID, sizeof(MISSING_ID) - 1);
			n += sizeof(MISSING_ID) - 1;
			while (*path != '\0' && *path++ != '}')
				;
		} else
			buf[n++] = *path++;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Every operation on one record ("{id}" in its path) that documents a
 * 404 detail answers an admin's request for a record that does not exist
 * with 404 and that detail, its id aside. A shared format cannot stand in
 * for another operation's here, as it can in documented_details_are_sent.
 */
START_TEST(missing_records_answer_as_documented)
{
	struct http_resp resp;
	struct json_object *body, *d;
	char path[256], key[256];
	const char *detail;
	char *req_body;
	size_t i, j, checked = 0;

	details_found();
	for (i = 0; i < nexamples; i++) {
		if (examples[i].status != 404 ||
		    strchr(examples[i].path, '{') == NULL)
			continue;
		for (j = 0; j < i; j++)	/* each operation once */
			if (same_404(&examples[j], &examples[i]))
				break;
		if (j < i)
			continue;
		op_key(key, sizeof(key), examples[i].method, examples[i].path);
		req_body = sample_body(doc_find(key));
		path_missing(path, sizeof(path), examples[i].path);
		tu_request(app, examples[i].method, path, admin_token,
		    req_body != NULL ? "application/json" : NULL, req_body,
		    &resp);
		body = resp.body != NULL ? json_tokener_parse(resp.body) : NULL;
		detail = json_object_object_get_ex(body, "detail", &d) &&
		    json_object_is_type(d, json_type_string) ?
		    json_object_get_string(d) : NULL;
		for (j = i; detail != NULL && j < nexamples; j++)
			if (same_404(&examples[j], &examples[i]) &&
			    same_but_numbers(examples[j].text, detail))
				break;
		if (resp.status != 404 || detail == NULL || j == nexamples)
			problem("%s %s (body %s): %d %s, the document says 404 "
			    "\"%s\"", examples[i].method, path,
			    req_body != NULL ? req_body : "none", resp.status,
			    resp.body != NULL ? resp.body : "", examples[i].text);
		json_object_put(body);
		http_resp_free(&resp);
		free(req_body);
		checked++;
	}
	ck_assert_msg(checked >= 5, "only %zu operations with a 404 detail "
	    "example on a path with an id", checked);
	problems_none();
}
END_TEST

static Suite *
details_suite(void)
{
	Suite *s = suite_create("openapi details");
	TCase *tc = tcase_create("detail messages");

	/* Lexing every source file takes seconds under ASan on a busy
	 * machine; Check's default of 4 s is too tight. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, details_setup, details_teardown);
	tcase_add_test(tc, documented_details_are_sent);
	tcase_add_test(tc, sent_details_are_documented);
	tcase_add_test(tc, documented_types_are_sent);
	suite_add_tcase(s, tc);
	return s;
}

/* The answers of the service itself, against MariaDB and Redis. */
static Suite *
answers_suite(void)
{
	Suite *s = suite_create("openapi answers");
	TCase *tc = tcase_create("404 details");

	/* A request per documented 404, each through the router and
	 * MariaDB: more than 4 s under ASan on a busy machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, answers_setup, answers_teardown);
	tcase_add_test(tc, missing_records_answer_as_documented);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *v = getenv("INVENTORY_TEST_SERVICES");

	if (v != NULL && strcmp(v, "1") == 0)
		return tu_run(details_suite(), answers_suite(), NULL);
	printf("# no services (INVENTORY_TEST_SERVICES): the service's "
	    "answers are not checked\n");
	return tu_run(details_suite(), NULL);
}
