#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Rules hot reload under load: mxscreen-dp replays a capture in a loop
# (net_pcap infinite_rx) while the rules directory is swapped between good
# and bad sets and SIGHUP is sent. Good sets take effect (their rules hit),
# a bad set is refused with FILE:LINE and counted while the old set keeps
# matching, and no packet is lost: everything the port received was
# processed.
# usage: test_reload.sh MXSCREEN_DP
set -u
DP=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT
fail=0
/usr/bin/python3 "$HERE/../../scripts/demo-pcap" "$T/demo.pcap"
mkdir "$T/rules"
rule() { printf '%s /%s/i score=%s id=%s msg="%s"\n' "$@"; }
rule helo 'mail\.example\.org' 5 101 'set A' >"$T/rules/a.rules"

"$DP" --no-huge --no-shconf --no-pci -l 0 --log-level=4 \
  --vdev "net_pcap_loop0,rx_pcap=$T/demo.pcap,infinite_rx=1" -- \
  --rules "$T/rules" --stats-json "$T/stats.json" 2>"$T/err" &
pid=$!
sleep 1.5
# Set B replaces A.
rm "$T/rules/a.rules"
rule helo '^localhost$' 7 202 'set B' >"$T/rules/b.rules"
kill -HUP $pid; sleep 1.5
# A broken set: refused, B stays live.
rule helo 'relay\.example\.com' 3 303 'set C' >"$T/rules/c.rules"
rule helo '(unclosed' 1 304 'broken' >>"$T/rules/c.rules"
kill -HUP $pid; sleep 1.5
# Fixed: C (and B) go live.
rule helo 'relay\.example\.com' 3 303 'set C' >"$T/rules/c.rules"
kill -HUP $pid; sleep 1.5
kill -TERM $pid
wait $pid; rc=$?
pid=

j() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/stats.json')); print(eval(sys.argv[1]))" "$1"; }
[ $rc -eq 0 ] || { echo "FAIL: exit $rc: $(cat "$T/err")"; exit 1; }
check() { if [ "$(j "$1")" != "$2" ]; then echo "FAIL: $1 = $(j "$1"), want $2"; fail=1; else echo "ok: $1 = $2"; fi; }
check "d['rules']['reload_ok']" 2
check "d['rules_reload_failed']" 1
check "d['rules']['loaded']" 2
check "d['rules']['hits'].get('101', 0) > 0" True
check "d['rules']['hits'].get('202', 0) > 0" True
check "d['rules']['hits'].get('303', 0) > 0" True
check "'304' in d['rules']['hits']" False
check "d['packets'] == d['port_ipackets'] and d['packets'] > 10000" True
check "d['port_imissed'] + d['port_ierrors'] + d['rules_scan_errors']" 0
if grep -q "c.rules:2: " "$T/err"; then echo "ok: the refused line is named"; else
  echo "FAIL: no 'c.rules:2:' reason on stderr: $(cat "$T/err")"; fail=1; fi
exit $fail
