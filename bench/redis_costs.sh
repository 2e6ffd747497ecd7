#!/usr/bin/env bash
# Redis CPU per operation of the atomic step's shapes, from Lua and
# natively (bench/redis_costs.py), on a Redis of its own.
# usage: bench/redis_costs.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build
. "$src/scripts/local-services.sh"
svc_init hirewire-costs
svc_start_redis "$work"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
/usr/bin/python3 "$src/bench/redis_costs.py" "$port"
