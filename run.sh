#!/usr/bin/env bash
# Runs storystream on its embedded default: a real Kafka broker, S3 (S3Proxy), the schema registry endpoint,
# PostgreSQL for the billing tables and the services, all in one JVM, with data under ./data (or --data-dir /
# STORYSTREAM_DATA_DIR). Builds first when needed.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prerequisites.sh
# the billing tables need PostgreSQL's server binaries, unless an existing server is named
if [ -z "${STORYSTREAM_POSTGRES_URL:-}" ] && [ -z "${STORYSTREAM_POSTGRES_BIN:-}" ] \
   && ! command -v pg_config >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "storystream needs PostgreSQL's server binaries for the billing tables: install them (e.g. apt-get install" \
       "postgresql), set STORYSTREAM_POSTGRES_BIN to their folder, or STORYSTREAM_POSTGRES_URL to an existing server" >&2
  exit 1
fi
# absolute: the class-data archive records the jar's path as given, and a relative one would not be found by a
# service started from another folder with the same archive
jar=$PWD/launcher/target/storystream.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./data -prune -o -path '*/target' -prune -o \
     \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
  echo "storystream: building (first run, or sources changed)…"
  mvn -B -q -DskipTests package
fi
# The JVM of the embedded default, chosen for a quick start and a small footprint (measured in BENCHMARKS.md,
# "Start and restart of the embedded default"); STORYSTREAM_JAVA_OPTS comes after these, so it can override any:
# - heap 64 MB growing to 384 MB: the whole system's live heap is about 150-200 MB with jobs running (after a full
#   GC); unbounded, the JVM took a quarter of the machine's memory and kept over 2 GB committed;
# - the serial collector: a heap this small needs no concurrent collector, and G1's own tables took 130 MB;
# - C1 only (TieredStopAtLevel=1): a start runs a great deal of code once; the optimizing compiler's work on it
#   competed with the start for two cores and is not needed by a local system (benchmarks set their own flags);
# - a class-data archive of the application (AppCDS): written when the first run after a build exits, and mapped
#   by every later start instead of loading and verifying the same classes from the jars again (the class list of the first run);
# - MALLOC_ARENA_MAX=2: RocksDB and the JDK allocate natively from hundreds of threads, and glibc's default of up
#   to eight arenas per core keeps freed memory resident in each of them.
jsa=launcher/target/storystream.jsa
if [ -f "$jsa" ] && [ "$jsa" -nt "$jar" ]; then cds=-XX:SharedArchiveFile=$jsa; else cds=-XX:ArchiveClassesAtExit=$jsa; fi
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
# shellcheck disable=SC2086
exec java -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "$cds" -Xlog:cds=off -Xlog:cds+dynamic=off \
  -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas ${STORYSTREAM_JAVA_OPTS:-} -jar "$jar" "$@"
