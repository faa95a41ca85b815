"""A random-weight TransformerNet whose output is a visible texture, for measuring flicker without a trained model.

The committed fixture (transformer-net-random.pth) keeps PyTorch's default initialisation, and its output is a few
units of 0…255 around zero: a black video, whose warping error is exactly 0 with or without stabilization. This
takes the same weights and rescales the last convolution so that, on tubingen.jpg, each output channel has mean 128
and standard deviation 60: random features of the content, painted at full contrast, which flicker as a trained
style's texture does (though a trained model remains the honest test).

Usage: ${IMPASTO_PYTHON:-python3} scripts/make_textured_random_model.py OUT.safetensors
Made with torch 2.15.0, safetensors, numpy, pillow (the dev venv of the brief).
"""
import importlib.util
import os
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("reference", os.path.join(ROOT, "scripts/make_fast_style_reference.py"))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)

net = reference.random_transformer_net()
image = Image.open(os.path.join(ROOT, "Examples/images/tubingen.jpg")).convert("RGB").resize((160, 120), Image.BOX)
x = torch.from_numpy(np.asarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
with torch.no_grad():
    y = net(x)
    mean, std = y.mean(dim=(0, 2, 3)), y.std(dim=(0, 2, 3))
    conv = net.deconv3.conv2d
    scale = 60 / std
    conv.weight.mul_(scale[:, None, None, None])
    conv.bias.copy_((conv.bias - mean) * scale + 128)
    y = net(x)
print(f"torch {torch.__version__}; output mean {y.mean(dim=(0, 2, 3)).tolist()}, std {y.std(dim=(0, 2, 3)).tolist()}")
save_file({k: v.contiguous() for k, v in net.state_dict().items()}, sys.argv[1])
