#!/usr/bin/env bash
# Renders the README's gallery: a few `impasto stylize` runs on the bundled images (Examples/images), written
# to docs/gallery/ with a README.md table that shows each result beside the command that made it.
#
# Needs real VGG-19 weights: `impasto models fetch vgg19 --variant caffe` (neural-style's weights; its default
# loss weights are tuned for them), or WEIGHTS=path. Takes tens of minutes in a release build on two cores.
#   scripts/make-gallery.sh
# Overrides (environment): IMPASTO (binary; default: build and use .build/release/impasto), WEIGHTS (passed as
# --weights), VARIANT (default caffe), SIZE and ITERATIONS (default: neural-style's 512 px and 1000), SEED
# (default 1), GALLERY (output directory, default docs/gallery). A quick check of the script itself:
#   WEIGHTS=/tmp/random-vgg19.safetensors SIZE=32 ITERATIONS=3 GALLERY=/tmp/gallery scripts/make-gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${IMPASTO:-}" ]; then
    swift build -c release --product impasto >&2
    IMPASTO=.build/release/impasto
fi
GALLERY="${GALLERY:-docs/gallery}"
VARIANT="${VARIANT:-caffe}"
SIZE="${SIZE:-512}"
ITERATIONS="${ITERATIONS:-1000}"
SEED="${SEED:-1}"
images=Examples/images
mkdir -p "$GALLERY"

shown=(--variant "$VARIANT" --size "$SIZE" --iterations "$ITERATIONS" --seed "$SEED")
hidden=(--quiet)
if [ -n "${WEIGHTS:-}" ]; then hidden+=(--weights "$WEIGHTS"); fi

# name | content | style | extra options (word-split on purpose)
jobs=(
    "tubingen-starry_night|tubingen.jpg|starry_night.jpg|"
    "tubingen-starry_night-original_colors|tubingen.jpg|starry_night.jpg|--original-colors"
    "tubingen-starry_night-8_colors|tubingen.jpg|starry_night.jpg|--style-colors 8"
    "tubingen-starry_night-from_photo|tubingen.jpg|starry_night.jpg|--init image"
    "astronaut-starry_night|astronaut.png|starry_night.jpg|"
)

index="$GALLERY/README.md"
{
    echo "# Gallery"
    echo
    echo "Made by \`scripts/make-gallery.sh\` at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "(commands run from the repository root). Each PNG records its full settings in a text chunk, impasto.stylize."
    echo
    echo "| Result | Command |"
    echo "| --- | --- |"
} > "$index.partial"

for job in "${jobs[@]}"; do
    IFS='|' read -r name content style extra <<< "$job"
    output="$GALLERY/$name.png"
    # shellcheck disable=SC2086 # $extra holds whole options
    arguments=("$images/$content" --style "$images/$style" $extra "${shown[@]}")
    echo "stylize: $name" >&2
    start=$SECONDS
    "$IMPASTO" stylize "${arguments[@]}" -o "$output" "${hidden[@]}"
    echo "  $((SECONDS - start)) s" >&2
    echo "| ![$name]($name.png) | \`impasto stylize ${arguments[*]} -o $output\` |" >> "$index.partial"
done
mv "$index.partial" "$index"
echo "wrote ${#jobs[@]} images and $index" >&2
