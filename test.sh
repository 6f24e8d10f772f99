#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need and a fresh machine lacks (Node.js for the independent
# Avro client and the OpenAPI linter, docker-compose to validate docker-compose.yml), then runs Maven. Extra
# arguments go to Maven: `./test.sh -Dstorystream.test.now=2026-12-01T00:30:00Z` runs the date-dependent tests as
# if it were that (past) moment.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prerequisites.sh
scripts/install-test-tools.sh
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
# Every module's tests run even when another module's fail: a failed test does not stop the build (so the modules
# that depend on that one are tested too), and the summary below fails the run instead. The tools installed above
# are required: a test missing one fails, not skips. One module per core (-T 1C): ingress, processor and billing, each
# tested alone, wait on their brokers more than they compute, so two of them at a time share the machine's two cores.
set +e
mvn -B -T 1C --fail-at-end verify -Dmaven.test.failure.ignore=true -Dstorystream.test-tools.required=true "$@"
built=$?
set -e
scripts/test-summary.sh "$marker" && [ "$built" -eq 0 ]
