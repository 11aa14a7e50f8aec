# SPDX-License-Identifier: BSD-3-Clause
# Real DNS servers on loopback, for scripts/demo, the control-plane tests
# and the benchmarks (sourced):
#   dnslab_port           print a free UDP port
#   dnslab_rbldnsd DIR PORT ZONE:TYPE:FILE...   start rbldnsd (pid in RBLDNSD_PID)
#   dnslab_unbound DIR PORT CONFIG_LINES STUBS  start unbound (pid in UNBOUND_PID)
#   dnslab_wait PORT NAME  wait until a server answers NAME (A query)
#   dnslab_stop           stop both
# Zone files must be world-readable: rbldnsd drops privileges.

dnslab_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dnslab_rbldnsd() {
  local dir=$1 port=$2; shift 2
  chmod 755 "$dir"; chmod 644 "$dir"/*.zone
  /usr/sbin/rbldnsd -n -q -b "127.0.0.1/$port" -r "$dir" -w / -t 60:60:3600 -c 1 "$@" \
    >"$dir/rbldnsd.log" 2>&1 &
  RBLDNSD_PID=$!
}

# $3: extra server: lines; $4: "zone@port ..." stub zones
dnslab_unbound() {
  local dir=$1 port=$2 extra=$3 stubs=$4 s
  {
    echo "server:"
    echo "  interface: 127.0.0.1"
    echo "  port: $port"
    echo "  do-daemonize: no"
    echo "  use-syslog: no"
    echo "  logfile: \"\""
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  directory: \"$dir\""
    echo "  pidfile: \"\""
    echo "  do-ip6: no"
    echo "  do-not-query-localhost: no"
    echo "  module-config: \"iterator\""
    echo "  qname-minimisation: no"
    echo "  access-control: 127.0.0.0/8 allow"
    echo "  cache-max-ttl: 0"
    echo "$extra"
    for s in $stubs; do
      echo "stub-zone:"
      echo "  name: \"${s%@*}\""
      echo "  stub-addr: 127.0.0.1@${s#*@}"
    done
  } >"$dir/unbound.conf"
  /usr/sbin/unbound -d -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
  UNBOUND_PID=$!
}

dnslab_wait() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(100):
    try:
        s.sendto(q, ("127.0.0.1", port))
        s.recv(512)
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

dnslab_stop() {
  [ -n "${RBLDNSD_PID:-}" ] && kill "$RBLDNSD_PID" 2>/dev/null && wait "$RBLDNSD_PID" 2>/dev/null
  [ -n "${UNBOUND_PID:-}" ] && kill "$UNBOUND_PID" 2>/dev/null && wait "$UNBOUND_PID" 2>/dev/null
  RBLDNSD_PID= UNBOUND_PID=
}
