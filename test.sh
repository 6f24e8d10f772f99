#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need and a fresh machine lacks (Node.js for the independent
# Avro client and the OpenAPI linter, docker-compose to validate docker-compose.yml), then runs Maven.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prerequisites.sh
scripts/install-test-tools.sh
exec mvn -B verify "$@"
