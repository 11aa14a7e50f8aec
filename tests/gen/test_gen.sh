#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreen-gen: same seed, same bytes; each mix replayed through
# mxscreen-dp matches the generator's expected records 100%
# (scripts/lib/truth_check.py); tshark reads the realistic capture without
# malformed packets; bad options exit 2 with one line on stderr.
# usage: test_gen.sh MXSCREEN_GEN MXSCREEN_DP TRUTH_CHECK_PY RULES_DIR
set -u
GEN=$1 DP=$2 CHECK=$3 RULES=$4
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
say() { echo "$@"; }
bad() { echo "FAIL: $*"; fail=1; }

# --- determinism ---
"$GEN" -o "$T/a.pcap" --truth "$T/a.ndjson" --seed 7 --connections 300 --concurrency 50 2>/dev/null || bad "gen seed 7"
"$GEN" -o "$T/b.pcap" --truth "$T/b.ndjson" --seed 7 --connections 300 --concurrency 50 2>/dev/null || bad "gen seed 7 again"
"$GEN" -o "$T/c.pcap" --seed 8 --connections 300 --concurrency 50 2>/dev/null || bad "gen seed 8"
if cmp -s "$T/a.pcap" "$T/b.pcap" && cmp -s "$T/a.ndjson" "$T/b.ndjson"; then
  say "ok: same seed, identical pcap and truth"
else
  bad "same seed gave different output"
fi
if cmp -s "$T/a.pcap" "$T/c.pcap"; then bad "different seeds gave the same pcap"; else say "ok: different seed differs"; fi

# --- each mix through the dataplane, checked against the truth ---
for mix in realistic adversarial flood; do
  extra=()
  [ "$mix" = realistic ] && extra=(--vlan --ipv6-ratio 0.3)
  if ! "$GEN" -o "$T/$mix.pcap" --truth "$T/$mix.truth" --mix "$mix" --seed 11 \
       --connections 2000 --concurrency 200 "${extra[@]}" 2>"$T/gen.err"; then
    bad "$mix: mxscreen-gen: $(cat "$T/gen.err")"; continue
  fi
  if ! "$DP" --pcap "$T/$mix.pcap" --eve "$T/$mix.eve" --rules "$RULES" 2>"$T/dp.err"; then
    bad "$mix: mxscreen-dp: $(tail -1 "$T/dp.err")"; continue
  fi
  if /usr/bin/python3 "$CHECK" "$T/$mix.truth" "$T/$mix.eve" >"$T/check.out"; then
    say "ok: $mix: $(grep 'fully correct' "$T/check.out")"
  else
    bad "$mix: truth_check"; cat "$T/check.out"
  fi
done

# --- a dissector's view of the realistic mix ---
if command -v tshark >/dev/null; then
  tshark -r "$T/realistic.pcap" -q -z expert >"$T/expert" 2>&1
  if grep -qiE "malformed|^Errors" "$T/expert"; then
    bad "tshark reports errors in the realistic capture"; grep -iE -A5 "malformed|^Errors" "$T/expert" | head -20
  else
    say "ok: tshark: no malformed packets, no errors"
  fi
else
  say "skip: tshark not installed"
fi

# --- bad options: exit 2, one line on stderr naming the option ---
expect2() {
  local pat=$1; shift
  "$GEN" "$@" >/dev/null 2>"$T/err"
  local rc=$? lines
  lines=$(wc -l <"$T/err")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$T/err"; then
    bad "mxscreen-gen $* -> exit $rc, stderr: $(cat "$T/err")"
  else
    say "ok: exit 2: $*"
  fi
}
expect2 "-o" --seed 1
expect2 "--bogus" -o "$T/x.pcap" --bogus
expect2 "--seed" -o "$T/x.pcap" --seed abc
expect2 "--connections" -o "$T/x.pcap" --connections 0
expect2 "--concurrency" -o "$T/x.pcap" --concurrency 2000000
expect2 "--mix" -o "$T/x.pcap" --mix everything
expect2 "--background-ratio" -o "$T/x.pcap" --background-ratio 1.5
expect2 "--ipv6-ratio" -o "$T/x.pcap" --ipv6-ratio -0.1
expect2 "--servers" -o "$T/x.pcap" --servers 0
expect2 "--clients" -o "$T/x.pcap" --clients 99999999
expect2 "--truth" -o "$T/x.pcap" --truth

exit $fail
