#!/bin/sh
# t/check_metric_names.sh: every metric the alert rules
# (etc/prometheus/inventory-alerts.yml) and the dashboard
# (etc/grafana/inventory-dashboard.json) query is one /metrics exports.
# The exported names are the inventory_ and process_ names in the string
# literals of src/*.c files that write a "# TYPE" line; the queried ones
# are what is left of each expression without its strings, label
# matchers, ranges, grouping lists, numbers and PromQL's own words. A
# name of neither list is an error, so a PromQL word missing from the
# list below fails loudly rather than hiding a metric.
#
# Run by `make check` with top_srcdir in the environment; prints "ok" /
# "not ok" lines and "N passed, M failed".
set -u
export LC_ALL=C

# shellcheck source=t/tally.sh
. "$top_srcdir/t/tally.sh"

cd "$top_srcdir" || exit 99
rules=etc/prometheus/inventory-alerts.yml
dashboard=etc/grafana/inventory-dashboard.json

exported=$(grep -l -F '# TYPE' src/*.c | xargs cat |
    grep -o '"[^"]*"' | grep -o -E '\b(inventory|process)_[a-z0-9_]+' |
    sort -u)
# shellcheck disable=SC2086 # one name a word
if [ -n "$exported" ]; then
	ok "names exported by src/: $(printf '%s ' $exported)"
else
	notok "no metric name found in src/"
fi

# The expressions, one a line: the rules' expr: values (one line each;
# a folded or literal block would be missed, so it is an error), the
# dashboard's "expr" values and its variables' label_values() metrics.
block=$(grep -n -E '^[[:space:]]*expr:[[:space:]]*[|>]' "$rules")
check "$rules: every expr on one line${block:+ (not: $block)}" test -z "$block"
exprs=$(sed -n -e 's/^[[:space:]]*expr:[[:space:]]*//p' "$rules"
	sed -n -e 's/^[[:space:]]*"expr":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p' \
	    "$dashboard" | sed -e 's/\\"/"/g'
	grep -o -E 'label_values\([a-zA-Z_:][a-zA-Z0-9_:]*' "$dashboard" |
	    sed -e 's/^label_values(//')
n_rules=$(grep -c -E '^[[:space:]]*expr:' "$rules")
n_dash=$(grep -c '"expr"' "$dashboard")
n=$(printf '%s\n' "$exprs" | grep -c .)
check "read $n expressions ($n_rules rules, $n_dash dashboard targets, variables)" \
    test "$n" -gt $((n_rules + n_dash - 1)) -a "$n_rules" -gt 0 -a "$n_dash" -gt 0

words=' sum min max avg count group stddev stdvar topk bottomk quantile
count_values and or unless bool offset by without on ignoring group_left
group_right rate irate increase delta idelta deriv predict_linear
histogram_quantile abs absent absent_over_time clamp clamp_min clamp_max
changes resets min_over_time max_over_time avg_over_time sum_over_time
count_over_time last_over_time vector scalar time timestamp
label_replace label_join sort sort_desc round ceil floor sqrt ln exp
Inf NaN inf nan '

# Metric names of the expressions on stdin, one a line.
names() {
	sed -e 's/"[^"]*"//g' -e "s/'[^']*'//g" -e 's/{[^}]*}//g' \
	    -e 's/\[[^]]*\]//g' \
	    -e 's/\(by\|without\|on\|ignoring\|group_left\|group_right\)[[:space:]]*([^)]*)//g' \
	    -e 's/\$[a-zA-Z_]*//g' |
	    grep -o -E '[a-zA-Z_:][a-zA-Z0-9_:]*|[0-9][0-9.e+-]*[a-z]*' |
	    grep -v -E '^[0-9]' | sort -u
}

used=$(printf '%s\n' "$exprs" | names)
for m in $used; do
	case $words in *" $m "*|*"
$m "*|*" $m
"*) continue ;; esac
	base=$m
	for s in _bucket _sum _count; do
		case $m in *"$s") base=${m%"$s"} ;; esac
	done
	if printf '%s\n' "$exported" | grep -q -x -F -e "$m" -e "$base"; then
		ok "$m is exported"
	else
		notok "$m is queried by the rules or the dashboard but src/ exports no such metric"
	fi
done

tally_end
