#!/usr/bin/env bash
# hirewire-devbroker's command line and life: --help and --version; each
# bad flag refused with exit 2 and a message naming it, before anything
# starts; the brokers, partitions and topics asked for, as kcat sees them,
# and a message through them; the bootstrap list on stdout and in the file
# (or on stdout only), the file removed on SIGINT and SIGTERM; exit 1 when
# the bootstrap file (a missing folder, a full disk) or the control FIFO
# cannot be created, nothing left behind; stdout that cannot be written; a
# bootstrap file that cannot be removed, or is already gone; a client
# sending garbage; and too few file descriptors: exit 69 or 1 with a
# message, never an abort; and out of them while serving: the failed
# accepts logged with a count (at least every 10 s), served again once
# clients leave.
source "$(dirname "$0")/lib/services.sh"

db=$HW_BIN_DIR/hirewire-devbroker
[[ -x $db ]] || hw_fail "$db is not built"
out=$HW_TMP/out
err=$HW_TMP/err

# Runs the devbroker to its exit (10 s at most): rc, its stdout in $out
# and its stderr in $err.
run_db() {
  rc=0
  timeout 10 "$db" "$@" >"$out" 2>"$err" </dev/null || rc=$?
}

# Starts the devbroker in the background with the bootstrap file $1 and
# the other arguments; waits for the file. Sets pid; stdout and stderr go
# to $1.out and $1.log.
start_db() {
  local file=$1
  shift
  "$db" --bootstrap-file "$file" "$@" >"$file.out" 2>"$file.log" </dev/null &
  pid=$!
  HW_PIDS+=("$pid")
  hw_wait_for "test -s '$file'" 30 || hw_fail "devbroker $* did not start: $(cat "$file.log")"
}

# Sends signal $1 to $pid and checks it exits 0 within 10 s, logging why.
stop_db() {
  local sig=$1 rc=0 log=$2
  kill "-$sig" "$pid"
  hw_wait_for "! kill -0 $pid" 10 || hw_fail "devbroker still runs 10 s after SIG$sig"
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "devbroker exited $rc after SIG$sig: $(tail -3 "$log")"
  grep -q "msg=\"stopping on SIG$sig\"" "$log" || hw_fail "no 'stopping on SIG$sig' in the log: $(tail -3 "$log")"
  grep -q 'msg="stopped"' "$log" || hw_fail "no 'stopped' in the log: $(tail -3 "$log")"
}

hw_note "--help, -h, --version"
run_db --help
[[ $rc -eq 0 ]] || hw_fail "--help exited $rc"
[[ ! -s $err ]] || hw_fail "--help wrote on stderr: $(cat "$err")"
head -1 "$out" | grep -q '^Usage: hirewire-devbroker \[OPTION\]' || hw_fail "--help: $(head -1 "$out")"
for flag in --brokers --partitions --topic --bootstrap-file --control --help --version; do
  grep -q -- "$flag" "$out" || hw_fail "--help does not mention $flag"
done
grep -q '1\.\.16 (default 1)' "$out" || hw_fail "--help does not give the brokers' range and default"
grep -q '1\.\.1024 (default 4)' "$out" || hw_fail "--help does not give the partitions' range and default"
cp "$out" "$HW_TMP/help"
run_db -h
[[ $rc -eq 0 ]] && cmp -s "$out" "$HW_TMP/help" || hw_fail "-h differs from --help (exit $rc)"
run_db --version
[[ $rc -eq 0 ]] || hw_fail "--version exited $rc"
grep -Eqx 'hirewire-devbroker [0-9]+\.[0-9]+\.[0-9]+' "$out" || hw_fail "--version printed: $(cat "$out")"

hw_note "usage errors: exit 2, the flag named, nothing started"
never=$HW_TMP/never.bootstrap
long250=$(printf 'a%.0s' {1..250})
# usage_error MESSAGE ARG...: the devbroker, given ARG..., exits 2 with
# MESSAGE and the hint on stderr, nothing on stdout, and no bootstrap file.
usage_error() {
  local want=$1
  shift
  run_db --bootstrap-file "$never" "$@"
  [[ $rc -eq 2 ]] || hw_fail "$*: exit $rc, want 2: $(cat "$err")"
  grep -qF -- "$want" "$err" || hw_fail "$*: stderr lacks \"$want\": $(cat "$err")"
  grep -qF "Try 'hirewire-devbroker --help' for more information." "$err" || hw_fail "$*: no hint: $(cat "$err")"
  [[ ! -s $out ]] || hw_fail "$*: wrote on stdout: $(cat "$out")"
  [[ ! -e $never && ! -e $never.tmp ]] || hw_fail "$*: wrote the bootstrap file"
}
usage_error "--brokers wants an integer in 1..16, got '0'" --brokers 0
usage_error "--brokers wants an integer in 1..16, got '17'" --brokers 17
usage_error "--brokers wants an integer in 1..16, got '-1'" --brokers -1
usage_error "--brokers wants an integer in 1..16, got 'two'" --brokers two
usage_error "--brokers wants an integer in 1..16, got '3x'" --brokers 3x
usage_error "--brokers wants an integer in 1..16, got ''" --brokers ''
usage_error "--brokers wants an integer in 1..16, got '99999999999999999999'" --brokers 99999999999999999999
usage_error "--partitions wants an integer in 1..1024, got '0'" --partitions 0
usage_error "--partitions wants an integer in 1..1024, got '1025'" --partitions 1025
usage_error "--topic: '' is not a valid topic name (1..249 of [A-Za-z0-9._-])" --topic ''
usage_error "--topic: '.' is not a valid topic name" --topic .
usage_error "--topic: '..' is not a valid topic name" --topic ..
usage_error "--topic: 'a b' is not a valid topic name" --topic 'a b'
usage_error "--topic: 'a/b' is not a valid topic name" --topic a/b
usage_error "--topic: 'ns:t' is not a valid topic name" --topic ns:t
usage_error "--topic: 'y[0]' is not a valid topic name" --topic 'y[0]'
usage_error "--topic: 'x~' is not a valid topic name" --topic 'x~'
cafe=$(printf 'caf\xc3\xa9')
usage_error "--topic: '$cafe' is not a valid topic name" --topic "$cafe"
usage_error "--topic: '$long250' is not a valid topic name" --topic "$long250"
usage_error "--topic: 'ok.t ' is not" --topic good --topic 'ok.t ' # the bad one after a good one
usage_error "--bootstrap-file: the file name is empty" --bootstrap-file ''
usage_error "--control: the file name is empty" --control ''
usage_error "unrecognized option '--nope'" --nope
usage_error "option '--brokers' requires an argument" --brokers
usage_error "invalid option -- 'x'" -x
usage_error "unexpected argument 'extra'" extra
usage_error "unexpected argument 'talent.hires'" --partitions 2 talent.hires

hw_note "the defaults: 1 broker, the 4 topics of 4 partitions; SIGTERM"
bs=$HW_TMP/default.bootstrap
start_db "$bs"
meta=$(kcat -L -b "$(cat "$bs")" -m 10) || hw_fail "kcat -L failed"
[[ $(grep -c '^  broker ' <<<"$meta") -eq 1 ]] || hw_fail "want 1 broker: $meta"
for t in talent.hires talent.offers talent.alerts talent.dlq; do
  grep -q "topic \"$t\" with 4 partitions:" <<<"$meta" || hw_fail "no topic $t of 4 partitions: $meta"
done
[[ $(grep -c '^  topic ' <<<"$meta") -eq 4 ]] || hw_fail "want exactly 4 topics: $meta"
cmp -s "$bs" "$bs.out" || hw_fail "stdout ($(cat "$bs.out")) differs from the bootstrap file ($(cat "$bs"))"
grep -q 'msg="started brokers=1 partitions=4 replication_factor=1 topics=talent.hires,talent.offers,talent.alerts,talent.dlq bootstrap=' "$bs.log" ||
  hw_fail "the started line: $(cat "$bs.log")"
stop_db TERM "$bs.log"
[[ ! -e $bs ]] || hw_fail "the bootstrap file outlived the devbroker"

hw_note "--brokers 2 --partitions 3 and topics (a repeated one, a 249-byte one, many long ones); SIGINT"
bs=$HW_TMP/custom.bootstrap
long249=$(printf 'b%.0s' {1..249})
longs=()
for i in 1 2 3; do longs+=(--topic "t$i.$(printf 'c%.0s' {1..100})"); done
start_db "$bs" --brokers 2 --partitions 3 --topic t.a --topic t.a --topic T_b-9 --topic "$long249" "${longs[@]}"
meta=$(kcat -L -b "$(cat "$bs")" -m 10) || hw_fail "kcat -L failed"
[[ $(grep -c '^  broker ' <<<"$meta") -eq 2 ]] || hw_fail "want 2 brokers: $meta"
[[ $(grep -c '^  topic ' <<<"$meta") -eq 6 ]] || hw_fail "want 6 topics (t.a once): $meta"
for t in t.a T_b-9 "$long249" t1.c t2.c t3.c; do
  grep -q "topic \"$t[c]*\" with 3 partitions:" <<<"$meta" || hw_fail "no topic $t of 3 partitions: $meta"
done
# Replication factor min(3, brokers) = 2: every partition on both brokers.
[[ $(grep -c 'replicas: [12],[12],' <<<"$meta") -eq 18 ]] || hw_fail "want 18 partitions on 2 replicas: $meta"
grep -q 'replication_factor=2 topics=t\.a,T_b-9,bbbb' "$bs.log" || hw_fail "the started line: $(cat "$bs.log")"
# The topics do not fit the log line: cut, ending in "...".
grep -q 'topics=t\.a,T_b-9,b*,t1\.c*,t2\.c*,t3\.c*\.\.\. bootstrap=' "$bs.log" ||
  hw_fail "the topics in the started line are not cut with ...: $(cat "$bs.log")"
# A message through it, as through any Kafka.
echo "hello devbroker" | kcat -P -b "$(cat "$bs")" -t T_b-9 -p 2 2>"$HW_TMP/kcat.err" ||
  hw_fail "kcat -P failed: $(cat "$HW_TMP/kcat.err")"
got=$(kcat -C -b "$(cat "$bs")" -t T_b-9 -p 2 -o beginning -e -q -m 10 2>"$HW_TMP/kcat.err") ||
  hw_fail "kcat -C failed: $(cat "$HW_TMP/kcat.err")"
[[ $got == "hello devbroker" ]] || hw_fail "read back '$got'"
stop_db INT "$bs.log"
[[ ! -e $bs ]] || hw_fail "the bootstrap file outlived the devbroker"

hw_note "a bootstrap file or a control FIFO that cannot be created: exit 1"
run_db --bootstrap-file "$HW_TMP/nodir/bs"
[[ $rc -eq 1 ]] || hw_fail "bootstrap file in a missing folder: exit $rc, want 1"
grep -q "level=error component=devbroker msg=\"cannot write the bootstrap file: cannot create $HW_TMP/nodir/bs.tmp: No such file or directory\"" "$err" ||
  hw_fail "bootstrap file in a missing folder: $(cat "$err")"
mkdir "$HW_TMP/adir"
run_db --bootstrap-file "$HW_TMP/adir"
[[ $rc -eq 1 ]] || hw_fail "bootstrap file that is a folder: exit $rc, want 1"
grep -q "cannot rename $HW_TMP/adir.tmp to $HW_TMP/adir: Is a directory" "$err" ||
  hw_fail "bootstrap file that is a folder: $(cat "$err")"
[[ ! -e $HW_TMP/adir.tmp ]] || hw_fail "the temporary bootstrap file was left behind"
run_db --bootstrap-file "$HW_TMP/bs-not-written" --control "$HW_TMP/nodir/ctl"
[[ $rc -eq 1 ]] || hw_fail "control FIFO in a missing folder: exit $rc, want 1"
grep -q "cannot create the control FIFO $HW_TMP/nodir/ctl: No such file or directory" "$err" ||
  hw_fail "control FIFO in a missing folder: $(cat "$err")"
[[ ! -e $HW_TMP/bs-not-written ]] || hw_fail "the bootstrap file (the ready signal) was written though the FIFO failed"

# The temporary file on a full disk (/dev/full), then on a file that
# cannot be synced (/dev/null): exit 1, nothing left behind.
for dev in /dev/full:"No space left on device" /dev/null:"Invalid argument"; do
  bs=$HW_TMP/dev.bootstrap
  ln -s "${dev%%:*}" "$bs.tmp"
  run_db --bootstrap-file "$bs"
  [[ $rc -eq 1 ]] || hw_fail "bootstrap file through ${dev%%:*}: exit $rc, want 1"
  grep -q "cannot write the bootstrap file: cannot write $bs.tmp: ${dev#*:}" "$err" ||
    hw_fail "bootstrap file through ${dev%%:*}: $(cat "$err")"
  [[ ! -e $bs && ! -L $bs.tmp ]] || hw_fail "bootstrap file through ${dev%%:*}: a file was left behind"
  [[ -c ${dev%%:*} ]] || hw_fail "${dev%%:*} was removed"
done

hw_note "no --bootstrap-file: the list on stdout only; a bootstrap file removed by someone else"
"$db" >"$HW_TMP/stdout-only.out" 2>"$HW_TMP/stdout-only.log" </dev/null &
pid=$!
HW_PIDS+=("$pid")
hw_wait_for "test -s '$HW_TMP/stdout-only.out'" 30 || hw_fail "no bootstrap list on stdout: $(cat "$HW_TMP/stdout-only.log")"
kcat -L -b "$(head -1 "$HW_TMP/stdout-only.out")" -m 10 >/dev/null 2>&1 || hw_fail "the list on stdout does not reach the devbroker"
grep -q 'bootstrap_file=-"' "$HW_TMP/stdout-only.log" || hw_fail "the started line: $(cat "$HW_TMP/stdout-only.log")"
stop_db TERM "$HW_TMP/stdout-only.log"
bs=$HW_TMP/removed.bootstrap
start_db "$bs"
rm "$bs"
stop_db TERM "$bs.log"
! grep -q 'cannot remove' "$bs.log" || hw_fail "a bootstrap file already gone was reported: $(tail -3 "$bs.log")"

hw_note "stdout that cannot be written; a bootstrap file that cannot be removed"
bs=$HW_TMP/full.bootstrap
"$db" --bootstrap-file "$bs" >/dev/full 2>"$bs.log" </dev/null &
pid=$!
HW_PIDS+=("$pid")
hw_wait_for "test -s '$bs'" 30 || hw_fail "devbroker did not start: $(cat "$bs.log")"
hw_wait_for "grep -q 'cannot print the bootstrap list on stdout: No space left on device' '$bs.log'" 10 ||
  hw_fail "no warning about stdout: $(cat "$bs.log")"
kcat -L -b "$(cat "$bs")" -m 10 >/dev/null 2>&1 || hw_fail "the devbroker does not serve after failing to print"
rm "$bs" && mkdir "$bs" && touch "$bs/keep"
stop_db TERM "$bs.log"
grep -q "level=warn component=devbroker msg=\"cannot remove $bs: Is a directory\"" "$bs.log" ||
  hw_fail "no warning about the bootstrap file left: $(tail -3 "$bs.log")"

hw_note "a client sending garbage: logged as an error, the others still served"
bs=$HW_TMP/garbage.bootstrap
start_db "$bs"
"$HW_PY" - "$(cat "$bs")" <<'PY' || hw_fail "could not send garbage"
import socket, struct, sys
host, port = sys.argv[1].split(",")[0].rsplit(":", 1)
# A request of ApiKey 99 (none such), then bytes of HTTP.
for payload in (struct.pack(">ihhi", 10, 99, 0, 1) + b"\xff\xff",
                b"GET / HTTP/1.0\r\n\r\n"):
    s = socket.create_connection((host, int(port)), timeout=2)
    s.sendall(payload)
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
PY
hw_wait_for "grep -q 'level=error component=devbroker msg=\"librdkafka PROTOERR: .*Invalid ApiKey 99' '$bs.log'" 10 ||
  hw_fail "the bad request was not logged: $(cat "$bs.log")"
kcat -L -b "$(cat "$bs")" -m 10 >/dev/null 2>&1 || hw_fail "the devbroker stopped serving after garbage"
stop_db TERM "$bs.log"

hw_note "too few file descriptors: exit 69 or 1 with a message, never an abort"
started=0 unavailable=0
for n in $(seq 6 20); do
  bs=$HW_TMP/fd$n.bootstrap
  bash -c 'ulimit -n "$1" && shift && exec "$@"' _ "$n" "$db" --brokers 3 --bootstrap-file "$bs" \
    --control "$HW_TMP/fd$n.control" >/dev/null 2>"$bs.log" </dev/null &
  pid=$!
  HW_PIDS+=("$pid")
  hw_wait_for "test -s '$bs' || ! kill -0 $pid" 30 || hw_fail "ulimit -n $n: neither started nor exited"
  if [[ -s $bs ]]; then
    started=$((started + 1))
    stop_db TERM "$bs.log"
    continue
  fi
  rc=0
  wait "$pid" || rc=$?
  case $rc in
    69) grep -q 'level=error component=devbroker msg="cannot start: .*Too many open files' "$bs.log" ||
          hw_fail "ulimit -n $n: exit 69 without the reason: $(cat "$bs.log")"
        unavailable=$((unavailable + 1)) ;;
    1) grep -Eq 'level=error component=devbroker msg="(cannot write the bootstrap file: |cannot open ).*Too many open files' "$bs.log" ||
         hw_fail "ulimit -n $n: exit 1 without the reason: $(cat "$bs.log")" ;;
    *) hw_fail "ulimit -n $n: exit $rc: $(tail -5 "$bs.log")" ;;
  esac
  [[ ! -e $bs.tmp && ! -e $HW_TMP/fd$n.control ]] || hw_fail "ulimit -n $n: a file was left behind"
done
[[ $unavailable -gt 0 && $started -gt 0 ]] ||
  hw_fail "file descriptor limits 6..20: $unavailable exits 69, $started starts; want some of each"

hw_note "out of file descriptors while serving: a failed accept is logged with a count, not at each retry, the count at least every 10 s; served again once clients leave"
bs=$HW_TMP/emfile.bootstrap
bash -c 'ulimit -n 40 && exec "$@"' _ "$db" --bootstrap-file "$bs" >/dev/null 2>"$bs.log" </dev/null &
pid=$!
HW_PIDS+=("$pid")
hw_wait_for "test -s '$bs'" 30 || hw_fail "devbroker with ulimit -n 40 did not start: $(cat "$bs.log")"
python3 - "$(cut -d, -f1 "$bs")" <<'PY' || hw_fail "could not hold the connections"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
held = []
for _ in range(60):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect((host, int(port)))
        held.append(s)
    except OSError:
        s.close()
time.sleep(12)  # the broker is out of descriptors meanwhile
sys.exit(0 if len(held) >= 20 else 1)
PY
lines=$(grep -c 'Too many open files' "$bs.log" || true)
[[ $lines -ge 1 && $lines -le 10 ]] ||
  hw_fail "out of descriptors for 12 s: $lines log lines about it (want 1..10): $(head -c 600 "$bs.log")"
# Past 10 s the repeats so far are counted in the log while it serves,
# and the failure logged again.
grep -q 'Too many open files ([0-9]* times more)' "$bs.log" ||
  hw_fail "12 s out of descriptors, the repeats not counted yet: $(grep 'Too many' "$bs.log" | head -3)"
[[ $lines -ge 3 ]] || hw_fail "12 s out of descriptors: $lines log lines, want the failure, its count and the failure again"
kcat -L -b "$(cat "$bs")" -m 10 >/dev/null 2>&1 || hw_fail "not served after the clients left"
stop_db TERM "$bs.log"
grep -q 'Too many open files ([0-9]* times more)' "$bs.log" ||
  hw_fail "the repeats were never counted in the log: $(grep 'Too many' "$bs.log" | head -3)"
echo PASS
