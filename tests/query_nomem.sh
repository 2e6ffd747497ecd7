#!/usr/bin/env bash
# hirewire-query when memory runs out, at every allocation of its own code
# in turn, for each command and output form (tests/test_query_nomem.c):
# exit 1 saying "out of memory", or the result of a run with memory to
# spare; never a crash, another error or a wrong result. Under valgrind
# when it is there (not in a sanitizer build, whose own checks then run):
# no run may leave memory leaked or touch memory it must not.
source "$(dirname "$0")/lib/services.sh"

PROG=$HW_BIN_DIR/tests/test_query_nomem
[[ -x $PROG ]] || hw_fail "$PROG is not built"
hw_start_redis
run=("$PROG" "$HW_REDIS_PORT")
# (grep without -q: it reads all of nm's output, so that nm is not cut
# short by a closed pipe, which pipefail would take for "not found".)
if command -v valgrind >/dev/null && ! nm "$PROG" 2>/dev/null | grep __asan_init >/dev/null; then
  run=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 "${run[@]}")
fi
# A sanitizer's report would go to the run's redirected stderr: to files.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$HW_TMP/sanitizer
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$HW_TMP/sanitizer
rc=0
"${run[@]}" || rc=$?
cat "$HW_TMP"/sanitizer.* 2>/dev/null >&2 || true
[[ $rc -eq 0 ]] || hw_fail "test_query_nomem exited $rc (3: valgrind found an error)"
echo PASS
