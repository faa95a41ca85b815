#!/usr/bin/env python3
"""Reference activations of the VGG-16 loss network of fast style training, for Impasto's parity test.

pytorch/examples `fast_neural_style` computes its perceptual loss on torchvision's `vgg16().features`, read at
relu1_2, relu2_2, relu3_3 and relu4_3 (its `vgg.Vgg16` slices features[0:4], [4:9], [9:16], [16:23]), of images
in 0..255 that `utils.normalize_batch` maps to ImageNet-normalised RGB: (x / 255 - mean) / std. This script runs
exactly that on torchvision's module. VGG-16 up to relu4_3 has 7.6 M parameters, too many to commit even at
low entropy, so its weights come from the counter-based hash that make_stylize_reference.py uses for VGG-19
(`deterministic_weights`, He-uniform bounds), which the Swift tests compute bit for bit the same; only the image
and the activations are committed.

The crop is 28 x 20 (height x width): not square, so a transposed dimension shows, and not a multiple of 8, so
pool3 floors 7 x 5 to 3 x 2 as PyTorch's does. relu1_2 of a larger crop would push the fixture past 300 KB.

Writes Tests/ImpastoStudioTests/Fixtures/vgg16-reference.safetensors (float32):
  image [1, 3, 28, 20]          a crop of Examples/images/tubingen.jpg, RGB 0..255 (what the loss network sees)
  relu1_2, relu2_2, relu3_3, relu4_3   the activations [1, C, H, W]

Run: scripts/dev-python.sh scripts/make_vgg16_reference.py   (torch, torchvision, numpy, pillow, safetensors)
Generated with torch 2.15.0, torchvision 0.29.2, numpy 2.4.6, pillow 13.0.0 (recorded in the fixture's metadata).
"""
import os
import sys

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from safetensors.torch import save_file

from make_stylize_reference import deterministic_weights  # the hashed weights the Swift tests compute too

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/vgg16-reference.safetensors")
WEIGHT_SEED = 2
VGG16_CHANNELS = [64, 64, "P", 128, 128, "P", 256, 256, 256, "P", 512, 512, 512, "P", 512, 512, 512, "P"]
SLICES = {"relu1_2": (0, 4), "relu2_2": (4, 9), "relu3_3": (9, 16), "relu4_3": (16, 23)}  # pytorch/examples vgg.Vgg16
TOP, LEFT, HEIGHT, WIDTH = 260, 420, 28, 20


def normalize_batch(batch):
    """pytorch/examples utils.normalize_batch: 0..255 to ImageNet-normalised."""
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div(255.0)
    return (batch - mean) / std


def main():
    torch.use_deterministic_algorithms(True)
    features = torchvision.models.vgg16(weights=None).features.eval()
    state = deterministic_weights(WEIGHT_SEED, VGG16_CHANNELS)
    features.load_state_dict({key[len("features."):]: value for key, value in state.items()})

    pixels = np.asarray(Image.open(os.path.join(ROOT, "Examples/images/tubingen.jpg")).convert("RGB"))
    crop = pixels[TOP:TOP + HEIGHT, LEFT:LEFT + WIDTH].astype(np.float32)
    image = torch.from_numpy(crop.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()
    tensors = {"image": image}
    with torch.no_grad():
        x = normalize_batch(image)
        for name, (start, end) in SLICES.items():
            x = features[start:end](x)
            tensors[name] = x
    metadata = {"torch": torch.__version__, "torchvision": torchvision.__version__, "numpy": np.__version__,
                "pillow": PIL.__version__, "python": sys.version.split()[0], "weight_seed": str(WEIGHT_SEED),
                "generator": "scripts/make_vgg16_reference.py"}
    save_file({k: v.contiguous() for k, v in tensors.items()}, FIXTURE, metadata=metadata)
    for key, value in tensors.items():
        print(f"{key}: {tuple(value.shape)} range [{value.min():.4g}, {value.max():.4g}], "
              f"{(value > 0).float().mean():.2f} positive")
    print("wrote", FIXTURE, f"({os.path.getsize(FIXTURE)} bytes)", metadata)


if __name__ == "__main__":
    main()
