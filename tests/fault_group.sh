#!/usr/bin/env bash
# Three consumers in one group; mid-stream one is killed with kill -9 and
# another is added: the final counters equal the model of a clean run.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 60000 --seed 83 >"$HW_TMP/gen.ndjson" 2>/dev/null
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 5000 "$HW_TMP/gen.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
pids=()
for i in 1 2 3; do
  hw_consumer_bg "${fast_group[@]}"
  pids+=("$HW_CONSUMER_PID")
done
hw_wait_for "[[ \$(progress) -gt 15000 ]]" 60 || hw_fail "no progress"
hw_note "kill -9 of consumer 2 at $(progress) events"
kill -9 "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
hw_wait_for "[[ \$(progress) -gt 30000 ]]" 90 || hw_fail "no progress after the kill"
hw_note "a fourth consumer joins at $(progress) events"
hw_consumer_bg "${fast_group[@]}"
pids+=("$HW_CONSUMER_PID")
wait "$producer" || hw_fail "producing failed"
hw_wait_for "[[ \$(progress) -ge 60000 ]]" 120 || hw_fail "the group did not finish: $(progress)"
for i in 0 2 3; do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || hw_fail "consumer $((i + 1)) exited $? after SIGTERM"
done
grep -l 'assigned' "$HW_TMP"/consumer-4.log >/dev/null || hw_fail "the added consumer never got partitions"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "3 consumers: one kill -9, one added" "$HW_TMP/gen.ndjson"
echo PASS
