/*
 * order_flow.h: the order state machine and the reservation rules
 * (doc/design.md, "Stock rules"), shared by the orders API and the
 * worker, and the worker's sweep of never-queued orders. Every
 * transition locks the order row and moves orders.reservation (none,
 * held, released, deducted) in the same transaction as the stock change,
 * so reserve, release and deduct each happen at most once; each stock
 * change writes its stock_movements row.
 * A function that runs its own transaction invalidates the cache of the
 * products involved after its commit; order_flow_create runs inside the
 * caller's, which calls order_flow_invalidate after committing.
 * An order releases and deducts only what orders hold (quantity_reserved
 * minus the record's manual hold); one that finds less than it holds
 * makes every function here return INV_DISAGREE, logged at error level,
 * with nothing changed: the stock records disagree.
 */
#ifndef INV_ORDER_FLOW_H
#define INV_ORDER_FLOW_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages.h"

#include "util.h"

struct db;
struct db_res;
struct cache;
struct queue;

/* Bounds of a new order (doc/openapi.json). */
#define ORDER_MAX_ITEMS		100
#define ORDER_MAX_QUANTITY	1000000

enum order_status {
	ORDER_PENDING = 0,
	ORDER_PROCESSING,
	ORDER_SHIPPED,
	ORDER_DELIVERED,
	ORDER_CANCELLED,
	ORDER__MAX
};

/* "pending", ... at each status's index, then NULL: the members of the
 * status enum of the API. */
extern const char *const order_status_names[ORDER__MAX + 1];
/* "pending", ...; parse returns false for anything else. */
const char *order_status_name(enum order_status);
bool order_status_parse(const char *, enum order_status *);

/* One line of a new order. */
struct order_line {
	int64_t	 product_id;	/* > 0; each product once per order */
	int64_t	 quantity;	/* 1..ORDER_MAX_QUANTITY */
};

/* A new order as validated by the API; everything borrowed. */
struct order_new {
	int64_t			 user_id;
	int64_t			 token_version;	/* of the caller's token */
	const char		*shipping_address;
	const char		*shipping_method;	/* or NULL */
	const char		*notes;			/* or NULL */
	const struct order_line	*lines;
	size_t			 nlines;	/* 1..ORDER_MAX_ITEMS */
};

/* Why a request was refused by the rules (the API words each one). */
enum order_refusal {
	ORDER_REFUSED_NONE = 0,
	ORDER_REFUSED_NO_PRODUCT,	/* product_id does not exist */
	ORDER_REFUSED_NO_INVENTORY,	/* product_name has no inventory */
	ORDER_REFUSED_STOCK,		/* product_name has only available */
	ORDER_REFUSED_TOTAL,		/* the total exceeds DECIMAL(12,2) */
	ORDER_REFUSED_DELIVERED,	/* a delivered order stays delivered */
	ORDER_REFUSED_CANCELLED,	/* a cancelled order stays cancelled */
	ORDER_REFUSED_TRANSITION,	/* from -> to is not allowed */
	ORDER_REFUSED_CANCEL,		/* an order in status from cannot be
					   cancelled */
	/* The caller's row, read by the creation itself: */
	ORDER_REFUSED_NO_USER,		/* the user no longer exists */
	ORDER_REFUSED_INACTIVE,		/* the user is deactivated */
	ORDER_REFUSED_STALE,		/* the token predates the user's last
					   change of role or status */
	ORDER_REFUSED__MAX
};

struct order_refused {
	enum order_refusal	 why;
	int64_t			 product_id;
	char			 product_name[1024];	/* 255 characters */
	int64_t			 available;
	enum order_status	 from;
	enum order_status	 to;
};

/*
 * The refusal in the words of the contract: its message (messages.h,
 * "Insufficient stock for product %s. Available: %" PRId64, ...) with
 * its arguments in args (*nargs of them, borrowed from the refusal).
 */
enum msg_id order_refused_msg(const struct order_refused *,
    struct msg_arg args[2], size_t *nargs);
/* The same as text, written into buf (as the worker notes it); returns
 * buf. */
const char *order_refused_text(const struct order_refused *, char *buf,
    size_t len);

/* The stock records a transaction changed, to invalidate after commit. */
struct order_touched {
	int64_t	 user_id;	/* the order's owner */
	size_t	 n;
	struct {
		int64_t	 inventory_id;
		int64_t	 product_id;
	}	 rec[ORDER_MAX_ITEMS];
};

/*
 * Creates an order: the stored procedure order_create (schema/, the one
 * place the creation rule lives) in one round trip. Standing alone it is
 * its own transaction, committed when this returns INV_OK (a deadlock
 * is retried by calling again); called INSIDE db_transaction it joins
 * that transaction, so a caller can add its own statements to the same
 * commit, as the Idempotency-Key does. The caller's row is checked first,
 * as the router checks it for other writes (o->user_id, its
 * o->token_version). *touched is reset and filled: pass it to
 * order_flow_invalidate after the commit.
 * Returns INV_OK with *order_id and, where order and items are not NULL,
 * the order as the owner sees it (new, db_res_free them): *order its row
 * (enum order_col, the owner's email and name NULL; the columns after
 * those are the procedure's verdict), *items its items
 * (enum order_item_col, the product's name and SKU NULL) in item-id
 * order. INV_INVALID with *refused filled (nothing done; inside a
 * transaction the caller must roll back: return it from the transaction
 * function); INV_DISAGREE (logged, nothing done) when a CHECK of the
 * stock refused a reservation whose condition passed; database errors
 * otherwise (INV_RETRY included); *order and *items are NULL on every
 * failure.
 */
enum inv_err order_flow_create(struct db *, const struct order_new *,
    int64_t *order_id, struct db_res **order, struct db_res **items,
    struct order_touched *touched, struct order_refused *refused);

/* Invalidates the cache of every record in touched (after the commit). */
void order_flow_invalidate(struct cache *, const struct order_touched *);

/*
 * After the commit of a new order (order_id, touched as
 * order_flow_create filled it): order_flow_invalidate, and the order's
 * process_order job on the high queue (queue may be NULL: none), in one
 * round trip when the queue lives in the cache's Redis server (one
 * script), else one after the other. INV_OK when the job was queued;
 * else the worker's sweep of the database must find the order.
 */
enum inv_err order_flow_announce(struct cache *, struct queue *,
    const struct order_touched *, int64_t order_id);

/*
 * The admin's status update (PUT /orders/{id}), in its own transaction:
 * the transition rules, then the stock rule of the new status (processing
 * holds the reservation, shipped deducts it, cancelled releases it), and
 * tracking_number and notes set where not NULL (a PUT of the current
 * status changes only those). actor_id is recorded on the movements (0:
 * none). INV_NOTFOUND for no such order; INV_INVALID with *refused.
 */
enum inv_err order_flow_update(struct db *, struct cache *, int64_t order_id,
    enum order_status to, const char *tracking_number, const char *notes,
    int64_t actor_id, struct order_refused *refused);

/*
 * order_flow_update with fulfilment on: an order it makes processing
 * gets its fulfil_order job on the default queue of fulfil (NULL:
 * fulfilment is off), pushed after the commit in the round trip of the
 * cache's invalidation when both live on one Redis server, else on its
 * own; a job that cannot be queued is left to the sweep (logged).
 */
enum inv_err order_flow_update_fulfil(struct db *, struct cache *,
    struct queue *fulfil, int64_t order_id, enum order_status to,
    const char *tracking_number, const char *notes, int64_t actor_id,
    struct order_refused *refused);

/*
 * Cancels a pending or processing order and releases its reservation, in
 * its own transaction. INV_NOTFOUND; INV_INVALID with *refused
 * (ORDER_REFUSED_CANCEL) for any other status, cancelled included.
 */
enum inv_err order_flow_cancel(struct db *, struct cache *, int64_t order_id,
    int64_t actor_id, struct order_refused *refused);

/*
 * Counts the products checked and those that break the stock invariants
 * (reserved equals the quantities of the orders holding a reservation
 * plus the manual hold; the manual hold equals the reserved changes of
 * the movements without an order; the movements sum to the quantities),
 * logging each of those at warn level. For tests, benchmarks and
 * operators (inventoryctl audit).
 */
enum inv_err order_flow_audit(struct db *, size_t *products,
    size_t *violations);

/*
 * The worker's step for one order, after the (simulated) payment said
 * payment_ok. In one transaction: lock the order; when it is still
 * pending, make sure it holds its reservation (reserving now if it holds
 * none), then set processing, or on a failed payment cancel it, release
 * the reservation and append "Payment processing failed" to notes. An
 * order no longer pending is left alone (the job ran before: idempotent).
 * *final is the order's status afterwards. Invalidates the cache of the
 * products involved after commit. INV_NOTFOUND for no such order.
 * An order holding nothing whose stock is no longer there cannot be
 * processed: it is cancelled with a note saying so.
 */
enum inv_err order_flow_process(struct db *, struct cache *, int64_t order_id,
    bool payment_ok, enum order_status *final);

/*
 * Fulfilment's answer for order_id, in its own transaction, applied only
 * while the order is processing: with tracking_number (not NULL) it is
 * shipped with it as an admin's PUT would (its stock deducted once, its
 * order.shipped event written), else note (not NULL) is appended to its
 * notes and it stays processing. An order in any other status (an admin
 * shipped or cancelled it meanwhile) is left alone: INV_OK with *applied
 * false. INV_NOTFOUND for no such order.
 */
enum inv_err order_flow_fulfil(struct db *, struct cache *, int64_t order_id,
    const char *tracking_number, const char *note, bool *applied);

/* One order of the worker's batch. */
struct order_settle {
	int64_t			 order_id;	/* in */
	bool			 payment_ok;	/* in */
	enum inv_err		 rc;		/* out: as order_flow_process */
	enum order_status	 final;		/* out, with rc INV_OK */
	bool			 became_processing; /* out: made processing
						   now, not before */
};

/*
 * order_flow_process of n orders (the same order may come twice) in as
 * few transactions as the rules allow. One transaction locks every order
 * row, in id order, and moves each pending order that was paid and holds
 * its reservation to processing: a status change with no stock to move.
 * Each other pending order (a refused payment releases its stock, one
 * holding nothing reserves it) goes through order_flow_process in a
 * transaction of its own, as does every order when the batch
 * transaction fails (one order a trigger refuses must not hold back the
 * others). Sets every item's rc and final; the owners' cached orders
 * are invalidated after the commit, in one round trip.
 */
void order_flow_process_batch(struct db *, struct cache *,
    struct order_settle *items, size_t n);

/* What the payment step is told of an order. */
struct order_payment {
	int64_t		 order_id;	/* in */
	bool		 found;		/* out: the order exists */
	bool		 pending;	/* out: still to be paid */
	int64_t		 user_id;
	char		 number[40];	/* "ORD-..." */
	char		 total[24];	/* DECIMAL text, "12.34" */
};

/* Fills items[0..n) from one read of the orders (unlocked: settling
 * locks and checks them again). */
enum inv_err order_flow_payments(struct db *, struct order_payment *items,
    size_t n);

/*
 * The worker's sweep: enqueues, on the low queue, the pending orders
 * older than a minute that no job ever reached and that it never
 * enqueued before (orders.swept_at), and marks them; *swept is how many.
 * With fulfil (fulfilment_url is set), then enqueues, on the default
 * queue, the fulfil_order jobs of the orders processing for a minute
 * that no such job is known to have reached (orders.fulfil_queued_at),
 * and marks them; *swept counts both kinds.
 * Does nothing while a queue holds jobs or while another run sweeps.
 * Goes on batch after batch until none is left or *stop (may be NULL)
 * is set.
 */
enum inv_err order_flow_sweep(struct db *, struct queue *, bool fulfil,
    const volatile sig_atomic_t *stop, size_t *swept);

#endif
