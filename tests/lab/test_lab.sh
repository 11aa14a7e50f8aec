#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab suite: scripts/lab --check SCENARIO (network namespaces, Postfix,
# swaks, rbldnsd, mxscreend, XDP; basic: mxscreen-dp on af_packet and
# mxscreend's XDP and TC; inline: mxscreen-dp --inline between two veths)
# on the binaries under test. Everything is set up and checked by
# scripts/lab; this file only hands it the binaries.
# usage: test_lab.sh MXSCREEN_DP MXSCREEND basic|inline   (root; exit 77 = skipped)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/../../scripts/lab" --check --dp "$1" --mxscreend "$2" "$3"
