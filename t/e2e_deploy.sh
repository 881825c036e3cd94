#!/usr/bin/env bash
# t/e2e_deploy.sh: the deployment's static side, through nginx, on a
# running stack (tools/devstack test runs it after t/e2e.sh):
#   - /api/v1/openapi.json is doc/openapi.json, as JSON, with the headers;
#   - /docs is the Swagger UI page under its own Content-Security-Policy,
#     its assets gzipped when asked,
#     and headless Chromium, opening it, lists every operation of the
#     document, with no CSP violation;
#   - /metrics answers loopback but refuses (403, JSON) another address.
#
# Usage: t/e2e_deploy.sh URL
#   E2E_CACERT  certificate of the server (else it is not checked)
#
# Needs curl, node (to read the document) and Debian's chromium. Each
# check prints "ok - NAME" or "not ok - NAME: why"; the last line is
# "N passed, M failed", and the exit status is 1 when M > 0.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URL=${1:?usage: t/e2e_deploy.sh URL}
URL=${URL%/}
CACERT=${E2E_CACERT:-}
if [[ -n $CACERT ]]; then TLS=(--cacert "$CACERT"); else TLS=(--insecure); fi
DOC=$here/../doc/openapi.json

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
notok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# req METHOD PATH [CURL-ARGS...]: sets CODE, leaves the body in
# $work/body and the headers in $work/headers.
req() {
	local method=$1 path=$2
	shift 2
	CODE=$(curl -sS "${TLS[@]}" --max-time 10 -X "$method" -D "$work/headers" \
	    -o "$work/body" -w '%{http_code}' "$@" "$URL$path" 2>"$work/stderr")
	[[ -n $CODE ]] || CODE=000
}
header() { grep -i "^$1:" "$work/headers" | tail -n 1 | cut -d: -f2- | sed -e 's/^ *//' -e 's/\r$//'; }
body() { tr -d '\r' <"$work/body"; }
# expect NAME WANT-CODE [WANT-BODY]: one check of the last response.
expect() {
	if [[ $CODE != "$2" ]]; then
		notok "$1: status $CODE, want $2 ($(body | head -c 200))"
	elif [[ -n ${3:-} && $(body) != "$3" ]]; then
		notok "$1: body $(body | head -c 200), want $3"
	else
		ok "$1"
	fi
}

# --- the OpenAPI document ---------------------------------------------

req GET /api/v1/openapi.json
expect "GET /api/v1/openapi.json" 200
if cmp -s "$work/body" "$DOC"; then ok "it is doc/openapi.json"; else notok "it is not doc/openapi.json"; fi
[[ $(header Content-Type) == application/json* ]] && ok "served as application/json" ||
    notok "served as $(header Content-Type)"
[[ -n $(header X-Request-ID) && -n $(header Strict-Transport-Security) ]] &&
    ok "with X-Request-ID and the security headers" || notok "headers missing"
# includeSubDomains would bind every subdomain: the operator's choice.
[[ $(header Strict-Transport-Security) == max-age=63072000 ]] &&
    ok "HSTS for this name alone" || notok "HSTS: $(header Strict-Transport-Security)"
req POST /api/v1/openapi.json
expect "POST /api/v1/openapi.json" 405 '{"detail":"Method Not Allowed"}'

# --- /docs ----------------------------------------------------------------

req GET /docs
if [[ $CODE == 404 ]]; then
	notok "GET /docs: 404: the build has no Swagger UI (configure found no npm?)"
else
	expect "GET /docs" 200
	[[ $(header Content-Type) == text/html* ]] && ok "/docs is HTML" ||
	    notok "/docs is $(header Content-Type)"
	grep -q 'swagger-ui-bundle.js' "$work/body" && ok "/docs loads Swagger UI" ||
	    notok "/docs does not load swagger-ui-bundle.js"
	csp=$(header Content-Security-Policy)
	[[ $csp == *"script-src 'self'"* && $csp != *unsafe-eval* ]] &&
	    ok "/docs runs only the site's own scripts (CSP)" || notok "/docs CSP: $csp"
	[[ -n $(header X-Request-ID) && $(header X-Frame-Options) == DENY ]] &&
	    ok "/docs keeps the security headers" || notok "/docs lacks security headers"
	req GET /docs/
	expect "GET /docs/" 200
	req GET /docs/swagger-ui-bundle.js
	expect "GET /docs/swagger-ui-bundle.js" 200
	[[ $(header Content-Type) == application/javascript* ]] && ok "served as JavaScript" ||
	    notok "swagger-ui-bundle.js served as $(header Content-Type)"
	req GET /docs/swagger-ui.css --compressed
	[[ $(header Content-Encoding) == gzip && $(header Vary) == *Accept-Encoding* ]] &&
	    ok "/docs stylesheet gzipped" || notok "swagger-ui.css: Content-Encoding '$(header Content-Encoding)'"
	req GET /docs/swagger-ui-bundle.js
	[[ -z $(header Content-Encoding) ]] && ok "not gzipped unasked" ||
	    notok "swagger-ui-bundle.js gzipped without Accept-Encoding"
fi
req GET /docs/no-such-file
expect "GET /docs/no-such-file" 404 '{"detail":"Not Found"}'

# --- /metrics access --------------------------------------------------------

# From 127.0.0.1 nginx passes it on (the application's answer); from
# 127.0.0.2, another address of the loopback interface but not in the
# allow list, nginx refuses.
req GET /metrics
if [[ $CODE != 403 && $CODE != 000 ]]; then ok "/metrics reachable from 127.0.0.1 ($CODE)"; else
	notok "/metrics from 127.0.0.1: $CODE"; fi
req GET /metrics --interface 127.0.0.2
expect "/metrics from 127.0.0.2 refused" 403 '{"detail":"Forbidden"}'

# --- /docs in a browser -------------------------------------------------------

# Every operation of the document as Swagger UI's element id:
# operations-TAG-OPERATIONID (tag: the operation's first).
node -e '
	const doc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	for (const [p, item] of Object.entries(doc.paths))
		for (const [m, op] of Object.entries(item))
			if (op && op.operationId)
				console.log(`operations-${op.tags[0]}-${op.operationId} ${m.toUpperCase()} ${p}`);
' "$DOC" >"$work/ops" 2>"$work/node.err" || notok "node could not read $DOC: $(cat "$work/node.err")"

chromium_bin=$(command -v chromium || true)
if [[ -z $chromium_bin ]]; then
	notok "chromium not found (Debian package chromium)"
elif [[ -s $work/ops ]]; then
	# Trust exactly the stack's certificate (by its public key) rather
	# than ignoring certificate errors.
	spki=()
	if [[ -n $CACERT ]]; then
		spki=(--ignore-certificate-errors-spki-list="$(openssl x509 -in "$CACERT" -noout -pubkey |
		    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)")
	fi
	# The flags keep Chromium off the network but for the page itself;
	# a fresh profile each run. The virtual time budget lets the page
	# fetch the document and render before the DOM is written out.
	timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --disable-dev-shm-usage --user-data-dir="$work/profile" \
	    "${spki[@]}" --enable-logging=stderr --v=0 \
	    --virtual-time-budget=30000 --dump-dom "$URL/docs" \
	    >"$work/dom" 2>"$work/chromium.log"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		notok "chromium exited $rc: $(tail -n 5 "$work/chromium.log")"
	else
		missing=()
		n=0
		while read -r id method path; do
			n=$((n + 1))
			grep -q "id=\"$id\"" "$work/dom" || missing+=("$method $path")
		done <"$work/ops"
		if ((${#missing[@]} == 0)); then
			ok "Chromium: /docs lists all $n operations"
		else
			notok "Chromium: /docs does not list ${missing[*]} (of $n)"
		fi
		if grep -q -i "content security policy" "$work/chromium.log"; then
			notok "Chromium: CSP violations: $(grep -i 'content security policy' "$work/chromium.log" | head -n 3)"
		else
			ok "Chromium: no CSP violation on /docs"
		fi
	fi
fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
