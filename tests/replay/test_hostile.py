#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile SMTP sessions through mxscreen-dp: nothing crashes, memory stays
bounded, every session still gets its record, and the abuse is named.

usage: test_hostile.py MXSCREEN_DP [--report FILE]
Each case is one capture written here (scripts/lib/smtp_pcap.py), replayed
with --eve and --stats-json; the checks are on the record, the counters,
the exit status and the peak RSS (getrusage of the child), which must stay
within the same bound as a one-session capture's: the parser's state is
fixed-size whatever the client sends.
  rcpt100k   100,000 RCPT TO in one transaction (pipelined, 100 a flight)
  jumbo      20,000 RCPT TO in 9,000-byte segments: frames bigger than an
             mbuf, several a burst, none of their bytes lost
  line1m     a 1 MiB EHLO line in 1,400-byte segments
  pipe10k    10,000 pipelined NOOPs, one burst, then their replies
  bdat       BDAT with absurd sizes (2^64-1, 30 digits, negative, none)
  tls        TLS handshake bytes where commands belong, no STARTTLS
Segments are at most 1,400 bytes, as on an Ethernet wire, except jumbo's.
With --report FILE, one JSON object per case (the figures of
tests/RELIABILITY.md) goes to FILE.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "lib"))
import smtp_pcap  # noqa: E402

CLIENT, SERVER = "192.0.2.66", "198.51.100.25"
RSS_SLACK_KB = 16 * 1024   # over the one-session baseline


def session(path, body):
    p = smtp_pcap.Pcap(path)
    c = smtp_pcap.Conn(p, CLIENT, 40000, SERVER, 25)
    c.handshake()
    c.server("220 mx.hostile.example ESMTP\r\n")
    body(c)
    c.close()
    p.close()


def ehlo(c, name="hostile.example"):
    c.client("EHLO %s\r\n" % name)
    c.server("250-mx.hostile.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n")


def chunks(data, n):
    for i in range(0, len(data), n):
        yield data[i:i + n]


def burst(c, commands, replies, size):
    """The client's commands in segments of @size bytes, then the server's
    replies the same way (pipelined: nothing waits for an answer)."""
    for part in chunks(commands, size):
        c.client(part)
    for part in chunks(replies, size):
        c.server(part)


def baseline(c):
    ehlo(c)
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def rcpt100k(c):
    ehlo(c)
    c.client("MAIL FROM:<a@hostile.example>\r\n")
    c.server("250 ok\r\n")
    for i in range(0, 100000, 100):
        for part in chunks("".join("RCPT TO:<u%d@example.net>\r\n" % j
                                   for j in range(i, i + 100)).encode(), 1400):
            c.client(part)
        c.server("250 ok\r\n" * 100)
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def jumbo(c):
    """20,000 RCPTs in 9,000-byte segments (a jumbo-frame or GRO capture:
    frames larger than an mbuf, several in one burst)."""
    ehlo(c)
    c.client("MAIL FROM:<j@hostile.example>\r\n")
    c.server("250 ok\r\n")
    data = "".join("RCPT TO:<u%d@example.net>\r\n" % j for j in range(20000)).encode()
    burst(c, data, b"250 ok\r\n" * 20000, 9000)
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def line1m(c):
    data = b"EHLO " + b"a" * (1 << 20) + b"\r\n"
    for part in chunks(data, 1400):
        c.client(part)
    c.server("500 line too long\r\n")
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def pipe10k(c):
    ehlo(c)
    burst(c, b"NOOP\r\n" * 10000, b"250 ok\r\n" * 10000, 1400)
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def bdat(c):
    ehlo(c)
    c.client("MAIL FROM:<b@hostile.example>\r\n")
    c.server("250 ok\r\n")
    c.client("RCPT TO:<x@example.net>\r\n")
    c.server("250 ok\r\n")
    for size in ("18446744073709551615", "9" * 30, "-5", ""):
        c.client("BDAT %s LAST\r\n" % size if size else "BDAT\r\n")
        c.client(b"x" * 64)
        c.server("501 bad size\r\n")
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")


def tls(c):
    ehlo(c)
    hello = bytes([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]) + bytes(range(160))
    c.client(hello)
    c.server("500 5.5.2 Error: bad syntax\r\n")


# name -> (capture body, check(record, stats) -> list of problems)
def expect_rcpt(r, st):
    bad = []
    if r.get("rcpt_count") != 100000:
        bad.append("rcpt_count %s, want 100000" % r.get("rcpt_count"))
    if len(r.get("rcpt_to", [])) > 32:
        bad.append("%d recipients stored, want at most 32" % len(r["rcpt_to"]))
    if not r.get("truncated"):
        bad.append("not marked truncated")
    return bad


def expect_jumbo(r, st):
    if r.get("rcpt_count") != 20000 or r["anomalies"]:
        return ["rcpt_count %s, anomalies %s: want 20000, none" % (r.get("rcpt_count"), r["anomalies"])]
    return []


def expect_anomaly(name):
    def check(r, st):
        return [] if name in r["anomalies"] else ["no %s anomaly: %s" % (name, r["anomalies"])]
    return check


def expect_commands(n):
    def check(r, st):
        got = r["smtp"].get("commands")
        return [] if got is not None and got >= n else ["commands %s, want at least %d" % (got, n)]
    return check


CASES = {
    "rcpt100k": (rcpt100k, expect_rcpt),
    "jumbo": (jumbo, expect_jumbo),
    "line1m": (line1m, expect_anomaly("long_line")),
    "pipe10k": (pipe10k, expect_commands(10000)),
    "bdat": (bdat, expect_anomaly("bdat_invalid")),
    # binary where commands belong: the parser says what it sees
    "tls": (tls, expect_anomaly("nul_byte")),
}


def run(dp, pcap, eve, stats):
    p = subprocess.Popen([dp, "--pcap", pcap, "--eve", eve, "--stats-json", stats],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, err, ru.ru_maxrss


def flatten(rec):
    """The record's SMTP fields, transactions merged."""
    s = rec.get("smtp") or {}
    out = {"anomalies": s.get("anomalies", []), "smtp": s}
    for tx in s.get("transactions", []):
        out["rcpt_count"] = out.get("rcpt_count", 0) + tx.get("rcpt_count", 0)
        out.setdefault("rcpt_to", []).extend(tx.get("rcpt_to", []))
        out["truncated"] = out.get("truncated") or tx.get("truncated", False)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    dp = sys.argv[1]
    report = sys.argv[sys.argv.index("--report") + 1] if "--report" in sys.argv else None
    fails, rows = 0, []
    with tempfile.TemporaryDirectory() as t:
        cap = os.path.join(t, "base.pcap")
        session(cap, baseline)
        rc, err, base_rss = run(dp, cap, os.path.join(t, "base.eve"), os.path.join(t, "base.json"))
        if rc != 0:
            print("FAIL: baseline replay exit %d: %s" % (rc, err.strip()))
            return 1
        for name, (body, check) in CASES.items():
            cap, eve, st = (os.path.join(t, name + x) for x in (".pcap", ".eve", ".json"))
            session(cap, body)
            rc, err, rss = run(dp, cap, eve, st)
            problems = [] if rc == 0 else ["exit %d: %s" % (rc, err.strip()[-300:])]
            recs = []
            if rc == 0:
                recs = [json.loads(l) for l in open(eve)]
                if len(recs) != 1:
                    problems.append("%d records, want 1" % len(recs))
                else:
                    problems += check(flatten(recs[0]), json.load(open(st)))
            if rss > base_rss + RSS_SLACK_KB:
                problems.append("peak RSS %d KiB, baseline %d KiB" % (rss, base_rss))
            size = os.path.getsize(cap)
            rows.append({"case": name, "capture_bytes": size, "peak_rss_kib": rss,
                         "baseline_rss_kib": base_rss, "records": len(recs),
                         "anomalies": flatten(recs[0])["anomalies"] if len(recs) == 1 else None,
                         "ok": not problems})
            if problems:
                fails += 1
                print("FAIL: %s: %s" % (name, "; ".join(problems)))
            else:
                print("ok: %s (%d KiB capture): one record, anomalies %s, peak RSS %d KiB (one-session %d KiB)"
                      % (name, size // 1024, rows[-1]["anomalies"], rss, base_rss))
    if report:
        with open(report, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
