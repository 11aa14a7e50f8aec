#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mxscreen-dp command line: every bad input gives exit 2 and one line on
# stderr naming the problem; good inputs (pcap, pcapng) exit 0.
# usage: test_cli.sh MXSCREEN_DP
set -u
DP=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
HERE=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 "$HERE/../../scripts/demo-pcap" "$T/ok.pcap"

# expect STATUS PATTERN -- ARGS...: exit status and a one-line stderr matching PATTERN
expect() {
  local want=$1 pat=$2; shift 3
  "$DP" "$@" >"$T/out" 2>"$T/err"
  local got=$? lines
  lines=$(wc -l <"$T/err")
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $* -> exit $got, want $want: $(head -c 300 "$T/err")"; fail=1; return
  fi
  if [ "$want" -ne 0 ] && { [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$T/err"; }; then
    echo "FAIL: $* -> stderr not one line matching '$pat': $(cat "$T/err")"; fail=1; return
  fi
  echo "ok: exit $got: $*"
}

printf 'this is not a capture\n' >"$T/text.pcap"
head -c 100 "$T/ok.pcap" >"$T/trunc.pcap"
: >"$T/empty.pcap"
touch "$T/noperm.pcap"; chmod 000 "$T/noperm.pcap"

expect 2 "No such file" -- --pcap "$T/missing.pcap"
expect 2 "not a pcap or pcapng" -- --pcap "$T/text.pcap"
expect 2 "not a pcap or pcapng" -- --pcap "$T/empty.pcap"
expect 2 "corrupt capture" -- --pcap "$T/trunc.pcap"
expect 2 "is a directory" -- --pcap "$T"
expect 2 "unknown option '--bogus'" -- --pcap "$T/ok.pcap" --bogus
expect 2 "needs a value" -- --pcap
expect 2 "smtp-ports" -- --pcap "$T/ok.pcap" --smtp-ports 25,0
expect 2 "smtp-ports" -- --pcap "$T/ok.pcap" --smtp-ports 25,abc
expect 2 "max-flows" -- --pcap "$T/ok.pcap" --max-flows 0
expect 2 "max-conns: '0' is not an integer" -- --pcap "$T/ok.pcap" --max-conns 0
expect 2 "max-handshakes: '0' is not an integer" -- --pcap "$T/ok.pcap" --max-handshakes 0
expect 2 "max-handshakes: '2x' is not an integer" -- --pcap "$T/ok.pcap" --max-handshakes 2x
expect 2 "workers" -- --pcap "$T/ok.pcap" --workers 0
expect 2 "unexpected argument" -- --pcap "$T/ok.pcap" extra
expect 2 "nothing to read" --
expect 2 "control: socket path longer" -- --pcap "$T/ok.pcap" --control "/tmp/$(printf 'x%.0s' $(seq 120))"
expect 2 "needs 3 lcores, the EAL has 1" -- --no-huge --no-shconf --no-pci -l 0 --log-level=4 \
  --vdev "net_pcap0,rx_pcap=$T/ok.pcap" -- --workers 2
expect 2 "eve $T/nodir/x" -- --pcap "$T/ok.pcap" --eve "$T/nodir/x"
expect 2 "cannot be passed" -- --pcap "$T/a,b.pcap"
expect 2 "greet-hold-ms is for --inline or --inline-ports only" -- --pcap "$T/ok.pcap" --greet-hold-ms 100
expect 2 "greet-hold-ms: '0' is not an integer in 1-10000" -- --inline a,b --greet-hold-ms 0
expect 2 "tag-dscp is for --inline-ports only" -- --pcap "$T/ok.pcap" --tag-dscp 10
expect 2 "tag-dscp cannot be combined with --inline" -- --inline a,b --tag-dscp 10
expect 2 "tag-dscp: '64' is not an integer in 0-63" -- --tag-dscp 64
expect 2 "inline-ports: '1,1' is not P,Q" -- --inline-ports 1,1
expect 2 "inline-ports cannot be combined with --inline" -- --inline a,b --inline-ports 0,1
expect 2 "give the EAL options that make the ports" -- --inline-ports 0,1
expect 2 "inline-ports: no port 5" -- --no-huge --no-shconf --no-pci -l 0 -m 256 --log-level=4 \
  --vdev net_null0 --vdev net_null1 -- --inline-ports 0,5
# root reads anything: only check the permission case as another user
if [ "$(id -u)" -ne 0 ]; then expect 2 "Permission denied" -- --pcap "$T/noperm.pcap"; fi

# Rules: validated before anything starts, all or nothing.
RULES="$HERE/../../etc/rules"
printf 'helo /ok/ score=1 id=1 msg="fine"\nhelo /(/ score=1 id=2 msg="broken"\n' >"$T/bad.rules"
printf 'helo /a/ score=1 id=7 msg="x"\nrcpt_to /b/ score=1 id=7 msg="y"\n' >"$T/dup.rules"
printf 'helo /a/ score=high id=8 msg="x"\n' >"$T/score.rules"
printf 'hello /a/ score=1 id=9 msg="x"\n' >"$T/field.rules"
expect 2 "bad.rules:2: " -- --check-rules "$T/bad.rules"
expect 2 "dup.rules:2: duplicate id 7 (first at .*dup.rules:1)" -- --check-rules "$T/dup.rules"
expect 2 "score.rules:1: " -- --check-rules "$T/score.rules"
expect 2 "field.rules:1: " -- --check-rules "$T/field.rules"
expect 2 "missing.rules" -- --check-rules "$T/missing.rules"
expect 2 "bad.rules:2: " -- --pcap "$T/ok.pcap" --rules "$T/bad.rules"
expect 0 "" -- --check-rules "$RULES"
grep -q "rules ok" "$T/out" || { echo "FAIL: --check-rules printed no summary"; fail=1; }
expect 0 "" -- --check-rules "$RULES/default.rules"

expect 0 "" -- --help
expect 0 "" -- --pcap "$T/ok.pcap" --eve "$T/ok.ndjson" --stats-json "$T/stats.json"
n=$(wc -l <"$T/ok.ndjson")
[ "$n" -eq 7 ] || { echo "FAIL: demo capture gave $n records, want 7"; fail=1; }
for k in packets bytes flows_created flows_evicted smtp_connections anomalies elapsed_s mpps; do
  grep -q "\"$k\":" "$T/stats.json" || { echo "FAIL: stats.json lacks $k"; fail=1; }
done
grep -q '"smtp_connections":7' "$T/stats.json" || { echo "FAIL: smtp_connections != 7"; fail=1; }
grep -q 'smtp connections' "$T/err" || { echo "FAIL: no summary line on stderr"; fail=1; }
grep -q '"conn_exhausted":0' "$T/stats.json" || { echo "FAIL: default parser states exhausted"; fail=1; }
# A parser state belongs to a flow: --max-conns past --max-flows is that many.
expect 0 "" -- --pcap "$T/ok.pcap" --max-flows 100 --max-conns 5000 --stats-json "$T/clamp.json"
grep -q '"parser_slots":100,' "$T/clamp.json" || { echo "FAIL: --max-conns not held to --max-flows"; fail=1; }
# Handshakes wait apart from flows: 4 x --max-flows by default, or as asked.
grep -q '"handshake_capacity":400,' "$T/clamp.json" || { echo "FAIL: handshake table not 4 x --max-flows"; fail=1; }
expect 0 "" -- --pcap "$T/ok.pcap" --max-flows 100 --max-handshakes 7 --stats-json "$T/hs.json"
grep -q '"handshake_capacity":7,' "$T/hs.json" || { echo "FAIL: --max-handshakes 7 not taken"; fail=1; }
# Shared by the workers, each its share rounded up (as --max-conns).
expect 0 "" -- --pcap "$T/ok.pcap" --workers 2 --max-flows 100 --max-handshakes 7 --stats-json "$T/hs2.json"
grep -q '"handshake_capacity":8,' "$T/hs2.json" || { echo "FAIL: --max-handshakes 7 over 2 workers is not 2 x 4"; fail=1; }
grep -q '"handshakes_promoted":7,' "$T/stats.json" || { echo "FAIL: the 7 sessions' handshakes did not become flows"; fail=1; }

# The DPDK form: EAL options before --, ours after.
expect 0 "" -- --no-huge --no-shconf --no-pci -l 0 --log-level=4 -- --pcap "$T/ok.pcap" --eve "$T/eal.ndjson"
cmp -s "$T/ok.ndjson" "$T/eal.ndjson" || { echo "FAIL: DPDK form gives other records"; fail=1; }

# The figures the benchmark reads (bench/README.md).
for k in gbps smtp_connections_per_s cycles_per_packet rx_cycles_per_packet state_bytes_per_conn \
         hot_bytes_per_flow flows_active_peak memory_resident_bytes tsc_hz; do
  grep -q "\"$k\":" "$T/stats.json" || { echo "FAIL: stats.json lacks $k"; fail=1; }
done
grep -q '"io_only":false' "$T/stats.json" || { echo "FAIL: stats.json lacks io_only false"; fail=1; }

# --io-only: the same receive path with no processing (the I/O ceiling).
# Options asking for processing make no sense with it: usage errors.
expect 2 "io-only: --eve makes no sense" -- --pcap "$T/ok.pcap" --io-only --eve "$T/x.ndjson"
expect 2 "io-only: --rules makes no sense" -- --pcap "$T/ok.pcap" --io-only --rules "$RULES"
expect 2 "io-only: --control makes no sense" -- --pcap "$T/ok.pcap" --io-only --control "$T/s"
expect 2 "io-only: --max-flows makes no sense" -- --pcap "$T/ok.pcap" --io-only --max-flows 10
expect 2 "io-only: --max-conns makes no sense" -- --pcap "$T/ok.pcap" --io-only --max-conns 10
expect 2 "io-only: --max-handshakes makes no sense" -- --pcap "$T/ok.pcap" --io-only --max-handshakes 10
expect 2 "io-only: --smtp-ports makes no sense" -- --pcap "$T/ok.pcap" --smtp-ports 25 --io-only
expect 2 "io-only: --check-rules makes no sense" -- --io-only --check-rules "$RULES"
grep -q -- "--io-only" <("$DP" --help) || { echo "FAIL: --help does not list --io-only"; fail=1; }
expect 0 "" -- --pcap "$T/ok.pcap" --io-only --stats-json "$T/io.json"
grep -q '"io_only":true' "$T/io.json" || { echo "FAIL: io-only stats lack io_only true"; fail=1; }
for k in packets bytes elapsed_s mpps gbps cycles_per_packet; do
  grep -q "\"$k\":" "$T/io.json" || { echo "FAIL: io-only stats lack $k"; fail=1; }
done
for k in packets bytes; do
  a=$(grep -o "\"$k\":[0-9]*" "$T/stats.json"); b=$(grep -o "\"$k\":[0-9]*" "$T/io.json")
  [ "$a" = "$b" ] || { echo "FAIL: io-only counts $b, the full run $a"; fail=1; }
done
grep -q '"smtp_connections":0' "$T/io.json" || { echo "FAIL: io-only classified something"; fail=1; }
grep -q 'io-only' "$T/err" || { echo "FAIL: io-only summary line does not say so"; fail=1; }
expect 0 "" -- --pcap "$T/ok.pcap" --io-only --workers 2 --stats-json "$T/io2.json"
a=$(grep -o '"packets":[0-9]*' "$T/stats.json"); b=$(grep -o '"packets":[0-9]*' "$T/io2.json")
[ "$a" = "$b" ] || { echo "FAIL: io-only --workers 2 counts $b, want $a"; fail=1; }

# Several workers: the same records, in some order.
expect 0 "" -- --pcap "$T/ok.pcap" --eve "$T/w2.ndjson" --workers 2
if ! diff <(sort "$T/ok.ndjson") <(sort "$T/w2.ndjson") >/dev/null; then
  echo "FAIL: --workers 2 gives other records"; fail=1
fi
exit $fail
