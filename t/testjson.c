/*
 * testjson.c: see testjson.h.
 */
#include "testjson.h"

/* Parses s strictly and fails the test when it is refused. New. */
struct json_object *
parse_ok(const char *s)
{
	struct json_object *o = NULL;
	const char *why = NULL;

	ck_assert_msg(json_parse_strict(s, strlen(s), &o, &why),
	    "refused %s: %s", s, why != NULL ? why : "(null)");
	return o;
}
