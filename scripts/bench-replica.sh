#!/usr/bin/env bash
# Read replicas and two processes (issue 23): the same wrk load against
#   (a) one `cityreach serve` on the primary only, and
#   (b) two `cityreach serve` processes, each with --replica-url (reads on the streaming
#       replica of scripts/replica.sh, writes on the primary), driven by two wrk instances
#       in parallel, one per process; the table sums their throughput,
# for an uncached z14 tile list (CITYREACH_TILE_CACHE_MB=0, every tile over the city) and
# for an indicator request (park coverage at district level; its run is stored by a first
# request, so the measured ones answer from the stored run). Writes $BENCH_OUT/replica/replica.md.
#
# Optional: when the replica cannot be started (not root, no pg_createcluster, the primary
# not configured for replication, …) the script says why and exits 0, so `make bench` goes
# on. The replica this script makes is removed at the end (scripts/replica.sh down), as are
# the servers and the scratch database (BENCH_REPLICA_KEEP=1 keeps the database).
#
# Data: a scratch database BENCH_REPLICA_DB (default cityreach_replbench; the name must
# contain "replbench") on the primary, migrated and seeded with the demo city at scale
# BENCH_REPLICA_SCALE (default 0.2), or, with BENCH_REPLICA_SOURCE, copied from that
# database (demo_copy). The script waits until the replica has replayed it.
#
# Environment: DATABASE_URL (admin connection on the primary), BENCH_REPLICA_PORT,
# BENCH_REPLICA_CLUSTER, BENCH_REPLICA_SLOT (of the replica made: 5434, cityreach_replbench,
# cityreach_replbench), BENCH_REPLICA_URL (use that replica instead), BENCH_OUT, BENCH_SECONDS (per
# wrk run, default 10), BENCH_CONNS (connections per wrk instance, default 8),
# BENCH_REPS (repetitions of each cell; the table has medians, default 1), BENCH_PORT
# (default 18095; the second process uses the next port), BENCH_DB_CONNS (pool size of each
# process, default 8), BENCH_REPLICA=0 skips the whole section.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
# Its own folder under BENCH_OUT: the other scripts there write tile lists and logs too.
out=${BENCH_OUT:+$BENCH_OUT/replica}
out=${out:-bench-results/replica-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
report=$out/replica.md
skip() {
  log "read-replica benchmark skipped: $*"
  printf 'Read-replica benchmark skipped: %s\n' "$*" >"$report"
  exit 0
}
[ "${BENCH_REPLICA:-1}" = 1 ] || skip "BENCH_REPLICA=${BENCH_REPLICA}"
command -v wrk >/dev/null || apt_install wrk
command -v psql >/dev/null || die "psql is needed"
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNS:-8}
reps=${BENCH_REPS:-1}
port=${BENCH_PORT:-18095}
port2=$((port + 1))
scale=${BENCH_REPLICA_SCALE:-0.2}
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=${BENCH_REPLICA_DB:-cityreach_replbench}
[[ $db == *replbench* && $db =~ ^[a-z0-9_]+$ ]] || die "BENCH_REPLICA_DB must be a plain name containing 'replbench', not $db"
url="${admin%/*}/$db"
# The replica: its own (scripts/replica.sh with another cluster, port and slot than the
# tests' replica on 5433, which the tests stop and start), made now and removed at the end;
# or BENCH_REPLICA_URL, an admin URL of a replica already streaming, used and left as it is.
export CITYREACH_REPLICA_PORT=${BENCH_REPLICA_PORT:-5434} CITYREACH_REPLICA_CLUSTER=${BENCH_REPLICA_CLUSTER:-cityreach_replbench} CITYREACH_REPLICA_SLOT=${BENCH_REPLICA_SLOT:-cityreach_replbench}
radmin=${BENCH_REPLICA_URL:-postgres://postgres@127.0.0.1:$CITYREACH_REPLICA_PORT/postgres}
rurl="${radmin%/*}/$db"
started_replica=""
replica_streams() {
  [ "$(psql "$radmin" -XAtqc "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]
}
if [ -n "${BENCH_REPLICA_URL:-}" ]; then
  replica_streams || skip "BENCH_REPLICA_URL ($radmin) is not a streaming replica"
  log "using the replica of BENCH_REPLICA_URL (left as it is at the end)"
else
  [ "$(id -u)" = 0 ] || skip "scripts/replica.sh needs root to make a replica (or set BENCH_REPLICA_URL)"
  log "making the replica $CITYREACH_REPLICA_CLUSTER on port $CITYREACH_REPLICA_PORT (scripts/replica.sh up)"
  started_replica=1
  if ! "$here/replica.sh" up >"$out/replica-up.txt" 2>"$out/replica-up.log"; then
    "$here/replica.sh" down >/dev/null 2>&1 || true
    skip "scripts/replica.sh up failed: $(grep -i error "$out/replica-up.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')"
  fi
  replica_streams || { "$here/replica.sh" down >/dev/null 2>&1 || true; skip "the replica on port $CITYREACH_REPLICA_PORT does not stream"; }
fi

pids=()
stop_servers() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_servers
  if [ "${BENCH_REPLICA_KEEP:-0}" != 1 ]; then psql "$admin" -Xqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  if [ -n "$started_replica" ]; then log "removing the replica this script made"; "$here/replica.sh" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -n "${BENCH_CITYREACH_BIN:-}" ]; then cp "$BENCH_CITYREACH_BIN" "$out/cityreach"; else go build -o "$out/cityreach" ./cmd/cityreach; fi
if [ -n "${BENCH_REPLICA_SOURCE:-}" ]; then
  demo_copy "$admin" "$db" "$BENCH_REPLICA_SOURCE" "$out/cityreach"
else
  log "database $db: the demo city at scale $scale"
  psql "$admin" -Xq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >&2
  DATABASE_URL=$url "$out/cityreach" migrate up >"$out/migrate.log" 2>&1 || { tail -20 "$out/migrate.log" >&2; die "migrate up failed"; }
  DATABASE_URL=$url "$out/cityreach" seed baotou --scale "$scale" >"$out/seed.log" 2>&1 || { tail -20 "$out/seed.log" >&2; die "seed baotou failed"; }
fi
sql() { psql "$url" -XAtqc "$1"; }
for t in residential_land network_edges parks facilities; do sql "VACUUM ANALYZE $t"; done
sql "CHECKPOINT" 2>/dev/null || true
counts="SELECT (SELECT count(*) FROM residential_land) || ' parcels, ' || (SELECT count(*) FROM network_edges) || ' edges, ' || (SELECT count(*) FROM parks) || ' parks'"
data=$(sql "$counts")
log "data: $data"

# Wait until the replica has replayed everything written so far and sees the same rows.
lsn=$(psql "$admin" -XAtqc "SELECT pg_current_wal_lsn()")
for i in $(seq 1 300); do
  [ "$(psql "$radmin" -XAtqc "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && break
  [ "$i" = 300 ] && die "the replica did not replay $lsn within 5 minutes"
  sleep 1
done
rdata=$(psql "$rurl" -XAtqc "$counts")
[ "$rdata" = "$data" ] || die "the replica holds '$rdata', the primary '$data'"
log "the replica has replayed $lsn and holds the same rows"

# The tile list: every z14 tile over the parcels' extent (as scripts/bench-tiles.sh).
psql "$url" -Atq -v z=14 >"$out/tiles-z14.txt" <<'SQL'
WITH e AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 4326), 3857) AS g FROM residential_land),
     k AS (SELECT 2 * 20037508.342789244 / 2 ^ :z AS size),
     r AS (SELECT floor((ST_XMin(g) + 20037508.342789244) / size)::int AS x0, floor((ST_XMax(g) + 20037508.342789244) / size)::int AS x1,
                  floor((20037508.342789244 - ST_YMax(g)) / size)::int AS y0, floor((20037508.342789244 - ST_YMin(g)) / size)::int AS y1 FROM e, k)
SELECT :z || '/' || x || '/' || y FROM r, generate_series(x0, x1) x, generate_series(y0, y1) y ORDER BY x, y
SQL
sed 's|^|/tiles/residential_land/|; s|$|.mvt|' "$out/tiles-z14.txt" >"$out/paths-tiles.txt"
indicator="/api/v1/indicators/park-coverage?city=baotou&level=district"
echo "$indicator" >"$out/paths-indicator.txt"
ntiles=$(wc -l <"$out/paths-tiles.txt")

wrk_paths_lua "$out/paths.lua"

# serve PORT [REPLICA_URL]: one process, uncached tiles, until stop_servers.
serve() {
  local extra=()
  [ -n "${2:-}" ] && extra=(--replica-url "$2")
  DATABASE_URL=$url CITYREACH_LOG_LEVEL=warn CITYREACH_TILE_CACHE_MB=0 CITYREACH_ANONYMOUS_READ=true \
    CITYREACH_DB_MAX_CONNS=${BENCH_DB_CONNS:-8} "$out/cityreach" serve --listen "127.0.0.1:$1" "${extra[@]}" >>"$out/server-$1.log" 2>&1 &
  pids+=($!)
}
warm() { # PORT: wait for the start-up warm-up, then make sure the indicator's run is stored
  local p=$1
  for i in $(seq 1 1500); do
    curl -fs -o /dev/null "http://127.0.0.1:$p/readyz?warm=1" && break
    [ "$i" = 1500 ] && die "the server on port $p did not become warm (see $out/server-$p.log)"
    sleep 0.2
  done
  curl -fs -o "$out/indicator-$p.json" "http://127.0.0.1:$p$indicator" || die "the indicator request failed on port $p"
  curl -fs -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$p$(head -1 "$out/paths-tiles.txt")" || die "a tile request failed on port $p"
}
# wrk1 PORT PATHFILE: one wrk run; prints "req/s p50 p99 errors requests".
wrk1() {
  PATH_LIST=$2 wrk -t 1 -c "$conns" -d "${secs}s" --timeout 10s -s "$out/paths.lua" "http://127.0.0.1:$1" | grep '^RESULT' | cut -d' ' -f2-
}
# Reads each server answered from: commits in the scratch database on each server.
commits() { psql "$1" -XAtqc "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'" 2>/dev/null || echo x; }
delta() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $2 -ge $1 ]] && echo $(($2 - $1)) || echo '?'; } # ? = server restarted or unreachable
raw=$out/replica-raw.txt
: >"$raw"
# cell SETUP WORKLOAD PATHFILE: one measurement of the servers running now.
cell() {
  local setup=$1 what=$2 pf=$3 p0 r0 res a b
  p0=$(commits "$admin"); r0=$(commits "$radmin")
  if [ "$setup" = one ]; then
    res=$(wrk1 "$port" "$pf")
    read -r rps p50 p99 errs n <<<"$res"
    pl="$p50"; pn="$p99"
  else
    wrk1 "$port" "$pf" >"$out/wrk-a.txt" &
    a=$!
    wrk1 "$port2" "$pf" >"$out/wrk-b.txt" &
    b=$!
    wait "$a" "$b"
    read -r rps1 p501 p991 e1 n1 <"$out/wrk-a.txt"
    read -r rps2 p502 p992 e2 n2 <"$out/wrk-b.txt"
    rps=$(echo "$rps1 + $rps2" | bc); errs=$((e1 + e2)); n=$((n1 + n2))
    pl="$p501 / $p502"; pn="$p991 / $p992"
  fi
  echo "$setup|$what|$rps|$pl|$pn|$errs|$n|$(delta "$p0" "$(commits "$admin")")|$(delta "$r0" "$(commits "$radmin")")|$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$raw" >&2
}

log "(a) one process on the primary, port $port"
serve "$port"
warm "$port"
for _ in $(seq 1 "$reps"); do
  cell one tiles "$out/paths-tiles.txt"
  cell one indicator "$out/paths-indicator.txt"
done
stop_servers
log "(b) two processes with --replica-url, ports $port and $port2"
serve "$port" "$rurl"
serve "$port2" "$rurl"
warm "$port"
warm "$port2"
for _ in $(seq 1 "$reps"); do
  cell two tiles "$out/paths-tiles.txt"
  cell two indicator "$out/paths-indicator.txt"
done
stop_servers

# The table: per cell, the repetition of median req/s (its latencies with it).
{
  echo "| set-up | workload | req/s | p50 ms | p99 ms | errors | requests | commits on primary | commits on replica | load avg (1 min) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for setup in one two; do for what in tiles indicator; do
    awk -F'|' -v s=$setup -v w=$what '$1 == s && $2 == w' "$raw" | sort -t'|' -k3 -g | awk -v r="$reps" 'NR == int((r + 1) / 2)' |
      awk -F'|' -v t="$ntiles" '{
        label = ($1 == "one") ? "(a) 1 process, primary only" : "(b) 2 processes + replica (sum of 2 wrk)"
        work = ($2 == "tiles") ? "z14 residential_land, " t " tiles, uncached" : "park coverage, district level, stored run"
        printf "| %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", label, work, $3, $4, $5, $6, $7, $8, $9, $10 }'
  done; done
  echo
  echo "Demo city at scale $scale ($data) in $db; wrk ${secs} s per cell, $conns connections per wrk instance (1 thread), $reps repetition(s), the one of median req/s shown (all in replica-raw.txt); each process CITYREACH_DB_MAX_CONNS=${BENCH_DB_CONNS:-8}, tile cache off. In (b) p50 and p99 are per process (port $port / $port2). Commits: the scratch database's xact_commit on each server during the cell (pg_stat_database; where the reads went). $(nproc) CPUs."
} >"$report"
cat "$report"
log "results in $report"
