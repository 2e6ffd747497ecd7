#!/usr/bin/env bash
# Alerts: the scenario raises exactly the alerts its events imply (derived
# here from the events with the independent model: mega_offer,
# top_tier_move, raid, brain_drain), each once in the hw:alerts stream;
# alerts written to Redis but not yet relayed (the state a kill -9 between
# the atomic step and the relay leaves) reach the alerts topic on the next
# run, as Avro Alerts keyed by alert_id; processing the same events again
# raises no new alert.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 4
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
hw_note "first run with the relay off: alerts in Redis, none in Kafka"
hw_consume_all -s alerts.relay.enabled=0
n=$(hw_kcat_dump talent.alerts | grep -ac '^talent' || true)
[[ $n -eq 0 ]] || hw_fail "$n alerts in Kafka with the relay off"

"$HW_PY" "$HW_SRC_DIR/tests/lib/expected_alerts.py" "$HW_BASES" "$HW_GROUPS" \
  "$HW_SRC_DIR/examples/scenario.ndjson" >"$HW_TMP/want"
for rule in mega_offer top_tier_move raid brain_drain; do
  [[ $(grep -c "^$rule:" "$HW_TMP/want") -ge 1 ]] || hw_fail "the scenario should imply a $rule alert"
done
# The Apple -> MSL raid of June 2025 (SPEC §6): one alert, on the day of the fourth hire.
grep -qx 'raid:apple:meta-superintelligence-labs:20250630' "$HW_TMP/want" || hw_fail "no Apple raid expected"
stream_ids() {
  redis-cli -p "$HW_REDIS_PORT" --raw XRANGE hw:alerts - + | awk 'prev == "alert_id" {print} {prev = $0}'
}
stream_ids | sort >"$HW_TMP/got"
diff "$HW_TMP/want" "$HW_TMP/got" >&2 || hw_fail "alerts differ from the expected ones (< expected, > raised)"
[[ $(sort -u "$HW_TMP/got" | wc -l) -eq $(wc -l <"$HW_TMP/got") ]] || hw_fail "an alert was raised twice"
# Every entry carries the SPEC fields.
for f in rule severity subject summary event_time raised_at event_ids; do
  n=$(redis-cli -p "$HW_REDIS_PORT" --raw XRANGE hw:alerts - + | grep -cx "$f")
  [[ $n -eq $(wc -l <"$HW_TMP/got") ]] || hw_fail "$n entries have field $f"
done

hw_note "next run: the pending alerts are relayed"
hw_consume_all
hw_kcat_dump talent.alerts >"$HW_TMP/alerts.dump"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_alerts_topic.py" "$HW_TMP/alerts.dump" "$HW_TMP/got" ||
  hw_fail "the alerts topic does not hold the stream's alerts"
[[ $(redis-cli -p "$HW_REDIS_PORT" GET hw:alerts:relayed) == \
   $(redis-cli -p "$HW_REDIS_PORT" --raw XREVRANGE hw:alerts + - COUNT 1 | head -1) ]] ||
  hw_fail "hw:alerts:relayed is not the last stream entry"

hw_note "kill -9 as soon as alerts are in Redis, then restart: all reach Kafka"
fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_consumer_bg --group k9 --prefix k9: "${fast_group[@]}"
hw_wait_for "[[ \$(redis-cli -p $HW_REDIS_PORT XLEN k9:alerts) -gt 0 ]]" 60 || hw_fail "no alerts under k9:"
kill -9 "$HW_CONSUMER_PID"
wait "$HW_CONSUMER_PID" 2>/dev/null || true
hw_note "killed with $(redis-cli -p "$HW_REDIS_PORT" XLEN k9:alerts) alerts in the stream, relayed up to $(redis-cli -p "$HW_REDIS_PORT" GET k9:alerts:relayed)"
hw_consume_all --group k9 --prefix k9: "${fast_group[@]}"
[[ $(redis-cli -p "$HW_REDIS_PORT" GET k9:alerts:relayed) == \
   $(redis-cli -p "$HW_REDIS_PORT" --raw XREVRANGE k9:alerts + - COUNT 1 | head -1) ]] ||
  hw_fail "k9: not every alert was relayed after the restart"
# Every alert of the k9 stream is in the topic (which also holds the first
# runs' alerts). The raid and brain_drain ids of k9 may differ from the
# first runs': batches split differently across partitions (see
# docs/redis-keys.md).
redis-cli -p "$HW_REDIS_PORT" --raw XRANGE k9:alerts - + | awk 'p == "alert_id" {print} {p = $0}' |
  sort >"$HW_TMP/k9"
hw_kcat_dump talent.alerts >"$HW_TMP/alerts2.dump"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_alerts_topic.py" "$HW_TMP/alerts2.dump" "$HW_TMP/k9" "$HW_TMP/got" ||
  hw_fail "after kill -9 the alerts topic does not hold every alert"

hw_note "a second consumer group processes everything again (seen ids dropped): no new alert"
redis-cli -p "$HW_REDIS_PORT" --raw EVAL \
  "for _,k in ipairs(redis.call('KEYS','hw:seen:*')) do redis.call('DEL',k) end return 1" 0 >/dev/null
hw_consume_all --group again
stream_ids | sort >"$HW_TMP/again"
diff "$HW_TMP/got" "$HW_TMP/again" >&2 || hw_fail "processing again changed the alerts"
echo PASS
