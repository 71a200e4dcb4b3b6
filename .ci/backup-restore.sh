#!/usr/bin/env bash
# A backup and restore round trip on the published gateway, run as docs/going-live.md step 7 says: the gateway (as
# .ci/published-gateway.sh starts it: its own folder, an unprivileged user, another working directory) with API keys
# and an operator key made offline; `bakong backup` through it while it runs; one more payment after the backup; stop;
# `bakong restore` into a new directory; a gateway started on that directory lists the payment made before the backup
# and not the one made after. Every `bakong` command runs as the gateway's user, as an operator would run it.
# Usage: .ci/backup-restore.sh OUT_DIR   (needs root; reuses OUT_DIR/published from .ci/published-gateway.sh if there)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-.ci/out}")/published
user=bakong-ci

if [ ! -f "$out/gateway/Bakong.Gateway.dll" ] || [ ! -f "$out/bakong/bakong.dll" ]; then
  mkdir -p "$out"
  echo "publishing the gateway and bakong (framework-dependent, Release) to $out"
  dotnet publish src/Bakong.Gateway -c Release -o "$out/gateway" -p:TreatWarningsAsErrors=true >"$out/publish-gateway.log" 2>&1 ||
    { cat "$out/publish-gateway.log"; exit 1; }
  dotnet publish src/Bakong.Cli -c Release -o "$out/bakong" -p:TreatWarningsAsErrors=true >"$out/publish-bakong.log" 2>&1 ||
    { cat "$out/publish-bakong.log"; exit 1; }
fi

id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"

# Root's folders, read-only to the user: the programs and an empty working directory. The user's: the data directory,
# the folder the backup goes to, and the folder the restore writes into (it stages beside its target, so the parent).
root=$(mktemp -d /tmp/bakong-backup.XXXXXX)
chmod 755 "$root"
cp -r "$out/gateway" "$root/app"
cp -r "$out/bakong" "$root/bakong"
chmod -R a+rX,go-w "$root/app" "$root/bakong"
mkdir -m 755 "$root/cwd"
for dir in data backups restored; do
  mkdir -m 700 "$root/$dir"
  chown "$user:" "$root/$dir"
done
data=$root/data
restored=$root/restored/data

. .ci/ports.sh  # after the cd above: the repository root
web=http://127.0.0.1:$web_port
grpc=http://127.0.0.1:$grpc_port

as_user() {
  (cd "$root/cwd" && exec setpriv --reuid="$user" --regid="$user" --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin DOTNET_NOLOGO=1 "$@")
}
bakong() { as_user dotnet "$root/bakong/bakong.dll" "$@"; }

gateway_pid=
finish() {
  local status=$?
  [ -n "$gateway_pid" ] && kill -KILL "$gateway_pid" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    for log in "$root"/gateway-*.log; do
      [ -e "$log" ] && { echo "--- $log"; cat "$log"; }
    done
  fi
  rm -rf "$root"
}
trap finish EXIT

# start_gateway NAME DATA_DIR: the published gateway as the user, API keys required, until /healthz answers.
start_gateway() {
  # Not through as_user: one process from here to the gateway (exec all the way), so the SIGTERM reaches it.
  (cd "$root/cwd" && exec setpriv --reuid="$user" --regid="$user" --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin DOTNET_NOLOGO=1 \
    BAKONG_DATA="$2" Auth__Mode=ApiKeys Kestrel__Endpoints__Grpc__Url="$grpc" Kestrel__Endpoints__Web__Url="$web" \
    dotnet "$root/app/Bakong.Gateway.dll") >"$root/gateway-$1.log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 1 120); do
    curl -sf "$web/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$gateway_pid" 2>/dev/null || { echo "the $1 gateway exited before it answered /healthz"; return 1; }
    sleep 0.5
  done
  echo "the $1 gateway did not answer /healthz"
  return 1
}
stop_gateway() {
  local status=0
  kill -TERM "$gateway_pid"
  wait "$gateway_pid" || status=$?
  gateway_pid=
  [ "$status" -eq 0 ] || { echo "the gateway did not stop cleanly on SIGTERM (exit $status)"; return 1; }
}

# pay ORDER: a payment for terminal CI-BK, paid by the sandbox's customer; prints its id.
pay() {
  local out=$root/pay-$1.out pid khqr status=0
  bakong pay --server "$grpc" --key "$key" --amount 4000 --currency KHR --terminal CI-BK --order "$1" --expires 2m --json >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    grep -q '"khqr"' "$out" 2>/dev/null && break
    sleep 0.5
  done
  khqr=$(head -n 1 "$out" | grep -o '"khqr":"[^"]*"' | cut -d'"' -f4)
  [ -n "$khqr" ] || { kill "$pid" 2>/dev/null; echo "bakong pay printed no payment:" >&2; cat "$out" >&2; return 1; }
  bakong sandbox pay --url "$web/sandbox" --qr "$khqr" >/dev/null
  wait "$pid" || status=$?
  [ "$status" -eq 0 ] || { echo "bakong pay $1 did not end PAID (exit $status):" >&2; cat "$out" >&2; return 1; }
  head -n 1 "$out" | grep -o '"paymentId":"[^"]*"' | cut -d'"' -f4
}

# The operator's key, made offline before the gateway holds the client store.
key=$(bakong clients add --role operator --name "CI operator" --data "$data" --json | grep -o '"key":"[^"]*"' | cut -d'"' -f4)
[ -n "$key" ] || { echo "bakong clients add printed no key"; exit 1; }

echo "gateway 1 as $user, data in $data, Auth:Mode ApiKeys, grpc $grpc"
start_gateway first "$data"
before=$(pay CI-BK-BEFORE)
echo "paid before the backup: $before"

backup=$root/backups/bakong.zip
echo "\$ bakong backup --out $backup --data $data --server $grpc --key bk_…"
bakong backup --out "$backup" --data "$data" --server "$grpc" --key "$key"
grep -q "BackupTaken" "$root/gateway-first.log" || grep -q "Backup taken by" "$root/gateway-first.log" ||
  { echo "the gateway logged no BackupTaken"; exit 1; }

after=$(pay CI-BK-AFTER)
echo "paid after the backup: $after"
stop_gateway

echo "\$ bakong restore $backup --data $restored"
bakong restore "$backup" --data "$restored"

echo "gateway 2 as $user on the restored $restored"
start_gateway second "$restored"
listed=$(bakong payments list --server "$grpc" --key "$key" --terminal CI-BK --limit 10)
echo "$listed"
stop_gateway

echo "$listed" | grep -q "$before" || { echo "the payment made before the backup is not on the restored gateway"; exit 1; }
if echo "$listed" | grep -q "$after"; then
  echo "the payment made after the backup is on the restored gateway"
  exit 1
fi
echo "round trip: $before (before the backup) is back, $after (after it) is not"
