#!/usr/bin/env bash
# A local Apache Kafka cluster in KRaft mode (each node a broker and a
# controller in one JVM) for tests and benchmarks, from the release pinned
# in scripts/kafka/pom.xml, fetched from Maven Central once and cached.
# hirewire itself needs no Java; the demo keeps using hirewire-devbroker.
#
# usage:
#   scripts/kafka-local.sh fetch                  fetch the jars (cached)
#   scripts/kafka-local.sh start DIR [NODES [PARTITIONS]]
#       NODES 1 (default) or 3, on free loopback ports; creates talent.hires,
#       talent.offers, talent.dlq and talent.alerts (PARTITIONS each,
#       default 4; replication factor NODES, min.insync.replicas 2 on three
#       nodes), waits until every partition has a leader and writes the
#       bootstrap list to DIR/bootstrap. Ports, logs (DIR/node<N>.log) and
#       data stay in DIR.
#   scripts/kafka-local.sh stop DIR               stop every node, remove DIR
#   scripts/kafka-local.sh kill DIR NODE          kill -9 node NODE (1..3)
#   scripts/kafka-local.sh halt DIR NODE          stop node NODE (SIGTERM: a
#                                                 controlled shutdown)
#   scripts/kafka-local.sh restart DIR NODE...    start the nodes again and
#                                                 wait until they serve
#   scripts/kafka-local.sh leader DIR TOPIC PART  the node leading a partition
#   scripts/kafka-local.sh coordinator DIR GROUP  the node coordinating a
#                                                 consumer group
#
# Environment: HW_KAFKA_CACHE (default ~/.cache/hirewire/kafka-<version>),
# HW_KAFKA_HEAP (default "-Xms128m -Xmx384m" per node, so three fit on a
# small machine), HW_KAFKA_WAIT_S (seconds a node gets to come up, 90).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
pom=$src/scripts/kafka/pom.xml
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
cache=${HW_KAFKA_CACHE:-$HOME/.cache/hirewire/kafka-$version}
heap=${HW_KAFKA_HEAP:--Xms128m -Xmx384m}
wait_s=${HW_KAFKA_WAIT_S:-90}
topics=(talent.hires talent.offers talent.dlq talent.alerts)

die() { echo "kafka-local: $*" >&2; exit 1; }
# free_ports N: N distinct ports free now, below the kernel's ephemeral
# range, so that no outgoing connection of another process takes one
# between here and the node's bind.
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
span = range(10000, lo) if lo > 12000 else range(hi + 1, 65536)
held = []
while len(held) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.choice(span)))
        held.append(s)
    except OSError:
        s.close()
for s in held:
    print(s.getsockname()[1])
    s.close()
PY
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch() {
  [[ -f $cache/complete ]] && return 0
  command -v java >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$cache"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$cache/libs" \
      >"$cache/mvn.log" 2>&1; then
    tail -n 20 "$cache/mvn.log" >&2
    die "fetching org.apache.kafka:kafka_2.13:$version from Maven failed (log: $cache/mvn.log)"
  fi
  ls "$cache/libs/kafka_2.13-$version.jar" >/dev/null 2>&1 ||
    die "Maven fetched no org.apache.kafka:kafka_2.13:$version jar"
  touch "$cache/complete"
}

java_cp() { java -cp "$cache/libs/*" "$@"; }

# node_conf DIR N: writes DIR/node<N>/server.properties from DIR/ports.
node_conf() {
  local dir=$1 n=$2 voters="" i
  local nodes
  nodes=$(cat "$dir/nodes")
  for ((i = 1; i <= nodes; i++)); do
    voters+="${voters:+,}$i@127.0.0.1:$(sed -n "${i}p" "$dir/cports")"
  done
  mkdir -p "$dir/node$n/data"
  cat >"$dir/node$n/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(sed -n "${n}p" "$dir/ports"),CONTROLLER://127.0.0.1:$(sed -n "${n}p" "$dir/cports")
advertised.listeners=PLAINTEXT://127.0.0.1:$(sed -n "${n}p" "$dir/ports")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/node$n/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=$nodes
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$nodes
transaction.state.log.min.isr=$((nodes > 1 ? 2 : 1))
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
EOF
}

log4j_conf() {
  cat >"$1/log4j2.properties" <<'EOF'
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

# start_node DIR N: the node's JVM in the background, its pid in DIR.
start_node() {
  local dir=$1 n=$2 p
  p=$(sed -n "${n}p" "$dir/ports")
  if port_in_use "$p"; then die "port $p of node $n is in use"; fi
  # shellcheck disable=SC2086
  nohup java $heap -XX:+UseSerialGC -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$cache/libs/*" kafka.Kafka "$dir/node$n/server.properties" \
    >>"$dir/node$n.log" 2>&1 </dev/null &
  echo $! >"$dir/node$n.pid"
}

# wait_node DIR N: until node N answers a metadata request as a broker.
wait_node() {
  local dir=$1 n=$2 p i
  p=$(sed -n "${n}p" "$dir/ports")
  for ((i = 0; i < wait_s * 5; i++)); do
    if kcat -b "127.0.0.1:$p" -L -m 2 2>/dev/null | grep -q "broker $n at"; then return 0; fi
    if ! kill -0 "$(cat "$dir/node$n.pid")" 2>/dev/null; then
      tail -n 20 "$dir/node$n.log" >&2
      die "node $n exited while starting (log: $dir/node$n.log)"
    fi
    sleep 0.2
  done
  tail -n 20 "$dir/node$n.log" >&2
  die "node $n not up within ${wait_s} s (log: $dir/node$n.log)"
}

bootstrap() {
  local b="" p
  while read -r p; do b+="${b:+,}127.0.0.1:$p"; done <"$1/ports"
  echo "$b"
}

# wait_leaders DIR: until every partition of the topics has a leader.
wait_leaders() {
  local dir=$1 i md
  for ((i = 0; i < wait_s * 5; i++)); do
    md=$(kcat -b "$(bootstrap "$dir")" -L -m 2 2>/dev/null || true)
    if [[ -n $md ]] && ! grep -q "leader -1" <<<"$md" &&
      [[ $(grep -c "partition .*leader" <<<"$md") -ge $((4 * $(cat "$dir/partitions"))) ]]; then
      return 0
    fi
    sleep 0.2
  done
  die "partitions without a leader after ${wait_s} s"
}

start() {
  local dir=$1 nodes=${2:-1} partitions=${3:-4} n id t
  [[ $nodes == 1 || $nodes == 3 ]] || die "NODES is 1 or 3, not $nodes"
  command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
  fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -e $dir/nodes ]] || die "$dir holds a cluster already (stop it first)"
  echo "$nodes" >"$dir/nodes"
  echo "$partitions" >"$dir/partitions"
  free_ports $((2 * nodes)) >"$dir/all-ports"
  head -n "$nodes" "$dir/all-ports" >"$dir/ports"
  tail -n "$nodes" "$dir/all-ports" >"$dir/cports"
  log4j_conf "$dir"
  id=$(java_cp kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [[ -n $id ]] || die "kafka.tools.StorageTool random-uuid gave no cluster id"
  for ((n = 1; n <= nodes; n++)); do
    node_conf "$dir" "$n"
    java_cp -Dlog4j2.configurationFile="$dir/log4j2.properties" kafka.tools.StorageTool format \
      -t "$id" -c "$dir/node$n/server.properties" >>"$dir/node$n.log" 2>&1 ||
      die "formatting node $n failed (log: $dir/node$n.log)"
  done
  for ((n = 1; n <= nodes; n++)); do start_node "$dir" "$n"; done
  for ((n = 1; n <= nodes; n++)); do wait_node "$dir" "$n"; done
  for t in "${topics[@]}"; do
    local extra=()
    ((nodes > 1)) && extra=(--config min.insync.replicas=2)
    java_cp -Dlog4j2.configurationFile="$dir/log4j2.properties" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$(bootstrap "$dir")" --create --if-not-exists --topic "$t" \
      --partitions "$partitions" --replication-factor "$nodes" "${extra[@]}" \
      >>"$dir/topics.log" 2>&1 || { tail -n 5 "$dir/topics.log" >&2; die "creating topic $t failed"; }
  done
  wait_leaders "$dir"
  bootstrap "$dir" >"$dir/bootstrap"
  echo "kafka-local: $nodes node(s) of Apache Kafka $version up, bootstrap $(cat "$dir/bootstrap")"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  halt_pids "$dir"/node*.pid
  rm -rf "$dir"
}

# halt_pids PIDFILE...: SIGTERM to each node (a controlled shutdown, all
# at once), then up to 20 s for each to exit, then kill -9.
halt_pids() {
  local f p i
  for f in "$@"; do [[ -e $f ]] && { kill "$(cat "$f")" 2>/dev/null || true; }; done
  for f in "$@"; do
    [[ -e $f ]] || continue
    p=$(cat "$f")
    for ((i = 0; i < 100; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$p" 2>/dev/null || true
  done
}

node_arg() {
  [[ -f $1/nodes ]] || die "no cluster in $1"
  [[ $2 =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= $(cat "$1/nodes"))) || die "no node $2 in $1"
}

case ${1:-} in
  fetch) fetch ;;
  start) [[ $# -ge 2 ]] || die "usage: start DIR [NODES [PARTITIONS]]"; start "${@:2}" ;;
  stop) [[ $# -eq 2 ]] || die "usage: stop DIR"; stop "$2" ;;
  kill)
    [[ $# -eq 3 ]] || die "usage: kill DIR NODE"
    node_arg "$2" "$3"
    kill -9 "$(cat "$2/node$3.pid")" 2>/dev/null || true
    ;;
  halt)
    [[ $# -eq 3 ]] || die "usage: halt DIR NODE"
    node_arg "$2" "$3"
    halt_pids "$2/node$3.pid"
    ;;
  restart)
    # Every node first, then the waits: a node alone of three has no
    # controller quorum and would not come up before the others.
    [[ $# -ge 3 ]] || die "usage: restart DIR NODE..."
    for n in "${@:3}"; do
      node_arg "$2" "$n"
      if kill -0 "$(cat "$2/node$n.pid")" 2>/dev/null; then die "node $n is running"; fi
    done
    for n in "${@:3}"; do start_node "$2" "$n"; done
    for n in "${@:3}"; do wait_node "$2" "$n"; done
    ;;
  coordinator)
    [[ $# -eq 3 ]] || die "usage: coordinator DIR GROUP"
    [[ -f $2/bootstrap ]] || die "no cluster in $2"
    java_cp -Dlog4j2.configurationFile="$2/log4j2.properties" \
      org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
      --bootstrap-server "$(cat "$2/bootstrap")" --describe --state --group "$3" 2>/dev/null |
      awk '$1 == G {for (i = 2; i <= NF; i++) if ($i ~ /^\([0-9]+\)$/) {gsub(/[()]/, "", $i); print $i; exit}}' G="$3" | grep . ||
      die "no coordinator found for group $3"
    ;;
  leader)
    [[ $# -eq 4 ]] || die "usage: leader DIR TOPIC PARTITION"
    kcat -b "$(cat "$2/bootstrap")" -L -t "$3" -m 5 2>/dev/null |
      sed -n "s/^ *partition $4, leader \([0-9-]*\),.*/\1/p" | grep . || die "no partition $3/$4"
    ;;
  *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
