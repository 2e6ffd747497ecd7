"""Checks of hirewire-query's report page and server (tests/query_report.sh).

Usage: report_check.py COMMAND ARGS...

  http METHOD URL OUT             prints the status; body in OUT, headers
                                  in OUT.headers
  static FILE                     the report file is self-contained
  dom FILE --port P [--scripts N] the page (Chromium's DOM) against Redis
  escape FILE --scripts N NAME... names from the data are text, not markup
  png FILE                        a screenshot that is not blank
  sse URL READY ALERT_ID          waits for that alert on the event stream
                                  (READY written once connected); prints
                                  its latency from raised_at
  hostile PORT                    100 half-open connections from another
                                  client do not starve /healthz
  live CHROMIUM PROFILE URL REDIS_PORT
                                  the page open in Chromium (driven over
                                  the DevTools protocol) shows an alert
                                  added to the stream within 2 s

Exits 1 with the reason. Run with Debian's /usr/bin/python3.
"""
import base64
import html.parser
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import redis


def fail(msg):
    sys.exit(f"report_check: {msg}")


# ---------------------------------------------------------------- HTTP


def http(method, url, out):
    req = urllib.request.Request(url, method=method)
    try:
        r = urllib.request.urlopen(req, timeout=10)
        status, body, headers = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, body, headers = e.code, e.read(), e.headers
    open(out, "wb").write(body)
    open(out + ".headers", "w").write(str(headers))
    print(status)


# ---------------------------------------------------------------- DOM


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag=None):
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.all(tag)

    def classes(self):
        return self.attrs.get("class", "").split()


VOID = {"meta", "br", "img", "input", "link", "hr", "source", "wbr", "col", "area", "base"}


class Tree(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def tree(path):
    return Tree(open(path, encoding="utf-8").read()).root


def table_rows(figure):
    rows = []
    for tr in figure.all("tr"):
        cells = [td.text() for td in tr.all("td")]
        if cells:
            rows.append(cells)
    return rows


def share(text):
    m = re.fullmatch(r"(\d+)\.(\d)%", text)
    if not m:
        fail(f"{text!r} is not a share")
    return int(m.group(1)) * 10 + int(m.group(2))


def check_scripts(root, want):
    scripts = list(root.all("script"))
    if len(scripts) != want:
        fail(f"{len(scripts)} script elements, want {want}: "
             f"{[s.text()[:80] for s in scripts]}")
    for s in scripts:
        if "nonce" not in s.attrs or "EventSource" not in s.text():
            fail(f"a script that is not the page's own: {s.text()[:120]!r}")


def dom(path, port, scripts):
    r = redis.Redis(port=port, decode_responses=True)
    root = tree(path)
    check_scripts(root, scripts)
    body = root.text()
    wm = int(r.get("hw:watermark"))
    as_of = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wm // 1000))
    if wm % 1000:
        as_of += f".{wm % 1000:03d}"
    as_of += "Z"

    # Every chart names its window (or says it has none) and the as-of.
    figures = [f for f in root.all("figure") if "chart" in f.classes()]
    if len(figures) < 10:
        fail(f"only {len(figures)} charts")
    for f in figures:
        note = next((s.text() for s in f.all("span") if "n" in s.classes()), "")
        if not (note.startswith("Window ") or note.startswith("Current members")) \
                or f"as of {as_of}" not in note:
            fail(f"chart {f.attrs.get('id')} does not name its window and as-of: {note!r}")
        if not list(f.all("svg")) or not any("axis-label" in t.classes() for t in f.all("text")):
            fail(f"chart {f.attrs.get('id')} has no SVG or no axis label")

    # Meta Superintelligence Labs: its members and OpenAI's share.
    slug = "meta-superintelligence-labs"
    name = r.hget(f"hw:lab:{slug}", "name")
    members = int(r.hget(f"hw:lab:{slug}", "members"))
    if members != 44:
        fail(f"Redis holds {members} members of MSL, the scenario 44")
    sec = next((s for s in root.all("section") if s.attrs.get("data-slug") == slug), None)
    if sec is None:
        fail("no section of Meta Superintelligence Labs")
    if next(sec.all("h2")).text() != name:
        fail(f"the section is headed {next(sec.all('h2')).text()!r}")
    got = next(b.text() for b in sec.all("b") if "members" in b.classes())
    if got != f"{members} members":
        fail(f"MSL section says {got!r}, Redis {members} members")
    origin = next(f for f in sec.all("figure") if f.attrs.get("id", "").endswith("-origin"))
    rows = {c[0]: c for c in table_rows(origin)}
    openai = int(r.hget(f"hw:lab:{slug}:origin", "OpenAI"))
    if "OpenAI" not in rows or int(rows["OpenAI"][1]) != openai:
        fail(f"OpenAI in MSL's origin: page {rows.get('OpenAI')}, Redis {openai}")
    exact = openai * 1000 / members
    if abs(share(rows["OpenAI"][2]) - exact) > 1:
        fail(f"OpenAI's share {rows['OpenAI'][2]} is not {exact / 10:.2f}%")
    if sum(share(c[2]) for c in rows.values()) != 1000:
        fail(f"MSL's origin shares do not add up to 100%: {rows}")
    if f"{openai} \u00b7 {rows['OpenAI'][2]}" not in origin.text():
        fail("the origin chart does not write OpenAI's count and share by its bar")

    # Korea's rank in the OECD group, as Redis ranks it.
    rank = r.zrevrank("hw:flow:365d:index:oecd", "KR") + 1
    size = r.zcard("hw:flow:365d:index:oecd")
    if (rank, size) != (35, 38):
        fail(f"Redis ranks KR {rank} of {size}, the scenario 35 of 38")
    korea = next((p for p in root.all("p") if p.attrs.get("id") == "korea"), None)
    if korea is None or f"rank {rank} of {size}" not in korea.text():
        fail(f"the Korea line: {korea.text() if korea else None!r}")
    index = next(f for f in root.all("figure") if f.attrs.get("id") == "flows-index")
    marked = [t.text() for t in index.all("text") if "mark" in t.classes()]
    if not any(t.startswith("KR") for t in marked) or not any(f"{rank} of {size}" in t for t in marked):
        fail(f"KR is not marked in the index chart: {marked}")

    # The alerts: a raid and a mega offer, as many as the stream holds in
    # the window.
    alerts = next(o for o in root.all("ol") if o.attrs.get("id") == "alert-list")
    rules = [next(s for s in li.all("span") if "rule" in s.classes()).text() for li in alerts.all("li")]
    for rule in ("raid", "mega_offer"):
        if rule not in rules:
            fail(f"no {rule} alert on the page: {rules}")
    day = wm // 86400000
    held = sum(1 for _, f in r.xrange("hw:alerts")
               if int(f["event_time"]) // 86400000 > day - 365)
    if len(rules) != held:
        fail(f"{len(rules)} alerts on the page, {held} in the stream in the window")
    raid = next(li for li in alerts.all("li") if "raid" in li.text() and "Apple" in li.text())
    if "Meta Superintelligence Labs hired 4 people from Apple" not in raid.text():
        fail(f"the Apple raid: {raid.text()!r}")
    if "Window 365d" not in body or f"as of {as_of}" not in body:
        fail("the page does not name its window and watermark")
    print(f"MSL {members} members, OpenAI {rows['OpenAI'][2]}, KR rank {rank} of {size}, "
          f"{len(rules)} alerts, {len(figures)} charts")


def static(path):
    text = open(path, encoding="utf-8").read()
    root = Tree(text).root
    check_scripts(root, 0)
    for n in root.all():
        for k, v in n.attrs.items():
            if k in ("src", "srcset", "action", "formaction") or k.startswith("on"):
                fail(f"<{n.tag} {k}=...> in a self-contained report")
            if k == "href" and not (v or "").startswith("#"):
                fail(f"a link out of the page: {v}")
        if n.tag in ("link", "iframe", "object", "embed", "img"):
            fail(f"<{n.tag}> in a self-contained report")
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text)) - {"http://www.w3.org/2000/svg"}
    if urls:
        fail(f"network addresses in the report: {sorted(urls)[:5]}")
    csp = [m for m in root.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    if not csp or "default-src 'none'" not in csp[0].attrs.get("content", ""):
        fail("no Content-Security-Policy that lets nothing load")
    print(f"self-contained: {len(text)} bytes, no script, nothing loaded")


def escape(path, scripts, names):
    text = open(path, encoding="utf-8").read()
    root = Tree(text).root
    check_scripts(root, scripts)
    for n in root.all():
        if n.tag in ("img", "iframe", "object", "embed"):
            fail(f"a <{n.tag}> element from the data")
        for k in n.attrs:
            if k.startswith("on"):
                fail(f"an event handler attribute {k} on <{n.tag}>")
    body = root.text()
    for name in names:
        if name not in body:
            fail(f"{name!r} does not show as text")
    print(f"{len(names)} names shown as text, {scripts} script(s)")


# ---------------------------------------------------------------- PNG


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind, chunk = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            if depth != 8 or interlace or colour not in (2, 6):
                fail(f"unexpected PNG format: depth {depth} colour {colour}")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
    raw, stride, prev, i, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0, []
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png(path):
    w, h, bpp, rows = png_pixels(path)
    counts = {}
    for row in rows[::2]:
        for x in range(0, w * bpp, bpp * 2):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    want = {"page": (245, 246, 248), "bars": (58, 110, 165), "other bars": (163, 172, 184)}
    missing = [k for k, v in want.items() if bytes(v) not in counts]
    if w < 800 or h < 800 or len(counts) < 40 or background > 0.9 * total or missing:
        fail(f"{path}: {w}x{h}, {len(counts)} colours, background {background / total:.0%}, "
             f"missing {missing}: blank or not the report")
    print(f"{path}: {w}x{h}, {len(counts)} colours, the most common {background / total:.0%}")


# ---------------------------------------------------------------- SSE


def sse(url, ready, alert_id):
    start = time.time()
    stream = urllib.request.urlopen(url, timeout=60)
    event, data, wrote = None, [], False
    while time.time() - start < 120:
        line = stream.readline().decode()
        if not wrote:
            open(ready, "w").write("connected\n")
            wrote = True
        if not line:
            fail("the event stream ended")
        line = line.rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "":
            if event == "alert":
                a = json.loads("\n".join(data))
                if a.get("alert_id") == alert_id:
                    latency = time.time() * 1000 - int(a["raised_at"])
                    if latency > 2000:
                        fail(f"{alert_id} came {latency:.0f} ms after it was raised")
                    print(f"{alert_id} on the stream {latency:.0f} ms after it was raised")
                    return
            event, data = None, []
    fail(f"no {alert_id} on the stream")


def hostile(port):
    held = []
    for _ in range(100):
        s = socket.socket()
        s.settimeout(2)
        s.bind(("127.0.0.2", 0))
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
        except OSError:
            pass
        held.append(s)
    t = time.time()
    status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status
    took = time.time() - t
    for s in held:
        s.close()
    if status != 200 or took > 2:
        fail(f"/healthz answered {status} in {took:.1f} s beside 100 half-open connections")
    print(f"/healthz answered in {took * 1000:.0f} ms beside 100 half-open connections")


# ---------------------------------------------------------------- DevTools


class DevTools:
    """A page of a running Chromium, over the DevTools protocol (a
    WebSocket, spoken here with the standard library alone)."""

    def __init__(self, ws_url):
        m = re.fullmatch(r"ws://([^:/]+):(\d+)(/.*)", ws_url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            fail(f"DevTools refused the WebSocket: {head[:200]!r}")
        self.next_id = 0

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                fail("DevTools closed the WebSocket")
            out += chunk
        return out

    def _frame(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n, = struct.unpack(">H", self._read(2))
            elif n == 127:
                n, = struct.unpack(">Q", self._read(8))
            message += self._read(n)
            if b0 & 0x80:
                return message

    def call(self, method, **params):
        self.next_id += 1
        data = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            reply = json.loads(self._frame())
            if reply.get("id") == self.next_id:
                return reply.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")


def live(chromium, profile, url, redis_port):
    r = redis.Redis(port=int(redis_port), decode_responses=True)
    started = time.time()
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() - started > 60:
                fail("Chromium wrote no DevToolsActivePort")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        page = None
        while page is None and time.time() - started < 60:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
            page = next((t for t in targets if t.get("type") == "page" and t["url"].startswith(url)), None)
            time.sleep(0.1)
        if page is None:
            fail("Chromium did not open the page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        # Loaded, and its event stream (an XREAD BLOCK younger than the
        # browser) is open.
        while not (tools.eval("document.readyState") == "complete" and any(
                c["cmd"] == "xread" and int(c["age"]) <= time.time() - started + 1
                for c in r.client_list())):
            if time.time() - started > 60:
                fail("the page did not open its event stream")
            time.sleep(0.1)
        before = tools.eval("document.querySelectorAll('#alert-list li').length")
        marker = f"LIVE-PAGE-ALERT {os.getpid()}"
        r.xadd("hw:alerts", {"alert_id": f"test:{marker}", "rule": "raid", "severity": "WARN",
                             "subject": "test", "summary": marker,
                             "event_time": r.get("hw:watermark"), "raised_at": int(time.time() * 1000),
                             "event_ids": "[]"})
        added = time.time()
        shown = None
        while time.time() - added < 10:
            if tools.eval(f"document.getElementById('alert-list').textContent.includes({json.dumps(marker)})"):
                shown = time.time() - added
                break
            time.sleep(0.05)
        if shown is None or shown > 2:
            fail(f"the new alert showed on the open page after {shown} s")
        # Then the page is drawn again from the server: one more alert
        # in the list, and still live.
        while time.time() - added < 10:
            after = tools.eval("document.querySelectorAll('#alert-list li').length")
            state = tools.eval("document.getElementById('live').textContent")
            if after == before + 1 and state == "live":
                break
            time.sleep(0.1)
        else:
            fail(f"the page was not drawn again: {before} -> {after} alerts, {state!r}")
        print(f"the new alert showed on the open page {shown * 1000:.0f} ms after it was added")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "http":
        http(*args)
    elif cmd == "static":
        static(args[0])
    elif cmd == "dom":
        port = int(args[args.index("--port") + 1])
        scripts = int(args[args.index("--scripts") + 1]) if "--scripts" in args else 1
        dom(args[0], port, scripts)
    elif cmd == "escape":
        escape(args[0], int(args[2]), args[3:])
    elif cmd == "png":
        png(args[0])
    elif cmd == "sse":
        sse(*args)
    elif cmd == "hostile":
        hostile(int(args[0]))
    elif cmd == "live":
        live(*args)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
