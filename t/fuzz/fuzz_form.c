/*
 * fuzz_form: query strings and form bodies. http_form_decode (the strict,
 * all-or-nothing decoder of login forms) on any bytes; http_req_finish
 * (which keeps every query pair, with its fault) on the same text as a C
 * string, then http_query_get and a query spec (validate_query: paging
 * and a boolean, as a list's) on what it decoded.
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
 *  - a query spec gives details exactly when a value it reads is bad;
 *    when it gives none, every value is within the spec's bounds.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "http.h"
#include "json.h"
#include "paging.h"
#include "validate.h"

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

enum { F_ACTIVE = PAGE__N, F__N };
static const struct field_spec list_fields[F__N] = {
	PAGING_FIELDS,
	[F_ACTIVE] = { "is_active", FT_BOOL, 0, 0, 0, FX_NONE },
};
static const struct body_spec list_spec = { list_fields, F__N };

/* A list's query spec on the decoded query of req, when every pair
 * decoded once (the dispatcher refuses any other first). */
static void
query_helpers(const struct http_req *req)
{
	struct field_val v[F__N];
	struct json_object *details;
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (req->params[i].fault != PARAM_OK)
			return;
	memset(v, 0, sizeof(v));
	details = validate_query(req->params, req->nparams, &list_spec, v);
	if (details == NULL) {
		FUZZ_ASSERT(v[PAGE_SKIP].i >= 0);
		FUZZ_ASSERT(v[PAGE_LIMIT].i >= 1 && v[PAGE_LIMIT].i <= 1000);
		FUZZ_ASSERT(v[F_ACTIVE].i == 0 || v[F_ACTIVE].i == 1);
	} else
		FUZZ_ASSERT(json_object_array_length(details) >= 1 &&
		    json_object_array_length(details) <= F__N);
	FUZZ_ASSERT(v[F_ACTIVE].given ==
	    (http_query_get(req, "is_active") != NULL));
	json_object_put(details);
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
