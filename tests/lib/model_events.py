"""Events and configuration for the reference model (tests/lib/model.py).

Owns what the model needs before any rule runs: the constants of SPEC.md
section 3 (the ISO 3166-1 countries, tiers, offer statuses, money and time
bounds), names and days (slug, day numbers, yyyymmdd, the windowed hash of a
family), the validation the consumer applies (validate: an event it rejects
counts nowhere), the deploy/config-style CSV files of bases and groups
(load_config) and the NDJSON event files (read_events).
"""
import csv
import datetime
import json
import time

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

