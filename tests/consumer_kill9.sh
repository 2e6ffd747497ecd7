#!/usr/bin/env bash
# kill -9 of the consumer at 5 random points of a 100k-event stream,
# restarted each time: the final counters equal the model of a clean run
# (nothing lost, nothing counted twice).
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 100000 --seed 31 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"

RANDOM=4242
mid=0
for kill in 1 2 3 4 5; do
  hw_consumer_bg "${fast_group[@]}"
  pid=$HW_CONSUMER_PID
  # Wait for the first stored progress after this start (if anything is
  # left to store: an earlier kill may have come after the last event),
  # then a random bit more.
  before=$(progress)
  if [[ $before -lt 100000 ]]; then
    hw_wait_for "[[ \$(progress) -gt $before ]]" 60 || hw_fail "no progress after restart $kill ($before of 100000 stored)"
  fi
  sleep "0.$((RANDOM % 10))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  kill -0 "$pid" 2>/dev/null && hw_fail "the consumer survived kill -9"
  at=$(progress)
  hw_note "kill $kill: killed with $at of 100000 events stored"
  [[ $at -lt 100000 ]] && mid=$((mid + 1))
done
[[ $mid -ge 3 ]] || hw_fail "only $mid kills happened mid-stream"

hw_consume_all "${fast_group[@]}"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "kill -9 at 5 points of the stream, restarted each time" "$HW_TMP/gen.ndjson"
echo PASS
