# What an expert would hand-write for examples/node, on the same bases shallot
# uses: the baseline that shallot's generated build is compared against.
#
#   DOCKER_BUILDKIT=1 docker build -f bench/node-expert.Dockerfile examples/node
#
# Offline (no registry), against the local stand-ins made by
# scripts/stand-in-images:
#
#   DOCKER_BUILDKIT=1 /usr/bin/docker build -f bench/node-expert.Dockerfile \
#     --build-arg BUILDER=shallot-test/node-builder:latest \
#     --build-arg RUNTIME=shallot-test/nodejs-runtime:nonroot examples/node
#
# No `# syntax=` line on purpose: it would make BuildKit pull the Dockerfile
# frontend image from a registry, and the frontend built into Docker 20.10+
# already understands RUN --mount=type=cache.

ARG BUILDER=node:24-trixie-slim
ARG RUNTIME=gcr.io/distroless/nodejs24-debian13:nonroot

FROM ${BUILDER} AS builder
# npm's once-a-week update check waits ~10 s per npm command when the build
# has no working network; it has no business in an image build anyway.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Dependency manifests and the local file: packages first, so that editing
# the app's source does not invalidate the `npm ci` layer.
COPY package.json package-lock.json ./
COPY packages/ ./packages/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${RUNTIME}
# file: dependencies are symlinks (node_modules/greeting -> ../packages/greeting),
# so the whole /app (packages/ included) crosses over.
COPY --from=builder --chown=65532:65532 /app /app
WORKDIR /app
ENV PORT=8080
EXPOSE 8080
# The image's ENTRYPOINT is already /nodejs/bin/node: do not repeat `node`.
CMD ["server.js"]
