# SPDX-License-Identifier: BSD-3-Clause
"""Tiny deterministic writer of TCP/SMTP conversations as pcap files.

Used by scripts/demo and the tests to make captures without network access
or third-party modules: Ethernet (optional 802.1Q tags), IPv4 or IPv6, TCP
with a real handshake, sequence numbers, ACKs and FIN/RST teardown.
Checksums are left zero (mxscreen never checks them in replay).
"""
import ipaddress
import struct


class Pcap:
    def __init__(self, path, start=1700000000.0):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = start

    def frame(self, data, dt=0.001):
        self.t += dt
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        self.f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        self.f.write(data)

    def close(self):
        self.f.close()


def _ip_header(src, dst, payload_len):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        return 0x0800, struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000,
                                   64, 6, 0, s.packed, d.packed)
    return 0x86DD, struct.pack("!IHBB16s16s", 6 << 28, payload_len, 6, 64, s.packed, d.packed)


class Conn:
    """One TCP connection between a client and a server."""

    def __init__(self, pcap, client, cport, server, sport, vlans=()):
        self.p, self.vlans = pcap, vlans
        self.ends = {"c": (client, cport), "s": (server, sport)}
        self.seq = {"c": 1000, "s": 5000}

    def _send(self, who, flags, payload=b"", dt=0.001):
        other = "s" if who == "c" else "c"
        (src, sp), (dst, dp) = self.ends[who], self.ends[other]
        tcp = struct.pack("!HHIIBBHHH", sp, dp, self.seq[who] & 0xFFFFFFFF,
                          self.seq[other] & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        etype, ip = _ip_header(src, dst, len(tcp) + len(payload))
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
        for vid in self.vlans:
            eth += struct.pack("!HH", 0x8100, vid)
        eth += struct.pack("!H", etype)
        self.p.frame(eth + ip + tcp + payload, dt)
        self.seq[who] += len(payload) + (1 if flags & 0x03 else 0)

    def handshake(self):
        self.seq["c"] -= 0  # ISNs as set in __init__
        self._send("c", 0x02)
        self._send("s", 0x12)
        self._send("c", 0x10)

    def client(self, data):
        self._send("c", 0x18, data.encode() if isinstance(data, str) else data)

    def server(self, data):
        self._send("s", 0x18, data.encode() if isinstance(data, str) else data)

    def close(self):
        self._send("c", 0x11)
        self._send("s", 0x11)
        self._send("c", 0x10)

    def reset(self):
        self._send("c", 0x14)
