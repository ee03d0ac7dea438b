#!/usr/bin/env bash
# End-to-end check of the easynets tool on Fashion-MNIST: trains on a 2000-example subset for one
# epoch, checks the accuracy is far above chance (0.1), evaluates the checkpoint, predicts, plots,
# resumes, evaluates a PyTorch-trained export, exports to ONNX and imports a PyTorch model from ONNX, trains and samples a character-level language model
# on a small fortune file, and checks that bad input fails cleanly: flags out of
# range, unwritable outputs, a full disk, a checkpoint that does not fit the data, a diverging run, and
# SIGKILL at 20 random moments while checkpoints are written.
# Usage: scripts/e2e.sh [path/to/easynets]   (default: .build/debug/easynets, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-.build/debug/easynets}
[ -x "$tool" ] || swift build --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

py() { python3 -c "$1"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }
expect_failure() {  # expect_failure STATUS FRAGMENT COMMAND...: the command exits with STATUS and says FRAGMENT on stderr
    local expected=$1 fragment=$2 status
    shift 2
    set +e; "$@" > "$work/out.txt" 2> "$work/err.txt"; status=$?; set -e
    [ $status -eq "$expected" ] || fail "$* exited with $status, expected $expected: $(cat "$work/err.txt")"
    grep -qF -- "$fragment" "$work/err.txt" || fail "$* did not say \"$fragment\": $(cat "$work/err.txt")"
}

echo "== train (2000 examples, 1 epoch)"
"$tool" train --limit 2000 --epochs 1 --seed 0 --threads 2 --schedule none --checkpoint "$work/run.safetensors" --metrics "$work/metrics.jsonl" \
    | tee "$work/train.log"
accuracy=$(py "import json; print(json.loads(open('$work/metrics.jsonl').readline())['validation_accuracy'])")
py "assert $accuracy > 0.5, 'test accuracy $accuracy is not well above chance'" || fail "train accuracy $accuracy"
grep -q "^Test accuracy: " "$work/train.log" || fail "train did not end with the test accuracy"

echo "== evaluate"
"$tool" evaluate --checkpoint "$work/run.safetensors" --json > "$work/eval.json"
py "
import json; r = json.load(open('$work/eval.json'))
assert abs(r['accuracy'] - $accuracy) < 1e-9, (r['accuracy'], $accuracy)
assert len(r['confusion_matrix']) == 10 and sum(map(sum, r['confusion_matrix'])) == 10000
assert len(r['precision']) == len(r['recall']) == len(r['f1']) == 10
" || fail "evaluate --json disagrees with training"
"$tool" evaluate --checkpoint "$work/run.safetensors" | grep -q "confusion matrix" || fail "evaluate report"

echo "== resume for a second epoch"
"$tool" train --limit 2000 --epochs 2 --seed 0 --threads 2 --resume "$work/run.safetensors" --checkpoint "$work/run.safetensors" \
    --metrics "$work/metrics.jsonl" > "$work/resumed.log"
grep -q "^epoch 2/2" "$work/resumed.log" || fail "resume did not train epoch 2"
grep -q "^Training MLP 784-256-128-10 (relu) (resumed from $work/run.safetensors) on fashion-mnist" "$work/resumed.log" \
    || fail "the resumed run's header: $(head -2 "$work/resumed.log")"
grep -q "^optimizer adam lr 0.001, schedule none, .*2 epochs" "$work/resumed.log" || fail "the resumed schedule: $(sed -n 2p "$work/resumed.log")"

echo "== predict and plot"
"$tool" predict --checkpoint "$work/run.safetensors" --index 0,1 | tee "$work/predict.log"
[ "$(grep -c '^test\[' "$work/predict.log")" = 2 ] || fail "predict printed no probabilities"
"$tool" plot "$work/metrics.jsonl" --output "$work/curves.svg" > "$work/plot.txt"
grep -q "<polyline" "$work/curves.svg" || fail "plot wrote no curves"
grep -q "(2 epochs)" "$work/plot.txt" && grep -q ">Learning rate<" "$work/curves.svg" || fail "plot: $(cat "$work/plot.txt")"
head -1 "$work/metrics.jsonl" > "$work/first.jsonl"
"$tool" plot "$work/first.jsonl" "$work/metrics.jsonl" --output "$work/overlay.svg" > "$work/plot.txt"
grep -q "(first.jsonl: 1 epoch, metrics.jsonl: 2 epochs)" "$work/plot.txt" || fail "overlaid plot: $(cat "$work/plot.txt")"
"$tool" plot "$work/first.jsonl" --output "$work/first.svg" > /dev/null
py "
import re, xml.etree.ElementTree as ET
for name, runs in (('overlay', 2), ('first', 1)):
    root = ET.parse('$work/' + name + '.svg').getroot()
    texts = [(t.get('text-anchor'), t.text) for t in root.iter('{http://www.w3.org/2000/svg}text')]
    assert sum(t == 'Learning rate' for _, t in texts) == 1, name
    if name == 'first':  # one epoch: its only epoch tick is 1
        ticks = {t for a, t in texts if a == 'middle' and t and t.isdigit()}
        assert ticks == {'1'}, ticks
    else:  # 2 runs: a colour each
        colours = {l.get('stroke') for l in root.iter('{http://www.w3.org/2000/svg}polyline')}
        assert len(colours) == runs, colours
    for a, t in texts:  # y tick labels are round: at most 4 decimals
        if a == 'end' and t and re.fullmatch(r'-?[0-9.]+', t): assert len(t.split('.')[-1]) <= 4 or '.' not in t, t
" || fail "plot's pictures"
expect_failure 64 "--output $work/curves.png: the picture is SVG; give a name ending in .svg (rsvg-convert curves.svg -o curves.png" \
    "$tool" plot "$work/metrics.jsonl" --output "$work/curves.png"
expect_failure 64 "give the metrics files to draw: easynets plot run.jsonl" "$tool" plot
"$tool" evaluate --checkpoint "$work/run.safetensors" --confusion-matrix "$work/confusion.svg" > "$work/evaluate.txt"
grep -q "^Wrote $work/confusion.svg" "$work/evaluate.txt" || fail "evaluate --confusion-matrix: $(tail -2 "$work/evaluate.txt")"
py "
import xml.etree.ElementTree as ET
root = ET.parse('$work/confusion.svg').getroot()
titles = [t.text for t in root.iter('{http://www.w3.org/2000/svg}title')]
assert len(titles) == 100 and 'actual Ankle boot, predicted Ankle boot' in ' '.join(titles), titles[:3]
# The counts add up to the 10000 test images.
assert sum(int(t.rsplit(': ', 1)[1]) for t in titles) == 10000
" || fail "the confusion matrix picture"
expect_failure 64 "--confusion-matrix $work/confusion.png: the picture is SVG" \
    "$tool" evaluate --checkpoint "$work/run.safetensors" --confusion-matrix "$work/confusion.png"

echo "== a checkpoint exported from PyTorch"
"$tool" evaluate --checkpoint Tests/Fixtures/torch_mlp_32_16.safetensors --hidden 32,16 --json > "$work/torch.json"
py "
import json; ours = json.load(open('$work/torch.json'))['accuracy']; theirs = json.load(open('Tests/Fixtures/torch_mlp_32_16.json'))['accuracy']
# Float32 sums in another order may flip an example whose two best logits are within rounding.
assert abs(ours - theirs) <= 3e-4, (ours, theirs)
print('PyTorch export: EasyNets accuracy', ours, 'PyTorch', theirs)
" || fail "PyTorch export evaluates differently"

echo "== a PyTorch model imported from ONNX: summary, export, a truncated file"
"$tool" import Tests/Fixtures/onnx/cnn.onnx --output "$work/imported.safetensors"
"$tool" summary --checkpoint "$work/imported.safetensors" --input-shape 1,12,12 > "$work/imported.txt"
grep -q "BatchNorm2d" "$work/imported.txt" && grep -q "\[1, 2\]" "$work/imported.txt" || fail "summary of the imported model: $(cat "$work/imported.txt")"
"$tool" export --checkpoint "$work/imported.safetensors" --input-shape 1,12,12 --output "$work/reexported.onnx" \
    || fail "export of the imported model"
head -c 1000 Tests/Fixtures/onnx/cnn.onnx > "$work/truncated.onnx"
expect_failure 1 "truncated.onnx: not a readable ONNX model" "$tool" import "$work/truncated.onnx" --output "$work/never.safetensors"
[ ! -e "$work/never.safetensors" ] || fail "a failed import wrote its output"

echo "== the cnn preset: images, augmentation, evaluate, predict --image, summary"
"$tool" train --model cnn --limit 1000 --epochs 1 --seed 0 --threads 2 --augment-shift 1 --augment-flip \
    --checkpoint "$work/cnn.safetensors" --metrics "$work/cnn.jsonl" | tail -2
cnn_accuracy=$(py "import json; print(json.loads(open('$work/cnn.jsonl').readline())['validation_accuracy'])")
py "assert $cnn_accuracy > 0.3, 'cnn test accuracy $cnn_accuracy is not above chance'" || fail "cnn accuracy $cnn_accuracy"
"$tool" evaluate --checkpoint "$work/cnn.safetensors" --json > "$work/cnn_eval.json"
py "import json; r = json.load(open('$work/cnn_eval.json')); assert abs(r['accuracy'] - $cnn_accuracy) < 1e-9, (r['accuracy'], $cnn_accuracy)" \
    || fail "the cnn checkpoint evaluates differently from training"
py "
import gzip
raw = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()
open('$work/first.pgm', 'wb').write(b'P5\n28 28\n255\n' + raw[16:16 + 784])
"
"$tool" predict --checkpoint "$work/cnn.safetensors" --image "$work/first.pgm" > "$work/cnn_image.log"
"$tool" predict --checkpoint "$work/cnn.safetensors" --index 0 > "$work/cnn_index.log"
[ "$(sed -n 2p "$work/cnn_image.log")" = "$(sed -n 2p "$work/cnn_index.log")" ] \
    || fail "predict --image of test image 0 differs from --index 0: $(cat "$work/cnn_image.log" "$work/cnn_index.log")"
"$tool" summary --checkpoint "$work/cnn.safetensors" > "$work/summary.txt"
grep -q "Conv2d(1 → 32, 3×3" "$work/summary.txt" && grep -q "\[1, 10\]" "$work/summary.txt" && grep -q "^Total parameters: " "$work/summary.txt" \
    || fail "summary of the cnn checkpoint: $(cat "$work/summary.txt")"
"$tool" summary --model cnn | grep -q "MaxPool2d" || fail "summary --model cnn"
"$tool" summary --model char-lstm | grep -q "^Total parameters: " || fail "summary --model char-lstm"
"$tool" export --checkpoint "$work/cnn.safetensors" --output "$work/cnn.onnx" | grep -q "batch axis symbolic" || fail "export of the cnn checkpoint"
py "
data = open('$work/cnn.onnx', 'rb').read()
assert b'onnx' not in data[:2] and b'Conv' in data and b'0.weight' in data and b'batch' in data, 'not an ONNX export of the cnn'
" || fail "the exported cnn"
expect_failure 1 "carries no model description" "$tool" export --checkpoint Tests/Fixtures/torch_mlp_32_16.safetensors --output "$work/x.onnx"
expect_failure 1 "cannot take examples of shape [3, 5]" "$tool" export --checkpoint "$work/cnn.safetensors" --input-shape 3,5 --output "$work/x.onnx"
expect_failure 64 "--output $work/no/such/dir/x.onnx" "$tool" export --checkpoint "$work/cnn.safetensors" --output "$work/no/such/dir/x.onnx"
[ ! -e "$work/x.onnx" ] || fail "a failed export left a file"
expect_failure 64 "need an image model" "$tool" train --limit 100 --epochs 1 --augment-flip
expect_failure 1 "the model takes images (N, C, H, W)" "$tool" evaluate --dataset spirals --checkpoint "$work/cnn.safetensors"

echo "== Ctrl-C stops after the current batch and saves a checkpoint"
"$tool" train --limit 20000 --epochs 100 --schedule none --threads 2 --checkpoint "$work/interrupted.safetensors" > "$work/interrupt.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q "^epoch 1/100 " "$work/interrupt.log" && break; sleep 0.5; done
kill -INT $pid
set +e; wait $pid; status=$?; set -e
[ $status -eq 130 ] || fail "interrupted training exited with $status (expected 130)"
grep -q "^Interrupted " "$work/interrupt.log" && [ -s "$work/interrupted.safetensors" ] || fail "no checkpoint after Ctrl-C"
"$tool" evaluate --checkpoint "$work/interrupted.safetensors" --json > /dev/null || fail "the Ctrl-C checkpoint does not load"
# Resume the interrupted epoch and end with it: the rest of its batches, then its evaluation.
# (A Ctrl-C in an epoch's last batch lets that epoch end first: "Interrupted after epoch N".)
stopped=$(sed -n 's/^Interrupted during epoch \([0-9]*\) .*/\1/p' "$work/interrupt.log")
resumed="^Resumed from .*, batch [0-9]* of epoch $stopped"
if [ -z "$stopped" ]; then
    stopped=$(( $(sed -n 's/^Interrupted after epoch \([0-9]*\)\./\1/p' "$work/interrupt.log") + 1 ))
    resumed="^Resumed from .* after epoch $((stopped - 1))"
fi
"$tool" train --limit 20000 --epochs "$stopped" --threads 2 --resume "$work/interrupted.safetensors" > "$work/resumed.log"
grep -q "$resumed" "$work/resumed.log" && grep -q "^epoch $stopped/$stopped: " "$work/resumed.log" \
    || fail "the run did not resume where it stopped: $(cat "$work/resumed.log")"

echo "== a model description file; checkpoints reload without architecture flags"
cat > "$work/model.json" <<'JSON'
{"sequential": {"layers": [
  {"linear": {"inputSize": 2, "outputSize": 32, "bias": true}}, {"layerNorm": {"normalizedShape": [32], "epsilon": 1e-5, "elementwiseAffine": true}},
  {"gelu": {"tanhApproximation": false}}, {"dropout": {"probability": 0.1}},
  {"residual": {"block": {"sequential": {"layers": [{"linear": {"inputSize": 32, "outputSize": 32, "bias": true}}, {"tanh": {}}]}}}},
  {"linear": {"inputSize": 32, "outputSize": 2, "bias": true}}]}}
JSON
"$tool" train --dataset spirals --model "$work/model.json" --epochs 2 --threads 1 --checkpoint "$work/described.safetensors" --checkpoint-every 5 \
    | tee "$work/described.log" | tail -1
"$tool" evaluate --dataset spirals --checkpoint "$work/described.safetensors" --json > "$work/described.json"
expect_failure 1 "the checkpoint was trained on --dataset spirals: give --dataset spirals" "$tool" evaluate --checkpoint "$work/described.safetensors"
py "
import json; r = json.load(open('$work/described.json'))
last = [l for l in open('$work/described.log') if l.startswith('Test accuracy: ')][-1]
assert abs(r['accuracy'] - float(last.split()[-1])) < 1e-4, (r, last)
" || fail "a described model evaluates differently from training"
"$tool" train --dataset spirals --model "$work/model.json" --epochs 2 --threads 1 --checkpoint "$work/again.safetensors" > /dev/null
cmp -s "$work/described.safetensors" "$work/again.safetensors" || fail "two runs with the same settings wrote different checkpoints"
printf '{"sequential": {"layers": [{"linear": {"inputSize": 3, "outputSize": 2, "bias": true}}]}}' > "$work/wrong.json"
expect_failure 1 "the model cannot take the 2 features of the spirals training data: layer 0: Linear takes 3 features" \
    "$tool" train --dataset spirals --model "$work/wrong.json" --epochs 1
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": -2, "bias": true}}]}}' > "$work/negative.json"
expect_failure 1 "negative.json: layer 0: Linear sizes must be at least 1" "$tool" train --dataset spirals --model "$work/negative.json"
# Errors in a model file name the JSON path and what was expected there.
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": 4, "bias": true}}, {"swish": {}}]}}' > "$work/kind.json"
expect_failure 1 "kind.json: sequential.layers[1]: unknown layer kind \"swish\"; the kinds are sequential, residual, linear, relu," \
    "$tool" train --dataset spirals --model "$work/kind.json"
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "bias": true}}]}}' > "$work/missing.json"
expect_failure 1 "missing.json: sequential.layers[0].linear.outputSize: missing; a linear layer needs this field" \
    "$tool" summary --model "$work/missing.json"
# Fields left out take PyTorch's defaults, written out in full by describe.
printf '{"sequential": {"layers": [{"conv2d": {"inChannels": 1, "outChannels": 4, "kernelSize": [3, 3]}}, {"maxPool2d": {"kernelSize": [2, 2]}}, {"flatten": {}}, {"linear": {"inputSize": 676, "outputSize": 10}}]}}' > "$work/short.json"
"$tool" describe --model "$work/short.json" > "$work/short-full.json"
py "
import json
layers = json.load(open('$work/short-full.json'))['sequential']['layers']
assert layers[0]['conv2d']['stride'] == [1, 1] and layers[0]['conv2d']['bias'] is True, layers[0]
assert layers[1]['maxPool2d']['stride'] == [2, 2] and layers[2]['flatten']['startAxis'] == 1, layers[1:3]
assert layers[3]['linear']['bias'] is True, layers[3]
" || fail "a model file's left-out fields did not take their defaults"
"$tool" summary --model "$work/short.json" > "$work/short-summary.txt"
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": "4", "bias": true}}]}}' > "$work/type.json"
expect_failure 1 "type.json: sequential.layers[0].linear.outputSize: expected an integer, found \"4\"" \
    "$tool" train --dataset spirals --model "$work/type.json"
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": 4, "bias": true, "out_features": 4}}]}}' > "$work/field.json"
expect_failure 1 "field.json: sequential.layers[0].linear.out_features: linear has no field \"out_features\"; its fields are bias, inputSize, outputSize" \
    "$tool" describe --model "$work/field.json"

echo "== describe: a preset, a model file or a checkpoint as the JSON to start from"
for preset in mlp cnn char-lstm char-transformer; do
    "$tool" describe --model $preset > "$work/$preset.json"
    "$tool" describe --model "$work/$preset.json" | cmp -s - "$work/$preset.json" || fail "describe --model $preset does not read back as itself"
done
"$tool" describe --model mlp --hidden 64 --activation tanh > "$work/mlp64.json"
"$tool" train --model "$work/mlp64.json" --limit 500 --epochs 1 --threads 2 > "$work/mlp64.log"
grep -q "^Training the model of $work/mlp64.json (50890 parameters)" "$work/mlp64.log" || fail "a described mlp did not train"
"$tool" describe --checkpoint "$work/described.safetensors" > "$work/from-checkpoint.json"
py "
import json
def canonical(path): return json.dumps(json.load(open(path)), sort_keys=True)
a, b = canonical('$work/model.json'), canonical('$work/from-checkpoint.json')
assert a == b, (a, b)
" || fail "describe --checkpoint is not the model file it was trained from"
expect_failure 64 "--hidden and --activation apply to --model mlp (the default), not to --model cnn" "$tool" describe --model cnn --hidden 32
expect_failure 64 "--model resnet: no preset or file of that name; the presets are mlp, cnn, char-lstm, char-transformer" \
    "$tool" describe --model resnet

echo "== bad input"
set +e
"$tool" train --data-dir "$work/nowhere" --epochs 1 2> "$work/err.txt"; status=$?
set -e
[ $status -ne 0 ] && grep -q "apt-get install dataset-fashion-mnist" "$work/err.txt" || fail "missing dataset message"
printf 'not an idx file' > "$work/bad.safetensors"
set +e
"$tool" evaluate --checkpoint "$work/bad.safetensors" 2> "$work/err.txt"; status=$?
"$tool" train --epochs zero 2> "$work/usage.txt"; usage=$?
set -e
[ $status -eq 1 ] && grep -q "bad.safetensors" "$work/err.txt" || fail "corrupt checkpoint message"
[ $usage -eq 64 ] || fail "invalid flag exit status $usage (expected 64, a usage error)"
mkdir "$work/cut"
head -c 50000 /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz > "$work/cut/train-images-idx3-ubyte.gz"
cp /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz "$work/cut/"
set +e
"$tool" train --data-dir "$work/cut" --epochs 1 2> "$work/err.txt"; status=$?
set -e
[ $status -eq 1 ] && grep -q "cut/train-images-idx3-ubyte.gz, compressed offset .*truncated" "$work/err.txt" || fail "truncated gzip message: $(cat "$work/err.txt")"
printf 'a,b,label\n1,2,0\n3,x,1\n' > "$work/bad.csv"
set +e
"$tool" train --dataset csv --train-file "$work/bad.csv" --test-file "$work/bad.csv" --epochs 1 2> "$work/err.txt"; status=$?
set -e
[ $status -eq 1 ] && grep -q "bad.csv, line 3, column 2: expected a number" "$work/err.txt" || fail "bad CSV message: $(cat "$work/err.txt")"

echo "== regression on CSV: train with a validation split, evaluate, predict; bad targets and flags"
py "
import random
random.seed(3)
for name, n in (('train', 600), ('test', 150)):
    with open('$work/reg-' + name + '.csv', 'w') as f:
        f.write('u,v,w,y,z\\n')
        for _ in range(n):
            u, v, w = (random.uniform(-1, 1) for _ in range(3))
            f.write(f'{u:.5f},{v:.5f},{w * 50 + 100:.5f},{3 * u - 2 * v + 0.5:.5f},{u * v:.5f}\\n')
"
"$tool" train --dataset csv --train-file "$work/reg-train.csv" --test-file "$work/reg-test.csv" --task regression \
    --target-column y,z --hidden 32 --epochs 40 --batch-size 32 --learning-rate 0.01 --validation-split 0.2 --threads 1 \
    --patience 5 --restore-best-weights --checkpoint "$work/reg.safetensors" --metrics "$work/reg.jsonl" > "$work/reg.log"
grep -q "^Training .*480 training, 120 validation (held out), 150 test examples" "$work/reg.log" || fail "regression split: $(head -3 "$work/reg.log")"
py "
import json
last = [json.loads(l) for l in open('$work/reg.jsonl')][-1]
assert {'train_mae', 'train_rmse', 'train_r2', 'validation_loss', 'validation_mae', 'validation_rmse', 'validation_r2'} <= set(last), last
assert last['validation_r2'] > 0.9, last
" || fail "regression metrics"
"$tool" evaluate --dataset csv --train-file "$work/reg-train.csv" --test-file "$work/reg-test.csv" --task regression \
    --target-column y,z --checkpoint "$work/reg.safetensors" --json > "$work/reg-eval.json"
test_line=$(grep "^Test loss" "$work/reg.log")
py "
import json
r = json.load(open('$work/reg-eval.json'))
assert r['examples'] == 150 and r['r2'] > 0.9, r
assert '$test_line' == 'Test loss %.4f, mae %.4f, rmse %.4f, r2 %.4f' % (r['loss'], r['mae'], r['rmse'], r['r2']), ('$test_line', r)
" || fail "evaluate of the regressor differs from train's test line"
head -3 "$work/reg-test.csv" | cut -d, -f1-3 > "$work/reg-in.csv"
"$tool" predict --dataset csv --train-file "$work/reg-train.csv" --test-file "$work/reg-test.csv" --task regression \
    --target-column y,z --checkpoint "$work/reg.safetensors" --csv "$work/reg-in.csv" > "$work/reg-pred.txt"
[ "$(grep -c "reg-in.csv row" "$work/reg-pred.txt")" -eq 2 ] || fail "regression predict: $(cat "$work/reg-pred.txt")"
expect_failure 1 "reg.safetensors: it holds a model trained for --task regression" "$tool" evaluate --checkpoint "$work/reg.safetensors"
printf 'u,v,w,y,z\n1,2,3,4,5\n1,2,3,oops,5\n' > "$work/reg-bad.csv"
expect_failure 1 "reg-bad.csv, line 3, column 4: expected a target value, found \"oops\" in column \"y\"" \
    "$tool" train --dataset csv --train-file "$work/reg-bad.csv" --test-file "$work/reg-test.csv" --task regression --target-column y
expect_failure 64 "accuracy applies to classes and multi-label targets" \
    "$tool" train --dataset csv --train-file "$work/reg-train.csv" --test-file "$work/reg-test.csv" --task regression --target-column y --report accuracy
expect_failure 64 "--loss mse does not apply" "$tool" train --dataset spirals --loss mse
expect_failure 64 "--monitor must be" "$tool" train --dataset spirals --monitor validation_r2

echo "== a moving average of the weights (--ema): validated and saved with the averages, resumed with the raw weights"
ema_flags=(--dataset spirals --hidden 16 --batch-size 32 --learning-rate 0.01 --schedule none --threads 1 --ema 0.9)
"$tool" train "${ema_flags[@]}" --epochs 3 --checkpoint "$work/ema.safetensors" --metrics "$work/ema.jsonl" > "$work/ema.log"
grep -q "moving average of the weights (decay 0.9) evaluated" "$work/ema.log" || fail "--ema settings line: $(head -3 "$work/ema.log")"
"$tool" train "${ema_flags[@]}" --epochs 2 --checkpoint "$work/ema2.safetensors" --metrics "$work/ema2.jsonl" > /dev/null
"$tool" train "${ema_flags[@]}" --epochs 3 --resume "$work/ema2.safetensors" --checkpoint "$work/ema2.safetensors" \
    --metrics "$work/ema2.jsonl" > /dev/null
"$tool" train --dataset spirals --hidden 16 --batch-size 32 --learning-rate 0.01 --schedule none --threads 1 --epochs 3 --metrics "$work/raw.jsonl" > /dev/null
"$tool" evaluate --dataset spirals --checkpoint "$work/ema.safetensors" --json > "$work/ema-eval.json"
py "
import json, struct
def values(path):
    return [{k: v for k, v in json.loads(line).items() if k.startswith(('train_', 'validation_'))} for line in open(path)]
whole, resumed, raw = values('$work/ema.jsonl'), values('$work/ema2.jsonl'), values('$work/raw.jsonl')
assert whole == resumed, (whole, resumed)  # the averages were restored with the run
assert [r['train_loss'] for r in whole] == [r['train_loss'] for r in raw], (whole, raw)  # training sees the raw weights
assert whole[-1]['validation_loss'] != raw[-1]['validation_loss'], (whole, raw)  # validation sees the averages
r = json.load(open('$work/ema-eval.json'))
assert abs(r['accuracy'] - whole[-1]['validation_accuracy']) < 1e-9, (r, whole[-1])  # evaluate uses the averages too
with open('$work/ema.safetensors', 'rb') as f:
    header = json.loads(f.read(struct.unpack('<Q', f.read(8))[0]))
assert 'ema.updates' in header and 'ema.0.weight' in header and 'model.0.weight' in header, sorted(header)
" || fail "--ema runs"
grep -q "^Test accuracy: $(py "import json; print('%.4f' % json.load(open('$work/ema-eval.json'))['accuracy'])")" "$work/ema.log" \
    || fail "--ema test accuracy: $(tail -1 "$work/ema.log")"
expect_failure 64 "--ema must be a decay in (0, 1)" "$tool" train --dataset spirals --ema 1
expect_failure 64 "--ema must be a decay in (0, 1)" "$tool" train --dataset spirals --ema 0
expect_failure 1 "it holds no moving average of the weights" \
    "$tool" train --dataset spirals --hidden 16 --epochs 2 --ema 0.9 --resume "$work/described.safetensors"

echo "== flags out of range are usage errors before any work"
expect_failure 64 "--batch-size must be in" "$tool" train --batch-size 9223372036854775807
expect_failure 64 "--epochs must be in" "$tool" train --epochs 9223372036854775807
expect_failure 64 "--hidden takes" "$tool" train --hidden 100000000000
expect_failure 64 "the model cannot be built" "$tool" train --dataset spirals --hidden 16000000,16000000
expect_failure 64 "--threads must be in" "$tool" train --threads 0
expect_failure 64 "--learning-rate" "$tool" train --learning-rate nan
expect_failure 64 "--dropout" "$tool" train --dropout 1.5
expect_failure 64 "--repetitions" "$tool" bench --repetitions 9223372036854775807
expect_failure 64 "--index" "$tool" predict --checkpoint "$work/run.safetensors" --index 99999999999999999999
expect_failure 64 "the presets are mlp, cnn, char-lstm, char-transformer" "$tool" train --model resnet
expect_failure 64 "Usage: easynets train" "$tool" train --model resnet  # found while running: the subcommand's usage
grep -q "^error: --model resnet" "$work/err.txt" || fail "the message does not start with 'error:': $(cat "$work/err.txt")"
expect_failure 64 "unknown command 'trian'. Did you mean 'train'?" "$tool" trian
expect_failure 64 "error: --epochs must be in" "$tool" train --epochs 0  # found while parsing: the same prefix
printf '{"layers": [1, 2, 3]}\n' > "$work/notes.json"
expect_failure 1 "not a safetensors file: it begins with text" "$tool" evaluate --checkpoint "$work/notes.json"
expect_failure 64 "--sequence-length applies to --dataset text, not to --dataset spirals" "$tool" train --dataset spirals --sequence-length 32
expect_failure 64 "--data-dir applies to --dataset fashion-mnist (the default), not to --dataset spirals" "$tool" train --dataset spirals --data-dir /tmp
# Negative numbers are values, then checked: never "Missing value".
expect_failure 64 "--epochs must be in" "$tool" train --epochs -1
expect_failure 64 "--learning-rate must be a positive number" "$tool" train --lr -0.1
expect_failure 64 "--dropout must be in" "$tool" train --dropout -0.5
expect_failure 64 "--temperature" "$tool" generate --checkpoint "$work/run.safetensors" --temperature -1

echo "== one memory limit, checked by every command before it builds a model or runs a batch"
expect_failure 64 "--memory-limit takes a size" "$tool" train --memory-limit lots
# 1 M weights fit 16 MiB, but not with their gradients, Adam's moments and a batch's activations.
expect_failure 1 "training a batch of 128 needs" "$tool" train --dataset spirals --hidden 1024,1024 --epochs 1 --memory-limit 16M
# The first 1000 images of each Fashion-MNIST file, so the data fits where the cnn's evaluation batch does not.
mkdir "$work/small"
py "
import gzip
for name, header, size in [('train-images-idx3-ubyte', 16, 784), ('t10k-images-idx3-ubyte', 16, 784),
                           ('train-labels-idx1-ubyte', 8, 1), ('t10k-labels-idx1-ubyte', 8, 1)]:
    data = gzip.open('/usr/share/datasets/fashion-mnist/' + name + '.gz').read()
    head = bytearray(data[:header]); head[4:8] = (1000).to_bytes(4, 'big')
    gzip.open('$work/small/' + name + '.gz', 'wb').write(bytes(head) + data[header:header + 1000 * size])
"
expect_failure 1 "evaluating a batch of 1000 needs" "$tool" evaluate --checkpoint "$work/cnn.safetensors" --data-dir "$work/small" \
    --memory-limit 256M
expect_failure 1 "more than the limit of 1048576 bytes (InputLimits.maximumBytes)" "$tool" summary --model cnn --memory-limit 1M
expect_failure 1 "more than the limit of 1048576 bytes (InputLimits.maximumBytes)" \
    "$tool" predict --checkpoint "$work/cnn.safetensors" --image "$work/first.pgm" --memory-limit 1M
# A checkpoint whose convolution pads by a million pixels (each value within its own limit): refused
# by shape and memory checks before any buffer exists, by every command that reads it.
python3 - "$work/cnn.safetensors" "$work/padded.safetensors" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
model = json.loads(header["__metadata__"]["model"])
model["sequential"]["layers"][0]["conv2d"]["padding"] = {"explicit": {"_0": [1048576, 1048576]}}
header["__metadata__"]["model"] = json.dumps(model, separators=(",", ":"), sort_keys=True)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
for command in "evaluate --checkpoint" "predict --index 0 --checkpoint" "summary --checkpoint" "train --epochs 30 --resume"; do
    # shellcheck disable=SC2086
    expect_failure 1 "padded.safetensors: " "$tool" $command "$work/padded.safetensors"
done
# A JSON key given twice is an error naming the key.
printf '{"sequential": {"layers": [{"linear": {"inputSize": 2, "outputSize": 2, "bias": true, "outputSize": 9}}]}}' > "$work/twice.json"
expect_failure 1 "the key \"outputSize\" appears twice" "$tool" train --dataset spirals --model "$work/twice.json"

echo "== outputs are checked before training and a full disk names the file"
expect_failure 64 "$work/missing/run.safetensors: the folder $work/missing does not exist" \
    "$tool" train --checkpoint "$work/missing/run.safetensors"
expect_failure 64 "/proc/metrics.jsonl: cannot create files" "$tool" train --metrics /proc/metrics.jsonl
# A read-only folder: permissions stop other users; root needs a read-only file system.
readonly_dir="$work/readonly"
mkdir "$readonly_dir"
if [ "$(id -u)" -ne 0 ]; then
    chmod a-w "$readonly_dir"
    expect_failure 64 "$readonly_dir/run.safetensors: cannot create files in its folder" \
        "$tool" train --checkpoint "$readonly_dir/run.safetensors"
elif mount -t tmpfs -o ro,size=64k tmpfs "$readonly_dir" 2> /dev/null; then
    set +e; "$tool" train --checkpoint "$readonly_dir/run.safetensors" 2> "$work/err.txt"; status=$?; set -e
    umount "$readonly_dir"
    [ $status -eq 64 ] && grep -qF "$readonly_dir/run.safetensors: cannot create files in its folder (Read-only file system)" "$work/err.txt" \
        || fail "read-only folder: status $status: $(cat "$work/err.txt")"
else
    echo "(no read-only file system can be mounted here; /proc stands for a read-only folder above)"
fi
mkdir -p "$work/folder.svg"
expect_failure 64 "--output $work/folder.svg: is a folder" "$tool" plot --metrics "$work/metrics.jsonl" --output "$work/folder.svg"
expect_failure 1 "/dev/full: writing failed (No space left on device)" \
    "$tool" train --dataset spirals --epochs 1 --threads 1 --metrics /dev/full
# A disk that fills up while the checkpoint is written: a file size limit (SIGXFSZ ignored, so the
# write fails with EFBIG instead of killing the process).
expect_failure 1 "$work/big.safetensors: writing $work/big.safetensors.tmp-" \
    bash -c "trap '' XFSZ; ulimit -f 8; exec \"\$@\"" _ "$tool" train --dataset spirals --epochs 1 --threads 1 --checkpoint "$work/big.safetensors"
[ ! -e "$work/big.safetensors" ] && [ -z "$(ls "$work" | grep 'big.safetensors.tmp-')" ] || fail "a failed checkpoint write left a file behind"

echo "== a checkpoint that does not fit the data"
"$tool" train --dataset spirals --hidden 8 --epochs 1 --threads 1 --checkpoint "$work/spirals.safetensors" > /dev/null
expect_failure 1 "spirals.safetensors: the model cannot take the 784 features of the Fashion-MNIST test set" \
    "$tool" evaluate --checkpoint "$work/spirals.safetensors"
expect_failure 1 "$work/spirals.safetensors: the model cannot take the 784 features" \
    "$tool" train --limit 100 --epochs 2 --resume "$work/spirals.safetensors"
printf 'a,b,c,label\n1,2,3,0\n4,5,6,1\n' > "$work/three.csv"
expect_failure 1 "the model cannot take the 3 features of $work/three.csv: layer 0: Linear takes 2 features" \
    "$tool" evaluate --checkpoint "$work/spirals.safetensors" --dataset csv --train-file "$work/three.csv" --test-file "$work/three.csv"
printf 'a,b,label\n1,2,0\n4,5,6\n' > "$work/six.csv"
expect_failure 1 "the model gives 2 class scores, but $work/six.csv has labels up to 6" \
    "$tool" evaluate --checkpoint "$work/spirals.safetensors" --dataset csv --train-file "$work/six.csv" --test-file "$work/six.csv"
printf 'a,b,label\n1,2,0\n4,5,1\n' > "$work/train2.csv"
printf 'a,b,label\n1,2,0\n4,5,7\n' > "$work/test2.csv"
expect_failure 1 "test2.csv, line 3, column 3: label 7 is outside the 2 classes" \
    "$tool" train --dataset csv --train-file "$work/train2.csv" --test-file "$work/test2.csv" --epochs 1
printf 'a,b,label\n1,nan,0\n4,5,1\n' > "$work/nan.csv"
expect_failure 1 "nan.csv, line 2, column 2: feature \"nan\" is not a finite number" \
    "$tool" train --dataset csv --train-file "$work/nan.csv" --test-file "$work/train2.csv" --epochs 1

echo "== a diverging run stops before writing anything non-finite; the last good checkpoint stays"
cp "$work/spirals.safetensors" "$work/good.safetensors"
expect_failure 1 "training stopped at epoch 1, step" \
    "$tool" train --dataset spirals --hidden 8 --optimizer sgd --learning-rate 1e30 --epochs 3 --threads 1 \
    --checkpoint "$work/spirals.safetensors" --metrics "$work/diverged.jsonl"
cmp -s "$work/spirals.safetensors" "$work/good.safetensors" || fail "the diverging run replaced the last good checkpoint"
py "
import json, math, os
path = '$work/diverged.jsonl'
for line in open(path) if os.path.exists(path) else []:
    assert all(math.isfinite(v) for v in json.loads(line).values()), line
" || fail "the metrics of a diverging run hold a non-finite value"
printf '{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"test_accuracy":0.5,"test_loss":1e308,"train_accuracy":0.5,"train_loss":1}\n' > "$work/absurd.jsonl"
expect_failure 1 "absurd.jsonl, line 1: test_loss" "$tool" plot --metrics "$work/absurd.jsonl" --output "$work/absurd.svg"

echo "== a character-level language model: train --dataset text, evaluate, resume, generate"
text_dir="$work/text"
mkdir "$text_dir"
# A small fortune file: 600 fortunes of a few words each, "%" lines between them.
py "
import random
random.seed(1)
words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away', 'home']
fortunes = [' '.join(random.choice(words) for _ in range(random.randint(3, 9))) + '.' for _ in range(600)]
open('$text_dir/small', 'w').write('\\n%\\n'.join(fortunes) + '\\n')
"
text=(--dataset text --text "$text_dir" --sequence-length 32)
"$tool" train "${text[@]}" --epochs 2 --threads 2 --learning-rate 0.01 --checkpoint "$work/lm.safetensors" \
    --metrics "$work/lm.jsonl" | tee "$work/lm.log"
grep -q "^Training the char-lstm preset" "$work/lm.log" || fail "--dataset text did not default to the char-lstm preset"
grep -q "^epoch 2/2: .*validation .*bits per character" "$work/lm.log" || fail "train did not report bits per character"
bits=$(py "import json, math; print([json.loads(l) for l in open('$work/lm.jsonl')][-1]['validation_bits_per_character'])")
loss_bits=$(py "import json, math; print([json.loads(l) for l in open('$work/lm.jsonl')][-1]['validation_loss'] / math.log(2))")
py "assert abs($bits - $loss_bits) < 1e-4, ($bits, $loss_bits)" || fail "bits per character $bits is not the loss in bits $loss_bits"
# 15 characters: uniform guessing is log2(15) = 3.9 bits; the words alone need far less.
py "assert $bits < 2.6, $bits" || fail "validation bits per character $bits"
grep -qF "Validation bits per character: $(py "print(f'{$bits:.4f}')")" "$work/lm.log" || fail "the last line's bits per character"
"$tool" evaluate "${text[@]}" --checkpoint "$work/lm.safetensors" --json > "$work/lm-eval.json"
py "
import json; r = json.load(open('$work/lm-eval.json'))
assert abs(r['bits_per_character'] - $bits) < 1e-9, (r, $bits)
" || fail "evaluate disagrees with training on bits per character"
# A resumed run keeps its schedule: the checkpoint's epochs, learning rate and schedule unless flags change them, then refused.
"$tool" train "${text[@]}" --threads 2 --resume "$work/lm.safetensors" > "$work/lm-resumed.log"
grep -q "^Nothing to do: the checkpoint already finished epoch 2 of 2" "$work/lm-resumed.log" || fail "resume did not keep 2 epochs"
grep -q "^Training the char-lstm preset ([0-9]* parameters) (resumed from $work/lm.safetensors)" "$work/lm-resumed.log" \
    || fail "the resumed language model's header: $(head -1 "$work/lm-resumed.log")"
grep -q "^optimizer adam lr 0.01, schedule cosine, " "$work/lm-resumed.log" || fail "resume did not keep the learning rate"
expect_failure 1 "lm.safetensors: its run was started with 2 epochs (its cosine schedule spans them), this one has 3; resuming would change the learning rate mid-schedule; resume with 2 epochs" \
    "$tool" train "${text[@]}" --epochs 3 --resume "$work/lm.safetensors"
expect_failure 1 "its run was started with the learning rate 0.01, this one has 0.02" \
    "$tool" train "${text[@]}" --learning-rate 0.02 --resume "$work/lm.safetensors"
"$tool" train "${text[@]}" --epochs 3 --threads 2 --learning-rate 0.01 --schedule exponential --checkpoint "$work/lm-exp.safetensors" \
    --metrics "$work/lm-exp.jsonl" --limit 40 > /dev/null
"$tool" train "${text[@]}" --epochs 2 --threads 2 --learning-rate 0.01 --schedule exponential --checkpoint "$work/lm-exp2.safetensors" \
    --metrics "$work/lm-exp2.jsonl" --limit 40 > /dev/null
"$tool" train "${text[@]}" --epochs 3 --threads 2 --resume "$work/lm-exp2.safetensors" --checkpoint "$work/lm-exp2.safetensors" \
    --metrics "$work/lm-exp2.jsonl" --limit 40 > "$work/lm-resumed.log"
grep -q "^epoch 3/3" "$work/lm-resumed.log" || fail "the language model did not resume"
py "
import json
def losses(path): return [json.loads(line)['train_loss'] for line in open(path)]
assert losses('$work/lm-exp.jsonl') == losses('$work/lm-exp2.jsonl'), (losses('$work/lm-exp.jsonl'), losses('$work/lm-exp2.jsonl'))
" || fail "3 epochs at an exponential rate, resumed after 2, differ from 3 in one run"
"$tool" generate --checkpoint "$work/lm.safetensors" --prompt "the " --length 200 --temperature 0.5 --seed 3 > "$work/sample.txt"
py "
text = open('$work/sample.txt').read()
assert text.startswith('the ') and len(text) == 4 + 200 + 1, repr(text)
words = [w.strip('.%') for w in text.split()]
known = sum(w in {'the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away', 'home'} for w in words)
assert known >= 0.7 * len(words), (known, len(words), text)
" || fail "generated text is not made of the training words: $(cat "$work/sample.txt")"
"$tool" generate --checkpoint "$work/lm.safetensors" --prompt "the " --length 50 --temperature 0.5 --seed 3 > "$work/sample2.txt"
[ "$(head -c 54 "$work/sample.txt")" = "$(head -c 54 "$work/sample2.txt")" ] || fail "the same seed sampled different text"
expect_failure 64 "--prompt: character 2: \"Z\" is not in the vocabulary" \
    "$tool" generate --checkpoint "$work/lm.safetensors" --prompt "a Z"
expect_failure 1 "spirals.safetensors: not a language model's checkpoint" "$tool" generate --checkpoint "$work/spirals.safetensors"
expect_failure 64 "--temperature must be in" "$tool" generate --checkpoint "$work/lm.safetensors" --temperature=-1
expect_failure 64 "--sequence-length must be in" "$tool" train "${text[@]}" --sequence-length 0
expect_failure 64 "sample a language model with easynets generate" "$tool" predict "${text[@]}" --checkpoint "$work/lm.safetensors" --index 0
expect_failure 1 "fewer than one sequence of 60000 characters and the one after it" "$tool" train --dataset text --text "$text_dir" --sequence-length 60000
printf '{"sequential":{"layers":[{"embedding":{"count":200,"dimension":4}},{"linear":{"bias":true,"inputSize":4,"outputSize":200}},{"permute":{"axes":[0,2,1]}}]}}' > "$work/wide.json"
expect_failure 1 "a language model of this text needs one per character" "$tool" train "${text[@]}" --model "$work/wide.json" --epochs 1
printf 'the cat\n%%\nzebra quux\n' > "$text_dir/other"
expect_failure 1 "it was not written for a language model of this text's" \
    "$tool" train "${text[@]}" --epochs 4 --resume "$work/lm.safetensors"
expect_failure 1 "it was not written for a language model of this text's" \
    "$tool" evaluate "${text[@]}" --checkpoint "$work/lm.safetensors"
expect_failure 1 "it is not a language model's checkpoint" "$tool" train "${text[@]}" --resume "$work/spirals.safetensors"
rm "$text_dir/other"
printf 'bad \xff byte\n' > "$text_dir/broken"
expect_failure 1 "$text_dir/broken, offset 4: the text is not UTF-8" "$tool" train "${text[@]}" --epochs 1
rm "$text_dir/broken"
# One plain text file: a document per line, drawn 90/10; too little text names the cause.
py "
import random
random.seed(2)
words = ['the', 'cat', 'sat', 'on', 'a', 'mat']
open('$work/plain.txt', 'w').write(''.join(' '.join(random.choice(words) for _ in range(8)) + '\\n' for _ in range(300)))
"
"$tool" train --dataset text --text "$work/plain.txt" --sequence-length 16 --epochs 1 --threads 2 > "$work/plain.log"
grep -q "^Text: 11 distinct characters" "$work/plain.log" || fail "a plain text file: $(head -3 "$work/plain.log")"
printf 'a single line of text\n' > "$work/line.txt"
expect_failure 1 "$work/line.txt: all 1 document(s) of the text went to training, none to validation" \
    "$tool" train --dataset text --text "$work/line.txt" --sequence-length 4
expect_failure 1 "$work/none.txt: no such file or folder" "$tool" train --dataset text --text "$work/none.txt"

echo "== SIGKILL at 20 random moments: the checkpoint is absent or loads"
kill_path="$work/killed.safetensors"
for round in $(seq 1 20); do
    resume=()
    [ -e "$kill_path" ] && resume=(--resume "$kill_path")
    "$tool" train --dataset spirals --epochs 1000000 --threads 1 --checkpoint "$kill_path" "${resume[@]}" > /dev/null 2>&1 &
    pid=$!
    sleep "$(py "import random; print(random.uniform(0.2, 1.5))")"
    kill -KILL $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    if [ -e "$kill_path" ]; then
        "$tool" evaluate --dataset spirals --checkpoint "$kill_path" --json > /dev/null || fail "round $round: the checkpoint does not load"
    fi
done
"$tool" train --dataset spirals --epochs 1 --threads 1 --checkpoint "$kill_path" > /dev/null
[ -z "$(ls "$work" | grep 'killed.safetensors.tmp-')" ] || fail "temporary files of killed writes were not cleaned up: $(ls "$work")"
"$tool" evaluate --dataset spirals --checkpoint "$kill_path" --json > /dev/null || fail "the checkpoint after the kills does not load"

echo "e2e: all checks passed"
