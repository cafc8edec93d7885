#!/usr/bin/env bash
# make bench: Go benchmarks of every package, then the HTTP load benchmarks (wrk) of the
# scripts named bench-*.sh. Results go to bench-results/ with the date.
# The read-replica section (scripts/bench-replica.sh, issue 23) is optional: it makes its own
# streaming replica with scripts/replica.sh (root), says why and moves on when it cannot,
# and BENCH_REPLICA=0 skips it; a failure there does not stop the other sections.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
eval "$("$here/provision-db.sh")"
"$here/install-build-deps.sh"
"$here/install-test-deps.sh"
export CITYREACH_TEST_DATABASE_URL=${CITYREACH_TEST_DATABASE_URL:-$DATABASE_URL}
out=bench-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
log "Go benchmarks → $out/go.txt"
go test -run '^$' -bench . -benchmem -count 5 -timeout 60m ./... | tee "$out/go.txt"
for s in "$here"/bench-*.sh; do
  [ -e "$s" ] || continue
  log "$(basename "$s") → $out/"
  if [ "$(basename "$s")" = bench-replica.sh ]; then
    BENCH_OUT="$out" "$s" || log "bench-replica.sh failed (optional section; see $out/)"
  else
    BENCH_OUT="$out" "$s"
  fi
done
