#!/usr/bin/env bash
# Builds the small person dataset of README's Cutout section for `impasto train-segmenter`: people with masks from
# the MediaPipe selfie model (`impasto cutout --mask-only --threshold 0.5 --weights "$selfie"`) composited onto face-free backgrounds
# (scripts/make_segmenter_composites.py). Training composites use two people and seven backgrounds; the held-out
# validation composites use a third person and three other backgrounds, so the IoU is on unseen people and scenes.
#   SKIMAGE_DATA=/tmp/wh/skimage/data scripts/make-segmenter-data.sh OUT [SIDE] [TRAIN] [HELD_OUT]
# SKIMAGE_DATA: the data folder of scikit-image 0.26.0's wheel (`pip download scikit-image==0.26.0 --no-deps`).
set -euo pipefail
out="${1:?output folder}"; side="${2:-96}"; train="${3:-160}"; held="${4:-40}"
data="${SKIMAGE_DATA:-/tmp/wh/skimage/data}"
impasto="${IMPASTO:-.build/debug/impasto}"
selfie="${SELFIE:-$HOME/.cache/impasto/test-weights/mediapipe-0.10.14/selfie_segmentation/selfie_segmentation.tflite}"
mkdir -p "$out/people"
cp Examples/images/astronaut.png "$out/people/astronaut.png"
cp "$data/camera.png" "$out/people/camera.png"
"$impasto" cutout Examples/images/woman-with-hat-matisse.jpg --mask-only --threshold 0.5 --weights "$selfie" -o "$out/people/matisse-mask.png" --quiet
scripts/dev-python.sh -c "from PIL import Image; Image.open('Examples/images/woman-with-hat-matisse.jpg').convert('RGB').save('$out/people/matisse.png')"
for name in astronaut camera; do
    "$impasto" cutout "$out/people/$name.png" --mask-only --threshold 0.5 --weights "$selfie" -o "$out/people/$name-mask.png" --quiet
done
backgrounds() { local list=""; for b in "$@"; do list="$list,$data/$b"; done; echo "${list#,}"; }
scripts/dev-python.sh scripts/make_segmenter_composites.py "$out/train" "$side" "$train" 1 "$out/people" astronaut,matisse \
    "$(backgrounds coffee.png brick.png grass.png gravel.png coins.png moon.png page.png)"
scripts/dev-python.sh scripts/make_segmenter_composites.py "$out/held-out" "$side" "$held" 2 "$out/people" camera \
    "$(backgrounds rocket.jpg hubble_deep_field.jpg motorcycle_left.png)"
