#!/usr/bin/env python3
"""PyTorch's side of `impasto-bench`: the same workloads, timed the same way (median of N after one warm-up).

  vgg19  --size 512 --runs 5   VGG-19 `features[:30]` (conv1_1 … relu5_1), random weights, frozen; forward, then
                               the gradient of sum(relu5_1) with respect to the input only; fp32 and bf16 autocast.
  conv   --runs 5              one 256→256 3×3 convolution on 1×256×128×128: forward, backward-data, backward-weights.
  transformer --runs 5         pytorch/examples' TransformerNet (scripts/make_fast_style_reference.py) on one 1280×720
                               frame, inference only; fp32 and bf16 autocast.
  classify --runs 5            torchvision's MobileNetV2, random weights, eval mode, 224×224 batches of 1 and 16,
                               inference only, fp32.
  cutout --runs 5              mediapipe 0.10.14's SelfieSegmentation(model_selection=0).process on astronaut.png resized
                               (Pillow bicubic) to 1280x720: the mask alone, and the mask made an RGBA cutout (numpy).
  mtcnn  --runs 5              facenet-pytorch 2.6.0's MTCNN().detect on Examples/images/astronaut.png resized (Pillow
                               bicubic) to 640x480 and 1920x1080, one image per call.
  blazeface --runs 5           mediapipe 0.10.14's FaceDetection(model_selection=0).process on astronaut.png resized
                               (Pillow bicubic) to 640x480 and 1280x720, one image per call.
  segmenter --size 96 --runs 5 FC-DenseNet56 (scripts/make_segmenter_reference.py's torch.nn FCDenseNet with the
                               paper's 4×5 down, 4 bottleneck, growth 12, 48 first channels, dropout 0.2; random
                               weights): inference on 1×3×224×224, and one training step on 4×3×size×size (cross-
                               entropy on a centred disk, backward, RMSprop lr 1e-3, weight decay 1e-4).

--device cuda runs vgg19, transformer and stylize on the GPU (cudnn.benchmark on, as Impasto's cudnnFind; bf16
autocast on CUDA; each timed run ends with torch.cuda.synchronize()). transformer --frame WxH picks the frame size.

Prints lines of the form `pytorch vgg19 512px fwd+input-grad fp32: median 1.234 s`, which impasto-bench reads.
"""
import argparse
import statistics
import time

import os
import sys

import torch


DEVICE = "cpu"


def synchronize():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def median_seconds(fn, runs):
    fn()  # warm-up: oneDNN primitive creation (cuDNN's algorithm search), allocator growth
    synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def vgg19(size, runs):
    import torchvision  # here, not at the top: the other workloads run where torchvision is not installed

    torch.manual_seed(0)
    features = torchvision.models.vgg19(weights=None).features[:30].eval().to(DEVICE)
    for p in features.parameters():
        p.requires_grad_(False)
    image = torch.rand(1, 3, size, size).to(DEVICE)

    def step(dtype):
        def run():
            x = image.clone().requires_grad_(True)
            with torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=dtype == "bf16"):
                out = features(x)
            out.float().sum().backward()
            return x.grad
        return run

    for precision in ("fp32", "bf16"):
        label = "fp32" if precision == "fp32" else "bf16"
        seconds = median_seconds(step(precision), runs)
        print(f"pytorch vgg19 {size}px fwd+input-grad {label}: median {seconds:.3f} s", flush=True)


def conv(runs):
    torch.manual_seed(0)
    x = torch.rand(1, 256, 128, 128)
    layer = torch.nn.Conv2d(256, 256, 3, padding=1)
    grad = torch.rand(1, 256, 128, 128)
    with torch.no_grad():
        forward = median_seconds(lambda: layer(x), runs)
    print(f"pytorch conv 256x128x128 fwd fp32: median {forward * 1e3:.1f} ms", flush=True)

    x_grad = x.clone().requires_grad_(True)
    layer.weight.requires_grad_(False)
    layer.bias.requires_grad_(False)
    out = layer(x_grad)

    def backward_data():
        torch.autograd.grad(out, x_grad, grad, retain_graph=True)
    print(f"pytorch conv 256x128x128 bwd-data fp32: median {median_seconds(backward_data, runs) * 1e3:.1f} ms", flush=True)

    layer.weight.requires_grad_(True)
    out = layer(x)

    def backward_weights():
        torch.autograd.grad(out, layer.weight, grad, retain_graph=True)
    print(f"pytorch conv 256x128x128 bwd-weights fp32: median {median_seconds(backward_weights, runs) * 1e3:.1f} ms", flush=True)


def transformer(runs, frame_size):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    from make_fast_style_reference import TransformerNet

    torch.manual_seed(0)
    net = TransformerNet().eval().to(DEVICE)
    width, height = frame_size
    frame = (torch.rand(1, 3, height, width) * 255).to(DEVICE)
    for precision in ("fp32", "bf16"):
        def run():
            with torch.no_grad(), torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=precision == "bf16"):
                return net(frame)
        seconds = median_seconds(run, runs)
        print(f"pytorch transformer {height}p {precision}: median {seconds * 1e3:.1f} ms", flush=True)


def stylize(size, runs):
    """neural-style-pt's objective (scripts/make_stylize_reference.py) under its L-BFGS settings; seconds per
    iteration (one loss-and-gradient evaluation), median over `runs` after two warm-up evaluations."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    from make_stylize_reference import Objective, WEIGHT_SEED, caffe_input, resized_pixels, vgg19_features

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    features = vgg19_features(WEIGHT_SEED).to(DEVICE)
    content = caffe_input(resized_pixels(os.path.join(root, "Examples/images/tubingen.jpg"), size)).to(DEVICE)
    style = caffe_input(resized_pixels(os.path.join(root, "Examples/images/starry_night.jpg"), size)).to(DEVICE)
    objective = Objective(features, content, style)
    for precision in ("fp32", "bf16"):
        image = torch.nn.Parameter(content.clone())
        optimizer = torch.optim.LBFGS([image], max_iter=runs + 2, tolerance_change=-1, tolerance_grad=-1)
        times, last = [], [time.perf_counter()]

        def evaluate():
            optimizer.zero_grad()
            with torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = objective(image)[0]
            loss.backward()
            synchronize()
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now
            return loss

        optimizer.step(evaluate)
        print(f"pytorch stylize {size}px {precision}: median {statistics.median(times[2:]):.3f} s", flush=True)


def classify(runs):
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None).eval()
    for batch in (1, 16):
        images = torch.rand(batch, 3, 224, 224)

        def run():
            with torch.no_grad():
                return model(images)
        seconds = median_seconds(run, runs)
        print(f"pytorch classify batch {batch}: median {seconds * 1e3:.1f} ms", flush=True)
def mtcnn(runs):
    from PIL import Image
    from facenet_pytorch import MTCNN

    detector = MTCNN(device="cpu").eval()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    photo = Image.open(os.path.join(root, "Examples/images/astronaut.png")).convert("RGB")
    for width, height in [(640, 480), (1920, 1080)]:
        image = photo.resize((width, height), Image.BICUBIC)
        seconds = median_seconds(lambda: detector.detect(image), runs)
        print(f"pytorch mtcnn {width}x{height}: median {seconds * 1000:.1f} ms", flush=True)


def blazeface(runs):
    import mediapipe as mp
    import numpy as np
    from PIL import Image

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    photo = Image.open(os.path.join(root, "Examples/images/astronaut.png")).convert("RGB")
    with mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as detector:
        for width, height in [(640, 480), (1280, 720)]:
            image = np.asarray(photo.resize((width, height), Image.BICUBIC))
            seconds = median_seconds(lambda: detector.process(image), runs)
            print(f"pytorch blazeface {width}x{height}: median {seconds * 1000:.2f} ms", flush=True)


def cutout(runs):
    import mediapipe as mp
    import numpy as np
    from PIL import Image

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    photo = Image.open(os.path.join(root, "Examples/images/astronaut.png")).convert("RGB")
    image = np.asarray(photo.resize((1280, 720), Image.BICUBIC))
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as segmenter:
        seconds = median_seconds(lambda: segmenter.process(image), runs)
        print(f"pytorch cutout mask 1280x720: median {seconds * 1000:.1f} ms", flush=True)

        def rgba():
            mask = segmenter.process(image).segmentation_mask
            alpha = (np.clip(mask, 0, 1) * 255).astype(np.uint8)
            return np.dstack([image, alpha])
        seconds = median_seconds(rgba, runs)
        print(f"pytorch cutout rgba 1280x720: median {seconds * 1000:.1f} ms", flush=True)


def segmenter(size, runs):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(root, "scripts"))
    from make_segmenter_reference import FCDenseNet

    torch.manual_seed(0)
    network = FCDenseNet(down=(4, 4, 4, 4, 4), bottleneck=4, growth=12, first=48, classes=2, dropout=0.2)
    picture = torch.rand(1, 3, 224, 224) * 2 - 1
    network.eval()
    with torch.no_grad():
        seconds = median_seconds(lambda: network(picture), runs)
    print(f"pytorch segmenter fcdensenet56 forward 224x224: median {seconds * 1000:.1f} ms", flush=True)
    batch = torch.rand(4, 3, size, size) * 2 - 1
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre, radius = (size - 1) / 2, size / 3
    disk = (((xs - centre) ** 2 + (ys - centre) ** 2) <= radius ** 2).long()
    targets = disk.expand(4, size, size).contiguous()
    network.train()
    optimizer = torch.optim.RMSprop(network.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(network(batch), targets)
        loss.backward()
        optimizer.step()
        return loss.item()
    seconds = median_seconds(step, runs)
    print(f"pytorch segmenter fcdensenet56 train step 4x{size}x{size}: median {seconds * 1000:.1f} ms", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["vgg19", "conv", "transformer", "stylize", "classify", "mtcnn", "blazeface", "cutout", "segmenter"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--frame", default="1280x720", help="transformer's frame, WIDTHxHEIGHT")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    if DEVICE == "cuda":
        torch.backends.cudnn.benchmark = True
        print(f"# torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
              f"{torch.cuda.get_device_name()}", flush=True)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}", flush=True)
    if args.workload == "vgg19":
        vgg19(args.size, args.runs)
    elif args.workload == "transformer":
        transformer(args.runs, tuple(int(v) for v in args.frame.split("x")))
    elif args.workload == "stylize":
        stylize(args.size, args.runs)
    elif args.workload == "classify":
        classify(args.runs)
    elif args.workload == "mtcnn":
        mtcnn(args.runs)
    elif args.workload == "blazeface":
        blazeface(args.runs)
    elif args.workload == "cutout":
        cutout(args.runs)
    elif args.workload == "segmenter":
        segmenter(args.size, args.runs)
    else:
        conv(args.runs)


if __name__ == "__main__":
    main()
