#!/usr/bin/env bash
# Soak run: a steady stream for a long while, under a schedule of faults.
#
# Starts its own redis-server (AOF on, appendfsync everysec) and a
# devbroker of 3 brokers (8 partitions a topic, --control), publishes
# generated events at RATE events/s (default 1000) for MINUTES minutes
# (default 60; hirewire-produce --generate --rate), runs hirewire-consumer,
# and injects these faults in turn, evenly spaced over the run, one round
# of the four per 15 minutes (at least one round, so a short run gets each
# once):
#   kill9    kill -9 of the consumer, restarted 1 s later
#   redis    Redis shut down (its AOF flushed), started again 5 s later
#            from its AOF
#   leader   the leadership of every partition of talent.hires and
#            talent.offers moved to another broker
#   poison   a burst of malformed messages of every rejection class
#            (tests/lib/poison.py, without its 10 MB one)
#
# Every 10 s bench/soak_watch.py samples into soak.csv: alert latency p50
# and p99 over the interval (produce -> alert in hw:alerts, as
# bench/alert_latency.sh measures it), the consumer's VmRSS, Redis
# used_memory, the consumer lag (messages in the event topics minus the
# offsets stored in Redis, hw:offset:*) and the fault of the interval.
#
# At the end publishing stops, the consumer catches up (lag 0) and is
# stopped with SIGTERM, and the run is checked: every key in Redis against
# the independent model of all the valid events published (tests/lib/
# model.py, the window invariant, nothing lost or counted twice;
# bench/soak_check.py; events that Kafka does not hold, as read back
# below, are left out of that model), and the DLQ must hold the poison
# messages and nothing else (tests/lib/check_dlq.py). The sampler also reads every
# event back from Kafka: an event the producer had delivered that Kafka
# does not hold is reported as lost before the consumer. It prints a
# summary (also in summary.txt) and plots soak.csv to soak.png with gnuplot.
#
# The consumer runs with -X fetch.wait.max.ms=10 (see alert_latency.sh)
# and a 6 s session timeout (as the fault tests), so that a consumer
# restarted after kill -9 gets its partitions back within seconds. The
# devbroker finds a fetch's offset by walking the partition's message sets
# from the oldest it keeps (about 5 MiB a partition), so its CPU grows
# with what it keeps until that is full; 8 partitions a topic keep about
# 5 minutes of a 1000 events/s stream, plenty for the consumer's stalls.
#
# usage: bench/soak.sh [RATE] [MINUTES]   (builds into build/, or $HW_BIN_DIR, first)
# SOAK_OUT: the directory for soak.csv, soak.png, summary.txt, faults.log
# and the logs (default a new temporary directory). SOAK_SEED and
# SOAK_SPAN_DAYS: the generator's seed (default 1) and span (default
# 1004 days). HW_SOAK_CONSUMER_ARGS adds consumer flags.
# Exit status: 0 when the comparison passes, 1 when it fails (or the
# producer fails, events are missing from Kafka, a consumer crashes, or
# the consumer does not catch up).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rate=${1:-1000}
minutes=${2:-60}
if ! [[ $rate =~ ^[1-9][0-9]*$ && $minutes =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/soak.sh [RATE] [MINUTES]" >&2
  exit 2
fi
seed=${SOAK_SEED:-1}
span=${SOAK_SPAN_DAYS:-1004}
bin=${HW_BIN_DIR:-$src/build}
partitions=8
interval=10
command -v gnuplot >/dev/null || "$src/scripts/setup.sh"
HW_TARGETS="hirewire-devbroker hirewire-produce hirewire-consumer" "$src/scripts/build.sh" "$bin"

out=${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/hirewire-soak.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/{soak.csv,soak.png,summary.txt,faults.log,watch.json,consumer.pid,consumer-*.log}

. "$src/scripts/local-services.sh"
svc_init hirewire-soak # $work: Redis's files, the control FIFO, the poison
# At exit the processes stop in the reverse order of their start: the
# clients while Kafka and Redis still answer them.
stop_all() {
  local i
  rm -f "$out/consumer.pid"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  pids=()
}
trap 'stop_all; svc_cleanup' EXIT
bases=$src/deploy/config/talent-bases.csv
groups=$src/deploy/config/country-groups.csv
failed=()

forget() { # forget PID: a process that ended, no longer to stop at exit
  local q keep=()
  for q in "${pids[@]}"; do [[ $q == "$1" ]] || keep+=("$q"); done
  pids=("${keep[@]}")
}

clock() { local s=$((EPOCHSECONDS - ${start_s:-$EPOCHSECONDS})); printf '%02d:%02d' $((s / 60)) $((s % 60)); }

port=$(free_port)
mkdir "$work/redis"
start_redis() {
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly yes \
    --appendfsync everysec --daemonize no --loglevel warning >>"$out/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  # PING answers LOADING while the AOF is read back.
  for _ in $(seq 1200); do
    [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && return 0
    sleep 0.1
  done
  echo "soak: Redis did not start (see $out/redis.log)" >&2
  exit 1
}

consumer_n=0
start_consumer() {
  consumer_n=$((consumer_n + 1))
  # shellcheck disable=SC2086
  "$bin/hirewire-consumer" --bootstrap-file "$work/bootstrap" --redis "redis://127.0.0.1:$port" \
    --metrics-addr off -X fetch.wait.max.ms=10 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
    -s "country.bases.file=$bases" -s "country.groups.file=$groups" ${HW_SOAK_CONSUMER_ARGS:-} \
    2>"$out/consumer-$consumer_n.log" &
  consumer_pid=$!
  pids+=("$consumer_pid")
  echo "$consumer_pid" >"$out/consumer.pid"
}

note_fault() { # note_fault NAME TEXT: in faults.log (for the samples) and on stdout
  echo "$EPOCHREALTIME $1" >>"$out/faults.log"
  echo "$(clock) $1: $2"
}

# A consumer that ended without being asked is a crash: noted, restarted.
crashes=0
tend_consumer() {
  kill -0 "$consumer_pid" 2>/dev/null && return 0
  local rc=0
  wait "$consumer_pid" 2>/dev/null || rc=$?
  forget "$consumer_pid"
  crashes=$((crashes + 1))
  note_fault crash "the consumer exited $rc unasked ($out/consumer-$consumer_n.log: $(tail -1 "$out/consumer-$consumer_n.log"))"
  start_consumer
}

fault_kill9() {
  note_fault kill9 "kill -9 of the consumer (pid $consumer_pid), restarted 1 s later"
  kill -9 "$consumer_pid"
  wait "$consumer_pid" 2>/dev/null || true
  forget "$consumer_pid"
  sleep 1
  start_consumer
}

fault_redis() {
  note_fault redis "Redis shut down (AOF flushed), started again from its AOF 5 s later"
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  forget "$redis_pid"
  sleep 5
  start_redis
}

leader_round=0
fault_leader() {
  leader_round=$((leader_round + 1))
  note_fault leader "the leaders of the $((2 * partitions)) partitions of talent.hires and talent.offers moved"
  local t p
  for t in talent.hires talent.offers; do
    for ((p = 0; p < partitions; p++)); do echo "leader $t $p $(((p + leader_round) % 3 + 1))"; done
  done >"$work/control"
}

poison_round=0
fault_poison() {
  poison_round=$((poison_round + 1))
  note_fault poison "$npoison malformed messages (every rejection class)"
  /usr/bin/python3 "$src/tests/lib/send_raw.py" "$(cat "$work/bootstrap")" "$work/poison" "$poison_round" \
    >>"$out/poison.log" 2>&1 || failed+=("poison burst $poison_round not delivered (poison.log)")
}

# Services, the consumer, the sampler.
start_redis
"$bin/hirewire-devbroker" --brokers 3 --partitions "$partitions" --bootstrap-file "$work/bootstrap" \
  --control "$work/control" >/dev/null 2>"$out/broker.log" &
pids+=($!)
svc_wait_ready "$work/bootstrap"
[[ -s $work/bootstrap ]] || { echo "soak: the devbroker did not start (see $out/broker.log)" >&2; exit 1; }
npoison=$(/usr/bin/python3 "$src/tests/lib/poison.py" "$work/poison")
rm "$work/poison/too_large.10mb.bin" # larger than the devbroker keeps per partition
npoison=$((npoison - 1))

start_consumer
for _ in $(seq 300); do grep -qs 'assigned' "$out/consumer-1.log" && break; sleep 0.1; done
n=$((rate * minutes * 60))
start=$EPOCHREALTIME
start_s=$EPOCHSECONDS
/usr/bin/python3 "$src/bench/soak_watch.py" watch "$out" "$work/bootstrap" "$port" "$start" "$interval" \
  "$n" "$seed" 2>"$out/watch.log" &
watch_pid=$!
pids+=("$watch_pid")
"$bin/hirewire-produce" --bootstrap-file "$work/bootstrap" --generate "$n" --seed "$seed" --span-days "$span" \
  --rate "$rate" --timeout 120 2>"$out/produce.log" &
producer_pid=$!
pids+=("$producer_pid")

rounds=$((minutes / 15))
((rounds >= 1)) || rounds=1
kinds=(kill9 redis leader poison)
nfaults=$((rounds * ${#kinds[@]}))
echo "== soak: $n events at $rate events/s over $minutes min (seed $seed, event times over $span days), $nfaults faults"
echo "   output in $out"

# The run: a fault when its time comes, the consumer tended, a status line a minute.
next=0
last_status=0
while kill -0 "$producer_pid" 2>/dev/null || ((next < nfaults)); do
  sleep 1
  tend_consumer
  elapsed=$((EPOCHSECONDS - start_s))
  if ((next < nfaults && elapsed >= (next + 1) * minutes * 60 / (nfaults + 1))); then
    "fault_${kinds[next % ${#kinds[@]}]}"
    next=$((next + 1))
  fi
  if ((elapsed - last_status >= 60)); then
    last_status=$elapsed
    tail -1 "$out/soak.csv" 2>/dev/null | awk -F, -v t="$(clock)" '$1 != "time_s" {
      printf "%s published %s, stored %s, lag %s; alert latency p50 %s ms, p99 %s ms; consumer RSS %s MiB; Redis %s MiB\n",
        t, $7, $8, $9, $3, $4, $5, $6 }' || true
  fi
done
produced=0
wait "$producer_pid" || produced=$?
forget "$producer_pid"
[[ $produced -eq 0 ]] || failed+=("hirewire-produce exited $produced (produce.log: $(tail -1 "$out/produce.log"))")

echo "$(clock) publishing done; waiting for the consumer to catch up"
caught=0
for _ in $(seq 300); do
  tend_consumer
  read -r _ _ lag < <(/usr/bin/python3 "$src/bench/soak_watch.py" lag "$work/bootstrap" "$port") || lag=-
  [[ $lag == 0 ]] && { caught=1; break; }
  sleep 2
done
if [[ $caught -eq 1 ]]; then
  echo "$(clock) caught up"
else
  failed+=("the consumer did not catch up in 10 min (lag $lag)")
fi
kill -TERM "$watch_pid"
wait "$watch_pid" || failed+=("the sampler failed (watch.log: $(tail -1 "$out/watch.log"))")
forget "$watch_pid"
# Events the producer was told were delivered, and that Kafka does not
# hold, were lost before the consumer could see them.
lost=$(/usr/bin/python3 "$src/bench/soak_watch.py" missing "$out" 2>/dev/null || echo "?")
[[ $lost == 0 ]] || failed+=("$lost generated events are not in Kafka (lost before the consumer; see the summary)")
kill -TERM "$consumer_pid"
rc=0
wait "$consumer_pid" || rc=$?
forget "$consumer_pid"
[[ $rc -eq 0 ]] || failed+=("the consumer exited $rc after SIGTERM (consumer-$consumer_n.log)")
((crashes == 0)) || failed+=("$crashes consumer crashes")
applied=$(grep -c 'control: applied' "$out/broker.log" || true)
[[ $applied -eq $((leader_round * 2 * partitions)) ]] ||
  failed+=("the devbroker applied $applied of $((leader_round * 2 * partitions)) leader moves (broker.log)")

# Events Kafka lost are left out of the model: the consumer is judged on
# what it could read.
exclude=()
modeled="the $n events published"
if [[ $lost =~ ^[1-9][0-9]*$ ]] &&
  /usr/bin/python3 "$src/bench/soak_watch.py" missing-ids "$out" >"$out/missing.txt"; then
  exclude=("$out/missing.txt")
  modeled="the $((n - lost)) events Kafka holds"
fi
echo "$(clock) comparing Redis with the model of $modeled"
model=FAILED
if /usr/bin/python3 "$src/bench/soak_check.py" "$port" "$bases" "$groups" "${exclude[@]}" \
  < <("$bin/hirewire-produce" --dry-run --generate "$n" --seed "$seed" --span-days "$span" 2>/dev/null) \
  >"$out/check.txt" 2>&1; then
  model=ok
else
  failed+=("Redis differs from the model (check.txt)")
fi
dlq=FAILED
if /usr/bin/python3 "$src/tests/lib/check_dlq.py" "$(cat "$work/bootstrap")" talent.dlq "$work/poison" \
  >>"$out/check.txt" 2>&1; then
  dlq=ok
  held=$(sed -n 's/^ok: \([0-9]*\) DLQ messages.*/\1/p' "$out/check.txt")
  [[ $held == $((poison_round * npoison)) ]] ||
    { dlq=FAILED; failed+=("the DLQ holds $held messages, not the $((poison_round * npoison)) poison messages sent"); }
else
  failed+=("the DLQ does not hold just the poison messages (check.txt)")
fi

faults=$(awk -v s="$start" '{printf "%.2f ", ($1 - s) / 60}' "$out/faults.log" 2>/dev/null || true)
names=$(awk '{printf "%s ", $2}' "$out/faults.log" 2>/dev/null || true)
gnuplot -e "csv='$out/soak.csv'; png='$out/soak.png'" \
  -e "heading='hirewire soak: $rate events/s for $minutes min, $nfaults faults (bench/soak.sh)'" \
  -e "faults='$faults'; names='$names'" "$src/bench/soak.gnuplot" 2>"$out/gnuplot.log" ||
  failed+=("gnuplot failed (gnuplot.log)")

{
  echo "== soak summary: $rate events/s for $minutes min"
  echo "events published:    $n valid events (seed $seed, over $span days) + $((poison_round * npoison)) poison messages"
  /usr/bin/python3 "$src/bench/soak_watch.py" summary "$out" "$rate" || echo "samples:             none (watch.log)"
  echo "model comparison:    $model, of $modeled: $(grep '^model: [0-9]' "$out/check.txt" | tail -1 | sed 's/^model: //')"
  if [[ $dlq == ok ]]; then
    echo "DLQ:                 $(grep '^ok: .* DLQ messages' "$out/check.txt")"
  else
    echo "DLQ:                 FAILED: $(grep -E 'not in the DLQ|unexpected|hw.error=' "$out/check.txt" | head -3 | tr '\n' ' ')"
  fi
  echo "consumer crashes:    $crashes"
  echo "csv:                 $out/soak.csv"
  echo "png:                 $out/soak.png"
  if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'FAILED: %s\n' "${failed[@]}"
  else
    echo "PASS"
  fi
} | tee "$out/summary.txt"
[[ ${#failed[@]} -eq 0 ]]
