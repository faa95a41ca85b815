#!/usr/bin/env bash
# Fetches the MTCNN weights that ImpastoFormats' tests load: pnet.pt, rnet.pt and onet.pt (legacy-format
# PyTorch checkpoints) from the facenet-pytorch 2.6.0 wheel on PyPI, into
#   ${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}/facenet-pytorch-2.6.0/
# Idempotent: files already there with the right SHA-256 are kept; anything else is fetched again.
# Needs ${PYTHON:-python3} with pip (only to download the wheel and unzip it; nothing is installed).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
DESTINATION="${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}/facenet-pytorch-2.6.0"
FILES=(pnet.pt rnet.pt onet.pt)

# Measured on the files in facenet_pytorch-2.6.0-py3-none-any.whl (a case, not an associative array:
# macOS still ships bash 3.2).
expected_sha256() {
    case "$1" in
        pnet.pt) echo a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f ;;
        rnet.pt) echo bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86 ;;
        onet.pt) echo 165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

verified() {
    local file
    for file in "${FILES[@]}"; do
        [[ -f "$DESTINATION/$file" && "$(sha256 "$DESTINATION/$file")" == "$(expected_sha256 "$file")" ]] || return 1
    done
}

if verified; then
    echo "facenet-pytorch 2.6.0 weights already in $DESTINATION"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$WORK" facenet-pytorch==2.6.0
WHEEL="$(ls "$WORK"/facenet_pytorch-2.6.0-*.whl)"
mkdir -p "$DESTINATION"
"$PYTHON" - "$WHEEL" "$DESTINATION" "${FILES[@]}" <<'PY'
import os, sys, zipfile
wheel, destination, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    for name in names:
        data = archive.read(f"facenet_pytorch/data/{name}")
        partial = os.path.join(destination, name + ".partial")
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, os.path.join(destination, name))
PY

for file in "${FILES[@]}"; do
    actual="$(sha256 "$DESTINATION/$file")"
    if [[ "$actual" != "$(expected_sha256 "$file")" ]]; then
        echo "error: $DESTINATION/$file has SHA-256 $actual, expected $(expected_sha256 "$file")" >&2
        exit 1
    fi
done
echo "facenet-pytorch 2.6.0 weights verified in $DESTINATION"
