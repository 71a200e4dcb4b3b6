#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile and starts the image with its data on a fresh volume: it must become healthy (the
# image's HEALTHCHECK, /healthz) and answer /readyz. Exit 77 (skipped, with the reason) where no container engine
# runs or the base images cannot be pulled.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=
for candidate in docker podman; do
  if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then
    engine=$candidate
    break
  fi
done
if [ -z "$engine" ]; then
  echo "SKIPPED: no container engine runs on this machine (docker or podman); the image was not built or started"
  exit 77
fi
if ! "$engine" pull -q mcr.microsoft.com/dotnet/aspnet:10.0 >/dev/null 2>&1; then
  echo "SKIPPED: $engine cannot pull mcr.microsoft.com/dotnet/aspnet:10.0 from here; the image was not built or started"
  exit 77
fi

tag=bakong-gateway:ci
name=bakong-gateway-ci-$$
volume=bakong-data-ci-$$
port=$((20000 + RANDOM % 20000))
cleanup() {
  "$engine" rm -f "$name" >/dev/null 2>&1 || true
  "$engine" volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$engine" build -f deploy/docker/Dockerfile -t "$tag" .
"$engine" run -d --name "$name" -v "$volume:/data" -p "127.0.0.1:$port:5081" "$tag" >/dev/null
for _ in $(seq 1 60); do
  [ "$("$engine" inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null)" = healthy ] && break
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 2
done
curl -sf "http://127.0.0.1:$port/readyz" || { "$engine" logs "$name"; exit 1; }
echo
[ "$("$engine" exec "$name" id -u)" != 0 ] || { echo "the gateway runs as root in the image"; exit 1; }
"$engine" stop -t 30 "$name" >/dev/null
echo "the image built, served /healthz and /readyz as a non-root user, and stopped"
