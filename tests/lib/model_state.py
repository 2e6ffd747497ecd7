"""Reading a live Redis in the reference model's representation, and
comparing two states.

read_state() turns every key under a prefix into the form Model.expected_state()
gives (the person registry, the raid index and the daily bucket logs decoded
into the keys the model keeps; bookkeeping keys left out); diff_states() lists
the differences between two such states as readable lines; compare() does both
against the model's expected state.
"""
import fnmatch
import math


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
    """A pair's hires of a month of the raid index (a field of hw:raid:<yyyymm>:
    records "<day> <length>:<event_id>\\n") as the model's {event_id: day}."""
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


def _raid_month_key(key, prefix):
    rest = key[len(prefix):] if key.startswith(prefix) else ""
    return rest.startswith("raid:") and len(rest) == 11 and rest[5:].isdigit()


def read_state(r, prefix, ignore=(), match_suffix="*", max_window=365):
    """Every key under the prefix (except alerts, offsets and ends) in the model's
    representation; other types as ("<type>", None). A day's bucket log is read
    as the hash of its sums (("badlog", reason) when it is not one). The raid
    index's months are read as one sorted set a pair, of the hires of days in
    the largest window (max_window days) by the stored watermark: the month
    the window starts in may still hold hires of days before it."""
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
            elif t == "hash" and _raid_month_key(k, prefix):
                # The raid index: a hash a month, each field a pair's
                # hires of that month, read as the sorted set
                # <prefix>raid:<lab>:<org> the model keeps.
                for f, x in v.items():
                    name = prefix + "raid:" + _s(f)
                    try:
                        got = decode_raid_index(x)
                    except ValueError as e:
                        out[name] = ("badraid", str(e))
                        continue
                    if isinstance(out.setdefault(name, {}), dict):
                        out[name].update(got)
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
    wm = out.get(prefix + "watermark")
    if isinstance(wm, str) and wm.lstrip("-").isdigit():
        gone = int(wm) // 86400000 - max_window
        for name in [k for k, x in out.items() if k.startswith(prefix + "raid:")
                     and isinstance(x, dict) and not _raid_month_key(k, prefix)]:
            out[name] = {m: d for m, d in out[name].items() if d > gone}
            if not out[name]:
                del out[name]
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


def compare(redis_client, prefix, expected, ignore=(), limit=50, max_window=365):
    """Differences between the model's expected state and Redis (all keys
    under the prefix, except hw:alert* and hw:offset:*)."""
    return diff_states(expected, read_state(redis_client, prefix, ignore,
                                            max_window=max_window), limit)

