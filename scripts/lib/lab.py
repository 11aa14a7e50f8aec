# SPDX-License-Identifier: BSD-3-Clause
"""Readers for scripts/lab (run with Debian's /usr/bin/python3):

  lab.py stat PIN_DIR FIELD      a counter of the pinned per-CPU `stats` map
                                 (struct mxs_bpf_stats), summed over CPUs;
                                 FIELD.ACTION indexes a per-action array
  lab.py verdicts LOG PIN_DIR IP=ACTION:SCORE...
                                 exit 0 when the verdict log's last word on
                                 every IP is ACTION with SCORE and the
                                 kernel's `verdicts` map holds ACTION
  lab.py nft NAME                packets of nftables counter NAME, from
                                 `nft -j list counters` on stdin
  lab.py postfix DIR IP=N... tagged=IP:N
                                 Postfix's log, Maildir and queue under DIR
                                 against the messages each client should
                                 have delivered; prints ok:/FAIL: lines
  lab.py summary LOG PIN_DIR     verdict table and kernel counters

Field names come from the maps' BTF (bpftool -j's "formatted"), action
names from include/mxscreen/verdict.h: no layout is restated here.
"""
import collections
import email.parser
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def actions():
    text = open(os.path.join(HERE, "..", "..", "include", "mxscreen", "verdict.h")).read()
    body = text.split("enum mxs_action")[1].split("}")[0]
    return [n.lower() for n in re.findall(r"MXS_ACTION_(\w+)", body) if n != "COUNT"]


def dump(pin, name):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", os.path.join(pin, name)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit("lab.py: bpftool map dump %s/%s: %s" % (pin, name, out.stderr.strip()))
    return json.loads(out.stdout or "[]")


def stats(pin):
    tot = {}
    for e in dump(pin, "stats"):
        for v in e["formatted"]["values"]:
            for k, x in v["value"].items():
                if isinstance(x, list):
                    tot[k] = [a + b for a, b in zip(tot.get(k, [0] * len(x)), x)]
                else:
                    tot[k] = tot.get(k, 0) + x
    return tot


def last_verdicts(log):
    last = {}
    try:
        for line in open(log):
            r = json.loads(line)
            last[r["src_ip"]] = r
    except FileNotFoundError:
        pass
    return last


def cmd_stat(pin, field):
    name, _, act = field.partition(".")
    x = stats(pin)[name]
    print(x[actions().index(act)] if act else x)


def cmd_verdicts(log, pin, *want):
    last = last_verdicts(log)
    acts = actions()
    inmap = {}
    for e in dump(pin, "verdicts"):
        k, v = e["formatted"]["key"], e["formatted"]["value"]
        if k["family"] == 4:
            inmap[".".join(str(b) for b in k["addr"][:4])] = acts[v["action"]]
    for w in want:
        ip, _, rest = w.partition("=")
        act, _, score = rest.partition(":")
        r = last.get(ip)
        if not r or r["action"] != act or r["score"] != int(score) or inmap.get(ip) != act:
            return 1
    return 0


def cmd_nft(name):
    for o in json.load(sys.stdin)["nftables"]:
        c = o.get("counter")
        if c and c["name"] == name:
            print(c["packets"])
            return 0
    return 1


def cmd_postfix(d, *want_args):
    want = dict(x.split("=") for x in want_args)
    tag_ip, n_tagged = want.pop("tagged").split(":")
    # the log: queue id -> client; "status=sent" per queue id
    client, accepted, sent = {}, collections.Counter(), collections.Counter()
    for line in open(os.path.join(d, "maillog")):
        m = re.search(r"smtpd\[\d+\]: (\w+): client=\S*\[([\d.]+)\]", line)
        if m:
            client[m.group(1)] = m.group(2)
            accepted[m.group(2)] += 1
        m = re.search(r"virtual\[\d+\]: (\w+): to=<[^>]*>.*status=sent \(delivered to maildir\)", line)
        if m:
            sent[client.get(m.group(1), "?")] += 1
    boxed, warned = collections.Counter(), collections.Counter()
    for f in glob.glob(os.path.join(d, "mail", "box", "new", "*")):
        with open(f) as fh:
            h = email.parser.Parser().parse(fh, headersonly=True)
        boxed[h["X-Lab-Client"]] += 1
        if h["X-RBL-Warning"]:
            warned[h["X-Lab-Client"]] += 1
    for ip, n in want.items():
        got = (accepted[ip], sent[ip], boxed[ip])
        if got != (int(n),) * 3:
            print("FAIL: %s: Postfix accepted %d, delivered %d, Maildir has %d; want %s"
                  % ((ip,) + got + (n,)))
        else:
            print("ok: %s: %s messages accepted, delivered (Postfix's log) and in the Maildir"
                  % (ip, n))
    if dict(warned) != {tag_ip: int(n_tagged)}:
        print("FAIL: X-RBL-Warning: on %s; want %s messages from %s only"
              % (dict(warned), n_tagged, tag_ip))
    else:
        print("ok: X-RBL-Warning: on the %s later messages from %s only (the tagged route)"
              % (n_tagged, tag_ip))
    left = [p for q in ("incoming", "active", "deferred", "hold", "maildrop")
            for p in glob.glob(os.path.join(d, "queue", q, "**", "*"), recursive=True)
            if os.path.isfile(p)]
    print("FAIL: %d messages left in Postfix's queue" % len(left) if left
          else "ok: Postfix's queue is empty")
    return 0


def cmd_summary(log, pin):
    rows = last_verdicts(log)
    print("%-12s %-9s %5s  %s" % ("client", "verdict", "score", "reasons"))
    for ip in sorted(rows):
        r = rows[ip]
        print("%-12s %-9s %5s  %s" % (ip, r["action"], r["score"], " ".join(r["reasons"])))
    tot = stats(pin)
    print("XDP packets by action: "
          + ", ".join("%s %d" % (a, n) for a, n in zip(actions(), tot["pkts"])))
    print("counters: " + ", ".join("%s %d" % (k, v) for k, v in tot.items()
                                   if not isinstance(v, list)))
    return 0


if __name__ == "__main__":
    cmds = {"stat": cmd_stat, "verdicts": cmd_verdicts, "nft": cmd_nft,
            "postfix": cmd_postfix, "summary": cmd_summary}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]) or 0)
