#!/usr/bin/env bash
# Data-parallel training across test hosts (scripts/testhosts.sh): network namespaces, each with
# its own address and folder, joined by links of 1 Gbit/s with a one-way delay of 100 µs; one rank
# in each host, over Open MPI's TCP transport only.
#
# On 2 and 3 hosts: the multi-process checks (20 SGD and Adam steps in Double equal one process's
# to 1e-12; checkpoints written by rank 0 on its host resume in one process and on the hosts), and
# the tool: a run whose checkpoint lands on rank 0's host alone, resumed in one process and on the
# hosts from there (rank 0 sends it to the others); gradients summed in bfloat16 and half precision
# on 2 hosts, with the bytes each sends and the speed over 1 Gbit/s; then a link taken down mid-run
# ends the job on every host within the documented time (Open MPI's TCP keepalive, set in
# testhosts.sh: about 11 s), the last checkpoint is intact and resumes on fewer hosts.
#
# Usage: scripts/multihost.sh [BUILD_DIR]   (as root; default .build/release, built when it is the default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/testhosts.sh
if [ $# -eq 0 ]; then
    for product in easynets easynets-mpi easynets-distributed-checks; do swift build -c release --product $product; done
fi
bin="$(cd "${1:-.build/release}" && pwd)"
for program in easynets easynets-mpi easynets-distributed-checks; do
    [ -x "$bin/$program" ] || { echo "multihost.sh: no $bin/$program; build it first" >&2; exit 1; }
done

# The data each host reads from its own folder.
data="/usr/share/datasets/fashion-mnist"
[ -f "$data/train-images-idx3-ubyte.gz" ] || fail "no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist)"

for count in 2 3; do
    make_hosts "$count" 1gbit
    copy_data "$data"
    on_hosts sh -c 'echo "rank $OMPI_COMM_WORLD_RANK on $(hostname), $(ip -4 -o addr show eth0 | awk "{print \$4}")"' | sort
    trip=$(round_trip 1 "$count")
    echo "shortest UDP round trip from host 1 to host $count: $trip µs"
    [ "$trip" -ge 200 ] && [ "$trip" -lt 2000 ] || fail "a round trip over two links of 100 µs took $trip µs"

    echo "-- the multi-process checks on $count hosts"
    before=$(link_bytes)
    on_hosts "$bin/easynets-distributed-checks" | tee "$work/checks.log"
    grep -q "^distributed checks passed on $count processes" "$work/checks.log" || fail "the checks on $count hosts"
    grep -q "^ok: the $count processes are not all on one host" "$work/checks.log" || fail "the test hosts shared memory"
    crossed=$(( $(link_bytes) - before ))
    echo "ok: $crossed bytes crossed host 1's link"
    [ "$crossed" -gt 1000000 ] || fail "only $crossed bytes crossed host 1's link: the ranks did not talk over it"

    echo "-- the tool on $count hosts: the checkpoint lands on rank 0's host, and resumes alone and on the hosts"
    flags=(train --data-dir "$work/host/data" --limit 6000 --threads 1 --seed 3 --schedule none)
    on_hosts "$bin/easynets-mpi" "${flags[@]}" --epochs 1 --checkpoint "$work/host/run.safetensors" > "$work/first.log"
    [ -f "$work/hosts/${tag}h1/run.safetensors" ] || fail "rank 0 wrote no checkpoint on its host"
    for i in $(seq 2 "$count"); do
        [ ! -e "$work/hosts/${tag}h$i/run.safetensors" ] || fail "host $i has a checkpoint: only rank 0 writes"
    done
    # Resumed in one process (outside the hosts, from a copy), and on the hosts from rank 0's
    # host alone: rank 0 reads it and sends it to the others.
    cp "$work/hosts/${tag}h1/run.safetensors" "$work/alone.safetensors"
    "$bin/easynets" train --data-dir "$data" --limit 6000 --threads 1 --epochs 2 --resume "$work/alone.safetensors" \
        > "$work/alone.log"
    on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 6000 --threads 1 --epochs 2 \
        --resume "$work/host/run.safetensors" > "$work/hosts.log"
    alone=$(sed -n 's/^Test accuracy: //p' "$work/alone.log")
    together=$(sed -n 's/^Test accuracy: //p' "$work/hosts.log")
    echo "after the resumed epoch: one process $alone, $count hosts $together"
    python3 -c "import sys; a, b = float('$alone'), float('$together'); sys.exit(0 if abs(a - b) <= 0.002 and a > 0.7 else 1)" \
        || fail "resumed on one process ($alone) and on $count hosts ($together) differ by more than 0.002"
done
echo "-- gradients summed in 16 bits over 1 Gbit/s links (the large MLP): the same training, half the bytes"
make_hosts 2 1gbit
copy_data "$data"
for precision in full bfloat16 float16; do
    before=$(link_bytes)
    on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 6000 --epochs 2 --seed 3 --threads 1 \
        --hidden 1024,1024 --batch-size 256 --gradient-precision "$precision" > "$work/precision.log" || fail "--gradient-precision $precision: $(tail -3 "$work/precision.log")"
    crossed=$(( $(link_bytes) - before ))
    rate=$(sed -n 's/^epoch 2\/2:.*, \([0-9]*\) samples\/s$/\1/p' "$work/precision.log")
    echo "$precision: $(grep '^Test accuracy' "$work/precision.log"), epoch 2 at $rate samples/s, $crossed bytes over host 1's link"
    grep -q "^Test accuracy: 0\.[7-9]" "$work/precision.log" || fail "--gradient-precision $precision trained badly"
    echo "$precision $crossed" >> "$work/crossed"
done
python3 - "$work/crossed" <<'PY' || fail "16-bit sums did not halve the bytes on the link"
import sys
crossed = dict(line.split() for line in open(sys.argv[1]))
full = int(crossed["full"])
for precision in ("bfloat16", "float16"):
    share = int(crossed[precision]) / full
    print(f"{precision}: {share:.2f} of the bytes of full precision")
    if not 0.4 < share < 0.6: sys.exit(1)
PY

echo "-- a link taken down mid-run ends the job on every host; the last checkpoint resumes on fewer hosts"
make_hosts 3 1gbit
copy_data "$data"
checkpoint="$work/hosts/${tag}h1/run.safetensors"
# Host 3's link goes down a second after rank 0's first checkpoint (every 20 steps) lands.
(
    for _ in $(seq 1 1200); do [ -f "$checkpoint" ] && break; sleep 0.1; done
    sleep 1
    date +%s.%N > "$work/down"
    ip -n "${tag}h3" link set eth0 down
) &
watcher=$!
set +e
on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 20000 --epochs 20 --schedule none --threads 1 \
    --checkpoint "$work/host/run.safetensors" --checkpoint-every 20 > "$work/fault.log" 2>&1
status=$?
set -e
wait "$watcher"
[ -f "$work/down" ] || fail "the run ended (status $status) before its first checkpoint"
after=$(python3 -c "import time; print(round(time.time() - $(cat "$work/down"), 1))")
echo "status $status, $after s after the link went down"
[ $status -ne 0 ] && [ $status -ne 124 ] || fail "the job with a link down ended with status $status"
grep -q "ORTE has lost communication with a remote daemon" "$work/fault.log" || fail "no message: $(tail -5 "$work/fault.log")"
python3 -c "import sys; sys.exit(0 if $after <= 60 else 1)" || fail "the job took $after s to end (documented: about 11 s)"
for i in 1 2 3; do
    [ -z "$(ip netns pids "${tag}h$i")" ] || fail "host $i still runs $(ip netns pids "${tag}h$i" | xargs ps -o comm= -p)"
done
"$bin/easynets" evaluate --checkpoint "$checkpoint" --data-dir "$data" > "$work/evaluate.log" || fail "the last checkpoint does not evaluate"
cp "$checkpoint" "$work/last.safetensors"
make_hosts 2 1gbit
copy_data "$data"
cp "$work/last.safetensors" "$work/hosts/${tag}h1/run.safetensors"
on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 20000 --epochs 1 --schedule none --threads 1 \
    --resume "$work/host/run.safetensors" > "$work/resumed.log" || fail "resuming on 2 hosts: $(tail -3 "$work/resumed.log")"
grep -q "(resumed from $work/host/run.safetensors)" "$work/resumed.log" && grep -q "^Test accuracy: 0\.[5-9]" "$work/resumed.log" \
    || fail "the resumed run: $(grep -v '^epoch' "$work/resumed.log" | tail -3)"
echo "ok: resumed on 2 hosts from the checkpoint of 3: $(grep '^Test accuracy' "$work/resumed.log")"
echo "multihost: all checks passed"
