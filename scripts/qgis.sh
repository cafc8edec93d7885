#!/usr/bin/env bash
# A real QGIS against the real `cityreach serve`: installs Debian's QGIS (python3-qgis and
# qgis-providers, without recommended packages) when missing, serves the Baotou demo city
# at scale 0.05 from a fresh database cityreach_qgis on the PostgreSQL server of
# DATABASE_URL, and runs scripts/qgis-check.py (headless PyQGIS: every OGC collection
# through the OAPIF provider, booleans, the styled vector tiles, a rendered map of the
# parks). The log, the server log and the rendered PNG go to test-artifacts/qgis/.
# Called by scripts/test.sh (`make test`); runs alone too (`make qgis`; it provisions PostGIS).
# It never skips: a QGIS that cannot be installed or a failed check fails the run.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
root=$(pwd)
if [ -z "${DATABASE_URL:-}" ]; then eval "$("$here/provision-db.sh")"; fi
# Debian's python3-qgis is built for Debian's /usr/bin/python3, whatever python3 is on PATH.
py=/usr/bin/python3
if ! "$py" -c 'import qgis.core' 2>/dev/null; then
  t0=$(date +%s)
  apt_install python3-qgis qgis-providers
  log "QGIS installed in $(($(date +%s) - t0)) s"
fi
"$py" -c 'import qgis.core' || die "PyQGIS does not import with $py after installing python3-qgis"

out="$root/test-artifacts/qgis"
rm -rf "$out"
mkdir -p "$out"
serve_demo cityreach_qgis "$out"

log "PyQGIS against $demo_base (log in test-artifacts/qgis/qgis-check.log)"
set +e
QT_QPA_PLATFORM=offscreen "$py" "$here/qgis-check.py" --base "$demo_base" --database-url "$demo_url" --out "$out" 2>&1 |
  grep -v -e '^QStandardPaths:' | tee "$out/qgis-check.log" | grep -v '^ok '
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || die "the QGIS checks failed (see test-artifacts/qgis/qgis-check.log)"
