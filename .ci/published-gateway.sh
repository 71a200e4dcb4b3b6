#!/usr/bin/env bash
# The published gateway started the way deploy/systemd and deploy/docker start it: `dotnet publish` output
# (ReadyToRun for this machine, as docs/deploy.md publishes it for a Linux server) copied to a folder of its own
# (read-only to the service user), started from another directory as an unprivileged user, with the data directory
# on a path of its own. It must answer /healthz and /readyz, take one payment from the published
# `bakong` tool, see it PAID in its sandbox, and stop cleanly on SIGTERM leaving its files in the data directory only.
# Usage: .ci/published-gateway.sh OUT_DIR   (needs root: it creates the user bakong-ci and runs the gateway as it)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-.ci/out}")/published
user=bakong-ci

rm -rf "$out"
mkdir -p "$out"
echo "publishing the gateway and bakong (framework-dependent, ReadyToRun), Release, to $out"
dotnet publish src/Bakong.Gateway -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
  -o "$out/gateway" -p:TreatWarningsAsErrors=true >"$out/publish-gateway.log" 2>&1 ||
  { cat "$out/publish-gateway.log"; exit 1; }
# Our assemblies and the store's library: the ones a create runs through.
python3 .ci/ready-to-run.py "$out"/gateway/Bakong.*.dll "$out/gateway/LiteDB.dll"
dotnet publish src/Bakong.Cli -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
  -o "$out/bakong" -p:TreatWarningsAsErrors=true >"$out/publish-bakong.log" 2>&1 ||
  { cat "$out/publish-bakong.log"; exit 1; }
python3 .ci/ready-to-run.py "$out"/bakong/bakong.dll "$out"/bakong/Bakong.*.dll
echo "published: gateway $(du -sh "$out/gateway" | cut -f1), bakong $(du -sh "$out/bakong" | cut -f1)"

id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"

# /opt-like application folder (root's, read-only to the user), a data directory of its own, and an empty working
# directory the user cannot write to: whatever the gateway writes must go to the data directory.
root=$(mktemp -d /tmp/bakong-published.XXXXXX)
chmod 755 "$root"
cp -r "$out/gateway" "$root/app"
chmod -R a+rX,go-w "$root/app"
mkdir -m 755 "$root/cwd"
mkdir -m 700 "$root/data"
chown "$user:" "$root/data"

. .ci/ports.sh  # after the cd above: the repository root
web=http://127.0.0.1:$web_port
grpc=http://127.0.0.1:$grpc_port
bakong() { dotnet "$out/bakong/bakong.dll" "$@"; }

gateway_pid=
pay_pid=
finish() {
  local status=$?
  [ -n "$pay_pid" ] && kill "$pay_pid" 2>/dev/null
  [ -n "$gateway_pid" ] && kill -KILL "$gateway_pid" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    echo "--- gateway log"
    cat "$root/gateway.log" 2>/dev/null || true
  fi
  rm -rf "$root"
}
trap finish EXIT

echo "starting $root/app/Bakong.Gateway.dll as $user from $root/cwd, data in $root/data, web $web, grpc $grpc"
# setpriv, not runuser: it execs the gateway as the user, with no process in between that would take the SIGTERM
# and exit 143 itself, so the gateway's own exit code is seen.
(cd "$root/cwd" && exec setpriv --reuid="$user" --regid="$user" --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin DOTNET_NOLOGO=1 \
  BAKONG_DATA="$root/data" \
  Kestrel__Endpoints__Grpc__Url="$grpc" Kestrel__Endpoints__Web__Url="$web" \
  dotnet "$root/app/Bakong.Gateway.dll") >"$root/gateway.log" 2>&1 &
gateway_pid=$!

for _ in $(seq 1 120); do
  curl -sf "$web/healthz" >/dev/null 2>&1 && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "the gateway exited before it answered /healthz"; exit 1; }
  sleep 0.5
done
echo "/healthz: $(curl -sf "$web/healthz")"
echo "/readyz:  $(curl -sf "$web/readyz")"

# One payment from start to PAID: bakong pay prints the payment (--json) and waits; the sandbox's customer pays it.
bakong pay --server "$grpc" --amount 4000 --currency KHR --terminal CI-01 --order CI-1 --expires 2m --json >"$root/pay.out" 2>&1 &
pay_pid=$!
for _ in $(seq 1 60); do
  grep -q '"khqr"' "$root/pay.out" 2>/dev/null && break
  sleep 0.5
done
khqr=$(head -n 1 "$root/pay.out" | grep -o '"khqr":"[^"]*"' | cut -d'"' -f4)
[ -n "$khqr" ] || { echo "bakong pay printed no payment:"; cat "$root/pay.out"; exit 1; }
bakong sandbox pay --url "$web/sandbox" --qr "$khqr" >/dev/null
pay_status=0
wait "$pay_pid" || pay_status=$?
[ "$pay_status" -eq 0 ] || { echo "bakong pay did not end PAID (exit $pay_status):"; cat "$root/pay.out"; exit 1; }
pay_pid=
echo "bakong pay: $(tail -n 1 "$root/pay.out" | cut -c1-120)"

kill -TERM "$gateway_pid"
stop_status=0
wait "$gateway_pid" || stop_status=$?
[ "$stop_status" -eq 0 ] || { echo "the gateway did not stop cleanly on SIGTERM (exit $stop_status)"; exit 1; }
gateway_pid=
grep -q "Content root path: $root/app" "$root/gateway.log" || { echo "the content root is not the application folder"; exit 1; }
[ -z "$(ls -A "$root/cwd")" ] || { echo "the gateway wrote into its working directory:"; ls -la "$root/cwd"; exit 1; }
for file in bakong.db bakong-tokens.db bakong-audit.db; do
  [ "$(stat -c %U "$root/data/$file")" = "$user" ] || { echo "$file is missing from the data directory or not $user's"; exit 1; }
done
echo "stopped on SIGTERM; data directory: $(ls "$root/data" | tr '\n' ' ')"
