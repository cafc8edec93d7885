#!/usr/bin/env bash
# Browser end-to-end tests of the web map (frontend/e2e/run.mjs) against the real
# `cityreach serve`: a fresh database cityreach_e2e on the PostgreSQL server of DATABASE_URL,
# migrated and loaded with the Baotou demo city at a small scale (or, while the binary has
# no `seed baotou`, with frontend/e2e/fixture.sql), the server on a free loopback port,
# Debian's Chromium driven by playwright-core. Screenshots and the server log go to
# test-artifacts/e2e/. Called by scripts/test.sh; runs alone too (it provisions PostGIS).
#
#   CITYREACH_E2E_SCALE   demo-city scale for the run (default 0.05)
#   E2E_STRICT=1          run the tests listed in frontend/e2e/pending.mjs as real tests
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
root=$(pwd)
if [ -z "${DATABASE_URL:-}" ]; then eval "$("$here/provision-db.sh")"; fi
command -v chromium >/dev/null || apt_install chromium
[ -x /usr/bin/chromium ] || die "the browser tests need Debian's chromium at /usr/bin/chromium"

out="$root/test-artifacts/e2e"
rm -rf "$out"
mkdir -p "$out"

# Rebuilt when missing or older than the sources (a stale build would test old code).
if [ ! -f frontend/dist/index.html ] || [ -n "$(find frontend/src frontend/index.html -newer frontend/dist/index.html -print -quit)" ]; then
  "$here/build-frontend.sh"
fi
# A database of its own (cityreach_e2e), so the tests never touch the data of `make run`.
CITYREACH_DEMO_SCALE=${CITYREACH_E2E_SCALE:-0.05} serve_demo cityreach_e2e "$out"
e2e_url=$demo_url bin=$demo_bin port=$demo_port

# An editor token for the scenario test (the secret is the one line on stdout).
E2E_TOKEN=$(DATABASE_URL=$e2e_url "$bin" token create --role editor --name e2e | tail -n 1)
[ -n "$E2E_TOKEN" ] || die "token create printed no secret"
export E2E_TOKEN

log "browser end-to-end tests (screenshots in test-artifacts/e2e)"
set +e
(cd frontend && node e2e/run.mjs --base "http://127.0.0.1:$port" --out "$out")
status=$?
set -e
[ "$status" = 0 ] || die "browser end-to-end tests failed (see test-artifacts/e2e)"
