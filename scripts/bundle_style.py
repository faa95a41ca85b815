#!/usr/bin/env python3
"""Turns a model written by `impasto train` into a bundled style: float16 safetensors (half the size; the
stylizations differ from float32's by at most a few pixel levels, see the README) with the training command,
the style's title and licence in its metadata, written to Sources/ImpastoStudio/Styles/NAME.safetensors.

    scripts/dev-python.sh scripts/bundle_style.py MODEL.safetensors NAME --title "…" --command "impasto train …"
"""
import argparse
import os

import numpy as np
from safetensors.numpy import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("name")
    parser.add_argument("--title", required=True, help="the painting, e.g. 'Vincent van Gogh, The Starry Night (1889)'")
    parser.add_argument("--command", required=True, help="the exact impasto train command")
    arguments = parser.parse_args()
    tensors = load_file(arguments.model)
    half = {}
    for key, value in tensors.items():
        if not np.all(np.isfinite(value)) or np.max(np.abs(value)) >= 65504:
            raise SystemExit(f"{key} does not fit float16")
        half[key] = value.astype(np.float16)
    destination = os.path.join(ROOT, "Sources/ImpastoStudio/Styles", arguments.name + ".safetensors")
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    save_file(half, destination, metadata={"style": arguments.title, "training_command": arguments.command,
                                           "format": "TransformerNet (pytorch/examples fast_neural_style keys), float16"})
    print(f"{destination}: {os.path.getsize(destination)} bytes")


if __name__ == "__main__":
    main()
