#!/usr/bin/env bash
# How long each service takes to serve again after kill -9 under load when it runs in its own JVM (not part of
# ./test.sh): one broker, S3, the schema registry and the stand-in in the measuring JVM, one billing aggregator, one
# processor and one ingress each in its own (launcher/src/test/.../chaos/RestartProfile.java), four tenants
# submitting jobs; then for
# ingress, processor and billing aggregator in turn: kill -9 of the first instance, restart on its data folder,
# restart → ready and restart → served (a job of every tenant ended / the billing read API answering), each with the
# 1-minute load average, and the restarted process's log as a timeline of what it waited on. The children log the
# Kafka clients at INFO for this (launcher/src/test/resources/restart-profile-log4j2.xml).
# Child logs: launcher/target/restart-profile/target/child-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
offline=""
[ -d "$HOME/.m2/repository/io/javalin/javalin" ] && offline="-o"
echo "restart profile: building (skipping tests) and resolving the launcher's test class path…"
nice mvn -B -q $offline -DskipTests -pl launcher -am package dependency:build-classpath \
  -Dmdep.outputFile=target/chaos.cp -Dmdep.includeScope=test
launcher=$(pwd)/launcher
classpath="$launcher/target/test-classes:$launcher/target/classes:$(cat "$launcher/target/chaos.cp")"
data=$(mktemp -d -t restart-profile-XXXXXX)
trap 'rm -rf "$data"' EXIT
rm -rf "$launcher/target/restart-profile"
mkdir -p "$launcher/target/restart-profile"
cd "$launcher/target/restart-profile"
# the children inherit JAVA_TOOL_OPTIONS: their log4j2.xml with the profile's levels merged over it
export JAVA_TOOL_OPTIONS="-Dlog4j2.configurationFile=classpath:log4j2.xml,$launcher/src/test/resources/restart-profile-log4j2.xml"
nice java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -Xmx768m -cp "$classpath" \
  io.storystream.launcher.chaos.RestartProfile "$data"
