#!/usr/bin/env bash
# hirewire-query against a hand-made Redis state: for each command the
# --json output equals what tests/lib/query_check.py reads from Redis itself,
# field by field, and the table output carries the same numbers with the
# percentages, ranks and dollar amounts recomputed there. Also: alerts
# --follow prints a new alert and exits 0 on SIGTERM; an unknown lab and an
# empty prefix exit 1 with their messages, a lab every member left, a
# state with no lab, a window with no offers and one whose flows all left
# it say so and exit 0 (its CSV the header alone), a report
# onto a folder exits 1 leaving nothing; an unreachable Redis exits 69;
# usage errors exit 2; the password comes from REDIS_PASSWORD and is never
# printed.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"

CHECK=$HW_SRC_DIR/tests/lib/query_check.py

hw_start_redis
PORT=$HW_REDIS_PORT
URL=$HW_REDIS_URL
rc() { redis-cli -p "$PORT" "$@" >/dev/null; }
q() { "$Q" --redis "$URL" "$@"; }
check() { "$HW_PY" "$CHECK" "$1" --port "$PORT" "${@:2}" || hw_fail "query_check $*"; }


hw_note "the state"
MSL=hw:lab:meta-superintelligence-labs
rc HSET $MSL name "Meta Superintelligence Labs" members 22
rc HSET $MSL:origin OpenAI 9 "Google DeepMind" 5 Anthropic 4 Apple 4
rc HSET $MSL:nationality CN 10 US 7 unknown 3 KR 2
rc HSET $MSL:alma_mater unknown 12 "Tsinghua University" 5 "Peking University" 3 "Université de Montréal" 2
rc HSET $MSL:tier A 10 S 6 UNRATED 6
rc HSET $MSL:hires:30d Apple 4 OpenAI 3
rc HSET $MSL:hires:all OpenAI 11 "Google DeepMind" 5 Apple 4 Anthropic 4
rc HSET hw:lab:microsoft-ai name "Microsoft AI" members 20
rc HSET hw:lab:microsoft-ai:origin "Google DeepMind" 20
rc HSET hw:lab:openai name OpenAI members 5
rc ZADD hw:labs 22 meta-superintelligence-labs 20 microsoft-ai 5 openai

rc HSET hw:flow:365d:in US 30 KR 1 CN 2 GB 4 SG 1
rc HSET hw:flow:365d:out KR 3 US 10 CN 12 CA 2
rc ZADD hw:flow:365d:net 20 US -2 KR -10 CN 4 GB -2 CA 1 SG
rc ZADD hw:flow:365d:index 0.0571 US -0.36 KR -0.05 CN 0.8 GB -0.0364 CA
rc ZADD hw:flow:365d:index:oecd 0.0571 US -0.36 KR 0.8 GB -0.0364 CA
rc HSET hw:flow:30d:in US 2
rc HSET hw:flow:30d:out KR 2
rc ZADD hw:flow:30d:net 2 US -2 KR

rc HSET hw:org:meta:offers:365d extended 5 accepted 2 declined 1 extended_usd 1200000000 mega 3
rc HSET hw:org:apple:offers:365d extended 1 extended_usd 900000
rc HSET hw:org:google-deepmind:offers:365d extended 2 accepted 1 withdrawn 1 extended_usd 350000000 mega 1
rc HSET hw:org:google-deepmind name "Google DeepMind"                # the display name offers show
rc HSET hw:org:openai:offers:30d extended 1 extended_usd 500000
rc HSET hw:b:20250701:org:meta:offers extended 1            # a bucket, not a window
rc HSET other:org:xai:offers:365d extended 9 extended_usd 1  # another prefix
rc SET hw:watermark 1751328000000

rc XADD hw:alerts 1751328001000-0 alert_id mega_offer:e-fang rule mega_offer severity CRITICAL \
  subject p-luming-fang summary 'Meta extended a $200M offer to Luming Fang' \
  event_time 1751328000000 raised_at 1751328001000 event_ids '["e-fang"]' \
  attributes '{"offering_org":"Meta","total_value_usd":"200000000"}'
rc XADD hw:alerts 1751328002000-0 alert_id raid:apple:meta-superintelligence-labs:20250701 \
  rule raid severity WARN subject apple summary 'Apple lost 4 people to Meta Superintelligence Labs in 30d' \
  event_time 1751327999250 raised_at 1751328002000 event_ids '["e-1","e-2","e-3","e-4"]' \
  attributes '{"org":"apple","lab":"meta-superintelligence-labs","hires":"4"}'

hw_note "lab"
expect_rc 0 --redis "$URL" --json lab "Meta Superintelligence Labs"
cp "$HW_TMP/out" "$HW_TMP/lab.json"
expect_rc 0 --redis "$URL" lab "Meta Superintelligence Labs"
cp "$HW_TMP/out" "$HW_TMP/lab.txt"
check lab --name "Meta Superintelligence Labs" "$HW_TMP/lab.json" "$HW_TMP/lab.txt"
grep -q "Meta Superintelligence Labs" "$HW_TMP/lab.txt" || hw_fail "lab table lacks the name"
for p in "40.9%" "22.7%" "45.5%" "9.1%" "27.3%"; do
  grep -qF "$p" "$HW_TMP/lab.txt" || hw_fail "lab table lacks $p: $(cat "$HW_TMP/lab.txt")"
done
# --top N applies to every section: composition tables and hires alike.
q lab --top 1 "Meta Superintelligence Labs" >"$HW_TMP/lab1.txt" || hw_fail "lab --top 1"
[[ $(grep -c '^(.* more; --top 0 shows all)$' "$HW_TMP/lab1.txt") -ge 3 ]] ||
  hw_fail "lab --top 1 does not cut the sections: $(cat "$HW_TMP/lab1.txt")"
q --json lab --top 1 "Meta Superintelligence Labs" | "$HW_PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in ("origin", "nationality", "alma_mater", "tier"):
    assert len(d[k]) <= 1, (k, d[k])
for w, v in d["hires"].items():
    assert len(v) <= 1, (w, v)
assert len(d["origin"]) == 1' || hw_fail "lab --json --top 1 does not cut every section"
# The slug works as well as the name, and unquoted words are joined.
q --json lab meta-superintelligence-labs | cmp -s - "$HW_TMP/lab.json" || hw_fail "lab by slug differs"
q --json lab Meta Superintelligence Labs | cmp -s - "$HW_TMP/lab.json" || hw_fail "lab by words differs"
q lab --window all --json Microsoft AI >"$HW_TMP/msai.json" || hw_fail "lab Microsoft AI"
check lab --name "Microsoft AI" --window all "$HW_TMP/msai.json"
# UTF-8 aware alignment: the share column ends at the same character column.
"$HW_PY" - "$HW_TMP/lab.txt" <<'EOF' || hw_fail "school table is not aligned by characters"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = lines.index(next(l for l in lines if l.startswith("school")))
block = []
for l in lines[start:]:
    if not l.strip():
        break
    block.append(l)
assert len({len(l) for l in block}) == 1, block
EOF

hw_note "labs"
q --json labs >"$HW_TMP/labs.json" || hw_fail "labs --json"
q labs >"$HW_TMP/labs.txt" || hw_fail "labs"
check labs "$HW_TMP/labs.json" "$HW_TMP/labs.txt"
grep -qF "46.8%" "$HW_TMP/labs.txt" || hw_fail "labs table lacks 46.8%: $(cat "$HW_TMP/labs.txt")"
[[ $(q --json labs --top 1 | "$HW_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))') == 1 ]] ||
  hw_fail "labs --top 1 does not give one lab"

hw_note "flows"
q --json flows >"$HW_TMP/flows.json" || hw_fail "flows --json"
q flows >"$HW_TMP/flows.txt" || hw_fail "flows"
check flows --group oecd "$HW_TMP/flows.json" "$HW_TMP/flows.txt"
grep -qE '^KR +1 +3 +-2 +-0\.36 +4/4$' "$HW_TMP/flows.txt" || hw_fail "flows table KR row: $(cat "$HW_TMP/flows.txt")"
q --json flows --window 30d >"$HW_TMP/flows30.json" || hw_fail "flows --window 30d"
# No hw:flow:30d:index:oecd: no group, no ranks.
check flows --window 30d "$HW_TMP/flows30.json"
# A group or window that is not there: a usage error naming those that are.
expect_rc 2 --redis "$URL" --json flows --group g20
grep -qx 'hirewire-query: flows --group g20: no such group in window 365d (groups: oecd)' "$HW_TMP/err" ||
  hw_fail "flows --group g20: $(cat "$HW_TMP/err")"
[[ ! -s $HW_TMP/out ]] || hw_fail "flows --group g20 printed a result"
expect_rc 2 --redis "$URL" flows --window 30d --group oecd
grep -q 'no such group in window 30d (groups: none)' "$HW_TMP/err" || hw_fail "flows --window 30d --group oecd: $(cat "$HW_TMP/err")"
expect_rc 2 --redis "$URL" flows --window 14d
grep -qx 'hirewire-query: flows --window 14d: no such window under prefix hw: (windows: 30d, 365d)' "$HW_TMP/err" ||
  hw_fail "flows --window 14d: $(cat "$HW_TMP/err")"

hw_note "offers"
q --json offers >"$HW_TMP/offers.json" || hw_fail "offers --json"
q offers >"$HW_TMP/offers.txt" || hw_fail "offers"
check offers --money meta '$1.2B' --money google-deepmind '$350M' --money apple '$900k' \
  "$HW_TMP/offers.json" "$HW_TMP/offers.txt"
q --json offers --window 30d >"$HW_TMP/offers30.json" || hw_fail "offers --window 30d"
check offers --window 30d "$HW_TMP/offers30.json"

hw_note "alerts"
q --json alerts >"$HW_TMP/alerts.json" || hw_fail "alerts --json"
q alerts >"$HW_TMP/alerts.txt" || hw_fail "alerts"
check alerts "$HW_TMP/alerts.json" "$HW_TMP/alerts.txt"
"$HW_PY" -c '
import json, sys
doc = {a["rule"]: a for a in json.load(open(sys.argv[1]))}
assert doc["mega_offer"]["attributes"] == {"offering_org": "Meta", "total_value_usd": "200000000"}, doc
assert doc["raid"]["attributes"]["hires"] == "4", doc' "$HW_TMP/alerts.json" || hw_fail "alert attributes are not JSON objects"
q --json alerts --count 1 >"$HW_TMP/alerts1.json" || hw_fail "alerts --count 1"
check alerts --count 1 "$HW_TMP/alerts1.json"
# By event time: the raid (raised second) happened first.
head -1 "$HW_TMP/alerts.txt" | grep -qE "^2025-06-30T23:59:59.250Z +WARN +raid " ||
  hw_fail "alerts are not by event time: $(cat "$HW_TMP/alerts.txt")"
expect_rc 0 --redis "$URL" --prefix none: alerts
grep -qx "no alerts" "$HW_TMP/out" || hw_fail "alerts on a missing stream: $(cat "$HW_TMP/out")"

hw_note "alerts --follow"
"$Q" --redis "$URL" --json alerts --follow --count 1 >"$HW_TMP/follow.jsonl" 2>"$HW_TMP/follow.err" &
FOLLOW=$!
HW_PIDS+=("$FOLLOW")
hw_wait_for "test \$(wc -l <'$HW_TMP/follow.jsonl') -ge 1" 10 || hw_fail "alerts --follow printed nothing"
rc XADD hw:alerts '*' alert_id top_tier_move:e-9 rule top_tier_move severity WARN subject p-x \
  summary 'A tier S researcher moved' event_time 1751328005000 raised_at 1751328006000 event_ids '["e-9"]'
hw_wait_for "test \$(wc -l <'$HW_TMP/follow.jsonl') -ge 2" 10 || hw_fail "alerts --follow missed the new alert"
kill -TERM "$FOLLOW"
frc=0
wait "$FOLLOW" || frc=$?
[[ $frc -eq 0 ]] || hw_fail "alerts --follow exited $frc on SIGTERM: $(cat "$HW_TMP/follow.err")"
check alerts --lines --count 2 "$HW_TMP/follow.jsonl"

hw_note "person"
# A registry record as docs/redis-keys.md gives it: field <person_id> of
# hw:persons:<bucket_of id>, seven <length>:<bytes> parts.
bucket=$(bucket_of p-bowen-zhang)
rc HSET "hw:persons:$bucket" p-bowen-zhang \
  "27:Meta Superintelligence Labs6:OpenAI2:CN19:Tsinghua University1:S13:17513280000007:e-bowen"
expect_rc 0 --redis "$URL" --json person p-bowen-zhang
"$HW_PY" - "$HW_TMP/out" <<'PY' || hw_fail "person --json: $(cat "$HW_TMP/out")"
import json, sys
got = json.load(open(sys.argv[1]))
want = {"person_id": "p-bowen-zhang", "lab": "Meta Superintelligence Labs",
        "lab_slug": "meta-superintelligence-labs", "since": "2025-07-01T00:00:00Z",
        "since_ms": 1751328000000, "origin": "OpenAI", "nationality": "CN",
        "alma_mater": "Tsinghua University", "tier": "S", "event_id": "e-bowen"}
if got != want:
    sys.exit(f"got {got}, want {want}")
PY
expect_rc 0 --redis "$URL" person p-bowen-zhang
for v in "Meta Superintelligence Labs" "2025-07-01T00:00:00Z" OpenAI "Tsinghua University" e-bowen; do
  grep -qF "$v" "$HW_TMP/out" || hw_fail "person table lacks $v: $(cat "$HW_TMP/out")"
done
expect_rc 1 --redis "$URL" person p-nobody
grep -qF 'no person "p-nobody" under prefix hw:' "$HW_TMP/err" || hw_fail "unknown person message: $(cat "$HW_TMP/err")"
[[ ! -s $HW_TMP/out ]] || hw_fail "unknown person printed on stdout"
rc HSET "hw:persons:$(bucket_of p-broken)" p-broken "not a record"
expect_rc 1 --redis "$URL" person p-broken
grep -qF 'is not a person record hirewire writes' "$HW_TMP/err" || hw_fail "bad record message: $(cat "$HW_TMP/err")"
expect_rc 2 --redis "$URL" person
grep -qF 'person needs a person_id' "$HW_TMP/err" || hw_fail "person without an id: $(cat "$HW_TMP/err")"

hw_note "--csv: the tables' rows equal the JSON's values; quoting as RFC 4180 says"
rc XADD hw:alerts '*' alert_id mega_offer:e-q rule mega_offer severity CRITICAL \
  subject p-q summary 'Meta offer of $1.5B, "the largest"' event_time 1751328003000 \
  raised_at 1751328003000 event_ids '["e-q"]' attributes '{}'
for cmd in labs offers flows "alerts --count 50"; do
  name=${cmd%% *}
  # shellcheck disable=SC2086
  expect_rc 0 --redis "$URL" --json $cmd
  cp "$HW_TMP/out" "$HW_TMP/$name.json"
  # shellcheck disable=SC2086
  expect_rc 0 --redis "$URL" --csv $cmd
  cp "$HW_TMP/out" "$HW_TMP/$name.csv"
done
expect_rc 0 --redis "$URL" --csv lab "Meta Superintelligence Labs"
cp "$HW_TMP/out" "$HW_TMP/lab.csv"
"$HW_PY" - "$HW_TMP" <<'PY' || hw_fail "--csv differs from --json"
import csv, io, json, os, sys
d = sys.argv[1]
def rows(name):
    return list(csv.reader(open(os.path.join(d, name + ".csv"), newline="")))
def js(name):
    return json.load(open(os.path.join(d, name + ".json")))
def same(what, got, want):
    if got != want:
        sys.exit(f"{what}: csv {got!r} != json {want!r}")

r = rows("labs")
same("labs header", r[0], ["#", "lab", "slug", "members", "share"])
same("labs rows", [(x[1], x[2], int(x[3])) for x in r[1:]],
     [(o["name"], o["slug"], o["members"]) for o in js("labs")])

r = rows("offers")
fields = ["extended", "accepted", "declined", "withdrawn", "extended_usd", "mega"]
same("offers header", r[0], ["org"] + fields)
same("offers rows", [[x[0]] + [int(v) for v in x[1:]] for x in r[1:]],
     [[o["name"] or o["org"]] + [o[f] for f in fields] for o in js("offers")["orgs"]])

r = rows("flows")
same("flows header", r[0], ["country", "in", "out", "net", "index", "rank oecd"])
same("flows rows",
     [(x[0], int(x[1]), int(x[2]), int(x[3]), int(x[5]) if x[5] else None) for x in r[1:]],
     [(o["country"], o["in"], o["out"], o["net"], o.get("rank")) for o in js("flows")["countries"]])

r = rows("alerts")
cols = ["severity", "rule", "subject", "summary", "alert_id"]
same("alerts header", r[0], ["event_time"] + cols)
same("alerts rows", [x[1:] for x in r[1:]], [[o[c] for c in cols] for o in js("alerts")])
if ['Meta offer of $1.5B, "the largest"'] != [x[4] for x in r[1:] if x[5] == "mega_offer:e-q"]:
    sys.exit("the summary with a comma and quotes did not come back as it was")
raw = open(os.path.join(d, "alerts.csv")).read()
if '"Meta offer of $1.5B, ""the largest"""' not in raw:
    sys.exit("the summary with a comma and quotes is not quoted as RFC 4180 says")

blocks = [b for b in open(os.path.join(d, "lab.csv")).read().split("\n\n")]
heads = [b.splitlines()[0] for b in blocks]
same("lab sections", heads, ["origin,members,share", "nationality,members,share",
                             "school,members,share", "tier,members,share", "hired from,30d,all"])
origin = {x[0]: int(x[1]) for x in list(csv.reader(io.StringIO(blocks[0])))[1:]}
same("lab origin", origin, {"OpenAI": 9, "Google DeepMind": 5, "Anthropic": 4, "Apple": 4})
PY
expect_rc 2 --redis "$URL" --json --csv labs
grep -qF -- '--json and --csv: give one' "$HW_TMP/err" || hw_fail "--json --csv: $(cat "$HW_TMP/err")"

hw_note "unknown lab, empty prefix"
expect_rc 1 --redis "$URL" lab "Nope Labs"
grep -qF 'no lab "Nope Labs" (slug nope-labs) in Redis under prefix hw:; try `hirewire-query labs`' "$HW_TMP/err" ||
  hw_fail "unknown lab message: $(cat "$HW_TMP/err")"
[[ ! -s $HW_TMP/out ]] || hw_fail "unknown lab printed on stdout"
expect_rc 1 --redis "$URL" lab '!!!'
grep -qF 'no lab "!!!" (slug "") in Redis' "$HW_TMP/err" || hw_fail "a name with no slug: $(cat "$HW_TMP/err")"

hw_note "a lab every member left, a state with no lab: said, not an error"
rc SET quiet:watermark 1751328000000
rc HSET quiet:lab:emptied name "Emptied Lab" members 0
expect_rc 0 --redis "$URL" --prefix quiet: lab emptied
for section in origin nationality school tier hires; do
  grep -qx "$section: none" "$HW_TMP/out" || hw_fail "lab emptied: no '$section: none': $(cat "$HW_TMP/out")"
done
grep -qx 'members: 0' "$HW_TMP/out" || hw_fail "lab emptied: $(cat "$HW_TMP/out")"
expect_rc 0 --redis "$URL" --prefix quiet: labs
grep -qx 'no labs' "$HW_TMP/out" || hw_fail "labs with none: $(cat "$HW_TMP/out")"
rc HSET quiet:org:x:offers:365d extended 1
expect_rc 0 --redis "$URL" --prefix quiet: offers --window 30d
grep -qx 'no offers in window 30d' "$HW_TMP/out" || hw_fail "offers in an empty window: $(cat "$HW_TMP/out")"
# A window whose flows all left it: its index keeps the countries with a
# base (at 0), and there is no row: said, and the CSV is its header alone.
rc ZADD quiet:flow:30d:index 0 KR 0 US
rc ZADD quiet:flow:30d:index:oecd 0 KR 0 US
expect_rc 0 --redis "$URL" --prefix quiet: flows --window 30d
grep -qx 'no flows in window 30d' "$HW_TMP/out" || hw_fail "flows in an emptied window: $(cat "$HW_TMP/out")"
expect_rc 0 --redis "$URL" --prefix quiet: --csv flows --window 30d
[[ $(cat "$HW_TMP/out") == 'country,in,out,net,index,rank oecd' ]] || hw_fail "CSV flows in an emptied window: $(cat "$HW_TMP/out")"
expect_rc 0 --redis "$URL" --prefix quiet: --json flows --window 30d
"$HW_PY" -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert (d["countries"], d["group"], d["group_size"]) == ([], "oecd", 2), d' "$HW_TMP/out" ||
  hw_fail "JSON flows in an emptied window: $(cat "$HW_TMP/out")"
mkdir "$HW_TMP/a-folder"
expect_rc 1 --redis "$URL" --prefix quiet: report --html "$HW_TMP/a-folder"
grep -qF "cannot write $HW_TMP/a-folder: Is a directory" "$HW_TMP/err" || hw_fail "report onto a folder: $(cat "$HW_TMP/err")"
[[ -z $(ls -A "$HW_TMP/a-folder") && $(ls "$HW_TMP" | grep -c '^a-folder') -eq 1 ]] || hw_fail "report onto a folder left files"
for cmd in labs flows offers "lab Meta" "person p-bowen-zhang"; do
  # shellcheck disable=SC2086
  expect_rc 1 --redis "$URL" --prefix empty: $cmd
  grep -qF 'Redis holds no hirewire data under prefix empty: (has the consumer run?)' "$HW_TMP/err" ||
    hw_fail "empty prefix message for $cmd: $(cat "$HW_TMP/err")"
done

hw_note "unreachable Redis, usage"
FREE=$(hw_free_port)
expect_rc 69 --redis "redis://127.0.0.1:$FREE" labs
grep -qF "127.0.0.1:$FREE" "$HW_TMP/err" || hw_fail "unreachable message does not name the address: $(cat "$HW_TMP/err")"
expect_rc 2 --redis "$URL"
expect_rc 2 --redis "$URL" frobnicate
expect_rc 2 --redis "$URL" labs --follow
expect_rc 2 --redis "$URL" flows --window 7x
expect_rc 2 --redis "$URL" lab
expect_rc 2 --redis "not-a-url" labs
expect_rc 0 --help
grep -q "Usage: hirewire-query" "$HW_TMP/out" || hw_fail "--help"
expect_rc 0 --version
grep -qE '^hirewire-query [0-9]+\.[0-9]+\.[0-9]+' "$HW_TMP/out" || hw_fail "--version: $(cat "$HW_TMP/out")"

hw_note "password"
HW_REDIS_CLI_AUTH="-a s3cr3t-pw --no-auth-warning" hw_start_redis --requirepass s3cr3t-pw
redis-cli -p "$HW_REDIS_PORT" -a s3cr3t-pw --no-auth-warning ZADD hw:labs 1 solo >/dev/null
redis-cli -p "$HW_REDIS_PORT" -a s3cr3t-pw --no-auth-warning HSET hw:lab:solo name Solo members 1 >/dev/null
REDIS_PASSWORD=s3cr3t-pw "$Q" --redis "$HW_REDIS_URL" --json labs >"$HW_TMP/pw.json" || hw_fail "labs with REDIS_PASSWORD"
"$HW_PY" "$CHECK" labs --port "$HW_REDIS_PORT" --password s3cr3t-pw "$HW_TMP/pw.json" || hw_fail "labs with a password"
expect_rc 69 --redis "$HW_REDIS_URL" labs
expect_rc 69 --redis "redis://:wrong-pw-123@127.0.0.1:$HW_REDIS_PORT" labs
if grep -q "wrong-pw-123" "$HW_TMP/err" "$HW_TMP/out"; then hw_fail "the password was printed"; fi

echo PASS
