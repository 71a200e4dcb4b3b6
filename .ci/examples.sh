#!/usr/bin/env bash
# examples/ against a real gateway (docs: examples/README.md). The gateway .ci/run built, started as a process in
# Sandbox mode on loopback ports of its own with Auth:Mode ApiKeys and one terminal key made beforehand with
# `bakong clients add`, so each example passes its key where integrators must; an anonymous REST call must be refused.
# Each example creates a payment, watches it, pays it through the sandbox's control API and must end PAID (exit 0).
# Installs what it needs (Debian: python3-grpcio python3-protobuf protobuf-compiler php-cli php-curl; npm packages).
# Usage: .ci/examples.sh OUT_DIR   Ends with "examples: N passed, N failed"; exits 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-.ci/out}")/examples
rm -rf "$out"
mkdir -p "$out"

need=()
for package in python3-grpcio python3-protobuf protobuf-compiler php-cli php-curl; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
[ "${#need[@]}" -eq 0 ] || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
(cd examples/node && npm ci --no-audit --no-fund --loglevel=error) >"$out/npm.log" 2>&1 || { cat "$out/npm.log"; exit 1; }
dotnet build examples/csharp -p:TreatWarningsAsErrors=true >"$out/build-csharp.log" 2>&1 || { cat "$out/build-csharp.log"; exit 1; }
dotnet build src/Bakong.Cli >"$out/build-cli.log" 2>&1 || { cat "$out/build-cli.log"; exit 1; }

. .ci/ports.sh  # after the cd above: the repository root
data=$(mktemp -d /tmp/bakong-examples.XXXXXX)
gateway_pid=
finish() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  rm -rf "$data"
}
trap finish EXIT

key=$(dotnet src/Bakong.Cli/bin/Debug/net10.0/bakong.dll clients add --terminal POS-01 --name examples --data "$data" --json |
  grep -o '"key":"[^"]*"' | cut -d'"' -f4)
[ -n "$key" ] || { echo "bakong clients add printed no key"; exit 1; }

BAKONG_DATA="$data" Auth__Mode=ApiKeys \
  Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc_port" Kestrel__Endpoints__Web__Url="http://127.0.0.1:$web_port" \
  dotnet src/Bakong.Gateway/bin/Debug/net10.0/Bakong.Gateway.dll >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$web_port/healthz" >/dev/null 2>&1 && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "the gateway exited:"; cat "$out/gateway.log"; exit 1; }
  sleep 0.5
done
anonymous=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$web_port/v1/payments")
[ "$anonymous" = 401 ] || { echo "an anonymous REST call answered $anonymous, not 401: the examples would not prove their key"; exit 1; }

export BAKONG_KEY=$key BAKONG_WEB="http://127.0.0.1:$web_port"
passed=0
failed=0
run() { # run NAME BAKONG_GRPC COMMAND...
  local name=$1 status=0
  export BAKONG_GRPC=$2
  shift 2
  timeout 180 "$@" >"$out/$name.log" 2>&1 || status=$?
  if [ "$status" -eq 0 ] && grep -Eq '^result: (STATE_PAID|Paid)$' "$out/$name.log"; then
    echo "example $name: passed ($(grep -c '^watch:' "$out/$name.log") watch messages)"
    passed=$((passed + 1))
  else
    echo "example $name: FAILED (exit $status)"
    sed 's/^/  /' "$out/$name.log"
    failed=$((failed + 1))
  fi
}
run node "127.0.0.1:$grpc_port" node examples/node/pay.js
run python "127.0.0.1:$grpc_port" examples/python/run.sh
run php "" php examples/php/pay.php
run csharp "http://127.0.0.1:$grpc_port" dotnet examples/csharp/bin/Debug/net10.0/Pay.dll
grep -q "$key" "$out/gateway.log" && { echo "the gateway logged the key"; failed=$((failed + 1)); }
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
