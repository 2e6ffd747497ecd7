#!/usr/bin/env bash
# Redis with Sentinel (docs/operations.md): a primary, one replica and three
# sentinels on loopback, every one of them wanting a password. The consumer,
# given redis-sentinel://:PW@S1,S2,S3#hw, counts a stream published at a
# steady rate; the primary is killed with kill -9 mid-stream, its replica
# cut off for its last half second (so steps it acknowledged are certainly
# lost with it, their offsets too), the sentinels promote the replica, and
# the consumer finds it through them by itself, reads the lost steps'
# batches again and catches up: the counters equal the model of a clean
# run, the stored offsets are the topics' end offsets and the alert ids
# are those the events imply, each once. hirewire-query, and a `serve`
# started before the failover, read the promoted primary through the same
# URL.
# Then a primary demoted without its clients being disconnected, half a
# second after its replica was promoted (the failover done by hand, the
# sentinel a stand-in, tests/lib/sentinel_stub.py): the consumer's writes
# get READONLY and it asks the sentinel again, and reads the steps lost
# with the demoted primary again; a server the sentinel names that is a
# replica (ROLE) is waited out. The counters again equal the model.
source "$(dirname "$0")/lib/services.sh"

pw=Sentinel-Pw-5150
export REDISCLI_AUTH=$pw # redis-cli's password, for nodes and sentinels
HW_REDIS_PASSWORD=$pw    # hw_model_check's
master=hw

# node PORT ARGS...: a redis-server on PORT wanting the password (and
# giving it to its primary); its pid in node_pid[PORT].
declare -A node_pid
node() {
  local port=$1
  shift
  mkdir -p "$HW_TMP/redis-$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
    --appendonly no --requirepass "$pw" --masterauth "$pw" --loglevel warning "$@" \
    >>"$HW_TMP/redis-$port.log" 2>&1 &
  node_pid[$port]=$!
  HW_PIDS+=($!)
  hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "redis-server on $port did not start"
}

# sentinel PORT PRIMARY_PORT: a sentinel watching the primary, quick to
# call it down (1 s) and to fail over.
sentinel() {
  local dir=$HW_TMP/sentinel-$1
  mkdir -p "$dir"
  cat >"$dir/sentinel.conf" <<EOF
port $1
bind 127.0.0.1
dir $dir
requirepass $pw
sentinel monitor $master 127.0.0.1 $2 2
sentinel auth-pass $master $pw
sentinel down-after-milliseconds $master 1000
sentinel failover-timeout $master 10000
sentinel parallel-syncs $master 1
EOF
  redis-server "$dir/sentinel.conf" --sentinel >"$HW_TMP/sentinel-$1.log" 2>&1 &
  HW_PIDS+=($!)
  hw_wait_for "redis-cli -p $1 ping | grep -q PONG" 10 || hw_fail "sentinel $1 did not start"
}

# A field of SENTINEL MASTER hw as sentinel $1 sees it.
sentinel_field() {
  redis-cli -p "$1" --raw SENTINEL MASTER "$master" | awk -v f="$2" 'p == f {print} {p = $0}'
}

# Whether every sentinel knows the other two and the replica.
sentinels_ready() {
  local s
  for s in "${sentinels[@]}"; do
    [[ $(sentinel_field "$s" num-other-sentinels) -eq 2 && $(sentinel_field "$s" num-slaves) -ge 1 ]] || return 1
    redis-cli -p "$s" SENTINEL CKQUORUM "$master" | grep -q '^OK' || return 1
  done
}

# The port of the primary the sentinels name, once all three agree.
sentinels_primary() {
  local s port ports=()
  for s in "${sentinels[@]}"; do
    port=$(redis-cli -p "$s" --raw SENTINEL get-master-addr-by-name "$master" | tail -1)
    ports+=("$port")
  done
  [[ ${ports[0]} == "${ports[1]}" && ${ports[1]} == "${ports[2]}" ]] || return 1
  echo "${ports[0]}"
}

# Whether the offsets stored under prefix $1 for group $2 are the end
# offsets of every partition of the event topics.
offsets_at_end() {
  local t p end got
  for t in talent.hires talent.offers; do
    while read -r p end; do
      got=$(redis-cli -p "$HW_REDIS_PORT" GET "$1offset:$2:$t:$p")
      [[ ${got:-0} -eq $end ]] || { echo "$t/$p: stored ${got:-none}, end $end" >&2; return 1; }
    done < <(hw_end_offsets "$t")
  done
}

# The alert ids of the stream under prefix $1, in order.
stream_ids() {
  redis-cli -p "$HW_REDIS_PORT" --raw XRANGE "$1alerts" - + | awk 'p == "alert_id" {print} {p = $0}'
}

# The alerts under prefix $1 against the events that follow: no id twice;
# the ids of the rules one event decides (mega_offer, top_tier_move)
# exactly those the events imply; raids and brain_drains true to the
# events (tests/lib/check_alert_events.py).
check_alerts() {
  local prefix=$1 rule
  shift
  stream_ids "$prefix" | sort >"$HW_TMP/alerts.got"
  [[ -s $HW_TMP/alerts.got ]] || hw_fail "no alerts under $prefix"
  [[ -z $(uniq -d "$HW_TMP/alerts.got") ]] || hw_fail "alerts raised twice: $(uniq -d "$HW_TMP/alerts.got" | head -3)"
  "$HW_PY" "$HW_SRC_DIR/tests/lib/expected_alerts.py" "$HW_BASES" "$HW_GROUPS" "$@" >"$HW_TMP/alerts.want"
  for rule in mega_offer top_tier_move; do
    diff <(grep "^$rule:" "$HW_TMP/alerts.want") <(grep "^$rule:" "$HW_TMP/alerts.got") >&2 ||
      hw_fail "$rule alerts under $prefix differ from those the events imply (< implied, > raised)"
  done
  REDIS_PASSWORD=$pw "$HW_PY" "$HW_SRC_DIR/tests/lib/check_alert_events.py" "$HW_REDIS_PORT" "$prefix" "$@" ||
    hw_fail "alerts under $prefix are not true to the events"
  hw_note "alerts under $prefix: $(wc -l <"$HW_TMP/alerts.got"), each once"
}

# GET http://ADDR/PATH: the body on stdout, fails unless 200.
http_get() {
  "$HW_PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(f"http://{sys.argv[1]}{sys.argv[2]}", timeout=10).read().decode())' "$1" "$2"
}

# Whether two JSON documents (files) are equal.
same_json() {
  "$HW_PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"
}

hw_note "a primary, a replica and three sentinels"
primary=$(hw_free_port)
node "$primary"
replica=$(hw_free_port)
node "$replica" --replicaof 127.0.0.1 "$primary"
hw_wait_for "redis-cli -p $replica INFO replication | grep -q master_link_status:up" 20 ||
  hw_fail "the replica did not sync"
sentinels=()
for i in 1 2 3; do
  port=$(hw_free_port)
  sentinel "$port" "$primary"
  sentinels+=("$port")
done
hw_wait_for sentinels_ready 60 || hw_fail "the sentinels did not find each other and the replica"
url="redis-sentinel://:$pw@127.0.0.1:${sentinels[0]},127.0.0.1:${sentinels[1]},127.0.0.1:${sentinels[2]}#$master"
HW_REDIS_URL=$url
HW_REDIS_PORT=$primary

hw_start_broker --partitions 8
total=40000
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate "$total" --seed 97 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_consumer_bg --metrics-addr 127.0.0.1:0 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
consumer=$HW_CONSUMER_PID
mport=$(hw_metrics_port)
hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 30 ||
  hw_fail "the consumer is not ready: $(tail -3 "$HW_CONSUMER_LOG")"
serve_addr=127.0.0.1:$(hw_free_port)
"$HW_BIN_DIR/hirewire-query" --redis "$url" serve --addr "$serve_addr" 2>"$HW_TMP/serve.log" &
serve=$!
HW_PIDS+=("$serve")
hw_wait_for "http_get $serve_addr /healthz" 20 || hw_fail "serve does not answer: $(tail -3 "$HW_TMP/serve.log")"
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 4000 "$HW_TMP/gen.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
hw_wait_for "[[ \$(progress) -gt 10000 ]]" 60 || hw_fail "no progress: $(tail -3 "$HW_CONSUMER_LOG")"

# Replication is asynchronous: what the primary acknowledged last may not
# have reached its replica when it dies. Made certain here: the replica is
# cut off (and cannot authenticate again) for the primary's last 0.5 s.
redis-cli -p "$replica" CONFIG SET masterauth not-the-password >/dev/null
redis-cli -p "$primary" CLIENT KILL TYPE replica >/dev/null
replicated=$(HW_REDIS_PORT=$replica progress)
hw_wait_for "[[ \$(progress) -gt $((replicated + 500)) ]]" 30 || hw_fail "no progress on the primary"
sleep 0.5
acknowledged=$(progress)
kill -9 "${node_pid[$primary]}"
killed_at=$SECONDS
hw_note "kill -9 of the primary: it had acknowledged at least $acknowledged events' offsets, its replica holds $replicated"
redis-cli -p "$replica" CONFIG SET masterauth "$pw" >/dev/null
hw_wait_for "[[ \$(sentinels_primary) == $replica ]]" 60 || hw_fail "the sentinels did not promote the replica"
hw_wait_for "redis-cli -p $replica ROLE | head -1 | grep -qx master" 30 || hw_fail "the replica is not a primary"
hw_note "the sentinels promoted the replica after $((SECONDS - killed_at)) s"
HW_REDIS_PORT=$replica
kill -0 "$consumer" || hw_fail "the consumer died with the primary: $(tail -3 "$HW_CONSUMER_LOG")"
wait "$producer" || hw_fail "producing failed: $(tail -3 "$HW_TMP/produce.log")"
held=$(hw_events_held)
[[ $held -eq $total ]] || hw_fail "Kafka holds $held events, want $total"
hw_wait_for "[[ \$(progress) -ge $total ]]" 180 ||
  hw_fail "the consumer did not catch up: $(progress) of $total stored; $(tail -3 "$HW_CONSUMER_LOG")"
grep -q "msg=\"the Redis primary has moved\" master=$master primary=127.0.0.1:$replica was=127.0.0.1:$primary" \
  "$HW_CONSUMER_LOG" || hw_fail "the consumer did not log the primary it moved to"
grep -q 'msg="Redis answers again"' "$HW_CONSUMER_LOG" || hw_fail "the end of the outage was not logged"
# The steps lost with the primary took their offsets with them: the next
# step found the offsets it started from missing, and the batches were
# read again from those the promoted replica holds.
grep -q 'batch dropped: .* lost with a failed Redis primary' "$HW_CONSUMER_LOG" ||
  hw_fail "no batch was read again after the steps lost with the primary"
hw_note "$(grep -o 'msg="Redis answers again".*' "$HW_CONSUMER_LOG" | head -1)"
hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 30 || hw_fail "/healthz did not turn ready again"

hw_note "hirewire-query and serve read the promoted primary through the sentinels"
"$HW_BIN_DIR/hirewire-query" --redis "$url" --json labs >"$HW_TMP/labs.sentinel.json" ||
  hw_fail "hirewire-query through the sentinels failed"
"$HW_BIN_DIR/hirewire-query" --redis "redis://:$pw@127.0.0.1:$replica" --json labs >"$HW_TMP/labs.direct.json" ||
  hw_fail "hirewire-query on the primary failed"
same_json "$HW_TMP/labs.sentinel.json" "$HW_TMP/labs.direct.json" || hw_fail "the sentinels led hirewire-query elsewhere"
http_get "$serve_addr" /api/labs >"$HW_TMP/labs.serve.json" || hw_fail "serve does not answer after the failover"
same_json "$HW_TMP/labs.serve.json" "$HW_TMP/labs.direct.json" || hw_fail "serve shows other labs than the primary holds"
"$HW_BIN_DIR/hirewire-query" --redis "$url" --json lab "Meta Superintelligence Labs" >/dev/null ||
  hw_fail "hirewire-query lab through the sentinels failed"
kill -TERM "$serve"
wait "$serve" || hw_fail "serve exited $? after SIGTERM: $(tail -3 "$HW_TMP/serve.log")"
! grep -qE 'Sanitizer|runtime error: ' "$HW_TMP/serve.log" || hw_fail "a sanitizer report from serve: $HW_TMP/serve.log"

kill -TERM "$consumer"
wait "$consumer" || hw_fail "the consumer exited $? after SIGTERM: $(tail -3 "$HW_CONSUMER_LOG")"
offsets_at_end hw: hirewire || hw_fail "the stored offsets are not the end offsets"
hw_model_check hw: "$HW_TMP/gen.ndjson"
check_alerts hw: "$HW_TMP/gen.ndjson"
REDIS_PASSWORD=$pw hw_count_check hw: "Redis primary killed -9 mid-stream, a replica promoted by Sentinel" \
  "$HW_TMP/gen.ndjson"

hw_note "a primary demoted without its clients disconnected: READONLY, then the sentinel is asked again"
a=$(hw_free_port)
node "$a"
b=$(hw_free_port)
node "$b" --replicaof 127.0.0.1 "$a"
hw_wait_for "redis-cli -p $b INFO replication | grep -q master_link_status:up" 20 || hw_fail "b did not sync"
stub=$(hw_free_port)
echo "127.0.0.1 $b" >"$HW_TMP/stub.primary" # a replica, at first
"$HW_PY" "$HW_SRC_DIR/tests/lib/sentinel_stub.py" "$stub" "$master" "$HW_TMP/stub.primary" "$HW_TMP/stub.ready" \
  2>"$HW_TMP/stub.log" &
HW_PIDS+=($!)
hw_wait_for "test -s $HW_TMP/stub.ready" 10 || hw_fail "the stand-in sentinel did not start: $(cat "$HW_TMP/stub.log")"
HW_REDIS_URL="redis-sentinel://:$pw@127.0.0.1:$stub#$master"
HW_REDIS_PORT=$a
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 20000 --seed 98 >"$HW_TMP/gen2.ndjson" 2>/dev/null
hw_consumer_bg --group ro --prefix ro: -s alerts.relay.enabled=0 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
consumer=$HW_CONSUMER_PID
hw_wait_for "grep -q 'ROLE: not a primary but slave' $HW_CONSUMER_LOG" 30 ||
  hw_fail "the consumer did not refuse a replica: $(tail -3 "$HW_CONSUMER_LOG")"
[[ $(progress ro:) -eq 0 ]] || hw_fail "the consumer wrote while the sentinel named a replica"
echo "127.0.0.1 $a" >"$HW_TMP/stub.primary"
hw_wait_for "[[ \$(progress ro:) -ge $total ]]" 120 || hw_fail "no progress under ro: $(tail -3 "$HW_CONSUMER_LOG")"
# A live stream, so that the consumer is writing when a is demoted.
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 4000 "$HW_TMP/gen2.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
hw_wait_for "[[ \$(progress ro:) -gt $((total + 4000)) ]]" 60 || hw_fail "no progress under ro: $(tail -3 "$HW_CONSUMER_LOG")"
# b is promoted and named by the sentinel; a, which the consumer still
# writes to, is demoted 0.5 s later: what it acknowledged meanwhile is lost.
redis-cli -p "$b" REPLICAOF NO ONE >/dev/null
echo "127.0.0.1 $b" >"$HW_TMP/stub.primary"
sleep 0.5
hw_note "b promoted, a demoted 0.5 s later with $(progress ro:) events stored (b: $(HW_REDIS_PORT=$b progress ro:))"
redis-cli -p "$a" REPLICAOF 127.0.0.1 "$b" >/dev/null
HW_REDIS_PORT=$b
wait "$producer" || hw_fail "producing failed: $(tail -3 "$HW_TMP/produce.log")"
hw_wait_for "[[ \$(progress ro:) -ge $((total + 20000)) ]]" 180 ||
  hw_fail "the consumer did not catch up on b: $(progress ro:) stored; $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'READONLY' "$HW_CONSUMER_LOG" || hw_fail "the consumer never met the demoted primary's READONLY"
grep -q 'batch dropped: .* lost with a failed Redis primary' "$HW_CONSUMER_LOG" ||
  hw_fail "no batch was read again after the steps lost with a"
grep -q "msg=\"the Redis primary has moved\" master=$master primary=127.0.0.1:$b was=127.0.0.1:$a" \
  "$HW_CONSUMER_LOG" || hw_fail "the consumer did not move to b"
kill -TERM "$consumer"
wait "$consumer" || hw_fail "the consumer exited $? after SIGTERM: $(tail -3 "$HW_CONSUMER_LOG")"
offsets_at_end ro: ro || hw_fail "the stored offsets under ro: are not the end offsets"
hw_model_check ro: "$HW_TMP/gen.ndjson" "$HW_TMP/gen2.ndjson"
check_alerts ro: "$HW_TMP/gen.ndjson" "$HW_TMP/gen2.ndjson"
REDIS_PASSWORD=$pw hw_count_check ro: "Redis primary demoted mid-stream (READONLY), its replica promoted" \
  "$HW_TMP/gen.ndjson" "$HW_TMP/gen2.ndjson"
echo PASS
