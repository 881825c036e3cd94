/*
 * stubs.h: stand-ins for the route handlers, for fuzz_router.
 *
 * fuzz_router runs the real dispatcher, but the handlers need MariaDB,
 * Redis and the queue, which a fuzzer has not got. t/fuzz/fuzz.mk makes
 * t/fuzz/handler_stubs.c from src/handlers.h: one FUZZ_STUB per h_*
 * declared there, and links fuzz_router with -Wl,--wrap=h_... for each,
 * so that every reference to a handler, routes[] included, names its
 * stub instead.
 */
#ifndef INV_FUZZ_STUBS_H
#define INV_FUZZ_STUBS_H

#include "router.h"

/* What every stub does: defined by the harness. */
void fuzz_handler(struct app *, struct http_req *, struct http_resp *);

#define FUZZ_STUB(h)							\
	void __wrap_##h(struct app *, struct http_req *,		\
	    struct http_resp *);					\
	void __wrap_##h(struct app *app, struct http_req *req,		\
	    struct http_resp *resp)					\
	{								\
		fuzz_handler(app, req, resp);				\
	}

/* Every stub, NULL-terminated: a route whose handler is not among them
 * would run a real handler. */
extern const route_handler fuzz_stubs[];

#endif
