#!/usr/bin/env bash
# Sets up the machine, proves a separate package can import EasyNets, runs the easynets tool end to
# end on a Fashion-MNIST subset, checks the C update loops' assembly, and runs the test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== Consumer package: depends on EasyNets by path, builds and runs"
swift run --package-path Examples/Consumer consumer

echo "== The easynets tool end to end (Fashion-MNIST subset)"
swift build --product easynets
scripts/e2e.sh .build/debug/easynets

echo "== C update loops: every CPU clone rounds as Swift does (no fused multiply-adds)"
scripts/check_kernels.sh

echo "== Test suite"
swift test
