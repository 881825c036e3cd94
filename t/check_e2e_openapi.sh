#!/bin/sh
# t/check_e2e_openapi.sh: t/e2e_openapi.sh, the validation of live
# responses against doc/openapi.json, tells a right response from wrong
# ones: fed responses as e2e_record keeps them, one that keeps to the
# document and one breaking it in each way it checks (body schema,
# undocumented status, declared header, Content-Type), it passes the first
# alone and exits 1; with --every-operation, operations no response
# reached fail.
#
# Skips (77) when npm is not installed, like t/check_openapi_lint.sh
# (tools/devstack installs it and counts a skip as a failure). Run by
# `make check` with top_srcdir, top_builddir and NPM in the environment;
# prints "ok" / "not ok" lines and "N passed, M failed".
set -u

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

if [ -z "${NPM:-}" ] || ! command -v "$NPM" >/dev/null; then
	echo "# npm not found (Node.js): cannot validate responses; skipped"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/r"

# response N METHOD PATH STATUS CONTENT-TYPE BODY [HEADER]: one kept
# response, as t/e2e_lib.sh's e2e_record writes it.
response() {
	printf '%s\n%s\n%s\n' "$2" "$3" "$4" >"$work/r/$1.meta"
	{
		printf 'HTTP/2 %s\r\ncontent-type: %s\r\n' "$4" "$5"
		[ -z "${7:-}" ] || printf '%s\r\n' "$7"
		printf '\r\n'
	} >"$work/r/$1.headers"
	printf '%s' "$6" >"$work/r/$1.body"
}
response 1 GET /healthz 200 application/json \
    '{"status":"ok","database":"ok","redis":"ok"}'
response 2 GET /healthz 200 application/json \
    '{"status":5,"database":"ok","redis":"ok"}'
response 3 GET /healthz 418 application/json '{"detail":"teapot"}'
response 4 GET /api/v1/users 200 application/json '[]' 'x-total-count: many'
response 5 GET /healthz 200 text/html '<p>ok</p>'

out=$(sh "$top_srcdir/t/e2e_openapi.sh" "$work/r" 2>&1)
rc=$?
printf '%s\n' "$out" | sed -e 's/^/# /'
has() { printf '%s\n' "$out" | grep -q -F -e "$1"; }
check "a response that keeps to the document passes" \
    has "ok - GET /healthz 200 (healthz)"
check "a body off its schema fails" \
    has "not ok - GET /healthz 200 (healthz): body/status must be string"
check "an undocumented status fails" \
    has "not ok - GET /healthz 418 (healthz): status 418 is not documented"
check "a declared header of the wrong type fails" \
    has "not ok - GET /api/v1/users 200 (users_list): /headers/x-total-count must be integer"
check "an undocumented Content-Type fails" \
    has 'not ok - GET /healthz 200 (healthz): Content-Type "text/html" is not documented'
check "the count says 1 passed, 4 failed" has "1 passed, 4 failed"
check "exit status 1 (got $rc)" test "$rc" -eq 1
rm "$work"/r/[2-5].*
out=$(sh "$top_srcdir/t/e2e_openapi.sh" --every-operation "$work/r" 2>&1)
check "--every-operation: an operation no response reached fails" \
    has "not ok - every operation answered at least once: not root metrics"

tally_end
