# SPDX-License-Identifier: BSD-3-Clause
# The basic scenario's own step, sourced by scripts/lab after the steps
# both scenarios share (it uses the lab's variables and helpers).
#   6  mxscreend killed (SIGKILL) and restarted while mail flows: the
#      pinned maps and the XDP program outlive it (the drop address stays
#      dropped), mxscreen-dp keeps classifying (records), reconnects to the
#      new daemon and its observations are judged again (verdict log)

# ---------------------------------------------------------------- 6: mxscreend dies
kill -KILL "$DDPID"; wait "$DDPID" 2>/dev/null; DDPID=
D0=$(xdp pkts.drop)
send $DROP drop-nodaemon
D1=$(xdp pkts.drop)
check "mxscreend dead: the drop address is still dropped (swaks exit $(rc_of drop-nodaemon), XDP dropped $((D1 - D0)))" \
  '[ "$(rc_of drop-nodaemon)" != 0 ] && [ $((D1 - D0)) -gt 0 ]'
send $UNLISTED unlisted-nodaemon
N_EXTRA=$((N_EXTRA + 1))
check "mxscreend dead: the unlisted address delivers (swaks exit $(rc_of unlisted-nodaemon))" \
  '[ "$(rc_of unlisted-nodaemon)" = 0 ]'
V0=$(grep -c '' "$T/verdicts.ndjson")
rm -f "$T/dp.sock"
"${EDGE_NS[@]}" "$D" -c "$T/mxscreen.conf" 2>>"$T/mxscreend.log" &
DDPID=$!
for _ in $(seq 100); do
  in_edge ss -xpH state established 2>/dev/null | grep -q "pid=$DPID," && break
  sleep 0.1
done
send $UNLISTED unlisted-restarted
N_EXTRA=$((N_EXTRA + 1))
for _ in $(seq 100); do [ "$(grep -c '' "$T/verdicts.ndjson")" -gt "$V0" ] && break; sleep 0.1; done
check "mxscreen-dp reconnected, the restarted mxscreend judges again ($(( $(grep -c '' "$T/verdicts.ndjson") - V0 )) new verdict log lines)" \
  '[ "$(grep -c "" "$T/verdicts.ndjson")" -gt "$V0" ]'
kill -TERM "$DPID"; wait "$DPID"; DPID=
check "mxscreen-dp classified throughout: records of the sessions without and after the daemon" \
  'grep -q "\"helo\":\"mx.unlisted.example\"" "$T/eve-1.ndjson" && [ "$(grep -c "\"src_ip\":\"$UNLISTED\"" "$T/eve-1.ndjson")" -ge $((N_UNLISTED + 2)) ]'
