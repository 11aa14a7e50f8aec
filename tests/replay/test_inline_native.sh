#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreen-dp --inline-ports end to end: the bump in the wire over ports of
# a PMD with no XDP program in front (net_af_packet on the edge's two
# veths, standing in for a NIC bound to vfio), so mxscreen-dp receives
# every frame and enforces the verdicts itself (dp_enforce, the semantics
# of include/mxscreen/enforce.h). Client - edge - server network
# namespaces; on the edge, mxscreend (no BPF; a local zone lists three
# client addresses with weights 8, 4 and 1) takes mxscreen-dp's
# observations and sends verdicts back. Checks: a dialogue and ping cross;
# each listed client's first session is classified (the verdict log);
# then the drop client cannot connect, a burst from the throttle client
# gets only its bucket through, the tag client's packets reach the server
# with DSCP 10 (the server's nftables counts them), the unlisted one still
# talks; the counters add up at exit.
# usage: test_inline_native.sh MXSCREEN_DP MXSCREEND   (root; exit 77 = skipped)
set -u
DP=$1
D=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/inline_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
for t in ip nft ethtool nsenter /usr/bin/python3; do
  command -v "$t" >/dev/null || { echo "skipped: $t missing"; exit 77; }
done
C=mxn-cli-$$ E=mxn-edge-$$ S=mxn-srv-$$
T=$(mktemp -d)
chmod 755 "$T"
pid= dpid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$C" 2>/dev/null; ip netns del "$E" 2>/dev/null; ip netns del "$S" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
inline_topology "$C" "$E" "$S" 10.98.1.100 10.98.1.9 10.98.1.2 10.98.1.3 10.98.1.4
ip netns exec "$S" nft -f - <<'NFT' || exit 1
table ip t {
  counter dscp10 { }
  chain in {
    type filter hook input priority 0;
    ip dscp 10 tcp dport 25 counter name dscp10
  }
}
NFT
smtp_server "$S"

# mxscreend on the edge: .4 drop (8), .3 throttle (4), .2 tag (1)
printf '10.98.1.4 :127.0.0.2:\n10.98.1.3 :127.0.0.3:\n10.98.1.2 :127.0.0.4:\n' >"$T/l.zone"
chmod 644 "$T/l.zone"
cat >"$T/m.conf" <<CONF
dnsbl_sites = l.mxs.example=127.0.0.2*8 l.mxs.example=127.0.0.3*4 l.mxs.example=127.0.0.4*1
local_zones = l.mxs.example:ip4set:$T/l.zone
resolvers = 127.0.0.1:1
dns_timeout = 200ms
no_ptr_weight = 0
fcrdns_weight = 0
anomaly_weights =
verdict_log = $T/verdicts.ndjson
dataplane_socket = $T/dp.sock
control_socket = $T/ctl.sock
CONF
nsenter --net=/var/run/netns/"$E" "$D" -c "$T/m.conf" 2>"$T/d.log" &
dpid=$!
for _ in $(seq 50); do [ -S "$T/dp.sock" ] && break; sleep 0.1; done
[ -S "$T/dp.sock" ] || { echo "FAIL: mxscreend did not start: $(cat "$T/d.log")"; exit 1; }
# qdisc_bypass: what the PMD sends is not seen again by its own packet
# sockets (which would send it back).
nsenter --net=/var/run/netns/"$E" "$DP" --no-huge --no-shconf --no-pci -l 0 -m 256 \
  --log-level=4 --vdev net_af_packet0,iface=mxe0,qdisc_bypass=1 \
  --vdev net_af_packet1,iface=mxe1,qdisc_bypass=1 -- --inline-ports 0,1 --smtp-ports 25 \
  --control "$T/dp.sock" --eve "$T/eve.ndjson" --stats-json "$T/stats.json" \
  --tag-dscp 10 --throttle-rate 1 --throttle-burst 2 2>"$T/err" &
pid=$!
sleep 1.5
kill -0 "$pid" 2>/dev/null || { echo "FAIL: mxscreen-dp --inline-ports did not start: $(cat "$T/err")"; exit 1; }

fail=0
want='220 mx.test.example ESMTP|250 ok|221 bye'
r=$(smtp_dialogue "$C" native.example 10.98.1.100 10.98.1.9 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: SMTP through the edge: '$r'"; fail=1; }
ping1 "$C" 10.98.1.100 || { echo "FAIL: ping does not cross the edge"; fail=1; }
# first sessions: classified as they end, verdicts come back
for a in 4 3 2; do
  r=$(smtp_dialogue "$C" "first$a.example" 10.98.1.100 "10.98.1.$a" 2>&1)
  [ "$r" = "$want" ] || { echo "FAIL: first session of 10.98.1.$a: '$r'"; fail=1; }
done
verdicts() {
  /usr/bin/python3 - "$T/verdicts.ndjson" <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1]):
    r = json.loads(l); last[r["src_ip"]] = r["action"]
want = {"10.98.1.4": "drop", "10.98.1.3": "throttle", "10.98.1.2": "tag"}
sys.exit(0 if all(last.get(k) == v for k, v in want.items()) else 1)
PY
}
for _ in $(seq 50); do verdicts 2>/dev/null && break; sleep 0.1; done
verdicts || { echo "FAIL: verdicts: $(cat "$T/verdicts.ndjson" 2>&1)"; fail=1; }
sleep 0.3 # the verdicts reach the dataplane's mirror

r=$(smtp_dialogue "$C" dropped.example 10.98.1.100 10.98.1.4 2>&1)
[ "$r" = "$want" ] && { echo "FAIL: the drop client still talks"; fail=1; }
# a burst of 5 at once, each giving up before its SYN would be retried
bp=
for i in 1 2 3 4 5; do
  SMTP_TIMEOUT=0.8 smtp_dialogue "$C" "burst$i.example" 10.98.1.100 10.98.1.3 >"$T/burst$i" 2>&1 &
  bp="$bp $!"
done
wait $bp
ok=$(cat "$T"/burst? | grep -c "^$want\$")
# bucket 2, refilled 1/s: 2 of the 5 (3 if a second passes)
[ "$ok" -ge 1 ] && [ "$ok" -le 3 ] || { echo "FAIL: $ok of a burst of 5 from the throttle client got through"; fail=1; }
r=$(smtp_dialogue "$C" tagged.example 10.98.1.100 10.98.1.2 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: the tag client: '$r'"; fail=1; }
n=$(ip netns exec "$S" nft -j list counter ip t dscp10 | /usr/bin/python3 -c '
import json, sys
print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])')
[ "$n" -gt 0 ] || { echo "FAIL: no packet reached the server with DSCP 10"; fail=1; }
r=$(smtp_dialogue "$C" again.example 10.98.1.100 10.98.1.9 2>&1)
[ "$r" = "$want" ] || { echo "FAIL: the unlisted client after the verdicts: '$r'"; fail=1; }

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: mxscreen-dp exit $rc: $(cat "$T/err")"; fail=1; }
grep -o 'enforced: .*' "$T/err"
/usr/bin/python3 - "$T/stats.json" "$ok" <<'PY' || fail=1
import json, sys
e = json.load(open(sys.argv[1]))["enforce"]
ok = int(sys.argv[2])
bad = []
if e["packets"]["drop"] < 1: bad.append("no drop")
if e["syn_throttled"] < 1: bad.append("no SYN throttled")
if e["packets"]["tag"] < 3: bad.append("fewer than 3 tagged packets")
if e["not_smtp"] < 1: bad.append("ping and ARP not counted as not judged")
if bad:
    print("FAIL: enforce counters: %s: %s" % (", ".join(bad), e)); sys.exit(1)
PY
[ $fail -eq 0 ] && echo "ok: --inline-ports: SMTP and ping cross, verdicts from mxscreend enforced by mxscreen-dp (drop, throttle $ok/5, tag DSCP 10 on $n packets)"
exit $fail
