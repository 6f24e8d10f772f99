#!/usr/bin/env bash
# Where the CPU goes, per thread group: counts a JFR recording's execution samples by thread name, with numbers
# and ids collapsed (JettyServerThreadPool-123 and -456 are one group), as a share of all samples.
#   scripts/jfr-threads.sh recording.jfr [top]
# Then scripts/jfr-hot.sh recording.jfr '<group pattern>' shows the methods of one group.
set -euo pipefail
file=$1; top=${2:-20}
jfr print --events jdk.ExecutionSample --stack-depth 1 "$file" | awk -v top="$top" '
  /sampledThread = / {
    name = $0; sub(/.*sampledThread = "/, "", name); sub(/".*/, "", name)
    gsub(/[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+/, "<id>", name)
    gsub(/[0-9]+/, "N", name)
    groups[name]++; total++ }
  END {
    printf "%d samples\n", total
    n = 0; for (g in groups) rows[n++] = sprintf("%7.1f%%  %6d  %s", 100 * groups[g] / total, groups[g], g)
    cmd = "sort -rn | head -" top; for (i = 0; i < n; i++) print rows[i] | cmd; close(cmd)
  }'
