# kmsguard developer tasks. `make test` is the test command README.md and
# .ci/run use; keep the three in step.

GOLANGCI_LINT_VERSION := v2.15.0
GO ?= go

.PHONY: all build test lint bench fuzz tidy-check

all: build test

build:
	$(GO) build -o bin/kmsguard ./cmd/kmsguard

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

lint:
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

# Benchmarks recorded in BENCHMARKS.md.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# Each fuzz target for a short while; FUZZTIME=10m for a longer campaign.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

tidy-check:
	$(GO) mod tidy -diff
