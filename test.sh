#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need and a fresh machine lacks (Node.js for the independent
# Avro client and the OpenAPI linter, docker-compose to validate docker-compose.yml), then runs Maven. Extra
# arguments go to Maven: `./test.sh -Dstorystream.test.now=2026-12-01T00:30:00Z` runs the date-dependent tests as
# if it were that (past) moment.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prerequisites.sh
scripts/install-test-tools.sh
# --fail-at-end: every module's tests run even when one fails, so one red test does not hide the others' state
# (Maven still exits non-zero). The tools installed above are required: a test missing one fails, not skips.
exec mvn -B --fail-at-end verify -Dstorystream.test-tools.required=true "$@"
