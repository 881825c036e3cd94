#!/bin/sh
# t/check_openapi_lint.sh: doc/openapi.json is a valid OpenAPI 3 document
# by @redocly/cli's recommended rules, every warning an error
# (doc/redocly.yaml; deliberate exceptions in doc/.redocly.lint-ignore.yaml).
# That the document and the route table agree is t/check_openapi.c's job.
#
# @redocly/cli comes from npm, at the version pinned in tools/npm/, into
# npm/ in the build tree (not the source tree, not the system). Skips (77)
# when npm is not installed; fails when it cannot fetch the package.
set -u

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

if [ -z "${NPM:-}" ] || ! command -v "$NPM" >/dev/null; then
	echo "# npm not found (Node.js): cannot lint the OpenAPI document; skipped"
	exit 77
fi
# shellcheck source=t/npm_tools.sh
. "$top_srcdir/t/npm_tools.sh"
dir=$top_builddir/npm
redocly=$dir/node_modules/.bin/redocly
if ! npm_tools "$dir" @redocly/cli; then
	notok "npm ci in $dir (is the npm registry reachable?)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# No telemetry and no update check: the lint must not go online.
out=$(cd "$dir" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    NO_COLOR=1 "$redocly" lint --format=stylish \
    --config "$top_srcdir/doc/redocly.yaml" "$top_srcdir/doc/openapi.json" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	ok "redocly lint doc/openapi.json (recommended-strict)"
else
	printf '%s\n' "$out" | grep -v -e '║' -e '╔' -e '╚'
	notok "redocly lint doc/openapi.json (exit $rc)"
fi

tally_end
