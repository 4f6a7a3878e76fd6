#!/usr/bin/env bash
# What the rotation audit costs over a plain history scan: `leakhound audit`
# against `leakhound git` on the same repository (every ref), interleaved.
#
#   bench/audit.sh REPO [RUNS]      RUNS defaults to 5
#
# Prints the median wall time and peak memory (all processes, bench/peakrss)
# of each and the ratio audit/git; the target is at most 1.2 on a
# repository of 20,000+ commits. Exit code 2 from either (objects missing
# from a snapshot) still counts as a run. For a quiet machine: CI never runs it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_refuse_ci audit.sh

repo="${1:-}"
runs="${2:-5}"
[[ -n "$repo" && -d "$repo" ]] || { echo "usage: bench/audit.sh REPO [RUNS]" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/audit.sh REPO [RUNS]" >&2; exit 2; }

bench_setup audit.sh
(cd "$root" && go build -o "$tmp/peakrss" ./bench/peakrss)

# run KIND: one timed run; prints "SECONDS PEAK_KB".
run() {
	local kind="$1" code=0
	"$tmp/peakrss" -- "$leakhound" "$kind" "$repo" --report-format json --report-path "$tmp/$kind.json" \
		--exit-code 0 --no-progress >"$tmp/$kind.log" 2>&1 || code=$?
	if ((code != 0 && code != 2)); then
		echo "bench/audit.sh: leakhound $kind failed (exit $code)" >&2
		tail -n 20 "$tmp/$kind.log" >&2
		exit 1
	fi
	tail -n 1 "$tmp/$kind.log"
}

echo "repository: $repo ($(git -C "$repo" rev-list --all --count 2>/dev/null || echo '?') commits), $runs runs each after one warm-up" >&2
: >"$tmp/git.times"
: >"$tmp/audit.times"
run git >/dev/null
run audit >/dev/null
for ((i = 1; i <= runs; i++)); do
	read -ra order <<<"$(interleaved "$i" git audit)"
	for kind in "${order[@]}"; do
		r="$(run "$kind")"
		echo "$r" >>"$tmp/$kind.times"
		echo "run $i $kind $r" >&2
	done
done
g="$(median "$tmp/git.times")" a="$(median "$tmp/audit.times")"
gm="$(median "$tmp/git.times" 2)" am="$(median "$tmp/audit.times" 2)"
printf 'git   median: %.3fs, peak %.0f MB\n' "$g" "$(awk -v k="$gm" 'BEGIN { print k / 1024 }')"
printf 'audit median: %.3fs, peak %.0f MB\n' "$a" "$(awk -v k="$am" 'BEGIN { print k / 1024 }')"
awk -v g="$g" -v a="$a" 'BEGIN { if (g > 0) printf "ratio audit/git: %.2f\n", a / g }'
sed -n '1,3p' "$tmp/audit.log" >&2
