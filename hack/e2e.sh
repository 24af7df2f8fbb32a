#!/usr/bin/env bash
# End to end behind Prow's real hook: builds Prow's hook and phony at the
# Prow version promoter builds against, installs Debian's docker-registry if
# missing, builds promoter and the GitHub stand-in, and runs the e2e-tagged
# test package test/e2e/prow (one subtest a case, in order, on one world; see
# its package comment). Extra arguments go to `go test` after ours, e.g.
# `hack/e2e.sh -run 'TestProw/registry' -logs /tmp/e2e-logs`.
#
# Needs: Go, git, and (to install docker-registry) apt-get as root. The first
# run downloads Go 1.22.12 through the module proxy (Prow at this version
# does not build with newer Go: its x/tools) and builds hook and phony, which
# takes some minutes; after that a run takes 130-180 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

PROW=v0.0.0-20240619181241-cfb8754e0459
mkdir -p bin
if [ "$(cat bin/.prow-version 2>/dev/null)" != "$PROW" ] || [ ! -x bin/hook ] || [ ! -x bin/phony ]; then
  echo "==> building Prow's hook and phony at $PROW (Go 1.22.12)"
  GOTOOLCHAIN=go1.22.12 GOBIN="$PWD/bin" go install \
    "sigs.k8s.io/prow/cmd/hook@$PROW" "sigs.k8s.io/prow/cmd/phony@$PROW"
  echo "$PROW" > bin/.prow-version
fi

REGISTRY=$(command -v docker-registry || true)
if [ -z "$REGISTRY" ]; then
  echo "==> installing Debian's docker-registry"
  apt-get update -qq
  # Its postinst would start the service on :5000 where systemd runs; the
  # e2e run starts its own on a loopback port instead.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
  REGISTRY=$(command -v docker-registry)
fi

echo "==> building promoter and the GitHub stand-in"
go build -o bin/promoter ./cmd/plugin
go build -o bin/fakegithub ./test/fakegithub

# go test runs the test binary as its child. go ignores SIGINT (the test
# binary stops every process it started, writes the logs and exits) but dies
# of SIGTERM, which would leave the test binary running with its output cut
# off. So the run gets a process group of its own (set -m), and CI's SIGTERM
# or a ^C reaches all of it as SIGINT.
set -m
go test -tags e2e -v -count=1 -timeout 15m ./test/e2e/prow \
  -promoter "$PWD/bin/promoter" -fakegithub "$PWD/bin/fakegithub" \
  -hook "$PWD/bin/hook" -phony "$PWD/bin/phony" -docker-registry "$REGISTRY" "$@" &
run=$!
trap 'kill -INT -- -"$run" 2>/dev/null || true' INT TERM
status=0
wait "$run" || status=$?
# A trapped signal ends the wait early: wait again for the run to finish.
while kill -0 "$run" 2>/dev/null; do wait "$run" || status=$?; done
exit "$status"
