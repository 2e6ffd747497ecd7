#!/usr/bin/env bash
# deploy/docker/, checked as far as a machine without a Docker engine allows:
# tests/lib/check_docker.py parses the Dockerfile and compose.yaml and checks
# that they hang together (apt packages of this Debian release, the libraries
# the binaries load, services, dependencies, profiles, Kafka KRaft settings,
# topics, the consumer's flags), runs the image's build steps on a copy of the
# tree that honours .dockerignore and fills a folder with what the runtime
# stage copies. Then the image's ENTRYPOINT+CMD, and the compose consumer's
# command, run from that folder against a real Redis and devbroker: /healthz
# turns 200, the scenario is counted exactly once, and SIGTERM stops the
# consumer with exit 0 within the compose stop_grace_period.
source "$(dirname "$0")/lib/services.sh"

work=$HW_TMP/docker
hw_note "Dockerfile and compose.yaml (tests/lib/check_docker.py)"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_docker.py" "$HW_SRC_DIR" "$work" ||
  hw_fail "deploy/docker does not hang together (problems above)"
mapfile -t image_cmd <"$work/image.args"
mapfile -t image_env <"$work/image.env"
mapfile -t compose_cmd <"$work/compose.args"
grace=$(cat "$work/compose.grace")

hw_start_redis
hw_start_broker --partitions 4
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
events=$(grep -c . "$HW_SRC_DIR/examples/scenario.ndjson")

# run_image NAME N ARGS...: runs the image's program (its ENV set) with ARGS
# until /healthz is 200 and it has consumed N messages, then SIGTERM: exit 0
# within the grace period.
run_image() {
  local name=$1 want=$2 pid mport rc=0 start
  shift 2
  HW_CONSUMER_LOG=$HW_TMP/$name.log
  env "${image_env[@]}" "$@" 2>"$HW_CONSUMER_LOG" &
  pid=$!
  HW_PIDS+=("$pid")
  mport=$(hw_metrics_port)
  hw_wait_for "[[ \$(hw_http_status $mport /healthz) == 200 ]]" 60 ||
    hw_fail "$name: /healthz never turned 200: $(tail -3 "$HW_CONSUMER_LOG")"
  hw_note "$name: /healthz 200 on port $mport"
  hw_wait_for "[[ \$(hw_metric $mport hirewire_messages_consumed_total) -ge $want ]]" 60 ||
    hw_fail "$name: did not consume the $want scenario events"
  start=$(date +%s)
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "$name: exit $rc after SIGTERM: $(tail -3 "$HW_CONSUMER_LOG")"
  (( $(date +%s) - start <= grace )) || hw_fail "$name: stopped after the $grace s stop_grace_period"
}

hw_note "the image's ENTRYPOINT+CMD, with this machine's Kafka and Redis"
cmd=()
for ((i = 0; i < ${#image_cmd[@]}; i++)); do
  case ${image_cmd[$i]} in
    --metrics-addr) cmd+=(--metrics-addr 127.0.0.1:0); i=$((i + 1)) ;;
    *) cmd+=("${image_cmd[$i]}") ;;
  esac
done
run_image image "$events" "${cmd[@]}" --brokers "$HW_BOOTSTRAP" --redis "$HW_REDIS_URL"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"

hw_note "the compose consumer's command (same group: carries on from the stored offsets)"
cmd=()
for ((i = 0; i < ${#compose_cmd[@]}; i++)); do
  case ${compose_cmd[$i]} in
    --brokers) cmd+=(--brokers "$HW_BOOTSTRAP"); i=$((i + 1)) ;;
    --redis) cmd+=(--redis "$HW_REDIS_URL"); i=$((i + 1)) ;;
    --metrics-addr) cmd+=(--metrics-addr 127.0.0.1:0); i=$((i + 1)) ;;
    *) cmd+=("${compose_cmd[$i]}") ;;
  esac
done
run_image compose 0 "${cmd[@]}"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"

if docker compose version >/dev/null 2>&1; then
  hw_note "docker compose config"
  docker compose -f "$HW_SRC_DIR/deploy/docker/compose.yaml" config -q || hw_fail "docker compose config rejects compose.yaml"
fi
echo PASS
