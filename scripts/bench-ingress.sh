#!/usr/bin/env bash
# Submit throughput and latency of the ingress against a bare Javalin JSON POST, measured with wrk in one run.
#   scripts/bench-ingress.sh [duration] [connections] [rounds]     (defaults 15s, 50 and 3 alternating rounds)
# With BENCH_JFR=<file.jfr> it also records a JFR profile of the first submit round, or of round BENCH_JFR_ROUND
# (a later round profiles code the JIT has finished compiling), with JFR's settings BENCH_JFR_SETTINGS (profile, the
# default, or default: lighter); summarize it with scripts/jfr-hot.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
mvn -B -q -o -pl ingress -am test -Dtest=IngressBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsurefire.excludedGroups= -Dgroups=benchmark -Dbench.duration="${1:-15s}" -Dbench.connections="${2:-50}" \
  -Dbench.rounds="${3:-3}" ${BENCH_JFR:+-Dbench.jfr="$(realpath -m "$BENCH_JFR")"} ${BENCH_JFR_ROUND:+-Dbench.jfr.round="$BENCH_JFR_ROUND"} ${BENCH_JFR_SETTINGS:+-Dbench.jfr.settings="$BENCH_JFR_SETTINGS"} \
  -DtrimStackTrace=false
grep -h -A$((3 * ${3:-3} + 9)) "=== ingress submit benchmark" ingress/target/surefire-reports/io.storystream.ingress.IngressBenchmarkTest-output.txt
