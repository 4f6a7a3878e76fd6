#!/usr/bin/env bash
# Pre-commit benchmark: `leakhound git --staged` against `gitleaks git --staged`
# and against `git diff --cached --name-only` (the floor: git itself reading
# the index and HEAD) on a repository of 10,000 committed files with 10
# changed files staged, the budget DESIGN §1 sets for a pre-commit hook: at
# most twice the floor, process start included.
#
#   bench/staged.sh [RUNS]          RUNS defaults to 21
#
# Builds leakhound from this repository, makes the repository in a temporary
# folder, runs one warm-up of each tool and RUNS timed runs of each,
# interleaved (the order flips every round), in the repository as a hook
# would, and prints the median and fastest wall time of each and the ratio of
# each median to the floor's. gitleaks comes from $GITLEAKS or PATH; without it only
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

(cd "$root" && go build -o "$tmp/cmdtime" ./bench/cmdtime)
lh_cmd=("$leakhound" git --staged --no-color)
# gitleaks gets a throwaway regular file, never /dev/null: it checks that its
# report path is writable by creating and then deleting it.
gl_cmd=("$gitleaks" git --staged --no-banner --report-format json --report-path "$tmp/gitleaks-report.json")
# The floor: git itself reading the index and HEAD's tree.
floor_cmd=(git diff --cached --name-only)

echo "leakhound: ${lh_cmd[*]}" >&2
[[ -z "$gitleaks" ]] || echo "gitleaks:  ${gl_cmd[*]} ($("$gitleaks" version 2>/dev/null || echo '?'))" >&2
echo "floor:     ${floor_cmd[*]}" >&2
# Each command runs once as a warm-up, then RUNS times, interleaved, started
# by cmdtime itself so that no shell or date process is timed; ratios are
# to the floor.
set -- -- floor "${floor_cmd[@]}" -- leakhound "${lh_cmd[@]}"
[[ -z "$gitleaks" ]] || set -- "$@" -- gitleaks "${gl_cmd[@]}"
"$tmp/cmdtime" -dir "$repo" -runs "$runs" "$@"
