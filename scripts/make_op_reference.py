#!/usr/bin/env python3
"""Writes Tests/ImpastoTensorTests/OpReferenceValues.swift: inputs, weights and PyTorch's outputs for a few
configurations of the oneDNN-backed ops, so the Swift tests can compare against torch without Python.

Every differentiable output also gets a random direction of its shape and PyTorch's gradients of
sum(output * direction) with respect to the op's input, weight and bias (where it has them), so the
Swift tests check every backward pass against PyTorch too (OpGradientReferenceTests.swift). Keys:
`direction` and `inputGradient`, `weightGradient`, `biasGradient` for a case's `output`; for any other
output `name` (pooling variants, activations), `nameDirection` and `nameInputGradient`. Directions come
from a generator of their own (seed 1), so the inputs and outputs do not depend on them.

Run from the repository root:
    ${IMPASTO_PYTHON:-/root/.cache/impasto-dev/venv/bin/python} scripts/make_op_reference.py \
        > Tests/ImpastoTensorTests/OpReferenceValues.swift
Generated with torch 2.15.0 (CPU); the version used is recorded in the output.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # deterministic summation order
directions = torch.Generator().manual_seed(1)
cases = []


def case(name, **tensors):
    cases.append((name, {key: value.detach().contiguous().float() for key, value in tensors.items()}))


def randn(*shape):
    return torch.randn(*shape)


def gradients(differentiable, **outputs):
    """For each keyword `name=function`, evaluates the function on the `differentiable` inputs (a dict:
    parameter name -> tensor) and returns its output under `name`, with a random direction `d` of its
    shape and the gradients of sum(output * d) with respect to every differentiable input, keyed as the
    module docstring says. The recorded output comes from a plain forward pass on the given tensors, as
    before the gradients were added."""
    entries = {}
    for name, apply in outputs.items():
        entries[name] = apply(**differentiable)
        leaves = {key: value.detach().clone().requires_grad_() for key, value in differentiable.items()}
        output = apply(**leaves)
        d = torch.randn(output.shape, generator=directions)
        grads = torch.autograd.grad((output * d).sum(), list(leaves.values()))
        entries[name + "Direction" if name != "output" else "direction"] = d
        for key, grad in zip(leaves, grads):
            suffix = key + "Gradient"
            entries[name + suffix[0].upper() + suffix[1:] if name != "output" else suffix] = grad
    return entries


x, w, b = randn(2, 4, 7, 6), randn(6, 2, 3, 3) * 0.3, randn(6)
case("convGrouped", input=x, weight=w, bias=b, **gradients(
    dict(input=x, weight=w, bias=b),
    output=lambda input, weight, bias: F.conv2d(input, weight, bias, stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                                groups=2)))

x, w = randn(2, 3, 6, 5), randn(3, 1, 3, 3)
case("convDepthwise", input=x, weight=w, **gradients(
    dict(input=x, weight=w), output=lambda input, weight: F.conv2d(input, weight, stride=2, padding=1, groups=3)))

x, w, b = randn(1, 4, 5, 4), randn(4, 2, 3, 3) * 0.3, randn(4)
case("deconvGrouped", input=x, weight=w, bias=b, **gradients(
    dict(input=x, weight=w, bias=b),
    output=lambda input, weight, bias: F.conv_transpose2d(input, weight, bias, stride=(2, 2), padding=(1, 0),
                                                          output_padding=(1, 1), groups=2)))

x, w = randn(1, 3, 4, 5), randn(3, 2, 3, 2) * 0.3
case("deconvDilated", input=x, weight=w, **gradients(
    dict(input=x, weight=w),
    output=lambda input, weight: F.conv_transpose2d(input, weight, stride=(1, 2), padding=(2, 1), dilation=(2, 1))))

x = randn(2, 3, 7, 9)
case("pooling", input=x, **gradients(
    dict(input=x),
    maxCeil=lambda input: F.max_pool2d(input, 3, 2, ceil_mode=True),
    maxCeil2=lambda input: F.max_pool2d(input, 2, 2, ceil_mode=True),
    maxPadded=lambda input: F.max_pool2d(input, 3, 2, padding=1, ceil_mode=True),
    avgCeilIncludePad=lambda input: F.avg_pool2d(input, 3, 2, padding=1, ceil_mode=True),
    avgCeilExcludePad=lambda input: F.avg_pool2d(input, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
    avgCeilUnpadded=lambda input: F.avg_pool2d(input, 2, 2, ceil_mode=True),
    avgFloor=lambda input: F.avg_pool2d(input, (3, 2), (2, 3), padding=(1, 1))))

x, w, b = randn(3, 5), randn(4, 5), randn(4)
case("linear", input=x, weight=w, bias=b, **gradients(dict(input=x, weight=w, bias=b), output=F.linear))

x = randn(2, 3, 4, 5) * 2 + 1
mean, var, w, b = randn(3), torch.rand(3) + 0.5, randn(3), randn(3)
case("batchNormInference", input=x, runningMean=mean, runningVariance=var, weight=w, bias=b,
     **gradients(dict(input=x, weight=w, bias=b), output=lambda input, weight, bias: F.batch_norm(
         input, mean, var, weight, bias, training=False, eps=1e-5)))
updatedMean, updatedVar = mean.clone(), var.clone()
training = gradients(dict(input=x, weight=w, bias=b), output=lambda input, weight, bias: F.batch_norm(
    input, mean.clone(), var.clone(), weight, bias, training=True, eps=1e-5))
del training["output"]  # recorded below, with the running statistics it updates
case("batchNormTraining", input=x, runningMean=mean, runningVariance=var, weight=w, bias=b,
     output=F.batch_norm(x, updatedMean, updatedVar, w, b, training=True, momentum=0.1, eps=1e-5),
     updatedMean=updatedMean, updatedVariance=updatedVar, **training)

x = randn(2, 3, 4, 5) * 4
case("activations", input=x, **gradients(
    dict(input=x), leakyRelu=lambda input: F.leaky_relu(input, 0.2), hardSwish=F.hardswish, sigmoid=torch.sigmoid,
    tanh=torch.tanh, relu=torch.relu, leakyReluNegative=lambda input: F.leaky_relu(input, -0.3)))

# A 3x3 stride-1 float32 convolution: the shape Impasto runs as Winograd (16 channels each way, which
# oneDNN's AVX-512 Winograd kernels need).
x, w, b = randn(1, 16, 5, 6), randn(16, 16, 3, 3) * 0.1, randn(16)
case("convWinograd", input=x, weight=w, bias=b, **gradients(
    dict(input=x, weight=w, bias=b), output=lambda input, weight, bias: F.conv2d(input, weight, bias, padding=1)))


def floats(values):
    items = [format(v, ".9g") for v in values.flatten().tolist()]
    lines = [", ".join(items[i:i + 8]) for i in range(0, len(items), 8)]
    return "[\n" + "".join(f"            {line},\n" for line in lines) + "        ]"


print("// Generated by scripts/make_op_reference.py; do not edit.")
print(f"// torch {torch.__version__}, seed 0, one thread.")
print()
print("@testable import ImpastoTensor")
print()
print("/// Inputs, parameters and PyTorch's outputs for one op configuration, by name.")
print("struct ReferenceCase: Sendable {")
print("    let values: [String: (shape: [Int], scalars: [Float])]")
print()
print("    subscript(_ name: String) -> Tensor {")
print("        let entry = values[name]!")
print("        return Tensor(shape: entry.shape, scalars: entry.scalars)")
print("    }")
print("}")
print()
print("enum OpReference {")
print(f'    static let torchVersion = "{torch.__version__}"')
for name, tensors in cases:
    print()
    print(f"    static let {name} = ReferenceCase(values: [")
    for key, value in tensors.items():
        print(f'        "{key}": ({list(value.shape)}, {floats(value)}),')
    print("    ])")
print("}")
