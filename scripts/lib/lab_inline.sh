# SPDX-License-Identifier: BSD-3-Clause
# The inline scenario's own steps, sourced by scripts/lab after the steps
# both scenarios share (it uses the lab's variables and helpers: send,
# check, xdp, in_cli, in_srv, in_edge, start_dp, $DPID, $T). Adds to
# N_EXTRA the unlisted messages it delivers, for the Postfix check.
#   6  ping and a TCP connection to another port cross the edge (the XDP
#      program forwards them itself: mxscreen-dp never sees them)
#   7  greet hold: a client that talks before the banner it has not yet
#      seen is a pregreet in the records, one that waits is not
#   8  mxscreen-dp killed (SIGKILL) in the middle of a session: the session
#      still delivers, so do new ones, the drop address stays dropped
#   9  a restarted mxscreen-dp classifies again

# ---------------------------------------------------------------- 6: not SMTP
check "ping crosses the edge" 'in_cli ping -c 2 -W 2 -q "$SRV_IP" >/dev/null'
in_srv "$PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$SRV_IP"'", 7777)); s.listen(4); s.settimeout(20)
c, _ = s.accept(); c.settimeout(5); c.sendall(c.recv(100).upper())' &
ECHO=$!
sleep 0.3
r=$(in_cli "$PY" -c '
import socket
s = socket.create_connection(("'"$SRV_IP"'", 7777), timeout=5)
s.sendall(b"not smtp"); print(s.recv(100).decode())' 2>&1)
wait $ECHO
check "a TCP connection to port 7777 crosses the edge (answer '$r')" '[ "$r" = "NOT SMTP" ]'

# ---------------------------------------------------------------- 7: greet hold
# The early talker says EHLO as soon as it is connected: before the banner
# reaches it, held GREET_HOLD_MS by the edge. The polite one is swaks.
r=$(in_cli "$PY" - "$UNLISTED" "$SRV_IP" <<'PY' 2>&1
import socket, sys, time
s = socket.create_connection((sys.argv[2], 25), timeout=5, source_address=(sys.argv[1], 0))
s.sendall(b"EHLO early.lab.example\r\n")
f = s.makefile("rb")
banner = f.readline().strip().decode()
s.sendall(b"QUIT\r\n")
time.sleep(0.2)
print(banner[:3])
PY
)
check "the early talker got the banner through the greet hold ($r)" '[ "$r" = 220 ]'
send $UNLISTED polite-1
N_EXTRA=$((N_EXTRA + 1))
check "the polite client delivered through the greet hold (swaks exit $(rc_of polite-1))" \
  '[ "$(rc_of polite-1)" = 0 ]'
# SIGTERM: mxscreen-dp sends what it holds and writes its records
kill -TERM "$DPID"; wait "$DPID"; DPID=
check "records: the early talker is a pregreet" \
  'grep "\"helo\":\"early.lab.example\"" "$T/eve-1.ndjson" | grep -q "\"pregreet\""'
check "records: the polite client is not" \
  'grep "\"helo\":\"mx.polite.example\"" "$T/eve-1.ndjson" | grep -qv "\"pregreet\""'
check "greet hold counters: $(grep -o 'greet hold.*' "$T/dp-1.log")" \
  'grep -Eq "greet hold [0-9]+ ms: [1-9][0-9]* banners held" "$T/dp-1.log"'

# ---------------------------------------------------------------- 8: kill
start_dp 2
# A session that is in the middle (EHLO done) when mxscreen-dp dies.
in_cli "$PY" - "$UNLISTED" "$SRV_IP" "$T/slow" <<'PY' >"$T/slow.out" 2>&1 &
import os, smtplib, sys, time
src, srv, flag = sys.argv[1:4]
c = smtplib.SMTP(srv, 25, local_hostname="mx.slow.example", source_address=(src, 0), timeout=10)
c.ehlo()
open(flag + ".ready", "w").close()
for _ in range(200):
    if os.path.exists(flag + ".go"):
        break
    time.sleep(0.05)
msg = ("From: sender@slow.example\r\nTo: user@lab.example\r\nX-Lab-Client: %s\r\n"
       "X-Lab-Session: slow\r\nSubject: across a crash\r\n\r\nstill here\r\n" % src)
c.sendmail("sender@slow.example", ["user@lab.example"], msg)
c.quit()
print("delivered")
PY
SLOW=$!
for _ in $(seq 100); do [ -e "$T/slow.ready" ] && break; sleep 0.1; done
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
touch "$T/slow.go"
wait $SLOW
N_EXTRA=$((N_EXTRA + 1))
check "mxscreen-dp killed mid-session: the session still delivered ($(cat "$T/slow.out"))" \
  'grep -q "^delivered$" "$T/slow.out"'
send $UNLISTED unlisted-afterkill
N_EXTRA=$((N_EXTRA + 1))
check "with mxscreen-dp dead a new session delivers (swaks exit $(rc_of unlisted-afterkill))" \
  '[ "$(rc_of unlisted-afterkill)" = 0 ]'
D0=$(xdp pkts.drop)
send $DROP drop-afterkill
D1=$(xdp pkts.drop)
check "with mxscreen-dp dead the drop address is still dropped (swaks exit $(rc_of drop-afterkill), $((D1 - D0)) packets)" \
  '[ "$(rc_of drop-afterkill)" != 0 ] && [ $((D1 - D0)) -gt 0 ]'

# ---------------------------------------------------------------- 9: restart
start_dp 3
send $UNLISTED restart-1
N_EXTRA=$((N_EXTRA + 1))
check "restarted mxscreen-dp: a session delivers (swaks exit $(rc_of restart-1))" \
  '[ "$(rc_of restart-1)" = 0 ]'
kill -TERM "$DPID"; wait "$DPID"; DPID=
check "restarted mxscreen-dp: the session is classified again (its record)" \
  'grep -q "\"helo\":\"mx.restart.example\"" "$T/eve-3.ndjson"'
