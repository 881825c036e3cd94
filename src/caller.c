/*
 * caller.c: the caller's current row against its token (caller.h).
 */
#include "app.h"
#include "caller.h"
#include "db.h"

void
caller_reply_refused(struct http_resp *resp, enum caller_refusal why)
{
	switch (why) {
	case CALLER_INACTIVE:
		http_reply_msg(resp, MSG_INACTIVE_USER);
		break;
	case CALLER_NOT_ADMIN:
		http_reply_msg(resp, MSG_NOT_ENOUGH_PERMISSIONS);
		break;
	default:
		http_reply_msg(resp, MSG_BAD_CREDENTIALS);
		break;
	}
}

bool
principal_check(struct app *app, const struct principal *who,
    bool need_admin, bool *is_admin, struct http_resp *resp)
{
	struct db_val p = DB_INT(who->user_id);
	struct db_res *res = NULL;
	enum inv_err rc;
	bool ok = false;

	if ((rc = db_exec(app->db, STMT_USER_AUTH, &p, 1, &res, NULL,
	    NULL)) != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(res) == 0)
		caller_reply_refused(resp, CALLER_GONE);
	else if (!db_res_bool(res, 0, USER_AUTH_COL_IS_ACTIVE))
		caller_reply_refused(resp, CALLER_INACTIVE);
	else if (need_admin && !db_res_bool(res, 0, USER_AUTH_COL_IS_ADMIN))
		caller_reply_refused(resp, CALLER_NOT_ADMIN);
	else if (db_res_int(res, 0, USER_AUTH_COL_TOKEN_VERSION) !=
	    who->token_version)
		caller_reply_refused(resp, CALLER_STALE);
	else {
		*is_admin = db_res_bool(res, 0, USER_AUTH_COL_IS_ADMIN);
		ok = true;
	}
	db_res_free(res);
	return ok;
}

bool
principal_admin_or_reply(struct app *app, const struct http_req *req,
    struct http_resp *resp)
{
	bool admin = req->principal.is_admin;

	if (!req->principal.current)
		return principal_check(app, &req->principal, true, &admin,
		    resp);
	if (!admin)
		http_reply_msg(resp, MSG_NOT_ENOUGH_PERMISSIONS);
	return admin;
}

bool
principal_current_or_reply(struct app *app, struct http_req *req,
    struct http_resp *resp)
{
	if (req->principal.current)
		return true;
	if (!principal_check(app, &req->principal, false,
	    &req->principal.is_admin, resp))
		return false;
	req->principal.current = true;
	return true;
}
