#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check a file against the Prometheus text exposition format 0.0.4, line
by line: HELP/TYPE comments (one each per family, TYPE before its
samples), sample lines `name{label="value",...} value`, metric and label
names, label value escapes, numeric values, no duplicate series, families
contiguous, histograms with cumulative buckets ending in le="+Inf" equal
to _count. Prints the first problems with their line numbers; exit 1 if
any, 2 on usage."""
import math
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def labels(text, where, errs):
    out, i = [], 0
    while i < len(text):
        m = re.match(r'([^=]+)="', text[i:])
        if not m or not LABEL.match(m.group(1)):
            errs.append(f'{where}: bad label at {text[i:]!r}')
            return out
        i += m.end()
        val = ''
        while i < len(text) and text[i] != '"':
            if text[i] == '\\':
                if i + 1 >= len(text) or text[i + 1] not in '\\"n':
                    errs.append(f'{where}: bad escape in label value')
                    return out
                val += text[i:i + 2]
                i += 2
            else:
                if text[i] == '\n':
                    errs.append(f'{where}: raw newline in label value')
                val += text[i]
                i += 1
        if i >= len(text):
            errs.append(f'{where}: unterminated label value')
            return out
        i += 1
        out.append((m.group(1), val))
        if i < len(text):
            if text[i] != ',':
                errs.append(f'{where}: expected , between labels')
                return out
            i += 1
    return out


def family_of(name, types):
    for suf in ('_bucket', '_sum', '_count'):
        if name.endswith(suf) and types.get(name[:-len(suf)]) in ('histogram', 'summary'):
            return name[:-len(suf)]
    return name


def check(lines):
    errs, types, helps, seen, done = [], {}, set(), set(), set()
    current, hist = None, {}
    for n, line in enumerate(lines, 1):
        where = f'line {n}'
        if not line.endswith('\n'):
            errs.append(f'{where}: no final newline')
        line = line.rstrip('\n')
        if not line:
            continue
        if line.startswith('#'):
            p = line.split(' ', 3)
            if len(p) >= 3 and p[1] in ('HELP', 'TYPE'):
                if not NAME.match(p[2]):
                    errs.append(f'{where}: bad metric name {p[2]!r}')
                if p[1] == 'TYPE':
                    if len(p) != 4 or p[3] not in TYPES:
                        errs.append(f'{where}: bad TYPE line')
                    elif p[2] in types:
                        errs.append(f'{where}: second TYPE for {p[2]}')
                    elif p[2] in done or p[2] in seen:
                        errs.append(f'{where}: TYPE after samples of {p[2]}')
                    else:
                        types[p[2]] = p[3]
                else:
                    if p[2] in helps:
                        errs.append(f'{where}: second HELP for {p[2]}')
                    helps.add(p[2])
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append(f'{where}: not a sample line: {line!r}')
            continue
        name, lab, val = m.group(1), m.group(3) or '', m.group(4)
        try:
            v = float(val)
        except ValueError:
            errs.append(f'{where}: bad value {val!r}')
            continue
        ls = labels(lab, where, errs) if lab else []
        fam = family_of(name, types)
        if fam != current:
            if fam in done:
                errs.append(f'{where}: family {fam} is not contiguous')
            if current:
                done.add(current)
            current = fam
        if fam not in types:
            errs.append(f'{where}: sample of {fam} before its TYPE')
        key = (name, tuple(sorted(ls)))
        if key in seen:
            errs.append(f'{where}: duplicate series {name}{lab}')
        seen.add(key)
        if types.get(fam) == 'counter' and (v < 0 or math.isnan(v)):
            errs.append(f'{where}: negative counter')
        if types.get(fam) == 'histogram':
            rest = tuple(sorted(x for x in ls if x[0] != 'le'))
            h = hist.setdefault((fam, rest), {'buckets': [], 'count': None})
            if name.endswith('_bucket'):
                le = dict(ls).get('le')
                if le is None:
                    errs.append(f'{where}: bucket without le')
                    continue
                h['buckets'].append((float(le), v, where))
            elif name.endswith('_count'):
                h['count'] = v
    for (fam, _), h in hist.items():
        b = h['buckets']
        if not b or b[-1][0] != math.inf:
            errs.append(f'{fam}: buckets do not end with le="+Inf"')
            continue
        for (l1, c1, _), (l2, c2, w) in zip(b, b[1:]):
            if l2 <= l1 or c2 < c1:
                errs.append(f'{w}: {fam} buckets not increasing and cumulative')
        if h['count'] != b[-1][1]:
            errs.append(f'{fam}: _count {h["count"]} != +Inf bucket {b[-1][1]}')
    return errs


def main():
    if len(sys.argv) != 2:
        print('usage: check_prom.py FILE', file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding='utf-8') as f:
        lines = f.readlines()
    if not lines:
        print(f'{sys.argv[1]}: empty')
        return 1
    errs = check(lines)
    for e in errs[:20]:
        print(f'{sys.argv[1]}: {e}')
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main())
