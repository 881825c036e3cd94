/*
 * check_users.c: /auth against a real MariaDB (integration):
 * registration, login, access and refresh tokens.
 */
#include "testusers.h"

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
	tu_concurrently(N, tu_child_connect, race_refresh, rotated,
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
	suite_add_tcase(s, reg);
	suite_add_tcase(s, in);
	suite_add_tcase(s, tok);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(users_suite(), NULL);
}
