#!/bin/sh
# t/check_version.sh: every program's --version prints "PROGRAM VERSION"
# and exits 0, and the generated man pages carry the same VERSION: the
# one of configure.ac's AC_INIT (PACKAGE_VERSION from make). The OpenAPI
# document's info.version is held to it by t/check_openapi.c.
#
# Prints "ok"/"not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

for p in inventory.fcgi inventory-worker inventoryctl; do
	out=$("$top_builddir/src/$p" --version 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "$p $PACKAGE_VERSION" ]; then
		ok "$p --version"
	else
		notok "$p --version: exit $rc, printed '$out', want '$p $PACKAGE_VERSION'"
	fi
done

# Each page's .Os line (the footer) names the version.
for m in $MANS; do
	if grep -q -x -F ".Os inventory $PACKAGE_VERSION" "$top_builddir/$m"; then
		ok "$m says $PACKAGE_VERSION"
	else
		notok "$m has no '.Os inventory $PACKAGE_VERSION'"
	fi
done

tally_end
