#!/usr/bin/env bash
# The README's upscale pictures (docs/upscale/): Examples/images/tubingen.jpg stylized as The Starry Night at 320
# pixels by `impasto apply`, then the same command with `--upscale 2` (waifu2x upconv7, 640 pixels); and a
# 128×128 detail of the 640-pixel result beside the same detail of the 320-pixel stylization enlarged 2× with
# Lanczos, both shown 2× (nearest neighbour) by the dev venv's Pillow. Needs the waifu2x weights
# (`impasto models fetch waifu2x-upconv7`) and a release build: swift build -c release --product impasto.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
impasto=${IMPASTO:-$root/.build/release/impasto}
photo="$root/Examples/images/tubingen.jpg"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$impasto" apply "$photo" --model starry --size 320 -o "$work/starry.png" --quiet
"$impasto" apply "$photo" --model starry --size 320 --upscale 2 -o "$work/starry-x2.png" --quiet
mkdir -p "$root/docs/upscale"
"$root/scripts/dev-python.sh" - "$work" "$root/docs/upscale" <<'PY'
import sys
from PIL import Image
work, out = sys.argv[1:]
small, large = Image.open(f"{work}/starry.png").convert("RGB"), Image.open(f"{work}/starry-x2.png").convert("RGB")
small.save(f"{out}/tubingen-starry.jpg", quality=92)
large.save(f"{out}/tubingen-starry-x2.jpg", quality=92)
lanczos = small.resize(large.size, Image.LANCZOS)
box = (300, 150, 428, 278)  # windows and sky
for name, image in (("lanczos", lanczos), ("waifu2x", large)):
    image.crop(box).resize((256, 256), Image.NEAREST).save(f"{out}/detail-{name}.png")
PY
echo "wrote $root/docs/upscale"
