#!/usr/bin/env bash
# The README's fast-style pictures: the bundled styles on two photos their training never saw, each made by
#   impasto apply Examples/images/PHOTO --model STYLE --size 384 -o docs/fast-style/PHOTO-STYLE.jpg
# Build first: swift build -c release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
impasto=${IMPASTO:-$root/.build/release/impasto}
mkdir -p "$root/docs/fast-style"
for photo in astronaut chelsea; do
  for style in starry scream; do
    "$impasto" apply "$root/Examples/images/$photo.png" --model "$style" --size 384 \
      -o "$root/docs/fast-style/$photo-$style.jpg" --quiet
  done
done
ls -la "$root/docs/fast-style"
