#!/usr/bin/env bash
# The Redis store's atomic step driven through its C API against a real
# redis-server (tests/test_store_step.c): applied, fenced by the offsets,
# fenced by the epoch, stale by the watermark's day, and refused by Redis
# (a key of another type, a counter that is not a number), each refusal
# leaving every key as it was.
source "$(dirname "$0")/lib/services.sh"

prog=$HW_BIN_DIR/tests/test_store_step
[[ -x $prog ]] || hw_fail "$prog is not built"

hw_start_redis
rc=0
"$prog" "$HW_REDIS_PORT" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "test_store_step exited $rc"
echo PASS
