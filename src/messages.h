/*
 * messages.h: every text a client reads in a reply, in one table indexed
 * by enum msg_id: the {"detail": text} of each 4xx (and 5xx) reply with
 * its status, and the msg and type of each 422 entry. A text may hold
 * "%s" (a string argument), "%" PRId64 (an integer) and "%%"; msg_format
 * fills them from typed arguments, so no format string is ever built at
 * run time and a mismatch cannot read the wrong argument.
 */
#ifndef INV_MESSAGES_H
#define INV_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum msg_id {
	/* The dispatcher and the transport. */
	MSG_NOT_FOUND = 0,
	MSG_METHOD_NOT_ALLOWED,
	MSG_UNSUPPORTED_MEDIA_TYPE,
	MSG_TOO_LARGE,
	MSG_INTERNAL,
	MSG_UNAVAILABLE,
	MSG_STOCK_DISAGREE,
	/* Accounts and tokens. */
	MSG_NOT_AUTHENTICATED,
	MSG_BAD_CREDENTIALS,
	MSG_INACTIVE_USER,
	MSG_NOT_ENOUGH_PERMISSIONS,
	MSG_WRONG_PASSWORD,
	MSG_INACTIVE_ACCOUNT,
	MSG_EMAIL_TAKEN,
	MSG_OWN_ROLE,
	MSG_LAST_ADMIN,
	MSG_NO_USER,
	/* Products and inventory. */
	MSG_NO_PRODUCT,
	MSG_DUP_SKU,
	MSG_NO_INVENTORY_ITEM,
	MSG_NO_INVENTORY,
	MSG_NO_INVENTORY_FOR_PRODUCT,
	MSG_PRODUCT_HAS_ORDERS,
	MSG_INVENTORY_EXISTS,
	MSG_BELOW_ZERO,
	MSG_BELOW_RESERVED,
	MSG_NO_REORDER_SUGGESTION,
	/* Orders. */
	MSG_NO_ORDER,
	MSG_ORDER_NOT_YOURS,
	MSG_ORDER_CANCEL_NOT_YOURS,
	MSG_IDEM_BUSY,
	MSG_REFUSED_NO_STOCK_RECORD,
	MSG_REFUSED_STOCK,
	MSG_REFUSED_TOTAL,
	MSG_REFUSED_DELIVERED,
	MSG_REFUSED_CANCELLED,
	MSG_REFUSED_TRANSITION,
	MSG_REFUSED_CANCEL,
	MSG_REFUSED,
	/* 422 entries: the shapes of pydantic v1. */
	MSG_FIELD_REQUIRED,
	MSG_NOT_DICT,
	MSG_NONE_NOT_ALLOWED,
	MSG_BAD_SPEC,
	MSG_STR_TYPE,
	MSG_INT_TYPE,
	MSG_BOOL_TYPE,
	MSG_DECIMAL_TYPE,
	MSG_LIST_TYPE,
	MSG_STR_MIN,
	MSG_STR_MAX,
	MSG_LIST_MIN,
	MSG_LIST_MAX,
	MSG_NUM_GE,
	MSG_NUM_LE,
	MSG_DECIMAL_PLACES,
	MSG_EMAIL,
	MSG_ENUM,
	MSG_URL_CHARS,
	MSG_URL_SCHEME,
	MSG_URL_SCHEME_NOT_PERMITTED,
	MSG_URL_HOST,
	MSG_URL_USERINFO,
	MSG_URL_PORT,
	/* 422 entries of the body and query as a whole. */
	MSG_JSON_EMPTY,
	MSG_JSON_SYNTAX,
	MSG_JSON_UTF8,
	MSG_JSON_NUL,
	MSG_JSON_DEPTH,
	MSG_JSON_RANGE,
	MSG_JSON_SIZE,
	MSG_FORM_ENCODING,
	MSG_PERCENT_ENCODING,
	MSG_PARAM_NOT_TEXT,
	MSG_PARAM_REPEATED,
	MSG_CURSOR_INVALID,
	MSG_CURSOR_SKIP,
	/* 422 entries of the handlers' own rules. */
	MSG_IDEM_KEY,
	MSG_IDEM_KEY_REUSED,
	MSG_DUP_PRODUCT,
	MSG_DESCRIPTION_BYTES,
	MSG_RESERVED_GT_STOCK,
	MSG_RESERVED_LT_HELD,
	MSG_STOCK_ABOVE_MAX,
	MSG_ADJUST_ZERO,
	/* Webhooks. */
	MSG_NO_WEBHOOK,
	MSG_NO_DELIVERY,
	MSG_DUP_EVENT,
	MSG_URL_UNRESOLVED,
	MSG_URL_PRIVATE,
	MSG__MAX
};

struct message {
	int		 status;	/* of a {"detail": text} reply; 422 for
					   an entry of a 422's list */
	const char	*text;		/* the detail, or the entry's msg */
	const char	*type;		/* a 422 entry's type; else NULL */
};

extern const struct message messages[MSG__MAX];

/* One argument of a text: "%" PRId64 takes an int, "%s" a string. */
struct msg_arg {
	enum { MSG_ARG_INT, MSG_ARG_STR } kind;
	int64_t		 i;
	const char	*s;
};

#define MSG_INT(x)	{ MSG_ARG_INT, (x), NULL }
#define MSG_STR(x)	{ MSG_ARG_STR, 0, (x) }
/* The arguments of a call as (array, count), e.g.
 * msg_format(&b, MSG_NO_ORDER, MSG_ARGS(MSG_INT(id))). */
#define MSG_ARGS(...) \
	(const struct msg_arg[]){ __VA_ARGS__ }, \
	(sizeof((const struct msg_arg[]){ __VA_ARGS__ }) / \
	    sizeof(struct msg_arg))

/* The entry of id; an id out of range gives MSG_INTERNAL's. */
const struct message *msg_get(enum msg_id id);

/*
 * Appends the text of id to out with its conversions filled from args
 * in order. A conversion without an argument of its kind is written as
 * "?" (and logged): a bug, never a crash.
 */
void msg_format(struct buf *out, enum msg_id id, const struct msg_arg *args,
    size_t nargs);

#endif
