#!/usr/bin/env bash
# The alert webhook (outbox/hw_webhook.c) through its C API: test_webhook
# runs its cases against this test's redis-server and an HTTP server of
# its own (tests/test_webhook.c).
source "$(dirname "$0")/lib/services.sh"

prog=$HW_BIN_DIR/tests/test_webhook
[[ -x $prog ]] || hw_fail "$prog is not built"
hw_start_redis
"$prog" "$HW_REDIS_PORT" || hw_fail "test_webhook exited $?"
echo PASS
