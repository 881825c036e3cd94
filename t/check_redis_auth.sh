#!/bin/sh
# t/check_redis_auth.sh: Redis with a password. The test command's Redis
# wants one (tools/devstack: the cache logs in as an ACL user with
# redis_username and redis_password_file, the queue as the default user
# with queue_redis_password), so every suite already runs over AUTH; this
# checks that the server really refuses a client without it, and that a
# wrong or missing password is a clear error, naming the keys, from
# `inventoryctl check-config`, inventory.fcgi at start and the worker.
#
# Needs the services (INVENTORY_TEST_SERVICES, INVENTORY_CONFIG); skips
# (77) without. Prints "ok"/"not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C

[ -n "${INVENTORY_TEST_SERVICES:-}" ] && [ -n "${INVENTORY_CONFIG:-}" ] ||
    { echo "SKIP: needs INVENTORY_TEST_SERVICES and INVENTORY_CONFIG"; exit 77; }

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

ctl="$top_builddir/src/inventoryctl"
fcgi="$top_builddir/src/inventory.fcgi"
worker="$top_builddir/src/inventory-worker"
conf=$INVENTORY_CONFIG
work=$(mktemp -d) || exit 99
spawned=
cleanup() {
	[ -z "$spawned" ] || kill "$spawned" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# Only the file and what each check sets may count.
for v in $(env | sed -n 's/^\(INVENTORY_[A-Z0-9_]*\)=.*/\1/p'); do
	case $v in
	INVENTORY_CONFIG | INVENTORY_TEST_*) ;;
	*) unset "$v" ;;
	esac
done

# key NAME: NAME's value in the configuration.
key() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$conf" | tail -n 1
}

# run NAME EXPECT-STATUS PATTERN COMMAND...: COMMAND exits with
# EXPECT-STATUS and its output (stdout and stderr) matches every line of
# PATTERN (extended regular expressions, one a line).
run() {
	name=$1 want=$2 pats=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	miss=$(printf '%s\n' "$pats" | while read -r p; do
		printf '%s\n' "$out" | grep -E -q -- "$p" || printf '/%s/ ' "$p"
	done)
	if [ "$rc" -eq "$want" ] && [ -z "$miss" ]; then
		ok "$name"
	else
		notok "$name (exit $rc, want $want; missing $miss): $out"
	fi
}

sock=$(key redis_socket)
qsock=$(key queue_redis_socket)
if [ -z "$sock" ] || [ -z "$qsock" ] || [ -z "$(key redis_username)" ] ||
    [ -z "$(key redis_password_file)" ] || [ -z "$(key queue_redis_password)" ]; then
	notok "$conf has redis_socket, redis_username, redis_password_file, queue_redis_socket and queue_redis_password (the test Redis wants passwords)"
	tally_end
	exit
fi
echo wrong-password >"$work/wrong"

run "the test Redis refuses a client without a password" 0 NOAUTH \
    redis-cli -s "$sock" ping
run "check-config: both Redis connections log in, the schema usable" 0 "^schema: ok
^redis: ok
^queue redis: ok" "$ctl" check-config

run "check-config: a wrong redis_password_file is refused, named" 1 \
"^redis: unavailable
^queue redis: ok
redis: AUTH refused: WRONGPASS.*check redis_username and redis_password" \
    env INVENTORY_REDIS_PASSWORD_FILE="$work/wrong" "$ctl" check-config
run "check-config: a wrong queue_redis_password is refused, named" 1 \
"^redis: ok
^queue redis: unavailable
queue: AUTH refused: WRONGPASS.*queue_redis_password" \
    env INVENTORY_QUEUE_REDIS_PASSWORD=wrong-password "$ctl" check-config
run "check-config: no queue_redis_password when Redis wants one" 1 \
"^queue redis: unavailable
queue: NOAUTH.*set queue_redis_password" \
    env INVENTORY_QUEUE_REDIS_PASSWORD= "$ctl" check-config
run "a wrong ACL username is refused too" 1 \
"^redis: unavailable
redis: AUTH refused: WRONGPASS" \
    env INVENTORY_REDIS_USERNAME=nobody "$ctl" check-config
run "redis_username without its password is refused at load" 1 \
    "redis_username needs redis_password" \
    env INVENTORY_REDIS_PASSWORD_FILE= "$ctl" check-config --no-connect
run "a password set twice (key and file) is refused at load" 1 \
    "set redis_password or redis_password_file, not both" \
    env INVENTORY_REDIS_PASSWORD=x "$ctl" check-config --no-connect

# Sentinel's own AUTH (the test command's sentinel has a password of its
# own, INVENTORY_TEST_SENTINEL_PASSWORD; the pair it watches, the Redis
# passwords of the configuration).
if [ -n "${INVENTORY_TEST_SENTINELS:-}" ] && [ -n "${INVENTORY_TEST_SENTINEL_PASSWORD:-}" ]; then
	sent() {
		env INVENTORY_REDIS_SENTINELS="$INVENTORY_TEST_SENTINELS" \
		    INVENTORY_REDIS_MASTER_NAME="$INVENTORY_TEST_SENTINEL_MASTER" \
		    INVENTORY_QUEUE_REDIS_SENTINELS="$INVENTORY_TEST_SENTINELS" \
		    INVENTORY_QUEUE_REDIS_MASTER_NAME="$INVENTORY_TEST_SENTINEL_MASTER" \
		    INVENTORY_QUEUE_REDIS_SENTINEL_PASSWORD="$INVENTORY_TEST_SENTINEL_PASSWORD" "$@"
	}
	run "Sentinel: the sentinel's own password, then the master's" 0 \
"^redis: ok
^queue redis: ok" \
	    sent env INVENTORY_REDIS_SENTINEL_PASSWORD="$INVENTORY_TEST_SENTINEL_PASSWORD" "$ctl" check-config
	run "Sentinel: a wrong redis_sentinel_password is refused, named" 1 \
"^redis: unavailable
redis: sentinel .*AUTH refused: WRONGPASS.*redis_sentinel_password
^queue redis: ok" \
	    sent env INVENTORY_REDIS_SENTINEL_PASSWORD=wrong-password "$ctl" check-config
	run "Sentinel: no redis_sentinel_password when the sentinel wants one" 1 \
"^redis: unavailable
redis: sentinel .*NOAUTH.*set redis_sentinel_password" \
	    sent "$ctl" check-config
else
	notok "INVENTORY_TEST_SENTINELS and INVENTORY_TEST_SENTINEL_PASSWORD are set (tools/devstack test sets them)"
fi

# inventory.fcgi says it at start, before any request.
INVENTORY_REDIS_PASSWORD_FILE="$work/wrong" spawn-fcgi -n -s "$work/fcgi.sock" \
    -- "$fcgi" >"$work/fcgi.log" 2>&1 &
spawned=$!
i=0
while ! grep -qs 'AUTH refused' "$work/fcgi.log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run "inventory.fcgi logs the refused password at start" 0 \
    "level=error .*redis: AUTH refused: WRONGPASS.*redis_password" cat "$work/fcgi.log"
kill "$spawned" 2>/dev/null
wait "$spawned" 2>/dev/null
spawned=

run "inventory-worker: a wrong queue password fails the run, named" 1 \
    "queue: AUTH refused: WRONGPASS.*queue_redis_password" \
    env INVENTORY_QUEUE_REDIS_PASSWORD=wrong-password "$worker" --drain

tally_end
