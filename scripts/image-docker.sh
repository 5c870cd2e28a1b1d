#!/usr/bin/env bash
# The image, really built and run (where a Docker engine answers; .ci/run calls this only then):
#   1. `docker build` of the Dockerfile, labelled with package.json's version (APP_VERSION build argument);
#   2. the container starts as a non-root user, trains its first models (the data set mounted read-only), turns
#      healthy by its own HEALTHCHECK and ready by /health/ready, answers predictions;
#   3. `docker stop` stops it cleanly (exit code 0, within the grace period) with every answered prediction in the
#      prediction log, read from its database afterwards;
#   4. the compose stack (PostgreSQL, Redis, two api replicas, the worker, Prometheus, Grafana) is started and its
#      replicas probed, when its images can be pulled.
# NODE_IMAGE overrides the base image (a mirror, or a local image where Docker Hub is out of reach).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p "require('./package.json').version")
tag="nest-mlops:ci-$$"
name="nest-mlops-ci-$$"
scratch=$(mktemp -d)
chmod 777 "$scratch"
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker image rm -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

base="${NODE_IMAGE:-node:20-bookworm-slim}"
if ! docker image inspect "$base" >/dev/null 2>&1 && ! docker pull -q "$base" >/dev/null; then
  echo "image: the base image $base cannot be pulled here (set NODE_IMAGE to a reachable one): the image was not built"
  exit 0
fi
build_args=(--build-arg "APP_VERSION=$version")
[ -n "${NODE_IMAGE:-}" ] && build_args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
# The host's network for the build's package installs (apt, npm), as on an engine without a bridge.
docker build --network host "${build_args[@]}" -t "$tag" .
label=$(docker image inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$tag")
[ "$label" = "$version" ] || { echo "image: label version $label, package.json $version" >&2; exit 1; }
echo "image: built $tag, labelled version $label ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"

port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
# The data volume is a host folder here (to read the prediction log after the stop): the image's user must own it.
mkdir -p "$scratch/data"
chown "$(docker run --rm --entrypoint id "$tag" -u):$(docker run --rm --entrypoint id "$tag" -g)" "$scratch/data"
cp "${HOUSING_CSV_PATH:-data/raw/california_housing.csv}" "$scratch/california_housing.csv"
docker run -d --name "$name" --network host -e PORT="$port" -e LOG_LEVEL=log \
  -e HOUSING_CSV_PATH=/input/california_housing.csv -v "$scratch/california_housing.csv:/input/california_housing.csv:ro" \
  -v "$scratch/data:/app/data" "$tag" >/dev/null
uid=$(docker exec "$name" id -u)
[ "$uid" != 0 ] || { echo "image: the service runs as root" >&2; exit 1; }
echo "image: the container runs as $(docker exec "$name" id -un) (uid $uid)"

status() { docker inspect -f '{{.State.Health.Status}}' "$name"; }
running() { [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ]; }
for _ in $(seq 1 120); do [ "$(status)" = healthy ] || ! running && break; sleep 2; done
[ "$(status)" = healthy ] || { docker logs "$name" | tail -50; echo "image: not healthy: $(status)" >&2; exit 1; }
echo "image: HEALTHCHECK reports healthy"
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 || ! running && break; sleep 1; done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { docker logs "$name" | tail -50; exit 1; }
echo "image: /health/ready answers (first models trained in the container)"

row='{"longitude": -122.23, "latitude": 37.88, "housing_median_age": 41, "total_rooms": 880, "total_bedrooms": 129,
  "population": 322, "households": 126, "median_income": 8.3252, "ocean_proximity": "NEAR BAY"}'
answered=0
for i in $(seq 1 25); do
  curl -fsS -H 'content-type: application/json' -d "$row" "http://127.0.0.1:$port/predict/housing" >/dev/null
  answered=$((answered + 1))
done
echo "image: $answered predictions answered"

started=$(date +%s)
docker stop -t 30 "$name" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
echo "image: docker stop took $(($(date +%s) - started)) s, exit code $code"
[ "$code" = 0 ] || { docker logs "$name" | tail -30; echo "image: unclean stop" >&2; exit 1; }
logged=$(node -e "
  const db = new (require('better-sqlite3'))(process.argv[1], { readonly: true });
  console.log(db.prepare(\"SELECT count(*) AS n FROM predictions WHERE model_name = 'california-housing'\").get().n);
" "$scratch/data/nest-mlops.sqlite")
[ "$logged" = "$answered" ] || { echo "image: $logged of $answered predictions logged" >&2; exit 1; }
echo "image: all $logged predictions are in the prediction log after docker stop"

# The compose stack, when its images (postgres, redis, prometheus, grafana) can be pulled.
compose=(docker compose)
docker compose version >/dev/null 2>&1 || compose=(docker-compose)
export COMPOSE_PROJECT_NAME="nest-mlops-ci-$$" ADMIN_API_KEY="ci-$(openssl rand -hex 12)"
if ! "${compose[@]}" pull -q postgres redis prometheus grafana >/dev/null 2>&1; then
  echo "compose: the stack's images could not be pulled here; the stack was not started"
  exit 0
fi
trap '"${compose[@]}" down -v >/dev/null 2>&1 || true; cleanup' EXIT
"${compose[@]}" up -d --build
for _ in $(seq 1 120); do
  curl -fsS http://127.0.0.1:8000/health/ready >/dev/null 2>&1 && curl -fsS http://127.0.0.1:8001/health/ready >/dev/null 2>&1 && break
  sleep 5
done
curl -fsS -H 'content-type: application/json' -d "$row" http://127.0.0.1:8000/predict/housing
curl -fsS -H 'content-type: application/json' -d "$row" http://127.0.0.1:8001/predict/housing
curl -fsS http://127.0.0.1:9090/-/ready >/dev/null
echo
echo "compose: both api replicas answer, Prometheus is ready"
