#!/usr/bin/env bash
# Redis Cluster (docs/scaling.md): on a real three-primary cluster, a
# hash-tagged prefix ({hw}:) keeps every key of the atomic step in one slot,
# so the consumer pointed at the primary of that slot counts the scenario
# exactly, a replay rebuilds and swaps it there, hirewire-query reads it,
# and the other primaries hold nothing. A prefix without a hash tag, the
# wrong primary, or an alerts.prefix in another slot stop the consumer at
# start with an error saying what to change (exit 2).
source "$(dirname "$0")/lib/services.sh"

events=$HW_SRC_DIR/examples/scenario.ndjson
nodes=()
for i in 1 2 3; do
  port=$(hw_free_port)
  bus=$(hw_free_port)
  mkdir -p "$HW_TMP/cluster-$port"
  redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$HW_TMP/cluster-$port/nodes.conf" --dir "$HW_TMP/cluster-$port" \
    --save '' --appendonly no --loglevel warning >"$HW_TMP/cluster-$port.log" 2>&1 &
  HW_PIDS+=($!)
  hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "cluster node $port did not start"
  nodes+=("127.0.0.1:$port")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$HW_TMP/create.log" 2>&1 ||
  hw_fail "redis-cli --cluster create: $(tail -3 "$HW_TMP/create.log")"
for n in "${nodes[@]}"; do
  hw_wait_for "redis-cli -p ${n##*:} cluster info | grep -q cluster_state:ok" 30 || hw_fail "cluster node $n is not ok"
done

# The primary that serves {hw}'s slot answers for it; the others say MOVED
# (once the slot map has reached every node: before, a node may answer
# CLUSTERDOWN).
find_owner() {
  local n reply
  owner="" others=()
  for n in "${nodes[@]}"; do
    reply=$(redis-cli -p "${n##*:}" exists '{hw}:epoch' 2>&1)
    case $reply in
      0) owner=$n ;;
      MOVED*) others+=("$n") ;;
      *) return 1 ;;
    esac
  done
  [[ -n $owner && ${#others[@]} -eq 2 ]]
}
hw_wait_for find_owner 30 || hw_fail "no single primary serves {hw}'s slot"
find_owner
HW_REDIS_PORT=${owner##*:}
HW_REDIS_URL=redis://$owner
hw_start_broker --partitions 3
hw_produce "$events"

hw_note "prefix {hw}: on the primary of its slot: counted, replayed, queried"
hw_consume_all --prefix '{hw}:'
hw_model_check '{hw}:' "$events"
redis-cli -p "$HW_REDIS_PORT" set '{hw}:lab:meta-superintelligence-labs:origin' damaged >/dev/null
rc=0
hw_consumer --replay --prefix '{hw}:' || rc=$?
[[ $rc -eq 0 ]] || hw_fail "replay exited $rc: $(tail -3 "$HW_CONSUMER_LOG")"
hw_model_check '{hw}:' "$events"
"$HW_BIN_DIR/hirewire-query" --redis "$HW_REDIS_URL" --prefix '{hw}:' --json lab "Meta Superintelligence Labs" >"$HW_TMP/msl.json" ||
  hw_fail "hirewire-query failed on the cluster"
"$HW_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["members"] == 44, d["members"]' "$HW_TMP/msl.json" ||
  hw_fail "hirewire-query does not show MSL's 44 members: $(head -c 300 "$HW_TMP/msl.json")"
for n in "${others[@]}"; do
  [[ $(redis-cli -p "${n##*:}" dbsize) -eq 0 ]] || hw_fail "primary $n holds keys: the step left its slot"
done

hw_note "misconfigurations stop the consumer at start, saying what to change"
expect_refusal() { # expect_refusal PATTERN URL ARGS...
  local pattern=$1 rc=0
  HW_REDIS_URL=$2
  shift 2
  HW_CONSUMER_TIMEOUT=30 hw_consumer --until-caught-up --group refused "$@" || rc=$?
  [[ $rc -eq 2 ]] || hw_fail "exit $rc, want 2, for $*: $(tail -1 "$HW_CONSUMER_LOG")"
  grep -q -- "$pattern" "$HW_CONSUMER_LOG" || hw_fail "no clear error for $*: $(tail -1 "$HW_CONSUMER_LOG")"
}
expect_refusal 'prefix \\"hw:\\" has no hash tag' "redis://$owner" --prefix hw:
# An empty tag, or one not closed, is no hash tag either (Redis hashes
# the whole key); nor is one the alerts prefix lacks.
expect_refusal 'prefix \\"{}hw:\\" has no hash tag' "redis://$owner" --prefix '{}hw:'
expect_refusal 'prefix \\"{hw:\\" has no hash tag' "redis://$owner" --prefix '{hw:'
expect_refusal 'prefix \\"alerts:\\" (alerts.prefix) has no hash tag' "redis://$owner" --prefix '{hw}:' -s 'alerts.prefix=alerts:'
expect_refusal "which $owner serves, not ${others[0]}: point the Redis URL there" "redis://${others[0]}" --prefix '{hw}:'
expect_refusal 'alerts.prefix \\"{other}:\\" in slot' "redis://$owner" --prefix '{hw}:' -s 'alerts.prefix={other}:'
HW_REDIS_URL=redis://$owner
hw_model_check '{hw}:' "$events"
echo PASS
