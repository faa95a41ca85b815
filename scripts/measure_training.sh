#!/usr/bin/env bash
# Must-show 2 of issue 4: on a small folder of real photos and a random-weight loss network, does the total loss
# of `impasto train` fall steadily over 200 iterations?
#
# Builds the folder from ../shared/images (or Examples/images): every photo but the paintings, plus two crops
# of each (ffmpeg), makes a random VGG-16 `features` state dict with torchvision (torch.save, fixed seed), trains
# 200 iterations with pytorch/examples' defaults at 128 px, batch 4, and prints the loss log's total at
# iterations 1, 25, 50, …, 200, the mean of each 25-iteration window, and the wall time.
# Build first: swift build -c release --product impasto.
#
# Usage: [ITERATIONS=200] [SIZE=128] scripts/measure_training.sh [extra impasto train options…]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
impasto=${IMPASTO:-$root/.build/release/impasto}
python=${IMPASTO_PYTHON:-$root/scripts/dev-python.sh}
images=$root/../shared/images
[ -d "$images" ] || images=$root/Examples/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/photos"
for photo in "$images"/*.jpg "$images"/*.png; do
  name=$(basename "$photo")
  case "$name" in starry_night*|the_scream*|woman-with-hat*) continue ;; esac
  cp "$photo" "$work/photos/"
  ffmpeg -v error -nostdin -i "$photo" -vf "crop=iw/2:ih/2:0:0" "$work/photos/${name%.*}-crop0.png"
  ffmpeg -v error -nostdin -i "$photo" -vf "crop=iw/2:ih/2:iw/3:ih/3" "$work/photos/${name%.*}-crop1.png"
done
echo "photos: $(ls "$work/photos" | wc -l) from $images"

"$python" - "$work/vgg16-random.pth" <<'EOF'
import sys, torch, torchvision
torch.manual_seed(0)
features = torchvision.models.vgg16(weights=None).features
torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, sys.argv[1])
print(f"loss network: random VGG-16 features (torch {torch.__version__}, torchvision {torchvision.__version__})")
EOF

start=$(date +%s.%N)
"$impasto" train --style "$images/starry_night.jpg" --photos "$work/photos" --loss-network vgg16 --vgg "$work/vgg16-random.pth" \
  -o "$work/model.safetensors" --iterations "${ITERATIONS:-200}" --image-size "${SIZE:-128}" --batch-size 4 \
  --seed 1 --quiet "$@"
end=$(date +%s.%N)
echo "wall time: $(printf '%.1f' "$(echo "$end - $start" | bc -l)") s"
# The CSV's first column is the iteration, its second the total loss (see its header).
head -1 "$work/model.loss.csv"
awk -F, 'NR > 1 { total[$1] = $2; window[int(($1 - 1) / 25)] += $2 }
         END { for (i = 1; i <= NR - 1; i++) if (i == 1 || i % 25 == 0) printf "iteration %d: total %.4g\n", i, total[i];
               for (w = 0; w * 25 < NR - 1; w++) printf "mean of iterations %d-%d: %.4g\n", w * 25 + 1, w * 25 + 25, window[w] / 25 }' \
  "$work/model.loss.csv"
