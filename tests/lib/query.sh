# Shared helpers of the hirewire-query tests (bash), sourced after
# services.sh: Q, the program, and:
#
# expect_rc WANT ARGS...   runs hirewire-query ARGS, failing the test
#                          unless it exits WANT; its stdout in
#                          $HW_TMP/out, its stderr in $HW_TMP/err
# bucket_of ID             the person registry's bucket of a person_id
#                          (hw:persons:<n>: FNV-1a 32 of the id mod 256)

Q=$HW_BIN_DIR/hirewire-query
[[ -x $Q ]] || hw_fail "$Q not built"

expect_rc() {
  local want=$1 got=0
  shift
  "$Q" "$@" >"$HW_TMP/out" 2>"$HW_TMP/err" || got=$?
  [[ $got -eq $want ]] || hw_fail "hirewire-query $* exited $got, expected $want: $(cat "$HW_TMP/err")"
}

bucket_of() {
  "$HW_PY" -c 'import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 256)' "$1"
}
