#!/bin/sh
# t/check_docs.sh: the project's files cite only documents the project
# has. Every name of a Markdown document (a word ending in .md) found in
# the sources, schema, site file, units, man pages, tests, tools and
# top-level files must be a file of the source tree: a name with a
# directory from the top, a bare name at the top or in doc/. A document
# cited that is not here is one a reader cannot open.
#
# Run by `make check` with top_srcdir in the environment; prints "ok" /
# "not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

cd "$top_srcdir" || exit 99

# What we write; not the build's output or what npm fetched.
where=
for d in src schema nginx etc doc t tools .ci README \
    Makefile.am configure.ac; do
	[ -e "$d" ] && where="$where $d"
done
cited=$(grep -r -I -o -h -E \
    --exclude-dir=node_modules --exclude-dir=corpus --exclude-dir=run \
    -e '(^|[^A-Za-z0-9_./${}-])[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' $where |
    sed -e 's/^[^A-Za-z0-9_./${}-]//' | sort -u)

for c in $cited; do
	case $c in
	*/*) found=$c ;;
	*) found=
		for f in "$c" "doc/$c"; do
			[ -f "$f" ] && found=$f && break
		done ;;
	esac
	if [ -n "$found" ] && [ -f "$found" ]; then
		ok "$c is in the tree ($found)"
	else
		notok "$c is cited but not in the tree: $(grep -r -I -l -F \
		    --exclude-dir=node_modules --exclude-dir=corpus \
		    --exclude-dir=run -e "$c" $where | tr '\n' ' ')"
	fi
done
[ -n "$cited" ] || ok "no document cited"

tally_end
