# One image for every lab node (cscf, pf, client, lab): `docker run cpm-lab <subcommand> ...`.
#
#   docker build -t cpm-lab .
#   docker run --rm cpm-lab --help
#
# NODE_IMAGE selects the base image (any Debian-based image with node >= 20, npm and a `node` user,
# uid 1000). CI, which cannot reach a container registry, builds from a local stand-in:
#   docker build --build-arg NODE_IMAGE=cpm-lab/node-base:bookworm -t cpm-lab:dev .
# (scripts/make-node-base-image.sh makes it; scripts/ci-docker.sh does both.)
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: all dependencies, compile the TypeScript to dist/ ------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (tsc) needs the sources, which come next; this layer stays cached
# until the lockfile changes.
RUN npm ci --ignore-scripts --no-audit --no-fund
# The whole context (filtered by .dockerignore), so source folders can come and go freely.
COPY . .
# mkdir: the console's assets folder exists in the stage even in a checkout without it (see below).
RUN npm run build && mkdir -p lab/console/static

# --- runtime: production dependencies, compiled output, launcher --------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts are needed: libsql's native binding is a prebuilt optional dependency
# (@libsql/linux-x64-gnu, glibc), so no compiler is required.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The lab console's static files: tsc does not copy them into dist/, and lab/console/static-dir.ts looks
# for them under the package root (/app), as in the source tree.
COPY --from=build /app/lab/console/static ./lab/console/static
# The built-in scenarios are files (scenarios/*.yaml) the CLI and the lab read at run time.
COPY --from=build /app/scenarios ./scenarios
# Stores (PF message store, client stores) live under /data: mount a volume there.
RUN mkdir -p /data && chown node:node /data
USER node

# Documentation only (one image, every role): SIP of the CSCF (5060) and the PF (5070), UDP and
# TCP; the PF's MSRP (7394); control APIs (cscf 8081, pf 8082; the health check reads
# CPM_LAB_CONTROL_PORT, default 8080).
EXPOSE 5060/udp 5060/tcp 5070/udp 5070/tcp 7394/tcp 8080/tcp 8081/tcp 8082/tcp

# Healthy = the node's control API answers GET /health with 200 (port: CPM_LAB_CONTROL_PORT, default
# 8080). Slim images have no curl; bash's /dev/tcp costs nothing, where a `node -e` per check costs a
# node start-up (~0.5 s of CPU) per container and interval. (bash is Essential in Debian.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${CPM_LAB_CONTROL_PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ \"$code\" = 200 ]"]

ENTRYPOINT ["node", "/app/bin/cpm-lab.js"]
CMD ["--help"]
