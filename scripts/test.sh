#!/usr/bin/env bash
# Sets up the machine, proves a separate package can import EasyNets, runs the easynets tool end to
# end on a Fashion-MNIST subset (including bad input and a SIGKILL test), checks ONNX exports against
# ONNX Runtime and TensorBoard files against TensorBoard's reader, trains data-parallel under
# mpirun (scripts/distributed.sh), checks the C kernels'
# assembly, builds the API documentation, fuzzes every reader briefly, runs the reader tests under AddressSanitizer and the
# programmer-error exit tests against a release build, and runs the test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# The tests are built as their product: a plain `swift build`/`swift test` also builds every
# executable of the dependencies, swift-protobuf's C++ protoc among them (minutes, unused here).
build_tests() { swift build --product EasyNetsPackageTests "$@"; }
# Each stage's heading carries the seconds since the start, so a slow stage shows in CI's log.
stage() { echo "== $* [${SECONDS} s]"; }

stage "Consumer package: depends on EasyNets by path, builds and runs"
swift run --package-path Examples/Consumer consumer

stage "The easynets tool end to end (Fashion-MNIST subset)"
swift build --product easynets
scripts/e2e.sh .build/debug/easynets

stage "ONNX export checked by onnx.checker and ONNX Runtime (PyPI packages in a virtual environment)"
scripts/onnx/check.sh

stage "TensorBoard event files read back by TensorBoard's own reader and server"
scripts/tensorboard/check.sh .build/debug/easynets

stage "Data-parallel training under mpirun (2 processes)"
scripts/distributed.sh

stage "C kernels: every CPU clone rounds as its header states (no fused multiply-adds)"
scripts/check_kernels.sh

stage "API documentation (DocC, warnings are errors)"
scripts/docs.sh

stage "Fuzzing: every reader for 20 s under libFuzzer and AddressSanitizer"
scripts/fuzz.sh 20

stage "Reader and bad-input tests under AddressSanitizer"
# Leak checking is off: Foundation's Process and the Swift runtime keep small objects until exit.
build_tests --sanitize=address --scratch-path .build-asan
stage "Reader and bad-input tests under AddressSanitizer: running"
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan --filter "BadInputTests|DataReaderTests|StreamingSourceTests|PrefetchTests|CheckpointTests|DatasetTests|ModelDescriptionTests|TextCorpusTests|LanguageModelTests|ONNXImportTests"

stage "Programmer-error messages survive a release build (exit tests, -O)"
build_tests -c release -Xswiftc -enable-testing
stage "Programmer-error messages: running"
swift test --skip-build -c release --filter ShapeMismatchTests

stage "Test suite: building"
build_tests
stage "Test suite: running"
swift test --skip-build
stage "All stages passed"
