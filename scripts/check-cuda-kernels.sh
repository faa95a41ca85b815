#!/usr/bin/env bash
# Parses and type-checks Impasto's CUDA kernels (Sources/ImpastoTensor/CUDA/CUDAKernels.swift, the source NVRTC
# compiles on a GPU machine) with the Swift toolchain's clang in CUDA mode, for sm_90, without a CUDA install.
#
#   scripts/check-cuda-kernels.sh [FILE.cu]     (default: the source string cut out of CUDAKernels.swift)
#
# What this checks: the CUDA C is well-formed and every call resolves against the declarations NVRTC has built
# in (CUDA's built-in variables, and the math functions declared below). What it cannot check: code generation
# (the toolchain's clang has no NVPTX target), NVRTC's own front end, and the kernels' results: those wait for a
# GPU (scripts/gpu-check.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    cp "$1" "$work/kernels.cu"
else
    # The raw string between #""" and """# in CUDAKernels.swift.
    awk '/^    static let source = #"""$/ {inside=1; next} /^"""#$/ {inside=0} inside {print}' \
        "$here/Sources/ImpastoTensor/CUDA/CUDAKernels.swift" > "$work/kernels.cu"
fi
[ -s "$work/kernels.cu" ] || { echo "error: no kernel source found" >&2; exit 1; }
cat > "$work/check.cu" <<'PRELUDE'
// What NVRTC provides without headers: the built-in variables and the device math functions.
#include "__clang_cuda_builtin_vars.h"
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
extern "C" __device__ float tanhf(float);
extern "C" __device__ float expf(float);
extern "C" __device__ float erff(float);
extern "C" __device__ float fminf(float, float);
extern "C" __device__ float fmaxf(float, float);
#include "kernels.cu"
PRELUDE
clang=${CLANG:-clang}
"$clang" -x cuda --cuda-device-only -nocudainc -nocudalib -fsyntax-only --cuda-gpu-arch=sm_90 -std=c++17 \
    -Wall -Werror -I "$work" "$work/check.cu"
echo "CUDA kernels parse and type-check for sm_90 ($("$clang" --version | head -1))"
