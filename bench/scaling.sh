#!/usr/bin/env bash
# How consumer throughput scales with partitions and with consumers of one
# group, against one Redis primary (docs/scaling.md).
#
# For each partition count P (HW_PARTITIONS, default "1 2 4 8"): a fresh
# hirewire-devbroker --partitions P, to which HW_EVENTS generated events
# (default 100000, seed HW_SEED=1, over HW_SPAN_DAYS=3 days: a live stream)
# are published once. Then for each consumer count N <= P (HW_CONSUMERS,
# default "1 2 4"): a fresh redis-server and N hirewire-consumer
# --until-caught-up of one new group, started together (metrics on
# 127.0.0.1:0, the mock broker settings of the tests). A run lasts from
# their start until all have exited, and must leave the stored offsets
# (hw:offset:*) summing to HW_EVENTS: anything less fails the script.
#
# Prints a Markdown table, one row per P x N:
#   events/s             HW_EVENTS / wall time of the run, group join included
#   ratio                to the 1-partition, 1-consumer run of the same
#                        invocation (needs 1 in both lists)
#   events/s after join  HW_EVENTS / time from the first consumer's
#                        "assigned" log line to the last one's "caught up"
#                        line: without the group join (the mock broker holds
#                        a new group's first join for about 3 s) and the
#                        consumers' shutdown (leaving the group, about 1 s)
#   Redis CPU s          user + sys of redis-server during the run (INFO cpu)
#   consumer CPU s       user + sys of the N consumers, summed (/usr/bin/time)
#
# The events are published lz4-compressed (HW_PRODUCE_ARGS, default
# "-X compression.type=lz4"): the devbroker keeps only about 5 MiB per
# partition, which holds some 40,000 uncompressed events of this stream, and
# would silently drop the oldest. The script checks after publishing that
# every partition still starts at offset 0 and fails otherwise.
#
# usage: bench/scaling.sh [BIN_DIR]
#   BIN_DIR (or HW_BIN_DIR; default build/) holds hirewire-devbroker,
#   hirewire-produce and hirewire-consumer; nothing is built here.
#   HW_REPEAT=R runs each P x N R times (fresh Redis and group each time) and
#   reports the run with the median events/s (default 1).
#   HW_BENCH_CONSUMER_ARGS adds consumer flags (e.g. "-s batch.max.events=20000").
#   HW_RUN_TIMEOUT bounds each consumer, in seconds (default 900).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${HW_BIN_DIR:-$src/build}}
n=${HW_EVENTS:-100000}
seed=${HW_SEED:-1}
span=${HW_SPAN_DAYS:-3}
partitions=${HW_PARTITIONS:-1 2 4 8}
consumers=${HW_CONSUMERS:-1 2 4}
repeat=${HW_REPEAT:-1}
run_timeout=${HW_RUN_TIMEOUT:-900}
produce_args=${HW_PRODUCE_ARGS--X compression.type=lz4}

fail() {
  echo "scaling: FAIL: $*" >&2
  exit 1
}
[[ -d $bin ]] || fail "no bin dir $bin (pass it as \$1 or HW_BIN_DIR)"
bin=$(cd "$bin" && pwd)
for b in hirewire-devbroker hirewire-produce hirewire-consumer; do
  [[ -x $bin/$b ]] || fail "$bin/$b is missing (build it, or pass the bin dir as \$1 or HW_BIN_DIR)"
done

# shellcheck source=../scripts/local-services.sh
. "$src/scripts/local-services.sh"
svc_init hirewire-scaling
# Running consumers are children of /usr/bin/time (then timeout): stop them
# by their parent's pid, then the services.
tpids=()
scaling_cleanup() {
  local tp c
  for tp in "${tpids[@]}"; do
    for c in $(pgrep -P "$tp" 2>/dev/null); do kill "$c" 2>/dev/null || true; done
  done
  for tp in "${tpids[@]}"; do wait "$tp" 2>/dev/null || true; done
  svc_cleanup
}
trap scaling_cleanup EXIT
trap 'exit 130' INT TERM

redis_cpu() {
  redis-cli -p "$port" info cpu | tr -d '\r' |
    awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" {s += $2} END {printf "%.3f\n", s}'
}
stored_offsets() {
  redis-cli -p "$port" --raw eval \
    "local s=0 for _,k in ipairs(redis.call('KEYS','hw:offset:*')) do s=s+tonumber(redis.call('GET',k)) end return s" 0
}
# Prints "events earliest-offsets partitions" of the event topics.
watermarks() {
  /usr/bin/python3 - "$(cat "$1")" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "scaling-watermarks"})
md = c.list_topics(timeout=10)
total = low = parts = 0
for t in ("talent.hires", "talent.offers"):
    for p in md.topics[t].partitions:
        lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
        total, low, parts = total + hi, low + lo, parts + 1
c.close()
print(total, low, parts)
EOF
}
show_logs() {
  local f
  for f in "$@"; do echo "--- $f" >&2; tail -5 "$f" >&2; done
}

# Seconds from $2 to the first (or, with "last", the last) log line of
# consumer logs $3... whose message starts with $1; -1 if there is none.
log_time() {
  local pat=$1 t0=$2 which=$3 ts
  shift 3
  ts=$(grep -h "msg=\"$pat" "$@" | sed -n 's/^ts=\([^ ]*\) .*/\1/p' | sort)
  if [[ $which == last ]]; then ts=$(tail -1 <<<"$ts"); else ts=$(head -1 <<<"$ts"); fi
  if [[ -z $ts ]]; then echo -1; else echo "$(date -u -d "$ts" +%s.%N) - $t0" | bc; fi
}

# One measured run: run_once P N R appends
# "P N wall join caught_up redis_cpu consumer_cpu" to $work/results (seconds;
# join and caught_up from the start, -1 if not logged).
run_once() {
  local P=$1 N=$2 r=$3 dir=$work/p$1/n$2-r$3 group=scaling-$$-p$1-n$2-r$3
  local i rc bad="" cpu0 cpu1 t0 t1 applied ccpu join caught
  mkdir -p "$dir"
  svc_start_redis "$dir"
  local rpid=$redis_pid
  svc_wait_ready "$bootfile"
  redis-cli -p "$port" ping >/dev/null 2>&1 || fail "redis-server did not start: $(cat "$dir/redis.log")"
  cpu0=$(redis_cpu)
  t0=$(now)
  for ((i = 1; i <= N; i++)); do
    # shellcheck disable=SC2086 # HW_BENCH_CONSUMER_ARGS holds several flags
    /usr/bin/time -f "%U %S" -o "$dir/cpu-$i" timeout "$run_timeout" "$bin/hirewire-consumer" \
      --bootstrap-file "$bootfile" --redis "redis://127.0.0.1:$port" --group "$group" \
      --until-caught-up --metrics-addr 127.0.0.1:0 \
      -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
      ${HW_BENCH_CONSUMER_ARGS:-} \
      -s "country.bases.file=$src/deploy/config/talent-bases.csv" \
      -s "country.groups.file=$src/deploy/config/country-groups.csv" 2>"$dir/consumer-$i.log" &
    tpids+=($!)
  done
  for ((i = 1; i <= N; i++)); do
    rc=0
    wait "${tpids[i - 1]}" || rc=$?
    [[ $rc -eq 0 ]] || bad+=" consumer $i exited $rc;"
  done
  t1=$(now)
  tpids=()
  cpu1=$(redis_cpu)
  if [[ -n $bad ]]; then
    show_logs "$dir"/consumer-*.log
    fail "p=$P n=$N:$bad"
  fi
  applied=$(stored_offsets)
  if [[ $applied -ne $n ]]; then
    show_logs "$dir"/consumer-*.log
    fail "p=$P n=$N: all $N consumers exited, but the stored offsets sum to $applied of $n events"
  fi
  # When the group had formed (the first "assigned" of any consumer), and
  # when the last consumer saw that the group had caught up.
  join=$(log_time assigned "$t0" first "$dir"/consumer-*.log)
  caught=$(log_time "caught up" "$t0" last "$dir"/consumer-*.log)
  [[ $(echo "$join < 0 || $caught < 0" | bc) -eq 0 ]] || join=-1
  ccpu=$(for ((i = 1; i <= N; i++)); do tail -1 "$dir/cpu-$i"; done | awk '{s += $1 + $2} END {printf "%.2f\n", s}')
  svc_stop "$rpid"
  echo "$P $N $(echo "$t1 - $t0" | bc) $join $caught $(echo "$cpu1 - $cpu0" | bc) $ccpu" >>"$work/results"
  awk -v n="$n" -v r="$r" '{
    printf "p=%d n=%d run %d: %d events in %.2f s (%.0f events/s); group formed at %.2f s, caught up at %.2f s; Redis CPU %.2f s, consumers CPU %.2f s\n",
      $1, $2, r, n, $3, n / $3, $4, $5, $6, $7 }' <<<"$(tail -1 "$work/results")" >&2
}

echo "scaling: $n events (seed $seed, over $span days), partitions: $partitions; consumers: $consumers; $repeat run(s) each; binaries in $bin" >&2
: >"$work/results"
for P in $partitions; do
  pdir=$work/p$P
  mkdir -p "$pdir"
  svc_start_devbroker "$pdir" "$P"
  bpid=$broker_pid
  bootfile=$pdir/bootstrap
  for _ in $(seq 150); do [[ -s $bootfile ]] && break; sleep 0.1; done
  [[ -s $bootfile ]] || fail "hirewire-devbroker --partitions $P did not start: $(cat "$pdir/broker.log")"
  # shellcheck disable=SC2086 # produce_args holds several words
  "$bin/hirewire-produce" --bootstrap-file "$bootfile" $produce_args --generate "$n" --seed "$seed" \
    --span-days "$span" 2>"$pdir/produce.log" || fail "publishing failed: $(tail -3 "$pdir/produce.log")"
  read -r total low parts <<<"$(watermarks "$bootfile")"
  [[ $parts -eq $((2 * P)) ]] || fail "the devbroker has $parts event partitions, expected $((2 * P))"
  [[ $total -eq $n && $low -eq 0 ]] ||
    fail "p=$P: the topics end at $total offsets and start at $low, expected $n and 0: the devbroker dropped events (it keeps about 5 MiB per partition); lower HW_EVENTS"
  for N in $consumers; do
    ((N <= P)) || continue
    for ((r = 1; r <= repeat; r++)); do run_once "$P" "$N" "$r"; done
  done
  svc_stop "$bpid"
done

# The median run of each P x N (by wall time), then the table.
awk '
  { key = $1 " " $2; if (!(key in cnt)) order[++k] = key; cnt[key]++; line[key, cnt[key]] = $0; wall[key, cnt[key]] = $3 }
  END {
    for (j = 1; j <= k; j++) {
      key = order[j]; m = cnt[key]
      for (a = 1; a <= m; a++) idx[a] = a
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
        if (wall[key, idx[b]] < wall[key, idx[a]]) { t = idx[a]; idx[a] = idx[b]; idx[b] = t }
      print line[key, idx[int((m + 1) / 2)]]
    }
  }' "$work/results" >"$work/median"
echo
echo "$n generated events (seed $seed, over $span days), one Redis primary; $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $repeat -gt 1 ]] && echo "median of $repeat runs each"
echo
awk -v n="$n" '
  { row[NR] = $0 }
  $1 == 1 && $2 == 1 { base = $3; if ($4 >= 0) base_after = $5 - $4 }
  END {
    print "| partitions | consumers | events/s | ratio to 1×1 | events/s after join | ratio after join | Redis CPU s | consumer CPU s (sum) |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= NR; i++) {
      split(row[i], f, " ")
      after = f[4] >= 0 ? f[5] - f[4] : 0
      printf "| %d | %d | %.0f | %s | %s | %s | %.2f | %.2f |\n", f[1], f[2], n / f[3],
        (base > 0 ? sprintf("%.2f", base / f[3]) : "–"),
        (after > 0 ? sprintf("%.0f", n / after) : "–"),
        (after > 0 && base_after > 0 ? sprintf("%.2f", base_after / after) : "–"),
        f[6], f[7]
    }
  }' "$work/median"
