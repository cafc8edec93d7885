#!/usr/bin/env bash
# Finds or provisions a PostgreSQL database with PostGIS and pgRouting, idempotently,
# and prints `export DATABASE_URL=…` on stdout (everything else goes to stderr).
#
#   1. DATABASE_URL set: use it; check that postgis and pgrouting can be created there.
#   2. A PostgreSQL server answers on 127.0.0.1:5432 (or $PGPORT): install the PostGIS and
#      pgRouting packages for its major version when missing, create database cityreach.
#   3. Nothing runs: install PostgreSQL, PostGIS and pgRouting from Debian's packages,
#      start a cluster, create role and database cityreach.
#
# Usage: eval "$(scripts/provision-db.sh)"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

DBNAME=${CITYREACH_DB_NAME:-cityreach}
PORT=${PGPORT:-5432}

have_extensions() { # URL
  psql "$1" -XAtqc "SELECT count(*) FROM pg_available_extensions WHERE name IN ('postgis','pgrouting')" 2>/dev/null | grep -qx 2
}

install_extensions_for() { # URL
  local ver
  ver=$(psql "$1" -XAtqc "SELECT current_setting('server_version_num')::int / 10000") || die "cannot ask the server its version"
  apt_install "postgresql-$ver-postgis-3" "postgresql-$ver-pgrouting"
}

ensure_db() { # ADMIN_URL DBNAME
  if ! psql "$1" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$2'" | grep -qx 1; then
    log "creating database $2"
    psql "$1" -Xqc "CREATE DATABASE \"$2\"" >&2
  fi
}

command -v psql >/dev/null || apt_install postgresql-client

if [ -n "${DATABASE_URL:-}" ]; then
  psql "$DATABASE_URL" -XAtqc 'SELECT 1' >/dev/null 2>&1 || die "DATABASE_URL is set but the database does not answer: check host, port, user and password"
  if ! have_extensions "$DATABASE_URL"; then
    host=$(psql "$DATABASE_URL" -XAtqc "SELECT coalesce(inet_server_addr()::text, 'local')")
    case "$host" in
      127.*|::1|local) install_extensions_for "$DATABASE_URL" ;;
      *) die "the server behind DATABASE_URL ($host) has no postgis/pgrouting packages; install them there (Debian: postgresql-N-postgis-3 postgresql-N-pgrouting)" ;;
    esac
  fi
  log "using DATABASE_URL"
  echo "export DATABASE_URL='$DATABASE_URL'"
  exit 0
fi

ADMIN="postgres://postgres@127.0.0.1:$PORT/postgres"
if pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
  if psql "$ADMIN" -XAtqc 'SELECT 1' >/dev/null 2>&1; then
    have_extensions "$ADMIN" || install_extensions_for "$ADMIN"
    ensure_db "$ADMIN" "$DBNAME"
    log "using the local server on 127.0.0.1:$PORT, database $DBNAME"
    echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$PORT/$DBNAME'"
    exit 0
  fi
  # The server wants a password: create our own role through the local socket as postgres.
  [ "$(id -u)" = 0 ] || die "a PostgreSQL server runs on port $PORT but refuses user postgres without a password; set DATABASE_URL"
  runuser -u postgres -- psql -p "$PORT" -XAtqc 'SELECT 1' >/dev/null || die "cannot reach the local server as the postgres OS user; set DATABASE_URL"
  ADMIN_SOCK="postgresql:///postgres?port=$PORT"
  as_pg() { runuser -u postgres -- psql "$ADMIN_SOCK" -XAtq "$@"; }
  have_ext=$(as_pg -c "SELECT count(*) FROM pg_available_extensions WHERE name IN ('postgis','pgrouting')")
  if [ "$have_ext" != 2 ]; then
    ver=$(as_pg -c "SELECT current_setting('server_version_num')::int / 10000")
    apt_install "postgresql-$ver-postgis-3" "postgresql-$ver-pgrouting"
  fi
  as_pg -c "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cityreach') THEN CREATE ROLE cityreach LOGIN SUPERUSER PASSWORD 'cityreach'; END IF; END\$\$" >&2
  as_pg -c "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -qx 1 || as_pg -c "CREATE DATABASE \"$DBNAME\" OWNER cityreach" >&2
  echo "export DATABASE_URL='postgres://cityreach:cityreach@127.0.0.1:$PORT/$DBNAME'"
  exit 0
fi

# Nothing runs: install and start a cluster (Debian 12 ships PostgreSQL 15).
log "no PostgreSQL server on 127.0.0.1:$PORT; installing one from Debian's packages"
apt_install postgresql postgresql-client
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
apt_install "postgresql-$ver-postgis-3" "postgresql-$ver-pgrouting"
[ -d "/etc/postgresql/$ver/main" ] || pg_createcluster "$ver" main >&2
pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || pg_ctlcluster "$ver" main start >&2 || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 1; done
pg_isready -q -h 127.0.0.1 -p "$PORT" || die "PostgreSQL $ver did not start"
exec "$0"
