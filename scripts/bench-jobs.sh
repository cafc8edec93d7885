#!/usr/bin/env bash
# Report jobs over HTTP (issue 23, item 4): the time from POST /processes/report/execution
# to the first GET /jobs/{id} that answers "successful", for a small report (district
# level, park coverage, CSV), polled every 20 ms, BENCH_JOBS_N times in a row (default 15);
# prints the median, min and max in milliseconds for each configuration:
#   one      one `cityreach serve` (its own worker runs the job), submit and poll on it;
#   two      two processes: A with CITYREACH_JOBS_WORKERS=0, B with one worker; submit and
#            poll on A, so the job is claimed and run by B (skipped when the binary's jobs
#            are not shared between processes: the poll on A then fails).
# CITYREACH_BIN names the binary (default: built from this checkout), so an older build can
# be measured on the same data. Data: the scratch database BENCH_JOBS_DB (default
# cityreach_jobsbench; the name must contain "jobsbench"), seeded with the demo city (seed baotou) at
# scale BENCH_JOBS_SCALE (default 0.05) unless it holds baotou (BENCH_JOBS_KEEP=1 keeps it at the
# end). DATABASE_URL is the admin connection; BENCH_PORT (default 18097, and the next).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
n=${BENCH_JOBS_N:-15}
port=${BENCH_PORT:-18097}
admin=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=${BENCH_JOBS_DB:-cityreach_jobsbench}
[[ $db == *jobsbench* && $db =~ ^[a-z0-9_]+$ ]] || die "BENCH_JOBS_DB must be a plain name containing 'jobsbench', not $db"
url="${admin%/*}/$db"
bin=${CITYREACH_BIN:-}
if [ -z "$bin" ]; then
  bin=$(mktemp -d)/cityreach
  go build -o "$bin" ./cmd/cityreach || die "go build failed"
fi
if [ "$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  psql "$admin" -qc "CREATE DATABASE $db" || die "cannot create $db"
fi
DATABASE_URL=$url "$bin" migrate up >/dev/null || die "migrate failed"
if [ "$(psql "$url" -tAc "SELECT count(*) FROM cities WHERE slug = 'baotou'")" != 1 ]; then
  DATABASE_URL=$url "$bin" seed baotou --scale "${BENCH_JOBS_SCALE:-0.05}" >/dev/null || die "seed failed"
fi
# A token of its own per run (the name carries the pid).
secret=$(DATABASE_URL=$url "$bin" token create --role editor --name "bench-jobs-$$" 2>&1 | grep -o 'crk_[A-Za-z0-9_-]*' | head -1)
[ -n "$secret" ] || die "no token"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  DATABASE_URL=$url "$bin" token revoke --name "bench-jobs-$$" >/dev/null 2>&1
  [ "${BENCH_JOBS_KEEP:-0}" = 1 ] || psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
trap cleanup EXIT
start() { # port workers
  CITYREACH_JOBS_WORKERS=$2 CITYREACH_JOBS_DIR=$(mktemp -d) CITYREACH_LOG_LEVEL=warn DATABASE_URL=$url \
    "$bin" serve --listen "127.0.0.1:$1" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$1/api/v1/processes" >/dev/null && return 0
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  log "the server on $1 did not start"
  return 1
}
ms() { echo $(($(date +%s%N) / 1000000)); }
# measure NAME SUBMIT_PORT: n reports submitted and polled on one port.
measure() {
  local times=() base="http://127.0.0.1:$2/api/v1"
  for i in $(seq "$n"); do
    local t0 id st
    t0=$(ms)
    id=$(curl -fs -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \
      -d '{"inputs":{"city":"baotou","level":"district","indicators":["park-coverage"],"formats":["csv"]}}' \
      "$base/processes/report/execution" | jq -r .jobID)
    [ -n "$id" ] && [ "$id" != null ] || die "$1: submit failed"
    while :; do
      st=$(curl -fs -H "Authorization: Bearer $secret" "$base/jobs/$id" | jq -r .status)
      case $st in successful) break ;; accepted | running) sleep 0.02 ;; *) log "$1: job $id is '$st'"; return 1 ;; esac
    done
    times+=($(($(ms) - t0)))
    curl -fs -X DELETE -H "Authorization: Bearer $secret" "$base/jobs/$id" >/dev/null
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$1" '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
    printf "%s: n=%d median %d ms, min %d, max %d\n", name, NR, m, a[1], a[NR]}'
}
echo "load: $(uptime)"
start "$port" 1 || die "cannot start the server"
measure one "$port"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; pids=()
if start "$port" 0 && start $((port + 1)) 1; then
  measure two "$port"
else
  log "two processes: not measured (this binary refuses CITYREACH_JOBS_WORKERS=0: its jobs are not shared)"
fi
echo "load: $(uptime)"
