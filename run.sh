#!/usr/bin/env bash
# Runs storystream on its embedded default: a real Kafka broker, S3 (S3Proxy), the schema registry endpoint and the
# services, all in one JVM, with data under ./data (or --data-dir / STORYSTREAM_DATA_DIR). Builds first when needed.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prerequisites.sh
jar=launcher/target/storystream.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./data -prune -o -path '*/target' -prune -o \
     \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
  echo "storystream: building (first run, or sources changed)…"
  mvn -B -q -DskipTests package
fi
exec java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -jar "$jar" "$@"
