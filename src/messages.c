/*
 * messages.c: the one table of what clients read (messages.h). The texts
 * are those of the FastAPI service this one replaces, word for word:
 * clients and doc/openapi.json's examples match them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "messages.h"

const struct message messages[MSG__MAX] = {
	[MSG_NOT_FOUND] = { 404, "Not Found", NULL },
	[MSG_METHOD_NOT_ALLOWED] = { 405, "Method Not Allowed", NULL },
	[MSG_UNSUPPORTED_MEDIA_TYPE] = { 415, "Unsupported Media Type", NULL },
	[MSG_TOO_LARGE] = { 413, "Request Entity Too Large", NULL },
	[MSG_INTERNAL] = { 500, "Internal server error", NULL },
	[MSG_UNAVAILABLE] = { 503, "Service temporarily unavailable", NULL },
	[MSG_STOCK_DISAGREE] = { 409, "Stock records disagree; run "
	    "inventoryctl audit", NULL },

	[MSG_NOT_AUTHENTICATED] = { 401, "Not authenticated", NULL },
	[MSG_BAD_CREDENTIALS] = { 401, "Could not validate credentials",
	    NULL },
	[MSG_INACTIVE_USER] = { 400, "Inactive user", NULL },
	[MSG_NOT_ENOUGH_PERMISSIONS] = { 403, "Not enough permissions", NULL },
	[MSG_WRONG_PASSWORD] = { 401, "Incorrect email or password", NULL },
	[MSG_INACTIVE_ACCOUNT] = { 400, "Inactive user account", NULL },
	[MSG_EMAIL_TAKEN] = { 400, "Email already registered", NULL },
	[MSG_OWN_ROLE] = { 403, "Cannot change your own role or status",
	    NULL },
	[MSG_LAST_ADMIN] = { 409, "At least one active admin is required",
	    NULL },
	[MSG_NO_USER] = { 404, "User with id %" PRId64 " not found", NULL },

	[MSG_NO_PRODUCT] = { 404, "Product with id %" PRId64 " not found",
	    NULL },
	[MSG_DUP_SKU] = { 400, "Product with SKU %s already exists", NULL },
	/* GET /inventory/{id}, worded as the replaced service did. */
	[MSG_NO_INVENTORY_ITEM] = { 404, "Inventory item with id %" PRId64
	    " not found", NULL },
	/* The other operations on one record (PUT, adjust, movements). */
	[MSG_NO_INVENTORY] = { 404, "Inventory with id %" PRId64
	    " not found", NULL },
	[MSG_NO_INVENTORY_FOR_PRODUCT] = { 404, "No inventory found for "
	    "product with id %" PRId64, NULL },
	[MSG_PRODUCT_HAS_ORDERS] = { 409, "Product has orders", NULL },
	[MSG_INVENTORY_EXISTS] = { 400, "Inventory already exists for "
	    "product %" PRId64, NULL },
	[MSG_BELOW_ZERO] = { 400, "Cannot reduce stock below zero", NULL },
	[MSG_BELOW_RESERVED] = { 400, "Cannot reduce stock below reserved "
	    "quantity", NULL },
	[MSG_NO_REORDER_SUGGESTION] = { 404, "Reorder suggestion with id %"
	    PRId64 " not found", NULL },

	[MSG_NO_ORDER] = { 404, "Order with id %" PRId64 " not found", NULL },
	[MSG_ORDER_NOT_YOURS] = { 403, "Not authorized to access this order",
	    NULL },
	[MSG_ORDER_CANCEL_NOT_YOURS] = { 403, "Not authorized to cancel this "
	    "order", NULL },
	[MSG_IDEM_BUSY] = { 409, "Request with this Idempotency-Key is in "
	    "progress", NULL },
	[MSG_REFUSED_NO_STOCK_RECORD] = { 400, "No inventory found for "
	    "product %s", NULL },
	[MSG_REFUSED_STOCK] = { 400, "Insufficient stock for product %s. "
	    "Available: %" PRId64, NULL },
	[MSG_REFUSED_TOTAL] = { 400, "Order total exceeds 9999999999.99",
	    NULL },
	[MSG_REFUSED_DELIVERED] = { 400, "Cannot change status of a delivered "
	    "order", NULL },
	[MSG_REFUSED_CANCELLED] = { 400, "Cannot reactivate a cancelled order",
	    NULL },
	[MSG_REFUSED_TRANSITION] = { 400, "Invalid status transition from %s "
	    "to %s", NULL },
	[MSG_REFUSED_CANCEL] = { 400, "Cannot cancel order in %s status",
	    NULL },
	/* No refusal says this: the default of an unknown one. */
	[MSG_REFUSED] = { 400, "Order refused", NULL },

	[MSG_FIELD_REQUIRED] = { 422, "field required",
	    "value_error.missing" },
	[MSG_NOT_DICT] = { 422, "value is not a valid dict",
	    "type_error.dict" },
	[MSG_NONE_NOT_ALLOWED] = { 422, "none is not an allowed value",
	    "type_error.none.not_allowed" },
	[MSG_BAD_SPEC] = { 422, "invalid field specification", "type_error" },
	[MSG_STR_TYPE] = { 422, "str type expected", "type_error.str" },
	[MSG_INT_TYPE] = { 422, "value is not a valid integer",
	    "type_error.integer" },
	[MSG_BOOL_TYPE] = { 422, "value could not be parsed to a boolean",
	    "type_error.bool" },
	[MSG_DECIMAL_TYPE] = { 422, "value is not a valid decimal",
	    "type_error.decimal" },
	[MSG_LIST_TYPE] = { 422, "value is not a valid list",
	    "type_error.list" },
	[MSG_STR_MIN] = { 422, "ensure this value has at least %" PRId64
	    " characters", "value_error.any_str.min_length" },
	[MSG_STR_MAX] = { 422, "ensure this value has at most %" PRId64
	    " characters", "value_error.any_str.max_length" },
	[MSG_LIST_MIN] = { 422, "ensure this value has at least %" PRId64
	    " items", "value_error.list.min_items" },
	[MSG_LIST_MAX] = { 422, "ensure this value has at most %" PRId64
	    " items", "value_error.list.max_items" },
	[MSG_NUM_GE] = { 422, "ensure this value is greater than or equal to %"
	    PRId64, "value_error.number.not_ge" },
	[MSG_NUM_LE] = { 422, "ensure this value is less than or equal to %"
	    PRId64, "value_error.number.not_le" },
	[MSG_DECIMAL_PLACES] = { 422, "ensure that there are no more than %"
	    PRId64 " decimal places", "value_error.decimal.max_places" },
	[MSG_EMAIL] = { 422, "value is not a valid email address",
	    "value_error.email" },
	/* The argument: the members, "'pending', 'processing'". */
	[MSG_ENUM] = { 422, "value is not a valid enumeration member; "
	    "permitted: %s", "type_error.enum" },
	[MSG_URL_CHARS] = { 422, "URL invalid: spaces, control and non-ASCII "
	    "characters must be percent-encoded", "value_error.url" },
	[MSG_URL_SCHEME] = { 422, "invalid or missing URL scheme",
	    "value_error.url.scheme" },
	[MSG_URL_SCHEME_NOT_PERMITTED] = { 422, "URL scheme not permitted",
	    "value_error.url.scheme" },
	[MSG_URL_HOST] = { 422, "URL host invalid", "value_error.url.host" },
	[MSG_URL_USERINFO] = { 422, "URL must not contain a user name or "
	    "password", "value_error.url.userinfo" },
	[MSG_URL_PORT] = { 422, "URL port invalid: a port is 1 to 65535",
	    "value_error.url.port" },

	[MSG_JSON_EMPTY] = { 422, "Empty body", "value_error.jsondecode" },
	[MSG_JSON_SYNTAX] = { 422, "Invalid JSON", "value_error.jsondecode" },
	[MSG_JSON_UTF8] = { 422, "Invalid UTF-8", "value_error.jsondecode" },
	[MSG_JSON_NUL] = { 422, "NUL character in JSON text",
	    "value_error.jsondecode" },
	[MSG_JSON_DEPTH] = { 422, "JSON nested too deeply",
	    "value_error.jsondecode" },
	[MSG_JSON_RANGE] = { 422, "Number out of range",
	    "value_error.jsondecode" },
	[MSG_JSON_SIZE] = { 422, "JSON text too large",
	    "value_error.jsondecode" },
	[MSG_FORM_ENCODING] = { 422, "invalid form encoding",
	    "value_error.form" },
	[MSG_PERCENT_ENCODING] = { 422, "invalid percent-encoding: '%%' must "
	    "be followed by two hexadecimal digits",
	    "value_error.percent_encoding" },
	[MSG_PARAM_NOT_TEXT] = { 422, "value must decode to UTF-8 text without "
	    "NUL characters", "value_error.str.encoding" },
	[MSG_PARAM_REPEATED] = { 422, "parameter given more than once",
	    "value_error.repeated" },
	[MSG_CURSOR_INVALID] = { 422, "invalid cursor: use the Link of the "
	    "page before", "value_error.cursor" },
	[MSG_CURSOR_SKIP] = { 422, "skip cannot be combined with after",
	    "value_error.cursor_skip" },

	[MSG_IDEM_KEY] = { 422, "ensure this value has 1 to 128 printable "
	    "ASCII characters, not all blank", "value_error.idempotency_key" },
	[MSG_IDEM_KEY_REUSED] = { 422, "this key was already used with a "
	    "different request", "value_error.idempotency_key.reused" },
	/* One line per product (order_items' unique key): the client says
	 * what it means. */
	[MSG_DUP_PRODUCT] = { 422, "duplicate product_id: each product may "
	    "appear once per order", "value_error.duplicate" },
	/* TEXT counts bytes; the spec bounds characters. */
	[MSG_DESCRIPTION_BYTES] = { 422, "ensure this value has at most 65535 "
	    "bytes", "value_error.any_str.max_length" },
	[MSG_RESERVED_GT_STOCK] = { 422, "quantity_reserved cannot exceed "
	    "quantity_in_stock", "value_error.number.not_le" },
	[MSG_RESERVED_LT_HELD] = { 422, "quantity_reserved cannot be less "
	    "than %" PRId64 ", the units held by orders",
	    "value_error.number.not_ge" },
	[MSG_STOCK_ABOVE_MAX] = { 422, "quantity_in_stock would exceed "
	    "2147483647", "value_error.number.not_le" },
	[MSG_ADJUST_ZERO] = { 422, "quantity must not be zero",
	    "value_error.number.not_zero" },

	[MSG_NO_WEBHOOK] = { 404, "Webhook with id %" PRId64 " not found",
	    NULL },
	[MSG_NO_DELIVERY] = { 404, "Delivery with id %" PRId64 " not found",
	    NULL },
	[MSG_DUP_EVENT] = { 422, "duplicate event: each event type may appear "
	    "once", "value_error.duplicate" },
	/* The target is checked when stored (src/target.h). */
	[MSG_URL_UNRESOLVED] = { 422, "URL host does not resolve",
	    "value_error.url.host" },
	[MSG_URL_PRIVATE] = { 422, "URL host is or resolves to a loopback, "
	    "private, link-local or other internal address; such targets "
	    "need webhook_allow_private = true in the service's "
	    "configuration", "value_error.url.private" },
};

const struct message *
msg_get(enum msg_id id)
{
	if ((unsigned)id >= MSG__MAX || messages[id].text == NULL) {
		log_error("messages: no text for id %d", (int)id);
		return &messages[MSG_INTERNAL];
	}
	return &messages[id];
}

void
msg_format(struct buf *out, enum msg_id id, const struct msg_arg *args,
    size_t nargs)
{
	static const char int_conv[] = "%" PRId64;
	const char *t = msg_get(id)->text, *pct;
	const struct msg_arg *a;
	size_t k = 0;

	while ((pct = strchr(t, '%')) != NULL) {
		buf_append(out, t, (size_t)(pct - t));
		if (pct[1] == '%') {
			buf_puts(out, "%");
			t = pct + 2;
			continue;
		}
		/* Conversion k takes argument k, whatever happens. */
		a = k < nargs ? &args[k] : NULL;
		k++;
		if (pct[1] == 's') {
			t = pct + 2;
			if (a != NULL && a->kind == MSG_ARG_STR) {
				buf_puts(out, a->s != NULL ? a->s : "");
				continue;
			}
		} else if (strncmp(pct, int_conv, sizeof(int_conv) - 1) == 0) {
			t = pct + sizeof(int_conv) - 1;
			if (a != NULL && a->kind == MSG_ARG_INT) {
				buf_printf(out, "%" PRId64, a->i);
				continue;
			}
		} else
			t = pct + 1;
		log_error("messages: text %d: argument %zu missing or of the "
		    "wrong kind", (int)id, k);
		buf_puts(out, "?");
	}
	buf_puts(out, t);
}
