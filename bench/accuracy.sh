#!/usr/bin/env bash
# Accuracy side by side: precision and recall of `leakhound dir` and
# `gitleaks dir` on a labeled corpus, per category, and the decoys each
# reported.
#
#   bench/accuracy.sh [CORPUS_DIR] [-v]
#
# CORPUS_DIR holds corpus/ (the files) and truth.tsv (the labels); it
# defaults to testdata/accuracy. Any corpus in that layout works, such as
# a held-out one kept outside the repository. -v lists every miss and
# false positive. gitleaks comes from $GITLEAKS or PATH; without it only
# leakhound is scored. Unlike the timing scripts this is deterministic, but
# it is still not part of CI: the test suite checks leakhound's floors.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="" verbose=()
for arg in "$@"; do
	case "$arg" in
	-v) verbose=(-v) ;;
	-*) echo "usage: bench/accuracy.sh [CORPUS_DIR] [-v]" >&2; exit 2 ;;
	*) dir="$arg" ;;
	esac
done
bench_setup accuracy.sh
dir="${dir:-$root/testdata/accuracy}"
[[ -d "$dir/corpus" && -f "$dir/truth.tsv" ]] || { echo "bench/accuracy.sh: $dir needs corpus/ and truth.tsv" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"

# Both tools scan from inside the corpus so that reports name paths as
# truth.tsv does. leakhound's exit code 1 means findings, not failure.
(cd "$dir/corpus" && "$leakhound" dir . --report-format json --report-path "$tmp/leakhound.json" --exit-code 0 --no-color) 2>"$tmp/leakhound.log" ||
	{ cat "$tmp/leakhound.log" >&2; exit 2; }
reports=("leakhound=$tmp/leakhound.json")
if [[ -n "$gitleaks" ]]; then
	(cd "$dir/corpus" && "$gitleaks" dir . --no-banner --report-format json --report-path "$tmp/gitleaks.json" --exit-code 0) 2>"$tmp/gitleaks.log" ||
		{ cat "$tmp/gitleaks.log" >&2; exit 2; }
	reports+=("gitleaks=$tmp/gitleaks.json")
fi
echo "corpus: $dir ($(grep -vc '^#' "$dir/truth.tsv") labeled lines)"
(cd "$root" && go run ./bench/score "${verbose[@]}" "$dir/truth.tsv" "" "${reports[@]}")
