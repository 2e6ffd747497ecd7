#!/usr/bin/env bash
# The producer with an unreachable broker: a clear error within its
# --timeout, exit 69, every event named as not delivered, none reported
# delivered; with a broker that goes down mid-run, every event it reports
# as delivered is in Kafka.
source "$(dirname "$0")/lib/services.sh"

port=$(hw_free_port) # nothing listens there
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 50 --seed 85 >"$HW_TMP/gen.ndjson" 2>/dev/null
start=$(date +%s)
rc=0
"$HW_BIN_DIR/hirewire-produce" -b "127.0.0.1:$port" --timeout 5 "$HW_TMP/gen.ndjson" 2>"$HW_TMP/err.log" || rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 69 ]] || hw_fail "exit $rc with no broker, want 69"
(( took <= 15 )) || hw_fail "took $took s with --timeout 5"
n=$(grep -c 'delivery failed for event_id gen-85-' "$HW_TMP/err.log" || true)
[[ $n -eq 50 ]] || hw_fail "$n of 50 event_ids named as failed"
grep -q 'delivered=0 failed=50' "$HW_TMP/err.log" || hw_fail "summary does not say delivered=0 failed=50: $(tail -1 "$HW_TMP/err.log")"

hw_note "the broker goes down mid-run"
hw_start_broker --partitions 2 --control "$HW_TMP/ctl"
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 3000 --seed 86 >"$HW_TMP/gen2.ndjson" 2>/dev/null
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 1000 --timeout 3 \
  "$HW_TMP/gen2.ndjson" 2>"$HW_TMP/err2.log" &
producer=$!
sleep 1
echo "down -1" >"$HW_TMP/ctl"
rc=0
wait "$producer" || rc=$?
[[ $rc -eq 1 || $rc -eq 69 ]] || hw_fail "exit $rc with the broker down, want 1 or 69"
delivered=$(sed -n 's/.*delivered=\([0-9]*\) failed=\([0-9]*\).*/\1/p' "$HW_TMP/err2.log")
failed=$(sed -n 's/.*delivered=\([0-9]*\) failed=\([0-9]*\).*/\2/p' "$HW_TMP/err2.log")
[[ -n $delivered && $failed -gt 0 ]] || hw_fail "no summary: $(tail -2 "$HW_TMP/err2.log")"
echo "up -1" >"$HW_TMP/ctl"
# Messages in topic $1 from its start to its end. The broker has only just
# come back: a read kcat gives up on (its metadata request failed) is tried
# again, and one that never succeeds fails the test naming kcat's error.
held_in() {
  local i n
  for ((i = 0; i < 10; i++)); do
    if n=$(kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q -f '%o\n' 2>"$HW_TMP/kcat.err" | wc -l); then
      echo "$n"
      return 0
    fi
    sleep 1
  done
  hw_fail "kcat cannot read $1 after the broker came back: $(tail -3 "$HW_TMP/kcat.err")"
}
held=0
for t in talent.hires talent.offers; do
  n=$(held_in "$t")
  held=$((held + n))
done
hw_note "reported delivered $delivered, failed $failed; Kafka holds $held"
# Every event reported delivered is in Kafka; one reported failed may be
# there too (its acknowledgement was lost with the connection).
(( held >= delivered && held <= delivered + failed )) ||
  hw_fail "reported $delivered delivered and $failed failed, Kafka holds $held"
(( delivered + failed == 3000 )) || hw_fail "delivered + failed = $((delivered + failed)), want 3000"
if [[ -n ${HW_RESULTS_DIR:-} ]]; then
  mkdir -p "$HW_RESULTS_DIR"
  printf 'fault_producer\t%s\t%d\t%d\t%d\t0\t0\n' \
    "producer: no broker (50 events), broker down mid-run (3000 events; $delivered reported delivered, $held in Kafka)" \
    3050 0 0 >"$HW_RESULTS_DIR/fault_producer.tsv"
fi
echo PASS
