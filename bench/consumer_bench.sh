#!/usr/bin/env bash
# Consumer throughput and CPU benchmark, on three streams in one run.
#
# For each stream, N generated events (default 300000) are published to a
# fresh local devbroker (2 topics x 32 partitions), then measured in the
# same run:
#   (a) the baseline: a plain librdkafka consumer (bench/baseline_consumer.c)
#       reading the same topics to their end, in a fresh group;
#   (b) hirewire-consumer --until-caught-up, from start to counters flushed,
#       in a fresh group and an empty Redis;
# and it prints events/s of each and their ratio (of whole runs, and from
# the first assignment of partitions to the end: a fresh group waits about
# 3 s to join, which at these sizes is as long as the baseline reads),
# hirewire's CPU per event
# (consumer: user + system time; Redis: INFO's used_cpu_user + used_cpu_sys
# over the run), atomic steps (hw:steps), Redis calls per event (every
# command, MULTI, EXEC and the commands inside the step's script
# included), peak RSS and Redis used_memory per event.
#
# The streams:
#   history  events over 1004 days (almost three years replayed)
#   live     events over 3 days (a live stream)
#   large    events over 1004 days published in large message sets
#            (producer linger.ms=50, batch.num.messages=10000), which a
#            plain consumer reads fastest
#
# usage: bench/consumer_bench.sh [N] [SEED] [STREAM...]   (builds into build/ first)
# HW_BENCH_CONSUMER_ARGS adds consumer flags (e.g. "-s batch.max.events=20000").
# HW_BENCH_BROKERS lists the brokers each stream runs on, in turn, in the
# same run: devbroker (the default) and kafka (Apache Kafka itself, one
# local KRaft node started by scripts/kafka-local.sh; needs Java, the jars
# are fetched with Maven once), e.g. HW_BENCH_BROKERS="devbroker kafka".
# The librdkafka every program of the run loads is named first: with
# LD_LIBRARY_PATH set to a directory from bench/librdkafka_wheel.sh, a
# newer release than the system's.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-300000}
seed=${2:-1}
shift 2 2>/dev/null || shift $#
streams=("$@")
[[ ${#streams[@]} -gt 0 ]] || streams=(history live large)
bin=$src/build
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer bench-baseline" \
  "$src/scripts/build.sh" "$bin"

. "$src/scripts/local-services.sh"
svc_init hirewire-bench
# A Kafka node left by a stream that failed is stopped too.
trap '"$src/scripts/kafka-local.sh" stop "$work/kafka" >/dev/null 2>&1 || true; svc_cleanup' EXIT
svc_start_redis "$work"
echo "librdkafka $("$bin/bench-baseline" --librdkafka-version) ($(ldd "$bin/hirewire-consumer" | awk '/librdkafka/ {print $3; exit}'))"

redis_cpu() { # seconds of CPU Redis used so far (user + system)
  redis-cli -p "$port" info cpu | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'
}

run_stream() { # run_stream NAME SPAN_DAYS BROKER [PRODUCER ARGS...]
  local name=$1 span=$2 broker=$3
  shift 3
  if [[ $broker == kafka ]]; then
    "$src/scripts/kafka-local.sh" start "$work/kafka" 1 32 >"$work/kafka.log" 2>&1 ||
      { cat "$work/kafka.log" >&2; exit 1; }
    cp "$work/kafka/bootstrap" "$work/bootstrap"
  else
    svc_start_devbroker "$work" 32
    svc_wait_ready "$work/bootstrap"
  fi
  local bootstrap
  bootstrap=$(cat "$work/bootstrap")
  redis-cli -p "$port" flushall >/dev/null

  echo "== stream $name on $broker: $n generated events (seed $seed, over $span days${*:+, producer $*})"
  "$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate "$n" --seed "$seed" \
    --span-days "$span" "$@" 2>"$work/produce.log"

  local t0 t1 t2 t3 got c0 c1
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$work/base.time" \
    "$bin/bench-baseline" "$bootstrap" "baseline-$name-$$" talent.hires talent.offers >"$work/base.out"
  t1=$(now)
  local got base_read
  read -r got base_read <"$work/base.out"
  [[ $got -eq $n ]] || { echo "baseline read $got of $n messages" >&2; exit 1; }

  redis-cli -p "$port" config resetstat >/dev/null
  c0=$(redis_cpu)
  t2=$(now)
  /usr/bin/time -f "%M %U %S" -o "$work/hw.time" "$bin/hirewire-consumer" \
    --bootstrap-file "$work/bootstrap" --redis "redis://127.0.0.1:$port" --group "bench-$name-$$" \
    --until-caught-up --metrics-addr off ${HW_BENCH_CONSUMER_ARGS:-} \
    -s "country.bases.file=$src/deploy/config/talent-bases.csv" \
    -s "country.groups.file=$src/deploy/config/country-groups.csv" 2>"$work/consumer.log"
  t3=$(now)
  c1=$(redis_cpu)
  local applied calls evals mem hw_read
  # hirewire from its first assignment to its summary (both logged).
  hw_read=$(awk '
    function secs(line,   t) {
      match(line, /ts=[0-9-]+T[0-9:.]+Z/); t = substr(line, RSTART + 14, 12)
      return substr(t, 1, 2) * 3600 + substr(t, 4, 2) * 60 + substr(t, 7)
    }
    /msg="partitions assigned"/ && !a { a = secs($0) }
    /msg="caught up" applied=/ { e = secs($0) }
    END { d = e - a; if (d < 0) d += 86400; printf "%.3f", a && e ? d : 0 }' "$work/consumer.log")
  applied=$(redis-cli -p "$port" --raw eval \
    "local s=0 for _,k in ipairs(redis.call('KEYS','hw:offset:*')) do s=s+tonumber(redis.call('GET',k)) end return s" 0)
  [[ $applied -eq $n ]] || { echo "hirewire stored offsets for $applied of $n events" >&2; exit 1; }
  calls=$(redis-cli -p "$port" info commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|config)/ {s += $3} END {print s + 0}')
  evals=$(redis-cli -p "$port" get hw:steps)
  mem=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2 + 0}')

  awk -v n="$n" -v a="$(echo "$t1 - $t0" | bc)" -v b="$(echo "$t3 - $t2" | bc)" \
      -v base="$(cat "$work/base.time")" -v hw="$(cat "$work/hw.time")" \
      -v rcpu="$(echo "$c1 - $c0" | bc)" -v calls="$calls" -v evals="${evals:-0}" -v mem="$mem" \
      -v ar="$base_read" -v br="$hw_read" '
    BEGIN {
      split(base, bt, " "); split(hw, ht, " ")
      ccpu = ht[2] + ht[3]
      printf "  baseline (plain librdkafka consumer): %8.0f events/s  (%.2f s, %.2f CPU us/event)\n", n / a, a, (bt[1] + bt[2]) * 1e6 / n
      printf "  hirewire-consumer --until-caught-up:  %8.0f events/s  (%.2f s)\n", n / b, b
      printf "  ratio hirewire/baseline:              %8.2f\n", a / b
      if (ar > 0 && br > 0) {
        printf "  from assignment to the end (group join left out):\n"
        printf "    baseline %.0f events/s (%.2f s), hirewire %.0f events/s (%.2f s), ratio %.2f\n", n / ar, ar, n / br, br, ar / br
      }
      printf "  CPU us/event, consumer:               %8.2f\n", ccpu * 1e6 / n
      printf "  CPU us/event, Redis:                  %8.2f\n", rcpu * 1e6 / n
      printf "  CPU us/event, consumer + Redis:       %8.2f\n", (ccpu + rcpu) * 1e6 / n
      printf "  atomic steps:                         %8d\n", evals
      printf "  Redis calls per event:                %8.3f\n", calls / n
      printf "  hirewire peak RSS:                    %8.1f MiB\n", ht[1] / 1024
      printf "  Redis used_memory per event:          %8.0f bytes\n", mem / n
    }'
  echo "  Redis time by command (us per event, calls per event):"
  redis-cli -p "$port" info commandstats | awk -F'[:=,]' -v n="$n" \
    '/^cmdstat_/ && $1 !~ /cmdstat_(info|config|flushall)$/ {sub("cmdstat_", "", $1); printf "    %-18s %8.3f %8.3f\n", $1, $5 / n, $3 / n}' |
    sort -k2 -n -r | head -8
  if [[ $broker == kafka ]]; then
    "$src/scripts/kafka-local.sh" stop "$work/kafka"
  else
    svc_stop "$broker_pid"
  fi
  rm -f "$work/bootstrap"
}

for s in "${streams[@]}"; do
  for b in ${HW_BENCH_BROKERS:-devbroker}; do
    [[ $b == devbroker || $b == kafka ]] || { echo "unknown broker $b (devbroker, kafka)" >&2; exit 2; }
    case $s in
      history) run_stream history 1004 "$b" ;;
      live) run_stream live 3 "$b" ;;
      large) run_stream large 1004 "$b" -X linger.ms=50 -X batch.num.messages=10000 ;;
      *) echo "unknown stream $s (history, live, large)" >&2; exit 2 ;;
    esac
  done
done
