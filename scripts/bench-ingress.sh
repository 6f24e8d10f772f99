#!/usr/bin/env bash
# Submit throughput and latency of the ingress against a bare Javalin JSON POST, measured with wrk in one run.
#   scripts/bench-ingress.sh [duration] [connections]     (defaults 15s and 50)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
mvn -B -q -o -pl ingress -am test -Dtest=IngressBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsurefire.excludedGroups= -Dgroups=benchmark -Dbench.duration="${1:-15s}" -Dbench.connections="${2:-50}" \
  -DtrimStackTrace=false
grep -h -A4 "=== ingress submit benchmark" ingress/target/surefire-reports/io.storystream.ingress.IngressBenchmarkTest-output.txt
