#!/usr/bin/env bash
# Fails early, with a clear message, when the JDK or Maven is missing or too old.
set -euo pipefail
command -v java >/dev/null || { echo "storystream needs Java 17 or newer: install a JDK (e.g. apt-get install openjdk-17-jdk)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "storystream needs Maven 3.8+: install it (e.g. apt-get install maven)" >&2; exit 1; }
version=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
if [ "${version%%.*}" -lt 17 ] 2>/dev/null; then
  echo "storystream needs Java 17 or newer; this java is $version" >&2
  exit 1
fi
