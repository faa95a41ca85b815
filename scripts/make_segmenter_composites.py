"""Composites people (with masks from `impasto cutout --mask-only`) onto face-free backgrounds for
`impasto train-segmenter`. Geometry: a random square crop of the background (flipped half the time), the person
45-95 % of the side tall at a random place (standing on the bottom edge half the time), flipped left-right half
the time. With augmentation (training), colour too: the person's brightness, contrast and saturation ×0.6-1.4
each, then the whole picture's brightness and contrast ×0.7-1.3, and a quarter of the pictures gray. `plain`
(the held-out set) keeps the geometry and leaves the colours as photographed. Dev-time only (Pillow 10+, numpy);
the training itself reads the PNGs.

    scripts/dev-python.sh scripts/make_segmenter_composites.py OUT SIDE COUNT SEED PEOPLE_DIR p1,p2 bg1,bg2 [plain]

writes OUT/images/NNN.png and OUT/masks/NNN.png; the people are PEOPLE_DIR/<name>.png with PEOPLE_DIR/<name>-mask.png.
"""
import os
import random
import sys

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def jitter(image, rng, low, high, kinds):
    for kind in kinds:
        image = kind(image).enhance(rng.uniform(low, high))
    return image


def main():
    out, side, count, seed, people_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    people = [p for p in sys.argv[6].split(",") if p]
    backgrounds = [b for b in sys.argv[7].split(",") if b]
    augment = not (len(sys.argv) > 8 and sys.argv[8] == "plain")
    rng = random.Random(seed)
    os.makedirs(f"{out}/images", exist_ok=True)
    os.makedirs(f"{out}/masks", exist_ok=True)
    cut = []
    for name in people:
        photo = Image.open(f"{people_dir}/{name}.png").convert("RGB")
        mask = Image.open(f"{people_dir}/{name}-mask.png").convert("L")
        box = mask.point(lambda v: 255 if v >= 128 else 0).getbbox()
        cut.append((photo.crop(box), mask.crop(box)))
    for index in range(count):
        background = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB")
        crop = rng.uniform(0.5, 1.0) * min(background.size)
        left, top = rng.uniform(0, background.width - crop), rng.uniform(0, background.height - crop)
        canvas = background.resize((side, side), Image.BILINEAR, box=(left, top, left + crop, top + crop))
        if rng.random() < 0.5:
            canvas = canvas.transpose(Image.FLIP_LEFT_RIGHT)
        photo, mask = cut[index % len(cut)]
        height = int(side * rng.uniform(0.45, 0.95))
        width = max(1, min(side, round(photo.width * height / photo.height)))
        photo, mask = photo.resize((width, height), Image.BILINEAR), mask.resize((width, height), Image.BILINEAR)
        if rng.random() < 0.5:
            photo, mask = photo.transpose(Image.FLIP_LEFT_RIGHT), mask.transpose(Image.FLIP_LEFT_RIGHT)
        if augment:
            photo = jitter(photo, rng, 0.6, 1.4, [ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color])
        hard = mask.point(lambda v: 255 if v >= 128 else 0)
        x, y = rng.randrange(side - width + 1), side - height if rng.random() < 0.5 else rng.randrange(side - height + 1)
        canvas.paste(photo, (x, y), hard)
        if augment:
            canvas = jitter(canvas, rng, 0.7, 1.3, [ImageEnhance.Brightness, ImageEnhance.Contrast])
            if rng.random() < 0.25:
                canvas = ImageOps.grayscale(canvas).convert("RGB")
        full = Image.new("L", (side, side), 0)
        full.paste(hard, (x, y))
        canvas.save(f"{out}/images/{index:03d}.png")
        full.save(f"{out}/masks/{index:03d}.png")
    share = np.mean([np.asarray(Image.open(f"{out}/masks/{i:03d}.png")) > 0 for i in range(count)])
    print(f"{count} composites of {side}² in {out}: person pixels {share:.1%}")


if __name__ == "__main__":
    main()
