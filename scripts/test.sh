#!/usr/bin/env bash
# Sets up the machine, proves a separate package can import EasyNets, and runs the test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== Consumer package: depends on EasyNets by path, builds and runs"
swift run --package-path Examples/Consumer consumer

echo "== Test suite"
swift test
