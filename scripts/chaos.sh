#!/usr/bin/env bash
# The fault campaign (not part of ./test.sh): the distributed deployment (3 brokers with replication factor 3,
# 2 ingress, 2 processors, 2 billing aggregators, the billing sink into PostgreSQL, the DataStoryBot stand-in, S3,
# the schema registry) under load from four tenants while faults keep coming on a seeded schedule, then a
# reconciliation from the outside. Prints the schedule first and a report at the end; exits 1 on any mismatch.
#   scripts/chaos.sh                       30 minutes, seed 19
#   scripts/chaos.sh --minutes 10 --seed 7
# (also ./bench.sh chaos [--minutes N] [--seed S]). Child logs: launcher/target/chaos-run/target/child-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
seed=19
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--minutes N] [--seed S]" >&2; exit 2 ;;
  esac
done
scripts/prerequisites.sh
offline=""
[ -d "$HOME/.m2/repository/io/javalin/javalin" ] && offline="-o"
echo "chaos: building (skipping tests) and resolving the launcher's test class path…"
mvn -B -q $offline -DskipTests -pl launcher -am package dependency:build-classpath \
  -Dmdep.outputFile=target/chaos.cp -Dmdep.includeScope=test
launcher=$(pwd)/launcher
classpath="$launcher/target/test-classes:$launcher/target/classes:$(cat "$launcher/target/chaos.cp")"
data=$(mktemp -d -t chaos-XXXXXX)
trap 'rm -rf "$data"' EXIT
# the children's logs go to launcher/target/chaos-run/target/child-logs/, apart from the tests' own
mkdir -p "$launcher/target/chaos-run"
cd "$launcher/target/chaos-run"
# nice: the campaign shares the machine; the child JVMs inherit it
nice java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -Xmx768m -cp "$classpath" \
  io.storystream.launcher.chaos.ChaosCampaign --minutes "$minutes" --seed "$seed" --data "$data"
