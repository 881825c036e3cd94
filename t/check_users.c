/*
 * check_users.c: /auth and /users against a real MariaDB (integration).
 */
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

static struct app *app;

static void
setup(void)
{
	app = tu_app();
	tu_reset_db(app);
}

/* Sends and returns the status; *out gets the parsed body when asked. */
static int
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

static int
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
static int
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
static int
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
static int64_t
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
static char *
admin_token(void)
{
	char *hash = NULL, *tok = NULL;

	ck_assert_int_eq(auth_password_hash(app->cfg, PW, &hash), INV_OK);
	insert_user("admin@example.com", hash, true);
	free(hash);
	ck_assert_int_eq(login("admin@example.com", PW, &tok, NULL), 200);
	return tok;
}

/* The stored hash of a user (new), or NULL. */
static char *
stored_hash(const char *email)
{
	struct db_val p = DB_STR(email);
	struct db_res *res = NULL;
	char *h = NULL;

	ck_assert_int_eq(db_exec(app->db, STMT_USER_BY_EMAIL, &p, 1, &res,
	    NULL, NULL), INV_OK);
	if (db_res_rows(res) == 1)
		h = xstrdup(db_res_str(res, 0, USER_COL_HASH));
	db_res_free(res);
	return h;
}

/* The first 422 detail's loc[1] (borrowed from o). */
static const char *
detail_field(struct json_object *o)
{
	struct json_object *d = json_object_array_get_idx(
	    json_object_object_get(o, "detail"), 0);

	return json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(d, "loc"), 1));
}

START_TEST(register_success)
{
	struct json_object *o;
	const char *created;

	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"  new@example.com \",\"full_name\":\" New User \","
	    "\"password\":\"" PW "\"}", &o), 201);
	ck_assert_int_gt(json_object_get_int64(json_object_object_get(o, "id")),
	    0);
	ck_assert_str_eq(json_get_str(o, "email"), "new@example.com");
	ck_assert_str_eq(json_get_str(o, "full_name"), "New User");
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	ck_assert(!json_object_get_boolean(json_object_object_get(o,
	    "is_admin")));
	created = json_get_str(o, "created_at");
	ck_assert_uint_eq(strlen(created), 20);
	ck_assert_int_eq(created[10], 'T');
	ck_assert_int_eq(created[19], 'Z');
	ck_assert(!json_has(o, "hashed_password"));
	ck_assert(!json_has(o, "password"));
	json_object_put(o);
}
END_TEST

START_TEST(register_existing_email)
{
	struct json_object *o;

	ck_assert_int_eq(register_user("dup@example.com", "A", PW), 201);
	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"dup@example.com\",\"full_name\":\"B\","
	    "\"password\":\"" PW "\"}", &o), 400);
	ck_assert_str_eq(json_get_str(o, "detail"), "Email already registered");
	json_object_put(o);
}
END_TEST

START_TEST(register_invalid_email)
{
	struct json_object *o;

	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"not-an-email\",\"full_name\":\"A\","
	    "\"password\":\"" PW "\"}", &o), 422);
	ck_assert_str_eq(detail_field(o), "email");
	json_object_put(o);
	ck_assert_int_eq(register_user("a b@example.com", "A", PW), 422);
	ck_assert_int_eq(register_user("@example.com", "A", PW), 422);
}
END_TEST

START_TEST(register_short_password)
{
	struct json_object *o;
	char *long_pw = xmalloc(1026), *body;

	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"s@example.com\",\"full_name\":\"A\","
	    "\"password\":\"1234567\"}", &o), 422);
	ck_assert_str_eq(detail_field(o), "password");
	json_object_put(o);
	memset(long_pw, 'x', 1025);
	long_pw[1025] = '\0';
	ck_assert_int_eq(register_user("s@example.com", "A", long_pw), 422);
	long_pw[1024] = '\0';
	ck_assert_int_eq(register_user("s@example.com", "A", long_pw), 201);
	free(long_pw);
	/* Missing or blank full_name. */
	body = xstrdup("{\"email\":\"t@example.com\",\"password\":\"" PW "\"}");
	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    body, &o), 422);
	ck_assert_str_eq(detail_field(o), "full_name");
	json_object_put(o);
	free(body);
	ck_assert_int_eq(register_user("t@example.com", "   ", PW), 422);
	/* A rejected registration leaves nothing behind. */
	ck_assert_ptr_null(stored_hash("t@example.com"));
}
END_TEST

START_TEST(login_success)
{
	struct json_object *o;
	char *access = NULL;

	ck_assert_int_eq(register_user("in@example.com", "In", PW), 201);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=in%40example.com&password=correct+horse+battery", &o),
	    200);
	ck_assert_str_eq(json_get_str(o, "token_type"), "bearer");
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(o,
	    "expires_in")), app->cfg->access_token_ttl);
	access = xstrdup(json_get_str(o, "access_token"));
	ck_assert_ptr_nonnull(json_get_str(o, "refresh_token"));
	json_object_put(o);
	ck_assert_int_eq(call("GET", "/api/v1/users/me", access, NULL, NULL,
	    &o), 200);
	ck_assert_str_eq(json_get_str(o, "email"), "in@example.com");
	json_object_put(o);
	free(access);
	/* JSON bodies, with "email" or "username". */
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, JSON,
	    "{\"email\":\"in@example.com\",\"password\":\"" PW "\"}", NULL),
	    200);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, NULL,
	    "{\"username\":\"in@example.com\",\"password\":\"" PW "\"}", NULL),
	    200);
}
END_TEST

START_TEST(login_missing_fields)
{
	struct json_object *o;

	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "password=x", &o), 422);
	ck_assert_str_eq(detail_field(o), "username");
	json_object_put(o);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=a%40b.co", &o), 422);
	ck_assert_str_eq(detail_field(o), "password");
	json_object_put(o);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=%zz&password=x", NULL), 422);
}
END_TEST

START_TEST(login_wrong_email)
{
	struct json_object *o;

	ck_assert_int_eq(register_user("real@example.com", "R", PW), 201);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=ghost%40example.com&password=x", &o), 401);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "Incorrect email or password");
	json_object_put(o);
}
END_TEST

START_TEST(login_wrong_password)
{
	struct json_object *o;

	ck_assert_int_eq(register_user("real@example.com", "R", PW), 201);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=real%40example.com&password=wrong-password", &o), 401);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "Incorrect email or password");
	json_object_put(o);
}
END_TEST

#define TIMED_LOGINS 7

/*
 * The answer to a login must not tell which e-mails have accounts: one
 * for an unknown e-mail burns a hash as one with a wrong password
 * verifies it (auth_password_burn). The medians of TIMED_LOGINS
 * interleaved logins of each, in CPU time (the database's share is not
 * ours), are within a factor of two; without the burn the unknown
 * e-mail costs a small fraction.
 */
START_TEST(login_unknown_email_costs_a_wrong_password)
{
	double ghost[TIMED_LOGINS], wrong[TIMED_LOGINS], t0, g, w;
	size_t i;

	ck_assert_int_eq(register_user("real@example.com", "R", PW), 201);
	for (i = 0; i < TIMED_LOGINS; i++) {
		t0 = tu_cpu_seconds();
		ck_assert_int_eq(login("ghost%40example.com", "wrong-password",
		    NULL, NULL), 401);
		ghost[i] = tu_cpu_seconds() - t0;
		t0 = tu_cpu_seconds();
		ck_assert_int_eq(login("real%40example.com", "wrong-password",
		    NULL, NULL), 401);
		wrong[i] = tu_cpu_seconds() - t0;
	}
	g = tu_median(ghost, TIMED_LOGINS);
	w = tu_median(wrong, TIMED_LOGINS);
	ck_assert_msg(g >= 0.5 * w && g <= 2 * w, "a login for an unknown "
	    "e-mail costs %.3f ms, one with a wrong password %.3f ms (medians "
	    "of %d): not within a factor of 2", g * 1e3, w * 1e3,
	    TIMED_LOGINS);
}
END_TEST

/* A wrong e-mail or password was a 401 without WWW-Authenticate: Bearer,
 * which every other 401 carries. */
START_TEST(login_401_asks_for_bearer)
{
	static const char *const bodies[] = {
		"username=ghost%40example.com&password=x",
		"username=real%40example.com&password=wrong-password",
	};
	struct http_resp resp;
	size_t i;

	ck_assert_int_eq(register_user("real@example.com", "R", PW), 201);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		tu_request(app, "POST", "/api/v1/auth/login", NULL, FORM,
		    bodies[i], &resp);
		ck_assert_int_eq(resp.status, 401);
		ck_assert_msg(http_resp_get_header(&resp, "WWW-Authenticate")
		    != NULL, "%s: no WWW-Authenticate", bodies[i]);
		ck_assert_str_eq(http_resp_get_header(&resp,
		    "WWW-Authenticate"), "Bearer");
		http_resp_free(&resp);
	}
}
END_TEST

START_TEST(login_inactive_user)
{
	struct json_object *o;
	char *admin = admin_token(), *path;
	int64_t id;

	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"off@example.com\",\"full_name\":\"Off\","
	    "\"password\":\"" PW "\"}", &o), 201);
	id = json_object_get_int64(json_object_object_get(o, "id"));
	json_object_put(o);
	path = xasprintf("/api/v1/users/%lld", (long long)id);
	ck_assert_int_eq(call("PATCH", path, admin, JSON,
	    "{\"is_active\":false}", NULL), 200);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, FORM,
	    "username=off%40example.com&password=correct+horse+battery", &o),
	    400);
	ck_assert_str_eq(json_get_str(o, "detail"), "Inactive user account");
	json_object_put(o);
	/* A wrong password says nothing about the account's state. */
	ck_assert_int_eq(login("off@example.com", "wrong-password", NULL, NULL),
	    401);
	free(path);
	free(admin);
}
END_TEST

START_TEST(refresh_token_success)
{
	char *access = NULL, *r1 = NULL, *r2 = NULL;
	struct json_object *o;
	char *body;

	ck_assert_int_eq(register_user("r@example.com", "R", PW), 201);
	ck_assert_int_eq(login("r@example.com", PW, &access, &r1), 200);
	body = xasprintf("{\"refresh_token\":\"%s\"}", r1);
	ck_assert_int_eq(call("POST", "/api/v1/auth/refresh", NULL, JSON, body,
	    &o), 200);
	ck_assert_str_eq(json_get_str(o, "token_type"), "bearer");
	r2 = xstrdup(json_get_str(o, "refresh_token"));
	ck_assert_str_ne(r1, r2);
	ck_assert_int_eq(call("GET", "/api/v1/users/me",
	    json_get_str(o, "access_token"), NULL, NULL, NULL), 200);
	json_object_put(o);
	free(body);
	free(access);
	free(r1);
	free(r2);
}
END_TEST

START_TEST(refresh_invalid_token)
{
	struct json_object *o;

	ck_assert_int_eq(call("POST", "/api/v1/auth/refresh", NULL, JSON,
	    "{\"refresh_token\":\"not.a.token\"}", &o), 401);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "Could not validate credentials");
	json_object_put(o);
	ck_assert_int_eq(call("POST", "/api/v1/auth/refresh", NULL, JSON,
	    "{}", NULL), 422);
	ck_assert_int_eq(call("POST", "/api/v1/auth/refresh", NULL, JSON,
	    "{\"refresh_token\":5}", NULL), 422);
}
END_TEST

START_TEST(refresh_rotation_and_reuse_detection)
{
	char *r1 = NULL, *r2 = NULL, *r3 = NULL;

	ck_assert_int_eq(register_user("rot@example.com", "R", PW), 201);
	ck_assert_int_eq(login("rot@example.com", PW, NULL, &r1), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r1, &r2), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r2, &r3), 200);
	/* r1 again: a replay. The whole login is revoked, r3 included. */
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r1, NULL), 401);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r3, NULL), 401);
	free(r1);
	free(r2);
	free(r3);
}
END_TEST

START_TEST(refresh_reuse_spares_other_logins)
{
	char *a1 = NULL, *a2 = NULL, *b1 = NULL;

	ck_assert_int_eq(register_user("two@example.com", "T", PW), 201);
	ck_assert_int_eq(login("two@example.com", PW, NULL, &a1), 200);
	ck_assert_int_eq(login("two@example.com", PW, NULL, &b1), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", a1, &a2), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", a1, NULL), 401);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", b1, NULL), 200);
	free(a1);
	free(a2);
	free(b1);
}
END_TEST

/* The refresh race's token, set before the fork. */
static char *race_token;

/* A child of the refresh race: its own connections, before the barrier. */
static void
race_connect(int i)
{
	(void)i;
	app = tu_app_new();
}

/* Presents the race's token; *out, an int, 1 when it was rotated. Every
 * other answer is the refusal of a replay. */
static void
race_refresh(int i, void *out)
{
	char *body = xasprintf("{\"refresh_token\":\"%s\"}", race_token);
	struct json_object *o = NULL;
	int status = call("POST", "/api/v1/auth/refresh", NULL, JSON, body,
	    &o);
	const char *detail = json_get_str(o, "detail");

	(void)i;
	if (status == 200)
		ck_assert_ptr_nonnull(json_get_str(o, "refresh_token"));
	else
		ck_assert_msg(status == 401 && detail != NULL &&
		    strcmp(detail, "Could not validate credentials") == 0,
		    "a replay: %d \"%s\", expected 401 \"Could not validate "
		    "credentials\"", status, detail != NULL ? detail :
		    "(none)");
	*(int *)out = status == 200;
	json_object_put(o);
	free(body);
}

START_TEST(concurrent_refresh_of_one_token)
{
	enum { N = 6 };
	int rotated[N], i, ok = 0;

	ck_assert_int_eq(register_user("race@example.com", "R", PW), 201);
	ck_assert_int_eq(login("race@example.com", PW, NULL, &race_token),
	    200);
	memset(rotated, 0, sizeof(rotated));
	tu_concurrently(N, race_connect, race_refresh, rotated,
	    sizeof(rotated[0]));
	/* One rotation wins; every other use is a replay. */
	for (i = 0; i < N; i++)
		ok += rotated[i];
	ck_assert_int_eq(ok, 1);
	free(race_token);
}
END_TEST

/* Logout with token: fails unless the answer is 401 "Could not validate
 * credentials" with WWW-Authenticate: Bearer. */
static void
logout_is_401(const char *token)
{
	char *body = xasprintf("{\"refresh_token\":\"%s\"}", token);
	struct http_resp resp;
	struct json_object *o;

	tu_request(app, "POST", "/api/v1/auth/logout", NULL, JSON, body, &resp);
	ck_assert_int_eq(resp.status, 401);
	o = tu_json(&resp);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "Could not validate credentials");
	ck_assert_str_eq(http_resp_get_header(&resp, "WWW-Authenticate"),
	    "Bearer");
	json_object_put(o);
	http_resp_free(&resp);
	free(body);
}

START_TEST(logout_revokes_the_login)
{
	char *r1 = NULL, *access = NULL;

	ck_assert_int_eq(register_user("out@example.com", "O", PW), 201);
	ck_assert_int_eq(login("out@example.com", PW, &access, &r1), 200);
	logout_is_401(access);
	ck_assert_int_eq(refresh("/api/v1/auth/logout", r1, NULL), 204);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r1, NULL), 401);
	logout_is_401(r1);
	logout_is_401("junk");
	free(r1);
	free(access);
}
END_TEST

START_TEST(token_type_confusion)
{
	char *access = NULL, *r1 = NULL;

	ck_assert_int_eq(register_user("conf@example.com", "C", PW), 201);
	ck_assert_int_eq(login("conf@example.com", PW, &access, &r1), 200);
	ck_assert_int_eq(call("GET", "/api/v1/users/me", r1, NULL, NULL, NULL),
	    401);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", access, NULL), 401);
	/* The refresh token was not spent by the failed attempts. */
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r1, NULL), 200);
	free(access);
	free(r1);
}
END_TEST

START_TEST(deactivated_user_cannot_refresh)
{
	char *admin = admin_token(), *r1 = NULL, *path, *body;
	struct json_object *o;
	int64_t id;

	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"gone@example.com\",\"full_name\":\"G\","
	    "\"password\":\"" PW "\"}", &o), 201);
	id = json_object_get_int64(json_object_object_get(o, "id"));
	json_object_put(o);
	ck_assert_int_eq(login("gone@example.com", PW, NULL, &r1), 200);
	path = xasprintf("/api/v1/users/%lld", (long long)id);
	ck_assert_int_eq(call("PATCH", path, admin, JSON,
	    "{\"is_active\":false}", NULL), 200);
	body = xasprintf("{\"refresh_token\":\"%s\"}", r1);
	ck_assert_int_eq(call("POST", "/api/v1/auth/refresh", NULL, JSON,
	    body, &o), 400);
	ck_assert_str_eq(json_get_str(o, "detail"), "Inactive user");
	json_object_put(o);
	free(body);
	free(path);
	free(admin);
	free(r1);
}
END_TEST

/* An access token of a user made inactive since (behind the API's back,
 * so nothing else about the user changes): /users/me is 400. */
START_TEST(inactive_user_me_is_400)
{
	char *access = NULL;
	struct json_object *o;

	ck_assert_int_eq(register_user("idle@example.com", "I", PW), 201);
	ck_assert_int_eq(login("idle@example.com", PW, &access, NULL), 200);
	ck_assert_int_eq(call("GET", "/api/v1/users/me", access, NULL, NULL,
	    NULL), 200);
	ck_assert_int_eq(db_exec_script(app->db, "UPDATE users SET "
	    "is_active = 0 WHERE email = 'idle@example.com'"), INV_OK);
	ck_assert_int_eq(call("GET", "/api/v1/users/me", access, NULL, NULL,
	    &o), 400);
	ck_assert_str_eq(json_get_str(o, "detail"), "Inactive user");
	json_object_put(o);
	free(access);
}
END_TEST

START_TEST(password_verification_in_db)
{
	char *hash;
	bool ok, rehash;

	ck_assert_int_eq(register_user("pw@example.com", "P", PW), 201);
	hash = stored_hash("pw@example.com");
	ck_assert_ptr_nonnull(hash);
	ck_assert_str_ne(hash, PW);
	ck_assert_int_eq(strncmp(hash, "$scrypt$", 8), 0);
	ck_assert_int_eq(auth_password_verify(app->cfg, PW, hash, &ok,
	    &rehash), INV_OK);
	ck_assert(ok);
	ck_assert_int_eq(auth_password_verify(app->cfg, "wrong password",
	    hash, &ok, &rehash), INV_OK);
	ck_assert(!ok);
	free(hash);
}
END_TEST

START_TEST(new_user_in_database)
{
	struct db_val p = DB_STR("db@example.com");
	struct db_res *res = NULL;

	ck_assert_int_eq(register_user(" db@example.com", " Db User ", PW), 201);
	ck_assert_int_eq(db_exec(app->db, STMT_USER_BY_EMAIL, &p, 1, &res,
	    NULL, NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(res), 1);
	ck_assert_str_eq(db_res_str(res, 0, USER_COL_EMAIL), "db@example.com");
	ck_assert_str_eq(db_res_str(res, 0, USER_COL_FULL_NAME), "Db User");
	ck_assert(db_res_bool(res, 0, USER_COL_IS_ACTIVE));
	ck_assert(!db_res_bool(res, 0, USER_COL_IS_ADMIN));
	db_res_free(res);
}
END_TEST

START_TEST(email_case_insensitivity)
{
	ck_assert_int_eq(register_user("Alice@Example.COM", "A", PW), 201);
	ck_assert_int_eq(register_user("alice@example.com", "A", PW), 400);
	ck_assert_int_eq(login("ALICE%40example.com", PW, NULL, NULL), 200);
	ck_assert_int_eq(login("alice%40EXAMPLE.com", PW, NULL, NULL), 200);
}
END_TEST

START_TEST(legacy_bcrypt_hash_verifies_and_is_rehashed)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char *after;

	ck_assert_ptr_nonnull(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting,
	    sizeof(setting)));
	ck_assert_ptr_nonnull(crypt_rn(PW, setting, cd, sizeof(*cd)));
	insert_user("old@example.com", cd->output, false);
	ck_assert_int_eq(login("old%40example.com", "wrong-password", NULL,
	    NULL), 401);
	ck_assert_int_eq(login("old%40example.com", PW, NULL, NULL), 200);
	after = stored_hash("old@example.com");
	ck_assert_int_eq(strncmp(after, "$scrypt$", 8), 0);
	ck_assert_int_eq(login("old%40example.com", PW, NULL, NULL), 200);
	free(after);
	free(cd);
}
END_TEST

START_TEST(admin_only_user_routes)
{
	struct json_object *o;
	char *admin = admin_token(), *user = NULL;
	struct http_resp resp;

	ck_assert_int_eq(register_user("u1@example.com", "U1", PW), 201);
	ck_assert_int_eq(register_user("u2@example.com", "U2", PW), 201);
	ck_assert_int_eq(login("u1@example.com", PW, &user, NULL), 200);
	ck_assert_int_eq(call("GET", "/api/v1/users", user, NULL, NULL, NULL),
	    403);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/2", user, JSON,
	    "{\"is_admin\":true}", NULL), 403);
	/* The admin lists everyone, paged, with the total in a header. */
	tu_request(app, "GET", "/api/v1/users?skip=1&limit=1", admin, NULL,
	    NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(http_resp_get_header(&resp, "X-Total-Count"), "3");
	o = tu_json(&resp);
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(o, 0), "email"),
	    "u1@example.com");
	json_object_put(o);
	http_resp_free(&resp);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/2", admin, JSON,
	    "{\"full_name\":\" Renamed \",\"is_admin\":true}", &o), 200);
	ck_assert_str_eq(json_get_str(o, "full_name"), "Renamed");
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "is_admin")));
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "is_active")));
	json_object_put(o);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/999999", admin, JSON,
	    "{\"full_name\":\"X\"}", &o), 404);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "User with id 999999 not found");
	json_object_put(o);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/2", admin, JSON,
	    "{\"is_active\":\"yes\"}", NULL), 422);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/2", admin, JSON,
	    "{\"full_name\":null}", NULL), 422);
	ck_assert_int_eq(call("PATCH", "/api/v1/users/2", admin, JSON,
	    "{\"full_name\":\"\"}", NULL), 422);
	free(admin);
	free(user);
}
END_TEST

/*
 * Account and role changes take effect at once.
 */

#define ORDER_BODY "{\"shipping_address\":\"1 Main St\"," \
	"\"items\":[{\"product_id\":1,\"quantity\":1}]}"

/* An admin stored with PW and logged in: its id, *token new. */
static int64_t
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

/* PATCH /users/{id} with body; the status, *detail (new) when asked. */
static int
patch_user(const char *token, int64_t id, const char *body, char **detail)
{
	char *path = xasprintf("/api/v1/users/%lld", (long long)id);
	struct json_object *o = NULL;
	int status = call("PATCH", path, token, JSON, body, &o);

	if (detail != NULL)
		*detail = xstrdup(json_get_str(o, "detail") != NULL ?
		    json_get_str(o, "detail") : "");
	json_object_put(o);
	free(path);
	return status;
}

/* Sends and checks the status and the detail message. */
static void
expect(const char *method, const char *path, const char *token,
    const char *body, int status, const char *detail)
{
	struct http_resp resp;
	struct json_object *o;

	tu_request(app, method, path, token, body != NULL ? JSON : NULL, body,
	    &resp);
	ck_assert_msg(resp.status == status, "%s %s: %d, want %d: %s", method,
	    path, resp.status, status, resp.body != NULL ? resp.body : "");
	o = tu_json(&resp);
	ck_assert_str_eq(json_get_str(o, "detail"), detail);
	if (status == 401)
		ck_assert_str_eq(http_resp_get_header(&resp,
		    "WWW-Authenticate"), "Bearer");
	json_object_put(o);
	http_resp_free(&resp);
}

/* The ids of the active admins, in a string "1,2" (new). */
static char *
active_admins(void)
{
	struct db_res *res = NULL;
	struct buf b;
	size_t i;

	ck_assert_int_eq(db_exec(app->db, STMT_USER_ADMINS_LOCK, NULL, 0, &res,
	    NULL, NULL), INV_OK);
	buf_init(&b);
	for (i = 0; i < db_res_rows(res); i++)
		buf_printf(&b, "%s%lld", i > 0 ? "," : "",
		    (long long)db_res_int(res, i, 0));
	db_res_free(res);
	return buf_take(&b);
}

/* An order of user 1, straight in the database: order 1 after setup. */
static void
seed_order_of_user_1(void)
{
	ck_assert_int_eq(db_exec_script(app->db, "INSERT INTO orders "
	    "(order_number, user_id, shipping_address) "
	    "VALUES ('ORD-0000000A', 1, 'x')"), INV_OK);
}

/* demoted_admin_keeps_no_rights: the old token of a demoted admin is
 * refused on admin routes and for another user's order (403) and on
 * writes (401: issued before the change), and cannot give the role back;
 * a new login works as a user. */
START_TEST(demoted_admin_keeps_no_rights)
{
	char *a = NULL, *b = NULL, *b2 = NULL, *d = NULL, *ids;
	int64_t ida, idb;

	ida = seed_admin("a@example.com", &a);
	idb = seed_admin("b@example.com", &b);
	seed_order_of_user_1();
	ck_assert_int_eq(call("GET", "/api/v1/orders/1", b, NULL, NULL, NULL),
	    200);
	ck_assert_int_eq(patch_user(a, idb, "{\"is_admin\":false}", NULL), 200);
	expect("GET", "/api/v1/users", b, NULL, 403, "Not enough permissions");
	expect("GET", "/api/v1/orders/1", b, NULL, 403,
	    "Not enough permissions");
	expect("PATCH", "/api/v1/users/2", b, "{\"is_admin\":true}", 403,
	    "Not enough permissions");
	ck_assert_int_eq(patch_user(b, ida, "{\"is_admin\":false}", &d), 403);
	ck_assert_str_eq(d, "Not enough permissions");
	expect("POST", "/api/v1/orders", b, ORDER_BODY, 401,
	    "Could not validate credentials");
	/* a (id 1) is the one active admin left. */
	ids = active_admins();
	ck_assert_int_eq(ida, 1);
	ck_assert_str_eq(ids, "1");
	/* A new login carries the new version and the user's role. */
	ck_assert_int_eq(login("b@example.com", PW, &b2, NULL), 200);
	expect("GET", "/api/v1/users", b2, NULL, 403,
	    "Not enough permissions");
	expect("GET", "/api/v1/orders/1", b2, NULL, 403,
	    "Not authorized to access this order");
	expect("POST", "/api/v1/orders", b2, ORDER_BODY, 404,
	    "Product with id 1 not found");
	free(a);
	free(b);
	free(b2);
	free(d);
	free(ids);
}
END_TEST

/* deactivated_admin_keeps_no_rights: 400 "Inactive user" on admin routes
 * and writes alike, self-restore included. */
START_TEST(deactivated_admin_keeps_no_rights)
{
	char *a = NULL, *b = NULL, *ids;
	int64_t idb;

	seed_admin("a@example.com", &a);
	idb = seed_admin("b@example.com", &b);
	seed_order_of_user_1();
	ck_assert_int_eq(patch_user(a, idb,
	    "{\"is_active\":false,\"is_admin\":false}", NULL), 200);
	expect("GET", "/api/v1/users", b, NULL, 400, "Inactive user");
	expect("GET", "/api/v1/orders/1", b, NULL, 400, "Inactive user");
	expect("PATCH", "/api/v1/users/2", b,
	    "{\"is_active\":true,\"is_admin\":true}", 400, "Inactive user");
	expect("POST", "/api/v1/orders", b, ORDER_BODY, 400, "Inactive user");
	expect("DELETE", "/api/v1/orders/1", b, NULL, 400, "Inactive user");
	ids = active_admins();
	ck_assert_str_eq(ids, "1");
	free(a);
	free(b);
	free(ids);
}
END_TEST

/* deactivated_user_cannot_order: POST /orders 400 at once; plain reads
 * stay stateless for the token's lifetime (README). */
START_TEST(deactivated_user_cannot_order)
{
	char *a = NULL, *u = NULL;
	struct json_object *o;
	int64_t id;

	seed_admin("a@example.com", &a);
	ck_assert_int_eq(call("POST", "/api/v1/auth/register", NULL, JSON,
	    "{\"email\":\"u@example.com\",\"full_name\":\"U\","
	    "\"password\":\"" PW "\"}", &o), 201);
	id = json_object_get_int64(json_object_object_get(o, "id"));
	json_object_put(o);
	ck_assert_int_eq(login("u@example.com", PW, &u, NULL), 200);
	expect("POST", "/api/v1/orders", u, ORDER_BODY, 404,
	    "Product with id 1 not found");
	ck_assert_int_eq(patch_user(a, id, "{\"is_active\":false}", NULL), 200);
	expect("POST", "/api/v1/orders", u, ORDER_BODY, 400, "Inactive user");
	expect("DELETE", "/api/v1/orders/1", u, NULL, 400, "Inactive user");
	ck_assert_int_eq(call("GET", "/api/v1/products", u, NULL, NULL, NULL),
	    200);
	/* Back on: the old token stays dead (version), a new login works. */
	ck_assert_int_eq(patch_user(a, id, "{\"is_active\":true}", NULL), 200);
	expect("POST", "/api/v1/orders", u, ORDER_BODY, 401,
	    "Could not validate credentials");
	free(u);
	u = NULL;
	ck_assert_int_eq(login("u@example.com", PW, &u, NULL), 200);
	expect("POST", "/api/v1/orders", u, ORDER_BODY, 404,
	    "Product with id 1 not found");
	free(a);
	free(u);
}
END_TEST

/* admin_cannot_change_own_role_or_status: 403, and nothing changes; a
 * PATCH of oneself that changes neither goes through. */
START_TEST(admin_cannot_change_own_role_or_status)
{
	char *a = NULL, *d = NULL, *ids;
	int64_t ida;

	ida = seed_admin("a@example.com", &a);
	seed_admin("b@example.com", NULL);
	ck_assert_int_eq(patch_user(a, ida, "{\"is_admin\":false}", &d), 403);
	ck_assert_str_eq(d, "Cannot change your own role or status");
	free(d);
	ck_assert_int_eq(patch_user(a, ida, "{\"is_active\":false}", &d), 403);
	ck_assert_str_eq(d, "Cannot change your own role or status");
	ck_assert_int_eq(patch_user(a, ida,
	    "{\"full_name\":\"A\",\"is_admin\":true,\"is_active\":true}",
	    NULL), 200);
	/* Still an admin, and the token still counts (no version bump). */
	ids = active_admins();
	ck_assert_str_eq(ids, "1,2");
	ck_assert_int_eq(call("GET", "/api/v1/users", a, NULL, NULL, NULL),
	    200);
	free(a);
	free(d);
	free(ids);
}
END_TEST

/* The tokens of the two admins of the last-admin races: admin i (id
 * i + 1) removes the other (id 2 - i). Set before the fork. */
static char *admin_tokens[2];

/* True once n sessions run a statement that starts with prefix (they
 * wait for a lock). */
static bool
sessions_in(const char *prefix, int n)
{
	char *sql = xasprintf("BEGIN NOT ATOMIC IF (SELECT COUNT(*) FROM "
	    "information_schema.processlist WHERE info LIKE '%s%%') < %d "
	    "THEN SIGNAL SQLSTATE '45000'; END IF; END", prefix, n);
	bool yes = db_exec_script(app->db, sql) == INV_OK;

	free(sql);
	return yes;
}

/* Before the barrier: own connections; child 2, when there is one, takes
 * every user row, so the two admins both pass the dispatcher's read of
 * their own row and then meet in the lock. */
static void
admins_connect(int i)
{
	app = tu_app_new();
	if (i == 2)
		ck_assert_int_eq(db_exec_script(app->db,
		    "BEGIN; SELECT id FROM users FOR UPDATE"), INV_OK);
}

/* Children 0 and 1: the PATCH; *out, an int, its status. Child 2: lets
 * go once both wait on the rows. */
static void
admins_race(int i, void *out)
{
	static const char *const bodies[2] = {
		"{\"is_admin\":false}", "{\"is_active\":false}",
	};
	int tries;

	if (i == 2) {
		for (tries = 0; tries < 200 && !sessions_in("SELECT id FROM "
		    "users WHERE is_active = 1", 2); tries++)
			usleep(50000);
		ck_assert_int_lt(tries, 200);
		ck_assert_int_eq(db_exec_script(app->db, "ROLLBACK"), INV_OK);
		return;
	}
	*(int *)out = patch_user(admin_tokens[i], 2 - i, bodies[i], NULL);
}

/* After a race: exactly one of the two got 200 and the other a refusal
 * (409 when must_409; else also 400 or 403, when the loser's own row was
 * read after the winner's change), and the winner's target is the one
 * that lost the role, the other admin being left. */
static void
one_admin_left(const int *status, bool must_409)
{
	char *ids = active_admins();
	int winner = status[0] == 200 ? 0 : 1;

	ck_assert_msg((status[0] == 200) != (status[1] == 200),
	    "answers %d and %d", status[0], status[1]);
	ck_assert_msg(status[1 - winner] == 409 || (!must_409 &&
	    (status[1 - winner] == 400 || status[1 - winner] == 403)),
	    "answers %d and %d", status[0], status[1]);
	ck_assert_str_eq(ids, winner == 0 ? "1" : "2");
	free(ids);
	free(admin_tokens[0]);
	free(admin_tokens[1]);
}

/* last_active_admin_409: two admins, each removing the other at the same
 * time. Both pass the check of their own row; a third session holds the
 * rows until both wait on them, so they meet in the lock for certain:
 * one gets 200, the other 409, and an active admin is left. */
START_TEST(last_active_admin_409)
{
	int status[3] = { 0, 0, 0 };

	seed_admin("a@example.com", &admin_tokens[0]);
	seed_admin("b@example.com", &admin_tokens[1]);
	tu_concurrently(3, admins_connect, admins_race, status,
	    sizeof(status[0]));
	one_admin_left(status, true);
}
END_TEST

/* last_active_admin_concurrent: the same race unarranged, several
 * rounds: never both, always an admin left. */
START_TEST(last_active_admin_concurrent)
{
	enum { ROUNDS = 5 };
	int status[2], round;

	seed_admin("a@example.com", NULL);
	seed_admin("b@example.com", NULL);
	for (round = 0; round < ROUNDS; round++) {
		ck_assert_int_eq(db_exec_script(app->db, "UPDATE users SET "
		    "is_active = 1, is_admin = 1"), INV_OK);
		ck_assert_int_eq(login("a@example.com", PW, &admin_tokens[0],
		    NULL), 200);
		ck_assert_int_eq(login("b@example.com", PW, &admin_tokens[1],
		    NULL), 200);
		memset(status, 0, sizeof(status));
		tu_concurrently(2, admins_connect, admins_race, status,
		    sizeof(status[0]));
		one_admin_left(status, false);
	}
}
END_TEST

/* unknown_sub_on_write_401: a well-signed token naming no user. */
START_TEST(unknown_sub_on_write_401)
{
	char jti[AUTH_JTI_LEN + 1], *t = NULL, *adm = NULL;

	seed_admin("a@example.com", NULL);
	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, 999, false,
	    0, jti, time(NULL), &t), INV_OK);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, 998, true,
	    0, jti, time(NULL), &adm), INV_OK);
	expect("POST", "/api/v1/orders", t, ORDER_BODY, 401,
	    "Could not validate credentials");
	expect("GET", "/api/v1/users", adm, NULL, 401,
	    "Could not validate credentials");
	expect("PATCH", "/api/v1/users/1", adm, "{\"is_admin\":false}", 401,
	    "Could not validate credentials");
	free(t);
	free(adm);
}
END_TEST

/* future_iat_401: a token issued more than 60 s ahead of the clock. */
START_TEST(future_iat_401)
{
	char jti[AUTH_JTI_LEN + 1], *t = NULL;
	int64_t id;

	id = seed_admin("a@example.com", NULL);
	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, id, true,
	    0, jti, time(NULL) + 120, &t), INV_OK);
	expect("GET", "/api/v1/users/me", t, NULL, 401,
	    "Could not validate credentials");
	expect("GET", "/api/v1/users", t, NULL, 401,
	    "Could not validate credentials");
	free(t);
	ck_assert_int_eq(auth_token_issue(app->cfg, TOKEN_ACCESS, id, true,
	    0, jti, time(NULL) + 30, &t), INV_OK);
	ck_assert_int_eq(call("GET", "/api/v1/users", t, NULL, NULL, NULL),
	    200);
	free(t);
}
END_TEST

/* refresh_refused_after_demotion: the change revoked the refresh tokens
 * and bumped the version; deactivation answers 400 (see
 * deactivated_user_cannot_refresh). */
START_TEST(refresh_refused_after_demotion)
{
	char *a = NULL, *r1 = NULL, *r2 = NULL;
	int64_t idb;

	seed_admin("a@example.com", &a);
	idb = seed_admin("b@example.com", NULL);
	ck_assert_int_eq(login("b@example.com", PW, NULL, &r1), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r1, &r2), 200);
	ck_assert_int_eq(patch_user(a, idb, "{\"is_admin\":false}", NULL), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r2, NULL), 401);
	/* Promoted back: still refused, a login is needed. */
	ck_assert_int_eq(patch_user(a, idb, "{\"is_admin\":true}", NULL), 200);
	ck_assert_int_eq(refresh("/api/v1/auth/refresh", r2, NULL), 401);
	free(a);
	free(r1);
	free(r2);
}
END_TEST

/*
 * One identity per e-mail address.
 */

/* email_accents_are_distinct: case folds, accents do not. */
START_TEST(email_accents_are_distinct)
{
	char *h;

	ck_assert_int_eq(register_user("jose@example.com", "J", PW), 201);
	ck_assert_int_eq(register_user("Jos\xc3\xa9@Example.com", "J", PW),
	    201);
	/* Stored in its one form: ASCII letters lower-cased. */
	h = stored_hash("jos\xc3\xa9@example.com");
	ck_assert_ptr_nonnull(h);
	free(h);
	ck_assert_int_eq(register_user("JOS\xc3\xa9@example.com", "J", PW),
	    400);
	/* Only ASCII letters fold: the upper-case accented letter is
	 * another address. */
	ck_assert_int_eq(register_user("jos\xc3\x89@example.com", "J", PW),
	    201);
}
END_TEST

/* email_accented_admin_does_not_log_in */
START_TEST(email_accented_admin_does_not_log_in)
{
	struct json_object *o;

	seed_admin("admin@example.com", NULL);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, JSON,
	    "{\"username\":\"\xc3\xa0" "dmin@ex\xc3\xa4mple.com\","
	    "\"password\":\"" PW "\"}", &o), 401);
	ck_assert_str_eq(json_get_str(o, "detail"),
	    "Incorrect email or password");
	json_object_put(o);
	ck_assert_int_eq(call("POST", "/api/v1/auth/login", NULL, JSON,
	    "{\"username\":\" ADMIN@Example.COM \",\"password\":\"" PW "\"}",
	    NULL), 200);
}
END_TEST

static Suite *
users_suite(void)
{
	Suite *s = suite_create("users");
	TCase *reg = tcase_create("register");
	TCase *in = tcase_create("login");
	TCase *tok = tcase_create("tokens");
	TCase *adm = tcase_create("admin");

	tcase_add_checked_fixture(reg, setup, NULL);
	tcase_add_test(reg, register_success);
	tcase_add_test(reg, register_existing_email);
	tcase_add_test(reg, register_invalid_email);
	tcase_add_test(reg, register_short_password);
	tcase_add_test(reg, password_verification_in_db);
	tcase_add_test(reg, new_user_in_database);
	tcase_add_test(reg, email_case_insensitivity);
	tcase_add_test(reg, email_accents_are_distinct);
	tcase_add_test(reg, email_accented_admin_does_not_log_in);
	tcase_add_checked_fixture(in, setup, NULL);
	tcase_add_test(in, login_success);
	tcase_add_test(in, login_missing_fields);
	tcase_add_test(in, login_wrong_email);
	tcase_add_test(in, login_wrong_password);
	tcase_add_test(in, login_unknown_email_costs_a_wrong_password);
	tcase_add_test(in, login_401_asks_for_bearer);
	tcase_add_test(in, login_inactive_user);
	tcase_add_test(in, legacy_bcrypt_hash_verifies_and_is_rehashed);
	tcase_add_checked_fixture(tok, setup, NULL);
	tcase_set_timeout(tok, 30);
	tcase_add_test(tok, refresh_token_success);
	tcase_add_test(tok, refresh_invalid_token);
	tcase_add_test(tok, refresh_rotation_and_reuse_detection);
	tcase_add_test(tok, refresh_reuse_spares_other_logins);
	tcase_add_test(tok, concurrent_refresh_of_one_token);
	tcase_add_test(tok, logout_revokes_the_login);
	tcase_add_test(tok, token_type_confusion);
	tcase_add_test(tok, deactivated_user_cannot_refresh);
	tcase_add_test(tok, inactive_user_me_is_400);
	tcase_add_checked_fixture(adm, setup, NULL);
	tcase_set_timeout(adm, 60);
	tcase_add_test(adm, admin_only_user_routes);
	tcase_add_test(adm, demoted_admin_keeps_no_rights);
	tcase_add_test(adm, deactivated_admin_keeps_no_rights);
	tcase_add_test(adm, deactivated_user_cannot_order);
	tcase_add_test(adm, admin_cannot_change_own_role_or_status);
	tcase_add_test(adm, last_active_admin_409);
	tcase_add_test(adm, last_active_admin_concurrent);
	tcase_add_test(adm, unknown_sub_on_write_401);
	tcase_add_test(adm, future_iat_401);
	tcase_add_test(adm, refresh_refused_after_demotion);
	suite_add_tcase(s, reg);
	suite_add_tcase(s, in);
	suite_add_tcase(s, tok);
	suite_add_tcase(s, adm);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(users_suite(), NULL);
}
