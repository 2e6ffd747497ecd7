#!/usr/bin/python3
"""Independent model of the Redis state hirewire-consumer must maintain.

Written from SPEC.md (section 3 and 4) and docs/redis-keys.md only: never from
the C sources and never from the consumer's output.  Given the events in the
order the consumer applies them, Model.expected_state() returns every key the
consumer writes (except the hw:offset:* keys and the hw:alert* keys):

    HASH   -> dict field -> str
    ZSET   -> dict member -> float
    SET    -> set of str
    STRING -> str

Counter fields that are zero, and keys with nothing in them, are absent.

compare() reads a live Redis and lists the differences; check_windows() checks,
from Redis alone, that every windowed hash equals the sum of its daily buckets
for the days of the window by the stored watermark.

CLI (run with Debian's /usr/bin/python3, which has python3-redis):

    model.py check   --redis-port P [--redis-host H] [--password PW] --prefix hw:
                     --bases F --groups F [--windows 7,30,90,365] [--mega N] EVENTS...
    model.py expect  [--prefix hw:] [--bases F] [--groups F] ... EVENTS...
    model.py windows --redis-port P --prefix hw: [--windows 7,30,90,365]

Decisions taken where the documents leave room (see also the report):
- lab identity is the slug: "already in that lab" compares slugs;
- hw:lab:<slug> keeps its `name` field after `members` drops to 0 (name is
  not a counter, so the hash is not empty);
- `name` is written by hires that move someone into the lab (not by
  repeated or late announcements);
- hw:flow:<W>:index(:<group>) holds every country with a configured base > 0
  (0 when it has no flow in the window), once any event was applied;
- a duplicate is an event_id present in any retained hw:seen:<day> set.
"""
import argparse
import collections
import csv
import datetime
import fnmatch
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hwcheck  # noqa: E402

DAY_MS = 86_400_000
EPOCH = datetime.date(1970, 1, 1)
MIN_TIME_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_MONEY = 10 ** 12
TIERS = ("S", "A", "B", "UNRATED")
STATUSES = ("EXTENDED", "ACCEPTED", "DECLINED", "WITHDRAWN")

# ISO 3166-1 alpha-2, officially assigned codes (249).
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
""".split())
assert len(ISO_COUNTRIES) == 249


# --------------------------------------------------------------------------
# Names, days

def slug(name):
    """ASCII letters lower-cased, ASCII digits and bytes >= 0x80 kept, every run
    of other bytes turned into one '-', trimmed of '-' at both ends.  Works on
    the UTF-8 bytes; returns str."""
    data = name.encode("utf-8", "surrogatepass") if isinstance(name, str) else bytes(name)
    out = bytearray()
    pending_dash = False
    for b in data:
        if 0x41 <= b <= 0x5A:
            b += 0x20
        keep = (0x61 <= b <= 0x7A) or (0x30 <= b <= 0x39) or b >= 0x80
        if keep:
            if pending_dash and out:
                out.append(0x2D)
            pending_dash = False
            out.append(b)
        else:
            pending_dash = True
    return out.decode("utf-8", "surrogateescape")


def day_of(ms):
    """Day number (days since 1970-01-01, UTC) of a time in ms."""
    return ms // DAY_MS


def ymd(day):
    """yyyymmdd of a day number."""
    return (EPOCH + datetime.timedelta(days=day)).strftime("%Y%m%d")


def day_from_ymd(text):
    d = datetime.datetime.strptime(text, "%Y%m%d").date()
    return (d - EPOCH).days


def windowed_key(x, w):
    """Name (without prefix) of the windowed hash of family X for window W."""
    if x.startswith("flow:"):
        return "flow:" + w + ":" + x[len("flow:"):]
    return x + ":" + w


def _blen(s):
    return len(s.encode("utf-8"))


def _utf8_ok(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# --------------------------------------------------------------------------
# Validation (SPEC section 3): the consumer rejects these, so they count nowhere

def validate(ev, now_ms=None):
    """None when the normalized event is valid, else the reason."""
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    kind = ev.get("type")
    if kind not in ("hire", "offer"):
        return "type must be hire or offer"
    for k, v in ev.items():
        if isinstance(v, str) and not _utf8_ok(v):
            return f"{k}: not valid UTF-8"

    def string(field, lo=None, hi=None, optional=False):
        v = ev.get(field)
        if v is None:
            return None if optional else f"{field}: missing"
        if not isinstance(v, str):
            return f"{field}: not a string"
        n = _blen(v)
        if lo is not None and n < lo:
            return f"{field}: shorter than {lo} bytes"
        if hi is not None and n > hi:
            return f"{field}: longer than {hi} bytes"
        return None

    def country(field, optional=False):
        v = ev.get(field)
        if v is None and optional:
            return None
        if not isinstance(v, str) or v not in ISO_COUNTRIES:
            return f"{field}: not an assigned ISO 3166-1 alpha-2 code"
        return None

    def money(field, optional=False, bounded=True):
        v = ev.get(field)
        if v is None:
            return None if optional else f"{field}: missing"
        if not isinstance(v, int) or isinstance(v, bool):
            return f"{field}: not an integer"
        if bounded and not (0 <= v <= MAX_MONEY):
            return f"{field}: out of range"
        if not (-2 ** 63 <= v < 2 ** 63):
            return f"{field}: not a long"
        return None

    checks = [string("event_id", 1, 128), string("person_id", 1, 128),
              string("person_name", None, 200, optional=True),
              string("source_url", None, 2048, optional=True)]
    t = ev.get("occurred_at")
    if not isinstance(t, int) or isinstance(t, bool):
        checks.append("occurred_at: not a time")
    elif t < MIN_TIME_MS:
        checks.append("occurred_at: before 2000-01-01")
    elif t > now_ms + DAY_MS:
        checks.append("occurred_at: more than 24 h in the future")
    if ev.get("tier", "UNRATED") not in TIERS:
        checks.append("tier: not a Tier")
    checks += [country("from_country"), country("to_country")]
    if kind == "hire":
        checks += [string("from_org", 1, 200), string("to_org", 1, 200),
                   string("from_lab", optional=True), string("to_lab", optional=True),
                   country("nationality", optional=True),
                   string("alma_mater", optional=True),
                   money("compensation_usd", optional=True)]
        if (ev.get("from_org"), ev.get("from_lab")) == (ev.get("to_org"), ev.get("to_lab")):
            checks.append("from (org, lab) equals to (org, lab)")
    else:
        checks += [string("offering_org"), string("offering_lab", optional=True),
                   string("current_org"), money("total_value_usd"),
                   money("sign_on_bonus_usd", optional=True, bounded=False)]
        if ev.get("status") not in STATUSES:
            checks.append("status: not an OfferStatus")
    for c in checks:
        if c:
            return c
    return None


# --------------------------------------------------------------------------
# The model

class Model:
    def __init__(self, prefix="hw:", windows=(7, 30, 90, 365), mega=100_000_000,
                 bases=None, groups=None, seen_days=365, check_valid=True, now_ms=None,
                 raid=True):
        self.prefix = prefix
        self.raid = raid               # alerts.raid.enabled: hw:raid:<lab> index kept
        self.windows = tuple(sorted(int(n) for n in windows))
        self.max_window = max(self.windows) if self.windows else 0
        self.mega = mega
        self.bases = dict(bases or {})
        self.groups = {g: set(m) for g, m in (groups or {}).items()}
        self.seen_days = seen_days
        self.check_valid = check_valid
        self.now_ms = now_ms
        self.watermark = None          # ms
        self.seen = {}                 # day -> set of event_id
        self.seen_at = {}              # event_id -> day of its seen set
        self.persons = {}              # person_id -> dict (the person hash)
        self.lab_names = {}            # lab slug -> display name
        self.org_names = {}            # offering org slug -> display name
        self.members = collections.Counter()            # lab slug -> members
        self.gauges = collections.defaultdict(collections.Counter)  # (slug, kind)
        self.all = collections.defaultdict(collections.Counter)     # X -> fields
        self.daily = collections.defaultdict(
            lambda: collections.defaultdict(collections.Counter))   # day -> X -> fields
        self.raid_hires = collections.defaultdict(dict)  # (lab, org slug) -> {event_id: day}
        self.stats = collections.Counter()
        self.invalid = []              # (event_id, reason)

    # -- events ----------------------------------------------------------
    def apply(self, event):
        """Applies one event (NDJSON dict, raw or normalized) in delivery order.
        Returns what happened: move, repeat, late, offer, duplicate, invalid."""
        try:
            ev = hwcheck.normalize_line(event)  # idempotent: normalized input is fine
        except Exception as e:  # noqa: BLE001 - unparsable line: the producer refuses it
            self.stats["invalid"] += 1
            self.invalid.append((event.get("event_id") if isinstance(event, dict) else None,
                                 f"unparsable: {e}"))
            return "invalid"
        if self.check_valid:
            reason = validate(ev, self.now_ms)
            if reason:
                self.stats["invalid"] += 1
                self.invalid.append((ev.get("event_id"), reason))
                return "invalid"
        eid = ev["event_id"]
        if eid in self.seen_at:
            self.stats["duplicate"] += 1
            return "duplicate"
        t = ev["occurred_at"]
        day = day_of(t)
        self._advance(t)
        if day > day_of(self.watermark) - self.seen_days:
            self.seen.setdefault(day, set()).add(eid)
            self.seen_at[eid] = day
        if ev["type"] == "offer":
            what = self._offer(ev, day)
        else:
            what = self._hire(ev, day)
        self.stats[what] += 1
        return what

    def _advance(self, t):
        if self.watermark is not None and t <= self.watermark:
            return
        self.watermark = t
        limit = day_of(t) - self.seen_days
        for d in [d for d in self.seen if d <= limit]:
            for eid in self.seen.pop(d):
                if self.seen_at.get(eid) == d:
                    del self.seen_at[eid]

    def _count(self, day, x, field, n=1):
        # Counted in `all` always; in the bucket of its day.  Buckets are
        # trimmed against the (monotonic) watermark, so keeping every day here
        # and selecting the retained days at the end gives the same state as
        # dropping events already older than the largest window when applied.
        if n == 0:
            return
        self.all[x][field] += n
        self.daily[day][x][field] += n

    def _offer(self, ev, day):
        self.org_names[slug(ev["offering_org"])] = ev["offering_org"]
        x = "org:" + slug(ev["offering_org"]) + ":offers"
        status = ev["status"]
        self._count(day, x, status.lower())
        if status == "EXTENDED":
            self._count(day, x, "extended_usd", ev["total_value_usd"])
            if ev["total_value_usd"] >= self.mega:
                self._count(day, x, "mega")
        return "offer"

    def _hire(self, ev, day):
        pid = ev["person_id"]
        lab_name = ev["to_lab"] if ev.get("to_lab") is not None else ev["to_org"]
        lab = slug(lab_name)
        t = ev["occurred_at"]
        cur = self.persons.get(pid)
        if cur is not None and slug(cur["lab"]) == lab:
            return "repeat"
        late = cur is not None and int(cur["at"]) > t
        if not late:
            if cur is not None:
                self._gauges(cur, -1)
            rec = {"lab": lab_name, "origin": ev["from_org"],
                   "nationality": ev.get("nationality") if ev.get("nationality") is not None else "unknown",
                   "alma_mater": ev.get("alma_mater") if ev.get("alma_mater") is not None else "unknown",
                   "tier": ev.get("tier") or "UNRATED",
                   "at": str(t), "event_id": ev["event_id"]}
            self.persons[pid] = rec
            self.lab_names[lab] = lab_name
            self._gauges(rec, +1)
        self._count(day, "lab:" + lab + ":hires", ev["from_org"])
        self.raid_hires[(lab, slug(ev["from_org"]))][ev["event_id"]] = day
        self._count(day, "org:" + slug(ev["from_org"]) + ":losses", lab)
        fc, tc = ev["from_country"], ev["to_country"]
        if fc != tc:
            self._count(day, "flow:in", tc)
            self._count(day, "flow:out", fc)
            self._count(day, "flow:pair", fc + ">" + tc)
        return "late" if late else "move"

    def _gauges(self, rec, sign):
        lab = slug(rec["lab"])
        self.members[lab] += sign
        for kind in ("origin", "nationality", "alma_mater", "tier"):
            self.gauges[(lab, kind)][rec[kind]] += sign

    # -- expected state --------------------------------------------------
    def window_names(self):
        return [f"{n}d" for n in self.windows] + ["all"]

    def expected_state(self):
        p = self.prefix
        st = {}

        def put_hash(key, counter):
            h = {f: str(v) for f, v in counter.items() if v != 0}
            if h:
                st[p + key] = h

        if self.watermark is not None:
            st[p + "watermark"] = str(self.watermark)
        for pid, rec in self.persons.items():
            st[p + "person:" + pid] = dict(rec)
        for lab in set(self.lab_names) | set(self.members):
            h = {}
            if lab in self.lab_names:
                h["name"] = self.lab_names[lab]
            if self.members[lab]:
                h["members"] = str(self.members[lab])
            if h:
                st[p + "lab:" + lab] = h
        for org, name in self.org_names.items():
            st[p + "org:" + org] = {"name": name}
        for (lab, kind), c in self.gauges.items():
            put_hash("lab:" + lab + ":" + kind, c)
        labs = {lab: float(n) for lab, n in self.members.items() if n}
        if labs:
            st[p + "labs"] = labs

        # windows
        sums = {}  # window name -> X -> Counter
        for x, c in self.all.items():
            sums.setdefault("all", {})[x] = c
        if self.watermark is not None:
            D = day_of(self.watermark)
            days_zset = {}
            for day, xs in self.daily.items():
                if not (D - self.max_window < day <= D):
                    continue
                # a day's buckets: one hash, fields "<family> <field>"
                bucket = collections.Counter()
                for x, c in xs.items():
                    for f, val in c.items():
                        bucket[x + " " + f] += val
                    for n in self.windows:
                        if D - n < day:
                            sums.setdefault(f"{n}d", {}).setdefault(x, collections.Counter()).update(c)
                if any(bucket.values()):
                    put_hash("b:" + ymd(day), bucket)
                    days_zset[ymd(day)] = float(day)
            if days_zset:
                st[p + "b:days"] = days_zset
            # the raid index: hires from each org into each lab within the
            # largest window
            if self.raid:
                for (lab, org), hires in self.raid_hires.items():
                    z = {m: float(day) for m, day in hires.items()
                         if D - self.max_window < day <= D}
                    if z:
                        st[p + "raid:" + lab + ":" + org] = z
            # seen
            seen_zset = {}
            for day, ids in self.seen.items():
                if day > D - self.seen_days and ids:
                    st[p + "seen:" + ymd(day)] = set(ids)
                    seen_zset[ymd(day)] = float(day)
            if seen_zset:
                st[p + "seen:days"] = seen_zset
        for w, xs in sums.items():
            for x, c in xs.items():
                put_hash(windowed_key(x, w), c)
        # country flow index
        for w in self.window_names():
            xs = sums.get(w, {})
            fin = xs.get("flow:in", collections.Counter())
            fout = xs.get("flow:out", collections.Counter())
            net = {}
            for c in set(k for k, v in fin.items() if v) | set(k for k, v in fout.items() if v):
                net[c] = float(fin[c] - fout[c])
            if net:
                st[p + "flow:" + w + ":net"] = net
            # Every country with a base, 0 without flows, once anything
            # was applied (redis-keys.md: ranks are among all members).
            index = {c: (fin[c] - fout[c]) * 10000 / b
                     for c, b in self.bases.items() if b > 0} if self.watermark is not None else {}
            if index:
                st[p + "flow:" + w + ":index"] = index
            for g, members in self.groups.items():
                gi = {c: v for c, v in index.items() if c in members}
                if gi:
                    st[p + "flow:" + w + ":index:" + g] = gi
        return st


# --------------------------------------------------------------------------
# Config

def _num(text):
    text = text.strip().replace("_", "")
    try:
        return int(text)
    except ValueError:
        return float(text)


def load_config(bases_csv=None, groups_csv=None):
    """(bases, groups) from deploy/config-style CSV files: "country,base" and
    "group,country".  Blank lines, '#' comments and a header row are skipped."""
    bases, groups = {}, {}
    for path, kind in ((bases_csv, "bases"), (groups_csv, "groups")):
        if not path:
            continue
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                row = [c.strip() for c in row]
                if not row or not row[0] or row[0].startswith("#") or len(row) < 2:
                    continue
                if kind == "bases":
                    try:
                        bases[row[0]] = _num(row[1])
                    except ValueError:
                        continue  # header
                else:
                    if row[0].lower() == "group" and row[1].lower() == "country":
                        continue
                    groups.setdefault(row[0], set()).add(row[1])
    return bases, groups


def read_events(paths):
    """Raw NDJSON dicts from the files, in order (unparsable lines yield the
    text, which Model.apply counts as invalid)."""
    for path in paths:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = {"_unparsable": line.rstrip("\n")}
                if not isinstance(obj, dict):
                    obj = {"_unparsable": line.rstrip("\n")}
                yield obj


# --------------------------------------------------------------------------
# Reading Redis and comparing

def _s(v):
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v


def _glob_escape(text):
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _ignored(key, prefix, ignore):
    # b:gen counts compactions of the bucket logs and steps the atomic
    # steps: bookkeeping that depends on how the steps were cut
    # (check_windows checks b:gen on its own); steps:at is when the last
    # applied.
    if (key.startswith(prefix + "alert") or key.startswith(prefix + "offset:")
            or key.startswith(prefix + "ends:") or key == prefix + "epoch"
            or key == prefix + "b:gen" or key == prefix + "steps"
            or key == prefix + "steps:at"
            or key == prefix + "layout" or key == prefix + "turn"):
        return True
    return any(fnmatch.fnmatchcase(key, pat) for pat in ignore)


def kind_of(value):
    if isinstance(value, str):
        return "string"
    if isinstance(value, (set, frozenset)):
        return "set"
    if isinstance(value, dict):
        if value and all(isinstance(v, str) for v in value.values()):
            return "hash"
        return "zset"
    return type(value).__name__


def decode_bucket_log(text):
    """A day's bucket log (docs/redis-keys.md: records "<n>:<family> <field>=<delta>\\n")
    as the hash of its sums, {"<family> <field>": "<sum>"}, sums of 0 left out.
    Raises ValueError naming the first record not in the format."""
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    sums, at = {}, 0
    while at < len(raw):
        colon = raw.find(b":", at)
        if colon < 0 or not raw[at:colon].isdigit():
            raise ValueError(f"no record length at byte {at}")
        n = int(raw[at:colon])
        name = raw[colon + 1:colon + 1 + n]
        eq = colon + 1 + n
        nl = raw.find(b"\n", eq)
        if len(name) != n or raw[eq:eq + 1] != b"=" or nl < 0:
            raise ValueError(f"bad record at byte {at}")
        delta = int(raw[eq + 1:nl])
        key = _s(name)
        sums[key] = sums.get(key, 0) + delta
        at = nl + 1
    return {k: str(v) for k, v in sums.items() if v != 0}


PERSON_PARTS = ("lab", "origin", "nationality", "alma_mater", "tier", "at", "event_id")


def decode_person(value):
    """A person's record in the registry (hw:persons:<n>, field person_id):
    its seven parts, each written "<length>:<bytes>", as the person's hash."""
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    out, at = {}, 0
    for part in PERSON_PARTS:
        colon = data.find(b":", at)
        if colon <= at or not data[at:colon].isdigit():
            raise ValueError(f"no length before {part} at byte {at}")
        n = int(data[at:colon])
        if colon + 1 + n > len(data):
            raise ValueError(f"{part} runs past the end")
        out[part] = _s(data[colon + 1:colon + 1 + n])
        at = colon + 1 + n
    if at != len(data):
        raise ValueError(f"{len(data) - at} bytes after event_id")
    return out


def decode_raid_index(value):
    """A pair's raid index (a field of hw:raid: records "<day> <length>:<event_id>\\n")
    as the model's {event_id: day}."""
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    out, at = {}, 0
    while at < len(data):
        sp = data.find(b" ", at)
        colon = data.find(b":", sp + 1) if sp > 0 else -1
        if sp < 0 or colon < 0:
            raise ValueError(f"no day and length at byte {at}")
        day, n = int(data[at:sp]), int(data[sp + 1:colon])
        end = colon + 1 + n
        if data[end:end + 1] != b"\n":
            raise ValueError(f"record at byte {at} does not end with a newline")
        out[_s(data[colon + 1:end])] = float(day)
        at = end + 1
    return out


def _persons_key(key, prefix):
    rest = key[len(prefix):] if key.startswith(prefix) else ""
    return rest.startswith("persons:") and rest[8:].isdigit()


def _bucket_key(key, prefix):
    rest = key[len(prefix):] if key.startswith(prefix) else ""
    return rest.startswith("b:") and len(rest) == 10 and rest[2:].isdigit()


def read_state(r, prefix, ignore=(), match_suffix="*"):
    """Every key under the prefix (except alerts, offsets and ends) in the model's
    representation; other types as ("<type>", None). A day's bucket log is read
    as the hash of its sums (("badlog", reason) when it is not one)."""
    keys = [_s(k) for k in r.scan_iter(match=_glob_escape(prefix) + match_suffix, count=1000)]
    keys = sorted(set(k for k in keys if not _ignored(k, prefix, ignore)))
    out = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        pipe = r.pipeline(transaction=False)
        for k in chunk:
            pipe.type(k.encode("utf-8", "surrogateescape"))
        types = [_s(t) for t in pipe.execute()]
        pipe = r.pipeline(transaction=False)
        for k, t in zip(chunk, types):
            kb = k.encode("utf-8", "surrogateescape")
            if t == "hash":
                pipe.hgetall(kb)
            elif t == "zset":
                pipe.zrange(kb, 0, -1, withscores=True)
            elif t == "set":
                pipe.smembers(kb)
            elif t == "string":
                pipe.get(kb)
            else:
                pipe.type(kb)
        vals = pipe.execute()
        for k, t, v in zip(chunk, types, vals):
            if t == "none":
                continue  # deleted between SCAN and read
            if t == "hash" and _persons_key(k, prefix):
                # The registry: each field is a person, read as the hash
                # <prefix>person:<id> the model keeps.
                for f, x in v.items():
                    try:
                        out[prefix + "person:" + _s(f)] = decode_person(x)
                    except ValueError as e:
                        out[prefix + "person:" + _s(f)] = ("badperson", str(e))
            elif t == "hash" and k == prefix + "raid":
                # The raid index: each field a pair, read as the sorted
                # set <prefix>raid:<lab>:<org> the model keeps.
                for f, x in v.items():
                    try:
                        out[prefix + "raid:" + _s(f)] = decode_raid_index(x)
                    except ValueError as e:
                        out[prefix + "raid:" + _s(f)] = ("badraid", str(e))
            elif t == "hash":
                out[k] = {_s(f): _s(x) for f, x in v.items()}
            elif t == "zset":
                out[k] = {_s(m): float(sc) for m, sc in v}
            elif t == "set":
                out[k] = {_s(m) for m in v}
            elif t == "string" and _bucket_key(k, prefix):
                try:
                    out[k] = decode_bucket_log(v)
                except ValueError as e:
                    out[k] = ("badlog", str(e))
            elif t == "string":
                out[k] = _s(v)
            else:
                out[k] = (t, None)
    return out


def _close(a, b, rel=1e-9):
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _short(v, n=80):
    text = repr(v)
    return text if len(text) <= n else text[:n - 3] + "..."


def diff_states(expected, actual, limit=50):
    """Human-readable differences between two states (model representation)."""
    diffs = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            diffs.append(f"missing key {key} ({kind_of(expected[key])}): expected {_short(expected[key])}")
            continue
        if key not in expected:
            a = actual[key]
            kind = a[0] if isinstance(a, tuple) else kind_of(a)
            diffs.append(f"extra key {key} ({kind}): {_short(a)}")
            continue
        e, a = expected[key], actual[key]
        ek = kind_of(e)
        ak = a[0] if isinstance(a, tuple) else kind_of(a)
        if ek != ak:
            diffs.append(f"wrong type {key}: expected {ek}, actual {ak}")
            continue
        if ek == "string":
            if e != a:
                diffs.append(f"{key}: expected {e!r}, actual {a!r}")
        elif ek == "set":
            for m in sorted(e - a):
                diffs.append(f"{key}: missing member {m!r}")
            for m in sorted(a - e):
                diffs.append(f"{key}: extra member {m!r}")
        else:
            zset = ek == "zset"
            for f in sorted(set(e) | set(a)):
                if f not in a:
                    diffs.append(f"{key}: missing field {f!r} (expected {e[f]!r})")
                elif f not in e:
                    diffs.append(f"{key}: extra field {f!r} = {a[f]!r}")
                elif (not _close(float(e[f]), float(a[f]))) if zset else e[f] != a[f]:
                    diffs.append(f"{key}: field {f!r}: expected {e[f]!r}, actual {a[f]!r}")
    if limit and len(diffs) > limit:
        more = len(diffs) - limit
        diffs = diffs[:limit] + [f"... and {more} more differences"]
    return diffs


def compare(redis_client, prefix, expected, ignore=(), limit=50):
    """Differences between the model's expected state and Redis (all keys
    under the prefix, except hw:alert* and hw:offset:*)."""
    return diff_states(expected, read_state(redis_client, prefix, ignore), limit)


# --------------------------------------------------------------------------
# Window invariant, from Redis alone

def _int_fields(h):
    out = {}
    for f, v in h.items():
        try:
            out[f] = int(v)
        except ValueError:
            out[f] = v
    return out


def check_windows(redis_client, prefix, windows=(7, 30, 90, 365), seen_days=365, limit=50):
    """Checks, reading Redis only: every windowed hash X:<Nd> equals the sum of
    its buckets (the fields "X <field>" of hw:b:<day>) for D - N < day <= D
    (D = day of hw:watermark); no bucket exists outside the largest window;
    hw:b:days lists exactly the days with buckets; bucket and
    window fields are positive integers; X:all >= X:<largest window>;
    hw:flow:<W>:net = in - out; hw:flow:<W>:index:<g> agrees with :index;
    hw:seen:days lists exactly the retained hw:seen:<day> sets."""
    p = prefix
    windows = sorted(int(n) for n in windows)
    wnames = [f"{n}d" for n in windows]
    maxn = max(windows)
    state = read_state(redis_client, prefix)
    v = []
    wm = state.get(p + "watermark")
    buckets = {}    # day -> X -> hash
    bdays = None
    windowed = {}   # (X, W) -> hash
    nets, indexes = {}, {}
    seen_sets, seen_days_z = {}, None
    for key, val in state.items():
        rest = key[len(p):]
        parts = rest.split(":")
        if rest == "b:days":
            bdays = val
        elif parts[0] == "b" and len(parts) == 2 and len(parts[1]) == 8 and parts[1].isdigit():
            try:
                day = day_from_ymd(parts[1])
            except ValueError:
                v.append(f"{key}: bad day in bucket key")
                continue
            if not isinstance(val, dict):
                v.append(f"{key}: expected a hash, found {kind_of(val)}")
                continue
            for bf, x in val.items():
                family, sep, f = bf.partition(" ")
                if not sep:
                    v.append(f"{key}: field {bf!r} is not \"<family> <field>\"")
                    continue
                buckets.setdefault(day, {}).setdefault(family, {})[f] = x
        elif parts[0] == "b":
            v.append(f"{key}: unexpected key under b:")
        elif rest == "seen:days":
            seen_days_z = val
        elif parts[0] == "seen" and len(parts) == 2:
            try:
                seen_sets[day_from_ymd(parts[1])] = val
            except ValueError:
                v.append(f"{key}: bad day in seen key")
        elif parts[0] == "flow" and len(parts) >= 3:
            w = parts[1]
            if parts[2] in ("in", "out", "pair") and len(parts) == 3:
                windowed[("flow:" + parts[2], w)] = val
            elif parts[2] == "net" and len(parts) == 3:
                nets[w] = val
            elif parts[2] == "index":
                indexes[(w, ":".join(parts[3:]) or None)] = val
            else:
                v.append(f"{key}: unexpected flow key")
            if w not in wnames and w != "all":
                v.append(f"{key}: window {w!r} is not configured")
        elif (len(parts) == 4 and parts[0] == "lab" and parts[2] == "hires") or \
                (len(parts) == 4 and parts[0] == "org" and parts[2] in ("losses", "offers")):
            w = parts[3]
            windowed[(":".join(parts[:3]), w)] = val
            if w not in wnames and w != "all":
                v.append(f"{key}: window {w!r} is not configured")

    def typed(key, val, kind):
        if not isinstance(val, dict if kind in ("hash", "zset") else set) or \
                (kind_of(val) != kind):
            v.append(f"{key}: expected a {kind}, found {val[0] if isinstance(val, tuple) else kind_of(val)}")
            return False
        return True

    def positive(key, h):
        for f, x in h.items():
            try:
                ok = int(x) > 0 and str(int(x)) == x
            except ValueError:
                ok = False
            if not ok:
                v.append(f"{key}: field {f!r} = {x!r} is not a positive integer")

    for (x, w), h in windowed.items():
        if typed(p + windowed_key(x, w), h, "hash"):
            positive(p + windowed_key(x, w), h)
    for day, xs in buckets.items():
        for x, h in xs.items():
            positive(f"{p}b:{ymd(day)} ({x})", h)

    if wm is None:
        for day in sorted(buckets):
            v.append(f"{p}b:{ymd(day)}: buckets exist but there is no {p}watermark")
        if bdays:
            v.append(f"{p}b:days exists but there is no {p}watermark")
        for (x, w) in windowed:
            if w != "all":
                v.append(f"{p}{windowed_key(x, w)} exists but there is no {p}watermark")
    else:
        try:
            D = day_of(int(wm))
        except (TypeError, ValueError):
            v.append(f"{p}watermark = {wm!r} is not an integer")
            D = None
        if D is not None:
            for day in sorted(buckets):
                if not (D - maxn < day <= D):
                    v.append(f"{p}b:{ymd(day)}: bucket outside the {maxn}d window "
                             f"(watermark day {ymd(D)}): {sorted(buckets[day])[:5]}")
            families = {x for xs in buckets.values() for x in xs} | \
                       {x for (x, w) in windowed if w != "all"}
            for x in sorted(families):
                for n, w in zip(windows, wnames):
                    want = collections.Counter()
                    for day, xs in buckets.items():
                        if D - n < day <= D and isinstance(xs.get(x), dict):
                            for f, val in xs[x].items():
                                try:
                                    want[f] += int(val)
                                except ValueError:
                                    pass
                    want = {f: str(c) for f, c in want.items() if c}
                    have = windowed.get((x, w), {})
                    if not isinstance(have, dict):
                        continue
                    if want != have:
                        fields = sorted(set(want) | set(have))
                        bad = [f"{f!r}: buckets {want.get(f, 'absent')}, window {have.get(f, 'absent')}"
                               for f in fields if want.get(f) != have.get(f)]
                        v.append(f"{p}{windowed_key(x, w)} != sum of its buckets: " + "; ".join(bad[:5])
                                 + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""))
                big, alls = windowed.get((x, wnames[-1]), {}), windowed.get((x, "all"), {})
                if isinstance(big, dict) and isinstance(alls, dict):
                    for f, val in big.items():
                        try:
                            if int(alls.get(f, "0")) < int(val):
                                v.append(f"{p}{windowed_key(x, 'all')}: field {f!r} = {alls.get(f, '0')} "
                                         f"< {wnames[-1]} value {val}")
                        except ValueError:
                            pass
            # bookkeeping
            want_days = {ymd(d): float(d) for d, xs in buckets.items() if xs}
            gens = {_s(f): _s(x) for f, x in redis_client.hgetall((p + "b:gen").encode()).items()}
            for day_text, n in sorted(gens.items()):
                if day_text not in want_days:
                    v.append(f"{p}b:gen: {day_text} has a generation but no bucket log")
                if not n.isdigit() or int(n) < 1:
                    v.append(f"{p}b:gen: {day_text} -> {n!r} is not a positive count")
            if (bdays or {}) != want_days:
                if bdays is not None and not isinstance(bdays, dict):
                    v.append(f"{p}b:days is not a zset")
                else:
                    bd = bdays or {}
                    miss = sorted(set(want_days) - set(bd))
                    extra = sorted(set(bd) - set(want_days))
                    wrong = sorted(d for d in set(bd) & set(want_days) if bd[d] != want_days[d])
                    v.append(f"{p}b:days does not list exactly the days with buckets: "
                             f"missing {miss[:5]}, extra {extra[:5]}, wrong score {wrong[:5]}")
            # seen sets
            for day in sorted(seen_sets):
                if day <= D - seen_days:
                    v.append(f"{p}seen:{ymd(day)}: kept although {seen_days} or more days behind the watermark")
                if day > D:
                    v.append(f"{p}seen:{ymd(day)}: day after the watermark")
            want_seen = {ymd(d): float(d) for d, s in seen_sets.items() if s}
            if seen_days_z is not None and not isinstance(seen_days_z, dict):
                v.append(f"{p}seen:days is not a zset")
            elif (seen_days_z or {}) != want_seen:
                sd = seen_days_z or {}
                miss = sorted(set(want_seen) - set(sd))
                extra = sorted(set(sd) - set(want_seen))
                wrong = sorted(d for d in set(sd) & set(want_seen) if sd[d] != want_seen[d])
                v.append(f"{p}seen:days does not list exactly the seen sets: "
                         f"missing {miss[:5]}, extra {extra[:5]}, wrong score {wrong[:5]}")
    # flow net and index consistency
    for w in wnames + ["all"]:
        fin = windowed.get(("flow:in", w), {})
        fout = windowed.get(("flow:out", w), {})
        if not isinstance(fin, dict) or not isinstance(fout, dict):
            continue
        want = {}
        for c in set(fin) | set(fout):
            try:
                want[c] = float(int(fin.get(c, "0")) - int(fout.get(c, "0")))
            except ValueError:
                pass
        have = nets.get(w, {})
        if want != have:
            bad = sorted(c for c in set(want) | set(have) if want.get(c) != have.get(c))
            v.append(f"{p}flow:{w}:net != in - out for {bad[:8]}"
                     + "".join(f"; {c}: in-out {want.get(c)}, net {have.get(c)}" for c in bad[:3]))
        base = indexes.get((w, None), {})
        for (iw, g), gi in indexes.items():
            if iw != w or g is None or not isinstance(gi, dict) or not isinstance(base, dict):
                continue
            for c, sc in gi.items():
                if c not in base or not _close(base[c], sc):
                    v.append(f"{p}flow:{w}:index:{g}: {c} = {sc}, but {p}flow:{w}:index has {base.get(c)}")
    if limit and len(v) > limit:
        more = len(v) - limit
        v = v[:limit] + [f"... and {more} more violations"]
    return v


# --------------------------------------------------------------------------
# CLI

def _redis(args):
    import redis
    if args.redis:
        return redis.Redis.from_url(args.redis)
    pw = args.password if args.password is not None else os.environ.get("REDIS_PASSWORD")
    return redis.Redis(host=args.redis_host, port=args.redis_port, password=pw, db=args.db)


def _windows(text):
    return tuple(int(x.strip().rstrip("d")) for x in text.split(",") if x.strip())


def build_model(args):
    bases, groups = load_config(args.bases, args.groups)
    m = Model(prefix=args.prefix, windows=_windows(args.windows), mega=args.mega,
              bases=bases, groups=groups, seen_days=args.seen_days, raid=not args.no_raid,
              check_valid=not args.no_validate)
    for ev in read_events(args.events):
        m.apply(ev)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(m.stats.items()))
    print(f"model: {summary or 'no events'}", file=sys.stderr)
    for eid, why in m.invalid[:10]:
        print(f"model: skipped invalid event {eid}: {why}", file=sys.stderr)
    return m


def _jsonable(state):
    out = {}
    for k, val in sorted(state.items()):
        out[k] = sorted(val) if isinstance(val, (set, frozenset)) else val
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="model.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(sp, events=True, redis_needed=True):
        sp.add_argument("--prefix", default="hw:")
        sp.add_argument("--windows", default="7,30,90,365")
        sp.add_argument("--seen-days", type=int, default=365)
        sp.add_argument("--no-raid", action="store_true",
                        help="the consumer runs with alerts.raid.enabled=0 (no hw:raid:* index)")
        if redis_needed:
            sp.add_argument("--redis-port", type=int, default=6379)
            sp.add_argument("--redis-host", default="127.0.0.1")
            sp.add_argument("--password")
            sp.add_argument("--db", type=int, default=0)
            sp.add_argument("--redis", help="redis://[:password@]host:port[/db] (overrides host/port)")
            sp.add_argument("--ignore", action="append", default=[],
                            help="glob of extra keys to ignore (full key, prefix included)")
        if events:
            sp.add_argument("--bases")
            sp.add_argument("--groups")
            sp.add_argument("--mega", type=int, default=100_000_000)
            sp.add_argument("--no-validate", action="store_true",
                            help="apply every line, even those the consumer would reject")
            sp.add_argument("events", nargs="+")

    common(sub.add_parser("check", help="compare Redis with the model"))
    common(sub.add_parser("expect", help="print the expected state as JSON"), redis_needed=False)
    common(sub.add_parser("windows", help="window invariant only"), events=False)
    args = ap.parse_args(argv)

    if args.cmd == "expect":
        m = build_model(args)
        json.dump(_jsonable(m.expected_state()), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    r = _redis(args)
    windows = _windows(args.windows)
    if args.cmd == "windows":
        v = check_windows(r, args.prefix, windows, args.seen_days)
        for line in v:
            print("window: " + line)
        if not v:
            print("ok: window invariant holds")
        return 1 if v else 0
    m = build_model(args)
    expected = m.expected_state()
    diffs = compare(r, args.prefix, expected, ignore=args.ignore, limit=0)
    v = check_windows(r, args.prefix, windows, args.seen_days, limit=0)
    for line in diffs[:50]:
        print(line)
    if len(diffs) > 50:
        print(f"... and {len(diffs) - 50} more differences")
    for line in v[:50]:
        print("window: " + line)
    if len(v) > 50:
        print(f"window: ... and {len(v) - 50} more violations")
    if diffs or v:
        print(f"FAILED: {len(diffs)} differences, {len(v)} window violations "
              f"({len(expected)} keys expected)")
        return 1
    print(f"ok: {len(expected)} keys equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
