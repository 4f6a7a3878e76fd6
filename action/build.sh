#!/usr/bin/env bash
# The GitHub Action's build step (action.yml runs it): builds leakhound from
# the action's own code, never anything from the scanned repository, into
# the path given as $1.
#
# The action's copy is downloaded without .git, so Go can stamp no commit
# into the binary; a release tag in ACTION_REF (github.action_ref, passed
# through env) names the build instead. Any other ref (a branch, a commit)
# leaves the version to what Go stamps, v0.0.0-devel without .git.
set -euo pipefail

out="${1:?usage: action/build.sh OUTPUT}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=""
if [[ "${ACTION_REF:-}" =~ ^v[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?$ ]]; then
	version="$ACTION_REF"
fi
go build -ldflags "-X github.com/leakhound/leakhound/internal/cli.Version=$version" -o "$out" ./cmd/leakhound
