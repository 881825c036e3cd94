#!/usr/bin/env bash
# t/e2e.sh: end-to-end checks of a running stack, through nginx, with curl.
#
# Usage: t/e2e.sh [URL]
#   URL         base URL, e.g. https://127.0.0.1:8443 (default: $E2E_URL,
#               else INVENTORY_URL from run/stack.env, which
#               `tools/devstack up` writes)
#   E2E_CACERT  certificate to trust for the server (default:
#               INVENTORY_CA_CERT from run/stack.env; without one the
#               certificate is not checked)
#   E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD
#               an admin's login, for the product and inventory checks
#               (default: INVENTORY_ADMIN_EMAIL and INVENTORY_ADMIN_PASSWORD
#               from run/stack.env when no URL is given)
#   E2E_RECORD  a directory: every response is also kept there, for
#               t/e2e_openapi.sh to validate against doc/openapi.json
#   E2E_PROCESSES
#               how many FastCGI processes serve the reads (default:
#               INVENTORY_FCGI_PROCESSES from run/stack.env when no URL
#               is given, else inventory_processes of GET /metrics, which
#               counts the processes of /api/v1/auth/ too)
#
# The checks that every process reads a change need the stack's
# processes to say who answered (debug_process_header = 1, as
# tools/devstack sets it: the X-Inventory-Process header); without it
# they fail.
#
# Each check prints "ok - NAME" or "not ok - NAME: what came back"; the last
# line is "N passed, M failed", and the exit status is 1 when M > 0.
# It registers one new user (a unique e2e-...@example.com) and leaves it,
# with its Idempotency-Keys; of the two products it makes (SKU E2E-...)
# it deletes one again; the other keeps the cancelled order placed for it
# (an ordered product cannot be deleted).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t/e2e_lib.sh
. "$here/e2e_lib.sh"
e2e_settings t/e2e.sh "${1:-}"
if [[ -n $CACERT ]]; then
	TLS=(--cacert "$CACERT")
else
	TLS=(--insecure)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PASSED=0
FAILED=0
NREQ=0		# responses received
NOID=()		# requests whose response had no X-Request-ID
IDS=()		# X-Request-ID values seen

# req METHOD PATH [CURL-ARGS...]: sends one request; sets CODE and BODY,
# leaves the headers in $work/headers. HEAD ignores Content-Length, which
# announces a body that never comes (over HTTP/2 the stream's end ends
# the transfer), so a body sent anyway would show in BODY.
req() {
	local method=$1 path=$2 id how=(-X "$1")
	shift 2
	[[ $method == HEAD ]] && how+=(--ignore-content-length)
	: >"$work/headers"
	: >"$work/body"
	CODE=$(curl -sS "${TLS[@]}" --max-time 10 "${how[@]}" -D "$work/headers" \
	    -o "$work/body" -w '%{http_code}' "$@" "$URL$path" 2>"$work/stderr")
	[[ -n $CODE ]] || CODE=000
	e2e_record "$method" "$path" "$CODE" "$work/headers" "$work/body"
	BODY=$(tr -d '\r' <"$work/body")
	if [[ $CODE != 000 ]]; then
		NREQ=$((NREQ + 1))
		id=$(header X-Request-ID)
		if [[ -n $id ]]; then
			IDS+=("$id")
		else
			NOID+=("$method $path")
		fi
	fi
}

# header NAME: the value of response header NAME (last one if repeated).
header() {
	grep -i "^$1:" "$work/headers" | tail -n 1 | cut -d: -f2- | sed -e 's/^ *//' -e 's/\r$//'
}

# json_str KEY: the string value of "KEY" in BODY (flat JSON is enough here).
json_str() {
	tr -d '\n' <<<"$BODY" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"
}

# json_num KEY: the number value of "KEY" in BODY, as written.
json_num() {
	tr -d '\n' <<<"$BODY" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\(-\{0,1\}[0-9][0-9.]*\).*/\1/p"
}

# got: what came back, for a "not ok" line.
got() {
	local b=${BODY//$'\n'/ }
	((${#b} > 200)) && b="${b:0:200}..."
	if [[ $CODE == 000 ]]; then
		printf 'no response (%s)' "$(tr '\n' ' ' <"$work/stderr")"
	else
		printf 'got %s %s' "$CODE" "$b"
	fi
}

ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { FAILED=$((FAILED + 1)); printf 'not ok - %s: %s\n' "$1" "$2"; }

# check NAME CONDITION...: ok when the command CONDITION succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$(got)"; fi
}

status_is() { [[ $CODE == "$1" ]]; }
body_has() { [[ $BODY == *"$1"* ]]; }
# error_is CODE DETAIL: that status, a JSON body {"detail": DETAIL}.
error_is() {
	[[ $CODE == "$1" && $(json_str detail) == "$2" && $(header Content-Type) == application/json* ]]
}

email="e2e-$(date +%s)-$RANDOM$RANDOM@example.com"
password="e2e-pw-$RANDOM$RANDOM$RANDOM"

# --- the service answers ---
req GET /
banner() { status_is 200 && body_has '"message"'; }
check "GET / is 200 with a message" banner

req GET /healthz
healthy() {
	status_is 200 && [[ $(json_str database) == ok && $(json_str redis) == ok ]]
}
check "GET /healthz is 200, database and redis ok" healthy

# --- headers nginx adds ---
req GET /
hsts=$(header Strict-Transport-Security)
if [[ $hsts == *max-age=* ]]; then ok "HSTS header"; else not_ok "HSTS header" "Strict-Transport-Security: '$hsts'"; fi
if [[ $(header X-Content-Type-Options) == nosniff && $(header X-Frame-Options) == DENY &&
    $(header Referrer-Policy) == no-referrer && $(header Content-Security-Policy) == *"default-src 'none'"* ]]; then
	ok "security headers"
else
	not_ok "security headers" "$(grep -i -E '^(x-content-type-options|x-frame-options|referrer-policy|content-security-policy):' "$work/headers" | tr -d '\r' | tr '\n' ' ')"
fi
if [[ -z $(header Server | tr -d 'a-zA-Z') ]]; then ok "no nginx version in Server"; else not_ok "no nginx version in Server" "Server: $(header Server)"; fi

# --- which process answers ---
# All FastCGI processes accept on one socket: which one answers is the
# kernel's choice, and only X-Inventory-Process tells.
NPROCS=${E2E_PROCESSES:-}
[[ -n $NPROCS || -n ${1:-}${E2E_URL:-} ]] || NPROCS=$(stack_value INVENTORY_FCGI_PROCESSES)
if [[ -z $NPROCS ]]; then
	req GET /metrics
	NPROCS=$(awk '$1 == "inventory_processes" { print $2; exit }' <<<"$BODY")
fi
counted() { [[ $NPROCS =~ ^[1-9][0-9]*$ ]]; }
if counted; then ok "the stack has $NPROCS FastCGI processes"; else
	not_ok "the stack has FastCGI processes" "cannot count them (GET /metrics: $(got); set E2E_PROCESSES)"; fi

# each_process FN ARGS...: runs FN ARGS (one request, then whether its
# answer is right) until each of the NPROCS processes has answered, at
# most 100 times. Fails, saying why in WHY, at the first wrong answer or
# when a process has not answered by then.
each_process() {
	local seen=" " pid n=0 i right
	counted || { WHY="the number of processes is unknown"; return 1; }
	for ((i = 0; i < 100 && n < NPROCS; i++)); do
		"$@" && right=0 || right=1
		pid=$(header X-Inventory-Process)
		((right == 0)) || { WHY="process ${pid:-?}: $(got)"; return 1; }
		[[ -n $pid ]] || { WHY="no X-Inventory-Process header (debug_process_header = 1 in the stack's config?)"; return 1; }
		[[ $seen == *" $pid "* ]] || { seen="$seen$pid "; n=$((n + 1)); }
	done
	((n >= NPROCS)) || { WHY="$n of $NPROCS processes answered in $i requests:$seen"; return 1; }
}

# check_each NAME FN ARGS...: ok when each_process FN ARGS succeeds.
check_each() {
	local name=$1
	shift
	if each_process "$@"; then ok "$name"; else not_ok "$name" "$WHY"; fi
}

# --- register, log in, who am I ---
req POST /api/v1/auth/register -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$email\",\"full_name\":\"E2E User\",\"password\":\"$password\"}"
registered() { status_is 201 && [[ $(json_str email) == "$email" ]] && ! body_has password; }
check "register a new user is 201 with the user" registered

req POST /api/v1/auth/register -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$email\",\"full_name\":\"E2E User\",\"password\":\"$password\"}"
check "register the same email again is 400" error_is 400 "Email already registered"

req POST /api/v1/auth/login --data-urlencode "username=$email" --data-urlencode "password=$password"
token=$(json_str access_token)
logged_in() { status_is 200 && [[ -n $token && $(json_str token_type) == bearer ]]; }
check "login (form, password flow) gives a bearer token" logged_in

req POST /api/v1/auth/login --data-urlencode "username=$email" --data-urlencode "password=not-$password"
check "login with a wrong password is 401" error_is 401 "Incorrect email or password"
check "login with a wrong password asks for Bearer (WWW-Authenticate)" \
    test "$(header WWW-Authenticate)" = Bearer
req POST /api/v1/auth/login --data-urlencode "username=nobody-$email" --data-urlencode "password=$password"
wrong_email() { error_is 401 "Incorrect email or password" && [[ $(header WWW-Authenticate) == Bearer ]]; }
check "login with an unknown e-mail is 401 with WWW-Authenticate: Bearer" wrong_email

req GET /api/v1/users/me -H "Authorization: Bearer $token"
me() { status_is 200 && [[ $(json_str email) == "$email" ]]; }
check "GET /users/me with the token is the user" me

req GET /api/v1/users/me
if error_is 401 "Not authenticated" && [[ $(header WWW-Authenticate) == Bearer* ]]; then
	ok "GET /users/me without a token is 401 with WWW-Authenticate: Bearer"
else
	not_ok "GET /users/me without a token is 401 with WWW-Authenticate: Bearer" "$(got) WWW-Authenticate: '$(header WWW-Authenticate)'"
fi

req GET /api/v1/users/me -H "Authorization: Bearer not.a.token"
check "GET /users/me with a bad token is 401" error_is 401 "Could not validate credentials"

# --- products and inventory, through every FastCGI process ---
sku="E2E-$(date +%s)-$RANDOM$RANDOM"
admin_token=
if [[ -n $ADMIN_EMAIL && -n $ADMIN_PASSWORD ]]; then
	req POST /api/v1/auth/login --data-urlencode "username=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD"
	admin_token=$(json_str access_token)
	admin_in() { status_is 200 && [[ -n $admin_token ]]; }
	check "admin login" admin_in
else
	not_ok "admin login" "no admin credentials (set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD)"
fi
ADMIN=(-H "Authorization: Bearer $admin_token")
USER=(-H "Authorization: Bearer $token")
JSON_CT=(-H 'Content-Type: application/json')

req POST /api/v1/products "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"sku\":\"$sku\",\"name\":\"E2E Widget\",\"price\":19.90,\"category\":\"e2e\"}"
product_id=$(json_num id)
product_made() { status_is 201 && [[ -n $product_id && $(json_str sku) == "$sku" ]] && body_has '"price":19.90,'; }
check "create a product is 201 with the exact price" product_made

req GET "/api/v1/products/$product_id" "${USER[@]}"
product_read() { status_is 200 && [[ $(json_str sku) == "$sku" ]] && body_has '"price":19.90,'; }
check "a user reads the product" product_read

req POST /api/v1/inventory "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"product_id\":${product_id:-0},\"quantity_in_stock\":25,\"reorder_level\":5}"
inventory_id=$(json_num id)
inventory_made() { status_is 201 && [[ -n $inventory_id && $(json_num quantity_in_stock) == 25 && -n $(json_str last_restock_date) ]]; }
check "create its inventory is 201 with last_restock_date" inventory_made

# Each process reads through the cache; all must agree.
stock_is() {
	status_is 200 && [[ $(json_num quantity_in_stock) == "$1" ]]
}
item_stock_is() { req GET "/api/v1/inventory/$inventory_id" "${USER[@]}"; stock_is "$1"; }
product_stock_is() { req GET "/api/v1/inventory/product/$product_id" "${USER[@]}"; stock_is "$1"; }
item_is_the_record() { item_stock_is 25 && [[ $(json_str product_sku) == "$sku" ]]; }
check_each "every process reads the record" item_is_the_record

req POST "/api/v1/inventory/$inventory_id/adjust" "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"quantity":-5,"reason":"e2e"}'
check "adjust by -5 is 200 with stock 20" stock_is 20

check_each "every process reads the adjusted stock at once" item_stock_is 20
check_each "every process reads it by product at once" product_stock_is 20

req POST "/api/v1/inventory/$inventory_id/adjust" "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"quantity":-100}'
check "adjust below zero is 400" error_is 400 "Cannot reduce stock below zero"

req DELETE "/api/v1/products/$product_id" "${ADMIN[@]}"
check "delete the product is 204" status_is 204

req GET "/api/v1/inventory/$inventory_id" "${USER[@]}"
check "its inventory went with it" error_is 404 "Inventory item with id $inventory_id not found"

# --- errors, from nginx and from the application ---
req GET /no/such/page
check "unknown path outside the API is 404 JSON (nginx)" error_is 404 "Not Found"

req GET /api/v1/no-such-thing
check "unknown path in the API is 404 JSON (application)" error_is 404 "Not Found"

# nginx's own 404 is JSON whatever the extension of the path (mime.types
# would make these text/html, text/css), and a prefix without its slash
# is a 404 rather than nginx's redirect to the path with one.
for path in /x/page.html /x/style.css /api/v1/no-such-page.html /api /api/v1/auth; do
	req GET "$path"
	check "GET $path is 404 JSON, no redirect" error_is 404 "Not Found"
done

# nginx refuses TRACE itself, before it picks a location; the answer is
# still the path's: on an API path the application's 405 with the same
# Allow as for any method it lacks, on a static path 405 with Allow: GET,
# HEAD (like any other method there), elsewhere 404.
req PATCH /api/v1/products
allow=$(header Allow)
req TRACE /api/v1/products
if error_is 405 "Method Not Allowed" && [[ -n $allow && $(header Allow) == "$allow" ]]; then
	ok "TRACE /api/v1/products is 405 with the path's Allow ($allow)"
else
	not_ok "TRACE /api/v1/products is 405 with the path's Allow ($allow)" "$(got) Allow: '$(header Allow)'"
fi
static_405() { error_is 405 "Method Not Allowed" && [[ $(header Allow) == "GET, HEAD" ]]; }
for m in TRACE PUT DELETE POST; do
	req "$m" /api/v1/openapi.json
	check "$m /api/v1/openapi.json is 405 JSON, Allow: GET, HEAD (nginx)" static_405
done
req TRACE /docs
check "TRACE /docs is 405 JSON, Allow: GET, HEAD (nginx)" static_405
req TRACE /no/such/page
check "TRACE /no/such/page is 404 JSON" error_is 404 "Not Found"

req DELETE /api/v1/auth/login
allow=$(header Allow)
if error_is 405 "Method Not Allowed" && [[ $allow == *POST* ]]; then
	ok "DELETE /auth/login is 405 with Allow"
else
	not_ok "DELETE /auth/login is 405 with Allow" "$(got) Allow: '$allow'"
fi

head -c 102400 /dev/zero | tr '\0' 'x' >"$work/big"
req POST /api/v1/auth/register -H 'Content-Type: application/json' --data-binary "@$work/big"
check "a 100 KiB body is 413 JSON" error_is 413 "Request Entity Too Large"

req POST /api/v1/auth/register -H 'Content-Type: application/json' --data-binary '{"email":'
unprocessable() { status_is 422 && body_has '"detail"'; }
check "malformed JSON is 422" unprocessable

# --- orders (products need an admin; these need none) ---
req GET /api/v1/orders -H "Authorization: Bearer $token"
no_orders() { status_is 200 && [[ $(tr -d ' \n' <<<"$BODY") == '[]' && $(header X-Total-Count) == 0 ]]; }
check "GET /orders of a new user is an empty list, X-Total-Count 0" no_orders
length=$(header Content-Length)

# HEAD on every GET route: the GET's status and headers, no body.
req HEAD /api/v1/orders -H "Authorization: Bearer $token"
head_list() {
	status_is 200 && [[ -z $BODY && $(header X-Total-Count) == 0 && $(header Content-Length) == "${length:-?}" &&
	    $(header Content-Type) == application/json* ]]
}
check "HEAD /orders: 200, X-Total-Count and the GET's Content-Length, no body" head_list
req HEAD /api/v1/orders/9223372036854775807 -H "Authorization: Bearer $token"
head_404() { status_is 404 && [[ -z $BODY && $(header Content-Length) -gt 0 && $(header Content-Type) == application/json* ]]; }
check "HEAD on a missing order: 404, no body" head_404
req HEAD /api/v1/orders
head_401() { status_is 401 && [[ -z $BODY && $(header WWW-Authenticate) == Bearer ]]; }
check "HEAD /orders without a token: 401, no body" head_401

# Strict query strings (loc ["query", name]).
query_422() { status_is 422 && body_has "\"loc\":[\"query\",\"$1\"]"; }
req GET '/api/v1/orders?limit=%zz' -H "Authorization: Bearer $token"
check "GET /orders?limit=%zz is 422, not the default page" query_422 limit
req GET '/api/v1/orders?limit=1&limit=5000' -H "Authorization: Bearer $token"
check "GET /orders?limit=1&limit=5000 is 422, not the first" query_422 limit
req GET '/api/v1/orders?status=bogus' -H "Authorization: Bearer $token"
check "GET /orders?status=bogus is 422" query_422 status

nowhere='{"shipping_address":"1 E2E Street","items":[{"product_id":9223372036854775807,"quantity":1}]}'
req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "$nowhere"
check "POST /orders for a product that does not exist is 404" \
    error_is 404 "Product with id 9223372036854775807 not found"

idem_key="e2e-$RANDOM$RANDOM"
req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $idem_key" --data-binary "$nowhere"
first=$BODY
req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $idem_key" --data-binary "$nowhere"
replayed() { status_is 404 && [[ $BODY == "$first" && $(header Idempotent-Replayed) == true ]]; }
check "Idempotency-Key reaches the application: the answer is replayed" replayed

# The same order, members and white space otherwise: the same request.
req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $idem_key" \
    --data-binary '{ "items": [ {"quantity": 1, "product_id": 9223372036854775807} ], "shipping_address": "1 E2E Street" }'
check "Idempotency-Key: the same order with its keys reordered is replayed" replayed

# curl sends "Idempotency-Key;" as the header with an empty value.
req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H 'Idempotency-Key;' --data-binary "$nowhere"
empty_key() { status_is 422 && body_has '"loc":["header","idempotency-key"]'; }
check "an empty Idempotency-Key is 422, not taken as none" empty_key

req POST /api/v1/orders -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary '{"shipping_address":"x","items":[{"product_id":1,"quantity":1},{"product_id":1,"quantity":2}]}'
check "POST /orders with a product listed twice is 422" unprocessable

req GET /api/v1/orders/admin -H "Authorization: Bearer $token"
check "GET /orders/admin as a user is 403" error_is 403 "Not enough permissions"

req GET '/api/v1/orders/admin?user_id=%zz' "${ADMIN[@]}"
check "GET /orders/admin?user_id=%zz is 422, not every order" query_422 user_id

# --- an order: reserved, seen by every process, cancelled, released ---
req POST /api/v1/products "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"sku\":\"$sku-O\",\"name\":\"E2E Order Widget\",\"price\":2.50}"
order_product=$(json_num id)
req POST /api/v1/inventory "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"product_id\":${order_product:-0},\"quantity_in_stock\":10}"
order_inventory=$(json_num id)
check "a product with 10 in stock to order" status_is 201

req POST /api/v1/orders "${USER[@]}" "${JSON_CT[@]}" -H "Idempotency-Key: $idem_key-order" \
    --data-binary "{\"shipping_address\":\"1 E2E Street\",\"items\":[{\"product_id\":${order_product:-0},\"quantity\":3}]}"
order_id=$(json_num order_id)	# the items' order_id: "id" would match an item's
order_made() {
	status_is 201 && [[ -n $order_id && $(json_str status) == pending && $(json_str order_number) == ORD-* ]] &&
	    body_has '"total_amount":7.50,'
}
check "place an order is 201, pending, total 7.50" order_made

# reserved_is N: the record read has N reserved.
reserved_is() {
	req GET "/api/v1/inventory/$order_inventory" "${USER[@]}"
	status_is 200 && [[ $(json_num quantity_reserved) == "$1" ]]
}
check_each "every process reads the 3 reserved at once" reserved_is 3

req GET "/api/v1/orders/$order_id" "${USER[@]}"
order_read() { status_is 200 && [[ $(json_num order_id) == "$order_id" ]] && body_has '"quantity":3,'; }
check "GET /orders/{id} is the order with its item" order_read

req DELETE "/api/v1/orders/$order_id" "${USER[@]}"
check "its owner cancels it: 204" status_is 204
check_each "every process reads the reservation released" reserved_is 0

req DELETE "/api/v1/orders/$order_id" "${USER[@]}"
check "cancelling it again is 400" error_is 400 "Cannot cancel order in cancelled status"

req DELETE "/api/v1/products/$order_product" "${ADMIN[@]}"
check "a product that was ordered cannot be deleted" error_is 409 "Product has orders"

# --- account changes take effect at once; e-mail case is ignored ---
req POST /api/v1/auth/login --data-urlencode "username=${email^^}" --data-urlencode "password=$password"
check "login with the e-mail in upper case is 200" status_is 200
req GET /api/v1/users/me "${USER[@]}"
user_id=$(json_num id)
req GET /api/v1/users/me "${ADMIN[@]}"
admin_id=$(json_num id)
req PATCH "/api/v1/users/${admin_id:-0}" "${ADMIN[@]}" "${JSON_CT[@]}" --data-binary '{"is_admin":false}'
check "an admin cannot demote itself (403)" error_is 403 "Cannot change your own role or status"
req PATCH "/api/v1/users/${user_id:-0}" "${ADMIN[@]}" "${JSON_CT[@]}" --data-binary '{"is_active":false}'
check "the admin deactivates the user" status_is 200
req POST /api/v1/orders "${USER[@]}" "${JSON_CT[@]}" \
    --data-binary '{"shipping_address":"1 Main St","items":[{"product_id":1,"quantity":1}]}'
check "the deactivated user's token cannot order any more (400)" error_is 400 "Inactive user"

# --- webhooks: made, read, changed, its secret shown twice only ---
hook_made() { status_is 201 && [[ -n $hook_id && $(json_str secret) =~ ^[0-9a-f]{64}$ && $(header Cache-Control) == no-store ]]; }
no_secret() { status_is 200 && ! body_has '"secret"'; }
req POST /api/v1/webhooks "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"url":"http://127.0.0.1:9/e2e","events":["order.created","order.shipped"],"description":"e2e"}'
hook_id=$(json_num id)
check "POST /webhooks is 201 with its secret, kept by no cache" hook_made
req GET "/api/v1/webhooks/${hook_id:-0}" "${ADMIN[@]}"
check "GET /webhooks/{id} does not show the secret" no_secret
req GET "/api/v1/webhooks?limit=1000" "${ADMIN[@]}"
check "GET /webhooks lists them, without secrets" no_secret
req PATCH "/api/v1/webhooks/${hook_id:-0}" "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"events":["order.delivered"],"is_active":false}'
check "PATCH /webhooks/{id} changes it, no secret shown" no_secret
req POST "/api/v1/webhooks/${hook_id:-0}/rotate-secret" "${ADMIN[@]}"
check "POST /webhooks/{id}/rotate-secret shows the new secret" status_is 200
req GET "/api/v1/webhooks/${hook_id:-0}/deliveries" "${ADMIN[@]}"
check "GET /webhooks/{id}/deliveries of a new webhook is an empty page" no_orders
req POST "/api/v1/webhooks/${hook_id:-0}/deliveries/9223372036854775807/redeliver" "${ADMIN[@]}"
check "POST .../redeliver of no delivery is 404" error_is 404 "Delivery with id 9223372036854775807 not found"
req POST /api/v1/webhooks "${USER[@]}" "${JSON_CT[@]}" \
    --data-binary '{"url":"http://127.0.0.1:9/e2e","events":["order.created"]}'
check "POST /webhooks as a user is 403" error_is 403 "Not enough permissions"
req DELETE "/api/v1/webhooks/${hook_id:-0}" "${ADMIN[@]}"
check "DELETE /webhooks/{id} is 204" status_is 204

# --- low stock: a fall makes a reorder suggestion, the admin orders it ---
req POST /api/v1/products "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"sku\":\"$sku-RS\",\"name\":\"e2e reorder\",\"price\":3}"
rs_pid=$(json_num id)
req POST /api/v1/inventory "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary "{\"product_id\":${rs_pid:-0},\"quantity_in_stock\":20,\"reorder_level\":10,\"reorder_quantity\":40}"
rs_iid=$(json_num id)
req POST "/api/v1/inventory/${rs_iid:-0}/adjust" "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"quantity":-12,"reason":"e2e breakage"}'
check "an adjustment below the reorder level makes the record low" body_has '"needs_reorder":true'
req GET "/api/v1/inventory/reorder-suggestions?status=open&limit=1000" "${ADMIN[@]}"
rs_id=$(tr -d '\n' <<<"$BODY" | grep -o "{[^{}]*\"inventory_id\": *${rs_iid:-0},[^{}]*}" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
check "GET /inventory/reorder-suggestions lists its open suggestion" test -n "$rs_id"
req PATCH "/api/v1/inventory/reorder-suggestions/${rs_id:-0}" "${ADMIN[@]}" "${JSON_CT[@]}" \
    --data-binary '{"status":"ordered"}'
check "PATCH /inventory/reorder-suggestions/{id} marks it ordered" body_has '"status":"ordered"'
req DELETE "/api/v1/products/${rs_pid:-0}" "${ADMIN[@]}"
check "the product goes again, its record and suggestion with it" status_is 204

# --- /metrics: every documented metric, and counters that move ---
METRICS=(inventory_http_requests_total inventory_http_request_duration_seconds_bucket
    inventory_http_request_duration_seconds_sum inventory_http_request_duration_seconds_count
    inventory_cache_hits_total inventory_cache_misses_total inventory_cache_errors_total
    inventory_db_reconnects_total inventory_db_transaction_retries_total inventory_processes
    inventory_queue_up inventory_queue_depth inventory_queue_inflight
    inventory_queue_scheduled_retries inventory_queue_dead_letters
    inventory_db_statement_duration_seconds_bucket inventory_db_statement_duration_seconds_sum
    inventory_db_statement_duration_seconds_count inventory_build_info
    process_cpu_seconds_total process_start_time_seconds process_resident_memory_bytes
    process_open_fds inventory_db_up inventory_queue_workers inventory_queue_workers_alive
    inventory_queue_oldest_job_age_seconds inventory_worker_jobs_total
    inventory_worker_last_seen_timestamp_seconds inventory_audit_violations
    inventory_audit_timestamp_seconds)
# sample NAME-WITH-LABELS: the value of that line of the last scrape.
sample() { awk -v k="$1 " 'index($0, k) == 1 { print $NF; exit }' <<<"$BODY"; }
req GET /metrics
check "GET /metrics is 200 from loopback" status_is 200
missing=
for m in "${METRICS[@]}"; do
	grep -q "^$m[{ ]" <<<"$BODY" || missing="$missing $m"
done
if [[ -z $missing ]]; then ok "/metrics has every documented metric"; else
	not_ok "/metrics has every documented metric" "missing:$missing"; fi
# Prometheus's own parser (Debian's prometheus package) must accept it.
if ! command -v promtool >/dev/null; then
	not_ok "promtool accepts /metrics" "no promtool (apt-get install prometheus)"
elif lint=$(promtool check metrics <<<"$BODY" 2>&1); then
	ok "promtool accepts /metrics"
else
	not_ok "promtool accepts /metrics" "$lint"
fi
check "MariaDB is up, as the scrape saw it" [ "$(sample inventory_db_up)" = 1 ]
ROOT_COUNT='inventory_http_request_duration_seconds_count{method="GET",route="/"}'
PING_COUNT='inventory_db_statement_duration_seconds_count{statement="ping"}'
root_before=$(sample 'inventory_http_requests_total{method="GET",route="/",status="200"}')
count_before=$(sample "$ROOT_COUNT")
ping_before=$(sample "$PING_COUNT")
req GET /
req GET /healthz
req GET /metrics
root_after=$(sample 'inventory_http_requests_total{method="GET",route="/",status="200"}')
count_after=$(sample "$ROOT_COUNT")
ping_after=$(sample "$PING_COUNT")
if ((${root_after:-0} > ${root_before:-0} && ${count_after:-0} > ${count_before:-0})); then
	ok "request and route latency counters move with traffic (GET / ${root_before:-0} -> $root_after)"
else
	not_ok "request and route latency counters move" "GET /: ${root_before:-none} -> ${root_after:-none}, count ${count_before:-none} -> ${count_after:-none}"
fi
if ((${ping_after:-0} > ${ping_before:-0})); then
	ok "the ping statement's histogram moves with GET /healthz (${ping_before:-0} -> $ping_after)"
else
	not_ok "the ping statement's histogram moves" "${ping_before:-none} -> ${ping_after:-none}"
fi
procs=$(grep -c '^process_open_fds{pid="[0-9]*"} [0-9]' <<<"$BODY")
check "process gauges for each FastCGI process ($procs)" [ "$procs" = "$(sample inventory_processes)" ]
if (($(sample inventory_cache_hits_total) + $(sample inventory_cache_misses_total) > 0)); then
	ok "cache counters moved with the inventory reads"
else
	not_ok "cache counters moved" "hits and misses are 0"
fi
check "the queue's Redis answered the scrape" [ "$(sample inventory_queue_up)" = 1 ]

# --- every response carried a request id, each its own ---
if ((${#NOID[@]} == 0 && NREQ > 0)); then
	ok "X-Request-ID on all $NREQ responses"
else
	not_ok "X-Request-ID on all $NREQ responses" "missing on: ${NOID[*]:-no response at all}"
fi
if ((${#IDS[@]} > 1)) && [[ $(printf '%s\n' "${IDS[@]}" | sort -u | wc -l) -eq ${#IDS[@]} ]]; then
	ok "X-Request-IDs are unique"
else
	not_ok "X-Request-IDs are unique" "${IDS[*]:-none}"
fi

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
