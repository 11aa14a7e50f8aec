#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreen-dp --inline end to end: client - edge - server network
# namespaces joined by two veth pairs; mxscreen-dp bridges the edge's two
# veths (af_xdp PMD + bpf/mxscreen_inline.bpf.o). An SMTP dialogue to the
# server's port 25 (a python responder) must succeed through the edge and
# be reported with its HELO in --eve; the demo capture's frames, VLAN
# tagged, must cross with their tags and all 7 sessions (one on port 587:
# mxscreen-dp sets the program's SMTP ports) be classified; ping must cross (forwarded by the XDP
# program itself); after mxscreen-dp ends (SIGTERM, then the check is
# repeated after SIGKILL of a second run) port 25 must still work: fail
# open. The redirected frames need the client's and server's veths to take
# XDP_REDIRECT (GRO on, the alternative to an XDP program on them that
# tests/bpf/test_inline.c uses) and tx checksum offload off.
# usage: test_inline.sh MXSCREEN_DP BPF_OBJ   (root; exit 77 = skipped)
set -u
DP=$1
OBJ=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../scripts/lib/inline_pins.sh"
. "$HERE/inline_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
for t in ip ethtool nsenter /usr/bin/python3; do
  command -v "$t" >/dev/null || { echo "skipped: $t missing"; exit 77; }
done
[ -d /sys/fs/bpf ] && [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] ||
  { echo "skipped: no bpffs on /sys/fs/bpf"; exit 77; }
C=mxi-cli-$$ E=mxi-edge-$$ S=mxi-srv-$$
PIN=/sys/fs/bpf/mxscreen-test-inline-$$
T=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
  ip netns del "$C" 2>/dev/null; ip netns del "$E" 2>/dev/null; ip netns del "$S" 2>/dev/null
  inline_pins_clean "$PIN"
  rm -rf "$T"
}
trap cleanup EXIT
inline_topology "$C" "$E" "$S" 10.98.0.2 10.98.0.1

# The server: answers any number of SMTP dialogues on port 25.
smtp_server "$S"

smtp() { smtp_dialogue "$C" "$1" "${2:-10.98.0.2}"; }
start_dp() {
  local n=$1
  shift
  MXSCREEN_INLINE_OBJ="$OBJ" nsenter --net=/var/run/netns/"$E" \
    "$DP" --inline mxe0,mxe1 --bpf-pin-dir "$PIN" --eve "$T/eve$n.ndjson" "$@" \
    2>"$T/err$n" &
  pid=$!
  for _ in $(seq 50); do
    ip -n "$E" link show mxe1 | grep -q xdp && ip -n "$E" link show mxe0 | grep -q xdp && break
    sleep 0.1
  done
  sleep 1
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: mxscreen-dp --inline did not start: $(cat "$T/err$n")"; exit 1; }
}
fail=0
want='220 mx.test.example ESMTP|250 ok|221 bye'
sleep 0.5

start_dp 1
r=$(smtp inline-one.example 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: SMTP through the edge: '$r'"; fail=1; }
ping1 "$C" 10.98.0.2 || { echo "FAIL: ping does not cross the edge"; fail=1; }
# Tagged frames: the demo capture's frames with an 802.1Q tag (VLAN 100)
# inserted, sent raw into the client's veth (SMTP sessions of both
# directions, all port 25, so all through mxscreen-dp); every one must
# leave the edge towards the server with its tag.
/usr/bin/python3 "$HERE/../../scripts/demo-pcap" "$T/demo.pcap" || exit 1
ip netns exec "$S" /usr/bin/python3 - "$T/tagged.count" <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
s.bind(("mxs0", 0))
s.settimeout(0.2)
n, end = 0, time.time() + 6
while time.time() < end:
    try:
        d, anc, _, _ = s.recvmsg(4096, 64)
    except socket.timeout:
        continue
    tci = None
    for lvl, typ, data in anc:
        if lvl == 263 and typ == 8 and len(data) >= 20:
            st, _, _, _, _, t, _ = struct.unpack("IIIHHHH", data[:20])
            if st & (1 << 4):  # TP_STATUS_VLAN_VALID
                tci = t
    if tci is None and d[12:14] == b"\x81\x00":
        tci = struct.unpack("!H", d[14:16])[0]
    if tci is not None and tci & 0xfff == 100:
        n += 1
open(sys.argv[1], "w").write(str(n))
PY
rpid=$!
sleep 0.5
ip netns exec "$C" /usr/bin/python3 - "$T/demo.pcap" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("mxc0", 0))
with open(sys.argv[1], "rb") as f:
    f.read(24)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        d = f.read(struct.unpack("<IIII", h)[2])
        s.send(d[:12] + b"\x81\x00\x00\x64" + d[12:])
        time.sleep(0.002)
PY
wait $rpid
tagged=$(cat "$T/tagged.count" 2>/dev/null || echo 0)
[ "$tagged" -eq 96 ] || { echo "FAIL: $tagged of the 96 tagged frames reached the server tagged"; fail=1; }
sleep 0.5
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: mxscreen-dp exit $rc: $(cat "$T/err1")"; fail=1; }
grep '"helo":"inline-one.example"' "$T/eve1.ndjson" | grep -q '"dest_port":25' ||
  { echo "FAIL: no record with the HELO: $(cat "$T/eve1.ndjson")"; fail=1; }
n=$(grep -c '' "$T/eve1.ndjson")
[ "$n" -eq 8 ] || { echo "FAIL: $n records, want 8 (the demo's 7 and the dialogue): $(cut -c1-200 "$T/eve1.ndjson")"; fail=1; }
grep -q '"helo":"mail.example.org"' "$T/eve1.ndjson" ||
  { echo "FAIL: no record of the tagged demo sessions"; fail=1; }
grep -o 'inline: .*' "$T/err1"
grep -q 'tx-full drops 0, .*tx-full drops 0' "$T/err1" || { echo "FAIL: tx drops on an idle link"; fail=1; }
r=$(smtp after-term.example 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: port 25 after SIGTERM (fail open): '$r'"; fail=1; }

start_dp 2   # a restart replaces the program left behind
r=$(smtp inline-two.example 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: SMTP through the restarted edge: '$r'"; fail=1; }
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=
sleep 0.5
r=$(smtp after-kill.example 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: port 25 after SIGKILL (fail open): '$r'"; fail=1; }
ping1 "$C" 10.98.0.2 || { echo "FAIL: ping after SIGKILL"; fail=1; }

# Greet hold: the banner reaches the client HOLD ms late; a client that
# talks first inside that window is reported as a pregreet, one that waits
# for the banner is not, and both dialogues complete. A held banner is
# classified when it is released, after whatever the client said.
greet() {
  ip netns exec "$C" /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys, time
early = sys.argv[2] == "early"
t0 = time.time()
s = socket.create_connection(("10.98.0.2", 25), timeout=5)
f = s.makefile("rb")
if early:
    s.sendall(b"HELO " + sys.argv[1].encode() + b"\r\n")
banner = f.readline()
waited = time.time() - t0
if not early:
    s.sendall(b"HELO " + sys.argv[1].encode() + b"\r\n")
r = f.readline()
s.sendall(b"QUIT\r\n")
print("%s|%s|%s|%.3f" % (banner.strip().decode(), r.strip().decode(), f.readline().strip().decode(), waited))
PY
}
HOLD=400
start_dp 3 --greet-hold-ms $HOLD
r=$(greet early.example early 2>&1)
case $r in
  "220 mx.test.example ESMTP|250 ok|221 bye|"*) ;;
  *) echo "FAIL: pregreeting dialogue through the greet hold: '$r'"; fail=1 ;;
esac
r=$(greet polite.example polite 2>&1)
case $r in
  "220 mx.test.example ESMTP|250 ok|221 bye|"*)
    /usr/bin/python3 -c "import sys; sys.exit(float(sys.argv[1]) < $HOLD / 1000 * 0.9)" "${r##*|}" ||
      { echo "FAIL: the banner came after ${r##*|} s, not held $HOLD ms"; fail=1; } ;;
  *) echo "FAIL: polite dialogue through the greet hold: '$r'"; fail=1 ;;
esac
ping1 "$C" 10.98.0.2 || { echo "FAIL: ping with the greet hold on"; fail=1; }
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: mxscreen-dp (greet hold) exit $rc: $(cat "$T/err3")"; fail=1; }
grep '"helo":"early.example"' "$T/eve3.ndjson" | grep -q '"anomalies":\[[^]]*"pregreet"' ||
  { echo "FAIL: the early talker is not a pregreet: $(cat "$T/eve3.ndjson")"; fail=1; }
grep '"helo":"polite.example"' "$T/eve3.ndjson" | grep -q '"pregreet"' &&
  { echo "FAIL: the polite client is a pregreet: $(cat "$T/eve3.ndjson")"; fail=1; }
grep -o 'greet hold .*' "$T/err3"
# the early talker's HELO may reach the edge before its banner: then the
# parser sees it first without help, and the hold counts it as such
grep -Eq "greet hold $HOLD ms: (2 banners held, 0|1 banners held, 1) clients spoke first" "$T/err3" ||
  { echo "FAIL: greet hold counters: $(cat "$T/err3")"; fail=1; }
[ -n "${MXS_KEEP:-}" ] && cp "$T"/eve1.ndjson "$MXS_KEEP"
[ $fail -eq 0 ] && echo "ok: SMTP and ping through mxscreen-dp --inline, HELO recorded, fail open after SIGTERM and SIGKILL, greet hold catches a pregreet"
exit $fail
