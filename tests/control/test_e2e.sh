#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end: the demo capture through mxscreen-dp --control into mxscreend,
# which asks a real unbound (PTR/A records, stub zones) in front of a real
# rbldnsd (DNSBL, DNSWL, a zone answering 127.255.255.254, an RHSBL dnset)
# plus an in-process local zone, and writes the verdict log. Every client's
# action, score and reasons are checked; the list error is reported and
# never scored.
# Two daemons run side by side on the same captures and servers, and both
# are checked alike: "stub" asks unbound for everything (unbound stubs the
# list zones to rbldnsd); "direct" has list_resolvers = rbldnsd and
# resolvers = a second unbound that refuses the list zones, so its verdicts
# are right only if every list query and health probe goes to rbldnsd.
# usage: test_e2e.sh MXSCREEN_DP MXSCREEND   (exit 77: servers not installed)
set -u
DP=$1 D=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
. "$ROOT/scripts/lib/dnslab.sh"
for b in /usr/sbin/rbldnsd /usr/sbin/unbound; do
  [ -x "$b" ] || { echo "skipped: $b not installed"; exit 77; }
done
T=$(mktemp -d)
cleanup() {
  local p
  for p in ${DPIDS:-} ${U2PID:-}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  dnslab_stop; rm -rf "$T"
}
trap cleanup EXIT
[ -n "${MXS_KEEP:-}" ] && trap - EXIT

# Every list carries the RFC 5782 test entry 127.0.0.2, or health probes
# switch it off. err answers 127.255.255.254 (query refused) for clients;
# world lists everything, 127.0.0.1 included, and must be switched off.
printf ':127.0.0.2:Listed, see https://bl.example/$\n127.0.0.2\n100.64.3.3\n100.64.9.9\n' >"$T/bl.zone"
printf ':127.0.0.3:\n127.0.0.2\n198.51.100.10\n' >"$T/wl.zone"
printf ':127.255.255.254:Query refused\n127.0.0.2 :127.0.0.2:test\n100.64.0.0/16\n198.51.100.0/24\n203.0.113.0/24\n' >"$T/err.zone"
printf ':127.0.0.2:\n0.0.0.0/1\n128.0.0.0/1\n' >"$T/world.zone"
printf ':127.0.1.2:\ntest\nspam.example\n' >"$T/dbl.zone"
# An RHSBL without the RFC 5782 TEST entry: probes must switch it off.
printf ':127.0.1.2:\nspam.example\n' >"$T/nodbl.zone"
printf ':127.0.0.4:\n100.64.5.5\n' >"$T/local.zone"
P1=$(dnslab_port); P2=$(dnslab_port); P3=$(dnslab_port)
dnslab_rbldnsd "$T" "$P1" bl.mxs.example:ip4set:bl.zone wl.mxs.example:ip4set:wl.zone \
  err.mxs.example:ip4set:err.zone dbl.mxs.example:dnset:dbl.zone \
  world.mxs.example:ip4set:world.zone nodbl.mxs.example:dnset:nodbl.zone
RDNS='
  local-data-ptr: "198.51.100.10 mail.example.org"
  local-data: "mail.example.org. A 198.51.100.10"
  local-data-ptr: "100.64.3.3 bot.example.net"
  local-data: "bot.example.net. A 192.0.2.99"'
# The second unbound (for "direct"): reverse DNS only, the lists refused.
mkdir "$T/u2"
dnslab_unbound "$T/u2" "$P3" "$RDNS
  local-zone: \"mxs.example.\" refuse" ""
U2PID=$UNBOUND_PID
dnslab_unbound "$T" "$P2" "$RDNS" \
  "bl.mxs.example@$P1 wl.mxs.example@$P1 err.mxs.example@$P1 dbl.mxs.example@$P1 world.mxs.example@$P1 nodbl.mxs.example@$P1"
dnslab_wait "$P1" 3.3.64.100.bl.mxs.example || { echo "FAIL: rbldnsd did not start: $(cat "$T/rbldnsd.log")"; exit 1; }
dnslab_wait "$P2" mail.example.org || { echo "FAIL: unbound did not start: $(cat "$T/unbound.log")"; exit 1; }
dnslab_wait "$P3" mail.example.org || { echo "FAIL: unbound 2 did not start: $(cat "$T/u2/unbound.log")"; exit 1; }

# write_conf NAME RESOLVER_LINES: the daemon NAME's config and files in $T/NAME
write_conf() {
  mkdir -p "$T/$1"
  cat >"$T/$1/mxscreen.conf" <<CONF
dnsbl_sites = bl.mxs.example*2 wl.mxs.example*-3
    err.mxs.example*5, local.mxs.example*3 world.mxs.example*5
rhsbl_sites = dbl.mxs.example*2 nodbl.mxs.example*5
local_zones = local.mxs.example:ip4set:$T/local.zone
$2
dns_timeout = 1s
health_interval = 1s
anomaly_weights = pregreet:2, pipelining_violation:1, non_smtp_command:2
verdict_log = $T/$1/verdicts.ndjson
dataplane_socket = $T/$1/dp.sock
control_socket = $T/$1/ctl.sock
CONF
}
RUNS="stub direct"
write_conf stub "resolvers = 127.0.0.1:$P2"
write_conf direct "resolvers = 127.0.0.1:$P3
list_resolvers = 127.0.0.1:$P1"
/usr/bin/python3 "$ROOT/scripts/demo-pcap" "$T/demo.pcap"
DPIDS=
for r in $RUNS; do
  "$D" -c "$T/$r/mxscreen.conf" 2>"$T/$r/mxscreend.log" &
  DPIDS="$DPIDS $!"
done
# wait_lines FILE N: until FILE has N lines (10 s at most)
wait_lines() {
  for _ in $(seq 100); do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return; sleep 0.1
  done
}
# wait_log NAME TEXT: until the daemon NAME's log says TEXT (10 s at most)
wait_log() {
  for _ in $(seq 100); do grep -q "$2" "$T/$1/mxscreend.log" && return; sleep 0.1; done
}
for r in $RUNS; do
  for _ in $(seq 50); do [ -S "$T/$r/dp.sock" ] && break; sleep 0.1; done
  "$DP" --pcap "$T/demo.pcap" --rules "$ROOT/etc/rules" --control "$T/$r/dp.sock" \
    --eve "$T/$r/eve.ndjson" --stats-json "$T/$r/dp-stats.json" 2>"$T/$r/dp.log" ||
    { echo "FAIL ($r): mxscreen-dp: $(cat "$T/$r/dp.log")"; exit 1; }
done
for r in $RUNS; do
  wait_lines "$T/$r/verdicts.ndjson" 7
  cp "$T/$r/verdicts.ndjson" "$T/$r/round1.ndjson"
  L=$T/$r/mxscreend.log
  grep -q "zone world.mxs.example FAILED its health probe (lists 127.0.0.1" "$L" ||
    { echo "FAIL ($r): world-listing zone not switched off: $(cat "$L")"; exit 1; }
  echo "ok ($r): the world-listing zone was switched off"
  grep -q "zone nodbl.mxs.example FAILED its health probe (does not list the TEST test entry)" "$L" ||
    { echo "FAIL ($r): RHSBL without its TEST entry not switched off: $(cat "$L")"; exit 1; }
  grep -q "zone \(dbl\|bl\|wl\|err\).mxs.example FAILED" "$L" &&
    { echo "FAIL ($r): a healthy list was switched off: $(cat "$L")"; exit 1; }
  echo "ok ($r): the RHSBL without a TEST entry was switched off, the healthy lists kept"
done
# The zone is fixed upstream (rbldnsd reloads it): probes switch it back on.
printf ':127.0.0.2:\n127.0.0.2\n100.64.7.7\n' >"$T/world.zone.new"
# rbldnsd notices a change by mtime, to the second.
chmod 644 "$T/world.zone.new"; touch -d "@$(( $(date +%s) + 2 ))" "$T/world.zone.new"
mv "$T/world.zone.new" "$T/world.zone"
for r in $RUNS; do
  wait_log "$r" "zone world.mxs.example passes its health probes again"
  grep -q "zone world.mxs.example passes its health probes again" "$T/$r/mxscreend.log" ||
    { echo "FAIL ($r): recovered zone not switched back on: $(cat "$T/$r/mxscreend.log")"; exit 1; }
  echo "ok ($r): the zone was switched back on after it recovered"
  "$DP" --pcap "$T/demo.pcap" --rules "$ROOT/etc/rules" --control "$T/$r/dp.sock" 2>>"$T/$r/dp.log" ||
    { echo "FAIL ($r): mxscreen-dp (second run): $(cat "$T/$r/dp.log")"; exit 1; }
done
for r in $RUNS; do
  wait_lines "$T/$r/verdicts.ndjson" 14
  grep '"src_ip":"100.64.7.7"' "$T/$r/verdicts.ndjson" | tail -1 | grep -q '"dnsbl:world.mxs.example"' ||
    { echo "FAIL ($r): the recovered zone is not scored: $(grep 100.64.7.7 "$T/$r/verdicts.ndjson")"; exit 1; }
  echo "ok ($r): the recovered zone scores again"
done
set -- $DPIDS
for r in $RUNS; do
  kill -TERM "$1"; wait "$1"; rc=$?
  [ $rc -eq 0 ] || { echo "FAIL ($r): mxscreend exit $rc: $(cat "$T/$r/mxscreend.log")"; exit 1; }
  shift
done
DPIDS=

for r in $RUNS; do
/usr/bin/python3 - "$T/$r" "$r" <<'PY' || exit 1
import json, sys
t, run = sys.argv[1], sys.argv[2]
v = {}
for line in open(t + "/round1.ndjson"):
    r = json.loads(line)
    v[r["src_ip"]] = r
want = {
    # ip: (action, score, reasons that must be there, fcrdns)
    "198.51.100.10": ("pass", -3, ["dnswl:wl.mxs.example"], "pass"),
    "203.0.113.7": ("tag", 1, ["no_ptr"], "none"),
    "100.64.3.3": ("throttle", 6, ["dnsbl:bl.mxs.example", "fcrdns_fail", "pregreet", "rule:1000"], "fail"),
    "100.64.9.9": ("drop", 10, ["dnsbl:bl.mxs.example", "no_ptr", "rhsbl:dbl.mxs.example(mail_from)",
                                "rule:1002", "rule:1003", "rule:1100"], "none"),
    "100.64.5.5": ("drop", 10, ["dnsbl:local.mxs.example", "no_ptr", "pipelining_violation",
                                "rule:1020"], "none"),
    "100.64.7.7": ("throttle", 4, ["no_ptr", "pipelining_violation", "non_smtp_command"], "none"),
    "2001:db8:10::25": ("tag", 1, ["no_ptr"], "none"),
}
bad = 0
if set(v) != set(want):
    print("FAIL: verdicts for %s, want %s" % (sorted(v), sorted(want))); bad += 1
for ip, (action, score, reasons, fcrdns) in want.items():
    r = v.get(ip)
    if not r:
        continue
    errs = []
    if (r["action"], r["score"], r["fcrdns"]) != (action, score, fcrdns):
        errs.append("action/score/fcrdns %s/%s/%s, want %s/%s/%s" % (r["action"], r["score"], r["fcrdns"], action, score, fcrdns))
    for x in reasons:
        if x not in r["reasons"]:
            errs.append("missing reason %s in %s" % (x, r["reasons"]))
    if any(x.startswith(("dnsbl:err", "dnsbl:world", "rhsbl:nodbl")) for x in r["reasons"]):
        errs.append("an error answer or a switched-off zone was scored")
    if ip.count(".") == 3 and r["dns_errors"].get("err.mxs.example") != "127.255.255.254":
        errs.append("dns_errors %s lacks err.mxs.example" % r["dns_errors"])
    print(("FAIL (%s) %s: " % (run, ip) + "; ".join(errs)) if errs else "ok (%s) %s: %s %d" % (run, ip, action, score))
    bad += bool(errs)
if v.get("100.64.3.3", {}).get("dnsbl", {}).get("bl.mxs.example") != ["127.0.0.2"]:
    print("FAIL: dnsbl answers not logged for 100.64.3.3"); bad += 1
if v.get("198.51.100.10", {}).get("ptr") != ["mail.example.org"]:
    print("FAIL: ptr not logged for 198.51.100.10"); bad += 1
st = json.load(open(t + "/dp-stats.json"))
c = st.get("control", {})
if c.get("observations_sent") != 7 or c.get("observations_dropped_down", 1) != 0:
    print("FAIL: dataplane link stats %s" % c); bad += 1
sys.exit(1 if bad else 0)
PY
done
