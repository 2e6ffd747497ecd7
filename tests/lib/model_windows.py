"""The window invariant, checked from Redis alone (check_windows): every
windowed hash equals the sum of its daily buckets for the days of the window
by the stored watermark, and the bookkeeping around the buckets, the seen sets
and the country flow index agrees with them.
"""
import collections

from model_events import day_from_ymd, day_of, windowed_key, ymd
from model_state import _close, _s, kind_of, read_state


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
    state = read_state(redis_client, prefix, max_window=maxn)
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
