/*
 * fuzz_form: query strings and form bodies. http_form_decode (the strict,
 * all-or-nothing decoder of login forms) on any bytes; http_req_finish
 * (the lenient one of query strings) on the same text as a C string,
 * then http_query_get and the router's query helpers (query_int,
 * query_bool, paging_or_422) on what it decoded.
 *
 * Invariants:
 *  - strict decoding gives names and values that are UTF-8 without NUL,
 *    or nothing at all;
 *  - when strict decoding accepts a text, lenient decoding of it keeps
 *    every pair, unchanged and in order;
 *  - http_query_get finds the first pair of a name;
 *  - a helper that refuses a parameter adds a 422 detail (and
 *    paging_or_422 replies 422), one that accepts it adds none.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "http.h"
#include "json_util.h"
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
	size_t n = 0, i, j;
	bool strict;

	strict = http_form_decode((const char *)data, size, &ps, &n);
	if (strict)
		check_params(ps, n);
	else
		FUZZ_ASSERT(ps == NULL && n == 0);

	http_req_init(&req);
	req.query = fuzz_cstr(data, size);
	http_req_finish(&req);
	check_params(req.params, req.nparams);
	/* Without a NUL the two decoders saw the same text. */
	if (strict && memchr(data, '\0', size) == NULL) {
		FUZZ_ASSERT(req.nparams == n);
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(strcmp(req.params[i].name, ps[i].name) == 0);
			FUZZ_ASSERT(strcmp(req.params[i].value,
			    ps[i].value) == 0);
		}
	}
	http_params_free(ps, n);

	/* The first pair of each name is the one found. */
	for (i = 0; i < req.nparams; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(req.params[j].name, req.params[i].name) == 0)
				break;
		if (j == i)
			FUZZ_ASSERT(http_query_get(&req, req.params[i].name) ==
			    req.params[i].value);
	}
	query_helpers(&req);
	http_req_free(&req);
	return 0;
}
