# t/e2e_lib.sh: what t/e2e.sh, t/e2e_operations.sh and t/e2e_badinput.sh
# share, sourced by each. e2e_settings NAME [URL]: the stack to test, from
# the argument, the E2E_* variables, or else run/stack.env (`tools/devstack
# up` writes it):
# sets URL, CACERT, ADMIN_EMAIL and ADMIN_PASSWORD; NAME is for the usage
# line. Without CACERT the server's certificate is not checked (said on
# stderr).

e2e_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# stack_value NAME: NAME='value' from run/stack.env.
stack_value() {
	local stack_env=$e2e_lib_dir/../run/stack.env
	[[ -r $stack_env ]] || return 0
	sed -n "s/^$1='\(.*\)'\$/\1/p" "$stack_env" | tail -n 1
}

e2e_settings() {
	local name=$1 arg=${2:-}
	URL=${arg:-${E2E_URL:-$(stack_value INVENTORY_URL)}}
	URL=${URL%/}
	[[ -n $URL ]] || { echo "usage: $name URL (or set E2E_URL)" >&2; exit 2; }
	CACERT=${E2E_CACERT:-}
	[[ -n $CACERT || -n $arg${E2E_URL:-} ]] || CACERT=$(stack_value INVENTORY_CA_CERT)
	ADMIN_EMAIL=${E2E_ADMIN_EMAIL:-}
	ADMIN_PASSWORD=${E2E_ADMIN_PASSWORD:-}
	if [[ -z $ADMIN_EMAIL && -z $arg${E2E_URL:-} ]]; then
		ADMIN_EMAIL=$(stack_value INVENTORY_ADMIN_EMAIL)
		ADMIN_PASSWORD=$(stack_value INVENTORY_ADMIN_PASSWORD)
	fi
	[[ -n $CACERT ]] || echo "# no E2E_CACERT: the server certificate is not checked" >&2
}

# e2e_record METHOD PATH CODE HEADERS BODY: with E2E_RECORD set (a
# directory), keeps a copy of one response (curl's -D HEADERS and -o BODY
# files) for t/e2e_openapi.sh, which validates each against
# doc/openapi.json: PID-N.meta (method, path, status), PID-N.headers,
# PID-N.body. Nothing without a status (no response).
E2E_RECORDED=0
e2e_record() {
	local f
	[[ -n ${E2E_RECORD:-} && $3 != 000 ]] || return 0
	E2E_RECORDED=$((E2E_RECORDED + 1))
	f=$E2E_RECORD/$$-$E2E_RECORDED
	printf '%s\n%s\n%s\n' "$1" "$2" "$3" >"$f.meta"
	cp "$4" "$f.headers" 2>/dev/null || : >"$f.headers"
	cp "$5" "$f.body" 2>/dev/null || : >"$f.body"
}
