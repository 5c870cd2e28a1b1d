#!/usr/bin/env bash
# The Dockerfile's steps without a Docker engine: the built dist/ and a production-only install of the lockfile in
# a scratch folder, the data set copied in, the service started the way the image starts it (node --max-semi-space-size=4 dist/main.js, as
# an unprivileged user when run as root), and /health/live then /health/ready must answer.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
chmod 755 "$scratch"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

test -f dist/main.js || npm run build
cp package.json package-lock.json "$scratch/"
(cd "$scratch" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
cp -r dist "$scratch/dist"
mkdir -p "$scratch/data/raw" "$scratch/models" "$scratch/logs"
cp "${HOUSING_CSV_PATH:-data/raw/california_housing.csv}" "$scratch/data/raw/california_housing.csv"

run_as=()
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  chown -R nobody "$scratch/data" "$scratch/models" "$scratch/logs"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
(
  cd "$scratch"
  env -i PATH="$PATH" NODE_ENV=production PORT="$port" HOST=127.0.0.1 DATA_DIR="$scratch/data" \
    MODELS_DIR="$scratch/models" LOGS_DIR="$scratch/logs" LOG_LEVEL=warn MALLOC_ARENA_MAX=2 \
    "${run_as[@]}" node --max-semi-space-size=4 dist/main.js
) &
pid=$!

wait_for() {
  for _ in $(seq 1 "$2"); do
    if curl -fsS "http://127.0.0.1:$port$1" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "image smoke: the service exited" >&2; return 1; }
    sleep 1
  done
  echo "image smoke: $1 did not answer" >&2
  return 1
}
wait_for /health/live 60
echo "image smoke: /health/live answers ($(du -sh "$scratch/node_modules" | cut -f1) of production node_modules)"
wait_for /health/ready 300
echo "image smoke: /health/ready answers: the first models were trained and are served"
