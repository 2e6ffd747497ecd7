"""Compares what kcat read from Kafka with the NDJSON events that were sent.

usage: compare_published.py EXPECTED.ndjson DUMP [DUMP...]
Each DUMP is kcat output (tests/lib/services.sh hw_kcat_dump). Checks that
every message is framed with a known schema id, decodes with python3-avro,
has key = person_id and equals exactly one expected line; and that every
expected line arrived exactly once.
"""
import json
import sys

import hwcheck


def main():
    registry = hwcheck.load_registry()
    expected = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            ev = hwcheck.normalize_line(json.loads(line))
            if ev["event_id"] in expected:
                sys.exit(f"expected file line {n}: duplicate event_id {ev['event_id']}")
            expected[ev["event_id"]] = ev
    seen = {}
    errors = []
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            for topic, part, off, key, value in hwcheck.read_dump(f):
                where = f"{topic}/{part}@{off}"
                schema_id, rec = hwcheck.decode(registry, value)
                got = hwcheck.normalize_record(schema_id, rec)
                want_topic = "talent.hires" if got["type"] == "hire" else "talent.offers"
                if topic != want_topic:
                    errors.append(f"{where}: a {got['type']} on {topic}")
                if key is None or key.decode() != got["person_id"]:
                    errors.append(f"{where}: key {key!r} != person_id {got['person_id']!r}")
                eid = got["event_id"]
                if eid in seen:
                    errors.append(f"{where}: {eid} arrived twice (also {seen[eid]})")
                seen[eid] = where
                want = expected.get(eid)
                if want is None:
                    errors.append(f"{where}: unexpected event {eid}")
                elif want != got:
                    diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                            if want.get(k) != got.get(k)}
                    errors.append(f"{where}: {eid} differs (expected, got): {diff}")
    missing = sorted(set(expected) - set(seen))
    if missing:
        errors.append(f"{len(missing)} events never arrived, e.g. {missing[:5]}")
    for e in errors[:50]:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(f"{len(errors)} differences")
    print(f"ok: {len(seen)} messages equal to the {len(expected)} input events")


if __name__ == "__main__":
    main()
