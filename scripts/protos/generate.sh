#!/usr/bin/env bash
# Regenerates the committed Swift protobuf code from the schemas of the projects that define them:
# ONNX's `onnx.proto` (from the `onnx` package) into Sources/EasyNetsONNX/Generated, and
# TensorBoard's `Event`, `Summary` and hparams messages (from the `tensorboard` package's compiled
# descriptors) into Sources/EasyNetsTensorBoard/Generated. protoc comes from `grpcio-tools`, the
# Swift generator is swift-protobuf's `protoc-gen-swift` at the version Package.swift resolves.
# The generated types are internal to their targets. Building protoc-gen-swift takes several
# minutes, which is why the output is committed and this runs only when a schema version changes.
# Usage: scripts/protos/generate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.build-protos/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet onnx==1.23.2 tensorboard==2.21.0 grpcio-tools==1.85.1

swift package resolve
swift build -c release --package-path .build/checkouts/swift-protobuf --scratch-path .build-protos/swift-protobuf \
    --product protoc-gen-swift
plugin=$(swift build -c release --package-path .build/checkouts/swift-protobuf --scratch-path .build-protos/swift-protobuf \
    --show-bin-path)/protoc-gen-swift

protoc() { "$venv/bin/python" -m grpc_tools.protoc --plugin=protoc-gen-swift="$plugin" "$@"; }

onnx_dir=$("$venv/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')
mkdir -p Sources/EasyNetsONNX/Generated
protoc -I "$onnx_dir" --swift_opt=Visibility=Internal --swift_out=Sources/EasyNetsONNX/Generated onnx.proto

mkdir -p Sources/EasyNetsTensorBoard/Generated .build-protos/tensorboard
descriptors=.build-protos/tensorboard/descriptors.pb
files=$("$venv/bin/python" scripts/protos/descriptor_set.py "$descriptors")
# shellcheck disable=SC2086  # one argument per schema file
protoc --descriptor_set_in="$descriptors" --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
    --swift_out=Sources/EasyNetsTensorBoard/Generated $files
echo "Generated:"; ls Sources/EasyNetsONNX/Generated Sources/EasyNetsTensorBoard/Generated
