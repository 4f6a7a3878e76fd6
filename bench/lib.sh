# Shared by the bench scripts, which source it; not meant to be run.
#
# bench_refuse_ci NAME: benchmarks are for a quiet machine; CI sets CI.
bench_refuse_ci() {
	if [[ -n "${CI:-}" ]]; then
		echo "bench/$1: not for CI (CI is set); run it by hand on a quiet machine" >&2
		exit 2
	fi
}

# bench_setup NAME: sets root (this repository), tmp (a temporary folder
# removed on exit), leakhound ($LEAKHOUND or a binary built from root) and
# gitleaks ($GITLEAKS, else PATH, else empty: the script then times leakhound
# alone).
bench_setup() {
	local name="$1"
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/leakhound-bench.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	if [[ -n "${LEAKHOUND:-}" ]]; then
		leakhound="$LEAKHOUND"
	else
		echo "building leakhound from $root" >&2
		(cd "$root" && go build -o "$tmp/leakhound" ./cmd/leakhound)
		leakhound="$tmp/leakhound"
	fi
	gitleaks="${GITLEAKS:-$(command -v gitleaks || true)}"
	if [[ -n "$gitleaks" && ! -x "$gitleaks" ]]; then
		echo "bench/$name: GITLEAKS=$gitleaks is not executable" >&2
		exit 2
	fi
	[[ -n "$gitleaks" ]] || echo "gitleaks not found (set GITLEAKS or put it on PATH): timing leakhound only" >&2
}

# median FILE [COLUMN]: the median of that column (default 1), 6 decimals.
median() {
	awk -v c="${2:-1}" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.6f\n", m }'
}

# interleaved ROUND TOOL...: the tools in the order round ROUND runs them,
# reversed every other round so that neither always runs first.
interleaved() {
	local round="$1" i
	shift
	if ((round % 2)); then
		echo "$@"
	else
		for ((i = $#; i >= 1; i--)); do printf '%s ' "${!i}"; done
		echo
	fi
}
