# shellcheck shell=sh
# t/npm_tools.sh: the npm packages of the tests (tools/npm/package.json,
# at the versions its lock file pins), installed into DIR (npm/ in the
# build tree: not the source tree, not the system); sourced by the
# scripts that use them.
#
# npm_tools DIR MODULE: runs `npm ci` in DIR unless MODULE is there
# already (another script's earlier install may lack it: the lock file
# grew). $NPM names npm. False, with the reason on stderr, when it fails.
npm_tools() {
	[ -e "$1/node_modules/$2/package.json" ] && return 0
	mkdir -p "$1" &&
	    cp "$top_srcdir/tools/npm/package.json" \
		"$top_srcdir/tools/npm/package-lock.json" "$1/" &&
	    chmod u+w "$1/package.json" "$1/package-lock.json" || return 1
	# --ignore-scripts: no package's install script runs.
	(cd "$1" && "${NPM:-npm}" ci --ignore-scripts --no-audit --no-fund \
	    --loglevel=error) || {
		echo "npm ci in $1 failed (is the npm registry reachable?)" >&2
		return 1
	}
}
