#!/usr/bin/env bash
# deploy/, checked as far as this machine allows: the Kubernetes manifests
# and kustomization parse and hang together (tests/lib/check_deploy.py); the
# Deployment's consumer arguments and the systemd unit's ExecStart, run here
# against a real Redis and devbroker with the shipped config, count the
# scenario, turn /healthz ready and stop on SIGTERM within the grace period;
# systemd-analyze verify accepts the unit without a warning. The Redis
# Sentinel examples (deploy/k8s/sentinel, deploy/docker/
# compose.sentinel.yaml) hang together and the consumer accepts their
# redis-sentinel:// URLs.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 4
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_deploy.py" "$HW_SRC_DIR" "$HW_TMP/sentinel.urls" >"$HW_TMP/args" ||
  hw_fail "deploy/k8s does not hang together"
mapfile -t args <"$HW_TMP/args"
while read -r url; do
  "$HW_BIN_DIR/hirewire-consumer" --redis "$url" --version >/dev/null 2>"$HW_TMP/url.err" ||
    hw_fail "the consumer refuses the Sentinel example's --redis $url: $(cat "$HW_TMP/url.err")"
done <"$HW_TMP/sentinel.urls"

run_and_stop() { # run_and_stop NAME GRACE_S CMD...: ready, counted, SIGTERM -> exit 0 in time
  local name=$1 grace=$2 pid mport rc=0
  shift 2
  HW_CONSUMER_LOG=$HW_TMP/$name.log
  "$@" 2>"$HW_CONSUMER_LOG" &
  pid=$!
  HW_PIDS+=("$pid")
  mport=$(hw_metrics_port)
  hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 60 || hw_fail "$name: never ready: $(tail -3 "$HW_CONSUMER_LOG")"
  hw_wait_for "[[ \$(hw_metric $mport hirewire_events_applied_total) -ge 147 ]]" 60 || hw_fail "$name: the scenario was not counted"
  local start=$(date +%s)
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "$name: exit $rc after SIGTERM"
  (( $(date +%s) - start <= grace )) || hw_fail "$name: stopped after the $grace s grace period"
}

hw_note "the Deployment's consumer arguments, with this machine's Kafka, Redis and config"
k8s=()
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[$i]} in
    /etc/hirewire/hirewire.conf) k8s+=("$HW_SRC_DIR/deploy/config/hirewire.conf") ;;
    --brokers) k8s+=(--brokers "$HW_BOOTSTRAP"); i=$((i + 1)) ;;
    --redis) k8s+=(--redis "$HW_REDIS_URL"); i=$((i + 1)) ;;
    --metrics-addr) k8s+=(--metrics-addr 127.0.0.1:0); i=$((i + 1)) ;;
    *) k8s+=("${args[$i]}") ;;
  esac
done
run_and_stop k8s 30 "$HW_BIN_DIR/hirewire-consumer" "${k8s[@]}" --group k8s --prefix k8s:
hw_model_check k8s: "$HW_SRC_DIR/examples/scenario.ndjson"

hw_note "the systemd unit: systemd-analyze verify, then its ExecStart"
unit=$HW_SRC_DIR/deploy/systemd/hirewire-consumer.service
sed "s|/usr/local/bin/hirewire-consumer|$HW_BIN_DIR/hirewire-consumer|" "$unit" >"$HW_TMP/hirewire-consumer.service"
out=$(systemd-analyze verify "$HW_TMP/hirewire-consumer.service" 2>&1) || hw_fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || hw_fail "systemd-analyze verify warns: $out"
exec_start=$(sed -n 's/^ExecStart=//p' "$HW_TMP/hirewire-consumer.service")
read -r -a cmd <<<"${exec_start//\/etc\/hirewire\/hirewire.conf/$HW_SRC_DIR/deploy/config/hirewire.conf}"
cmd=("${cmd[@]//\/var\/lib\/hirewire\/archive/$HW_TMP/archive}")
grace=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
run_and_stop systemd "$grace" "${cmd[@]}" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" \
  --metrics-addr 127.0.0.1:0 --group sd --prefix sd:
hw_model_check sd: "$HW_SRC_DIR/examples/scenario.ndjson"
ls "$HW_TMP"/archive/talent.hires/*.avro >/dev/null || hw_fail "the unit's --archive-dir wrote nothing"
echo PASS
