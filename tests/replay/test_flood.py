#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Flow-table exhaustion: a SYN flood from spoofed sources while real SMTP
sessions go on, replayed through mxscreen-dp with a flow table far smaller
than the flood.

usage: test_flood.py MXSCREEN_DP MXSCREEN_GEN [--connections N]
                     [--max-flows F] [--workdir DIR] [--report FILE]
mxscreen-gen --mix flood writes the capture (90% of its packets are SYNs
to port 25 from random spoofed IPv4/IPv6 sources, about 310 per real
connection: 4,000 connections, the default, make 1.24 million) and the
truth file; mxscreen-dp replays it with --max-flows F (default 100,000),
so a handshake table of 4F.
Checks: every real session's record is fully correct
(scripts/lib/truth_check.py); the flood filled the handshake table and
was evicted from it (the default case), and never reached the flow table
as more than the sessions and the background: no flow was evicted but
half-open ones, the eviction classes add up to the total, and both
tables' accounting adds up; the table never held more than F flows; the
peak RSS stays within what a one-session replay with the same --max-flows
takes plus the flow and handshake state it may touch. With --report FILE
the figures go to FILE as JSON (for tests/RELIABILITY.md). Exit 0 all
held, 1 a check failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import smtp_pcap  # noqa: E402

SLACK_KB = 64 * 1024


def opt(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def run(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), err, ru.ru_maxrss


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    dp, gen = sys.argv[1], sys.argv[2]
    conns = int(opt("--connections", "4000"))
    flows = int(opt("--max-flows", "100000"))
    report = opt("--report", None)
    bad = []
    with tempfile.TemporaryDirectory(dir=opt("--workdir", "/var/tmp")) as t:
        cap, truth = os.path.join(t, "flood.pcap"), os.path.join(t, "flood.truth")
        r = subprocess.run([gen, "-o", cap, "--mix", "flood", "--connections", str(conns),
                            "--truth", truth, "--seed", "11"], capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL: mxscreen-gen: %s" % r.stderr.strip())
            return 1
        m = re.search(r"(\d+) packets \((\d+) session, (\d+) background, (\d+) flood\)", r.stderr)
        flood = int(m.group(4)) if m else -1
        one = os.path.join(t, "one.pcap")
        p = smtp_pcap.Pcap(one)
        c = smtp_pcap.Conn(p, "192.0.2.1", 40000, "198.51.100.25", 25)
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
        p.close()
        rc, err, base_rss = run([dp, "--pcap", one, "--max-flows", str(flows)])
        if rc != 0:
            print("FAIL: one-session replay exit %d: %s" % (rc, err.strip()))
            return 1
        eve, stats = os.path.join(t, "flood.eve"), os.path.join(t, "flood.json")
        rc, err, rss = run([dp, "--pcap", cap, "--eve", eve, "--stats-json", stats,
                            "--max-flows", str(flows)])
        if rc != 0:
            print("FAIL: flood replay exit %d: %s" % (rc, err.strip()[-400:]))
            return 1
        st = json.load(open(stats))
        tc = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "lib", "truth_check.py"),
                             truth, eve], capture_output=True, text=True)
        m = re.search(r"fully correct connections: (\d+)/(\d+)", tc.stdout)
        correct, expected = (int(m.group(1)), int(m.group(2))) if m else (-1, conns)
        if correct != expected or expected != conns:
            bad.append("sessions fully correct %d of %d (%d connections): %s"
                       % (correct, expected, conns, tc.stdout.strip()[-300:]))
        ev, by = st["flows_evicted"], st["flows_evicted_by_class"]
        if sum(by.values()) != ev:
            bad.append("evictions by class %s do not add up to %d" % (by, ev))
        if by.get("smtp", 0) or by.get("closing", 0):
            bad.append("sessions evicted: %s" % by)
        ends = ev + st["flows_expired"] + st["flows_removed"] + st["flows_drained"] + st["flows_active"]
        if ends != st["flows_created"]:
            bad.append("%d flows created, %d ended (evicted %d, expired %d, removed %d, drained %d, "
                       "active %d)" % (st["flows_created"], ends, ev, st["flows_expired"],
                                       st["flows_removed"], st["flows_drained"], st["flows_active"]))
        hs_ends = (st["handshakes_promoted"] + st["handshakes_evicted"] + st["handshakes_expired"]
                   + st["handshakes_drained"] + st["handshakes_active"])
        if hs_ends != st["handshakes_added"]:
            bad.append("%d handshakes added, %d ended" % (st["handshakes_added"], hs_ends))
        if conns == 4000 and flows == 100000:
            # Eviction starts when the ring is full (taken handshakes'
            # positions count until the oldest passes them).
            if not st["handshakes_evicted"]:
                bad.append("the default flood never filled the handshake table (peak %d of %d)"
                           % (st["handshakes_active_peak"], st["handshake_capacity"]))
            if st["flows_created"] > 2 * conns:
                bad.append("the flood reached the flow table: %d flows for %d sessions"
                           % (st["flows_created"], conns))
        if st["flows_active_peak"] > flows:
            bad.append("peak %d flows, over --max-flows %d" % (st["flows_active_peak"], flows))
        limit = (base_rss + flows * st["hot_bytes_per_flow"] // 1024
                 + st["handshake_table_bytes"] // 1024 + SLACK_KB)
        if rss > limit:
            bad.append("peak RSS %d KiB, limit %d KiB (one-session %d KiB)" % (rss, limit, base_rss))
        if st["conn_exhausted"]:
            bad.append("%d connections found no parser state" % st["conn_exhausted"])
        # --max-conns: fewer parser states than concurrent sessions; those
        # past it are counted, the replay goes on, and less is reserved.
        few = os.path.join(t, "few.json")
        rc, err, _ = run([dp, "--pcap", cap, "--eve", os.devnull, "--stats-json", few,
                          "--max-flows", str(flows), "--max-conns", "16"])
        if rc != 0:
            bad.append("--max-conns 16 replay exit %d: %s" % (rc, err.strip()[-300:]))
        else:
            sf = json.load(open(few))
            if sf["conn_exhausted"] == 0:
                bad.append("--max-conns 16: no connection found the parser states exhausted")
            if sf["memory_reserved_bytes"] >= st["memory_reserved_bytes"]:
                bad.append("--max-conns 16 reserves %d bytes, the default %d"
                           % (sf["memory_reserved_bytes"], st["memory_reserved_bytes"]))
        fig = {"connections": conns, "flood_syns": flood, "max_flows": flows,
               "packets": st["packets"], "sessions_correct": correct, "sessions": expected,
               "flows_created": st["flows_created"], "flows_evicted": ev,
               "flows_removed": st["flows_removed"], "flows_drained": st["flows_drained"],
               "evicted_by_class": by, "flows_expired": st["flows_expired"],
               "flows_active_peak": st["flows_active_peak"],
               "handshake_capacity": st["handshake_capacity"],
               "handshakes_added": st["handshakes_added"],
               "handshakes_evicted": st["handshakes_evicted"],
               "handshakes_promoted": st["handshakes_promoted"], "peak_rss_kib": rss,
               "one_session_rss_kib": base_rss, "memory_reserved_bytes": st["memory_reserved_bytes"],
               "memory_resident_bytes": st["memory_resident_bytes"], "mpps": st["mpps"]}
    if report:
        with open(report, "w") as f:
            json.dump(fig, f, indent=1)
    if bad:
        for b in bad:
            print("FAIL: " + b)
        return 1
    print("ok: %d flood SYNs and %d sessions into %d flows and %d handshakes: %d/%d sessions "
          "fully correct, %d handshakes evicted, %d flows evicted (%s), peak %d flows, peak RSS "
          "%d KiB (one-session %d KiB), %.2f Mpps"
          % (flood, conns, flows, st["handshake_capacity"], correct, expected,
             st["handshakes_evicted"], ev, by, fig["flows_active_peak"], rss, base_rss, st["mpps"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
