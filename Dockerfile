# syntax=docker/dockerfile:1
#
# promoter: a static binary on distroless, running as the nonroot user, for
# a machine with a Docker engine. `make image` builds the same image without
# one (same build flags, base contents, user, entrypoint and labels), for
# linux/amd64 and linux/arm64, reproducibly, with an SBOM; prefer it.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     -t <registry>/promoter:<tag> --push .
#
# The build stage runs on the build machine's platform and cross-compiles
# (CGO is off), so a multi-arch build needs no emulation.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
# Use the Go of this image; never download another toolchain.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
# Dependencies first, in their own layer and cache: Prow pulls in ~1000
# packages, so a cold build takes minutes and a warm one seconds.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS TARGETARCH
# The flags of hack/image: no local paths, no VCS stamp (the revision is a
# label), no symbol table; baseline instruction sets for any node.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOAMD64=v1 GOARM64=v8.0 \
    go build -trimpath -buildvcs=false -ldflags='-s -w' -o /promoter ./cmd/plugin

# CA certificates, tzdata, passwd/group with nonroot (65532); no shell,
# package manager or git.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /promoter /promoter
USER 65532:65532
# 8888 webhooks, /help, /promotions; 8081 /healthz, /healthz/ready; 9090 /metrics
EXPOSE 8888 8081 9090
ENTRYPOINT ["/promoter"]
ARG REVISION=unknown VERSION=unknown
LABEL org.opencontainers.image.source=https://github.com/kubernetes-sigs/promoter \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.title=promoter
