#!/usr/bin/env bash
# Wall-time benchmark: `leakhound dir` against `gitleaks dir` on one tree.
#
#   bench/dir.sh [TREE] [RUNS]      TREE defaults to $BENCH_TREE, RUNS to 5
#
# Builds leakhound from this repository, then runs one warm-up of each tool
# and RUNS timed runs of each, interleaved (the order flips every round), and
# prints the median seconds of each and the ratio gitleaks/leakhound.
# gitleaks comes from $GITLEAKS or PATH; without it only leakhound is timed.
# $LEAKHOUND names a prebuilt binary to time instead of building one.
#
# For people on a quiet machine only: CI must never run this.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_refuse_ci dir.sh

usage() { echo "usage: bench/dir.sh [TREE] [RUNS]   (TREE defaults to \$BENCH_TREE, RUNS to 5)" >&2; exit 2; }

tree="${1:-${BENCH_TREE:-}}"
runs="${2:-5}"
[[ -n "$tree" ]] || usage
[[ -d "$tree" ]] || { echo "bench/dir.sh: $tree is not a directory" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage

bench_setup dir.sh

# leakhound writes straight into a non-regular report path such as /dev/null.
lh_cmd=("$leakhound" dir "$tree" --report-path /dev/null --exit-code 0)
# gitleaks gets a throwaway regular file, never /dev/null: it checks that the
# report path is writable by creating and then deleting it, so run as root it
# deletes /dev/null; it also refuses a report path without a known extension
# unless --report-format is given.
gl_cmd=("$gitleaks" dir "$tree" --no-banner --report-format json
	--report-path "$tmp/gitleaks-report.json" --exit-code 0)

# run NAME CMD...: runs CMD once, output to a log; prints its wall seconds.
run() {
	local name="$1" start end
	shift
	start="$(date +%s.%N)"
	if ! "$@" >"$tmp/$name.log" 2>&1; then
		echo "bench/dir.sh: $name failed: $*" >&2
		tail -n 20 "$tmp/$name.log" >&2
		exit 1
	fi
	end="$(date +%s.%N)"
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

echo "tree: $tree ($(find "$tree" -type f | wc -l) files), $runs runs each after one warm-up" >&2
echo "leakhound: ${lh_cmd[*]}" >&2
[[ -z "$gitleaks" ]] || echo "gitleaks:  ${gl_cmd[*]} ($("$gitleaks" version 2>/dev/null || echo '?'))" >&2

: >"$tmp/leakhound.times"
: >"$tmp/gitleaks.times"
run leakhound "${lh_cmd[@]}" >/dev/null
[[ -z "$gitleaks" ]] || run gitleaks "${gl_cmd[@]}" >/dev/null
tools=(leakhound)
[[ -z "$gitleaks" ]] || tools+=(gitleaks)
for ((i = 1; i <= runs; i++)); do
	read -ra order <<<"$(interleaved "$i" "${tools[@]}")"
	for tool in "${order[@]}"; do
		if [[ "$tool" == leakhound ]]; then t="$(run leakhound "${lh_cmd[@]}")"; else t="$(run gitleaks "${gl_cmd[@]}")"; fi
		echo "$t" >>"$tmp/$tool.times"
		echo "run $i $tool ${t}s" >&2
	done
done

lh="$(median "$tmp/leakhound.times")"
printf 'leakhound median: %.3fs\n' "$lh"
if [[ -n "$gitleaks" ]]; then
	gl="$(median "$tmp/gitleaks.times")"
	printf 'gitleaks  median: %.3fs\n' "$gl"
	awk -v g="$gl" -v l="$lh" 'BEGIN { if (l > 0) printf "ratio gitleaks/leakhound: %.2f\n", g / l; else print "ratio gitleaks/leakhound: n/a (leakhound took 0s)" }'
fi
