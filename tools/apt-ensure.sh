#!/usr/bin/env bash
# Make sure the given Debian packages are installed: tools/apt-ensure.sh PKG...
# Installs the missing ones when running as root; otherwise, or when apt-get
# fails (no network), it only warns: the tests that need them will say so.
set -euo pipefail

missing=()
for pkg in "$@"; do
    # `dpkg -s` also knows removed-but-configured packages: require "install ok installed".
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$pkg")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "apt-ensure: WARNING: missing Debian packages: ${missing[*]} (install them: sudo apt-get install ${missing[*]})" >&2
    exit 0
fi

echo "apt-ensure: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Package lists may be missing or stale on a fresh machine: update and retry once.
if ! apt-get install -y -q "${missing[@]}" >&2; then
    apt-get update -q >&2 || true
    apt-get install -y -q "${missing[@]}" >&2 \
        || echo "apt-ensure: WARNING: could not install ${missing[*]}" >&2
fi
exit 0
