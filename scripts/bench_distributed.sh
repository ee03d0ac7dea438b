#!/usr/bin/env bash
# Data-parallel speed on this machine (release build): the `large` MLP (784-1024-1024-10, global
# batch 256, SGD momentum, no schedule) trained by `easynets train` on 30 000 Fashion-MNIST
# examples, as 1 process × 1 thread, 1 process × 2 threads and 2 processes × 1 thread (mpirun),
# in rotating rounds; prints each epoch's training samples/s and the ratios to 1 × 1.
# Usage: scripts/bench_distributed.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
swift build -c release --product easynets-mpi >/dev/null
bin=.build/release/easynets-mpi
mpi=(mpirun --oversubscribe)
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
flags=(train --hidden 1024,1024 --batch-size 256 --epochs 1 --optimizer sgd --schedule none --limit 30000 --threads)
rate() { sed -n 's/^epoch 1\/1:.*, \([0-9]*\) samples\/s$/\1/p'; }
declare -A results
for round in $(seq "$rounds"); do
    results[one]+=" $("$bin" "${flags[@]}" 1 | rate)"
    results[threads]+=" $("$bin" "${flags[@]}" 2 | rate)"
    results[processes]+=" $("${mpi[@]}" -np 2 "$bin" "${flags[@]}" 1 | rate)"
done
python3 - "${results[one]}" "${results[threads]}" "${results[processes]}" <<'PY'
import statistics, sys
one, threads, processes = ([float(x) for x in arg.split()] for arg in sys.argv[1:4])
base = statistics.median(one)
for name, values in (("1 process x 1 thread", one), ("1 process x 2 threads", threads), ("2 processes x 1 thread", processes)):
    print(f"{name:24} samples/s {' '.join(f'{v:.0f}' for v in values):30} median {statistics.median(values):7.0f}  "
          f"x{statistics.median(values) / base:.2f} of 1 x 1")
PY
