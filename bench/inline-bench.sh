#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench/inline-bench.sh: packets a second forwarded through the inline edge
# on veth, against what a user would otherwise set up on the same veths: a
# Linux bridge with an nftables set of blocked addresses. A benchmark,
# never a test: it prints figures.
#
# Topology (made here, removed on exit): gen namespace (gen0) <-> edge
# namespace (eo | ei) <-> sink namespace (sink0), two veth pairs. trafgen
# (netsniff-ng, Debian) sends 60-byte TCP frames from gen0 as fast as it
# can on CPU 0, one flow per source port (dinc 1024-65000), to port 25
# ("smtp") or to port 8080 ("other"); the figure is what sink0 receives a
# second, over SECONDS after one second of warm-up, the median of ROUNDS.
# Edge configurations, each with both traffic kinds:
#   mxscreen-dp  mxscreen-dp --inline eo,ei --rules etc/rules, its lcore on
#                CPU 1: port 25 through AF_XDP (copy mode on veth) and the
#                classifier, the rest forwarded by the XDP program
#   io-only      the same with --io-only: port 25 through AF_XDP and back
#                out, unclassified (what the AF_XDP copy path alone costs;
#                smtp only)
#   xdp-only     the same XDP program with mxscreen-dp gone (fail open):
#                everything forwarded by bpf_redirect
#   bridge+nft   br0 over eo and ei, nftables bridge filter forward chain
#                dropping saddr in a set of BLOCKED addresses (none of
#                them the generator's)
# On veth the XDP program, the bridge and the generator share CPU 0 (veth
# runs the receiver's work in the sender's softirq): the figures compare
# per-packet cost at the generator's saturation, not a NIC's line rate.
#
# usage: bench/inline-bench.sh [--dp PATH] [--seconds S] [--rounds N]
#                              [--blocked N] [--json FILE]
# Needs root, trafgen, nft, ethtool. Exit status: 0 figures printed,
# 2 usage, 3 setup failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
DP=$ROOT/build/dataplane/mxscreen-dp
SECS=5 ROUNDS=3 BLOCKED=10000 JSON=
while [ $# -gt 0 ]; do
  case $1 in
    --dp) DP=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --blocked) BLOCKED=$2; shift ;;
    --json) JSON=$2; shift ;;
    *) echo "usage: bench/inline-bench.sh [--dp PATH] [--seconds S] [--rounds N] [--blocked N] [--json FILE]" >&2
       exit 2 ;;
  esac
  shift
done
setup_fail() { echo "inline-bench: $*" >&2; exit 3; }
[ "$(id -u)" -eq 0 ] || setup_fail "needs root"
for t in trafgen nft ethtool nsenter; do
  command -v $t >/dev/null || setup_fail "$t not installed (scripts/setup installs it)"
done
[ -x "$DP" ] || setup_fail "$DP not built"
. "$ROOT/scripts/lib/inline_pins.sh"

ID=$$
G=mxb-gen-$ID E=mxb-edge-$ID S=mxb-sink-$ID
PIN=/sys/fs/bpf/mxb-$ID
T=$(mktemp -d)
DPID=
cleanup() {
  pkill -INT -f "trafgen -o gen0 -i $T/" 2>/dev/null
  [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$G" 2>/dev/null; ip netns del "$E" 2>/dev/null; ip netns del "$S" 2>/dev/null
  inline_pins_clean "$PIN"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$G" && ip netns add "$E" && ip netns add "$S" || setup_fail "namespaces"
ip link add gen0 netns "$G" type veth peer name eo netns "$E" || setup_fail "veth"
ip link add sink0 netns "$S" type veth peer name ei netns "$E" || setup_fail "veth"
for x in "$G gen0" "$E eo" "$E ei" "$S sink0"; do
  set -- $x
  ip -n "$1" link set lo up && ip -n "$1" link set "$2" up || setup_fail "link up"
done
for x in "$G gen0" "$S sink0"; do   # after up: see scripts/lab
  set -- $x
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null &&
    ip netns exec "$1" ethtool -K "$2" gro on >/dev/null || setup_fail "ethtool on $2"
done
SMAC=$(cat "/sys/class/net/sink0/address" 2>/dev/null ||
       ip -n "$S" -br link show sink0 | awk '{print $3}')
GMAC=$(ip -n "$G" -br link show gen0 | awk '{print $3}')
for port in 25 8080; do
  cat >"$T/$port.cfg" <<CFG
{ eth(da=$SMAC, sa=$GMAC), ipv4(saddr=10.77.0.11, daddr=10.77.0.25, ttl=64),
  tcp(sp=dinc(1024, 65000), dp=$port, ack, psh, seq=1, aseq=1), fill(0x41, 6) }
CFG
done

rx() { ip netns exec "$S" cat /sys/class/net/sink0/statistics/rx_packets; }
tx() { ip netns exec "$G" cat /sys/class/net/gen0/statistics/tx_packets; }
now() { date +%s.%N; }
# one PORT: prints "offered_pps delivered_pps" of one round
one() {
  local r0 r1 t0 t1 s0 s1
  # trafgen stops on SIGINT (its forked sender with it), not on SIGTERM
  timeout -s INT $((SECS + 2)) taskset -c 0 nsenter --net="/var/run/netns/$G" \
    trafgen -o gen0 -i "$T/$1.cfg" -P 1 >/dev/null 2>&1 &
  sleep 1
  r0=$(rx) s0=$(tx) t0=$(now)
  sleep "$SECS"
  r1=$(rx) s1=$(tx) t1=$(now)
  wait
  sleep 0.3
  /usr/bin/python3 -c 'import sys; r0,r1,s0,s1,t0,t1=map(float,sys.argv[1:]); print("%d %d" % ((s1-s0)/(t1-t0), (r1-r0)/(t1-t0)))' \
    "$r0" "$r1" "$s0" "$s1" "$t0" "$t1"
}
# median CASE PORT: ROUNDS rounds; appends "CASE KIND offered delivered" to results
median() {
  local kind=other i
  [ "$2" = 25 ] && kind=smtp
  for i in $(seq "$ROUNDS"); do one "$2"; done | sort -k2 -n |
    awk -v c="$1" -v k="$kind" '{o[NR]=$1; d[NR]=$2} END {m=int((NR+1)/2); print c, k, o[m], d[m]}' \
    >>"$T/results"
  tail -n 1 "$T/results" | awk '{printf "%-12s %-6s offered %8d pps  delivered %8d pps\n", $1, $2, $3, $4}' >&2
}

# ---- mxscreen-dp --inline (its lcore on CPU 1), then fail open
# start_dp NAME [OPTIONS]: mxscreen-dp --inline on CPU 1, ready
start_dp() {
  local name=$1
  shift
  taskset -c 1 nsenter --net="/var/run/netns/$E" "$DP" -l 1 --no-huge --no-shconf -m 256 \
    --log-level=4 -- --inline eo,ei --bpf-pin-dir "$PIN" --stats-json "$T/$name.json" "$@" \
    2>"$T/$name.log" &
  DPID=$!
  for _ in $(seq 100); do
    ip -n "$E" link show eo | grep -q xdp && ip -n "$E" link show ei | grep -q xdp && break
    kill -0 "$DPID" 2>/dev/null || { cat "$T/$name.log" >&2; setup_fail "mxscreen-dp did not start"; }
    sleep 0.1
  done
  sleep 1
}
stop_dp() {
  kill -TERM "$DPID"; wait "$DPID"; DPID=
  grep -o 'inline: .*' "$T/$1.log" >&2
  /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
print("mxscreen-dp: %d packets, %.0f cycles a packet in its loop (%.0f of them receiving)" % (
    j["packets"], j["cycles_per_packet"], j["rx_cycles_per_packet"]))' "$T/$1.json" >&2 || true
}
start_dp full --smtp-ports 25 --rules "$ROOT/etc/rules"
median mxscreen-dp 25
median mxscreen-dp 8080
stop_dp full
start_dp io --io-only
median io-only 25
stop_dp io
median xdp-only 25
median xdp-only 8080

# ---- Linux bridge + nftables set
ip -n "$E" link set eo xdp off; ip -n "$E" link set ei xdp off
ip -n "$E" link add br0 type bridge && ip -n "$E" link set eo master br0 &&
  ip -n "$E" link set ei master br0 && ip -n "$E" link set br0 up || setup_fail "bridge"
/usr/bin/python3 - "$BLOCKED" >"$T/blocked.nft" <<'PY'
import random, sys
n = int(sys.argv[1]); random.seed(1); seen = set()
while len(seen) < n:  # 198.18.0.0/15: never the generator's 10.77.0.11
    seen.add("198.%d.%d.%d" % (18 + random.getrandbits(1), random.getrandbits(8), random.getrandbits(8)))
print("table bridge mxbench {\n set blocked { type ipv4_addr; elements = {")
print(",\n".join(sorted(seen)))
print("} }\n chain forward { type filter hook forward priority 0;\n  ip saddr @blocked counter drop\n }\n}")
PY
ip netns exec "$E" nft -f "$T/blocked.nft" || setup_fail "nftables"
median bridge+nft 25
median bridge+nft 8080

/usr/bin/python3 - "$T/results" "$BLOCKED" "$JSON" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1])]
d = {(c, k): (int(o), int(v)) for c, k, o, v in rows}
print("%-12s %-6s %12s %12s %10s" % ("edge", "kind", "offered pps", "delivered", "vs bridge"))
out = []
for (c, k), (o, v) in d.items():
    b = d.get(("bridge+nft", k), (0, 0))[1]
    ratio = v / b if b else 0.0
    print("%-12s %-6s %12d %12d %9.2fx" % (c, k, o, v, ratio))
    out.append({"edge": c, "kind": k, "offered_pps": o, "delivered_pps": v, "vs_bridge": round(ratio, 3)})
print("(bridge+nft: %s blocked addresses in an nftables set; 60-byte TCP frames, one trafgen on CPU 0)"
      % sys.argv[2])
if sys.argv[3]:
    json.dump(out, open(sys.argv[3], "w"), indent=1)
PY
