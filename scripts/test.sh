#!/usr/bin/env bash
# Sets up the machine, proves a separate package can import EasyNets, builds the tool and the check
# programs in release, checks that programmer errors keep their messages in that build, runs the
# easynets tool end to end on a Fashion-MNIST subset (including bad input and a SIGKILL test), checks
# ONNX exports against ONNX Runtime and TensorBoard files against TensorBoard's reader, trains
# data-parallel under mpirun (scripts/distributed.sh) and across test hosts in network namespaces
# (scripts/multihost.sh, as root), checks the C kernels' assembly, fuzzes every
# reader briefly, runs the whole test suite under AddressSanitizer, and builds the API documentation.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# Each stage's heading carries the seconds since the start, so a slow stage shows in CI's log.
stage() { echo "== $* [${SECONDS} s]"; }

stage "Consumer package: depends on EasyNets by path, builds and runs"
swift run --package-path Examples/Consumer consumer

# Built product by product: a plain `swift build` also builds every executable of the
# dependencies, swift-protobuf's C++ protoc among them (minutes, unused here).
stage "Release build: the tool (without and with Open MPI) and the check programs"
for product in easynets easynets-mpi easynets-onnx-cases easynets-distributed-checks easynets-release-checks; do
    swift build -c release --product "$product"
done
bin=.build/release

stage "Programmer errors keep their messages in the release build"
"$bin/easynets-release-checks"
# Every check goes through `require` (fatalError keeps its message under -O; precondition does not).
# The generated protobuf code's preconditionFailure() guards swift-protobuf's own invariants.
if grep -rnE --exclude-dir=Generated "\b(precondition|preconditionFailure|assert|assertionFailure)\(" Sources/EasyNets*; then
    echo "FAIL: a programmer-error check above bypasses require(), so -O would drop its message" >&2
    exit 1
fi

stage "Install into a temporary prefix: the tools, the man page, completions"
prefix=$(mktemp -d)
scripts/install.sh "$prefix" > /dev/null
"$prefix/bin/easynets" --version && "$prefix/bin/easynets-mpi" --version
grep -q '^\.Dt EASYNETS 1' "$prefix/share/man/man1/easynets.1"
bash -c "source '$prefix/share/bash-completion/completions/easynets' && complete -p easynets" > /dev/null
grep -q "compdef _easynets easynets\|#compdef easynets" "$prefix/share/zsh/site-functions/_easynets"
grep -q "complete -c 'easynets'" "$prefix/share/fish/vendor_completions.d/easynets.fish"
rm -rf "$prefix"

stage "The easynets tool end to end (Fashion-MNIST subset)"
scripts/e2e.sh "$bin/easynets"

stage "ONNX export checked by onnx.checker and ONNX Runtime (PyPI packages in a virtual environment)"
scripts/onnx/check.sh "$bin"

stage "TensorBoard event files read back by TensorBoard's own reader and server"
scripts/tensorboard/check.sh "$bin/easynets"

stage "Data-parallel training under mpirun (2 processes)"
scripts/distributed.sh "$bin"

stage "Data-parallel training across 2 and 3 test hosts (network namespaces, shaped links, TCP only)"
if [ "$(id -u)" -eq 0 ]; then
    scripts/multihost.sh "$bin"
else
    echo "skipped: the test hosts are network namespaces, which need root (CI runs as root)"
fi

stage "C kernels: every CPU clone rounds as its header states (no fused multiply-adds)"
scripts/check_kernels.sh

stage "Fuzzing: every reader for 10 s under libFuzzer and AddressSanitizer"
scripts/fuzz.sh 10

# One debug build, with AddressSanitizer, for the whole suite: the reader and bad-input tests run
# with memory checks, and no second debug build is needed. Leak checking is off: Foundation's
# Process and the Swift runtime keep small objects until exit.
stage "Test suite under AddressSanitizer: building"
swift build --product EasyNetsPackageTests --sanitize=address --scratch-path .build-asan
stage "Test suite under AddressSanitizer: running"
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan

stage "API documentation (DocC, warnings are errors)"
scripts/docs.sh

stage "All stages passed"
