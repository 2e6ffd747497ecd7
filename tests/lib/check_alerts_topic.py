"""Checks the alerts topic (kcat dump, tests/lib/services.sh hw_kcat_dump)
against the alert ids of the hw:alerts stream: every message is an Avro
Alert (schema id 4, decoded with python3-avro), keyed by its alert_id, and
the set of alert_ids covers the stream's (duplicates allowed: at least
once); the topic holds no other ids than those and ALSO_FILE's, if given.
usage: check_alerts_topic.py DUMP IDS_FILE [ALSO_FILE]"""
import sys

import hwcheck

registry = hwcheck.load_registry()
want = {line.strip() for line in open(sys.argv[2]) if line.strip()}
also = {line.strip() for line in open(sys.argv[3]) if line.strip()} if len(sys.argv) > 3 else set()
got, problems = {}, []
with open(sys.argv[1], "rb") as f:
    for topic, part, off, key, value in hwcheck.read_dump(f):
        schema_id, rec = hwcheck.decode(registry, value)
        if schema_id != 4:
            problems.append(f"{topic}/{part}@{off}: schema id {schema_id}, expected 4")
            continue
        if key is None or key.decode() != rec["alert_id"]:
            problems.append(f"{topic}/{part}@{off}: key {key!r} is not the alert_id {rec['alert_id']}")
        for field in ("rule", "severity", "subject", "summary", "event_ids", "attributes"):
            if field not in rec:
                problems.append(f"{rec['alert_id']}: no {field}")
        if not rec["alert_id"].startswith(rec["rule"] + ":"):
            problems.append(f"{rec['alert_id']}: rule {rec['rule']} does not match")
        got[rec["alert_id"]] = got.get(rec["alert_id"], 0) + 1
missing, extra = sorted(want - set(got)), sorted(set(got) - want - also)
if missing:
    problems.append(f"not in the topic: {missing}")
if extra:
    problems.append(f"in the topic but not in the stream: {extra}")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {len(got)} alerts in the topic ({sum(got.values())} messages), as in the stream")
