# syntax=docker/dockerfile:1
#
# promoter: a static binary on distroless, running as the nonroot user.
#
#   docker buildx build -t promoter .                                # this machine's platform
#   docker buildx build --platform linux/amd64,linux/arm64 -t ... .  # multi-arch index
#
# The build stage runs on the build machine's platform and cross-compiles
# (CGO is off), so a multi-arch build needs no emulation.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
# Use the Go of this image; never download another toolchain.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
# Dependencies first, in their own layer and cache: Prow pulls in ~1000
# packages, so a cold build takes over a minute and a warm one seconds.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /promoter ./cmd/plugin

# static-debian12 has CA certificates (GitHub, registries) and tzdata, and
# no shell, package manager or git.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /promoter /promoter
USER 65532:65532
# 8888 webhooks, /help, /promotions; 8081 /healthz, /healthz/ready; 9090 /metrics
EXPOSE 8888 8081 9090
ENTRYPOINT ["/promoter"]
