# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the inline tests (test_inline.sh, test_inline_native.sh): the
# server, the client and ping across an edge, in network namespaces.
#   smtp_server NS          an SMTP responder on NS's port 25, any number of
#                           dialogues (background; its pid in $spid)
#   smtp_dialogue NS HELO DST [SRC]
#                           one HELO/QUIT dialogue to DST:25 from NS (source
#                           address SRC); prints the replies joined by |;
#                           $SMTP_TIMEOUT seconds per step (default 3)
#   ping1 NS DST            one ICMP echo over a raw socket (no ping(8)
#                           needed), 0 on a reply
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
