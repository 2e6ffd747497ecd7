#!/usr/bin/env bash
# Interop: events published by hirewire-produce, read back raw with kcat and
# decoded with python3-avro (independent of Avro C) using schemas/, equal
# the input lines: the scenario, and a generated stream (which must equal
# what --dry-run prints for the same seed).
source "$(dirname "$0")/lib/services.sh"

hw_start_broker --partitions 3
produce() { "$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" "$@"; }

hw_note "publish the scenario and a generated stream"
produce "$HW_SRC_DIR/examples/scenario.ndjson" 2>"$HW_TMP/produce1.log" ||
  hw_fail "producing the scenario failed: $(cat "$HW_TMP/produce1.log")"
produce --generate 3000 --seed 42 2>"$HW_TMP/produce2.log" ||
  hw_fail "producing generated events failed: $(cat "$HW_TMP/produce2.log")"
grep -q 'delivered=3000 failed=0' "$HW_TMP/produce2.log" ||
  hw_fail "producer did not report 3000 deliveries: $(cat "$HW_TMP/produce2.log")"

"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 3000 --seed 42 \
  >"$HW_TMP/generated.ndjson" 2>/dev/null
cat "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/generated.ndjson" >"$HW_TMP/expected.ndjson"

hw_note "read back with kcat and decode with python3-avro"
hw_kcat_dump talent.hires >"$HW_TMP/hires.dump"
hw_kcat_dump talent.offers >"$HW_TMP/offers.dump"
"$HW_PY" "$HW_SRC_DIR/tests/lib/compare_published.py" "$HW_TMP/expected.ndjson" \
  "$HW_TMP/hires.dump" "$HW_TMP/offers.dump" || hw_fail "published events differ from the input"
echo "PASS"
