#!/usr/bin/env bash
# hirewire-query timeline against what the consumer wrote: for labs and
# organisations of the scenario and a generated stream, each window's days
# (hires into the lab, hires out of the org) equal those of the independent
# model (tests/lib/model.py, from the NDJSON), the totals equal the windowed
# hashes Redis holds, and the table and --csv carry the same rows. An
# unknown name exits 1; --window all and a missing name exit 2.
source "$(dirname "$0")/lib/services.sh"

Q=$HW_BIN_DIR/hirewire-query
hw_start_redis
hw_start_broker --partitions 4
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 6000 --seed 97 --span-days 120 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
hw_produce "$HW_TMP/gen.ndjson"
hw_consume_all
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson"

hw_note "timeline of labs and orgs in 7d, 30d and 365d against the model"
"$HW_PY" - "$Q" "$HW_REDIS_URL" "$HW_REDIS_PORT" "$HW_TMP" \
  "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson" <<'PY' || hw_fail "timeline differs from the model"
import csv, io, json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["HW_SRC_DIR"], "tests", "lib"))
import model
import redis

q, url, port, tmp, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
m = model.Model()
for ev in model.read_events(files):
    m.apply(ev)
r = redis.Redis(port=port)
last = model.day_of(m.watermark)
labs = [s for s, _ in m.members.most_common(4)]
orgs = sorted({x.split(":")[1] for d in m.daily.values() for x in d if x.startswith("org:") and x.endswith(":losses")})[:4]
names = labs + [o for o in orgs if o not in labs] + ["OpenAI", "Meta Superintelligence Labs"]
checked = 0
for name in names:
    slug = model.slug(name)
    for w in (7, 30, 365):
        want = []
        for d in range(last - w + 1, last + 1):
            i = sum(m.daily.get(d, {}).get(f"lab:{slug}:hires", {}).values())
            o = sum(m.daily.get(d, {}).get(f"org:{slug}:losses", {}).values())
            if i or o:
                want.append({"day": model.ymd(d)[:4] + "-" + model.ymd(d)[4:6] + "-" + model.ymd(d)[6:],
                             "hires_in": i, "losses_out": o})
        run = lambda *a: subprocess.run([q, "--redis", url, *a, "timeline", "--window", f"{w}d", name],
                                        capture_output=True, text=True)
        p = run("--json")
        if p.returncode:
            sys.exit(f"timeline {name} {w}d exited {p.returncode}: {p.stderr}")
        got = json.loads(p.stdout)
        if got["days"] != want:
            sys.exit(f"timeline {name} {w}d: got {got['days']}, model {want}")
        # The window invariant: the days add up to the windowed hashes.
        for key, field in ((f"hw:lab:{slug}:hires:{w}d", "hires_in"), (f"hw:org:{slug}:losses:{w}d", "losses_out")):
            held = sum(int(v) for v in r.hgetall(key).values())
            if got[field] != held:
                sys.exit(f"timeline {name} {w}d: {field} {got[field]}, {key} sums to {held}")
        c = run("--csv")
        rows = list(csv.reader(io.StringIO(c.stdout)))
        if rows[0] != ["day", "hires in", "losses out"] or \
           [[x["day"], str(x["hires_in"]), str(x["losses_out"])] for x in want] != rows[1:]:
            sys.exit(f"timeline {name} {w}d --csv: {rows}")
        t = run()
        for x in want:
            if not any(l.split() == [x["day"], str(x["hires_in"]), str(x["losses_out"])] for l in t.stdout.splitlines()):
                sys.exit(f"timeline {name} {w}d table lacks {x}: {t.stdout}")
        checked += len(want)
if checked < 50:
    sys.exit(f"only {checked} days with hires checked: the stream is too thin for this test")
print(f"ok: {checked} days of {len(names)} labs and organisations")
PY

hw_note "errors"
rc=0
"$Q" --redis "$HW_REDIS_URL" timeline "Nope Labs" >"$HW_TMP/out" 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "timeline of an unknown name exited $rc, want 1"
grep -qF 'no lab or organisation "Nope Labs" (slug nope-labs)' "$HW_TMP/err" || hw_fail "unknown name: $(cat "$HW_TMP/err")"
rc=0
"$Q" --redis "$HW_REDIS_URL" timeline --window all OpenAI >"$HW_TMP/out" 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 2 ]] || hw_fail "timeline --window all exited $rc, want 2"
grep -qF 'kept for the largest window only' "$HW_TMP/err" || hw_fail "--window all: $(cat "$HW_TMP/err")"
rc=0
"$Q" --redis "$HW_REDIS_URL" timeline >"$HW_TMP/out" 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 2 ]] || hw_fail "timeline without a name exited $rc, want 2"
echo PASS
