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
m = hwcheck.Matcher(hwcheck.load_expected(inputs), "archived")
ids = {"talent.hires": 2, "talent.offers": 3}
errors, files = m.errors, 0
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
                m.see(path, got)
            reader.close()
        want_name = "hirewire.HireEvent" if topic == "talent.hires" else "hirewire.OfferEvent"
        if f"{schema.get('namespace')}.{schema.get('name')}" != want_name:
            errors.append(f"{path}: schema {schema.get('name')}, want {want_name}")
m.missing("not archived")
for e in errors[:50]:
    print(e, file=sys.stderr)
if errors:
    sys.exit(f"{len(errors)} problems")
print(f"ok: {len(m.seen)} events in {files} archive files, each once, equal to the input")
