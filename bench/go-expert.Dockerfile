# What an expert would hand-write for examples/go, on the same bases shallot
# uses: the baseline that shallot's generated build is compared against
# (bench/daemons).
#
#   DOCKER_BUILDKIT=1 docker build -f bench/go-expert.Dockerfile examples/go
#
# Offline (no registry), against the local stand-ins made by
# scripts/stand-in-images-go and scripts/stand-in-images-static:
#
#   DOCKER_BUILDKIT=1 /usr/bin/docker build -f bench/go-expert.Dockerfile \
#     --build-arg BUILDER=shallot-test/go-builder:latest \
#     --build-arg RUNTIME=shallot-test/static-runtime:nonroot examples/go
#
# No `# syntax=` line: bench/daemons adds `# syntax=docker/dockerfile:1` for the
# frontend-image variant and builds this file as it is with the built-in one.

ARG BUILDER=golang:1.26-trixie
ARG RUNTIME=gcr.io/distroless/static-debian13:nonroot

FROM ${BUILDER} AS builder
# A static binary: distroless static has no libc for cgo's dynamic linking.
# GOTOOLCHAIN=local: never download another toolchain in the middle of a build.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
WORKDIR /app
# The module files first (the app's and its local replace's; the app has no
# go.sum, since it has no downloaded modules), so that editing the source does
# not invalidate the download layer.
COPY go.mod ./
COPY greeting/go.mod ./greeting/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# The module and build caches outlive the build, so a source change compiles
# only the packages it touches. The binary goes outside both cache mounts.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/hello .

FROM ${RUNTIME}
COPY --from=builder /out/hello /app/hello
WORKDIR /app
ENV PORT=8080
EXPOSE 8080
# distroless :nonroot already runs as uid 65532; the binary needs no ownership.
ENTRYPOINT ["/app/hello"]
