"""Checks hirewire-query's output against Redis, read directly.

Usage: query_check.py COMMAND --port P [--prefix hw:] [options] JSON_FILE [TABLE_FILE]

COMMAND is lab, labs, flows, offers or alerts. JSON_FILE holds
`hirewire-query --json COMMAND ...` output, TABLE_FILE (optional) the table
output of the same command. Every value is compared field by field with what
this script reads from Redis itself (keys as in docs/redis-keys.md), and the
table's derived columns (percentages, ranks, signs) are recomputed here.
Exits 1 with one line per difference. Run with Debian's /usr/bin/python3.
"""
import argparse
import json
import re
import sys

import redis

from model_events import slug

ERRORS = []


def check(cond, msg):
    if not cond:
        ERRORS.append(msg)


def same(what, got, want):
    check(got == want, f"{what}: hirewire-query says {got!r}, Redis has {want!r}")


def counts(r, key):
    """HGETALL as {field: int}, sorted by count desc then field."""
    h = {k.decode(): int(v) for k, v in r.hgetall(key).items()}
    return dict(sorted(h.items(), key=lambda kv: (-kv[1], kv[0].encode())))


def pct(part, whole):
    return "-" if whole == 0 else format(part * 100 / whole, ".1f") + "%"


def table_rows(text, header_first, none_line=None):
    """Rows (lists of cells) of the table whose header row starts with
    header_first; cells are separated by two or more spaces, and the table
    ends at a line of fewer than two cells. An empty table may be printed
    as none_line instead."""
    rows, inside = [], False
    if none_line and none_line in text.splitlines():
        return rows
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if not inside:
            if cells and cells[0] == header_first and len(cells) > 1:
                inside = True
            continue
        if len(cells) < 2:  # a blank line or a note under the table
            break
        rows.append(cells)
    check(inside, f"table output has no table headed {header_first!r}")
    return rows


def check_lab(r, args, doc, table):
    s = slug(args.name)
    p = args.prefix
    lab = r.hgetall(f"{p}lab:{s}")
    check(lab, f"{p}lab:{s} does not exist")
    members = int(lab.get(b"members", 0))
    same("slug", doc.get("slug"), s)
    same("name", doc.get("name"), lab[b"name"].decode())
    same("members", doc.get("members"), members)
    labels = {"origin": "origin", "nationality": "nationality",
              "alma_mater": "school", "tier": "tier"}
    for part, label in labels.items():
        want = counts(r, f"{p}lab:{s}:{part}")
        same(part, doc.get(part), want)
        same(f"{part} order", list(doc.get(part, {})), list(want))
        if table is not None:
            rows = table_rows(table, label, f"{label}: none")
            same(f"table {label} rows", [c[0] for c in rows], list(want))
            for cells in rows:
                if cells[0] in want:
                    n = want[cells[0]]
                    same(f"table {label} {cells[0]}", cells[1:],
                         [str(n), pct(n, members)])
    hires = doc.get("hires", {})
    for w in (args.window, "all"):
        same(f"hires {w}", hires.get(w), counts(r, f"{p}lab:{s}:hires:{w}"))
    if table is not None:
        check(lab[b"name"].decode() in table, "table lacks the lab name")
        check(f"members: {members}" in table, "table lacks the members line")
        win = counts(r, f"{p}lab:{s}:hires:{args.window}")
        allh = counts(r, f"{p}lab:{s}:hires:all")
        for cells in table_rows(table, "hired from", "hires: none"):
            same(f"table hires {cells[0]}", cells[1:],
                 [str(win.get(cells[0], 0)), str(allh.get(cells[0], 0))])


def check_labs(r, args, doc, table):
    p = args.prefix
    want = []
    for member, score in r.zrange(f"{p}labs", 0, -1, withscores=True):
        s = member.decode()
        h = r.hgetall(f"{p}lab:{s}")
        want.append({"slug": s, "name": h.get(b"name", member).decode(),
                     "members": int(h.get(b"members", score))})
    want.sort(key=lambda x: (-x["members"], x["slug"].encode()))
    same("labs", doc, want)
    if table is not None:
        total = sum(x["members"] for x in want)
        rows = table_rows(table, "#")
        same("table labs rows", len(rows), len(want))
        for i, (cells, lab) in enumerate(zip(rows, want)):
            same(f"table labs row {i + 1}", cells,
                 [str(i + 1), lab["name"], lab["slug"], str(lab["members"]),
                  pct(lab["members"], total)])


def check_flows(r, args, doc, table):
    p, w = args.prefix, args.window
    fin = counts(r, f"{p}flow:{w}:in")
    fout = counts(r, f"{p}flow:{w}:out")
    net = {k.decode(): v for k, v in r.zrange(f"{p}flow:{w}:net", 0, -1, withscores=True)}
    index = {k.decode(): v for k, v in r.zrange(f"{p}flow:{w}:index", 0, -1, withscores=True)}
    gkey = f"{p}flow:{w}:index:{args.group}" if args.group else None
    card = r.zcard(gkey) if gkey else None
    same("window", doc.get("window"), w)
    same("group", doc.get("group"), args.group)
    same("group_size", doc.get("group_size"), card)
    want = []
    for c in set(fin) | set(fout) | set(net) | set(index):
        rank = r.zrevrank(gkey, c) if gkey else None
        want.append({"country": c, "in": fin.get(c, 0), "out": fout.get(c, 0),
                     "net": int(net[c]) if c in net else fin.get(c, 0) - fout.get(c, 0),
                     "index": index.get(c), "rank": None if rank is None else rank + 1})
    want.sort(key=lambda x: (-x["net"], x["country"]))
    same("countries", doc.get("countries"), want)
    for x in want:
        check(x["net"] == x["in"] - x["out"], f"fixture: net of {x['country']} is not in - out")
    if table is not None:
        rows = table_rows(table, "country")
        same("table flows rows", len(rows), len(want))
        for cells, x in zip(rows, want):
            same(f"table flows {x['country']}", cells,
                 [x["country"], str(x["in"]), str(x["out"]), format(x["net"], "+d"),
                  "-" if x["index"] is None else format(x["index"], "+.2f")]
                 + ([] if gkey is None else
                    ["-" if x["rank"] is None else f"{x['rank']}/{card}"]))


OFFER_FIELDS = ["extended", "accepted", "declined", "withdrawn", "extended_usd", "mega"]


def check_offers(r, args, doc, table):
    p, w = args.prefix, args.window
    want = []
    pat = re.compile(re.escape(f"{p}org:") + r"([^:]+)" + re.escape(f":offers:{w}") + "$")
    for key in r.scan_iter(match=f"{p}org:*:offers:{w}"):
        m = pat.match(key.decode())
        if not m:
            continue
        h = counts(r, key)
        name = r.hget(f"{p}org:{m.group(1)}", "name")
        want.append(dict({"org": m.group(1), "name": name.decode() if name else None},
                         **{f: h.get(f, 0) for f in OFFER_FIELDS}))
    want.sort(key=lambda x: (-x["extended_usd"], x["org"]))
    same("window", doc.get("window"), w)
    same("orgs", doc.get("orgs"), want)
    if table is not None:
        # The table names an organisation by its display name, when the
        # consumer kept one.
        rows = table_rows(table, "org")
        same("table offers orgs", [c[0] for c in rows], [x["name"] or x["org"] for x in want])
        for cells, x in zip(rows, want):
            same(f"table offers {x['org']} counts",
                 cells[1:5] + cells[6:], [str(x[f]) for f in OFFER_FIELDS if f != "extended_usd"])
            check(cells[5].startswith("$"), f"table offers {x['org']}: {cells[5]!r} is not $")
        for org, usd in args.money or []:
            shown = {x["org"]: x["name"] or x["org"] for x in want}.get(org, org)
            got = [c[5] for c in rows if c[0] == shown]
            same(f"table offers {org} extended_usd", got, [usd])


def check_alerts(r, args, doc, table):
    entries = r.xrevrange(f"{args.prefix}alerts", count=args.count)[::-1]
    want = []
    for eid, fields in entries:
        o = {"id": eid.decode()}
        for k, v in fields.items():
            k, v = k.decode(), v.decode()
            if k in ("event_time", "raised_at"):
                v = int(v)
            elif k in ("event_ids", "attributes"):
                v = json.loads(v)
                if k == "attributes" and not isinstance(v, dict):
                    check(False, f"attributes of {eid} is not a JSON object: {v!r}")
            o[k] = v
        want.append(o)
    # The listing is by event time, then stream id; --follow then prints
    # the new ones as they are raised.
    def by_time(a):
        ms, seq = a["id"].split("-")
        return (a.get("event_time", 2**63), int(ms), int(seq))
    if args.lines:
        doc = [json.loads(line) for line in doc.splitlines() if line.strip()]
        want = want[-len(doc):] if doc else []
        # The first --count of them were the listing (the stream held at
        # least that many when --follow started).
        k = min(args.count, len(want))
        want = sorted(want[:k], key=by_time) + want[k:]
    else:
        want.sort(key=by_time)
    same("alerts", doc, want)
    if table is not None:
        lines = [l for l in table.splitlines() if l.strip()]
        same("table alerts lines", len(lines), len(want))
        import datetime
        for line, a in zip(lines, want):
            t = datetime.datetime.fromtimestamp(a["event_time"] / 1000, datetime.timezone.utc)
            iso = t.strftime("%Y-%m-%dT%H:%M:%S") + (
                f".{a['event_time'] % 1000:03d}Z" if a["event_time"] % 1000 else "Z")
            same("table alert", line.split(None, 3),
                 [iso, a["severity"], a["rule"], a["summary"]])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["lab", "labs", "flows", "offers", "alerts"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password")
    ap.add_argument("--prefix", default="hw:")
    ap.add_argument("--name", help="lab NAME as given to hirewire-query")
    ap.add_argument("--window")
    ap.add_argument("--group", default=None,
                    help="the group hirewire-query should rank by (none: no ranks)")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--lines", action="store_true", help="JSON is one object per line")
    ap.add_argument("--money", nargs=2, action="append", metavar=("ORG", "TEXT"))
    ap.add_argument("json_file")
    ap.add_argument("table_file", nargs="?")
    args = ap.parse_args()
    if args.window is None:
        args.window = {"lab": "30d"}.get(args.command, "365d")
    r = redis.Redis(port=args.port, password=args.password)
    with open(args.json_file, encoding="utf-8") as f:
        raw = f.read()
    doc = raw if args.lines else json.loads(raw)
    table = None
    if args.table_file:
        with open(args.table_file, encoding="utf-8") as f:
            table = f.read()
    globals()["check_" + args.command](r, args, doc, table)
    for e in ERRORS:
        print(f"query_check {args.command}: {e}", file=sys.stderr)
    sys.exit(1 if ERRORS else 0)


if __name__ == "__main__":
    main()
