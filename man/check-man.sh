#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-man.sh PAGE...: lint man pages; any finding fails.
#  - groff formats each page twice with every warning on (-ww) and the
#    output thrown away (-z): for a terminal (-Tutf8: unknown macros and
#    escapes, lines that cannot be broken at 78 columns, tbl errors) and
#    for PostScript (-Tps: unknown fonts, which the terminal devices map
#    silently). It must print nothing.
#  - .RS/.RE, .EX/.EE and .nf/.fi must pair up (groff accepts a missing
#    closer without a word and formats the rest of the page wrongly).
#  - lexgrog (man-db), when present, must read the NAME section as
#    whatis/apropos will.
# Exit 0 clean, 1 not, 77 (meson: skipped) without groff.
if ! command -v groff >/dev/null 2>&1; then
	echo "groff not found: skipped"
	exit 77
fi
rc=0
for page in "$@"; do
	bad=0
	for dev in utf8 ps; do
		out=$(LC_ALL=C groff -man -T"$dev" -ww -z -t "$page" 2>&1) || bad=1
		if [ -n "$out" ]; then
			printf '%s\n' "$out"
			bad=1
		fi
	done
	out=$(awk '
		function open_(m, c) { if (depth[c]) printf "%s:%d: %s inside an open %s\n", FILENAME, NR, m, c; depth[c]++; line[c] = NR }
		function close_(m, c) { if (!depth[c]) printf "%s:%d: %s without %s\n", FILENAME, NR, m, c; else depth[c]-- }
		/^\.RS([ \t]|$)/ { rs++; rsline = NR }
		/^\.RE([ \t]|$)/ { if (!rs) printf "%s:%d: .RE without .RS\n", FILENAME, NR; else rs-- }
		/^\.EX([ \t]|$)/ { open_(".EX", ".EX") }
		/^\.EE([ \t]|$)/ { close_(".EE", ".EX") }
		/^\.nf([ \t]|$)/ { open_(".nf", ".nf") }
		/^\.fi([ \t]|$)/ { close_(".fi", ".nf") }
		END {
			if (rs) printf "%s:%d: .RS never closed\n", FILENAME, rsline
			for (c in depth) if (depth[c]) printf "%s:%d: %s never closed\n", FILENAME, line[c], c
		}' "$page")
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		bad=1
	fi
	if command -v lexgrog >/dev/null 2>&1 && ! lexgrog "$page" >/dev/null 2>&1; then
		echo "$page: lexgrog cannot read its NAME section"
		bad=1
	fi
	if [ $bad -eq 0 ]; then
		echo "$page: ok"
	else
		echo "$page: FAILED"
		rc=1
	fi
done
exit $rc
