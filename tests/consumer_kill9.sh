#!/usr/bin/env bash
# kill -9 of the consumer at 5 random points of a 100k-event stream (one
# in each of the first five 17,000-event stretches),
# restarted each time: the final counters equal the model of a clean run
# (nothing lost, nothing counted twice).
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
# The killed runs step every 1,000 events: with the default 10,000 a step
# takes about as long as the wait between seeing a target passed and the
# kill, so a kill could land a step or two late, past the end.
small_steps=(-s batch.max.events=1000)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 100000 --seed 31 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"

RANDOM=4242
mid=0
for kill in 1 2 3 4 5; do
  hw_consumer_bg "${fast_group[@]}" "${small_steps[@]}"
  pid=$HW_CONSUMER_PID
  # Kill k lands at a random point of the k-th 17,000 events (so every kill
  # falls mid-stream however fast the consumer is), and only after this
  # start has stored something (if an earlier kill overshot the target;
  # when every event is stored already, at once), then a random few
  # milliseconds later, inside whatever batch is running.
  before=$(progress)
  target=$(((kill - 1) * 17000 + 1 + RANDOM % 17000))
  [[ $target -gt $before ]] || target=$((before + 1))
  # Waits while the consumer stores more; fails only when it stores
  # nothing for 60 s with events left (a slow build is slow, not stuck).
  last=$before
  last_at=$SECONDS
  while (( last < target && last < 100000 )); do
    sleep 0.05
    now=$(progress)
    if (( now > last )); then
      last=$now
      last_at=$SECONDS
    elif (( SECONDS - last_at >= 60 )); then
      hw_fail "no progress for 60 s after restart $kill ($now of 100000 stored, waiting for $target)"
    fi
  done
  sleep "0.0$((RANDOM % 10))"
  hw_kill9 "$pid"
  wait "$pid" 2>/dev/null || true
  kill -0 "$pid" 2>/dev/null && hw_fail "the consumer survived kill -9"
  at=$(progress)
  hw_note "kill $kill: killed with $at of 100000 events stored (target $target)"
  [[ $at -lt 100000 ]] && mid=$((mid + 1))
done
[[ $mid -ge 4 ]] || hw_fail "only $mid kills happened mid-stream"

hw_consume_all "${fast_group[@]}"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "kill -9 at 5 points of the stream, restarted each time" "$HW_TMP/gen.ndjson"
echo PASS
