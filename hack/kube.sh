#!/usr/bin/env bash
# Installs and builds the real Kubernetes parts the tests run against
# (test/harness/kube.go): Debian's etcd, and kube-apiserver and kubectl at
# the version of the wrapper module hack/kube (v1.28.3, which matches
# promoter's client-go v0.28.3), into bin/. A build is kept with its version
# in bin/.kube-version and redone only when that changes, so a warm run
# takes well under a second. `make test` runs this first.
#
# Needs: Go; apt-get as root when etcd is missing. A cold build takes about
# 5 minutes on 2 otherwise idle cores, and several times that on a busy
# machine; with the Go build cache warm a rebuild (new version flags) links
# in about 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."

# The version and its release time, from the wrapper module.
read -r KUBE RELEASED < <(cd hack/kube && go list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)

if ! command -v etcd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "hack/kube.sh: etcd is missing; install it as root: apt-get install etcd-server" >&2
    exit 1
  fi
  echo "==> installing Debian's etcd-server"
  apt-get update -qq
  # Where systemd runs, its postinst starts etcd on the default ports; the
  # tests start their own on free loopback ports, so that does not clash.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi

mkdir -p bin
if [ "$(cat bin/.kube-version 2>/dev/null)" = "$KUBE" ] && [ -x bin/kube-apiserver ] && [ -x bin/kubectl ]; then
  exit 0
fi

echo "==> building kube-apiserver and kubectl $KUBE into bin/ (about 5 minutes cold)"
rm -f bin/.kube-version
# Without these the binaries report v0.0.0-master, and kubectl warns about
# the version skew; client-go's copy sets the User-Agent.
minor=${KUBE#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$KUBE -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$RELEASED"
done
(cd hack/kube && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o ../../bin/ \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
echo "$KUBE" > bin/.kube-version
