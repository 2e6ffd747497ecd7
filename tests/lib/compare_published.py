"""Compares what kcat read from Kafka with the NDJSON events that were sent.

usage: compare_published.py EXPECTED.ndjson DUMP [DUMP...]
Each DUMP is kcat output (tests/lib/services.sh hw_kcat_dump). Checks that
every message is framed with a known schema id, decodes with python3-avro,
has key = person_id and equals exactly one expected line; and that every
expected line arrived exactly once.
"""
import sys

import hwcheck


def main():
    registry = hwcheck.load_registry()
    m = hwcheck.Matcher(hwcheck.load_expected([sys.argv[1]]))
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            for topic, part, off, key, value in hwcheck.read_dump(f):
                where = f"{topic}/{part}@{off}"
                schema_id, rec = hwcheck.decode(registry, value)
                got = hwcheck.normalize_record(schema_id, rec)
                want_topic = "talent.hires" if got["type"] == "hire" else "talent.offers"
                if topic != want_topic:
                    m.errors.append(f"{where}: a {got['type']} on {topic}")
                if key is None or key.decode() != got["person_id"]:
                    m.errors.append(f"{where}: key {key!r} != person_id {got['person_id']!r}")
                m.see(where, got)
    m.missing("never arrived")
    errors, seen, expected = m.errors, m.seen, m.expected
    for e in errors[:50]:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(f"{len(errors)} differences")
    print(f"ok: {len(seen)} messages equal to the {len(expected)} input events")


if __name__ == "__main__":
    main()
