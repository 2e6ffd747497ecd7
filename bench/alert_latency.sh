#!/usr/bin/env bash
# Produce -> alert-visible-in-Redis latency.
#
# Runs hirewire-consumer (default config) against a local devbroker and
# Redis, publishes N generated events (default 20000) at R events/s
# (default 1000), records when each alert appears in the hw:alerts stream
# (XREAD, its own client), and reports p50 / p99 / max of arrival time minus
# the Kafka CreateTime of the alert's event (events of the first 2 s, while
# the idempotent producer gets its id, are left out).
#
# The consumer runs with its defaults except fetch.wait.max.ms=10:
# librdkafka's mock broker holds an empty fetch for the whole
# fetch.wait.max.ms (default 500) even when messages arrive meanwhile,
# where a real broker answers as soon as there is data.
#
# usage: bench/alert_latency.sh [N] [RATE]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20000}
rate=${2:-1000}
bin=$src/build
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer" "$src/scripts/build.sh" "$bin"

. "$src/scripts/local-services.sh"
svc_init hirewire-latency
svc_start_redis "$work"
svc_start_devbroker "$work" 8
svc_wait_ready "$work/bootstrap"

"$bin/hirewire-consumer" --bootstrap-file "$work/bootstrap" --redis "redis://127.0.0.1:$port" \
  --metrics-addr off -X fetch.wait.max.ms=10 ${HW_BENCH_CONSUMER_ARGS:-} 2>"$work/consumer.log" &
pids+=($!)
for _ in $(seq 200); do grep -q 'assigned' "$work/consumer.log" && break; sleep 0.1; done
/usr/bin/python3 "$src/bench/alert_latency.py" listen "$port" "$work/alerts" &
pids+=($!)
sleep 0.5

echo "publishing $n generated events at $rate events/s..."
"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate "$n" --seed 3 \
  --span-days 3 --rate "$rate" 2>"$work/produce.log"
sleep 2
for t in talent.hires talent.offers; do
  kcat -C -b "$(cat "$work/bootstrap")" -t "$t" -o beginning -e -q -f '%T %t %p %o %K %S\n%k%s' >"$work/$t.dump"
done
/usr/bin/python3 "$src/bench/alert_latency.py" report "$work/alerts" "$work"/talent.*.dump
