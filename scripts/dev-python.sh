#!/usr/bin/env bash
# Runs a dev-time reference script in a virtual environment holding the exact reference versions.
# Never needed at run time; the fixtures these scripts produce are committed.
#   scripts/dev-python.sh scripts/make_mtcnn_reference.py
set -euo pipefail
venv="${IMPASTO_DEV_VENV:-$HOME/.cache/impasto-dev/venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q torch==2.15.0 torchvision==0.29.2 safetensors numpy pillow requests tqdm
    "$venv/bin/pip" install -q --no-deps facenet-pytorch==2.6.0
fi
# neural-style-pt (scripts/make_neural_style_reference.py); outside the block above so existing venvs get it too.
[ -x "$venv/bin/neural-style" ] || "$venv/bin/pip" install -q --no-deps neural-style==0.5.7
exec "$venv/bin/python" "$@"
