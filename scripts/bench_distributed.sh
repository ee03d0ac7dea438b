#!/usr/bin/env bash
# Data-parallel speed on this machine (release build): the `large` MLP (784-1024-1024-10, global
# batch 256, SGD momentum, no schedule) trained by `easynets train` on Fashion-MNIST.
#
# On one host (default): 30 000 examples as 1 process × 1 thread, 1 process × 2 threads and
# 2 processes × 1 thread (mpirun), and the bound of the last: two independent processes started
# together, each training alone on half of every batch and of the data (the 2 processes without
# their gradient sums). In rotating rounds; prints each configuration's training samples/s, the
# ratios to 1 × 1, and the 2 processes' share of the bound in each round.
#
# With --hosts (as root): 12 000 examples on 2 and 3 test hosts (scripts/testhosts.sh) over links
# shaped to 1 and 10 Gbit/s, one rank each, and on one process alone; prints the time per step of
# the second epoch against the cost model, whose two terms are measured in the same run:
#   step(N) = compute(N) + allreduce(N)
# compute(N): the step of the slowest of N independent processes started together, each training
# alone on a share of the batch, 256/N (the test hosts share this machine's cores, memory and
# caches, as the ranks do); allreduce(N): one MPI_Allreduce of the model's gradients between the N
# hosts (scripts/allreduce_time.c), which starts when backward ends (the gradients fit one bucket)
# and so adds to the compute. It also times the same MPI_Allreduce with Open MPI's ring algorithm.
# Usage: scripts/bench_distributed.sh [--hosts] [ROUNDS]   (default 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=one
if [ "${1:-}" = "--hosts" ]; then mode=hosts; shift; fi
rounds="${1:-3}"
swift build -c release --product easynets-mpi >/dev/null
bin="$(pwd)/.build/release/easynets-mpi"
model=(--hidden 1024,1024 --optimizer sgd --schedule none)
# samples/s of the last epoch a run reports.
rate() { sed -n 's/^epoch \([0-9]*\)\/\1:.*, \([0-9]*\) samples\/s$/\2/p'; }
# independently COUNT FLAGS…: COUNT processes of `train FLAGS…` started together, none aware of the
# others; prints each one's samples/s in its last epoch.
independently() {
    local count=$1 i logs pids=()
    shift
    logs="$(mktemp -d)"
    for i in $(seq "$count"); do "$bin" train "${model[@]}" --threads 1 "$@" > "$logs/$i.log" & pids+=($!); done
    wait "${pids[@]}"
    cat "$logs"/*.log | rate
    rm -rf "$logs"
}

if [ $mode = one ]; then
    mpi=(mpirun --oversubscribe)
    if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
    flags=(train "${model[@]}" --batch-size 256 --epochs 1 --limit 30000)
    declare -A results
    for round in $(seq "$rounds"); do
        results[one]+=" $("$bin" "${flags[@]}" --threads 1 | rate)"
        results[threads]+=" $("$bin" "${flags[@]}" --threads 2 | rate)"
        results[processes]+=" $("${mpi[@]}" -np 2 "$bin" "${flags[@]}" --threads 1 | rate)"
        # The bound: the same two processes without the gradient sums, that is, two independent
        # processes started together, each training alone on its half of every batch (and of the
        # data); together they train at the sum of their rates.
        results[bound]+=" $(independently 2 --batch-size 128 --epochs 1 --limit 15000 | awk '{ sum += $1 } END { print sum }')"
    done
    python3 - "${results[one]}" "${results[threads]}" "${results[processes]}" "${results[bound]}" <<'PY'
import statistics, sys
one, threads, processes, bound = ([float(x) for x in arg.split()] for arg in sys.argv[1:5])
base = statistics.median(one)
for name, values in (("1 process x 1 thread", one), ("1 process x 2 threads", threads), ("2 processes x 1 thread", processes),
                     ("bound: 2 without sums", bound)):
    print(f"{name:24} samples/s {' '.join(f'{v:.0f}' for v in values):30} median {statistics.median(values):7.0f}  "
          f"x{statistics.median(values) / base:.2f} of 1 x 1")
ratios = [p / b for p, b in zip(processes, bound)]
print(f"2 processes against the bound, per round: {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
PY
    exit 0
fi

source scripts/testhosts.sh
data="/usr/share/datasets/fashion-mnist"
# shellcheck disable=SC2046
"$clang" -O2 $(mpicc --showme:compile) scripts/allreduce_time.c $(mpicc --showme:link) -o "$work/allreduce_time"
parameters=$(( 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10 ))
cores=$(nproc)
: > "$work/results"
for round in $(seq "$rounds"); do
    for count in 1 2 3; do
        # compute(N): N independent processes at once, each training alone on a share of the batch.
        share=$(( 256 / count ))
        slowest=$(independently "$count" --batch-size "$share" --epochs 2 --limit 12000 --data-dir "$data" | sort -n | head -1)
        echo "compute $count $(python3 -c "print(1000 * $share / $slowest)")" >> "$work/results"
    done
    for link in 1gbit 10gbit; do
        for count in 2 3; do
            make_hosts "$count" "$link" > /dev/null
            copy_data "$data"
            reduce=$(on_hosts "$work/allreduce_time" "$parameters" 20)
            ring=$(on_hosts --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4 \
                "$work/allreduce_time" "$parameters" 20)
            together=$(on_hosts "$bin" train "${model[@]}" --threads 1 --batch-size 256 --epochs 2 --limit 12000 --data-dir "$work/host/data" | rate)
            echo "allreduce $count $link $reduce" >> "$work/results"
            echo "ring $count $link $ring" >> "$work/results"
            echo "step $count $link $(python3 -c "print(1000 * 256 / $together)")" >> "$work/results"
        done
    done
done
python3 - "$work/results" "$cores" "$parameters" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    *key, value = line.split()
    rows[tuple(key)].append(float(value))
cores, parameters = int(sys.argv[2]), int(sys.argv[3])
median = {key: statistics.median(values) for key, values in rows.items()}
print(f"large MLP, {parameters} parameters ({4 * parameters / 1e6:.2f} MB of Float gradients), global batch 256, "
      f"{cores} cores, medians of {len(rows[('compute', '1')])} rounds; times per step in ms")
print(f"{'hosts':>5} {'link':>7} {'compute(N)':>11} {'allreduce':>10} {'predicted':>10} {'measured':>9} {'measured/predicted':>19}")
print(f"{1:>5} {'-':>7} {median[('compute', '1')]:>11.1f} {0:>10.1f} {median[('compute', '1')]:>10.1f} "
      f"{median[('compute', '1')]:>9.1f} {1:>19.2f}")
for link in ("1gbit", "10gbit"):
    for count in ("2", "3"):
        compute = median[("compute", count)]
        reduce = median[("allreduce", count, link)]
        predicted, measured = compute + reduce, median[("step", count, link)]
        print(f"{count:>5} {link:>7} {compute:>11.1f} {reduce:>10.1f} {predicted:>10.1f} {measured:>9.1f} {measured / predicted:>19.2f}")
print("allreduce(N) in ms with Open MPI's choice of algorithm, and with its ring (coll_tuned_allreduce_algorithm 4):")
for link in ("1gbit", "10gbit"):
    for count in ("2", "3"):
        print(f"{count:>5} {link:>7} {median[('allreduce', count, link)]:>10.1f} {median[('ring', count, link)]:>10.1f}")
PY
