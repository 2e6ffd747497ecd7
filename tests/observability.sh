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
# The alert counters against the stream and its relay position, the
# version against --version, the process metrics against /proc.
# (Alerts judged at the end of the partitions come a little later: wait
# until the stream, both counters and the relay position agree.)
settled() {
  local n last
  n=$(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts)
  last=$(redis-cli -p "$HW_REDIS_PORT" --raw XREVRANGE hw:alerts + - COUNT 1 | head -1)
  [[ $n -gt 0 && $(hw_metric "$mport" hirewire_alerts_raised_total) -eq $n &&
     $(hw_metric "$mport" hirewire_alerts_relayed_total) -eq $n &&
     $(redis-cli -p "$HW_REDIS_PORT" GET hw:alerts:relayed) == "$last" ]]
}
hw_wait_for settled 30 ||
  hw_fail "alert counters: raised $(hw_metric "$mport" hirewire_alerts_raised_total), relayed $(hw_metric "$mport" hirewire_alerts_relayed_total), hw:alerts holds $(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts)"
n=$(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts)
[[ $(kcat -C -b "$HW_BOOTSTRAP" -t talent.alerts -o beginning -e -q -f '%k\n' | sort -u | wc -l) -eq $n ]] ||
  hw_fail "talent.alerts does not hold the $n alerts"
version=$("$HW_BIN_DIR/hirewire-consumer" --version | awk '{print $2}')
"$HW_PY" - "$mport" "$version" "$consumer" <<'PY' || hw_fail "build_info or process metrics are wrong"
import sys, urllib.request
port, version, pid = sys.argv[1], sys.argv[2], sys.argv[3]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read().decode()
lines = {l.split(" ")[0]: float(l.split(" ")[1]) for l in text.splitlines() if l and not l.startswith("#")}
assert lines.get(f'hirewire_build_info{{version="{version}"}}') == 1, "build_info"
rss = int(open(f"/proc/{pid}/statm").read().split()[1]) * 4096
assert abs(lines["process_resident_memory_bytes"] - rss) < 64 * 2**20, (lines["process_resident_memory_bytes"], rss)
ticks = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
cpu = (int(ticks[11]) + int(ticks[12])) / 100
assert 0 < lines["process_cpu_seconds_total"] <= cpu + 1, (lines["process_cpu_seconds_total"], cpu)
import time
assert abs(lines["process_start_time_seconds"] - time.time()) < 600, lines["process_start_time_seconds"]
PY
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
