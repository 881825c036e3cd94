# shellcheck shell=sh
# t/checklib.sh: the checks of an installed tree that t/installcheck.sh
# (make install) and t/debcheck.sh (the unpacked Debian package) share;
# sourced by both, and by t/check_nginx_site.sh for nginx_t. The caller
# defines ok, notok and $work (a scratch directory).

# verify_units ROOT SBINDIR MANDIR UNIT...: each UNIT (its installed path,
# found under ROOT) passes `systemd-analyze verify` silently. verify needs
# every command and man page a unit names to exist: the programs of
# SBINDIR are named by their path under ROOT in the copies checked, and
# the man pages are looked up in ROOT/MANDIR.
verify_units() {
	vu_root=$1
	vu_sbindir=$2
	vu_mandir=$3
	shift 3
	if ! command -v systemd-analyze >/dev/null; then
		notok "systemd-analyze not found (Debian package systemd)"
		return
	fi
	rm -rf "$work/units"
	mkdir -p "$work/units"
	for u in "$@"; do
		sed -e "s|$vu_sbindir/|$vu_root$vu_sbindir/|g" "$vu_root$u" \
		    >"$work/units/${u##*/}"
	done
	for u in "$work"/units/*; do
		out=$(MANPATH="$vu_root$vu_mandir:" SYSTEMD_LOG_COLOR=0 \
		    systemd-analyze verify "$u" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "systemd-analyze verify ${u##*/}"
		else
			notok "systemd-analyze verify ${u##*/} (exit $rc): $out"
		fi
	done
}

# nginx_t NAME HTTP-LINES: `nginx -t` on a minimal main config in $n (a
# scratch directory with tmp/ in it) whose http {} holds HTTP-LINES;
# prints nginx's complaint and fails when it is refused.
nginx_t() {
	cat >"$n/$1.nginx.conf" <<-NGINX
		pid $n/nginx.pid;
		error_log $n/error.log;
		events { worker_connections 64; }
		http {
		    access_log off;
		    client_body_temp_path $n/tmp/body;
		    fastcgi_temp_path $n/tmp/fastcgi;
		    proxy_temp_path $n/tmp/proxy;
		    uwsgi_temp_path $n/tmp/uwsgi;
		    scgi_temp_path $n/tmp/scgi;
		$2
		}
	NGINX
	nginx -t -q -p "$n/" -c "$n/$1.nginx.conf" -e "$n/error.log" 2>&1
}

# nginx_check SITE REDIRECT: the nginx site file and its redirect file,
# the operator's placeholders filled in, pass `nginx -t` inside a minimal
# main config in the scratch directory.
nginx_check() {
	if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
		notok "nginx or openssl not found"
		return
	fi
	n=$work/nginx
	rm -rf "$n"
	mkdir -p "$n/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 1 -subj /CN=localhost -keyout "$n/key.pem" -out "$n/cert.pem" \
	    >/dev/null 2>&1
	for f in "$1" "$2"; do
		sed -e 's|@HTTPS_LISTEN@|127.0.0.1:8443|g' \
		    -e 's|@HTTPS_LISTEN6@|[::1]:8443|g' \
		    -e 's|@HTTP_LISTEN@|127.0.0.1:8080|g' \
		    -e 's|@HTTP_LISTEN6@|[::1]:8080|g' \
		    -e "s|/var/log/nginx/inventory.access.log|$n/access.log|g" \
		    -e 's|@SERVER_NAME@|inventory.example.com|g' \
		    -e "s|@TLS_CERT@|$n/cert.pem|g" \
		    -e "s|@TLS_KEY@|$n/key.pem|g" \
		    "$f" >"$n/${f##*/}.conf"
	done
	if out=$(nginx_t main "include $n/${1##*/}.conf; include $n/${2##*/}.conf;"); then
		ok "nginx -t on $1 and $2"
	else
		notok "nginx -t on $1 and $2: $out"
	fi
}
