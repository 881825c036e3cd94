/*
 * testusers.h: the fixtures and helpers of the /auth and /users
 * suites (check_users, check_users_admin).
 */
#ifndef INV_TESTUSERS_H
#define INV_TESTUSERS_H

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "testutil.h"

#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"
#define PW "correct horse battery"

#define TIMED_LOGINS 7

/*
 * Account and role changes take effect at once.
 */

#define ORDER_BODY "{\"shipping_address\":\"1 Main St\"," \
	"\"items\":[{\"product_id\":1,\"quantity\":1}]}"

extern struct app *app;

void
setup(void);

/* Sends and returns the status; *out gets the parsed body when asked. */
int
call(const char *method, const char *path, const char *token,
    const char *ct, const char *body, struct json_object **out);

int
register_user(const char *email, const char *name, const char *password);

/* Form login; on 200 *access and *refresh are new (may be NULL). */
int
login(const char *email, const char *password, char **access, char **refresh);

/* Presents a refresh token; on 200 *next is the new one (new). */
int
refresh(const char *path, const char *token, char **next);

/* Stores a user with the given hash and role straight in the database. */
int64_t
insert_user(const char *email, const char *hash, bool admin);

/* An admin's access token (new). */
char *
admin_token(void);

/* An admin stored with PW and logged in: its id, *token new. */
int64_t
seed_admin(const char *email, char **token);

#endif
