#!/usr/bin/env bash
# A local streaming replica of the test PostgreSQL server, for the read-replica tests
# (docs/scale-out.md). Idempotent; run as root (it uses Debian's pg_createcluster and
# runs the server as the postgres user).
#
#   scripts/replica.sh up     make (or repair) and start the replica; print
#                             `export CITYREACH_TEST_REPLICA_URL=…` on stdout
#   scripts/replica.sh stop   stop it (the tests use this to see a replica dropped)
#   scripts/replica.sh start  start it again and wait until it streams
#   scripts/replica.sh down   stop and delete it
#
# What `up` changes on the primary (127.0.0.1:$PGPORT, default 5432): when its pg_hba.conf
# has no `host replication all 127.0.0.1/32 trust` line, it appends one (marked with a
# comment) and reloads the server. The replica streams through a physical replication slot
# (cityreach_replica), without which a busy primary (CREATE DATABASE … TEMPLATE writes the
# whole template into the WAL) recycles segments before a fresh standby has read them. So
# that a replica left stopped cannot fill the primary's disk, `up` bounds the WAL a slot may
# hold (max_slot_wal_keep_size = 4GB, when it was unbounded; a reload suffices); a replica
# whose slot went past the bound is rebuilt by the next `up`. `down` drops the slot.
#
# The replica: cluster "$CITYREACH_REPLICA_CLUSTER" (default cityreach_replica) of the
# primary's major version, port $CITYREACH_REPLICA_PORT (default 5433), filled by
# pg_basebackup -R (a standby that streams from the primary, hot_standby on), with the
# primary's pg_hba.conf and max_connections (a standby needs at least the primary's).
# A second replica beside it (scripts/bench-replica.sh makes its own, so that the tests'
# stop/start of this one cannot disturb a measurement) takes another cluster, port and
# slot: CITYREACH_REPLICA_CLUSTER, CITYREACH_REPLICA_PORT, CITYREACH_REPLICA_SLOT (default
# cityreach_replica).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PRIMARY_PORT=${PGPORT:-5432}
PORT=${CITYREACH_REPLICA_PORT:-5433}
NAME=${CITYREACH_REPLICA_CLUSTER:-cityreach_replica}
PRIMARY="postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
REPLICA="postgres://postgres@127.0.0.1:$PORT/postgres"
SLOT=${CITYREACH_REPLICA_SLOT:-cityreach_replica}

[ "$(id -u)" = 0 ] || die "scripts/replica.sh runs as root (pg_createcluster, runuser postgres)"
command -v pg_createcluster >/dev/null || die "pg_createcluster is missing (Debian's postgresql-common)"
psql "$PRIMARY" -XAtqc 'SELECT 1' >/dev/null 2>&1 || die "no primary answers on $PRIMARY (run scripts/provision-db.sh first)"
VER=$(psql "$PRIMARY" -XAtqc "SELECT current_setting('server_version_num')::int / 10000")
as_pg() { runuser -u postgres -- "$@"; }

exists() { pg_lsclusters -h | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n {f=1} END {exit !f}'; }
data_dir() { pg_lsclusters -h | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n {print $6}'; }
running() { pg_lsclusters -h | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n && $4 ~ /^online/ {f=1} END {exit !f}'; }

# streaming waits up to $1 seconds until the replica is a standby whose WAL receiver streams.
streaming() {
  for _ in $(seq 1 "$1"); do
    if [ "$(psql "$REPLICA" -XAtqc "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]; then
      return 0
    fi
    sleep 1
  done
  return 1
}

allow_replication() {
  local hba
  hba=$(psql "$PRIMARY" -XAtqc 'SHOW hba_file')
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    log "primary: allowing replication connections from 127.0.0.1 in $hba (trust, as its other local lines)"
    printf '# added by cityreach scripts/replica.sh: the test replica streams from here\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    psql "$PRIMARY" -XAtqc 'SELECT pg_reload_conf()' >/dev/null
  fi
  if [ "$(psql "$PRIMARY" -XAtqc 'SHOW max_slot_wal_keep_size')" = -1 ]; then
    log "primary: bounding the WAL a replication slot may hold (max_slot_wal_keep_size = 4GB)"
    psql "$PRIMARY" -XAtqc "ALTER SYSTEM SET max_slot_wal_keep_size = '4GB'" >/dev/null
    psql "$PRIMARY" -XAtqc 'SELECT pg_reload_conf()' >/dev/null
  fi
  [ "$(psql "$PRIMARY" -XAtqc "SELECT current_setting('wal_level') IN ('replica','logical') AND current_setting('max_wal_senders')::int > 0")" = t ] ||
    die "the primary needs wal_level=replica and max_wal_senders > 0 (both need a restart, which this script does not do)"
}

drop_slot() {
  psql "$PRIMARY" -XAtqc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
}

create() {
  local dir
  exists && { pg_ctlcluster "$VER" "$NAME" stop -m immediate >/dev/null 2>&1 || true; pg_dropcluster "$VER" "$NAME" >&2; }
  drop_slot
  log "creating the replica $VER/$NAME on port $PORT (pg_basebackup from port $PRIMARY_PORT)"
  pg_createcluster "$VER" "$NAME" --port "$PORT" >/dev/null
  dir=$(data_dir)
  find "$dir" -mindepth 1 -delete
  as_pg pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$dir" -R -X stream -c fast -C -S "$SLOT" >&2
  cp "$(psql "$PRIMARY" -XAtqc 'SHOW hba_file')" "/etc/postgresql/$VER/$NAME/pg_hba.conf"
  printf "listen_addresses = '127.0.0.1'\nmax_connections = %s\nmax_worker_processes = %s\nmax_locks_per_transaction = %s\nmax_wal_senders = %s\nhot_standby = on\n" \
    "$(psql "$PRIMARY" -XAtqc 'SHOW max_connections')" "$(psql "$PRIMARY" -XAtqc 'SHOW max_worker_processes')" \
    "$(psql "$PRIMARY" -XAtqc 'SHOW max_locks_per_transaction')" "$(psql "$PRIMARY" -XAtqc 'SHOW max_wal_senders')" \
    >"/etc/postgresql/$VER/$NAME/conf.d/cityreach.conf"
}

start() {
  running || pg_ctlcluster "$VER" "$NAME" start >&2
}

case "${1:-up}" in
up)
  allow_replication
  if exists; then
    start || true
    if ! streaming 15; then
      log "the replica $VER/$NAME does not stream from the primary; rebuilding it"
      create
      start
    fi
  else
    create
    start
  fi
  streaming 30 || die "the replica on port $PORT does not stream (see /var/log/postgresql/postgresql-$VER-$NAME.log)"
  log "replica $VER/$NAME streams from port $PRIMARY_PORT, on port $PORT"
  echo "export CITYREACH_TEST_REPLICA_URL='$REPLICA'"
  ;;
stop)
  exists && { running && pg_ctlcluster "$VER" "$NAME" stop -m fast >&2 || true; }
  ;;
start)
  exists || die "no replica $VER/$NAME; run scripts/replica.sh up"
  start
  streaming 30 || die "the replica on port $PORT does not stream"
  ;;
down)
  if exists; then
    pg_ctlcluster "$VER" "$NAME" stop -m immediate >/dev/null 2>&1 || true
    pg_dropcluster "$VER" "$NAME" >&2
  fi
  drop_slot
  ;;
*) die "usage: scripts/replica.sh up|stop|start|down" ;;
esac
