#!/usr/bin/env bash
# t/e2e_operations.sh: one answered call of each documented operation that
# t/e2e.sh does not call, through nginx with curl, so that the responses
# kept for t/e2e_openapi.sh (E2E_RECORD) cover every operation of
# doc/openapi.json: the document itself, token refresh and logout, the
# admin's user list, product and inventory listing and updates, stock
# movements, low stock, and orders cancelled by update and by DELETE.
#
# Usage: t/e2e_operations.sh [URL], with the variables of t/e2e.sh
# (E2E_URL, E2E_CACERT, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD; by default
# run/stack.env's). Needs the admin's login.
#
# Prints "ok - NAME" or "not ok - NAME: what came back" and then "N passed,
# M failed"; exit 1 when M > 0. It leaves a product (SKU E2E-OPS-...) with
# its inventory and two cancelled orders.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t/e2e_lib.sh
. "$here/e2e_lib.sh"
e2e_settings t/e2e_operations.sh "${1:-}"
TLS=(--insecure)
[[ -z $CACERT ]] || TLS=(--cacert "$CACERT")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PASSED=0
FAILED=0
TOKEN=

# call NAME WANT METHOD PATH [JSON]: one request, as the admin once logged
# in; ok when the status is one of WANT ("200" or "204|409"). Sets BODY.
call() {
	local name=$1 want=$2 method=$3 path=$4 args=() code
	shift 4
	[[ -z $TOKEN ]] || args+=(-H "Authorization: Bearer $TOKEN")
	(($#)) && args+=(-H 'Content-Type: application/json' --data-binary "$1")
	code=$(curl -sS "${TLS[@]}" --max-time 10 -X "$method" "${args[@]}" \
	    -D "$work/headers" -o "$work/body" -w '%{http_code}' "$URL$path" \
	    2>"$work/stderr")
	[[ -n $code ]] || code=000
	e2e_record "$method" "$path" "$code" "$work/headers" "$work/body"
	BODY=$(tr -d '\r\n' <"$work/body")
	if [[ $code =~ ^($want)$ ]]; then
		PASSED=$((PASSED + 1))
		echo "ok - $name"
	else
		FAILED=$((FAILED + 1))
		echo "not ok - $name: want $want, got $code ${BODY:0:200}$(tr '\n' ' ' <"$work/stderr")"
	fi
}

# field KEY: the string or number value of the first "KEY" in BODY (an
# object's own members come before those of the objects it holds).
field() {
	grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}[^\",}]*" <<<"$BODY" |
	    head -n 1 | sed -e 's/^[^:]*:[[:space:]]*"\{0,1\}//'
}

call "the OpenAPI document" 200 GET /api/v1/openapi.json
code=$(curl -sS "${TLS[@]}" --max-time 10 -D "$work/headers" -o "$work/body" \
    -w '%{http_code}' --data-urlencode "username=$ADMIN_EMAIL" \
    --data-urlencode "password=$ADMIN_PASSWORD" "$URL/api/v1/auth/login")
e2e_record POST /api/v1/auth/login "$code" "$work/headers" "$work/body"
BODY=$(tr -d '\r\n' <"$work/body")
refresh=$(field refresh_token)
call "refresh the admin's tokens" 200 POST /api/v1/auth/refresh \
    "{\"refresh_token\":\"$refresh\"}"
TOKEN=$(field access_token)
refresh=$(field refresh_token)
call "list the users" 200 GET '/api/v1/users?limit=5'
call "list the products" 200 GET '/api/v1/products?limit=5'
sku=E2E-OPS-$(date +%s)-$$
call "create a product" 201 POST /api/v1/products \
    "{\"sku\":\"$sku\",\"name\":\"Operations check\",\"price\":12.5}"
product=$(field id)
call "update the product" 200 PUT "/api/v1/products/$product" \
    '{"price":13.75,"category":"checks"}'
call "create its inventory" 201 POST /api/v1/inventory \
    "{\"product_id\":$product,\"quantity_in_stock\":5,\"reorder_level\":10}"
inventory=$(field id)
call "list the inventory" 200 GET '/api/v1/inventory?limit=5'
call "update the inventory" 200 PUT "/api/v1/inventory/$inventory" \
    '{"quantity_in_stock":6}'
call "its stock movements" 200 GET "/api/v1/inventory/$inventory/movements"
call "low stock" 200 GET /api/v1/inventory/status/low-stock
order='{"shipping_address":"1 Check Street","items":[{"product_id":'$product',"quantity":1}]}'
call "place an order" 201 POST /api/v1/orders "$order"
call "cancel it by an update" 200 PUT "/api/v1/orders/$(field id)" \
    '{"status":"cancelled"}'
call "place another" 201 POST /api/v1/orders "$order"
call "cancel it by DELETE" 204 DELETE "/api/v1/orders/$(field id)"
call "log out" 204 POST /api/v1/auth/logout "{\"refresh_token\":\"$refresh\"}"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
