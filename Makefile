# cityreach — `make run` serves the demo city, `make test` runs every test.
# Both provision PostGIS themselves (scripts/provision-db.sh).
.DEFAULT_GOAL := help
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/cityreach/cityreach/internal/cli.Version=$(VERSION)

.PHONY: help run test qgis build migrate lint bench frontend clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

run: ## provision PostGIS, migrate, seed the demo city, serve http://localhost:8080
	@scripts/run.sh

test: ## provision PostGIS and the test tools, then run every test
	@scripts/test.sh

qgis: ## only the QGIS checks (part of make test): Debian's QGIS against the served demo city
	@scripts/qgis.sh

build: ## build bin/cityreach (with the frontend when present)
	@scripts/install-build-deps.sh
	@if [ -f frontend/package.json ]; then scripts/build-frontend.sh; fi
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/cityreach ./cmd/cityreach

migrate: ## apply pending migrations to DATABASE_URL (provisioned when unset)
	@eval "$$(scripts/provision-db.sh)" && $(GO) run ./cmd/cityreach migrate up

lint: ## gofmt and golangci-lint (.golangci.yml: vet, staticcheck, errcheck, gosec, ...)
	@scripts/lint.sh

bench: ## Go benchmarks and HTTP load tests; results go into docs/benchmarks.md by hand
	@scripts/bench.sh

clean: ## remove build output
	rm -rf bin frontend/dist/assets
