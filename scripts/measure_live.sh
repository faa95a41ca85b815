#!/usr/bin/env bash
# Delivered fps and latency of `impasto live` on this machine: a 20 s clip (a zoom into
# Examples/images/tubingen.jpg, 1280×720 at 25 fps, made here with ffmpeg) played in real time, stylized with the
# bundled starry network at each size, written to a file. Prints one line per size from the run's final JSON event.
#   scripts/measure_live.sh [.build/release/impasto]
set -euo pipefail
impasto="${1:-.build/release/impasto}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ffmpeg -v error -nostdin -loop 1 -i Examples/images/tubingen.jpg \
    -vf "scale=2560:-2,zoompan=z='zoom+0.002':d=500:s=1280x720:fps=25" -frames:v 500 \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$work/clip.mp4"
for size in 320x240 640x360; do
    "$impasto" live "$work/clip.mp4" -o "$work/out-$size.mp4" --model starry --size "$size" --json \
        | tail -n 1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
print("%dx%d: %d of %d frames delivered in %.1f s, %.2f fps, latency median %.0f ms, p95 %.0f ms" % (
    e["width"], e["height"], e["delivered"], e["arrived"], e["seconds"], e["fps"],
    e["latency_median"] * 1000, e["latency_p95"] * 1000))'
done
