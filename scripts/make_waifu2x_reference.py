"""Reference results of waifu2x's own implementation (PyPI's waifu2x==2024.0.1, Chainer 7.8.1, NumPy 1.26.4,
Pillow 10.4.0, on the CPU) for Impasto's waifu2x parity tests and README numbers.

    scripts/waifu2x-python.sh scripts/make_waifu2x_reference.py fixtures
    scripts/waifu2x-python.sh scripts/make_waifu2x_reference.py photos OUT_DIR [PHOTO...]
    scripts/waifu2x-python.sh scripts/make_waifu2x_reference.py compare REFERENCE.png IMPASTO.png
    scripts/waifu2x-python.sh scripts/make_waifu2x_reference.py ycbcr

`fixtures` writes Tests/ImpastoStudioTests/Fixtures/waifu2x/: for each case a crop of a real photo
(`<case>-input.png`), waifu2x's result (`<case>-expected.png`) and waifu2x-reference.json (the cases, their
options and the versions). The cases use small tiles (--block_size 32) so that the tiling and its edges are
exercised, and cover every architecture, RGB and Y, scaling, denoising, both together, and two passes; and the
picture modes waifu2x treats apart: RGBA and LA (a real cut-out: the astronaut crop of
Tests/ImpastoMediaTests/Fixtures/cutout with pymatting's closed-form alpha, 15 % of it fully transparent), whose
colour under the transparent pixels waifu2x fills in (`alpha_make_border`) and whose alpha it runs through the
scaling net, and L (gray), which it processes as RGB and converts back to L when saving (`convert(src.mode)`).

`photos` runs waifu2x's default settings but with Impasto's default net (upconv7, 2×, RGB, block 128, no TTA)
on whole photos and writes `<name>-waifu2x.png` and the seconds each took (one run, models loaded included;
`impasto-bench upscale` times properly) to OUT_DIR/timings.json. `compare` prints the largest difference in 8-bit levels, the share of samples
that differ and the PSNR between two pictures. `ycbcr` measures how often Impasto's rounding of the exact
YCbCr formulas differs from Pillow's fixed-point conversion, and its gray from Pillow's `convert("L")`, over all
2^24 colours.

waifu2x's package is driven through its own functions (load_models, upscale_image, denoise_image) with the
arguments its command line would pass; its `run` is not called because it parses sys.argv.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

import numpy as np
from PIL import Image

import waifu2x
from waifu2x import srcnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/waifu2x")
ARCHS = {"vgg7": "VGG7", "upconv7": "UpConv7", "resnet10": "ResNet10", "upresnet10": "UpResNet10"}

CUTOUT = os.path.join(ROOT, "Tests/ImpastoMediaTests/Fixtures/cutout")
GRAY = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/camera.png")

# name, architecture, scale, noise level (None: no denoising), colour, block size, photo, crop (x, y, w, h), and
# the mode of the input (RGB unless given)
CASES = [
    ("upconv7-scale", "upconv7", 2, None, "rgb", 32, "chelsea.png", (150, 60, 40, 36)),
    ("upconv7-noise1-scale", "upconv7", 2, 1, "rgb", 32, "chelsea.png", (150, 60, 40, 36)),
    ("upconv7-scale4", "upconv7", 4, None, "rgb", 32, "tubingen.jpg", (200, 150, 20, 18)),
    ("upconv7-noise2", "upconv7", 1, 2, "rgb", 32, "tubingen.jpg", (200, 150, 40, 36)),
    ("upresnet10-scale", "upresnet10", 2, None, "rgb", 128, "astronaut.png", (180, 80, 40, 36)),
    ("upresnet10-noise3-scale", "upresnet10", 2, 3, "rgb", 32, "astronaut.png", (180, 80, 40, 36)),
    ("vgg7-scale", "vgg7", 2, None, "rgb", 32, "chelsea.png", (150, 60, 40, 36)),
    ("vgg7-noise2", "vgg7", 1, 2, "rgb", 32, "tubingen.jpg", (200, 150, 40, 36)),
    ("vgg7-scale-y", "vgg7", 2, None, "y", 32, "chelsea.png", (150, 60, 40, 36)),
    ("resnet10-scale", "resnet10", 2, None, "rgb", 32, "astronaut.png", (180, 80, 40, 36)),
    ("resnet10-noise0-scale", "resnet10", 2, 0, "rgb", 32, "tubingen.jpg", (200, 150, 40, 36)),
    ("upconv7-scale-rgba", "upconv7", 2, None, "rgb", 32, "cutout", (0, 0, 64, 56), "RGBA"),
    ("upconv7-noise1-scale-rgba", "upconv7", 2, 1, "rgb", 32, "cutout", (0, 0, 64, 56), "RGBA"),
    ("vgg7-scale-y-rgba", "vgg7", 2, None, "y", 32, "cutout", (0, 0, 64, 56), "RGBA"),
    ("resnet10-noise0-scale-la", "resnet10", 2, 0, "rgb", 32, "cutout", (8, 0, 48, 40), "LA"),
    ("upconv7-scale-gray", "upconv7", 2, None, "rgb", 32, "camera", (120, 60, 40, 36), "L"),
    ("vgg7-noise2-gray", "vgg7", 1, 2, "rgb", 32, "camera", (120, 60, 40, 36), "L"),
    ("vgg7-scale-y-gray", "vgg7", 2, None, "y", 32, "camera", (120, 60, 40, 36), "L"),
]


def arguments(arch, scale, noise, color, block):
    method = "scale" if noise is None else ("noise" if scale == 1 else "noise_scale")
    return argparse.Namespace(arch=ARCHS[arch], method=method, noise_level=0 if noise is None else noise,
                              color=color, model_dir=None, gpu=-1, scale_ratio=float(scale), tta=False,
                              tta_level=8, block_size=block, batch_size=16)


def run_waifu2x(source, args):
    """What waifu2x's `run` does to one image, minus the file handling: the result is converted back to the
    input's mode before saving (a gray picture comes out gray)."""
    models = waifu2x.load_models(args)
    image = source
    if "noise_scale" in models:
        image = waifu2x.upscale_image(args, image, models["noise_scale"], models["alpha"], should_print=False)
    else:
        if "noise" in models:
            image = waifu2x.denoise_image(args, image, models["noise"], should_print=False)
        if "scale" in models:
            image = waifu2x.upscale_image(args, image, models["scale"], should_print=False)
    return image.convert(source.mode)


def source_picture(photo, mode):
    """The whole picture a case crops: a photo of Examples/images as RGB, the cut-out astronaut as RGBA or LA
    (its alpha pymatting's float32 estimate rounded to 8 bits), or scikit-image's gray camera."""
    if photo == "camera":
        return Image.open(GRAY).convert(mode)
    if photo == "cutout":
        rgb = Image.open(os.path.join(CUTOUT, "photo.png")).convert("RGB")
        alpha = np.fromfile(os.path.join(CUTOUT, "alpha-cf.f32"), dtype="<f4").reshape(rgb.size[1], rgb.size[0])
        rgba = rgb.copy()
        rgba.putalpha(Image.fromarray(np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8), "L"))
        return rgba.convert(mode)
    return Image.open(os.path.join(ROOT, "Examples/images", photo)).convert(mode)


def versions():
    return {name: importlib.metadata.version(name) for name in ("waifu2x", "chainer", "numpy", "pillow")}


def fixtures():
    os.makedirs(FIXTURES, exist_ok=True)
    manifest = {"versions": versions(), "cases": []}
    for name, arch, scale, noise, color, block, photo, (x, y, w, h), *rest in CASES:
        mode = rest[0] if rest else "RGB"
        crop = source_picture(photo, mode).crop((x, y, x + w, y + h))
        crop.save(os.path.join(FIXTURES, f"{name}-input.png"))
        result = run_waifu2x(crop, arguments(arch, scale, noise, color, block))
        result.save(os.path.join(FIXTURES, f"{name}-expected.png"))
        manifest["cases"].append({"name": name, "model": arch, "scale": scale, "noise": noise, "color": color,
                                  "blockSize": block, "photo": photo, "crop": [x, y, w, h],
                                  "mode": mode, "outputSize": list(result.size)})
        print(name, mode, result.mode, result.size)
    with open(os.path.join(FIXTURES, "waifu2x-reference.json"), "w") as file:
        json.dump(manifest, file, indent=1)
        file.write("\n")


def photos(out, paths):
    os.makedirs(out, exist_ok=True)
    args = arguments("upconv7", 2, None, "rgb", 128)
    timings = {}
    for path in paths:
        image = Image.open(path).convert("RGB")
        name = os.path.splitext(os.path.basename(path))[0]
        start = time.perf_counter()
        result = run_waifu2x(image, args)
        seconds = time.perf_counter() - start
        result.save(os.path.join(out, f"{name}-waifu2x.png"))
        timings[name] = {"size": list(image.size), "seconds": seconds}
        print(name, image.size, f"{seconds:.2f} s", flush=True)
    with open(os.path.join(out, "timings.json"), "w") as file:
        json.dump({"versions": versions(), "threads": os.environ.get("OMP_NUM_THREADS"), "photos": timings}, file,
                  indent=1)


def compare(reference, candidate):
    a = np.asarray(Image.open(reference).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(candidate).convert("RGB"), dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    diff = np.abs(a - b)
    mse = np.mean(diff ** 2)
    psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    print(json.dumps({"max_abs_diff_levels": int(diff.max()), "differing_share": float(np.mean(diff > 0)),
                      "psnr_db": psnr}))


def ycbcr():
    """Impasto's fixed-point YCbCr (Sources/ImpastoStudio/Upscale/PillowYCbCr.swift) against Pillow's."""
    values = np.arange(1 << 24, dtype=np.uint32)
    triples = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=1).astype(np.uint8)
    image = Image.fromarray(triples.reshape(4096, 4096, 3))

    def fixed(coefficient, value):
        scaled = coefficient * 64 * value.astype(np.float64)
        return (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64)

    r, g, b = (triples[:, i] for i in range(3))
    pil = np.asarray(image.convert("YCbCr")).reshape(-1, 3).astype(np.int64)
    ours = np.stack([fixed(.299, r) + fixed(.587, g) + fixed(.114, b) >> 6,
                     (fixed(-.168736, r) + fixed(-.331264, g) + fixed(.5, b) >> 6) + 128,
                     (fixed(.5, r) + fixed(-.418688, g) + fixed(-.081312, b) >> 6) + 128], axis=1)
    print("RGB→YCbCr: share of colours differing (Y, Cb, Cr)", np.mean(ours != pil, axis=0),
          "largest difference", np.abs(ours - pil).max())
    back = np.asarray(Image.fromarray(triples.reshape(4096, 4096, 3), mode="YCbCr").convert("RGB")).reshape(-1, 3)
    y, cb, cr = triples[:, 0].astype(np.int64), triples[:, 1].astype(np.int64) - 128, triples[:, 2].astype(np.int64) - 128
    ours = np.clip(np.stack([y + (fixed(1.402, cr) >> 6), y + (fixed(-.344136, cb) + fixed(-.714136, cr) >> 6),
                             y + (fixed(1.772, cb) >> 6)], axis=1), 0, 255)
    print("YCbCr→RGB: share of triples differing (R, G, B)", np.mean(ours != back.astype(np.int64), axis=0),
          "largest difference", np.abs(ours - back.astype(np.int64)).max())
    # Pillow's convert("L"), with which waifu2x writes a gray picture's result back (PillowYCbCr.gray).
    gray = np.asarray(image.convert("L")).reshape(-1).astype(np.int64)
    ours = (19595 * r.astype(np.int64) + 38470 * g.astype(np.int64) + 7471 * b.astype(np.int64) + 0x8000) >> 16
    print("RGB→L: share of colours differing", np.mean(ours != gray))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    if command == "fixtures":
        fixtures()
    elif command == "photos":
        photos(sys.argv[2], sys.argv[3:] or [os.path.join(ROOT, "Examples/images", name) for name in (
            "astronaut.png", "chelsea.png", "tubingen.jpg", "shipwreck.jpg", "woman-with-hat-matisse.jpg")])
    elif command == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif command == "ycbcr":
        ycbcr()
    else:
        sys.exit(f"unknown command {command}")
