# Shared helpers for the provisioning scripts. Sourced, not run.
set -euo pipefail

log() { printf '\033[1;34m[cityreach]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[cityreach] error:\033[0m %s\n' "$*" >&2; exit 1; }

APT_UPDATED=${APT_UPDATED:-}
# apt_install PKG... installs the Debian packages that are not installed yet.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "need Debian packages ${missing[*]} but apt-get is not available; install them by hand"
  local SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install ${missing[*]}"
    SUDO=sudo
  fi
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# serve_demo NAME OUT: a fresh database NAME on the PostgreSQL server of DATABASE_URL, migrated
# and loaded with the Baotou demo city at scale ${CITYREACH_DEMO_SCALE:-0.05} (or, while the
# binary has no `seed baotou --scale`, frontend/e2e/fixture.sql), served by a fresh build of
# bin/cityreach on a free loopback port until the calling script exits. The seed and server
# logs go to OUT. Sets demo_url (the database), demo_port, demo_base (http://127.0.0.1:port),
# demo_server (the server's pid) and demo_bin. Run from the repository root.
serve_demo() {
  local name=$1 out=$2
  local base=${DATABASE_URL%%\?*}
  local params=${DATABASE_URL#"$base"}
  local admin_url="${base%/*}/postgres$params"
  demo_url="${base%/*}/$name$params"
  log "database $name"
  psql "$admin_url" -Xq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >&2
  mkdir -p bin "$out"
  go build -o bin/cityreach ./cmd/cityreach
  demo_bin=$(pwd)/bin/cityreach
  DATABASE_URL=$demo_url "$demo_bin" migrate up >&2
  local seed_help
  seed_help=$("$demo_bin" seed -h 2>&1 || true) # captured first: grep -q would close the pipe early under pipefail
  if [[ $seed_help == *-scale* && $seed_help == *baotou* ]]; then
    log "seeding the Baotou demo city at scale ${CITYREACH_DEMO_SCALE:-0.05}"
    DATABASE_URL=$demo_url "$demo_bin" seed baotou --scale "${CITYREACH_DEMO_SCALE:-0.05}" >"$out/seed.log" 2>&1 || { cat "$out/seed.log" >&2; die "seed baotou failed"; }
  else
    log "no \`seed baotou --scale\` in this binary: loading frontend/e2e/fixture.sql"
    psql "$demo_url" -Xq -v ON_ERROR_STOP=1 -f frontend/e2e/fixture.sql >&2
  fi
  demo_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  demo_base=http://127.0.0.1:$demo_port
  log "cityreach serve on 127.0.0.1:$demo_port"
  DATABASE_URL=$demo_url "$demo_bin" serve --listen "127.0.0.1:$demo_port" >"$out/server.log" 2>&1 &
  demo_server=$!
  trap 'kill "$demo_server" 2>/dev/null; wait "$demo_server" 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$demo_base/readyz" 2>/dev/null && break
    kill -0 "$demo_server" 2>/dev/null || { cat "$out/server.log" >&2; die "cityreach serve exited"; }
    sleep 0.5
  done
  curl -fsS -o /dev/null "$demo_base/readyz" || { tail -20 "$out/server.log" >&2; die "cityreach serve did not become ready"; }
}

# demo_copy ADMIN NAME SOURCE BIN: a scratch database NAME on the server of ADMIN (an admin
# connection URL), copied from SOURCE (a migrated database holding the seeded demo city)
# when that exists and is idle, else seeded with `BIN seed baotou` (about 2 min at scale
# 1); then migrated up. The benchmark scripts measure on it.
demo_copy() {
  local admin=$1 name=$2 src=$3 bin=$4
  local url="${admin%/*}/$name"
  psql "$admin" -Xqc "DROP DATABASE IF EXISTS $name" >/dev/null
  if psql "$admin" -XAtc "SELECT 1 FROM pg_database WHERE datname = '$src'" | grep -q 1 &&
    psql "$admin" -Xqc "CREATE DATABASE $name TEMPLATE $src" 2>/dev/null; then
    log "copied $src to $name"
  else
    log "seeding the demo city into $name"
    psql "$admin" -Xqc "CREATE DATABASE $name" >/dev/null
    DATABASE_URL=$url "$bin" seed baotou >&2
  fi
  DATABASE_URL=$url "$bin" migrate up >&2
}

# wrk_paths_lua FILE: writes a wrk script that cycles through the paths listed in $PATH_LIST
# (one per request, gzip accepted) and ends with the line
# "RESULT req/s p50_ms p99_ms errors requests".
wrk_paths_lua() {
  cat >"$1" <<'LUA'
-- Cycles through the paths in $PATH_LIST, one per request.
local paths, i = {}, 0
for line in io.lines(os.getenv("PATH_LIST")) do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout, summary.requests))
end
LUA
}
