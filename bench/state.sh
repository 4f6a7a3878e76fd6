#!/usr/bin/env bash
# What --state saves (docs/incremental.md): on a copy of a bare repository,
# a full `leakhound git --state` (and one without the flag), re-runs with
# the refs unchanged, then a re-run after one new commit (a file of fake
# credentials added on HEAD's branch), each report compared byte for byte
# with a fresh full scan's.
#
#   bench/state.sh BARE_REPO [RUNS] [KIND]   RUNS defaults to 5, KIND git or audit
#
# The repository itself is never changed: the copy (cp -a) gets the commit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_refuse_ci state.sh

src="${1:-}"
runs="${2:-5}"
kind="${3:-git}"
[[ -n "$src" && -d "$src" && "$runs" =~ ^[1-9][0-9]*$ && "$kind" =~ ^(git|audit)$ ]] ||
	{ echo "usage: bench/state.sh BARE_REPO [RUNS] [git|audit]" >&2; exit 2; }
bench_setup state.sh
repo="$tmp/repo.git"
cp -a "$src" "$repo"
state="$tmp/leakhound.state"

# run NAME [--state]: one timed run, its report in $tmp/NAME.json (the
# audit's generated_at removed); prints the wall seconds.
run() {
	local name="$1" code=0 start end
	shift
	start="$(date +%s.%N)"
	"$leakhound" "$kind" "$repo" --report-format json --report-path "$tmp/$name.json" --exit-code 0 \
		--no-progress "$@" >"$tmp/$name.log" 2>&1 || code=$?
	end="$(date +%s.%N)"
	((code == 0)) || { echo "bench/state.sh: leakhound failed (exit $code)" >&2; tail -n 20 "$tmp/$name.log" >&2; exit 1; }
	grep -v '"generated_at"' "$tmp/$name.json" >"$tmp/$name.cmp" || true
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

same() {
	cmp -s "$tmp/$1.cmp" "$tmp/$2.cmp" || { echo "bench/state.sh: $1 and $2 reports differ" >&2; exit 1; }
}

echo "repository: $src ($(git -C "$repo" rev-list --all --count) commits, $(git -C "$repo" for-each-ref | wc -l) refs)" >&2
echo "full, no state:      $(run full)s"
echo "full, writing state: $(run first --state "$state")s (state file $(stat -c %s "$state") bytes)"
same full first
# listing: the time git takes to list the refs and their commits, what
# an unchanged re-run is measured against.
listing() {
	local start
	start="$(date +%s.%N)"
	git -C "$repo" for-each-ref >/dev/null
	git -C "$repo" rev-list --no-walk --all >/dev/null
	awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

again=() lists=()
for ((i = 1; i <= runs; i++)); do
	again+=("$(run again --state "$state")")
	lists+=("$(listing)")
	echo "unchanged re-run $i:  ${again[-1]}s, listing the refs ${lists[-1]}s ($(tail -n 1 "$tmp/again.log"))"
	same full again
done
a="$(printf '%s\n' "${again[@]}" | median)"
l="$(printf '%s\n' "${lists[@]}" | median)"
echo "unchanged re-run, median of $runs: ${a}s; git for-each-ref + rev-list --no-walk --all, median: ${l}s; ratio $(awk -v a="$a" -v l="$l" 'BEGIN { printf "%.1f", (l > 0) ? a / l : 0 }')x"

# One new commit on HEAD's branch, built with plumbing (a bare repository).
head="$(git -C "$repo" symbolic-ref HEAD)"
tip="$(git -C "$repo" rev-parse HEAD)"
blob="$(printf 'GITHUB_TOKEN=ghp_R2d2C3poFakeToken0123456789abcdefgh\n' | git -C "$repo" hash-object -w --stdin)"
GIT_INDEX_FILE="$tmp/index" git -C "$repo" read-tree "$tip"
GIT_INDEX_FILE="$tmp/index" git -C "$repo" update-index --add --cacheinfo "100644,$blob,config/bench-leak.env"
tree="$(GIT_INDEX_FILE="$tmp/index" git -C "$repo" write-tree)"
commit="$(GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.invalid GIT_COMMITTER_NAME=Bench \
	GIT_COMMITTER_EMAIL=bench@example.invalid git -C "$repo" commit-tree "$tree" -p "$tip" -m "bench: fake credentials")"
git -C "$repo" update-ref "$head" "$commit"
echo "one new commit:      $(run next --state "$state")s ($(tail -n 1 "$tmp/next.log"))"
echo "full, for comparison: $(run fullnext)s"
same fullnext next
echo "reports identical to full scans" >&2
