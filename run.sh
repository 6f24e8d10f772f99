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
jar=launcher/target/storystream.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./data -prune -o -path '*/target' -prune -o \
     \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
  echo "storystream: building (first run, or sources changed)…"
  mvn -B -q -DskipTests package
fi
# STORYSTREAM_JAVA_OPTS: extra JVM flags (e.g. a log4j2 configuration for a profile), after the defaults
# shellcheck disable=SC2086
exec java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas ${STORYSTREAM_JAVA_OPTS:-} -jar "$jar" "$@"
