#!/usr/bin/env bash
# Builds Examples/StylizeApp against Impasto as a versioned git dependency, the way an app would use it: a
# bare clone of this repository's HEAD, tagged 0.1.0, as IMPASTO_PACKAGE_URL. Then the app stylizes the bundled
# photo (64 px, 5 iterations) with the installed VGG-19 (`impasto models fetch vgg19`, or IMPASTO_MODELS).
# Run by .ci/run; commit first: the clone sees committed work only.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q --bare . "$work/impasto.git"
git -C "$work/impasto.git" tag 0.1.0 HEAD
# A Package.resolved left by an earlier run pins that run's clone, which is gone.
rm -f Examples/StylizeApp/Package.resolved
IMPASTO_PACKAGE_URL="file://$work/impasto.git" swift build -c release --package-path Examples/StylizeApp \
    --scratch-path "$work/build"
"$work/build/release/StylizeApp" Examples/images/tubingen.jpg Examples/images/starry_night.jpg "$work/out.png" 64 5
