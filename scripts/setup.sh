#!/usr/bin/env bash
# Installs what hirewire needs from Debian's packages (only what is missing).
# Runs apt-get as root, or through sudo when not root.
# --kafka adds Java and Maven, which only the tests against Apache Kafka
# itself (ctest -L kafka, scripts/kafka-local.sh) use: hirewire and its
# demo need no Java. Chromium is for the test that loads the report page
# in a headless browser (tests/query_report.sh); gnuplot draws the figure
# of the soak run (bench/soak.sh).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  librdkafka-dev libavro-dev avro-bin libhiredis-dev libjansson-dev
  libmicrohttpd-dev libcurl4-openssl-dev zlib1g-dev
  redis-server redis-tools kcat bc time valgrind openssl help2man
  clang libclang-rt-14-dev clang-format gcovr
  python3 python3-avro python3-confluent-kafka python3-redis python3-yaml systemd
  chromium fonts-dejavu-core gnuplot-nox
)
if [[ ${1:-} == --kafka ]]; then packages+=(openjdk-17-jre-headless maven); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
