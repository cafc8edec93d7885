#!/usr/bin/env bash
# make test: provision PostGIS and the test tools, then run every test: Go unit and
# PostGIS integration tests (with the fuzz seed corpora), frontend unit tests and the
# browser end-to-end tests, and a real QGIS (Debian's 3.22, headless PyQGIS) against the
# served demo city (scripts/qgis.sh; installing QGIS adds about 3 minutes to a fresh machine).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
eval "$("$here/provision-db.sh")"
"$here/install-build-deps.sh"
"$here/install-test-deps.sh"
export CITYREACH_TEST_DATABASE_URL=${CITYREACH_TEST_DATABASE_URL:-$DATABASE_URL}

log "lint: gofmt and golangci-lint (go vet, staticcheck, errcheck, gosec, ...)"
"$here/lint.sh"

if [ -f frontend/package.json ]; then
  "$here/build-frontend.sh"
fi

log "Go tests (unit, PostGIS integration, fuzz seed corpora)"
set +e
go test -json -count=1 -timeout 40m ./... | go run ./scripts/testsummary
status=${PIPESTATUS[1]}
set -e
[ "$status" = 0 ] || die "Go tests failed"

if [ -f frontend/package.json ]; then
  log "frontend unit tests"
  (cd frontend && npx vitest run)
  log "browser end-to-end tests"
  "$here/e2e.sh"
fi
log "QGIS against the served demo city (scripts/qgis.sh)"
"$here/qgis.sh"
log "all tests passed"
