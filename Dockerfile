# syntax=docker/dockerfile:1
# Gatehouse runtime image: Node 24 LTS slim, production dependencies only, non-root user.
# Gatehouse runs its TypeScript sources with Node's built-in type stripping; the build stage
# bundles the browser join client, compiles the native SRTP and media socket engines
# (native/srtp-crypto.c, native/media-udp.c, against the Node headers the official image ships)
# and resolves production dependencies from the lockfile.

FROM node:24-bookworm-slim AS build
# a C compiler for the native engines only; it stays in this stage
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY sdp ./sdp
COPY crypto-policy ./crypto-policy
COPY native ./native
# npm ci runs `prepare`, which bundles the browser join client into dist/web (esbuild, SIP.js)
# and builds dist/native/srtp-crypto.node and media-udp.node (--required: the image must not
# fall back to node:crypto or node:dgram); then drop the dev dependencies used only for that
RUN npm ci --no-audit --no-fund && node native/build.ts --required && npm prune --omit=dev && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# A small V8 young generation keeps relay latency low under load (relay bench: added p99 from
# 5-12 ms to 1-2 ms; docs/srtp-performance.md). Override NODE_OPTIONS to change it.
ENV NODE_OPTIONS=--max-semi-space-size=2
# the image carries the native SRTP and socket engines: refuse to start rather than fall back
# (media.srtp_engine, media.socket_engine)
ENV GATEHOUSE_MEDIA_SRTP_ENGINE=native
ENV GATEHOUSE_MEDIA_SOCKET_ENGINE=native
WORKDIR /app
RUN groupadd --system gatehouse \
 && useradd --system --gid gatehouse --home-dir /app --shell /usr/sbin/nologin gatehouse
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/web ./dist/web
COPY --from=build /app/dist/native ./dist/native
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY sdp ./sdp
COPY crypto-policy ./crypto-policy
COPY config ./config
USER gatehouse
# SIP (UDP/TCP 5060, TLS 5061, WSS 5063), RTP range per media.port_min/port_max. The admin
# listener stays on loopback: the health check runs inside the container and follows
# GATEHOUSE_ADMIN_LISTEN if you move it (set it by env, not only in the file, for the check).
EXPOSE 5060/udp 5060/tcp 5061/tcp 5063/tcp 8443/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://'+(process.env.GATEHOUSE_ADMIN_LISTEN||'127.0.0.1:8088')+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/gatehouse.js"]
# Mount a config and set GATEHOUSE_CONFIG=/etc/gatehouse/gatehouse.yaml, or use flags/env.
CMD ["start"]
