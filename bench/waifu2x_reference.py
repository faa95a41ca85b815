"""waifu2x's own implementation (PyPI's waifu2x==2024.0.1 on Chainer 7.8.1, CPU) timed on the workload of
`impasto-bench upscale`; run through scripts/waifu2x-python.sh (its own venv: numpy < 2, chainer).

  upscale --model upconv7 --size 256 --runs 3   2× of the astronaut photo's central SIZE×SIZE crop, no
                                                denoising, block 128, no TTA: what `impasto upscale` runs.

Prints `pytorch <label>: median X s` lines (the prefix impasto-bench reads from every reference).
"""
import argparse
import os
import statistics
import time

from PIL import Image

import waifu2x

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHS = {"vgg7": "VGG7", "upconv7": "UpConv7", "resnet10": "ResNet10", "upresnet10": "UpResNet10"}


def upscale(model, size, runs):
    args = argparse.Namespace(arch=ARCHS[model], method="scale", noise_level=0, color="rgb", model_dir=None, gpu=-1,
                              scale_ratio=2.0, tta=False, tta_level=8, block_size=128, batch_size=16)
    network = waifu2x.load_models(args)["scale"]
    offset = (512 - size) // 2
    crop = Image.open(os.path.join(ROOT, "Examples/images/astronaut.png")).convert("RGB").crop(
        (offset, offset, offset + size, offset + size))
    waifu2x.upscale_image(args, crop, network, should_print=False)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        waifu2x.upscale_image(args, crop, network, should_print=False)
        seconds.append(time.perf_counter() - start)
    print(f"pytorch upscale {model} {size}x{size}: median {statistics.median(seconds):.3f} s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["upscale"])
    parser.add_argument("--model", default="upconv7", choices=sorted(ARCHS))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    upscale(arguments.model, arguments.size, arguments.runs)
