#!/usr/bin/env bash
# brain_drain, judged when the consumer has read to the end of what it reads
# (docs/redis-keys.md): a live stream raises it on the day a country's 365d
# index goes below -0.30, not again within 365 days of that (a recovery and
# a second dip are the same drain), and again once a year has passed with
# the index still below; the same events read as one backlog, one event per
# atomic step, are judged once, at the end, whatever the batches; a replay
# with --alerts judged on a later day within the year raises nothing; a
# backlog whose last events lift the index back raises nothing; and in a
# group of two, the consumer done first does not judge while the other is
# behind.
# EE (base 1,500 in deploy/config/talent-bases.csv): one net hire out of it
# is -6.67 per 10,000.
source "$(dirname "$0")/lib/services.sh"

hire() { # hire N DAY FROM TO: one hire of person p-N, FROM -> TO countries
  printf '{"type":"hire","event_id":"drain-%s","occurred_at":"%sT12:00:00Z","person_id":"p-%s","person_name":"Person %s","from_org":"Org %s","from_lab":null,"to_org":"Lab %s","to_lab":null,"from_country":"%s","to_country":"%s","nationality":"%s","alma_mater":null,"tier":"B","compensation_usd":null,"source_url":null}\n' \
    "$1" "$2" "$1" "$1" "$1" "$1" "$3" "$4" "$3"
}
# Each piece is read by a live consumer before the next is published.
hire 1 2025-01-10 EE US >"$HW_TMP/piece1"   # EE -6.67: a drain, on 2025-01-10
hire 2 2025-02-01 US EE >"$HW_TMP/piece2"   # EE 0: recovered
hire 3 2025-03-01 EE GB >"$HW_TMP/piece3"   # -6.67 again, within a year: same drain
hire 4 2025-12-20 US FR >"$HW_TMP/piece4"   # still below, no EE move
hire 5 2026-01-20 EE DE >"$HW_TMP/piece5"   # still below, 375 days on: a new alert
cat "$HW_TMP"/piece{1,2,3,4,5} >"$HW_TMP/all.ndjson"
hire 6 2026-02-10 US FR >"$HW_TMP/tail"     # EE still below, 21 days on: same drain
hire 7 2026-02-11 US EE >"$HW_TMP/lift"
hire 8 2026-02-11 US EE >>"$HW_TMP/lift"    # EE 0 at the end

# judged KEY: every partition in the group's ends hash KEY is at its end,
# which the step that judges brain_drain writes.
judged() {
  local v
  v=$(redis-cli -p "$HW_REDIS_PORT" HVALS "$1")
  [[ -n $v && -z $(grep -vx 1 <<<"$v") ]]
}
drains() { # drains ALERTS_PREFIX: the brain_drain ids of that stream, in order
  redis-cli -p "$HW_REDIS_PORT" --raw XRANGE "${1}alerts" - + |
    awk 'p == "alert_id" {print} {p = $0}' | grep '^brain_drain:' || true
}

hw_start_redis
hw_start_broker --partitions 1
hw_note "live: five pieces, each read to the end before the next"
hw_consumer_bg
n=0
for k in 1 2 3 4 5; do
  hw_produce "$HW_TMP/piece$k"
  n=$((n + 1))
  hw_wait_for "[[ \$(redis-cli -p $HW_REDIS_PORT GET hw:offset:hirewire:talent.hires:0) == $n ]]" 30 ||
    hw_fail "piece $k was not applied: $(tail -3 "$HW_CONSUMER_LOG")"
  # The end-of-partition event may come a fetch after the piece.
  hw_wait_for "judged hw:ends:hirewire" 30 || hw_fail "piece $k was not judged"
done
kill "$HW_CONSUMER_PID"
wait "$HW_CONSUMER_PID" || hw_fail "the consumer exited $? on SIGTERM"
printf '%s\n' brain_drain:EE:20250110 brain_drain:EE:20260120 >"$HW_TMP/live.want"
drains hw: >"$HW_TMP/live.got"
diff "$HW_TMP/live.want" "$HW_TMP/live.got" >&2 || hw_fail "live brain_drains differ (< expected, > raised)"
[[ $(redis-cli -p "$HW_REDIS_PORT" HGET hw:alert:drain EE) -eq 20473 ]] ||
  hw_fail "hw:alert:drain EE is not 20473 (2026-01-20)"
# Read whole first: grep -q stops at the first match, and redis-cli,
# still writing a long stream, would die of SIGPIPE (a failure under
# pipefail).
redis-cli -p "$HW_REDIS_PORT" --raw XRANGE hw:alerts - + >"$HW_TMP/alerts.raw"
grep -q '"index":"-6.6667"' "$HW_TMP/alerts.raw" ||
  hw_fail "the alert does not carry the index"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_alert_events.py" "$HW_REDIS_PORT" hw: "$HW_TMP/all.ndjson" ||
  hw_fail "the live alerts are not true to the events"

hw_note "the same events as a backlog, one event per step: judged once, at the end"
hw_consume_all --group backlog --prefix bl: -s alerts.prefix=bl: -s batch.max.events=1
echo brain_drain:EE:20260120 >"$HW_TMP/backlog.want"
drains bl: >"$HW_TMP/backlog.got"
diff "$HW_TMP/backlog.want" "$HW_TMP/backlog.got" >&2 || hw_fail "backlog brain_drains differ (< expected, > raised)"
hw_model_check bl: "$HW_TMP/all.ndjson"

hw_note "a replay with --alerts, ending 21 days after the live alert: nothing raised again"
hw_produce "$HW_TMP/tail"
before=$(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts)
# Without hw:alert:drain (as written before it existed) the alert ids say
# the same, and the day found there is kept.
redis-cli -p "$HW_REDIS_PORT" DEL hw:alert:drain >/dev/null
hw_consumer --replay --alerts || hw_fail "replay exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts) -eq $before ]] ||
  hw_fail "the replay raised: $(drains hw: | tail -n +3)"
[[ $(redis-cli -p "$HW_REDIS_PORT" HGET hw:alert:drain EE) -eq 20473 ]] ||
  hw_fail "the day found in hw:alert:ids was not kept in hw:alert:drain"
hw_model_check hw: "$HW_TMP/all.ndjson" "$HW_TMP/tail"

hw_note "a backlog whose last events lift EE back: no brain_drain"
hw_produce "$HW_TMP/lift"
hw_consume_all --group lifted --prefix lf: -s alerts.prefix=lf: -s batch.max.events=1
[[ -z $(drains lf:) ]] || hw_fail "brain_drain raised on a backlog that ends above: $(drains lf:)"
hw_model_check lf: "$HW_TMP/all.ndjson" "$HW_TMP/tail" "$HW_TMP/lift"

hw_note "two consumers of one group on a backlog: the one done first waits for the other"
# On 2 partitions (key = person_id, CRC32 % 2): a hire out of EE early in
# partition 0 and its return last in partition 1, and the same for IS the
# other way round, behind 4,000 US moves in each. Whichever partition the
# fast consumer gets, the part it has read when done shows EE or IS below;
# the stream as a whole shows neither.
"$HW_PY" - "$HW_TMP/pair.ndjson" <<'PY'
import json, sys, zlib
out, rows = open(sys.argv[1], "w"), {0: [], 1: []}
def person(parity, tag):
    k = 0
    while zlib.crc32(f"p-{tag}-{k}".encode()) % 2 != parity:
        k += 1
    return f"p-{tag}-{k}"
def hire(pid, day, src, dst):
    return {"type": "hire", "event_id": "pair-" + pid, "occurred_at": day + "T12:00:00Z",
            "person_id": pid, "person_name": "Person " + pid, "from_org": "Org " + pid,
            "from_lab": None, "to_org": "Lab " + pid, "to_lab": None, "from_country": src,
            "to_country": dst, "nationality": src, "alma_mater": None, "tier": "B",
            "compensation_usd": None, "source_url": None}
for part, out_cc, back_cc in ((0, "EE", "IS"), (1, "IS", "EE")):
    rows[part].append(hire(person(part, "out" + out_cc), "2025-03-01", out_cc, "US"))
    for i in range(4000):
        rows[part].append(hire(person(part, f"f{part}x{i}"), "2025-03-01", "US", "US"))
    rows[part].append(hire(person(part, "back" + back_cc), "2025-03-02", "US", back_cc))
for part in (0, 1):
    for r in rows[part]:
        out.write(json.dumps(r) + "\n")
PY
hw_start_broker --partitions 2
hw_produce "$HW_TMP/pair.ndjson"
pair=(--group pair --prefix pr: -s alerts.prefix=pr: -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
offsets() {
  redis-cli -p "$HW_REDIS_PORT" --raw EVAL \
    "local s=0 for _,k in ipairs(redis.call('KEYS','pr:offset:*')) do s=s+tonumber(redis.call('GET',k)) end return s" 0
}
hw_consumer_bg "${pair[@]}" -s batch.max.events=1   # slow: one event per step
slow=$HW_CONSUMER_PID slow_log=$HW_CONSUMER_LOG
hw_wait_for "[[ \$(offsets) -gt 0 ]]" 30 || hw_fail "the slow consumer took nothing"
hw_consumer_bg "${pair[@]}"
fast=$HW_CONSUMER_PID
total=$(wc -l <"$HW_TMP/pair.ndjson")
hw_wait_for "[[ \$(offsets) -eq $total ]]" 120 || hw_fail "the group applied $(offsets) of $total"
hw_wait_for "judged pr:ends:pair" 30 || hw_fail "the group never judged: $(redis-cli -p "$HW_REDIS_PORT" HGETALL pr:ends:pair)"
kill "$slow" "$fast"
wait "$slow" || hw_fail "the slow consumer exited $? on SIGTERM"
wait "$fast" || hw_fail "the fast consumer exited $? on SIGTERM"
grep -q 'msg="partitions assigned" partitions=2$' "$HW_CONSUMER_LOG" || hw_fail "the fast consumer did not get a share"
# Thousands of steps, a rebalance among them (whose commits to Kafka fail
# as a matter of course): a few log lines, not one per step.
n=$(grep -vc "level=debug" "$slow_log" || true)
[[ $n -lt 40 ]] || hw_fail "the slow consumer logged $n lines: $(sort "$slow_log" | cut -c 25-120 | uniq -c | sort -rn | head -3)"
[[ -z $(drains pr:) ]] || hw_fail "brain_drain raised on part of the backlog: $(drains pr:)"
hw_model_check pr: "$HW_TMP/pair.ndjson"
echo PASS
