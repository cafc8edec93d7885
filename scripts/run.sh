#!/usr/bin/env bash
# make run: provision PostGIS, migrate, load the demo city when the database is empty,
# build the frontend and the binary, serve on http://localhost:8080.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
eval "$("$here/provision-db.sh")"
"$here/install-build-deps.sh"
if [ -f frontend/package.json ]; then "$here/build-frontend.sh"; fi
mkdir -p bin
go build -o bin/cityreach ./cmd/cityreach
bin/cityreach migrate up
if [ "$(psql "$DATABASE_URL" -XAtqc "SELECT count(*) FROM cities")" = 0 ]; then
  log "empty database: loading the Baotou demo city"
  bin/cityreach seed baotou
fi
log "serving on http://localhost:${CITYREACH_PORT:-8080}"
exec bin/cityreach serve --listen ":${CITYREACH_PORT:-8080}"
