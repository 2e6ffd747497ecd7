#!/usr/bin/python3
"""Independent model of the Redis state hirewire-consumer must maintain.

Written from SPEC.md (section 3 and 4) and docs/redis-keys.md only: never from
the C sources and never from the consumer's output.  This module is the
command line and the name the tests import; the model itself lives in

    model_events.py   constants, slugs and days, validation, the config
                      CSVs and the NDJSON event files
    model_rules.py    Model: applies events in delivery order and gives the
                      expected state (and the decisions taken where the
                      documents leave room)
    model_state.py    read_state: a live Redis in the model's representation;
                      diff_states and compare
    model_windows.py  check_windows: the window invariant, from Redis alone

and what they export can be reached from here too (model.Model, model.slug,
model.read_state, model.check_windows, ...).

CLI (run with Debian's /usr/bin/python3, which has python3-redis):

    model.py check   --redis-port P [--redis-host H] [--password PW] --prefix hw:
                     --bases F --groups F [--windows 7,30,90,365] [--mega N] EVENTS...
    model.py expect  [--prefix hw:] [--bases F] [--groups F] ... EVENTS...
    model.py windows --redis-port P --prefix hw: [--windows 7,30,90,365]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# What importers reach as model.<name>.
import hwcheck  # noqa: E402,F401
from model_events import (  # noqa: E402,F401
    DAY_MS, EPOCH, ISO_COUNTRIES, MAX_MONEY, MIN_TIME_MS, STATUSES, TIERS,
    day_from_ymd, day_of, load_config, read_events, slug, validate, windowed_key, ymd)
from model_rules import Model  # noqa: E402
from model_state import (  # noqa: E402,F401
    PERSON_PARTS, _glob_escape, compare, decode_bucket_log, decode_person,
    decode_raid_index, diff_states, kind_of, read_state)
from model_windows import check_windows  # noqa: E402


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
    diffs = compare(r, args.prefix, expected, ignore=args.ignore, limit=0,
                    max_window=max(windows))
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
