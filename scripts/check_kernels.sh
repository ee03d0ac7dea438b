#!/usr/bin/env bash
# The C loops (Sources/CEasyNetsKernels) promise the rounding their headers state, so no clone may
# fuse a multiply and an add. The unit tests run the clone this CPU picks, unoptimized; this
# compiles every kernel file as a release build does and checks every clone, AVX-512 included, for
# fused multiply-add instructions.
set -euo pipefail
cd "$(dirname "$0")/.."
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
kernels=Sources/CEasyNetsKernels
assembly="$(mktemp)"
trap 'rm -f "$assembly" "$assembly".part' EXIT
: > "$assembly"
for source in "$kernels"/*.c; do
    "$clang" -O3 -S -I"$kernels/include" "$source" -o "$assembly".part
    cat "$assembly".part >> "$assembly"
done
clones=$(grep -cE '^easynets_[a-z0-9_]+\.(avx512f|avx2|default)\.[0-9]+:' "$assembly" || true)
fused=$(grep -cE '\bvfn?m(add|sub)[0-9]' "$assembly" || true)
echo "check_kernels: $clones clones, $fused fused multiply-adds"
loops=$(( $(cat "$kernels"/*.c | grep -cE '^[A-Z_]+\((float|double), easynets_') \
    + $(cat "$kernels"/*.c | grep -cE '^CLONES [a-z]+ easynets_') ))
if [ "$clones" -lt $((3 * loops)) ] || [ "$fused" -ne 0 ]; then
    echo "check_kernels: expected 3 clones of each of the $loops loops and no fused multiply-add" >&2
    exit 1
fi
