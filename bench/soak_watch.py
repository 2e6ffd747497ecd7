"""Helper of bench/soak.sh: the samples of a soak run.

  soak_watch.py watch DIR BOOTSTRAP_FILE REDIS_PORT START INTERVAL N SEED
      every INTERVAL s from START (epoch seconds) until SIGTERM, appends a
      row to DIR/soak.csv (columns below); at SIGTERM takes a last sample
      of the interval begun and writes DIR/watch.json (peaks, every alert
      latency, and which of the N generated events, gen-SEED-<i>, it read
      back from Kafka: any missing, any twice)
  soak_watch.py lag BOOTSTRAP_FILE REDIS_PORT
      prints "published stored lag" once
  soak_watch.py summary DIR RATE
      prints the figures of DIR/soak.csv and DIR/watch.json (RATE: the
      events/s of the run, to say when a missing event was sent)
  soak_watch.py missing DIR
      prints how many generated events were not read back from Kafka

The columns of soak.csv:
  time_s            seconds since the start of the run
  alerts            alerts measured in the interval
  latency_p50_ms    their produce -> alert-in-Redis latency, p50 and p99:
  latency_p99_ms      when the alert appeared in hw:alerts (XREAD, its own
                      client) minus the Kafka CreateTime of the newest of
                      its events (bench/alert_latency.py's measure)
  consumer_rss_mib  VmRSS of the consumer (DIR/consumer.pid), /proc
  redis_used_mib    Redis INFO used_memory
  published         messages in talent.hires and talent.offers (the sum of
                      their end offsets; the poison messages included)
  stored            the offsets the consumer stored in Redis (hw:offset:*)
  lag               published - stored
  fault             what DIR/faults.log says happened in the interval
An empty field is a value that could not be read (Redis down, say).
"""
import json
import os
import signal
import sys
import threading
import time

import redis
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

TOPICS = ("talent.hires", "talent.offers")
COLUMNS = ("time_s", "alerts", "latency_p50_ms", "latency_p99_ms", "consumer_rss_mib",
           "redis_used_mib", "published", "stored", "lag", "fault")
KEEP_S = 300        # event CreateTimes are kept for 2 x KEEP_S seconds
MISSING_KEPT = 1_000_000  # event ids missing from Kafka listed in watch.json
RESOLVE_MS = 5000   # an alert whose events are not all read yet waits this long


def event_id(value):
    """The event_id of a framed HireEvent or OfferEvent (its first field),
    without decoding the rest; None for anything else."""
    if not value or len(value) < 6 or value[0] != 0:
        return None
    n = shift = 0
    pos = 5
    while pos < len(value) and pos < 15:
        b = value[pos]
        n |= (b & 0x7F) << shift
        shift += 7
        pos += 1
        if not b & 0x80:
            break
    else:
        return None
    n = (n >> 1) ^ -(n & 1)
    if n <= 0 or pos + n > len(value):
        return None
    return value[pos:pos + n]


def kafka_config(bootstrap):
    # The default fetch.wait.max.ms (500): the reader need only be within
    # RESOLVE_MS of the consumer, and each fetch costs the devbroker a walk
    # over every message set a partition keeps.
    return {"bootstrap.servers": bootstrap, "group.id": "soak-watch", "enable.auto.commit": False,
            "log_level": 3}


class Created:
    """event_id -> Kafka CreateTime (ms) of the events of the last 5 to 10
    minutes, read from the event topics by a thread of its own; and which
    of the n generated events gen-<seed>-<i> it read (a bit each), and how
    many it read twice."""

    def __init__(self, bootstrap, n, seed):
        self.cur, self.old = {}, {}
        self.n, self.prefix = n, f"gen-{seed}-".encode()
        self.seen, self.read, self.twice = bytearray((n + 7) // 8), 0, 0
        self.next = {}  # (topic, partition) -> the next offset to read
        self.turned = time.time()
        self.stop = False
        self.lock = threading.Lock()
        self.c = Consumer(kafka_config(bootstrap))
        md = self.c.list_topics(timeout=10)
        self.c.assign([TopicPartition(t, p, OFFSET_BEGINNING)
                       for t in TOPICS for p in md.topics[t].partitions])
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop:
            msgs = self.c.consume(1000, 0.2)
            with self.lock:
                if time.time() - self.turned > KEEP_S:
                    self.old, self.cur, self.turned = self.cur, {}, time.time()
                for m in msgs:
                    if m.error():
                        continue
                    self.next[(m.topic(), m.partition())] = m.offset() + 1
                    eid = event_id(m.value())
                    if eid is not None:
                        self.cur[eid] = m.timestamp()[1]
                        self.count(eid)

    def count(self, eid):
        if not eid.startswith(self.prefix) or not eid[len(self.prefix):].isdigit():
            return
        i = int(eid[len(self.prefix):])
        if i >= self.n:
            return
        if self.seen[i >> 3] & (1 << (i & 7)):
            self.twice += 1
        else:
            self.seen[i >> 3] |= 1 << (i & 7)
            self.read += 1

    def missing(self):
        return [i for i in range(self.n) if not self.seen[i >> 3] & (1 << (i & 7))]

    def get(self, eid):
        with self.lock:
            return self.cur.get(eid) or self.old.get(eid)


class Alerts:
    """Each new hw:alerts entry as (arrival ms, event_ids), read by a thread
    of its own; a Redis that went away is read again from the last entry."""

    def __init__(self, port):
        self.port = port
        self.pending = []
        self.lock = threading.Lock()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        last = "0-0"
        r = redis.Redis(port=self.port, socket_timeout=5)
        while True:
            try:
                got = r.xread({"hw:alerts": last}, block=1000, count=1000) or []
            except redis.exceptions.RedisError:
                time.sleep(0.5)
                continue
            now = time.time() * 1000
            with self.lock:
                for _, entries in got:
                    for sid, fields in entries:
                        last = sid
                        ids = json.loads(fields.get(b"event_ids", b"[]"))
                        self.pending.append((now, [e.encode() for e in ids]))


def pct(values, q):
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


class Kafka:
    """End offsets of the event topics."""

    def __init__(self, bootstrap):
        self.c = Consumer(kafka_config(bootstrap))
        md = self.c.list_topics(timeout=10)
        self.parts = [TopicPartition(t, p) for t in TOPICS for p in md.topics[t].partitions]

    def published(self):
        ends = self.ends()
        return sum(ends.values()) if ends is not None else None

    def ends(self):
        """(topic, partition) -> end offset; None if they cannot be read."""
        for _ in range(2):
            try:
                return {(tp.topic, tp.partition): self.c.get_watermark_offsets(tp, timeout=5, cached=False)[1]
                        for tp in self.parts}
            except Exception:
                # A leader moved: the query does not refresh the metadata
                # by itself (NOT_LEADER_FOR_PARTITION until it is).
                try:
                    self.c.list_topics(timeout=5)
                except Exception:
                    pass
        return None


def stored(r):
    """The sum of the offsets stored under hw:offset:*; None when Redis does
    not answer (or is loading its AOF)."""
    try:
        keys = list(r.scan_iter(match="hw:offset:*", count=1000))
        return sum(int(v) for v in r.mget(keys) if v is not None) if keys else 0
    except redis.exceptions.RedisError:
        return None


def redis_memory(r):
    try:
        info = r.info("memory")
        return info["used_memory"], info["used_memory_peak"]
    except redis.exceptions.RedisError:
        return None, None


def proc_status(pidfile):
    """VmRSS and VmHWM of the process in pidfile, in KiB (None if gone)."""
    try:
        pid = open(pidfile).read().strip()
        out = {}
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
        return out.get("VmRSS"), out.get("VmHWM")
    except (OSError, ValueError):
        return None, None


def faults_between(path, start, a, b):
    out = []
    try:
        for line in open(path):
            at, _, name = line.strip().partition(" ")
            if a < float(at) - start <= b:
                out.append(name)
    except OSError:
        pass
    return "+".join(out)


def fmt(v, scale=1.0, digits=0):
    return "" if v is None else f"{v / scale:.{digits}f}"


def watch(folder, bootstrap_file, port, start, interval, n, seed):
    bootstrap = open(bootstrap_file).read().strip()
    created, alerts, kafka = Created(bootstrap, n, seed), Alerts(port), Kafka(bootstrap)
    r = redis.Redis(port=port, socket_timeout=5)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    all_lat = []
    peak = {"rss_kib": 0, "hwm_kib": 0, "redis_used": 0, "redis_peak": 0, "lag": 0}
    csv = open(os.path.join(folder, "soak.csv"), "w")
    csv.write(",".join(COLUMNS) + "\n")
    csv.flush()
    prev = 0.0
    k = 1
    while True:
        final = stop.wait(max(0.0, start + k * interval - time.time()))
        now = time.time()
        k += 1
        # Alerts whose events the reader has seen (or that waited long
        # enough: a raid names hires older than what is kept).
        lat = []
        with alerts.lock:
            pending, alerts.pending = alerts.pending, []
        keep = []
        for arrival, ids in pending:
            known = [t for t in (created.get(e) for e in ids) if t]
            if len(known) == len(ids) or arrival < now * 1000 - RESOLVE_MS or final:
                if known:  # else a brain_drain (no event_ids) or events never read
                    lat.append(arrival - max(known))
            else:
                keep.append((arrival, ids))
        with alerts.lock:
            alerts.pending = keep + alerts.pending
        lat.sort()
        all_lat += lat
        rss, hwm = proc_status(os.path.join(folder, "consumer.pid"))
        used, used_peak = redis_memory(r)
        done = stored(r)  # first: what is stored never runs ahead of what was published
        pub = kafka.published()
        lag = pub - done if pub is not None and done is not None else None
        for name, v in (("rss_kib", rss), ("hwm_kib", hwm), ("redis_used", used),
                        ("redis_peak", used_peak), ("lag", lag)):
            if v is not None:
                peak[name] = max(peak[name], v)
        t = now - start
        row = [fmt(t, digits=1), str(len(lat)), fmt(pct(lat, 0.50), digits=1), fmt(pct(lat, 0.99), digits=1),
               fmt(rss, 1024, 1), fmt(used, 1 << 20, 1), fmt(pub), fmt(done), fmt(lag),
               faults_between(os.path.join(folder, "faults.log"), start, prev, t)]
        csv.write(",".join(row) + "\n")
        csv.flush()
        prev = t
        if final:
            break
    # What Kafka holds: read to the end offsets first.
    ends = kafka.ends() or {}
    deadline = time.time() + 60
    while time.time() < deadline and any(created.next.get(key, 0) < end for key, end in ends.items()):
        time.sleep(0.2)
    created.stop = True
    with created.lock:
        missing = created.missing()
        kafka_read = {"events": n, "seed": seed, "read": created.read, "twice": created.twice, "missing": len(missing),
                      "first_missing": missing[:20], "missing_ids": missing[:MISSING_KEPT]}
    all_lat.sort()
    with open(os.path.join(folder, "watch.json"), "w") as f:
        json.dump({"peak": peak, "kafka": kafka_read, "latencies_ms": [round(x, 1) for x in all_lat]}, f)


def lag(bootstrap_file, port):
    kafka = Kafka(open(bootstrap_file).read().strip())
    done = stored(redis.Redis(port=port, socket_timeout=5))
    pub = kafka.published()
    if pub is None or done is None:
        print("- - -")
    else:
        print(pub, done, pub - done)


def summary(folder, rate):
    w = json.load(open(os.path.join(folder, "watch.json")))
    lat, peak, k = w["latencies_ms"], w["peak"], w["kafka"]
    rows = [line.rstrip("\n").split(",") for line in open(os.path.join(folder, "soak.csv"))][1:]
    faults = [f for row in rows for f in row[-1].split("+") if f]
    counts = {f: faults.count(f) for f in dict.fromkeys(faults)}
    print(f"samples:             {len(rows)}")
    print(f"faults:              {len(faults)}" + (" (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"
                                                  if counts else ""))
    if lat:
        print(f"alert latency:       p50 {pct(lat, 0.50):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, "
              f"max {lat[-1]:.1f} ms ({len(lat)} alerts)")
    else:
        print("alert latency:       no alert measured")
    print(f"consumer peak RSS:   {peak['hwm_kib'] / 1024:.1f} MiB (VmHWM; largest VmRSS sampled "
          f"{peak['rss_kib'] / 1024:.1f} MiB)")
    print(f"Redis peak memory:   {peak['redis_used'] / 2**20:.1f} MiB used_memory sampled "
          f"(used_memory_peak {peak['redis_peak'] / 2**20:.1f} MiB)")
    print(f"max consumer lag:    {peak['lag']} messages")
    print(f"events in Kafka:     {k['read']} of the {k['events']} generated read back ({k['missing']} missing, "
          f"{k['twice']} read twice)")
    if k["first_missing"]:
        # Sent in order at RATE events/s: event i left about i / RATE s into the run.
        when = ", ".join(f"gen-{k['seed']}-{i:08d} (sent at about {int(i / rate) // 60:02d}:{int(i / rate) % 60:02d})"
                         for i in k["first_missing"][:5])
        print(f"missing from Kafka:  {when}" + (", ..." if k["missing"] > 5 else ""))


def missing(folder):
    print(json.load(open(os.path.join(folder, "watch.json")))["kafka"]["missing"])


def missing_ids(folder):
    """The generated events Kafka does not hold, one event_id a line (all
    of them, or exit 1 when more were missing than watch.json keeps)."""
    k = json.load(open(os.path.join(folder, "watch.json")))["kafka"]
    ids = k.get("missing_ids", [])
    if len(ids) < k["missing"]:
        sys.exit(1)
    for i in ids:
        print(f"gen-{k['seed']}-{i:08d}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "watch":
        watch(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]),
              int(sys.argv[7]), sys.argv[8])
    elif cmd == "lag":
        lag(sys.argv[2], int(sys.argv[3]))
    elif cmd == "missing-ids":
        missing_ids(sys.argv[2])
    elif cmd == "summary":
        summary(sys.argv[2], float(sys.argv[3]))
    elif cmd == "missing":
        missing(sys.argv[2])
    else:
        sys.exit(__doc__)
