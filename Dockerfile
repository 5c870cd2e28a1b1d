# syntax=docker/dockerfile:1
# nest-mlops: multi-stage build. `build` compiles with the dev dependencies; `deps` installs the production
# dependencies only (better-sqlite3 is a native addon, so both stages have a C++ toolchain); `runtime` holds the
# compiled service and those dependencies, runs as the unprivileged `node` user, and keeps its state in volumes.
# `.ci/run` repeats these steps without Docker (scripts/image-smoke.sh): production install into a scratch folder,
# start, /health/live answers.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

FROM toolchain AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# The service's version, as package.json says (src/common/app-version.spec.ts fails when they differ); `.ci/run`
# passes it as a build argument too.
ARG APP_VERSION=0.1.0
LABEL org.opencontainers.image.title="nest-mlops" \
      org.opencontainers.image.description="MLOps service for tabular models: data, training, registry, serving, monitoring, retraining" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    MODELS_DIR=/app/models \
    LOGS_DIR=/app/logs \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p data models logs && chown -R node:node data models logs
USER node
VOLUME ["/app/data", "/app/models", "/app/logs"]
EXPOSE 8000
# Liveness only: the first start trains the models (readiness follows with /health/ready). On the PORT the
# service listens on (8000 unless the container is started with another).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node flags of `npm start` (package.json): an 8 MB young generation instead of 32 (see docs/benchmarks.md).
CMD ["node", "--max-semi-space-size=4", "dist/main.js"]
