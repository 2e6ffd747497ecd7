#!/usr/bin/env bash
# Apache Kafka only (ctest -L kafka): a rolling restart of the three nodes
# (each stopped with a controlled shutdown, started again, and serving
# before the next) while the producer publishes and the consumer reads.
# The final counters equal the model of a clean run.
source "$(dirname "$0")/lib/services.sh"
hw_kafka_need

total=60000
hw_stream_start $total 93 1500 6
hw_wait_for "[[ \$(progress) -gt 5000 ]]" 90 || hw_fail "no progress before the restarts: $(progress)"
for node in 1 2 3; do
  hw_note "node $node: controlled shutdown at $(progress) events"
  hw_kafka_halt "$node"
  sleep 2
  hw_kafka_restart "$node"
  hw_note "node $node serves again at $(progress) events"
  kill -0 "${HW_STREAM_CONSUMERS[0]}" 2>/dev/null || hw_fail "the consumer died during the restart of node $node"
done
hw_stream_finish $total "Kafka: rolling restart of the 3 nodes mid-stream"
echo PASS
