#!/usr/bin/env bash
# CredData side by side: rebuild the labeled files of a list of CredData's
# repositories, scan them with leakhound and gitleaks, and score both by
# CredData's 2021/22 line rule (precision, recall and F1 overall, per
# category and per confidence level).
#
#   bench/creddata.sh CREDDATA_DIR REPOS.tsv [OUT_DIR] [-v] [-rules] [-without=CATEGORY]
#
# CREDDATA_DIR is a checkout of github.com/Samsung/CredData (the numbers in
# README.md are at commit c2e5761aa1923330eaf7460e44a20bdd0dc86926).
# REPOS.tsv lists repo_id, owner/name and commit, one repository a line.
# Repositories are read from $MIRROR (owner+name/repo, owner+name.git or
# owner/name under it) when there, else fetched from GitHub at that commit.
# OUT_DIR (default: a folder under $TMPDIR named after the list) keeps the
# rebuilt files between runs; delete it, or set REBUILD=1, to rebuild.
# The files hold CredData's fake values (its obfuscate_creds.py, which
# needs python3) unless RAW=1. -without=UUID also prints the totals without
# the labels of that category. Nothing rebuilt is ever committed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

args=() flags=()
for arg in "$@"; do
	case "$arg" in
	-v | -rules | -without=*) flags+=("$arg") ;;
	-*) echo "usage: bench/creddata.sh CREDDATA_DIR REPOS.tsv [OUT_DIR] [-v] [-rules] [-without=CATEGORY]" >&2; exit 2 ;;
	*) args+=("$arg") ;;
	esac
done
((${#args[@]} >= 2)) || { echo "usage: bench/creddata.sh CREDDATA_DIR REPOS.tsv [OUT_DIR] [-v] [-rules] [-without=CATEGORY]" >&2; exit 2; }
creddata="$(cd "${args[0]}" && pwd)"
repos="$(cd "$(dirname "${args[1]}")" && pwd)/$(basename "${args[1]}")"
out="${args[2]:-${TMPDIR:-/tmp}/leakhound-creddata-$(basename "$repos" .tsv)}"
bench_setup creddata.sh
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [[ -n "${REBUILD:-}" || ! -d "$out/meta" ]]; then
	raw=()
	[[ -z "${RAW:-}" ]] || raw=(-raw)
	(cd "$root" && go run ./bench/creddata rebuild -creddata "$creddata" -repos "$repos" \
		-mirror "${MIRROR:-}" -out "$out" "${raw[@]}")
fi

# Both tools scan from inside OUT so that reports name files as meta does
# (data/...). Exit code 1 means findings, not failure.
(cd "$out" && "$leakhound" dir data --report-format json --report-path "$tmp/leakhound.json" --exit-code 0 --no-color) 2>"$tmp/leakhound.log" ||
	{ cat "$tmp/leakhound.log" >&2; exit 2; }
reports=("leakhound=$tmp/leakhound.json")
if [[ -n "$gitleaks" ]]; then
	(cd "$out" && "$gitleaks" dir data --no-banner --report-format json --report-path "$tmp/gitleaks.json" --exit-code 0) 2>"$tmp/gitleaks.log" ||
		{ cat "$tmp/gitleaks.log" >&2; exit 2; }
	reports+=("gitleaks=$tmp/gitleaks.json")
fi
echo "repositories: $repos ($(grep -vc '^repo_id' "$repos"))"
(cd "$root" && go run ./bench/creddata score -out "$out" "${flags[@]}" "${reports[@]}")
