#!/usr/bin/env bash
# Consumer memory after a backlog: the RSS a consumer keeps once it has
# caught up, not only its peak. Starts its own redis-server and devbroker
# (32 partitions a topic), publishes EVENTS generated events (seed 1, over
# 1,004 days), runs hirewire-consumer from the start, samples its VmRSS
# every second until the offsets in Redis reach the end, then publishes
# 1,000 events/s for LIVE_SECONDS and samples it every 2 s. Prints the peak
# while reading the backlog, the RSS once caught up, and the live range.
#
# usage: bench/backlog_rss.sh [EVENTS] [LIVE_SECONDS]   (default 900000, 30;
# builds into build/ first)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-900000}
live=${2:-30}
if ! [[ $n =~ ^[1-9][0-9]*$ && $live =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/backlog_rss.sh [EVENTS] [LIVE_SECONDS]" >&2
  exit 2
fi
bin=$src/build
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer" \
  "$src/scripts/build.sh" "$bin"

. "$src/scripts/local-services.sh"
svc_init hirewire-backlog
svc_start_redis "$work"
svc_start_devbroker "$work" 32
svc_wait_ready "$work/bootstrap"

"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate "$n" \
  --seed 1 --span-days 1004 2>"$work/produce.log"
"$bin/hirewire-consumer" --bootstrap-file "$work/bootstrap" \
  --redis "redis://127.0.0.1:$port" --group backlog --log-level warn \
  2>"$work/consumer.log" &
pid=$!
pids+=("$pid")

rss() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }
stored() { # the next offsets stored in Redis, summed over the partitions
  redis-cli -p "$port" --scan --pattern 'hw:offset:backlog:*' |
    while read -r k; do redis-cli -p "$port" get "$k"; done |
    awk '{s += $1} END {print s + 0}'
}
alive() {
  kill -0 "$pid" 2>/dev/null || { echo "the consumer stopped:" >&2; tail -5 "$work/consumer.log" >&2; exit 1; }
}

echo "== a backlog of $n events, then 1000 events/s for $live s"
peak=0 t=0
while [[ $(stored) -lt $n ]]; do
  alive
  r=$(rss)
  ((r > peak)) && peak=$r
  sleep 1
  t=$((t + 1))
done
sleep 2
alive
echo "  backlog read in about $t s: peak RSS $peak MiB, RSS once caught up $(rss) MiB"

"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate $((live * 1000)) \
  --seed 2 --span-days 3 --rate 1000 2>>"$work/produce.log" &
producer=$!
lo=0 hi=0
for ((i = 0; i < live; i += 2)); do
  sleep 2
  alive
  r=$(rss)
  ((lo == 0 || r < lo)) && lo=$r
  ((r > hi)) && hi=$r
done
wait "$producer"
echo "  live: RSS $lo-$hi MiB"
