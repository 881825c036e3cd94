# shellcheck shell=sh
# t/tally.sh: the "ok"/"not ok" lines and the closing "N passed, M
# failed" line that the shell tests print (the form the test command's
# report and CI read), in one place; sourced by each of them.

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
notok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() {	# check NAME COMMAND...: ok when COMMAND succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}
# The closing line; the status a test script exits with.
tally_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
