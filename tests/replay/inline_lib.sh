# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the inline tests (test_inline.sh, test_inline_native.sh): the
# server, the client and ping across an edge, in network namespaces.
#   inline_topology C E S SERVER_ADDR CLIENT_ADDR...
#                           namespaces C - E - S: mxc0 (C) - mxe0 | mxe1 (E)
#                           - mxs0 (S), /24 addresses, links up, then the end
#                           veths as a real wire's ends: tx checksum offload
#                           off (the edge copies frames as they are) and GRO
#                           on (so they take XDP_REDIRECTed frames: set on a
#                           link that is up). Exits 77 when namespaces or
#                           veths cannot be made, 1 on other failures
#   smtp_server NS          an SMTP responder on NS's port 25, any number of
#                           dialogues (background; its pid in $spid)
#   smtp_dialogue NS HELO DST [SRC]
#                           one HELO/QUIT dialogue to DST:25 from NS (source
#                           address SRC); prints the replies joined by |;
#                           $SMTP_TIMEOUT seconds per step (default 3)
#   ping1 NS DST            one ICMP echo over a raw socket (no ping(8)
#                           needed), 0 on a reply
inline_topology() {
  local c=$1 e=$2 s=$3 srv=$4 a
  shift 4
  ip netns add "$c" && ip netns add "$e" && ip netns add "$s" ||
    { echo "skipped: cannot create network namespaces"; exit 77; }
  ip -n "$e" link add mxe0 type veth peer name mxc0 netns "$c" || { echo "skipped: no veth"; exit 77; }
  ip -n "$e" link add mxe1 type veth peer name mxs0 netns "$s" || exit 1
  ip -n "$e" link set lo up && ip -n "$e" link set mxe0 up && ip -n "$e" link set mxe1 up || exit 1
  ip -n "$c" link set lo up && ip -n "$c" link set mxc0 up || exit 1
  for a in "$@"; do ip -n "$c" addr add "$a/24" dev mxc0 || exit 1; done
  ip -n "$s" link set lo up && ip -n "$s" addr add "$srv/24" dev mxs0 && ip -n "$s" link set mxs0 up || exit 1
  for a in "$c mxc0" "$s mxs0"; do
    set -- $a
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null || exit 1
    ip netns exec "$1" ethtool -K "$2" gro on >/dev/null ||
      { echo "skipped: veth without GRO (XDP_REDIRECT into it impossible)"; exit 77; }
  done
}

smtp_server() {
  ip netns exec "$1" /usr/bin/python3 - <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 25)); s.listen(8)
while True:
    c, _ = s.accept()
    c.settimeout(10)
    try:
        c.sendall(b"220 mx.test.example ESMTP\r\n")
        buf = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            buf += d
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                if line.upper().startswith(b"QUIT"):
                    c.sendall(b"221 bye\r\n"); raise EOFError
                c.sendall(b"250 ok\r\n")
    except Exception:
        pass
    c.close()
PY
  spid=$!
}

smtp_dialogue() {
  ip netns exec "$1" /usr/bin/python3 - "$2" "$3" "${4:-}" "${SMTP_TIMEOUT:-3}" <<'PY'
import socket, sys
src = (sys.argv[3], 0) if sys.argv[3] else None
s = socket.create_connection((sys.argv[2], 25), timeout=float(sys.argv[4]), source_address=src)
f = s.makefile("rb")
out = [f.readline()]
for cmd in (b"HELO " + sys.argv[1].encode() + b"\r\n", b"QUIT\r\n"):
    s.sendall(cmd); out.append(f.readline())
print(b"|".join(l.strip() for l in out).decode())
PY
}

ping1() {
  ip netns exec "$1" /usr/bin/python3 - "$2" <<'PY'
import os, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.5)
ident = os.getpid() & 0xffff
for seq in range(4):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"mxscreen-inline!"
    h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
    s.sendto(h, (sys.argv[1], 0))
    end = time.time() + 0.5
    while time.time() < end:
        try:
            d = s.recv(2048)
        except socket.timeout:
            break
        ihl = (d[0] & 15) * 4
        if d[ihl] == 0 and struct.unpack("!H", d[ihl + 4:ihl + 6])[0] == ident:
            sys.exit(0)
sys.exit(1)
PY
}
