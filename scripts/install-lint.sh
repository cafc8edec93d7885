#!/usr/bin/env bash
# Installs golangci-lint (the version pinned here, built from the Go module proxy with the Go
# toolchain in use) once, into a directory named after both versions under GOPATH, and prints
# its path. Later runs find it there and build nothing. Idempotent.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
version=v2.15.0
dir="$(go env GOPATH)/tools/golangci-lint-$version-$(go env GOVERSION)"
if [ ! -x "$dir/golangci-lint" ]; then
  log "installing golangci-lint $version (go install; one-off, about two minutes)"
  GOBIN="$dir" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version" >&2
fi
echo "$dir/golangci-lint"
