#!/usr/bin/env bash
# Installs the Debian 12 packages tunekit needs (listed in cmake/debian-packages.txt).
#   cmake/install-deps.sh            # as root, or through sudo when not root
# (plus Debian's nodejs and npm when no npm is on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps.sh: run me as root (or install sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"

# npm, for the manifest-validation test's pinned kubernetes-models package
# (installed by the tests themselves, tests/cmake/services.cmake). Debian's
# nodejs and npm only where no npm is on PATH: a machine with its own Node.js
# keeps it.
if ! command -v npm >/dev/null 2>&1; then
  "${as_root[@]}" apt-get install -y -q --no-install-recommends nodejs npm
fi
