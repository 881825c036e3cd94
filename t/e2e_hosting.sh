#!/usr/bin/env bash
# t/e2e_hosting.sh PORT: README's SHARED HOSTING done as a customer would,
# by a user without privileges made for it (useradd; as root, which the
# test command runs as) or, run by anyone else, by the caller with a
# scratch home directory under build/t/. Everything it starts runs as that
# user, with its files, sockets and ports in that home or on 127.0.0.1:PORT.
#
# The commands come from the shipped files, so a wrong line there fails
# the test: README's SHARED HOSTING step 1 (autoreconf, configure, make
# install, the directories), step 2's copy of the sample, step 3's
# redis.conf and its @reboot line (a Redis of the user's own, with a
# password), step 4's lines that install the generated crontab and start
# its @reboot lines (the two FastCGI pools; `crontab` itself only where
# cron is installed), and the crontab's worker line. MariaDB stands in for
# the host's (a server of the user's own on a unix socket, one account),
# and nginx for the host's web server: a server block of the user's own
# on PORT that includes the installed server-block snippet. Through it: an
# admin makes a product and its stock and places an order; the worker
# line of the crontab makes it "processing". Then everything is stopped as
# README says (multiwatch, the rest by their own commands), no process of
# the user may be left, and the user is removed.
#
# Prints "ok"/"not ok" lines and "N passed, M failed".
set -uo pipefail
export LC_ALL=C
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
port=${1:?usage: t/e2e_hosting.sh PORT}
# shellcheck source=t/tally.sh
. "$root/t/tally.sh"
say() { printf 't/e2e_hosting.sh: %s\n' "$*" >&2; }
readme=$root/README

if [[ $(id -u) -eq 0 ]]; then
	user=invhost$$
	home=/home/$user
	useradd -m -d "$home" -s /bin/bash "$user" || { notok "useradd $user"; tally_end; exit; }
	made_user=1
else
	user=$(id -un)
	home=$root/build/t/hosting-home
	rm -rf "$home"
	mkdir -p "$home"
	made_user=0
fi
# Everything the user's commands print; kept until the next run.
log=$root/build/t/e2e_hosting.log
mkdir -p "${log%/*}"
: >"$log"
name=inv_e2e_$$	# --with-nginx-name

# as_user SCRIPT: SCRIPT in bash as the user, in its home, with a login's
# environment and nothing of ours; its output goes to the log.
as_user() {
	local env=(env -i "HOME=$home" "USER=$user" "LOGNAME=$user" SHELL=/bin/bash
	    PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C)
	if ((made_user)); then
		(cd "$home" && runuser -u "$user" -- "${env[@]}" bash -c "$1") >>"$log" 2>&1
	else
		(cd "$home" && "${env[@]}" bash -c "$1") >>"$log" 2>&1
	fi
}

# readme_block STEP N: the Nth indented block (lines of four spaces or
# more, the indentation taken off) of step STEP of SHARED HOSTING.
readme_block() {
	awk -v step="$1" -v want="$2" '
	    /^SHARED HOSTING$/ { in_sec = 1; next }
	    in_sec && /^[A-Z][A-Z ]+$/ { exit }
	    !in_sec { next }
	    /^[0-9]+\. / { cur = $1 + 0; n = 0; inblk = 0; next }
	    /^ *$/ { next }
	    cur == step && (/^    [^ ]/ || (inblk && /^        /)) {
		if (!inblk) { n++; inblk = 1 }
		if (n == want) { sub(/^    /, ""); print }
		next
	    }
	    { inblk = 0 }
	' "$readme"
}

cleanup() {
	local left
	if ((made_user)); then
		# Whatever the test did not stop (a failure on the way).
		left=$(pgrep -u "$user" | tr '\n' ' ')
		if [[ -n $left ]]; then
			pkill -KILL -u "$user" 2>/dev/null
			sleep 0.5
		fi
		command -v crontab >/dev/null && crontab -u "$user" -r 2>/dev/null
		userdel -r "$user" 2>/dev/null || userdel -f -r "$user" 2>/dev/null
	fi
}
trap cleanup EXIT

fail_here() {	# fail_here WHAT: a step failed; the rest cannot run
	notok "$1 (log: ${log#"$root"/})"
	tail -n 40 "$log" >&2
	tally_end
	exit 1
}

# -------------------------------------------- 1. build and install
say "as $user in $home: README's SHARED HOSTING (log: ${log#"$root"/})"
mkdir -p "$home/src"
# The source as a checkout has it (no configure: README says autoreconf).
(cd "$root" && git ls-files -z --cached --others --exclude-standard 2>/dev/null |
    tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$home/src" ||
    fail_here "copy the source tree"
((made_user)) && chown -R "$user:" "$home/src"
step1=$(readme_block 1 1 | sed "s/--with-nginx-name=NAME/--with-nginx-name=$name/")
[[ $step1 == *"./configure --prefix=\$HOME/inventory"* ]] ||
    fail_here "README SHARED HOSTING step 1 has its commands"
say "step 1: build and install (a minute or two)"
as_user "set -e; cd src; $step1" || fail_here "README step 1 (autoreconf, configure, make install, directories)"
ok "step 1: autoreconf, configure --prefix=\$HOME/inventory, make install, directories as README says"
P=$home/inventory
check "make install made \$HOME/inventory/etc" test -d "$P/etc"
check "make install wrote the crontab and the nginx snippet" \
    test -f "$P/share/inventory/crontab" -a -f "$P/share/inventory/nginx/inventory-snippet.conf"

# ------------------------------------------ the host's MariaDB (stand-in)
run=$P/var/run
db_sock=$run/mysqld.sock
db_password=$(openssl rand -hex 12)
as_user "set -e
    mariadb-install-db --no-defaults --datadir=\$HOME/mariadb --skip-test-db \
        --auth-root-authentication-method=socket --auth-root-socket-user=$user >/dev/null
    setsid /usr/sbin/mariadbd --no-defaults --datadir=\$HOME/mariadb --socket=$db_sock \
        --skip-networking --pid-file=\$HOME/mariadb.pid --log-error=\$HOME/mariadb.err \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci </dev/null >/dev/null 2>&1 &
    for i in \$(seq 300); do mariadb-admin --no-defaults -S $db_sock ping >/dev/null 2>&1 && break; sleep 0.1; done
    mariadb --no-defaults -S $db_sock -u $user -e \"CREATE DATABASE inventory CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
        CREATE USER 'inventory'@'localhost' IDENTIFIED BY '$db_password';
        GRANT ALL PRIVILEGES ON inventory.* TO 'inventory'@'localhost';\"" ||
    fail_here "MariaDB as $user"
ok "a MariaDB of the user's own (the host's stand-in), one account"

# -------------------------------------------- 3. a Redis of one's own
redis_pw=$(openssl rand -hex 24)
redis_conf=$(readme_block 3 1 | sed -e "s|/home/YOU|$home|g" -e "s|PASSWORD|$redis_pw|")
redis_line=$(readme_block 3 2 | sed -n 's/^@reboot[[:space:]]*//p')
[[ $redis_conf == *requirepass* && -n $redis_line ]] ||
    fail_here "README SHARED HOSTING step 3 has redis.conf and its @reboot line"
as_user "set -e; umask 077; mkdir -p \$HOME/inventory/var/lib/redis
    cat >\$HOME/inventory/etc/redis.conf <<'EOF'
$redis_conf
EOF
    $redis_line" || fail_here "README step 3: redis-server \$HOME/inventory/etc/redis.conf"
redis_sock=$(sed -n 's/^unixsocket //p' <<<"$redis_conf")
for ((i = 0; i < 100; i++)); do [[ -S $redis_sock ]] && break; sleep 0.1; done
nopw=$(redis-cli -s "$redis_sock" ping 2>&1)
check "README's Redis runs and wants its password" grep -q NOAUTH <<<"$nopw"

# -------------------------------------------------- 2. configuration
jwt=$(openssl rand -hex 48)
admin_pw=$(openssl rand -hex 12)
admin_email=hosting-admin@example.com
step2=$(readme_block 2 1)
[[ $step2 == install* ]] || fail_here "README SHARED HOSTING step 2 copies the sample"
as_user "set -e; $step2
    cat >>\$HOME/inventory/etc/inventory.conf <<'EOF'
jwt_secret = $jwt
db_socket = $db_sock
db_name = inventory
db_user = inventory
db_password = $db_password
redis_socket = $redis_sock
redis_password = $redis_pw
redis_db = 0
queue_redis_socket = $redis_sock
queue_redis_password = $redis_pw
queue_redis_db = 1
# cheap hashing for the test
scrypt_ln = 10
scrypt_p = 1
EOF
    \$HOME/inventory/sbin/inventoryctl migrate
    \$HOME/inventory/sbin/inventoryctl check-config
    printf '%s\n' '$admin_pw' | \$HOME/inventory/sbin/inventoryctl create-admin \
        --email $admin_email --full-name 'Hosting Admin'" ||
    fail_here "README step 2: the configuration, migrate, check-config, create-admin"
check "the configuration is the user's alone (0600)" \
    test "$(stat -c %a "$P/etc/inventory.conf")" = 600
ok "step 2: migrate, check-config (database, schema, redis, queue ok), create-admin"

# --------------------------------------------------- 4. the crontab
step4=$(readme_block 4 1)
[[ $step4 == *"crontab \$HOME/inventory/share/inventory/crontab"* && $step4 == *"sed -n"* ]] ||
    fail_here "README SHARED HOSTING step 4 installs the crontab and starts its @reboot lines"
if ! command -v crontab >/dev/null; then
	say "no crontab program (Debian's cron is not installed): its line of step 4 is left out"
	step4=$(grep -v '^crontab ' <<<"$step4")
fi
as_user "set -e; $step4" || fail_here "README step 4: $step4"
for s in "$run/inventory/fcgi.sock" "$run/inventory-auth/fcgi.sock"; do
	for ((i = 0; i < 100; i++)); do [[ -S $s ]] && break; sleep 0.1; done
done
sleep 1	# multiwatch starts its children
# pools: each multiwatch of the user, with its socket and children.
pools_ok() {
	local mw n=0 kids
	for mw in $(pgrep -u "$user" -x multiwatch); do
		kids=$(pgrep -c -P "$mw" || true)
		# setsid: its own session, so no terminal's hangup reaches it.
		[[ $(ps -o sid= -p "$mw" | tr -d ' ') == "$mw" ]] || return 1
		((kids >= 1)) || return 1
		n=$((n + 1))
	done
	((n == 2))
}
check "the crontab's @reboot lines start two pools, each multiwatch in a session of its own (setsid)" pools_ok
if command -v crontab >/dev/null; then
	check "crontab -l is the generated crontab" \
	    diff <(crontab -u "$user" -l) "$P/share/inventory/crontab"
fi

# ---------------------------------------------------- 5. nginx, as the user
as_user "set -e; umask 077; mkdir -p \$HOME/nginx/tmp
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
        -keyout \$HOME/nginx/key.pem -out \$HOME/nginx/cert.pem 2>/dev/null
    chmod 644 \$HOME/nginx/cert.pem
    cat >\$HOME/nginx/nginx.conf <<EOF
pid \$HOME/nginx/nginx.pid;
error_log \$HOME/nginx/error.log;
events { worker_connections 64; }
http {
    access_log \$HOME/nginx/access.log;
    client_body_temp_path \$HOME/nginx/tmp/body;
    fastcgi_temp_path \$HOME/nginx/tmp/fastcgi;
    proxy_temp_path \$HOME/nginx/tmp/proxy;
    uwsgi_temp_path \$HOME/nginx/tmp/uwsgi;
    scgi_temp_path \$HOME/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        server_name localhost;
        ssl_certificate \$HOME/nginx/cert.pem;
        ssl_certificate_key \$HOME/nginx/key.pem;
        include \$HOME/inventory/share/inventory/nginx/inventory-snippet.conf;
    }
}
EOF
    /usr/sbin/nginx -p \$HOME/nginx/ -c \$HOME/nginx/nginx.conf -e \$HOME/nginx/error.log -t -q
    /usr/sbin/nginx -p \$HOME/nginx/ -c \$HOME/nginx/nginx.conf -e \$HOME/nginx/error.log </dev/null" ||
    fail_here "nginx as $user with the installed snippet in its server block"
ok "nginx as the user on 127.0.0.1:$port, the snippet inside its server block"

url=https://127.0.0.1:$port
cacert=$home/nginx/cert.pem
BODY=
STATUS=
req() {	# req METHOD PATH CURL-ARGS...: sets BODY and STATUS
	local m=$1 p=$2 out
	shift 2
	out=$(curl -sS --cacert "$cacert" --max-time 10 -X "$m" -w '\n%{http_code}' "$@" "$url$p" 2>&1)
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
}
num() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" <<<"$BODY" | head -n 1; }
str() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$BODY" | head -n 1; }

for ((i = 0; i < 50; i++)); do
	req GET /healthz
	[[ $STATUS == 200 ]] && break
	sleep 0.2
done
check "GET /healthz through nginx: database and redis ok" \
    test "$STATUS $BODY" = '200 {"status":"ok","database":"ok","redis":"ok"}'
req POST /api/v1/auth/login --data-urlencode "username=$admin_email" --data-urlencode "password=$admin_pw"
token=$(str access_token)
check "the admin logs in (the auth pool's socket)" test "$STATUS" = 200 -a -n "$token"
AUTH=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
req POST /api/v1/products "${AUTH[@]}" \
    --data-binary '{"sku":"HOSTING-1","name":"Hosting Widget","price":5.00,"category":"e2e"}'
product=$(num id)
req POST /api/v1/inventory "${AUTH[@]}" \
    --data-binary "{\"product_id\":${product:-0},\"quantity_in_stock\":10,\"reorder_level\":1}"
check "a product and its stock" test "$STATUS" = 201
req POST /api/v1/orders "${AUTH[@]}" \
    --data-binary "{\"items\":[{\"product_id\":${product:-0},\"quantity\":2}],\"shipping_address\":\"1 Hosting Street\"}"
order=$(num id)
check "an order is placed through nginx (201, pending)" \
    test "$STATUS" = 201 -a "$(str status)" = pending -a -n "$order"

worker_line=$(sed -n 's/^\* \* \* \* \*[[:space:]]*//p' "$P/share/inventory/crontab")
[[ -n $worker_line ]] || fail_here "the crontab has a worker line"
as_user "$worker_line"
check "the crontab's worker line ran (exit 0; its log: var/log/inventory/worker.log)" \
    test $? -eq 0 -a -s "$P/var/log/inventory/worker.log"
req GET "/api/v1/orders/${order:-0}" "${AUTH[@]}"
check "the order is processing" test "$STATUS" = 200 -a "$(str status)" = processing

# ------------------------------------------------------------ stop
# README: kill the multiwatch processes, which stop their children.
as_user "kill \$(pgrep -u $user -x multiwatch)
    /usr/sbin/nginx -p \$HOME/nginx/ -c \$HOME/nginx/nginx.conf -e \$HOME/nginx/error.log -s quit
    REDISCLI_AUTH=$redis_pw redis-cli -s $redis_sock shutdown
    mariadb-admin --no-defaults -S $db_sock -u $user shutdown"
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -z $(pgrep -u "$user" -x "$1") ]] && return 0
		sleep 0.1
	done
	return 1
}
if ((made_user)); then
	gone multiwatch && gone inventory.fcgi && gone nginx && gone redis-server && gone mariadbd
	left=$(pgrep -a -u "$user" || true)
	check "everything stopped: no process of $user left${left:+: $left}" test -z "$left"
else
	check "every multiwatch and inventory.fcgi stopped" sh -c '! pgrep -u "$1" -f "$2/inventory/sbin/inventory.fcgi" >/dev/null' sh "$user" "$home"
	rm -rf "$home"
fi

tally_end
