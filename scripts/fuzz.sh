#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with libFuzzer and AddressSanitizer: builds easynets-fuzz
# (release, -sanitize=fuzzer,address, in .build-fuzz), then runs each target for SECONDS seconds
# from the committed seeds (Tests/Fuzz/Corpus/<target>) plus the regression inputs
# (Tests/Fuzz/Regressions/<target>). New inputs go to a scratch folder, not the repository.
# A crash stops the script with exit status 1; the input is saved as .build-fuzz/crashes/<target>-crash-*.
# Turn it into a regression test (Tests/EasyNetsTests/Data/BadInputTests.swift) and add it to
# Tests/Fuzz/Regressions/<target>.
#
# Usage: scripts/fuzz.sh [SECONDS per target, default 30] [TARGET ...]   (targets: idx gzip npy csv
#        pgm safetensors checkpoint metrics model text npy-mapped pgm-folder onnx; default all)
# FUZZ_SEED (default 1) seeds libFuzzer's mutations, so a run explores the same inputs in the same
# order on every machine and a faster or longer run covers a slower or shorter one (what CI runs is
# what a longer run here checked first). FUZZ_SEED=0 picks a new seed each run, for open-ended
# campaigns.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
seed=${FUZZ_SEED:-1}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx gzip npy csv pgm safetensors checkpoint metrics model text npy-mapped pgm-folder onnx)

echo "== Building easynets-fuzz with libFuzzer and AddressSanitizer"
# gold cannot link the sanitized objects (internal error in format_file_lineno), so link with lld.
swift build -c release --product easynets-fuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DEASYNETS_LIBFUZZER -Xswiftc -use-ld=lld
fuzzer=.build-fuzz/release/easynets-fuzz
mkdir -p .build-fuzz/crashes

for target in "${targets[@]}"; do
    work=$(mktemp -d)
    seeds=(Tests/Fuzz/Corpus/"$target")
    [ -d Tests/Fuzz/Regressions/"$target" ] && seeds+=(Tests/Fuzz/Regressions/"$target")
    echo "== $target: ${seconds} s"
    # The Swift runtime's backtracer would report a trap as an ASan error of its own; libFuzzer prints the stack.
    if ! SWIFT_BACKTRACE=enable=no "$fuzzer" "$target" "$work" "${seeds[@]}" -max_total_time="$seconds" -seed="$seed" -rss_limit_mb=2048 -max_len=65536 \
        -timeout=10 -print_final_stats=1 -artifact_prefix=".build-fuzz/crashes/$target-" > "$work.log" 2>&1; then
        tail -n 60 "$work.log"
        echo "fuzz: $target CRASHED; the input is in .build-fuzz/crashes/" >&2
        rm -rf "$work"
        exit 1
    fi
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$work.log" || true
    echo "fuzz: $target: no crash, $(ls "$work" | wc -l) new corpus inputs"
    rm -rf "$work" "$work.log"
done
echo "fuzz: all checks passed"
