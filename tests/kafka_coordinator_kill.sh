#!/usr/bin/env bash
# Apache Kafka only (ctest -L kafka): two consumers in one group, and the
# node coordinating the group killed with kill -9 mid-stream (restarted
# later). The group finds its new coordinator and recovers; the final
# counters equal the model of a clean run: nothing lost, nothing twice.
source "$(dirname "$0")/lib/services.sh"
hw_kafka_need

total=60000
hw_stream_start $total 94 2500 8 2
hw_wait_for "[[ \$(progress) -gt 10000 ]]" 90 || hw_fail "no progress before the kill: $(progress)"
node=$(hw_kafka_coordinator hirewire)
[[ $node =~ ^[1-3]$ ]] || hw_fail "no coordinator found for group hirewire: '$node'"
hw_note "kill -9 of node $node, the group's coordinator, at $(progress) events"
hw_kafka_kill "$node"
before=$(progress)
hw_wait_for "[[ \$(progress) -gt $((before + 5000)) ]]" 120 ||
  hw_fail "the group made no progress after its coordinator died: $(progress)"
hw_note "node $node restarted at $(progress) events"
hw_kafka_restart "$node"
hw_stream_finish $total "Kafka: 2 consumers, the group coordinator killed (kill -9) mid-stream"
echo PASS
