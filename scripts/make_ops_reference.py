#!/usr/bin/env python3
"""Writes Tests/ImpastoTensorTests/OpsReferenceValues.swift: PyTorch's results for the hand-written ops
in Sources/ImpastoTensor/Ops, on small random inputs with fixed seeds.

For every case it records the inputs, the output, a random direction `d` of the output's shape, and
the gradients of sum(output * d) with respect to each input, so the Swift tests check the forward
values and every backward rule against PyTorch.

Run from anywhere (dev time only), with the interpreter that has torch:
    ${IMPASTO_PYTHON:-python3} scripts/make_ops_reference.py
Needs torch, torchvision and numpy; the versions used are written into the generated file.
"""
import pathlib
import platform

import numpy as np
import torch
import torchvision
import torch.nn.functional as F
from torchvision.ops import roi_align

# (image, x1, y1, x2, y2): one inside, one covering an image, one sticking out past the top-left corner.
ROI_BOXES = [[0, 1.5, 2.2, 8.7, 7.1], [1, 0.0, 0.0, 11.0, 9.0], [0, -2.0, 3.0, 4.0, 20.0]]

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/ImpastoTensorTests/OpsReferenceValues.swift"


def randn(*shape):
    return torch.randn(shape, dtype=torch.float32)


def tv_squared(x):
    # jcjohnson/neural-style's TVLoss applies the gradient of this loss (it reports no value itself).
    x_diff = x[:, :, :-1, :-1] - x[:, :, :-1, 1:]
    y_diff = x[:, :, :-1, :-1] - x[:, :, 1:, :-1]
    return 0.5 * (x_diff.pow(2).sum() + y_diff.pow(2).sum())


def tv_absolute(x):
    # ProGamerGov/neural-style-pt's TVLoss (without its strength factor).
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().sum() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().sum()


def gram(x):
    f = x.reshape(x.shape[0], x.shape[1], -1)
    return f @ f.transpose(1, 2)


# name -> (inputs, function of the inputs). Names are the keys the Swift tests look up.
CASES = {
    "instanceNormAffine": (lambda: [randn(2, 3, 5, 4), randn(3), randn(3)],
                           lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-5)),
    "instanceNormPlain": (lambda: [randn(1, 2, 3, 7) * 3 + 1], lambda x: F.instance_norm(x, eps=1e-5)),
    "reflectionPad": (lambda: [randn(2, 2, 5, 6)], lambda x: F.pad(x, (2, 1, 3, 4), mode="reflect")),
    "replicationPad": (lambda: [randn(1, 2, 4, 3)], lambda x: F.pad(x, (3, 0, 1, 2), mode="replicate")),
    "constantPad": (lambda: [randn(1, 2, 4, 5)], lambda x: F.pad(x, (1, 2, 0, 3), value=0.5)),
    "constantPadCrop": (lambda: [randn(1, 2, 4, 5)], lambda x: F.pad(x, (-1, 2, 1, -2), value=-1.0)),
    "nearestScale2": (lambda: [randn(1, 2, 3, 4)], lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
    "nearestScale3": (lambda: [randn(2, 1, 3, 2)], lambda x: F.interpolate(x, scale_factor=3, mode="nearest")),
    "nearestSize": (lambda: [randn(1, 2, 5, 7)], lambda x: F.interpolate(x, size=(8, 3), mode="nearest")),
    "bilinear": (lambda: [randn(1, 2, 4, 5)],
                 lambda x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False)),
    "bilinearAlignCorners": (lambda: [randn(1, 2, 4, 5)],
                             lambda x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True)),
    "bilinearDown": (lambda: [randn(1, 1, 9, 8)],
                     lambda x: F.interpolate(x, size=(4, 3), mode="bilinear", align_corners=False)),
    "bilinearDownAlignCorners": (lambda: [randn(1, 1, 9, 8)],
                                 lambda x: F.interpolate(x, size=(4, 3), mode="bilinear", align_corners=True)),
    "preluChannels": (lambda: [randn(2, 3, 4, 5), torch.rand(3)], lambda x, w: F.prelu(x, w)),
    "preluShared": (lambda: [randn(2, 6), torch.rand(1)], lambda x, w: F.prelu(x, w)),
    "concatChannels": (lambda: [randn(2, 3, 4), randn(2, 1, 4), randn(2, 2, 4)],
                       lambda a, b, c: torch.cat([a, b, c], dim=1)),
    "concatLast": (lambda: [randn(2, 3), randn(2, 5)], lambda a, b: torch.cat([a, b], dim=-1)),
    "softmaxChannels": (lambda: [randn(2, 3, 4, 5) * 3], lambda x: torch.softmax(x, dim=1)),
    "softmaxLast": (lambda: [randn(4, 7) * 3], lambda x: torch.softmax(x, dim=-1)),
    "logSoftmaxChannels": (lambda: [randn(2, 3, 4, 5) * 3], lambda x: torch.log_softmax(x, dim=1)),
    "logSoftmaxLast": (lambda: [randn(4, 7) * 3], lambda x: torch.log_softmax(x, dim=-1)),
    "crossEntropy": (lambda: [randn(5, 4) * 2],
                     lambda x: F.cross_entropy(x, torch.tensor([0, 3, 1, 1, 2]))),
    "mseLoss": (lambda: [randn(3, 4), randn(3, 4)], lambda a, b: F.mse_loss(a, b)),
    "l1Loss": (lambda: [randn(3, 4), randn(3, 4)], lambda a, b: F.l1_loss(a, b)),
    "gramMatrix": (lambda: [randn(2, 3, 4, 5)], gram),
    "totalVariationAbsolute": (lambda: [randn(2, 3, 5, 6)], tv_absolute),
    "totalVariationSquared": (lambda: [randn(2, 3, 5, 6)], tv_squared),
    # Issue 10's ops: asymmetric and 1-D convolutions, transformer and TFLite pieces, indexing, ROI align.
    "conv2dAsymmetricPadding": (lambda: [randn(1, 3, 7, 8), randn(4, 3, 3, 2), randn(4)],
                                lambda x, w, b: F.conv2d(F.pad(x, (0, 1, 1, 2)), w, b, stride=(2, 1))),
    "conv2dSameDepthwise": (lambda: [randn(1, 3, 8, 8), randn(3, 1, 3, 3)],
                            lambda x, w: F.conv2d(F.pad(x, (0, 1, 0, 1)), w, stride=2, groups=3)),
    "conv1d": (lambda: [randn(2, 3, 10), randn(4, 3, 3), randn(4)],
               lambda x, w, b: F.conv1d(F.pad(x, (1, 2)), w, b, stride=2)),
    "conv1dDilatedGroups": (lambda: [randn(1, 4, 12), randn(4, 2, 3)],
                            lambda x, w: F.conv1d(x, w, padding=2, dilation=2, groups=2)),
    "convTranspose1d": (lambda: [randn(2, 4, 5), randn(4, 3, 4), randn(3)],
                        lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1)),
    "gelu": (lambda: [randn(3, 17) * 2], lambda x: F.gelu(x)),
    "geluTanh": (lambda: [randn(3, 17) * 2], lambda x: F.gelu(x, approximate="tanh")),
    "layerNorm": (lambda: [randn(2, 5, 6) * 2 + 1, randn(6), randn(6)],
                  lambda x, w, b: F.layer_norm(x, (6,), w, b, eps=1e-5)),
    "layerNormPlain2d": (lambda: [randn(2, 3, 4, 5)], lambda x: F.layer_norm(x, (4, 5), eps=1e-5)),
    "matmulBroadcast": (lambda: [randn(2, 1, 3, 4), randn(5, 4, 2)], lambda a, b: a @ b),
    "matmulVectorLeft": (lambda: [randn(4), randn(2, 4, 3)], lambda a, b: a @ b),
    "matmulVectorRight": (lambda: [randn(3, 4), randn(4)], lambda a, b: a @ b),
    "linear3d": (lambda: [randn(2, 3, 5), randn(4, 5), randn(4)], lambda x, w, b: F.linear(x, w, b)),
    "indexSelect": (lambda: [randn(3, 5, 2)], lambda x: torch.index_select(x, 1, torch.tensor([4, 0, 4, 2]))),
    "embedding": (lambda: [randn(6, 3)], lambda w: F.embedding(torch.tensor([[1, 5], [0, 1]]), w)),
    "gather": (lambda: [randn(3, 4)], lambda x: torch.gather(x, 1, torch.tensor([[0, 0], [3, 1], [2, 2]]))),
    "where": (lambda: [randn(3, 4), randn(4)],
              lambda a, b: torch.where(torch.tensor([[True], [False], [True]]), a, b)),
    "roll": (lambda: [randn(2, 3, 4)], lambda x: torch.roll(x, shifts=(1, -2), dims=(1, 2))),
    "constantPadChannels": (lambda: [randn(1, 3, 2, 2)], lambda x: F.pad(x, (0, 0, 0, 0, 1, 2), value=0.25)),
    # Strided views read in place: permutes, transposes, expansions and narrowed slices.
    "permutedAdd": (lambda: [randn(2, 3, 4), randn(4, 3, 2)], lambda x, y: x.permute(2, 1, 0) + y),
    "transposedMatmul": (lambda: [randn(3, 4), randn(3, 5)], lambda a, b: a.t() @ b),
    "permutedBatchMatmul": (lambda: [randn(2, 3, 4), randn(2, 3, 5)], lambda a, b: a.permute(0, 2, 1) @ b),
    "expandedMultiply": (lambda: [randn(3, 1), randn(2, 3, 4)], lambda x, y: x.expand(2, 3, 4) * y),
    "narrowedMatmul": (lambda: [randn(4, 6), randn(4, 2)], lambda x, y: x.narrow(1, 1, 4) @ y),
    "roiAlign": (lambda: [randn(2, 3, 10, 12)],
                 lambda x: roi_align(x, torch.tensor(ROI_BOXES), output_size=(3, 4), spatial_scale=0.5,
                                     sampling_ratio=-1, aligned=False)),
    "roiAlignAligned": (lambda: [randn(2, 3, 10, 12)],
                        lambda x: roi_align(x, torch.tensor(ROI_BOXES), output_size=(2, 2), spatial_scale=1.0,
                                            sampling_ratio=2, aligned=True)),
    # Issue 13: MobileNetV2's activation (values on both sides of 0 and 6).
    "relu6": (lambda: [randn(3, 17) * 5 + 2], lambda x: F.relu6(x)),
    # Tileable texture synthesis: convolutions on a torus.
    "circularPad2d": (lambda: [randn(2, 3, 4, 5)], lambda x: F.pad(x, (2, 1, 1, 3), mode="circular")),
}


def numbers(tensor):
    return " ".join(str(np.float32(v)) for v in tensor.detach().reshape(-1).numpy())


def array(tensor):
    return f'OpsReferenceArray({list(tensor.shape)}, "{numbers(tensor)}")'


def main():
    torch.manual_seed(0)
    lines = [
        "// Generated by scripts/make_ops_reference.py; do not edit.",
        f"// torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {np.__version__}, Python {platform.python_version()}, seed 0.",
        "",
        f'let opsReferenceTorchVersion = "{torch.__version__}"',
        "",
        "let opsReferenceCases: [String: OpsReferenceCase] = [",
    ]
    for name, (make_inputs, function) in CASES.items():
        inputs = [t.requires_grad_() for t in make_inputs()]
        output = function(*inputs)
        direction = randn(*output.shape)
        gradients = torch.autograd.grad((output * direction).sum(), inputs)
        lines += [
            f'    "{name}": OpsReferenceCase(',
            f"        inputs: [{', '.join(array(t) for t in inputs)}],",
            f"        output: {array(output)},",
            f"        direction: {array(direction)},",
            f"        gradients: [{', '.join(array(g) for g in gradients)}]),",
        ]
    lines.append("]")
    OUTPUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
