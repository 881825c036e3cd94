/*
 * testusers.c: see testusers.h.
 */
#include "testusers.h"

struct app *app;

void
setup(void)
{
	app = tu_app();
	tu_child_app = &app;
	tu_reset_db(app);
}

/* Sends and returns the status; *out gets the parsed body when asked. */
int
call(const char *method, const char *path, const char *token,
    const char *ct, const char *body, struct json_object **out)
{
	struct http_resp resp;
	int status;

	tu_request(app, method, path, token, ct, body, &resp);
	status = resp.status;
	if (out != NULL)
		*out = resp.body != NULL ? tu_json(&resp) : NULL;
	http_resp_free(&resp);
	return status;
}

int
register_user(const char *email, const char *name, const char *password)
{
	char *body = xasprintf("{\"email\":\"%s\",\"full_name\":\"%s\","
	    "\"password\":\"%s\"}", email, name, password);
	int status = call("POST", "/api/v1/auth/register", NULL, JSON, body,
	    NULL);

	free(body);
	return status;
}

/* Form login; on 200 *access and *refresh are new (may be NULL). */
int
login(const char *email, const char *password, char **access, char **refresh)
{
	char *body = xasprintf("username=%s&password=%s", email, password);
	struct json_object *o = NULL;
	int status = call("POST", "/api/v1/auth/login", NULL, FORM, body, &o);

	if (status == 200) {
		if (access != NULL)
			*access = xstrdup(json_get_str(o, "access_token"));
		if (refresh != NULL)
			*refresh = xstrdup(json_get_str(o, "refresh_token"));
	}
	json_object_put(o);
	free(body);
	return status;
}

/* Presents a refresh token; on 200 *next is the new one (new). */
int
refresh(const char *path, const char *token, char **next)
{
	char *body = xasprintf("{\"refresh_token\":\"%s\"}", token);
	struct json_object *o = NULL;
	int status = call("POST", path, NULL, JSON, body, &o);

	if (status == 200 && next != NULL)
		*next = xstrdup(json_get_str(o, "refresh_token"));
	json_object_put(o);
	free(body);
	return status;
}

/* Stores a user with the given hash and role straight in the database. */
int64_t
insert_user(const char *email, const char *hash, bool admin)
{
	struct db_val p[4] = { DB_STR(email), DB_STR("Seeded User"),
	    DB_STR(hash), DB_INT(admin) };
	uint64_t id;

	ck_assert_int_eq(db_exec(app->db, STMT_USER_INSERT, p, 4, NULL, NULL,
	    &id), INV_OK);
	return (int64_t)id;
}

/* An admin's access token (new). */
char *
admin_token(void)
{
	char *hash = NULL, *tok = NULL;

	ck_assert_int_eq(auth_password_hash(app->cfg, PW, &hash), INV_OK);
	insert_user("admin@example.com", hash, true);
	free(hash);
	ck_assert_int_eq(login("admin@example.com", PW, &tok, NULL), 200);
	return tok;
}

/* An admin stored with PW and logged in: its id, *token new. */
int64_t
seed_admin(const char *email, char **token)
{
	char *hash = NULL;
	int64_t id;

	ck_assert_int_eq(auth_password_hash(app->cfg, PW, &hash), INV_OK);
	id = insert_user(email, hash, true);
	free(hash);
	ck_assert_int_eq(login(email, PW, token, NULL), 200);
	return id;
}
