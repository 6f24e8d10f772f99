#!/usr/bin/env bash
# Where the time goes: summarizes a JFR recording's execution samples of the threads whose name matches a pattern.
#   scripts/jfr-hot.sh recording.jfr 'StreamThread' [top]
# Prints the methods most often on top of the stack (self time) and the methods most often anywhere on the stack
# (inclusive time), as a share of the matching samples. Uses only the JDK's own `jfr` tool.
set -euo pipefail
file=$1; pattern=$2; top=${3:-15}
jfr print --events jdk.ExecutionSample --stack-depth 96 "$file" | awk -v pat="$pattern" -v top="$top" '
  /^jdk.ExecutionSample/ { inside = 1; keep = 0; depth = 0; delete seen; next }
  inside && /sampledThread = / { keep = ($0 ~ pat); if (keep) samples++; next }
  inside && keep && /line:|\(\)/ && !/stackTrace/ {
    frame = $0; sub(/^[ \t]+/, "", frame); sub(/[ \t]+line:.*/, "", frame); sub(/\(.*/, "", frame)
    if (depth == 0) self[frame]++
    if (!(frame in seen)) { incl[frame]++; seen[frame] = 1 }
    depth++; next }
  /^}/ { inside = 0 }
  END {
    printf "%d samples of threads matching /%s/\n", samples, pat
    print "-- self (top of stack)"
    n = 0; for (f in self) rows[n++] = sprintf("%7.1f%%  %s", 100 * self[f] / samples, f)
    cmd = "sort -rn | head -" top; for (i = 0; i < n; i++) print rows[i] | cmd; close(cmd)
    print "-- inclusive (anywhere on the stack)"
    n = 0; delete rows; for (f in incl) rows[n++] = sprintf("%7.1f%%  %s", 100 * incl[f] / samples, f)
    cmd = "sort -rn | head -" (top * 3); for (i = 0; i < n; i++) print rows[i] | cmd; close(cmd)
  }'
