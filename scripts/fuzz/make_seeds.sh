#!/usr/bin/env bash
# Regenerates the fuzz seed corpus (Tests/Fuzz/Corpus): the hand-made seeds of make_seeds.py, and a
# real checkpoint and metrics file from a short `easynets train` run on the built-in spirals data.
# Usage: scripts/fuzz/make_seeds.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/fuzz/make_seeds.py
swift build --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.build/debug/easynets train --dataset spirals --hidden 4 --epochs 2 --threads 1 \
    --checkpoint "$work/run.safetensors" --metrics "$work/metrics.jsonl" > /dev/null
.build/debug/easynets train --dataset spirals --hidden 5,3 --activation gelu --dropout 0.25 --epochs 1 --threads 1 \
    --checkpoint "$work/dropout.safetensors" > /dev/null
mkdir -p Tests/Fuzz/Corpus/checkpoint Tests/Fuzz/Corpus/metrics
cp "$work/run.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-mlp-adam
cp "$work/dropout.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-gelu-dropout
cp "$work/metrics.jsonl" Tests/Fuzz/Corpus/metrics/two-epochs
printf '{"epoch":1,"learning_rate":0.1,"samples_per_second":10,"seconds":1,"test_accuracy":0.5,"test_loss":0.7,"train_accuracy":0.5,"train_loss":0.7}\n' \
    > Tests/Fuzz/Corpus/metrics/one-epoch
