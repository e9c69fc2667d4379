#!/usr/bin/env bash
# Installs the Debian packages listed in tools/packages.txt. Safe to run
# again: apt-get skips what is already installed, and the package index is
# refreshed only when a package is missing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t packages < <(grep -v -e '^#' -e '^$' "$here/packages.txt")

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: run as root to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
