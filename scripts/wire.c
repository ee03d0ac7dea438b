// wire: the network between the test hosts of scripts/testhosts.sh, with a one-way delay on every
// link (what `tc netem delay` does; this machine's kernel has no netem).
//
//   wire RATE DELAY HOME NETNS…   RATE like 1gbit or 10gbit, DELAY like 100us or 0, HOME a device name,
//                                 NETNS the hosts' namespace files
//
// In each host's namespace it makes a TUN device named eth0 (layer 3, with the virtio header that
// lets TCP hand over 64 KB segments without checksums, as to a network card), and one named HOME
// in its own namespace, where mpirun runs; it keeps their files. Host k (counting
// from 1) has the address x.y.z.k and HOME x.y.z.254; a packet one of them sends to another is read
// from the sender's device and written to the receiver's DELAY after it has arrived through the
// receiver's port. The sending side is shaped in the kernel (a tc token bucket on each
// eth0, which keeps TCP's own backpressure); the wire shapes the receiving side: the packets for
// one host leave its port one after another at RATE, so two senders share a receiver's link, and
// a packet that would wait more than 50 ms there is dropped, as tc's token bucket does. Packets
// that are not IPv4 or not for a host are dropped. It prints "ready" once the devices exist and
// runs until it is killed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { maximumHosts = 64, maximumPacket = 65536 + 64, header = 10 };  // header: struct virtio_net_hdr
static const int64_t maximumWait = 50000000;  // ns a packet may wait for its receiver's port

struct packet {
    struct packet *next;
    int64_t due;  // ns on the monotonic clock
    size_t length;
    unsigned char bytes[];
};

struct port {
    int file;
    int64_t free;  // when the port has sent what it holds
    struct packet *head, *tail;
};

static int64_t now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "wire: %s: %s\n", what, strerror(errno));
    exit(1);
}

// A quantity with a unit suffix: "10gbit" -> 1e10 with units {"kbit", 1e3, …}.
static double quantity(const char *text, const char *const *units, const double *scales, int count) {
    char *end;
    double value = strtod(text, &end);
    if (end == text || value < 0) goto bad;
    if (*end == 0) return value;
    for (int i = 0; i < count; i++)
        if (strcmp(end, units[i]) == 0) return value * scales[i];
bad:
    fprintf(stderr, "wire: cannot read \"%s\"\n", text);
    exit(2);
}

// A TUN device NAME in the namespace of the file namespacePath (NULL: this process's own).
static int openDevice(const char *name, const char *namespacePath) {
    int home = -1, there = -1;
    if (namespacePath) {
        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        there = open(namespacePath, O_RDONLY | O_CLOEXEC);
        if (home < 0 || there < 0) die(namespacePath);
        if (setns(there, CLONE_NEWNET) != 0) die("setns");
    }
    int file = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (file < 0) die("/dev/net/tun");
    struct ifreq request = {0};
    request.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
    if (strlen(name) >= sizeof request.ifr_name) {
        fprintf(stderr, "wire: the device name %s is too long\n", name);
        exit(2);
    }
    strcpy(request.ifr_name, name);
    if (ioctl(file, TUNSETIFF, &request) != 0) die(name);
    // Like a network card: TCP hands over 64 KB segments and no checksums, which pass unchanged
    // to the receiver (their header says so).
    if (ioctl(file, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) != 0) die("TUNSETOFFLOAD");
    if (namespacePath) {
        if (setns(home, CLONE_NEWNET) != 0) die("setns back");
        close(home);
        close(there);
    }
    return file;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc - 4 > maximumHosts) {
        fprintf(stderr, "usage: wire RATE DELAY HOME NETNS… (at most %d)\n", maximumHosts);
        return 2;
    }
    static const char *const rateUnits[] = {"bit", "kbit", "mbit", "gbit"};
    static const double rateScales[] = {1, 1e3, 1e6, 1e9};
    static const char *const delayUnits[] = {"ns", "us", "ms", "s"};
    static const double delayScales[] = {1, 1e3, 1e6, 1e9};
    double rate = quantity(argv[1], rateUnits, rateScales, 4);
    int64_t delay = (int64_t)quantity(argv[2], delayUnits, delayScales, 4);
    if (rate < 1e3) {
        fprintf(stderr, "wire: a rate of %s is too slow\n", argv[1]);
        return 2;
    }
    double nanosecondsPerByte = 8e9 / rate;
    // ports[k] is host k + 1's; the last is HOME's.
    int hosts = argc - 4, count = hosts + 1;
    struct port ports[maximumHosts + 1] = {0};
    struct pollfd waiting[maximumHosts + 1];
    for (int k = 0; k < count; k++) {
        ports[k].file = k < hosts ? openDevice("eth0", argv[4 + k]) : openDevice(argv[3], NULL);
        waiting[k] = (struct pollfd){.fd = ports[k].file, .events = POLLIN};
    }
    prctl(PR_SET_TIMERSLACK, 1UL);  // wake within microseconds of a packet's time
    printf("ready\n");
    fflush(stdout);

    unsigned char buffer[maximumPacket];
    for (;;) {
        // Deliver what is due, and find when the next packet is.
        int64_t t = now(), next = INT64_MAX;
        for (int k = 0; k < count; k++) {
            struct port *port = &ports[k];
            while (port->head && port->head->due <= t) {
                struct packet *packet = port->head;
                // A host whose eth0 is down refuses the packet: it is lost, as on a real link.
                (void)!write(port->file, packet->bytes, packet->length);
                port->head = packet->next;
                if (!port->head) port->tail = NULL;
                free(packet);
            }
            if (port->head && port->head->due < next) next = port->head->due;
        }
        // Sleep until a host sends or the next packet is due; short waits spin.
        int64_t wait = next == INT64_MAX ? -1 : next - t;
        struct timespec timeout = {0};
        if (wait > 60000) timeout = (struct timespec){.tv_sec = (wait - 50000) / 1000000000, .tv_nsec = (wait - 50000) % 1000000000};
        if (ppoll(waiting, count, wait < 0 ? NULL : &timeout, NULL) < 0 && errno != EINTR) die("ppoll");
        for (int k = 0; k < count; k++) {
            if (!(waiting[k].revents & POLLIN)) continue;
            for (;;) {
                ssize_t length = read(ports[k].file, buffer, sizeof buffer);
                if (length < 0) {
                    if (errno != EAGAIN && errno != EINTR) die("read");
                    break;
                }
                if (length < header + 20 || buffer[header] >> 4 != 4) continue;
                int last = buffer[header + 19];  // the last byte of the destination address
                int to = last == 254 ? hosts : last >= 1 && last <= hosts ? last - 1 : -1;
                if (to < 0 || to == k) continue;
                struct port *port = &ports[to];
                int64_t arrived = now();
                // Cut through: the packet leaves the receiver's port as it arrives, unless the port
                // still sends earlier packets.
                int64_t sent = (int64_t)(nanosecondsPerByte * (double)(length - header));
                int64_t done = port->free + sent > arrived ? port->free + sent : arrived;
                if (done - arrived > maximumWait) continue;
                struct packet *packet = malloc(sizeof *packet + (size_t)length);
                if (!packet) die("malloc");
                packet->next = NULL;
                packet->due = done + delay;
                packet->length = (size_t)length;
                memcpy(packet->bytes, buffer, (size_t)length);
                port->free = done;
                if (port->tail) port->tail->next = packet; else port->head = packet;
                port->tail = packet;
            }
        }
    }
}
