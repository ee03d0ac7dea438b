#!/usr/bin/env bash
# Data-parallel training across test hosts. Each host is a network namespace with its own address
# on a bridge and its own working folder (bind-mounted over one path, so no folder is shared); the
# links are shaped to a bandwidth with tc. mpirun starts one rank in each host through a launcher
# agent that enters the host, and the ranks talk over Open MPI's TCP transport only.
#
# On 2 and 3 hosts: the multi-process checks (20 SGD and Adam steps in Double equal one process's
# to 1e-12; checkpoints written by rank 0 on its host resume in one process and on the hosts), and
# the tool: a run whose checkpoint lands on rank 0's host alone, resumed in one process and on the
# hosts; gradients summed in bfloat16 and half precision on 2 hosts, with the bytes each sends and
# the speed over 1 Gbit/s; then a link taken down mid-run ends the job on every host within the documented time
# (Open MPI's TCP keepalive, set below: about 11 s), the last checkpoint is intact and resumes on
# fewer hosts. Every namespace, link and folder it makes is removed on exit, also when a step fails.
#
# Usage: scripts/multihost.sh [BUILD_DIR]   (as root; default .build/release, built when it is the default)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "multihost.sh makes network namespaces and mounts: run it as root" >&2; exit 1; }
if [ $# -eq 0 ]; then
    for product in easynets easynets-mpi easynets-distributed-checks; do swift build -c release --product $product; done
fi
bin="$(cd "${1:-.build/release}" && pwd)"
for program in easynets easynets-mpi easynets-distributed-checks; do
    [ -x "$bin/$program" ] || { echo "multihost.sh: no $bin/$program; build it first" >&2; exit 1; }
done

tag="enmh$$"                      # names of this run's namespaces and links (link names are at most 15 characters)
subnet="10.231.$(( $$ % 250 ))"   # the hosts are $subnet.1, .2, …; the bridge is $subnet.254
work="$(mktemp -d /tmp/easynets-multihost.XXXXXX)"
hosts=0

remove_hosts() {
    local ns link
    for link in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep "^${tag}v" || true); do
        ip link del "$link" 2>/dev/null || true
    done
    for ns in $(ip netns list | awk -v t="${tag}h" 'index($1, t) == 1 { print $1 }'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns"
    done
    ip link del "${tag}br" 2>/dev/null || true
    hosts=0
}
cleanup() {
    local status=$?
    remove_hosts
    rm -rf "$work"
    [ $status -eq 0 ] || echo "multihost.sh: FAILED (status $status); the test hosts are removed" >&2
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The launcher agent: Open MPI runs `agent [options] HOST COMMAND…` to start its daemon on HOST;
# the agent runs COMMAND inside HOST's namespace under HOST's own host name, with HOST's folder
# mounted over $work/host and Open MPI's session folder in it (as on a host of its own).
cat > "$work/agent" <<EOF
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
ns=\$(awk -v h="\$host" '\$1 == h { print \$2 }' "$work/namespaces")
[ -n "\$ns" ] || { echo "multihost agent: no test host \$host" >&2; exit 1; }
export OMPI_MCA_orte_tmpdir_base='$work/host/tmp'
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$ns && mount --bind '$work/hosts/\$ns' '$work/host' && \$*"
EOF
chmod +x "$work/agent"
mkdir "$work/host"

# make_hosts N RATE: N hosts on a bridge, each link shaped to RATE (tc's units: 1gbit, 10gbit) both ways.
make_hosts() {
    local count=$1 rate=$2 i ns
    remove_hosts
    rm -rf "$work/hosts" && mkdir "$work/hosts"
    ip link add "${tag}br" type bridge
    ip addr add "$subnet.254/24" dev "${tag}br"
    ip link set "${tag}br" up
    : > "$work/namespaces"; : > "$work/hostfile"
    for i in $(seq 1 "$count"); do
        ns="${tag}h$i"
        ip netns add "$ns"
        ip link add "${tag}v$i" type veth peer name eth0 netns "$ns"
        ip link set "${tag}v$i" master "${tag}br" up
        ip -n "$ns" addr add "$subnet.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        # A token bucket on each end: the host's sending side and the bridge's side towards it.
        tc qdisc add dev "${tag}v$i" root tbf rate "$rate" burst 256kb latency 50ms
        ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 50ms
        mkdir -p "$work/hosts/$ns/tmp"
        echo "$subnet.$i $ns" >> "$work/namespaces"
        echo "$subnet.$i slots=1" >> "$work/hostfile"
    done
    hosts=$count
    echo "-- $count test hosts on $subnet.0/24, links shaped to $rate"
}

# on_hosts COMMAND…: one rank of COMMAND in each host, over TCP only, with TMPDIR in the host's folder.
on_hosts() {
    # PMIx's shared-memory store reports errors across network namespaces; its hash store does not.
    PMIX_MCA_gds=hash timeout 900 mpirun --allow-run-as-root --hostfile "$work/hostfile" -np "$hosts" \
        --mca plm_rsh_agent "$work/agent" --mca pml ob1 --mca btl tcp,self \
        --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24" \
        --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3 \
        -x TMPDIR="$work/host" "$@"
}

# Bytes that crossed host 1's link (both directions), to show the ranks talked over it.
link_bytes() {
    local rx tx
    rx=$(cat "/sys/class/net/${tag}v1/statistics/rx_bytes"); tx=$(cat "/sys/class/net/${tag}v1/statistics/tx_bytes")
    echo $(( rx + tx ))
}

# The data each host reads from its own folder.
data="/usr/share/datasets/fashion-mnist"
[ -f "$data/train-images-idx3-ubyte.gz" ] || fail "no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist)"

for count in 2 3; do
    make_hosts "$count" 1gbit
    for i in $(seq 1 "$count"); do
        mkdir "$work/hosts/${tag}h$i/data"
        cp "$data"/*-ubyte.gz "$work/hosts/${tag}h$i/data/"
    done
    on_hosts sh -c 'echo "rank $OMPI_COMM_WORLD_RANK on $(hostname), $(ip -4 -o addr show eth0 | awk "{print \$4}")"' | sort

    echo "-- the multi-process checks on $count hosts"
    before=$(link_bytes)
    on_hosts "$bin/easynets-distributed-checks" | tee "$work/checks.log"
    grep -q "^distributed checks passed on $count processes" "$work/checks.log" || fail "the checks on $count hosts"
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
    # Resumed in one process (outside the hosts) and on the hosts, each from its own copy.
    cp "$work/hosts/${tag}h1/run.safetensors" "$work/alone.safetensors"
    "$bin/easynets" train --data-dir "$data" --limit 6000 --threads 1 --epochs 2 --resume "$work/alone.safetensors" \
        > "$work/alone.log"
    for i in $(seq 2 "$count"); do cp "$work/hosts/${tag}h1/run.safetensors" "$work/hosts/${tag}h$i/"; done
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
for i in 1 2; do mkdir "$work/hosts/${tag}h$i/data"; cp "$data"/*-ubyte.gz "$work/hosts/${tag}h$i/data/"; done
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
for i in 1 2 3; do mkdir "$work/hosts/${tag}h$i/data"; cp "$data"/*-ubyte.gz "$work/hosts/${tag}h$i/data/"; done
checkpoint="$work/hosts/${tag}h1/run.safetensors"
# Host 3's link goes down a second after rank 0's first checkpoint (every 20 steps) lands.
(
    for _ in $(seq 1 1200); do [ -f "$checkpoint" ] && break; sleep 0.1; done
    sleep 1
    date +%s.%N > "$work/down"
    ip link set "${tag}v3" down
) &
set +e
on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 20000 --epochs 20 --schedule none --threads 1 \
    --checkpoint "$work/host/run.safetensors" --checkpoint-every 20 > "$work/fault.log" 2>&1
status=$?
set -e
wait
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
for i in 1 2; do
    mkdir "$work/hosts/${tag}h$i/data"; cp "$data"/*-ubyte.gz "$work/hosts/${tag}h$i/data/"
    cp "$work/last.safetensors" "$work/hosts/${tag}h$i/run.safetensors"
done
on_hosts "$bin/easynets-mpi" train --data-dir "$work/host/data" --limit 20000 --epochs 1 --schedule none --threads 1 \
    --resume "$work/host/run.safetensors" > "$work/resumed.log" || fail "resuming on 2 hosts: $(tail -3 "$work/resumed.log")"
grep -q "(resumed from $work/host/run.safetensors)" "$work/resumed.log" && grep -q "^Test accuracy: 0\.[5-9]" "$work/resumed.log" \
    || fail "the resumed run: $(grep -v '^epoch' "$work/resumed.log" | tail -3)"
echo "ok: resumed on 2 hosts from the checkpoint of 3: $(grep '^Test accuracy' "$work/resumed.log")"
echo "multihost: all checks passed"
