#!/usr/bin/env python3
"""Stands in for Docker's embedded DNS (127.0.0.11:53) in tests/edge_behaviour.rs.

    dns-stub.py HOSTS_FILE [READY_FILE]

Answers A queries over UDP from HOSTS_FILE (lines `ADDRESS NAME...`), read again
for every query so a test can move a name; anything else gets NXDOMAIN. TTL 0.
Runs until killed, inside the test's network namespace. READY_FILE is created
once the socket is bound, so a test waits for that instead of sleeping.
"""
import socket
import struct
import sys

HOSTS = sys.argv[1]


def lookup(name):
    try:
        with open(HOSTS, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and name in parts[1:]:
                    return parts[0]
    except OSError:
        pass
    return None


def qname(data, offset):
    labels = []
    while data[offset]:
        n = data[offset]
        labels.append(data[offset + 1:offset + 1 + n].decode())
        offset += n + 1
    return ".".join(labels).lower(), offset + 1


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.11", 53))
if len(sys.argv) > 2:
    open(sys.argv[2], "w").close()
while True:
    data, client = sock.recvfrom(512)
    if len(data) < 12:
        continue
    ident, _flags, qd = struct.unpack("!HHH", data[:6])
    name, end = qname(data, 12)
    qtype, _qclass = struct.unpack("!HH", data[end:end + 4])
    question = data[12:end + 4]
    address = lookup(name) if qtype == 1 else None
    if address:
        header = struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0)
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + socket.inet_aton(address)
    else:
        rcode = 3 if lookup(name) is None else 0  # NXDOMAIN, or no AAAA for a known name
        header = struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, 0, 0, 0)
        answer = b""
    sock.sendto(header + question + answer, client)
