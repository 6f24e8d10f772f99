#!/usr/bin/env bash
# Adds up the Surefire reports written since the marker file $1: names every failed test and prints one closing line,
# "tests: N passed, N failed, N skipped". Exits 1 when a test failed or errored, or when no report was written.
set -euo pipefail
marker=$1
mapfile -t reports < <(find . -path ./data -prune -o -path '*/target/surefire-reports/TEST-*.xml' -newer "$marker" -print | sort)
if [ ${#reports[@]} -eq 0 ]; then
  echo "tests: no test report was written"
  exit 1
fi
failing=$(grep -l -E '<(failure|error)[ >]' "${reports[@]}" || true)
if [ -n "$failing" ]; then
  echo "failed or errored (reports in */target/surefire-reports):"
  for report in $failing; do
    awk 'match($0, /<testcase [^>]*name="[^"]*"[^>]*classname="[^"]*"/) { tc = substr($0, RSTART, RLENGTH) }
         /<(failure|error)[ >]/ { n = tc; sub(/^<testcase name="/, "", n); sub(/".*/, "", n);
                                  c = tc; sub(/.*classname="/, "", c); sub(/".*/, "", c); print "  " c "." n }' "$report"
  done
fi
awk 'match($0, /<testsuite [^>]*>/) {
       s = substr($0, RSTART, RLENGTH)
       for (i = 1; i <= 4; i++) {
         split("tests failures errors skipped", names, " ")
         if (match(s, names[i] "=\"[0-9]+\"")) { v = substr(s, RSTART, RLENGTH); gsub(/[^0-9]/, "", v); count[names[i]] += v }
       }
     }
     END {
       failed = count["failures"] + count["errors"]
       printf "tests: %d passed, %d failed, %d skipped\n", count["tests"] - failed - count["skipped"], failed, count["skipped"]
       exit failed > 0 ? 1 : 0
     }' "${reports[@]}"
