#!/usr/bin/env bash
# Builds the web map into frontend/dist, which the Go binary embeds. Installs the npm
# packages from the lock file when node_modules is missing or stale.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/../frontend"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
fi
log "building the frontend"
npx vite build >&2
