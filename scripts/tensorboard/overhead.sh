#!/usr/bin/env bash
# Measures what --tensorboard costs: trains the MLP (784-256-128-10) for 2 epochs on EXAMPLES
# Fashion-MNIST examples (default all 60000) on one thread with and without --tensorboard, alternating, RUNS times
# each. Prints, for each run with --tensorboard, the time the training thread spent in the writer
# as a share of the training epochs' time (the tool's "TensorBoard: … training waited" line: one
# process, so other work on the machine hardly disturbs it), and for both kinds the wall-clock
# and the CPU seconds (user + system, which include the writer's background queue) of the whole
# process, with the ratios of the fastest and of the medians.
# Usage: scripts/tensorboard/overhead.sh [path/to/easynets] [RUNS] [EXAMPLES]   (default: .build/release/easynets, 5, 60000)
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=${1:-.build/release/easynets}
runs=${2:-5}
examples=${3:-60000}
[ -x "$tool" ] || swift build -c release --product easynets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$tool" "$runs" "$work" "$examples" <<'PY'
import re, resource, statistics, subprocess, sys, time
tool, runs, work, examples = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
common = [tool, "train", "--limit", examples, "--epochs", "2", "--seed", "0", "--threads", "1"]

shares = []

def seconds(command):
    """The wall-clock and the CPU seconds of running `command`."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^TensorBoard: .* \(training waited ([0-9.]+) s for it, ([0-9.]+)% of the ([0-9.]+) s of training", output, re.M)
    if match:
        shares.append(float(match.group(2)))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

without, with_ = [], []
for run in range(1, runs + 1):
    without.append(seconds(common))
    with_.append(seconds(common + ["--tensorboard", f"{work}/runs/{run}"]))
    print(f"run {run}: wall-clock without {without[-1][0]:.3f} s, with {with_[-1][0]:.3f} s; CPU without {without[-1][1]:.3f} s, "
          f"with {with_[-1][1]:.3f} s; training waited for the writer {shares[-1]:.2f}% of its time")
print(f"training's wait for the writer: median {statistics.median(shares):.2f}%, largest {max(shares):.2f}% of the training time")
for index, kind in [(0, "wall-clock"), (1, "CPU")]:
    a, b = [s[index] for s in without], [s[index] for s in with_]
    print(f"{kind}: fastest without {min(a):.3f} s, with {min(b):.3f} s, ratio {min(b) / min(a):.4f}; "
          f"medians {statistics.median(a):.3f} s and {statistics.median(b):.3f} s, ratio {statistics.median(b) / statistics.median(a):.4f}")
PY
