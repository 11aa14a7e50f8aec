#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fuzz/seeds.py: write seed inputs for every fuzz target.

    seeds.py [--corpus DIR] [--gen MXSCREEN_GEN] [--max N] [--stamp FILE] OUTDIR

Writes OUTDIR/fuzz_<target>/ for each target (emptied first), each file one
input in that target's format (see the target's contract comment):

  - from the repository: etc/rules/*.rules, etc/mxscreen.conf (the whole
    file, and each active and each commented-out example setting alone),
    etc/demo/*.zone, the requests in docs/control-protocol.md, and the
    hand-written samples below (dialogues, zones, link messages, frames);
  - with --gen: captures mxscreen-gen writes (realistic, adversarial, VLAN
    and IPv6), cut into frames, SMTP segments and reassembly operations;
  - with --corpus: the same from the captures in ../shared/corpus (pcap,
    pcapng, gzip).

Deterministic: the same inputs give the same files. Standard library only.
Exit status: 0 ok, 1 an input could not be read or mxscreen-gen failed,
2 usage.
"""
import argparse
import gzip
import hashlib
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("decode", "reasm", "smtp", "rules", "conf", "zone", "link", "csock")
SMTP_PORTS = (25, 465, 587, 2525)
SMTP_SEP = b"\xa5\x5a\xc3\x3c"
SEED_MAX = 65536           # captures are cut to this
FILE_MAX = 1 << 17         # any seed (a few exceed SEED_MAX on purpose)

# fuzz_decode's link type index (low 3 bits of its byte 0)
LINK_INDEX = {1: 0, 101: 1, 0: 2, 108: 3, 113: 4, 276: 5}


class Seeds:
    def __init__(self, outdir, cap):
        self.outdir = outdir
        self.cap = cap
        self.count = {t: 0 for t in TARGETS}
        self.seen = set()

    def add(self, target, name, data):
        if self.count[target] >= self.cap or len(data) > FILE_MAX:
            return
        h = hashlib.sha1(data).hexdigest()[:12]
        if (target, h) in self.seen:
            return
        self.seen.add((target, h))
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
        with open(os.path.join(self.outdir, "fuzz_" + target, "%s-%s" % (name, h)), "wb") as f:
            f.write(data)
        self.count[target] += 1


# ---------------------------------------------------------------- captures

def read_capture(path):
    """[(linktype, ts_seconds, frame)] of a pcap or pcapng file (maybe gzip)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    for e in ("<", ">"):
        m = struct.unpack(e + "I", magic)[0]
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            div = 1e6 if m == 0xA1B2C3D4 else 1e9
            break
    else:
        return []
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        out.append((linktype, sec + frac / div, data[off:off + incl]))
        off += incl
    return out


def read_pcapng(data):
    out, off, e, ifaces = [], 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            ifaces.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, cap, _ = struct.unpack(e + "IIIII", body[:20])
            if iface < len(ifaces):
                out.append((ifaces[iface], ((hi << 32) | lo) / 1e6, body[20:20 + cap]))
        elif btype == 3 and len(body) >= 4 and ifaces:
            out.append((ifaces[0], 0.0, body[4:]))
        off += blen
    return out


def tcp_of(linktype, f):
    """(src, dst, sport, dport, seq, ack, flags, payload) or None."""
    try:
        if linktype == 1:
            off, et = 12, struct.unpack(">H", f[12:14])[0]
            while et in (0x8100, 0x88A8, 0x9100):
                off += 4
                et = struct.unpack(">H", f[off:off + 2])[0]
            ip = f[off + 2:]
        elif linktype in (0, 108):
            fam = struct.unpack("<I" if linktype == 0 else ">I", f[:4])[0]
            et = 0x0800 if fam == 2 else 0x86DD
            ip = f[4:]
        elif linktype == 101:
            et = 0x0800 if f[0] >> 4 == 4 else 0x86DD
            ip = f
        elif linktype == 113:
            et, ip = struct.unpack(">H", f[14:16])[0], f[16:]
        elif linktype == 276:
            et, ip = struct.unpack(">H", f[:2])[0], f[20:]
        else:
            return None
        if et == 0x0800:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6 or struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
                return None
            tot = struct.unpack(">H", ip[2:4])[0]
            src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:tot]
        elif et == 0x86DD:
            nh, off = ip[6], 40
            plen = struct.unpack(">H", ip[4:6])[0]
            while nh in (0, 43, 60, 51, 44):
                if nh == 44:
                    return None
                nh, off = ip[off], off + ((ip[off + 1] + 2) * 4 if nh == 51 else (ip[off + 1] + 1) * 8)
            if nh != 6:
                return None
            src, dst, tcp = ip[8:24], ip[24:40], ip[off:40 + plen]
        else:
            return None
        sport, dport, seq, ack = struct.unpack(">HHII", tcp[:12])
        doff = (tcp[12] >> 4) * 4
        return (src, dst, sport, dport, seq, ack, tcp[13], bytes(tcp[doff:]))
    except (IndexError, struct.error):
        return None


def connections(frames):
    """Per TCP connection, in capture order: dict with isn[2], smtp_port,
    handshake and segs [(dir, seq, ack, flags, payload)]; dir 0 is the
    client (SYN sender, else the side talking to an SMTP port)."""
    conns, order = {}, []
    for lt, _, f in frames:
        t = tcp_of(lt, f)
        if not t:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = t
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        c = conns.get(key)
        if c is None:
            if flags & 0x12 == 0x12:
                client = b
            elif flags & 0x02 or dport in SMTP_PORTS or sport not in SMTP_PORTS:
                client = a
            else:
                client = b
            c = {"client": client, "isn": [None, None], "segs": [], "handshake": False,
                 "smtp_port": (b if client == a else a)[1] in SMTP_PORTS}
            conns[key] = c
            order.append(key)
        d = 0 if a == c["client"] else 1
        if flags & 0x02:
            c["isn"][d] = seq
            c["handshake"] = True
        c["segs"].append((d, seq, ack, flags, payload))
    return [conns[k] for k in order]


def smtp_seed(c):
    """fuzz_smtp input: each direction's bytes in order (retransmissions
    dropped), one chunk per segment."""
    nxt, out = [None, None], bytearray([(1 if c["smtp_port"] else 0) | (2 if c["handshake"] else 0)])
    for d, seq, _, flags, p in c["segs"]:
        if flags & 0x02:
            nxt[d] = (seq + 1) & 0xFFFFFFFF
        if not p:
            continue
        if nxt[d] is not None:
            rel = (seq - nxt[d]) & 0xFFFFFFFF
            if rel >= 0x80000000:            # old bytes: keep the new tail
                old = 0x100000000 - rel
                if old >= len(p):
                    continue
                p, seq = p[old:], (seq + old) & 0xFFFFFFFF
        nxt[d] = (seq + len(p)) & 0xFFFFFFFF
        chunk = SMTP_SEP + bytes([d]) + p
        if len(out) + len(chunk) > SEED_MAX:
            break
        out += chunk
    return bytes(out) if len(out) > 1 else None


def reasm_seed(c, free):
    """fuzz_reasm input from a connection's segments as captured."""
    isn = [c["isn"][d] if c["isn"][d] is not None else None for d in (0, 1)]
    for d, seq, _, _, _ in c["segs"]:
        if isn[d] is None:
            isn[d] = (seq - 1) & 0xFFFFFFFF
    if None in isn:
        isn = [x if x is not None else 1000 for x in isn]
    out = bytearray(struct.pack("<BII", 1 if free else 0, isn[0], isn[1]))
    for d, seq, ack, flags, p in c["segs"]:
        soff = (seq - isn[d]) & 0xFFFFFFFF
        if soff > 0xFFFF:
            break
        op = d | (2 if flags & 0x02 else 0) | (4 if flags & 0x01 else 0)
        aoff = (ack - isn[1 - d] - 1) & 0xFFFFFFFF
        if flags & 0x10 and aoff <= 0xFFFF:
            op |= 8
        else:
            aoff = 0
        rec = struct.pack("<BHHH", op, soff, aoff, min(len(p), 0xFFFF))
        if free:
            rec += p[:0xFFFF]
        if len(out) + len(rec) > SEED_MAX:
            break
        out += rec
    return bytes(out)


def decode_seeds(seeds, name, frames, rules):
    """fuzz_decode inputs: runs of up to 48 frames of one link type."""
    n = 0
    for start in range(0, len(frames), 48):
        run = frames[start:start + 48]
        lt = run[0][0]
        if lt not in LINK_INDEX or any(f[0] != lt for f in run):
            continue
        out = bytearray([LINK_INDEX[lt] | (8 if rules else 0), 0x33])
        last = run[0][1]
        for _, ts, f in run:
            step = max(0, min(255, int((ts - last) * 10)))
            last = ts
            out += struct.pack("<HB", min(len(f), 0xFFFF), step) + f[:0xFFFF]
        seeds.add("decode", "%s-%d" % (name, start), bytes(out))
        n += 1
        if n >= 6:
            break


def capture_seeds(seeds, name, frames, values):
    decode_seeds(seeds, name, frames, rules=len(frames) % 2 == 0)
    for i, c in enumerate(connections(frames)[:40]):
        s = smtp_seed(c)
        if s:
            seeds.add("smtp", "%s-c%d" % (name, i), s)
            collect_values(s, values)
        if i < 12:
            seeds.add("reasm", "%s-c%d" % (name, i), reasm_seed(c, free=False))
            seeds.add("reasm", "%s-c%d-free" % (name, i), reasm_seed(c, free=True))


def collect_values(smtp_input, values):
    """HELO, MAIL FROM and RCPT TO values a dialogue carries (for rules)."""
    for chunk in smtp_input.split(SMTP_SEP):
        if not chunk or chunk[0] & 1:
            continue
        for line in chunk[1:].split(b"\n"):
            m = re.match(rb"(?i)(helo|ehlo|mail from:|rcpt to:)\s*<?([^\s>]*)", line.strip())
            if m:
                f = {b"helo": "helo", b"ehlo": "helo", b"mail from:": "mail_from"}.get(
                    m.group(1).lower(), "rcpt_to")
                if len(values[f]) < 64 and m.group(2) not in values[f]:
                    values[f].append(m.group(2))


# ---------------------------------------------------------------- hand-written

DIALOGUES = [
    # (smtp port, handshake, [(dir, bytes)])
    (1, 1, [(1, b"220 mx.example.net ESMTP\r\n"), (0, b"EHLO client.example.org\r\n"),
            (1, b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
                b"250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n"),
            (0, b"MAIL FROM:<alice@example.org> SIZE=1000\r\nRCPT TO:<bob@example.net>\r\n"
                b"RCPT TO:<carol@example.net> NOTIFY=NEVER\r\nDATA\r\n"),
            (1, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n"),
            (0, b"Subject: hi\r\n\r\n..dot-stuffed\r\n.\r\n"), (1, b"250 2.0.0 queued\r\n"),
            (0, b"QUIT\r\n"), (1, b"221 2.0.0 Bye\r\n")]),
    (1, 1, [(1, b"220 mx ESMTP\r\n"), (0, b"EHLO c\r\n"), (1, b"250-mx\r\n250 CHUNKING\r\n"),
            (0, b"MAIL FROM:<>\r\n"), (1, b"250 ok\r\n"), (0, b"RCPT TO:<postmaster@mx>\r\n"),
            (1, b"250 ok\r\n"), (0, b"BDAT 5\r\nhelloBDAT 0 LAST\r\n"),
            (1, b"250 ok\r\n250 ok\r\n"), (0, b"RSET\r\nNOOP\r\nVRFY x\r\nEXPN y\r\nHELP\r\n")]),
    (1, 1, [(1, b"220 mx\r\n"), (0, b"EHLO c\r\n"), (1, b"250-mx\r\n250 AUTH LOGIN\r\n"),
            (0, b"AUTH LOGIN\r\n"), (1, b"334 VXNlcm5hbWU6\r\n"), (0, b"dXNlcg==\r\n"),
            (1, b"334 UGFzc3dvcmQ6\r\n"), (0, b"cGFzcw==\r\n"), (1, b"535 5.7.8 no\r\n"),
            (0, b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n"), (1, b"235 ok\r\n"), (0, b"STARTTLS\r\n"),
            (1, b"220 go\r\n"), (0, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")]),
    (1, 0, [(0, b"EHLO early\r\n"), (1, b"220 late banner\r\n"), (0, b"HELO again\nMAIL FROM: <a@b>\n"),
            (1, b"250 x\r\n250 y\r\n"), (0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            (1, b"500 what\r\n")]),
    (0, 1, [(0, b"CONNECT mx.example.net:25 HTTP/1.1\r\n\r\n"), (1, b"HTTP/1.1 200 OK\r\n\r\n"),
            (1, b"220 mx.example.net ESMTP\r\n"), (0, b"HELO tunnel\r\n"), (1, b"250 ok\r\n")]),
    (0, 1, [(0, b"\x05\x01\x00"), (1, b"\x05\x00"), (0, b"\x05\x01\x00\x01\xc0\x00\x02\x19\x00\x19"),
            (1, b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"), (1, b"220 socks ok\r\n"),
            (0, b"EHLO s\r\n")]),
    (1, 1, [(1, b"220 mx\r\n"), (0, b"EHLO " + b"x" * 600 + b"\r\n"), (1, b"250 ok\r\n"),
            (0, b"MAIL FROM:<" + b"a" * 300 + b"@example.org>\r\n"), (1, b"250 ok\r\n"),
            (0, b"".join(b"RCPT TO:<r%d@example.net>\r\n" % i for i in range(40))),
            (1, b"250 ok\r\n" * 40), (0, b"MAIL FROM:<x\x00y@z>\r\nSTARTTLS\r\nQUIT\r\n")]),
]


def dialogue_seeds(seeds, values):
    for i, (port, hs, turns) in enumerate(DIALOGUES):
        whole = bytes([port | hs << 1]) + b"".join(SMTP_SEP + bytes([d]) + p for d, p in turns)
        seeds.add("smtp", "dialogue%d" % i, whole)
        collect_values(whole, values)
        # the same cut into small pieces, with a gap before the last turn
        cut = bytearray([port | hs << 1])
        for k, (d, p) in enumerate(turns):
            for j in range(0, len(p), 7):
                flag = d | (0x80 | 4 if k == len(turns) - 1 and j == 0 else 0)
                cut += SMTP_SEP + bytes([flag]) + p[j:j + 7]
        seeds.add("smtp", "dialogue%d-cut" % i, bytes(cut))


def reasm_synthetic(seeds):
    def op(o, soff, aoff, ln, payload=b""):
        return struct.pack("<BHHH", o, soff, aoff, ln) + payload
    base = struct.pack("<BII", 0, 0xFFFFFF00, 77)        # wraps within the stream
    seeds.add("reasm", "inorder", base + op(2, 0, 0, 0) + op(3, 0, 0, 0) + op(8, 1, 1, 100)
              + op(9, 1, 101, 50) + op(0, 101, 0, 1000) + op(4 | 8, 1101, 51, 10))
    seeds.add("reasm", "reorder", base + op(2, 0, 0, 0) + op(0, 201, 0, 100) + op(0, 101, 0, 100)
              + op(0, 1, 0, 100) + op(0, 50, 0, 200))
    seeds.add("reasm", "window", base + op(0, 1, 0, 10) + op(0, 5000, 0, 100) + op(0, 20000, 0, 3000)
              + op(1 | 8, 0, 30000, 0) + op(0x10, 0, 0, 0))
    seeds.add("reasm", "behind", base + op(0, 1000, 0, 10) + op(0x20, 500, 0, 600) + op(2, 0, 0, 0)
              + op(0, 1, 0, 12000))
    free = struct.pack("<BII", 1, 5, 9)
    seeds.add("reasm", "conflict", free + op(0, 1, 0, 4, b"abcd") + op(0, 3, 0, 4, b"XXef")
              + op(0, 10, 0, 3, b"ghi") + op(0, 9, 0, 5, b"YghiZ") + op(0x10, 0, 0, 0))


def frame_eth(payload, et, vlans=()):
    f = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    for tpid, vid in vlans:
        f += struct.pack(">HH", tpid, vid)
    return f + struct.pack(">H", et) + payload


def tcp_hdr(sport, dport, seq, ack, flags, payload, opts=b""):
    doff = (20 + len(opts)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0, 0) + opts + payload


def ipv4(src, dst, l4, proto=6, frag=0, opts=b""):
    ihl = (20 + len(opts)) // 4
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4), 1, frag, 64, proto, 0,
                       bytes(src), bytes(dst)) + opts + l4


def ipv6(src, dst, l4, nh=6, ext=b""):
    return struct.pack(">IHBB16s16s", 0x60000000, len(ext) + len(l4), nh, 64, bytes(src), bytes(dst)) + ext + l4


def decode_synthetic(seeds):
    c4, s4 = [192, 0, 2, 1], [198, 51, 100, 25]
    c6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
    s6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x25]
    talk = [(0, 0x02, b""), (1, 0x12, b""), (0, 0x10, b""), (1, 0x18, b"220 mx ESMTP\r\n"),
            (0, 0x18, b"EHLO c.example\r\n"), (1, 0x18, b"250 mx\r\n"),
            (0, 0x18, b"MAIL FROM:<a@spam.example>\r\n"), (1, 0x18, b"250 ok\r\n"),
            (0, 0x18, b"RCPT TO:<postmaster@example.net>\r\n"), (1, 0x18, b"250 ok\r\n"),
            (0, 0x11, b""), (1, 0x11, b"")]

    def conv(make):
        seq, out = [1000, 5000], []
        for d, fl, p in talk:
            out.append(make(d, tcp_hdr(40000 if d == 0 else 25, 25 if d == 0 else 40000, seq[d],
                                       seq[1 - d], fl, p)))
            seq[d] += len(p) + (1 if fl & 0x03 else 0)
        return out

    def v4(d, t):
        return ipv4(c4 if d == 0 else s4, s4 if d == 0 else c4, t)

    def v6(d, t):
        return ipv6(c6 if d == 0 else s6, s6 if d == 0 else c6, t)
    hop = bytes([6, 0, 1, 4, 0, 0, 0, 0])              # hop-by-hop, PadN, then TCP
    variants = [
        (1, conv(lambda d, t: frame_eth(v4(d, t), 0x0800))),
        (1, conv(lambda d, t: frame_eth(v6(d, t), 0x86DD, [(0x88A8, 10), (0x8100, 20)]))),
        (1, conv(lambda d, t: frame_eth(ipv6(c6 if d == 0 else s6, s6 if d == 0 else c6, t, 0, hop), 0x86DD))),
        (101, conv(v4)),
        (0, conv(lambda d, t: struct.pack("<I", 2) + v4(d, t))),
        (108, conv(lambda d, t: struct.pack(">I", 30) + v6(d, t))),
        (113, conv(lambda d, t: struct.pack(">HHH8sH", 0, 1, 6, b"\x02" * 8, 0x0800) + v4(d, t))),
        (276, conv(lambda d, t: struct.pack(">HHIHBB8s", 0x86DD, 0, 1, 1, 0, 6, b"\x02" * 8) + v6(d, t))),
    ]
    odd = [
        frame_eth(ipv4(c4, s4, tcp_hdr(1, 25, 1, 0, 2, b"")[:8], frag=0x2000), 0x0800),
        frame_eth(ipv4(c4, s4, b"\x00" * 8, frag=5), 0x0800),
        frame_eth(ipv4(c4, s4, tcp_hdr(1, 25, 1, 0, 2, b"", b"\x02\x04\x05\xb4"), opts=b"\x01\x01\x01\x00"), 0x0800),
        frame_eth(ipv6(c6, s6, tcp_hdr(1, 25, 1, 0, 2, b""), 44, bytes([6, 0, 0, 1, 0, 0, 0, 1])), 0x86DD),
        frame_eth(ipv4(c4, s4, b"\x00" * 8, proto=17), 0x0800),
        frame_eth(b"\x00\x01\x08\x00\x06\x04\x00\x01", 0x0806),
        frame_eth(b"", 0x8100, [(0x8100, 1)] * 4),
    ]
    for lt, frames in variants:
        out = bytearray([LINK_INDEX[lt] | 8, 0xFF])
        for f in frames:
            out += struct.pack("<HB", len(f), 1) + f
        seeds.add("decode", "synthetic-lt%d" % lt, bytes(out))
    out = bytearray([0, 0])
    for f in odd:
        out += struct.pack("<HB", len(f), 0) + f
    seeds.add("decode", "synthetic-odd", bytes(out))


ZONES = [
    (0, b"$TTL 3600\n:127.0.0.2:Listed: see http://bl.example/$\n1.2.3.4\n10.0.0.0/8 :127.0.0.3:big\n"
        b"10.1\n10.1.2\n192.0.2.1-192.0.2.9\n192.0.2.20-30\n!10.1.2.3\n# comment\n$SOA 300 ns. h. 1 2 3 4 5\n"),
    (0, b":127.0.0.4\n$MAXRANGE4 /16\n0.0.0.0/1\n127.0.0.2 :127.0.0.5:$1 and $$ and $=\n$1 first\n"
        b"$= base $=\n198.51.100.0/24 =nobase\n"),
    (1, b":127.0.0.2:v6 $\n2001:db8::/32\n2001:db8:1::/48 :127.0.0.3:more\n!2001:db8:1:2::/64\n::1\n"
        b"::/0\n2001:db8::1/128\n"),
    (2, b":127.0.0.2:tset\n2001:db8:0:1::/64\n2001:db8:0:2::\n!2001:db8:0:1::5/128\n"),
    (3, b":127.0.0.2:Domain $ listed\nexample.com\n.example.net\n*.example.org :127.0.0.3:wild $\n"
        b"!good.example.net\nEXAMPLE.INFO\n"),
]


def zone_seeds(seeds):
    for i, (t, z) in enumerate(ZONES):
        seeds.add("zone", "sample%d" % i, bytes([t]) + z)
    for name, t in (("bl", 0), ("wl", 0), ("local", 0), ("dbl", 3)):
        with open(os.path.join(ROOT, "etc/demo/%s.zone" % name), "rb") as f:
            seeds.add("zone", "demo-" + name, bytes([t]) + f.read())


def conf_seeds(seeds):
    with open(os.path.join(ROOT, "etc/mxscreen.conf"), "rb") as f:
        text = f.read()
    seeds.add("conf", "mxscreen.conf", text)
    entries, cur, commented = [], None, False
    for line in text.split(b"\n"):
        m = re.match(rb"^(#?)([a-z_0-9]+\s*=.*)$", line)
        c = re.match(rb"^(#?)(\s+\S.*)$", line)
        if m:
            cur = [m.group(2)]
            entries.append(cur)
            commented = bool(m.group(1))
        elif cur is not None and c and bool(c.group(1)) == commented:
            cur.append(c.group(2))
        else:
            cur = None
    for i, e in enumerate(entries):
        seeds.add("conf", "entry%d" % i, b"\n".join(e) + b"\n")
    seeds.add("conf", "examples", b"\n".join(b"\n".join(e) for e in entries[::3]) + b"\n")
    for i, extra in enumerate([
            b"dnsbl_sites = zen.example=127.0.0.[2..11;20]*3, wl.example*-2\n"
            b"local_zones = zen.example:ip4set:zones/bl.zone\n  wl.example:dnset:/abs/wl\n",
            b"allow_cidrs = 192.0.2.0/24 2001:db8::/32\ndeny_cidrs = 198.51.100.7, ::1/128\n",
            b"score_tag = 5\nscore_throttle = 4\n", b"cache_ttl_min = 2d\ncache_ttl_max = 1h\n",
            b"resolvers = [2001:db8::53]:5353 192.0.2.53:53\nlist_resolvers = 127.0.0.1:5353\n",
            b"control_group = root\nmetrics_listen = [::1]:9100\nxdp_interfaces = eth0 eth1\n",
            b"verdict_ttl = pass:1h drop:7d\nanomaly_weights = pregreet:-3\n", b"  leading = continuation\n",
            b"dnsbl_sites = a\ndnsbl_sites = b\n", b"bogus = 1\n", b"smtp_ports = 25 26 27 28 29 30 31 32 33\n"]):
        seeds.add("conf", "extra%d" % i, extra)


def rules_seeds(seeds, values):
    texts = {}
    for name in sorted(os.listdir(os.path.join(ROOT, "etc/rules"))):
        if name.endswith(".rules"):
            with open(os.path.join(ROOT, "etc/rules", name), "rb") as f:
                texts[name] = f.read()
    scans = b""
    for f in ("helo", "mail_from", "rcpt_to"):
        for v in values[f][:5]:
            scans += b"#scan %s %s\n" % (f.encode(), v)
    for name, t in texts.items():
        for flags in (0, 1):
            seeds.add("rules", "%s-%d" % (name, flags), bytes([flags]) + t + scans)
    both = b"".join(texts[n] for n in sorted(texts))
    seeds.add("rules", "all", b"\x02" + both + scans)
    # each rule alone, with the macros before it, scanned with values of its field
    macros = []
    for line in both.split(b"\n"):
        if re.match(rb"^\s*(define|default)\s", line):
            macros.append(line)
            continue
        m = re.match(rb"^(helo|mail_from|rcpt_to)\s+/(.*)/([iu]*)\s", line)
        if not m:
            continue
        field, pat = m.group(1).decode(), m.group(2)
        lit = re.sub(rb"\\(.)", rb"\1", pat.strip(b"^$"))
        sc = b"#scan %s %s\n" % (field.encode(), lit)
        for v in values[field][:8]:
            sc += b"#scan %s %s\n" % (field.encode(), v)
        seeds.add("rules", "rule-" + field, b"\x01" + b"\n".join(macros) + b"\n" + line + b"\n" + sc)
    for i, t in enumerate([
            b"helo /^mx\\.example\\.com$/i score=1 id=1 msg=\"lit\"\n#scan helo MX.example.COM\n#scan helo mx.example.co\n",
            b"mail_from /@spam\\.example$/ score=2 id=2 msg=\"suffix\"\n#scan mail_from a@spam.example\n",
            b"rcpt_to /\\.invalid$/ score=3 id=3 msg=\"tld\"\n#scan rcpt_to a@b.invalid\n#scan rcpt_to invalid\n",
            b"helo /^ylmf/ score=1 id=4 msg=\"prefix\"\n#scan helo ylmf-pc\n",
            b"define names = a.example b.example\nhelo /^%{names}$/i score=1 id=5 msg=\"macro \\\"q\\\" \\\\\"\n"
            b"#scan helo B.EXAMPLE\n",
            b"helo /\xc3\xa9t\xc3\xa9/iu score=1 id=6 msg=\"utf8\"\n#scan helo \xc3\x89T\xc3\x89\n",
            b"helo /a\\/b/ score=-5 id=7 msg=\"slash\"\nhelo /x/ score=1 id=7 msg=\"dup id\"\n",
            b"helo /(/ score=1 id=8 msg=\"bad\"\n", b"default x = 1\ndefault x = 2\ndefine x = 3\n",
            b"rcpt_to /^$/ score=0 id=2147483647 msg=\"\"\n#scan rcpt_to \n"]):
        seeds.add("rules", "sample%d" % i, b"\x01" + t)


def literal_seeds(seeds):
    """Rule sets for the literal fast path (dataplane/dp_literal.c): exact,
    suffix, prefix and gated shapes, caseless or not, shared keys, and
    values that hit, nearly hit, differ in case or end in a newline;
    fuzz_rules compares the fast path with Hyperscan on them."""
    rng = random.Random(7)
    words = ["mx", "mail", "example", "spam", "a", "bz", "xn--d1a", "Ylmf", "PC", "localhost",
             "dyn", "pool", "123", "net", "com", "org", "x_y", "b-c", "long-label-here"]

    def lit():
        return ".".join(rng.choice(words) for _ in range(rng.randint(1, 4)))

    def esc(v):
        return v.replace(".", "\\.").replace("+", "\\+").replace("$", "\\$")

    for k in range(40):
        rules, scans, rid = [], [], 1
        for _ in range(rng.randint(2, 9)):
            field = rng.choice(["helo", "mail_from", "rcpt_to"])
            v = lit()
            shape = rng.choice(["exact", "suffix", "prefix", "gate", "other"])
            if shape == "exact":
                pat = "^" + esc(v) + "$"
                hit = v
            elif shape == "suffix":
                v = rng.choice([".", "@"]) + v
                pat = esc(v) + "$"
                hit = rng.choice(words) + v
            elif shape == "prefix":
                pat = "^" + esc(v)
                hit = v + rng.choice(["", ".x", "9", "@y"])
            elif shape == "gate":
                alt = "(?:%s|%s)" % (esc(rng.choice(words)), esc(rng.choice(words)))
                pat = "[a-z0-9]+\\." + alt + "\\." + esc(v) + "$"
                hit = "host.%s.%s" % (alt[3:].split("|")[0].replace("\\", ""), v)
            else:
                pat = "^" + esc(v) + "[0-9]*$"
                hit = v + "42"
            flags = rng.choice(["", "", "i", "u", "iu"])
            rules.append('%s /%s/%s score=%d id=%d msg="%s %s"' % (field, pat, flags, rng.randint(-5, 5),
                                                                     rid, shape, k))
            rid += 1
            for val in (hit, hit.upper(), hit[:-1], "z" + hit, hit + "\\n", hit + "\\n\\n", hit + ".",
                        hit.swapcase()):
                if len(scans) < 16 and rng.random() < 0.5:
                    scans.append("#scan %s %s" % (field, val))
        if rng.random() < 0.3:
            rules.append(rules[0].replace("id=1 ", "id=%d " % rid))   # same key twice
        text = "\n".join(rules + scans) + "\n"
        seeds.add("rules", "literal%d" % k, b"\x01" + text.encode())


def csock_seeds(seeds):
    reqs = []
    with open(os.path.join(ROOT, "docs/control-protocol.md"), "rb") as f:
        for line in f:
            m = re.match(rb"^\s+(\{\"cmd\".*\})\s*$", line)
            if m:
                reqs.append(m.group(1))
    for i, r in enumerate(reqs):
        seeds.add("csock", "doc%d" % i, b"\x00" + r + b"\n")
    seeds.add("csock", "doc-all", b"\x03" + b"\n".join(reqs) + b"\n")
    extra = [
        b'{"cmd":"stats","id":42,"later":true}\n{"cmd":"version","id":"x"}\r\n',
        b'{"s":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","n":[-0,1e5,-1.5E-3,9223372036854775807,'
        b'9223372036854775808,1e400],"b":[true,false,null],"o":{"":{}}}\n',
        b'{"bad":"\\ud800"}\n{"x":01}\n[1,]\n{"a":1}garbage\n"\xff\xfe"\n',
        b"[" * 40 + b"]" * 40 + b"\n" + b"[" * 31 + b"]" * 31 + b"\n",
        b'{"k\\u0000ey":"v\\u0000al"}\n\n\n',
        b"\x00" + b"x" * 70000 + b"\n{}\n",
        b'{"cmd":"verdict.add","addr":"192.0.2.7","action":"drop","ttl":60,"reason":"a\\"b\\n\\u00e9\\u0001"}\n'
        b'{"cmd":"verdict.add","addr":"2001:db8:1:2::/64","action":"tag","ttl":0,"reason":"\xff\xfe"}\n'
        b'{"cmd":"verdict.add","addr":"10.0.0.0/8","action":"throttle"}\n'
        b'{"cmd":"verdict.add","addr":"10.0.0.1/8","action":"pass"}\n'
        b'{"cmd":"verdict.get","addr":"192.0.2.7"}\n{"cmd":"verdict.list","action":"drop"}\n'
        b'{"cmd":"verdict.del","addr":"192.0.2.7"}\n{"cmd":"verdict.flush"}\n'
        b'{"cmd":"verdict.add","addr":"::ffff:192.0.2.1","action":"drop","reason":"mapped"}\n',
    ]
    for i, e in enumerate(extra):
        seeds.add("csock", "extra%d" % i, bytes([i * 40 & 0xFF]) + e)


MAGIC, VERSION = 0x4C53584D, 2


def link_hdr(t, count, size, magic=MAGIC, version=VERSION):
    return struct.pack("<IHHII", magic, version, t, count, size)


def observation(i, family=4):
    client = bytes([192, 0, 2, i & 255]) + bytes(12) if family == 4 else bytes([0x20, 1, 0xd, 0xb8] + [0] * 11 + [i & 255])
    helo = b"client%d.example" % i
    dom = b"example.org"
    return struct.pack("<Q16s16sBBHIi8IBB2x256s256s", 1700000000000000000 + i, client,
                       bytes([198, 51, 100, 25]) + bytes(12), family, 2, 25, 5, 7,
                       *([1000 + i, 1001] + [0] * 6), len(helo), len(dom), helo, dom)


def dp_stats(n_hits, err=b""):
    return struct.pack("<QQII12Q16QQQII256s", 1, 2, 1234, 2, *range(12), *range(16), 3, 1, 40, n_hits, err)


def rule_hit(i):
    return struct.pack("<QIiB7x64s", 10 + i, 1000 + i, i - 2, i % 3, b"rule %d" % i)


def link_seeds(seeds):
    obs = link_hdr(1, 3, 600) + observation(1) + observation(2, 6) + observation(3)
    stats = link_hdr(3, 1, 528) + dp_stats(3, b"x.rules:1: bad") + link_hdr(4, 3, 88) + b"".join(rule_hit(i) for i in range(3))
    msgs = [
        ("obs", obs), ("stats", stats), ("mixed", obs + stats + obs),
        ("bad-magic", link_hdr(1, 1, 600, magic=1) + observation(0)),
        ("bad-size", link_hdr(1, 1, 599) + observation(0)[:599]),
        ("bad-count", link_hdr(3, 2, 528) + dp_stats(0) * 2),
        ("zero", link_hdr(1, 0, 600)), ("too-many", link_hdr(4, 257, 88)),
        ("bad-family", link_hdr(1, 1, 600) + observation(0, family=5)),
        ("verdicts", link_hdr(2, 1, 48) + bytes(48)), ("reload", link_hdr(5, 0, 0)),
        ("big", link_hdr(1, 256, 600) + b"".join(observation(i) for i in range(256))),
        ("hits-max", stats + b"".join(link_hdr(4, 256, 88) + rule_hit(7) * 256 for _ in range(17))),
        ("partial", obs[:700]),
    ]
    for i, (name, m) in enumerate(msgs):
        for piece in (0, 3, 255):
            if len(m) <= SEED_MAX or piece == 0:
                seeds.add("link", "%s-%d" % (name, piece), bytes([(piece + i) & 255]) + m)


# ---------------------------------------------------------------- main

def gen_captures(gen, tmp):
    runs = [("realistic", ["--mix", "realistic", "--connections", "24", "--concurrency", "4"]),
            ("adversarial", ["--mix", "adversarial", "--connections", "24", "--concurrency", "4"]),
            ("vlan6", ["--vlan", "--ipv6-ratio", "0.5", "--connections", "12", "--concurrency", "3"])]
    out = []
    for name, args in runs:
        path = os.path.join(tmp, name + ".pcap")
        r = subprocess.run([gen, "-o", path, "--seed", "7"] + args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            sys.exit("seeds: %s failed: %s" % (gen, r.stderr.decode(errors="replace").strip()))
        out.append(("gen-" + name, path))
    return out


def main():
    ap = argparse.ArgumentParser(description="write seed inputs for the fuzz targets")
    ap.add_argument("outdir")
    ap.add_argument("--corpus", help="../shared/corpus: its captures become seeds too")
    ap.add_argument("--gen", help="mxscreen-gen: its captures become seeds too")
    ap.add_argument("--max", type=int, default=400, help="seeds per target (default 400)")
    ap.add_argument("--stamp", help="touch this file when done (for meson)")
    a = ap.parse_args()

    for t in TARGETS:
        d = os.path.join(a.outdir, "fuzz_" + t)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    seeds = Seeds(a.outdir, a.max)
    values = {"helo": [b"localhost", b"[192.0.2.1]", b"mx.example.net", b"ylmf-pc", b"192.0.2.1"],
              "mail_from": [b"", b"a@spam.example", b"user@example.org"],
              "rcpt_to": [b"postmaster@example.net", b"b@example.net"]}

    dialogue_seeds(seeds, values)
    reasm_synthetic(seeds)
    decode_synthetic(seeds)
    with tempfile.TemporaryDirectory() as tmp:
        caps = gen_captures(a.gen, tmp) if a.gen else []
        if a.corpus:
            for dirpath, _, files in sorted(os.walk(a.corpus)):
                for fn in sorted(files):
                    if re.search(r"\.(pcap|pcapng|trace)(\.gz)?$", fn):
                        caps.append((os.path.splitext(fn)[0], os.path.join(dirpath, fn)))
        for name, path in caps:
            try:
                frames = read_capture(path)
            except OSError as e:
                sys.exit("seeds: %s: %s" % (path, e))
            capture_seeds(seeds, name, frames, values)
    rules_seeds(seeds, values)
    literal_seeds(seeds)
    conf_seeds(seeds)
    zone_seeds(seeds)
    link_seeds(seeds)
    csock_seeds(seeds)
    if a.stamp:
        with open(a.stamp, "w") as f:
            f.write(" ".join("%s=%d" % kv for kv in seeds.count.items()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
