#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (-sanitize=fuzzer,address, our C glue instrumented too) and runs each
# for SECONDS (default 600), one after another, from seeds taken out of the test fixtures and the hostile
# corpus. Prints, per target, executions, the corpus it grew to, and whether anything crashed; a crash leaves
# its input as Fuzz/findings/<target>/crash-* and makes the script exit 1.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: FuzzPickle FuzzZip FuzzSafeTensors FuzzTFLite FuzzNumPy FuzzCOCO FuzzImage
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzPickle FuzzZip FuzzSafeTensors FuzzTFLite FuzzNumPy FuzzCOCO FuzzImage)

cd "$root/Fuzz"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -E "error|Build complete" | grep -v "Cannot export" || true

# seeds TARGET: the files each target starts from.
seeds() {
  case "$1" in
    FuzzPickle) ls "$root"/Tests/Corpus/refused/*.pkl "$root"/Tests/ImpastoFormatsTests/Fixtures/{checkpoint-legacy.pt,malicious.pkl} \
                  "$root"/Tests/Corpus/refused/*legacy*.pt 2>/dev/null ;;
    FuzzZip) ls "$root"/Tests/Corpus/accepted/*.pt "$root"/Tests/ImpastoFormatsTests/Fixtures/{checkpoint.pt,checkpoint-zip64.pt,checkpoint-protocol4.pt,deflated.zip,malicious.pt} \
               "$root"/Tests/Corpus/refused/*zip*.pt 2>/dev/null ;;
    FuzzSafeTensors) ls "$root"/Tests/Corpus/refused/*.safetensors "$root"/Tests/ImpastoFormatsTests/Fixtures/tensors.safetensors ;;
    # mediapipe's models, from scripts/fetch-test-weights.sh.
    FuzzTFLite) ls "${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}"/mediapipe-0.10.14/*/*.tflite ;;
    # numpy's own archives, and a waifu2x weight file from scripts/fetch-test-weights.sh.
    FuzzCOCO) ls "$root"/Tests/ImpastoFormatsTests/Fixtures/coco/*.json ;;
    FuzzNumPy) ls "$root"/Tests/ImpastoFormatsTests/Fixtures/{arrays.npz,stored.npz} \
                 "${IMPASTO_TEST_WEIGHTS:-$HOME/.cache/impasto/test-weights}"/waifu2x-2024.0.1/upconv7/anime_style_scale_rgb.npz ;;
    FuzzImage) ls "$root"/Tests/ImpastoMediaTests/Fixtures/*.{png,jpg} "$root"/Tests/Corpus/accepted/*.jpg \
                 "$root"/Tests/Corpus/refused/*.{png,jpg} ;;
  esac
}

status=0
for target in "${targets[@]}"; do
  corpus="$root/Fuzz/corpus/$target" findings="$root/Fuzz/findings/$target"
  mkdir -p "$corpus" "$findings"
  seeds "$target" | while read -r seed; do cp "$seed" "$corpus/seed-$(basename "$seed")"; done
  log="$findings/log.txt"
  started=$(date +%s)
  # 4 GB of resident memory, 2 GB per allocation, 20 s per input: a lying header that gets past the limits
  # shows up as a finding instead of taking the machine down.
  if "$root/Fuzz/.build/release/$target" "$corpus" -artifact_prefix="$findings/" -max_total_time="$seconds" \
       -rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=20 -max_len=1048576 -print_final_stats=1 > "$log" 2>&1; then
    result=ok
  else
    result="FOUND (see $findings)"; status=1
  fi
  runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  echo "$target: $(( $(date +%s) - started )) s, $runs executions, corpus $(ls "$corpus" | wc -l) files, $result"
done
exit $status
