#!/bin/sh
# t/check_alerts.sh: etc/prometheus/inventory-alerts.yml passes
# `promtool check rules`, and its unit tests
# (t/prometheus/inventory-alerts.test.yml: series, and the alerts each
# rule must and must not raise) pass `promtool test rules`. Skips (77)
# without promtool (Debian: the prometheus package); tools/devstack
# installs it, and counts a skip as a failure.
#
# Run by `make check` with top_srcdir and PROMTOOL in the environment;
# prints "ok" / "not ok" lines and "N passed, M failed".
set -u

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

if [ -z "${PROMTOOL:-}" ] || ! command -v "$PROMTOOL" >/dev/null; then
	echo "# promtool not found (Debian: apt-get install prometheus); skipped"
	exit 77
fi
cd "$top_srcdir" || exit 99

# promtool's report goes to the log, where a failure explains itself.
check "promtool check rules etc/prometheus/inventory-alerts.yml" \
    "$PROMTOOL" check rules etc/prometheus/inventory-alerts.yml
# Relative to the test file: it names the rules as ../../etc/...
# shellcheck disable=SC2016 # $1 is the inner shell's
check "promtool test rules t/prometheus/inventory-alerts.test.yml" \
    sh -c 'cd t/prometheus && "$1" test rules inventory-alerts.test.yml' \
    sh "$PROMTOOL"

tally_end
