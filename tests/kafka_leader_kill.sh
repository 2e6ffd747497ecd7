#!/usr/bin/env bash
# Apache Kafka only (ctest -L kafka): while the producer publishes and the
# consumer reads, the node leading the busiest partition of talent.hires is
# killed with kill -9, and restarted later. The final counters equal the
# model of a clean run: nothing lost, nothing counted twice.
source "$(dirname "$0")/lib/services.sh"
hw_kafka_need

total=60000
hw_stream_start $total 91 3000 6
hw_wait_for "[[ \$(progress) -gt 10000 ]]" 90 || hw_fail "no progress before the kill: $(progress)"
part=$(hw_busiest_partition talent.hires)
node=$(hw_kafka_leader talent.hires "$part")
[[ $node =~ ^[1-3]$ ]] || hw_fail "no leader found for talent.hires/$part: '$node'"
hw_note "kill -9 of node $node, leader of talent.hires/$part (the busiest), at $(progress) events"
hw_kafka_kill "$node"
# The partition gets another leader; the consumer and the producer go on.
hw_wait_for "[[ \$(hw_kafka_leader talent.hires $part) != $node ]]" 60 ||
  hw_fail "talent.hires/$part has no new leader 60 s after the kill"
before=$(progress)
hw_wait_for "[[ \$(progress) -gt $((before + 5000)) ]]" 120 || hw_fail "no progress with node $node down: $(progress)"
hw_note "node $node restarted at $(progress) events"
hw_kafka_restart "$node"
hw_stream_finish $total "Kafka: kill -9 of the busiest partition's leader mid-stream, restarted"
echo PASS
