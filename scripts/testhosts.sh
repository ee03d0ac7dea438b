# Test hosts on this machine, for scripts/multihost.sh and scripts/bench_distributed.sh (sourced,
# as root). Each host is a network namespace with its own address and its own working folder
# ($work/hosts/NAMESPACE, mounted over $work/host inside the host, so no folder is shared). The
# hosts are joined by scripts/wire.c, a software switch whose links have a bandwidth and a one-way
# delay: the machine's kernel has no netem, so the delay is the wire's; each host's sending side
# is shaped in the kernel by a tc token bucket. on_hosts starts one rank in each host through a
# launcher agent that enters the host, and the ranks talk over Open MPI's TCP transport only.
# Everything made here is removed on exit, also when a step fails.
[ "$(id -u)" -eq 0 ] || { echo "$(basename "$0") makes network namespaces and mounts: run it as root" >&2; exit 1; }

tag="enmh$$"                      # names of this run's namespaces and devices (device names are at most 15 characters)
subnet="10.231.$(( $$ % 250 ))"   # the hosts are $subnet.1, .2, …; this namespace is $subnet.254
work="$(mktemp -d /tmp/easynets-testhosts.XXXXXX)"
hosts=0
wire=""

remove_hosts() {
    local ns
    if [ -n "$wire" ]; then kill "$wire" 2>/dev/null || true; wait "$wire" 2>/dev/null || true; wire=""; fi
    for ns in $(ip netns list | awk -v t="${tag}h" 'index($1, t) == 1 { print $1 }'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns"
    done
    hosts=0
}
cleanup() {
    local status=$?
    remove_hosts
    rm -rf "$work"
    [ $status -eq 0 ] || echo "$(basename "$0"): FAILED (status $status); the test hosts are removed" >&2
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The wire, built with the toolchain's clang.
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
"$clang" -O2 -Wall -Werror scripts/wire.c -o "$work/wire"

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

# make_hosts N RATE [DELAY]: N hosts joined by the wire, each link shaped to RATE (tc's units:
# 1gbit, 10gbit) both ways, with a one-way DELAY (default 100us; 0 for none). This machine's
# namespace reaches them at $subnet.254, for mpirun.
make_hosts() {
    local count=$1 rate=$2 delay=${3:-100us} i ns namespaces=()
    remove_hosts
    rm -rf "$work/hosts" && mkdir "$work/hosts"
    : > "$work/namespaces"; : > "$work/hostfile"
    for i in $(seq 1 "$count"); do
        ns="${tag}h$i"
        ip netns add "$ns"
        namespaces+=("/run/netns/$ns")
        mkdir -p "$work/hosts/$ns/tmp"
        echo "$subnet.$i $ns" >> "$work/namespaces"
        echo "$subnet.$i slots=1" >> "$work/hostfile"
    done
    "$work/wire" "$rate" "$delay" "${tag}w" "${namespaces[@]}" > "$work/wire.out" &
    wire=$!
    for i in $(seq 1 100); do grep -q ready "$work/wire.out" && break; sleep 0.05; done
    grep -q ready "$work/wire.out" || fail "the wire did not start"
    ip addr add "$subnet.254/24" dev "${tag}w"
    ip link set "${tag}w" up
    for i in $(seq 1 "$count"); do
        ns="${tag}h$i"
        ip -n "$ns" addr add "$subnet.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        # The host's sending side: a token bucket (its receiving side is the wire's).
        ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 50ms
    done
    hosts=$count
    echo "-- $count test hosts on $subnet.0/24, links shaped to $rate with a one-way delay of $delay"
}

# on_hosts COMMAND…: one rank of COMMAND in each host, over TCP only, with TMPDIR in the host's folder.
# The ranks yield the core while they wait in MPI, as Open MPI makes them do on a host with
# more ranks than slots: the hosts and the kernel's network work share this machine's cores, and a
# rank that spins while it waits delays the packets it waits for (a 4-value MPI_Allreduce between
# 2 hosts at 10 Gbit/s took 8 ms spinning, 0.16 ms yielding).
on_hosts() {
    # PMIx's shared-memory store reports errors across network namespaces; its hash store does not.
    PMIX_MCA_gds=hash timeout 900 mpirun --allow-run-as-root --hostfile "$work/hostfile" -np "$hosts" \
        --mca plm_rsh_agent "$work/agent" --mca pml ob1 --mca btl tcp,self --mca mpi_yield_when_idle 1 \
        --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24" \
        --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3 \
        -x TMPDIR="$work/host" "$@"
}

# Bytes that crossed host 1's link (both directions), to show the ranks talked over it.
link_bytes() {
    ip netns exec "${tag}h1" sh -c 'echo $(( $(cat /sys/class/net/eth0/statistics/rx_bytes) + $(cat /sys/class/net/eth0/statistics/tx_bytes) ))'
}

# round_trip FROM TO: the shortest of 20 UDP round trips between hosts FROM and TO, in µs.
round_trip() {
    ip netns exec "${tag}h$2" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("", 7007)); s.settimeout(10)
for _ in range(20): data, peer = s.recvfrom(64); s.sendto(data, peer)' &
    local echo=$!
    sleep 0.3
    ip netns exec "${tag}h$1" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); best = 1e9
for _ in range(20):
    start = time.perf_counter(); s.sendto(b"x", ("'"$subnet.$2"'", 7007)); s.recvfrom(64)
    best = min(best, time.perf_counter() - start)
print(round(best * 1e6))'
    wait $echo
}

# copy_data DIR: the Fashion-MNIST files of DIR into each host's own data folder ($work/host/data inside it).
copy_data() {
    local i
    for i in $(seq 1 "$hosts"); do
        mkdir -p "$work/hosts/${tag}h$i/data"
        cp "$1"/*-ubyte.gz "$work/hosts/${tag}h$i/data/"
    done
}
