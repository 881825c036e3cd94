#!/bin/sh
# t/check_db_tls.sh: MariaDB over TCP with TLS (db_host, db_port,
# db_ssl_ca, db_ssl_cert, db_ssl_key). A MariaDB of its own, on a free
# loopback port, with a certificate from a test CA made here with openssl
# (in the build tree: t/db-tls/); its accounts REQUIRE SSL (and one X509),
# so a plain-text login is refused and a success proves TLS. The programs
# must connect and migrate with the right CA; with another CA, or with a
# server certificate for another name, they must refuse the server and say
# why; without the client certificate the X509 account is refused.
#
# Runs with the test command's services (INVENTORY_TEST_SERVICES: it
# needs mariadbd, not theirs); skips (77) without. Prints "ok"/"not ok"
# lines and "N passed, M failed".
set -u
export LC_ALL=C
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

[ -n "${INVENTORY_TEST_SERVICES:-}" ] || { echo "SKIP: needs INVENTORY_TEST_SERVICES"; exit 77; }

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

ctl="$top_builddir/src/inventoryctl"
work="$top_builddir/t/db-tls"
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$work"
mkdir -p "$work/data" || exit 99
# Only the files written here may count.
for v in $(env | sed -n 's/^\(INVENTORY_[A-Z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

# ------------------------------------------------------ certificates

# cert NAME CA SAN: a key and a certificate for NAME signed by CA (its
# .pem and .key), with subjectAltName SAN.
cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$1" -keyout "$work/$1.key" -out "$work/$1.csr" &&
	printf 'subjectAltName=%s\n' "$3" >"$work/$1.ext" &&
	openssl x509 -req -in "$work/$1.csr" -CA "$work/$2.pem" \
	    -CAkey "$work/$2.key" -CAcreateserial -days 1 \
	    -extfile "$work/$1.ext" -out "$work/$1.pem"
}
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 1 -subj "/CN=$1" -keyout "$work/$1.key" -out "$work/$1.pem"
}
{
	ca test-ca && ca other-ca &&
	cert server test-ca "IP:127.0.0.1,DNS:localhost" &&
	cert wrongname test-ca "DNS:db.example.org" &&
	cert client test-ca "DNS:client"
} >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; exit 99; }
cp "$work/server.pem" "$work/served.pem"
cp "$work/server.key" "$work/served.key"
chmod 0644 "$work"/*.pem "$work"/*.key

# ------------------------------------------------------------ server

as_root=
[ "$(id -u)" -eq 0 ] && as_root=--user=root
sock="$work/mariadb.sock"
sql() { mariadb --no-defaults -S "$sock" -u "$(id -un)" "$@"; }
mariadb-install-db --no-defaults --datadir="$work/data" $as_root \
    --auth-root-authentication-method=socket \
    --auth-root-socket-user="$(id -un)" --skip-test-db \
    >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 99; }
# A free port: tried from one picked by our pid until one is not listened on.
port=$((20000 + $$ % 20000))
while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
	port=$((port + 1))
done
mariadbd --no-defaults --datadir="$work/data" --socket="$sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$work/mariadb.pid" \
    --log-error="$work/mariadb.log" --ssl-ca="$work/test-ca.pem" \
    --ssl-cert="$work/served.pem" --ssl-key="$work/served.key" $as_root \
    </dev/null >/dev/null 2>&1 &
pid=$!
i=0
until mariadb-admin --no-defaults -S "$sock" -u "$(id -un)" ping >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$work/mariadb.log"
		echo "mariadbd did not start"
		exit 99
	fi
	sleep 0.1
done
sql <<EOF || exit 99
CREATE DATABASE inventory_tls CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'tls'@'127.0.0.1' IDENTIFIED BY 'tls-password' REQUIRE SSL;
GRANT ALL PRIVILEGES ON inventory_tls.* TO 'tls'@'127.0.0.1';
CREATE USER 'x509'@'127.0.0.1' IDENTIFIED BY 'x509-password' REQUIRE X509;
GRANT SELECT ON inventory_tls.* TO 'x509'@'127.0.0.1';
EOF

# conf FILE USER [KEY=VALUE...]: a configuration for this server.
conf() {
	f=$1
	{
		echo "db_host = 127.0.0.1"
		echo "db_port = $port"
		echo "db_name = inventory_tls"
		echo "db_user = $2"
		echo "db_password = $2-password"
		echo "db_connect_timeout = 5"
		echo "jwt_secret = 0123456789abcdef0123456789abcdef0123456789abcdef"
		shift 2
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$f"
}

# run NAME EXPECT-STATUS PATTERN COMMAND...: COMMAND exits with
# EXPECT-STATUS and its output (stdout and stderr) matches PATTERN.
run() {
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -E -q "$pat"; then
		ok "$name"
	else
		notok "$name (exit $rc, want $want and /$pat/): $out"
	fi
}

# The accounts really refuse plain text: what passes below passed over TLS.
run "the server refuses the tls account without TLS" 1 "Access denied" \
    mariadb --no-defaults --skip-ssl -h 127.0.0.1 -P "$port" -u tls \
    -ptls-password -e 'SELECT 1'

conf "$work/good.conf" tls "db_ssl_ca=$work/test-ca.pem"
run "migrate over TLS with the test CA" 0 "migration\(s\) applied" \
    "$ctl" --config "$work/good.conf" migrate
run "check-config: database ok over TLS" 1 "^database: ok" \
    "$ctl" --config "$work/good.conf" check-config

conf "$work/wrongca.conf" tls "db_ssl_ca=$work/other-ca.pem"
run "another CA: the server is refused, certificate named" 1 \
    "database: unavailable" "$ctl" --config "$work/wrongca.conf" check-config
run "another CA: the log says the certificate failed" 1 \
    "db_connect: tls@127.0.0.1/inventory_tls: [0-9]+ .*(certificate|verif)" \
    "$ctl" --config "$work/wrongca.conf" migrate

conf "$work/plain.conf" tls
run "without db_ssl_ca the TLS account is refused" 1 "Access denied" \
    "$ctl" --config "$work/plain.conf" migrate

conf "$work/x509.conf" x509 "db_ssl_ca=$work/test-ca.pem" \
    "db_ssl_cert=$work/client.pem" "db_ssl_key=$work/client.key"
run "a client certificate: the X509 account gets in" 1 "^database: ok" \
    "$ctl" --config "$work/x509.conf" check-config
conf "$work/nox509.conf" x509 "db_ssl_ca=$work/test-ca.pem"
run "no client certificate: the X509 account is refused" 1 \
    "database: unavailable" "$ctl" --config "$work/nox509.conf" check-config

# The server now shows a certificate of the right CA for another name.
cp "$work/wrongname.pem" "$work/served.pem"
cp "$work/wrongname.key" "$work/served.key"
if sql -e 'FLUSH SSL' >"$work/flush.log" 2>&1; then
	run "a certificate for another name: the server is refused" 1 \
	    "db_connect: .*(certificate|verif|match|host)" \
	    "$ctl" --config "$work/good.conf" migrate
else
	notok "FLUSH SSL: $(cat "$work/flush.log")"
fi

run "db_ssl_cert without db_ssl_ca is refused" 1 "need db_ssl_ca" \
    sh -c "printf 'db_ssl_cert = %s\ndb_ssl_key = %s\n' '$work/client.pem' '$work/client.key' >>'$work/plain.conf' && '$ctl' --config '$work/plain.conf' check-config --no-connect"

tally_end
