# Shared helpers for hirewire's integration tests (bash).
#
# Each test starts its own redis-server and hirewire-devbroker on free
# loopback ports and stops them on exit, so tests can run in parallel.
# Binaries come from HW_BIN_DIR (set by ctest), or ../build.
#
# HW_KAFKA=kafka (ctest label kafka) runs the same test against Apache
# Kafka itself: hw_start_broker then starts a local KRaft cluster of
# HW_KAFKA_NODES nodes (default 3) with scripts/kafka-local.sh instead of
# the devbroker, and HW_KAFKA_DIR names it for the faults only a real
# cluster has (kill, restart, leader: tests/lib/kafka.sh).

set -euo pipefail

HW_SRC_DIR=${HW_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HW_BIN_DIR=${HW_BIN_DIR:-$HW_SRC_DIR/build}
HW_PY=/usr/bin/python3   # Debian's python3 with python3-avro and friends
HW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hirewire-test.XXXXXX")
HW_PIDS=()

HW_KAFKA_DIRS=()

hw_cleanup() {
  local dir pid consumers=()
  # The consumers first, while Redis and Kafka still answer them.
  if [[ -f $HW_TMP/consumers ]]; then
    while read -r pid _; do [[ $pid == fg ]] || consumers+=("$pid"); done <"$HW_TMP/consumers"
  fi
  hw_stop_pids "${consumers[@]}"
  for dir in "${HW_KAFKA_DIRS[@]}"; do
    if [[ -n "${HW_KEEP_TMP:-}" ]]; then cp "$dir"/node*.log "$HW_TMP/" 2>/dev/null || true; fi
    "$HW_SRC_DIR/scripts/kafka-local.sh" stop "$dir" >/dev/null 2>&1 || true
  done
  hw_stop_pids "${HW_PIDS[@]}"
  if [[ -z "${HW_KEEP_TMP:-}" ]]; then rm -rf "$HW_TMP"; else echo "kept $HW_TMP" >&2; fi
}

# SIGTERM to each process, then up to 60 s for each to exit, then kill -9
# (said on stderr: a process of the test that ignores SIGTERM that long).
hw_stop_pids() {
  local pid i
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for ((i = 0; i < 600; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cleanup: $(ps -o args= -p "$pid" | cut -c1-80) (pid $pid) still running 60 s after SIGTERM: killed" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
trap hw_cleanup EXIT

hw_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

hw_note() {
  echo "--- $*" >&2
}

# Prints a TCP port that was free a moment ago on 127.0.0.1.
hw_free_port() {
  "$HW_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds (default 10) for command $1 to succeed.
hw_wait_for() {
  local cmd=$1 limit=${2:-10} i
  for ((i = 0; i < limit * 20; i++)); do
    if eval "$cmd" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  return 1
}

# hw_run_programs PROG...: starts the test's redis-server and runs each
# test program $HW_BIN_DIR/tests/PROG in order with its port; fails naming
# every program that exited non-zero (all of them run).
hw_run_programs() {
  local p rc failed=()
  for p in "$@"; do
    [[ -x $HW_BIN_DIR/tests/$p ]] || hw_fail "$HW_BIN_DIR/tests/$p is not built"
  done
  hw_start_redis
  for p in "$@"; do
    rc=0
    "$HW_BIN_DIR/tests/$p" "$HW_REDIS_PORT" || rc=$?
    [[ $rc -eq 0 ]] || failed+=("$p exited $rc")
  done
  [[ ${#failed[@]} -eq 0 ]] || hw_fail "${failed[*]}"
}

# Starts redis-server on a free port; sets HW_REDIS_PORT and HW_REDIS_URL.
# Extra arguments go to redis-server (e.g. --requirepass x).
hw_start_redis() {
  local try port
  for try in 1 2 3 4 5; do
    port=$(hw_free_port)
    mkdir -p "$HW_TMP/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" \
      --save '' --appendonly no --daemonize no --loglevel warning "$@" \
      >"$HW_TMP/redis-$port.log" 2>&1 &
    local pid=$!
    if hw_wait_for "redis-cli -p $port ${HW_REDIS_CLI_AUTH:-} ping | grep -q PONG" 10; then
      HW_PIDS+=("$pid")
      HW_REDIS_PORT=$port
      HW_REDIS_URL="redis://127.0.0.1:$port"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
  done
  hw_fail "redis-server did not start (see $HW_TMP/redis-*.log)"
}

# Starts hirewire-devbroker; sets HW_BOOTSTRAP (the broker list) and
# HW_BOOTSTRAP_FILE. Arguments go to the devbroker (e.g. --partitions 8).
hw_start_broker() {
  if [[ ${HW_KAFKA:-devbroker} == kafka ]]; then
    hw_start_kafka "$@"
    return
  fi
  [[ ${HW_KAFKA:-devbroker} == devbroker ]] || hw_fail "HW_KAFKA is devbroker or kafka, not $HW_KAFKA"
  local name=broker${#HW_PIDS[@]}
  local file="$HW_TMP/$name.bootstrap"
  "$HW_BIN_DIR/hirewire-devbroker" --bootstrap-file "$file" "$@" \
    >"$HW_TMP/$name.out" 2>"$HW_TMP/$name.log" &
  local pid=$!
  hw_wait_for "test -s '$file'" 15 || hw_fail "devbroker did not start: $(cat "$HW_TMP/$name.log")"
  HW_PIDS+=("$pid")
  HW_BROKER_PID=$pid
  HW_BOOTSTRAP_FILE=$file
  HW_BOOTSTRAP=$(cat "$file")
}

# hw_start_broker under HW_KAFKA=kafka: a local Apache Kafka cluster with
# the four topics, --partitions P each (the devbroker's other options have
# no meaning there: --brokers is HW_KAFKA_NODES, --control fails the test,
# which belongs to the devbroker's own fault tests). Sets HW_KAFKA_DIR,
# HW_BOOTSTRAP_FILE and HW_BOOTSTRAP; HW_BROKER_PID is empty.
hw_start_kafka() {
  local partitions=4 dir
  while [[ $# -gt 0 ]]; do
    case $1 in
      --partitions) partitions=$2; shift 2 ;;
      --brokers) shift 2 ;;
      *) hw_fail "hw_start_broker $1: a devbroker option, not for HW_KAFKA=kafka" ;;
    esac
  done
  dir=$HW_TMP/kafka${#HW_KAFKA_DIRS[@]}
  HW_KAFKA_DIRS+=("$dir")
  "$HW_SRC_DIR/scripts/kafka-local.sh" start "$dir" "${HW_KAFKA_NODES:-3}" "$partitions" \
    >>"$HW_TMP/kafka.log" 2>&1 || hw_fail "Kafka did not start: $(tail -5 "$HW_TMP/kafka.log")"
  HW_KAFKA_DIR=$dir
  HW_BROKER_PID=
  HW_BOOTSTRAP_FILE=$dir/bootstrap
  HW_BOOTSTRAP=$(cat "$HW_BOOTSTRAP_FILE")
}

# The faults of a real cluster (HW_KAFKA=kafka, on HW_KAFKA_DIR):
# hw_kafka_kill NODE (kill -9), hw_kafka_halt NODE (SIGTERM: a controlled
# shutdown), hw_kafka_restart NODE... (back and serving), hw_kafka_leader
# TOPIC PARTITION (the node leading it), hw_kafka_coordinator GROUP (the
# node coordinating the consumer group).
hw_kafka_need() {
  [[ ${HW_KAFKA:-} == kafka ]] || hw_fail "this test needs Apache Kafka: run it with HW_KAFKA=kafka (ctest -L kafka)"
}
hw_kafka_kill() { "$HW_SRC_DIR/scripts/kafka-local.sh" kill "$HW_KAFKA_DIR" "$1"; }
hw_kafka_restart() {
  "$HW_SRC_DIR/scripts/kafka-local.sh" restart "$HW_KAFKA_DIR" "$@" >>"$HW_TMP/kafka.log" 2>&1 ||
    hw_fail "node(s) $* did not come back: $(tail -5 "$HW_TMP/kafka.log")"
}
hw_kafka_leader() { "$HW_SRC_DIR/scripts/kafka-local.sh" leader "$HW_KAFKA_DIR" "$1" "$2"; }
hw_kafka_halt() { "$HW_SRC_DIR/scripts/kafka-local.sh" halt "$HW_KAFKA_DIR" "$1"; }
hw_kafka_coordinator() { "$HW_SRC_DIR/scripts/kafka-local.sh" coordinator "$HW_KAFKA_DIR" "$1"; }

# A stream under faults: Redis, a broker with P partitions, TOTAL generated
# events (seed SEED, $HW_TMP/gen.ndjson) published at RATE a second in the
# background (HW_PRODUCER_PID) and N consumers of group hirewire reading it
# (HW_STREAM_CONSUMERS): hw_stream_start TOTAL SEED RATE P [N].
hw_stream_start() {
  local total=$1 seed=$2 rate=$3 partitions=$4 n=${5:-1} i
  hw_start_redis
  hw_start_broker --partitions "$partitions"
  "$HW_BIN_DIR/hirewire-produce" --dry-run --generate "$total" --seed "$seed" >"$HW_TMP/gen.ndjson" 2>/dev/null
  "$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate "$rate" "$HW_TMP/gen.ndjson" \
    2>>"$HW_TMP/produce.log" &
  HW_PRODUCER_PID=$!
  HW_PIDS+=("$HW_PRODUCER_PID")
  HW_STREAM_CONSUMERS=()
  for ((i = 0; i < n; i++)); do hw_stream_add_consumer; done
}

# One more consumer of the stream's group (fast session timeout), in
# HW_STREAM_CONSUMERS; a consumer killed meanwhile is unset from it.
hw_stream_add_consumer() {
  hw_consumer_bg -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
  HW_STREAM_CONSUMERS+=("$HW_CONSUMER_PID")
}

# Its end: the producer exits 0, the consumers store the offsets of all
# TOTAL events, exit 0 on SIGTERM, and Redis equals the model of a clean
# run with nothing lost or counted twice: hw_stream_finish TOTAL "FAULTS".
hw_stream_finish() {
  local total=$1 faults=$2 i
  wait "$HW_PRODUCER_PID" || hw_fail "producing failed: $(tail -3 "$HW_TMP/produce.log")"
  hw_wait_for "[[ \$(progress) -ge $total ]]" 180 || hw_fail "the consumers did not finish: $(progress) of $total"
  for i in "${!HW_STREAM_CONSUMERS[@]}"; do
    kill -TERM "${HW_STREAM_CONSUMERS[$i]}"
    wait "${HW_STREAM_CONSUMERS[$i]}" || hw_fail "consumer $((i + 1)) exited $? after SIGTERM"
  done
  [[ $(progress) -eq $total ]] || hw_fail "stored offsets sum to $(progress), want $total"
  hw_model_check hw: "$HW_TMP/gen.ndjson"
  hw_count_check hw: "$faults" "$HW_TMP/gen.ndjson"
}

# The end offset of every partition of topic $1 now ("PARTITION OFFSET"
# lines), as the partitions' leaders answer it (kcat -C -e would read
# until the producer stops).
hw_end_offsets() {
  local n p args=()
  n=$(kcat -L -b "$HW_BOOTSTRAP" -t "$1" -m 5 2>/dev/null | grep -c '^ *partition ')
  for ((p = 0; p < n; p++)); do args+=(-t "$1:$p:-1"); done
  kcat -Q -b "$HW_BOOTSTRAP" "${args[@]}" -m 5 2>/dev/null |
    sed -n 's/.*\[\([0-9]*\)\] offset \([0-9]*\).*/\1 \2/p'
}

# The partition of topic $1 holding the most messages now.
hw_busiest_partition() {
  hw_end_offsets "$1" | sort -k2,2nr | awk 'NR == 1 {print $1}'
}

# Messages in the two event topics now (the sum of their end offsets).
hw_events_held() {
  { hw_end_offsets talent.hires; hw_end_offsets talent.offers; } | awk '{s += $2} END {print s + 0}'
}

# Reads every message of topic $1 from the start up to its end with kcat,
# in a binary-safe form for tests/lib/kafka_dump.py.
hw_kcat_dump() {
  kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q \
    -f '%t %p %o %K %S\n%k%s'
}

HW_BASES=$HW_SRC_DIR/deploy/config/talent-bases.csv
HW_GROUPS=$HW_SRC_DIR/deploy/config/country-groups.csv

# Runs hirewire-consumer against the test's broker and Redis, with the
# extra arguments given, under timeout $HW_CONSUMER_TIMEOUT (default 300 s).
# Its log goes to $HW_TMP/consumer-<n>.log, n counting the runs.
hw_consumer() {
  HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
  HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
  echo "fg $HW_CONSUMER_LOG" >>"$HW_TMP/consumers"
  timeout "${HW_CONSUMER_TIMEOUT:-300}" "$HW_BIN_DIR/hirewire-consumer" \
    --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" --metrics-addr off \
    -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
    "$@" 2>>"$HW_CONSUMER_LOG"
}

# Starts hirewire-consumer in the background (the process itself, so that
# kill -9 $HW_CONSUMER_PID kills the consumer); log consumer-<n>.log.
hw_consumer_bg() {
  HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
  HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
  "$HW_BIN_DIR/hirewire-consumer" \
    --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" --metrics-addr off \
    -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
    "$@" 2>>"$HW_CONSUMER_LOG" &
  HW_CONSUMER_PID=$!
  HW_PIDS+=("$HW_CONSUMER_PID")
  echo "$HW_CONSUMER_PID $HW_CONSUMER_LOG" >>"$HW_TMP/consumers"
}

# kill -9 of consumers the test means to kill (not counted as crashes).
hw_kill9() {
  local pid
  for pid in "$@"; do
    echo "$pid" >>"$HW_TMP/killed"
    kill -9 "$pid"
  done
}

# How many consumers this test started (hw_consumer, hw_consumer_bg)
# crashed: ended without their closing "exiting with status" line and not
# killed by hw_kill9, or reported by a sanitizer. Their logs on stderr.
hw_crashes() {
  local pid log n=0
  [[ -f $HW_TMP/consumers ]] || { echo 0; return; }
  while read -r pid log; do
    if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error: ' "$log" 2>/dev/null; then
      echo "crash: a sanitizer report in $log" >&2
      n=$((n + 1))
      continue
    fi
    [[ $pid != fg ]] && grep -qx "$pid" "$HW_TMP/killed" 2>/dev/null && continue
    [[ $pid != fg ]] && kill -0 "$pid" 2>/dev/null && continue # still running
    grep -q 'exiting with status' "$log" 2>/dev/null && continue
    echo "crash: $log ends without its closing line: $(tail -1 "$log" 2>/dev/null)" >&2
    n=$((n + 1))
  done <"$HW_TMP/consumers"
  echo "$n"
}

# Runs the consumer until it has caught up with the end offsets it saw at
# start; fails the test unless it exits 0.
hw_consume_all() {
  local rc=0
  hw_consumer --until-caught-up "$@" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "consumer exited $rc: $(tail -5 "$HW_CONSUMER_LOG")"
}

# Publishes NDJSON files with hirewire-produce.
hw_produce() {
  "$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" "$@" \
    2>>"$HW_TMP/produce.log" || hw_fail "producing $* failed: $(tail -3 "$HW_TMP/produce.log")"
}

# Checks every key under prefix $1 against the independent model built
# from the NDJSON files that follow (in publish order), and the window
# invariant.
hw_model_check() {
  local prefix=$1
  shift
  "$HW_PY" "$HW_SRC_DIR/tests/lib/model.py" check --redis-port "$HW_REDIS_PORT" \
    ${HW_REDIS_PASSWORD:+--password "$HW_REDIS_PASSWORD"} \
    --prefix "$prefix" --bases "$HW_BASES" --groups "$HW_GROUPS" "$@" ||
    hw_fail "Redis under $prefix differs from the model"
}

# The port of the consumer's metrics server (started with
# --metrics-addr 127.0.0.1:0), from its log.
hw_metrics_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's|.*metrics at http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$HW_CONSUMER_LOG" | tail -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || hw_fail "the consumer logged no metrics address"
  echo "$port"
}

# HTTP status of a consumer endpoint: hw_http_status PORT PATH
hw_http_status() {
  "$HW_PY" -c 'import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}", timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)' "$1" "$2"
}

# A value of the consumer's /metrics: hw_metric PORT NAME (sum of its series).
hw_metric() {
  "$HW_PY" -c 'import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=3).read().decode()
print(int(sum(float(l.split()[-1]) for l in text.splitlines()
              if l.split("{")[0].split(" ")[0] == sys.argv[2])))' "$1" "$2"
}

# Records what a fault or input test lost and counted twice (tests/lib/
# count_events.py), and how many of its consumers crashed (hw_crashes), in
# $HW_RESULTS_DIR (for docs/reliability.md), and fails the test if any
# was: hw_count_check PREFIX "FAULTS" EVENTS...
hw_count_check() {
  local prefix=$1 faults=$2 results=- name
  shift 2
  name=$(basename "$0" .sh)
  # Against Apache Kafka: kafka.<test> (kafka_leader_kill: kafka.leader_kill).
  [[ ${HW_KAFKA:-} == kafka ]] && name=kafka.${name#kafka_}
  if [[ -n ${HW_RESULTS_DIR:-} ]]; then
    mkdir -p "$HW_RESULTS_DIR"
    results=$HW_RESULTS_DIR/$name.tsv
  fi
  HW_CRASHES=$(hw_crashes) "$HW_PY" "$HW_SRC_DIR/tests/lib/count_events.py" "$HW_REDIS_PORT" "$prefix" \
    "$name" "$faults" "$results" "$@" || hw_fail "events lost or counted twice, or a consumer crashed"
}

# Events whose offsets are stored under prefix $1 (default hw:; the sum of
# every <prefix>offset:* key): how far the consumers got.
progress() {
  redis-cli -p "$HW_REDIS_PORT" --raw eval \
    "local s=0 for _,k in ipairs(redis.call('KEYS',ARGV[1]..'offset:*')) do s=s+tonumber(redis.call('GET',k)) end return s" \
    0 "${1:-hw:}"
}
