#!/usr/bin/env bash
# The GitHub Action's scan step (action.yml runs it). Event data arrives in
# environment variables that action.yml sets from the event payload, never
# pasted into a script, so a branch name cannot inject shell code.
#
#   LEAKHOUND          the leakhound binary
#   EVENT_NAME         push, pull_request, pull_request_target, workflow_dispatch, schedule, ...
#   EVENT_BEFORE/AFTER a push's old and new commits
#   PR_BASE/PR_HEAD    a pull request's base and head commits
#   FULL_HISTORY       "true": every ref, whatever the event
#   CONFIG, BASELINE, EXTRA_ARGS   optional flags
#   OUT_DIR            where the SARIF report goes ($RUNNER_TEMP)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   as GitHub sets them
#
# Writes sarif=<path> and exit-code=<0|1|2> to $GITHUB_OUTPUT and always
# exits 0: action.yml uploads the SARIF, then decides whether to fail.
set -uo pipefail

zero=0000000000000000000000000000000000000000
hex='^[0-9a-f]{40}([0-9a-f]{24})?$'
args=(git .)
what="every ref's whole history"
case "${EVENT_NAME:-}" in
push)
	if [[ "${FULL_HISTORY:-false}" != true && "${EVENT_AFTER:-}" =~ $hex ]]; then
		if [[ "${EVENT_BEFORE:-}" =~ $hex && "$EVENT_BEFORE" != "$zero" ]] && git cat-file -e "$EVENT_BEFORE^{commit}" 2>/dev/null; then
			args+=(--range "$EVENT_BEFORE..$EVENT_AFTER")
			what="the pushed commits (${EVENT_BEFORE:0:12}..${EVENT_AFTER:0:12})"
		else
			# A new branch (or a force push whose old commit is gone): the
			# whole history of what was pushed.
			args+=(--branch "$EVENT_AFTER")
			what="the history of the pushed branch (${EVENT_AFTER:0:12})"
		fi
	fi
	;;
pull_request | pull_request_target)
	if [[ "${FULL_HISTORY:-false}" != true && "${PR_BASE:-}" =~ $hex && "${PR_HEAD:-}" =~ $hex ]]; then
		args+=(--range "$PR_BASE..$PR_HEAD")
		what="the pull request's commits (${PR_BASE:0:12}..${PR_HEAD:0:12})"
	fi
	;;
esac
[[ -z "${CONFIG:-}" ]] || args+=(--config "$CONFIG")
[[ -z "${BASELINE:-}" ]] || args+=(--baseline-path "$BASELINE")
sarif="${OUT_DIR:-.}/leakhound.sarif"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
# EXTRA_ARGS is split on whitespace on purpose (a list of flags); it comes
# from the workflow's author, not from the event.
# shellcheck disable=SC2206
extra=(${EXTRA_ARGS:-})
echo "leakhound: scanning $what"
code=0
"$LEAKHOUND" "${args[@]}" "${extra[@]}" --no-progress --report-format sarif --report-path "$sarif" --summary-path "$summary" || code=$?

if [[ "$(git rev-parse --is-shallow-repository 2>/dev/null)" == true ]]; then
	echo "> **Shallow checkout**: history before the checked-out commits was not scanned. Use \`actions/checkout\` with \`fetch-depth: 0\`." >>"$summary"
fi
{
	cat "$summary"
	echo
	echo "Scanned $what."
} >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
{
	echo "sarif=$sarif"
	echo "exit-code=$code"
} >>"${GITHUB_OUTPUT:-/dev/null}"
exit 0
