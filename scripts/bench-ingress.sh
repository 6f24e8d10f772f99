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
# JFR's first recording in a running JVM slows it for many seconds (a profiled round ran at a tenth of its neighbours'
# speed): with a profile asked for, the JVM starts with a recording (kept in memory, never written), so the round's
# own recording starts in an initialized recorder (the arguments: the pom's surefire.argLine, and the recording)
jfr_argline="-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -XX:+UseParallelGC -Xss1m -XX:StartFlightRecording=settings=default,disk=false"
mvn -B -q -o -pl ingress -am test -Dtest=IngressBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsurefire.excludedGroups= -Dgroups=benchmark -Dbench.duration="${1:-15s}" -Dbench.connections="${2:-50}" \
  -Dbench.rounds="${3:-3}" ${BENCH_JFR:+-Dbench.jfr="$(realpath -m "$BENCH_JFR")" "-Dsurefire.argLine=$jfr_argline"} ${BENCH_JFR_ROUND:+-Dbench.jfr.round="$BENCH_JFR_ROUND"} ${BENCH_JFR_SETTINGS:+-Dbench.jfr.settings="$BENCH_JFR_SETTINGS"} \
  -DtrimStackTrace=false
grep -h -A$((3 * ${3:-3} + 9)) "=== ingress submit benchmark" ingress/target/surefire-reports/io.storystream.ingress.IngressBenchmarkTest-output.txt
