#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print mxscreen-dp NDJSON records as an aligned table (one row each),
with mxscreend's verdict on each client when a verdict log is given.

usage: eve_table.py RECORDS.ndjson [VERDICTS.ndjson]
"""
import json
import sys


def row(r):
    s = r["smtp"]
    txs = s["transactions"]
    mail = ",".join("<%s>" % t["mail_from"] for t in txs if t["mail_from"] is not None) or "-"
    rcpt = sum(t["rcpt_count"] for t in txs)
    rej = sum(t["rcpt_rejected"] for t in txs)
    ip = r["src_ip"]
    client = ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, r["src_port"])
    return [client, str(r["dest_port"]), s["helo"] or "-", mail,
            "%d/%d" % (rcpt - rej, rcpt), "yes" if s["tls"] else "no",
            ",".join(s["anomalies"]) or "-", rules(s), r["flow"]["state"]]


def rules(s):
    hits = s.get("rule_hits") or []
    if not hits:
        return "-"
    return "%+d (%s)" % (s["rule_score"], ",".join(str(h["id"]) for h in hits))


def verdict(v):
    if not v:
        return ["-", "-"]
    return ["%s %+d" % (v["action"], v["score"]), ",".join(v["reasons"]) or "-"]


def main():
    head = ["CLIENT", "PORT", "HELO", "MAIL FROM", "RCPT ok/all", "TLS", "ANOMALIES",
            "RULES score (ids)", "END"]
    verdicts = {}
    if len(sys.argv) > 2:
        head += ["VERDICT", "WHY"]
        with open(sys.argv[2], encoding="utf-8") as f:
            for line in f:
                v = json.loads(line)
                verdicts[v["src_ip"]] = v
    with open(sys.argv[1], encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    rows = [row(r) + (verdict(verdicts.get(r["src_ip"])) if len(sys.argv) > 2 else []) for r in recs]
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    for x in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(x, widths)).rstrip())
    print("\n%d SMTP connections" % len(rows))


if __name__ == "__main__":
    main()
