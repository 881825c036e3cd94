/*
 * http.h: the request/response model every handler sees. It knows nothing
 * of FastCGI: fcgi_main.c fills an http_req from the FastCGI parameters and
 * writes an http_resp back; the tests build them directly.
 *
 * Ownership: an http_req owns every string it points to and is released
 * with http_req_free(); an http_resp owns its headers and body and is
 * released with http_resp_free(). Both are request-scoped.
 */
#ifndef INV_HTTP_H
#define INV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages.h"
#include "util.h"

struct json_object;

#define HTTP_MAX_BODY	(64 * 1024)	/* larger bodies are 413 */
#define HTTP_MAX_PARAMS	8		/* integer path parameters */
#define HTTP_MAX_HEADERS 16

enum http_method {
	HTTP_GET = 0,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_OTHER,	/* anything else: never routed, 405 or 404 */
	HTTP__MAX
};

/* "GET", ...; "OTHER" for HTTP_OTHER. */
const char *http_method_name(enum http_method);
enum http_method http_method_parse(const char *);

/*
 * What is wrong with a query parameter. http_req_finish records it and
 * the dispatcher answers 422 for any, so a handler never reads a
 * parameter that is not PARAM_OK.
 */
enum http_param_fault {
	PARAM_OK = 0,
	PARAM_BAD_ESCAPE,	/* '%' not followed by two hex digits */
	PARAM_NOT_TEXT,		/* decodes to a NUL or to invalid UTF-8 */
	PARAM_REPEATED,		/* the name occurs more than once */
	PARAM__MAX
};

/*
 * One decoded name=value pair of a query string or form body. A pair
 * that does not decode has value NULL and, when its name does not decode
 * either, the name as sent with every byte outside printable ASCII
 * written %XX, so that it can name the parameter in a 422.
 */
struct http_param {
	char			*name;
	char			*value;
	enum http_param_fault	 fault;
};

/* Who made the request, filled by the router from the access token. */
struct principal {
	bool	 authenticated;
	int64_t	 user_id;
	bool	 is_admin;	/* the row's when current, else the token's */
	int64_t	 token_version;	/* the token's "ver" */
	bool	 current;	/* checked against the user's row */
};

struct route;

struct field_val;

struct http_req {
	enum http_method	 method;
	char			*path;		/* decoded path, no query */
	char			*query;		/* raw query string or NULL */
	char			*content_type;	/* NULL when absent */
	char			*authorization;	/* NULL when absent */
	char			*request_id;	/* from nginx, or generated */
	char			*idempotency_key;
	char			*remote_addr;
	char			*body;		/* NUL-terminated, may hold NULs */
	size_t			 body_len;
	/* Decoded query parameters, in order, each name once (filled by
	 * http_req_finish; see enum http_param_fault). */
	struct http_param	*params;
	size_t			 nparams;
	/* Filled by the router. */
	const struct route	*route;
	int64_t			 ids[HTTP_MAX_PARAMS];	/* {id} values in order */
	size_t			 nids;
	struct principal	 principal;
	struct json_object	*json;	/* parsed body, owned; or NULL */
	/* The values of the route's query and body specs, one per row (the
	 * router's, during the handler; NULL without a spec). */
	const struct field_val	*query_vals;
	const struct field_val	*body_vals;
};

struct http_header {
	char	*name;
	char	*value;
};

struct http_resp {
	int			 status;	/* 0 until a reply is set */
	struct http_header	 headers[HTTP_MAX_HEADERS];
	size_t			 nheaders;
	char			*body;		/* NULL for no body */
	size_t			 body_len;
	/* An answer to HEAD: status, headers and body_len are those of the
	 * GET, the body is not sent (Content-Length still counts it). */
	bool			 omit_body;
};

void http_req_init(struct http_req *);
/*
 * Decodes the query string into params; call once the fields are set.
 * Strict, as a 422 needs it: every pair is kept, one that does not
 * decode with its fault, and a name given more than once appears once
 * (its first pair), marked PARAM_REPEATED.
 */
void http_req_finish(struct http_req *);
void http_req_free(struct http_req *);

void http_resp_init(struct http_resp *);
void http_resp_free(struct http_resp *);

/* Borrowed value of the query parameter called name, or NULL when it is
 * absent or faulty (the dispatcher refuses a faulty query before any
 * handler reads one). */
const char *http_query_get(const struct http_req *, const char *name);

/*
 * Decodes application/x-www-form-urlencoded text (also query strings):
 * '+' is a space, %XX escapes, pairs split on '&'. Returns false on a bad
 * escape or a decoded NUL; *out is new (free with http_params_free).
 * Empty pairs are skipped; a name without '=' has the value "". Invalid
 * UTF-8 after decoding is refused too. On false *out is NULL and *nout 0
 * (nothing to free). Repeated names are all kept, in order.
 */
bool http_form_decode(const char *text, size_t len,
    struct http_param **out, size_t *nout);
void http_params_free(struct http_param *, size_t);

/* Adds (copies) a response header. */
void http_resp_header(struct http_resp *, const char *name, const char *value);
/* Borrowed value of a response header, or NULL. */
const char *http_resp_get_header(const struct http_resp *, const char *name);

/*
 * Replies. Each replaces any earlier body. http_reply_json takes ownership
 * of obj (may be NULL for "no body", as in 204) and serialises it plainly
 * (no "\/" escapes). Error replies are {"detail": msg}.
 */
void http_reply_json(struct http_resp *, int status, struct json_object *obj);
/* Same with a body already serialised (a cached reply): text[0..len) is
 * copied. */
void http_reply_json_text(struct http_resp *, int status, const char *text,
    size_t len);
/* The same, taking ownership of text (allocated with malloc). */
void http_reply_json_owned(struct http_resp *, int status, char *text,
    size_t len);
void http_reply_detail(struct http_resp *, int status, const char *detail);
void http_reply_detailf(struct http_resp *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A ready-made body (e.g. Prometheus text): takes b's data, leaving b
 * empty. */
struct buf;
void http_reply_text(struct http_resp *, int status, const char *ctype,
    struct buf *b);
/* 422 with {"detail": details}; takes ownership of the details array. */
void http_reply_422(struct http_resp *, struct json_object *details);
/*
 * {"detail": text} of message id with its status (messages.h); a 401
 * adds WWW-Authenticate: Bearer. http_reply_msgf fills the text's
 * conversions: http_reply_msgf(resp, MSG_NO_ORDER, MSG_INT(id)).
 */
void http_reply_msg(struct http_resp *, enum msg_id id);
void http_reply_msga(struct http_resp *, enum msg_id id,
    const struct msg_arg *args, size_t nargs);
#define http_reply_msgf(resp, id, ...) \
	http_reply_msga((resp), (id), MSG_ARGS(__VA_ARGS__))
/* 500 {"detail":"Internal server error"}. */
void http_reply_500(struct http_resp *);
/* 503 {"detail":"Service temporarily unavailable"}. */
void http_reply_503(struct http_resp *);
/*
 * Replies for a failed database call: 503 when the server is unreachable,
 * 409 "Stock records disagree; run inventoryctl audit" when the stock
 * books were found to contradict each other (INV_DISAGREE: nothing was
 * changed, and the finder logged it), 500 otherwise.
 */
void http_reply_db_error(struct http_resp *, enum inv_err);

/* Standard reason phrase for a status ("Not Found"); "Unknown" otherwise. */
const char *http_status_text(int status);

#endif
