"""Checks that two key prefixes in one Redis hold the same state (offsets and
alerts excepted). usage: same_state.py PORT PREFIX_A PREFIX_B [PASSWORD]"""
import sys

import redis

import model


def strip(state, prefix):
    return {k[len(prefix):]: v for k, v in state.items()}


def main():
    port, a, b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    r = redis.Redis(port=port, password=sys.argv[4] if len(sys.argv) > 4 else None)
    sa, sb = strip(model.read_state(r, a), a), strip(model.read_state(r, b), b)
    diffs = model.diff_states(sa, sb)
    for d in diffs:
        print(d, file=sys.stderr)
    if diffs or not sa:
        sys.exit(f"{a} and {b} differ" if diffs else f"{a} is empty")
    print(f"ok: {a} and {b} hold the same {len(sa)} keys")


if __name__ == "__main__":
    main()
