#!/usr/bin/env bash
# Park coverage after edits and from a cold start (issue 25), measured over HTTP on the demo
# city: how long `cityreach serve` takes to be warm (/readyz?warm=1), the first indicator
# request after that, and the indicator after each single park edit — the straight-line
# (buffer) and network methods of GB/T 50563-2010 — beside the PostGIS SQL that computes
# the straight-line figure afresh (the subdivided-union query of
# internal/coverage/postgis_test.go) after the same edits, and, after the last network
# edit, the pgRouting + PostGIS computation of the network figure
# (scripts/network-coverage-pgr.sql), timed and compared with cityreach's figure, in the
# same run.
#
# Data: a scratch copy (BENCH_EDITS_DB, default cityreach_bench_edits) of BENCH_EDITS_SOURCE
# (default cityreach: a migrated database holding the seeded demo city); without a source,
# the scratch database is migrated and seeded (`cityreach seed baotou`, ~2 min).
#
# Environment: DATABASE_URL (admin connection), BENCH_OUT, BENCH_EDITS (edits per method,
# default 7), BENCH_PORT (default 18091), BENCH_EDITS_PGR (0 leaves out the pgRouting
# network counterpart: minutes at scale 1, much longer at scale 10). Writes
# $BENCH_OUT/edits.md.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
command -v psql >/dev/null || die "psql is needed"
out=${BENCH_OUT:-bench-results/edits-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
base=${admin%/*}
db=${BENCH_EDITS_DB:-cityreach_bench_edits}
src=${BENCH_EDITS_SOURCE:-cityreach}
edits=${BENCH_EDITS:-7}
port=${BENCH_PORT:-18091}
url="$base/$db"

go build -o "$out/cityreach" ./cmd/cityreach
demo_copy "$admin" "$db" "$src" "$out/cityreach"
sql() { psql "$url" -XAtqc "$1"; }
city=$(sql "SELECT id FROM cities WHERE slug = 'baotou'")
[ -n "$city" ] || die "no city baotou in $db"
# Stored runs of earlier sittings would answer the first requests.
sql "DELETE FROM coverage_runs WHERE city_id = $city"
for t in parks park_entrances residential_land network_edges; do sql "VACUUM ANALYZE $t"; done

# secs CMD...: wall-clock seconds of CMD.
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
get() { curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$1"; }

DATABASE_URL=$url CITYREACH_LISTEN=127.0.0.1:$port CITYREACH_ANONYMOUS_READ=true "$out/cityreach" serve >"$out/edits-server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
t0=$(date +%s.%N)
until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz?warm=1"; do
  kill -0 $pid 2>/dev/null || die "server exited; see $out/edits-server.log"
  sleep 0.2
done
warm=$(echo "$(date +%s.%N) - $t0" | bc)
first=$(get "/api/v1/indicators/park-coverage?city=baotou")
load0=$(cut -d' ' -f1 /proc/loadavg)

cov="/api/v1/indicators/park-coverage?city=baotou&caliber=gbt50563-2010"
postgis=$(sed -n '/^const sqlSubdividedCoverage = `/,/`$/p' internal/coverage/postgis_test.go | sed '1d;$d' | sed "s/\$1/$city/g")
nparks=$(sql "SELECT count(*) FROM parks WHERE city_id = $city")
edit() { # edit N: move the Nth park (of a spread of them) by about 25 m
  sql "UPDATE parks SET geom = ST_Translate(geom, 0.0003, 0) WHERE id = (SELECT id FROM parks WHERE city_id = $city ORDER BY id OFFSET $(($1 * 37 % nparks)) LIMIT 1)"
}
declare -A full
: >"$out/edits-times.txt"
for m in buffer network; do
  full[$m]=$(get "$cov&method=$m")
  for i in $(seq 1 "$edits"); do
    edit $((i + ${#m}))
    sleep 1 # the previous run's gaps are stored in the background
    echo "$m $(get "$cov&method=$m")" >>"$out/edits-times.txt"
    if [ $m = buffer ]; then
      echo "postgis $(secs psql "$url" -XAtqc "$postgis")" >>"$out/edits-times.txt"
    fi
  done
done
pgr_row=""
if [ "${BENCH_EDITS_PGR:-1}" != 0 ]; then
  hours=$(sql "SELECT count(*) FROM parks p LEFT JOIN park_entrances e ON e.park_id = p.id
    WHERE p.city_id = $city AND (coalesce(p.open_hours, '') NOT IN ('', '24/7') OR coalesce(e.open_hours, '') NOT IN ('', '24/7'))")
  [ "$hours" = 0 ] || log "warning: $hours parks or gates with opening hours; the pgRouting counterpart reads only always-open ones"
  t0=$(date +%s.%N)
  pgr=$(psql "$url" -XAtq -F ' ' -v city="$city" -f scripts/network-coverage-pgr.sql)
  pgr_s=$(echo "$(date +%s.%N) - $t0" | bc)
  ours=$(curl -sf "http://127.0.0.1:$port$cov&method=network" | python3 -c '
import json, sys
def city(v):
    if isinstance(v, dict):
        if v.get("level") == "city" and "covered_m2" in v:
            return v
        v = list(v.values())
    if isinstance(v, list):
        for x in v:
            c = city(x)
            if c:
                return c
c = city(json.load(sys.stdin))
print(round(c["covered_m2"], 1), round(c["total_m2"], 1), round(100 * c["ratio"], 3))')
  read -r pc pt pp <<<"$pgr"
  read -r oc ot op <<<"$ours"
  pgr_row="| pgRouting + PostGIS network counterpart (scripts/network-coverage-pgr.sql) after the last edit | $pgr_s | | 1 |"
  pgr_cmp="Network figure after the last edit: cityreach $op % ($oc of $ot m²), pgRouting + PostGIS $pp % ($pc of $pt m²); difference $(echo "$oc - $pc" | bc) m²."
fi
load1=$(cut -d' ' -f1 /proc/loadavg)
col() { awk -v m="$1" '$1 == m {print $2}' "$out/edits-times.txt"; }
range() { col "$1" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f–%.2f", lo, hi}'; }
{
  echo "| what | median s | range s | n |"
  echo "|---|---:|---:|---:|"
  echo "| serve start → /readyz?warm=1 answers 200 | $warm | | 1 |"
  echo "| first indicator request after warm (default caliber) | $first | | 1 |"
  echo "| straight-line, full computation (first request) | ${full[buffer]} | | 1 |"
  echo "| straight-line after one park edit | $(col buffer | median) | $(range buffer) | $edits |"
  echo "| PostGIS subdivided-union SQL after the same edit | $(col postgis | median) | $(range postgis) | $edits |"
  echo "| network, full computation (first request) | ${full[network]} | | 1 |"
  echo "| network after one park edit | $(col network | median) | $(range network) | $edits |"
  [ -z "$pgr_row" ] || echo "$pgr_row"
  echo
  [ -z "$pgr_row" ] || { echo "$pgr_cmp"; echo; }
  echo "1-minute load average $load0 before the edits, $load1 after."
} | tee "$out/edits.md"
