#!/usr/bin/env bash
# Pre-commit benchmark: `leakhound git --staged` against `gitleaks git --staged`
# on a repository of 10,000 committed files with 10 changed files staged, the
# budget DESIGN §1 sets for a pre-commit hook (well under 0.1 s; the target is
# a 50 ms median, process start included).
#
#   bench/staged.sh [RUNS]          RUNS defaults to 21
#
# Builds leakhound from this repository, makes the repository in a temporary
# folder, runs one warm-up of each tool and RUNS timed runs of each,
# interleaved (the order flips every round), in the repository as a hook
# would, and prints the median and fastest wall time of each and the ratio of
# the medians. gitleaks comes from $GITLEAKS or PATH; without it only
# leakhound is timed. $LEAKHOUND names a prebuilt leakhound binary to time
# instead of building one.
#
# For people on a quiet machine only: CI must never run this.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_refuse_ci staged.sh

usage() { echo "usage: bench/staged.sh [RUNS]   (RUNS defaults to 21)" >&2; exit 2; }

runs="${1:-21}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage

bench_setup staged.sh

# The repository: 100 folders of 100 small Go files, committed; then 10 of
# them changed and staged. No user or system git config takes part.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
repo="$tmp/repo"
echo "making a repository of 10,000 files in $repo" >&2
git init -q -b main "$repo"
for ((d = 0; d < 100; d++)); do
	mkdir -p "$repo/src/pkg$d"
	for ((f = 0; f < 100; f++)); do
		printf 'package pkg%d\n\n// F%d returns its number.\nfunc F%d() int { return %d }\n' "$d" "$f" "$f" "$f" >"$repo/src/pkg$d/file$f.go"
	done
done
git -C "$repo" add -A
git -C "$repo" commit -q -m "10,000 files"
for ((i = 0; i < 10; i++)); do
	printf '\n// G%d is new.\nfunc G%d() string { return "changed %d" }\n' "$i" "$i" "$i" >>"$repo/src/pkg$i/file$i.go"
done
git -C "$repo" add -A
echo "staged: $(git -C "$repo" diff --cached --name-only | wc -l) files of $(git -C "$repo" ls-files | wc -l)" >&2

lh_cmd=("$leakhound" git --staged --no-color)
# gitleaks gets a throwaway regular file, never /dev/null: it checks that its
# report path is writable by creating and then deleting it.
gl_cmd=("$gitleaks" git --staged --no-banner --report-format json --report-path "$tmp/gitleaks-report.json")

# run NAME CMD...: runs CMD once in the repository, output to a log; prints
# its wall seconds. Exit codes 0 and 1 (findings) both count as a run.
run() {
	local name="$1" start end rc=0
	shift
	start="$(date +%s.%N)"
	(cd "$repo" && "$@") >"$tmp/$name.log" 2>&1 || rc=$?
	end="$(date +%s.%N)"
	if ((rc > 1)); then
		echo "bench/staged.sh: $name failed (exit $rc): $*" >&2
		tail -n 20 "$tmp/$name.log" >&2
		exit 1
	fi
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }'
}

# stats FILE: "median Xs, fastest Ys" of the numbers in FILE.
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f ms (fastest %.1f ms)\n", m * 1000, v[1] * 1000 }'
}

echo "$runs runs each after one warm-up" >&2
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
	done
done

echo "leakhound git --staged: median $(stats "$tmp/leakhound.times")"
if [[ -n "$gitleaks" ]]; then
	echo "gitleaks git --staged:  median $(stats "$tmp/gitleaks.times")"
	awk -v g="$(median "$tmp/gitleaks.times")" -v l="$(median "$tmp/leakhound.times")" \
		'BEGIN { if (l > 0) printf "ratio gitleaks/leakhound: %.1f\n", g / l }'
fi
