# SPDX-License-Identifier: BSD-3-Clause
"""Generated rules files for scripts/bench's rule-count sweep.

write_rules(dirpath, n, seed) writes dirpath/bench.rules with n rules in
the rules-file format of dataplane/dp_rules.h and returns its path.
Deterministic: same n and seed, same file; the first k rules of a bigger
n are the rules of n = k.

The kinds follow bench/rules_bench.c (the HELO tables admins write for
Postfix: anchored hosts, whole domains, dynamic/residential names, spambot
substrings, classes and alternations, caseless spam words), about 60% of
them, plus the MAIL FROM and RCPT TO rules such tables carry: sender
domains (@domain.tld$), generated local parts, role accounts at a domain
and recipient domains. Every pattern is valid for both Hyperscan and
PCRE2 (no back-references, no look-around, no empty match). Ids start at
100000 so they never collide with etc/rules; every rule scores 1.
"""
import os
import random

WORDS = ("mail smtp bulk promo offer deal cheap pharma casino loan win best top "
         "fast mega hot free lucky gold star web host cloud data shop market trade "
         "click link media info zone secure mailer blast sender inbox direct prime "
         "ultra").split()
TLDS = "com net org info biz ru cn com.br xyz top example in pl ua vn de co.uk".split()
SUBS = "mail smtp mx mx1 relay out mta send".split()
DYNS = "dyn dsl pool cable dhcp res dynamic ppp".split()
ISPS = ("telco isp cablenet fibre broadband wanadoo netvision comcast verizon "
        "orange ono virtua hinet bezeq").split()
CLASSICS = (r"ylmf-pc", r"^localhost$", r"^\[?127\.0\.0\.1\]?$", r"^friend$",
            r"^(?:user|admin)(?:-pc)?$")


def _esc(name):
    return name.replace(".", r"\.")


def _helo(r, dom, tld, w, num):
    k = r.randrange(100)
    if k < 30:
        return r"^%s\.%s\.%s$" % (r.choice(SUBS), dom, _esc(tld)), r.randrange(5) == 0
    if k < 50:
        return r"\.%s\.%s$" % (dom, _esc(tld)), r.randrange(5) == 0
    if k < 65:
        d, isp, n = r.choice(DYNS), r.choice(ISPS), r.randrange(100)
        if r.randrange(2):
            return r"\d+-\d+-\d+-\d+\.%s\.%s%d\.%s$" % (d, isp, n, _esc(tld)), False
        return (r"^(?:ip|host|%s)[-.]?\d{1,3}[-.]\d{1,3}[-.]\d{1,3}[-.]\d{1,3}\.%s%d\.%s$"
                % (d, isp, n, _esc(tld)), False)
    if k < 75:
        return "%s-%s%d" % (w, r.choice(("pc", "bot")), num), False
    if k < 90:
        if r.randrange(2):
            return r"^(?:smtp|mx|mail|relay)\d*\.%s\.(?:com|net|biz)$" % dom, False
        return r"^[a-z]{3,8}\d{2,4}\.%s\.(?:info|top|xyz)$" % dom, False
    return r"(?:cheap|best|top)[-.]?%s\d*\.(?:com|net|ru)$" % dom, True


def _mail_from(r, dom, tld, w, num):
    k = r.randrange(100)
    if k < 50:
        return r"@%s\.%s$" % (dom, _esc(tld)), r.randrange(3) == 0
    if k < 75:
        return r"^%s[._-]?\d{3,}@" % w, True
    return r"^(?:info|sales|news|promo)\d*@(?:[a-z0-9-]+\.)*%s\.%s$" % (dom, _esc(tld)), True


def _rcpt_to(r, dom, tld, w, num):
    if r.randrange(2):
        return r"@%s\.%s$" % (dom, _esc(tld)), True
    return r"^(?:admin|postmaster|abuse|%s)@%s\.%s$" % (w, dom, _esc(tld)), True


def rules(n, seed=1):
    """The first n generated rules: (field, pattern, caseless) tuples."""
    r = random.Random(seed * 1000003 + 17)
    out = []
    for i in range(n):
        if i < len(CLASSICS):
            out.append(("helo", CLASSICS[i], i == 4))
            continue
        w, num, tld = r.choice(WORDS), r.randrange(1000), r.choice(TLDS)
        dom = "%s%s%s%d" % (w, r.choice(("-", "")), r.choice(WORDS), num)
        k = r.randrange(100)
        field, gen = (("helo", _helo) if k < 60 else
                      ("mail_from", _mail_from) if k < 85 else ("rcpt_to", _rcpt_to))
        pat, caseless = gen(r, dom, tld, w, num)
        out.append((field, pat, caseless))
    return out


def write_rules(dirpath, n, seed=1):
    """Write dirpath/bench.rules with n generated rules; returns the path."""
    os.makedirs(dirpath, exist_ok=True)
    path = os.path.join(dirpath, "bench.rules")
    with open(path, "w") as f:
        f.write("# scripts/bench: %d generated rules (seed %d)\n" % (n, seed))
        for i, (field, pat, caseless) in enumerate(rules(n, seed)):
            f.write('%s /%s/%s score=1 id=%d msg="bench rule %d"\n'
                    % (field, pat, "i" if caseless else "", 100000 + i, i + 1))
    return path
