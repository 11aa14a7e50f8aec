#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreend as an operator runs it: usage and configuration errors (exit 2,
# FILE:LINE), -t, shadow mode, SIGHUP reloads (a bad file is refused and
# the running configuration kept), SIGTERM, and verdicts flowing back into
# the dataplane's records. DNS is unreachable on purpose (resolvers point
# at a closed port): every lookup errors, nothing is blamed on the client,
# and the in-process local zone still decides.
# usage: test_daemon.sh MXSCREEN_DP MXSCREEND
set -u
DP=$1 D=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
T=$(mktemp -d)
cleanup() { [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# wait_for FILE PATTERN: up to 10 s for a line to appear (signals are async)
wait_for() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

expect() {  # STATUS PATTERN -- ARGS
  local want=$1 pat=$2; shift 3
  "$D" "$@" >"$T/out" 2>"$T/err"; local got=$?
  if [ $got -ne "$want" ] || ! grep -q -- "$pat" "$T/err" "$T/out"; then
    bad "mxscreend $* -> $got, want $want matching '$pat': $(cat "$T/err")"
  else echo "ok: exit $got: mxscreend $*"; fi
}
printf '10.1.2.3\n100.64.7.7 :127.0.0.9:\n127.0.0.2\n' >"$T/local.zone"
base() {
  cat <<CONF
dnsbl_sites = local.mxs.example*4
local_zones = local.mxs.example:ip4set:local.zone
resolvers = 127.0.0.1:1
dns_timeout = 200ms
verdict_log = $T/verdicts.ndjson
dataplane_socket = $T/dp.sock
control_socket = $T/ctl.sock
CONF
}
base >"$T/good.conf"
{ base; echo "dnsbl_site = x.example"; } >"$T/unknown.conf"
{ base; echo "score_tag = lots"; } >"$T/value.conf"
{ base; echo "shadow = yes"; echo "shadow = no"; } >"$T/dup.conf"
sed 's/local\.zone$/missing.zone/' "$T/good.conf" >"$T/nozone.conf"
printf 'bad line here\n' >"$T/badzone.zone"; chmod 644 "$T/badzone.zone"
sed 's/local\.zone$/badzone.zone/' "$T/good.conf" >"$T/badzone.conf"

expect 2 "usage" --
expect 2 "usage" -- -x
expect 2 "No such file" -- -c "$T/none.conf"
expect 2 "unknown.conf:8: unknown key 'dnsbl_site'" -- -c "$T/unknown.conf"
expect 2 "value.conf:8: " -- -c "$T/value.conf"
expect 2 "dup.conf:9: duplicate key 'shadow'" -- -c "$T/dup.conf"
expect 2 "missing.zone" -- -c "$T/nozone.conf"
expect 2 "badzone.zone:1: " -- -c "$T/badzone.conf"
expect 0 "configuration ok" -- -c "$T/good.conf" -t
expect 0 "configuration ok" -- -c "$ROOT/etc/mxscreen.conf" -t

# Shadow mode: computed and logged, pass enforced.
{ base; echo "shadow = yes"; } >"$T/run.conf"
"$D" -c "$T/run.conf" 2>"$T/d.log" &
DPID=$!
for _ in $(seq 50); do [ -S "$T/dp.sock" ] && break; sleep 0.1; done
/usr/bin/python3 "$ROOT/scripts/demo-pcap" "$T/demo.pcap"
"$DP" --pcap "$T/demo.pcap" --control "$T/dp.sock" 2>/dev/null || bad "mxscreen-dp failed"
for _ in $(seq 50); do [ "$(wc -l <"$T/verdicts.ndjson" 2>/dev/null || echo 0)" -ge 7 ] && break; sleep 0.1; done
line=$(grep '"src_ip":"100.64.7.7"' "$T/verdicts.ndjson")
echo "$line" | grep -q '"action":"pass".*"shadow":true,"would_be":"throttle"' ||
  bad "shadow verdict: $line"
grep -q '"dns_errors":{}' "$T/verdicts.ndjson" && echo "ok: local zone needs no DNS"
grep '"src_ip":"198.51.100.10"' "$T/verdicts.ndjson" | grep -q '"action":"pass","score":0' ||
  bad "unreachable DNS blamed a client: $(grep 198.51.100.10 "$T/verdicts.ndjson")"
grep '"src_ip":"198.51.100.10"' "$T/verdicts.ndjson" | grep -q '"fcrdns":"error"' ||
  bad "PTR failure not reported as error"

# SIGHUP with a broken file: refused, old config kept.
cp "$T/run.conf" "$T/keep.conf"
echo "score_drop = -" >>"$T/run.conf"
kill -HUP $DPID
wait_for "$T/d.log" "run.conf:.*keeping the running configuration" || bad "bad reload not refused: $(cat "$T/d.log")"
kill -0 $DPID 2>/dev/null || bad "mxscreend died on a bad reload"
# SIGHUP with a good file: enforcing now.
base >"$T/run.conf"
kill -HUP $DPID
wait_for "$T/d.log" "configuration reloaded" || bad "good reload not taken: $(cat "$T/d.log")"
: >"$T/verdicts.ndjson"
# 100.64.7.7: listed locally (4) + pipelining (1) + non-SMTP command (2).
# Verdicts reach the dataplane's mirror: replay in a loop; connections
# after the first verdicts carry them in their records.
"$DP" --no-huge --no-shconf --no-pci -l 0 --log-level=4 \
  --vdev "net_pcap_loop0,rx_pcap=$T/demo.pcap,infinite_rx=1" -- \
  --control "$T/dp.sock" --eve "$T/eve.ndjson" --stats-json "$T/dp.json" 2>/dev/null &
dp=$!
want='"src_ip":"100.64.7.7".*"verdict":{"action":"throttle","score":7,"reasons":\["dnsbl","anomaly"\],"shadow":false}'
for _ in $(seq 50); do grep -q "$want" "$T/eve.ndjson" 2>/dev/null && break; sleep 0.2; done
kill -TERM $dp; wait $dp || bad "looping mxscreen-dp failed"
grep '"src_ip":"100.64.7.7"' "$T/verdicts.ndjson" | head -1 | grep -q '"action":"throttle","score":7' ||
  bad "reloaded config not enforcing: $(grep 100.64.7.7 "$T/verdicts.ndjson" | head -1)"
grep -q "$want" "$T/eve.ndjson" ||
  bad "no verdict in the dataplane's records"
grep '"src_ip":"198.51.100.10"' "$T/eve.ndjson" | grep -q '"verdict":{"action":"pass"' ||
  bad "no pass verdict in the dataplane's records"
echo "ok: $(grep -c '"verdict"' "$T/eve.ndjson") records carry a verdict"

kill -TERM $DPID; wait $DPID; rc=$?; DPID=
[ $rc -eq 0 ] || bad "SIGTERM: exit $rc"
grep -q "stopping:" "$T/d.log" || bad "no clean stop line"
[ -e "$T/dp.sock" ] && bad "socket left behind"
exit $fail
