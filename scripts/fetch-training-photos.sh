#!/usr/bin/env bash
# Puts the public-domain and CC0 photos the bundled fast-style models were trained on into a folder:
#   scripts/fetch-training-photos.sh DIR
# tubingen.jpg comes from Examples/images; coffee, rocket, hubble_deep_field, brick, grass and gravel from the
# scikit-image 0.26.0 wheel on PyPI (licences in Examples/images/ATTRIBUTION.md). astronaut.png and chelsea.png
# are deliberately left out: the README shows the models on them as photos the training never saw.
# Each file is checked by SHA-256. Needs ${PYTHON:-python3} with pip (to download the wheel; nothing is installed).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
PYTHON="${PYTHON:-python3}"
destination="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$destination"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" scikit-image==0.26.0
"$PYTHON" - "$work"/*.whl "$destination" <<'PY'
import hashlib, os, sys, zipfile
wheel, destination = sys.argv[1], sys.argv[2]
expected = {
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "hubble_deep_field.jpg": "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "grass.png": "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    "gravel.png": "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
}
with zipfile.ZipFile(wheel) as archive:
    for name, digest in expected.items():
        data = archive.read(f"skimage/data/{name}")
        if hashlib.sha256(data).hexdigest() != digest:
            sys.exit(f"skimage/data/{name} in {os.path.basename(wheel)} is not the file the models were trained on")
        with open(os.path.join(destination, name), "wb") as f:
            f.write(data)
PY
cp "$here/Examples/images/tubingen.jpg" "$destination/"
echo "7 training photos in $destination"
