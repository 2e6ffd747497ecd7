#!/usr/bin/env bash
# Apache Kafka only (ctest -L kafka): every node of the cluster down for
# 30 s (kill -9 of the three), then back. The service waits, warns once
# (a warning a minute), says when Kafka answers again and resumes: the
# events published after the outage are counted, and the final counters
# equal the model of a clean run. A batch run started during the outage
# (--until-caught-up) gives up after outage.wait.ms, naming Kafka (exit 69).
source "$(dirname "$0")/lib/services.sh"
hw_kafka_need

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 4
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 20000 --seed 95 >"$HW_TMP/a.ndjson" 2>/dev/null
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 10000 --seed 96 >"$HW_TMP/b.ndjson" 2>/dev/null
hw_produce "$HW_TMP/a.ndjson"
hw_consumer_bg "${fast_group[@]}"
service=$HW_CONSUMER_PID
service_log=$HW_CONSUMER_LOG
hw_wait_for "[[ \$(progress) -ge 20000 ]]" 120 || hw_fail "the service did not count the first events: $(progress)"

hw_note "every node killed (kill -9) at $(progress) events"
down=$(date +%s)
for node in 1 2 3; do hw_kafka_kill "$node"; done

hw_note "a batch run during the outage gives up after outage.wait.ms"
rc=0
t0=$(date +%s)
hw_consumer --until-caught-up --group probe -s prefix=probe: -s outage.wait.ms=5000 || rc=$?
took=$(( $(date +%s) - t0 ))
[[ $rc -eq 69 ]] || hw_fail "--until-caught-up with Kafka down exited $rc, want 69: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'Kafka unavailable for [0-9]* s (outage.wait.ms=5000): .*giving up' "$HW_CONSUMER_LOG" ||
  hw_fail "the batch run gave no clear reason: $(tail -2 "$HW_CONSUMER_LOG")"
(( took < 5 + 5 + 20 )) || hw_fail "the batch run gave up after $took s"

sleep $(( down + 30 - $(date +%s) > 0 ? down + 30 - $(date +%s) : 0 ))
kill -0 "$service" 2>/dev/null || hw_fail "the service exited during the outage: $(tail -3 "$service_log")"
warned=$(grep -c 'level=warn component=consumer msg="Kafka unavailable' "$service_log" || true)
[[ $warned -eq 1 ]] || hw_fail "the service warned $warned times in 30 s of outage, want once: $(grep 'Kafka unavailable' "$service_log" | tail -3)
the service's last words: $(tail -5 "$service_log")"

hw_note "the three nodes back after $(( $(date +%s) - down )) s"
hw_kafka_restart 1 2 3
hw_produce "$HW_TMP/b.ndjson"
hw_wait_for "[[ \$(progress) -ge 30000 ]]" 180 || hw_fail "the service did not resume: $(progress) of 30000"
grep -q 'Kafka answers again' "$service_log" || hw_fail "the service did not say that Kafka answers again"
kill -TERM "$service"
wait "$service" || hw_fail "the service exited $? after SIGTERM"
hw_model_check hw: "$HW_TMP/a.ndjson" "$HW_TMP/b.ndjson"
hw_count_check hw: "Kafka: all 3 nodes down 30 s, then back" "$HW_TMP/a.ndjson" "$HW_TMP/b.ndjson"
echo PASS
