# SPDX-License-Identifier: BSD-3-Clause
"""Stand-in capture writer for scripts/bench when build/gen/mxscreen-gen is
not built: lets the benchmark pipeline run end to end. Not a generator of
record: it writes no truth file, so correctness is reported as n/a, and
results made with it say so ("generator": "stand-in").

write(path, seed, connections, clients, concurrency, mix) writes a pcap of
`connections` SMTP connections to 192.0.2.25:25 from `clients` IPv4
clients, at most `concurrency` open at once: each step emits one segment
of one randomly chosen open connection, so connections interleave. Mixes:
  realistic    MTAs (EHLO, MAIL, 1-3 RCPT, DATA, QUIT), a third bots
               (dynamic-looking, IP-literal or spamware HELO names)
  adversarial  commands split across segments, pipelining without
               PIPELINING, bare LF, resets mid-dialogue, long lines
  flood        nine in ten connections a bare SYN (half-open), the rest
               realistic
Deterministic for a seed. Timestamps advance 20 us a frame. Uses
scripts/lib/smtp_pcap.py; about 50k frames a second.
"""
import random

from smtp_pcap import Conn, Pcap

BANNER = "220 mx.example.net ESMTP\r\n"
EHLO_REPLY = "250-mx.example.net\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n"


class _FastPcap(Pcap):
    def frame(self, data, dt=0.001):
        super().frame(data, 0.00002)


def _helo(r, i):
    k = r.randrange(100)
    if k < 67:
        return "mail%d.sender%d.example.org" % (r.randrange(10), i % 500)
    if k < 80:
        return "%d-%d-%d-%d.dyn.isp%d.example" % (r.randrange(1, 224), r.randrange(256),
                                                 r.randrange(256), r.randrange(256), i % 50)
    if k < 90:
        return "[198.51.100.%d]" % r.randrange(256)
    return r.choice(("ylmf-pc", "localhost", "WIN-ABCDEFGHIJK", "friend", "Bob-PC"))


def _legit(r, i):
    rcpts = "".join("RCPT TO:<user%d@example.net>\r\n" % r.randrange(10000)
                    for _ in range(r.randint(1, 3)))
    return [("hs",), ("s", BANNER), ("c", "EHLO %s\r\n" % _helo(r, i)), ("s", EHLO_REPLY),
            ("c", "MAIL FROM:<sender%d@sender%d.example.org>\r\n" % (i, i % 500)),
            ("s", "250 2.1.0 Ok\r\n"), ("c", rcpts), ("s", "250 2.1.5 Ok\r\n"),
            ("c", "DATA\r\n"), ("s", "354 go ahead\r\n"),
            ("c", "Subject: note %d\r\n\r\nhello\r\n.\r\n" % i), ("s", "250 queued\r\n"),
            ("c", "QUIT\r\n"), ("s", "221 bye\r\n"), ("fin",)]


def _adversarial(r, i):
    k = r.randrange(4)
    helo = _helo(r, i)
    if k == 0:    # one command split over three segments
        cut = r.randint(1, len(helo))
        return [("hs",), ("s", BANNER), ("c", "EH"), ("c", "LO " + helo[:cut]),
                ("c", helo[cut:] + "\r\n"), ("s", EHLO_REPLY), ("c", "QUIT\r\n"), ("fin",)]
    if k == 1:    # pipelining without PIPELINING, bare LF
        return [("hs",), ("s", BANNER), ("c", "HELO %s\n" % helo), ("s", "250 ok\r\n"),
                ("c", "MAIL FROM:<a%d@x.example>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n" % i),
                ("s", "250 ok\r\n250 ok\r\n354 go\r\n"), ("c", ".\r\n"), ("rst",)]
    if k == 2:    # over-long line, then reset
        return [("hs",), ("s", BANNER), ("c", "EHLO %s\r\n" % ("x" * 1200)), ("rst",)]
    return _legit(r, i)


def _script(r, i, mix):
    if mix == "flood" and r.randrange(10):
        return [("syn",)]
    if mix == "adversarial":
        return _adversarial(r, i)
    return _legit(r, i)


def _step(conn, op):
    kind = op[0]
    if kind == "hs":
        conn.handshake()
    elif kind == "syn":
        conn._send("c", 0x02)
    elif kind == "c":
        conn.client(op[1])
    elif kind == "s":
        conn.server(op[1])
    elif kind == "fin":
        conn.close()
    else:
        conn.reset()


def write(path, seed, connections, clients, concurrency, mix):
    r = random.Random(seed)
    p = _FastPcap(path)
    open_, started = [], 0
    clients = max(1, clients)
    while started < connections or open_:
        while started < connections and len(open_) < concurrency:
            c = started % clients
            ip = "10.%d.%d.%d" % (c >> 16 & 255, c >> 8 & 255, c & 255)
            conn = Conn(p, ip, 1024 + (started // clients) % 64000, "192.0.2.25", 25)
            open_.append([conn, _script(r, started, mix), 0])
            started += 1
        k = r.randrange(len(open_))
        ent = open_[k]
        _step(ent[0], ent[1][ent[2]])
        ent[2] += 1
        if ent[2] == len(ent[1]):
            open_[k] = open_[-1]
            open_.pop()
    p.close()
