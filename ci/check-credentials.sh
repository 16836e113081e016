#!/bin/sh
# Checks that a CI job's own credentials are set, naming only what is missing (never a value).
#
#   ci/check-credentials.sh [--required] [--where TEXT] NAME[|ALTERNATIVE...] ...
#
# Each argument is a variable name, or alternatives joined by '|' of which one must be set.
# Prints configured=true|false (also to $GITHUB_OUTPUT when set). Missing credentials fail the
# job (exit 1) with --required (default-branch pushes and schedules) and only warn otherwise
# (merge requests, pull requests, forks). Messages use GitHub's ::error::/::warning:: commands
# under GitHub Actions and ERROR:/WARNING: lines elsewhere.
set -eu
required=false
where="this job's CI settings"
while [ $# -gt 0 ]; do
    case "$1" in
        --required) required=true; shift ;;
        --where) where="$2"; shift 2 ;;
        *) break ;;
    esac
done
output="${GITHUB_OUTPUT:-/dev/null}"
missing=""
for spec in "$@"; do
    found=false
    for name in $(printf '%s' "$spec" | tr '|' ' '); do
        case "$name" in
            "" | [0-9]* | *[!A-Za-z0-9_]*)
                echo "check-credentials: '$name' is not a variable name" >&2
                exit 2
                ;;
        esac
        eval "value=\${$name:-}"
        if [ -n "$value" ]; then found=true; fi
    done
    if [ "$found" = false ]; then
        missing="$missing $(printf '%s' "$spec" | sed 's/|/ or /g'),"
    fi
done
if [ -z "$missing" ]; then
    echo "configured=true" >> "$output"
    echo "configured=true"
    exit 0
fi
echo "configured=false" >> "$output"
echo "configured=false"
missing="${missing%,}"
message="missing:${missing}. This job's Pulumi and B2 steps do not run. Fix: add them to ${where} (see ci/README.md)"
if [ "$required" = true ]; then
    if [ "${GITHUB_ACTIONS:-}" = true ]; then
        echo "::error title=pixeltable-b2 is not configured::${message}"
    else
        echo "ERROR: pixeltable-b2 is not configured: ${message}"
    fi
    exit 1
fi
if [ "${GITHUB_ACTIONS:-}" = true ]; then
    echo "::warning title=pixeltable-b2 is not configured::${message}"
else
    echo "WARNING: pixeltable-b2 is not configured: ${message}"
fi
