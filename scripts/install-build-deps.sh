#!/usr/bin/env bash
# Installs what building cityreach needs beyond Go and Node: a C compiler, zlib (the OSM
# PBF reader inflates blocks through cgo zlib) and GEOS (the
# geometry engine PostGIS uses; cityreach links it through github.com/twpayne/go-geos for
# in-process coverage computations), and the Noto CJK font the frontend build cuts into
# glyph ranges for Chinese map labels. Idempotent.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
apt_install gcc libc6-dev libgeos-dev zlib1g-dev pkg-config fonts-noto-cjk
