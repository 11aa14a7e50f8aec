#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Replay the demo capture (scripts/demo-pcap) and check every record.

usage: check_demo.py MXSCREEN_DP
The capture is ours, so the expected values are exact: client, helo,
envelope, rejected recipients, TLS, anomalies, how each connection ended,
and which default rules (etc/rules) hit, with the score.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "scripts", "demo-pcap")
RULES = os.path.join(HERE, "..", "..", "etc", "rules")

# client ip -> (helo, [(mail_from, [rcpts], rejected, data)], tls, anomalies, state,
#               {rule id: field} hit with the default rules, rule_score)
EXPECTED = {
    "198.51.100.10": ("mail.example.org",
                      [("alice@example.org", ["bob@example.net", "carol@example.net"], 0, True)],
                      False, [], "closed", {}, 0),
    "203.0.113.7": ("relay.example.com", [], True, [], "closed", {}, 0),
    "100.64.3.3": ("[100.64.3.3]", [("", ["postmaster@example.net"], 0, False)],
                   False, ["pregreet"], "reset", {1000: "helo"}, 1),
    "100.64.9.9": ("localhost",
                   [("k3j9x7q2m5v8@spam.example",
                     ["%s@example.net" % n for n in ("admin", "info", "sales", "john", "mary", "webmaster")],
                     6, False)], False, [], "closed",
                   {1002: "helo", 1003: "helo", 1100: "mail_from"}, 5),
    "100.64.5.5": ("ylmf-pc", [("bot@bot.example", ["victim@example.net"], 0, True)],
                   False, ["pipelining_violation"], "closed",
                   {1003: "helo", 1020: "helo", 1022: "helo"}, 5),
    "100.64.7.7": (None, [], False, ["pipelining_violation", "non_smtp_command"], "reset", {}, 0),
    "2001:db8:10::25": ("v6.example.org", [("dave@example.org", ["erin@example.net"], 0, True)],
                        False, [], "closed", {}, 0),
}


def main():
    dp = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        pcap, eve = os.path.join(tmp, "demo.pcap"), os.path.join(tmp, "demo.ndjson")
        subprocess.run(["/usr/bin/python3", GEN, pcap], check=True)
        subprocess.run([dp, "--pcap", pcap, "--eve", eve, "--rules", RULES], check=True,
                       stderr=subprocess.DEVNULL)
        with open(eve, encoding="utf-8") as f:
            recs = [json.loads(line) for line in f]
    bad = 0
    seen = {r["src_ip"]: r for r in recs}
    if len(recs) != len(EXPECTED) or set(seen) != set(EXPECTED):
        print("FAIL: clients %s, want %s" % (sorted(seen), sorted(EXPECTED)))
        bad += 1
    for ip, (helo, txs, tls, anomalies, state, hits, score) in EXPECTED.items():
        r = seen.get(ip)
        if not r:
            continue
        s = r["smtp"]
        got = (s["helo"], [(t["mail_from"], t["rcpt_to"], t["rcpt_rejected"], t["data"])
                           for t in s["transactions"]], s["tls"], s["anomalies"], r["flow"]["state"],
               {h["id"]: h["field"] for h in s["rule_hits"]}, s["rule_score"])
        want = (helo, [tuple(t) for t in txs], tls, anomalies, state, hits, score)
        if got != want:
            print("FAIL %s:\n  got  %s\n  want %s" % (ip, got, want))
            bad += 1
        else:
            print("ok %s" % ip)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
