#!/usr/bin/env bash
# Capacity against demand (2SFCA, issue 22) over HTTP on the demo city: the first request
# of each query (computed), the same request repeated (served from the per-data-version
# cache of internal/capacity), the request after an edit of one facility's capacity
# (computed again: the data version moved), and wrk load on a repeated request — beside
# the PostGIS SQL of the supply side (the category's capacity summed) in the same run.
#
# Data: a scratch copy (BENCH_CAPACITY_DB, default cityreach_bench_capacity) of
# BENCH_CAPACITY_SOURCE (default cityreach: a migrated database holding the seeded demo
# city); without a source, the scratch database is migrated and seeded.
#
# Environment: DATABASE_URL (admin connection), BENCH_OUT, BENCH_CAPACITY_BIN (a cityreach
# binary to serve instead of the one built here, e.g. an older build to compare with),
# BENCH_CAPACITY_REPEAT (default 15), BENCH_PORT (default 18092). Writes
# $BENCH_OUT/capacity.md.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
command -v psql >/dev/null || die "psql is needed"
command -v wrk >/dev/null || die "wrk is needed"
out=${BENCH_OUT:-bench-results/capacity-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
base=${admin%/*}
db=${BENCH_CAPACITY_DB:-cityreach_bench_capacity}
src=${BENCH_CAPACITY_SOURCE:-cityreach}
repeat=${BENCH_CAPACITY_REPEAT:-15}
port=${BENCH_PORT:-18092}
url="$base/$db"

go build -o "$out/cityreach" ./cmd/cityreach
demo_copy "$admin" "$db" "$src" "$out/cityreach"
bin=${BENCH_CAPACITY_BIN:-$out/cityreach}
sql() { psql "$url" -XAtqc "$1"; }
city=$(sql "SELECT id FROM cities WHERE slug = 'baotou'")
[ -n "$city" ] || die "no city baotou in $db"

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
get() { curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$1" || echo fail; }

DATABASE_URL=$url CITYREACH_LISTEN=127.0.0.1:$port CITYREACH_ANONYMOUS_READ=true "$bin" serve >"$out/capacity-server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
  kill -0 $pid 2>/dev/null || die "server exited; see $out/capacity-server.log"
  sleep 0.2
done
# The walking network and inputs are loaded by the first request of any walking indicator.
get "/api/v1/indicators/living-circle?city=baotou&level=city" >/dev/null
load0=$(cut -d' ' -f1 /proc/loadavg)

cap=/api/v1/indicators/capacity?city=baotou
{
  echo "| request | first (s) | repeated, median of $repeat (s) | after a capacity edit, median of 5 (s) |"
  echo "| --- | ---: | ---: | ---: |"
} >"$out/capacity.md"
n=0
for q in "category=primary_school&level=community" "category=elderly_care&level=parcel" "category=park_square&level=community&profile=elderly" \
  "category=kindergarten&level=community&profile=wheelchair"; do
  first=$(get "$cap&$q")
  rep=$(for _ in $(seq "$repeat"); do get "$cap&$q"; done | median)
  cat=$(echo "$q" | sed 's/category=\([a-z_]*\).*/\1/')
  edited=$(for i in 1 2 3 4 5; do
    n=$((n + 1))
    if [ "$cat" = park_square ]; then
      sql "UPDATE parks SET name = name WHERE id = (SELECT id FROM parks WHERE city_id = $city ORDER BY id OFFSET $n LIMIT 1)"
    else
      sql "UPDATE facilities SET capacity = capacity + 10 WHERE id = (SELECT id FROM facilities WHERE city_id = $city AND category = '$cat' ORDER BY id OFFSET $n LIMIT 1)"
    fi
    get "$cap&$q"
  done | median)
  echo "| \`$q\` | $first | $rep | $edited |" >>"$out/capacity.md"
done
wrkq="$cap&category=primary_school&level=community"
wrk -t2 -c4 -d10s --latency "http://127.0.0.1:$port$wrkq" >"$out/capacity-wrk.txt"
peer=$(for _ in 1 2 3 4 5; do
  t0=$(date +%s.%N)
  sql "SELECT sum(capacity) FROM facilities WHERE city_id = $city AND category = 'primary_school'" >/dev/null
  echo "$(date +%s.%N) - $t0" | bc
done | median)
{
  echo
  echo "wrk -t2 -c4 -d10s on \`$wrkq\`: $(grep -E 'Requests/sec' "$out/capacity-wrk.txt" | awk '{print $2}') requests/s, latency p50 $(grep -E '^ +50%' "$out/capacity-wrk.txt" | awk '{print $2}'), p99 $(grep -E '^ +99%' "$out/capacity-wrk.txt" | awk '{print $2}')"
  echo
  echo "PostGIS peer (psql, the supply sum of primary schools), median of 5: $peer s"
  echo
  echo "Load average before / after: $load0 / $(cut -d' ' -f1 /proc/loadavg); server $bin"
} >>"$out/capacity.md"
cat "$out/capacity.md"
