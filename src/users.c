/*
 * users.c: /api/v1/auth and /api/v1/users.
 *
 * Tokens: a login starts a refresh-token "family"; every refresh marks the
 * presented token used and issues the next one of the same family. A used
 * token presented again means it was stolen or replayed, so the whole
 * family is revoked (doc/design.md, "Security").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "list.h"
#include "log.h"
#include "members.h"

#define EMAIL_MAX	254
#define NAME_MAX_LEN	255
#define PASSWORD_MIN	8
#define PASSWORD_MAX	1024
#define TOKEN_MAX	4096

/* The rows of each spec, at these indices of the handler's values. */
enum { REG_EMAIL, REG_NAME, REG_PASSWORD, REG__N };
enum { LOGIN_USERNAME, LOGIN_EMAIL, LOGIN_PASSWORD, LOGIN__N };
enum { REFRESH_TOKEN, REFRESH__N };
enum { PATCH_NAME, PATCH_ACTIVE, PATCH_ADMIN, PATCH__N };

static const struct field_spec register_fields[REG__N] = {
	{ "email", FT_EMAIL, FS_REQUIRED | FS_TRIM, 0, EMAIL_MAX, FX_NONE },
	{ "full_name", FT_STRING, FS_REQUIRED | FS_TRIM, 1, NAME_MAX_LEN,
	    FX_NONE },
	{ "password", FT_STRING, FS_REQUIRED, PASSWORD_MIN, PASSWORD_MAX,
	    FX_NONE },
};
const struct body_spec spec_register = { register_fields, REG__N };

/* OAuth2's form says "username"; JSON clients may say "email". */
static const struct field_spec login_fields[LOGIN__N] = {
	{ "username", FT_STRING, FS_TRIM, 1, EMAIL_MAX, FX_NONE },
	{ "email", FT_STRING, FS_TRIM, 1, EMAIL_MAX, FX_NONE },
	{ "password", FT_STRING, FS_REQUIRED, 1, PASSWORD_MAX, FX_NONE },
};
const struct body_spec spec_login = { login_fields, LOGIN__N };

static const struct field_spec refresh_fields[REFRESH__N] = {
	{ "refresh_token", FT_STRING, FS_REQUIRED, 1, TOKEN_MAX, FX_NONE },
};
const struct body_spec spec_refresh = { refresh_fields, REFRESH__N };

static const struct field_spec user_patch_fields[PATCH__N] = {
	{ "full_name", FT_STRING, FS_TRIM, 1, NAME_MAX_LEN, FX_NONE },
	{ "is_active", FT_BOOL, 0, 0, 0, FX_NONE },
	{ "is_admin", FT_BOOL, 0, 0, 0, FX_NONE },
};
const struct body_spec spec_user_patch = { user_patch_fields, PATCH__N };

/*
 * Looks a user up by id or email (exactly one of them; the email as
 * email_canonical() makes it). *res is new and holds zero or one row.
 */
static enum inv_err
user_fetch(struct db *db, int64_t id, const char *email, struct db_res **res)
{
	struct db_val p = email != NULL ? DB_STR(email) : DB_INT(id);

	return db_exec(db, email != NULL ? STMT_USER_BY_EMAIL :
	    STMT_USER_BY_ID, &p, 1, res, NULL, NULL);
}

/*
 * Signs an access and a refresh token for the user, under its current
 * role and token version, and stores the refresh token in family (inside
 * the caller's transaction when there is one). *out is the Token body
 * (new).
 */
static enum inv_err
issue_pair(struct app *app, int64_t uid, bool is_admin, int64_t version,
    const char *family, struct json_object **out)
{
	char ajti[AUTH_JTI_LEN + 1], rjti[AUTH_JTI_LEN + 1];
	char *access = NULL, *refresh = NULL;
	struct db_val p[4];
	time_t now = time(NULL);
	enum inv_err rc;

	*out = NULL;
	random_hex(ajti, AUTH_JTI_LEN / 2);
	random_hex(rjti, AUTH_JTI_LEN / 2);
	if ((rc = auth_token_issue(app->cfg, TOKEN_ACCESS, uid, is_admin,
	    version, ajti, now, &access)) != INV_OK ||
	    (rc = auth_token_issue(app->cfg, TOKEN_REFRESH, uid, is_admin,
	    version, rjti, now, &refresh)) != INV_OK)
		goto out;
	p[0] = DB_STR(rjti);
	p[1] = DB_INT(uid);
	p[2] = DB_STR(family);
	p[3] = DB_INT(app->cfg->refresh_token_ttl);
	if ((rc = db_exec(app->db, STMT_REFRESH_INSERT, p, 4, NULL, NULL,
	    NULL)) != INV_OK)
		goto out;
	*out = json_object_new_object();
	json_object_object_add(*out, "access_token",
	    json_object_new_string(access));
	json_object_object_add(*out, "refresh_token",
	    json_object_new_string(refresh));
	json_object_object_add(*out, "token_type",
	    json_object_new_string("bearer"));
	json_object_object_add(*out, "expires_in",
	    json_object_new_int64(app->cfg->access_token_ttl));
out:
	free(access);
	free(refresh);
	return rc;
}

/* POST /api/v1/auth/register: 201 | 400 | 422 */
void
h_auth_register(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	char *email = email_canonical(b[REG_EMAIL].s);
	struct db_res *res = NULL;
	struct db_val p[4];
	char *hash = NULL;
	uint64_t id;
	enum inv_err rc;

	/* Checked first so a duplicate costs no password hashing. */
	if ((rc = user_fetch(app->db, 0, email, &res)) != INV_OK)
		goto fail;
	if (db_res_rows(res) > 0) {
		rc = INV_CONFLICT;
		goto fail;
	}
	db_res_free(res);
	res = NULL;
	if ((rc = auth_password_hash(app->cfg, b[REG_PASSWORD].s, &hash)) !=
	    INV_OK)
		goto fail;
	p[0] = DB_STR(email);
	p[1] = DB_STR(b[REG_NAME].s);
	p[2] = DB_STR(hash);
	p[3] = DB_INT(0);
	/* INV_CONFLICT: lost a race with another registration of the same
	 * email. */
	rc = db_exec(app->db, STMT_USER_INSERT, p, 4, NULL, NULL, &id);
	/* The users list's count is cached. */
	if (rc == INV_OK)
		cache_invalidate_users(app->cache);
	if (rc != INV_OK || (rc = user_fetch(app->db, (int64_t)id, NULL,
	    &res)) != INV_OK)
		goto fail;
	if (db_res_rows(res) != 1) {
		rc = INV_DB;
		goto fail;
	}
	row_reply(resp, 201, res, 0, members_user);
	goto out;
fail:
	if (rc == INV_CONFLICT)
		http_reply_msg(resp, MSG_EMAIL_TAKEN);
	else
		http_reply_db_error(resp, rc);
out:
	db_res_free(res);
	free(hash);
	free(email);
}

/* POST /api/v1/auth/login: 200 | 400 | 401 | 422 */
void
h_auth_login(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	const char *given = b[LOGIN_USERNAME].s != NULL ?
	    b[LOGIN_USERNAME].s : b[LOGIN_EMAIL].s;
	const char *password = b[LOGIN_PASSWORD].s;
	struct json_object *details = NULL, *tok = NULL;
	struct db_res *res = NULL;
	char family[AUTH_JTI_LEN + 1], *hash = NULL, *email;
	bool ok = false, rehash = false;
	int64_t uid;
	enum inv_err rc;

	if (given == NULL) {
		detail_add(&details, "body", "username", MSG_FIELD_REQUIRED,
		    NULL, 0);
		http_reply_422(resp, details);
		return;
	}
	email = email_canonical(given);
	if ((rc = user_fetch(app->db, 0, email, &res)) != INV_OK)
		goto fail;
	if (db_res_rows(res) == 0) {
		/* Same work as a known email, so timing tells nothing. */
		auth_password_burn(app->cfg, password);
		http_reply_msg(resp, MSG_WRONG_PASSWORD);
		goto out;
	}
	auth_password_verify(app->cfg, password,
	    db_res_str(res, 0, USER_COL_HASH), &ok, &rehash);
	if (!ok) {
		http_reply_msg(resp, MSG_WRONG_PASSWORD);
		goto out;
	}
	if (!db_res_bool(res, 0, USER_COL_IS_ACTIVE)) {
		http_reply_msg(resp, MSG_INACTIVE_ACCOUNT);
		goto out;
	}
	uid = db_res_int(res, 0, USER_COL_ID);
	if (rehash && auth_password_hash(app->cfg, password, &hash) == INV_OK) {
		/* Upgrading a legacy hash is best effort: login goes on. */
		struct db_val p[2] = { DB_STR(hash), DB_INT(uid) };

		if (db_exec(app->db, STMT_USER_SET_HASH, p, 2, NULL, NULL,
		    NULL) != INV_OK)
			log_warn("login: could not re-hash password of user %lld",
			    (long long)uid);
	}
	random_hex(family, AUTH_JTI_LEN / 2);
	if ((rc = issue_pair(app, uid, db_res_bool(res, 0, USER_COL_IS_ADMIN),
	    db_res_int(res, 0, USER_COL_TOKEN_VERSION), family, &tok)) !=
	    INV_OK)
		goto fail;
	http_reply_json(resp, 200, tok);
	goto out;
fail:
	http_reply_db_error(resp, rc);
out:
	db_res_free(res);
	free(hash);
	free(email);
}

/* What a presented refresh token turned out to be. */
enum refresh_outcome {
	REFRESH_ROTATED = 0,	/* valid: rotated (refresh) or revoked (logout) */
	REFRESH_REJECTED,	/* unknown, revoked, expired, or reused */
	REFRESH_INACTIVE,	/* valid, but the user is deactivated */
	REFRESH__MAX
};

struct refresh_tx {
	struct app		*app;
	const struct token_claims *claims;
	bool			 logout;	/* revoke instead of rotate */
	enum refresh_outcome	 outcome;
	struct json_object	*token;		/* new pair when rotated */
};

/*
 * One transaction for refresh and logout: the token row is locked so two
 * concurrent uses of one token cannot both rotate it. A refresh also
 * reads the user: a deactivated user is told so (the contract's 400, even
 * though deactivation revoked the token), and a token issued before the
 * user's last change of role or status is refused.
 */
static enum inv_err
refresh_tx_fn(struct db *db, void *arg)
{
	struct refresh_tx *t = arg;
	struct db_res *tok = NULL, *user = NULL;
	struct db_val p = DB_STR(t->claims->jti), fam,
	    uid = DB_INT(t->claims->user_id);
	char family[AUTH_JTI_LEN + 1];
	enum inv_err rc;

	t->outcome = REFRESH_REJECTED;
	json_object_put(t->token);
	t->token = NULL;
	if ((rc = db_exec(db, STMT_REFRESH_BY_JTI_LOCK, &p, 1, &tok, NULL,
	    NULL)) != INV_OK || db_res_rows(tok) == 0)
		goto out;
	/* Columns: user_id, family_id, used, revoked, expired. */
	if (db_res_int(tok, 0, 0) != t->claims->user_id)
		goto out;
	if (!t->logout) {
		if ((rc = db_exec(db, STMT_USER_AUTH, &uid, 1, &user, NULL,
		    NULL)) != INV_OK || db_res_rows(user) == 0)
			goto out;
		if (!db_res_bool(user, 0, USER_AUTH_COL_IS_ACTIVE)) {
			t->outcome = REFRESH_INACTIVE;
			goto out;
		}
	}
	snprintf(family, sizeof(family), "%s", db_res_str(tok, 0, 1));
	fam = DB_STR(family);
	if (db_res_bool(tok, 0, 3) || db_res_bool(tok, 0, 4))
		goto out;
	if (db_res_bool(tok, 0, 2) || t->logout) {
		/* Reuse of a used token revokes the login; so does logout. */
		rc = db_exec(db, STMT_REFRESH_REVOKE_FAMILY, &fam, 1, NULL,
		    NULL, NULL);
		if (rc == INV_OK && t->logout && !db_res_bool(tok, 0, 2))
			t->outcome = REFRESH_ROTATED;
		else if (rc == INV_OK)
			log_warn("refresh token reuse: family revoked for "
			    "user %lld", (long long)t->claims->user_id);
		goto out;
	}
	if (db_res_int(user, 0, USER_AUTH_COL_TOKEN_VERSION) !=
	    t->claims->version)
		goto out;
	if ((rc = db_exec(db, STMT_REFRESH_MARK_USED, &p, 1, NULL, NULL,
	    NULL)) != INV_OK)
		goto out;
	/* Role and version come from the row: they are the current ones. */
	if ((rc = issue_pair(t->app, t->claims->user_id,
	    db_res_bool(user, 0, USER_AUTH_COL_IS_ADMIN),
	    db_res_int(user, 0, USER_AUTH_COL_TOKEN_VERSION), family,
	    &t->token)) != INV_OK)
		goto out;
	t->outcome = REFRESH_ROTATED;
out:
	db_res_free(tok);
	db_res_free(user);
	return rc;
}

/* The shared body of refresh and logout. */
static void
refresh_or_logout(struct app *app, struct http_req *req,
    struct http_resp *resp, bool logout)
{
	struct token_claims claims;
	struct refresh_tx t = { app, &claims, logout, REFRESH_REJECTED, NULL };
	enum inv_err rc;

	if (auth_token_verify(app->cfg, req->body_vals[REFRESH_TOKEN].s,
	    TOKEN_REFRESH, time(NULL), &claims) != INV_OK) {
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
		return;
	}
	if ((rc = db_transaction(app->db, refresh_tx_fn, &t)) != INV_OK) {
		json_object_put(t.token);
		http_reply_db_error(resp, rc);
		return;
	}
	switch (t.outcome) {
	case REFRESH_ROTATED:
		if (logout)
			http_reply_json(resp, 204, NULL);
		else
			http_reply_json(resp, 200, t.token);
		return;
	case REFRESH_INACTIVE:
		http_reply_msg(resp, MSG_INACTIVE_USER);
		break;
	default:
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
		break;
	}
	json_object_put(t.token);
}

/* POST /api/v1/auth/refresh: 200 | 400 | 401 | 422 */
void
h_auth_refresh(struct app *app, struct http_req *req, struct http_resp *resp)
{
	refresh_or_logout(app, req, resp, false);
}

/* POST /api/v1/auth/logout: 204 | 401 | 422 */
void
h_auth_logout(struct app *app, struct http_req *req, struct http_resp *resp)
{
	refresh_or_logout(app, req, resp, true);
}

/* GET /api/v1/users/me: 200 | 400 | 401 */
void
h_users_me(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = user_fetch(app->db, req->principal.user_id, NULL,
	    &res)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
	else if (!db_res_bool(res, 0, USER_COL_IS_ACTIVE))
		http_reply_msg(resp, MSG_INACTIVE_USER);
	else
		row_reply(resp, 200, res, 0, members_user);
	db_res_free(res);
}

static const struct list_spec user_list = { STMT_USER_COUNT, STMT_USER_LIST,
	LIST_KEY_ID_ASC, USER_COL_ID, 0, &members_user };

/*
 * GET /api/v1/users?skip&limit&after: 200 | 401 | 403 | 422
 * The count is cached in the users scope, which every new user bumps.
 */
void
h_users_list(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct cached count = { .scope = CACHE_SCOPE_USERS, .name = "users",
	    .ttl = app->cfg->cache_ttl_list };
	struct list_query q = { .spec = &user_list, .count = &count };
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	q.page = &pg;
	list_reply(app, req, &q, resp);
}

/* What a PATCH of a user came to. */
enum patch_outcome {
	PATCH_DONE = 0,		/* changed (or nothing to change) */
	PATCH_NOTFOUND,		/* no such user */
	PATCH_SELF,		/* an admin changing its own role or status */
	PATCH_LAST_ADMIN,	/* would leave no active admin */
	PATCH__MAX
};

struct patch_tx {
	int64_t			 self;		/* the admin asking */
	int64_t			 id;		/* the user changed */
	const char		*full_name;	/* NULL: kept */
	int			 is_active;	/* -1: kept, else 0 or 1 */
	int			 is_admin;	/* the same */
	enum patch_outcome	 outcome;
};

/*
 * One transaction for PATCH /users/{id}. Every active admin is locked
 * first (then the target), so of two admins demoting or deactivating each
 * other at once the second waits for the first and sees its change: one
 * succeeds, the other gets PATCH_LAST_ADMIN. A change of role or status
 * bumps the token version, which ends every token of the user at once,
 * and revokes its refresh tokens.
 */
static enum inv_err
patch_tx_fn(struct db *db, void *arg)
{
	struct patch_tx *t = arg;
	struct db_res *admins = NULL, *row = NULL;
	struct db_val id = DB_INT(t->id), p[5];
	bool was_active, was_admin, active, admin, changed;
	size_t i, others = 0;
	enum inv_err rc;

	t->outcome = PATCH_DONE;
	if ((rc = db_exec(db, STMT_USER_ADMINS_LOCK, NULL, 0, &admins, NULL,
	    NULL)) != INV_OK || (rc = db_exec(db, STMT_USER_LOCK, &id, 1, &row,
	    NULL, NULL)) != INV_OK)
		goto out;
	if (db_res_rows(row) == 0) {
		t->outcome = PATCH_NOTFOUND;
		goto out;
	}
	was_active = db_res_bool(row, 0, USER_AUTH_COL_IS_ACTIVE);
	was_admin = db_res_bool(row, 0, USER_AUTH_COL_IS_ADMIN);
	active = t->is_active < 0 ? was_active : t->is_active == 1;
	admin = t->is_admin < 0 ? was_admin : t->is_admin == 1;
	changed = active != was_active || admin != was_admin;
	if (changed && t->id == t->self) {
		t->outcome = PATCH_SELF;
		goto out;
	}
	for (i = 0; i < db_res_rows(admins); i++)
		if (db_res_int(admins, i, 0) != t->id)
			others++;
	if (was_active && was_admin && !(active && admin) && others == 0) {
		t->outcome = PATCH_LAST_ADMIN;
		goto out;
	}
	p[0] = DB_STR_OR_NULL(t->full_name);
	p[1] = DB_INT(active);
	p[2] = DB_INT(admin);
	p[3] = DB_INT(changed);
	p[4] = id;
	if ((rc = db_exec(db, STMT_USER_UPDATE, p, 5, NULL, NULL, NULL)) ==
	    INV_OK && changed)
		rc = db_exec(db, STMT_REFRESH_REVOKE_USER, &id, 1, NULL, NULL,
		    NULL);
out:
	db_res_free(admins);
	db_res_free(row);
	return rc;
}

/* -1 when the boolean is absent, else 0 or 1. */
static int
bool_given(const struct field_val *v)
{
	return v->given ? (int)v->i : -1;
}

/* PATCH /api/v1/users/{id}: 200 | 400 | 401 | 403 | 404 | 409 | 422 */
void
h_users_patch(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const struct field_val *b = req->body_vals;
	struct patch_tx t = { req->principal.user_id, req->ids[0],
	    b[PATCH_NAME].s, bool_given(&b[PATCH_ACTIVE]),
	    bool_given(&b[PATCH_ADMIN]), PATCH_DONE };
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_transaction(app->db, patch_tx_fn, &t)) == INV_OK &&
	    t.outcome == PATCH_DONE)
		rc = user_fetch(app->db, t.id, NULL, &res);
	if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	else if (t.outcome == PATCH_SELF)
		http_reply_msg(resp, MSG_OWN_ROLE);
	else if (t.outcome == PATCH_LAST_ADMIN)
		http_reply_msg(resp, MSG_LAST_ADMIN);
	else if (t.outcome == PATCH_NOTFOUND || db_res_rows(res) == 0)
		http_reply_msgf(resp, MSG_NO_USER, MSG_INT(t.id));
	else
		row_reply(resp, 200, res, 0, members_user);
	db_res_free(res);
}
