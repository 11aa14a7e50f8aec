#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare mxscreen-dp records with the records mxscreen-gen expected.

usage: truth_check.py TRUTH.ndjson EVE.ndjson

TRUTH is what `mxscreen-gen --truth` wrote: one object per SMTP-port
connection, everything the client sent, unbounded. EVE is what
`mxscreen-dp --eve` wrote. Records are joined by 5-tuple (client address
and port, server address and port; several connections on one tuple are
paired in timestamp order). The dataplane's documented storage bounds
(README "What is a record": 8 transactions, 32 recipient addresses, a
2 KiB string arena) are applied to the expectation before comparing.

Prints the accuracy of each field and the share of connections where every
field is right, then the first mismatches. Exit 0 only when every expected
connection was reported correctly and nothing else was reported; 1
otherwise; 2 on bad usage or unreadable input.
"""
import ipaddress
import json
import sys

MAX_TX = 8
MAX_RCPT = 32
ARENA = 2048
SHOW = 8

# Fields the benchmark requires, then the further ones the truth carries.
FIELDS = ["helo", "mail_from", "rcpt_to", "tls", "anomalies", "transactions",
          "helo_verb", "banner", "extensions", "auth", "commands", "tx_detail", "state",
          "timestamp"]


def load(path):
    """Key -> the raw lines of its SMTP records, and how many there are.
    Lines stay strings until compared: a parsed record takes ~10x the
    memory, which at a million connections is more than this machine has."""
    out, count = {}, 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise SystemExit(f"truth_check: {path}:{n}: {e}") from None
            if rec.get("event_type", "smtp") == "smtp":
                out.setdefault(key(rec), []).append(line)
                count += 1
    for lst in out.values():
        if len(lst) > 1:
            lst.sort(key=lambda x: json.loads(x).get("timestamp", ""))
    return out, count


def key(r):
    return (ipaddress.ip_address(r["src_ip"]).packed, int(r["src_port"]),
            ipaddress.ip_address(r["dest_ip"]).packed, int(r["dest_port"]))


def stored(tx_list):
    """The transactions as the dataplane can store them (its documented bounds)."""
    out, rcpts, arena = [], 0, 0
    for tx in tx_list[:MAX_TX]:
        mail = tx["mail_from"]
        if mail is not None:
            size = len(mail.encode())
            if size > ARENA - arena:
                mail = ""  # whole or not at all: nothing stored
            else:
                arena += size
        kept = []
        for addr in tx["rcpt_to"]:
            size = len(addr.encode())
            if rcpts >= MAX_RCPT or size > ARENA - arena:
                continue
            kept.append(addr)
            rcpts += 1
            arena += size
        out.append(dict(tx, mail_from=mail, rcpt_to=kept))
    return out


def views(rec, expected):
    """Field name -> comparable value of one record."""
    s = rec.get("smtp") or {}
    txs = s.get("transactions") or []
    if expected:
        total = s.get("transactions_total", len(txs))
        txs = stored(txs)
    else:
        total = s.get("transactions_total", len(txs))
    return {
        "helo": s.get("helo"),
        "mail_from": [t.get("mail_from") for t in txs],
        "rcpt_to": [t.get("rcpt_to") for t in txs],
        "tls": bool(s.get("tls")),
        "anomalies": sorted(s.get("anomalies") or []),
        "transactions": total,
        "helo_verb": s.get("helo_verb"),
        "banner": s.get("banner"),
        "extensions": sorted(s.get("extensions") or []),
        "auth": s.get("auth"),
        "commands": s.get("commands"),
        "tx_detail": [(t.get("rcpt_count"), t.get("rcpt_rejected"), t.get("data"),
                       t.get("last_reply")) for t in txs],
        "state": (rec.get("flow") or {}).get("state"),
        "timestamp": rec.get("timestamp"),
    }


def label(r):
    return (f"{r['src_ip']}:{r['src_port']} -> {r['dest_ip']}:{r['dest_port']}"
            f" ({r.get('kind', '?')})")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        want, n = load(argv[1])
        got, _ = load(argv[2])
    except OSError as e:
        print(f"truth_check: {e}", file=sys.stderr)
        return 2

    right = dict.fromkeys(FIELDS, 0)
    full, missing, unexpected, problems = 0, 0, 0, []
    for k, exps in want.items():
        recs = [json.loads(x) for x in got.pop(k, [])]
        for i, exp in enumerate(exps):
            exp = json.loads(exp)
            if i >= len(recs):
                missing += 1
                problems.append(f"{label(exp)}: no record")
                continue
            e, g = views(exp, True), views(recs[i], False)
            bad = [f for f in FIELDS if e[f] != g[f]]
            for f in FIELDS:
                right[f] += f not in bad
            if not bad:
                full += 1
            else:
                problems.append(label(exp) + ": " + "; ".join(
                    f"{f}: expected {e[f]!r}, got {g[f]!r}" for f in bad))
        for extra in recs[len(exps):]:
            unexpected += 1
            problems.append(f"{label(extra)}: unexpected record")
    for lst in got.values():  # tuples the truth does not have at all
        for r in lst:
            unexpected += 1
            problems.append(f"{label(json.loads(r))}: unexpected record")

    print(f"{'field':<14} {'correct':>17} {'accuracy':>9}")
    for f in FIELDS:
        print(f"{f:<14} {right[f]:>8}/{n:<8} {100.0 * right[f] / n if n else 100.0:8.2f}%")
    total = n + unexpected
    pct = 100.0 * full / total if total else 100.0
    print(f"fully correct connections: {full}/{total} ({pct:.2f}%); "
          f"missing records: {missing}; unexpected records: {unexpected}")
    for p in problems[:SHOW]:
        print("  " + p)
    if len(problems) > SHOW:
        print(f"  ... and {len(problems) - SHOW} more")
    return 0 if full == n and unexpected == 0 and n > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
