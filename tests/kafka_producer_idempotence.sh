#!/usr/bin/env bash
# Apache Kafka only (ctest -L kafka): hirewire-produce publishes (idempotent
# producer, acks=all) while the node leading partition 0 of talent.hires
# is killed with kill -9. It exits 0 and every event is in Kafka exactly
# once, equal to its input: read back with kcat and matched by event_id.
source "$(dirname "$0")/lib/services.sh"
hw_kafka_need

total=30000
hw_start_broker --partitions 4
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate $total --seed 92 >"$HW_TMP/gen.ndjson" 2>/dev/null
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 3000 "$HW_TMP/gen.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
hw_wait_for "[[ \$(hw_events_held) -gt 6000 ]]" 60 || hw_fail "the producer got nowhere: $(hw_events_held) in Kafka"
node=$(hw_kafka_leader talent.hires 0)
[[ $node =~ ^[1-3]$ ]] || hw_fail "no leader found for talent.hires/0: '$node'"
hw_note "kill -9 of node $node, leader of talent.hires/0, with $(hw_events_held) events in Kafka"
hw_kafka_kill "$node"
sleep 8
hw_kafka_restart "$node"
hw_note "node $node restarted; $(hw_events_held) events in Kafka"
wait "$producer" || hw_fail "the producer exited $?: $(tail -3 "$HW_TMP/produce.log")"
grep -q "delivered=$total failed=0" "$HW_TMP/produce.log" ||
  hw_fail "the producer did not report delivered=$total failed=0: $(tail -1 "$HW_TMP/produce.log")"
for t in talent.hires talent.offers; do
  hw_kcat_dump "$t" >"$HW_TMP/$t.dump" || hw_fail "reading $t back failed"
done
"$HW_PY" "$HW_SRC_DIR/tests/lib/compare_published.py" "$HW_TMP/gen.ndjson" \
  "$HW_TMP/talent.hires.dump" "$HW_TMP/talent.offers.dump" || hw_fail "Kafka does not hold every event exactly once"
echo PASS
