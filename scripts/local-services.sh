# shellcheck shell=bash disable=SC2034,SC2154
# Local Redis and Kafka for scripts/demo.sh and the benchmarks in bench/
# (bash; source it after setting bin, the directory holding the binaries).
#
# svc_init NAME          work dir $work (mktemp, NAME.XXXXXX), pids=(), and
#                          an EXIT trap that stops every process in pids and
#                          removes $work
# svc_start_redis DIR    redis-server on a free loopback port, no
#                          persistence, files and log (redis.log) in DIR;
#                          sets port and redis_pid
# svc_start_devbroker DIR P
#                          hirewire-devbroker --partitions P, bootstrap list
#                          in DIR/bootstrap, log in DIR/broker.log; sets
#                          broker_pid
# svc_wait_ready FILE    waits up to 10 s for bootstrap file FILE and for
#                          the Redis on $port to answer (does not fail)
# svc_stop PID...        stops processes started here and forgets them

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

svc_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  pids=()
  trap svc_cleanup EXIT
}

svc_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

svc_start_redis() {
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$1" \
    --daemonize no --loglevel warning >"$1/redis.log" 2>&1 &
  redis_pid=$!
  pids+=($!)
}

svc_start_devbroker() {
  "$bin/hirewire-devbroker" --partitions "$2" --bootstrap-file "$1/bootstrap" >/dev/null 2>"$1/broker.log" &
  broker_pid=$!
  pids+=($!)
}

svc_wait_ready() {
  for _ in $(seq 100); do [[ -s $1 ]] && redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

svc_stop() {
  local p q keep=()
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
  for q in "${pids[@]}"; do
    for p in "$@"; do [[ $q == "$p" ]] && continue 2; done
    keep+=("$q")
  done
  pids=("${keep[@]}")
}
