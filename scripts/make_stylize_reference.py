#!/usr/bin/env python3
"""Reference loss trajectories of Gatys style transfer with neural-style-pt's definitions, for Impasto's parity test.

neural-style-pt (ProGamerGov/neural-style-pt, the PyTorch port of jcjohnson/neural-style) defines, with F a layer's
activations [1, C, H, W]:
  content loss  w_c * mean((F - F_content)^2)
  style loss    w_s * mean((G - G_style)^2),  G = F F^T / (C H W)
  TV loss       w_tv * (sum |x[:, :, 1:, :] - x[:, :, :-1, :]| + sum |x[:, :, :, 1:] - x[:, :, :, :-1]|)
on the image x in the Caffe VGG input space (BGR, x * 256 - mean pixel), summed content, then style, then TV. This
script implements those definitions on a VGG-19 (torchvision's `features` layout) whose weights both it and the
Swift test compute from a counter-based hash (`deterministic_weights`), so no weight file is needed.

Writes Tests/ImpastoStudioTests/Fixtures/stylize-reference.safetensors:
  content, style           uint8 [3, H, W]: tubingen.jpg and starry_night.jpg resized as neural-style-pt resizes
                           (longest side 256, torchvision Resize = Pillow bilinear), the exact pixels both sides use
  lbfgs.{total,content,style,tv}, adam.{...}   float32 [50]: the losses of each evaluation, init image, L-BFGS
                           (max_iter 50, tolerances -1, history 100) and Adam (lr 10)

Run:   scripts/dev-python.sh scripts/make_stylize_reference.py
Bench: scripts/dev-python.sh scripts/make_stylize_reference.py --bench   (seconds per L-BFGS iteration, fp32 and
       bf16 autocast, at 256 and 512 px, on this machine's threads). Side by side with Impasto in one run:
       swift run -c release impasto-bench stylize --size 512
"""
import argparse
import os
import sys
import time

import numpy as np
import PIL
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/stylize-reference.safetensors")

WEIGHT_SEED = 1
SIZE = 256
ITERATIONS = 50
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 5.0, 100.0, 1e-3
ADAM_LEARNING_RATE = 10.0
CONTENT_LAYERS = ["relu4_2"]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CAFFE_MEAN = [103.939, 116.779, 123.68]
VGG19_CHANNELS = [64, 64, "P", 128, 128, "P", 256, 256, 256, 256, "P", 512, 512, 512, 512, "P", 512, 512, 512, 512, "P"]


def layer_names():
    """neural-style's names for torchvision's vgg19().features indices: conv1_1, relu1_1, ..., pool5."""
    names, block, index = [], 1, 1
    for c in VGG19_CHANNELS:
        if c == "P":
            names.append(f"pool{block}")
            block, index = block + 1, 1
        else:
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
            index += 1
    return names


def hashed_uniform(seed, tensor_id, count):
    """Uniform in [-1, 1) from SplitMix64's finaliser of seed * golden + (tensor_id << 40) + i, in float32.

    Every step is exact or a correctly rounded float32 operation, so Swift computes the same bits."""
    with np.errstate(over="ignore"):
        key = np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64) + (np.uint64(tensor_id) << np.uint64(40)) \
            + np.arange(count, dtype=np.uint64)
        z = (key ^ (key >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    unit = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    return unit * np.float32(2) - np.float32(1)


def deterministic_weights(seed, channels=VGG19_CHANNELS):
    """VGG `features` weights (VGG-19's by default): He-uniform (bound sqrt(6 / fan_in)) so that activations keep
    their scale through all the layers and every style layer contributes; biases uniform in +-1/sqrt(fan_in)."""
    state, in_channels, conv, index = {}, 3, 0, 0
    for c in channels:
        if c == "P":
            index += 1
            continue
        fan_in = in_channels * 9
        weight_bound, bias_bound = np.float32(np.sqrt(6.0 / fan_in)), np.float32(1.0 / np.sqrt(fan_in))
        weight = hashed_uniform(seed, 2 * conv, c * fan_in) * weight_bound
        bias = hashed_uniform(seed, 2 * conv + 1, c) * bias_bound
        state[f"features.{index}.weight"] = torch.from_numpy(weight.reshape(c, in_channels, 3, 3))
        state[f"features.{index}.bias"] = torch.from_numpy(bias)
        in_channels, conv, index = c, conv + 1, index + 2  # the convolution and its ReLU
    return state


def vgg19_features(seed, pooling="max"):
    layers, in_channels = [], 3
    for c in VGG19_CHANNELS:
        if c == "P":
            layers.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        else:
            layers += [nn.Conv2d(in_channels, c, 3, padding=1), nn.ReLU()]
            in_channels = c
    features = nn.Sequential(*layers)
    features.load_state_dict({k[len("features."):]: v for k, v in deterministic_weights(seed).items()})
    for p in features.parameters():
        p.requires_grad = False
    return features


def resized_pixels(path, size):
    """neural-style-pt's preprocess up to ToTensor: (H, W) = int(size / max(w, h) * side), torchvision Resize."""
    image = Image.open(path).convert("RGB")
    shape = tuple(int((float(size) / max(image.size)) * x) for x in (image.height, image.width))
    resized = transforms.Resize(shape)(image)
    return torch.from_numpy(np.asarray(resized).copy()).permute(2, 0, 1).contiguous()  # uint8 [3, H, W]


def caffe_input(pixels):
    """neural-style-pt: ToTensor (k / 255), * 256, RGB -> BGR, minus the mean pixel."""
    x = pixels.float().div(255) * 256
    x = x[[2, 1, 0]]
    return transforms.Normalize(mean=CAFFE_MEAN, std=[1, 1, 1])(x).unsqueeze(0)


def gram(f):
    _, c, h, w = f.shape
    flat = f.view(c, h * w)
    return torch.mm(flat, flat.t()).div(f.nelement())


class Objective:
    """neural-style-pt's loss modules, flattened: targets captured once, evaluated on one forward pass."""

    def __init__(self, features, content, style):
        self.features, self.names = features, layer_names()
        self.deepest = max(self.names.index(n) for n in CONTENT_LAYERS + STYLE_LAYERS)
        with torch.no_grad():
            self.content_targets = [f.detach() for f in self.activations(content, CONTENT_LAYERS)]
            self.style_targets = [gram(f).detach() * 1.0 for f in self.activations(style, STYLE_LAYERS)]

    def activations(self, x, layers):
        out = {}
        for i in range(self.deepest + 1):
            x = self.features[i](x)
            out[self.names[i]] = x
        return [out[n] for n in layers]

    def __call__(self, img):
        acts = self.activations(img, CONTENT_LAYERS + STYLE_LAYERS)
        content = [CONTENT_WEIGHT * F.mse_loss(f, t) for f, t in zip(acts[:len(CONTENT_LAYERS)], self.content_targets)]
        style = [STYLE_WEIGHT * F.mse_loss(gram(f), t) for f, t in zip(acts[len(CONTENT_LAYERS):], self.style_targets)]
        x_diff = img[:, :, 1:, :] - img[:, :, :-1, :]
        y_diff = img[:, :, :, 1:] - img[:, :, :, :-1]
        tv = TV_WEIGHT * (torch.sum(torch.abs(x_diff)) + torch.sum(torch.abs(y_diff)))
        loss = 0
        for term in content + style + [tv]:
            loss += term
        return loss, sum(c.item() for c in content), sum(s.item() for s in style), tv.item()


def trajectory(objective, content, optimizer_name, iterations):
    """The losses of each evaluation, as neural-style-pt's feval sees them, from `-init image`."""
    img = nn.Parameter(content.clone())
    record = {"total": [], "content": [], "style": [], "tv": []}

    def feval():
        optimizer.zero_grad()
        loss, c, s, tv = objective(img)
        loss.backward()
        for key, value in zip(record, (loss.item(), c, s, tv)):
            record[key].append(value)
        return loss

    if optimizer_name == "lbfgs":
        optimizer = torch.optim.LBFGS([img], max_iter=iterations, tolerance_change=-1, tolerance_grad=-1)
        optimizer.step(feval)
    else:
        optimizer = torch.optim.Adam([img], lr=ADAM_LEARNING_RATE)
        for _ in range(iterations):
            optimizer.step(feval)
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in record.items()}


def bench(features):
    content_path = os.path.join(ROOT, "Examples/images/tubingen.jpg")
    style_path = os.path.join(ROOT, "Examples/images/starry_night.jpg")
    for size in (256, 512):
        content, style = caffe_input(resized_pixels(content_path, size)), caffe_input(resized_pixels(style_path, size))
        objective = Objective(features, content, style)
        for precision in ("fp32", "bf16"):
            img = nn.Parameter(content.clone())
            optimizer = torch.optim.LBFGS([img], max_iter=1000, tolerance_change=-1, tolerance_grad=-1)
            calls, start = [0], [(0.0, 0.0)]

            def feval():
                optimizer.zero_grad()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    loss = objective(img)[0]
                loss.backward()
                calls[0] += 1
                if calls[0] == 2:  # the first evaluation warms up oneDNN's kernels
                    start[0] = (time.perf_counter(), time.process_time())
                if calls[0] == 12:
                    raise StopIteration
                return loss

            try:
                optimizer.step(feval)
            except StopIteration:
                pass
            seconds = (time.perf_counter() - start[0][0]) / 10
            cpu = (time.process_time() - start[0][1]) / 10
            print(f"pytorch {size}px {precision}: {seconds:.3f} s/iteration, {cpu:.3f} CPU s/iteration "
                  f"({torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", action="store_true", help="time iterations instead of writing the fixture")
    args = parser.parse_args()
    torch.manual_seed(0)
    features = vgg19_features(WEIGHT_SEED)
    if args.bench:
        bench(features)
        return

    content_pixels = resized_pixels(os.path.join(ROOT, "Examples/images/tubingen.jpg"), SIZE)
    style_pixels = resized_pixels(os.path.join(ROOT, "Examples/images/starry_night.jpg"), SIZE)
    content, style = caffe_input(content_pixels), caffe_input(style_pixels)
    objective = Objective(features, content, style)
    tensors = {"content": content_pixels, "style": style_pixels}
    for name in ("lbfgs", "adam"):
        for key, values in trajectory(objective, content, name, ITERATIONS).items():
            tensors[f"{name}.{key}"] = values
        print(name, "total loss:", [f"{v:.6g}" for v in tensors[f"{name}.total"][[0, 1, 2, 9, 24, 49]].tolist()])
    metadata = {"torch": torch.__version__, "torchvision": torchvision.__version__, "pillow": PIL.__version__,
                "numpy": np.__version__, "python": sys.version.split()[0], "weight_seed": str(WEIGHT_SEED),
                "size": str(SIZE), "iterations": str(ITERATIONS), "generator": "scripts/make_stylize_reference.py"}
    save_file(tensors, FIXTURE, metadata=metadata)
    print("wrote", FIXTURE, metadata)


if __name__ == "__main__":
    main()
