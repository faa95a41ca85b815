#!/usr/bin/env bash
# Runs a dev-time ONNX check in its own virtual environment: onnx 1.23 needs protobuf ≥ 6, mediapipe 0.10.14
# (in scripts/dev-python.sh's environment) needs protobuf < 5, so the two cannot share one.
#   scripts/dev-python-onnx.sh scripts/make_onnx_reference.py
set -euo pipefail
venv="${IMPASTO_DEV_ONNX_VENV:-$HOME/.cache/impasto-dev/onnx-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q onnx==1.23.2 onnxruntime==1.32.0 numpy pillow safetensors
fi
exec "$venv/bin/python" "$@"
