#!/usr/bin/env bash
# End-to-end check of the easynets tool on Fashion-MNIST: trains on a 2000-example subset for one
# epoch, checks the accuracy is far above chance (0.1), evaluates the checkpoint, predicts, plots,
# resumes, evaluates a PyTorch-trained export, and checks that bad input fails cleanly.
# Usage: scripts/e2e.sh [path/to/easynets]   (default: .build/debug/easynets, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-.build/debug/easynets}
[ -x "$tool" ] || swift build --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

py() { python3 -c "$1"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }

echo "== train (2000 examples, 1 epoch)"
"$tool" train --limit 2000 --epochs 1 --seed 0 --threads 2 --checkpoint "$work/run.safetensors" --metrics "$work/metrics.jsonl" | tee "$work/train.log"
accuracy=$(py "import json; print(json.loads(open('$work/metrics.jsonl').readline())['test_accuracy'])")
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
    --metrics "$work/metrics.jsonl" | grep -q "^epoch 2/2" || fail "resume did not train epoch 2"

echo "== predict and plot"
"$tool" predict --checkpoint "$work/run.safetensors" --index 0,1 | tee "$work/predict.log"
[ "$(grep -c '^test\[' "$work/predict.log")" = 2 ] || fail "predict printed no probabilities"
"$tool" plot --metrics "$work/metrics.jsonl" --output "$work/curves.svg"
grep -q "<polyline" "$work/curves.svg" || fail "plot wrote no curves"

echo "== a checkpoint exported from PyTorch"
"$tool" evaluate --checkpoint Tests/Fixtures/torch_mlp_32_16.safetensors --hidden 32,16 --json > "$work/torch.json"
py "
import json; ours = json.load(open('$work/torch.json'))['accuracy']; theirs = json.load(open('Tests/Fixtures/torch_mlp_32_16.json'))['accuracy']
# Float32 sums in another order may flip an example whose two best logits are within rounding.
assert abs(ours - theirs) <= 3e-4, (ours, theirs)
print('PyTorch export: EasyNets accuracy', ours, 'PyTorch', theirs)
" || fail "PyTorch export evaluates differently"

echo "== Ctrl-C stops after the current batch and saves a checkpoint"
"$tool" train --limit 20000 --epochs 100 --threads 2 --checkpoint "$work/interrupted.safetensors" > "$work/interrupt.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q "^epoch 1/100 " "$work/interrupt.log" && break; sleep 0.5; done
kill -INT $pid
set +e; wait $pid; status=$?; set -e
[ $status -eq 130 ] || fail "interrupted training exited with $status (expected 130)"
grep -q "^Interrupted during epoch" "$work/interrupt.log" && [ -s "$work/interrupted.safetensors" ] || fail "no checkpoint after Ctrl-C"
"$tool" evaluate --checkpoint "$work/interrupted.safetensors" --json > /dev/null || fail "the Ctrl-C checkpoint does not load"

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
echo "e2e: all checks passed"
