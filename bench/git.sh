#!/usr/bin/env bash
# History benchmark: `leakhound git` against `gitleaks git` on one repository,
# full history of every ref, JSON reports, side by side in one run.
#
#   bench/git.sh REPO [RUNS]        RUNS defaults to 5
#
# Builds leakhound and bench/peakrss from this repository, runs one warm-up
# of each tool and RUNS timed runs of each, interleaved (the order flips every
# round), and prints for each the median wall time and the median peak
# memory of the whole process tree (the scanner and its git children), the
# ratios, and the median time of `git cat-file --batch-all-objects --batch
# --unordered`: reading every object once, the floor DESIGN §3 aims at.
# gitleaks comes from $GITLEAKS or PATH; without it only leakhound is timed.
# $LEAKHOUND names a prebuilt leakhound binary to time instead of building one.
#
# For people on a quiet machine only: CI must never run this.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_refuse_ci git.sh

usage() { echo "usage: bench/git.sh REPO [RUNS]" >&2; exit 2; }

repo="${1:-}"
runs="${2:-5}"
[[ -n "$repo" ]] || usage
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "bench/git.sh: $repo is not a git repository" >&2; exit 2; }

bench_setup git.sh
(cd "$root" && go build -o "$tmp/peakrss" ./bench/peakrss)

lh_cmd=("$leakhound" git "$repo" --report-format json --report-path "$tmp/leakhound-report.json" --exit-code 0)
# gitleaks gets a throwaway regular file, never /dev/null: run as root it
# deletes /dev/null (it checks writability by creating and removing the file).
gl_cmd=("$gitleaks" git "$repo" --no-banner --report-format json
	--report-path "$tmp/gitleaks-report.json" --exit-code 0)
floor_cmd=(git -C "$repo" cat-file --batch-all-objects --batch --unordered)

# run NAME CMD...: runs CMD once under peakrss; appends "seconds peak_kb"
# to $tmp/NAME.runs and prints it. leakhound exits 2 when some objects could
# not be read (a snapshot that omits large blobs): the scan still counts,
# and its summary is printed at the end.
run() {
	local name="$1" status=0
	shift
	"$tmp/peakrss" -- "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" || status=$?
	if ((status > 1)) && ! [[ "$name" == leakhound && $status == 2 ]] || [[ ! -s "$tmp/$name.log" ]]; then
		echo "bench/git.sh: $name failed (exit $status): $*" >&2
		tail -n 20 "$tmp/$name.log" >&2
		exit 1
	fi
	tail -n 1 "$tmp/$name.log" | tee -a "$tmp/$name.runs"
}

commits="$(git -C "$repo" rev-list --all | wc -l)"
echo "repository: $repo ($commits commits), $runs runs each after one warm-up" >&2
echo "leakhound: ${lh_cmd[*]}" >&2
[[ -z "$gitleaks" ]] || echo "gitleaks:  ${gl_cmd[*]} ($("$gitleaks" version 2>/dev/null || echo '?'))" >&2

tools=(floor leakhound)
[[ -z "$gitleaks" ]] || tools+=(gitleaks)
for tool in "${tools[@]}"; do : >"$tmp/$tool.runs"; done
runtool() {
	case "$1" in
	floor) run floor "${floor_cmd[@]}" ;;
	leakhound) run leakhound "${lh_cmd[@]}" ;;
	gitleaks) run gitleaks "${gl_cmd[@]}" ;;
	esac
}
for tool in "${tools[@]}"; do runtool "$tool" >/dev/null; : >"$tmp/$tool.runs"; done
for ((i = 1; i <= runs; i++)); do
	read -ra order <<<"$(interleaved "$i" "${tools[@]}")"
	for tool in "${order[@]}"; do
		echo "run $i $tool $(runtool "$tool")" >&2
	done
done

echo "leakhound said: $(grep '^leakhound:' "$tmp/leakhound.log" | tail -n 1)" >&2
lh_t="$(median "$tmp/leakhound.runs" 1)"
lh_m="$(median "$tmp/leakhound.runs" 2)"
fl_t="$(median "$tmp/floor.runs" 1)"
printf 'leakhound median: %.3fs, peak memory %d MB (all processes)\n' "$lh_t" "$((${lh_m%.*} / 1024))"
printf 'cat-file floor median: %.3fs' "$fl_t"
echo " (leakhound/floor: $(awk -v l="$lh_t" -v f="$fl_t" 'BEGIN { printf "%.2f", l / f }'))"
if [[ -n "$gitleaks" ]]; then
	gl_t="$(median "$tmp/gitleaks.runs" 1)"
	gl_m="$(median "$tmp/gitleaks.runs" 2)"
	printf 'gitleaks  median: %.3fs, peak memory %d MB (all processes)\n' "$gl_t" "$((${gl_m%.*} / 1024))"
	awk -v g="$gl_t" -v l="$lh_t" 'BEGIN { printf "ratio gitleaks/leakhound: %.2f (time)\n", g / l }'
	awk -v g="$gl_m" -v l="$lh_m" 'BEGIN { printf "ratio gitleaks/leakhound: %.2f (peak memory)\n", g / l }'
	echo "findings: leakhound $(grep -o '"fingerprint"' "$tmp/leakhound-report.json" | wc -l), gitleaks $(grep -o '"Fingerprint"' "$tmp/gitleaks-report.json" | wc -l)"
fi
