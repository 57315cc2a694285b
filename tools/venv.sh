#!/usr/bin/env bash
# Create the project's virtualenv: tools/venv.sh PYTHON DIR
#
# Debian and Ubuntu ship Python without ensurepip, which `python3 -m venv` needs: it is in the
# package python3.X-venv. As root that package is installed with apt-get (tools/apt-ensure.sh);
# otherwise this stops and says exactly what to install.
set -euo pipefail

python=$1
dir=$2
die() { printf 'venv: ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 \
    || die "$python not found: install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get install python3 python3-venv), or name one with make PYTHON=/path/to/python3"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$python is Python $("$python" -c 'import platform; print(platform.python_version())'); the project needs 3.11 or newer (make PYTHON=/path/to/python3.11)"

if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    pkg="python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
    if [ "$(id -u)" -eq 0 ]; then
        "$(dirname "$0")/apt-ensure.sh" "$pkg"
    fi
    "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 \
        || die "$python cannot create a virtualenv (no ensurepip): install $pkg (Debian/Ubuntu: sudo apt-get install $pkg), then run make again"
fi

echo "==> creating the virtualenv $dir with $python" >&2
if ! "$python" -m venv "$dir"; then
    rm -rf "$dir"  # a half-made venv would look done to make
    die "$python -m venv $dir failed"
fi
