"""Helper of bench/soak.sh: the model comparison at the end of a soak run.

Builds the independent model (tests/lib/model.py) once from the events
published, as NDJSON on stdin (hirewire-produce --dry-run of the same
--generate), and compares every key under hw: in Redis with it and the
window invariant (model.py check), then counts the hires and offers in
Redis against the model (tests/lib/count_events.py): what was lost and
what was counted twice. Exits 1 on any difference.

With EXCLUDE, a file of event ids one a line, those events are left out
of the model: the events Kafka lost before the consumer could read them,
so that what the consumer did with the rest is judged on its own.

usage: soak_check.py REDIS_PORT BASES GROUPS [EXCLUDE] < EVENTS.ndjson
"""
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import model  # noqa: E402

port, bases, groups = int(sys.argv[1]), sys.argv[2], sys.argv[3]
events = "/dev/stdin"
if len(sys.argv) > 4:
    with open(sys.argv[4]) as f:
        exclude = {line.strip() for line in f if line.strip()}
    kept = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
    left_out = 0
    for line in sys.stdin:
        eid = json.loads(line).get("event_id") if line.strip() else None
        if eid in exclude:
            left_out += 1
            continue
        kept.write(line)
    kept.close()
    events = kept.name
    if left_out != len(exclude):
        print(f"model: {len(exclude)} events to leave out, {left_out} found among those published")
        sys.exit(1)
    print(f"model: {left_out} events Kafka does not hold left out")
args = types.SimpleNamespace(prefix="hw:", windows="7,30,90,365", seen_days=365, no_raid=False,
                             mega=100_000_000, no_validate=False, bases=bases, groups=groups,
                             events=[events], redis=None, redis_host="127.0.0.1",
                             redis_port=port, password=None, db=0)
m = model.build_model(args)
expected = m.expected_state()
r = model._redis(args)
diffs = model.compare(r, args.prefix, expected, limit=0)
violations = model.check_windows(r, args.prefix, model._windows(args.windows), args.seen_days, limit=0)
for line in diffs[:20]:
    print("model: " + line)
for line in violations[:20]:
    print("model: window: " + line)


def total(pattern, fields=None):
    s = 0
    for key in r.scan_iter(match=pattern, count=1000):
        for f, v in r.hgetall(key).items():
            if fields is None or f.decode() in fields:
                s += int(v)
    return s


want_hires = m.stats["move"] + m.stats["late"]
want_offers = m.stats["offer"]
got_hires = total("hw:lab:*:hires:all")
got_offers = total("hw:org:*:offers:all", {"extended", "accepted", "declined", "withdrawn"})
lost = max(0, want_hires - got_hires) + max(0, want_offers - got_offers)
dup = max(0, got_hires - want_hires) + max(0, got_offers - want_offers)
valid = sum(m.stats[k] for k in ("move", "late", "repeat", "offer"))
ok = not diffs and not violations and not lost and not dup
print(f"model: {valid} valid events, {len(expected)} keys expected: {len(diffs)} differences, "
      f"{len(violations)} window violations; hires counted {got_hires} of {want_hires}, "
      f"offers {got_offers} of {want_offers}: lost {lost}, counted twice {dup}: "
      + ("equal" if ok else "FAILED"))
if events != "/dev/stdin":
    os.unlink(events)
sys.exit(0 if ok else 1)
