#!/usr/bin/env bash
# Regenerates the fuzz seed corpus (Tests/Fuzz/Corpus): the hand-made seeds of make_seeds.py, and
# real checkpoints (one written mid-epoch) and a metrics file from short `easynets train` runs on
# the built-in spirals data. (checkpoint/legacy-* come from an earlier version, which described
# its MLP under extra.model; they stay as seeds of that path.)
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
cat > "$work/model.json" <<'JSON'
{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": 6, "bias": true}},
  {"batchNorm1d": {"featureCount": 6, "epsilon": 1e-5, "momentum": 0.1, "affine": true}}, {"tanh": {}},
  {"residual": {"block": {"layerNorm": {"normalizedShape": [6], "epsilon": 1e-5, "elementwiseAffine": true}}}},
  {"linear": {"inputSize": 6, "outputSize": 2, "bias": false}}]}}
JSON
.build/debug/easynets train --dataset spirals --model "$work/model.json" --epochs 1 --threads 1 \
    --checkpoint "$work/described.safetensors" > /dev/null
# A convolutional model's checkpoint, trained on 8 Fashion-MNIST images in batches of 2, as the fuzz target resumes it: the image path of `--resume`.
cat > "$work/cnn.json" <<'JSON'
{"sequential": {"layers": [{"conv2d": {"inChannels": 1, "outChannels": 2, "kernelSize": [3, 3], "stride": [1, 1], "padding": {"explicit": {"_0": [1, 1]}}, "dilation": [1, 1], "groups": 1, "bias": false}},
  {"batchNorm2d": {"featureCount": 2, "epsilon": 1e-5, "momentum": 0.1, "affine": true}}, {"relu": {}},
  {"maxPool2d": {"kernelSize": [4, 4], "stride": [4, 4], "padding": [0, 0], "dilation": [1, 1], "ceilMode": false}},
  {"flatten": {"startAxis": 1}}, {"linear": {"inputSize": 98, "outputSize": 10, "bias": true}}]}}
JSON
.build/debug/easynets train --model "$work/cnn.json" --limit 8 --epochs 1 --threads 1 --batch-size 2 \
    --checkpoint "$work/cnn.safetensors" > /dev/null
# The same file as a checkpoint written mid-epoch (3 batches of 2 done, as in the fuzz target) for the fuzzer to start from.
python3 - "$work/described.safetensors" "$work/mid.safetensors" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
header["__metadata__"].update({"batches_in_epoch": "3", "extra.trainer.epoch_loss": "4.25",
                               "extra.trainer.epoch_correct": "4", "extra.trainer.epoch_seen": "6"})
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
mkdir -p Tests/Fuzz/Corpus/checkpoint Tests/Fuzz/Corpus/metrics
cp "$work/run.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-mlp-adam
cp "$work/dropout.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-gelu-dropout
cp "$work/described.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-described
cp "$work/mid.safetensors" Tests/Fuzz/Corpus/checkpoint/spirals-described-mid-epoch
cp "$work/cnn.safetensors" Tests/Fuzz/Corpus/checkpoint/fashion-cnn-tiny
cp "$work/metrics.jsonl" Tests/Fuzz/Corpus/metrics/two-epochs
printf '{"epoch":1,"learning_rate":0.1,"samples_per_second":10,"seconds":1,"test_accuracy":0.5,"test_loss":0.7,"train_accuracy":0.5,"train_loss":0.7}\n' \
    > Tests/Fuzz/Corpus/metrics/one-epoch
# Fortune text: the start of Debian's `debian` fortune file (ASCII) and a small UTF-8 file with
# two-, three-byte scalars, an empty fortune and a CRLF separator.
mkdir -p Tests/Fuzz/Corpus/text
head -c 3000 /usr/share/games/fortunes/debian > Tests/Fuzz/Corpus/text/debian
printf 'caf\xc3\xa9 %%\n%%\nna\xc3\xafve\n%%\r\n\xe2\x82\xac\n' > Tests/Fuzz/Corpus/text/utf8
# A folder of three files for the text target (parts split at NUL bytes): two fortune files and an
# index, which the reader skips.
{ head -c 600 /usr/share/games/fortunes/debian; printf '\0'; cat Tests/Fuzz/Corpus/text/utf8; printf '\0.index bytes\n'; } \
    > Tests/Fuzz/Corpus/text/folder
# A sequence model: a bidirectional two-layer LSTM and a GRU over the rows of a batch (an unbatched
# sequence per batch), then a linear head.
printf '%s' '{"sequential":{"layers":[{"recurrent":{"batchFirst":false,"bias":true,"bidirectional":true,"cell":"lstm","dropout":0.1,"hiddenSize":4,"inputSize":3,"layerCount":2}},{"recurrent":{"batchFirst":false,"bias":false,"bidirectional":false,"cell":"gru","dropout":0,"hiddenSize":5,"inputSize":8,"layerCount":1}},{"linear":{"bias":true,"inputSize":5,"outputSize":2}}]}}' \
    > Tests/Fuzz/Corpus/model/recurrent
