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
#
# --as-run-sh: start the services the way ./run.sh starts one (its launcher jar and the application's class-data
# archive, which ./run.sh writes when its first run after a build exits; written here first if missing or stale)
# instead of the test class path without an archive.
set -euo pipefail
cd "$(dirname "$0")/.."
as_run_sh=false
[ "${1:-}" = "--as-run-sh" ] && as_run_sh=true
scripts/prerequisites.sh
offline=""
[ -d "$HOME/.m2/repository/io/javalin/javalin" ] && offline="-o"
echo "restart profile: building (skipping tests) and resolving the launcher's test class path…"
nice mvn -B -q $offline -DskipTests -pl launcher -am package dependency:build-classpath \
  -Dmdep.outputFile=target/chaos.cp -Dmdep.includeScope=test
launcher=$(pwd)/launcher
classpath="$launcher/target/test-classes:$launcher/target/classes:$(cat "$launcher/target/chaos.cp")"
children=()
if [ "$as_run_sh" = true ]; then
  jar=$launcher/target/storystream.jar
  jsa=$launcher/target/storystream.jsa
  if [ ! -f "$jsa" ] || [ ! "$jsa" -nt "$jar" ]; then
    echo "restart profile: writing the class-data archive as ./run.sh's first run does (start, then Ctrl-C)…"
    home=$(mktemp -d /tmp/restart-profile-archive.XXXXXX)
    chmod 711 "$home"
    read -r -a ports <<<"$(python3 -c 'import socket
s=[socket.socket() for _ in range(10)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')"
    ./run.sh --data-dir "$home/data" --kafka-port "${ports[0]}" --kafka-controller-port "${ports[1]}" \
      --s3-port "${ports[2]}" --registry-port "${ports[3]}" --ingress-port "${ports[4]}" --admin-port "${ports[5]}" \
      --billing-port "${ports[6]}" --standin-port "${ports[7]}" --management-port "${ports[8]}" \
      --postgres-port "${ports[9]}" >"$home/run.log" 2>&1 &
    pid=$!
    until grep -q "Press Ctrl-C" "$home/run.log"; do
      kill -0 "$pid" 2>/dev/null || { echo "./run.sh exited early:"; tail -40 "$home/run.log"; exit 1; }
      sleep 0.5
    done
    kill -TERM "$pid"
    wait "$pid" || true
    rm -rf "$home"
  fi
  children=(-Dstorystream.child.jar="$jar" -Dstorystream.child.classArchive="$jsa")
  echo "restart profile: services start as ./run.sh starts them (launcher jar, class-data archive)"
fi
data=$(mktemp -d -t restart-profile-XXXXXX)
trap 'rm -rf "$data"' EXIT
rm -rf "$launcher/target/restart-profile"
mkdir -p "$launcher/target/restart-profile"
cd "$launcher/target/restart-profile"
# the children inherit JAVA_TOOL_OPTIONS: their log4j2.xml with the profile's levels merged over it
export JAVA_TOOL_OPTIONS="-Dlog4j2.configurationFile=classpath:log4j2.xml,$launcher/src/test/resources/restart-profile-log4j2.xml"
nice java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -Xmx768m "${children[@]}" -cp "$classpath" \
  io.storystream.launcher.chaos.RestartProfile "$data"
