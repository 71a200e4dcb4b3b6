#!/usr/bin/env bash
# Generates the message classes from protos/ with protoc into a temp folder and runs pay.py with Debian's python3.
# Needs: apt-get install python3-grpcio python3-protobuf protobuf-compiler
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
protoc -I "$root/protos" -I "$root/third_party/googleapis" --python_out="$gen" \
  "$root"/protos/bakong/payments/v1/*.proto "$root"/third_party/googleapis/google/api/{annotations,http}.proto
PYTHONPATH="$gen" /usr/bin/python3 "$here/pay.py"
