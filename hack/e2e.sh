#!/usr/bin/env bash
# End to end behind Prow's real hook: builds Prow's hook and phony at the
# Prow version promoter builds against, installs Debian's docker-registry if
# missing, builds promoter and the GitHub stand-in, and runs hack/e2e (every
# case prints PASS or FAIL; see its package comment). Extra arguments go to
# hack/e2e, e.g. `hack/e2e.sh -run 'registry' -logs /tmp/e2e-logs`.
#
# Needs: Go, git, and (to install docker-registry) apt-get as root. The first
# run downloads Go 1.22.12 through the module proxy: Prow at this version
# does not build with newer Go (its x/tools). About 2 minutes cold on 2
# cores, then ~1.5 minutes.
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
go build -o bin/e2e ./hack/e2e

# exec: a signal (CI's timeout, ^C) reaches the runner itself, which stops
# every process it started; they also die with it (Pdeathsig).
exec bin/e2e -promoter bin/promoter -fakegithub bin/fakegithub -hook bin/hook -phony bin/phony \
  -docker-registry "$REGISTRY" "$@"
