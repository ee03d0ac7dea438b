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

echo "== Consumer package: depends on EasyNets by path, builds and runs"
swift run --package-path Examples/Consumer consumer

echo "== The easynets tool end to end (Fashion-MNIST subset)"
swift build --product easynets
scripts/e2e.sh .build/debug/easynets

echo "== ONNX export checked by onnx.checker and ONNX Runtime (PyPI packages in a virtual environment)"
scripts/onnx/check.sh

echo "== TensorBoard event files read back by TensorBoard's own reader and server"
scripts/tensorboard/check.sh .build/debug/easynets

echo "== Data-parallel training under mpirun (2 processes)"
scripts/distributed.sh

echo "== C kernels: every CPU clone rounds as its header states (no fused multiply-adds)"
scripts/check_kernels.sh

echo "== API documentation (DocC, warnings are errors)"
scripts/docs.sh

echo "== Fuzzing: every reader for 20 s under libFuzzer and AddressSanitizer"
scripts/fuzz.sh 20

echo "== Reader and bad-input tests under AddressSanitizer"
# Leak checking is off: Foundation's Process and the Swift runtime keep small objects until exit.
build_tests --sanitize=address --scratch-path .build-asan
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan --filter "BadInputTests|DataReaderTests|StreamingSourceTests|PrefetchTests|CheckpointTests|DatasetTests|ModelDescriptionTests|TextCorpusTests|LanguageModelTests|ONNXImportTests"

echo "== Programmer-error messages survive a release build (exit tests, -O)"
build_tests -c release -Xswiftc -enable-testing
swift test --skip-build -c release --filter ShapeMismatchTests

echo "== Test suite"
build_tests
swift test --skip-build
