# SPDX-License-Identifier: BSD-3-Clause
# Sourced by what runs mxscreen-dp --inline under its own pin directory
# (scripts/lab inline, tests/replay/test_inline.sh).
#
# inline_pins_clean PIN_DIR: the inline loader also pins its maps by name at
# the bpffs root (what the af_xdp PMD reuses when it loads the program);
# remove those aliases that still point at PIN_DIR's maps, then PIN_DIR.
# Aliases of another instance's maps are left alone.
inline_pins_clean() {
  local pin=$1 m a b
  for m in verdicts static_cidrs throttle stats config cidr_hint tx_port inline_stats; do
    [ -e "/sys/fs/bpf/$m" ] && [ -e "$pin/$m" ] || continue
    a=$(bpftool -j map show pinned "/sys/fs/bpf/$m" 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
    b=$(bpftool -j map show pinned "$pin/$m" 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
    [ -n "$a" ] && [ "$a" = "$b" ] && rm -f "/sys/fs/bpf/$m"
  done
  rm -rf "$pin"
}
