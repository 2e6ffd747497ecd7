#!/usr/bin/env bash
# hirewire demo: installs missing packages, builds, starts Redis and a local
# Kafka (hirewire-devbroker) on free loopback ports, publishes the scenario
# of examples/scenario.ndjson, runs the consumer until it has caught up, and
# prints what Redis now holds: Meta Superintelligence Labs' composition,
# the labs ranking, the country flow table with Korea's OECD rank, offers
# and the alerts raised; then writes the report page of it all
# (build/hirewire-report.html, one self-contained HTML file) and prints
# its path.
#
# usage: scripts/demo.sh [--kafka] [--serve]
#   --kafka  the same demo on Apache Kafka itself: one local KRaft node
#            (scripts/kafka-local.sh; installs Java and Maven, fetches the
#            jars once) instead of the devbroker. Without it no Java is used.
#   --serve  then serves the page live (hirewire-query serve, on
#            $HW_SERVE_ADDR, default 127.0.0.1:8080) until Ctrl-C, with
#            the demo's Redis and Kafka still running.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build
broker=devbroker
serve=0
for arg in "$@"; do
  case $arg in
    --kafka) broker=kafka ;;
    --serve) serve=1 ;;
    *) echo "usage: scripts/demo.sh [--kafka] [--serve]" >&2; exit 2 ;;
  esac
done

if [[ $broker == kafka ]]; then "$src/scripts/setup.sh" --kafka; else "$src/scripts/setup.sh"; fi
echo "== building"
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer hirewire-query" \
  "$src/scripts/build.sh" "$bin"

source "$src/scripts/local-services.sh"
svc_init hirewire-demo

if [[ $broker == kafka ]]; then
  echo "== starting redis-server and Apache Kafka (one local KRaft node)"
  trap '"$src/scripts/kafka-local.sh" stop "$work/kafka" >/dev/null 2>&1 || true; svc_cleanup' EXIT
  svc_start_redis "$work"
  "$src/scripts/kafka-local.sh" start "$work/kafka" 1 4 | sed 's/^/   /'
  cp "$work/kafka/bootstrap" "$work/bootstrap"
  svc_wait_ready "$work/bootstrap"
else
  echo "== starting redis-server and hirewire-devbroker"
  svc_start_redis "$work"
  svc_start_devbroker "$work" 4
  svc_wait_ready "$work/bootstrap"
  [[ -s $work/bootstrap ]] || { cat "$work/broker.log" >&2; exit 69; }
fi
redis_url=redis://127.0.0.1:$port
echo "   Kafka at $(cat "$work/bootstrap"), Redis at $redis_url"

echo "== publishing examples/scenario.ndjson"
"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" "$src/examples/scenario.ndjson" 2>&1 |
  sed 's/^/   /'

echo "== hirewire-consumer --until-caught-up"
"$bin/hirewire-consumer" --bootstrap-file "$work/bootstrap" --redis "$redis_url" \
  --until-caught-up --metrics-addr off -c "$src/deploy/config/hirewire.conf" 2>"$work/consumer.log" ||
  { cat "$work/consumer.log" >&2; exit 1; }
# The consumer's closing summary: applied, duplicates, rejected, alerts, time.
echo "   done: $(sed -n 's/.* msg="caught up" //p' "$work/consumer.log" | tail -1)"

query() { "$bin/hirewire-query" --redis "$redis_url" "$@"; }
echo
echo "== Meta Superintelligence Labs"
query lab "Meta Superintelligence Labs"
echo
echo "== labs by current members"
query labs --top 10
echo
echo "== country flow, last 365 days of event time"
query flows --window 365d
rank=$(redis-cli -p "$port" ZREVRANK hw:flow:365d:index:oecd KR)
members=$(redis-cli -p "$port" ZCARD hw:flow:365d:index:oecd)
index=$(redis-cli -p "$port" ZSCORE hw:flow:365d:index:oecd KR)
printf '\nKorea: net AI talent index %.2f per 10,000, rank %d of %d OECD members\n' \
  "$index" "$((rank + 1))" "$members"
echo
echo "== offers by organisation, last 365 days"
query offers --window 365d --top 8
echo
echo "== alerts"
query alerts --count 100

report=$bin/hirewire-report.html
echo
echo "== report"
query report --window 365d --html "$report"
echo "   wrote $report"
echo "   (one self-contained HTML file: labs, composition, who hires from whom,"
echo "   country flows with Korea's rank, offers and alerts; open it in a browser)"
serve_addr=${HW_SERVE_ADDR:-127.0.0.1:8080}
if [[ $serve -eq 0 ]]; then
  echo "   the same page live: scripts/demo.sh --serve, or against any Redis the"
  echo "   consumer fills: build/hirewire-query --redis URL serve [--addr $serve_addr]"
  exit 0
fi
echo
echo "== serving the page live at http://$serve_addr/ (Ctrl-C stops it and the demo)"
query serve --addr "$serve_addr" || true
