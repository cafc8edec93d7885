#!/usr/bin/env bash
# The peers of the OGC API and of the walking requests (issue 25), in the same run, on the
# same tables of the demo city:
#
#   - OGC API – Features items against pg_featureserv built from its public repository
#     (CrunchyData/pg_featureserv): the same bbox pages and single items, driven by wrk
#     with the same tile-bench Lua idea (one path per request, cycling through a list);
#   - isochrones (5/10/15 min = 300/500/1000 m) against pgRouting's pgr_drivingDistance from
#     the nearest node, alone and with PostGIS polygons (ST_ConcaveHull of the reached
#     nodes), from the same points;
#   - the 15-minute living circle after a facility edit against pgRouting computing what
#     it needs from scratch: one multi-source pgr_drivingDistance (equicost) to 1000 m per
#     facility category.
#
# The peer is built from a checkout outside this repository: PG_FEATURESERV_BIN names a
# binary, or PG_FEATURESERV_SRC a checkout of its repository that this script builds with
# `go build` into $BENCH_OUT. Nothing here fetches it. Without either, the OGC rows are
# left out (the walking rows need only pgRouting).
#
# Data: a scratch copy (BENCH_PEERS_DB, default cityreach_bench_peers) of
# BENCH_PEERS_SOURCE (default cityreach; a migrated database holding the seeded demo city),
# or, with BENCH_DATABASE_URL, that database itself (it is not modified except for one
# facility moved back and forth).
#
# Environment: DATABASE_URL (admin connection), BENCH_OUT, BENCH_SECONDS (per wrk cell,
# default 8), BENCH_REPS (repetitions of every cell, default 3; the table has medians),
# BENCH_CONNS (default "1 8"), BENCH_PORT (default 18093). Writes $BENCH_OUT/peers.md.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
command -v wrk >/dev/null || apt_install wrk
command -v psql >/dev/null || die "psql is needed"
out=${BENCH_OUT:-bench-results/peers-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
secs=${BENCH_SECONDS:-8}
reps=${BENCH_REPS:-3}
conns=${BENCH_CONNS:-1 8}
port=${BENCH_PORT:-18093}
peer_port=$((port + 1))
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

go build -o "$out/cityreach" ./cmd/cityreach
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  url=$BENCH_DATABASE_URL
else
  db=${BENCH_PEERS_DB:-cityreach_bench_peers}
  src=${BENCH_PEERS_SOURCE:-cityreach}
  url="${admin%/*}/$db"
  demo_copy "$admin" "$db" "$src" "$out/cityreach"
fi
[ -z "${BENCH_DATABASE_URL:-}" ] || DATABASE_URL=$url "$out/cityreach" migrate up >&2
sql() { psql "$url" -XAtqc "$1"; }
city=$(sql "SELECT id FROM cities WHERE slug = 'baotou'")
[ -n "$city" ] || die "no city baotou in the benchmark database"
sql "CREATE EXTENSION IF NOT EXISTS pgrouting"
for t in residential_land network_edges facilities; do sql "VACUUM ANALYZE $t"; done

featureserv=${PG_FEATURESERV_BIN:-}
if [ -z "$featureserv" ] && [ -n "${PG_FEATURESERV_SRC:-}" ]; then
  log "building pg_featureserv from $PG_FEATURESERV_SRC ($(git -C "$PG_FEATURESERV_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  (abs=$(cd "$out" && pwd) && cd "$PG_FEATURESERV_SRC" && go build -o "$abs/pg_featureserv" .)
  featureserv=$out/pg_featureserv
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# --- servers -------------------------------------------------------------------------------
DATABASE_URL=$url CITYREACH_LISTEN=127.0.0.1:$port CITYREACH_ANONYMOUS_READ=true CITYREACH_LOG_LEVEL=warn \
  CITYREACH_DB_MAX_CONNS=${BENCH_DB_CONNS:-8} "$out/cityreach" serve >"$out/peers-server.log" 2>&1 &
pid=$!
peer_pid=""
trap 'kill $pid $peer_pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz?warm=1"; do
  kill -0 $pid 2>/dev/null || die "server exited; see $out/peers-server.log"
  sleep 0.5
done
if [ -n "$featureserv" ]; then
  # The same table, public.residential_land, with every column as a property (as the peer
  # does). It publishes one collection per table and geometry column under one id and keeps
  # the last; the table has three (geom, geom_m, geom_3857), so check it serves geom
  # (EPSG:4326) before measuring.
  DATABASE_URL=$url PGFS_SERVER_HTTPHOST=127.0.0.1 PGFS_SERVER_HTTPPORT=$peer_port PGFS_DATABASE_DBPOOLMAXCONNS=${BENCH_DB_CONNS:-8} \
    PGFS_DATABASE_TABLEINCLUDES=public.residential_land PGFS_PAGING_LIMITMAX=1000 "$featureserv" >"$out/peers-featureserv.log" 2>&1 &
  peer_pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$peer_port/collections.json" && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$peer_port/collections/public.residential_land.json" | grep -q 'EPSG/0/4326' ||
    die "pg_featureserv does not serve residential_land's geom (EPSG:4326); see $out/peers-featureserv.log"
fi

wrk_paths_lua "$out/paths.lua"
raw=$out/peers-raw.txt
: >"$raw"
# cell NAME SIDE CONNS PATHFILE PORT: one wrk run, appended to $raw.
cell() {
  local res
  res=$(PATH_LIST=$4 wrk -t "$(($3 < 2 ? 1 : 2))" -c "$3" -d "${secs}s" --timeout 10s -s "$out/paths.lua" "http://127.0.0.1:$5" | grep '^RESULT' | cut -d' ' -f2-5)
  echo "$1 $2 $3 $res $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$raw" >&2
}
bytes() { # pathfile port: mean gzip bytes per answer
  local n=0 s=0 b
  while read -r p; do b=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "http://127.0.0.1:$2$p"); s=$((s + b)); n=$((n + 1)); done <"$1"
  echo $((s / n))
}

# --- OGC items against pg_featureserv ------------------------------------------------------
# 20 bboxes of about 400 × 400 m (100–200 parcels each on the demo) centred on the parcels with the
# most neighbours, and 40 single parcels; limit=1000, the peer's own maximum.
sql "SELECT format('%s,%s,%s,%s', round((x - 0.0024)::numeric, 6), round((y - 0.0018)::numeric, 6), round((x + 0.0024)::numeric, 6), round((y + 0.0018)::numeric, 6))
     FROM (SELECT ST_X(c) x, ST_Y(c) y FROM (SELECT ST_Centroid(geom) c FROM residential_land WHERE city_id = $city ORDER BY id) p
           ORDER BY (SELECT count(*) FROM residential_land r WHERE r.city_id = $city AND r.geom && ST_Expand(p.c, 0.002)) DESC LIMIT 20) s" >"$out/bboxes.txt"
sql "SELECT id FROM residential_land WHERE city_id = $city ORDER BY hashint8(id) LIMIT 40" >"$out/ids.txt"
sed "s|^|/ogc/collections/residential_land/items?limit=1000\&bbox=|" "$out/bboxes.txt" >"$out/ours-bbox.txt"
sed "s|^|/ogc/collections/residential_land/items/|" "$out/ids.txt" >"$out/ours-item.txt"
sed "s|^|/collections/public.residential_land/items.json?limit=1000\&bbox=|" "$out/bboxes.txt" >"$out/peer-bbox.txt"
sed "s|^|/collections/public.residential_land/items/|; s|$|.json|" "$out/ids.txt" >"$out/peer-item.txt"
declare -A size
for kind in bbox item; do
  size[ours-$kind]=$(bytes "$out/ours-$kind.txt" "$port")
  [ -n "$featureserv" ] && size[peer-$kind]=$(bytes "$out/peer-$kind.txt" "$peer_port")
done
nmatch=$(head -1 "$out/bboxes.txt" | { IFS=, read -r a b c d; sql "SELECT count(*) FROM residential_land WHERE city_id = $city AND ST_Intersects(geom, ST_MakeEnvelope($a, $b, $c, $d, 4326))"; })
log "OGC: first bbox holds $nmatch parcels"
for r in $(seq "$reps"); do
  for c in $conns; do
    for kind in bbox item; do
      cell "ogc-$kind" cityreach "$c" "$out/ours-$kind.txt" "$port"
      [ -n "$featureserv" ] && cell "ogc-$kind" pg_featureserv "$c" "$out/peer-$kind.txt" "$peer_port"
    done
  done
done

# --- isochrones against pgRouting ----------------------------------------------------------
# 20 origins: the midpoints of walkable edges picked by a fixed hash.
sql "SELECT round(ST_X(p)::numeric, 6) || ' ' || round(ST_Y(p)::numeric, 6)
     FROM (SELECT ST_LineInterpolatePoint(geom, 0.5) p FROM network_edges WHERE city_id = $city AND walkable AND source IS NOT NULL ORDER BY hashint8(id) LIMIT 20) s" >"$out/origins.txt"
awk -v c=baotou '{printf "/api/v1/isochrones?city=%s&lon=%s&lat=%s&minutes=5,10,15\n", c, $1, $2}' "$out/origins.txt" >"$out/ours-iso.txt"
size[ours-iso]=$(bytes "$out/ours-iso.txt" "$port")
for r in $(seq "$reps"); do for c in $conns; do cell iso cityreach "$c" "$out/ours-iso.txt" "$port"; done; done
edges="SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges WHERE city_id = $city AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL"
srid=$(sql "SELECT metric_srid FROM cities WHERE id = $city")
# The nearest node of each origin, found once (both sides pay the snapping; cityreach's
# isochrone time includes it, the SQL's does not: in favour of the SQL).
while read -r lon lat; do
  sql "SELECT CASE WHEN ST_Distance(ST_StartPoint(geom_m), o) <= ST_Distance(ST_EndPoint(geom_m), o) THEN source ELSE target END
       FROM network_edges, ST_Transform(ST_SetSRID(ST_MakePoint($lon, $lat), 4326), $srid) o
       WHERE city_id = $city AND walkable AND source IS NOT NULL ORDER BY geom_m <-> o LIMIT 1"
done <"$out/origins.txt" >"$out/nodes.txt"
# timed FILE REPEAT: runs FILE's statements REPEAT times in one psql session, prints each
# statement's milliseconds.
timed() {
  { echo '\timing on'; for _ in $(seq "$2"); do cat "$1"; done; } | psql "$url" -Xq -o /dev/null 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
: >"$out/iso-search.sql"
: >"$out/iso-polygons.sql"
while read -r node; do
  echo "SELECT count(*) FROM pgr_drivingDistance('$edges', $node::bigint, 1000, directed => false);" >>"$out/iso-search.sql"
  cat >>"$out/iso-polygons.sql" <<SQL
WITH d AS (SELECT node, agg_cost FROM pgr_drivingDistance('$edges', $node::bigint, 1000, directed => false)),
p AS (SELECT DISTINCT ON (d.node) d.agg_cost, CASE WHEN e.source = d.node THEN ST_StartPoint(e.geom_m) ELSE ST_EndPoint(e.geom_m) END AS g
      FROM d JOIN network_edges e ON e.city_id = $city AND (e.source = d.node OR e.target = d.node))
SELECT c, ST_AsGeoJSON(ST_Transform(ST_ConcaveHull(ST_Collect(g) FILTER (WHERE agg_cost <= c), 0.3), 4326))
FROM p, unnest(ARRAY[300, 500, 1000]) c GROUP BY c;
SQL
done <"$out/nodes.txt"
for r in $(seq "$reps"); do
  timed "$out/iso-search.sql" 1 | sed 's/^/iso-sql-search /' >>"$out/sql-times.txt"
  timed "$out/iso-polygons.sql" 1 | sed 's/^/iso-sql-polygons /' >>"$out/sql-times.txt"
done

# --- living circle after a facility edit against pgRouting ---------------------------------
# Each edit moves one kindergarten by about 25 m and back; cityreach recomputes what the
# edit can change (docs/living-circle.md); pgRouting has no incremental mode, so its side
# recomputes every category's distances: one multi-source search (equicost) per category
# from the nearest nodes of its facilities, to 1000 m (the largest tier). The parcels'
# attachment and the figures are not in the SQL: in its favour.
lc="/api/v1/indicators/living-circle?city=baotou"
curl -sf -o /dev/null "http://127.0.0.1:$port$lc"
fac=$(sql "SELECT id FROM facilities WHERE city_id = $city AND category = 'kindergarten' ORDER BY id LIMIT 1")
for i in $(seq $((reps * 4))); do # an even count: the kindergarten ends where it was
  d=$([ $((i % 2)) = 1 ] && echo 0.0003 || echo -0.0003)
  sql "UPDATE facilities SET geom = ST_Translate(geom, $d, 0) WHERE id = $fac"
  echo "lc-cityreach $(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$lc" | awk '{printf "%.2f", $1 * 1000}')" >>"$out/sql-times.txt"
done
cat >"$out/lc.sql" <<SQL
WITH f AS (SELECT f.category, (SELECT CASE WHEN ST_Distance(ST_StartPoint(e.geom_m), f.geom_m) <= ST_Distance(ST_EndPoint(e.geom_m), f.geom_m) THEN e.source ELSE e.target END
                               FROM network_edges e WHERE e.city_id = $city AND e.walkable AND e.source IS NOT NULL ORDER BY e.geom_m <-> f.geom_m LIMIT 1) AS node
           FROM facilities f WHERE f.city_id = $city),
c AS (SELECT category, array_agg(DISTINCT node) AS nodes FROM f WHERE node IS NOT NULL GROUP BY category)
SELECT c.category, count(*) FROM c, LATERAL pgr_drivingDistance('$edges', c.nodes, 1000, directed => false, equicost => true) d GROUP BY c.category;
SQL
timed "$out/lc.sql" "$reps" | sed 's/^/lc-sql /' >>"$out/sql-times.txt"
load=$(cut -d' ' -f1 /proc/loadavg)

# --- the side-by-side table ----------------------------------------------------------------
col() { awk -v k="$1" -v s="$2" -v c="$3" -v f="$4" '$1 == k && $2 == s && $3 == c {print $f}' "$raw" | median; }
ms() { awk -v k="$1" '$1 == k {print $2}' "$out/sql-times.txt" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1f×", a / b}'; }
{
  echo "Medians of $reps repetitions; wrk ${secs} s per cell with \`Accept-Encoding: gzip\`; load average $load at the end."
  echo
  echo "| request | conns | cityreach req/s (p50 / p99 ms) | peer | peer req/s (p50 / p99 ms) | cityreach ÷ peer (req/s) | gzip B (cityreach / peer) |"
  echo "|---|---:|---|---|---|---:|---|"
  for kind in bbox item; do
    for c in $conns; do
      o=$(col "ogc-$kind" cityreach "$c" 4); p=$(col "ogc-$kind" pg_featureserv "$c" 4)
      echo "| OGC items, $([ $kind = bbox ] && echo "bbox page (limit 1000, ~$nmatch parcels)" || echo 'one parcel by id') | $c | $o ($(col "ogc-$kind" cityreach "$c" 5) / $(col "ogc-$kind" cityreach "$c" 6)) | pg_featureserv | $p ($(col "ogc-$kind" pg_featureserv "$c" 5) / $(col "ogc-$kind" pg_featureserv "$c" 6)) | $(ratio "$o" "$p") | ${size[ours-$kind]} / ${size[peer-$kind]:--} |"
    done
  done
  for c in $conns; do
    echo "| isochrone 5/10/15 min with polygons | $c | $(col iso cityreach "$c" 4) ($(col iso cityreach "$c" 5) / $(col iso cityreach "$c" 6)) | | | | ${size[ours-iso]} / - |"
  done
  echo
  echo "| request | cityreach median ms | SQL counterpart | median ms | SQL ÷ cityreach |"
  echo "|---|---:|---|---:|---:|"
  iso=$(col iso cityreach 1 5)
  echo "| isochrone 5/10/15 min with polygons (p50, 1 connection) | $iso | pgr_drivingDistance to 1000 m from the nearest node, whole edge table | $(ms iso-sql-search) | $(ratio "$(ms iso-sql-search)" "$iso") |"
  echo "| | | the same + PostGIS polygons (ST_ConcaveHull of the reached nodes per cutoff) | $(ms iso-sql-polygons) | $(ratio "$(ms iso-sql-polygons)" "$iso") |"
  echo "| living circle after moving one kindergarten (HTTP, curl) | $(ms lc-cityreach) | one multi-source pgr_drivingDistance (equicost, 1000 m) per category, facilities snapped to nodes | $(ms lc-sql) | $(ratio "$(ms lc-sql)" "$(ms lc-cityreach)") |"
} | tee "$out/peers.md"
