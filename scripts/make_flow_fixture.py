#!/usr/bin/env python3
"""Builds Tests/ImpastoMediaTests/Fixtures/flow/: two 176×128 gray frames cut from tubingen.jpg (the
second is the first zoomed, turned and moved slightly) and flow.json with the dense flow OpenCV's
calcOpticalFlowFarneback computes between them, sampled every 4 pixels, which ImpastoMediaTests compares
Impasto's Farnebäck implementation against.

Usage: ${IMPASTO_PYTHON:-python3} scripts/make_flow_fixture.py
Needs opencv-python-headless and numpy (made with opencv-python-headless 4.12.0.88, numpy 2.2.6, in a
venv of their own: `python3 -m venv /tmp/cvenv && /tmp/cvenv/bin/pip install opencv-python-headless==4.12.0.88 numpy`).
The versions used are recorded in flow.json. Re-running overwrites the fixture.
"""
import json
import platform
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "ImpastoMediaTests" / "Fixtures" / "flow"
# OpenCV's argument order: pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags.
OPTIONS = dict(pyramidScale=0.5, levels=3, windowSize=15, iterations=5, polynomialNeighborhood=5,
               polynomialSigma=1.1)
STRIDE = 4


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    photo = cv2.imread(str(ROOT / "Examples" / "images" / "tubingen.jpg"), cv2.IMREAD_GRAYSCALE)
    # The houses: texture everywhere, so every pixel's flow is determined.
    houses = photo[290:290 + 384, 420:420 + 528]
    first = cv2.resize(houses, (176, 128), interpolation=cv2.INTER_AREA)
    # 2% zoom about the centre, 1.5° turn, then (2.3, -1.4) pixels: a smooth flow of a few pixels.
    motion = cv2.getRotationMatrix2D((88, 64), 1.5, 1.02)
    motion[:, 2] += (2.3, -1.4)
    second = cv2.warpAffine(first, motion, (176, 128), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cv2.imwrite(str(OUT / "first.png"), first)
    cv2.imwrite(str(OUT / "second.png"), second)
    flow = cv2.calcOpticalFlowFarneback(first, second, None, OPTIONS["pyramidScale"], OPTIONS["levels"],
                                        OPTIONS["windowSize"], OPTIONS["iterations"],
                                        OPTIONS["polynomialNeighborhood"], OPTIONS["polynomialSigma"],
                                        cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
    sampled = flow[::STRIDE, ::STRIDE]
    fixture = {
        "generator": "scripts/make_flow_fixture.py",
        "versions": {"opencv": cv2.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "options": OPTIONS,
        "width": 176,
        "height": 128,
        "stride": STRIDE,
        "dx": [round(float(v), 5) for v in sampled[..., 0].ravel()],
        "dy": [round(float(v), 5) for v in sampled[..., 1].ravel()],
    }
    (OUT / "flow.json").write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"flow |d| mean {np.hypot(flow[..., 0], flow[..., 1]).mean():.3f}, max {np.abs(flow).max():.3f}")


if __name__ == "__main__":
    main()
