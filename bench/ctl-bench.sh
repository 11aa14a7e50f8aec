#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs ctl-bench against real DNS servers on loopback: rbldnsd with three
# ip4set zones (10% of the benchmark's clients each, plus 127.0.0.2) behind
# unbound (stub zones for the three lists; PTR and A local data for the
# clients, NXDOMAIN for the rest), and the same servers as list_resolvers
# sets them up: DNSBL queries straight to rbldnsd, PTR and A through unbound
# (ctl-bench runs that section whenever it gets both --resolver and
# --rbldnsd). The data comes from `ctl-bench --gen`,
# so the program checks every verdict against the function that wrote it.
# Servers are stopped and the data removed on exit. A benchmark, never a
# test: it prints figures; its exit status is ctl-bench's (3: setup).
# usage: bench/ctl-bench.sh [--bin PATH] [ctl-bench options: --n, --quick, --json, ...]
# env:   UNBOUND_THREADS (default 1), MXS_KEEP=1 keeps the data directory
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
BIN=$ROOT/build/bench/ctl-bench
if [ "${1:-}" = --bin ]; then BIN=$2; shift 2; fi
LAB=$ROOT/scripts/lib/dnslab.sh
[ -f "$LAB" ] || LAB=$ROOT/tests/lib/dnslab.sh
# shellcheck source=/dev/null
. "$LAB"
for b in /usr/sbin/rbldnsd /usr/sbin/unbound "$BIN"; do
  [ -x "$b" ] || { echo "ctl-bench.sh: $b not found (build: ninja -C build bench/ctl-bench)" >&2; exit 3; }
done
ZONES="bl1.bench.example bl2.bench.example wl.bench.example"
ZLIST=${ZONES// /,}
T=$(mktemp -d)
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  dnslab_stop
  if [ -n "${MXS_KEEP:-}" ]; then echo "ctl-bench.sh: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

"$BIN" --gen "$T" --zones "$ZLIST" || exit 3
P1=$(dnslab_port); P2=$(dnslab_port)
specs=() stubs=""
for z in $ZONES; do
  specs+=("$z:ip4set:$z.zone")
  stubs="$stubs $z@$P1"
done
dnslab_rbldnsd "$T" "$P1" "${specs[@]}"
# Sized so that a burst of dns_max_inflight queries is neither dropped at
# unbound's socket nor jostled out; negative answers are not cached either,
# so every DNSBL query of every run reaches rbldnsd.
dnslab_unbound "$T" "$P2" "
  num-threads: ${UNBOUND_THREADS:-1}
  so-rcvbuf: 4m
  so-sndbuf: 4m
  num-queries-per-thread: 4096
  outgoing-range: 8192
  cache-max-negative-ttl: 0
  include: \"$T/unbound-bench.conf\"" "$stubs"
dnslab_wait "$P1" 2.0.0.127.bl1.bench.example ||
  { echo "ctl-bench.sh: rbldnsd did not start: $(cat "$T/rbldnsd.log")" >&2; exit 3; }
dnslab_wait "$P2" 2.0.0.127.bl1.bench.example ||
  { echo "ctl-bench.sh: unbound did not start: $(cat "$T/unbound.log")" >&2; exit 3; }

"$BIN" --resolver "127.0.0.1:$P2" --rbldnsd "127.0.0.1:$P1" --zones "$ZLIST" \
  --unbound-pid "$UNBOUND_PID" --rbldnsd-pid "$RBLDNSD_PID" "$@"
rc=$?
# unbound's log: anything beyond its start-up notices
if grep -v "notice: init module\|start of service\|service stopped" "$T/unbound.log" |
   grep -q .; then
  echo "ctl-bench.sh: unbound said:" >&2
  grep -v "notice: init module" "$T/unbound.log" | tail -5 >&2
fi
exit $rc
