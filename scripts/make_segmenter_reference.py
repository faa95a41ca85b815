"""Reference outputs for Tests/ImpastoModelsTests/SegmenterParityTests.swift: a small FC-DenseNet (2 down blocks of
2 layers, bottleneck 2, growth 4, 8 first channels) and a small U-Net (depth 2, 4 base channels) written with
torch.nn from the papers' layer lists, with seeded random weights (batch-norm statistics too), run in eval mode on
one seeded input. The weights use Impasto's key names, so the Swift test loads the same file.

    scripts/dev-python.sh scripts/make_segmenter_reference.py Tests/ImpastoModelsTests/Fixtures/segmenter-reference.safetensors

Versions: torch 2.15.0, safetensors (the dev venv's).
"""
import sys

import torch
import torch.nn as nn
from safetensors.torch import save_file


class DenseLayer(nn.Module):
    def __init__(self, cin, growth, dropout=0.0):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.convolution = nn.Conv2d(cin, growth, 3, padding=1)
        self.dropout = nn.Dropout(dropout)  # the identity in eval mode (the parity fixture)

    def forward(self, x):
        return self.dropout(self.convolution(torch.relu(self.norm(x))))


class DenseBlock(nn.Module):
    def __init__(self, cin, n, growth, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList([DenseLayer(cin + i * growth, growth, dropout) for i in range(n)])

    def forward(self, x):
        new = []
        for layer in self.layers:
            out = layer(x)
            new.append(out)
            x = torch.cat([x, out], 1)
        return torch.cat(new, 1)


class TransitionDown(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.BatchNorm2d(c)
        self.convolution = nn.Conv2d(c, c, 1)

    def forward(self, x):
        return nn.functional.max_pool2d(self.convolution(torch.relu(self.norm(x))), 2)


class FCDenseNet(nn.Module):
    def __init__(self, down=(2, 2), bottleneck=2, growth=4, first=8, classes=2, dropout=0.0):
        super().__init__()
        self.firstConvolution = nn.Conv2d(3, first, 3, padding=1)
        c, skips = first, []
        self.down, self.transitionsDown = nn.ModuleList(), nn.ModuleList()
        for n in down:
            self.down.append(DenseBlock(c, n, growth, dropout))
            c += n * growth
            skips.append(c)
            self.transitionsDown.append(TransitionDown(c))
        self.bottleneck = DenseBlock(c, bottleneck, growth, dropout)
        up_c = bottleneck * growth
        self.transitionsUp, self.up = nn.ModuleList(), nn.ModuleList()
        for n, skip in zip(reversed(down), reversed(skips)):
            self.transitionsUp.append(nn.ConvTranspose2d(up_c, up_c, 3, stride=2, padding=1, output_padding=1))
            c = up_c + skip
            self.up.append(DenseBlock(c, n, growth, dropout))
            up_c = n * growth
        self.classifier = nn.Conv2d(c + up_c, classes, 1)

    def forward(self, x):
        x = self.firstConvolution(x)
        skips = []
        for block, td in zip(self.down, self.transitionsDown):
            x = torch.cat([x, block(x)], 1)
            skips.append(x)
            x = td(x)
        new = self.bottleneck(x)
        for tu, block, skip in zip(self.transitionsUp, self.up, reversed(skips)):
            x = torch.cat([tu(new), skip], 1)
            new = block(x)
        return self.classifier(torch.cat([x, new], 1))


class Double(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.first = nn.Conv2d(cin, cout, 3, padding=1)
        self.second = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.second(torch.relu(self.first(x))))


class UNet(nn.Module):
    def __init__(self, depth=2, base=4, classes=2):
        super().__init__()
        w = [base << i for i in range(depth + 1)]
        self.depth = depth
        self.down = nn.ModuleList([Double(3 if i == 0 else w[i - 1], w[i]) for i in range(depth + 1)])
        self.upConvolutions = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(depth))])
        self.up = nn.ModuleList([Double(2 * w[i], w[i]) for i in reversed(range(depth))])
        self.classifier = nn.Conv2d(base, classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = nn.functional.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for i, (uc, block) in enumerate(zip(self.upConvolutions, self.up)):
            x = block(torch.cat([skips[self.depth - 1 - i], uc(x)], 1))
        return self.classifier(x)


def main():
    torch.manual_seed(0)
    tensors = {}
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    tensors["input"] = x
    for prefix, net in [("fcdensenet", FCDenseNet()), ("unet", UNet())]:
        for name, buf in net.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.randn_like(buf) * 0.1)
            elif name.endswith("running_var"):
                buf.copy_(torch.rand_like(buf) + 0.5)
        for name, p in net.named_parameters():
            if ".norm." in name:
                with torch.no_grad():
                    p.copy_(torch.rand_like(p) + 0.5 if name.endswith("weight") else torch.randn_like(p) * 0.1)
        net.eval()
        for name, t in net.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                tensors[f"{prefix}.{name}"] = t.detach().clone().contiguous()
        with torch.no_grad():
            tensors[f"{prefix}.output"] = net(x).contiguous()
    save_file(tensors, sys.argv[1], metadata={"torch": torch.__version__})
    print({k: tuple(v.shape) for k, v in tensors.items() if k.endswith("output")})


if __name__ == "__main__":
    main()
