#!/bin/sh
# t/check_nginx_site.sh: the nginx files tools/nginx-site makes for
# `make install` (no service needed). Two installations' site files, made
# with different names (configure --with-nginx-name), pass `nginx -t` in
# one nginx; two with the same name do not (what the names are for). The
# server-block-only snippet of each passes `nginx -t` inside a host's own
# server {} with nothing at http {} level, and passes FastCGI straight
# to the sockets. The site's header keeps its list of placeholders.
#
# Prints "ok"/"not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"
# shellcheck source=t/checklib.sh
. "$top_srcdir/t/checklib.sh"

command -v nginx >/dev/null && command -v openssl >/dev/null ||
    { echo "SKIP: nginx or openssl not found"; exit 77; }
gen="$top_srcdir/tools/nginx-site"
site="$top_srcdir/nginx/inventory.conf"
n=$(mktemp -d) || exit 99
trap 'rm -rf "$n"' EXIT
mkdir -p "$n/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 1 -subj /CN=localhost -keyout "$n/key.pem" -out "$n/cert.pem" \
    >/dev/null 2>&1 || exit 99

# make MODE NAME OUT: tools/nginx-site for an installation NAME whose
# files are under $n/NAME, the operator's placeholders filled in.
make_file() {
	sh "$gen" "$1" "$2" "$n/$2/fcgi.sock" "$n/$2/auth.sock" "$n/$2/www" \
	    <"$site" | sed \
	    -e "s|@HTTPS_LISTEN@|127.0.0.1:18443|g" \
	    -e "/@HTTPS_LISTEN6@/d" \
	    -e "s|@SERVER_NAME@|$2.example.com|g" \
	    -e "s|@TLS_CERT@|$n/cert.pem|g" \
	    -e "s|@TLS_KEY@|$n/key.pem|g" \
	    -e "s|/var/log/nginx/inventory.access.log|$n/$2.access.log|g" >"$3"
}

make_file site alice "$n/alice.conf"
make_file site bob "$n/bob.conf"
make_file site inventory "$n/inventory1.conf"
make_file site inventory "$n/inventory2.conf"
make_file snippet alice "$n/alice-snippet.conf"
make_file snippet bob "$n/bob-snippet.conf"

if out=$(nginx_t two "include $n/alice.conf; include $n/bob.conf;"); then
	ok "two installations' sites (alice, bob) in one nginx pass nginx -t"
else
	notok "two installations' sites in one nginx: $out"
fi
if out=$(nginx_t same "include $n/inventory1.conf; include $n/inventory2.conf;"); then
	notok "two sites of the same name in one nginx should collide"
else
	ok "two sites of the same name collide (nginx -t: $(printf '%s' "$out" | head -n 1))"
fi

# A host's server blocks, each including one customer's snippet.
host_server() {
	printf 'server { listen 127.0.0.1:%s ssl; server_name %s.example.com; ssl_certificate %s; ssl_certificate_key %s; include %s; }\n' \
	    "$1" "$2" "$n/cert.pem" "$n/key.pem" "$n/$2-snippet.conf"
}
if out=$(nginx_t snippets "$(host_server 18444 alice; host_server 18445 bob)"); then
	ok "the snippets pass nginx -t inside the host's server blocks"
else
	notok "the snippets inside server blocks: $out"
fi
check "the snippet declares nothing of http {} level" \
    sh -c "! grep -E -q '^[[:space:]]*(upstream|map|limit_req_zone|limit_conn_zone|log_format|server[[:space:]]*\\{)' '$n/alice-snippet.conf'"
check "the snippet passes /api/v1/auth/ to the auth pool's socket" \
    grep -q "fastcgi_pass unix:$n/alice/auth.sock;" "$n/alice-snippet.conf"
check "the snippet passes the rest to the main socket" \
    grep -q "fastcgi_pass unix:$n/alice/fcgi.sock;" "$n/alice-snippet.conf"
check "the installed site's header still lists its placeholders" \
    sh -c "grep -q '^#   @FCGI_SOCKET@ ' '$n/alice.conf' && grep -q '^#   @STATIC_ROOT@ ' '$n/alice.conf'"

tally_end
