#!/usr/bin/env python3
"""A small COCO-format annotation file and what pycocotools makes of it, for the Swift COCO reader's tests.

Writes Tests/ImpastoFormatsTests/Fixtures/coco/
  instances.json   six images and their annotations in the three mask encodings COCO uses: polygons (several
                   parts, concave, fractional, reaching past the image's edge), uncompressed runs
                   (`iscrowd` 1 as COCO stores crowds) and compressed runs; categories person and dog
  expected.json    for every annotation, pycocotools' mask (`COCO.annToMask`) as compressed runs and its area;
                   and the images the greenScreen seed's filter keeps (1-2 people, no crowd, 20-70 % of the frame)

Run: scripts/dev-python.sh scripts/make_coco_fixture.py   (pycocotools 2.0.11 from PyPI, numpy)
"""
import json
import os

import numpy as np
import pycocotools
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "Tests/ImpastoFormatsTests/Fixtures/coco")


def disc(height, width, cx, cy, r):
    yy, xx = np.mgrid[0:height, 0:width]
    return ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).astype(np.uint8)


def uncompressed(mask):
    """COCO's uncompressed runs (column-major), as crowd annotations store them."""
    flat = np.asfortranarray(mask).flatten(order="F")
    counts, value, run = [], 0, 0
    for pixel in flat:
        if pixel != value:
            counts.append(run)
            run, value = 0, pixel
        run += 1
    counts.append(run)
    return {"size": list(mask.shape), "counts": counts}


def compressed(mask):
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {"size": list(mask.shape), "counts": rle["counts"].decode("ascii")}


def main():
    images = [{"id": i, "file_name": f"img{i}.jpg", "width": w, "height": h}
              for i, (w, h) in enumerate([(40, 30), (50, 40), (32, 32), (60, 45), (48, 36), (64, 48)], start=1)]
    annotations = []

    def add(image_id, category, segmentation, crowd=0):
        annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                            "segmentation": segmentation, "iscrowd": crowd, "area": 0, "bbox": [0, 0, 0, 0]})

    # 1: one person in two polygon parts (a concave body, a head reaching past the top edge), and a dog.
    add(1, 1, [[8.2, 28.7, 10.5, 12.1, 15.0, 18.4, 19.6, 9.9, 24.3, 18.0, 28.8, 11.7, 31.1, 28.9],
               [14.5, 2.0, 20.5, -3.5, 26.5, 2.0, 20.5, 8.25]])
    add(1, 2, [[1.0, 1.0, 6.0, 1.0, 6.0, 5.5, 1.0, 5.5]])
    # 2: one person as uncompressed runs (a disc), covering ~35 %.
    add(2, 1, compressed(disc(40, 50, 25, 20, 15)) | {"counts": uncompressed(disc(40, 50, 25, 20, 15))["counts"]})
    # 3: a person as compressed runs, and a crowd of people: the filter skips the image.
    add(3, 1, compressed(disc(32, 32, 16, 16, 9)))
    add(3, 1, uncompressed(disc(32, 32, 4, 4, 3)), crowd=1)
    # 4: two people, polygons, together ~30 %.
    add(4, 1, [[5.0, 44.0, 12.0, 10.0, 24.0, 10.0, 27.0, 44.0]])
    add(4, 1, [[33.0, 44.0, 38.0, 14.0, 50.0, 14.0, 55.5, 44.0]])
    # 5: three people: too many.
    for x in (4.0, 20.0, 36.0):
        add(5, 1, [[x, 35.0, x + 4.0, 8.0, x + 8.0, 35.0]])
    # 6: one small person: under 20 %.
    add(6, 1, [[30.0, 40.0, 32.0, 30.0, 35.0, 40.0]])

    dataset = {"images": images, "annotations": annotations,
               "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "dog"}]}
    os.makedirs(FOLDER, exist_ok=True)
    path = os.path.join(FOLDER, "instances.json")
    with open(path, "w") as file:
        json.dump(dataset, file)

    coco = COCO(path)
    masks = {}
    for annotation in coco.loadAnns(coco.getAnnIds()):
        mask = coco.annToMask(annotation)
        masks[annotation["id"]] = {"counts": compressed(mask)["counts"], "area": int(mask.sum())}
    kept = []
    for image in images:
        people = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]], catIds=[1], iscrowd=None))
        if not 1 <= len(people) <= 2 or any(p["iscrowd"] for p in people):
            continue
        union = np.zeros((image["height"], image["width"]), np.uint8)
        for person in people:
            union |= coco.annToMask(person)
        share = union.sum() / union.size
        if 0.2 <= share <= 0.7:
            kept.append({"image": image["id"], "area": int(union.sum())})
    with open(os.path.join(FOLDER, "expected.json"), "w") as file:
        json.dump({"pycocotools": pycocotools.__version__ if hasattr(pycocotools, "__version__") else "2.0.11",
                   "numpy": np.__version__, "masks": masks, "person_images": kept}, file, indent=1)
        file.write("\n")
    print(len(annotations), "annotations;", "kept", kept)


if __name__ == "__main__":
    main()
