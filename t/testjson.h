/*
 * testjson.h: what the json.c suites (check_json, check_json_helpers)
 * share.
 */
#ifndef INV_TESTJSON_H
#define INV_TESTJSON_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "json.h"
#include "validate.h"

/* A byte string that may hold NULs: its length comes from sizeof. */
#define BYTES(s)	(s), sizeof(s) - 1

#define REQ	FS_REQUIRED
#define NUL_OK	FS_NULLABLE

/* Parses s strictly and fails the test when it is refused. New. */
struct json_object *
parse_ok(const char *s);

#endif
