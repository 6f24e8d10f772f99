#!/usr/bin/env bash
# Installs, from Debian's packages, the tools the test suite drives and a fresh machine may lack:
#   node + npm      the independent Confluent-wire-format client (@kafkajs/confluent-schema-registry), the OpenAPI linter,
#                   and the client generated from /openapi.json (openapi-typescript, openapi-fetch, typescript; the
#                   tests install these npm packages, pinned, under their module's target/)
#   docker-compose  validates docker-compose.yml (`docker-compose config -q`; no Docker engine needed)
#   chromium + chromedriver  the dashboard's browser test (headless, driven by Selenium through /usr/bin/chromedriver)
#   prometheus      its promtool checks the alert rules and the Prometheus configuration in deploy/prometheus
#   postgresql      the server binaries the billing tables' tests (and the embedded default) run, as the postgres user
set -euo pipefail
missing=()
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v promtool >/dev/null || missing+=(prometheus)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${STORYSTREAM_POSTGRES_BIN:-}" ] || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing test tools: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
