# syntax=docker/dockerfile:1
# pullmedic: one image for the node agent (`agent`) and the aggregator (`aggregator`); see
# daemonset.yaml. Build from the repository root:
#   docker build -t registry.example.com/pullmedic:0.1.0 \
#     --build-arg SOURCE=https://git.example.com/you/pullmedic --build-arg REVISION=$(git rev-parse HEAD) .
#
# Node.js LTS, Debian slim, pinned by version for every stage. Pinning by digest as well
# (node:26.13.0-bookworm-slim@sha256:…) is better still, where you can pull the image to read it:
# a tag can be re-pushed, a digest cannot.
ARG NODE_IMAGE=node:26.13.0-bookworm-slim

# ---- build: the TypeScript compiler and every dev dependency, used only to make dist/ ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: our own `prepare` would compile before the sources are here, and tsc needs
# no native module.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core/ core/
COPY agent/ agent/
COPY aggregator/ aggregator/
COPY cli/ cli/
RUN npm run build

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

# ---- runtime: node, dist/, the .proto contracts, the dashboard's files, production node_modules --
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
ENV NODE_ENV=production
WORKDIR /app
# findPackageRoot() finds proto/ and aggregator/web/ next to package.json.
COPY package.json ./
COPY proto/ proto/
COPY aggregator/web/ aggregator/web/
COPY --from=prod-deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
# Files stay root-owned and read-only to the process. Non-root by default (the aggregator runs as
# this uid); the agent's DaemonSet sets runAsUser 0, because the CRI socket is root's only.
USER 65532:65532
EXPOSE 9476 9477 9478
# node is PID 1: the agent and the aggregator handle SIGTERM and SIGINT themselves (stop, save,
# exit 0), and neither starts child processes, so there are no zombies to reap and no init is
# needed. --max-semi-space-size=2 keeps ~25 MiB off every agent (V8's young generation).
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (see daemonset.yaml).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/cli/main.js"]
CMD ["--help"]
