#!/usr/bin/env bash
# Measures what --tensorboard costs: trains the MLP (784-256-128-10) for 2 epochs on 20000
# Fashion-MNIST examples on one thread with and without --tensorboard, alternating, RUNS times
# each. Prints, for each run with --tensorboard, the time the writer itself took as a share of
# the training epochs' time (the tool's "TensorBoard: … writing took" line: one process, so
# other work on the machine hardly disturbs it), and for both kinds the CPU seconds (user +
# system) of the whole process, with the ratio of the fastest and of the medians.
# Usage: scripts/tensorboard/overhead.sh [path/to/easynets] [RUNS]   (default: .build/release/easynets, 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=${1:-.build/release/easynets}
runs=${2:-5}
[ -x "$tool" ] || swift build -c release --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$tool" "$runs" "$work" <<'PY'
import re, resource, statistics, subprocess, sys
tool, runs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
common = [tool, "train", "--limit", "20000", "--epochs", "2", "--seed", "0", "--threads", "1"]

shares = []

def cpu_seconds(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^TensorBoard: .* \(writing took ([0-9.]+) s, ([0-9.]+)% of the ([0-9.]+) s of training", output, re.M)
    if match:
        shares.append(float(match.group(2)))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

without, with_ = [], []
for run in range(1, runs + 1):
    without.append(cpu_seconds(common))
    with_.append(cpu_seconds(common + ["--tensorboard", f"{work}/runs/{run}"]))
    print(f"run {run}: CPU without {without[-1]:.3f} s, with {with_[-1]:.3f} s; the writer took {shares[-1]:.2f}% of training")
print(f"writer's share of the training time: median {statistics.median(shares):.2f}%, largest {max(shares):.2f}%")
print(f"fastest: without {min(without):.3f} s, with {min(with_):.3f} s, ratio {min(with_) / min(without):.4f}")
print(f"median:  without {statistics.median(without):.3f} s, with {statistics.median(with_):.3f} s, "
      f"ratio {statistics.median(with_) / statistics.median(without):.4f}")
PY
