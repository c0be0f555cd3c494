#!/usr/bin/env python3
"""A userspace packet delay line between two TUN devices: Scripts/lib/netem-host.sh's stand-in for
`tc qdisc ... netem delay` on kernels built without sch_netem.

    delay-line.py NETNS HOST_IF NS_IF HOST_ADDRESS NS_ADDRESS DELAY_MS READY_FILE

It creates HOST_IF in the current network namespace and NS_IF inside NETNS (an `ip netns` name), gives them
HOST_ADDRESS/30 and NS_ADDRESS/30, and forwards every IP packet from one to the other DELAY_MS milliseconds
after it arrived, in order, in both directions (so a ping's round trip takes 2 x DELAY_MS). There is no
bandwidth limit and nothing is dropped on purpose. It touches no other interface. Once both devices are up
it writes its pid to READY_FILE; SIGTERM or SIGINT ends it, and the devices vanish with it (they are not
persistent). Standard library only; root (CAP_NET_ADMIN) needed.
"""

import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
# Large packets mean few of them: TCP segments of up to this size cross the line whole.
MTU = 65000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


def main() -> int:
    if len(sys.argv) != 8:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    netns, host_if, ns_if, host_address, ns_address, delay_ms, ready_file = sys.argv[1:]
    delay = float(delay_ms) / 1000.0

    host_fd = open_tun(host_if)
    own_ns = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    peer_ns = os.open(f"/run/netns/{netns}", os.O_RDONLY | os.O_CLOEXEC)
    setns(peer_ns)
    try:
        ns_fd = open_tun(ns_if)
    finally:
        setns(own_ns)
    os.close(own_ns)
    os.close(peer_ns)

    ip("addr", "add", f"{host_address}/30", "dev", host_if)
    ip("link", "set", host_if, "mtu", str(MTU), "txqueuelen", "10000", "up")
    ip("-n", netns, "addr", "add", f"{ns_address}/30", "dev", ns_if)
    ip("-n", netns, "link", "set", ns_if, "mtu", str(MTU), "txqueuelen", "10000", "up")

    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    with open(ready_file + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(ready_file + ".tmp", ready_file)

    # One FIFO per direction: the delay is the same for every packet, so the oldest is always due first.
    queues = {host_fd: collections.deque(), ns_fd: collections.deque()}
    peer = {host_fd: ns_fd, ns_fd: host_fd}
    while not stopping:
        now = time.monotonic()
        for source, queue in queues.items():
            target = peer[source]
            while queue and queue[0][0] <= now:
                _, packet = queue.popleft()
                try:
                    os.write(target, packet)
                except OSError:
                    pass  # the stack refused it (ENOBUFS, device going down): a lost packet, as on a wire
        due = [queue[0][0] for queue in queues.values() if queue]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 1.0
        try:
            readable, _, _ = select.select(list(queues), [], [], timeout)
        except InterruptedError:
            continue
        arrived = time.monotonic() + delay
        for source in readable:
            while True:
                try:
                    packet = os.read(source, MTU + 64)
                except BlockingIOError:
                    break
                except OSError:
                    return 1
                if not packet:
                    break
                queues[source].append((arrived, packet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
