"""The reference model's rules: Model applies events in delivery order and
gives the Redis state hirewire-consumer must then hold.

Written from SPEC.md (section 3 and 4) and docs/redis-keys.md only: never from
the C sources and never from the consumer's output.  Given the events in the
order the consumer applies them, Model.expected_state() returns every key the
consumer writes (except the hw:offset:* keys and the hw:alert* keys):

    HASH   -> dict field -> str
    ZSET   -> dict member -> float
    SET    -> set of str
    STRING -> str

Counter fields that are zero, and keys with nothing in them, are absent.

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
import collections

import hwcheck
from model_events import day_of, slug, validate, windowed_key, ymd


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
