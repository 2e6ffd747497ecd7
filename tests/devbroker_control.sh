#!/usr/bin/env bash
# hirewire-devbroker --control FIFO: each command's effect as a Kafka
# client (kcat) sees it: leader moves in the metadata, a broker down
# refusing connections and back up, a response delay, request errors
# failing the next COUNT requests of an API; lines that are not commands
# (unknown words, bad numbers, out of range, too long) refused with a
# message and no effect; commands the cluster refuses (no such broker,
# topic or partition) logged as failed, an unknown topic not created; commands split across writes, several in
# one write, blank lines; the FIFO created over an existing file and
# removed on exit.
source "$(dirname "$0")/lib/services.sh"

ctl=$HW_TMP/control
echo "not a fifo" >"$ctl"
hw_start_broker --brokers 3 --partitions 2 --topic ctl.t --control "$ctl"
log=$(ls "$HW_TMP"/broker*.log)
[[ -p $ctl ]] || hw_fail "$ctl is not a FIFO"

# The address of broker $1, as the metadata gives it.
addr() {
  kcat -L -b "$HW_BOOTSTRAP" -m 10 2>/dev/null | sed -n "s/^  broker $1 at \([^ ]*\).*/\1/p"
}
# The leader of partition $1 of ctl.t.
leader_of() {
  kcat -L -b "$HW_BOOTSTRAP" -t ctl.t -m 10 2>/dev/null | sed -n "s/^    partition $1, leader \([0-9-]*\),.*/\1/p"
}
# Whether a metadata request to broker address $1 alone succeeds within
# $2 seconds (default 10).
reachable() { kcat -L -b "$1" -m "${2:-10}" >/dev/null 2>&1; }
# Milliseconds a metadata request to broker address $1 alone takes.
metadata_ms() {
  local t0
  t0=$(date +%s%N)
  kcat -L -b "$1" -m 20 >/dev/null 2>&1 || hw_fail "metadata from $1 failed"
  echo $((($(date +%s%N) - t0) / 1000000))
}
# The end offset of ctl.t's partition 0, or the error kcat gives.
end_offset() { kcat -Q -b "$HW_BOOTSTRAP" -t ctl.t:0:-1 -m 10 2>&1 || true; }

# Log lines of the control so far.
controls() { grep -c 'msg="control: ' "$log" || true; }
# The control's log lines after the first $1.
controls_after() { grep 'msg="control: ' "$log" | tail -n +$(($1 + 1)); }
# send LINE: writes it to the FIFO, waits for the log line about it and
# sets $logged to it.
send() {
  local before
  before=$(controls)
  printf '%s\n' "$1" >"$ctl"
  hw_wait_for "[[ \$(controls) -gt $before ]]" 15 || hw_fail "no log line about \"$1\""
  logged=$(controls_after "$before")
}
applied() {
  send "$1"
  [[ $logged == *"level=info component=devbroker msg=\"control: applied \\\"$1\\\"\"" ]] ||
    hw_fail "\"$1\" not applied: $logged"
}
refused() {
  send "$1"
  [[ $logged == *"level=warn component=devbroker msg=\"control: unknown command \\\"$1\\\"\"" ]] ||
    hw_fail "\"$1\" not refused as unknown: $logged"
}
failed() { # failed LINE REASON
  send "$1"
  [[ $logged == *"level=warn component=devbroker msg=\"control: \\\"$1\\\" failed: $2\"" ]] ||
    hw_fail "\"$1\" did not fail with \"$2\": $logged"
}

b1=$(addr 1) b2=$(addr 2) b3=$(addr 3)
[[ -n $b1 && -n $b2 && -n $b3 ]] || hw_fail "brokers 1..3 not in the metadata: $(kcat -L -b "$HW_BOOTSTRAP" -m 10 2>&1)"

hw_note "leader TOPIC PARTITION BROKER"
for id in 3 1 2; do
  applied "leader ctl.t 0 $id"
  [[ $(leader_of 0) == "$id" ]] || hw_fail "leader ctl.t 0 $id: the leader of partition 0 is $(leader_of 0)"
done
applied "leader ctl.t 1 3"
[[ $(leader_of 1) == 3 && $(leader_of 0) == 2 ]] || hw_fail "leader ctl.t 1 3: leaders $(leader_of 0) $(leader_of 1)"

hw_note "down BROKER, up BROKER, and -1 for all"
applied "down 2"
reachable "$b2" 2 && hw_fail "broker 2 answers while down"
reachable "$b1" || hw_fail "broker 1 does not answer while 2 is down"
applied "up 2"
reachable "$b2" || hw_fail "broker 2 does not answer once up"
applied "down -1"
for b in "$b1" "$b2" "$b3"; do reachable "$b" 2 && hw_fail "$b answers after down -1"; done
applied "up -1"
for b in "$b1" "$b2" "$b3"; do reachable "$b" || hw_fail "$b does not answer after up -1"; done

hw_note "rtt BROKER MS"
applied "rtt 3 1000"
ms=$(metadata_ms "$b3")
[[ $ms -ge 1000 ]] || hw_fail "rtt 3 1000: metadata from broker 3 took $ms ms"
applied "rtt 3 0"
ms=$(metadata_ms "$b3")
[[ $ms -lt 1000 ]] || hw_fail "rtt 3 0: metadata from broker 3 still took $ms ms"

hw_note "errors APIKEY COUNT ERROR: the next COUNT ListOffsets (2) fail with TOPIC_AUTHORIZATION_FAILED (29)"
[[ $(end_offset) == *"[0] offset 0"* ]] || hw_fail "end offset before: $(end_offset)"
applied "errors 2 2 29"
for i in 1 2; do
  got=$(end_offset)
  [[ $got == *"Topic authorization failed"* ]] || hw_fail "ListOffsets $i of 2 did not fail: $got"
done
got=$(end_offset)
[[ $got == *"[0] offset 0"* ]] || hw_fail "the third ListOffsets failed too: $got"

hw_note "clear APIKEY: the errors of that API not used yet are dropped"
applied "errors 2 5 29"
got=$(end_offset)
[[ $got == *"Topic authorization failed"* ]] || hw_fail "ListOffsets 1 of 5 did not fail: $got"
applied "clear 2"
got=$(end_offset)
[[ $got == *"[0] offset 0"* ]] || hw_fail "a ListOffsets failed after clear 2: $got"

hw_note "lines that are not commands: refused, no effect"
for line in "bogus" "DOWN 1" "down" "down x" "down 1 2" "down 1x" "up 1 extra" "rtt 1" "rtt 1 -5" \
  "rtt 1 5 6" "leader ctl.t 0" "leader ctl.t x 1" "errors 1 0 6" "errors 1 10001 6" "errors 100 1 6" \
  "errors -1 1 6" "errors 1 1" "errors 1 1 x" "errors 1 1 6 x" "leader ctl.t 0 1 x" "clear" "clear -1" \
  "clear 100" "clear 1 2" "   "; do
  refused "$line"
done
for b in "$b1" "$b2" "$b3"; do reachable "$b" || hw_fail "$b does not answer after the refused lines"; done
[[ $(leader_of 0) == 2 && $(leader_of 1) == 3 ]] || hw_fail "the refused lines moved leaders: $(leader_of 0) $(leader_of 1)"
[[ $(end_offset) == *"[0] offset 0"* ]] || hw_fail "the refused errors lines took effect: $(end_offset)"
# A line past 1023 bytes is refused whole: cut, "down 1 ... 2" would read
# as "down 1".
long="down 1$(printf ' %.0s' {1..1100})2"
send "$long"
[[ $logged == *'level=warn component=devbroker msg="control: refused a command longer than 1023 bytes"' ]] ||
  hw_fail "the long line was not refused: $logged"
reachable "$b1" || hw_fail "the long line took broker 1 down"
applied "leader ctl.t 0 1" # the next line is read from its start

hw_note "commands the cluster refuses: logged as failed"
failed "leader no.such.topic 0 1" "Broker: Unknown topic or partition"
kcat -L -b "$HW_BOOTSTRAP" -m 10 2>/dev/null | grep -q 'topic "no.such.topic"' &&
  hw_fail "a leader move of an unknown topic created it"
failed "down 99" "Broker: Broker not available"
failed "up 99" "Broker: Broker not available"
failed "rtt 99 5" "Broker: Broker not available"
failed "leader ctl.t 0 99" "Broker: Broker not available"
failed "leader ctl.t 7 1" "Broker: Unknown topic or partition"
[[ $(leader_of 0) == 1 ]] || hw_fail "a failed leader command moved the leader: $(leader_of 0)"

hw_note "a command in two writes, two in one write, blank lines"
before=$(controls)
printf 'leader ct' >"$ctl"
sleep 0.5
[[ $(controls) -eq $before ]] || hw_fail "half a line was applied: $(grep control "$log" | tail -1)"
printf 'l.t 0 3\n' >"$ctl"
hw_wait_for "[[ \$(controls) -gt $before ]]" 15 || hw_fail "the line written in two parts was not applied"
[[ $(controls_after "$before") == *'msg="control: applied \"leader ctl.t 0 3\""' ]] ||
  hw_fail "the two-part line: $(controls_after "$before")"
[[ $(leader_of 0) == 3 ]] || hw_fail "the two-part line: the leader of partition 0 is $(leader_of 0)"
before=$(controls)
printf '\n\nleader ctl.t 0 2\n\nleader ctl.t 1 1\n\n' >"$ctl"
hw_wait_for "[[ \$(controls) -ge $((before + 2)) ]]" 15 || hw_fail "two commands in one write were not both applied"
sleep 0.3
[[ $(controls) -eq $((before + 2)) ]] || hw_fail "blank lines were logged: $(grep control "$log" | tail -3)"
[[ $(leader_of 0) == 2 && $(leader_of 1) == 1 ]] || hw_fail "two commands in one write: leaders $(leader_of 0) $(leader_of 1)"

hw_note "SIGTERM: the FIFO and the bootstrap file removed"
kill -TERM "$HW_BROKER_PID"
rc=0
wait "$HW_BROKER_PID" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "the devbroker exited $rc after SIGTERM: $(tail -3 "$log")"
[[ ! -e $ctl ]] || hw_fail "the control FIFO outlived the devbroker"
[[ ! -e $HW_BOOTSTRAP_FILE ]] || hw_fail "the bootstrap file outlived the devbroker"
echo PASS
