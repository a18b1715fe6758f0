# sxgw build and test entry points. `make test` is what CI runs (.ci/run).

GO              ?= go
BIN             ?= bin
FUZZTIME        ?= 10s
INTEROP_TIMEOUT ?= 20m
GOBIN_DIR       := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
STATICCHECK     ?= $(GOBIN_DIR)/staticcheck

# Packages holding tests built with the "interop" tag (real Prosody, sipp, slixmpp).
INTEROP_PKGS    := ./interop/... ./sip/...

.PHONY: test deps vet unit interop lint fmt-check staticcheck build bench fuzz-smoke clean

## test: install missing test dependencies, lint (gofmt, vet, staticcheck), unit tests with -race, interop tests
test: deps lint unit build interop

## deps: install what the tests need, only what is missing (needs root or sudo)
deps:
	scripts/install-test-deps.sh

vet:
	$(GO) vet ./...
	$(GO) vet -tags interop $(INTEROP_PKGS)

unit:
	$(GO) test -race -count=1 ./...

# -p 1: the interop tests of different packages share fixed addresses (the test
# DNS server must listen on 127.0.0.2:53), so their packages run one at a time.
# `build` beforehand compiles the dependencies in parallel into the build cache.
## interop: tests against real peers; needs root and `make deps`
interop:
	$(GO) test -tags interop -count=1 -p 1 -timeout $(INTEROP_TIMEOUT) ./interop/...
	$(GO) test -tags interop -count=1 -timeout $(INTEROP_TIMEOUT) -run '^TestSipp' ./sip/

## lint: gofmt, go vet and staticcheck, interop files included
lint: fmt-check vet staticcheck

fmt-check:
	@files="$$(find . -path ./.git -prune -o -path '*/testdata' -prune -o -name '*.go' -print)"; \
	out="$$(gofmt -l $$files)"; \
	if [ -n "$$out" ]; then echo "gofmt -w needed on:"; echo "$$out"; exit 1; fi

staticcheck:
	scripts/install-test-deps.sh --go-tools-only
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags interop $(INTEROP_PKGS)

## build: compile every package and the sxgw binary into $(BIN)/
build:
	$(GO) build ./...
	$(GO) build -o $(BIN)/sxgw ./cmd/sxgw

## bench: Go benchmarks under bench/
bench:
	@if [ -n "$$($(GO) list ./bench/... 2>/dev/null)" ]; then \
		$(GO) test -run '^$$' -bench . -benchmem ./bench/...; \
	else \
		echo "no benchmark packages under bench/"; \
	fi

## fuzz-smoke: run every fuzz target for $(FUZZTIME)
fuzz-smoke:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

clean:
	rm -rf $(BIN)
