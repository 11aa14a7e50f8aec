#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreend against a DNS list that misbehaves (hostile_dns.py: garbage,
# answers under another query ID, truncated answers with no TCP, answers
# past the timeout, 127.255.255.x, then no answers at all, then answers
# again). mxscreen-dp replays one session per client into the daemon.
# Checks: no client is dropped on a bad answer, only the one the list
# really lists; the failures are counted (errors, timeouts); while the
# list is silent a listed client is not blamed and the zone's health
# probe switches it off; when the list answers again the probe switches
# it back on and a listed client is dropped again.
# usage: test_dns_hostile.sh MXSCREEN_DP MXSCREEND
set -u
DP=$1
D=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
PY=/usr/bin/python3
. "$ROOT/scripts/lib/dnslab.sh"
T=$(mktemp -d)
HPID= DPID=
fail=0
cleanup() {
  for p in $DPID $HPID; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

PORT=$(dnslab_port)
$PY "$HERE/hostile_dns.py" "$PORT" "$T/stop" &
HPID=$!
cat >"$T/m.conf" <<CONF
dnsbl_sites = hostile.test*8
list_resolvers = 127.0.0.1:$PORT
resolvers = 127.0.0.1:$(dnslab_port)
dns_timeout = 500ms
no_ptr_weight = 0
fcrdns_weight = 0
anomaly_weights =
health_interval = 1s
verdict_log = $T/v.ndjson
dataplane_socket = $T/dp.sock
control_socket = $T/ctl.sock
CONF
"$D" -c "$T/m.conf" 2>"$T/d.log" &
DPID=$!
for _ in $(seq 100); do [ -S "$T/ctl.sock" ] && break; sleep 0.1; done
[ -S "$T/ctl.sock" ] || { echo "FAIL: mxscreend did not start: $(cat "$T/d.log")"; exit 1; }

# replay OCTET...: one SMTP session from 100.64.0.OCTET each, into mxscreend
replay() {
  $PY - "$ROOT/scripts/lib" "$T/c.pcap" "$@" <<'PY' || return 1
import sys
sys.path.insert(0, sys.argv[1])
from smtp_pcap import Pcap, Conn
p = Pcap(sys.argv[2])
for d in sys.argv[3:]:
    c = Conn(p, "100.64.0.%s" % d, 40000 + int(d), "192.0.2.25", 25)
    c.handshake()
    c.server("220 mx.example ESMTP\r\n")
    c.client("EHLO c%s.example\r\n" % d)
    c.server("250 mx.example\r\n")
    c.client("QUIT\r\n")
    c.server("221 bye\r\n")
    c.close()
p.close()
PY
  "$DP" --pcap "$T/c.pcap" --control "$T/dp.sock" >/dev/null 2>>"$T/dp.log" ||
    { bad "replay: $(tail -n 3 "$T/dp.log")"; return 1; }
}
# action OCTET: the verdict log's last word on 100.64.0.OCTET ("" none)
action() {
  $PY -c '
import json, sys
a = ""
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["src_ip"] == sys.argv[2]:
        a = r["action"]
print(a)' "$T/v.ndjson" "100.64.0.$1" 2>/dev/null
}
# wait_for OCTET...: until each has a verdict (20 s)
wait_for() {
  local o n
  for n in $(seq 200); do
    for o in "$@"; do
      [ -n "$(action "$o")" ] || { sleep 0.1; continue 2; }
    done
    return 0
  done
  return 1
}
# stat EXPR: a Python expression over the stats reply (d), printed
stat() {
  $PY - "$T/ctl.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"stats"}\n')
buf = b""
while not buf.endswith(b"\n"):
    buf += s.recv(65536)
d = json.loads(buf)
z = [x for x in d["control"]["zones"] if x["zone"] == "hostile.test"][0]
h = [x for x in d["control"]["health"] if x["zone"] == "hostile.test"][0]
print(eval(sys.argv[2]))
PY
}

# ---- a misbehaving list (once its health probe has passed)
for _ in $(seq 100); do [ "$(stat 'h["probes"] > 0 and h["on"]')" = True ] && break; sleep 0.1; done
replay 1 2 3 4 5 6 7
wait_for 1 2 3 4 5 6 7 || bad "no verdict for every client: $(cat "$T/v.ndjson")"
what=([1]="garbage" [2]="another query ID" [3]="truncated, no TCP" [4]="3 s late"
      [5]="127.255.255.254" [7]="NXDOMAIN")
for o in 1 2 3 4 5 7; do
  a=$(action $o)
  [ "$a" != drop ] && ok "100.64.0.$o (${what[$o]}): $a" || bad "100.64.0.$o (${what[$o]}) dropped"
done
[ "$(action 6)" = drop ] && ok "100.64.0.6, really listed: drop" || bad "100.64.0.6: $(action 6), want drop"
e=$(stat 'z["error"] + z["timeout"]')
[ "$e" -ge 4 ] && ok "failures counted: $(stat '"error %d, timeout %d, listed %d, not_listed %d" % (z["error"], z["timeout"], z["listed"], z["not_listed"])')" ||
  bad "only $e errors and timeouts counted"

# ---- the list stops answering
touch "$T/stop"
replay 20
wait_for 20 || bad "no verdict for 100.64.0.20 while the list is silent"
a=$(action 20)
[ "$a" != drop ] && ok "list silent: listed 100.64.0.20 not blamed ($a)" || bad "100.64.0.20 dropped on no answer"
for _ in $(seq 100); do [ "$(stat 'h["on"]')" = False ] && break; sleep 0.1; done
[ "$(stat 'h["on"]')" = False ] && ok "list silent: the health probe switched the zone off" ||
  bad "zone still on while its list is silent"

# ---- it answers again
rm -f "$T/stop"
for _ in $(seq 100); do [ "$(stat 'h["on"]')" = True ] && break; sleep 0.1; done
[ "$(stat 'h["on"]')" = True ] && ok "list back: the health probe switched the zone on" ||
  bad "zone not back on after its list recovered: $(grep -i health "$T/d.log" | tail -n 2)"
replay 21
wait_for 21 || bad "no verdict for 100.64.0.21 after recovery"
[ "$(action 21)" = drop ] && ok "list back: listed 100.64.0.21 dropped again" ||
  bad "100.64.0.21: $(action 21) after recovery, want drop"
kill -0 "$DPID" 2>/dev/null || bad "mxscreend died: $(tail -n 3 "$T/d.log")"
exit $fail
