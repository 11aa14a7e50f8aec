#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreenctl against a fake mxscreend: a python server on a temp socket
# answering canned responses per cmd (docs/control-protocol.md), logging
# the requests it got. Checks exit statuses (0 ok, 1 not found, 2 usage
# and bad_request, 3 unreachable or hung up, 4 failed or no answer in
# time), that errors are one line on stderr starting "mxscreenctl: ", that
# -j output parses and has the members, that text output has the tables'
# headers, that the requests carry the checked arguments, that
# --prometheus passes the exposition format checker (check_prom.py), and
# that `stats` with the daemon down prints the enforcement counters from
# pinned maps and exits 3 (a real pin dir when pinned, else a private
# bpffs with a stats map made by bpftool; skipped when neither can be had).
# usage: test_ctl.sh MXSCREENCTL
set -u
CTL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skipped: $PY not installed"; exit 77; }
T=$(mktemp -d)
SRV=
cleanup() {
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
SOCK=$T/control.sock

# ---- the fake daemon ----
cat >"$T/fake.py" <<'EOF'
import json, os, socket, sys, threading, time

sock_path, log_path = sys.argv[1], sys.argv[2]
V1 = {"addr": "192.0.2.1", "action": "drop", "would_be": "drop", "shadow": False,
      "score": 12, "reasons": ["dnsbl", "no_ptr"], "reason": "dnsbl:bl.example,no_ptr",
      "source": "policy", "created_unix": 1796000000, "updated_unix": 1796000100,
      "updates": 3, "expires_unix": 1796003700, "ttl_s": 3720}
V2 = {"addr": "198.51.100.0/24", "action": "pass", "would_be": "throttle", "shadow": True,
      "score": 5, "reasons": ["manual"], "reason": "ticket \"4711\"\n",
      "source": "manual", "created_unix": 1796000000, "updated_unix": 1796000000,
      "updates": 1, "expires_unix": None, "ttl_s": None, "new_member": 1}
STATS = {
  "dataplane": {"connected": 1, "packets": 1000, "bytes": 123456, "flows_created": 40,
    "flows_active": 3, "flows_evicted": 1, "smtp_connections": 30, "records_dropped": 0,
    "observations_queued": 30, "observations_sent": 29, "observations_dropped": 1,
    "verdicts_received": 12, "rules_scanned": 90, "rules_loaded": 17,
    "rules_reload_ok": 2, "rules_reload_failed": 0, "reload_error": None,
    "anomalies": {"helo_bare_ip": 4, "pipelining_violation": 0, "line_too_long": 9},
    "top_rules": [{"id": 7, "field": "helo", "score": 3, "hits": 11, "msg": "dynamic helo"}]},
  "control": {"uptime_s": 93720, "observations": 29, "observations_dropped": 0,
    "config_reloads_failed": 0,
    "lookups": {"submitted": 20, "completed": 19, "active": 1},
    "zones": [{"zone": "bl.example", "kind": "ip", "local": False, "enabled": True,
               "listed": 12, "not_listed": 5, "error": 1, "timeout": 2},
              {"zone": "we\\ird\"zone\nx", "kind": "domain", "local": True, "enabled": False,
               "listed": 1, "not_listed": 0, "error": 0, "timeout": 0}],
    "dns": {"queries": 50, "sent": 40, "merged": 5, "cache_hits": 5, "cache_misses": 45,
            "inflight": 2, "queued": 0, "errors": 1, "timeouts": 2},
    "health": [{"zone": "bl.example", "on": True, "probes": 8, "switched_off": 1, "why": None}],
    "verdicts_issued": {"pass": 5, "tag": 4, "throttle": 2, "drop": 1},
    "verdicts_current": {"pass": 3, "tag": 2, "throttle": 1, "drop": 1},
    "manual_overrides": 0,
    "latency": {"count": 19, "sum_s": 0.75, "p50_ms": 1.25, "p90_ms": 80, "p99_ms": 250.5,
                "buckets": [{"le_s": 0.001, "count": 0}, {"le_s": 0.01, "count": 3},
                            {"le_s": 0.1, "count": 15}, {"le_s": 1, "count": 19}]}},
  "enforcement": None, "enforcement_error": "/sys/fs/bpf/mxscreen/stats: not pinned"}
EXPLAIN = {"addr": "192.0.2.1",
  "zones": [{"zone": "bl.example", "kind": "dnsbl", "query": "1.2.0.192.bl.example",
             "state": "listed", "a": ["127.0.0.2", "127.0.0.4"], "txt": "listed since 2020",
             "error": None, "weight": 5},
            {"zone": "wl.example", "kind": "dnswl", "query": "1.2.0.192.wl.example",
             "state": "error", "a": [], "txt": None, "error": "timeout", "weight": -5}],
  "ptr": [{"name": "mail.example.com", "forward": ["192.0.2.1"], "confirmed": True}],
  "fcrdns": "pass", "ptr_error": None,
  "weights": [{"reason": "dnsbl:bl.example", "weight": 5}],
  "score": 5, "action": "tag", "would_be": "tag", "shadow": False,
  "thresholds": {"tag": 3, "throttle": 6, "drop": 8}, "current": V1}
reloads = [0]

def answer(req):
    cmd = req.get("cmd")
    ok = lambda **kw: dict(ok=True, **kw)
    err = lambda st, msg: {"ok": False, "status": st, "error": msg}
    if cmd == "stats":
        return ok(**STATS)
    if cmd == "verdict.list":
        if req.get("action") == "tag":
            return ok(total=0, verdicts=[])
        return ok(total=2, verdicts=[V1, V2])
    if cmd == "verdict.get":
        if req.get("addr") == "192.0.2.1":
            return ok(verdict=V1)
        return err("not_found", "no verdict for %s" % req.get("addr"))
    if cmd == "verdict.add":
        if req.get("reason") == "fail":
            return err("failed", "the verdict table is full of manual verdicts")
        if req.get("addr") == "192.0.2.250":
            return err("bad_request", "192.0.2.250: refused")
        v = dict(V2, addr=req["addr"], action=req["action"], would_be=req["action"],
                 shadow=False, reason=req.get("reason", ""))
        return ok(verdict=v)
    if cmd == "verdict.del":
        if req.get("addr") == "198.51.100.0/24":
            return ok(removed=V2)
        return err("not_found", "no verdict for %s" % req.get("addr"))
    if cmd == "verdict.flush":
        return ok(removed=3)
    if cmd == "explain":
        if req.get("addr") == "192.0.2.66":
            return "hangup"
        if req.get("addr") == "192.0.2.77":
            time.sleep(3)
        return ok(**EXPLAIN)
    if cmd == "rules.reload":
        reloads[0] += 1
        dps = [{"pid": 4242, "result": "ok", "rules_loaded": 17, "error": None}]
        if reloads[0] == 1:
            return ok(dataplanes=dps)
        dps.append({"pid": 4243, "result": "failed", "rules_loaded": 17,
                    "error": "rules.txt:3: unknown field"})
        return dict(err("failed", "a dataplane failed to reload"), dataplanes=dps)
    if cmd == "rules.stats":
        return ok(rules_loaded=17, rules=[{"id": 7, "field": "helo", "score": 3, "hits": 11,
                                           "msg": "dynamic helo"}])
    if cmd == "top":
        return ok(by=req.get("by", "score"), addresses=[
            {"addr": "192.0.2.1", "action": "drop", "score": 12, "hits": None,
             "reason": "dnsbl:bl.example", "source": "policy", "ttl_s": 3720}])
    if cmd == "version":
        return ok(version="0.1.0", pid=os.getpid(), config="/etc/mxscreen/mxscreen.conf")
    return err("bad_request", "unknown command '%s'" % cmd)

def serve(conn):
    f = conn.makefile("rb")
    for line in f:
        with open(log_path, "a") as log:
            log.write(line.decode())
        try:
            req = json.loads(line)
            a = answer(req)
        except ValueError:
            a = {"ok": False, "status": "bad_request", "error": "not JSON"}
        if a == "hangup":
            break
        conn.sendall((json.dumps(a) + "\n").encode())
    conn.close()

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

# $1 = the expected exit status, the rest a command; stdout in $T/out,
# stderr in $T/err.
expect() {
  local want=$1 rc; shift
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  [ "$rc" -eq "$want" ] || bad "$* exited $rc, want $want: $(head -c 400 "$T/err")"
  return 0
}
# A failure is one line on stderr starting "mxscreenctl: ".
one_line_error() {
  [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^mxscreenctl: ' "$T/err" ||
    bad "$1: stderr is not one 'mxscreenctl: ' line: $(head -c 400 "$T/err")"
}
json_ok() {  # $1 what, $2 a python expression on d
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2, d" "$T/out" 2>"$T/pyerr" ||
    bad "$1: JSON output: $(tail -1 "$T/pyerr") in $(head -c 300 "$T/out")"
}
has() {  # $1 what, then fixed strings stdout must hold
  local what=$1 s; shift
  for s in "$@"; do grep -qF -- "$s" "$T/out" || bad "$what: no '$s' in: $(head -c 600 "$T/out")"; done
}
last_req() {  # the last request must match the python expression on r
  tail -1 "$T/req.log" | "$PY" -c "import json,sys; r=json.loads(sys.stdin.read()); assert $1, r" 2>"$T/pyerr" ||
    bad "request: $(tail -1 "$T/pyerr")"
}

# ---- usage and local checks (no daemon needed) ----
expect 2 "$CTL"; grep -q '^usage: mxscreenctl' "$T/err" || bad "no usage without a command"
expect 2 "$CTL" -s "$SOCK" frobnicate; grep -q '^usage:' "$T/err" || bad "no usage for an unknown command"
grep -q "^mxscreenctl: unknown command 'frobnicate'" "$T/err" || bad "unknown command not named"
expect 2 "$CTL" --bogus version
expect 2 "$CTL" -t 0 version
expect 2 "$CTL" -t abc version
expect 0 "$CTL" -h; grep -q '^usage:' "$T/out" || bad "-h: no usage on stdout"
for args in "verdict" "verdict frob" "verdict list --bogus" "verdict list --action block" \
    "verdict list --source x" "verdict list --limit 0" "verdict list --limit 100001" \
    "verdict list --limit 5x" "verdict get" "verdict get 192.0.2.300" "verdict get a b" \
    "verdict add 192.0.2.1" "verdict add 192.0.2.1 dorp" "verdict add 192.0.2.1/33 drop" \
    "verdict add 2001:db8::/129 drop" "verdict add 192.0.2.1 drop --ttl -5" \
    "verdict add 192.0.2.1 drop --ttl 3x" "verdict add 192.0.2.1 drop --ttl 99999999999" \
    "verdict del" "verdict flush --action none" "explain" "explain 192.0.2.0/24" \
    "explain mail.example" "rules" "rules frob" "rules stats --limit x" "top --by size" \
    "top --limit -1" "stats --json" "version extra" "verdict add 192.0.2.1 drop --ttl"; do
  # shellcheck disable=SC2086
  expect 2 "$CTL" -s "$SOCK" $args
  [ -s "$T/err" ] && grep -q '^mxscreenctl: ' "$T/err" || bad "$args: no 'mxscreenctl: ' error"
done
expect 2 "$CTL" -s "$SOCK" verdict add 192.0.2.1 drop --ttl 3600 --reason
# A bad config: exit 2 with its one-line error.
echo "no_such_key = 1" >"$T/bad.conf"
expect 2 "$CTL" -c "$T/bad.conf" version; one_line_error "bad config"
grep -q "bad.conf:1" "$T/err" || bad "bad config: no FILE:LINE: $(cat "$T/err")"
expect 2 "$CTL" -c "$T/none.conf" version; one_line_error "missing config"

# ---- daemon unreachable ----
expect 3 "$CTL" -s "$SOCK" version; one_line_error "unreachable"
grep -qx "mxscreenctl: cannot connect to $SOCK: No such file or directory (is mxscreend running?)" "$T/err" ||
  bad "unreachable: $(cat "$T/err")"
expect 3 "$CTL" -s "$T/$(printf 'x%.0s' $(seq 120))" version; one_line_error "long socket path"
# stats without a daemon and without pins: exit 3, the one line, no output.
expect 3 "$CTL" -s "$SOCK" -p "$T/nopins" stats; one_line_error "stats, nothing pinned"
[ -s "$T/out" ] && bad "stats without daemon or pins printed: $(cat "$T/out")"

# ---- against the fake daemon ----
"$PY" "$T/fake.py" "$SOCK" "$T/req.log" &
SRV=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: the fake daemon did not start"; exit 1; }

# stats: text sections and tables, JSON, Prometheus.
expect 0 "$CTL" -s "$SOCK" stats
last_req 'r == {"cmd": "stats"}'
has "stats text" "dataplane:" "control:" "uptime:" "1d02h" "zones:" "ZONE" "KIND" "LOCAL" "ON" \
  "NOT_LISTED" "TIMEOUT" "ERROR" "bl.example" "anomalies:" "line_too_long" "top_rules:" \
  "ACTION" "ISSUED" "CURRENT" "latency:" "p50:" "1.25 ms" "p99:" "250.5 ms" \
  "enforcement: none (/sys/fs/bpf/mxscreen/stats: not pinned)" "health:" "SWITCHED_OFF"
grep -q "pipelining_violation" "$T/out" && bad "stats text shows anomalies never seen"
grep -qF 'we\ird"zone?x' "$T/out" || bad "stats text: control characters not made safe"
expect 0 "$CTL" -s "$SOCK" -j stats
json_ok "stats -j" 'd["dataplane"]["packets"] == 1000 and d["control"]["zones"][0]["zone"] == "bl.example" and d["control"]["zones"][1]["zone"] == "we\\ird\"zone\nx" and len(d["control"]["latency"]["buckets"]) == 4 and d["control"]["latency"]["sum_s"] == 0.75 and d["enforcement"] is None and d["enforcement_error"].endswith("not pinned") and d["dataplane"]["anomalies"]["pipelining_violation"] == 0 and d["control"]["verdicts_issued"]["drop"] == 1 and d["control"]["manual_overrides"] == 0 and "ok" not in d'
expect 0 "$CTL" -s "$SOCK" stats --prometheus
"$PY" "$HERE/check_prom.py" "$T/out" || bad "stats --prometheus fails the format checker"
has "prometheus" 'mxscreen_zone_lookups_total{zone="bl.example",result="listed"} 12' \
  'mxscreen_zone_lookups_total{zone="we\\ird\"zone\nx",result="listed"} 1' \
  'mxscreen_lookup_latency_seconds_bucket{le="+Inf"} 19' 'mxscreen_dataplane_packets_total 1000' \
  '# TYPE mxscreen_verdicts_current gauge'
# -j with --prometheus: the exposition text still.
expect 0 "$CTL" -j -s "$SOCK" stats --prometheus
grep -q '^# TYPE' "$T/out" || bad "-j stats --prometheus is not exposition text"

# verdict list
expect 0 "$CTL" -s "$SOCK" verdict list --action drop --source policy --limit 10
last_req 'r == {"cmd": "verdict.list", "action": "drop", "source": "policy", "limit": 10}'
has "verdict list" "total:" "ADDR" "ACTION" "SCORE" "SOURCE" "TTL" "REASON" "192.0.2.1" \
  "1h02m" "never" "pass (would throttle)" 'ticket "4711"?'
head -1 "$T/out" | grep -q '^total: *2$' || bad "verdict list: first line $(head -1 "$T/out")"
expect 0 "$CTL" -s "$SOCK" -j verdict list
last_req 'r == {"cmd": "verdict.list"}'
json_ok "verdict list -j" 'd["total"] == 2 and len(d["verdicts"]) == 2 and d["verdicts"][0]["reasons"] == ["dnsbl", "no_ptr"] and d["verdicts"][1]["ttl_s"] is None and d["verdicts"][1]["new_member"] == 1 and d["verdicts"][0]["created_unix"] == 1796000000'
expect 0 "$CTL" -s "$SOCK" verdict list --action tag
has "empty verdict list" "(none)"

# verdict get
expect 0 "$CTL" -s "$SOCK" verdict get 192.0.2.1
has "verdict get" "addr:" "192.0.2.1" "reasons:" "dnsbl, no_ptr" "created:" "ttl:" "1h02m"
grep -q "^verdict" "$T/out" && bad "verdict get: a 'verdict:' header in text"
expect 0 "$CTL" -s "$SOCK" -j verdict get 192.0.2.1
json_ok "verdict get -j" 'd["verdict"]["addr"] == "192.0.2.1" and d["verdict"]["score"] == 12'
expect 1 "$CTL" -s "$SOCK" verdict get 192.0.2.9; one_line_error "not found"
grep -qx "mxscreenctl: no verdict for 192.0.2.9" "$T/err" || bad "not found: $(cat "$T/err")"
expect 1 "$CTL" -s "$SOCK" verdict get 2001:db8::/64
last_req 'r == {"cmd": "verdict.get", "addr": "2001:db8::/64"}'

# verdict add / del / flush
expect 0 "$CTL" -s "$SOCK" verdict add 198.51.100.0/24 drop --ttl 2h --reason "ticket 1"
last_req 'r == {"cmd": "verdict.add", "addr": "198.51.100.0/24", "action": "drop", "ttl": 7200, "reason": "ticket 1"}'
has "verdict add" "198.51.100.0/24" "drop" "ticket 1"
expect 0 "$CTL" -s "$SOCK" verdict add 192.0.2.5 tag
last_req 'r == {"cmd": "verdict.add", "addr": "192.0.2.5", "action": "tag"}'
expect 0 "$CTL" -s "$SOCK" verdict add 192.0.2.5 tag --ttl 0
last_req 'r["ttl"] == 0'
expect 4 "$CTL" -s "$SOCK" verdict add 192.0.2.5 drop --reason fail; one_line_error "failed"
[ -s "$T/out" ] && bad "failed add printed: $(cat "$T/out")"
expect 2 "$CTL" -s "$SOCK" verdict add 192.0.2.250 drop; one_line_error "bad_request"
expect 0 "$CTL" -s "$SOCK" verdict del 198.51.100.0/24
has "verdict del" "removed:" "198.51.100.0/24"
expect 0 "$CTL" -s "$SOCK" -j verdict del 198.51.100.0/24
json_ok "verdict del -j" 'd["removed"]["addr"] == "198.51.100.0/24"'
expect 1 "$CTL" -s "$SOCK" verdict del 192.0.2.9; one_line_error "del not found"
expect 0 "$CTL" -s "$SOCK" verdict flush --action throttle
last_req 'r == {"cmd": "verdict.flush", "action": "throttle"}'
grep -q "^removed: *3$" "$T/out" || bad "flush: $(cat "$T/out")"
expect 0 "$CTL" -s "$SOCK" -j verdict flush
json_ok "flush -j" 'd == {"removed": 3}'

# explain: tables; a hang-up is exit 3, no answer in time exit 4.
expect 0 "$CTL" -s "$SOCK" explain 192.0.2.1 --helo mx.example.com --mail-from a@example.com
last_req 'r == {"cmd": "explain", "addr": "192.0.2.1", "helo": "mx.example.com", "mail_from": "a@example.com"}'
has "explain" "zones:" "ZONE" "STATE" "WEIGHT" "127.0.0.2,127.0.0.4" "ptr:" "CONFIRMED" \
  "mail.example.com" "weights:" "fcrdns:" "thresholds:" "current:" "score:"
expect 0 "$CTL" -s "$SOCK" -j explain 2001:db8::1
json_ok "explain -j" 'd["zones"][0]["query"] == "1.2.0.192.bl.example" and d["current"]["addr"] == "192.0.2.1" and d["thresholds"]["drop"] == 8'
expect 0 "$CTL" -s "$SOCK" explain 192.0.2.1 --mail-from ""
last_req 'r["mail_from"] == ""'
expect 3 "$CTL" -s "$SOCK" explain 192.0.2.66; one_line_error "hang-up"
grep -q "hung up" "$T/err" || bad "hang-up: $(cat "$T/err")"
expect 4 "$CTL" -s "$SOCK" -t 1 explain 192.0.2.77; one_line_error "timeout"
grep -q "within 1 s" "$T/err" || bad "timeout: $(cat "$T/err")"

# rules: a failed reload shows its dataplanes, then fails.
expect 0 "$CTL" -s "$SOCK" rules reload
has "rules reload" "PID" "RESULT" "RULES_LOADED" "4242"
expect 4 "$CTL" -s "$SOCK" rules reload; one_line_error "failed reload"
has "failed rules reload" "4243" "rules.txt:3: unknown field"
expect 0 "$CTL" -s "$SOCK" -j rules stats --limit 5
last_req 'r == {"cmd": "rules.stats", "limit": 5}'
json_ok "rules stats -j" 'd["rules_loaded"] == 17 and d["rules"][0]["id"] == 7'
expect 0 "$CTL" -s "$SOCK" rules stats
has "rules stats" "rules_loaded:" "ID" "FIELD" "HITS" "MSG" "dynamic helo"

# top, version
expect 0 "$CTL" -s "$SOCK" top --by drops --limit 3
last_req 'r == {"cmd": "top", "by": "drops", "limit": 3}'
has "top" "by:" "ADDR" "HITS" "TTL" "192.0.2.1"
expect 0 "$CTL" -s "$SOCK" -j top
json_ok "top -j" 'd["by"] == "score" and d["addresses"][0]["hits"] is None'
expect 0 "$CTL" -s "$SOCK" version
has "version" "client_version:" "version:" "pid:" "config:"
expect 0 "$CTL" -s "$SOCK" -j version
json_ok "version -j" 'd["version"] == "0.1.0" and isinstance(d["pid"], int) and "client_version" in d'
# -c: the socket from the config; -s still wins.
printf 'control_socket = %s\nbpf_pin_dir = %s/pins\n' "$SOCK" "$T" >"$T/ok.conf"
expect 0 "$CTL" -c "$T/ok.conf" version
expect 3 "$CTL" -c "$T/ok.conf" -s "$T/other.sock" version
# A response that is not the protocol's: exit 4.
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=; rm -f "$SOCK"
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
for _ in range(2):
    c, _ = s.accept(); c.recv(65536); c.sendall(b"[1,2]\n" if _ == 0 else b"{\"ok\":tru\n"); c.close()
' "$SOCK" &
SRV=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
expect 4 "$CTL" -s "$SOCK" version; one_line_error "not an object"
expect 4 "$CTL" -s "$SOCK" version; one_line_error "not JSON"
wait "$SRV" 2>/dev/null; SRV=; rm -f "$SOCK"

# ---- stats with the daemon down, from the pins ----
check_pinned() {  # $1 pin dir, $2 expected drop packets (or "")
  expect 3 "$CTL" -s "$SOCK" -p "$1" stats
  grep -qx "mxscreenctl: cannot connect to $SOCK: No such file or directory (is mxscreend running?)" "$T/err" ||
    bad "pinned stats: error line: $(cat "$T/err")"
  has "pinned stats" "enforcement:" "pin_dir:" "$1" "PACKETS" "BYTES" "syn_throttled:"
  grep -q "^dataplane\|^control" "$T/out" && bad "pinned stats show daemon sections"
  expect 3 "$CTL" -s "$SOCK" -p "$1" -j stats
  json_ok "pinned stats -j" 'list(d) == ["enforcement"] and set(d["enforcement"]["packets"]) == {"none","pass","tag","throttle","drop"}'
  [ -n "$2" ] && json_ok "pinned drop count" "d['enforcement']['packets']['drop'] == $2 and d['enforcement']['bytes']['drop'] == 100 * $2"
  expect 3 "$CTL" -s "$SOCK" -p "$1" stats --prometheus
  "$PY" "$HERE/check_prom.py" "$T/out" || bad "pinned stats --prometheus fails the checker"
  has "pinned prometheus" "mxscreen_enforcement_packets_total{action=\"drop\"}"
}
if [ -e /sys/fs/bpf/mxscreen/stats ]; then
  check_pinned /sys/fs/bpf/mxscreen ""
  echo "ok: stats from the real pins"
elif command -v bpftool >/dev/null && command -v unshare >/dev/null &&
     unshare -m true 2>/dev/null; then
  # A private bpffs (gone with the mount namespace) with a stats map:
  # 7 drop packets and 700 bytes per CPU, 3 throttled SYNs.
  mkdir "$T/bpffs"
  vals=$("$PY" -c '
import struct
v = [0] * 23; v[4] = 7; v[9] = 700; v[15] = 3
print(" ".join(str(b) for b in struct.pack("<23Q", *v)))')
  ncpu=$("$PY" -c '
n = 0
for r in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = r.partition("-"); n += int(b or a) - int(a) + 1
print(n)')
  export CTL SOCK T PY HERE vals ncpu
  export -f check_pinned expect bad has json_ok one_line_error
  unshare -m bash -c '
    fail=0
    mount -t bpf bpf "$T/bpffs" 2>/dev/null && mkdir "$T/bpffs/pins" &&
      bpftool map create "$T/bpffs/pins/stats" type percpu_array key 4 value 184 entries 1 name stats &&
      bpftool map update pinned "$T/bpffs/pins/stats" key 0 0 0 0 value $vals || exit 77
    check_pinned "$T/bpffs/pins" $((7 * ncpu))
    exit $fail'
  case $? in
    0) echo "ok: stats from a private pinned stats map" ;;
    77) echo "skipped: cannot pin a map in a private bpffs" ;;
    *) fail=1 ;;
  esac
else
  echo "skipped: nothing pinned and no private bpffs (stats from pins)"
fi

[ $fail -eq 0 ] && echo "ok: mxscreenctl"
exit $fail
