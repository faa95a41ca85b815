#!/usr/bin/env python3
"""Issue 8 point 5: do Artisto's two extra training losses do what the seed says, with real weights?

Compares TransformerNet models trained the same way except for one loss (same style, photos, seed and
iteration count; README's "Fast style" section has the commands):

  stability   MSE (0-255 pixel units) between the stylization of a photo and of the photo plus Gaussian noise
              (sigma 10, fixed seed), on photos the training never saw. Lower: the net ignores sensor noise,
              which is what keeps video steady. (Artisto: noise during training.)
  warping     `impasto flicker`'s warping error (Lai et al. 2018) of `impasto video --model` on a clip: a 3 s
              ffmpeg pan and zoom over a real photo (no real footage ships on PyPI). Lower is steadier.
  flat        texture energy in flat regions: the mean squared Laplacian of the stylization's luminance (0-255)
              where the photo's own local contrast is low (Sobel magnitude of the blurred photo below its 25th
              percentile). Lower: less texture painted on walls, sky and skin. (Artisto: the heatmap loss.)

    scripts/dev-python.sh scripts/measure_artisto_claims.py NAME=model.safetensors ... [--impasto BIN] [--out DIR]

Needs numpy and Pillow (the dev venv has both) and ffmpeg. With --out, writes each model's stylizations there.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = ["Examples/images/astronaut.png", "Examples/images/chelsea.png"]
SIZE = 384


def load(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


def luminance(rgb):
    return rgb @ np.array([0.299, 0.587, 0.114])


def box_blur(plane, radius=2):
    padded = np.pad(plane, radius, mode="edge")
    out = np.zeros_like(plane)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out += padded[dy:dy + plane.shape[0], dx:dx + plane.shape[1]]
    return out / (2 * radius + 1) ** 2


def sobel_magnitude(plane):
    p = np.pad(plane, 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return np.hypot(gx, gy)


def laplacian(plane):
    p = np.pad(plane, 1, mode="edge")
    return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * plane


def apply(impasto, model, source, destination):
    subprocess.run([impasto, "apply", source, "--model", model, "--size", str(SIZE), "-o", destination, "--quiet"],
                   check=True)
    return load(destination)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="NAME=model.safetensors")
    parser.add_argument("--impasto", default=os.path.join(ROOT, ".build/release/impasto"))
    parser.add_argument("--out")
    arguments = parser.parse_args()
    work = tempfile.mkdtemp()
    # The photos at the size the models see them, and their noisy copies (PNG: no JPEG rounding on top).
    photos = {}
    generator = np.random.default_rng(0)
    for path in PHOTOS:
        name = os.path.splitext(os.path.basename(path))[0]
        image = Image.open(os.path.join(ROOT, path)).convert("RGB")
        scale = SIZE / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
        clean = os.path.join(work, name + ".png")
        image.save(clean)
        noisy = np.clip(np.asarray(image, dtype=np.float64) + generator.normal(0, 10, (image.height, image.width, 3)), 0, 255)
        Image.fromarray(noisy.round().astype(np.uint8)).save(os.path.join(work, name + "-noisy.png"))
        photos[name] = clean
    clip = os.path.join(work, "clip.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", os.path.join(ROOT, "Examples/images/tubingen.jpg"),
                    "-vf", "scale=1280:-2,zoompan=z='zoom+0.004':x='iw/2-(iw/zoom/2)+on*2':d=75:s=320x240:fps=25",
                    "-frames:v", "75", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", clip], check=True)

    rows = []
    for spec in arguments.models:
        name, model = spec.split("=", 1)
        stability, flat = [], []
        for photo, clean in photos.items():
            styled = apply(arguments.impasto, model, clean, os.path.join(work, f"{name}-{photo}.png"))
            noisy = apply(arguments.impasto, model, clean.replace(".png", "-noisy.png"), os.path.join(work, f"{name}-{photo}-noisy.png"))
            stability.append(np.mean((styled - noisy) ** 2))
            contrast = sobel_magnitude(box_blur(luminance(load(clean))))
            mask = contrast < np.percentile(contrast, 25)
            flat.append(np.mean(laplacian(luminance(styled))[mask] ** 2))
            if arguments.out:
                os.makedirs(arguments.out, exist_ok=True)
                Image.fromarray(styled.astype(np.uint8)).save(os.path.join(arguments.out, f"{name}-{photo}.png"))
        video = os.path.join(work, f"{name}.mp4")
        subprocess.run([arguments.impasto, "video", clip, "--model", model, "-o", video, "--quiet"], check=True)
        flicker = json.loads(subprocess.run([arguments.impasto, "flicker", clip, video, "--json"], check=True,
                                            capture_output=True, text=True).stdout)["warping_error"]
        rows.append((name, float(np.mean(stability)), flicker, float(np.mean(flat))))
        print(f"{name}: stability MSE {rows[-1][1]:.1f}, warping error {flicker:.6f}, flat-region texture {rows[-1][3]:.1f}",
              file=sys.stderr)
    print("| model | noise stability (MSE, lower is steadier) | warping error on the clip | texture energy in flat regions |")
    print("| --- | --- | --- | --- |")
    for name, stability, flicker, flat in rows:
        print(f"| {name} | {stability:.1f} | {flicker:.6f} | {flat:.1f} |")


if __name__ == "__main__":
    main()
