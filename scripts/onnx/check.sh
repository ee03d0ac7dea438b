#!/usr/bin/env bash
# Checks EasyNets' ONNX export with ONNX itself: installs onnx and onnxruntime from PyPI into a
# virtual environment (.build-venv), builds `easynets-onnx-cases`, which exports every preset and
# every model of Tests/ONNXChecks/Cases (together, every layer kind) with EasyNets' outputs on the
# same inputs, and runs scripts/onnx/check_export.py on them (onnx.checker, then ONNX Runtime's
# outputs within a relative 1e-5). ONNX Runtime is used here only, never by the library or the tool.
# Usage: scripts/onnx/check.sh [BUILD_DIR]   (default .build/debug; builds it when it is the default)
set -euo pipefail
cd "$(dirname "$0")/../.."

source scripts/python_venv.sh

bin="${1:-.build/debug}"
if [ $# -eq 0 ]; then swift build --product easynets-onnx-cases; fi
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
"$bin/easynets-onnx-cases" Tests/ONNXChecks/Cases "$folder"
"$python" scripts/onnx/check_export.py "$folder"
