/*
 * fuzz_form: query strings and form bodies. http_form_decode (the strict,
 * all-or-nothing decoder of login forms) on any bytes; http_req_finish
 * (which keeps every query pair, with its fault) on the same text as a C
 * string, then http_query_get and the router's query helpers (query_int,
 * query_bool, paging_or_422) on what it decoded.
 *
 * Invariants:
 *  - strict decoding gives names and values that are UTF-8 without NUL,
 *    or nothing at all;
 *  - http_req_finish names each parameter once: a pair that decodes has
 *    a UTF-8 value, one that does not a fault and no value; a name seen
 *    more than once is marked repeated (or keeps its first fault);
 *  - when strict decoding accepts a text, http_req_finish keeps the
 *    first pair of each name, unchanged and in order;
 *  - http_query_get finds a parameter's value only when it has no fault;
 *  - a helper that refuses a parameter adds a 422 detail (and
 *    paging_or_422 replies 422), one that accepts it adds none.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "http.h"
#include "json.h"
#include "router.h"

/* Decoded pairs are C strings of valid UTF-8. */
static void
check_params(const struct http_param *ps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(ps[i].name != NULL && ps[i].value != NULL);
		FUZZ_ASSERT(json_utf8_valid(ps[i].name, strlen(ps[i].name)));
		FUZZ_ASSERT(json_utf8_valid(ps[i].value, strlen(ps[i].value)));
		FUZZ_ASSERT(ps[i].fault == PARAM_OK);
	}
}

/* A query's parameters: each name once, UTF-8, a value when it decoded. */
static void
check_query(const struct http_req *req)
{
	const struct http_param *p;
	size_t i, j;

	for (i = 0; i < req->nparams; i++) {
		p = &req->params[i];
		FUZZ_ASSERT(p->name != NULL && (unsigned)p->fault < PARAM__MAX);
		FUZZ_ASSERT(json_utf8_valid(p->name, strlen(p->name)));
		if (p->fault == PARAM_OK || p->fault == PARAM_REPEATED)
			FUZZ_ASSERT(p->value != NULL &&
			    json_utf8_valid(p->value, strlen(p->value)));
		else
			FUZZ_ASSERT(p->value == NULL);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(req->params[j].name, p->name) != 0);
		FUZZ_ASSERT(http_query_get(req, p->name) ==
		    (p->fault == PARAM_OK ? p->value : NULL));
	}
}

/* The router's helpers on the decoded query of req. */
static void
query_helpers(const struct http_req *req)
{
	struct json_object *details = NULL;
	struct http_resp resp;
	int64_t v, skip, limit;
	bool b = false, present = false, ok;

	ok = query_int(req, "limit", 100, 1, 1000, &v, &details);
	FUZZ_ASSERT(ok == (details == NULL));
	FUZZ_ASSERT(!ok || (v >= 1 && v <= 1000));
	ok = query_bool(req, "is_active", &b, &present, &details) && ok;
	FUZZ_ASSERT(ok == (details == NULL));
	FUZZ_ASSERT(present == (http_query_get(req, "is_active") != NULL));
	json_object_put(details);

	http_resp_init(&resp);
	if (paging_or_422(req, &resp, &skip, &limit)) {
		FUZZ_ASSERT(resp.status == 0);
		FUZZ_ASSERT(skip >= 0 && limit >= 1 && limit <= 1000);
	} else
		FUZZ_ASSERT(resp.status == 422 && resp.body != NULL);
	http_resp_free(&resp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_param *ps = NULL;
	struct http_req req;
	size_t n = 0, i, j, k;
	bool strict;

	strict = http_form_decode((const char *)data, size, &ps, &n);
	if (strict)
		check_params(ps, n);
	else
		FUZZ_ASSERT(ps == NULL && n == 0);

	http_req_init(&req);
	req.query = fuzz_cstr(data, size);
	http_req_finish(&req);
	check_query(&req);
	/* Without a NUL the two decoders saw the same text: the first pair
	 * of each name, marked when the name comes again. */
	if (strict && memchr(data, '\0', size) == NULL) {
		for (i = 0, k = 0; i < n; i++) {
			for (j = 0; j < i; j++)
				if (strcmp(ps[j].name, ps[i].name) == 0)
					break;
			if (j < i)
				continue;
			FUZZ_ASSERT(k < req.nparams);
			FUZZ_ASSERT(strcmp(req.params[k].name, ps[i].name) == 0);
			FUZZ_ASSERT(strcmp(req.params[k].value,
			    ps[i].value) == 0);
			for (j = i + 1; j < n; j++)
				if (strcmp(ps[j].name, ps[i].name) == 0)
					break;
			FUZZ_ASSERT(req.params[k].fault == (j < n ?
			    PARAM_REPEATED : PARAM_OK));
			k++;
		}
		FUZZ_ASSERT(k == req.nparams);
	}
	http_params_free(ps, n);
	query_helpers(&req);
	http_req_free(&req);
	return 0;
}
