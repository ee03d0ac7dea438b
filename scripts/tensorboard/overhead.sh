#!/usr/bin/env bash
# Measures what --tensorboard costs: trains the MLP (784-256-128-10) for 2 epochs on 20000
# Fashion-MNIST examples with and without --tensorboard, alternating, RUNS times each, and
# prints each run's seconds, the fastest of each kind and their ratio (the fastest run is the
# one least disturbed by other work on the machine).
# Usage: scripts/tensorboard/overhead.sh [path/to/easynets] [RUNS]   (default: .build/release/easynets, 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=${1:-.build/release/easynets}
runs=${2:-5}
[ -x "$tool" ] || swift build -c release --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {  # seconds COMMAND...: the command's wall-clock seconds
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
common=(train --limit 20000 --epochs 2 --seed 0 --threads 2)
without=() with=()
for run in $(seq "$runs"); do
    without+=("$(seconds "$tool" "${common[@]}")")
    with+=("$(seconds "$tool" "${common[@]}" --tensorboard "$work/runs/$run")")
    echo "run $run: without ${without[-1]} s, with ${with[-1]} s"
done
python3 - "${without[*]}" "${with[*]}" <<'PY'
import statistics, sys
without, with_ = ([float(x) for x in arg.split()] for arg in sys.argv[1:3])
print(f"fastest: without {min(without):.3f} s, with {min(with_):.3f} s, ratio {min(with_) / min(without):.4f}")
print(f"median:  without {statistics.median(without):.3f} s, with {statistics.median(with_):.3f} s, "
      f"ratio {statistics.median(with_) / statistics.median(without):.4f}")
PY
