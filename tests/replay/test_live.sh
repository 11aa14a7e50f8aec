#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreen-dp on a live port (the DPDK form): the af_packet PMD on one end
# of a veth pair in a network namespace this test creates; the demo
# capture's frames are sent into the other end; SIGTERM ends the run and
# every connection must be reported, timed by the wall clock.
# usage: test_live.sh MXSCREEN_DP   (root; exit 77 = skipped)
set -u
DP=$1
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
NS=mxs-live-$$
T=$(mktemp -d)
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ip netns add "$NS" || { echo "skipped: cannot create a network namespace"; exit 77; }
ip -n "$NS" link add mxa type veth peer name mxb || exit 1
ip -n "$NS" link set mxa up && ip -n "$NS" link set mxb up || exit 1
/usr/bin/python3 "$HERE/../../scripts/demo-pcap" "$T/demo.pcap"

ip netns exec "$NS" "$DP" --no-huge --no-shconf --no-pci -l 0 --log-level=4 \
  --vdev net_af_packet0,iface=mxb -- --eve "$T/live.ndjson" --stats-json "$T/stats.json" \
  2>"$T/err" &
pid=$!
sleep 2
# Send every frame of the capture into mxa (raw socket, no dependencies).
ip netns exec "$NS" /usr/bin/python3 - "$T/demo.pcap" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("mxa", 0))
with open(sys.argv[1], "rb") as f:
    f.read(24)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        n = struct.unpack("<IIII", h)[2]
        s.send(f.read(n))
        time.sleep(0.0005)
PY
sleep 1
kill -TERM $pid
wait $pid
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "FAIL: exit $rc: $(cat "$T/err")"; fail=1; }
n=$(wc -l <"$T/live.ndjson" 2>/dev/null || echo 0)
[ "$n" -eq 7 ] || { echo "FAIL: $n records from the live port, want 7"; fail=1; }
grep -q '"helo":"mail.example.org"' "$T/live.ndjson" || { echo "FAIL: legit session not parsed"; fail=1; }
grep -q '"pregreet"' "$T/live.ndjson" || { echo "FAIL: pregreet not seen live"; fail=1; }
year=$(date -u +%Y)
grep -q "\"timestamp\":\"$year-" "$T/live.ndjson" || { echo "FAIL: live records not wall-clock timed"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $n records from a live af_packet port"
exit $fail
