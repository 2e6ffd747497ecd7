"""Writes the replies/ seed corpus of fuzz_replies (run with /usr/bin/python3;
the output is committed): the Redis replies hirewire-query reads for each of
its documents, recorded from a real Redis that holds the demo scenario.

It starts redis-server and hirewire-devbroker on free loopback ports,
publishes examples/scenario.ndjson, runs the consumer until it has caught
up, then reads every document through a proxy that records what Redis
sends back: labs, lab, flows, offers, alerts, moves and the report through
`hirewire-query serve` (a Redis connection per request, as in the fuzz
target), a lab's timeline and a person with the command line. Each seed is
the fuzz target's first byte (which document) and the replies; a few
near-valid ones break one reply each (an error, a nil, cut short).
usage: record_replies.py BUILD_DIR   (hirewire-* built there)"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "replies")

# The fuzz target's documents (its first byte, bits 0-3).
ALONE, LABS, LAB, FLOWS, OFFERS, ALERTS, MOVES, TIMELINES, REPORT, READERS = range(10)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(check, what, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        if check():
            return
        time.sleep(0.1)
    sys.exit(f"record_replies: {what} did not start")


def reply_end(data, pos):
    """The offset after the RESP reply that starts at pos."""
    line_end = data.index(b"\r\n", pos)
    kind, head = data[pos:pos + 1], data[pos + 1:line_end]
    pos = line_end + 2
    if kind in b"+-:":
        return pos
    n = int(head)
    if kind == b"$":
        return pos if n < 0 else pos + n + 2
    for _ in range(max(n, 0)):
        pos = reply_end(data, pos)
    return pos


def replies(data):
    """The replies of a recorded stream, as byte strings."""
    out, pos = [], 0
    while pos < len(data):
        end = reply_end(data, pos)
        out.append(data[pos:end])
        pos = end
    return out


class Recorder:
    """A TCP proxy to Redis that keeps what Redis sends on each connection."""

    def __init__(self, redis_port):
        self.redis_port = redis_port
        self.conns = []
        self.pumps = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.redis_port))
            record = bytearray()
            self.conns.append(record)
            for src, dst, rec in ((client, upstream, None), (upstream, client, record)):
                t = threading.Thread(target=self.pump, args=(src, dst, rec), daemon=True)
                t.start()
                self.pumps.append(t)

    @staticmethod
    def pump(src, dst, record):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if record is not None:
                record.extend(data)
            dst.sendall(data)

    def last(self, since):
        """What Redis sent on the last connection opened after `since`."""
        for t in list(self.pumps):
            t.join(10)
        if len(self.conns) <= since:
            sys.exit("record_replies: no connection to record")
        return bytes(self.conns[-1])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bins = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="hw-record-")
    procs = []
    try:
        redis_port = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", tmp,
             "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL))
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "ping"],
                                        capture_output=True).stdout.strip() == b"PONG",
                 "redis-server")
        bootstrap = os.path.join(tmp, "bootstrap")
        procs.append(subprocess.Popen(
            [os.path.join(bins, "hirewire-devbroker"), "--bootstrap-file", bootstrap],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: os.path.exists(bootstrap) and os.path.getsize(bootstrap) > 0,
                 "hirewire-devbroker")
        redis_url = f"redis://127.0.0.1:{redis_port}"
        subprocess.run([os.path.join(bins, "hirewire-produce"), "--bootstrap-file", bootstrap,
                        os.path.join(SRC, "examples", "scenario.ndjson")],
                       check=True, stderr=subprocess.DEVNULL)
        subprocess.run([os.path.join(bins, "hirewire-consumer"), "--bootstrap-file", bootstrap,
                        "--redis", redis_url, "--metrics-addr", "off", "--until-caught-up",
                        "-s", "country.bases.file=" +
                        os.path.join(SRC, "deploy", "config", "talent-bases.csv"),
                        "-s", "country.groups.file=" +
                        os.path.join(SRC, "deploy", "config", "country-groups.csv")],
                       check=True, stderr=subprocess.DEVNULL)

        rec = Recorder(redis_port)
        proxy = f"redis://127.0.0.1:{rec.port}"
        query = os.path.join(bins, "hirewire-query")
        seeds = {}

        def cli(*args):
            since = len(rec.conns)
            subprocess.run([query, "--redis", proxy, *args], check=True,
                           stdout=subprocess.DEVNULL)
            return rec.last(since)

        http_port = free_port()
        procs.append(subprocess.Popen(
            [query, "--redis", proxy, "serve", "--addr", f"127.0.0.1:{http_port}"],
            stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{http_port}"

        def up():
            try:
                return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
            except OSError:
                return False
        wait_for(up, "hirewire-query serve")
        for name, which, path in [
                ("labs", LABS, "/api/labs"),
                ("lab", LAB, "/api/lab/Meta%20Superintelligence%20Labs"),
                ("flows", FLOWS, "/api/flows"),
                ("offers", OFFERS, "/api/offers"),
                ("alerts", ALERTS, "/api/alerts"),
                ("moves", MOVES, "/api/moves"),
                ("report", REPORT, "/api/report")]:
            since = len(rec.conns)
            json.load(urllib.request.urlopen(base + path, timeout=30))
            seeds[name] = (which, rec.last(since))

        # The timeline document alone: the command line's lookups of the
        # lab (replies 1-4, after the PING's) left out.
        got = replies(cli("timeline", "Meta Superintelligence Labs", "--json"))
        seeds["timelines"] = (TIMELINES, b"".join(got[:1] + got[5:]))
        scenario = [json.loads(l) for l in open(os.path.join(SRC, "examples", "scenario.ndjson"))
                    if l.strip()]
        person = next(e["person_id"] for e in scenario if e["type"] == "hire")
        seeds["alone-person"] = (ALONE, cli("person", person, "--json"))
        seeds["alone-alerts"] = (ALONE, replies(seeds["alerts"][1])[-1])
        seeds["alone-bucket-logs"] = (ALONE, b"".join(replies(seeds["timelines"][1])[3:]))
        seeds["readers"] = (READERS, b"+PONG\r\n"
                            b"*4\r\n$6\r\nOpenAI\r\n$2\r\n11\r\n$5\r\nApple\r\n$1\r\n4\r\n"
                            b"*4\r\n$2\r\nUS\r\n$6\r\n0.0571\r\n$2\r\nKR\r\n$5\r\n-0.36\r\n"
                            b":1\r\n")

        # Near-valid: one reply broken each.
        for name in ("labs", "lab", "flows", "offers", "report"):
            which, data = seeds[name]
            got = replies(data)
            k = min(2, len(got) - 1)
            seeds[name + "-wrongtype"] = (which, b"".join(
                got[:k] + [b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"]
                + got[k + 1:]))
            seeds[name + "-nil"] = (which, b"".join(got[:k] + [b"$-1\r\n"] + got[k + 1:]))
            seeds[name + "-cut"] = (which, data[:len(data) // 2])

        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        os.makedirs(OUT)
        for name, (which, data) in sorted(seeds.items()):
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(bytes([which]) + data)
        print(f"{len(seeds)} seeds written to {OUT}")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
