#!/usr/bin/env python3
"""What mediapipe 0.10.14's short-range face detector (BlazeFace) finds in the MTCNN detection pictures.

    scripts/dev-python.sh scripts/make_blazeface_reference.py

Reads the pictures of Tests/ImpastoStudioTests/Fixtures/mtcnn-detect (made by make_mtcnn_detect_reference.py from
public-domain and CC0 photos and paintings: one face, several faces of several sizes, gray, a face cut by the
edge, no face), Examples/images/astronaut.png, and two pictures made here because the short-range model finds
only the largest face of group.png: trio.png (three copies of the astronaut's face and hair, 120, 110 and 100 px wide, on
Examples/images/tubingen.jpg, 360×240: letterboxed above and below) and pair-tall.png (two copies, 110 and 96 px,
on The Starry Night, 200×300: letterboxed left and right); Pillow LANCZOS resizing, plain pasting; both are public
domain like their sources (Examples/images/ATTRIBUTION.md). Writes Tests/ImpastoStudioTests/Fixtures/blazeface/:

- reference.json: versions; per picture what `mp.solutions.face_detection.FaceDetection(model_selection=0,
  min_detection_confidence=0.5).process` returns, in pixels (box [x1, y1, x2, y2] = relative box times the
  picture's size, score, six keypoints), and a checksum of the graph's own 128×128 input tensor as bytes
  (`k = (v + 1) · 127.5`; "sum" Σk and "weighted" Σ k·(i mod 9973 + 1) over the HWC order), which checks the
  letterboxed warp on every picture without committing the tensors.
- trio.png, pair-tall.png: the pictures made here.
- raw.safetensors, for trio.png only: the graph's input as bytes ("input", uint8 [128, 128, 3]) and the model's
  two outputs ("regressors" [896, 16], "classificators" [896], float32), which check the interpreter alone.

The graph input and outputs come from a MediaPipe graph with the nodes face_detection.pbtxt uses
(ImageToTensorCalculator with keep_aspect_ratio, range [-1, 1], zero border; InferenceCalculator with XNNPACK, as
the solution's options ask), its outputs split and turned into floats.
"""
import importlib.metadata
import json
import os

import mediapipe as mp
import numpy as np
from mediapipe.python._framework_bindings import resource_util
from PIL import Image
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PICTURES = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/mtcnn-detect")
OUT = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/blazeface")
EXAMPLES = os.path.join(ROOT, "Examples/images")
RAW_PICTURE = "trio.png"

GRAPH = """
input_stream: "image"
output_stream: "input_floats"
output_stream: "regressors"
output_stream: "classificators"
node { calculator: "ImageToTensorCalculator" input_stream: "IMAGE:image" output_stream: "TENSORS:input_tensors"
  options { [mediapipe.ImageToTensorCalculatorOptions.ext] { output_tensor_width: 128 output_tensor_height: 128
    keep_aspect_ratio: true output_tensor_float_range { min: -1 max: 1 } border_mode: BORDER_ZERO } } }
node { calculator: "InferenceCalculator" input_stream: "TENSORS:input_tensors" output_stream: "TENSORS:output_tensors"
  options { [mediapipe.InferenceCalculatorOptions.ext] {
    model_path: "mediapipe/modules/face_detection/face_detection_short_range.tflite" delegate { xnnpack {} } } } }
node { calculator: "SplitTensorVectorCalculator" input_stream: "output_tensors"
  output_stream: "regressor_tensor" output_stream: "classificator_tensor"
  options { [mediapipe.SplitVectorCalculatorOptions.ext] { ranges { begin: 0 end: 1 } ranges { begin: 1 end: 2 } } } }
node { calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:regressor_tensor" output_stream: "FLOATS:regressors" }
node { calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:classificator_tensor" output_stream: "FLOATS:classificators" }
node { calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:input_tensors" output_stream: "FLOATS:input_floats" }
"""


def run_graph(pixels):
    outputs = {}
    graph = mp.CalculatorGraph(graph_config=GRAPH)
    for name in ["input_floats", "regressors", "classificators"]:
        graph.observe_output_stream(name, lambda stream, packet: outputs.__setitem__(
            stream, np.array(mp.packet_getter.get_float_list(packet), np.float32)))
    graph.start_run()
    frame = mp.packet_creator.create_image_frame(image_format=mp.ImageFormat.SRGB, data=pixels)
    graph.add_packet_to_input_stream("image", frame.at(0))
    graph.close()
    input_bytes = np.rint((outputs["input_floats"].astype(np.float64) + 1) * 127.5)
    assert np.abs((input_bytes * (2 / 255) - 1) - outputs["input_floats"]).max() < 1e-6, "input is not 8-bit values"
    return (input_bytes.astype(np.uint8).reshape(128, 128, 3), outputs["regressors"].reshape(896, 16),
            outputs["classificators"].reshape(896))


def checksum(input_bytes):
    values = input_bytes.reshape(-1).astype(np.int64)
    return {"sum": int(values.sum()), "weighted": int((values * (np.arange(values.size) % 9973 + 1)).sum())}


def detect(pixels):
    height, width = pixels.shape[:2]
    with mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as detector:
        result = detector.process(pixels)
    faces = []
    for detection in result.detections or []:
        box = detection.location_data.relative_bounding_box
        faces.append({
            "box": [box.xmin * width, box.ymin * height, (box.xmin + box.width) * width,
                    (box.ymin + box.height) * height],
            "score": detection.score[0],
            "keypoints": [[point.x * width, point.y * height] for point in detection.location_data.relative_keypoints],
        })
    return faces


def made_pictures():
    def example(name):
        return Image.open(os.path.join(EXAMPLES, name)).convert("RGB")

    def pasted(background, size, pieces):
        canvas = background.resize(size, Image.LANCZOS)
        for width, position in pieces:
            canvas.paste(head.resize((width, round(head.height * width / head.width)), Image.LANCZOS), position)
        return canvas

    head = example("astronaut.png").crop((150, 30, 300, 210))  # the face and hair, 150×180
    return {"trio.png": pasted(example("tubingen.jpg"), (360, 240), [(120, (5, 50)), (110, (130, 10)), (100, (250, 90))]),
            "pair-tall.png": pasted(example("starry_night.jpg"), (200, 300), [(110, (10, 10)), (96, (95, 165))])}


def main():
    resource_util.set_resource_dir(os.path.dirname(os.path.dirname(mp.__file__)))
    os.makedirs(OUT, exist_ok=True)
    report = {"generator": "scripts/make_blazeface_reference.py",
              "versions": {name: importlib.metadata.version(name) for name in ["mediapipe", "numpy", "pillow"]},
              "options": {"model_selection": 0, "min_detection_confidence": 0.5}, "images": []}
    for name, picture in made_pictures().items():
        picture.save(os.path.join(OUT, name), optimize=True)
    files = [os.path.join(EXAMPLES, "astronaut.png"), os.path.join(OUT, "trio.png"), os.path.join(OUT, "pair-tall.png")]
    files += sorted(os.path.join(PICTURES, name) for name in os.listdir(PICTURES) if name.endswith(".png"))
    for path in files:
        name = os.path.basename(path)
        pixels = np.asarray(Image.open(path).convert("RGB"))
        input_bytes, regressors, classificators = run_graph(pixels)
        faces = detect(pixels)
        report["images"].append({"file": os.path.relpath(path, ROOT),
                                 "input": checksum(input_bytes), "faces": faces})
        print(name, pixels.shape[:2], len(faces), "faces", [round(face["score"], 4) for face in faces])
        if name == RAW_PICTURE:
            save_file({"input": input_bytes, "regressors": regressors, "classificators": classificators},
                      os.path.join(OUT, "raw.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as file:
        json.dump(report, file, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
