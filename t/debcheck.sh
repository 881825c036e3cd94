#!/bin/sh
# t/debcheck.sh DEB: checks the Debian package tools/devstack package
# builds (debian/), unpacked into a scratch directory with dpkg-deb:
#
#   - the programs, units, man pages, schema, OpenAPI document, cron file,
#     nginx site and the sysusers, tmpfiles and logrotate files are where
#     Debian looks for them, with their modes; every file root's;
#   - nothing is active on installation: no file in /etc/cron.d, no nginx
#     site enabled, no unit enabled (postinst only re-enables what the
#     administrator had enabled);
#   - /etc/inventory.conf, the nginx site and the logrotate file are
#     conffiles; the configuration is 0640 in the package and postinst
#     gives it to the group inventory after the sysusers snippet made it;
#   - the sysusers file parses (systemd-sysusers --dry-run), the units
#     pass systemd-analyze verify, the nginx site with its placeholders
#     filled in passes nginx -t (t/checklib.sh, as for make installcheck);
#   - the programs say the package's version (--version) and are
#     hardened (t/check_hardening.sh).
#
# Prints "ok"/"not ok" lines and "N passed, M failed".
set -u

PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
deb=$1
# shellcheck source=t/tally.sh
. "$here/tally.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=t/checklib.sh
. "$here/checklib.sh"

R=$work/root
mkdir -p "$R" "$work/control"
if ! dpkg-deb -x "$deb" "$R" || ! dpkg-deb -e "$deb" "$work/control"; then
	notok "dpkg-deb cannot unpack $deb"
	echo "$passed passed, $failed failed"
	exit 1
fi
version=$(dpkg-deb -f "$deb" Version)

# --- the files and their modes ------------------------------------------

# mode FILE: its permission bits in octal, as in the package.
mode() { stat -c %a "$R$1"; }
# has MODE FILE...: each FILE is a non-empty regular file of MODE.
has() {
	want=$1
	shift
	for f in "$@"; do
		if [ -f "$R$f" ] && [ -s "$R$f" ] && [ "$(mode "$f")" = "$want" ]; then
			ok "$f, mode $want"
		elif [ -f "$R$f" ]; then
			notok "$f: mode $(mode "$f"), want $want"
		else
			notok "$f: missing"
		fi
	done
}

has 755 /usr/sbin/inventory.fcgi /usr/sbin/inventory-worker /usr/sbin/inventoryctl
units=
for u in "$top_srcdir"/etc/systemd/*; do
	u=${u##*/}
	units="$units /lib/systemd/system/${u%.in}"
done
# shellcheck disable=SC2086 # one word per unit
has 644 $units
has 640 /etc/inventory.conf
has 644 /etc/nginx/sites-available/inventory \
    /etc/nginx/sites-available/inventory-redirect \
    /etc/logrotate.d/inventory \
    /usr/lib/sysusers.d/inventory.conf /usr/lib/tmpfiles.d/inventory.conf \
    /usr/share/inventory/cron.d/inventory-worker \
    /usr/share/inventory/www/openapi.json \
    /usr/share/inventory/prometheus/inventory-alerts.yml \
    /usr/share/inventory/grafana/inventory-dashboard.json \
    /usr/share/man/man8/inventory.fcgi.8.gz \
    /usr/share/man/man8/inventory-worker.8.gz \
    /usr/share/man/man8/inventoryctl.8.gz \
    /usr/share/man/man5/inventory.conf.5.gz \
    /usr/share/doc/inventory/copyright
for f in "$top_srcdir"/schema/[0-9]*.sql; do
	has 644 "/usr/share/inventory/schema/${f##*/}"
done
check "README in /usr/share/doc/inventory" \
    test -s "$R/usr/share/doc/inventory/README.gz" -o -s "$R/usr/share/doc/inventory/README"

others=$(dpkg-deb --contents "$deb" | awk '$2 != "root/root" { print $NF }')
check "every file is root's${others:+ (not: $others)}" test -z "$others"

# --- nothing active on installation --------------------------------------

for d in /etc/cron.d /etc/nginx/sites-enabled /etc/systemd; do
	check "nothing in $d" test ! -e "$R$d"
done
check "the packaged configuration is the sample" \
    cmp -s "$R/etc/inventory.conf" "$top_srcdir/etc/inventory.conf.sample"
for u in $units; do
	grep -q '^\[Install\]' "$R$u" || continue
	u=${u##*/}
	# dh_installsystemd --no-enable: enable only what was enabled before.
	check "postinst does not enable $u" \
	    grep -q -F "deb-systemd-helper debian-installed '$u'" "$work/control/postinst"
done

# --- conffiles and the group of the configuration ------------------------

for f in /etc/inventory.conf /etc/nginx/sites-available/inventory \
    /etc/nginx/sites-available/inventory-redirect /etc/logrotate.d/inventory; do
	check "$f is a conffile" grep -q -x -F "$f" "$work/control/conffiles"
done
# after FIRST SECOND FILE: a line matching FIRST comes before one
# matching SECOND in FILE.
after() {
	awk -v a="$1" -v b="$2" '$0 ~ a && !sa { sa = NR } $0 ~ b && !sb { sb = NR }
	    END { exit !(sa && sb && sa < sb) }' "$3"
}
check "postinst gives /etc/inventory.conf to the group inventory after systemd-sysusers" \
    after 'systemd-sysusers' 'chgrp inventory /etc/inventory.conf' "$work/control/postinst"
check "postrm removes /var/log/inventory on purge" \
    grep -q -x -F '	rm -rf /var/log/inventory' "$work/control/postrm"
check "postinst leaves the mode at 0640" \
    grep -q -F 'chmod 0640 /etc/inventory.conf' "$work/control/postinst"
check "postinst makes the tmpfiles.d directories after the user" \
    after 'systemd-sysusers .*inventory[.]conf' 'systemd-tmpfiles .*--create inventory[.]conf' \
    "$work/control/postinst"

# --- the files parse -------------------------------------------------------

out=$(systemd-sysusers --dry-run --root="$work/sysroot" \
    "$R/usr/lib/sysusers.d/inventory.conf" 2>&1)
case $out in
*"Creating group 'inventory'"*"Creating user 'inventory'"*)
	ok "systemd-sysusers makes the group and user inventory" ;;
*) notok "systemd-sysusers --dry-run: $out" ;;
esac
# shellcheck disable=SC2086 # one word per unit
verify_units "$R" /usr/sbin /usr/share/man $units
nginx_check "$R/etc/nginx/sites-available/inventory" \
    "$R/etc/nginx/sites-available/inventory-redirect"

# --- the programs -----------------------------------------------------------

for p in inventory.fcgi inventory-worker inventoryctl; do
	out=$("$R/usr/sbin/$p" --version 2>&1)
	check "$p --version says $p $version" test "$out" = "$p $version"
done
mkdir -p "$work/build"
ln -s "$R/usr/sbin" "$work/build/src"
if out=$(HARDENING=yes FORTIFIED=yes top_srcdir=$top_srcdir top_builddir=$work/build sh "$here/check_hardening.sh" 2>&1); then
	ok "the programs are hardened (t/check_hardening.sh)"
else
	notok "the programs are not all hardened: $(printf '%s\n' "$out" | grep '^not ok')"
fi

tally_end
