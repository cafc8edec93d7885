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

# A database of its own, so the tests never touch the data of `make run`.
base=${DATABASE_URL%%\?*}
params=${DATABASE_URL#"$base"}
admin_url="${base%/*}/postgres$params"
e2e_url="${base%/*}/cityreach_e2e$params"
log "e2e database cityreach_e2e"
psql "$admin_url" -Xq -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS cityreach_e2e WITH (FORCE)' -c 'CREATE DATABASE cityreach_e2e' >&2

# Rebuilt when missing or older than the sources (a stale build would test old code).
if [ ! -f frontend/dist/index.html ] || [ -n "$(find frontend/src frontend/index.html -newer frontend/dist/index.html -print -quit)" ]; then
  "$here/build-frontend.sh"
fi
mkdir -p bin
go build -o bin/cityreach ./cmd/cityreach
bin=$root/bin/cityreach
DATABASE_URL=$e2e_url "$bin" migrate up >&2
seed_help=$("$bin" seed -h 2>&1 || true) # captured first: grep -q would close the pipe early under pipefail
if [[ $seed_help == *-scale* && $seed_help == *baotou* ]]; then
  log "seeding the Baotou demo city at scale ${CITYREACH_E2E_SCALE:-0.05}"
  DATABASE_URL=$e2e_url "$bin" seed baotou --scale "${CITYREACH_E2E_SCALE:-0.05}" >"$out/seed.log" 2>&1 || { cat "$out/seed.log" >&2; die "seed baotou failed"; }
else
  log "no \`seed baotou --scale\` in this binary: loading frontend/e2e/fixture.sql"
  psql "$e2e_url" -Xq -v ON_ERROR_STOP=1 -f frontend/e2e/fixture.sql >&2
fi

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
log "cityreach serve on 127.0.0.1:$port"
DATABASE_URL=$e2e_url "$bin" serve --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; die "cityreach serve exited"; }
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || { tail -20 "$out/server.log" >&2; die "cityreach serve did not become ready"; }

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
