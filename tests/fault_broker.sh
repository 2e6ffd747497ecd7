#!/usr/bin/env bash
# Broker faults through the mock cluster's own controls (hirewire-devbroker
# --control): a broker down for 3 s, Fetch requests failing with
# NOT_LEADER_FOR_PARTITION and with disconnects, partition leaders moved,
# response delays. The consumer recovers, and the final counters equal the
# model of a clean run over the same events.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
ctl=$HW_TMP/control
hw_start_broker --brokers 3 --partitions 6 --control "$ctl"
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 40000 --seed 82 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_consumer_bg --metrics-addr 127.0.0.1:0
consumer=$HW_CONSUMER_PID
mport=$(hw_metrics_port)
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 4000 --timeout 120 \
  "$HW_TMP/gen.ndjson" 2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
applied() { hw_metric "$mport" hirewire_events_applied_total; }
hw_wait_for "[[ \$(applied) -gt 2000 ]]" 60 || hw_fail "no progress"

fault() { hw_note "fault: $1"; echo "$1" >"$ctl"; }
fault "down 2"; sleep 3; fault "up 2"
fault "errors 1 30 6"            # Fetch: NOT_LEADER_FOR_PARTITION
sleep 1
fault "errors 1 10 -195"         # Fetch: disconnect the client
sleep 1
fault "leader talent.hires 0 3"; fault "leader talent.hires 1 1"; fault "leader talent.offers 2 2"
sleep 1
fault "rtt -1 200"; sleep 2; fault "rtt -1 0"
fault "errors 8 5 16"            # OffsetCommit: NOT_COORDINATOR
wait "$producer" || hw_fail "the producer did not deliver every event: $(tail -3 "$HW_TMP/produce.log")"
hw_wait_for "[[ \$(applied) -ge 40000 ]]" 180 || hw_fail "the consumer did not recover: $(applied) applied"
kill -0 "$consumer" || hw_fail "the consumer died"
kill -TERM "$consumer"
wait "$consumer" || hw_fail "the consumer exited $? after SIGTERM"
n=$(cat "$HW_TMP"/broker*.log | grep -c 'control: applied' || true)
[[ $n -eq 10 ]] || hw_fail "the devbroker applied $n of the 10 faults: $(grep control "$HW_TMP"/broker*.log | tail -3)"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "broker down 3 s, Fetch errors and disconnects, 3 leader moves, 200 ms RTT, OffsetCommit errors" \
  "$HW_TMP/gen.ndjson"
echo PASS
