#!/usr/bin/env bash
# Checks `easynets train --tensorboard` with TensorBoard's own reader: installs tensorboard from
# PyPI into a virtual environment (.build-venv, scripts/python_venv.sh), trains the MLP for two
# epochs on 2000 Fashion-MNIST examples (and a small model on the spirals) with --metrics and
# --tensorboard, and runs scripts/tensorboard/check_events.py, which reads the folder with
# TensorBoard's EventAccumulator and compares it with the metrics file. TensorBoard is used
# here only, never by the library or the tool.
# Usage: scripts/tensorboard/check.sh [path/to/easynets]   (default: .build/debug/easynets, built if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."

source scripts/python_venv.sh

tool=${1:-.build/debug/easynets}
[ -x "$tool" ] || swift build --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== MLP on 2000 Fashion-MNIST examples, 2 epochs"
"$tool" train --limit 2000 --epochs 2 --seed 0 --threads 2 --metrics "$work/mlp.jsonl" --tensorboard "$work/runs/mlp" > "$work/mlp.log"
"$python" scripts/tensorboard/check_events.py "$work/runs/mlp" "$work/mlp.jsonl" --hparam model=mlp --hparam epochs=2 --serve

echo "== spirals, 3 epochs, a per-epoch schedule"
"$tool" train --dataset spirals --hidden 16 --epochs 3 --seed 1 --threads 1 --schedule step --metrics "$work/spirals.jsonl" \
    --tensorboard "$work/runs/spirals" > "$work/spirals.log"
"$python" scripts/tensorboard/check_events.py "$work/runs/spirals" "$work/spirals.jsonl" --hparam dataset=spirals --hparam epochs=3

echo "== an unusable folder fails before training"
touch "$work/file"
if "$tool" train --limit 100 --epochs 1 --tensorboard "$work/file" > "$work/out.txt" 2> "$work/err.txt"; then
    echo "tensorboard check: FAILED: --tensorboard naming a file did not fail" >&2; exit 1
fi
grep -qF -- "--tensorboard $work/file" "$work/err.txt" || { echo "tensorboard check: FAILED: the error does not name the folder: $(cat "$work/err.txt")" >&2; exit 1; }
echo "tensorboard check: PASS"
