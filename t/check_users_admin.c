/*
 * check_users_admin.c: /users against a real MariaDB (integration): the
 * admin's list and changes, and what a user may do to their own row.
 */
#include "testusers.h"

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

static Suite *
admin_suite(void)
{
	Suite *s = suite_create("users admin");
	TCase *adm = tcase_create("admin");

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
	suite_add_tcase(s, adm);
	return s;
}

int
main(void)
{
	tu_need_services();
	return tu_run(admin_suite(), NULL);
}
