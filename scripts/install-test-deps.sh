#!/usr/bin/env bash
# Installs what the tests need beyond PostGIS: GDAL (the OGC API and MVT clients the tests
# use as independent readers), osmium (independent OSM counts), Chromium (browser tests and
# PDF reports), wrk (load benchmarks) and a CJK font. Idempotent.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
apt_install gdal-bin osmium-tool chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils wrk
