# t/e2e_lib.sh: what t/e2e.sh and t/e2e_badinput.sh share, sourced by
# both. e2e_settings NAME [URL]: the stack to test, from the argument, the
# E2E_* variables, or else run/stack.env (`tools/devstack up` writes it):
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
