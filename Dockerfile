# syntax=docker/dockerfile:1
#
# The POS payment service's image. One image, two roles: the worker by default
# (`node dist/worker.js`), the API with the command `node dist/api/server.js`.
#
#   docker build -t pos-payments .                                   # the service (the last stage, `runtime`)
#   docker build --target simulators -t pos-payments-simulators .    # the sandbox's Zuz and PMS simulators
#   docker compose up --build                                        # the whole system: docker-compose.yml
#
# Every build step is in scripts/container-build.sh: test/container-build.test.ts runs that
# script on a copy of this build context (.dockerignore's rules) and starts the worker and the
# API from what it stages, with this file's ENV, so the steps are tested where no image can be
# built. Keep build logic out of this file: it only runs the script and copies its output.
#
# Base image: the official Node.js image, Debian 12 "bookworm", slim variant, at an exact release of
# Node.js 24, the LTS line the project targets (.nvmrc: 24; engines: ^24 || ^22 || ^20.3). The tag
# was published by nodejs/docker-node commit fd1bf45c ("feat: Node.js", 2026-08-03:
# 24/bookworm-slim/Dockerfile, NODE_VERSION=24.19.0); Node.js 24 is supported until 2028-04-30.
ARG NODE_IMAGE=node:24.19.0-bookworm-slim

# ---- build: compile, bundle the workflows, install production dependencies ----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN bash scripts/container-build.sh /runtime /simulators

# ---- simulators: the sandbox's Zuz and PMS, for docker-compose.yml only -------------------
# Never the service's image: the runtime stage below does not contain them.
FROM ${NODE_IMAGE} AS simulators
ENV NODE_ENV=production \
    ZUZ_SIM_HOST=0.0.0.0 \
    ZUZ_SIM_PORT=4100 \
    PMS_SIM_HOST=0.0.0.0 \
    PMS_SIM_PORT=4200
WORKDIR /app
COPY --from=build /runtime/ ./
COPY --from=build /simulators/ ./
# The node user of the official image (uid 1000), by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 4100 4200
CMD ["node", "sandbox/simulators/zuz/main.js"]

# ---- runtime: the service --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# The slim image removes ca-certificates after installing Node. Node's own HTTPS (Zuz, PMS) has
# its built-in CA list, but the Temporal SDK's Rust core verifies TLS (Temporal Cloud, an mTLS
# cluster) against the system's store (rustls-native-certs), which must therefore be present.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Listen addresses for a container: the API and the worker's health checks on every interface
# (the API serves plain HTTP: production requires API_TLS_TERMINATED_BY=proxy). The metrics stay
# on loopback unless a deployment says otherwise (API_METRICS_ADDRESS, WORKER_METRICS_ADDRESS,
# e.g. 0.0.0.0:9465 for a scraper on the container network, as docker-compose.yml does). The
# codec server stays off unless CODEC_SERVER_ADDRESS is set (with CODEC_SERVER_TOKEN).
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=3000 \
    API_METRICS_ADDRESS=127.0.0.1:9465 \
    WORKER_HEALTH_HOST=0.0.0.0 \
    WORKER_HEALTH_PORT=8081 \
    WORKER_METRICS_ADDRESS=127.0.0.1:9464
WORKDIR /app
# Owned by root, read-only to the process: the service writes nothing under /app.
COPY --from=build /runtime/ ./
# The node user of the official image (uid 1000), by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# API, API metrics, worker health, worker metrics (Prometheus).
EXPOSE 3000 9465 8081 9464
# GET /readyz of the role this container runs (deploy/healthcheck.js): the API's on API_PORT,
# the worker's on WORKER_HEALTH_PORT. Orchestrators with probes of their own ignore it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "healthcheck.js"]
CMD ["node", "dist/worker.js"]
