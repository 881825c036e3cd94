#!/bin/sh
# t/check_args.sh: how inventoryctl and inventory-worker read their
# command line, with no service needed: options count after the command
# as before it (check-config --config FILE reads FILE), and an unknown
# option, a word too many, an option the command does not take, or
# --drain with --follow is a usage error (exit 2, a usage line) before
# anything is read or connected.
#
# Prints "ok"/"not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

ctl="$top_builddir/src/inventoryctl"
worker="$top_builddir/src/inventory-worker"
dir=$(mktemp -d) || exit 99
trap 'rm -rf "$dir"' EXIT
good="$dir/good.conf"
short="$dir/short.conf"
cat >"$good" <<CONF
db_name = inventory
db_user = inventory
jwt_secret = 0123456789abcdef0123456789abcdef0123456789abcdef
CONF
sed 's/^jwt_secret = .*/jwt_secret = short/' "$good" >"$short"
# Only the files given may count: no INVENTORY_* variable overrides them.
for v in $(env | sed -n 's/^\(INVENTORY_[A-Z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

# expect STATUS PATTERN COMMAND...: COMMAND exits STATUS and its output
# (standard output and error) matches the grep pattern PATTERN.
expect() {
	want=$1 pat=$2
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -q -e "$pat"
	then
		ok "$* => $rc"
	else
		notok "$*: exit $rc (want $want), output not matching '$pat':"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

expect 0 "configuration: ok ($good)" \
	"$ctl" check-config --no-connect --config "$good"
expect 0 "configuration: ok ($good)" \
	"$ctl" --config "$good" check-config --no-connect
expect 1 "jwt_secret must be at least" \
	"$ctl" check-config --no-connect --config "$short"
expect 1 "$dir/absent.conf" \
	"$ctl" check-config --no-connect --config "$dir/absent.conf"
expect 2 "^usage:" "$ctl" check-config --no-connect --bogus --config "$good"
expect 2 "unexpected argument: extra" \
	"$ctl" check-config --no-connect extra --config "$good"
expect 2 "unexpected argument: extra" "$ctl" --config "$good" audit extra
expect 2 "unexpected argument: extra" \
	"$ctl" --config "$good" dead retry ID extra
expect 2 "check-config takes no --email" \
	"$ctl" --config "$good" check-config --email a@example.com
expect 2 "audit takes no --no-connect" \
	"$ctl" --config "$good" audit --no-connect
expect 2 "unknown command: bogus" "$ctl" --config "$good" bogus
expect 2 "^usage:" "$ctl" --config "$good"

expect 2 "exclude each other" "$worker" --drain --follow --config "$good"
expect 2 "exclude each other" "$worker" --config "$good" --follow --drain
expect 2 "^usage:" "$worker" --config "$good" --bogus
expect 2 "unexpected argument: extra" "$worker" --config "$good" extra
expect 2 "unexpected argument: extra" "$worker" extra --drain
# An option after the words is still read: the short secret is refused.
expect 1 "jwt_secret must be at least" "$worker" --drain --config "$short"

tally_end
