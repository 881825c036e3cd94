#!/bin/sh
# t/check_man.sh: the man pages render without a warning, and
# inventory.conf(5), etc/inventory.conf.sample and README's CONFIGURE list
# document exactly the keys of src/config.c's table.
#
#   t/check_man.sh              (make check) the pages generated in the build
#                               tree, plus the keys check; skips (77) without
#                               mandoc
#   t/check_man.sh PAGE...      (t/installcheck.sh) just those pages
#
# Each page must pass `mandoc -T lint -W warning` (mdoc structure, macros,
# arguments) and render through man(1) and groff with all warnings on
# (man --warnings=w, i.e. groff -ww), both silently, with no mdoc macro
# name left in the rendered text. Prints "ok"/"not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C.UTF-8 MANWIDTH=80

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

if [ $# -gt 0 ]; then
	pages="$*"
	keys=no
else
	pages=
	for m in $MANS; do
		pages="$pages $top_builddir/$m"
	done
	keys=yes
	if ! command -v mandoc >/dev/null; then
		echo "# mandoc not found (Debian package mandoc): skipped"
		exit 77
	fi
fi

for p in $pages; do
	if [ ! -s "$p" ]; then
		notok "$p: missing"
		continue
	fi
	if ! command -v mandoc >/dev/null; then
		notok "mandoc not found (Debian package mandoc)"
	else
		out=$(mandoc -T lint -W warning "$p" 2>&1)
		if [ -z "$out" ]; then ok "mandoc -T lint ${p##*/}"; else notok "mandoc -T lint ${p##*/}: $out"; fi
		# A macro on a text line is printed, not obeyed, and the lint
		# cannot tell it from prose: look for mdoc's macro names as
		# words of the rendered text ("It" and "No" are English too).
		out=$(mandoc -T ascii "$p" | sed 's/.\x08//g' | grep -n -w -E \
		    'Ar|Aq|Bd|Bl|Cm|Dl|Dq|Ed|El|Ev|Fl|Ic|Li|Nm|Ns|Op|Pa|Pc|Po|Pq|Ql|Sq|Sx|Sy|Va|Xc|Xo|Xr')
		if [ -z "$out" ]; then ok "no raw mdoc in ${p##*/}"; else notok "mdoc macros printed as text in ${p##*/} (a macro not at the start of a line?): $out"; fi
	fi
	# All of groff's warnings but "can't break line": an installation
	# path in a deep prefix (make distcheck's) is longer than a line and
	# has no place to break; that is typography, not a fault of the page.
	out=$(man --warnings=w -E UTF-8 -l "$p" 2>&1 >/dev/null | grep -v "can't break line")
	if [ -z "$out" ]; then ok "man -l ${p##*/}"; else notok "man -l ${p##*/}: $out"; fi
done

if [ $keys = yes ]; then
	# The keys: rows S(name, ...), I(name, ...), D(name, ...) of keys[],
	# and for each REDIS_KEYS(prefix, ...) row the prefix_field of every
	# RS(p, field, ...) and RI(p, field, ...) row of that macro.
	cfile=$top_srcdir/src/config.c
	rfields=$(sed -n 's/^[[:space:]]*R[SI](p, \([a-z_0-9]*\),.*/\1/p' "$cfile")
	code=$( (sed -n 's/^[[:space:]]*[SIDB](\([a-z_0-9]*\),.*/\1/p' "$cfile"
	    for p in $(sed -n 's/^[[:space:]]*REDIS_KEYS(\([a-z_0-9]*\),.*/\1/p' "$cfile"); do
		for f in $rfields; do
			echo "${p}_$f"
		done
	    done) | sort -u)
	man=$(sed -n 's/^\.It Cm \([a-z_0-9]*\) No = .*/\1/p' "$top_srcdir/doc/man/inventory.conf.5.in" | sort -u)
	sample=$(sed -n 's/^#\{0,1\}\([a-z_0-9]*\) =.*/\1/p' "$top_srcdir/etc/inventory.conf.sample" | sort -u)
	# README's CONFIGURE list: "key [default]" in the indented block
	# after "The keys, in short".
	readme=$(awk '/^The keys, in short/ { f = 1; next }
	    f && /^    / { print; seen = 1; next } seen { exit }' "$top_srcdir/README" |
	    grep -o '[a-z_0-9]* \[' | sed 's/ \[$//' | sort -u)
	before=$failed
	n=$(printf '%s\n' "$code" | grep -c .)
	if [ "$n" -lt 10 ]; then
		notok "only $n keys found in src/config.c: has its table changed shape?"
	fi
	# missing_in LIST WHAT HINT: a failure for each key of $code that
	# LIST (a key a line) lacks, WHAT naming the place.
	missing_in() {
		for k in $code; do
			printf '%s\n' "$1" | grep -qx "$k" ||
			    notok "key $k of src/config.c is not in $2$(printf "$3" "$k")"
		done
	}
	# extra_in LIST WHAT: a failure for each key of LIST that src/config.c
	# lacks.
	extra_in() {
		for k in $1; do
			printf '%s\n' "$code" | grep -qx "$k" ||
			    notok "$2 has $k, which src/config.c does not have"
		done
	}
	missing_in "$man" doc/man/inventory.conf.5.in " (add an .It Cm %s No = DEFAULT entry)"
	missing_in "$sample" etc/inventory.conf.sample ""
	missing_in "$readme" "README's CONFIGURE list" ' (add "%s [DEFAULT]")'
	extra_in "$readme" "README's CONFIGURE list"
	extra_in "$man" doc/man/inventory.conf.5.in
	extra_in "$sample" etc/inventory.conf.sample
	[ "$failed" -eq "$before" ] &&
	    ok "the $n configuration keys are in inventory.conf(5), the sample and README"
fi

tally_end
