#!/usr/bin/env python3
"""Puts the host's own Linux kernel on `machina net serve`, without a guest boot.

Connects to a `machina net serve` (QEMU's -netdev stream framing: a 4-byte big-endian length,
then the Ethernet frame) on 127.0.0.1:PORT, then moves into a new network namespace, creates a
tap device eth0 there (MAC 52:54:00:12:34:56, as QEMU's first NIC) bridged to that connection,
brings it up and runs the given shell commands in the namespace. The kernel does SLAAC from the
stack's router advertisement, neighbor discovery, ping -6 and TCP itself. Needs root (a network
namespace and /dev/net/tun). Traffic leaves the namespace only through the stack, whose gateway is
the host's loopback; DNS through fec0::3 or 10.0.2.3 goes to the stack's upstream resolver, which
is the host's own unless the stack is given dns-upstream=127.0.0.1:PORT (a responder you run): give
it one before trying DNS, so nothing leaves this machine.

  machina net serve -p 10977 &
  sudo scripts/net/tap-bridge.py 10977 'sleep 5; ip -6 addr' 'ping -6 -c 2 fec0::2' 'ip -6 neigh'
"""
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import threading

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000


def pump_to_stack(tap, sock):
    while True:
        frame = os.read(tap, 65536)
        sock.sendall(struct.pack(">I", len(frame)) + frame)


def pump_to_tap(sock, tap):
    buf = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return
        buf += data
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            os.write(tap, buf[4:4 + n])
            buf = buf[4 + n:]


def main():
    sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))  # in the host's namespace
    if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET) != 0:
        sys.exit("unshare(CLONE_NEWNET) failed: errno %d (needs root)" % ctypes.get_errno())
    tap = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", b"eth0", IFF_TAP | IFF_NO_PI))
    threading.Thread(target=pump_to_stack, args=(tap, sock), daemon=True).start()
    threading.Thread(target=pump_to_tap, args=(sock, tap), daemon=True).start()
    for cmd in ["ip link set lo up; ip link set eth0 address 52:54:00:12:34:56; ip link set eth0 up"] + sys.argv[2:]:
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        print("$ " + cmd + "\n" + r.stdout + r.stderr, flush=True)


if __name__ == "__main__":
    main()
