#!/bin/sh
# t/check_hardening.sh: the programs are built hardened (configure's
# default, --disable-hardening turns it off and this test skips):
#
#   - PIE: ELF type DYN;
#   - full RELRO: a GNU_RELRO segment and BIND_NOW (symbols bound at
#     start, so the relocations can be made read-only);
#   - stack protector: __stack_chk_fail is imported;
#   - _FORTIFY_SOURCE: some fortified libc call (__*_chk) is imported
#     (when configure found the build fortified: FORTIFIED=yes; without
#     optimisation there is nothing to fortify).
#
# Needs readelf (Debian package binutils). Prints "ok"/"not ok" lines and
# "N passed, M failed".
set -u
export LC_ALL=C

if [ "$HARDENING" != yes ]; then
	echo "# configured with --disable-hardening: skipped"
	exit 77
fi
if ! command -v readelf >/dev/null; then
	echo "# readelf not found (Debian package binutils): skipped"
	exit 77
fi

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

# matches TEXT REGEX: a line of TEXT matches the extended REGEX.
matches() { printf '%s\n' "$1" | grep -q -E -e "$2"; }

for p in inventory.fcgi inventory-worker inventoryctl; do
	bin=$top_builddir/src/$p
	check "$p is PIE (type DYN)" matches "$(readelf -h "$bin")" '^ *Type: +DYN '
	check "$p has a GNU_RELRO segment" matches "$(readelf -l -W "$bin")" ' GNU_RELRO '
	check "$p binds now (BIND_NOW)" matches "$(readelf -d -W "$bin")" \
	    '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW'
	symbols=$(readelf --dyn-syms -W "$bin")
	check "$p imports __stack_chk_fail" matches "$symbols" ' UND __stack_chk_fail(@|$)'
	if [ "$FORTIFIED" = yes ]; then
		check "$p imports fortified calls (__*_chk)" matches "$symbols" \
		    ' UND __[a-z0-9_]+_chk(@|$)'
	else
		echo "# $p: not fortified (CFLAGS without optimisation): no __*_chk to look for"
	fi
done

tally_end
