#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreenctl against the real thing: mxscreend with rbldnsd lists (asked
# directly) and unbound for reverse DNS, a dataplane replaying a capture in
# a loop (net_pcap infinite_rx) with the default rules, and the pinned
# enforcement maps when BPF is available. Every command is run; JSON
# output is parsed and checked; Prometheus output is checked line by line
# (check_prom.py); a malformed request gets an error reply and the daemon
# keeps serving; exit statuses 1, 2, 3 and 4; manual verdicts survive a
# restart of the daemon.
# usage: test_ctl_live.sh MXSCREEN_DP MXSCREEND MXSCREENCTL
set -u
DP=$1 D=$2 CTL=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
. "$ROOT/scripts/lib/dnslab.sh"
T=$(mktemp -d)
PIN=/sys/fs/bpf/mxs_ctl_live_$$
cleanup() {
  [ -n "${DPPID:-}" ] && kill "$DPPID" 2>/dev/null
  [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
  dnslab_stop; wait 2>/dev/null; rm -rf "$T" "$PIN"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
PY=/usr/bin/python3
# j JSON_FILE EXPR: evaluate EXPR on the parsed file (d)
j() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
# ctl WANT_STATUS ARGS...: run mxscreenctl, output in $T/out, $T/err
ctl() {
  local want=$1; shift
  "$CTL" -s "$T/ctl.sock" -p "$PIN" "$@" >"$T/out" 2>"$T/err"; local got=$?
  [ "$got" -eq "$want" ] || { bad "mxscreenctl $* -> $got, want $want: $(head -c 600 "$T/err")"; return 1; }
  return 0
}
# check FILE EXPR: EXPR must be True on the parsed JSON file
check() {
  if [ "$(j "$1" "$2" 2>&1)" = True ]; then ok "$2"; else bad "$2 on $(head -c 800 "$1")"; fi
}

printf ':127.0.0.2:Listed by bl, see https://bl.example/$\n127.0.0.2\n100.64.3.3\n100.64.7.7\n' >"$T/bl.zone"
printf ':127.0.0.3:\n127.0.0.2\n198.51.100.10\n' >"$T/wl.zone"
printf ':127.0.1.2:Spam domain\ntest\nspam.example\n' >"$T/dbl.zone"
P1=$(dnslab_port); P2=$(dnslab_port)
dnslab_rbldnsd "$T" "$P1" bl.mxs.example:ip4set:bl.zone wl.mxs.example:ip4set:wl.zone \
  dbl.mxs.example:dnset:dbl.zone
dnslab_unbound "$T" "$P2" '
  local-data-ptr: "198.51.100.10 mail.example.org"
  local-data: "mail.example.org. A 198.51.100.10"
  local-data-ptr: "100.64.3.3 bot.example.net"
  local-data: "bot.example.net. A 192.0.2.99"
  local-zone: "mxs.example." refuse' ""
dnslab_wait "$P1" 3.3.64.100.bl.mxs.example || { echo "FAIL: rbldnsd: $(cat "$T/rbldnsd.log")"; exit 1; }
dnslab_wait "$P2" mail.example.org || { echo "FAIL: unbound: $(cat "$T/unbound.log")"; exit 1; }

BPF=no
if [ "$(id -u)" = 0 ] && mountpoint -q /sys/fs/bpf; then BPF=yes; fi
cat >"$T/mxscreen.conf" <<CONF
dnsbl_sites = bl.mxs.example*4 wl.mxs.example*-3
rhsbl_sites = dbl.mxs.example*2
resolvers = 127.0.0.1:$P2
list_resolvers = 127.0.0.1:$P1
dns_timeout = 1s
anomaly_weights = pregreet:2, pipelining_violation:1, non_smtp_command:2
dataplane_socket = $T/dp.sock
control_socket = $T/ctl.sock
control_group = nogroup
manual_verdicts = $T/manual-verdicts
metrics_listen = 127.0.0.1:$(dnslab_port)
bpf = $BPF
bpf_pin_dir = $PIN
CONF
METRICS=$(sed -n 's/^metrics_listen = //p' "$T/mxscreen.conf")
start_daemon() {
  "$D" -c "$T/mxscreen.conf" 2>>"$T/d.log" &
  DPID=$!
  for _ in $(seq 100); do [ -S "$T/ctl.sock" ] && [ -S "$T/dp.sock" ] && return 0; sleep 0.1; done
  bad "mxscreend did not start: $(cat "$T/d.log")"; exit 1
}
start_daemon
[ "$(stat -c %a:%G "$T/ctl.sock")" = 660:nogroup ] && ok "control socket mode 0660, group control_group" ||
  bad "socket mode and group $(stat -c %a:%G "$T/ctl.sock")"
# A user outside control_group is refused by the kernel (exit 3, one line
# naming the socket); one in it (nobody: nogroup) is served.
if command -v runuser >/dev/null && id daemon >/dev/null 2>&1 && ! id -nG daemon | grep -qw nogroup; then
  chmod 755 "$T"
  runuser -u daemon -- "$CTL" -s "$T/ctl.sock" version >"$T/out" 2>"$T/err"; got=$?
  [ $got -eq 3 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "ctl.sock" "$T/err" &&
    ok "a user outside control_group is refused: $(cat "$T/err")" ||
    bad "user daemon (not in nogroup) -> exit $got: $(cat "$T/err")"
  runuser -u nobody -- "$CTL" -s "$T/ctl.sock" version >"$T/out" 2>"$T/err" &&
    ok "a user in control_group is served" || bad "user nobody (nogroup) refused: $(cat "$T/err")"
fi

# The dataplane replays the demo capture until stopped.
$PY "$ROOT/scripts/demo-pcap" "$T/demo.pcap"
"$DP" --no-huge --no-shconf --no-pci -l 0 --log-level=4 \
  --vdev "net_pcap_ctl0,rx_pcap=$T/demo.pcap,infinite_rx=1" -- \
  --rules "$ROOT/etc/rules" --control "$T/dp.sock" 2>"$T/dp.log" &
DPPID=$!
# Wait for the dataplane's counters and for verdicts.
for _ in $(seq 100); do
  "$CTL" -s "$T/ctl.sock" -p "$PIN" -j stats >"$T/stats.json" 2>/dev/null
  [ "$(j "$T/stats.json" "(d['dataplane'] or {}).get('smtp_connections', 0) > 0 and sum(d['control']['verdicts_issued'].values()) >= 7" 2>/dev/null)" = True ] && break
  sleep 0.1
done

# --- stats
ctl 0 -j stats && cp "$T/out" "$T/stats.json"
check "$T/stats.json" "d['dataplane']['connected'] == 1 and d['dataplane']['packets'] > 0"
check "$T/stats.json" "d['dataplane']['anomalies']['pregreet'] > 0"
check "$T/stats.json" "any(r['id'] >= 1000 and r['hits'] > 0 for r in d['dataplane']['top_rules'])"
check "$T/stats.json" "d['dataplane']['observations_sent'] > 0"
check "$T/stats.json" "{z['zone'] for z in d['control']['zones']} >= {'bl.mxs.example', 'wl.mxs.example', 'dbl.mxs.example'}"
check "$T/stats.json" "[z for z in d['control']['zones'] if z['zone'] == 'bl.mxs.example'][0]['listed'] > 0"
check "$T/stats.json" "d['control']['verdicts_issued']['throttle'] + d['control']['verdicts_issued']['tag'] > 0"
check "$T/stats.json" "d['control']['latency']['count'] > 0 and d['control']['latency']['p99_ms'] >= d['control']['latency']['p50_ms'] > 0"
check "$T/stats.json" "d['control']['dns']['cache_misses'] > 0 and d['control']['dns']['window'] > 0 and 'lost' in d['control']['dns']"
check "$T/stats.json" "all(h['on'] for h in d['control']['health'])"
if [ $BPF = yes ]; then
  check "$T/stats.json" "d['enforcement']['pin_dir'] == '$PIN' and set(d['enforcement']['packets']) == {'none','pass','tag','throttle','drop'}"
fi
ctl 0 stats && grep -qi "zone" "$T/out" && ok "stats as a table" || bad "stats text: $(head -c 400 "$T/out")"
ctl 0 stats --prometheus && cp "$T/out" "$T/prom.txt"
$PY "$HERE/check_prom.py" "$T/prom.txt" && ok "stats --prometheus passes the exposition format checker" ||
  bad "exposition format"
grep -q '^mxscreen_zone_lookups_total{zone="bl.mxs.example",result="listed"} [1-9]' "$T/prom.txt" &&
  ok "per-zone lookup counters exported" || bad "no mxscreen_zone_lookups_total for bl: $(grep zone_lookups "$T/prom.txt" | head -3)"
curl -sf "http://$METRICS/metrics" >"$T/metrics.txt" && $PY "$HERE/check_prom.py" "$T/metrics.txt" &&
  grep -q '^mxscreen_dataplane_packets_total [1-9]' "$T/metrics.txt" && ok "/metrics served on metrics_listen" ||
  bad "/metrics: $(head -c 300 "$T/metrics.txt")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/other")" = 404 ] && ok "/other is 404" || bad "/other not 404"

# --- verdicts
ctl 0 -j verdict list --limit 100 && cp "$T/out" "$T/list.json"
check "$T/list.json" "d['total'] >= 7 and len(d['verdicts']) == d['total']"
check "$T/list.json" "[v['score'] for v in d['verdicts']] == sorted([v['score'] for v in d['verdicts']], reverse=True)"
check "$T/list.json" "[v for v in d['verdicts'] if v['addr'] == '100.64.7.7'][0]['action'] in ('throttle', 'drop') and 'dnsbl' in [v for v in d['verdicts'] if v['addr'] == '100.64.7.7'][0]['reasons']"
ctl 0 -j verdict list --action pass && check "$T/out" "d['verdicts'] and all(v['action'] == 'pass' for v in d['verdicts'])"
ctl 0 verdict list && grep -q "^ADDR  *ACTION  *SCORE" "$T/out" && ok "verdict list as a table" || bad "verdict list text: $(head -3 "$T/out")"
ctl 0 -j verdict get 100.64.7.7 && check "$T/out" "d['verdict']['addr'] == '100.64.7.7' and d['verdict']['source'] == 'policy'"
ctl 1 verdict get 192.0.2.200 && grep -q "192.0.2.200" "$T/err" && ok "missing verdict: exit 1"
ctl 0 -j verdict add 192.0.2.0/24 drop --ttl 600 --reason "ticket 4711" &&
  check "$T/out" "d['verdict']['addr'] == '192.0.2.0/24' and d['verdict']['action'] == 'drop' and d['verdict']['source'] == 'manual' and 590 <= d['verdict']['ttl_s'] <= 600 and d['verdict']['reason'] == 'ticket 4711'"
ctl 0 -j verdict get 192.0.2.99 && check "$T/out" "d['verdict']['addr'] == '192.0.2.0/24'"
ctl 0 -j verdict add 100.64.3.3 pass --reason "known relay" &&
  check "$T/out" "d['verdict']['ttl_s'] is None and d['verdict']['source'] == 'manual'"
if [ $BPF = yes ]; then
  bpftool -j map dump pinned "$PIN/static_cidrs" >"$T/cidrs.json" 2>&1
  check "$T/cidrs.json" "any(e['formatted']['key']['prefixlen'] == 56 and e['formatted']['key']['addr'][:4] == [192,0,2,0] and e['formatted']['value']['action'] == 4 for e in d)"
  bpftool -j map lookup pinned "$PIN/verdicts" key hex 04 20 00 00 64 40 03 03 00 00 00 00 00 00 00 00 00 00 00 00 >"$T/v.json" 2>&1
  check "$T/v.json" "d['formatted']['value']['action'] == 1 and d['formatted']['value']['expiry_ns'] == 2**64 - 1"
fi
ctl 2 verdict add 192.0.2.1/24 drop && grep -q "192.0.2.0/24" "$T/err" && ok "host bits set: exit 2 naming the network"
ctl 2 verdict add 192.0.2.1 obliterate && ok "bad action: exit 2"
ctl 2 verdict add 300.1.1.1 drop && ok "bad address: exit 2"
# The policy never overwrites the manual pass: the replay keeps deciding.
sleep 1.5
ctl 0 -j verdict get 100.64.3.3 && check "$T/out" "d['verdict']['action'] == 'pass' and d['verdict']['source'] == 'manual'"
ctl 0 -j stats && check "$T/out" "d['control']['manual_overrides'] > 0"
ctl 0 -j verdict list --source manual && check "$T/out" "sorted(v['addr'] for v in d['verdicts']) == ['100.64.3.3', '192.0.2.0/24']"

# --- manual verdicts survive a restart
kill -TERM $DPID; wait $DPID; DPID=
start_daemon
ctl 0 -j verdict list --source manual && check "$T/out" "sorted(v['addr'] for v in d['verdicts']) == ['100.64.3.3', '192.0.2.0/24']"
grep -q "2 manual verdicts restored" "$T/d.log" && ok "restart restored the manual verdicts" || bad "no restore line: $(cat "$T/d.log")"
ctl 0 -j verdict del 192.0.2.0/24 && check "$T/out" "d['removed']['addr'] == '192.0.2.0/24'"
ctl 1 verdict del 192.0.2.0/24 && ok "deleting it again: exit 1"
if [ $BPF = yes ]; then
  bpftool -j map dump pinned "$PIN/static_cidrs" >"$T/cidrs.json" 2>&1
  check "$T/cidrs.json" "not any(e['formatted']['key']['addr'][:3] == [192,0,2] for e in d)"
fi
grep -q "192.0.2.0/24" "$T/manual-verdicts" && bad "manual_verdicts still lists the /24" || ok "manual_verdicts rewritten"

# --- explain: fresh lookups, every weight, the PTR chain
for _ in $(seq 50); do [ -S "$T/dp.sock" ] && ctl 0 -j stats && [ "$(j "$T/out" "d['dataplane'] is not None")" = True ] && break; sleep 0.2; done
ctl 0 -j explain 100.64.7.7 --helo spam.example --mail-from "a@spam.example" && cp "$T/out" "$T/explain.json"
check "$T/explain.json" "[z for z in d['zones'] if z['zone'] == 'bl.mxs.example'][0]['state'] == 'listed'"
check "$T/explain.json" "[z for z in d['zones'] if z['zone'] == 'bl.mxs.example'][0]['a'] == ['127.0.0.2']"
check "$T/explain.json" "'Listed by bl' in [z for z in d['zones'] if z['zone'] == 'bl.mxs.example'][0]['txt']"
check "$T/explain.json" "[z for z in d['zones'] if z['zone'] == 'dbl.mxs.example' and z['kind'] == 'rhsbl_helo'][0]['state'] == 'listed'"
check "$T/explain.json" "sum(w['weight'] for w in d['weights']) == d['score'] and d['score'] >= 8"
check "$T/explain.json" "d['action'] == 'drop' and d['fcrdns'] == 'no_ptr'"
ctl 0 -j explain 198.51.100.10 && cp "$T/out" "$T/explain2.json"
check "$T/explain2.json" "d['ptr'][0]['name'] == 'mail.example.org' and d['ptr'][0]['confirmed'] and d['ptr'][0]['forward'] == ['198.51.100.10']"
check "$T/explain2.json" "d['fcrdns'] == 'pass' and [z for z in d['zones'] if z['zone'] == 'wl.mxs.example'][0]['kind'] == 'dnswl' and d['score'] < 0"
ctl 0 -j explain 100.64.3.3 && check "$T/out" "d['ptr'][0]['name'] == 'bot.example.net' and not d['ptr'][0]['confirmed'] and d['fcrdns'] == 'fail' and d['current']['source'] == 'manual'"
ctl 0 explain 100.64.7.7 && grep -q "bl.mxs.example" "$T/out" && ok "explain as text"
ctl 2 explain not-an-address && ok "explain of a non-address: exit 2"

# --- rules
ctl 0 -j rules stats && check "$T/out" "d['rules_loaded'] > 0 and d['rules'] and d['rules'][0]['hits'] >= d['rules'][-1]['hits']"
ctl 0 -j rules reload && check "$T/out" "d['dataplanes'][0]['result'] == 'ok' and d['dataplanes'][0]['rules_loaded'] > 0"
ctl 0 -j stats && check "$T/out" "d['dataplane']['rules_reload_ok'] >= 1"

# --- top
ctl 0 -j top --by score --limit 3 && check "$T/out" "len(d['addresses']) == 3 and d['addresses'][0]['score'] >= d['addresses'][2]['score']"
if [ $BPF = yes ]; then
  ctl 0 -j top --by drops && check "$T/out" "d['by'] == 'drops' and isinstance(d['addresses'], list)"
fi
ctl 2 top --by colour && ok "top --by colour: exit 2"

# --- flush (the replay stops first, or it would decide again at once)
kill -TERM $DPPID; wait $DPPID; DPPID=
# ...and until what it sent last has been decided: no lookup in flight and
# the observation count still (two looks 0.2 s apart).
prev=
for _ in $(seq 50); do
  "$CTL" -s "$T/ctl.sock" -j stats >"$T/q.json" 2>/dev/null
  cur=$(j "$T/q.json" "(d['control']['observations'], d['control']['lookups']['active'])")
  [ "$cur" = "$prev" ] && [ "${cur##*, }" = "0)" ] && break
  prev=$cur; sleep 0.2
done
ctl 0 -j verdict flush --action pass && check "$T/out" "d['removed'] >= 1"
ctl 0 -j verdict list --action pass && check "$T/out" "d['total'] == 0"

# --- malformed requests: an error reply, and the daemon keeps serving
$PY - "$T/ctl.sock" >"$T/raw.txt" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'this is not json\n{"cmd":"nope"}\n[1,2]\n{"cmd":"verdict.get"}\n{"cmd":"version","id":42}\n'
          b'{"cmd":"explain","addr":"198.51.100.10","id":"e-1"}\n{"cmd":"version","id":[1]}\n')
s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")
PY
$PY - "$T/raw.txt" <<'PY' && ok "malformed requests answered in order, the connection kept" || bad "raw replies: $(cat "$T/raw.txt")"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["ok"] for x in r] == [False, False, False, False, True, True, True], r
assert all(x["status"] == "bad_request" for x in r[:4]), r
assert r[4]["id"] == 42 and r[4]["version"], r
assert r[5]["id"] == "e-1" and r[5]["addr"] == "198.51.100.10", r   # answered later, in order
assert r[6]["id"] is None, r
PY
head -c 70000 /dev/zero | tr '\0' 'x' | $PY -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.makefile().read(), end='')" "$T/ctl.sock" >"$T/long.txt" 2>/dev/null
grep -q '"bad_request"' "$T/long.txt" && ok "an over-long line is refused" || bad "long line: $(head -c 200 "$T/long.txt")"
ctl 0 version && ok "the daemon still serves"

# --- usage and unreachable
ctl 2 frobnicate && ok "unknown command: exit 2"
kill -TERM $DPID; wait $DPID; DPID=
ctl 3 version && grep -q "$T/ctl.sock" "$T/err" && ok "daemon down: exit 3 naming the socket"
if [ $BPF = yes ]; then
  ctl 3 -j stats; $PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['enforcement']['pin_dir']" "$T/out" &&
    ok "stats with the daemon down still shows enforcement from the pins" || bad "stats down: $(head -c 300 "$T/out")"
fi
exit $fail
