#!/usr/bin/env bash
# The consumer service against Kafka's failures that do not stop counting
# (hirewire-devbroker --control): offset commits Kafka refuses are
# reported (once a minute, naming the error) while the counters stay
# exact; every broker down is a Kafka outage, warned and then reported
# over once a broker answers; Redis down when the group rebalances (a
# member killed) keeps the new assignment waiting, since the offsets live
# in Redis, until it is back, and then nothing is lost or counted twice.
# Dead letters and alerts Kafka refuses are reported and sent again: the
# DLQ then holds every malformed message, the alerts topic every alert. A consumer whose Kafka
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
fault "clear 8" # OffsetCommit: the refusals not used yet dropped

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
# The group settled (a rebalance may take more than one round): no
# assignment for 8 s, and so the steps that judge brain_drain at the new
# partitions' end are done.
stable=0
for ((i = 0; i < 60 && stable < 8; i++)); do
  before="$(assigned) $(revoked) $(grep -c 'partitions assigned' "$log2")"
  sleep 1
  [[ "$(assigned) $(revoked) $(grep -c 'partitions assigned' "$log2")" == "$before" ]] && stable=$((stable + 1)) || stable=0
done
(( stable >= 8 )) || hw_fail "the group did not settle"
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
relay_warned=$(grep -c 'alert relay: .*retrying later' "$log1" || true)
(( relay_warned == 1 )) || hw_fail "the alert relay warned $relay_warned times in one outage, want once (a warning a minute)"
hw_produce "$HW_TMP/gen63.ndjson"
hw_wait_for "[[ \$(progress) -ge 9000 ]]" 120 || hw_fail "the group did not apply the last events: $(progress)"
hw_model_check hw: "$HW_TMP/gen61.ndjson" "$HW_TMP/gen62.ndjson" "$HW_TMP/gen63.ndjson"

hw_note "the DLQ refusing messages: the step waits, and each is dead-lettered"
mkdir "$HW_TMP/bad"
printf 'not avro' >"$HW_TMP/bad/1"
printf '\x00\x00\x00\x00\x63xx' >"$HW_TMP/bad/2"
kill -STOP "$first"
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/bad" || hw_fail "cannot send the malformed messages"
fault "errors 0 2 10" # Produce: MESSAGE_TOO_LARGE, twice
kill -CONT "$first"
hw_wait_for "grep -q 'DLQ delivery failed: Broker: Message size too large' '$log1'" 60 ||
  hw_fail "no DLQ failure reported: $(tail -3 "$log1")"
hw_wait_for "[[ \$(progress) -ge 9002 ]]" 60 || hw_fail "the malformed messages were not taken: $(progress)"
dlq() { kcat -C -b "$HW_BOOTSTRAP" -t talent.dlq -o beginning -e -q -f '%h\n' 2>/dev/null; }
[[ $(dlq | grep -c 'hw.error=bad_framing') -ge 1 && $(dlq | grep -c 'hw.error=unknown_schema') -ge 1 ]] ||
  hw_fail "the DLQ does not hold both messages: $(dlq)"

hw_note "the alerts topic refusing messages: relayed again later, none lost"
kill -STOP "$first"
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
fault "errors 0 2 10"
kill -CONT "$first"
hw_wait_for "grep -q 'alert delivery failed: Broker: Message size too large' '$log1'" 60 ||
  hw_fail "no alert delivery failure reported: $(tail -3 "$log1")"
redis-cli -p "$port" --raw XRANGE hw:alerts - + | awk 'p == "alert_id" {print} {p = $0}' | sort -u >"$HW_TMP/alert_ids"
[[ -s $HW_TMP/alert_ids ]] || hw_fail "the scenario raised no alert"
relayed() {
  hw_kcat_dump talent.alerts >"$HW_TMP/alerts.dump"
  "$HW_PY" "$HW_SRC_DIR/tests/lib/check_alerts_topic.py" "$HW_TMP/alerts.dump" "$HW_TMP/alert_ids"
}
hw_wait_for relayed 60 || hw_fail "the alerts topic does not hold every alert: $(relayed 2>&1 | tail -3)"
kill -TERM "$first"
wait "$first" || hw_fail "the consumer exited $? after SIGTERM"
[[ $(progress) -eq 9149 ]] || hw_fail "stored offsets sum to $(progress), want 9149"
hw_model_check hw: "$HW_TMP/gen61.ndjson" "$HW_TMP/gen62.ndjson" "$HW_TMP/gen63.ndjson" \
  "$HW_SRC_DIR/examples/scenario.ndjson"
[[ $(hw_crashes) -eq 0 ]] || hw_fail "a consumer crashed"
echo PASS
