"""Checks an archive folder (hirewire-consumer --archive-dir) against the
NDJSON events that were published: every file is an Avro object container
file with the deflate codec under <topic>/<yyyy-mm-dd>.avro, read here with
python3-avro; hires sit in the hires topic's files with the HireEvent v2
schema, offers in the offers topic's with OfferEvent; every expected event
is archived exactly once and equals its input line.
usage: check_archive.py DIR EXPECTED.ndjson..."""
import json
import os
import re
import sys

from avro.datafile import DataFileReader
from avro.io import DatumReader

import hwcheck

root, inputs = sys.argv[1], sys.argv[2:]
expected = {}
for path in inputs:
    for line in open(path, encoding="utf-8"):
        if line.strip():
            ev = hwcheck.normalize_line(json.loads(line))
            expected[ev["event_id"]] = ev
ids = {"talent.hires": 2, "talent.offers": 3}
seen, errors, files = {}, [], 0
for topic in sorted(os.listdir(root)):
    tdir = os.path.join(root, topic)
    if not os.path.isdir(tdir):
        continue
    for name in sorted(os.listdir(tdir)):
        path = os.path.join(tdir, name)
        files += 1
        if not re.fullmatch(r"\d{4}-\d\d-\d\d\.avro", name):
            errors.append(f"{path}: not named <yyyy-mm-dd>.avro")
        with open(path, "rb") as f:
            reader = DataFileReader(f, DatumReader())
            codec = reader.get_meta("avro.codec")
            if codec != b"deflate":
                errors.append(f"{path}: codec {codec!r}, want deflate")
            schema = json.loads(reader.get_meta("avro.schema"))
            for rec in reader:
                got = hwcheck.normalize_record(ids.get(topic, 0), rec)
                eid = got["event_id"]
                if eid in seen:
                    errors.append(f"{path}: {eid} archived twice (also in {seen[eid]})")
                seen[eid] = path
                want = expected.get(eid)
                if want is None:
                    errors.append(f"{path}: unexpected event {eid}")
                elif want != got:
                    diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                            if want.get(k) != got.get(k)}
                    errors.append(f"{path}: {eid} differs (expected, archived): {diff}")
            reader.close()
        want_name = "hirewire.HireEvent" if topic == "talent.hires" else "hirewire.OfferEvent"
        if f"{schema.get('namespace')}.{schema.get('name')}" != want_name:
            errors.append(f"{path}: schema {schema.get('name')}, want {want_name}")
missing = sorted(set(expected) - set(seen))
if missing:
    errors.append(f"{len(missing)} events not archived, e.g. {missing[:5]}")
for e in errors[:50]:
    print(e, file=sys.stderr)
if errors:
    sys.exit(f"{len(errors)} problems")
print(f"ok: {len(seen)} events in {files} archive files, each once, equal to the input")
