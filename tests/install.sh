#!/usr/bin/env bash
# cmake --install into a temporary prefix: the four programs, a man page
# each (from their --help), bash completion that completes from the
# program's own options, the sample config and data files, the demo
# scenario and the systemd unit whose ExecStart and config directory are
# the prefix's. Then the installed programs run from there, with the
# installed config: the installed producer publishes the installed
# scenario, the installed consumer counts it (checked against the model)
# and the installed query reads it.
source "$(dirname "$0")/lib/services.sh"

p=$HW_TMP/prefix
cmake --install "$HW_BIN_DIR" --prefix "$p" >"$HW_TMP/install.log" 2>&1 ||
  hw_fail "cmake --install failed: $(tail -5 "$HW_TMP/install.log")"

hw_note "the tree"
for prog in hirewire-consumer hirewire-produce hirewire-query hirewire-devbroker; do
  [[ -x $p/bin/$prog ]] || hw_fail "bin/$prog is not installed"
  man=$p/share/man/man1/$prog.1
  [[ -s $man ]] || hw_fail "share/man/man1/$prog.1 is not installed (is help2man installed?)"
  grep -q "^\.TH ${prog^^} \"1\"" "$man" || hw_fail "$prog.1 is not a man page: $(head -3 "$man")"
  grep -qF -- '\-\-help' "$man" || hw_fail "$prog.1 does not describe the options"
  if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$man" 2>/dev/null | grep -q "$prog" || hw_fail "man -l $prog.1 renders nothing"
  fi
  [[ -s $p/share/bash-completion/completions/$prog ]] || hw_fail "no bash completion for $prog"
done
for f in etc/hirewire/hirewire.conf etc/hirewire/talent-bases.csv etc/hirewire/country-groups.csv \
  share/hirewire/scenario.ndjson; do
  [[ -s $p/$f ]] || hw_fail "$f is not installed"
done
cmp -s "$p/etc/hirewire/hirewire.conf" "$HW_SRC_DIR/deploy/config/hirewire.conf" || hw_fail "the installed config differs from deploy/config"
unit=$p/lib/systemd/system/hirewire-consumer.service
grep -qx "ExecStart=$p/bin/hirewire-consumer -c $p/etc/hirewire/hirewire.conf .*" "$unit" ||
  hw_fail "the unit's ExecStart is not the prefix's: $(grep ExecStart "$unit")"
grep -qx "Environment=HIREWIRE_CONFIG_DIR=$p/etc/hirewire" "$unit" || hw_fail "the unit's config directory is not the prefix's"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$unit" 2>&1 | grep -v "User=\|Group=\|hirewire.*user" || true)
  [[ -z $out ]] || hw_fail "systemd-analyze verify: $out"
fi

hw_note "bash completion from the program's own options"
out=$(PATH=$p/bin:$PATH bash -c '
  source "$1/share/bash-completion/completions/hirewire-query"
  COMP_WORDS=(hirewire-query ti); COMP_CWORD=1; _hirewire; echo "${COMPREPLY[*]}"
  COMP_WORDS=(hirewire-consumer --until); COMP_CWORD=1; _hirewire; echo "${COMPREPLY[*]}"
  COMP_WORDS=(hirewire-query flows --window 3); COMP_CWORD=3; _hirewire; echo "${COMPREPLY[*]}"' _ "$p")
[[ $out == $'timeline\n--until-caught-up\n30d 365d' ]] || hw_fail "completion gave: $out"

hw_note "the installed programs, with the installed config"
hw_start_redis
hw_start_broker --partitions 4
"$p/bin/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" "$p/share/hirewire/scenario.ndjson" \
  2>"$HW_TMP/produce.log" || hw_fail "the installed producer failed: $(tail -2 "$HW_TMP/produce.log")"
HIREWIRE_CONFIG_DIR=$p/etc/hirewire timeout 120 "$p/bin/hirewire-consumer" -c "$p/etc/hirewire/hirewire.conf" \
  --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" --metrics-addr off --until-caught-up \
  2>"$HW_TMP/consumer.log" || hw_fail "the installed consumer failed: $(tail -3 "$HW_TMP/consumer.log")"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"
"$p/bin/hirewire-query" --redis "$HW_REDIS_URL" labs --top 3 >"$HW_TMP/labs.txt" ||
  hw_fail "the installed query failed"
grep -q "Meta Superintelligence Labs" "$HW_TMP/labs.txt" || hw_fail "the installed query reads nothing: $(cat "$HW_TMP/labs.txt")"
echo PASS
