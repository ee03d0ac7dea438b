#!/usr/bin/env bash
# Data-parallel training under Open MPI, 2 processes: exact equivalence with one process (Double,
# SGD, Adam and L-BFGS), checkpoints crossing between distributed and single runs, mismatch detection
# (easynets-distributed-checks); then the tool: Fashion-MNIST in Float and a character-level
# language model (labels per position) agree with one process, as does a CNN with batch
# normalization over the whole batch (--sync-batch-norm);
# a process that cannot read its data or that is killed ends the whole job with a nonzero status
# (never a hang) and the last checkpoint stays intact, and mismatched models are refused.
# Usage: scripts/distributed.sh [BUILD_DIR]   (default .build/debug; builds it when it is the default)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/debug}"
# Built product by product: a plain `swift build` also builds swift-protobuf's C++ protoc (unused).
if [ $# -eq 0 ]; then for product in easynets easynets-mpi easynets-distributed-checks; do swift build --product $product; done; fi
mpi=(mpirun --oversubscribe)
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "-- multi-process checks (Double: 20 SGD and Adam steps, checkpoints, mismatches, accumulation, L-BFGS)"
timeout 600 "${mpi[@]}" -np 2 "$bin/easynets-distributed-checks" | tee "$work/checks.log"
grep -q "^ok: sums in a window shared by the 2 processes of this host" "$work/checks.log" \
    || { echo "FAIL: the processes of one host did not sum in a shared window" >&2; exit 1; }

echo "-- Fashion-MNIST in Float: 2 processes against 1, final test accuracy within 0.002"
flags=(train --epochs 1 --threads 1)
single=$("$bin/easynets" "${flags[@]}" | sed -n 's/^Test accuracy: //p')
multi=$(timeout 600 "${mpi[@]}" -np 2 "$bin/easynets-mpi" "${flags[@]}" | sed -n 's/^Test accuracy: //p')
echo "one process $single, two processes $multi"
python3 -c "import sys; a, b = float('$single'), float('$multi'); sys.exit(0 if abs(a - b) <= 0.002 else 1)" \
    || { echo "FAIL: accuracies differ by more than 0.002" >&2; exit 1; }

echo "-- a character-level language model (labels per position): 2 processes against 1, validation bits per character within 0.01"
mkdir "$work/text"
python3 -c "
import random
random.seed(1)
words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away', 'home']
open('$work/text/small', 'w').write('\\n%\\n'.join(' '.join(random.choice(words) for _ in range(random.randint(3, 9))) + '.' for _ in range(600)) + '\\n')
"
flags=(train --dataset text --text "$work/text" --sequence-length 32 --epochs 2 --threads 1)
single=$("$bin/easynets" "${flags[@]}" | sed -n 's/^Validation bits per character: \([0-9.]*\),.*/\1/p')
multi=$(timeout 600 "${mpi[@]}" -np 2 "$bin/easynets-mpi" "${flags[@]}" | sed -n 's/^Validation bits per character: \([0-9.]*\),.*/\1/p')
echo "one process $single, two processes $multi bits per character"
python3 -c "import sys; a, b = float('$single'), float('$multi'); sys.exit(0 if abs(a - b) <= 0.01 and a < 3 else 1)" \
    || { echo "FAIL: bits per character differ by more than 0.01, or did not fall below 3" >&2; exit 1; }

echo "-- a CNN with batch normalization over the whole batch: 2 processes against 1, test accuracy within 0.003"
# No dropout, so the two runs differ only in the order of Float sums.
printf '%s' '{"sequential": {"layers": [{"conv2d": {"inChannels": 1, "outChannels": 8, "kernelSize": [3, 3]}},
  {"batchNorm2d": {"featureCount": 8}}, {"relu": {}}, {"maxPool2d": {"kernelSize": [2, 2]}}, {"flatten": {}},
  {"linear": {"inputSize": 1352, "outputSize": 10}}]}}' > "$work/cnn.json"
flags=(train --model "$work/cnn.json" --limit 3000 --epochs 1 --threads 1)
single=$("$bin/easynets" "${flags[@]}" | sed -n 's/^Test accuracy: //p')
"${mpi[@]}" -np 2 "$bin/easynets-mpi" "${flags[@]}" --sync-batch-norm > "$work/sync.log"
grep -q "batch normalization over the whole batch" "$work/sync.log" || { echo "FAIL: the header does not say so" >&2; exit 1; }
multi=$(sed -n 's/^Test accuracy: //p' "$work/sync.log")
echo "one process $single, two processes with synchronized batch normalization $multi"
python3 -c "import sys; a, b = float('$single'), float('$multi'); sys.exit(0 if abs(a - b) <= 0.003 and a > 0.5 else 1)" \
    || { echo "FAIL: accuracies differ by more than 0.003" >&2; exit 1; }

expect_failure() {  # expect_failure NAME PATTERN COMMAND…: nonzero, not a timeout, and PATTERN in the output
    local name="$1" pattern="$2"; shift 2
    set +e
    timeout 300 "$@" > "$work/log" 2>&1
    local status=$?
    set -e
    if [ $status -eq 0 ] || [ $status -eq 124 ] || ! grep -q "$pattern" "$work/log"; then
        echo "FAIL: $name: status $status" >&2; cat "$work/log" >&2; exit 1
    fi
    echo "ok: $name (status $status)"
}

echo "-- faults end the whole job"
expect_failure "easynets, built without Open MPI, under mpirun" "run easynets-mpi instead" \
    "${mpi[@]}" -np 2 "$bin/easynets" train --epochs 1 --limit 2000 --threads 1

expect_failure "--sync-batch-norm without mpirun" "sync-batch-norm applies to data-parallel training" \
    "$bin/easynets" train --model cnn --limit 100 --epochs 1 --sync-batch-norm
expect_failure "a process that cannot read its data" "Fashion-MNIST file not found" \
    "${mpi[@]}" -np 1 "$bin/easynets-mpi" train --epochs 1 --limit 2000 --threads 1 \
    : -np 1 "$bin/easynets-mpi" train --epochs 1 --limit 2000 --threads 1 --data-dir "$work/none"
expect_failure "--gradient-precision without mpirun" "gradient-precision applies to data-parallel training" \
    "$bin/easynets" train --limit 100 --epochs 1 --gradient-precision bfloat16
expect_failure "a checkpoint to resume that rank 0 cannot read" "missing.safetensors.*no such file" \
    "${mpi[@]}" -np 2 "$bin/easynets-mpi" train --epochs 1 --limit 2000 --threads 1 --resume "$work/missing.safetensors"
expect_failure "mismatched models" "the model (parameter names and shapes) differs" \
    "${mpi[@]}" -np 1 "$bin/easynets-mpi" train --epochs 1 --limit 2000 --threads 1 --hidden 64 \
    : -np 1 "$bin/easynets-mpi" train --epochs 1 --limit 2000 --threads 1 --hidden 32
# Rank 1 is killed 10 s into a run that checkpoints every 5 steps.
expect_failure "a process killed mid-run" "" \
    "${mpi[@]}" -np 1 "$bin/easynets-mpi" train --epochs 20 --threads 1 --checkpoint "$work/run.safetensors" --checkpoint-every 5 \
    : -np 1 timeout -s KILL 10 "$bin/easynets-mpi" train --epochs 20 --threads 1 --checkpoint "$work/run.safetensors" --checkpoint-every 5
"$bin/easynets" evaluate --checkpoint "$work/run.safetensors" > "$work/evaluate.log"
grep -q "accuracy" "$work/evaluate.log" || { echo "FAIL: the last checkpoint does not evaluate" >&2; cat "$work/evaluate.log" >&2; exit 1; }
echo "ok: the last checkpoint is intact and evaluates"
echo "distributed: all checks passed"
