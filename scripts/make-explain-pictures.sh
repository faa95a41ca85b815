#!/usr/bin/env bash
# Makes the README's pictures of what a CNN sees (docs/explain/), each with the command the README shows
# beside it. Needs the release binary and `impasto models fetch mobilenet_v2 vgg19`.
#   scripts/make-explain-pictures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
impasto=.build/release/impasto
out=docs/explain
mkdir -p "$out"
photo=Examples/images/chelsea.png
for method in saliency gradcam integrated; do
    "$impasto" explain "$photo" --method "$method" -o "$out/chelsea-$method.png" --quiet
done
for method in guided deconvnet; do
    "$impasto" explain Examples/images/tubingen.jpg --method "$method" --model vgg19 --layer relu4_1 --channel 59 \
        -o "$out/tubingen-$method.png" --quiet
done
"$impasto" dream Examples/images/tubingen.jpg --layer relu4_2 --size 384 -o "$out/tubingen-dream.jpg" --quiet
"$impasto" dream Examples/images/tubingen.jpg --random-class --size 384 -o "$out/tubingen-dream-classes.jpg" --quiet
"$impasto" dream Examples/images/chelsea.png --class 130 --from zeros --l2 1e-4 --octaves 3 --steps 60 --size 256 \
    -o "$out/flamingo.jpg" --quiet
for layer in relu2_1 relu4_2; do
    "$impasto" invert Examples/images/tubingen.jpg --layers "$layer" --size 256 --iterations 300 \
        -o "$out/tubingen-invert-$layer.jpg" --quiet
done
"$impasto" texture Examples/images/starry_night.jpg --size 256 --iterations 300 -o "$out/starry-texture.jpg" --quiet
"$impasto" texture Examples/images/starry_night.jpg --size 256 --iterations 300 --tile -o "$out/starry-texture-tile.jpg" --quiet
atlas=$(mktemp -d)
cp Examples/images/tubingen.jpg Examples/images/chelsea.png Examples/images/astronaut.png \
    Tests/ImpastoStudioTests/Fixtures/imagenet/coffee.jpg Tests/ImpastoStudioTests/Fixtures/imagenet/rocket.jpg "$atlas/"
"$impasto" explain --atlas "$atlas" --channels 3 -o "$out/atlas.jpg" --quiet
rm -rf "$atlas"
