#!/usr/bin/env bash
# t/e2e_badinput.sh: hostile input through nginx, for every route of the
# route table in src/router.c (issue 6, "Hostile input"): the request
# cases of t/requests/, and the cases this script writes from the route
# table and the field specs below, all run by one driver,
# t/check_requests (the format of a case: README, "Request cases").
#
# Usage: t/e2e_badinput.sh [URL]
#   URL, E2E_URL, E2E_CACERT, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD
#               as for t/e2e.sh (defaults from run/stack.env, which
#               `tools/devstack up` writes, when no URL is given)
#   E2E_REQUESTS_DRIVER  the driver (default: build/t/check_requests)
#
# t/requests/ holds what is one request and one answer: the setup (an
# admin's and a user's tokens, a product with SQL-looking text, its
# stock, an order), SQL-looking text read back verbatim, the handlers'
# 404s, each list's own query filters, sums beyond the columns' bounds,
# Idempotency-Key, the login form, chunked bodies, odd paths, and the
# checks afterwards (the order cancelled again, the tables still there,
# /healthz). What stays here is what follows from the route table and
# the field specs, so that a new route or field is covered without a
# file written for it (doc/openapi.json, and doc/design.md, "The HTTP
# contract"):
#   - every path of the route table with every method it lacks: 405 with
#     an Allow header naming exactly the methods of that path, HEAD with
#     GET (before any authentication);
#   - every route that needs a token: none, a bad one, a refresh token
#     (401), a user's on an admin route (403);
#   - every {id} with 0, -1, abc, 1.5, 2^63 and 99999999999999999999: 404
#     "Not Found" (the router's);
#   - skip and limit of every list, bad and good;
#   - every body field of every JSON route (the table FIELDS below) with
#     wrong types, the bounds 0, -1, 2^31-1, 2^31, 2^63-1, 2^63, -2^63-1,
#     1e400, 1.5, 1.234, 1e308, "5", 10,000-character strings, invalid
#     UTF-8, raw NUL, \u0000, a lone surrogate, SQL-looking strings: 422
#     naming the field (or the body, for what the parser refuses) when the
#     value breaks the field's spec, else the route's usual answer;
#   - every JSON route with a wrong or missing Content-Type, no body,
#     malformed JSON, a top level that is no object, nesting 17 deep and
#     30,000 deep, duplicate keys (the last one counts, as in FastAPI),
#     64 KiB (accepted), 64 KiB + 1 and 1 MiB (413 from nginx, JSON);
#   - URL fields (image_url): only absolute http(s) URLs.
# The driver holds every answer to two rules besides: never 5xx, and
# every error a JSON {"detail": ...}. Limits: a header or URI beyond
# nginx's buffers (8k) is sent over HTTP/1.1, where nginx answers 400 or
# 414 (JSON); over HTTP/2 it resets the stream without an answer. TRACE,
# which nginx refuses itself, is answered like any other method the path
# lacks (the site file hands it to the application for that).
#
# Each check prints "ok - NAME" or "not ok - NAME" with what differed;
# the last line is "N passed, M failed", and the exit status is 1 when
# M > 0. The setup registers one user (a unique badinput-...@example.com)
# and leaves it; the product it orders from keeps the cancelled order
# (an ordered product cannot be deleted); the products the checks
# create go again. Needs bash, curl and the driver.
set -uo pipefail
shopt -s extglob

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROUTER_C=$here/../src/router.c
# shellcheck source=t/e2e_lib.sh
. "$here/e2e_lib.sh"
e2e_settings t/e2e_badinput.sh "${1:-}"
DRIVER=${E2E_REQUESTS_DRIVER:-$here/../build/t/check_requests}
[[ -x $DRIVER ]] || { echo "t/e2e_badinput.sh: no driver $DRIVER (make check builds it)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The cases written here run after t/requests/'s setup and before its
# checks afterwards (the driver orders all cases by their path).
CASES=$work/cases/50-routes
mkdir -p "$CASES"

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { FAILED=$((FAILED + 1)); printf 'not ok - %s: %s\n' "$1" "$2"; }

API=/api/v1
MISSING=9223372036854775807	# a valid id no row has (2^63-1)

# ------------------------------------------------------------ cases

# Bodies too big or too deep to write out: the driver's {N*c} and
# {pad:N} make them; b64, deep16 and manykeys are set per route below.
MANYKEYS=$(for ((i = 0; i < 5000; i++)); do printf '"k%d":%d,' "$i" "$i"; done)
declare -A PREPARED=(
	[1mib]='{1048576*x}'
	[64kib1]='{65537* }{}'
	[deep17]='{"x":{16*[}{16*]}}'
	[deep30000]='{30000*[}{30000*]}'
)

# expect EXPECT: the expectation of a case, in the driver's format.
#   422            that status (several: 201/400; a class: 4xx)
#   422@body,name  and a 422 detail whose loc is ["body","name"]
#   404:Not Found  and {"detail": "Not Found"}
#   405=GET, POST  and Allow: GET, POST
expect() {
	local e=$1 part loc=
	case $e in
	*=*) printf '%s\nAllow: %s\n' "${e%%=*}" "${e#*=}" ;;
	*:*) printf '%s\n\n{"detail": "%s"}\n' "${e%%:*}" "${e#*:}" ;;
	*@*)
		local IFS=,
		for part in ${e#*@}; do
			if [[ $part =~ ^[0-9]+$ ]]; then loc+=", $part"; else loc+=", \"$part\""; fi
		done
		printf '%s\n\n{"detail": ["...", {"loc": [%s]}]}\n' "${e%%@*}" "${loc#, }" ;;
	*) printf '%s\n' "${e//\// }" ;;
	esac
}

# t NAME METHOD PATH AUTH CT EXPECT BODY: writes one case. AUTH is -,
# user, admin, refresh (the refresh token as a bearer) or a literal
# Authorization value; CT is - for no Content-Type; BODY is - for none,
# @NAME for PREPARED[NAME], else text through printf %b (\xHH makes any
# byte, a JSON backslash is written \\). {10k} is 10,000 x's; the
# driver fills in {missing}, {uniq}, {pid}, {email}... EXTRA=(--http1.1)
# sends it over HTTP/1.1. A product a case makes is deleted at the end.
EXTRA=()
NCASE=0
t() {
	local name=$1 method=$2 path=$3 auth=$4 ct=$5 exp=$6 body=$7 file
	[[ $body == @* ]] && body=${PREPARED[${body#@}]}
	printf -v file '%s/%05d.http' "$CASES" "$NCASE"
	{
		printf '# %s\n%s %s%s\n' "$name" "$method" "${path//\{10k\}/\{10000*x\}}" \
		    "${EXTRA[*]:+ HTTP/1.1}"
		case $auth in
		-) ;;
		user | admin | refresh) printf 'Authorization: Bearer {%s}\n' "$auth" ;;
		*) printf 'Authorization: %s\n' "${auth//\{10k\}/\{10000*x\}}" ;;
		esac
		[[ $ct == - ]] || printf 'Content-Type: %s\n' "$ct"
		printf '\n'
		[[ $body == - ]] || printf '%b\n' "${body//\{10k\}/\{10000*x\}}"
		printf '=== expect\n'
		expect "$exp"
		if [[ "$method $path" == "POST $API/products" && $exp == *201* ]]; then
			printf '=== cleanup\nDELETE %s/products/{@id}\nAuthorization: Bearer {admin}\n' "$API"
		elif [[ "$method $path" == "POST $API/webhooks" && $exp == *201* ]]; then
			printf '=== cleanup\nDELETE %s/webhooks/{@id}\nAuthorization: Bearer {admin}\n' "$API"
		fi
	} >"$file"
	NCASE=$((NCASE + 1))
}

# table: writes the cases of a table on standard input, one a line:
#   METHOD | PATH | AUTH | CONTENT-TYPE | EXPECT | BODY [| NAME]
# Blank lines and lines starting with # are skipped; a NAME that says
# HTTP/1.1 sends the case over HTTP/1.1 (else curl's HTTP/2).
table() {
	local method path auth ct exp body name shown
	while IFS='|' read -r method path auth ct exp body name; do
		trim method path auth ct exp body name
		[[ -z $method || $method == \#* ]] && continue
		name=${name:+ $name}
		shown=$body
		((${#shown} > 70)) && shown="${shown:0:70}..."
		[[ $ct == application/json || ($ct == - && $body == -) ]] || name+=" [ct $ct]"
		[[ $shown == - ]] || name+=" $shown"
		[[ $name == *HTTP/1.1* ]] && EXTRA=(--http1.1)
		t "$method $path$name -> $exp" "$method" "$path" "$auth" "$ct" "$exp" "$body"
		EXTRA=()
	done
}

# trim VAR...: strips the white space around each variable's value.
trim() {
	local -n v
	for v; do
		v=${v##+([[:space:]])}
		v=${v%%+([[:space:]])}
	done
}

# ----------------------------------------------------------- route table

# The route table of src/router.c, one "METHOD PATH ROLE BODY" a line.
routes() {
	awk '/^const struct route routes\[\] = \{/,/^\};/' "$ROUTER_C" | awk '
	/\{ HTTP_/ {
		row = $0
		while (row !~ /\},[[:space:]]*$/ && (getline l) > 0)
			row = row " " l
		# The pattern, quoted, may hold braces: take it out first.
		match(row, /"[^"]*"/)
		path = substr(row, RSTART + 1, RLENGTH - 2)
		if (substr(row, 1, RSTART - 1) ~ /API[[:space:]]*$/)
			path = "/api/v1" path
		rest = substr(row, RSTART + RLENGTH)
		gsub(/[{},&]/, " ", row)
		gsub(/[{},&]/, " ", rest)
		split(row, f, /[ \t]+/)
		k = 1
		while (f[k] == "") k++
		n = split(rest, g, /[ \t]+/)
		k2 = 1
		while (g[k2] == "") k2++
		# rest: handler, role, body kind, spec
		print substr(f[k], 6), path, g[k2 + 1], g[k2 + 2]
	}'
}

# ------------------------------------------------- 405 for every path

# For each path of the table (an {id} filled with 2^63-1), every method
# it lacks answers 405 with the path's methods in Allow, in the router's
# order (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), before any token
# is asked for. A path with GET has HEAD too (the GET route answers it).
# TRACE too, though nginx refuses it before the application sees it.
ORDER=(GET HEAD POST PUT PATCH DELETE OPTIONS)
declare -A METHODS=()
declare -a PATHS=()
while read -r method path role body; do
	[[ -n ${METHODS[$path]:-} ]] || PATHS+=("$path")
	METHODS[$path]+=" $method"
	[[ $method == GET ]] && METHODS[$path]+=" HEAD"
done < <(routes)
if ((${#PATHS[@]} >= 20)); then
	ok "read the route table of src/router.c (${#PATHS[@]} paths)"
else
	not_ok "read the route table of src/router.c" "only ${#PATHS[@]} paths"
fi

for path in "${PATHS[@]}"; do
	allow=
	for m in "${ORDER[@]}"; do
		[[ " ${METHODS[$path]} " == *" $m "* ]] && allow+=", $m"
	done
	allow=${allow#, }
	for m in "${ORDER[@]}" BREW TRACE; do
		[[ " ${METHODS[$path]} " == *" $m "* ]] && continue
		t "$m $path is 405, Allow: $allow" "$m" "${path//\{id\}/$MISSING}" - - "405=$allow" -
	done
done

# ------------------------------------------- tokens and roles, every route

while read -r method path role body; do
	p=${path//\{id\}/$MISSING}
	case $role in
	ROLE_USER | ROLE_ADMIN)
		t "$method $path without a token is 401" "$method" "$p" - - "401:Not authenticated" -
		t "$method $path with Basic auth is 401" "$method" "$p" "Basic YTpi" - "401:Not authenticated" -
		t "$method $path with a bad token is 401" "$method" "$p" "Bearer x.y.z" - \
		    "401:Could not validate credentials" -
		# HTTP/1.1: over HTTP/2 nginx resets the stream of a header
		# beyond large_client_header_buffers (8k) without an answer.
		EXTRA=(--http1.1)
		t "$method $path with a 10,000-character token (HTTP/1.1) is 400" "$method" "$p" \
		    "Bearer {10k}" - "400:Request Header Or Cookie Too Large" -
		EXTRA=()
		t "$method $path with a refresh token is 401" "$method" "$p" refresh - \
		    "401:Could not validate credentials" -
		;;
	esac
	if [[ $role == ROLE_ADMIN ]]; then
		t "$method $path as a user is 403" "$method" "$p" user - "403:Not enough permissions" -
	fi
	# HEAD answers as GET: the same refusals (no body to compare).
	if [[ $method == GET && $role != ROLE_NONE ]]; then
		t "HEAD $path without a token is 401" HEAD "$p" - - 401 -
		[[ $role == ROLE_ADMIN ]] && t "HEAD $path as a user is 403" HEAD "$p" user - 403 -
	fi
done < <(routes)

# -------------------------------------------------- path ids, every route

BAD_IDS=(0 -1 abc 1.5 9223372036854775808 99999999999999999999 0x10 %20 1e3)
while read -r method path role body; do
	[[ $path == *'{id}'* ]] || continue
	for id in "${BAD_IDS[@]}"; do
		t "$method $path with id $id is 404" "$method" "${path//\{id\}/$id}" admin - \
		    "404:Not Found" -
	done
done < <(routes)

# ------------------------------------------------ query parameters

# Every list: skip and limit; then each list's own filters.
LISTS=("$API/users admin" "$API/products user" "$API/inventory user"
    "$API/inventory/status/low-stock admin" "$API/inventory/{iid}/movements admin"
    "$API/inventory/reorder-suggestions admin"
    "$API/orders user" "$API/orders/admin admin" "$API/webhooks admin")
for l in "${LISTS[@]}"; do
	path=${l% *}
	who=${l##* }
	for q in skip=-1 skip=abc skip=1.5 skip= skip=9223372036854775808 \
	    skip=-9223372036854775809 limit=0 limit=1001 limit=abc limit=-1 \
	    limit=1e3 limit=99999999999999999999 limit=%2B5x limit=%ff limit=%00 \
	    limit=%zz skip=%zz limit=% "limit=5&limit=abc" "limit=1&limit=5000" \
	    "skip=0&skip=0" "limit=10&skip=1&limit=10"; do
		t "GET $path?$q is 422" GET "$path?$q" "$who" - "422@query,${q%%=*}" -
	done
	for q in skip=9223372036854775807 limit=1 limit=1000 "skip=0&limit=100" \
	    "limit=%31%30" "skip=0&unknown=1"; do
		t "GET $path?$q is 200" GET "$path?$q" "$who" - 200 -
	done
done
# ----------------------------------------------- every JSON body route

# The usual answer of each JSON route to a valid body, chosen so that a
# valid body changes nothing: the admin's login with a wrong password,
# an existing email or SKU, a product that already has its inventory,
# ids and tokens that do not exist.
#   METHOD | PATH | STATUS | VALID BODY | A STRING FIELD
BASES=$(cat <<'EOF'
POST  | /api/v1/auth/register            | 400 | {"email":"{email}","full_name":"Bad Input","password":"long-enough-1"} | full_name
POST  | /api/v1/auth/login               | 401 | {"username":"{email}","password":"wrong-password"} | password
POST  | /api/v1/auth/refresh             | 401 | {"refresh_token":"not-a-token"} | refresh_token
POST  | /api/v1/auth/logout              | 401 | {"refresh_token":"not-a-token"} | refresh_token
PATCH | /api/v1/users/{id}               | 404 | {"full_name":"Bad Input"} | full_name
POST  | /api/v1/products                 | 400 | {"sku":"{sku}","name":"Bad Input","price":1.5} | name
PUT   | /api/v1/products/{id}            | 404 | {"name":"Bad Input","price":2} | name
POST  | /api/v1/inventory                | 400 | {"product_id":{pid},"quantity_in_stock":5} | -
PUT   | /api/v1/inventory/{id}           | 404 | {"quantity_in_stock":5} | -
POST  | /api/v1/inventory/{id}/adjust    | 404 | {"quantity":1,"reason":"r"} | reason
POST  | /api/v1/orders                   | 404 | {"shipping_address":"a","items":[{"product_id":{missing},"quantity":1}]} | shipping_address
PUT   | /api/v1/orders/{id}              | 404 | {"status":"processing","notes":"n"} | notes
POST  | /api/v1/webhooks                 | 201 | {"url":"http://127.0.0.1:9/badinput","events":["order.created"],"description":"Bad Input"} | description
PATCH | /api/v1/webhooks/{id}            | 404 | {"description":"Bad Input"} | description
PATCH | /api/v1/inventory/reorder-suggestions/{id} | 404 | {"status":"ordered"} | status
EOF
)

# The body routes of the table must each have a line above.
while read -r method path role body; do
	[[ $body == BODY_JSON || $body == BODY_FORM_OR_JSON ]] || continue
	if grep -q "^$method *| *$path *|" <<<"$BASES"; then
		ok "$method $path: its bodies are checked"
	else
		not_ok "$method $path: its bodies are checked" "no line in BASES of t/e2e_badinput.sh"
	fi
done < <(routes)

while IFS='|' read -r method path status base sfield; do
	trim method path status base sfield
	path=${path//\{id\}/$MISSING}
	json=application/json
	# The valid body padded to 64 KiB, with a member nested 16 deep (the
	# most allowed), and with 5,000 more members: all still valid.
	PREPARED[b64]="$base{pad:65536}"
	PREPARED[deep16]="${base%\}},\"x\":{15*[}{15*]}}"
	PREPARED[manykeys]="{$MANYKEYS${base#\{}"
	form_ct=415:"Unsupported Media Type"
	# The login's form: the JSON text as one form field, no password.
	[[ $path == */auth/login ]] && form_ct=422
	table <<EOF
$method | $path | admin | $json                    | $status | $base
$method | $path | admin | -                        | $status | $base | (no Content-Type)
$method | $path | admin | application/json; charset=utf-8 | $status | $base
$method | $path | admin | APPLICATION/JSON         | $status | $base
$method | $path | admin | text/plain               | 415:Unsupported Media Type | $base
$method | $path | admin | application/xml          | 415:Unsupported Media Type | $base
$method | $path | admin | multipart/form-data; boundary=x | 415:Unsupported Media Type | $base
$method | $path | admin | application/jsonx        | 415:Unsupported Media Type | $base
$method | $path | admin | application/x-www-form-urlencoded | $form_ct | $base
$method | $path | admin | $json | 422@body | -                      | (no body)
$method | $path | admin | $json | 422@body | null
$method | $path | admin | $json | 422@body | []
$method | $path | admin | $json | 422@body | 5
$method | $path | admin | $json | 422@body | "x"
$method | $path | admin | $json | 422@body | {"a":
$method | $path | admin | $json | 422@body | {} x
$method | $path | admin | $json | 422@body | {}}
$method | $path | admin | $json | 422@body | {'a':1}
$method | $path | admin | $json | 422@body | {"a":1,}
$method | $path | admin | $json | 422@body | {"a":NaN}
$method | $path | admin | $json | 422@body | {"a":Infinity}
$method | $path | admin | $json | 422@body | {"a":01}
$method | $path | admin | $json | 422@body | {"a":1}/*c*/
$method | $path | admin | $json | 422@body | \xef\xbb\xbf{}                           | (byte order mark)
$method | $path | admin | $json | 422@body | {"a":"\xc3\x28"}                        | (invalid UTF-8)
$method | $path | admin | $json | 422@body | {"a":"\xed\xa0\x80"}                    | (UTF-8 surrogate)
$method | $path | admin | $json | 422@body | {"a":"\xc0\xaf"}                        | (overlong UTF-8)
$method | $path | admin | $json | 422@body | {"\xff":1}                              | (invalid UTF-8 key)
$method | $path | admin | $json | 422@body | {"a":"x\x00y"}                          | (raw NUL)
$method | $path | admin | $json | 422@body | {"a":1}\x00                             | (raw NUL after)
$method | $path | admin | $json | 422@body | {"a":"x\\\\u0000y"}                     | (\\\\u0000)
$method | $path | admin | $json | 422@body | {"a\\\\u0000":1}                        | (\\\\u0000 in a key)
$method | $path | admin | $json | 422@body | {"a":"\x01"}                            | (raw control)
$method | $path | admin | $json | 422@body | @deep17                                 | (17 deep)
$method | $path | admin | $json | 422@body | @deep30000                              | (30,000 deep)
$method | $path | admin | $json | 413:Request Entity Too Large | @1mib          | (1 MiB)
$method | $path | admin | $json | 413:Request Entity Too Large | @64kib1        | (64 KiB + 1)
$method | $path | admin | $json | 413:Request Entity Too Large | @1mib          | (1 MiB, HTTP/1.1)
$method | $path | admin | $json | $status | @b64                                    | (64 KiB exactly)
$method | $path | admin | $json | $status | @deep16                                 | (16 deep, unknown field)
$method | $path | admin | $json | $status | @manykeys                               | (5,000 unknown keys)
EOF
	if [[ $sfield != - ]]; then
		# Duplicate keys: the last one counts.
		table <<EOF
$method | $path | admin | $json | 422@body,$sfield | ${base%\}},"$sfield":5} | (duplicate key, last bad)
$method | $path | admin | $json | $status | {"$sfield":5,${base#\{}                 | (duplicate key, first bad)
EOF
	fi
done <<<"$BASES"


# ---------------------------------------------- every field of every body

# One line per field, as the route's spec declares it (src/users.c,
# src/inventory.c, src/orders.c, src/reorder.c); @V@ in the body is where each value
# goes. TYPE is str, email, url (absolute http or https), enum (a
# status: ENUM_VALID below), int, dec (money), bool or list; MIN and
# MAX bound a length (str) or the value (int, dec);
# FLAGS: r required, t trimmed, n nullable. STATUS answers a valid value.
#   METHOD | PATH | LOC | TYPE | MIN | MAX | FLAGS | STATUS | BODY
FIELDS=$(cat <<'EOF'
POST  | /api/v1/auth/register  | email             | email| 0 | 254 | rt | 400 | {"email":@V@,"full_name":"B","password":"long-enough-1"}
POST  | /api/v1/auth/register  | full_name         | str  | 1 | 255 | rt | 400 | {"email":"{email}","full_name":@V@,"password":"long-enough-1"}
POST  | /api/v1/auth/register  | password          | str  | 8 | 1024| r  | 400 | {"email":"{email}","full_name":"B","password":@V@}
POST  | /api/v1/auth/login     | username          | str  | 1 | 254 | t  | 401 | {"username":@V@,"password":"wrong-password"}
POST  | /api/v1/auth/login     | email             | str  | 1 | 254 | t  | 401 | {"email":@V@,"password":"wrong-password"}
POST  | /api/v1/auth/login     | password          | str  | 1 | 1024| r  | 401 | {"username":"{email}","password":@V@}
POST  | /api/v1/auth/refresh   | refresh_token     | str  | 1 | 4096| r  | 401 | {"refresh_token":@V@}
POST  | /api/v1/auth/logout    | refresh_token     | str  | 1 | 4096| r  | 401 | {"refresh_token":@V@}
PATCH | /api/v1/users/{id}     | full_name         | str  | 1 | 255 | t  | 404 | {"full_name":@V@}
PATCH | /api/v1/users/{id}     | is_active         | bool | 0 | 0   |    | 404 | {"is_active":@V@}
PATCH | /api/v1/users/{id}     | is_admin          | bool | 0 | 0   |    | 404 | {"is_admin":@V@}
POST  | /api/v1/products       | sku               | str  | 1 | 64  | rt | 201 | {"sku":@V@,"name":"B","price":1}
POST  | /api/v1/products       | name              | str  | 1 | 255 | rt | 400 | {"sku":"{sku}","name":@V@,"price":1}
POST  | /api/v1/products       | description       | str  | 0 |65535| n  | 400 | {"sku":"{sku}","name":"B","price":1,"description":@V@}
POST  | /api/v1/products       | price             | dec  | 0 |9999999999| r | 400 | {"sku":"{sku}","name":"B","price":@V@}
POST  | /api/v1/products       | weight            | dec  | 0 |999999999 | n | 400 | {"sku":"{sku}","name":"B","price":1,"weight":@V@}
POST  | /api/v1/products       | dimensions        | str  | 0 | 100 | nt | 400 | {"sku":"{sku}","name":"B","price":1,"dimensions":@V@}
POST  | /api/v1/products       | category          | str  | 0 | 100 | nt | 400 | {"sku":"{sku}","name":"B","price":1,"category":@V@}
POST  | /api/v1/products       | image_url         | url  | 0 | 500 | nt | 400 | {"sku":"{sku}","name":"B","price":1,"image_url":@V@}
PUT   | /api/v1/products/{id}  | sku               | str  | 1 | 64  | t  | 404 | {"sku":@V@}
PUT   | /api/v1/products/{id}  | name              | str  | 1 | 255 | t  | 404 | {"name":@V@}
PUT   | /api/v1/products/{id}  | description       | str  | 0 |65535| n  | 404 | {"description":@V@}
PUT   | /api/v1/products/{id}  | price             | dec  | 0 |9999999999|  | 404 | {"price":@V@}
PUT   | /api/v1/products/{id}  | weight            | dec  | 0 |999999999 | n | 404 | {"weight":@V@}
PUT   | /api/v1/products/{id}  | dimensions        | str  | 0 | 100 | nt | 404 | {"dimensions":@V@}
PUT   | /api/v1/products/{id}  | category          | str  | 0 | 100 | nt | 404 | {"category":@V@}
PUT   | /api/v1/products/{id}  | image_url         | url  | 0 | 500 | nt | 404 | {"image_url":@V@}
POST  | /api/v1/inventory      | product_id        | int  | 1 |9223372036854775807| r | 404 | {"product_id":@V@,"quantity_in_stock":5}
POST  | /api/v1/inventory      | quantity_in_stock | int  | 0 |2147483647| r | 400 | {"product_id":{pid},"quantity_in_stock":@V@}
POST  | /api/v1/inventory      | quantity_reserved | int  | 0 |2147483647|   | 400 | {"product_id":{pid},"quantity_in_stock":2147483647,"quantity_reserved":@V@}
POST  | /api/v1/inventory      | reorder_level     | int  | 0 |2147483647|   | 400 | {"product_id":{pid},"quantity_in_stock":5,"reorder_level":@V@}
POST  | /api/v1/inventory      | reorder_quantity  | int  | 0 |2147483647|   | 400 | {"product_id":{pid},"quantity_in_stock":5,"reorder_quantity":@V@}
PUT   | /api/v1/inventory/{id} | quantity_in_stock | int  | 0 |2147483647|   | 404 | {"quantity_in_stock":@V@}
PUT   | /api/v1/inventory/{id} | quantity_reserved | int  | 0 |2147483647|   | 404 | {"quantity_reserved":@V@,"quantity_in_stock":2147483647}
PUT   | /api/v1/inventory/{id} | reorder_level     | int  | 0 |2147483647|   | 404 | {"reorder_level":@V@}
PUT   | /api/v1/inventory/{id} | reorder_quantity  | int  | 0 |2147483647|   | 404 | {"reorder_quantity":@V@}
POST  | /api/v1/inventory/{id}/adjust | quantity   | int  | -1000000000 | 1000000000 | r | 404 | {"quantity":@V@}
POST  | /api/v1/inventory/{id}/adjust | reason     | str  | 0 | 255 | nt | 404 | {"quantity":1,"reason":@V@}
POST  | /api/v1/orders         | shipping_address  | str  | 1 | 1000| rt | 404 | {"shipping_address":@V@,"items":[{"product_id":{missing},"quantity":1}]}
POST  | /api/v1/orders         | shipping_method   | str  | 0 | 50  | nt | 404 | {"shipping_address":"a","shipping_method":@V@,"items":[{"product_id":{missing},"quantity":1}]}
POST  | /api/v1/orders         | notes             | str  | 0 | 5000| n  | 404 | {"shipping_address":"a","notes":@V@,"items":[{"product_id":{missing},"quantity":1}]}
POST  | /api/v1/orders         | items             | list | 1 | 100 | r  | 404 | {"shipping_address":"a","items":@V@}
POST  | /api/v1/orders         | items,0,product_id| int  | 1 |9223372036854775807| r | 404 | {"shipping_address":"a","items":[{"product_id":@V@,"quantity":1}]}
POST  | /api/v1/orders         | items,0,quantity  | int  | 1 | 1000000 | r | 404 | {"shipping_address":"a","items":[{"product_id":{missing},"quantity":@V@}]}
PUT   | /api/v1/orders/{id}    | status            | enum | 1 | 32  | rt | 404 | {"status":@V@}
PUT   | /api/v1/orders/{id}    | tracking_number   | str  | 0 | 100 | nt | 404 | {"status":"processing","tracking_number":@V@}
PUT   | /api/v1/orders/{id}    | notes             | str  | 0 | 5000| n  | 404 | {"status":"processing","notes":@V@}
POST  | /api/v1/webhooks       | description       | str  | 0 | 500 | nt | 201 | {"url":"http://127.0.0.1:9/badinput","events":["order.created"],"description":@V@}
POST  | /api/v1/webhooks       | is_active         | bool | 0 | 0   |    | 201 | {"url":"http://127.0.0.1:9/badinput","events":["order.created"],"is_active":@V@}
PATCH | /api/v1/webhooks/{id}  | description       | str  | 0 | 500 | nt | 404 | {"description":@V@}
PATCH | /api/v1/webhooks/{id}  | is_active         | bool | 0 | 0   |    | 404 | {"is_active":@V@}
PATCH | /api/v1/inventory/reorder-suggestions/{id} | status | enum | 1 | 32 | rt | 404 | {"status":@V@}
EOF
)

# Values by kind, with what the bounds compare: a number, a length in
# characters (blank: three spaces), or P where the parser refuses the
# text before any field is looked at (422 with loc ["body"]): pnum is
# sent to number fields, pstr to string fields.
#   KIND | VALUE (printf %b text) | ARGUMENT
VALUES=$(cat <<'EOF'
int   | 0                       | 0
int   | -1                      | -1
int   | 2147483647              | 2147483647
int   | 2147483648              | 2147483648
int   | 1000001                 | 1000001
int   | 9223372036854775807     | 9223372036854775807
pnum  | 9223372036854775808     | P
pnum  | -9223372036854775809    | P
pnum  | 99999999999999999999    | P
pnum  | 1e400                   | P
pnum  | -1e400                  | P
pnum  | 1.5e                    | P
pnum  | +1                      | P
pnum  | .5                      | P
frac  | 1.5                     | 1.5
frac  | 1.234                   | 1.234
frac  | 1e308                   | 1e308
frac  | -0.0                    | 0
frac  | 1E2                     | 100
str   | "5"                     | 1
str   | ""                      | 0
str   | "   "                   | blank
str   | "{10k}"                 | 10000
str   | "x'); DROP TABLE users; --" | 26
str   | "\\u00dcn\\u00efc\\u00f8d\\u00e9 \\ud83d\\ude80"  | 9
str   | "Ünïcødé 🚀 ☃"         | 11
str   | "\\ud800"               | 1
str   | "</script>\\"'\\\\%_"   | 14
pstr  | "\xc3\x28"              | P
pstr  | "x\x00y"                | P
pstr  | "x\\u0000y"             | P
bool  | true                    | -
bool  | false                   | -
null  | null                    | -
other | []                      | -
other | {}                      | -
other | [1]                     | -
other | {"a":1}                 | -
EOF
)

# verdict TYPE MIN MAX FLAGS KIND ARG VALUE: sets REPLY to "ok" when the
# value meets the field's spec, "parse" when the parser refuses it, else
# "field".
verdict() {
	local type=$1 min=$2 max=$3 flags=$4 kind=$5 arg=$6 value=$7 n
	[[ $kind == p* ]] && { REPLY=parse; return; }
	if [[ $kind == null ]]; then
		[[ $flags == *n* ]] && REPLY=ok || REPLY=field
		return
	fi
	case $type:$kind in
	int:int) ((arg >= min && arg <= max)) && REPLY=ok || REPLY=field ;;
	dec:int) ((arg >= min && arg <= max)) && REPLY=ok || REPLY=field ;;
	dec:frac)
		# 1.5 and 1e2 are money; 1.234 has three places; 1e308 is big.
		case $value in
		1.5 | -0.0 | 1E2) REPLY=ok ;;
		*) REPLY=field ;;
		esac ;;
	bool:bool) REPLY=ok ;;
	enum:str) REPLY=field ;;
	email:str) REPLY=field ;;
	url:str) REPLY=field ;;	# none of VALUES is a URL: see URLS
	str:str)
		n=$arg
		if [[ $n == blank ]]; then [[ $flags == *t* ]] && n=0 || n=3; fi
		((n >= min && n <= max)) && REPLY=ok || REPLY=field ;;
	*) REPLY=field ;;
	esac
}

# Values of url fields, each ok (an absolute http or https URL of at most
# 500 characters) or bad (422 naming the field).
#   VALUE | VERDICT
URL_480=$(head -c 480 /dev/zero | tr '\0' a)
URLS=$(cat <<EOF
"javascript:alert(1)"             | bad
"JaVaScRiPt:alert(1)"             | bad
"ftp://example.com/a.png"         | bad
"file:///etc/passwd"              | bad
"/images/a.png"                   | bad
"a.png"                           | bad
"//example.com/a.png"             | bad
"http://"                         | bad
"https://"                        | bad
"http:example.com"                | bad
"http://exa mple.com/a.png"       | bad
"http://example.com/a b.png"      | bad
"http://example.com/\\\\u0001"    | bad
"http://example.com/<script>"     | bad
"data:text/html,<script>"         | bad
"http://user:pw@example.com/a"    | bad
"http://example.com:99999/"       | bad
"https://example.com/${URL_480}a" | bad
"https://example.com/a.png"       | ok
"HTTP://EXAMPLE.COM/A.PNG"        | ok
"  https://example.com/a.png  "   | ok
"http://127.0.0.1:8080/a?b=1#c"   | ok
"https://[::1]/a.png"             | ok
"https://example.com/${URL_480}"  | ok
EOF
)

# Where the handler refuses a value the spec lets through, before it
# looks the row up: "METHOD PATH LOC VALUE" -> EXPECT.
declare -A OVERRIDE=(
	["POST /api/v1/inventory/{id}/adjust quantity 0"]="422@body,quantity"
)

# A value each enum field accepts (else "processing", an order status).
declare -A ENUM_VALID=(
	["PATCH /api/v1/inventory/reorder-suggestions/{id}"]=ordered
)

while IFS='|' read -r method path loc type min max flags status tmpl; do
	trim method path loc type min max flags status tmpl
	p=${path//\{id\}/$MISSING}
	while IFS='|' read -r kind value arg; do
		trim kind value arg
		case $kind:$type in
		pnum:int | pnum:dec | pstr:str | pstr:email | pstr:enum | pstr:url | [!p]*) ;;
		*) continue ;;
		esac
		verdict "$type" "$min" "$max" "$flags" "$kind" "$arg" "$value"
		case $REPLY in
		ok) exp=$status ;;
		parse) exp=422@body ;;
		*) exp=422@body,$loc ;;
		esac
		# An element of a list that is no object is refused as such.
		[[ $type == list && $value == '[1]' ]] && exp=422@body,$loc,0
		exp=${OVERRIDE["$method $path $loc $value"]:-$exp}
		# A SKU that is accepted makes a product; keep it unique.
		[[ $loc == sku && $exp != 422* && $value == \"*\" && $value != '""' ]] &&
		    value="\"{uniq}${value#\"}"
		shown=$value
		((${#shown} > 40)) && shown="${shown:0:40}..."
		t "$method $path $loc=$shown -> $exp" "$method" "$p" admin application/json "$exp" \
		    "${tmpl//@V@/"$value"}"
	done <<<"$VALUES"
	if [[ $type == enum ]]; then
		good=${ENUM_VALID["$method $path"]:-processing}
		t "$method $path $loc=\"$good\"" "$method" "$p" admin application/json \
		    "$status" "${tmpl//@V@/"\"$good\""}"
		t "$method $path $loc=\"${good^^}\"" "$method" "$p" admin application/json \
		    "422@body,$loc" "${tmpl//@V@/"\"${good^^}\""}"
	fi
	if [[ $type == list ]]; then
		items=$(for ((i = 1; i <= 101; i++)); do printf '{"product_id":%d,"quantity":1},' "$i"; done)
		t "$method $path $loc with 101 items" "$method" "$p" admin application/json \
		    "422@body,$loc" "${tmpl//@V@/"[${items%,}]"}"
		t "$method $path $loc=[5]" "$method" "$p" admin application/json \
		    "422@body,$loc,0" "${tmpl//@V@/'[5]'}"
		t "$method $path $loc=[{}]" "$method" "$p" admin application/json \
		    "422@body,$loc,0,product_id" "${tmpl//@V@/'[{}]'}"
		t "$method $path $loc: a product twice" "$method" "$p" admin application/json \
		    "422@body,$loc,1,product_id" \
		    "${tmpl//@V@/'[{"product_id":7,"quantity":1},{"product_id":7,"quantity":2}]'}"
	fi
	if [[ $type == url ]]; then
		while IFS='|' read -r value verdict; do
			trim value verdict
			[[ $verdict == ok ]] && exp=$status || exp=422@body,$loc
			shown=$value
			((${#shown} > 40)) && shown="${shown:0:40}..."
			t "$method $path $loc=$shown -> $exp" "$method" "$p" admin application/json \
			    "$exp" "${tmpl//@V@/"$value"}"
		done <<<"$URLS"
	fi
	if [[ $flags == *r* ]]; then
		t "$method $path without $loc" "$method" "$p" admin application/json \
		    "422@body,$loc" "$(sed -e 's/"[a-z_]*":@V@,\{0,1\}//' -e 's/,}/}/' <<<"$tmpl")"
	fi
done <<<"$FIELDS"


# ------------------------------------------------------------ run them

export E2E_CACERT=$CACERT E2E_ADMIN_EMAIL=$ADMIN_EMAIL E2E_ADMIN_PASSWORD=$ADMIN_PASSWORD
"$DRIVER" "$URL" "$here/requests" "$work/cases" >"$work/out" 2>&1
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out" | tail -n 1)
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out"
if [[ -n $summary ]]; then
	PASSED=$((PASSED + ${summary%% *}))
	summary=${summary#*, }
	FAILED=$((FAILED + ${summary%% *}))
else
	not_ok "t/check_requests" "no summary line"
fi
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
