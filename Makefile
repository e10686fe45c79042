# reel — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
BENCH ?= .
export PATH := $(CURDIR)/bin/tools:$(PATH)
export GOFLAGS ?= -buildvcs=false

.PHONY: all deps deps-system build test bench lint generate demo fuzz image clean

all: build

## deps: install missing Debian packages and project-local test tools (idempotent)
deps:
	@scripts/deps.sh

## deps-system: only the Debian packages reel itself needs to build and run
deps-system:
	@scripts/deps.sh --system

## build: build bin/reel
build: deps-system
	$(GO) build -o bin/reel ./cmd/reel

# The concurrent packages run again under the race detector, in -short mode
# (which skips the long clip comparisons; the concurrency is all still there).
RACE_PKGS ?= ./mezzfs/... ./vmaf/ ./archer/ ./workflows/

## test: install what is missing, then run every test, and the concurrent packages with -race
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -p 2 -timeout 40m $(PKGS)
	$(GO) test -race -short -p 2 -timeout 40m $(RACE_PKGS)
	$(GO) test -tags matprofile -run TestNoMatLeaks -count=1 ./archer/   # gocv Mat count back to zero
	cd deploy/helm && $(GO) test ./...   # the Helm chart, rendered and validated (its own module: Helm's dependencies stay out of reel's)
	@store=$$(mktemp -d) && trap 'rm -rf "$$store"' EXIT && scripts/image.sh --store "$$store" --check   # the worker image builds and runs

## bench: run the benchmarks named in the issues (figures go to bench.txt)
bench: deps
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -timeout 60m $(PKGS) | tee bench.txt

## lint: go vet plus gofmt
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## generate: rewrite every generated file (go:generate lines; internal/generated fails when one is stale)
generate:
	$(GO) generate ./...

## fuzz: a short fuzzing pass over each fuzz target (FUZZTIME=30s)
FUZZTIME ?= 30s
fuzz: deps
	@scripts/fuzz.sh $(FUZZTIME)

## image: build the worker image localhost/reel:dev with buildah, from scratch (deploy/Containerfile)
image: deps
	@scripts/image.sh

## demo: install, build, make a sample mezzanine and run reel's main job on it
demo: build
	@scripts/demo.sh

clean:
	rm -rf bin demo-out bench.txt
