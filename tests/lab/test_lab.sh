#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab suite: scripts/lab --check (network namespaces, Postfix, swaks,
# rbldnsd, mxscreend with XDP and TC, mxscreen-dp on af_packet) on the
# binaries under test. Everything is set up and checked by scripts/lab;
# this file only hands it the binaries.
# usage: test_lab.sh MXSCREEN_DP MXSCREEND   (root; exit 77 = skipped)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/../../scripts/lab" --check --dp "$1" --mxscreend "$2" basic
