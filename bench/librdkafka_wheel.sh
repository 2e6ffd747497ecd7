#!/usr/bin/env bash
# bench/librdkafka_wheel.sh DIR [VERSION]
#
# Puts the librdkafka.so.1 of a newer librdkafka release into DIR, taken
# from the confluent-kafka wheel of that VERSION on PyPI (default 2.6.1;
# the wheel bundles librdkafka), so that hirewire's binaries, built
# against the system's librdkafka, can be measured against it unchanged
# (librdkafka keeps its ABI):
#
#   bench/librdkafka_wheel.sh /tmp/rdk
#   LD_LIBRARY_PATH=/tmp/rdk bench/consumer_bench.sh 300000 1
#
# The devbroker started by the benchmark then runs that release's mock
# cluster too (a newer client asks for protocol versions an older mock
# cluster does not answer). For measurements only: hirewire is built and
# tested against the system's librdkafka.
set -euo pipefail

dir=${1:?usage: bench/librdkafka_wheel.sh DIR [confluent-kafka version]}
version=${2:-2.6.1}
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" -m pip --version >/dev/null 2>&1 ||
  { echo "librdkafka_wheel: $python has no pip (apt-get install python3-pip)" >&2; exit 1; }
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
  --platform "manylinux_2_28_$(uname -m)" --python-version 3.11 \
  "confluent-kafka==$version" -d "$tmp" ||
  { echo "librdkafka_wheel: no confluent-kafka $version wheel for $(uname -m) on PyPI" >&2; exit 1; }
"$python" -m zipfile -e "$tmp"/confluent_kafka-*.whl "$tmp/wheel"
lib=$(find "$tmp/wheel" -name 'librdkafka*.so.1' | head -n 1)
[[ -n $lib ]] || { echo "librdkafka_wheel: the wheel holds no librdkafka.so.1" >&2; exit 1; }
mkdir -p "$dir"
cp "$lib" "$dir/librdkafka.so.1"
echo "librdkafka of confluent-kafka $version in $dir/librdkafka.so.1"
