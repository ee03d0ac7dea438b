#!/usr/bin/env bash
# The main job: sets up the machine, builds EasyNets in release mode and trains the default
# 784-256-128-10 MLP on Fashion-MNIST with progress output, ending with the test accuracy.
# Extra arguments go to `easynets train` (e.g. --epochs 5, --checkpoint run.safetensors).
# Usage: scripts/train.sh [easynets train options]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product easynets
exec .build/release/easynets train "$@"
