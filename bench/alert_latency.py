"""Helper of bench/alert_latency.sh.

  alert_latency.py listen PORT OUT        records each new hw:alerts entry as
                                          "arrival_ms alert_id event_ids_json"
  alert_latency.py report OUT DUMP...     joins them with the Kafka CreateTime
                                          of their events (kcat dumps with %T)
                                          and prints p50 / p99 / max latency
"""
import io
import json
import struct
import sys
import time

import redis


def listen(port, out):
    r = redis.Redis(port=port)
    last = "$"
    with open(out, "a") as f:
        while True:
            for _, entries in r.xread({"hw:alerts": last}, block=1000) or []:
                now = time.time() * 1000
                for eid, fields in entries:
                    last = eid
                    f.write(f"{now:.3f} {fields[b'alert_id'].decode()} {fields[b'event_ids'].decode()}\n")
                    f.flush()


def created(dumps):
    """event_id -> Kafka CreateTime (ms), from kcat '%T %t %p %o %K %S\\n%k%s' dumps."""
    sys.path.insert(0, sys.path[0] + "/../tests/lib")
    import hwcheck
    reg = hwcheck.load_registry()
    out = {}
    for path in dumps:
        data = open(path, "rb").read()
        pos = 0
        while pos < len(data):
            nl = data.index(b"\n", pos)
            ts, _topic, _p, _o, klen, vlen = data[pos:nl].decode().split(" ")
            pos = nl + 1 + max(int(klen), 0)
            value = data[pos:pos + int(vlen)]
            pos += max(int(vlen), 0)
            _, rec = hwcheck.decode(reg, value)
            out[rec["event_id"]] = int(ts)
    return out


WARMUP_MS = 2000  # the producer's first second goes to getting its idempotent PID


def report(out, dumps):
    when = created(dumps)
    start = min(when.values())
    lat = []
    for line in open(out):
        arrival, _aid, ids = line.split(" ", 2)
        # An alert is raised by the last of its events (a raid by the hire
        # that completed it).
        ts = [when[e] for e in json.loads(ids) if e in when]
        if ts and max(ts) >= start + WARMUP_MS:
            lat.append(float(arrival) - max(ts))
    if not lat:
        sys.exit("no alert with a known event")
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"alerts measured:  {len(lat)} (events of the first {WARMUP_MS} ms left out)")
    print(f"latency p50:      {pick(0.50):7.1f} ms")
    print(f"latency p99:      {pick(0.99):7.1f} ms   (target <= 50)")
    print(f"latency max:      {lat[-1]:7.1f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(int(sys.argv[2]), sys.argv[3])
    else:
        report(sys.argv[2], sys.argv[3:])
