#!/usr/bin/env bash
# t/e2e_badinput.sh: hostile input through nginx, for every route of the
# route table in src/router.c (issue 6, "Hostile input").
#
# Usage: t/e2e_badinput.sh [URL]
#   URL, E2E_URL, E2E_CACERT, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD
#               as for t/e2e.sh (defaults from run/stack.env, which
#               `tools/devstack up` writes, when no URL is given)
#
# What is sent, and what must come back (doc/openapi.json, and
# doc/design.md, "The HTTP contract"):
#   - every path of the route table with every method it lacks: 405 with
#     an Allow header naming exactly the methods of that path, HEAD with
#     GET (before any authentication); HEAD on every GET route answers as
#     GET does;
#   - every route that needs a token: none, a bad one, a refresh token
#     (401), a user's on an admin route (403);
#   - every {id} with 0, -1, abc, 1.5, 2^63 and 99999999999999999999: 404
#     "Not Found" (the router's), and 2^63-1: the handler's 404;
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
#   - bad query parameters of every list, malformed percent-encodings and
#     repeated parameters of any route: 422 naming the parameter;
#   - URL fields (image_url): only absolute http(s) URLs;
#   - SQL-looking strings in free text fields (product name, description,
#     category, full_name, order notes, address and tracking number,
#     adjust reason) are stored and returned verbatim, and the tables are
#     still there;
#   - sums beyond their columns: stock at 2^31-1 that would grow, an order
#     total beyond DECIMAL(12,2);
#   - every response: never 5xx, and every error a JSON {"detail": ...}.
# At the end GET /healthz must still be 200. Limits: a header or URI
# beyond nginx's buffers (8k) is sent over HTTP/1.1, where nginx answers
# 400 or 414 (JSON); over HTTP/2 it resets the stream without an answer.
# TRACE, which nginx refuses itself, is answered like any other method the
# path lacks (the site file hands it to the application for that).
#
# Each check prints "ok - NAME" or "not ok - NAME: what came back"; the
# last line is "N passed, M failed", and the exit status is 1 when M > 0.
# It registers one user (a unique badinput-...@example.com) and leaves it;
# the product it orders from keeps the cancelled order (an ordered
# product cannot be deleted); the products the checks create go again.
# Needs bash and curl only.
set -uo pipefail
shopt -s extglob

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROUTER_C=$here/../src/router.c
# shellcheck source=t/e2e_lib.sh
. "$here/e2e_lib.sh"
e2e_settings t/e2e_badinput.sh "${1:-}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { FAILED=$((FAILED + 1)); printf 'not ok - %s: %s\n' "$1" "$2"; }

# ------------------------------------------------------------ requests

API=/api/v1
MISSING=9223372036854775807	# a valid id no row has (2^63-1)
RUN_ID=$(date +%s)-$RANDOM
SERIAL=0
declare -A TOKEN=()		# user, admin, refresh: filled by the setup

# nginx limits /api/v1/auth/ to 5 requests a second per client address
# (burst 20). Against a loopback URL those requests go out from
# 127.0.0.2-127.0.0.61 in turn, which Linux routes to the same server, so
# the few hundred below need not be paced; a 429 is retried anyway.
LOOPBACK=0
[[ $URL =~ ^https?://127\.0\.0\.1[:/] || $URL =~ ^https?://127\.0\.0\.1$ ]] && LOOPBACK=1
NAUTH=0

# request METHOD PATH AUTH CT BODYFILE: the curl options of one request
# in REQ, as pairs NAME VALUE (VALUE - for a flag). AUTH is -, user,
# admin, refresh (the refresh token as a bearer) or a literal
# Authorization value; CT is - for no Content-Type; BODYFILE is - for no
# body.
request() {
	local method=$1 path=$2 auth=$3 ct=$4 file=$5
	REQ=(url "$URL$path" max-time 20)
	if [[ -n $CACERT ]]; then REQ+=(cacert "$CACERT"); else REQ+=(insecure -); fi
	if [[ $path == "$API/auth/"* ]] && ((LOOPBACK)); then
		REQ+=(interface "127.0.0.$((2 + NAUTH++ % 60))")
	fi
	if [[ $method == HEAD ]]; then REQ+=(head -); else REQ+=(request "$method"); fi
	case $auth in
	-) ;;
	user | admin | refresh) REQ+=(header "Authorization: Bearer ${TOKEN[$auth]}") ;;
	*) REQ+=(header "Authorization: $auth") ;;
	esac
	if [[ $ct == - ]]; then REQ+=(header 'Content-Type:'); else REQ+=(header "Content-Type: $ct"); fi
	[[ $file == - ]] || REQ+=(data-binary "@$file")
}

# response HEADERS BODY: sets BODY and HDR (header name in lower case ->
# value) from the files curl wrote.
response() {
	local k v
	BODY=
	HDR=()
	[[ -e $2 ]] && IFS= read -r -d '' BODY <"$2"
	[[ -e $1 ]] || return 0
	while IFS=: read -r k v; do
		v=${v%$'\r'}
		HDR[${k,,}]=${v# }
	done <"$1"
}

# send METHOD PATH AUTH CT BODYFILE [CURL-ARGS...]: one request, now (as
# request() says). Sets CODE, BODY and HDR. A 429 from the rate limit of
# /api/v1/auth/ is retried.
send() {
	local method=$1 path=$2 try i args=()
	request "$@"
	shift 5
	for ((i = 0; i < ${#REQ[@]}; i += 2)); do
		args+=("--${REQ[i]}")
		[[ ${REQ[i + 1]} == - ]] || args+=("${REQ[i + 1]}")
	done
	for ((try = 0; try < 100; try++)); do
		rm -f "$work/headers" "$work/body"
		CODE=$(curl -sS -D "$work/headers" -o "$work/body" -w '%{http_code}' \
		    "${args[@]}" "$@" 2>"$work/stderr")
		[[ -n $CODE ]] || CODE=000
		[[ $CODE == 429 && $path == "$API/auth/"* ]] || break
		sleep 0.3
	done
	response "$work/headers" "$work/body"
}
declare -A HDR=()

# header NAME: the value of response header NAME (last one if repeated).
header() { printf '%s' "${HDR[${1,,}]:-}"; }

# got: what came back, for a "not ok" line.
got() {
	local b=${BODY//$'\n'/ }
	((${#b} > 300)) && b="${b:0:300}..."
	[[ $b == *[![:print:]]* ]] && b=$(printf '%q' "$b")
	if [[ $CODE == 000 ]]; then
		printf 'no response (%s)' "$(tr '\n' ' ' <"$work/stderr")"
	else
		printf 'got %s %s' "$CODE" "$b"
	fi
}

# json_num KEY: the first number value of "KEY" in BODY.
json_num() {
	sed -n "s/^[^\"]*\"$1\":\(-\{0,1\}[0-9][0-9.]*\).*/\1/p;s/.*[{,]\"$1\":\(-\{0,1\}[0-9][0-9.]*\).*/\1/p" <<<"$BODY" | head -n 1
}

# json_str KEY: the string value of "KEY" in BODY (no escapes inside).
json_str() {
	sed -n "s/.*\"$1\":\"\([^\"\\\\]*\)\".*/\1/p" <<<"$BODY" | head -n 1
}

# subst TEXT: sets REPLY to TEXT with the placeholders filled in
# (not in a subshell: {uniq} counts).
subst() {
	local s=$1
	SERIAL=$((SERIAL + 1))
	# Quoted replacements: bash 5.2 would take & and \ in them as special.
	s=${s//\{uniq\}/"$RUN_ID-$SERIAL"}
	s=${s//\{missing\}/"$MISSING"}
	s=${s//\{pid\}/"${PID:-0}"}
	s=${s//\{iid\}/"${IID:-0}"}
	s=${s//\{oid\}/"${OID:-0}"}
	s=${s//\{uid\}/"${UID_:-0}"}
	s=${s//\{email\}/"${EMAIL:-}"}
	s=${s//\{sku\}/"${SKU:-}"}
	s=${s//\{10k\}/"$TEN_K"}
	REPLY=$s
}

# body_file BODY FILE: writes BODY to FILE and sets FILE to its name; -
# stays -, @NAME is the prepared file $work/NAME. The text goes through
# printf %b, so \xHH makes any byte (\x00, \xff) and a JSON backslash is
# written \\.
body_file() {
	case $1 in
	-) FILE=- ;;
	@*) FILE=$work/${1#@} ;;
	*)
		subst "$1"
		printf '%b' "$REPLY" >"$2"
		FILE=$2 ;;
	esac
}

# loc_json a,b,0,c: sets REPLY to the 422 detail's loc ["a","b",0,"c"]
# as the application writes it.
loc_json() {
	local IFS=, part out=''
	for part in $1; do
		if [[ $part =~ ^[0-9]+$ ]]; then out+=",$part"; else out+=",\"$part\""; fi
	done
	REPLY="[${out#,}]"
}

# expect_ok EXPECT METHOD: whether the response is what EXPECT says.
#   422            that status (several: 201/400; a class: 4xx)
#   422@body,name  and a 422 detail whose loc is ["body","name"]
#   404:Not Found  and {"detail": "Not Found"}
#   405=GET, POST  and Allow: GET, POST
# On top of that, never a 5xx, and every error a JSON {"detail": ...}
# (HEAD answers have no body).
expect_ok() {
	local exp=$1 method=$2 codes extra='' kind='' c hit=0
	case $exp in
	*=*) kind='='; codes=${exp%%=*}; extra=${exp#*=} ;;
	*:*) kind=':'; codes=${exp%%:*}; extra=${exp#*:} ;;
	*@*) kind='@'; codes=${exp%%@*}; extra=${exp#*@} ;;
	*) codes=$exp ;;
	esac
	[[ $CODE == 5* || $CODE == 000 ]] && return 1
	for c in ${codes//\// }; do
		[[ $CODE == "$c" || ($c == ?xx && ${CODE:0:1} == "${c:0:1}") ]] && hit=1
	done
	((hit)) || return 1
	if [[ $CODE == [45]* && $method != HEAD ]]; then
		[[ $BODY == '{"detail":'* && ${HDR[content-type]:-} == application/json* ]] || return 1
	fi
	case $kind in
	'=') [[ ${HDR[allow]:-} == "$extra" ]] ;;
	':') [[ $BODY == *"\"detail\":\"$extra\""* ]] ;;
	'@') loc_json "$extra" && [[ $BODY == *"\"loc\":$REPLY"* ]] ;;
	*) true ;;
	esac
}

# t NAME METHOD PATH AUTH CT EXPECT BODY: one case, queued; flush sends
# the queue and judges each answer. EXTRA holds curl flags for it (no
# option with a value). The cases of a queue go out one after the other
# through one curl, over kept-alive connections: a case must not depend
# on another of the same queue.
EXTRA=()
QN=0
Q_NAME=()
Q_METHOD=()
Q_PATH=()
Q_EXP=()
Q_AUTH=()
Q_CT=()
Q_FILE=()
Q_XTRA=()
mkdir "$work/q"
t() {
	local name=$1 method=$2 path auth=$4 ct=$5 exp=$6 n=$QN i f
	subst "$3"
	path=$REPLY
	body_file "$7" "$work/q/$n.in"
	request "$method" "$path" "$auth" "$ct" "$FILE"
	Q_NAME[n]=$name
	Q_METHOD[n]=$method
	Q_PATH[n]=$path
	Q_EXP[n]=$exp
	# What send needs to retry a 429.
	Q_AUTH[n]=$auth
	Q_CT[n]=$ct
	Q_FILE[n]=$FILE
	Q_XTRA[n]=${EXTRA[*]}
	{
		((n == 0)) || echo next
		printf -- '--silent\n--show-error\n--write-out "%%{http_code}\\n"\n'
		printf -- '--output "%s"\n--dump-header "%s"\n' "$work/q/$n.body" "$work/q/$n.hdr"
		for ((i = 0; i < ${#REQ[@]}; i += 2)); do
			if [[ ${REQ[i + 1]} == - ]]; then
				printf -- '--%s\n' "${REQ[i]}"
			else
				f=${REQ[i + 1]//\\/\\\\}
				printf -- '--%s "%s"\n' "${REQ[i]}" "${f//\"/\\\"}"
			fi
		done
		for f in "${EXTRA[@]}"; do printf '%s\n' "$f"; done
	} >>"$work/q.cfg"
	QN=$((n + 1))
	((QN < 400)) || flush
}

# flush: sends the queued cases and judges their answers.
flush() {
	local i codes=()
	((QN > 0)) || return 0
	curl --config "$work/q.cfg" >"$work/q.codes" 2>"$work/stderr"
	mapfile -t codes <"$work/q.codes"
	for ((i = 0; i < QN; i++)); do
		CODE=${codes[i]:-000}
		if [[ $CODE == 429 && ${Q_PATH[i]} == "$API/auth/"* ]]; then
			# shellcheck disable=SC2086 # flags, one a word
			send "${Q_METHOD[i]}" "${Q_PATH[i]}" "${Q_AUTH[i]}" "${Q_CT[i]}" \
			    "${Q_FILE[i]}" ${Q_XTRA[i]}
		else
			response "$work/q/$i.hdr" "$work/q/$i.body"
		fi
		if expect_ok "${Q_EXP[i]}" "${Q_METHOD[i]}"; then
			ok "${Q_NAME[i]}"
		else
			not_ok "${Q_NAME[i]}" "want ${Q_EXP[i]}, $(got)${HDR[allow]:+ Allow: ${HDR[allow]}}"
		fi
		created "${Q_METHOD[i]}" "${Q_PATH[i]}"
	done
	rm -rf "$work/q" "$work/q.cfg"
	mkdir "$work/q"
	QN=0
}

# Products the checks create by accident of a valid value are deleted
# at the end; an order is cancelled.
CREATED_PRODUCTS=()
CREATED_ORDERS=()
created() {
	[[ $CODE == 201 ]] || return 0
	case "$1 $2" in
	"POST $API/products") CREATED_PRODUCTS+=("$(json_num id)") ;;
	"POST $API/orders") CREATED_ORDERS+=("$(json_num order_id)") ;;
	esac
}

# table: runs the cases of a table on standard input, one a line:
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

# ------------------------------------------------------------------ setup

TEN_K=$(head -c 10000 /dev/zero | tr '\0' x)
SQL1="x'); DROP TABLE users; --"
SQL2="1' OR '1'='1"
SQL3='\\"; DELETE FROM products WHERE ""=""; -- %_ \\\\ '"'"'*/'
EMAIL="badinput-$RUN_ID-$RANDOM@example.com"
PASSWORD="badinput-pw-$RANDOM$RANDOM"

# Prepared bodies: 1 MiB, 64 KiB + 1 and exactly 64 KiB (JSON padded with
# spaces), nested 17 and 30,000 deep, a body of 5,000 keys.
head -c 1048576 /dev/zero | tr '\0' x >"$work/1mib"
head -c 65537 /dev/zero | tr '\0' ' ' >"$work/64kib1"
printf '{}' >>"$work/64kib1"
# pad_json FILE JSON: JSON padded with spaces to exactly 65536 bytes.
pad_json() {
	printf '%s' "$2" >"$1"
	head -c $((65536 - ${#2})) /dev/zero | tr '\0' ' ' >>"$1"
}
deep() { printf '%*s' "$1" '' | tr ' ' '['; printf '%*s' "$1" '' | tr ' ' ']'; }
printf '{"x":%s}' "$(deep 16)" >"$work/deep17"
DEEP15=$(deep 15)
deep 30000 >"$work/deep30000"
MANYKEYS=$(for ((i = 0; i < 5000; i++)); do printf '"k%d":%d,' "$i" "$i"; done)

# The admin, a user of our own, and a product with stock to order from,
# made of SQL-looking text that must come back as it went in.
send POST "$API/auth/login" - application/x-www-form-urlencoded - \
    --data-urlencode "username=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD"
TOKEN[admin]=$(json_str access_token)
if [[ $CODE == 200 && -n ${TOKEN[admin]} ]]; then
	ok "admin login"
else
	not_ok "admin login" "$(got) (set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD)"
fi

# json_quote TEXT: TEXT as a JSON string (quotes, backslashes, controls).
json_quote() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

# verbatim NAME KEY TEXT: the response has "KEY": TEXT exactly as sent.
verbatim() {
	if [[ $BODY == *"\"$2\":$(json_quote "$3")"* ]]; then
		ok "$1"
	else
		not_ok "$1" "want \"$2\":$(json_quote "$3"), $(got)"
	fi
}

FULL_NAME="$SQL1 Robert'); DROP TABLE students;--"
printf '{"email":"%s","full_name":%s,"password":"%s"}' "$EMAIL" \
    "$(json_quote "$FULL_NAME")" "$PASSWORD" >"$work/in"
send POST "$API/auth/register" application/json - "$work/in"
UID_=$(json_num id)
verbatim "register: a SQL-looking full_name is stored as text" full_name "$FULL_NAME"

send POST "$API/auth/login" - application/x-www-form-urlencoded - \
    --data-urlencode "username=$EMAIL" --data-urlencode "password=$PASSWORD"
TOKEN[user]=$(json_str access_token)
TOKEN[refresh]=$(json_str refresh_token)
if [[ $CODE == 200 && -n ${TOKEN[user]} ]]; then ok "user login"; else not_ok "user login" "$(got)"; fi

SKU="BI-$RUN_ID"
NAME="$SQL1"
DESCRIPTION="$SQL3 $SQL2 </script><script>alert(1)</script> Ünïcødé 🚀 line1
line2	tab"
CATEGORY="$SQL2"
printf '{"sku":"%s","name":%s,"description":%s,"category":%s,"price":12.50}' "$SKU" \
    "$(json_quote "$NAME")" "$(json_quote "$DESCRIPTION")" "$(json_quote "$CATEGORY")" >"$work/in"
send POST "$API/products" admin application/json "$work/in"
PID=$(json_num id)
verbatim "create a product: SQL-looking name kept" name "$NAME"
verbatim "create a product: SQL-looking description with quotes, backslashes, controls, UTF-8 kept" description "$DESCRIPTION"
verbatim "create a product: SQL-looking category kept" category "$CATEGORY"

printf '{"product_id":%s,"quantity_in_stock":1000}' "${PID:-0}" >"$work/in"
send POST "$API/inventory" admin application/json "$work/in"
IID=$(json_num id)
if [[ $CODE == 201 && -n $IID ]]; then ok "its inventory"; else not_ok "its inventory" "$(got)"; fi

NOTES="$SQL1 $SQL3"
ADDRESS="1 $SQL2 Street"
printf '{"shipping_address":%s,"shipping_method":%s,"notes":%s,"items":[{"product_id":%s,"quantity":2}]}' \
    "$(json_quote "$ADDRESS")" "$(json_quote "'; --")" "$(json_quote "$NOTES")" "${PID:-0}" >"$work/in"
send POST "$API/orders" user application/json "$work/in"
OID=$(json_num order_id)
verbatim "place an order: SQL-looking notes kept" notes "$NOTES"
verbatim "place an order: SQL-looking shipping_address kept" shipping_address "$ADDRESS"
[[ -z $OID ]] || CREATED_ORDERS+=("$OID")

if [[ -z $PID || -z $IID || -z $OID || -z $UID_ || -z ${TOKEN[user]} || -z ${TOKEN[admin]} ]]; then
	not_ok "setup" "no product, inventory, order, user or token: the checks below would mean nothing"
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	exit 1
fi

# ---------------------------------------- SQL-looking text, read back

send GET "$API/products/$PID" user - -
verbatim "read the product back: name" name "$NAME"
verbatim "read the product back: description" description "$DESCRIPTION"

send GET "$API/products?q=$(printf '%s' "$SQL1" | sed 's/ /%20/g;s/;/%3B/g;s/'"'"'/%27/g')" user - -
if [[ $CODE == 200 && $BODY == *"\"sku\":\"$SKU\""* ]]; then
	ok "GET /products?q=<SQL-looking name> finds the product as text"
else
	not_ok "GET /products?q=<SQL-looking name> finds the product as text" "$(got)"
fi
send GET "$API/products?category=1%27%20OR%20%271%27%3D%271" user - -
if [[ $CODE == 200 && $BODY == *"\"sku\":\"$SKU\""* && $(header X-Total-Count) =~ ^[0-9]+$ ]]; then
	ok "GET /products?category=<SQL-looking> matches that category only as text"
else
	not_ok "GET /products?category=<SQL-looking>" "$(got)"
fi
send GET "$API/products?q=%25" user - -
total_pct=$(header X-Total-Count)
send GET "$API/products" user - -
if [[ $total_pct =~ ^[0-9]+$ ]] && (( total_pct < $(header X-Total-Count) || $(header X-Total-Count) == 0 )); then
	ok "GET /products?q=% is a literal %, not a LIKE wildcard"
else
	not_ok "GET /products?q=% is a literal %" "q=% counts ${total_pct:-?}, all $(header X-Total-Count)"
fi

send GET "$API/orders/$OID" user - -
verbatim "read the order back: notes" notes "$NOTES"
# The worker of `up` may have moved it on meanwhile: keep its status.
order_status=$(json_str status)

printf '{"quantity":5,"reason":%s}' "$(json_quote "$SQL1")" >"$work/in"
send POST "$API/inventory/$IID/adjust" admin application/json "$work/in"
send GET "$API/inventory/$IID/movements" admin - -
verbatim "adjust: a SQL-looking reason is in the movements verbatim" reason "$SQL1"

printf '{"full_name":%s}' "$(json_quote "$SQL2")" >"$work/in"
send PATCH "$API/users/$UID_" admin application/json "$work/in"
send GET "$API/users/me" user - -
verbatim "PATCH /users/{id}: a SQL-looking full_name is stored as text" full_name "$SQL2"

printf '{"status":"%s","tracking_number":%s,"notes":%s}' "${order_status:-pending}" \
    "$(json_quote "$SQL2")" "$(json_quote "$SQL3")" >"$work/in"
send PUT "$API/orders/$OID" admin application/json "$work/in"
verbatim "PUT /orders/{id}: SQL-looking notes kept" notes "$SQL3"
verbatim "PUT /orders/{id}: SQL-looking tracking_number kept" tracking_number "$SQL2"

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

flush

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
		    "Bearer $TEN_K" - "400:Request Header Or Cookie Too Large" -
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

flush

# -------------------------------------------------- path ids, every route

BAD_IDS=(0 -1 abc 1.5 9223372036854775808 99999999999999999999 0x10 %20 1e3)
while read -r method path role body; do
	[[ $path == *'{id}'* ]] || continue
	for id in "${BAD_IDS[@]}"; do
		t "$method $path with id $id is 404" "$method" "${path//\{id\}/$id}" admin - \
		    "404:Not Found" -
	done
done < <(routes)

# A valid id that no row has: the handler's 404 (the body ones below).
table <<'EOF'
GET    | /api/v1/products/{missing}           | user  | - | 404:Product with id 9223372036854775807 not found |-
DELETE | /api/v1/products/{missing}           | admin | - | 404:Product with id 9223372036854775807 not found |-
GET    | /api/v1/inventory/{missing}          | user  | - | 404:Inventory item with id 9223372036854775807 not found |-
GET    | /api/v1/inventory/product/{missing}  | user  | - | 404:No inventory found for product with id 9223372036854775807 |-
GET    | /api/v1/inventory/{missing}/movements| admin | - | 404:Inventory with id 9223372036854775807 not found |-
GET    | /api/v1/orders/{missing}             | user  | - | 404:Order with id 9223372036854775807 not found |-
DELETE | /api/v1/orders/{missing}             | user  | - | 404:Order with id 9223372036854775807 not found |-
HEAD   | /api/v1/products/{missing}           | user  | - | 404 |-
HEAD   | /api/v1/inventory/{missing}          | user  | - | 404 |-
HEAD   | /api/v1/inventory/product/{missing}  | user  | - | 404 |-
HEAD   | /api/v1/inventory/{missing}/movements| admin | - | 404 |-
HEAD   | /api/v1/orders/{missing}             | user  | - | 404 |-
HEAD   | /api/v1/products                     | user  | - | 200 |-
HEAD   | /api/v1/users/me                     | user  | - | 200 |-
HEAD   | /                                    | -     | - | 200 |-
HEAD   | /healthz                             | -     | - | 200 |-
EOF

flush

# ------------------------------------------------ query parameters

# Every list: skip and limit; then each list's own filters.
LISTS=("$API/users admin" "$API/products user" "$API/inventory user"
    "$API/inventory/status/low-stock admin" "$API/inventory/{iid}/movements admin"
    "$API/orders user" "$API/orders/admin admin")
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
table <<'EOF'
GET | /api/v1/inventory?product_id=abc                  | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?product_id=0                    | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?product_id=-1                   | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?product_id=99999999999999999999 | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?product_id=9223372036854775807  | user  | - | 200 |-
GET | /api/v1/inventory?low_stock=maybe                 | user  | - | 422@query,low_stock |-
GET | /api/v1/inventory?low_stock=                      | user  | - | 422@query,low_stock |-
GET | /api/v1/inventory?low_stock=TRUE                  | user  | - | 422@query,low_stock |-
GET | /api/v1/inventory?low_stock=2                     | user  | - | 422@query,low_stock |-
GET | /api/v1/inventory?low_stock=true                  | user  | - | 200 |-
GET | /api/v1/inventory?low_stock=0                     | user  | - | 200 |-
GET | /api/v1/orders?status=bogus                       | user  | - | 422@query,status |-
GET | /api/v1/orders?status=PENDING                     | user  | - | 422@query,status |-
GET | /api/v1/orders?status=                            | user  | - | 422@query,status |-
GET | /api/v1/orders?status=pending%27%20OR%201%3D1     | user  | - | 422@query,status |-
GET | /api/v1/orders?status=cancelled                   | user  | - | 200 |-
GET | /api/v1/orders/admin?status=bogus                 | admin | - | 422@query,status |-
GET | /api/v1/orders/admin?user_id=abc                  | admin | - | 422@query,user_id |-
GET | /api/v1/orders/admin?user_id=0                    | admin | - | 422@query,user_id |-
GET | /api/v1/orders/admin?user_id=99999999999999999999 | admin | - | 422@query,user_id |-
GET | /api/v1/orders/admin?user_id={uid}&status=pending | admin | - | 200 |-
GET | /api/v1/products?q=%ff%fe                         | user  | - | 422@query,q |-
GET | /api/v1/products?q=%00                            | user  | - | 422@query,q |-
GET | /api/v1/products?category=%c3%28                  | user  | - | 422@query,category |-
GET | /api/v1/products?q=%25%5F%21%5C                   | user  | - | 200 |-
GET | /api/v1/orders/admin?user_id=%zz                  | admin | - | 422@query,user_id |-
GET | /api/v1/orders/admin?user_id=1&user_id=2          | admin | - | 422@query,user_id |-
GET | /api/v1/orders/admin?status=%zz                   | admin | - | 422@query,status |-
GET | /api/v1/orders/admin?status=pending&status=shipped| admin | - | 422@query,status |-
GET | /api/v1/orders?status=%zz                         | user  | - | 422@query,status |-
GET | /api/v1/orders?status=pending&status=pending      | user  | - | 422@query,status |-
GET | /api/v1/orders?status=%70ending                   | user  | - | 200 |-
GET | /api/v1/inventory?product_id=%zz                  | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?product_id=1&product_id=1       | user  | - | 422@query,product_id |-
GET | /api/v1/inventory?low_stock=%zz                   | user  | - | 422@query,low_stock |-
GET | /api/v1/inventory?low_stock=1&low_stock=0         | user  | - | 422@query,low_stock |-
GET | /api/v1/products?category=%zz                     | user  | - | 422@query,category |-
GET | /api/v1/products?category=a&category=b            | user  | - | 422@query,category |-
GET | /api/v1/products?q=%zz                            | user  | - | 422@query,q |-
GET | /api/v1/products?q=a&q=a                          | user  | - | 422@query,q |-
GET | /api/v1/products?%zz=1                            | user  | - | 422@query,%zz |-
GET | /api/v1/products/{missing}?x=%zz                  | user  | - | 422@query,x |-
GET | /api/v1/users/me?a=1&a=2                          | user  | - | 422@query,a |-
GET | /?a=%                                             | -     | - | 422@query,a |-
GET | /api/v1/products?unknown=1                        | user  | - | 200 |-
EOF
EXTRA=(--http1.1)
t "GET /products?q=<10,000 characters> (HTTP/1.1) is 414" GET "$API/products?q={10k}" user - \
    "414:URI Too Long" -
t "GET /api/v1/<10,000 characters> (HTTP/1.1) is 414" GET "$API/{10k}" user - "414:URI Too Long" -
EXTRA=()
long_q=$(head -c 256 /dev/zero | tr '\0' q)
t "GET /products?q=<256 characters> is 422" GET "$API/products?q=$long_q" user - "422@query,q" -
t "GET /products?category=<101 characters> is 422" GET "$API/products?category=${long_q:0:101}" \
    user - "422@query,category" -
t "GET /products?q=<255 characters> is 200" GET "$API/products?q=${long_q:0:255}" user - 200 -

flush

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
	subst "$base"
	pad_json "$work/b64" "$REPLY"
	printf '%s,"x":%s}' "${REPLY%\}}" "$DEEP15" >"$work/deep16"
	printf '{%s%s' "$MANYKEYS" "${REPLY#\{}" >"$work/manykeys"
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
	flush	# the prepared files are rewritten for the next route
done <<<"$BASES"

flush

# ---------------------------------------------- every field of every body

# One line per field, as the route's spec declares it (src/users.c,
# src/inventory.c, src/orders.c); @V@ in the body is where each value
# goes. TYPE is str, email, url (absolute http or https), enum (order
# status), int, dec (money), bool or list; MIN and MAX bound a length (str) or the value (int, dec);
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
		t "$method $path $loc=\"processing\"" "$method" "$p" admin application/json \
		    "$status" "${tmpl//@V@/'"processing"'}"
		t "$method $path $loc=\"PROCESSING\"" "$method" "$p" admin application/json \
		    "422@body,$loc" "${tmpl//@V@/'"PROCESSING"'}"
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

flush

# ------------------------------------- sums beyond the columns' bounds

# Stock at 2^31-1 cannot grow; an order whose total would not fit in
# DECIMAL(12,2) is refused (the product is deleted again: nothing was
# ordered).
printf '{"sku":"BI-MAX-%s","name":"Bad Input max","price":9999999999}' "$RUN_ID" >"$work/in"
send POST "$API/products" admin application/json "$work/in"
max_pid=$(json_num id)
if expect_ok 201 POST && [[ $BODY == *'"price":9999999999.00'* ]]; then
	ok "a product at the highest price"
else
	not_ok "a product at the highest price" "$(got)"
fi
CREATED_PRODUCTS+=("$max_pid")
printf '{"product_id":%s,"quantity_in_stock":2147483647}' "${max_pid:-0}" >"$work/in"
send POST "$API/inventory" admin application/json "$work/in"
max_iid=$(json_num id)
if expect_ok 201 POST; then ok "its stock at 2^31-1"; else not_ok "its stock at 2^31-1" "$(got)"; fi
table <<EOF
POST | /api/v1/inventory/$max_iid/adjust | admin | application/json | 422@body,quantity | {"quantity":1} | (stock at 2^31-1)
POST | /api/v1/inventory/$max_iid/adjust | admin | application/json | 422@body,quantity | {"quantity":1000000000} | (stock at 2^31-1)
PUT  | /api/v1/inventory/$max_iid        | admin | application/json | 422 | {"quantity_reserved":2147483647,"quantity_in_stock":0} | (reserved > stock)
POST | /api/v1/orders | user | application/json | 400:Order total exceeds 9999999999.99 | {"shipping_address":"a","items":[{"product_id":$max_pid,"quantity":2}]}
POST | /api/v1/orders | user | application/json | 400:Order total exceeds 9999999999.99 | {"shipping_address":"a","items":[{"product_id":$max_pid,"quantity":1000000}]}
EOF

flush

# ---------------------------------------------- other headers, other forms

idem_long=$(head -c 129 /dev/zero | tr '\0' k)
for key in "$idem_long" $'a\tb' "é"; do
	printf '{"shipping_address":"a","items":[{"product_id":%s,"quantity":1}]}' "$MISSING" >"$work/in"
	send POST "$API/orders" user application/json "$work/in" -H "Idempotency-Key: $key"
	if expect_ok "422@header,idempotency-key" POST; then
		ok "POST /orders with Idempotency-Key '${key:0:20}' is 422"
	else
		not_ok "POST /orders with Idempotency-Key '${key:0:20}' is 422" "$(got)"
	fi
done

# The login form: bad escapes, NUL, invalid UTF-8, missing fields.
FORM=application/x-www-form-urlencoded
table <<EOF
POST | /api/v1/auth/login | - | $FORM | 422@body | username=a%zz&password=x
POST | /api/v1/auth/login | - | $FORM | 422@body | username=a%00b&password=x
POST | /api/v1/auth/login | - | $FORM | 422@body | username=%ff&password=x
POST | /api/v1/auth/login | - | $FORM | 422@body | username=a&password=\xff
POST | /api/v1/auth/login | - | $FORM | 422@body | username=a&password=x%
POST | /api/v1/auth/login | - | $FORM | 422@body,password | username=a
POST | /api/v1/auth/login | - | $FORM | 422@body,password | username=a&password=
POST | /api/v1/auth/login | - | $FORM | 422@body,password | -                 | (empty form)
POST | /api/v1/auth/login | - | $FORM | 422 | password=x                        | (no username)
POST | /api/v1/auth/login | - | $FORM | 401:Incorrect email or password | username={email}&password=$SQL2
POST | /api/v1/auth/login | - | $FORM | 401:Incorrect email or password | username=x%27%29%3B%20DROP%20TABLE%20users%3B%20--&password=x
POST | /api/v1/auth/login | - | $FORM | 422@body,username | username={10k}&password=x
EOF

# A body sent chunked (HTTP/1.1, no Content-Length) is read whole.
printf '{"sku":"%s","name":"B","price":1}' "$SKU" >"$work/in"
send POST "$API/products" admin application/json "$work/in" --http1.1 -H 'Transfer-Encoding: chunked'
if expect_ok "400:Product with SKU $SKU already exists" POST; then
	ok "POST /products with a chunked body is read (400 duplicate SKU)"
else
	not_ok "POST /products with a chunked body is read" "$(got)"
fi
# A GET ignores a body, whatever it is.
printf '\xff\x00{' >"$work/in"
send GET "$API/users/me" user text/plain "$work/in"
if expect_ok 200 GET; then ok "GET /users/me with a binary text/plain body is 200"; else not_ok "GET with a body" "$(got)"; fi
# Paths nginx refuses or the router does not know.
table <<'EOF'
GET | /api/v1/products/%00             | user | - | 4xx |-
GET | /api/v1/products/%ff             | user | - | 404:Not Found |-
GET | /api/v1/products/1/              | user | - | 404:Not Found |-
GET | /api/v1/products//{missing}      | user | - | 404:Product with id 9223372036854775807 not found |-
GET | /api/v1/products/1%2f2           | user | - | 404:Not Found |-
GET | /api/v1/PRODUCTS                 | user | - | 404:Not Found |-
EOF

flush

# ------------------------------------------------------------ afterwards

for id in "${CREATED_ORDERS[@]}"; do
	[[ -n $id ]] && send DELETE "$API/orders/$id" admin - -
done
for id in "${CREATED_PRODUCTS[@]}"; do
	[[ -n $id ]] && send DELETE "$API/products/$id" admin - -
done
send GET "$API/orders/$OID" user - -
if [[ $CODE == 200 && $(json_str status) == cancelled ]]; then
	ok "the order placed here is cancelled again"
else
	not_ok "the order placed here is cancelled again" "$(got)"
fi

# The tables a SQL injection would have dropped are all there.
send GET "$API/users?limit=1" admin - -
if [[ $CODE == 200 && $(header X-Total-Count) =~ ^[1-9] ]]; then ok "users are still there"; else not_ok "users are still there" "$(got)"; fi
send GET "$API/products/$PID" user - -
if [[ $CODE == 200 ]]; then ok "products are still there"; else not_ok "products are still there" "$(got)"; fi

send GET /healthz - - -
if [[ $CODE == 200 && $BODY == *'"database":"ok"'* && $BODY == *'"redis":"ok"'* ]]; then
	ok "GET /healthz is still 200, database and redis ok"
else
	not_ok "GET /healthz is still 200" "$(got)"
fi

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
