#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Replay the third-party SMTP conformance corpus through mxscreen-dp.

Usage: check_corpus.py --dp MXSCREEN_DP --corpus DIR [--keep DIR] [-v]

Each capture named in DIR/expected.tsv is replayed once with
`mxscreen-dp --pcap FILE --eve OUT.ndjson` (.gz captures are gunzipped to a
temporary file first) and every expected row is compared with the records.
Exit 77 (skipped) if DIR does not exist, 0 if every checked row matches,
1 otherwise; one line per mismatch, then
`corpus: N rows checked, M matched, K skipped (reason counts)`.
--keep DIR keeps the NDJSON output and stderr of each run; -v prints every row.

What each source checks (values unescaped: \\r \\n \\t \\xNN \\\\):
 zeek   (smtp.log, one row per transaction) on the record of the row's flow:
        helo exact (empty: null or ""); "tls=T" in notes: tls is true; some
        transaction has mail_from == expected (empty: null or "") and
        rcpt_to == expected as a set (empty: none); a row with an empty
        envelope also matches a record with no transactions. Rows take
        distinct transactions where possible; identical rows may share one.
        partial rows (intel.log hits): only the values given, case-insensitive
        (each listed rcpt in some transaction's rcpt_to).
        count-only row (>500 RCPT TO): some transaction has rcpt_count > 500;
        skipped ("no envelope values") if no transaction carries rcpt_count.
        Other rows with no helo/mail_from/rcpt_to: skipped.
 arkime (.test, one row per session; lower-cased): helo exact unless empty;
        every address mxscreen extracts (each mail_from that is not null, ""
        standing for "<>", and each rcpt_to) is in the expected set, which
        merges header From/To and so is a superset; a non-empty expected set
        needs at least one extracted address, waived when the row is tagged
        smtp:starttls and the record has tls true (the envelope came after
        STARTTLS, which mxscreen does not parse) or notes say "no envelope".
        Tags: smtp:starttls -> tls true; smtp:auth<mech> -> auth == MECH.
 ndpi   (.out, classification only): each flow given has a record; STARTTLS
        rows: tls true; "banner name (HOST)" in semantics: banner has HOST.
        Implicit TLS (465): only that mxscreen-dp exits 0 on the capture.
Every row also needs its flow (client->server) to have exactly one record;
a row with no usable flow uses the file's only record, if there is one.
"""
import argparse
import gzip
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

ESCAPES = {'r': '\r', 'n': '\n', 't': '\t', '0': '\0', '\\': '\\'}


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n in ESCAPES:
                out.append(ESCAPES[n])
                i += 2
                continue
            if n == 'x' and re.fullmatch(r'[0-9a-fA-F]{2}', s[i + 2:i + 4]):
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 4
                continue
        out.append(s[i])
        i += 1
    return ''.join(out)


def values(col):
    return [unescape(v) for v in col.split('|')] if col else []


def endpoint(side):
    m = re.fullmatch(r'\[(.+)\]:(\d+)', side)
    host, port = m.groups() if m else side.rpartition(':')[::2]
    return ipaddress.ip_address(host).compressed, int(port)


def parse_flows(text):
    """[(text, (cip, cport, sip, sport))], or None if no usable flow."""
    flows = []
    for part in text.split(';'):
        part = re.sub(r'\s*\(.*\)\s*$', '', part.strip())
        try:
            client, server = part.split('->')
            flows.append((part, endpoint(client) + endpoint(server)))
        except ValueError:
            return None
    return flows or None


class Text(str):
    """A description, printed as is (values are printed as JSON)."""


def fmt(v):
    if isinstance(v, Text):
        return v
    if isinstance(v, (set, frozenset)):
        v = sorted(v)
    return 'null' if v is None else json.dumps(v, ensure_ascii=True)


class Capture:
    """Records of one replayed capture, or the reason there are none."""

    def __init__(self, error=None, records=()):
        self.error, self.records, self.by_flow = error, list(records), {}
        for rec in self.records:
            self.by_flow.setdefault(rec['_key'], []).append(rec)


def replay(dp, corpus, work, rel):
    path = os.path.join(corpus, rel)
    name = rel.replace('/', '__')
    if not os.path.isfile(path):
        return Capture('capture missing from corpus')
    if rel.endswith('.gz'):
        src = os.path.join(work, name[:-3])
        try:
            with gzip.open(path, 'rb') as fin, open(src, 'wb') as fout:
                shutil.copyfileobj(fin, fout)
        except (OSError, EOFError) as e:
            return Capture('cannot gunzip capture: %s' % e)
        path = src
    out = os.path.join(work, name + '.ndjson')
    if os.path.exists(out):  # stale output from an earlier --keep run
        os.remove(out)
    try:
        p = subprocess.run([dp, '--pcap', path, '--eve', out], timeout=120,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (OSError, subprocess.TimeoutExpired) as e:
        return Capture('mxscreen-dp: %s' % e)
    with open(os.path.join(work, name + '.stderr'), 'wb') as f:
        f.write(p.stderr)
    if p.returncode != 0:
        err = p.stderr.decode('utf-8', 'replace').strip().splitlines()
        how = ('killed by signal %d' % -p.returncode if p.returncode < 0
               else 'exit %d' % p.returncode)
        return Capture('%s: %s' % (how, ' | '.join(err[-3:]) or 'no stderr'))
    records, n = [], 0
    if not os.path.exists(out):
        return Capture(None, records)
    try:
        with open(out, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec.get('event_type', 'smtp') != 'smtp':
                    continue
                if not isinstance(rec.get('smtp'), dict):
                    return Capture('line %d: record without smtp object' % n)
                rec['_key'] = (endpoint('%s:%s' % (rec['src_ip'], rec['src_port']))
                               + endpoint('%s:%s' % (rec['dest_ip'], rec['dest_port'])))
                records.append(rec)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return Capture('bad NDJSON in %s line %d: %s' % (out, n, e))
    return Capture(None, records)


def locate(row, cap):
    """([(flow text, record)], mismatches) for the row's flow(s)."""
    flows = parse_flows(row['flow'])
    if flows is None:
        if len(cap.records) == 1:
            return [(row['flow'] or '(file)', cap.records[0])], []
        return [], [('flow', Text('one record in file (no flow given)'),
                     Text('%d records' % len(cap.records)))]
    found, bad = [], []
    for text, key in flows:
        recs = cap.by_flow.get(key, [])
        if len(recs) == 1:
            found.append((text, recs[0]))
        else:
            bad.append(('flow', Text(text), Text('%d records for flow' % len(recs)
                                                 if recs else 'no record for flow')))
    return found, bad


def txs(smtp):
    return [t for t in smtp.get('transactions') or [] if isinstance(t, dict)]


def check_zeek(row, cap, used):
    helo, mfrom, rcpt = unescape(row['helo']), unescape(row['mail_from']), values(row['rcpt_to'])
    done = row['completeness']
    if not (helo or mfrom or rcpt or done.startswith('count-only')):
        return 'no envelope values', []
    found, bad = locate(row, cap)
    if bad:
        return None, bad
    smtp, mm = found[0][1]['smtp'], []
    tl = txs(smtp)
    if done.startswith('count-only'):
        counts = [t['rcpt_count'] for t in tl if isinstance(t.get('rcpt_count'), int)]
        if not tl:
            return None, [('transactions', Text('a transaction with >500 RCPT TO'), [])]
        if not counts:
            return 'no envelope values', []
        return None, [] if max(counts) > 500 else [('rcpt_count', Text('> 500'), max(counts))]
    if done.startswith('partial'):
        if helo and smtp.get('helo') != helo:
            mm.append(('helo', helo, smtp.get('helo')))
        if mfrom and mfrom.lower() not in [(t.get('mail_from') or '').lower() for t in tl]:
            mm.append(('mail_from', mfrom, [t.get('mail_from') for t in tl]))
        got = {a.lower() for t in tl for a in t.get('rcpt_to') or []}
        mm += [('rcpt_to', Text('contains %s' % fmt(a)), got)
               for a in rcpt if a.lower() not in got]
        return None, mm
    if (smtp.get('helo') or '') != helo:
        mm.append(('helo', helo, smtp.get('helo')))
    if re.search(r'\btls=T\b', row['notes']) and smtp.get('tls') is not True:
        mm.append(('tls', True, smtp.get('tls')))
    want = (mfrom, frozenset(rcpt))
    cands = [i for i, t in enumerate(tl)
             if (t.get('mail_from') or '', frozenset(t.get('rcpt_to') or [])) == want]
    pool = used.setdefault((row['file'], found[0][1]['_key']), {})
    free = [i for i in cands if i not in pool]
    if free or cands:
        pool[(free or cands)[0]] = want
        row['_matched'] = 'tx %d%s' % ((free or cands)[0], '' if free else ' (shared)')
    elif tl or mfrom or rcpt:
        mm.append(('transaction', Text('mail_from=%s rcpt_to=%s' % (fmt(mfrom), fmt(set(rcpt)))),
                   [{'mail_from': t.get('mail_from'), 'rcpt_to': t.get('rcpt_to')}
                    for t in tl]))
    return None, mm


def check_arkime(row, cap, used):
    found, bad = locate(row, cap)
    if bad:
        return None, bad
    smtp, mm = found[0][1]['smtp'], []
    tags = re.findall(r'smtp:[\w:]+', row['notes'])
    helo = unescape(row['helo']).lower()
    if helo and (smtp.get('helo') or '').lower() != helo:
        mm.append(('helo', helo, smtp.get('helo')))
    if 'smtp:starttls' in tags and smtp.get('tls') is not True:
        mm.append(('tls', True, smtp.get('tls')))
    for mech in re.findall(r'smtp:auth(\w+)', row['notes']):
        if (smtp.get('auth') or '').upper() != mech.upper():
            mm.append(('auth', mech.upper(), smtp.get('auth')))
    waive = (('smtp:starttls' in tags and smtp.get('tls') is True)
             or 'no envelope' in row['notes'])
    tl = txs(smtp)
    got = {'mail_from': [t['mail_from'].lower() for t in tl
                         if isinstance(t.get('mail_from'), str)],
           'rcpt_to': [a.lower() for t in tl for a in t.get('rcpt_to') or []]}
    for col in ('mail_from', 'rcpt_to'):
        exp = {'' if a == '<>' else a.lower() for a in values(row[col])}
        extra = set(got[col]) - exp
        if extra:
            mm.append((col, Text('subset of %s' % fmt(exp)), extra))
        if exp and not got[col] and not waive:
            mm.append((col, Text('at least one of %s' % fmt(exp)), Text('none extracted')))
    return None, mm


def check_ndpi(row, cap, used):
    if 'implicit TLS' in row['completeness']:
        row['_matched'] = 'checked-classification (exit 0)'
        return None, []
    found, mm = locate(row, cap)
    for text, rec in found:
        smtp = rec['smtp']
        if 'STARTTLS' in row['completeness'] and smtp.get('tls') is not True:
            mm.append(('tls (%s)' % text, True, smtp.get('tls')))
        m = re.search(r'banner name \(([^)]+)\)', row['semantics'])
        if m and m.group(1).lower() not in (smtp.get('banner') or '').lower():
            mm.append(('banner', Text('contains %s' % fmt(m.group(1))), smtp.get('banner')))
    return None, mm


CHECKS = {'zeek': check_zeek, 'arkime': check_arkime, 'ndpi': check_ndpi}


def load_rows(path):
    rows, header = [], None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if not line or line.startswith('#'):
                continue
            cols = line.split('\t')
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols + [''] * (len(header) - len(cols)))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dp', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--keep')
    ap.add_argument('-v', '--verbose', action='store_true')
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print('corpus: %s not found, skipping' % a.corpus)
        return 77
    if not (os.path.isfile(a.dp) and os.access(a.dp, os.X_OK)):
        print('corpus: %s is not an executable' % a.dp)
        return 1
    rows = load_rows(os.path.join(a.corpus, 'expected.tsv'))
    tmp = tempfile.TemporaryDirectory(prefix='mxs-corpus-')
    work = a.keep or tmp.name
    os.makedirs(work, exist_ok=True)
    caps, used, skipped = {}, {}, Counter()
    checked = matched = 0
    for row in rows:
        where = '%s %s %s tx=%s' % (row['source'], row['file'], row['flow'] or '-',
                                    row['tx'] or '-')
        if row['file'] not in caps:
            caps[row['file']] = replay(a.dp, a.corpus, work, row['file'])
        cap = caps[row['file']]
        if row['source'] not in CHECKS:
            skip, mm = 'unknown source', []
        elif cap.error:
            skip, mm = None, [('mxscreen-dp', Text('exit 0 and valid NDJSON'), Text(cap.error))]
        else:
            skip, mm = CHECKS[row['source']](row, cap, used)
        if skip:
            skipped[skip] += 1
            if a.verbose:
                print('skip %s: %s' % (where, skip))
            continue
        checked += 1
        matched += not mm
        for field, exp, got in mm:
            print('MISMATCH %s %s: expected %s, got %s' % (where, field, fmt(exp), fmt(got)))
        if a.verbose and not mm:
            print('ok %s %s' % (where, row.get('_matched', '')))
    reasons = ', '.join('%s: %d' % kv for kv in sorted(skipped.items())) or 'none'
    print('corpus: %d rows checked, %d matched, %d skipped (%s)' % (
        checked, matched, sum(skipped.values()), reasons))
    tmp.cleanup()
    return 0 if checked and matched == checked else 1


if __name__ == '__main__':
    sys.exit(main())
