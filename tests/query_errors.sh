#!/usr/bin/env bash
# hirewire-query when Redis does not hold what docs/redis-keys.md describes,
# or cannot be used, and when the command line is wrong:
#
# - a key of the wrong type (a hash where a sorted set belongs, ...) makes
#   every command that reads it exit 1 with a message naming the command
#   and the key, in table, --json and --csv alike, and print no result;
# - a counter, score, watermark, offset or bucket log that is not what the
#   consumer writes exits 1 naming the key (and field or member), shown
#   with its control bytes visible; an infinite score is no exception;
# - alert fields that are not numbers or JSON are shown as the text they
#   are, not refused;
# - Redis unreachable, refusing the password or going away under
#   `alerts --follow` exits 69 naming host:port (and never the password);
#   an error reply (a disabled command, a database out of range) exits 1;
# - each flag given to a command it does not apply to, each bad value and
#   each missing argument exits 2 naming it; a config file names its bad
#   line; output that cannot be written exits 1.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"

hw_start_redis
PORT=$HW_REDIS_PORT
URL=$HW_REDIS_URL
rc() { redis-cli -p "$PORT" "$@" >/dev/null; }

# expect WANT MESSAGE ARGS...: exits WANT against the test's Redis, says
# MESSAGE (a fixed string) on stderr and prints no result.
expect() {
  local want=$1 msg=$2
  shift 2
  expect_rc "$want" --redis "$URL" "$@"
  grep -qF -- "$msg" "$HW_TMP/err" || hw_fail "hirewire-query $*: stderr lacks '$msg': $(cat "$HW_TMP/err")"
  [[ ! -s $HW_TMP/out ]] || hw_fail "hirewire-query $* printed a result: $(head -c 300 "$HW_TMP/out")"
}

PB=hw:persons:$(bucket_of p-1)

# A small Redis state as the consumer leaves it: watermark 2025-07-01
# (day 20270), a lab with every part, flows ranked in oecd, offers, an
# alert, a person, a day's bucket log, offsets and their ends; written in
# one redis-cli run.
cat >"$HW_TMP/fixture.redis" <<EOF
FLUSHALL
SET hw:watermark 1751328000000
SET hw:steps 12
SET hw:steps:at 1751328001000
SET hw:epoch 1
SET hw:layout 6
ZADD hw:labs 3 msl 1 openai
HSET hw:lab:msl name MSL members 3
HSET hw:lab:msl:origin OpenAI 2 Apple 1
HSET hw:lab:msl:nationality CN 2 US 1
HSET hw:lab:msl:alma_mater unknown 3
HSET hw:lab:msl:tier S 1 A 2
HSET hw:lab:msl:hires:30d OpenAI 1
HSET hw:lab:msl:hires:365d OpenAI 2 Apple 1
HSET hw:lab:msl:hires:all OpenAI 2 Apple 1
HSET hw:lab:openai name OpenAI members 1
HSET hw:org:openai:losses:all msl 2
HSET hw:flow:365d:in US 2
HSET hw:flow:365d:out KR 1 CN 1
ZADD hw:flow:365d:net 2 US -1 KR -1 CN
ZADD hw:flow:365d:index 0.01 US -0.36 KR -0.002 CN
ZADD hw:flow:365d:index:oecd 0.01 US -0.36 KR
HSET hw:org:meta:offers:365d extended 2 extended_usd 300000000 mega 1
HSET hw:org:meta name Meta
XADD hw:alerts 1751328001000-0 alert_id mega_offer:e-1 rule mega_offer severity CRITICAL subject p-1 summary "Meta extended a \$300M offer" event_time 1751328000000 raised_at 1751328001000 event_ids "[\"e-1\"]" attributes "{}"
HSET $PB p-1 "3:MSL6:OpenAI2:CN7:unknown1:S13:17513280000003:e-1"
ZADD hw:b:days 20270 20250701
SET hw:b:20250701 "20:lab:msl:hires OpenAI=1\n21:org:openai:losses msl=1\n"
SET hw:offset:hirewire:talent.hires:0 7
HSET hw:ends:hirewire talent.hires:0 1
EOF
fixture() { redis-cli -p "$PORT" <"$HW_TMP/fixture.redis" >/dev/null; }

hw_note "the state reads as it is"
fixture
for cmd in labs "lab msl" flows offers alerts "person p-1" "timeline msl" status "report --json"; do
  # shellcheck disable=SC2086
  expect_rc 0 --redis "$URL" $cmd
done
expect_rc 0 --redis "$URL" timeline msl
grep -qx '2025-07-01  *1  *0' "$HW_TMP/out" || hw_fail "the fixture's timeline of msl: $(cat "$HW_TMP/out")"
expect_rc 0 --redis "$URL" timeline OpenAI
grep -qx '2025-07-01  *0  *1' "$HW_TMP/out" || hw_fail "the fixture's timeline of OpenAI: $(cat "$HW_TMP/out")"

hw_note "a key of the wrong type: exit 1 naming the command and the key"
# wrong KEY: the key, with what it held, becomes one of another type.
wrong() {
  if [[ $(redis-cli -p "$PORT" TYPE "$1") == string ]]; then
    rc DEL "$1"
    rc HSET "$1" not a-string
  else
    rc DEL "$1"
    rc SET "$1" not-a-hash
  fi
}
while IFS='|' read -r key cmd msg; do
  for fmt in "" --json --csv; do
    [[ $cmd == report* && $fmt == --csv ]] && continue
    [[ $cmd == report* ]] && fmt=
    fixture
    wrong "$key"
    # shellcheck disable=SC2086
    expect 1 "$msg: WRONGTYPE" $fmt $cmd
    grep -qF "Redis at 127.0.0.1:$PORT: " "$HW_TMP/err" || hw_fail "$cmd: the message does not name Redis: $(cat "$HW_TMP/err")"
  done
done <<EOF
hw:labs|labs|ZRANGE hw:labs
hw:lab:msl|labs|HMGET hw:lab:msl
hw:lab:msl|lab msl|HMGET hw:lab:msl
hw:lab:msl:origin|lab msl|HGETALL hw:lab:msl:origin
hw:lab:msl:hires:30d|lab MSL|HGETALL hw:lab:msl:hires:30d
hw:lab:msl:hires:365d|report --json|HGETALL hw:lab:msl:hires:365d
hw:flow:365d:in|flows|HGETALL hw:flow:365d:in
hw:flow:365d:net|flows|ZRANGE hw:flow:365d:net
hw:flow:365d:index:oecd|flows|ZREVRANK hw:flow:365d:index:oecd
hw:org:meta:offers:365d|offers|HGETALL hw:org:meta:offers:365d
hw:org:meta|offers|HGET hw:org:meta
hw:alerts|alerts|XREVRANGE hw:alerts
$PB|person p-1|HGET $PB
hw:watermark|timeline msl|GET hw:watermark
hw:b:days|timeline msl|ZRANGEBYSCORE hw:b:days
hw:b:20250701|timeline msl|GET hw:b:20250701
hw:offset:hirewire:talent.hires:0|status|GET hw:offset:hirewire:talent.hires:0
hw:ends:hirewire|status|HGET hw:ends:hirewire
EOF

hw_note "a value that is not what the consumer writes: exit 1 naming the key"
while IFS='|' read -r setup cmd msg; do
  for fmt in "" --json; do
    fixture
    # shellcheck disable=SC2086
    rc $setup
    # shellcheck disable=SC2086
    expect 1 "$msg" $fmt $cmd
  done
done <<'EOF'
HSET hw:lab:msl members many|lab msl|hw:lab:msl field "members": "many" is not a count
HSET hw:lab:msl members many|labs|hw:lab:msl field "members": "many" is not a count
HSET hw:lab:msl:origin OpenAI 2.5|lab msl|hw:lab:msl:origin field "OpenAI": "2.5" is not a count
HSET hw:lab:msl:tier S 99999999999999999999|lab msl|hw:lab:msl:tier field "S": "99999999999999999999" is not a count
ZADD hw:labs inf msl|labs|hw:labs member "msl": "inf" is not a finite score
ZADD hw:flow:365d:index inf US|flows|hw:flow:365d:index member "US": "inf" is not a finite score
ZADD hw:flow:365d:net -inf KR|flows|hw:flow:365d:net member "KR": "-inf" is not a finite score
HSET hw:flow:365d:in US ten|flows|hw:flow:365d:in field "US": "ten" is not a count
HSET hw:org:meta:offers:365d extended_usd lots|offers|hw:org:meta:offers:365d field "extended_usd": "lots" is not a count
SET hw:watermark soon|timeline msl|hw:watermark: "soon" is not a time in ms
SET hw:watermark soon|report --html -|hw:watermark: "soon" is not a time in ms
SET hw:watermark soon|status|hw:watermark: "soon" is not a time in ms
SET hw:steps many|status|hw:steps: "many" is not a number
SET hw:epoch x1|status|hw:epoch: "x1" is not a number
SET hw:steps:at later|status|hw:steps:at: "later" is not a time in ms
SET hw:offset:hirewire:talent.hires:0 ten|status|hw:offset:hirewire:talent.hires:0: "ten" is not an offset
SET hw:offset:hirewire:talent.hires:0 -5|status|hw:offset:hirewire:talent.hires:0: "-5" is not an offset
HSET hw:ends:hirewire talent.hires:0 soon|status|hw:ends:hirewire field "talent.hires:0": "soon" is neither 1 nor a time in ms
ZADD hw:b:days 20270 yesterday|timeline msl|hw:b:days holds a member that is not a day (yyyymmdd)
SET hw:b:20250701 garbage|timeline msl|hw:b:20250701 is not a bucket log hirewire writes
EOF
# The value is shown with its control bytes visible, and cut.
fixture
rc HSET hw:lab:msl:origin "$(printf 'Open\033[2JAI')" "$(printf '1\a')"
expect 1 'hw:lab:msl:origin field "Open<U+001B>[2JAI": "1<U+0007>" is not a count' lab msl
fixture
rc HSET hw:lab:msl:origin OpenAI "$(printf 'x%.0s' {1..100})"
expect 1 "field \"OpenAI\": \"$(printf 'x%.0s' {1..40})\" is not a count" lab msl
# A key in a window the query reads: moves of the report read every lab.
fixture
rc HSET hw:lab:openai:hires:365d Google zero
expect 1 'hw:lab:openai:hires:365d field "Google": "zero" is not a count' --json report

hw_note "alert fields that are not numbers or JSON are shown as they are"
fixture
rc XADD hw:alerts 1751328002000-0 alert_id odd:1 rule odd severity WARN summary 'odd times' \
  event_time yesterday raised_at '' event_ids 'not json' attributes '{"a":'
rc XADD hw:alerts 1751328003000-0 rule bare
expect_rc 0 --redis "$URL" --json alerts
"$HW_PY" - "$HW_TMP/out" <<'PY' || hw_fail "alerts --json with odd fields: $(cat "$HW_TMP/out")"
import json, sys
a = json.load(open(sys.argv[1]))
assert [x["id"] for x in a] == ["1751328001000-0", "1751328002000-0", "1751328003000-0"], a
odd = a[1]
assert odd["event_time"] == "yesterday" and odd["raised_at"] == "", odd
assert odd["event_ids"] == "not json" and odd["attributes"] == '{"a":', odd
assert a[2] == {"id": "1751328003000-0", "rule": "bare"}, a[2]
PY
expect_rc 0 --redis "$URL" alerts
# Event time first; those without one last, as raised; "-" for what is not there.
sed -n 2p "$HW_TMP/out" | grep -qE '^- +WARN +odd +odd times$' || hw_fail "alerts line of odd times: $(cat "$HW_TMP/out")"
sed -n 3p "$HW_TMP/out" | grep -qE '^- +- +bare *$' || hw_fail "alerts line of a bare alert: $(cat "$HW_TMP/out")"
expect_rc 0 --redis "$URL" --csv alerts
sed -n 4p "$HW_TMP/out" | grep -qx -- '-,,bare,,,' || hw_fail "alerts --csv of a bare alert: $(cat "$HW_TMP/out")"

hw_note "Redis unreachable: exit 69 naming the address"
FREE=$(hw_free_port)
for cmd in labs "lab msl" flows offers alerts "person p-1" "timeline msl" status "report --json"; do
  # shellcheck disable=SC2086
  expect_rc 69 --redis "redis://127.0.0.1:$FREE" $cmd
  grep -qF "Redis at 127.0.0.1:$FREE" "$HW_TMP/err" || hw_fail "$cmd, Redis unreachable: $(cat "$HW_TMP/err")"
done

hw_note "Redis refusing the password: exit 69, the password never shown"
MAIN_URL=$URL
HW_REDIS_CLI_AUTH="-a pw-right-1 --no-auth-warning" hw_start_redis --requirepass pw-right-1
AUTH_PORT=$HW_REDIS_PORT
expect_rc 69 --redis "redis://127.0.0.1:$AUTH_PORT" labs
grep -qF "Redis at 127.0.0.1:$AUTH_PORT" "$HW_TMP/err" && grep -qF "NOAUTH" "$HW_TMP/err" &&
  grep -qF "(give the password in the URL, REDIS_PASSWORD or redis.password)" "$HW_TMP/err" ||
  hw_fail "no password: $(cat "$HW_TMP/err")"
expect_rc 69 --redis "redis://:pw-wrong-2@127.0.0.1:$AUTH_PORT" status
grep -qF "Redis at 127.0.0.1:$AUTH_PORT" "$HW_TMP/err" || hw_fail "wrong password: $(cat "$HW_TMP/err")"
REDIS_PASSWORD=pw-wrong-3 "$Q" --redis "redis://127.0.0.1:$AUTH_PORT" --json labs >"$HW_TMP/out" 2>"$HW_TMP/err" && hw_fail "a wrong REDIS_PASSWORD was accepted"
if grep -qE 'pw-wrong|pw-right' "$HW_TMP/out" "$HW_TMP/err"; then hw_fail "a password was printed: $(cat "$HW_TMP/err")"; fi
# The config file's redis.password, and its prefix, are used.
redis-cli -p "$AUTH_PORT" -a pw-right-1 --no-auth-warning ZADD cfg:labs 1 solo >/dev/null
printf 'redis.url = redis://127.0.0.1:%s\nredis.password = pw-right-1\nprefix = cfg:\n' "$AUTH_PORT" >"$HW_TMP/q.conf"
expect_rc 0 -c "$HW_TMP/q.conf" --json labs
grep -q '"slug": "solo"' "$HW_TMP/out" || hw_fail "labs with the config file: $(cat "$HW_TMP/out")"
# Flags override the file.
expect_rc 1 -c "$HW_TMP/q.conf" --prefix none: labs
grep -qF 'no hirewire data under prefix none:' "$HW_TMP/err" || hw_fail "--prefix over the file: $(cat "$HW_TMP/err")"
URL=$MAIN_URL

hw_note "Redis answering with an error: exit 1"
expect_rc 1 --redis "$URL/99" labs
grep -qF "Redis at 127.0.0.1:$PORT: SELECT: ERR DB index is out of range" "$HW_TMP/err" || hw_fail "db 99: $(cat "$HW_TMP/err")"
hw_start_redis --rename-command SCAN '""'
NOSCAN=$HW_REDIS_PORT
redis-cli -p "$NOSCAN" SET hw:watermark 1751328000000 >/dev/null
redis-cli -p "$NOSCAN" ZADD hw:flow:365d:net 1 US >/dev/null
redis-cli -p "$NOSCAN" SET hw:offset:g:t:0 1 >/dev/null
for cmd in offers status "flows --window 7d"; do
  # shellcheck disable=SC2086
  expect_rc 1 --redis "redis://127.0.0.1:$NOSCAN" $cmd
  grep -qF "Redis at 127.0.0.1:$NOSCAN: SCAN 0: ERR unknown command" "$HW_TMP/err" || hw_fail "$cmd without SCAN: $(cat "$HW_TMP/err")"
done

hw_note "Redis going away under alerts --follow: exit 69"
"$Q" --redis "redis://127.0.0.1:$NOSCAN" alerts --follow >"$HW_TMP/follow.out" 2>"$HW_TMP/follow.err" &
FOLLOW=$!
HW_PIDS+=("$FOLLOW")
hw_wait_for "grep -q 'no alerts yet; waiting for new ones' '$HW_TMP/follow.out'" 10 || hw_fail "alerts --follow did not start"
redis-cli -p "$NOSCAN" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
frc=0
wait "$FOLLOW" || frc=$?
[[ $frc -eq 69 ]] || hw_fail "alerts --follow exited $frc when Redis went away: $(cat "$HW_TMP/follow.err")"
grep -qF "Redis at 127.0.0.1:$NOSCAN: XREAD" "$HW_TMP/follow.err" || hw_fail "follow's message: $(cat "$HW_TMP/follow.err")"

hw_note "usage errors: exit 2 naming the problem"
fixture
while IFS='|' read -r args msg; do
  # shellcheck disable=SC2086
  expect 2 "$msg" $args
  grep -q '^Usage: hirewire-query' "$HW_TMP/err" || hw_fail "$args: no usage after the error"
done <<'EOF'
labs --window 30d|--window does not apply to labs
lab msl --group oecd|--group does not apply to lab
alerts --top 3|--top does not apply to alerts
offers --follow|--follow does not apply to offers
flows --count 3|--count does not apply to flows
labs --html x.html|--html does not apply to labs
flows --lab msl|--lab does not apply to flows
status --addr 127.0.0.1:0|--addr does not apply to status
person p-1 --window 7d|--window does not apply to person
labs --top -1|--top "-1": expected a number of rows (0 = all)
labs --top 1000001|--top "1000001": expected a number of rows (0 = all)
labs --top 3x|--top "3x": expected a number of rows (0 = all)
alerts --count 0|--count "0": expected a number from 1 to 10000
alerts --count 10001|--count "10001": expected a number from 1 to 10000
flows --window 0d|--window "0d": expected a window like 30d or all
flows --window 3651d|--window "3651d": expected a window like 30d or all
flows --window 30|--window "30": expected a window like 30d or all
flows --group OECD|--group "OECD": expected a group name like oecd
flows --group abcdefghijabcdefghijabcdefghijabc|expected a group name like oecd
report --json --lab|--lab needs a value
report --json --frobnicate|unknown option --frobnicate
labs -x|unknown option -x
labs extra|labs: unexpected argument extra
report|report needs --html FILE (or --json)
timeline|timeline needs a lab or organisation name or slug
--json --csv labs|--json and --csv: give one
EOF
expect 2 "--lab needs a lab name or slug" report --json --lab ""
nine=()
for i in 1 2 3 4 5 6 7 8 9; do nine+=(--lab "lab$i"); done
expect 2 '--lab "lab9": give up to 8 lab names' report --json "${nine[@]}"
expect_rc 2 --redis "$URL" --redis "not-a-url" labs
expect_rc 2 --redis "$URL" --prefix "" labs
grep -qi prefix "$HW_TMP/err" || hw_fail "an empty prefix: $(cat "$HW_TMP/err")"
expect_rc 2 -c "$HW_TMP/nowhere.conf" labs
grep -qF "cannot open config file $HW_TMP/nowhere.conf" "$HW_TMP/err" || hw_fail "missing config: $(cat "$HW_TMP/err")"
printf 'redis.url = %s\nnot.a.key = 1\n' "$URL" >"$HW_TMP/bad.conf"
expect_rc 2 -c "$HW_TMP/bad.conf" labs
grep -qF "$HW_TMP/bad.conf:2: unknown key \"not.a.key\"" "$HW_TMP/err" || hw_fail "bad config: $(cat "$HW_TMP/err")"
expect_rc 2 --redis "$URL" serve --addr nowhere
grep -qF 'serve --addr "nowhere": expected HOST:PORT' "$HW_TMP/err" || hw_fail "serve --addr: $(cat "$HW_TMP/err")"
expect_rc 2 --redis "$URL" serve --addr 127.0.0.1:70000
expect_rc 2 --redis "$URL" serve --addr example.org:80
# A port already taken: the service is unavailable.
"$HW_PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(60)' "$HW_TMP/taken" &
HW_PIDS+=($!)
hw_wait_for "test -s '$HW_TMP/taken'" 10 || hw_fail "no port taken"
expect_rc 69 --redis "$URL" serve --addr "127.0.0.1:$(cat "$HW_TMP/taken")"
grep -qF "cannot serve on 127.0.0.1:$(cat "$HW_TMP/taken")" "$HW_TMP/err" || hw_fail "port taken: $(cat "$HW_TMP/err")"

hw_note "output that cannot be written: exit 1"
# /dev/full refuses every write.
rc_full=0
"$Q" --redis "$URL" --json report >/dev/full 2>"$HW_TMP/err" || rc_full=$?
[[ $rc_full -eq 1 ]] && grep -qF 'writing the output' "$HW_TMP/err" || hw_fail "report to /dev/full exited $rc_full: $(cat "$HW_TMP/err")"
expect_rc 1 --redis "$URL" report --html "$HW_TMP/no/such/dir/r.html"
grep -qF "cannot write $HW_TMP/no/such/dir/r.html" "$HW_TMP/err" || hw_fail "report to a missing folder: $(cat "$HW_TMP/err")"
[[ ! -e $HW_TMP/no ]] || hw_fail "report left a file behind"
# --html - writes the page on stdout, --json then the document after it.
expect_rc 0 --redis "$URL" report --html -
head -c 15 "$HW_TMP/out" | grep -qi '<!doctype html>' || hw_fail "report --html -: $(head -c 100 "$HW_TMP/out")"
# alerts --follow whose reader went away: exit 1 once it has a line to write.
{
  prc=0
  "$Q" --redis "$URL" alerts --follow 2>"$HW_TMP/pipe.err" || prc=$?
  echo "$prc" >"$HW_TMP/pipe.rc"
} | head -c 1 >/dev/null &
HW_PIDS+=($!)
hw_wait_for "redis-cli -p $PORT CLIENT LIST | grep -q 'cmd=xread'" 10 || hw_fail "alerts --follow is not waiting"
# New alerts until one finds the pipe closed.
hw_wait_for "redis-cli -p $PORT XADD hw:alerts '*' rule late severity INFO summary late event_time 1751328009000 &&
  test -s '$HW_TMP/pipe.rc'" 20 || hw_fail "alerts --follow did not stop when its reader went away"
[[ $(cat "$HW_TMP/pipe.rc") -eq 1 ]] || hw_fail "alerts --follow into a closed pipe exited $(cat "$HW_TMP/pipe.rc")"

echo PASS
