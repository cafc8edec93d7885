#!/usr/bin/env bash
# Optimal pocket-park siting (issue 22 item 5) over HTTP on the demo city, as a planner
# waits for it: GET /api/v1/indicators/park-coverage/siting (k = 10, the default caliber,
# 90/95/100 %, the default time limit), per method. Each sample starts a fresh server, makes
# one untimed call with k = 1 (it computes and keeps the city's coverage result with gaps,
# as the coverage indicator on the map would), then times the first k = 10 call on that kept
# result (the greedy answer chosen afresh) and a repeated one (the greedy answer kept with
# the result); the server's CPU seconds per call come from /proc. With BENCH_SITING_BASE_BIN
# (an older build) the two binaries are called alternately in the same run, on two scratch
# databases seeded alike, and the answers' `best` objects are compared.
#
# Data: a scratch copy (BENCH_SITING_DB, default cityreach_bench_siting) of
# BENCH_SITING_SOURCE (default cityreach: a migrated database holding the seeded demo city;
# without it, the scratch database is seeded); the older build's database (…_base) is
# seeded by that build, in its own schema.
#
# Environment: DATABASE_URL (admin connection), BENCH_OUT, BENCH_SITING_SAMPLES (default 3),
# BENCH_SITING_METHODS (default "network buffer"), BENCH_PORT (default 18093). Writes
# $BENCH_OUT/siting.md.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
command -v psql >/dev/null || die "psql is needed"
command -v python3 >/dev/null || die "python3 is needed"
out=${BENCH_OUT:-bench-results/siting-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
base=${admin%/*}
db=${BENCH_SITING_DB:-cityreach_bench_siting}
src=${BENCH_SITING_SOURCE:-cityreach}
samples=${BENCH_SITING_SAMPLES:-3}
methods=${BENCH_SITING_METHODS:-network buffer}
port=${BENCH_PORT:-18093}

go build -o "$out/cityreach" ./cmd/cityreach
demo_copy "$admin" "$db" "$src" "$out/cityreach"
builds=("new|$out/cityreach|$db")
if [ -n "${BENCH_SITING_BASE_BIN:-}" ]; then
  demo_copy "$admin" "${db}_base" "" "$BENCH_SITING_BASE_BIN" # seeded by the older build: its schema
  builds=("base|$BENCH_SITING_BASE_BIN|${db}_base" "${builds[@]}")
fi

# sample NAME BIN DB METHOD N: one fresh server; prints "NAME METHOD N first|repeat SECONDS CPU LOAD".
sample() {
  local name=$1 bin=$2 sdb=$3 method=$4 n=$5
  local u="http://127.0.0.1:$port/api/v1/indicators/park-coverage/siting?city=baotou&method=$method"
  DATABASE_URL="$base/$sdb" CITYREACH_LISTEN=127.0.0.1:$port CITYREACH_ANONYMOUS_READ=true "$bin" serve >"$out/siting-$name-$method-$n.log" 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
    kill -0 $pid 2>/dev/null || die "server exited; see $out/siting-$name-$method-$n.log"
    sleep 0.2
  done
  curl -sf -o /dev/null "$u&k=1" || die "k=1 siting failed; see $out/siting-$name-$method-$n.log"
  local w c0 c1 t l
  for w in first repeat; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    t=$(curl -sf -o "$out/siting-$name-$method-$n-$w.json" -w '%{time_total}' "$u") || die "siting failed; see $out/siting-$name-$method-$n.log"
    c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    echo "$name $method $n $w $t $(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", (b-a)/100}') $l"
  done
  kill $pid
  wait $pid 2>/dev/null || true
}

: >"$out/siting-samples.txt"
for method in $methods; do
  for n in $(seq 1 "$samples"); do
    for b in "${builds[@]}"; do
      IFS='|' read -r name bin sdb <<<"$b"
      sample "$name" "$bin" "$sdb" "$method" "$n" | tee -a "$out/siting-samples.txt"
    done
  done
done

python3 - "$out" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
rows = [l.split() for l in open(os.path.join(out, 'siting-samples.txt')) if l.strip()]
lines = ["| build | method | call | wall, each (s) | wall, median (s) | CPU, median (s) | load average |",
         "| --- | --- | --- | --- | ---: | ---: | --- |"]
keys = []
for r in rows:
    if (r[0], r[1], r[3]) not in keys:
        keys.append((r[0], r[1], r[3]))
for name, method, call in keys:
    rs = [r for r in rows if (r[0], r[1], r[3]) == (name, method, call)]
    walls = [float(r[4]) for r in rs]
    cpus = [float(r[5]) for r in rs]
    loads = [float(r[6]) for r in rs]
    lines.append(f"| {name} | {method} | {call} | {', '.join(f'{w:.2f}' for w in walls)} | **{statistics.median(walls):.2f}** | {statistics.median(cpus):.2f} | {min(loads):.1f}–{max(loads):.1f} |")
lines.append("")
for method in sorted({r[1] for r in rows}):
    bests = {}
    for f in sorted(os.listdir(out)):
        if f.startswith('siting-') and f.endswith('.json') and f'-{method}-' in f:
            d = json.load(open(os.path.join(out, f)))
            b = d.get('best') or {}
            bests.setdefault(json.dumps(b, sort_keys=True), []).append(f)
            curve = ', '.join(f"{p['target']:g}: {p['parks_low']}–{p['parks_high']}" for p in d.get('curve', []))
            lines.append(f"- `{f}`: best 10 {b.get('predicted', 0)*100:.2f} % (greedy {b.get('greedy', 0)*100:.2f} %, gap {b.get('gap')}, kept greedy {b.get('kept_greedy')}); curve {curve}")
    lines.append(f"- {method}: {len(bests)} distinct `best` object(s) over all calls")
    lines.append("")
open(os.path.join(out, 'siting.md'), 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PY
log "siting results in $out/siting.md"
