#!/usr/bin/env bash
# Measures how fast the embedded default starts and how fast it is ready again after kill -9 with jobs in flight,
# the way a user runs it (./run.sh, free ports, a fresh data folder):
#   clean start → banner → /health/ready, resident memory once ready,
#   N jobs submitted, kill -9 right after the last 202, restart → banner → ready, jobs completed afterwards.
# Each figure is printed with the 1-minute load average at that moment, since on a shared machine a figure means
# little without it. Usage: scripts/measure-recovery.sh [--jobs N] [--keep]   (STORYSTREAM_* settings pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=40
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "usage: $0 [--jobs N] [--keep]" >&2; exit 2 ;;
  esac
done

home=$(mktemp -d /tmp/storystream-recovery.XXXXXX)
chmod 711 "$home" # the embedded PostgreSQL runs as the postgres user when this runs as root: it must pass through
read -r -a ports <<<"$(python3 -c 'import socket
s=[socket.socket() for _ in range(10)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')"
args=(--data-dir "$home/data" --kafka-port "${ports[0]}" --kafka-controller-port "${ports[1]}" --s3-port "${ports[2]}"
      --registry-port "${ports[3]}" --ingress-port "${ports[4]}" --admin-port "${ports[5]}"
      --billing-port "${ports[6]}" --standin-port "${ports[7]}" --management-port "${ports[8]}"
      --postgres-port "${ports[9]}")
# the partition count is the embedded default's own (3 in a new folder) unless STORYSTREAM_PARTITIONS sets it
api="http://127.0.0.1:${ports[4]}/v1"
ready_url="http://127.0.0.1:${ports[8]}/health/ready"
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  if [ "$keep" = false ]; then rm -rf "$home"; else echo "kept $home"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
load() { cut -d' ' -f1 /proc/loadavg; }
say() { printf '%-44s %9s   load %s\n' "$1" "$2" "$(load)"; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

# starts ./run.sh in the background (its exec makes $pid the JVM) and waits for the banner's last line
launch() {
  local log=$1
  ./run.sh "${args[@]}" >"$log" 2>&1 &
  pid=$!
  until grep -q "Press Ctrl-C" "$log"; do
    kill -0 "$pid" 2>/dev/null || { echo "storystream exited early:"; tail -40 "$log"; exit 1; }
    sleep 0.1
  done
}
await_ready() {
  local deadline=$(( $(now_ms) + 300000 ))
  until curl -sf -o /dev/null "$ready_url"; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "not ready within 300 s: $(curl -s "$ready_url")"; exit 1; }
    sleep 0.1
  done
}
rss_mb() { awk '/VmRSS/ { printf "%d MB", $2 / 1024 }' "/proc/$pid/status"; }

echo "storystream recovery measurement, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "JVM options: ${STORYSTREAM_JAVA_OPTS:-(the defaults of run.sh)}"
t0=$(now_ms); launch "$home/first.log"; t1=$(now_ms)
say "clean start → banner" "$(secs $((t1 - t0)))"
await_ready; t2=$(now_ms)
say "clean start → ready" "$(secs $((t2 - t0)))"
sleep 5 # let the start's garbage settle before reading the resident set
say "resident memory, ready + 5 s" "$(rss_mb)"

key=$(tr -d '\n' <"$home/data/demo-api-key")
file=$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: text/csv' \
  --data-binary $'region,revenue\nnorth,10\nsouth,20\n' "$api/files?name=kill.csv" | jq -r .id)
ids=()
for i in $(seq 1 "$jobs"); do
  ids+=("$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"fileId\":\"$file\",\"steeringPrompt\":\"angle $i\"}" "$api/analyses" | jq -r .jobId)")
done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
say "killed with kill -9 after $jobs jobs answered 202" ""

t0=$(now_ms); launch "$home/second.log"; t1=$(now_ms)
say "restart after kill -9 → banner" "$(secs $((t1 - t0)))"
await_ready; t2=$(now_ms)
say "restart after kill -9 → ready" "$(secs $((t2 - t0)))"
say "resident memory, ready" "$(rss_mb)"

completed=0; other=0
for id in "${ids[@]}"; do
  deadline=$(( $(now_ms) + 300000 ))
  while :; do
    state=$(curl -s -H "Authorization: Bearer $key" "$api/analyses/$id?wait=20s" | jq -r '.state // empty')
    case "$state" in
      completed) completed=$((completed + 1)); break ;;
      failed|rejected|cancelled) other=$((other + 1)); break ;;
    esac
    [ "$(now_ms)" -lt "$deadline" ] || { echo "job $id did not end within 300 s (last: $state)"; break; }
    sleep 0.2
  done
done
t3=$(now_ms)
say "jobs completed after the restart" "$completed / $jobs"
[ "$other" -eq 0 ] || say "jobs failed, rejected or cancelled" "$other"
say "restart → last job ended" "$(secs $((t3 - t0)))"
grep -E "in [0-9]+ ms|ready on|recovered|aborting" "$home/second.log" | head -40 >"$home/second-timings.txt" || true
echo "the restart's timed log lines: $home/second-timings.txt (with --keep)"
