#!/usr/bin/env python3
"""Reference outputs of the two feed-forward stylizers, for Impasto's parity tests.

- TransformerNet: Johnson et al. 2016 as pytorch/examples `fast_neural_style/neural_style/transformer_net.py`
  defines it (reflection-padded convolutions, affine instance norm, five residual blocks, nearest upsampling then
  convolution; input RGB 0..255, output unclamped).
- AdaIN: Huang & Belongie 2017 as naoto0804/pytorch-AdaIN defines it: `net.vgg` (the `vgg_normalised.pth`
  layout: a 1x1 convolution, then reflection-padded VGG-19 convolutions, ceil-mode max pooling) cut at relu4_1 as
  `test.py` does, `net.decoder`, `function.adaptive_instance_normalization` (unbiased variance + 1e-5) and
  `function.coral`, and `test.style_transfer` (alpha, interpolation weights).
Both are rewritten below with the reference's attribute names and layer order, so state-dict keys match the
released files (`conv1.conv2d.weight`, `res3.in2.bias`; `0.weight`, `2.weight`, ...).

How the weights reach the Swift tests
------------------------------------
The architectures are the real ones, so the weights are big: TransformerNet has 1.68 M parameters (6.7 MB in
float32), AdaIN's encoder up to relu4_1 and its decoder 7.0 M (28 MB; 14 MB even in float16). The Swift tests
cannot run torch, so both networks' weights are committed as `torch.save` checkpoints (zip format, float16
storages) that the tests read through Impasto's real loaders; the reference forward passes run in float32 on
exactly those float16 values, and Impasto widens float16 to float32 exactly, so both sides compute with identical
weights.
- TransformerNet: PyTorch's default initialisation rounded to float16: 3.4 MB, which git's zlib barely shrinks.
  Like the released candy/mosaic/udnie checkpoints (saved by torch < 0.4), the file also carries
  `in*.running_mean` / `running_var` entries, which the model must drop on load.
- AdaIN: 14 MB of float16 with full-entropy values would break the fixture budget, and shrinking channels would
  test a different network. So every tensor takes only three values, {-1, 0, 1} * s, drawn uniformly, with s the
  power of two nearest to the one that gives the He-uniform initialisation's variance (weights: bound
  sqrt(6 / fan_in), so activations keep their scale through the deep stack; biases: bound 1 / sqrt(fan_in)).
  torch.save stores the 14 MB uncompressed, but they hold 1.6 bits of entropy per parameter, so git's zlib packs
  the two files to 2.1 MB. Four levels {-3, -1, 1, 3} * s would pack to 2.5 MB on their own, but git then stores
  one file as a delta against the other (every 16-byte block of one occurs somewhere in the other, so the delta
  is under half the file, yet it compresses worse than the file): 3.6 MB. Two levels fall into the same trap
  (2.3 MB). Three levels with a third of the weights zero give deltas git rejects. The files are saved as the
  released ones are: `vgg_normalised.pth`'s Sequential indices (`0.weight`, `2.weight`, ..., cut at relu4_1 where
  the released file goes on to relu5_4) and `decoder.pth`'s (`1.weight`, `5.weight`, ...).

Writes into Tests/ImpastoModelsTests/Fixtures/:
  transformer-net-random.pth        float16 TransformerNet state dict, with old-style running statistics
  adain-vgg-normalised-random.pth   float16 AdaIN encoder state dict, modules 0...30 (through relu4_1)
  adain-decoder-random.pth          float16 AdaIN decoder state dict
  fast-style-reference.safetensors  inputs and outputs (float32):
    transformer.input [2,3,64,96] / transformer.output     crops of tubingen.jpg and astronaut.png, 0..255
    transformer.odd.input [1,3,50,70] / .odd.output        a size no multiple of 4 (output 52x72, as PyTorch)
    adain.content [1,3,64,64], adain.style [1,3,72,80]     tubingen / starry_night crops in [0, 1]
    adain.content_features [1,512,8,8]                      relu4_1 of the content
    adain.output                                            one style, alpha 0.8
    adain.styles [2,3,64,64], adain.interpolated            two styles, weights 1:3, alpha 1
    adain.coral [3,72,80], adain.preserved                  the style recoloured by coral(), then alpha 1

Run: scripts/dev-python.sh scripts/make_fast_style_reference.py   (torch, numpy, pillow, safetensors)
Generated with torch 2.15.0, numpy 2.4.6, pillow 13.0.0, safetensors 0.8.0 (recorded in the fixture's metadata).
Re-running reproduces every tensor exactly: the .pth byte for byte, the safetensors file up to its header's order.
"""
import collections
import os
import sys

import numpy as np
import PIL
import safetensors
import torch
import torch.nn as nn
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ImpastoModelsTests/Fixtures")
TRANSFORMER_WEIGHTS = os.path.join(FIXTURES, "transformer-net-random.pth")
ENCODER_WEIGHTS = os.path.join(FIXTURES, "adain-vgg-normalised-random.pth")
DECODER_WEIGHTS = os.path.join(FIXTURES, "adain-decoder-random.pth")
REFERENCE = os.path.join(FIXTURES, "fast-style-reference.safetensors")
ENCODER_SEED, DECODER_SEED = 11, 12


# --- TransformerNet (pytorch/examples fast_neural_style) -------------------------------------------------------

class ConvLayer(nn.Module):
    """Reflection padding by kernel_size // 2, then an unpadded convolution."""

    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class UpsampleConvLayer(ConvLayer):
    """Nearest-neighbour upsampling, then a ConvLayer (no checkerboard artefacts, unlike a transposed conv)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample):
        super().__init__(in_channels, out_channels, kernel_size, stride)
        self.upsample_layer = nn.Upsample(mode="nearest", scale_factor=upsample)

    def forward(self, x):
        return super().forward(self.upsample_layer(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        return x + self.in2(self.conv2(self.relu(self.in1(self.conv1(x)))))


class TransformerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer(3, 32, kernel_size=9, stride=1)
        self.in1 = nn.InstanceNorm2d(32, affine=True)
        self.conv2 = ConvLayer(32, 64, kernel_size=3, stride=2)
        self.in2 = nn.InstanceNorm2d(64, affine=True)
        self.conv3 = ConvLayer(64, 128, kernel_size=3, stride=2)
        self.in3 = nn.InstanceNorm2d(128, affine=True)
        for i in range(1, 6):
            setattr(self, f"res{i}", ResidualBlock(128))
        self.deconv1 = UpsampleConvLayer(128, 64, kernel_size=3, stride=1, upsample=2)
        self.in4 = nn.InstanceNorm2d(64, affine=True)
        self.deconv2 = UpsampleConvLayer(64, 32, kernel_size=3, stride=1, upsample=2)
        self.in5 = nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, kernel_size=9, stride=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        for i in range(1, 6):
            y = getattr(self, f"res{i}")(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


def random_transformer_net():
    """PyTorch's default initialisation, affine instance-norm parameters drawn away from 1 and 0 so that they
    matter, everything rounded to float16-representable values."""
    torch.manual_seed(0)
    net = TransformerNet().eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.InstanceNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        for parameter in net.parameters():
            parameter.copy_(parameter.half().float())
    return net


def old_style_state_dict(net):
    """The float16 state dict with the running statistics torch < 0.4 saved for every InstanceNorm2d, in the
    order its InstanceNorm2d registered them (weight, bias, running_mean, running_var)."""
    generator = torch.Generator().manual_seed(1)
    state = collections.OrderedDict()
    for key, value in net.state_dict().items():
        state[key] = value.half()
        module, _, field = key.rpartition(".")
        if field == "bias" and module.split(".")[-1].startswith("in"):
            channels = value.shape[0]
            state[f"{module}.running_mean"] = torch.randn(channels, generator=generator).half()
            state[f"{module}.running_var"] = torch.rand(channels, generator=generator).add(0.5).half()
    return state


# --- AdaIN (naoto0804/pytorch-AdaIN) ----------------------------------------------------------------------------

def padded_conv(in_channels, out_channels):
    return [nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(in_channels, out_channels, (3, 3)), nn.ReLU()]


def vgg_normalised():
    """net.vgg: a 1x1 convolution (RGB [0, 1] to the Caffe input space), then VGG-19's convolutions, each behind
    a reflection pad, and ceil-mode max pooling between blocks, through relu5_4 (53 modules)."""
    layers, channels = [nn.Conv2d(3, 3, (1, 1))], 3
    for block, (width, count) in enumerate([(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)]):
        if block > 0:
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True))
        for _ in range(count):
            layers += padded_conv(channels, width)
            channels = width
    return nn.Sequential(*layers)


def adain_decoder():
    """net.decoder: relu4_1's 512 channels back to RGB, upsampling by 2 three times; no activation at the end."""
    plan = [(512, 256), "up", (256, 256), (256, 256), (256, 256), (256, 128), "up", (128, 128), (128, 64), "up",
            (64, 64), (64, 3)]
    layers = []
    for step in plan:
        layers += [nn.UpsamplingNearest2d(scale_factor=2)] if step == "up" else padded_conv(*step)
    return nn.Sequential(*layers[:-1])  # the last convolution has no ReLU


LEVELS = torch.tensor([-1.0, 0.0, 1.0])


def few_levels(shape, bound, generator):
    """LEVELS * s uniformly, s the power of two nearest to the one that gives uniform [-bound, bound]'s variance
    (bound**2 / 3), so the values are exact in float16."""
    scale = 2.0 ** round(np.log2(bound / np.sqrt(3 * LEVELS.square().mean().item())))
    return (LEVELS[torch.randint(0, len(LEVELS), shape, generator=generator)] * scale).half()


def fill_few_levels(sequential, seed):
    """Every convolution's weight (He-uniform bound sqrt(6 / fan_in)) and bias (bound 1 / sqrt(fan_in)) drawn by
    `few_levels`, in state-dict order from one generator."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for conv in (m for m in sequential if isinstance(m, nn.Conv2d)):
            fan_in = conv.weight[0].numel()
            conv.weight.copy_(few_levels(conv.weight.shape, np.sqrt(6.0 / fan_in), generator))
            conv.bias.copy_(few_levels(conv.bias.shape, 1.0 / np.sqrt(fan_in), generator))


def half_state_dict(module):
    return collections.OrderedDict((key, value.half()) for key, value in module.state_dict().items())


def calc_mean_std(feat, eps=1e-5):
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)
    return flat.mean(dim=2).reshape(n, c, 1, 1), (flat.var(dim=2) + eps).sqrt().reshape(n, c, 1, 1)


def adaptive_instance_normalization(content_feat, style_feat):
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    return (content_feat - content_mean) / content_std * style_std + style_mean


def matrix_sqrt(x):
    u, d, v = torch.svd(x)
    return u @ d.pow(0.5).diag() @ v.t()


def coral(source, target):
    """Recolours `source` [3, H, W] so that its channel means, deviations and correlations are target's."""
    def flat_mean_std(feat):
        flat = feat.reshape(3, -1)
        return flat, flat.mean(dim=-1, keepdim=True), flat.std(dim=-1, keepdim=True)

    source_f, source_mean, source_std = flat_mean_std(source)
    source_norm = (source_f - source_mean) / source_std
    source_cov_eye = source_norm @ source_norm.t() + torch.eye(3)
    target_f, target_mean, target_std = flat_mean_std(target)
    target_norm = (target_f - target_mean) / target_std
    target_cov_eye = target_norm @ target_norm.t() + torch.eye(3)
    transfer = matrix_sqrt(target_cov_eye) @ (torch.inverse(matrix_sqrt(source_cov_eye)) @ source_norm)
    return (transfer * target_std + target_mean).reshape(source.shape)


def style_transfer(vgg, decoder, content, style, alpha=1.0, interpolation_weights=None):
    """test.style_transfer on the CPU: with weights, `style` holds one image per weight and `content` is repeated."""
    content_f = vgg(content)
    style_f = vgg(style)
    if interpolation_weights:
        base_feat = adaptive_instance_normalization(content_f.expand(style_f.shape[0], -1, -1, -1), style_f)
        feat = sum(w * base_feat[i:i + 1] for i, w in enumerate(interpolation_weights))
        content_f = content_f[0:1]
    else:
        feat = adaptive_instance_normalization(content_f, style_f)
    return decoder(feat * alpha + content_f * (1 - alpha))


# --- Inputs -----------------------------------------------------------------------------------------------------

def crop(name, top, left, height, width):
    """An 8-bit RGB crop of Examples/images/<name> as float32 [1, 3, H, W] in 0..255."""
    image = np.asarray(Image.open(os.path.join(ROOT, "Examples/images", name)).convert("RGB"))
    pixels = image[top:top + height, left:left + width].astype(np.float32)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()


def main():
    torch.use_deterministic_algorithms(True)
    net = random_transformer_net()
    state = old_style_state_dict(net)
    torch.save(state, TRANSFORMER_WEIGHTS)  # zip format, the default since torch 1.6

    tensors = {}
    with torch.no_grad():
        batch = torch.cat([crop("tubingen.jpg", 300, 400, 64, 96), crop("astronaut.png", 120, 180, 64, 96)])
        tensors["transformer.input"], tensors["transformer.output"] = batch, net(batch)
        odd = crop("tubingen.jpg", 200, 100, 50, 70)
        tensors["transformer.odd.input"], tensors["transformer.odd.output"] = odd, net(odd)

        vgg, decoder = vgg_normalised().eval(), adain_decoder().eval()
        vgg = nn.Sequential(*list(vgg.children())[:31])  # through relu4_1, as test.py cuts it
        fill_few_levels(vgg, ENCODER_SEED)
        fill_few_levels(decoder, DECODER_SEED)
        torch.save(half_state_dict(vgg), ENCODER_WEIGHTS)
        torch.save(half_state_dict(decoder), DECODER_WEIGHTS)

        content = crop("tubingen.jpg", 250, 500, 64, 64) / 255
        style = crop("starry_night.jpg", 100, 200, 72, 80) / 255
        styles = torch.cat([crop("starry_night.jpg", 20, 30, 64, 64), crop("astronaut.png", 300, 60, 64, 64)]) / 255
        weights = [1, 3]
        recoloured = coral(style[0], content[0])
        tensors |= {
            "adain.content": content, "adain.style": style, "adain.content_features": vgg(content),
            "adain.output": style_transfer(vgg, decoder, content, style, alpha=0.8),
            "adain.styles": styles,
            "adain.interpolated": style_transfer(vgg, decoder, content, styles, 1.0, [w / sum(weights) for w in weights]),
            "adain.coral": recoloured,
            "adain.preserved": style_transfer(vgg, decoder, content, recoloured.unsqueeze(0), alpha=1.0),
        }

    metadata = {"torch": torch.__version__, "numpy": np.__version__, "pillow": PIL.__version__,
                "safetensors": safetensors.__version__, "python": sys.version.split()[0],
                "generator": "scripts/make_fast_style_reference.py", "adain.weights": "1,3"}
    save_file({k: v.contiguous() for k, v in tensors.items()}, REFERENCE, metadata=metadata)
    for key, value in tensors.items():
        print(f"{key}: {tuple(value.shape)} range [{value.min():.4g}, {value.max():.4g}]")
    for path in (TRANSFORMER_WEIGHTS, ENCODER_WEIGHTS, DECODER_WEIGHTS):
        print("wrote", path, f"({os.path.getsize(path)} bytes)")
    print("wrote", REFERENCE, f"({os.path.getsize(REFERENCE)} bytes)", metadata)


if __name__ == "__main__":
    main()
