#!/usr/bin/env bash
# make lint (and the lint step of make test): gofmt over every Go file, then golangci-lint
# with .golangci.yml (go vet, staticcheck, errcheck, gosec, errorlint and the rest; goimports).
# The linter is installed once (scripts/install-lint.sh); its analysis cache
# (~/.cache/golangci-lint) makes a second run over unchanged packages quick.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
unformatted=$(gofmt -l cmd internal migrations scripts geodata)
[ -z "$unformatted" ] || die "gofmt needed on: $unformatted"
lint=$("$here/install-lint.sh")
"$lint" run ./...
