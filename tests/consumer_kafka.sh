#!/usr/bin/env bash
# The consumer service against Kafka's failures that do not stop counting
# (hirewire-devbroker --control): offset commits Kafka refuses are
# reported (once a minute, naming the error) while the counters stay
# exact; every broker down is a Kafka outage, warned and then reported
# over once a broker answers; Redis down when the group rebalances (a
# member killed) keeps the new assignment waiting, since the offsets live
# in Redis, until it is back, and then nothing is lost or counted twice. A consumer whose Kafka
# settings librdkafka refuses exits 2 naming them.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis --appendonly yes --appendfsync always
port=$HW_REDIS_PORT
ctl=$HW_TMP/control
hw_start_broker --partitions 4 --control "$ctl"
fault() { hw_note "fault: $1"; echo "$1" >"$ctl"; }
for seed in 61 62 63; do
  "$HW_BIN_DIR/hirewire-produce" --dry-run --generate 3000 --seed "$seed" >"$HW_TMP/gen$seed.ndjson" 2>/dev/null
done

hw_note "settings librdkafka refuses: exit 2, naming them"
rc=0
hw_consumer -X acks=1 || rc=$?
[[ $rc -eq 2 ]] || hw_fail "-X acks=1 (the DLQ producer is idempotent): exit $rc, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'acks.*enable.idempotence' "$HW_CONSUMER_LOG" || hw_fail "the conflict is not named: $(tail -2 "$HW_CONSUMER_LOG")"
rc=0
hw_consumer -X partition.assignment.strategy=cooperative-sticky,range || rc=$?
[[ $rc -eq 2 ]] || hw_fail "assignors of two protocols: exit $rc, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'exiting with status 2 (usage or configuration): All partition.assignment.strategy' "$HW_CONSUMER_LOG" ||
  hw_fail "the assignors are not named: $(tail -2 "$HW_CONSUMER_LOG")"

hw_note "offset commits refused by Kafka: reported, counting exact"
fault "errors 8 1000 12" # OffsetCommit: OFFSET_METADATA_TOO_LARGE (not retried)
hw_consumer_bg "${fast_group[@]}" -s batch.max.events=200
first=$HW_CONSUMER_PID
log1=$HW_CONSUMER_LOG
hw_produce "$HW_TMP/gen61.ndjson"
hw_wait_for "[[ \$(progress) -ge 3000 ]]" 120 || hw_fail "the consumer did not apply the events: $(progress)"
hw_wait_for "grep -q 'offset commits to Kafka failed' '$log1'" 15 ||
  hw_fail "refused commits not reported: $(tail -3 "$log1")"
grep 'offset commits to Kafka failed' "$log1" | head -1 |
  grep -q 'failed (Broker: Offset metadata string too large).*counting is unaffected.* failures=[1-9]' ||
  hw_fail "the report does not name the error and count: $(grep 'commits to Kafka' "$log1" | head -1)"
[[ $(grep -c 'offset commits to Kafka failed' "$log1") -eq 1 ]] || hw_fail "reported more than once a minute"
hw_model_check hw: "$HW_TMP/gen61.ndjson"
fault "errors 8 0 0"

hw_note "every broker down: a Kafka outage, over when one answers"
fault "down -1"
hw_wait_for "grep -q 'Kafka unavailable: all brokers are down' '$log1'" 30 ||
  hw_fail "no outage warning: $(tail -3 "$log1")"
fault "up -1"
hw_wait_for "grep -q 'Kafka answers again' '$log1'" 30 || hw_fail "the outage is not reported over: $(tail -3 "$log1")"
hw_produce "$HW_TMP/gen62.ndjson"
hw_wait_for "[[ \$(progress) -ge 6000 ]]" 120 || hw_fail "no progress after the outage: $(progress)"
hw_model_check hw: "$HW_TMP/gen61.ndjson" "$HW_TMP/gen62.ndjson"

hw_note "Redis down while the group rebalances: the assignment waits for it"
hw_consumer_bg "${fast_group[@]}" -s batch.max.events=200
second=$HW_CONSUMER_PID
log2=$HW_CONSUMER_LOG
hw_wait_for "grep -q 'partitions assigned' '$log2'" 60 || hw_fail "the second consumer got no partitions: $(tail -3 "$log2")"
assigned() { grep -c 'partitions assigned' "$log1"; }
revoked() { grep -c 'partitions revoked' "$log1"; }
hw_wait_for "[[ \$(revoked) -ge 1 && \$(assigned) -ge 2 ]]" 60 || hw_fail "the first consumer was not reassigned: $(tail -3 "$log1")"
sleep 5 # the step that judges brain_drain at the new partitions' end
n_assigned=$(assigned)
n_revoked=$(revoked)
redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
hw_wait_for "! redis-cli -p $port ping >/dev/null 2>&1" 10 || hw_fail "Redis did not stop"
hw_kill9 "$second" # the group rebalances once its session times out
hw_wait_for "[[ \$(revoked) -gt $n_revoked ]]" 60 || hw_fail "no rebalance after the kill: $(tail -3 "$log1")"
hw_wait_for "grep -q 'Redis unavailable' '$log1'" 30 || hw_fail "no Redis outage reported: $(tail -3 "$log1")"
sleep 2
[[ $(assigned) -eq $n_assigned ]] || hw_fail "partitions were taken with Redis down"
redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
  --appendonly yes --appendfsync always --daemonize no --loglevel warning \
  >>"$HW_TMP/redis-$port.log" 2>&1 &
HW_PIDS+=("$!")
hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "Redis did not restart"
hw_wait_for "[[ \$(assigned) -gt $n_assigned ]]" 60 || hw_fail "no partitions taken once Redis was back: $(tail -3 "$log1")"
grep -q 'Redis answers again' "$log1" || hw_fail "the outage is not reported over"
hw_produce "$HW_TMP/gen63.ndjson"
hw_wait_for "[[ \$(progress) -ge 9000 ]]" 120 || hw_fail "the group did not apply the last events: $(progress)"
kill -TERM "$first"
wait "$first" || hw_fail "the consumer exited $? after SIGTERM"
[[ $(progress) -eq 9000 ]] || hw_fail "stored offsets sum to $(progress), want 9000"
hw_model_check hw: "$HW_TMP/gen61.ndjson" "$HW_TMP/gen62.ndjson" "$HW_TMP/gen63.ndjson"
[[ $(hw_crashes) -eq 0 ]] || hw_fail "a consumer crashed"
echo PASS
