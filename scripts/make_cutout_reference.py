"""Reference values for the cutout's image algorithms (CutoutAlgorithmTests in ImpastoMediaTests).

    scripts/dev-python.sh scripts/make_cutout_reference.py

Installs pymatting==1.1.16 into the dev venv when it is missing. Takes a 64×56 crop of the astronaut photo
(Tests/ImpastoModelsTests/Fixtures/selfie/astronaut.png, 263×263) across the edge of her hair, and MediaPipe's
mask of it (selfie-reference.safetensors, general model, > 0.5), and writes to
Tests/ImpastoMediaTests/Fixtures/cutout/:

- photo.png: the crop (RGB, 8 bits).
- mask.f32: that mask, 0 or 1 (float32 row-major).
- trimap.png: the mask's foreground and background each eroded by a 5×5 square (SciPy), unknown = 128.
- guided-r<r>-e<eps>.f32: the colour guided filter (He, Sun, Tang 2013, the paper's MATLAB definitions:
  windows clipped at the edges, means over the pixels inside) of the 0/1 mask guided by the photo, written
  here in numpy from the paper's equations, float32 row-major.
- alpha-cf.f32: pymatting's estimate_alpha_cf(photo, trimap) (float32 row-major).
- foreground-ml.f32, background-ml.f32: pymatting's estimate_foreground_ml(photo, alpha-cf,
  return_background=True), planar (channel, row, column).
- cutout-reference.json: versions, sizes and the CG iterations pymatting's default solver took.
"""
import importlib.metadata
import json
import os
import subprocess
import sys

PYMATTING = "pymatting==1.1.16"


def ensure_pymatting():
    try:
        if importlib.metadata.version("pymatting") == PYMATTING.split("==")[1]:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYMATTING], check=True)


ensure_pymatting()

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.ndimage  # noqa: E402
from PIL import Image  # noqa: E402
from pymatting import estimate_alpha_cf, estimate_foreground_ml  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELFIE = os.path.join(ROOT, "Tests/ImpastoModelsTests/Fixtures/selfie")
OUT = os.path.join(ROOT, "Tests/ImpastoMediaTests/Fixtures/cutout")
# (left, top, width, height): the top of the astronaut's hair against the background.
CROP = (96, 8, 64, 56)
GUIDED = [(2, 1e-2), (4, 1e-3), (8, 1e-4)]


def box_mean(plane, r):
    """Means over (2r+1)² windows clipped to the image (the MATLAB code's boxfilter(x, r) ./ N)."""
    h, w = plane.shape
    table = np.zeros((h + 1, w + 1))
    table[1:, 1:] = plane.cumsum(0).cumsum(1)
    y0 = np.clip(np.arange(h) - r, 0, h)[:, None]
    y1 = np.clip(np.arange(h) + r + 1, 0, h)[:, None]
    x0 = np.clip(np.arange(w) - r, 0, w)[None, :]
    x1 = np.clip(np.arange(w) + r + 1, 0, w)[None, :]
    total = table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]
    return total / ((y1 - y0) * (x1 - x0))


def guided_filter(guide, p, r, eps):
    """The colour guided filter: per window a = (Σ + εU)⁻¹ cov(I, p), b = mean(p) − aᵀ mean(I); q = mean(a)ᵀ I + mean(b)."""
    h, w, _ = guide.shape
    mean_i = np.stack([box_mean(guide[..., c], r) for c in range(3)], -1)
    mean_p = box_mean(p, r)
    cov_ip = np.stack([box_mean(guide[..., c] * p, r) for c in range(3)], -1) - mean_i * mean_p[..., None]
    sigma = np.empty((h, w, 3, 3))
    for a in range(3):
        for b in range(3):
            sigma[..., a, b] = box_mean(guide[..., a] * guide[..., b], r) - mean_i[..., a] * mean_i[..., b]
    sigma += eps * np.eye(3)
    slope = np.linalg.solve(sigma, cov_ip[..., None])[..., 0]
    offset = mean_p - (slope * mean_i).sum(-1)
    mean_a = np.stack([box_mean(slope[..., c], r) for c in range(3)], -1)
    return (mean_a * guide).sum(-1) + box_mean(offset, r)


def main():
    os.makedirs(OUT, exist_ok=True)
    left, top, width, height = CROP
    photo = Image.open(os.path.join(SELFIE, "astronaut.png")).convert("RGB").crop((left, top, left + width, top + height))
    photo.save(os.path.join(OUT, "photo.png"))
    mask = load_file(os.path.join(SELFIE, "selfie-reference.safetensors"))["general/astronaut/mask"]
    mask = mask[top:top + height, left:left + width] > 0
    structure = np.ones((5, 5), dtype=bool)
    foreground = scipy.ndimage.binary_erosion(mask, structure=structure)
    background = scipy.ndimage.binary_erosion(~mask, structure=structure, border_value=1)
    trimap = np.full(mask.shape, 128, dtype=np.uint8)
    trimap[foreground] = 255
    trimap[background] = 0
    Image.fromarray(trimap).save(os.path.join(OUT, "trimap.png"))
    mask.astype("<f4").tofile(os.path.join(OUT, "mask.f32"))

    image = np.asarray(photo, dtype=np.float64) / 255
    for r, eps in GUIDED:
        guided = guided_filter(image, mask.astype(np.float64), r, eps)
        guided.astype("<f4").tofile(os.path.join(OUT, f"guided-r{r}-e{eps:g}.f32"))

    iterations = []
    alpha = estimate_alpha_cf(image, trimap / 255.0, cg_kwargs={"callback": lambda *_: iterations.append(1)})
    alpha.astype("<f4").tofile(os.path.join(OUT, "alpha-cf.f32"))
    fg, bg = estimate_foreground_ml(image, alpha.astype(np.float32), return_background=True)
    fg.transpose(2, 0, 1).astype("<f4").tofile(os.path.join(OUT, "foreground-ml.f32"))
    bg.transpose(2, 0, 1).astype("<f4").tofile(os.path.join(OUT, "background-ml.f32"))

    unknown = int((trimap == 128).sum())
    info = {
        "versions": {"pymatting": importlib.metadata.version("pymatting"), "numpy": np.__version__,
                     "scipy": scipy.__version__, "python": sys.version.split()[0]},
        "crop": {"left": left, "top": top, "width": width, "height": height},
        "unknown_pixels": unknown,
        "cg_iterations": len(iterations),
        "guided": [{"radius": r, "epsilon": eps, "file": f"guided-r{r}-e{eps:g}.f32"} for r, eps in GUIDED],
    }
    with open(os.path.join(OUT, "cutout-reference.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
