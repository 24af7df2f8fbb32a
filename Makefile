# promoter: a Prow external plugin that opens image-promotion PRs.
GO ?= go

.PHONY: test verify kube image build demo load e2e fuzz bench

# All tests, with formatting and vet checks first. CI runs exactly this.
# The real parts the tests use are made first, outside go test's timeouts:
# kube-apiserver and kubectl (kube), and the container image (image).
# The end-to-end tests drive the promoter binary from that image.
test: verify kube image
	PROMOTER_IMAGE=$(abspath $(IMAGE_DIR)) $(GO) test -timeout 20m ./...

# The real kube-apiserver and kubectl (v1.28.3) the tests start, built into
# bin/ once (about 5 minutes cold, then nothing to do), and Debian's etcd,
# installed when missing (needs root).
kube:
	hack/kube.sh

# The plugin, the onboarding tool and the GitHub stand-in, into bin/.
build:
	$(GO) build -o bin/promoter ./cmd/plugin
	$(GO) build -o bin/promoter-config ./cmd/promoter-config
	$(GO) build -o bin/fakegithub ./test/fakegithub

# The container image, with no Docker daemon: the plugin for linux/amd64 and
# linux/arm64 as one OCI image index in the OCI layout $(IMAGE_DIR), with an
# SPDX SBOM per platform. The base is made of the Debian packages pinned in
# hack/image/debian.lock unless IMAGE_BASE names an image (pin it by digest).
# IMAGE_REPO=<registry>/promoter also pushes it, tagged IMAGE_TAG (default:
# git describe), and prints the digest to deploy.
IMAGE_DIR ?= bin/image
IMAGE_BASE ?=
IMAGE_REPO ?=
IMAGE_TAG ?=
image:
	$(GO) run ./hack/image -out $(IMAGE_DIR) $(if $(IMAGE_BASE),-base $(IMAGE_BASE)) \
	  $(if $(IMAGE_REPO),-repo $(IMAGE_REPO)) $(if $(IMAGE_TAG),-tag $(IMAGE_TAG))

# End to end on this machine: in-process registry, GitHub stand-in, the real
# promoter binary, one signed tag push; prints the PR. No network, no Docker.
demo: build
	$(GO) run ./hack/demo -promoter bin/promoter -fakegithub bin/fakegithub

# 10,000 signed webhooks at the real binary on loopback: events/s, ack
# latency, peak RSS, and one PR per distinct tag.
EVENTS ?= 10000
RATE ?= 1000
WORKERS ?= 4
STAND_IN_NICE ?= 10
load: build
	$(GO) run ./hack/load -promoter bin/promoter -fakegithub bin/fakegithub -events $(EVENTS) -rate $(RATE) -workers $(WORKERS) -stand-in-nice $(STAND_IN_NICE)

# Behind Prow's real hook and phony, against Debian's docker-registry, with
# faults injected into GitHub and the registry (CI runs it after test).
e2e:
	hack/e2e.sh

# staticcheck at a pinned version (from the Go module proxy): clean, or each
# exception justified where it is (//lint:ignore).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
verify:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/prow/...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags e2e ./test/e2e/prow/...

# Fuzz the images.yaml engine for a while (FUZZTIME=10m for a longer run).
FUZZTIME ?= 60s
fuzz:
	$(GO) test ./pkg/promoter/manifest -run '^$$' -fuzz '^FuzzAdd$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./pkg/promoter/manifest -run '^$$' -fuzz '^FuzzScanMatchesYAML$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./pkg/promoter/manifest -run '^$$' -fuzz '^FuzzRulesMatchRegexps$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./pkg/hook -run '^$$' -fuzz '^FuzzParseCommands$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# Benchmarks, several runs so the median can be read (benchstat reads this output).
BENCHCOUNT ?= 6
BENCHTIME ?= 1s
bench:
	$(GO) test ./pkg/promoter/manifest ./pkg/hook ./pkg/promoter/registry -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME)
