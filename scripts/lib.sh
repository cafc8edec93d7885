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
