#!/usr/bin/env python3
"""What facenet-pytorch 2.6.0's `MTCNN().detect(image, landmarks=True)` finds in a dozen real pictures.

Writes Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/: the pictures as PNG (lossless, so that Impasto decodes the
very pixels facenet-pytorch saw; a JPEG's pixels depend on the decoder) and reference.json with the boxes,
probabilities and landmarks per picture, and the versions used. Every picture is public domain or CC0, so small
copies are committed: they are made here from Examples/images (astronaut.png, NASA, public domain; the paintings,
public domain; chelsea.png, CC0; see Examples/images/ATTRIBUTION.md) and from three photos inside PyPI's
scikit-image 0.25.2 wheel (fetched with `pip download`, nothing installed): camera.png (CC0, Lav Varshney),
coffee.png (CC0, Rachel Michetti), rocket.jpg (SpaceX, public domain).

- astronaut.png is Examples/images/astronaut.png itself (512x512, one face); the others are made from the above:
- a smaller copy, a grayscale copy, one with the face cut by the image's left edge;
- camera: scikit-image's grayscale cameraman (a small face in profile);
- a cat, a cup of coffee, a rocket launch, two paintings without people (no face, or none that MTCNN sees);
- two paintings of people (The Scream, Woman with a Hat);
- group: the rocket photo with five pasted copies of the astronaut's head and shoulders and Matisse's woman,
  36 to 150 px wide (several faces of several sizes; the 36 px copy's face is under min_face_size);
- small-faces: the coffee photo with six copies of the astronaut's head 40 to 56 px wide (faces of about 14 to 20 px).

Resizing is Pillow's LANCZOS; pasting is plain copying. MTCNN runs with its defaults (min_face_size 20, thresholds
0.6/0.7/0.7, factor 0.709, select_largest), on the CPU in float32, one picture per call (facenet-pytorch batches
only equal sizes).

Run: scripts/dev-python.sh scripts/make_mtcnn_detect_reference.py
"""
import importlib.metadata
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image

from facenet_pytorch import MTCNN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "Examples/images")
OUT = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/mtcnn-detect")


SCIKIT_IMAGE = "scikit-image==0.25.2"


def example(name):
    return Image.open(os.path.join(EXAMPLES, name)).convert("RGB")


def scikit_image_photos(names):
    """The photos `skimage/data/<name>` from the scikit-image wheel on PyPI, as Pillow images."""
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--dest", scratch,
                        SCIKIT_IMAGE], check=True)
        wheel = [f for f in os.listdir(scratch) if f.endswith(".whl")][0]
        with zipfile.ZipFile(os.path.join(scratch, wheel)) as archive:
            return {name: Image.open(io.BytesIO(archive.read(f"skimage/data/{name}"))).copy() for name in names}


def fit(image, longest):
    """`image` scaled (LANCZOS) so that its longer side is `longest`."""
    scale = longest / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)


def pasted(background, pieces):
    """`background` with each (picture, width, (x, y)) pasted, scaled to that width."""
    canvas = background.copy()
    for picture, width, position in pieces:
        canvas.paste(picture.resize((width, round(picture.height * width / picture.width)), Image.LANCZOS), position)
    return canvas


def pictures():
    astronaut = example("astronaut.png")
    head = astronaut.crop((110, 0, 370, 300))  # head and shoulders, 260x300
    matisse = example("woman-with-hat-matisse.jpg")
    photos = scikit_image_photos(["camera.png", "coffee.png", "rocket.jpg"])
    coffee, rocket = photos["coffee.png"].convert("RGB"), photos["rocket.jpg"].convert("RGB")
    return {
        "astronaut-small.png": fit(astronaut, 200),
        "astronaut-gray.png": fit(astronaut, 256).convert("L"),
        "astronaut-edge.png": astronaut.crop((200, 0, 512, 312)).resize((240, 240), Image.LANCZOS),
        "camera.png": fit(photos["camera.png"], 320),
        "chelsea.png": fit(example("chelsea.png"), 300),
        "coffee.png": fit(coffee, 320),
        "rocket.png": fit(rocket, 320),
        "starry-night.png": fit(example("starry_night.jpg"), 320),
        "shipwreck.png": fit(example("shipwreck.jpg"), 320),
        "the-scream.png": fit(example("the_scream.jpg"), 320),
        "woman-with-hat.png": fit(matisse, 320),
        "group.png": pasted(fit(rocket, 480).resize((480, 320), Image.LANCZOS), [
            (head, 150, (10, 40)), (head, 100, (180, 20)), (matisse.crop((60, 40, 560, 640)), 110, (300, 30)),
            (head, 70, (420, 60)), (head, 50, (190, 200)), (head, 36, (260, 230))]),
        "small-faces.png": pasted(fit(coffee, 320), [
            (head, w, (10 + 52 * i, 40 + 60 * (i % 2))) for i, w in enumerate([56, 52, 48, 46, 44, 40])]),
    }


def faces(mtcnn, image):
    boxes, probs, points = mtcnn.detect(image.convert("RGB"), landmarks=True)
    if boxes is None:
        return []
    return [{"box": [float(v) for v in box], "probability": float(prob),
             "landmarks": [[float(x), float(y)] for x, y in point]}
            for box, prob, point in zip(boxes, probs, points)]


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    mtcnn = MTCNN(device="cpu").eval()
    # Paths are relative to the repository root.
    records = [{"file": "Examples/images/astronaut.png", "faces": faces(mtcnn, example("astronaut.png"))}]
    for name, picture in pictures().items():
        path = os.path.join(OUT, name)
        picture.save(path, optimize=True)
        # Detect on the file as saved, the bytes Impasto reads.
        records.append({"file": os.path.relpath(path, ROOT), "faces": faces(mtcnn, Image.open(path))})
    reference = {
        "generator": "scripts/make_mtcnn_detect_reference.py",
        "versions": {"facenet-pytorch": importlib.metadata.version("facenet-pytorch"),
                     "torch": torch.__version__, "torchvision": torchvision.__version__, "numpy": np.__version__,
                     "pillow": PIL.__version__, "scikit-image (photos only)": SCIKIT_IMAGE.split("==")[1], "python": sys.version.split()[0]},
        "options": {"min_face_size": 20, "thresholds": [0.6, 0.7, 0.7], "factor": 0.709, "select_largest": True},
        "images": records,
    }
    with open(os.path.join(OUT, "reference.json"), "w") as file:
        json.dump(reference, file, indent=1)
    for record in records:
        print(f"{record['file']}: {len(record['faces'])} faces",
              [round(face["probability"], 4) for face in record["faces"]])


if __name__ == "__main__":
    main()
