/*
 * reorder.c: /api/v1/inventory/reorder-suggestions, the admin's view of
 * the reorder suggestions and their status.
 *
 * Suggestions are made and closed by the trigger on inventory
 * (schema/010_reorder_suggestions.sql; doc/design.md, "Low stock"), in
 * the transaction of whatever change made a record low or lifted it
 * again: no handler here writes one. The admin says what became of a
 * suggestion: open -> ordered | dismissed, ordered -> dismissed (the
 * purchase called off). A suggestion closed by a restock, or dismissed,
 * is settled. The status a suggestion already has is accepted again and
 * changes nothing, as an order's PUT does.
 */
#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers.h"
#include "list.h"
#include "members.h"

/* A suggestion's status; the first three are the admin's to set. */
enum reorder_status {
	REORDER_OPEN = 0,
	REORDER_ORDERED,
	REORDER_DISMISSED,
	REORDER_CLOSED,		/* the trigger's: lifted while open */
	REORDER__MAX
};

#define REORDER_SETTABLE	"open", "ordered", "dismissed"
#define STATUS_LEN_MAX		32	/* of a body's status, as orders' */

/* The names of enum reorder_status, as the column stores them. */
static const char *const reorder_status_names[REORDER__MAX + 1] = {
	REORDER_SETTABLE, "closed", NULL
};
/* What a PATCH body may say: the same indices, closed left out. */
static const char *const reorder_settable_names[] = {
	REORDER_SETTABLE, NULL
};

/* moves[from][to]: the changes a PATCH may make (staying put included). */
static const bool moves[REORDER__MAX][REORDER__MAX] = {
	[REORDER_OPEN] = { [REORDER_OPEN] = true, [REORDER_ORDERED] = true,
	    [REORDER_DISMISSED] = true },
	[REORDER_ORDERED] = { [REORDER_ORDERED] = true,
	    [REORDER_DISMISSED] = true },
	[REORDER_DISMISSED] = { [REORDER_DISMISSED] = true },
	[REORDER_CLOSED] = { [REORDER_CLOSED] = true },
};

enum { RL_STATUS = PAGE__N, RL__N };
enum { RP_STATUS, RP__N };

static const struct field_spec reorder_list_fields[RL__N] = {
	PAGING_FIELDS,
	[RL_STATUS] = { "status", FT_ENUM, 0, 0, 0,
	    .members = reorder_status_names },
};
const struct body_spec query_reorder_list = { reorder_list_fields, RL__N };

static const struct field_spec reorder_patch_fields[RP__N] = {
	[RP_STATUS] = { "status", FT_ENUM, FS_REQUIRED | FS_TRIM, 1,
	    STATUS_LEN_MAX, .members = reorder_settable_names },
};
const struct body_spec spec_reorder_patch = { reorder_patch_fields, RP__N };

/* The list, all suggestions or those of one status; newest first. */
static const struct list_spec reorder_lists[2] = {
	{ STMT_REORDER_COUNT, STMT_REORDER_PAGE, LIST_KEY_ID_DESC,
	  REORDER_COL_ID, 0, &members_reorder },
	{ STMT_REORDER_COUNT_BY_STATUS, STMT_REORDER_PAGE_BY_STATUS,
	  LIST_KEY_ID_DESC, REORDER_COL_ID, 0, &members_reorder },
};

/* GET /api/v1/inventory/reorder-suggestions?skip&limit&after&status: 200
 * | 401 | 403 | 422 */
void
h_reorder_list(struct app *app, struct http_req *req, struct http_resp *resp)
{
	const char *status = req->query_vals[RL_STATUS].s;
	struct list_query q = { .spec = &reorder_lists[status != NULL] };
	struct db_val p;
	struct page pg;

	if (!paging_or_422(req, resp, &pg))
		return;
	if (status != NULL) {
		p = DB_STR(status);
		q.filters = &p;
		q.nfilters = 1;
	}
	q.page = &pg;
	list_reply(app, req, &q, resp);
}

/* One PATCH, kept across its transaction's reruns. */
struct reorder_patch {
	int64_t			 id;
	enum reorder_status	 to;
	enum reorder_status	 from;		/* when refused */
	bool			 refused;	/* a move moves[] forbids */
	struct db_res		*res;		/* the row to reply with
						   (owned) */
};

/* The index of name among reorder_status_names; REORDER__MAX for none
 * (a value the schema does not have). */
static enum reorder_status
status_of(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < REORDER__MAX; i++)
		if (strcmp(name, reorder_status_names[i]) == 0)
			return (enum reorder_status)i;
	return REORDER__MAX;
}

/*
 * The PATCH's transaction: the suggestion locked (the trigger may be
 * closing it), the move checked against its status under the lock, then
 * written and read back. INV_NOTFOUND when there is no such suggestion,
 * INV_INVALID for a move refused.
 */
static enum inv_err
reorder_patch_tx(struct db *db, void *arg)
{
	struct reorder_patch *t = arg;
	struct db_val p[2] = { DB_STR(reorder_status_names[t->to]),
	    DB_INT(t->id) };
	struct db_res *res = NULL;
	enum inv_err rc;

	db_res_free(t->res);
	t->res = NULL;
	t->refused = false;
	if ((rc = db_exec(db, STMT_REORDER_LOCK, &p[1], 1, &res, NULL,
	    NULL)) != INV_OK)
		goto out;
	if (db_res_rows(res) == 0) {
		rc = INV_NOTFOUND;
		goto out;
	}
	t->from = status_of(db_res_str(res, 0, 0));
	if (t->from == REORDER__MAX) {
		rc = INV_DB;
		goto out;
	}
	if (!moves[t->from][t->to]) {
		t->refused = true;
		rc = INV_INVALID;
		goto out;
	}
	if (t->from != t->to && (rc = db_exec(db, STMT_REORDER_SET_STATUS, p,
	    2, NULL, NULL, NULL)) != INV_OK)
		goto out;
	rc = db_exec(db, STMT_REORDER_BY_ID, &p[1], 1, &t->res, NULL, NULL);
out:
	db_res_free(res);
	return rc;
}

/* PATCH /api/v1/inventory/reorder-suggestions/{id}: 200 | 400 | 401 |
 * 403 | 404 | 422 */
void
h_reorder_patch(struct app *app, struct http_req *req, struct http_resp *resp)
{
	struct reorder_patch t = { .id = req->ids[0],
	    .to = (enum reorder_status)req->body_vals[RP_STATUS].i };
	enum inv_err rc;

	rc = db_transaction(app->db, reorder_patch_tx, &t);
	if (rc == INV_NOTFOUND)
		http_reply_msgf(resp, MSG_NO_REORDER_SUGGESTION, MSG_INT(t.id));
	else if (rc == INV_INVALID && t.refused)
		http_reply_msgf(resp, MSG_REFUSED_TRANSITION,
		    MSG_STR(reorder_status_names[t.from]),
		    MSG_STR(reorder_status_names[t.to]));
	else if (rc != INV_OK)
		http_reply_db_error(resp, rc);
	else if (db_res_rows(t.res) == 0)
		http_reply_500(resp);
	else
		row_reply(resp, 200, t.res, 0, members_reorder);
	db_res_free(t.res);
}
