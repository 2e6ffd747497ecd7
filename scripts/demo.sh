#!/usr/bin/env bash
# hirewire demo: installs missing packages, builds, starts a local Kafka
# (hirewire-devbroker) on loopback, publishes the scenario of
# examples/scenario.ndjson and shows what Kafka holds.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build

"$src/scripts/setup.sh"
echo "== building"
HW_TARGETS="hirewire-devbroker hirewire-produce" "$src/scripts/build.sh" "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/hirewire-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting hirewire-devbroker"
"$bin/hirewire-devbroker" --partitions 4 --bootstrap-file "$work/bootstrap" \
  >/dev/null 2>"$work/devbroker.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/bootstrap ]] && break; sleep 0.1; done
[[ -s $work/bootstrap ]] || { cat "$work/devbroker.log" >&2; exit 69; }
echo "   Kafka at $(cat "$work/bootstrap")"

echo "== publishing examples/scenario.ndjson"
"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" "$src/examples/scenario.ndjson"

echo "== what Kafka holds (read back with kcat)"
for topic in talent.hires talent.offers; do
  kcat -C -b "$(cat "$work/bootstrap")" -t "$topic" -o beginning -e -q -f '%p\n' |
    sort -n | uniq -c | awk -v t="$topic" '{n += $1; parts = parts sprintf(" p%s=%s", $2, $1)}
      END {printf "   %-14s %4d messages:%s\n", t, n, parts}'
done
