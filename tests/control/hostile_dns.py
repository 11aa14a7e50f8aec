#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A DNS list server that misbehaves on purpose, for test_dns_hostile.sh.

usage: hostile_dns.py PORT STOPFILE   (UDP on 127.0.0.1:PORT, no TCP)
Answers A queries D.C.B.A.ZONE by the client address's last octet D:
  1   garbage: 40 random bytes
  2   a listing (127.0.0.2) under another query ID
  3   the TC bit and no answer (and there is no TCP to retry on)
  4   a listing, 3 seconds late
  5   127.255.255.254 (the "you may not query" code of the big lists)
  7   NXDOMAIN
  other, and the RFC 5782 probe 127.0.0.2: listed (127.0.0.2);
  the probe 127.0.0.1: NXDOMAIN
While STOPFILE exists it answers nothing at all. Anything else (TXT,
PTR, ...) gets NXDOMAIN. Runs until killed.
"""
import os
import socket
import struct
import sys
import threading
import time


def parse_q(m):
    qid, flags, qd = struct.unpack("!HHH", m[:6])
    i, labels = 12, []
    while m[i]:
        labels.append(m[i + 1:i + 1 + m[i]].decode())
        i += 1 + m[i]
    qtype = struct.unpack("!H", m[i + 1:i + 3])[0]
    return qid, labels, qtype, m[12:i + 5]


def reply(qid, question, rcode=0, a=None, tc=False):
    flags = 0x8180 | (0x0200 if tc else 0) | rcode
    hdr = struct.pack("!HHHHHH", qid, flags, 1, 1 if a else 0, 0, 0)
    ans = b""
    if a:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(a)
    return hdr + question + ans


def main():
    port, stop = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        m, peer = s.recvfrom(4096)
        if os.path.exists(stop):
            continue
        try:
            qid, labels, qtype, q = parse_q(m)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue
        if qtype != 1 or len(labels) < 5:
            s.sendto(reply(qid, q, rcode=3), peer)
            continue
        d = labels[0]
        probe = labels[:4] == ["2", "0", "0", "127"]
        if labels[:4] == ["1", "0", "0", "127"] or (d == "7" and not probe):
            s.sendto(reply(qid, q, rcode=3), peer)
        elif probe:
            s.sendto(reply(qid, q, a="127.0.0.2"), peer)
        elif d == "1":
            s.sendto(os.urandom(40), peer)
        elif d == "2":
            s.sendto(reply(qid ^ 0x5a5a, q, a="127.0.0.2"), peer)
        elif d == "3":
            s.sendto(reply(qid, q, tc=True), peer)
        elif d == "4":
            threading.Timer(3.0, s.sendto, (reply(qid, q, a="127.0.0.2"), peer)).start()
        elif d == "5":
            s.sendto(reply(qid, q, a="127.255.255.254"), peer)
        else:
            s.sendto(reply(qid, q, a="127.0.0.2"), peer)


if __name__ == "__main__":
    main()
