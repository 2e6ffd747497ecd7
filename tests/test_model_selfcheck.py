#!/usr/bin/python3
"""Self-check of tests/lib/model.py: small event lists with expected values
computed by hand from docs/redis-keys.md and SPEC.md.  No Redis needed.

    /usr/bin/python3 tests/test_model_selfcheck.py
"""
import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import model  # noqa: E402

W = ("7d", "30d", "90d", "365d", "all")
MSL = "meta-superintelligence-labs"


def hire(eid, when, pid, from_org, to_org, from_country="US", to_country="US",
         from_lab=None, to_lab=None, nationality=None, alma_mater=None, tier=None):
    ev = {"type": "hire", "event_id": eid, "occurred_at": when, "person_id": pid,
          "from_org": from_org, "from_lab": from_lab, "to_org": to_org, "to_lab": to_lab,
          "from_country": from_country, "to_country": to_country,
          "nationality": nationality, "alma_mater": alma_mater}
    if tier is not None:
        ev["tier"] = tier
    return ev


def offer(eid, when, org, status, total, pid="p-offer"):
    return {"type": "offer", "event_id": eid, "occurred_at": when, "person_id": pid,
            "offering_org": org, "offering_lab": None, "current_org": "Somewhere",
            "from_country": "US", "to_country": "US", "status": status,
            "total_value_usd": total}


def run(events, **kw):
    m = model.Model(**kw)
    results = [m.apply(e) for e in events]
    return m, results, m.expected_state()


def iso(day, hh="12:00:00"):
    return day.isoformat() + "T" + hh + "Z"


class Slug(unittest.TestCase):
    def test_slugs(self):
        cases = {
            "  --OpenAI!! ": "openai",
            "Université de Montréal": "université-de-montréal",
            "Meta Superintelligence Labs": "meta-superintelligence-labs",
            "Google DeepMind": "google-deepmind",
            "A.I. Lab #2": "a-i-lab-2",
            "AI_Lab": "ai-lab",
            "x\t\ny": "x-y",
            "ÉCOLE Normale": "École-normale",   # bytes >= 0x80 kept, not lower-cased
            "日本 AI": "日本-ai",
            "---": "",
            "Meta Platforms, Inc.": "meta-platforms-inc",
            "R2-D2 007": "r2-d2-007",
            "ZÀ Lab": "zÀ-lab",                # "À" is C3 80: byte 0x80 is kept
        }
        for name, want in cases.items():
            self.assertEqual(model.slug(name), want, name)

    def test_slug_bytes(self):
        self.assertEqual(model.slug("Université").encode("utf-8"), b"universit\xc3\xa9")

    def test_utf8_lab_key(self):
        _, _, st = run([hire("u1", "2025-03-01T00:00:00Z", "p", "Mila", "Université de Montréal",
                             "CA", "CA")])
        self.assertEqual(st["hw:lab:université-de-montréal"],
                         {"name": "Université de Montréal", "members": "1"})
        self.assertEqual(st["hw:org:mila:losses:all"], {"université-de-montréal": "1"})


class JoinThenLeave(unittest.TestCase):
    """p1 joins MSL from OpenAI, then leaves MSL for Google DeepMind (US -> GB)."""

    def test_full_state(self):
        h1 = hire("h1", "2025-04-01T10:00:00Z", "p1", "OpenAI", "Meta",
                  to_lab="Meta Superintelligence Labs", nationality="CN",
                  alma_mater="Tsinghua University", tier="S")
        h2 = hire("h2", "2025-04-03T10:00:00Z", "p1", "Meta", "Google", "US", "GB",
                  from_lab="Meta Superintelligence Labs", to_lab="Google DeepMind",
                  nationality="CN", alma_mater="Tsinghua University", tier="A")
        m, res, st = run([h1, h2])
        self.assertEqual(res, ["move", "move"])
        # 2025-04-01 is day 20179, 2025-04-03 is day 20181.
        want = {
            "hw:watermark": "1743674400000",
            "hw:person:p1": {"lab": "Google DeepMind", "origin": "Meta", "nationality": "CN",
                             "alma_mater": "Tsinghua University", "tier": "A",
                             "at": "1743674400000", "event_id": "h2"},
            # the name is not a counter: the hash keeps it when members drops to 0
            "hw:lab:" + MSL: {"name": "Meta Superintelligence Labs"},
            "hw:lab:google-deepmind": {"name": "Google DeepMind", "members": "1"},
            "hw:lab:google-deepmind:origin": {"Meta": "1"},
            "hw:lab:google-deepmind:nationality": {"CN": "1"},
            "hw:lab:google-deepmind:alma_mater": {"Tsinghua University": "1"},
            "hw:lab:google-deepmind:tier": {"A": "1"},
            "hw:labs": {"google-deepmind": 1.0},
            # a day's buckets: one hash, fields "<family> <field>"
            "hw:b:20250401": {"lab:" + MSL + ":hires OpenAI": "1",
                              "org:openai:losses " + MSL: "1"},
            "hw:b:20250403": {"lab:google-deepmind:hires Meta": "1",
                              "org:meta:losses google-deepmind": "1",
                              "flow:in GB": "1", "flow:out US": "1", "flow:pair US>GB": "1"},
            "hw:b:days": {"20250401": 20179.0, "20250403": 20181.0},
            "hw:seen:20250401": {"h1"},
            "hw:seen:20250403": {"h2"},
            "hw:seen:days": {"20250401": 20179.0, "20250403": 20181.0},
            # the raid index: hires from an org into a lab, event_id -> day
            "hw:raid:" + MSL + ":openai": {"h1": 20179.0},
            "hw:raid:google-deepmind:meta": {"h2": 20181.0},
        }
        for w in W:
            want[f"hw:lab:{MSL}:hires:{w}"] = {"OpenAI": "1"}
            want[f"hw:lab:google-deepmind:hires:{w}"] = {"Meta": "1"}
            want[f"hw:org:openai:losses:{w}"] = {MSL: "1"}
            want[f"hw:org:meta:losses:{w}"] = {"google-deepmind": "1"}
            want[f"hw:flow:{w}:in"] = {"GB": "1"}
            want[f"hw:flow:{w}:out"] = {"US": "1"}
            want[f"hw:flow:{w}:pair"] = {"US>GB": "1"}
            want[f"hw:flow:{w}:net"] = {"GB": 1.0, "US": -1.0}
        self.assertEqual(model.diff_states(want, st, limit=0), [])
        self.assertEqual(st, want)
        for kind in ("origin", "nationality", "alma_mater", "tier"):
            self.assertNotIn(f"hw:lab:{MSL}:{kind}", st)

    def test_prefix(self):
        _, _, st = run([hire("h1", "2025-04-01T10:00:00Z", "p1", "OpenAI", "Meta")], prefix="t1:")
        self.assertTrue(all(k.startswith("t1:") for k in st), st.keys())
        self.assertEqual(st["t1:lab:meta"], {"name": "Meta", "members": "1"})

    def test_unknowns_and_default_tier(self):
        _, _, st = run([hire("h1", 1743501600000, "p1", "OpenAI", "Meta")])
        self.assertEqual(st["hw:person:p1"]["nationality"], "unknown")
        self.assertEqual(st["hw:person:p1"]["alma_mater"], "unknown")
        self.assertEqual(st["hw:person:p1"]["tier"], "UNRATED")
        self.assertEqual(st["hw:lab:meta:nationality"], {"unknown": "1"})
        self.assertEqual(st["hw:lab:meta:alma_mater"], {"unknown": "1"})
        self.assertEqual(st["hw:lab:meta:tier"], {"UNRATED": "1"})


class RepeatedAnnouncement(unittest.TestCase):
    def test_nothing_changes(self):
        h1 = hire("h1", "2025-04-01T10:00:00Z", "p1", "Anthropic", "Meta",
                  to_lab="Meta Superintelligence Labs", nationality="IN", tier="A")
        # same lab, spelled differently (same slug), later, different details
        again = hire("h1-again", "2025-07-16T10:00:00Z", "p1", "Anthropic", "Meta",
                     "GB", "US", to_lab="META superintelligence labs", nationality="GB", tier="S")
        _, _, before = run([h1])
        m, res, after = run([h1, again])
        self.assertEqual(res, ["move", "repeat"])
        # only the watermark and the seen sets move (2025-07-16 = day 20285;
        # 2025-04-01 is 106 days behind, within the 365 days ids are kept)
        self.assertEqual(after["hw:watermark"], "1752660000000")
        self.assertEqual(after["hw:seen:20250716"], {"h1-again"})
        self.assertEqual(after["hw:seen:20250401"], {"h1"})
        self.assertEqual(after["hw:seen:days"], {"20250401": 20179.0, "20250716": 20285.0})
        for k in ("hw:person:p1", "hw:lab:" + MSL, "hw:lab:" + MSL + ":origin",
                  "hw:lab:" + MSL + ":nationality", "hw:lab:" + MSL + ":tier", "hw:labs",
                  "hw:lab:" + MSL + ":hires:all", "hw:org:anthropic:losses:all"):
            self.assertEqual(after[k], before[k], k)
        self.assertEqual(after["hw:lab:" + MSL], {"name": "Meta Superintelligence Labs", "members": "1"})
        self.assertEqual(after["hw:lab:" + MSL + ":hires:all"], {"Anthropic": "1"})
        self.assertEqual(after["hw:lab:" + MSL + ":hires:365d"], {"Anthropic": "1"})
        # the first hire is more than 90 days behind the new watermark
        self.assertNotIn("hw:lab:" + MSL + ":hires:90d", after)
        self.assertNotIn("hw:lab:" + MSL + ":hires:7d", after)
        self.assertFalse(any(":flow:" in k or k.startswith("hw:flow:") for k in after))


class LateAnnouncement(unittest.TestCase):
    def test_counts_but_does_not_move(self):
        h1 = hire("h1", "2025-03-10T09:00:00Z", "p1", "OpenAI", "Anthropic", nationality="US")
        late = hire("late", "2025-03-01T09:00:00Z", "p1", "Google", "xAI", "GB", "US",
                    from_lab="Google DeepMind")
        m, res, st = run([h1, late])
        self.assertEqual(res, ["move", "late"])
        self.assertEqual(st["hw:person:p1"]["lab"], "Anthropic")
        self.assertEqual(st["hw:person:p1"]["event_id"], "h1")
        self.assertEqual(st["hw:lab:anthropic"], {"name": "Anthropic", "members": "1"})
        self.assertEqual(st["hw:labs"], {"anthropic": 1.0})
        self.assertNotIn("hw:lab:xai", st)            # nobody moved into xAI
        self.assertNotIn("hw:lab:xai:origin", st)
        self.assertEqual(st["hw:lab:xai:hires:all"], {"Google": "1"})
        self.assertEqual(st["hw:lab:xai:hires:30d"], {"Google": "1"})
        self.assertNotIn("hw:lab:xai:hires:7d", st)   # 03-01 is 9 days before 03-10
        self.assertEqual(st["hw:org:google:losses:all"], {"xai": "1"})
        self.assertEqual(st["hw:b:20250301"]["flow:pair GB>US"], "1")
        self.assertEqual(st["hw:flow:all:net"], {"GB": -1.0, "US": 1.0})
        self.assertEqual(st["hw:watermark"], str(model.hwcheck.to_ms("2025-03-10T09:00:00Z")))
        # a later move is an ordinary move again
        m.apply(hire("h3", "2025-03-20T09:00:00Z", "p1", "Anthropic", "xAI"))
        st = m.expected_state()
        self.assertEqual(st["hw:person:p1"]["lab"], "xAI")
        self.assertEqual(st["hw:lab:xai"], {"name": "xAI", "members": "1"})
        self.assertEqual(st["hw:lab:anthropic"], {"name": "Anthropic"})
        self.assertEqual(st["hw:lab:xai:hires:all"], {"Google": "1", "Anthropic": "1"})
        self.assertEqual(st["hw:lab:xai:origin"], {"Anthropic": "1"})

    def test_same_time_is_a_move(self):
        t = "2025-03-10T09:00:00Z"
        _, res, st = run([hire("a", t, "p1", "OpenAI", "Anthropic"), hire("b", t, "p1", "Anthropic", "xAI")])
        self.assertEqual(res, ["move", "move"])
        self.assertEqual(st["hw:person:p1"]["lab"], "xAI")

    def test_old_hire_into_current_lab_is_repeat(self):
        _, res, st = run([hire("a", "2025-03-10T09:00:00Z", "p1", "OpenAI", "Anthropic"),
                          hire("b", "2025-03-01T09:00:00Z", "p1", "Google", "Anthropic", "GB", "US")])
        self.assertEqual(res, ["move", "repeat"])
        self.assertEqual(st["hw:lab:anthropic:hires:all"], {"OpenAI": "1"})
        self.assertNotIn("hw:flow:all:in", st)


class Duplicates(unittest.TestCase):
    def test_skipped(self):
        a = offer("o1", "2025-05-01T00:00:00Z", "Meta", "EXTENDED", 1000)
        dup = dict(offer("o1", "2025-05-09T00:00:00Z", "Meta", "DECLINED", 5), person_id="other")
        m, res, st = run([a, dup, dict(a)])
        self.assertEqual(res, ["offer", "duplicate", "duplicate"])
        self.assertEqual(st["hw:org:meta:offers:all"], {"extended": "1", "extended_usd": "1000"})
        self.assertEqual(st["hw:watermark"], str(model.hwcheck.to_ms("2025-05-01T00:00:00Z")))
        self.assertEqual(m.stats["duplicate"], 2)

    def test_forgotten_after_31_days(self):
        a = offer("o1", "2025-01-01T05:00:00Z", "Meta", "EXTENDED", 10)
        b = offer("o2", "2025-02-01T05:00:00Z", "Meta", "EXTENDED", 10)   # day + 31
        m, res, st = run([a, b, dict(a)], seen_days=31)
        # 2025-01-01 (day 20089) <= 20120 - 31: its seen set is deleted, so o1 is applied again
        self.assertEqual(res, ["offer", "offer", "offer"])
        self.assertEqual(st["hw:org:meta:offers:all"], {"extended": "3", "extended_usd": "30"})
        self.assertEqual(st["hw:seen:days"], {"20250201": 20120.0})
        self.assertEqual(st["hw:seen:20250201"], {"o2"})

    def test_kept_for_30_days(self):
        a = offer("o1", "2025-01-02T05:00:00Z", "Meta", "EXTENDED", 10)
        b = offer("o2", "2025-02-01T05:00:00Z", "Meta", "EXTENDED", 10)   # day + 30
        _, res, st = run([a, b, dict(a)], seen_days=31)
        self.assertEqual(res, ["offer", "offer", "duplicate"])
        self.assertEqual(st["hw:seen:days"], {"20250102": 20090.0, "20250201": 20120.0})

    def test_default_horizon_is_the_largest_window(self):
        # Re-sent 40, 120 and 300 days after the watermark moved on: still
        # duplicates with the default (365 days); one re-sent 400 days on is not.
        a = offer("o1", "2025-01-01T05:00:00Z", "Meta", "EXTENDED", 10)
        evs, want = [a], ["offer"]
        for k, late in enumerate((40, 120, 300, 400)):
            day = datetime.date(2025, 1, 1) + datetime.timedelta(days=late)
            evs += [offer(f"n{k}", iso(day), "Meta", "DECLINED", 0), dict(a)]
            want += ["offer", "duplicate" if late < 365 else "offer"]
        m, res, st = run(evs)
        self.assertEqual(res, want)
        self.assertEqual(m.stats["duplicate"], 3)
        self.assertEqual(st["hw:org:meta:offers:all"],
                         {"extended": "2", "extended_usd": "20", "declined": "4"})

    def test_too_old_when_applied_is_not_remembered(self):
        b = offer("o2", "2025-02-01T05:00:00Z", "Meta", "EXTENDED", 10)
        old = offer("o1", "2025-01-01T05:00:00Z", "Meta", "EXTENDED", 10)
        _, res, st = run([b, old, dict(old)], seen_days=31)
        self.assertEqual(res, ["offer", "offer", "offer"])
        self.assertEqual(st["hw:org:meta:offers:all"], {"extended": "3", "extended_usd": "30"})
        self.assertNotIn("hw:seen:20250101", st)


class Windows(unittest.TestCase):
    """Offers on days D, D-6, D-7, D-29, D-30, D-400 with D = 2025-06-30 (day 20269)."""

    def test_windows(self):
        D = datetime.date(2025, 6, 30)
        days = {0: "20250630", 6: "20250624", 7: "20250623", 29: "20250601",
                30: "20250531", 400: "20240526"}
        evs = {k: offer(f"w{k}", iso(D - datetime.timedelta(days=k)), "Acme Labs", "EXTENDED", 1000)
               for k in days}
        # arrival order mixed; the one older than every window comes first and last
        order = [evs[400], evs[7], evs[0], evs[30], evs[6], evs[29],
                 offer("w400b", iso(D - datetime.timedelta(days=400), "13:00:00"), "Acme Labs",
                       "EXTENDED", 1000)]
        m, res, st = run(order)
        self.assertEqual(set(res), {"offer"})
        k = "hw:org:acme-labs:offers:"
        self.assertEqual(st[k + "7d"], {"extended": "2", "extended_usd": "2000"})
        self.assertEqual(st[k + "30d"], {"extended": "4", "extended_usd": "4000"})
        self.assertEqual(st[k + "90d"], {"extended": "5", "extended_usd": "5000"})
        self.assertEqual(st[k + "365d"], {"extended": "5", "extended_usd": "5000"})
        self.assertEqual(st[k + "all"], {"extended": "7", "extended_usd": "7000"})
        self.assertEqual(st["hw:b:days"], {"20250630": 20269.0, "20250624": 20263.0,
                                           "20250623": 20262.0, "20250601": 20240.0,
                                           "20250531": 20239.0})
        for k2 in (0, 6, 7, 29, 30):
            self.assertEqual(st[f"hw:b:{days[k2]}"],
                             {"org:acme-labs:offers extended": "1",
                              "org:acme-labs:offers extended_usd": "1000"})
        self.assertFalse(any(key.startswith("hw:b:20240526") for key in st))
        # seen sets: days > D - 31
        self.assertEqual(set(st["hw:seen:days"]), {days[k2] for k2 in (0, 6, 7, 29, 30)})
        self.assertEqual(st["hw:watermark"], str(model.hwcheck.to_ms("2025-06-30T12:00:00Z")))

    def test_custom_windows(self):
        D = datetime.date(2025, 6, 30)
        evs = [offer(f"c{k}", iso(D - datetime.timedelta(days=k)), "Acme", "DECLINED", 0)
               for k in (0, 1, 2, 3)]
        _, _, st = run(evs, windows=(2,))
        self.assertEqual(st["hw:org:acme:offers:2d"], {"declined": "2"})
        self.assertEqual(st["hw:org:acme:offers:all"], {"declined": "4"})
        self.assertEqual(set(st["hw:b:days"]), {"20250630", "20250629"})
        self.assertNotIn("hw:org:acme:offers:7d", st)

    def test_hires_family(self):
        D = datetime.date(2025, 6, 30)
        evs = [hire(f"h{k}", iso(D - datetime.timedelta(days=k)), f"p{k}", "OpenAI", "Meta",
                    "KR", "US", to_lab="Meta Superintelligence Labs") for k in (0, 6, 7, 29, 30, 400)]
        _, _, st = run(evs)
        for w, n in (("7d", 2), ("30d", 4), ("90d", 5), ("365d", 5), ("all", 6)):
            self.assertEqual(st[f"hw:lab:{MSL}:hires:{w}"], {"OpenAI": str(n)}, w)
            self.assertEqual(st[f"hw:org:openai:losses:{w}"], {MSL: str(n)}, w)
            self.assertEqual(st[f"hw:flow:{w}:pair"], {"KR>US": str(n)}, w)
            self.assertEqual(st[f"hw:flow:{w}:net"], {"KR": -float(n), "US": float(n)}, w)
        self.assertEqual(st["hw:lab:" + MSL], {"name": "Meta Superintelligence Labs", "members": "6"})


class Flows(unittest.TestCase):
    def test_net_and_index(self):
        bases = {"KR": 20000, "US": 100000, "JP": 50000}
        groups = {"oecd": {"KR", "US", "JP"}, "asia": {"KR", "SG", "JP"}}
        t = "2025-06-01T00:00:00Z"
        evs = [hire(f"kr{i}", t, f"kr{i}", "Naver", "OpenAI", "KR", "US") for i in range(7)]
        evs.append(hire("dom", t, "dom", "Google", "OpenAI", "US", "US"))
        evs += [hire(f"sg{i}", t, f"sg{i}", "Google", "Sea AI Lab", "US", "SG") for i in range(2)]
        _, _, st = run(evs, bases=bases, groups=groups)
        for w in W:
            self.assertEqual(st[f"hw:flow:{w}:in"], {"US": "7", "SG": "2"})
            self.assertEqual(st[f"hw:flow:{w}:out"], {"KR": "7", "US": "2"})
            self.assertEqual(st[f"hw:flow:{w}:pair"], {"KR>US": "7", "US>SG": "2"})
            self.assertEqual(st[f"hw:flow:{w}:net"], {"KR": -7.0, "US": 5.0, "SG": 2.0})
            # JP has a base and no flow: in the index with 0.
            self.assertEqual(st[f"hw:flow:{w}:index"], {"KR": -3.5, "US": 0.5, "JP": 0.0})
            self.assertEqual(st[f"hw:flow:{w}:index:oecd"], {"KR": -3.5, "US": 0.5, "JP": 0.0})
            self.assertEqual(st[f"hw:flow:{w}:index:asia"], {"KR": -3.5, "JP": 0.0})
        # hires count the domestic move too
        self.assertEqual(st["hw:lab:openai:hires:all"], {"Naver": "7", "Google": "1"})
        idx = st["hw:flow:365d:index:oecd"]
        rank = sorted(idx, key=lambda c: -idx[c]).index("KR")
        self.assertEqual(rank, 2)  # last of US, JP, KR

    def test_balanced_country_stays_in_net(self):
        t = "2025-06-01T00:00:00Z"
        _, _, st = run([hire("a", t, "a", "X", "Y", "IL", "US"), hire("b", t, "b", "Y2", "X2", "US", "IL")],
                       bases={"IL": 1000, "US": 1000})
        self.assertEqual(st["hw:flow:all:net"], {"IL": 0.0, "US": 0.0})
        self.assertEqual(st["hw:flow:all:index"], {"IL": 0.0, "US": 0.0})


class Offers(unittest.TestCase):
    def test_statuses_and_mega(self):
        t = "2025-06-01T00:00:00Z"
        evs = [offer("e1", t, "Meta", "EXTENDED", 150_000_000),
               offer("e2", t, "Meta", "EXTENDED", 100_000_000),
               offer("e3", t, "Meta", "EXTENDED", 99_999_999),
               offer("a1", t, "Meta", "ACCEPTED", 200_000_000),
               offer("d1", t, "Meta", "DECLINED", 5_000_000),
               offer("x1", t, "Meta", "WITHDRAWN", 7_000_000),
               offer("o1", t, "OpenAI", "EXTENDED", 0)]
        _, res, st = run(evs)
        self.assertEqual(set(res), {"offer"})
        want = {"extended": "3", "accepted": "1", "declined": "1", "withdrawn": "1",
                "extended_usd": "349999999", "mega": "2"}
        for w in W:
            self.assertEqual(st[f"hw:org:meta:offers:{w}"], want)
            self.assertEqual(st[f"hw:org:openai:offers:{w}"], {"extended": "1"})  # 0 USD: no field
        self.assertEqual({f[len("org:meta:offers "):]: v for f, v in st["hw:b:20250601"].items()
                          if f.startswith("org:meta:offers ")}, want)
        _, _, st = run(evs, mega=50_000_000)
        self.assertEqual(st["hw:org:meta:offers:all"]["mega"], "3")
        self.assertFalse(any(k.startswith("hw:lab") or k.startswith("hw:person") for k in st))


class Lab(unittest.TestCase):
    def test_name_is_latest_mover_and_to_org_fallback(self):
        t1, t2 = "2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z"
        _, res, st = run([hire("a", t1, "a", "OpenAI", "Meta", to_lab="Meta Superintelligence Labs"),
                          hire("b", t2, "b", "Apple", "Meta", to_lab="META Superintelligence Labs"),
                          hire("c", t2, "c", "Apple", "Anthropic")])
        self.assertEqual(res, ["move"] * 3)
        self.assertEqual(st["hw:lab:" + MSL], {"name": "META Superintelligence Labs", "members": "2"})
        self.assertEqual(st["hw:lab:anthropic"], {"name": "Anthropic", "members": "1"})
        self.assertEqual(st["hw:labs"], {MSL: 2.0, "anthropic": 1.0})
        self.assertEqual(st["hw:org:apple:losses:all"], {MSL: "1", "anthropic": "1"})


class Invalid(unittest.TestCase):
    def test_rejected_events_count_nowhere(self):
        t = "2025-06-01T00:00:00Z"
        bad = [hire("s", t, "p", "Google", "Google", from_lab="DeepMind", to_lab="DeepMind"),
               hire("s2", t, "p", "Meta", "Meta"),
               hire("c", t, "p", "A", "B", "UK", "US"),
               hire("c2", t, "p", "A", "B", "us", "US"),
               hire("old", "1999-12-31T23:59:59Z", "p", "A", "B"),
               hire("", t, "p", "A", "B"),
               hire("t", t, "p", "A", "B", tier="SS"),
               offer("o", t, "Meta", "PENDING", 1),
               offer("o2", t, "Meta", "EXTENDED", 10 ** 12 + 1),
               {"type": "job", "event_id": "j", "occurred_at": t},
               {"event_id": "no-type"}]
        m, res, st = run(bad)
        self.assertEqual(res, ["invalid"] * len(bad))
        self.assertEqual(st, {})
        # the same id as a rejected message is still free
        m.apply(hire("s", t, "p", "Google", "OpenAI"))
        self.assertEqual(m.expected_state()["hw:lab:openai"], {"name": "OpenAI", "members": "1"})


class Compare(unittest.TestCase):
    def test_diff_states(self):
        want = {"hw:a": {"x": "1"}, "hw:z": {"KR": -3.5}, "hw:s": {"a"}, "hw:w": "5", "hw:m": "1"}
        have = {"hw:a": {"x": "2", "y": "1"}, "hw:z": {"KR": -3.5 * (1 + 1e-12)}, "hw:s": {"b"},
                "hw:w": {"x": "5"}, "hw:extra": ("list", None)}
        d = model.diff_states(want, have)
        text = "\n".join(d)
        self.assertIn("missing key hw:m", text)
        self.assertIn("extra key hw:extra (list)", text)
        self.assertIn("wrong type hw:w", text)
        self.assertIn("hw:a: field 'x': expected '1', actual '2'", text)
        self.assertIn("hw:a: extra field 'y'", text)
        self.assertIn("hw:s: missing member 'a'", text)
        self.assertIn("hw:s: extra member 'b'", text)
        self.assertNotIn("hw:z", text)     # within tolerance
        self.assertEqual(len(d), 7)
        many = model.diff_states({f"k{i}": "1" for i in range(80)}, {}, limit=50)
        self.assertEqual(len(many), 51)
        self.assertEqual(many[-1], "... and 30 more differences")

    def test_load_config(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            b, g = os.path.join(tmp, "b.csv"), os.path.join(tmp, "g.csv")
            with open(b, "w") as f:
                f.write("# illustrative\ncountry,base\nKR,20000\nUS, 100000\n\nCH,1500.5\n")
            with open(g, "w") as f:
                f.write("group,country\noecd,KR\noecd,US\nasia,KR\n")
            bases, groups = model.load_config(b, g)
        self.assertEqual(bases, {"KR": 20000, "US": 100000, "CH": 1500.5})
        self.assertEqual(groups, {"oecd": {"KR", "US"}, "asia": {"KR"}})


if __name__ == "__main__":
    prog = unittest.main(exit=False, verbosity=1)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
