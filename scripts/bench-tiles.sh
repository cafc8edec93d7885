#!/usr/bin/env bash
# Vector-tile load benchmark (issue 9): drives a running cityreach server with wrk over a
# fixed list of tiles at z12, z14 and z16, cold (cache disabled, CITYREACH_TILE_CACHE_MB=0)
# and warm (cache filled first), at 4, 16 and 64 connections, and writes requests/s, p50, p95,
# p99 and bytes per tile to $BENCH_OUT/tiles.md.
#
# Data: BENCH_DATABASE_URL names a migrated database that already holds a city (e.g. after
# `cityreach seed baotou`); without it a scratch database (BENCH_DB, default
# cityreach_bench_tiles) is filled with a synthetic dense city: ~75,000 parcels of ~60 m
# in a 20 × 16 km block of Baotou, ~37,000 street segments and 5,000 facilities.
#
# The peer: PG_TILESERV_BIN, when set, is a pg_tileserv binary built from its public
# repository outside this one; PG_TILESERV_SRC, instead, a checkout of that repository
# (outside this one) that the script builds with `go build` into $BENCH_OUT. Nothing here
# fetches it. Without either, scripts/tilebaseline runs its table-layer SQL.
#
# Environment: DATABASE_URL (admin connection; provisioned by make bench), BENCH_OUT,
# BENCH_SECONDS (per run, default 10), BENCH_LAYERS (default "residential_land network_edges"),
# BENCH_CONNS (default "4 16 64"), BENCH_PORT (default 18089), BENCH_ZOOMS (default "12 14 16"),
# BENCH_WARM (default 1; 0 skips the warm-cache runs), BENCH_DENSE (see dense_for).
# CITYREACH_TILE_STORE=off: the live render path only (no pre-rendered tiles), see below.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
command -v wrk >/dev/null || apt_install wrk
command -v psql >/dev/null || die "psql is needed"
out=${BENCH_OUT:-bench-results/tiles-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
secs=${BENCH_SECONDS:-10}
port=${BENCH_PORT:-18089}
conns=${BENCH_CONNS:-4 16 64}
layers=${BENCH_LAYERS:-residential_land network_edges}
zooms=${BENCH_ZOOMS:-12 14 16}
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

# BENCH_CITYREACH_BIN: measure that build instead of this tree's (an A/B of two commits in
# one sitting).
if [ -n "${BENCH_CITYREACH_BIN:-}" ]; then cp "$BENCH_CITYREACH_BIN" "$out/cityreach"; else go build -o "$out/cityreach" ./cmd/cityreach; fi
go build -o "$out/tilebaseline" ./scripts/tilebaseline
if [ -z "${PG_TILESERV_BIN:-}" ] && [ -n "${PG_TILESERV_SRC:-}" ]; then
  log "building pg_tileserv from $PG_TILESERV_SRC ($(git -C "$PG_TILESERV_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  (abs=$(cd "$out" && pwd) && cd "$PG_TILESERV_SRC" && go build -o "$abs/pg_tileserv" .)
  PG_TILESERV_BIN=$out/pg_tileserv
fi

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  db=$BENCH_DATABASE_URL
else
  name=${BENCH_DB:-cityreach_bench_tiles}
  db=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$admin" "$name")
  if ! psql "$db" -Atqc "SELECT 1 FROM residential_land LIMIT 1" 2>/dev/null | grep -q 1; then
    log "building the synthetic city in $name"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    DATABASE_URL=$db "$out/cityreach" migrate up >&2
    psql "$db" -v ON_ERROR_STOP=1 -q <<'SQL'
SET cityreach.bulk_load = 'on';
INSERT INTO cities (slug, name, adcode, metric_srid, synthetic) VALUES ('bench', 'Bench city', '150200', 4546, true);
-- Parcels: a 300 × 250 grid of cells 0.0008° × 0.0006° (about 68 × 67 m); each parcel
-- fills 85 % of its cell as a heptagon with jittered corners (deterministic: setseed).
SELECT setseed(0.42);
INSERT INTO residential_land (city_id, population, households, synthetic, data_source, geom)
SELECT 1, 120, 40, true, 'bench', ST_SetSRID(ST_Multi(ST_MakePolygon(ST_MakeLine(ARRAY[
    ST_MakePoint(x0, y0), ST_MakePoint(x0 + w * 0.5, y0 - h * 0.03 * random()),
    ST_MakePoint(x0 + w, y0), ST_MakePoint(x0 + w + w * 0.03 * random(), y0 + h * 0.5),
    ST_MakePoint(x0 + w, y0 + h), ST_MakePoint(x0, y0 + h),
    ST_MakePoint(x0 - w * 0.03 * random(), y0 + h * 0.5), ST_MakePoint(x0, y0)]))), 4326)
FROM (SELECT 109.75 + i * 0.0008 + 0.00006 AS x0, 40.55 + j * 0.0006 + 0.000045 AS y0,
             0.00068 AS w, 0.00051 AS h
      FROM generate_series(0, 299) i, generate_series(0, 249) j) c;
-- Streets between every second row and column of cells, one edge per block side.
INSERT INTO network_edges (city_id, highway, name, synthetic, data_source, geom)
SELECT 1, CASE WHEN i % 10 = 0 THEN 'primary' ELSE 'residential' END, 'Street ' || i, true, 'bench',
       ST_SetSRID(ST_MakeLine(ST_MakePoint(109.75 + i * 0.0016, 40.55 + j * 0.0012), ST_MakePoint(109.75 + i * 0.0016, 40.55 + (j + 1) * 0.0012)), 4326)
FROM generate_series(0, 149) i, generate_series(0, 124) j
UNION ALL
SELECT 1, CASE WHEN j % 10 = 0 THEN 'primary' ELSE 'residential' END, 'Road ' || j, true, 'bench',
       ST_SetSRID(ST_MakeLine(ST_MakePoint(109.75 + i * 0.0016, 40.55 + j * 0.0012), ST_MakePoint(109.75 + (i + 1) * 0.0016, 40.55 + j * 0.0012)), 4326)
FROM generate_series(0, 149) i, generate_series(0, 124) j;
INSERT INTO facilities (city_id, category, name, synthetic, data_source, geom)
SELECT 1, (ARRAY['clinic','kindergarten','supermarket','pharmacy'])[1 + g % 4], 'Facility ' || g, true, 'bench',
       ST_SetSRID(ST_MakePoint(109.75 + random() * 0.24, 40.55 + random() * 0.15), 4326)
FROM generate_series(1, 5000) g;
VACUUM ANALYZE residential_land; VACUUM ANALYZE network_edges; VACUUM ANALYZE facilities;
SQL
  fi
fi
# A database from an earlier run may predate a migration (0011: the low-zoom blocks).
DATABASE_URL=$db "$out/cityreach" migrate up >&2
# The generalised z0–12 blocks of what was loaded, as an import leaves them (imports
# refresh them after committing; the bench loads with plain SQL).
psql "$db" -Atqc "SELECT 'tile blocks refreshed: ' || cityreach_tile_blocks_refresh_all() || ' cells'" >&2
psql "$db" -Atqc "SELECT 'data: ' || (SELECT count(*) FROM residential_land) || ' parcels, ' || (SELECT count(*) FROM network_edges) || ' edges'" >&2

# The fixed tile list: every tile over the parcels' extent at z12 and z14; at z16 every
# 4th tile of every 4th row (about 1/16 of them) keeps the list's warm-up short.
tiles_for() { # zoom step
  psql "$db" -Atq -v z="$1" -v s="$2" <<'SQL'
WITH e AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 4326), 3857) AS g FROM residential_land),
     k AS (SELECT 2 * 20037508.342789244 / 2 ^ :z AS size),
     r AS (SELECT floor((ST_XMin(g) + 20037508.342789244) / size)::int AS x0, floor((ST_XMax(g) + 20037508.342789244) / size)::int AS x1,
                  floor((20037508.342789244 - ST_YMax(g)) / size)::int AS y0, floor((20037508.342789244 - ST_YMin(g)) / size)::int AS y1 FROM e, k)
SELECT :z || '/' || x || '/' || y FROM r, generate_series(x0, x1) x, generate_series(y0, y1) y
WHERE (x - x0) % :s = 0 AND (y - y0) % :s = 0 ORDER BY x, y
SQL
}
# BENCH_DENSE=N: the z14 list is instead the N tiles holding the most parcels (by centroid),
# the city's densest area.
dense_for() { # zoom n
  psql "$db" -Atq -v z="$1" -v n="$2" <<'SQL'
WITH k AS (SELECT 2 * 20037508.342789244 / 2 ^ :z AS size)
SELECT :z || '/' || x || '/' || y FROM (
  SELECT floor((ST_X(c) + 20037508.342789244) / size)::int AS x, floor((20037508.342789244 - ST_Y(c)) / size)::int AS y, count(*) AS n
  FROM (SELECT ST_Centroid(geom_3857) AS c FROM residential_land) r, k GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT :n) t
SQL
}
# The tile store (docs/tiles.md): the dense z14 tiles pre-rendered, as `cityreach seed`
# does. CITYREACH_TILE_STORE=off in the environment measures the live render instead; a
# build without the store (BENCH_CITYREACH_BIN of an older commit) skips this.
if [ "${CITYREACH_TILE_STORE:-}" != off ]; then
  DATABASE_URL=$db "$out/cityreach" tiles store >&2 || log "no tile store in this build"
fi
tiles_for 12 1 >"$out/tiles-z12.txt"
if [ -n "${BENCH_DENSE:-}" ]; then dense_for 14 "$BENCH_DENSE" >"$out/tiles-z14.txt"; else tiles_for 14 1 >"$out/tiles-z14.txt"; fi
tiles_for 16 4 >"$out/tiles-z16.txt"

cat >"$out/tiles.lua" <<'LUA'
-- Cycles through the paths in $TILE_LIST, one per request, as a map client would.
local paths, i = {}, 0
for line in io.lines(os.getenv("TILE_LIST")) do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d %.2f\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout, summary.requests,
    latency:percentile(95) / 1000))
end
LUA

server_pid=""
start_server() { # cache_mb consistency
  stop_server
  DATABASE_URL=$db CITYREACH_LISTEN=127.0.0.1:$port CITYREACH_LOG_LEVEL=warn CITYREACH_TILE_CACHE_MB=$1 \
    CITYREACH_TILE_CONSISTENCY=$2 CITYREACH_DB_MAX_CONNS=${BENCH_DB_CONNS:-8} "$out/cityreach" serve >>"$out/server.log" 2>&1 &
  server_pid=$!
  # Wait for the start-up warm-up (snapshots, walking graphs, default figures) to end: it
  # runs in the background and would take CPU from the first cells.
  for _ in $(seq 1500); do curl -fs "http://127.0.0.1:$port/readyz?warm=1" >/dev/null && return; sleep 0.2; done
  die "server did not become warm (see $out/server.log)"
}
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap stop_server EXIT

paths() { sed "s|^|/tiles/$1/|; s|$|.mvt|" "$out/tiles-z$2.txt" >"$out/paths-$1-z$2.txt"; echo "$out/paths-$1-z$2.txt"; }

# bytes per tile: mean over the list of non-empty tiles, gzip-encoded and raw.
tile_bytes() { # pathfile [port]
  local gz=0 raw=0 n=0 e=0 g r
  while read -r p; do
    g=$(curl -s -o /dev/null -w '%{size_download} %{http_code}' -H 'Accept-Encoding: gzip' "http://127.0.0.1:${2:-$port}$p")
    [ "${g#* }" = 204 ] && { e=$((e + 1)); continue; }
    r=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${2:-$port}$p")
    gz=$((gz + ${g% *})); raw=$((raw + r)); n=$((n + 1))
  done <"$1"
  [ $n -gt 0 ] && echo "$((raw / n)) $((gz / n)) $n $e" || echo "0 0 0 $e"
}

report=$out/tiles.md
{
  echo "| layer | zoom | tiles | mode | conns | req/s | p50 ms | p95 ms | p99 ms | errors | raw B/tile | gzip B/tile | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"
run() { # label layer zoom pathfile [port]
  for c in $conns; do
    local res
    res=$(TILE_LIST=$4 wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "${secs}s" --timeout 10s -s "$out/tiles.lua" "http://127.0.0.1:${5:-$port}" | grep '^RESULT' | cut -d' ' -f2-)
    read -r rps p50 p99 errs _ p95 <<<"$res"
    # The 1-minute load average after the run: other work on the box skews the numbers.
    echo "| $2 | $3 | $(wc -l <"$4") | $1 | $c | $rps | $p50 | $p95 | $p99 | $errs | ${sizes[$2$3]} | $(cut -d' ' -f1 /proc/loadavg) |" | tee -a "$report" >&2
  done
}

# The peer, on the same tables and tile lists, right after each cold run: the real
# pg_tileserv when PG_TILESERV_BIN names a binary built from its public repository (built
# outside this repository; its cache is off by default), else pg_tileserv's table-layer SQL
# served without a cache (scripts/tilebaseline).
peer_port=$((port + 1))
if [ -n "${PG_TILESERV_BIN:-}" ]; then
  peer_name="pg_tileserv, built from its repository, no cache"
  peer_prefix=/public.
  DATABASE_URL=$db TS_HTTPHOST=127.0.0.1 TS_HTTPPORT=$peer_port TS_DBPOOLMAXCONNS=${BENCH_DB_CONNS:-8} TS_SHOWPREVIEW=false \
    "$PG_TILESERV_BIN" >>"$out/peer.log" 2>&1 &
  peer_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$peer_port/index.json" >/dev/null && break; sleep 0.1; done
else
  peer_name="pg_tileserv SQL (scripts/tilebaseline), no cache"
  peer_prefix=/
  DATABASE_URL=$db "$out/tilebaseline" -listen "127.0.0.1:$peer_port" -conns "${BENCH_DB_CONNS:-8}" >>"$out/peer.log" 2>&1 &
  peer_pid=$!
fi
log "peer: $peer_name"
trap 'stop_server; kill $peer_pid 2>/dev/null || true' EXIT

declare -A sizes
log "cold: cache disabled"
start_server 0 strict
for l in $layers; do for z in $zooms; do
  p=$(paths "$l" "$z"); read -r raw gz n e <<<"$(tile_bytes "$p")"; sizes[$l$z]="$raw | $gz"
  log "$l z$z: $n tiles with data, $e empty; mean $raw B raw, $gz B gzip"
  run cold "$l" "$z" "$p"
  pp="$out/peer-$l-z$z.txt"; sed "s|^|$peer_prefix$l/|; s|$|.pbf|" "$out/tiles-z$z.txt" >"$pp"
  # The peer's own bytes (it sends full detail at every zoom, and no gzip).
  ours=${sizes[$l$z]}; read -r raw gz _ _ <<<"$(tile_bytes "$pp" "$peer_port")"; sizes[$l$z]="$raw | $gz"
  run "peer ($peer_name)" "$l" "$z" "$pp" "$peer_port"
  sizes[$l$z]=$ours
done; done
kill $peer_pid 2>/dev/null || true
[ "${BENCH_WARM:-1}" = 1 ] || modes=""
for mode in ${modes-strict eventual}; do
  log "warm: cache 512 MB, consistency $mode"
  start_server 512 "$mode"
  for l in $layers; do for z in $zooms; do
    p=$(paths "$l" "$z")
    TILE_LIST=$p wrk -t 1 -c 4 -d 2s -s "$out/tiles.lua" "http://127.0.0.1:$port" >/dev/null # fill the cache
    while read -r q; do curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$q"; done <"$p"
    run "warm-$mode" "$l" "$z" "$p"
  done; done
done
stop_server

# One row per layer, zoom and connection count: cold against the peer, warm against cold.
python3 - "$report" >"$out/tiles-side-by-side.md" <<'PY'
import sys, collections
d = collections.defaultdict(dict)
for l in open(sys.argv[1]):
    if not l.startswith('| ') or l.startswith('| layer'):
        continue
    layer, zoom, _, mode, conns, rps, p50, _p95, p99, errs, raw, gz, load = [x.strip() for x in l.strip().strip('|').split('|')]
    mode = {'cold': 'cold', 'warm-strict': 'strict', 'warm-eventual': 'eventual'}.get(mode, 'peer')
    d[(layer, int(zoom), int(conns))][mode] = (float(rps), p50, p99, int(errs), raw, gz, load)
print('| layer | zoom | conns | cityreach raw / gzip B | cold req/s (p50 / p99 ms) | peer raw B | peer req/s (p50 / p99 ms) | cold ÷ peer | warm strict req/s (p99 ms) | warm eventual req/s (p99 ms) | strict ÷ cold | eventual ÷ cold | errors |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
for (layer, z, c), m in d.items():
    if not all(k in m for k in ('cold', 'peer')):
        continue
    co, pe = m['cold'], m['peer']
    warm = lambda w: (f"{w[0]:.0f} ({w[2]})", f"{w[0] / co[0]:.1f}×") if w else ('-', '-')
    (st, sr), (ev, er) = warm(m.get('strict')), warm(m.get('eventual'))
    print(f"| {layer} | {z} | {c} | {co[4]} / {co[5]} | {co[0]:.1f} ({co[1]} / {co[2]}) | {pe[4]} | {pe[0]:.1f} ({pe[1]} / {pe[2]}) | "
          f"{co[0] / pe[0]:.2f} | {st} | {ev} | {sr} | {er} | {sum(x[3] for x in m.values())} |")
PY
log "results in $report and $out/tiles-side-by-side.md"
