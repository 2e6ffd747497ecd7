#!/usr/bin/python3
"""Redis CPU per operation of the shapes the atomic step uses, from Lua and
natively, measured on the Redis given (INFO's used_cpu_user + used_cpu_sys
over the run): what an argument, a field read, a field write and a call
cost, so a layout or an engine can be costed per event before it is built.

usage: bench/redis_costs.py PORT     (bench/redis_costs.sh starts a Redis)
"""
import sys

import redis

N = 120000
REPS = 5


def main():
    r = redis.Redis(port=int(sys.argv[1]))
    r.flushall()

    def cpu():
        i = r.info("cpu")
        return i["used_cpu_user"] + i["used_cpu_sys"]

    def lua(name, script, args, per):
        sha = r.script_load(script)
        c0 = cpu()
        for _ in range(REPS):
            r.evalsha(sha, 0, *args)
        us = (cpu() - c0) / REPS * 1e6
        print(f"  {name:<52} {us / per(args):7.3f} us")

    def native(name, fill, n):
        c0 = cpu()
        for _ in range(REPS):
            p = r.pipeline(transaction=True)
            fill(p)
            p.execute()
        us = (cpu() - c0) / REPS * 1e6
        print(f"  {name:<52} {us / n:7.3f} us")

    fields = [f"field-{i}" for i in range(N)]
    numbers = [str(i) for i in range(N)]
    each = len
    pairs = lambda a: len(a) / 2  # noqa: E731
    print("Lua (EVALSHA), per argument or per call:")
    lua("an argument passed, not used", "return 1", fields, each)
    lua("an argument read and compared", "local s=0 for i=1,#ARGV do if ARGV[i] then s=s+1 end end return s",
        fields, each)
    lua("an argument read as a number (tonumber)",
        "local s=0 for i=1,#ARGV do s=s+(tonumber(ARGV[i]) or 0) end return s", numbers, each)
    lua("a number formatted (string.format %d)",
        "local t={} for i=1,#ARGV do t[i]=string.format('%d', i) end return #t", fields, each)
    lua("a field of HSET, 100 fields a call (per argument)",
        "for i=1,#ARGV,200 do redis.call('HSET', 'k'..i, unpack(ARGV, i, math.min(#ARGV, i+199))) end",
        fields, each)
    lua("a field of HMGET, 200 fields a call (per argument)",
        "for i=1,#ARGV,200 do redis.call('HMGET', 'k'..i, unpack(ARGV, i, math.min(#ARGV, i+199))) end",
        fields, each)
    lua("an HINCRBY call (1000 hashes)",
        "for i=1,#ARGV,2 do redis.call('HINCRBY', 'h'..(i%1000), ARGV[i], 1) end", fields, pairs)
    print("native, inside MULTI/EXEC (pipelined), per command:")
    m = 60000
    native("HINCRBY (1000 hashes)",
           lambda p: [p.hincrby(f"n{i % 1000}", f"f{i}", 1) for i in range(m)], m)
    native("HSET of one field (1000 hashes)",
           lambda p: [p.hset(f"s{i % 1000}", f"f{i}", i) for i in range(m)], m)
    r.flushall()


if __name__ == "__main__":
    main()
