#!/usr/bin/env bash
# Must-show 4 of issue 4: does `impasto video --stabilize` lower the warping error, and at what cost in time?
#
# Makes the test clip (a 3 s ffmpeg zoompan into Examples/images/tubingen.jpg with a sine tone; 160×120 unless
# SIZE=WxH), stylizes it with and without --stabilize, and prints each run's wall time and warping error
# (`impasto flicker` against the original) and the ratios. MODEL defaults to the committed random-weight
# TransformerNet fixture; a trained model (pytorch/examples' candy.pth, say) is the honest test, since random
# weights make a texture that hardly follows the content. Build first: swift build -c release --product impasto.
#
# Usage: [MODEL=m.pth] [SIZE=WxH] [REPEAT=3] scripts/measure_video_stability.sh [extra impasto video options…]
# scripts/make_textured_random_model.py makes a random model whose output is not black (see there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
impasto=${IMPASTO:-$root/.build/release/impasto}
model=${MODEL:-$root/Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth}
size=${SIZE:-160x120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ffmpeg -v error -nostdin -i "$root/Examples/images/tubingen.jpg" -f lavfi -i sine=frequency=440:duration=3 \
  -vf "scale=$(( 4 * ${size%x*} )):-2,zoompan=z='zoom+0.005':d=75:s=$size:fps=25" -frames:v 75 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac "$work/clip.mp4"
echo "ffmpeg: $(ffmpeg -version | head -1)"
echo "model: $model; clip: $size, 75 frames"

# The least of REPEAT alternating runs each, since a shared machine slows single runs unevenly.
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
least() { if [ -z "$1" ] || (( $(echo "$2 < $1" | bc -l) )); then echo "$2"; else echo "$1"; fi; }
plain_time="" stable_time=""
for _ in $(seq "${REPEAT:-3}"); do
  plain_time=$(least "$plain_time" "$(seconds "$impasto" video "$work/clip.mp4" --model "$model" -o "$work/plain.mp4" --quiet "$@")")
  stable_time=$(least "$stable_time" "$(seconds "$impasto" video "$work/clip.mp4" --model "$model" -o "$work/stable.mp4" --quiet --stabilize "$@")")
done
plain_error=$("$impasto" flicker "$work/clip.mp4" "$work/plain.mp4" | awk '{print $3}')
stable_error=$("$impasto" flicker "$work/clip.mp4" "$work/stable.mp4" | awk '{print $3}')
printf 'without --stabilize: %.2f s, warping error %s\n' "$plain_time" "$plain_error"
printf 'with --stabilize:    %.2f s, warping error %s\n' "$stable_time" "$stable_error"
if [ "$(echo "$plain_error == 0" | bc -l)" = 1 ]; then
  echo "the unstabilized output never changes (the committed fixture's output is black): no error ratio;" \
    "give MODEL=m.safetensors made by scripts/make_textured_random_model.py m.safetensors, or a trained model"
else
  printf 'error ratio %.3f (%.1f %% lower), time ratio %.3f\n' "$(echo "$stable_error / $plain_error" | bc -l)" \
    "$(echo "100 * (1 - $stable_error / $plain_error)" | bc -l)" "$(echo "$stable_time / $plain_time" | bc -l)"
fi
