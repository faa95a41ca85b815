#!/usr/bin/env python3
"""Expected outputs of facenet-pytorch 2.6.0's MTCNN P-Net, R-Net and O-Net on real image crops.

Writes Tests/ImpastoModelsTests/Fixtures/mtcnn-reference.safetensors: the inputs (already normalised the way
facenet-pytorch does, (x - 127.5) / 128), and each network's two or three outputs. The weights are the .pt files
inside the facenet-pytorch wheel (scripts/fetch-test-weights.sh puts them in the test-weights cache).

Run: scripts/dev-python.sh scripts/make_mtcnn_reference.py   (torch, facenet-pytorch --no-deps, safetensors, pillow)
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file

from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def normalised(pixels):
    """facenet-pytorch's `fixed_image_standardization` as used inside detect_face."""
    return (pixels - 127.5) * 0.0078125


def main():
    torch.manual_seed(0)
    image = np.asarray(Image.open(os.path.join(ROOT, "Examples/images/astronaut.png")).convert("RGB"))
    photo = torch.from_numpy(image.copy()).permute(2, 0, 1).float().unsqueeze(0)  # 1x3x512x512, 0..255

    # P-Net is fully convolutional: one odd-sized pyramid level exercises ceil-mode pooling at both edges.
    pnet_input = normalised(F.interpolate(photo, size=(47, 59), mode="area"))
    # R-Net and O-Net see square crops around the face, resized as detect_face does (area interpolation).
    boxes = [(150, 40, 330, 220), (170, 60, 310, 200), (100, 10, 380, 290)]
    crops = [photo[:, :, y0:y1, x0:x1] for (x0, y0, x1, y1) in boxes]
    rnet_input = normalised(torch.cat([F.interpolate(c, size=(24, 24), mode="area") for c in crops]))
    onet_input = normalised(torch.cat([F.interpolate(c, size=(48, 48), mode="area") for c in crops]))

    with torch.no_grad():
        pnet, rnet, onet = PNet().eval(), RNet().eval(), ONet().eval()
        p_box, p_prob = pnet(pnet_input)
        r_box, r_prob = rnet(rnet_input)
        o_box, o_landmarks, o_prob = onet(onet_input)

    tensors = {
        "pnet.input": pnet_input, "pnet.boxes": p_box, "pnet.probabilities": p_prob,
        "rnet.input": rnet_input, "rnet.boxes": r_box, "rnet.probabilities": r_prob,
        "onet.input": onet_input, "onet.boxes": o_box, "onet.landmarks": o_landmarks, "onet.probabilities": o_prob,
    }
    out = os.path.join(ROOT, "Tests/ImpastoModelsTests/Fixtures/mtcnn-reference.safetensors")
    metadata = {"torch": torch.__version__, "facenet-pytorch": "2.6.0", "python": sys.version.split()[0],
                "generator": "scripts/make_mtcnn_reference.py"}
    save_file({k: v.contiguous() for k, v in tensors.items()}, out, metadata=metadata)
    for k, v in tensors.items():
        print(f"{k}: {tuple(v.shape)}")
    print("wrote", out, metadata)


if __name__ == "__main__":
    main()
