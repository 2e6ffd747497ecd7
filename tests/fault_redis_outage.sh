#!/usr/bin/env bash
# Redis stopped for 10 s mid-stream (AOF persistence on) and restarted: the
# consumer stops taking messages, retries with capped backoff, /healthz
# answers 503 (within 9 s), then it resumes; the final counters equal the model of a
# clean run over the same events (nothing lost, nothing twice).
source "$(dirname "$0")/lib/services.sh"

hw_start_redis --appendonly yes --appendfsync always
port=$HW_REDIS_PORT
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 60000 --seed 81 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_consumer_bg --metrics-addr 127.0.0.1:0
consumer=$HW_CONSUMER_PID
mport=$(hw_metrics_port)
hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 30 || hw_fail "not ready before the outage"
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 6000 "$HW_TMP/gen.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
hw_wait_for "[[ \$(hw_metric $mport hirewire_events_applied_total) -gt 5000 ]]" 60 || hw_fail "no progress"

hw_note "stopping Redis for 10 s"
redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
hw_wait_for "! redis-cli -p $port ping >/dev/null 2>&1" 10 || hw_fail "Redis did not stop"
down_at=$(date +%s)
sleep 1
kill -0 "$consumer" 2>/dev/null || hw_fail "the consumer died when Redis went away: $(tail -3 "$HW_CONSUMER_LOG")"
hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 503 ]]" 9 ||
  hw_fail "/healthz did not turn unready (answers $(hw_http_status "$mport" /healthz)): $(tail -3 "$HW_CONSUMER_LOG")"
sleep 2
taken=$(hw_metric "$mport" hirewire_messages_consumed_total)
sleep 5
[[ $(hw_metric "$mport" hirewire_messages_consumed_total) -eq $taken ]] ||
  hw_fail "the consumer kept taking messages while Redis was down"
kill -0 "$consumer" || hw_fail "the consumer died during the outage"
# One warning for the outage (then one a minute), not one per retry.
[[ $(grep -c 'Redis unavailable: .*retrying until it answers, with a warning a minute' "$HW_CONSUMER_LOG") -eq 1 ]] ||
  hw_fail "not one warning for the outage: $(grep -c 'Redis unavailable' "$HW_CONSUMER_LOG")"
left=$((10 - ($(date +%s) - down_at)))
(( left > 0 )) && sleep "$left"

hw_note "restarting Redis"
redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
  --appendonly yes --appendfsync always --daemonize no --loglevel warning \
  >>"$HW_TMP/redis-$port.log" 2>&1 &
HW_PIDS+=("$!")
hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 30 || hw_fail "/healthz did not turn ready again"
# Retried with capped backoff (100 ms doubling up to 5 s): several times,
# and back within about 5 s of Redis answering again (10 s down).
line=$(grep -o 'msg="Redis answers again" after_ms=[0-9]* failures=[0-9]*' "$HW_CONSUMER_LOG" | head -1)
[[ -n $line ]] || hw_fail "the end of the outage was not logged"
ms=$(sed 's/.*after_ms=\([0-9]*\).*/\1/' <<<"$line")
failures=$(sed 's/.*failures=\([0-9]*\).*/\1/' <<<"$line")
hw_note "$line"
(( failures >= 5 )) || hw_fail "retried only $failures times in a 10 s outage"
(( ms < 10000 + 5000 + 8000 )) || hw_fail "back $ms ms after the outage began: longer than a capped backoff allows"
wait "$producer" || hw_fail "producing failed"
hw_wait_for "[[ \$(hw_metric $mport hirewire_events_applied_total) -ge 60000 ]]" 120 ||
  hw_fail "the consumer did not catch up after the outage"
kill -TERM "$consumer"
wait "$consumer" || hw_fail "the consumer exited $? after SIGTERM"
hw_consume_all
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "Redis down 10 s mid-stream" "$HW_TMP/gen.ndjson"
echo PASS
