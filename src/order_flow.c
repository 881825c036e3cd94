/*
 * order_flow.c: the order state machine and the stock rules
 * (doc/design.md, "Stock rules"), for the orders API and the worker
 * alike.
 *
 * Creation is the stored procedure order_create (schema/), which holds
 * the creation rule whole; this file calls it and reads its answer.
 *
 * Lock order, everywhere: the order row first (SELECT ... FOR UPDATE),
 * then inventory rows one by one in product-id order. Creation first
 * share-locks the caller's row and the products it prices; nothing
 * locks a product exclusively. So two of these transactions never wait on each other in
 * a cycle; a deadlock that happens anyway (gap locks on the indexes) is
 * retried whole by db_transaction, which is why every transaction
 * function here resets its results before doing anything.
 *
 * orders.reservation says what the order holds: none -> held (reserve),
 * held -> released (cancel) or held -> deducted (ship). Each move changes
 * the stock of every item and writes one movement per item, in the same
 * transaction as the new reservation value, under the order's row lock:
 * whatever runs twice finds the move already made and makes nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "db.h"
#include "log.h"
#include "order_flow.h"
#include "queue.h"

#define SWEEP_AGE_SECONDS	60	/* "older than a minute" */
#define SWEEP_BATCH		500	/* orders per sweep query */
#define SWEEP_LOCK		"inventory_sweep"

const char *const order_status_names[ORDER__MAX + 1] = {
	"pending",	/* ORDER_PENDING */
	"processing",	/* ORDER_PROCESSING */
	"shipped",	/* ORDER_SHIPPED */
	"delivered",	/* ORDER_DELIVERED */
	"cancelled",	/* ORDER_CANCELLED */
	NULL,
};

/* What an order holds of the stock: orders.reservation. */
enum reservation {
	RES_NONE = 0,
	RES_HELD,
	RES_RELEASED,
	RES_DEDUCTED,
	RES__MAX
};

static const char *const reservation_names[RES__MAX] = {
	"none",		/* RES_NONE */
	"held",		/* RES_HELD */
	"released",	/* RES_RELEASED */
	"deducted",	/* RES_DEDUCTED */
};

/* Status changes the contract allows, [from][to]; a PUT of the current
 * status is handled apart (it changes no status). */
static const bool allowed[ORDER__MAX][ORDER__MAX] = {
	[ORDER_PENDING] = {
		[ORDER_PROCESSING] = true,
		[ORDER_CANCELLED] = true,
	},
	[ORDER_PROCESSING] = {
		[ORDER_SHIPPED] = true,
		[ORDER_CANCELLED] = true,
	},
	[ORDER_SHIPPED] = {
		[ORDER_DELIVERED] = true,
	},
};

/* The three ways stock moves for an order. */
enum stock_move {
	MOVE_HOLD = 0,
	MOVE_RELEASE,
	MOVE_DEDUCT,
	MOVE__MAX
};

/*
 * Per move: the conditional update run for each item, the signs of the
 * movement rows (times the item's quantity), their reason, and the
 * reservation afterwards. An update that also takes stock (a nonzero
 * stock_sign) binds the quantity twice: (qty, [qty,] product_id, qty).
 */
static const struct {
	enum stmt		 st;
	int			 stock_sign;
	int			 reserved_sign;
	const char		*reason;
	enum reservation	 after;
} moves[MOVE__MAX] = {
	/* MOVE_HOLD */
	{ STMT_ORDER_RESERVE, 0, 1, "Reserved for order", RES_HELD },
	/* MOVE_RELEASE */
	{ STMT_ORDER_RELEASE, 0, -1, "Released by cancelled order",
	    RES_RELEASED },
	/* MOVE_DEDUCT */
	{ STMT_ORDER_DEDUCT, -1, -1, "Shipped with order", RES_DEDUCTED },
};

/* Columns of STMT_ORDER_LOCK. */
enum { LOCK_USER_ID = 0, LOCK_STATUS, LOCK_RESERVATION, LOCK_NUMBER };
/* Columns of STMT_ORDER_STOCK_LINES. */
enum { LINE_PRODUCT_ID = 0, LINE_QUANTITY, LINE_NAME };
/* Columns of STMT_ORDER_MOVEMENTS. */
enum { MOVED_INVENTORY_ID = 0, MOVED_PRODUCT_ID };

const char *
order_status_name(enum order_status s)
{
	if ((unsigned)s >= ORDER__MAX)
		return "unknown";
	return order_status_names[s];
}

bool
order_status_parse(const char *s, enum order_status *out)
{
	int i;

	if (s == NULL)
		return false;
	for (i = 0; i < ORDER__MAX; i++)
		if (strcmp(s, order_status_names[i]) == 0) {
			*out = (enum order_status)i;
			return true;
		}
	return false;
}

static bool
reservation_parse(const char *s, enum reservation *out)
{
	int i;

	for (i = 0; s != NULL && i < RES__MAX; i++)
		if (strcmp(s, reservation_names[i]) == 0) {
			*out = (enum reservation)i;
			return true;
		}
	return false;
}

/* An item of the order as the stock rules see it. */
struct flow_line {
	int64_t		 product_id;
	int64_t		 quantity;
	const char	*name;		/* borrowed from the flow's names */
};

/* One order inside a transaction, once its row is locked. */
struct flow {
	int64_t			 order_id;
	int64_t			 actor_id;	/* movements' user; 0: none */
	char			 number[40];
	enum order_status	 status;
	enum reservation	 res;
	/* The items in product-id order, loaded on first use: names not
	 * NULL says they are. names (owned) holds the product names. */
	struct flow_line	 lines[ORDER_MAX_ITEMS];
	size_t			 nlines;
	struct db_res		*names;
	struct order_touched	*touched;	/* borrowed */
	struct order_refused	*refused;	/* borrowed */
};

static void
flow_reset(struct flow *f)
{
	db_res_free(f->names);
	f->names = NULL;
	f->nlines = 0;
	f->touched->n = 0;
	f->touched->user_id = 0;
	memset(f->refused, 0, sizeof(*f->refused));
}

/* Fills *r for a reservation refused on line i of f. */
static void
refuse_line(struct flow *f, size_t i, enum order_refusal why,
    int64_t available)
{
	const char *name = f->lines[i].name;

	f->refused->why = why;
	f->refused->product_id = f->lines[i].product_id;
	snprintf(f->refused->product_name, sizeof(f->refused->product_name),
	    "%s", name != NULL ? name : "");
	f->refused->available = available;
}

/* Loads the items of an order already made, once. */
static enum inv_err
flow_lines(struct db *db, struct flow *f)
{
	struct db_val p = DB_INT(f->order_id);
	enum inv_err rc;
	size_t i;

	if (f->names != NULL)
		return INV_OK;
	if ((rc = db_exec(db, STMT_ORDER_STOCK_LINES, &p, 1, &f->names, NULL,
	    NULL)) != INV_OK)
		return rc;
	if (db_res_rows(f->names) > ORDER_MAX_ITEMS) {
		/* Only the database itself could have put them there. */
		log_error("order %s: %zu items, more than %d", f->number,
		    db_res_rows(f->names), ORDER_MAX_ITEMS);
		return INV_DB;
	}
	f->nlines = db_res_rows(f->names);
	for (i = 0; i < f->nlines; i++) {
		f->lines[i].product_id = db_res_int(f->names, i,
		    LINE_PRODUCT_ID);
		f->lines[i].quantity = db_res_int(f->names, i, LINE_QUANTITY);
		f->lines[i].name = db_res_str(f->names, i, LINE_NAME);
	}
	return INV_OK;
}

/*
 * After a reservation of line i touched no row: says why, which is also
 * how a product without a stock record is found. The update has locked
 * the record (or the gap where it would be), so this read is current.
 */
static enum inv_err
refuse_hold(struct db *db, struct flow *f, size_t i)
{
	struct db_val p = DB_INT(f->lines[i].product_id);
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_exec(db, STMT_ORDER_AVAILABLE_LOCK, &p, 1, &res, NULL,
	    NULL)) != INV_OK)
		return rc;
	if (db_res_rows(res) == 0)
		refuse_line(f, i, ORDER_REFUSED_NO_INVENTORY, 0);
	else
		refuse_line(f, i, ORDER_REFUSED_STOCK, db_res_int(res, 0, 0));
	db_res_free(res);
	return INV_INVALID;
}

/*
 * Makes move m for every item of the order, in product-id order, then
 * writes one movement per item and records the touched stock. A hold
 * that finds no stock record or too little available fills f->refused
 * and returns INV_INVALID (the caller rolls back). A release or deduct
 * that finds less held by orders (reserved minus the manual hold) than
 * this order holds means the books disagree, and so does a CHECK of the
 * inventory table refusing a move whose condition passed: logged at
 * error level, INV_DISAGREE, nothing changed.
 */
static enum inv_err
stock_move(struct db *db, struct flow *f, enum stock_move m)
{
	struct db_res *moved = NULL;
	struct db_val p[5];
	uint64_t affected;
	char *reason;
	size_t i, n;
	enum inv_err rc;

	if ((rc = flow_lines(db, f)) != INV_OK)
		return rc;
	for (i = 0; i < f->nlines; i++) {
		int64_t qty = f->lines[i].quantity;
		int64_t pid = f->lines[i].product_id;

		n = 0;
		p[n++] = DB_INT(qty);
		if (moves[m].stock_sign != 0)
			p[n++] = DB_INT(qty);
		p[n++] = DB_INT(pid);
		p[n++] = DB_INT(qty);
		rc = db_exec(db, moves[m].st, p, n, NULL, &affected, NULL);
		if (rc == INV_OK && affected == 1)
			continue;
		if (rc == INV_OK && m == MOVE_HOLD)
			return refuse_hold(db, f, i);
		if (rc != INV_OK && rc != INV_CONSTRAINT)
			return rc;
		log_error("order %s: its %" PRId64 " units of product %"
		    PRId64 " cannot be %s: the stock records disagree; run "
		    "inventoryctl audit", f->number, qty, pid,
		    reservation_names[moves[m].after]);
		return INV_DISAGREE;
	}
	reason = xasprintf("%s %s", moves[m].reason, f->number);
	p[0] = DB_INT(moves[m].stock_sign);
	p[1] = DB_INT(moves[m].reserved_sign);
	p[2] = DB_STR(reason);
	p[3] = f->actor_id > 0 ? DB_INT(f->actor_id) : DB_NULL;
	p[4] = DB_INT(f->order_id);
	rc = db_exec(db, STMT_ORDER_MOVEMENTS, p, 5, &moved, NULL, NULL);
	free(reason);
	if (rc != INV_OK)
		return rc;
	f->res = moves[m].after;
	/* Every move touches every item, so each says it all. */
	f->touched->n = 0;
	for (i = 0; i < db_res_rows(moved) && i < ORDER_MAX_ITEMS; i++) {
		f->touched->rec[i].inventory_id = db_res_int(moved, i,
		    MOVED_INVENTORY_ID);
		f->touched->rec[i].product_id = db_res_int(moved, i,
		    MOVED_PRODUCT_ID);
		f->touched->n++;
	}
	db_res_free(moved);
	return INV_OK;
}

/*
 * Moves the stock as status `to` requires of what the order holds:
 * processing and shipped need a reservation (made now if the order holds
 * none), shipped deducts it, cancelled releases it. Anything already
 * done is not done again.
 */
static enum inv_err
settle(struct db *db, struct flow *f, enum order_status to)
{
	enum inv_err rc = INV_OK;

	if ((to == ORDER_PROCESSING || to == ORDER_SHIPPED) &&
	    f->res == RES_NONE)
		rc = stock_move(db, f, MOVE_HOLD);
	if (rc == INV_OK && to == ORDER_SHIPPED && f->res == RES_HELD)
		rc = stock_move(db, f, MOVE_DEDUCT);
	if (rc == INV_OK && to == ORDER_CANCELLED && f->res == RES_HELD)
		rc = stock_move(db, f, MOVE_RELEASE);
	return rc;
}

/* Locks the order row and reads its state into f. INV_NOTFOUND. */
static enum inv_err
flow_lock(struct db *db, struct flow *f)
{
	struct db_val p = DB_INT(f->order_id);
	struct db_res *res = NULL;
	enum inv_err rc;

	if ((rc = db_exec(db, STMT_ORDER_LOCK, &p, 1, &res, NULL, NULL)) !=
	    INV_OK)
		return rc;
	if (db_res_rows(res) == 0)
		rc = INV_NOTFOUND;
	else if (!order_status_parse(db_res_str(res, 0, LOCK_STATUS),
	    &f->status) || !reservation_parse(db_res_str(res, 0,
	    LOCK_RESERVATION), &f->res)) {
		log_error("order %" PRId64 ": unknown status or reservation",
		    f->order_id);
		rc = INV_DB;
	} else {
		snprintf(f->number, sizeof(f->number), "%s",
		    db_res_str(res, 0, LOCK_NUMBER));
		f->touched->user_id = db_res_int(res, 0, LOCK_USER_ID);
	}
	db_res_free(res);
	return rc;
}

/* Writes the order's new status and reservation (and tracking number
 * and notes where not NULL). */
static enum inv_err
flow_write(struct db *db, const struct flow *f, enum order_status to,
    const char *tracking, const char *notes)
{
	struct db_val p[5] = {
		DB_STR(order_status_names[to]),
		DB_STR(reservation_names[f->res]),
		DB_STR_OR_NULL(tracking),
		DB_STR_OR_NULL(notes),
		DB_INT(f->order_id),
	};

	return db_exec(db, STMT_ORDER_SET_STATE, p, 5, NULL, NULL, NULL);
}

/* ---- transitions ---- */

enum flow_kind {
	FLOW_UPDATE = 0,	/* the admin's PUT */
	FLOW_CANCEL,		/* DELETE by the owner or an admin */
	FLOW_PROCESS,		/* the worker */
	FLOW_FULFIL,		/* the worker, with fulfilment's answer */
	FLOW__MAX
};

struct transition {
	enum flow_kind		 kind;
	enum order_status	 to;		/* FLOW_UPDATE */
	const char		*tracking;	/* FLOW_UPDATE, or NULL */
	const char		*notes;		/* FLOW_UPDATE, or NULL */
	bool			 payment_ok;	/* FLOW_PROCESS */
	const char		*give_up;	/* FLOW_PROCESS: cancel; note */
	const char		*note;		/* FLOW_FULFIL: appended, or
						   NULL */
	struct flow		 f;
	enum order_status	 final;		/* the status after commit */
	bool			 moved;		/* final is a new status */
};

/* Whether the admin may move f to `to`; else fills f->refused. */
static bool
update_allowed(struct flow *f, enum order_status to)
{
	struct order_refused *r = f->refused;

	if (to == f->status)
		return true;
	r->from = f->status;
	r->to = to;
	if (f->status == ORDER_DELIVERED)
		r->why = ORDER_REFUSED_DELIVERED;
	else if (f->status == ORDER_CANCELLED)
		r->why = ORDER_REFUSED_CANCELLED;
	else if (!allowed[f->status][to])
		r->why = ORDER_REFUSED_TRANSITION;
	else
		return true;
	return false;
}

static enum inv_err
transition_tx(struct db *db, void *arg)
{
	struct transition *t = arg;
	struct flow *f = &t->f;
	const char *note = NULL;
	enum order_status to = ORDER_PENDING;
	enum inv_err rc;

	flow_reset(f);
	t->moved = false;
	if ((rc = flow_lock(db, f)) != INV_OK)
		return rc;
	t->final = f->status;
	switch (t->kind) {
	case FLOW_UPDATE:
		if (!update_allowed(f, t->to))
			return INV_INVALID;
		to = t->to;
		break;
	case FLOW_CANCEL:
		if (f->status != ORDER_PENDING &&
		    f->status != ORDER_PROCESSING) {
			f->refused->why = ORDER_REFUSED_CANCEL;
			f->refused->from = f->status;
			f->refused->to = ORDER_CANCELLED;
			return INV_INVALID;
		}
		to = ORDER_CANCELLED;
		break;
	case FLOW_PROCESS:
		/* Processed before (a job run twice): leave it. */
		if (f->status != ORDER_PENDING)
			return INV_OK;
		to = ORDER_PROCESSING;
		if (!t->payment_ok)
			note = "Payment processing failed";
		else if (t->give_up != NULL)
			note = t->give_up;
		if (note != NULL)
			to = ORDER_CANCELLED;
		break;
	case FLOW_FULFIL:
		/* Shipped or cancelled meanwhile (by an admin): the answer
		 * comes too late to change anything. */
		if (f->status != ORDER_PROCESSING)
			return INV_OK;
		to = t->tracking != NULL ? ORDER_SHIPPED : ORDER_PROCESSING;
		note = t->note;
		break;
	default:
		return INV_INVALID;
	}
	/* The same status again changes nothing but the texts. */
	if (to != f->status && (rc = settle(db, f, to)) != INV_OK)
		return rc;
	if ((rc = flow_write(db, f, to, t->tracking, t->notes)) != INV_OK)
		return rc;
	/* The event commits with the change or not at all (the outbox,
	 * schema/008_outbox.sql); the same status again is no event. */
	if (to != f->status) {
		struct db_val p = DB_INT(f->order_id);

		if ((rc = db_exec(db, STMT_EVENT_ORDER_STATUS, &p, 1, NULL,
		    NULL, NULL)) != INV_OK)
			return rc;
	}
	if (note != NULL) {
		struct db_val p[2] = { DB_STR(note), DB_INT(f->order_id) };

		if ((rc = db_exec(db, STMT_ORDER_APPEND_NOTE, p, 2, NULL, NULL,
		    NULL)) != INV_OK)
			return rc;
	}
	t->final = to;
	t->moved = to != f->status;
	return INV_OK;
}

static enum inv_err announce(struct cache *, struct queue *, bool fulfil,
    const struct order_touched *, int64_t order_id);

/* Runs t in its own transaction and invalidates the cache after the
 * commit; an order it made processing gets its fulfil_order job on
 * fulfil (NULL: none) in the same round trip where it can. */
static enum inv_err
transition_run(struct db *db, struct cache *cache, struct queue *fulfil,
    struct transition *t)
{
	enum inv_err rc;

	rc = db_transaction(db, transition_tx, t);
	db_res_free(t->f.names);
	t->f.names = NULL;
	if (rc != INV_OK)
		return rc;
	if (fulfil != NULL && t->moved && t->final == ORDER_PROCESSING) {
		if (announce(cache, fulfil, true, t->f.touched,
		    t->f.order_id) != INV_OK)
			log_warn("order %" PRId64 ": its fulfil_order job "
			    "could not be queued; the sweep will",
			    t->f.order_id);
	} else
		order_flow_invalidate(cache, t->f.touched);
	return INV_OK;
}

/* A transition of order_id by actor_id, results in *touched, *refused. */
static void
transition_init(struct transition *t, enum flow_kind kind, int64_t order_id,
    int64_t actor_id, struct order_touched *touched,
    struct order_refused *refused)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->f.order_id = order_id;
	t->f.actor_id = actor_id;
	t->f.touched = touched;
	t->f.refused = refused;
}

enum inv_err
order_flow_update(struct db *db, struct cache *cache, int64_t order_id,
    enum order_status to, const char *tracking_number, const char *notes,
    int64_t actor_id, struct order_refused *refused)
{
	return order_flow_update_fulfil(db, cache, NULL, order_id, to,
	    tracking_number, notes, actor_id, refused);
}

enum inv_err
order_flow_update_fulfil(struct db *db, struct cache *cache,
    struct queue *fulfil, int64_t order_id, enum order_status to,
    const char *tracking_number, const char *notes, int64_t actor_id,
    struct order_refused *refused)
{
	struct order_touched touched;
	struct transition t;

	if ((unsigned)to >= ORDER__MAX)
		return INV_INVALID;
	transition_init(&t, FLOW_UPDATE, order_id, actor_id, &touched,
	    refused);
	t.to = to;
	t.tracking = tracking_number;
	t.notes = notes;
	return transition_run(db, cache, fulfil, &t);
}

enum inv_err
order_flow_cancel(struct db *db, struct cache *cache, int64_t order_id,
    int64_t actor_id, struct order_refused *refused)
{
	struct order_touched touched;
	struct transition t;

	transition_init(&t, FLOW_CANCEL, order_id, actor_id, &touched,
	    refused);
	return transition_run(db, cache, NULL, &t);
}

/* order_flow_process; *became says it made the order processing (a job
 * run twice finds it so already). */
static enum inv_err
process_one(struct db *db, struct cache *cache, int64_t order_id,
    bool payment_ok, enum order_status *final, bool *became)
{
	struct order_touched touched;
	struct order_refused refused;
	struct transition t;
	char note[1200];
	enum inv_err rc;

	transition_init(&t, FLOW_PROCESS, order_id, 0, &touched, &refused);
	t.payment_ok = payment_ok;
	rc = transition_run(db, cache, NULL, &t);
	if (rc == INV_INVALID) {
		/* It held nothing and the stock is gone: it cannot be
		 * fulfilled, so it is cancelled, saying why. */
		order_refused_text(&refused, note, sizeof(note));
		log_info("order %" PRId64 ": %s; cancelling it", order_id,
		    note);
		t.give_up = note;
		rc = transition_run(db, cache, NULL, &t);
	}
	if (final != NULL)
		*final = t.final;
	*became = rc == INV_OK && t.moved && t.final == ORDER_PROCESSING;
	return rc;
}

enum inv_err
order_flow_process(struct db *db, struct cache *cache, int64_t order_id,
    bool payment_ok, enum order_status *final)
{
	bool became;

	return process_one(db, cache, order_id, payment_ok, final, &became);
}

enum inv_err
order_flow_fulfil(struct db *db, struct cache *cache, int64_t order_id,
    const char *tracking_number, const char *note, bool *applied)
{
	struct order_touched touched;
	struct order_refused refused;
	struct transition t;
	enum inv_err rc;

	transition_init(&t, FLOW_FULFIL, order_id, 0, &touched, &refused);
	t.tracking = tracking_number;
	t.note = note;
	rc = transition_run(db, cache, NULL, &t);
	/* Processing before: shipped now, or still processing, noted. */
	*applied = rc == INV_OK && (t.moved || t.final == ORDER_PROCESSING);
	return rc;
}

/* ---- the worker's batches ---- */

/* Columns of STMT_ORDER_LOCK_BATCH. */
enum { BATCH_ID = 0, BATCH_USER_ID, BATCH_STATUS, BATCH_RESERVATION };

/* What the batch transaction works on; its results are reset on every
 * try (a deadlock runs it again). */
struct batch {
	struct order_settle	*items;
	size_t			 n;
	bool			*own;		/* [n]: needs its own transaction */
	int64_t			*owners;	/* users whose orders moved */
	size_t			 nowners;
};

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* ids[0..n) as the JSON array the statements' JSON_TABLE reads. */
static void
ids_json(struct buf *b, const int64_t *ids, size_t n)
{
	buf_reset(b);
	buf_put_ids(b, ids, n);
}

/* [id,...] of the items for which pick is true (all when pick is NULL),
 * in id order: the order in which their rows are locked. */
static void
batch_ids(struct buf *b, const struct batch *bt, const bool *pick)
{
	int64_t *ids = xcalloc(bt->n, sizeof(*ids));
	size_t i, n = 0;

	for (i = 0; i < bt->n; i++)
		if (pick == NULL || pick[i])
			ids[n++] = bt->items[i].order_id;
	qsort(ids, n, sizeof(*ids), id_cmp);
	ids_json(b, ids, n);
	free(ids);
}

static enum inv_err
batch_tx(struct db *db, void *arg)
{
	struct batch *bt = arg;
	struct db_res *rows = NULL;
	struct db_val p;
	struct buf ids;
	enum order_status st;
	enum reservation res;
	enum inv_err rc;
	bool *move, any = false;
	size_t i, r;

	bt->nowners = 0;
	move = xcalloc(bt->n, sizeof(*move));
	buf_init(&ids);
	batch_ids(&ids, bt, NULL);
	p = DB_STR(ids.data);
	if ((rc = db_exec(db, STMT_ORDER_LOCK_BATCH, &p, 1, &rows, NULL,
	    NULL)) != INV_OK)
		goto out;
	for (i = 0; i < bt->n; i++) {
		struct order_settle *it = &bt->items[i];

		it->rc = INV_NOTFOUND;
		it->final = ORDER_PENDING;
		it->became_processing = false;
		bt->own[i] = false;
		for (r = 0; r < db_res_rows(rows); r++)
			if (db_res_int(rows, r, BATCH_ID) == it->order_id)
				break;
		if (r == db_res_rows(rows))
			continue;	/* no such order: nothing to do */
		if (!order_status_parse(db_res_str(rows, r, BATCH_STATUS),
		    &st) || !reservation_parse(db_res_str(rows, r,
		    BATCH_RESERVATION), &res)) {
			bt->own[i] = true;	/* let it fail on its own */
			continue;
		}
		it->rc = INV_OK;
		it->final = st;
		/* Processed before (a job run twice): leave it. */
		if (st != ORDER_PENDING)
			continue;
		if (!it->payment_ok || res != RES_HELD) {
			bt->own[i] = true;
			continue;
		}
		move[i] = any = true;
		it->final = ORDER_PROCESSING;
		it->became_processing = true;
		bt->owners[bt->nowners++] = db_res_int(rows, r, BATCH_USER_ID);
	}
	if (any) {
		batch_ids(&ids, bt, move);
		p = DB_STR(ids.data);
		rc = db_exec(db, STMT_ORDER_PROCESS_BATCH, &p, 1, NULL, NULL,
		    NULL);
		if (rc == INV_OK)
			rc = db_exec(db, STMT_EVENT_ORDER_STATUS_BATCH, &p, 1,
			    NULL, NULL, NULL);
	}
out:
	db_res_free(rows);
	buf_free(&ids);
	free(move);
	return rc;
}

void
order_flow_process_batch(struct db *db, struct cache *cache,
    struct order_settle *items, size_t n)
{
	struct batch bt;
	enum inv_err rc;
	size_t i;

	if (n == 0)
		return;
	memset(&bt, 0, sizeof(bt));
	bt.items = items;
	bt.n = n;
	bt.own = xcalloc(n, sizeof(*bt.own));
	bt.owners = xcalloc(n, sizeof(*bt.owners));
	rc = db_transaction(db, batch_tx, &bt);
	if (rc == INV_OK)
		cache_invalidate_owners(cache, bt.owners, bt.nowners);
	else if (rc == INV_UNAVAILABLE)
		/* Neither would the single transactions get through. */
		for (i = 0; i < n; i++) {
			items[i].rc = rc;
			bt.own[i] = false;
		}
	else {
		log_warn("worker batch of %zu order(s): %s; each in its own "
		    "transaction", n, inv_strerror(rc));
		for (i = 0; i < n; i++)
			bt.own[i] = true;
	}
	for (i = 0; i < n; i++)
		if (bt.own[i])
			items[i].rc = process_one(db, cache,
			    items[i].order_id, items[i].payment_ok,
			    &items[i].final, &items[i].became_processing);
	free(bt.own);
	free(bt.owners);
}

/* Columns of STMT_ORDER_PAYMENTS. */
enum { PAY_ID = 0, PAY_NUMBER, PAY_USER_ID, PAY_TOTAL, PAY_STATUS };

enum inv_err
order_flow_payments(struct db *db, struct order_payment *items, size_t n)
{
	struct db_res *rows = NULL;
	struct db_val p;
	struct buf ids;
	enum order_status st;
	enum inv_err rc;
	int64_t *list;
	size_t i, r;

	if (n == 0)
		return INV_OK;
	list = xcalloc(n, sizeof(*list));
	for (i = 0; i < n; i++)
		list[i] = items[i].order_id;
	buf_init(&ids);
	ids_json(&ids, list, n);
	free(list);
	p = DB_STR(ids.data);
	rc = db_exec(db, STMT_ORDER_PAYMENTS, &p, 1, &rows, NULL, NULL);
	buf_free(&ids);
	if (rc != INV_OK)
		return rc;
	for (i = 0; i < n; i++) {
		struct order_payment *it = &items[i];

		it->found = it->pending = false;
		for (r = 0; r < db_res_rows(rows); r++)
			if (db_res_int(rows, r, PAY_ID) == it->order_id)
				break;
		if (r == db_res_rows(rows))
			continue;
		it->found = true;
		it->pending = order_status_parse(db_res_str(rows, r,
		    PAY_STATUS), &st) && st == ORDER_PENDING;
		it->user_id = db_res_int(rows, r, PAY_USER_ID);
		snprintf(it->number, sizeof(it->number), "%s",
		    db_res_str(rows, r, PAY_NUMBER));
		snprintf(it->total, sizeof(it->total), "%s",
		    db_res_str(rows, r, PAY_TOTAL));
	}
	db_res_free(rows);
	return INV_OK;
}

/* ---- creation ---- */

/*
 * The result sets of order_create (schema/007_order_create.sql): the
 * last is always its answer, one row, the order's columns (enum
 * order_col) then the verdict's; an order made comes after its items and
 * the stock records it reserved.
 */
enum { MADE_SET_ITEMS = 0, MADE_SET_TOUCHED, MADE_SET_ORDER, MADE__SETS };
enum { VERDICT_WHY = ORDER_COL__MAX, VERDICT_PRODUCT_ID, VERDICT_NAME,
    VERDICT_AVAILABLE, VERDICT__COLS };
enum { TOUCHED_INVENTORY_ID = 0, TOUCHED_PRODUCT_ID, TOUCHED__COLS };

/* Its refusals, by the word it answers with. */
static const struct {
	const char		*word;
	enum order_refusal	 why;
} create_refusals[] = {
	{ "no_user", ORDER_REFUSED_NO_USER },
	{ "inactive", ORDER_REFUSED_INACTIVE },
	{ "stale", ORDER_REFUSED_STALE },
	{ "no_product", ORDER_REFUSED_NO_PRODUCT },
	{ "total", ORDER_REFUSED_TOTAL },
	{ "no_inventory", ORDER_REFUSED_NO_INVENTORY },
	{ "stock", ORDER_REFUSED_STOCK },
};

/*
 * What order_create's result sets say (n of them in sets): INV_OK for a
 * complete answer to an order made, INV_INVALID with *refused, or
 * INV_DISAGREE or INV_DB (logged).
 */
static enum inv_err
create_verdict(struct db_res **sets, size_t n, struct order_refused *refused)
{
	const struct db_res *v = n > 0 ? sets[n - 1] : NULL;
	const char *why = db_res_str(v, 0, VERDICT_WHY);
	const char *name;
	size_t i;

	if (n > MADE__SETS || db_res_rows(v) != 1 ||
	    db_res_cols(v) != VERDICT__COLS || why == NULL) {
		log_error("order_create: %zu result sets, no verdict", n);
		return INV_DB;
	}
	if (strcmp(why, "ok") == 0) {
		if (n == MADE__SETS &&
		    db_res_cols(sets[MADE_SET_ITEMS]) == ORDER_ITEM_COL__MAX &&
		    db_res_cols(sets[MADE_SET_TOUCHED]) == TOUCHED__COLS)
			return INV_OK;
		log_error("order_create: %zu result sets, not the order made",
		    n);
		return INV_DB;
	}
	if (strcmp(why, "disagree") == 0) {
		log_error("order_create: a reservation of product %" PRId64
		    " met a CHECK of its stock record: the stock records "
		    "disagree; run inventoryctl audit",
		    db_res_int(v, 0, VERDICT_PRODUCT_ID));
		return INV_DISAGREE;
	}
	for (i = 0; i < sizeof(create_refusals) / sizeof(create_refusals[0]);
	    i++)
		if (strcmp(why, create_refusals[i].word) == 0) {
			refused->why = create_refusals[i].why;
			refused->product_id = db_res_int(v, 0,
			    VERDICT_PRODUCT_ID);
			name = db_res_str(v, 0, VERDICT_NAME);
			snprintf(refused->product_name,
			    sizeof(refused->product_name), "%s",
			    name != NULL ? name : "");
			refused->available = db_res_int(v, 0,
			    VERDICT_AVAILABLE);
			return INV_INVALID;
		}
	log_error("order_create: unknown verdict \"%s\"", why);
	return INV_DB;
}

enum inv_err
order_flow_create(struct db *db, const struct order_new *o,
    int64_t *order_id, struct db_res **order, struct db_res **items,
    struct order_touched *touched, struct order_refused *refused)
{
	/* One more than an order made gives: more is an error. */
	struct db_res *sets[MADE__SETS + 1] = { NULL };
	const struct db_res *t;
	struct db_val p[7];
	struct buf json;
	enum inv_err rc;
	size_t i, n = 0;

	touched->n = 0;
	touched->user_id = o->user_id;
	memset(refused, 0, sizeof(*refused));
	*order_id = 0;
	if (order != NULL)
		*order = NULL;
	if (items != NULL)
		*items = NULL;
	if (o->nlines == 0 || o->nlines > ORDER_MAX_ITEMS)
		return INV_INVALID;
	/* Validated integers only: nothing from the request is quoted. */
	buf_init(&json);
	buf_puts(&json, "[");
	for (i = 0; i < o->nlines; i++)
		buf_printf(&json, "%s[%" PRId64 ",%" PRId64 "]",
		    i > 0 ? "," : "", o->lines[i].product_id,
		    o->lines[i].quantity);
	buf_puts(&json, "]");
	p[0] = DB_INT(o->user_id);
	p[1] = DB_INT(o->token_version);
	p[2] = DB_STR(json.data);
	p[3] = DB_STR(o->shipping_address);
	p[4] = DB_STR_OR_NULL(o->shipping_method);
	p[5] = DB_STR_OR_NULL(o->notes);
	p[6] = DB_INT(!db_in_transaction(db));
	rc = db_call(db, STMT_ORDER_CREATE, p, 7, sets, MADE__SETS + 1, &n);
	buf_free(&json);
	if (rc == INV_OK)
		rc = create_verdict(sets, n, refused);
	if (rc == INV_OK) {
		*order_id = db_res_int(sets[MADE_SET_ORDER], 0, ORDER_COL_ID);
		t = sets[MADE_SET_TOUCHED];
		for (i = 0; i < db_res_rows(t) && i < ORDER_MAX_ITEMS; i++) {
			touched->rec[i].inventory_id = db_res_int(t, i,
			    TOUCHED_INVENTORY_ID);
			touched->rec[i].product_id = db_res_int(t, i,
			    TOUCHED_PRODUCT_ID);
			touched->n++;
		}
		/* The order's row is its columns and then the verdict's,
		 * which the order's readers never reach. */
		if (order != NULL) {
			*order = sets[MADE_SET_ORDER];
			sets[MADE_SET_ORDER] = NULL;
		}
		if (items != NULL) {
			*items = sets[MADE_SET_ITEMS];
			sets[MADE_SET_ITEMS] = NULL;
		}
	}
	for (i = 0; i < n; i++)
		db_res_free(sets[i]);
	return rc;
}

/* The records of t as the cache takes them: inv[i] of prod[i]. */
static void
touched_ids(const struct order_touched *t, int64_t *inv, int64_t *prod)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		inv[i] = t->rec[i].inventory_id;
		prod[i] = t->rec[i].product_id;
	}
}

void
order_flow_invalidate(struct cache *cache, const struct order_touched *t)
{
	int64_t inv[ORDER_MAX_ITEMS], prod[ORDER_MAX_ITEMS];

	if (cache == NULL || (t->n == 0 && t->user_id == 0))
		return;
	touched_ids(t, inv, prod);
	cache_invalidate_order(cache, t->user_id, t->n, inv, prod);
}

/*
 * After a commit: the cache of t invalidated, and order_id's job on
 * queue (may be NULL: none) — its fulfil_order job when fulfil, else its
 * process_order job on the high queue — in one round trip when the queue
 * lives in the cache's Redis server (one script), else one after the
 * other. INV_OK when the job was queued.
 */
static enum inv_err
announce(struct cache *cache, struct queue *queue, bool fulfil,
    const struct order_touched *t, int64_t order_id)
{
	int64_t inv[ORDER_MAX_ITEMS], prod[ORDER_MAX_ITEMS], db;
	const char *list;
	char *job = NULL;
	bool pushed = false;

	if (cache != NULL && queue != NULL)
		job = fulfil ? queue_fulfil_on(queue, cache_redis(cache),
		    order_id, &list, &db) : queue_job_on(queue,
		    cache_redis(cache), QUEUE_HIGH, order_id, &list, &db);
	if (job != NULL) {
		touched_ids(t, inv, prod);
		pushed = cache_invalidate_order_push(cache, t->user_id, t->n,
		    inv, prod, db, list, job);
		free(job);
	} else
		order_flow_invalidate(cache, t);
	if (pushed)
		return INV_OK;
	if (queue == NULL)
		return INV_UNAVAILABLE;
	return fulfil ? queue_enqueue_fulfil(queue, &order_id, 1) :
	    queue_enqueue_order(queue, QUEUE_HIGH, order_id);
}

enum inv_err
order_flow_announce(struct cache *cache, struct queue *queue,
    const struct order_touched *t, int64_t order_id)
{
	return announce(cache, queue, false, t, order_id);
}

/* ---- words and audit ---- */

enum msg_id
order_refused_msg(const struct order_refused *r, struct msg_arg args[2],
    size_t *nargs)
{
	args[0].kind = args[1].kind = MSG_ARG_STR;
	*nargs = 1;
	switch (r->why) {
	case ORDER_REFUSED_NO_PRODUCT:
		args[0].kind = MSG_ARG_INT;
		args[0].i = r->product_id;
		return MSG_NO_PRODUCT;
	case ORDER_REFUSED_NO_INVENTORY:
		args[0].s = r->product_name;
		return MSG_REFUSED_NO_STOCK_RECORD;
	case ORDER_REFUSED_STOCK:
		args[0].s = r->product_name;
		args[1].kind = MSG_ARG_INT;
		args[1].i = r->available;
		*nargs = 2;
		return MSG_REFUSED_STOCK;
	case ORDER_REFUSED_TRANSITION:
		args[0].s = order_status_name(r->from);
		args[1].s = order_status_name(r->to);
		*nargs = 2;
		return MSG_REFUSED_TRANSITION;
	case ORDER_REFUSED_CANCEL:
		args[0].s = order_status_name(r->from);
		return MSG_REFUSED_CANCEL;
	default:
		break;
	}
	*nargs = 0;
	switch (r->why) {
	case ORDER_REFUSED_TOTAL:
		return MSG_REFUSED_TOTAL;
	case ORDER_REFUSED_DELIVERED:
		return MSG_REFUSED_DELIVERED;
	case ORDER_REFUSED_CANCELLED:
		return MSG_REFUSED_CANCELLED;
	default:
		return MSG_REFUSED;
	}
}

const char *
order_refused_text(const struct order_refused *r, char *buf, size_t len)
{
	struct msg_arg args[2];
	struct buf text;
	size_t n;
	enum msg_id id = order_refused_msg(r, args, &n);

	buf_init(&text);
	msg_format(&text, id, args, n);
	snprintf(buf, len, "%s", text.data != NULL ? text.data : "");
	buf_free(&text);
	return buf;
}

enum inv_err
order_flow_audit(struct db *db, size_t *products, size_t *violations)
{
	struct db_res *res = NULL;
	enum inv_err rc;
	size_t i;

	*products = *violations = 0;
	if ((rc = db_exec(db, STMT_ORDER_AUDIT, NULL, 0, &res, NULL, NULL)) !=
	    INV_OK)
		return rc;
	*products = db_res_rows(res);
	for (i = 0; i < db_res_rows(res); i++) {
		int64_t stock = db_res_int(res, i, AUDIT_COL_IN_STOCK);
		int64_t reserved = db_res_int(res, i, AUDIT_COL_RESERVED);
		int64_t held = db_res_int(res, i, AUDIT_COL_HELD);
		int64_t lstock = db_res_int(res, i, AUDIT_COL_LEDGER_STOCK);
		int64_t lres = db_res_int(res, i, AUDIT_COL_LEDGER_RESERVED);
		int64_t manual = db_res_int(res, i, AUDIT_COL_MANUAL_HOLD);
		int64_t lmanual = db_res_int(res, i, AUDIT_COL_LEDGER_MANUAL);

		if (reserved == held + manual && manual == lmanual &&
		    stock == lstock && reserved == lres)
			continue;
		log_warn("stock audit: product %" PRId64 ": in stock %" PRId64
		    " (movements %" PRId64 "), reserved %" PRId64
		    " (movements %" PRId64 ") = held by orders %" PRId64
		    " + manual hold %" PRId64 " (movements %" PRId64 ")",
		    db_res_int(res, i, AUDIT_COL_PRODUCT_ID), stock, lstock,
		    reserved, lres, held, manual, lmanual);
		(*violations)++;
	}
	db_res_free(res);
	return INV_OK;
}

/*
 * The sweep of never-queued orders (doc/design.md, "Queue protocol": the
 * database is the source of truth). Enqueued first, marked after: a
 * crash in between enqueues an order twice, which is harmless, never
 * zero times. Only while the queues are empty: an old pending order
 * behind a long queue is simply waiting, and sweeping a backlog would
 * double it just when the workers are behind. A named lock keeps
 * overlapping runs from sweeping the same orders at once. With
 * fulfilment on, the processing orders no fulfil_order job is known to
 * have reached (schema/011_fulfilment.sql) are swept the same way.
 */

/* What is swept: pending orders for process_order jobs, or processing
 * ones for fulfil_order jobs. */
enum sweep_kind {
	SWEEP_PENDING = 0,
	SWEEP_FULFIL,
	SWEEP__MAX
};

/* Indexed by enum sweep_kind. */
static const struct {
	enum stmt	 find;		/* age(s), limit -> id */
	enum stmt	 mark;		/* id */
	const char	*was;		/* for the log line */
} sweeps[SWEEP__MAX] = {
	/* SWEEP_PENDING */
	{ STMT_ORDER_SWEEP, STMT_ORDER_MARK_SWEPT, "pending" },
	/* SWEEP_FULFIL */
	{ STMT_FULFIL_SWEEP, STMT_FULFIL_MARK, "processing" },
};

/* The orders of one sweep batch that are enqueued, to mark in one
 * transaction (one commit, not one per order). */
struct sweep_marks {
	enum stmt	 mark;
	const int64_t	*ids;
	size_t		 n;
};

static enum inv_err
sweep_mark_tx(struct db *db, void *arg)
{
	const struct sweep_marks *m = arg;
	enum inv_err rc = INV_OK;
	size_t i;

	for (i = 0; i < m->n && rc == INV_OK; i++) {
		struct db_val p[1] = { DB_INT(m->ids[i]) };

		rc = db_exec(db, m->mark, p, 1, NULL, NULL, NULL);
	}
	return rc;
}

/* One batch: enqueues up to SWEEP_BATCH orders and marks them; *n is how
 * many the query found, *swept grows by those enqueued and marked. */
static enum inv_err
sweep_batch(struct db *db, struct queue *queue, enum sweep_kind k, size_t *n,
    size_t *swept)
{
	struct db_val params[2] = { DB_INT(SWEEP_AGE_SECONDS),
	    DB_INT(SWEEP_BATCH) };
	int64_t ids[SWEEP_BATCH];
	struct sweep_marks m = { sweeps[k].mark, ids, 0 };
	struct db_res *res = NULL;
	enum inv_err rc, mrc;
	size_t i;

	*n = 0;
	if ((rc = db_exec(db, sweeps[k].find, params, 2, &res, NULL,
	    NULL)) != INV_OK)
		return rc;
	*n = db_res_rows(res);
	for (i = 0; i < *n && i < SWEEP_BATCH; i++) {
		ids[i] = db_res_int(res, i, 0);
		rc = k == SWEEP_FULFIL ? queue_enqueue_fulfil(queue, &ids[i],
		    1) : queue_enqueue_order(queue, QUEUE_LOW, ids[i]);
		if (rc != INV_OK)
			break;
		log_info("sweep: order %" PRId64 " was %s and never "
		    "queued: enqueued", ids[i], sweeps[k].was);
		m.n++;
	}
	db_res_free(res);
	/* Those enqueued are marked even when a later one failed. */
	if (m.n > 0 && (mrc = db_transaction(db, sweep_mark_tx, &m)) !=
	    INV_OK && rc == INV_OK)
		rc = mrc;
	if (rc == INV_OK)
		*swept += m.n;
	return rc;
}

enum inv_err
order_flow_sweep(struct db *db, struct queue *queue, bool fulfil,
    const volatile sig_atomic_t *stop, size_t *swept)
{
	struct db_val lock[2] = { DB_STR(SWEEP_LOCK), DB_INT(0) };
	struct queue_stats st;
	struct db_res *res = NULL;
	enum inv_err rc = INV_OK;
	size_t n;
	bool got;
	int p, k;

	*swept = 0;
	if ((rc = queue_get_stats(queue, &st)) != INV_OK)
		return rc;
	for (p = 0; p < QUEUE__MAX; p++)
		if (st.depth[p] > 0)
			return INV_OK;
	if ((rc = db_exec(db, STMT_GET_LOCK, lock, 2, &res, NULL,
	    NULL)) != INV_OK)
		return rc;
	got = db_res_bool(res, 0, 0);
	db_res_free(res);
	if (!got)
		return INV_OK;	/* another run is sweeping */
	for (k = 0; k < (fulfil ? SWEEP__MAX : SWEEP_FULFIL); k++) {
		do
			rc = sweep_batch(db, queue, (enum sweep_kind)k, &n,
			    swept);
		while (rc == INV_OK && n == SWEEP_BATCH &&
		    (stop == NULL || !*stop));
		if (rc != INV_OK)
			break;
	}
	/* Failing is harmless: the lock goes with the session. */
	(void)db_exec(db, STMT_RELEASE_LOCK, lock, 1, NULL, NULL, NULL);
	return rc;
}
