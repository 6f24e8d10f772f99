#!/usr/bin/env bash
# Benchmarks (not part of ./test.sh): builds, then runs every stage's benchmark against a baseline measured in the
# same run, and prints one table (also written to benchmarks/target/bench-logs/table.md).
#   ./bench.sh            quick mode (the default; under 3 minutes on 2 cores once built; no worker-alone stage)
#   ./bench.sh --full     full sizes (1M usage events, 10M replay, 100k admissions, 3,000 jobs at 2 s latency)
#   ./bench.sh --quick admission,billing,inspection,worker,system   only the named stages
#   ./bench.sh chaos [--minutes N] [--seed S]   the fault campaign (scripts/chaos.sh; 30 minutes by default)
#   ./bench.sh hops [bootstrap ingress-url key-file probes warm-up]   one job at a time through a running system
#                     (./run.sh in another terminal), each hop from submit to worker start and back timed
#   BENCH_JFR=<folder> ./bench.sh …   also records a JFR profile of each stage JVM (<folder>/<stage>.jfr; see
#                                     scripts/jfr-threads.sh and scripts/jfr-hot.sh)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = chaos ]; then
  shift
  exec scripts/chaos.sh "$@"
fi
scripts/prerequisites.sh
mode=${1:---quick}
case "$mode" in --quick|--full|hops) ;; *) echo "usage: $0 [--quick|--full] [stage,stage...] | chaos [...] | hops [...]" >&2; exit 2 ;; esac
if [ "$mode" != hops ] && ! command -v wrk >/dev/null; then
  echo "bench: installing wrk from Debian's packages (the ingress load generator)…"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null \
    || { echo "bench: wrk could not be installed; the ingress stage needs it" >&2; exit 1; }
fi
offline=""
[ -d "$HOME/.m2/repository/io/javalin/javalin" ] && offline="-o"
echo "bench: building (skipping tests) and resolving class paths…"
mvn -B -q $offline -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
cp_of() { echo "$1/target/test-classes:$1/target/classes:$(cat "$1/target/bench.cp")"; }
if [ "$mode" = hops ]; then
  shift
  exec java -cp "$(cp_of benchmarks)" io.storystream.benchmarks.JobHops "$@"
fi
exec java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -Xmx512m \
  -Dbench.processor.cp="$(cp_of processor)" -Dbench.billing.cp="$(cp_of billing-aggregator)" \
  -Dbench.ingress.cp="$(cp_of ingress)" \
  -cp "$(cp_of benchmarks)" io.storystream.benchmarks.BenchmarkSuite "$mode" ${2:-}
