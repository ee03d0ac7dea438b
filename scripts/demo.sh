#!/usr/bin/env bash
# Sets up the machine, builds EasyNets in release mode, shows the BLAS in use, walks through the
# lecture's sigmoid-neuron example, and benchmarks the Tensor API against raw BLAS.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product easynets
.build/release/easynets info
.build/release/easynets explain
.build/release/easynets bench --threads 1
