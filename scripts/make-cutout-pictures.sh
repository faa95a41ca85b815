#!/usr/bin/env bash
# The README's cutout pictures (docs/cutout/), each made by `impasto cutout` on Examples/images/astronaut.png
# (512×512) and scaled to 256 pixels for the page, the hair pictures cropped to 80×80 pixels at the top right of
# her head and enlarged 3×
# (nearest neighbour) by the dev venv's Pillow; and one frame of a short zooming clip made from the same photo. Build first: swift build -c release --product impasto.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
impasto=${IMPASTO:-$root/.build/release/impasto}
photo="$root/Examples/images/astronaut.png"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$impasto" cutout "$photo" --mask-only -o "$work/mask.png" --quiet
"$impasto" cutout "$photo" -o "$work/soft.png" --quiet
"$impasto" cutout "$photo" --refine guided -o "$work/guided.png" --quiet
"$impasto" cutout "$photo" --refine matting -o "$work/matting.png" --quiet
"$impasto" cutout "$photo" --refine matting --background '#2e8b57' -o "$work/colour.png" --quiet
"$impasto" cutout "$photo" --refine guided --background blur:12 -o "$work/blur.png" --quiet
"$impasto" cutout "$photo" --refine guided --background "$root/Examples/images/starry_night.jpg" -o "$work/picture.png" --quiet
# A video: 2 s at 25 fps zooming into the photo (ffmpeg's zoompan), cut out over the painting; frame 40 shown.
ffmpeg -loglevel error -loop 1 -i "$photo" -vf "zoompan=z='1+0.004*on':x='iw/2-(iw/zoom/2)':y='ih/3-(ih/zoom/3)':d=50:s=320x320:fps=25" \
    -frames:v 50 -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
"$impasto" cutout "$work/clip.mp4" --refine guided --background "$root/Examples/images/starry_night.jpg" -o "$work/clip-cutout.mp4" --quiet
ffmpeg -loglevel error -i "$work/clip-cutout.mp4" -vf "select=eq(n\\,40)" -frames:v 1 "$work/video-frame.png"
mkdir -p "$root/docs/cutout"
"$root/scripts/dev-python.sh" - "$work" "$root/docs/cutout" "$photo" <<'PY'
import sys
from PIL import Image
work, out, photo = sys.argv[1:]
small = lambda image: image.resize((256, 256), Image.LANCZOS)
small(Image.open(photo).convert("RGB")).save(f"{out}/photo.jpg", quality=90)
small(Image.open(f"{work}/mask.png")).save(f"{out}/mask.png")
for name in ["colour", "blur", "picture", "video-frame"]:
    small(Image.open(f"{work}/{name}.png")).save(f"{out}/{name}.jpg", quality=90)
# The top right of her hair against the wall: the photo and the alpha of each refinement, 3× nearest.
box = (216, 16, 296, 96)
enlarged = lambda image: image.crop(box).resize((240, 240), Image.NEAREST)
enlarged(Image.open(photo).convert("RGB")).save(f"{out}/hair-photo.png")
for name in ["soft", "guided", "matting"]:
    enlarged(Image.open(f"{work}/{name}.png").getchannel("A")).save(f"{out}/hair-{name}.png")
PY
ls -la "$root/docs/cutout"
