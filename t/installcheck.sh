#!/bin/sh
# t/installcheck.sh: checks an installed tree; run by `make installcheck`
# (and so by `make distcheck`, which installs into a scratch prefix), with
# the installation directories in the environment (see installcheck-local
# in Makefile.am). Works on a DESTDIR staging tree too.
#
#   - every file `make install` should put is there, and every document
#     (.md) an installed file names is installed in DOCDIR;
#   - the installed files name configure's paths: no placeholder is left
#     but the nginx site's four operator placeholders, and no path of a
#     default layout (/usr/local, /etc/inventory...) is hard-coded when
#     configure was given another;
#   - the programs' built-in configuration path is SYSCONFDIR/inventory.conf;
#   - every systemd unit passes `systemd-analyze verify` (with the installed
#     man pages on MANPATH: Documentation= is checked too);
#   - the installed nginx site, its operator placeholders filled in, passes
#     `nginx -t`;
#   - the installed man pages render without warnings (t/check_man.sh).
#
# Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed".
set -u

PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
D=${DESTDIR:-}
# shellcheck source=t/tally.sh
. "$here/tally.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/checklib.sh"

# --- the files ---------------------------------------------------------

built=
for p in $programs; do
	built="$built ${p##*/}"
done
for p in inventory.fcgi inventoryctl inventory-worker; do
	case " $built " in
	*" $p "*) check "program $sbindir/$p" test -x "$D$sbindir/$p" ;;
	*) notok "program $p is not built" ;;
	esac
done

files="
$mandir/man8/inventory.fcgi.8
$mandir/man8/inventory-worker.8
$mandir/man8/inventoryctl.8
$mandir/man5/inventory.conf.5
$docdir/README
$docdir/design.md
$docdir/BENCHMARKS.md
$docdir/inventory.conf.sample
$pkgdatadir/nginx/inventory.conf
$pkgdatadir/nginx/inventory-redirect.conf
$pkgdatadir/nginx/inventory-snippet.conf
$pkgdatadir/cron.d/inventory-worker
$pkgdatadir/crontab
$pkgdatadir/www/openapi.json
$pkgdatadir/prometheus/inventory-alerts.yml
$pkgdatadir/grafana/inventory-dashboard.json
"
for f in "$top_srcdir"/schema/[0-9]*.sql; do
	files="$files $pkgdatadir/schema/${f##*/}"
done
units=
if [ "$systemdsystemunitdir" != no ]; then
	for u in inventory-fcgi.service inventory-fcgi-auth.service inventory-worker.service \
	    inventory-worker.timer inventory-worker-follow.service; do
		units="$units $systemdsystemunitdir/$u"
	done
	files="$files $units"
fi
if [ "$swagger_ui" = yes ]; then
	for f in index.html swagger-init.js swagger-ui.css swagger-ui-bundle.js LICENSE NOTICE; do
		files="$files $pkgdatadir/www/docs/$f"
	done
else
	echo "# built without the Swagger UI page: no $pkgdatadir/www/docs"
fi
for f in $files; do
	check "installed $f" test -s "$D$f"
done

# Every document an installed file names (a word ending in .md: README's
# doc/design.md, say) is installed in DOCDIR, where a reader looks.
named=
for f in $files; do
	case $f in
	*.js | *.css | */LICENSE | */NOTICE) ;;
	*) [ -f "$D$f" ] && named="$named $(grep -I -o -h -E \
	    -e '(^|[^A-Za-z0-9_./${}-])[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' \
	    "$D$f" | sed -e 's/^[^A-Za-z0-9_./${}-]//')" ;;
	esac
done
for d in $(printf '%s\n' $named | sort -u); do
	check "document $d named by an installed file is $docdir/${d##*/}" \
	    test -s "$D$docdir/${d##*/}"
done

# --- paths substituted ------------------------------------------------

# The text files we generate or install, as they are on disk.
texts=
for f in $files; do
	case $f in
	*.js | *.css | */LICENSE | */NOTICE | *.sql | */README | *.md) ;;
	*) [ -f "$D$f" ] && texts="$texts $D$f" ;;
	esac
done

# No @placeholder@ left, but the operator's in the nginx site files (and
# the header's list of all of them, in comments).
left=$(grep -n -o '@[A-Za-z_]*@' $texts /dev/null |
    grep -v -E '/nginx/inventory(-redirect)?\.conf:[0-9]+:@(HTTPS_LISTEN6?|HTTP_LISTEN6?|SERVER_NAME|TLS_CERT|TLS_KEY|FCGI_SOCKET|FCGI_AUTH_SOCKET|STATIC_ROOT)@$' || true)
check "no placeholder left${left:+: $left}" test -z "$left"
left=$(grep -v '^[[:space:]]*#' "$D$pkgdatadir/nginx/inventory.conf" |
    grep -o -E '@(FCGI_SOCKET|FCGI_AUTH_SOCKET|STATIC_ROOT)@' || true)
check "nginx site: the paths configure knows filled in${left:+: $left}" test -z "$left"
check "make install made $sysconfdir for inventory.conf" test -d "$D$sysconfdir"

# grep_in FILE STRING: FILE holds STRING.
grep_in() { grep -q -F -e "$2" "$1"; }
check "nginx site names the socket $runstatedir/inventory/fcgi.sock" \
    grep_in "$D$pkgdatadir/nginx/inventory.conf" "server unix:$runstatedir/inventory/fcgi.sock"
check "nginx site names the auth pool's socket $runstatedir/inventory-auth/fcgi.sock" \
    grep_in "$D$pkgdatadir/nginx/inventory.conf" "server unix:$runstatedir/inventory-auth/fcgi.sock"
check "nginx site serves $pkgdatadir/www" \
    grep_in "$D$pkgdatadir/nginx/inventory.conf" "alias $pkgdatadir/www/openapi.json;"
check "crontab starts the main pool under setsid and absolute paths" \
    grep -q -E "^@reboot +setsid /[^ ]*spawn-fcgi -n -s $runstatedir/inventory/fcgi.sock .* -- /[^ ]*multiwatch -f [0-9]+ -s TERM -- $sbindir/inventory.fcgi --config $sysconfdir/inventory.conf </dev/null >>" "$D$pkgdatadir/crontab"
check "crontab starts the auth pool at nice 10" \
    grep -q -E "^@reboot +setsid nice -n 10 /[^ ]*spawn-fcgi -n -s $runstatedir/inventory-auth/fcgi.sock .* -- /[^ ]*multiwatch " "$D$pkgdatadir/crontab"
check "crontab runs the worker every minute" \
    grep_in "$D$pkgdatadir/crontab" "* * * * *  $sbindir/inventory-worker --config $sysconfdir/inventory.conf --drain"
check "cron file runs $sbindir/inventory-worker with $sysconfdir/inventory.conf" \
    grep_in "$D$pkgdatadir/cron.d/inventory-worker" "$sbindir/inventory-worker --config $sysconfdir/inventory.conf --drain >>$localstatedir/log/inventory/worker.log"
for u in $units; do
	case $u in
	*.timer) ;;
	*fcgi*) check "${u##*/} runs $sbindir/inventory.fcgi --config $sysconfdir/inventory.conf" \
		    grep_in "$D$u" "$sbindir/inventory.fcgi --config $sysconfdir/inventory.conf"
		# The socket the site file names for that pool.
		case $u in
		*-auth.service) sock=$runstatedir/inventory-auth/fcgi.sock ;;
		*) sock=$runstatedir/inventory/fcgi.sock ;;
		esac
		check "${u##*/} listens on $sock" grep_in "$D$u" "-s $sock " ;;
	*) check "${u##*/} runs $sbindir/inventory-worker --config $sysconfdir/inventory.conf" \
		    grep_in "$D$u" "$sbindir/inventory-worker --config $sysconfdir/inventory.conf" ;;
	esac
done
check "inventory.conf(5) names $sysconfdir/inventory.conf" \
    grep_in "$D$mandir/man5/inventory.conf.5" "$sysconfdir/inventory.conf"

# Paths of the usual layouts must not appear when configure chose others.
hard=
[ "$prefix" = /usr/local ] || hard="$hard /usr/local"
[ "$sysconfdir" = /etc ] || hard="$hard /etc/inventory"
[ "$sbindir" = /usr/sbin ] || hard="$hard /usr/sbin/inventory"
[ "$localstatedir" = /var ] || hard="$hard /var/log/inventory /var/lib/inventory"
[ "$pkgdatadir" = /usr/share/inventory ] || hard="$hard /usr/share/inventory"
for h in $hard; do
	# At the start of a path, not inside a longer one like PREFIX/etc/...
	found=$(grep -l -E -e "(^|[^A-Za-z0-9_./-])$h" $texts /dev/null || true)
	check "no hard-coded $h${found:+ (in $found)}" test -z "$found"
done

# The programs' built-in default is the file the documentation names.
for p in inventory.fcgi inventoryctl; do
	check "$p defaults to $sysconfdir/inventory.conf" \
	    grep -q -a -F -e "$sysconfdir/inventory.conf" "$D$sbindir/$p"
done

# --- systemd ------------------------------------------------------------

if [ -n "$units" ]; then
	# shellcheck disable=SC2086 # one word per unit
	verify_units "$D" "$sbindir" "$mandir" $units
fi

# --- nginx -t -------------------------------------------------------------

nginx_check "$D$pkgdatadir/nginx/inventory.conf" \
    "$D$pkgdatadir/nginx/inventory-redirect.conf"

# --- man pages ----------------------------------------------------------

pages=
for f in $files; do
	case $f in
	*.[58]) pages="$pages $D$f" ;;
	esac
done
if out=$(sh "$here/check_man.sh" $pages 2>&1); then
	ok "installed man pages render without warnings"
else
	notok "installed man pages: $out"
fi

tally_end
