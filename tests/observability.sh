#!/usr/bin/env bash
# Observability: the Grafana dashboard (deploy/grafana/hirewire.json) parses
# and queries only metrics the consumer serves and Redis keys that exist;
# docs/metrics.md describes every metric family; every log line is logfmt
# with level and component; Kafka secrets given with -X never reach the log,
# and an error about one names the property, not the value.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 2
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
secret=Sasl-Pw-31337
hw_consumer_bg --metrics-addr 127.0.0.1:0 --log-level debug -X "sasl.password=$secret" -X "sasl.username=hw"
consumer=$HW_CONSUMER_PID
mport=$(hw_metrics_port)
hw_wait_for "[[ \$(hw_metric $mport hirewire_events_applied_total) -ge 147 ]]" 60 || hw_fail "the scenario was not applied"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_observability.py" "$mport" "$HW_REDIS_PORT" "$HW_CONSUMER_LOG" ||
  hw_fail "observability files do not match the consumer"
kill -TERM "$consumer"
wait "$consumer" || hw_fail "the consumer exited $? after SIGTERM"
grep -q -- "$secret" "$HW_CONSUMER_LOG" && hw_fail "the SASL password is in the log"
# A bad value for a secret property: the error names it, not its value.
rc=0
"$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" --metrics-addr off \
  -X security.protocol=ssl -X "ssl.key.password=$secret" -X ssl.key.location=/nonexistent/key.pem \
  -X ssl.certificate.location=/nonexistent/cert.pem --until-caught-up \
  2>"$HW_TMP/bad.log" || rc=$?
[[ $rc -ne 0 ]] || hw_fail "a missing SSL key file was accepted"
grep -q "ssl" "$HW_TMP/bad.log" || hw_fail "no error about the SSL settings: $(tail -2 "$HW_TMP/bad.log")"
grep -q -- "$secret" "$HW_TMP/bad.log" && hw_fail "a secret is in the error: $(grep -- "$secret" "$HW_TMP/bad.log" | head -1)"
echo PASS
