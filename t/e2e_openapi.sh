#!/bin/sh
# t/e2e_openapi.sh [--every-operation] DIR: validates every response an
# end-to-end run kept in DIR (E2E_RECORD=DIR bash t/e2e.sh ...: status,
# headers, body of each, as nginx sent them) against doc/openapi.json,
# with openapi-backend from npm (t/openapi_responses.js says what is
# checked); --every-operation: and every operation of the document was
# answered at least once.
#
# top_srcdir (default: this script's tree) and top_builddir (default:
# top_srcdir/build) locate the document and npm/, where the pinned
# packages are installed when missing; NPM and NODE name the programs.
# Prints "ok" / "not ok" lines and "N passed, M failed"; exit 1 on any
# failure, 2 on a usage error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(dirname "$here")}"
: "${top_builddir:=$top_srcdir/build}"

# shellcheck source=t/npm_tools.sh
. "$top_srcdir/t/npm_tools.sh"

every=
if [ "${1:-}" = --every-operation ]; then
	every=$1
	shift
fi
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: t/e2e_openapi.sh [--every-operation] DIR (the E2E_RECORD of an end-to-end run)" >&2
	exit 2
fi
dir=$top_builddir/npm
if ! npm_tools "$dir" openapi-backend; then
	echo "not ok - npm ci in $dir: openapi-backend not installed"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC2086 # $every: no word, or one
NODE_PATH=$dir/node_modules exec "${NODE:-node}" \
    "$top_srcdir/t/openapi_responses.js" $every \
    "$top_srcdir/doc/openapi.json" "$1"
