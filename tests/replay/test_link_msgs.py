#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The dataplane's side of the control link's messages, for real.

usage: test_link_msgs.py MXSCREEN_DP
This script is the control plane: it listens on a unix socket, runs
mxscreen-dp on a looping capture (net_pcap infinite_rx: the demo
conversations and filler frames) with --rules (a copy of etc/rules),
--control and --eve, and checks:
- DP_STATS arrives on connect and about once a second, with sane fields
  (pid, workers, started_ns, packets, rules_loaded, anomalies), followed
  by its RULE_HITS (ids, fields, scores and msgs of etc/rules, most hits
  first);
- RULES_RELOAD reloads (rules_reload_ok + 1 in a snapshot sent at once);
  a broken rules file makes the next one fail with "FILE:LINE: reason";
- verdicts show in the records (the `verdict` of a connection): an exact
  /32 that never expires, then its deletion (action none); CIDR verdicts
  (/16 and /24, longest prefix wins, /24 deleted falls back to /16; a v6
  /48 in shadow mode; an expired /24 is ignored; a /40 v4 is invalid);
- the final DP_STATS at shutdown equals --stats-json and the records:
  smtp_connections, anomalies, rule hits, observations sent.
A second run without --rules checks that RULES_RELOAD still answers with a
snapshot that shows nothing changed; a third with two workers, that the
snapshots sum over workers and a verdict reaches both.
"""
import datetime
import json
import os
import re
import runpy
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
from smtp_pcap import Pcap  # noqa: E402

MAGIC, VERSION = 0x4C53584D, 2
OBSERVATIONS, VERDICTS, DP_STATS, RULE_HITS, RULES_RELOAD = 1, 2, 3, 4, 5
HDR = struct.Struct("<IHHII")
STATS = struct.Struct("<QQII14Q16QQQII256s")
HIT = struct.Struct("<QIiB7x64s")
VERDICT = struct.Struct("<16sBBBBB3xiII4xQ")
OBS_SIZE = 600
assert (HDR.size, STATS.size, HIT.size, VERDICT.size) == (16, 544, 88, 48)
STAT_FIELDS = ("ts_ns started_ns pid workers packets bytes flows_created flows_active "
               "flows_evicted handshakes_evicted handshakes_active smtp_connections "
               "records_dropped obs_queued obs_sent "
               "obs_dropped verdicts_received rules_scanned").split()
ANOMALIES = ("pregreet pipelining_violation non_smtp_command bare_lf nul_byte long_line "
             "unknown_command starttls_injection bdat_invalid reasm_overlap_conflict "
             "reasm_gap").split()
FIELDS = ("helo", "mail_from", "rcpt_to")
NONE, PASS, TAG, THROTTLE, DROP = range(5)
REASON_MANUAL, REASON_DNSBL = 1 << 9, 1 << 0
NEVER = 2**64 - 1

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def make_capture(path):
    """The demo conversations, then filler frames so a loop takes a while."""
    demo = runpy.run_path(os.path.join(ROOT, "scripts", "demo-pcap"), run_name="demo_pcap")
    p = Pcap(path)
    for f in ("legit", "starttls", "pregreet", "dictionary", "impatient", "http_probe",
              "ipv6_vlan"):
        demo[f](p)
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    udp = struct.pack("!HHHH", 5353, 5353, 26, 0) + bytes(18)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([10, 9, 0, 1]), bytes([224, 0, 0, 251]))
    for _ in range(5000):  # the mbuf pool holds the whole loop
        p.frame(eth + ip + udp, 0.0001)
    p.close()


def load_rules(d):
    """id -> (field, score, msg) of every rule under directory @d."""
    rules = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".rules"):
            continue
        for line in open(os.path.join(d, name)):
            m = re.match(r'\s*(helo|mail_from|rcpt_to)\s.*\sscore=(-?\d+) id=(\d+) '
                         r'msg="((?:[^"\\]|\\.)*)"', line)
            if m:
                msg = m.group(4).replace('\\"', '"').replace("\\\\", "\\")
                rules[int(m.group(3))] = (m.group(1), int(m.group(2)), msg)
    return rules


class Control:
    """The control plane's end: one connection, a reader thread."""

    def __init__(self, path):
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.conn = None
        self.cv = threading.Condition()
        self.stats = []        # (time received, dict, [hits]) complete snapshots
        self.obs = 0           # observations received
        self.obs_at_stats = []  # observations received before each snapshot
        self.eof = False
        self.error = None

    def accept(self, timeout):
        self.srv.settimeout(timeout)
        self.conn, _ = self.srv.accept()
        self.conn.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _recv(self, n):
        b = bytearray()
        while len(b) < n:
            c = self.conn.recv(min(n - len(b), 1 << 20))
            if not c:
                raise EOFError
            b += c
        return bytes(b)

    def _read(self):
        pending = None  # a snapshot waiting for its RULE_HITS
        try:
            while True:
                magic, ver, typ, count, size = HDR.unpack(self._recv(HDR.size))
                if magic != MAGIC or ver != VERSION:
                    raise ValueError("bad header %x %d" % (magic, ver))
                body = self._recv(count * size)
                if typ == OBSERVATIONS:
                    if size != OBS_SIZE:
                        raise ValueError("observation size %d" % size)
                    with self.cv:
                        self.obs += count
                elif typ == DP_STATS:
                    if count != 1 or size != STATS.size or pending:
                        raise ValueError("DP_STATS count %d size %d" % (count, size))
                    pending = (time.time(), parse_stats(body), [], self.obs)
                elif typ == RULE_HITS:
                    if size != HIT.size or not pending or count > 256:
                        raise ValueError("RULE_HITS out of place")
                    for i in range(count):
                        pending[2].append(parse_hit(body[i * size:(i + 1) * size]))
                else:
                    raise ValueError("unexpected message type %d" % typ)
                if pending and len(pending[2]) >= pending[1]["n_rule_hits"]:
                    with self.cv:
                        self.stats.append(pending[:3])
                        self.obs_at_stats.append(pending[3])
                        self.cv.notify_all()
                    pending = None
        except EOFError:
            pass
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def wait_stats(self, pred, timeout, after=0):
        """The first snapshot from index @after on that satisfies @pred."""
        end = time.time() + timeout
        with self.cv:
            while True:
                for i in range(after, len(self.stats)):
                    if pred(self.stats[i]):
                        return i, self.stats[i]
                left = end - time.time()
                if left <= 0 or self.eof:
                    return None, None
                self.cv.wait(left)

    def send(self, typ, records=(), size=0):
        self.conn.sendall(HDR.pack(MAGIC, VERSION, typ, len(records), size) + b"".join(records))

    def verdicts(self, vs):
        self.send(VERDICTS, [verdict(*v) for v in vs], VERDICT.size)


def parse_stats(b):
    v = STATS.unpack(b)
    n = len(STAT_FIELDS)
    d = dict(zip(STAT_FIELDS, v[:n]))
    d["anomalies"] = dict(zip(ANOMALIES, v[n:n + len(ANOMALIES)]))
    d["anomaly_slots_unused"] = v[n + len(ANOMALIES):n + 16]
    d["rules_reload_ok"], d["rules_reload_failed"], d["rules_loaded"], d["n_rule_hits"] = v[n + 16:n + 20]
    d["reload_error"] = v[n + 20].split(b"\0", 1)[0].decode()
    return d


def parse_hit(b):
    hits, rid, score, field, msg = HIT.unpack(b)
    return {"hits": hits, "id": rid, "score": score, "field": field,
            "msg": msg.split(b"\0", 1)[0].decode("utf-8", "replace")}


def verdict(addr, plen, action, expiry_ns, score=0, reasons=0, shadow=0, would_be=0):
    import ipaddress
    a = ipaddress.ip_address(addr)
    return VERDICT.pack(a.packed.ljust(16, b"\0"), a.version, plen, action, shadow, would_be,
                        score, reasons, 0, expiry_ns)


def start_dp(dp, t, pcap, sock, rules, eve, lcores=("-l", "0"), workers=1):
    args = [dp, "--no-huge", "--no-shconf", "--no-pci", *lcores, "--log-level=4",
            "--vdev", "net_pcap_loop0,rx_pcap=%s,infinite_rx=1" % pcap, "--",
            "--control", sock, "--stats-json", os.path.join(t, "stats.json"),
            "--workers", str(workers)]
    if rules:
        args += ["--rules", rules]
    if eve:
        args += ["--eve", eve]
    return subprocess.Popen(args, stderr=open(os.path.join(t, "err"), "w"))


def stop_dp(p, t):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    check(rc == 0, "mxscreen-dp exit %s (stderr: %s)" % (rc, open(os.path.join(t, "err")).read()[-2000:]))


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def sane_hits(hits, rules, what):
    ok = True
    for h in hits:
        r = rules.get(h["id"])
        if not r or FIELDS[h["field"]] != r[0] or h["score"] != r[1] or h["msg"] != r[2][:63] or \
                h["hits"] < 1:
            ok = False
            print("  bad rule hit record %r (rules file: %r)" % (h, r))
    ok &= all(a["hits"] >= b["hits"] for a, b in zip(hits, hits[1:]))
    ok &= len({h["id"] for h in hits}) == len(hits)
    return check(ok and hits, "%s: %d RULE_HITS records, ids, fields, scores and msgs of the "
                 "rules files, most hits first" % (what, len(hits)))


def run_with_rules(dp, t, pcap):
    rules_dir = os.path.join(t, "rules")
    shutil.copytree(os.path.join(ROOT, "etc", "rules"), rules_dir)
    rules = load_rules(rules_dir)
    sock, eve = os.path.join(t, "ctl.sock"), os.path.join(t, "eve.ndjson")
    ctl = Control(sock)
    p = start_dp(dp, t, pcap, sock, rules_dir, eve)
    try:
        ctl.accept(30)
    except socket.timeout:
        p.kill()
        check(False, "mxscreen-dp connected to the control socket")
        return
    started = time.time()

    # The first snapshot comes on connect; the next ones once a second.
    _, first = ctl.wait_stats(lambda s: True, 5)
    if not check(first is not None, "a DP_STATS on connect"):
        p.kill()
        return
    s = first[1]
    check(s["pid"] == p.pid and s["workers"] == 1, "pid %d workers %d" % (s["pid"], s["workers"]))
    check(abs(s["started_ns"] / 1e9 - started) < 30 and s["started_ns"] <= s["ts_ns"],
          "started_ns %d is when it started" % s["started_ns"])
    check(s["rules_loaded"] == len(rules) and s["rules_reload_ok"] == 0 and
          s["rules_reload_failed"] == 0 and s["reload_error"] == "",
          "rules_loaded %d of %d, no reloads" % (s["rules_loaded"], len(rules)))
    i, later = ctl.wait_stats(lambda x: x[1]["packets"] > 0 and x[1]["smtp_connections"] > 20, 5)
    if not check(later is not None, "snapshots count packets and connections"):
        p.kill()
        return
    n2, third = ctl.wait_stats(lambda x: True, 3, i + 1)
    check(third is not None and 0.5 < third[0] - later[0] < 2.0,
          "snapshots about once a second (%.2f s apart)" % ((third[0] - later[0]) if third else -1))
    s = third[1] if third else later[1]
    check(s["packets"] > s["smtp_connections"] > 0 and s["bytes"] > s["packets"] and
          s["flows_created"] >= s["smtp_connections"] and s["rules_scanned"] > 0,
          "packets %d, bytes %d, flows %d, connections %d, scanned %d" %
          (s["packets"], s["bytes"], s["flows_created"], s["smtp_connections"], s["rules_scanned"]))
    check(s["anomalies"]["pregreet"] > 0 and s["anomalies"]["pipelining_violation"] > 0 and
          s["anomalies"]["bare_lf"] == 0 and not any(s["anomaly_slots_unused"]),
          "anomalies %r" % {k: v for k, v in s["anomalies"].items() if v})
    sane_hits(third[2] if third else later[2], rules, "live")

    # RULES_RELOAD: a snapshot follows as soon as the reload is done (not
    # timed here: compiling may be slow on a loaded machine).
    n = len(ctl.stats)
    t0 = time.time()
    ctl.send(RULES_RELOAD)
    k, r = ctl.wait_stats(lambda x: x[1]["rules_reload_ok"] == 1, 10, n)
    check(r is not None and r[1]["rules_loaded"] == len(rules) and
          r[1]["rules_reload_failed"] == 0,
          "RULES_RELOAD -> DP_STATS with rules_reload_ok 1 after %.3f s" % ((r[0] - t0) if r else -1))
    with open(os.path.join(rules_dir, "99-broken.rules"), "w") as f:
        f.write('helo /(unclosed/ score=1 id=9999 msg="broken"\n')
    n = len(ctl.stats)
    ctl.send(RULES_RELOAD)
    k, r = ctl.wait_stats(lambda x: x[1]["rules_reload_failed"] == 1, 10, n)
    check(r is not None and r[1]["rules_reload_ok"] == 1 and
          r[1]["reload_error"].startswith(os.path.join(rules_dir, "99-broken.rules") + ":1: ") and
          r[1]["rules_loaded"] == len(rules),
          "a broken rules file: rules_reload_failed 1, reload_error %r" %
          (r[1]["reload_error"] if r else None))

    # Verdicts: exact, CIDR, expired, invalid; then deletions.
    now = time.time_ns()
    t1 = time.time()
    ctl.verdicts([
        ("198.51.100.10", 32, DROP, NEVER, 42, REASON_MANUAL),
        ("100.64.0.0", 16, THROTTLE, now + 3600 * 10**9, 7, REASON_DNSBL),
        ("100.64.9.0", 24, TAG, now + 3600 * 10**9, 5, REASON_DNSBL),
        ("2001:db8:10::", 48, PASS, now + 3600 * 10**9, 9, REASON_DNSBL, 1, DROP),
        ("203.0.113.0", 24, DROP, now - 10 * 10**9, 9, REASON_DNSBL),
        ("203.0.113.7", 40, DROP, NEVER, 9, REASON_DNSBL),
    ])
    time.sleep(1.5)
    t2 = time.time()
    ctl.verdicts([("198.51.100.10", 32, NONE, 0), ("100.64.9.0", 24, NONE, 0)])
    time.sleep(1.5)
    stop_dp(p, t)
    with ctl.cv:
        while not ctl.eof:
            ctl.cv.wait(10)
    check(ctl.error is None, "the link's messages parse (%s)" % ctl.error)

    records = [json.loads(line) for line in open(eve)]
    want = {  # client -> (verdict before t1, between t1 and t2, after t2)
        "198.51.100.10": (None, ("drop", 42, ["manual"], False), None),
        "100.64.9.9": (None, ("tag", 5, ["dnsbl"], False), ("throttle", 7, ["dnsbl"], False)),
        "100.64.5.5": (None, ("throttle", 7, ["dnsbl"], False), ("throttle", 7, ["dnsbl"], False)),
        "2001:db8:10::25": (None, ("pass", 9, ["dnsbl"], True), ("pass", 9, ["dnsbl"], True)),
        "203.0.113.7": (None, None, None),
    }
    seen = {}
    bad = []
    for rec in records:
        c = rec["src_ip"]
        if c not in want or rec["flow"]["state"] not in ("closed", "reset"):
            continue
        end = ts(rec["flow"]["end"])
        if end < t1 - 0.05:
            w = 0
        elif t1 + 0.3 < end < t2 - 0.05:
            w = 1
        elif end > t2 + 0.3:
            w = 2
        else:
            continue  # in flight
        v = rec.get("verdict")
        got = v and (v["action"], v["score"], v["reasons"], v["shadow"])
        if got and v["shadow"] and v.get("would_be") != "drop":
            got = ("would_be", v.get("would_be"))
        seen[(c, w)] = seen.get((c, w), 0) + 1
        if got != want[c][w] and len(bad) < 10:
            bad.append("%s window %d: verdict %r, want %r" % (c, w, got, want[c][w]))
    for b in bad:
        print("  " + b)
    missing = [(c, w) for c in want for w in range(3) if not seen.get((c, w))]
    check(not bad and not missing,
          "verdicts in the records: exact /32 (never expires) then deleted, /16 and /24 "
          "(longest wins, /24 deleted), v6 /48 shadow, expired and invalid ignored "
          "(%d records; windows without records: %r)" % (len(records), missing))

    final_checks(ctl, t, records, "", 1, 1)
    c = json.load(open(os.path.join(t, "stats.json")))["control"]
    check(ctl.stats[-1][1]["verdicts_received"] == c["verdicts_received"] == 8 and
          c["verdicts_invalid"] == 1 and c["reload_requests"] == 2,
          "verdicts_received 8, verdicts_invalid 1, reload_requests 2 (%r)" % c)


def final_checks(ctl, t, records, what, reload_ok, reload_failed):
    """The final snapshot at shutdown against --stats-json and the records."""
    fin, hits = ctl.stats[-1][1], ctl.stats[-1][2]
    obs_before = ctl.obs_at_stats[-1]
    rules = load_rules(os.path.join(t, "rules"))
    js = json.load(open(os.path.join(t, "stats.json")))
    check(fin["smtp_connections"] == js["smtp_connections"] == len(records),
          "%sfinal smtp_connections %d = stats.json %d = %d records" %
          (what, fin["smtp_connections"], js["smtp_connections"], len(records)))
    check(fin["packets"] == js["packets"] and fin["flows_created"] == js["flows_created"] and
          fin["records_dropped"] == js["records_dropped"] and
          fin["rules_scanned"] == js["rules_scanned"] and fin["workers"] == js["workers"] and
          fin["handshakes_evicted"] == js["handshakes_evicted"] and
          fin["handshakes_active"] == js["handshakes_active"],
          "%sfinal packets, flows, handshakes, records_dropped, rules_scanned, workers equal "
          "stats.json" % what)
    check(fin["anomalies"] == js["anomalies"], "%sfinal anomalies equal stats.json" % what)
    check(fin["rules_reload_ok"] == js["rules"]["reload_ok"] == reload_ok and
          fin["rules_reload_failed"] == js["rules"]["reload_failed"] == reload_failed,
          "%sfinal reload counters equal stats.json" % what)
    check({str(h["id"]): h["hits"] for h in hits} == js["rules"]["hits"],
          "%sfinal RULE_HITS equal stats.json rules.hits %r" % (what, js["rules"]["hits"]))
    sane_hits(hits, rules, what + "final")
    c = js["control"]
    check(fin["obs_sent"] == c["observations_sent"] == obs_before and
          fin["obs_queued"] == c["observations_queued"] and
          fin["obs_dropped"] == c["observations_dropped_full"] + c["observations_dropped_down"] and
          fin["obs_queued"] + c["observations_dropped_full"] == len(records),
          "%sobservations: queued %d, sent %d (received %d), dropped %d" %
          (what, fin["obs_queued"], fin["obs_sent"], obs_before, fin["obs_dropped"]))


def run_two_workers(dp, t, pcap):
    """Two workers (floating lcores): sums over workers, both reader slots."""
    t = os.path.join(t, "w2")
    os.mkdir(t)
    shutil.copytree(os.path.join(ROOT, "etc", "rules"), os.path.join(t, "rules"))
    sock, eve = os.path.join(t, "ctl.sock"), os.path.join(t, "eve.ndjson")
    ctl = Control(sock)
    p = start_dp(dp, t, pcap, sock, os.path.join(t, "rules"), eve,
                 ["--lcores=(0-2)@(0-%d)" % (min(os.cpu_count() or 1, 3) - 1)], 2)
    try:
        ctl.accept(30)
    except socket.timeout:
        p.kill()
        check(False, "two workers: mxscreen-dp connected")
        return
    _, s = ctl.wait_stats(lambda x: x[1]["smtp_connections"] > 0, 10)
    check(s is not None and s[1]["workers"] == 2, "two workers: live snapshots")
    t1 = time.time()
    ctl.verdicts([("100.64.0.0", 16, THROTTLE, NEVER, 7, REASON_DNSBL)])
    ctl.send(RULES_RELOAD)
    ctl.wait_stats(lambda x: x[1]["rules_reload_ok"] == 1, 10)
    time.sleep(1.5)
    stop_dp(p, t)
    with ctl.cv:
        while not ctl.eof:
            ctl.cv.wait(10)
    check(ctl.error is None, "two workers: the link's messages parse (%s)" % ctl.error)
    records = [json.loads(line) for line in open(eve)]
    late = [r for r in records if r["src_ip"] == "100.64.5.5" and
            r["flow"]["state"] == "closed" and ts(r["flow"]["end"]) > t1 + 0.3]
    check(late and all(r.get("verdict", {}).get("action") == "throttle" for r in late),
          "two workers: the /16 verdict in %d later records of 100.64.5.5" % len(late))
    final_checks(ctl, t, records, "two workers: ", 1, 0)


def run_without_rules(dp, t, pcap):
    sock = os.path.join(t, "ctl2.sock")
    ctl = Control(sock)
    p = start_dp(dp, t, pcap, sock, None, None)
    try:
        ctl.accept(30)
    except socket.timeout:
        p.kill()
        check(False, "mxscreen-dp (no rules) connected")
        return
    i, s = ctl.wait_stats(lambda x: x[1]["packets"] > 0, 5)
    if check(s is not None, "no rules: snapshots arrive"):
        # Right after a periodic snapshot, so an answer within 0.5 s is ours.
        i, s = ctl.wait_stats(lambda x: True, 3, i + 1)
        t0 = time.time()
        ctl.send(RULES_RELOAD)
        _, r = ctl.wait_stats(lambda x: True, 3, i + 1)
        check(r is not None and r[0] - t0 < 0.5 and r[1]["rules_loaded"] == 0 and
              r[1]["rules_reload_ok"] == 0 and r[1]["rules_reload_failed"] == 0 and
              r[1]["n_rule_hits"] == 0 and r[1]["reload_error"] == "",
              "no rules: RULES_RELOAD answered at once by a snapshot with nothing changed "
              "(%.3f s)" % ((r[0] - t0) if r else -1))
    stop_dp(p, t)
    with ctl.cv:
        while not ctl.eof:
            ctl.cv.wait(10)
    check(ctl.error is None, "no rules: the link's messages parse (%s)" % ctl.error)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_link_msgs.py MXSCREEN_DP")
    dp = sys.argv[1]
    t = tempfile.mkdtemp(prefix="mxs-link-")
    try:
        pcap = os.path.join(t, "loop.pcap")
        make_capture(pcap)
        run_with_rules(dp, t, pcap)
        run_without_rules(dp, t, pcap)
        run_two_workers(dp, t, pcap)
    finally:
        if os.environ.get("MXS_KEEP"):
            print("kept", t)
        else:
            shutil.rmtree(t, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
