#!/usr/bin/env bash
# The one script a GPU session runs on the device machine (NVIDIA GPU, CUDA, PyTorch with NVIDIA's cuBLAS, cuDNN
# and NVRTC wheels; no Swift toolchain), from the repository root, with the bundle scripts/build-portable.sh made
# here carried along:
#
#   run(command: "scripts/gpu-check.sh", carry: ["dist/impasto-portable.tar.xz"])
#
# It reports, in order (each step's output goes to $OUT/gpu-check.log too, when $OUT is set):
#   1. the GPU, the driver, and where Impasto found NVIDIA's libraries (or the one sentence saying why not);
#   2. the engine's op tests and gradient checks on the GPU (IMPASTO_TEST_DEVICE=cuda), if the bundle has the tests;
#   3. Gatys losses on the CPU and the GPU for 50 iterations at 256 px (agreement within 1 %);
#   4. side by side with PyTorch on the same GPU: VGG-19 to relu5_1 at 512 px forward + input gradient, a Gatys
#      iteration at 512 and at 1200 px, TransformerNet on a 1920×1080 frame;
#   5. wall time of `impasto stylize` at 512 px × 500 iterations and of the premium and HD presets (8-bit VGG-19).
# A step that fails is reported and the script goes on; the exit status is the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=${IMPASTO_BUNDLE:-dist/impasto-portable.tar.xz}
work=$(mktemp -d)
log=${OUT:+$OUT/gpu-check.log}
log=${log:-$work/gpu-check.log}
exec > >(tee -a "$log") 2>&1
failed=0
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
check() { "$@" || { echo "FAILED (status $?): $*"; failed=$((failed + 1)); }; }

step "bundle"
tar -C "$work" -xJf "$bundle" || { echo "cannot unpack $bundle"; exit 1; }
dir="$work/impasto-portable"
ls -la "$dir"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())'
# The PyTorch side imports these (bench/torch_reference.py, scripts/make_*_reference.py); this machine has no network.
for module in torchvision PIL numpy safetensors; do
    python3 -c "import $module" 2>/dev/null && echo "python: $module present" || echo "python: $module MISSING"
done
# The loader searches the site-packages of PYTHONPATH (and VIRTUAL_ENV, CONDA_PREFIX) for nvidia/*/lib.
export PYTHONPATH="$(python3 -c 'import site; print(":".join(site.getsitepackages()))')${PYTHONPATH:+:$PYTHONPATH}"
for directory in ${PYTHONPATH//:/ }; do ls -d "$directory"/nvidia/*/lib 2>/dev/null; done

step "the bundle runs (CPU) and finds the GPU"
check "$dir/impasto" --help > /dev/null
check "$dir/impasto-bench" stylize-devices --help > /dev/null

if [ -e "$dir/tests/impastoPackageTests.xctest" ]; then
    step "op tests and gradient checks on the GPU"
    # The kernel-parsing test needs the Swift toolchain's clang, which this machine has not. The debug test bundle
    # finds the Swift runtime beside it and the C libraries in lib/.
    check env IMPASTO_TEST_DEVICE=cuda LD_LIBRARY_PATH="$dir/tests:$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$dir/tests/impastoPackageTests.xctest" --testing-library swift-testing \
        --filter ImpastoTensorTests --skip kernelSourcesParseAsCUDA
else
    step "op tests: the bundle has no test bundle (build it with scripts/build-portable.sh --tests)"
fi

step "stylize losses, CPU against GPU, 50 iterations at 256 px"
check "$dir/impasto-bench" stylize-devices --device cuda --size 256 --iterations 50 --tolerance 0.01

step "side by side with PyTorch on the GPU"
reference=(--python python3 --device cuda)
check "$dir/impasto-bench" vgg19 --size 512 --runs 5 "${reference[@]}"
check "$dir/impasto-bench" stylize --size 512 --runs 5 "${reference[@]}"
check "$dir/impasto-bench" stylize --size 1200 --runs 3 "${reference[@]}"
check "$dir/impasto-bench" transformer --frame 1920x1080 --runs 5 "${reference[@]}"

weights="$dir/weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
if [ -f "$weights" ]; then
    step "impasto stylize wall times on the GPU"
    for preset in "--size 512 --iterations 500" "--preset premium" "--preset hd"; do
        start=$(date +%s%N)
        check "$dir/impasto" stylize --content Examples/images/tubingen.jpg --style Examples/images/starry_night.jpg \
            -o "$work/out.png" --weights "$weights" --device cuda --quiet $preset
        echo "impasto stylize $preset: $(( ($(date +%s%N) - start) / 1000000 )) ms wall"
    done
else
    step "no 8-bit VGG-19 in the bundle: stylize wall times skipped"
fi

echo; echo "=== $failed step(s) failed"
exit "$failed"
