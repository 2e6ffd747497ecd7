#!/usr/bin/env bash
# Consumer throughput benchmark.
#
# Publishes N generated events (default 300000) to a local devbroker, then
# measures in the same run:
#   (a) the baseline: a plain librdkafka consumer (bench/baseline_consumer.c)
#       reading the same topics to their end, in a fresh group;
#   (b) hirewire-consumer --until-caught-up, from start to counters flushed,
#       in a fresh group and an empty Redis;
# and prints events/s of each, the ratio b/a, hirewire's peak RSS, and Redis
# commands per event (INFO commandstats, script-internal calls included).
#
# usage: bench/consumer_bench.sh [N] [SEED] [SPAN_DAYS]   (builds into build/ first)
# It also prints the floor of commands per event that SPEC.md's key layout
# sets for the same stream (bench/key_floor.py).
# HW_BENCH_CONSUMER_ARGS adds consumer flags (e.g. "-s batch.max.events=20000").
# SPAN_DAYS (default 1004) is how many days of event time the events cover:
# 1004 replays almost three years; a few days is a live stream.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-300000}
seed=${2:-1}
span=${3:-1004}
bin=$src/build
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer bench-baseline" \
  "$src/scripts/build.sh" "$bin"

. "$src/scripts/local-services.sh"
svc_init hirewire-bench
svc_start_redis "$work"
svc_start_devbroker "$work" 32
svc_wait_ready "$work/bootstrap"
bootstrap=$(cat "$work/bootstrap")

echo "publishing $n generated events (seed $seed, over $span days) to 2 x 32 partitions..."
"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate "$n" --seed "$seed" \
  --span-days "$span" 2>"$work/produce.log"

t0=$(now)
got=$("$bin/bench-baseline" "$bootstrap" "baseline-$$" talent.hires talent.offers)
t1=$(now)
[[ $got -eq $n ]] || { echo "baseline read $got of $n messages" >&2; exit 1; }

redis-cli -p "$port" config resetstat >/dev/null
t2=$(now)
/usr/bin/time -f "%M" -o "$work/rss" "$bin/hirewire-consumer" --bootstrap-file "$work/bootstrap" \
  --redis "redis://127.0.0.1:$port" --group "bench-$$" --until-caught-up --metrics-addr off \
  ${HW_BENCH_CONSUMER_ARGS:-} \
  -s "country.bases.file=$src/deploy/config/talent-bases.csv" \
  -s "country.groups.file=$src/deploy/config/country-groups.csv" 2>"$work/consumer.log"
t3=$(now)
applied=$(redis-cli -p "$port" --raw eval \
  "local s=0 for _,k in ipairs(redis.call('KEYS','hw:offset:*')) do s=s+tonumber(redis.call('GET',k)) end return s" 0)
[[ $applied -eq $n ]] || { echo "hirewire stored offsets for $applied of $n events" >&2; exit 1; }
calls=$(redis-cli -p "$port" info commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|config|eval)/ {s += $3} END {print s}')
evals=$(redis-cli -p "$port" info commandstats | awk -F'[:=,]' '/^cmdstat_evalsha/ {print $3}')

awk -v n="$n" -v a="$(echo "$t1 - $t0" | bc)" -v b="$(echo "$t3 - $t2" | bc)" \
    -v rss="$(cat "$work/rss")" -v calls="$calls" -v evals="$evals" '
  BEGIN {
    printf "baseline (plain librdkafka consumer): %8.0f events/s  (%.2f s)\n", n / a, a
    printf "hirewire-consumer --until-caught-up:  %8.0f events/s  (%.2f s)\n", n / b, b
    printf "ratio hirewire/baseline:              %8.2f   (target >= 0.6)\n", a / b
    printf "hirewire peak RSS:                    %8.1f MiB (target <= 64)\n", rss / 1024
    printf "Redis commands per event:             %8.3f   (target <= 0.2; %d commands, %d atomic steps)\n", (calls + evals) / n, calls + evals, evals
  }'
echo "Redis commands by type (calls per event):"
redis-cli -p "$port" info commandstats | awk -F'[:=,]' -v n="$n" \
  '/^cmdstat_/ && $1 !~ /cmdstat_(info|config)/ {sub("cmdstat_", "", $1); printf "  %-18s %8.3f\n", $1, $3 / n}' |
  sort -k2 -n -r | head -12
# The floor any implementation of SPEC.md's key layout pays on this stream:
# one command per distinct key a batch writes (bench/key_floor.py).
batch=$(sed -n 's/.*batch\.max\.events=\([0-9]*\).*/\1/p' <<<"${HW_BENCH_CONSUMER_ARGS:-}")
"$bin/hirewire-produce" --generate "$n" --seed "$seed" --span-days "$span" --dry-run 2>/dev/null |
  "$src/bench/key_floor.py" -b "${batch:-5000}" | sed 's/^/key-layout floor: /'
