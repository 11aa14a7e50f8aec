#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A control plane that accepts the link and then never reads (nor accepts
# again) must not hang mxscreen-dp: a replay stops waiting for it after
# the lossless wait (5 s), finishes, drops and counts what it could not
# send, and exits 0.
# usage: test_stuck.sh MXSCREEN_DP
set -u
DP=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
/usr/bin/python3 - "$HERE/../../scripts/lib" "$T/many.pcap" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from smtp_pcap import Pcap, Conn
p = Pcap(sys.argv[2])
for i in range(5000):
    c = Conn(p, "100.64.%d.%d" % (i // 250, i % 250 + 1), 40000 + i % 20000, "192.0.2.25", 25)
    c.handshake()
    c.server(b"220 mx.example ESMTP\r\n")
    c.client(b"EHLO host%d.example\r\n" % i)
    c.server(b"250 mx.example\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()
p.close()
PY
[ -s "$T/many.pcap" ] || { echo "FAIL: could not write the capture"; exit 1; }
/usr/bin/python3 -c "
import socket, time, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(120)" "$T/stuck.sock" &
SPID=$!
for _ in $(seq 50); do [ -S "$T/stuck.sock" ] && break; sleep 0.1; done
start=$(date +%s)
timeout 60 "$DP" --pcap "$T/many.pcap" --control "$T/stuck.sock" --stats-json "$T/s.json" 2>"$T/err"
rc=$? took=$(( $(date +%s) - start ))
[ $rc -eq 0 ] || { echo "FAIL: exit $rc after ${took}s: $(tail -3 "$T/err")"; exit 1; }
[ $took -le 20 ] || { echo "FAIL: took ${took}s with a stuck control plane"; exit 1; }
/usr/bin/python3 - "$T/s.json" <<'PY' || exit 1
import json, sys
c = json.load(open(sys.argv[1]))["control"]
lost = c["observations_dropped_full"] + c["observations_dropped_down"]
assert lost > 0, c
print(f"ok: finished, {c['observations_sent']} observations sent, {lost} dropped and counted")
PY
echo "ok: a stuck control plane cost ${took}s, not a hang"
