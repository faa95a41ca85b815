#!/usr/bin/env bash
# Runs a dev-time script beside waifu2x's own Chainer implementation (PyPI's waifu2x==2024.0.1), in a venv of
# its own: waifu2x pins numpy < 2 and chainer 7.8.1, which the main dev venv (numpy 2, torch) cannot hold.
# chainer 7.8.1 is an sdist whose setup.py imports pkg_resources, gone from recent setuptools, hence the
# pinned setuptools and --no-build-isolation. Never needed at run time.
#   scripts/waifu2x-python.sh scripts/make_waifu2x_reference.py
set -euo pipefail
venv="${IMPASTO_WAIFU2X_VENV:-$HOME/.cache/impasto-dev/waifu2x-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import waifu2x.srcnn" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "setuptools<70" wheel "numpy==1.26.4" "pillow==10.4.0"
    "$venv/bin/pip" install -q --no-build-isolation chainer==7.8.1
    "$venv/bin/pip" install -q --no-deps waifu2x==2024.0.1
fi
exec "$venv/bin/python" "$@"
