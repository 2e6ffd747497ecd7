#!/usr/bin/env bash
# The alert webhook (outbox/hw_webhook.c) through its C API: test_webhook
# (deliveries) and test_webhook_faults (failures) run their cases against
# this test's redis-server and an HTTP server of their own
# (tests/webhook_fixtures.h); either failing fails the test.
source "$(dirname "$0")/lib/services.sh"

progs=(test_webhook test_webhook_faults)
for p in "${progs[@]}"; do
  [[ -x $HW_BIN_DIR/tests/$p ]] || hw_fail "$HW_BIN_DIR/tests/$p is not built"
done

hw_start_redis
failed=()
for p in "${progs[@]}"; do
  rc=0
  "$HW_BIN_DIR/tests/$p" "$HW_REDIS_PORT" || rc=$?
  [[ $rc -eq 0 ]] || failed+=("$p exited $rc")
done
[[ ${#failed[@]} -eq 0 ]] || hw_fail "${failed[*]}"
echo PASS
