# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench's arithmetic and writing: run records -> results.json,
results.md, sweeps.png, and the committed snapshot bench/RESULTS.md.

summarize_case(case, records) folds one case's run records (N rounds of
each tool, interleaved) into medians and spreads, and the ratios taken
round by round (full/ceiling and ours/peer of the same round; their
median is reported). targets(summary) checks the issue's targets against
a results.json; markdown(summary) is results.md; plot(summary, dir) writes
sweeps.png with gnuplot (None when gnuplot is missing or fails);
snapshot(summary, path) writes bench/RESULTS.md from a results.json.
Nothing here runs a benchmark; a figure that was not measured is None and
printed as "-".
"""
import os
import statistics
import subprocess

METRICS = ("mpps", "gbps", "conns_per_s", "cycles_per_packet", "mpps_wall")
TOOL_LABEL = {"ceiling": "I/O ceiling (mxscreen-dp --io-only)",
              "full": "mxscreen-dp, default rules",
              "full2": "mxscreen-dp, default rules, --workers 2", "tshark": "tshark -Y smtp",
              "ndpi": "ndpiReader", "naive": "naive-classify (libpcap + PCRE2)"}


def _stat(vals):
    vals = [v for v in vals if isinstance(v, (int, float))]
    if not vals:
        return None
    med = statistics.median(vals)
    return {"median": med, "min": min(vals), "max": max(vals), "n": len(vals),
            "spread_pct": (max(vals) - min(vals)) / med * 100.0 if med else None}


def summarize_case(case, records):
    tools = {}
    for tool in sorted({r["tool"] for r in records}):
        rs = [r for r in records if r["tool"] == tool]
        ok = [r for r in rs if r["rc"] == 0]
        t = {"runs": len(rs), "failed": len(rs) - len(ok)}
        for m in METRICS:
            t[m] = _stat([r.get(m) for r in ok])
        st = _stat([r.get("state_bytes_per_conn") for r in ok])
        t["state_bytes_per_conn"] = st["median"] if st else None
        t["state_basis"] = next((r["state_basis"] for r in ok if r.get("state_basis")), None)
        t["maxrss_kb"] = _stat([r.get("maxrss_kb") for r in ok])
        t["wall_s"] = _stat([r.get("wall_s") for r in ok])
        if tool in ("full", "full2") and ok:
            raw = ok[0].get("raw") or {}
            t["counters"] = {k: raw.get(k) for k in (
                "flows_created", "flows_evicted", "smtp_connections", "conn_exhausted",
                "records_dropped", "rules_scanned", "memory_reserved_bytes")}
        if tool == "naive" and ok:
            raw = ok[0].get("raw") or {}
            t["counters"] = {k: raw.get(k) for k in ("values", "hits", "pattern_attempts")}
        tools[tool] = t
    by_round = {}
    for r in records:
        if r["rc"] == 0 and r.get("mpps"):
            by_round.setdefault(r["round"], {})[r["tool"]] = r["mpps"]
    ratios = {}
    for name, num, den in [("full_over_ceiling", "full", "ceiling"),
                           ("workers2_over_1", "full2", "full")] + \
            [("ours_over_" + p, "full", p) for p in ("tshark", "ndpi", "naive")]:
        s = _stat([v[num] / v[den] for v in by_round.values() if num in v and den in v])
        if s:
            ratios[name] = s
    checks = [r["truth"] for r in records if r.get("truth")]
    correct = None
    if checks:
        pcts = [c["correct_pct"] for c in checks if c.get("correct_pct") is not None]
        correct = {"checked": len(checks), "pass": all(c["pass"] for c in checks),
                   "correct_pct": min(pcts) if pcts else None}
    out = dict(case)
    out.update(tools=tools, ratios=ratios, correctness=correct)
    return out


def _find(summary, kind, **kw):
    for c in summary.get("cases", []):
        if c["kind"] == kind and all(c.get(k) == v for k, v in kw.items()):
            return c
    return None


def _med(c, *path):
    x = c
    for p in path:
        x = x.get(p) if isinstance(x, dict) else None
    return x.get("median") if isinstance(x, dict) else None


def targets(summary):
    c100k = _find(summary, "concurrency", concurrency=100000)
    c1m = _find(summary, "concurrency", concurrency=1000000)
    prof = _find(summary, "profile", profile="realistic")
    rows = [("full >= 70% of I/O ceiling, realistic, 100k concurrent flows",
             c100k and _med(c100k, "ratios", "full_over_ceiling"), 0.70, "ratio"),
            ("full >= 5 Mpps at 1M concurrent flows",
             c1m and _med(c1m, "tools", "full", "mpps"), 5.0, "Mpps"),
            (">= 50x ndpiReader (realistic)",
             prof and _med(prof, "ratios", "ours_over_ndpi"), 50.0, "x"),
            (">= 200x tshark (realistic)",
             prof and _med(prof, "ratios", "ours_over_tshark"), 200.0, "x")]
    out = [{"target": n, "value": v, "min": m, "unit": u,
            "status": "not measured" if v is None else ("met" if v >= m else "not met")}
           for n, v, m, u in rows]
    cors = [c["correctness"] for c in summary.get("cases", []) if c.get("correctness")]
    out.append({"target": "full classification 100% correct against the truth files",
                "value": min((c["correct_pct"] for c in cors if c["correct_pct"] is not None),
                             default=None),
                "min": 100.0, "unit": "%",
                "status": "not measured" if not cors else
                ("met" if all(c["pass"] for c in cors) else "not met")})
    return out


def _f(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, int):
        return "{:,}".format(x)
    if abs(x) >= 1000:
        return "{:,.0f}".format(x)
    return "%.*f" % (nd, x)


def _ms(s, nd=3):
    """median (spread %) of a _stat dict."""
    if not s:
        return "-"
    sp = s.get("spread_pct")
    return "%s (±%.0f%%)" % (_f(s["median"], nd), sp / 2) if sp is not None else _f(s["median"], nd)


def _meta_lines(m):
    mc = m.get("machine", {})
    return ["- machine: %s, %s cores, %s GiB, kernel %s, %s" % (
                mc.get("cpu_model"), mc.get("cores"), mc.get("memory_gib"),
                mc.get("kernel"), mc.get("os")),
            "- DPDK %s, Hyperscan %s, PCRE2 %s, libpcap %s; %s; nDPI %s" % (
                mc.get("dpdk"), mc.get("hyperscan"), mc.get("pcre2"), mc.get("libpcap"),
                mc.get("tshark"), mc.get("ndpi")),
            "- date %s, commit %s, hugepages %s x 2 MB, load average at start %s" % (
                mc.get("date"), mc.get("git_commit"), mc.get("hugepages_2m"),
                " ".join(mc.get("loadavg_start") or [])),
            "- %s run, %s interleaved rounds; captures by %s; TSC %s MHz (%s)" % (
                "quick" if m.get("quick") else "full", m.get("rounds"), m.get("generator"),
                _f((m.get("tsc_hz") or 0) / 1e6, 0), m.get("tsc_source")),
            "- I/O ceiling: %s" % ("mxscreen-dp --io-only" if m.get("io_only")
                                   else "not available (this mxscreen-dp has no --io-only)")]


def markdown(summary):
    m = summary.get("meta", {})
    L = ["# scripts/bench results", ""] + _meta_lines(m) + [""]
    L += ["Figures: median over the rounds (± half the min-max spread). Mpps and Gbit/s "
          "from each program's processing time: mxscreen-dp's, naive-classify's and "
          "ndpiReader's own packet-loop time, tshark's wall time less its start-up on a "
          "one-connection capture. cyc/pkt: mxscreen-dp's TSC count, the others wall-clock "
          "based. Ratios are taken round by round, then the median.", ""]
    for c in summary.get("cases", []):
        if c["kind"] != "profile":
            continue
        cap = c.get("capture", {})
        L += ["## Profile `%s`: %s connections, %s concurrent, %s packets" % (
            c["profile"], _f(c.get("connections")), _f(c.get("concurrency")),
            _f(cap.get("packets"))), ""]
        L += ["| program | Mpps | Gbit/s | conn/s | cyc/pkt | state B/conn | ours / it |",
              "|---|---|---|---|---|---|---|"]
        for tool in ("ceiling", "full", "full2", "tshark", "ndpi", "naive"):
            t = c["tools"].get(tool)
            if not t:
                continue
            r = c["ratios"].get("ours_over_" + tool) or \
                (c["ratios"].get("full_over_ceiling") if tool == "ceiling" else None) or \
                (c["ratios"].get("workers2_over_1") if tool == "full2" else None)
            L.append("| %s%s | %s | %s | %s | %s | %s | %s |" % (
                TOOL_LABEL[tool], " (%d failed)" % t["failed"] if t["failed"] else "",
                _ms(t["mpps"]), _ms(t["gbps"]), _ms(t["conns_per_s"], 0),
                _ms(t["cycles_per_packet"], 0), _f(t["state_bytes_per_conn"], 0),
                ("full/ceiling %s" % _f(r["median"]) if tool == "ceiling" else
                 "2 workers / 1: %s" % _f(r["median"]) if tool == "full2" else
                 "%sx" % _f(r["median"], 1)) if r else "-"))
        L += ["", "State B/conn: " + "; ".join(
            "%s: %s" % (tool, t["state_basis"]) for tool, t in sorted(c["tools"].items())
            if t.get("state_basis"))]
        cor = c.get("correctness")
        L += ["", "Correctness (truth_check.py): %s" % (
            "n/a (no truth file)" if not cor else "%s%% (%s)" % (
                _f(cor["correct_pct"]), "pass" if cor["pass"] else "FAIL")), ""]
    sw = [c for c in summary.get("cases", []) if c["kind"] == "concurrency"]
    if sw:
        L += ["## Sweep: concurrent flows (`%s`)" % sw[0]["profile"], "",
              "| flows | connections | ceiling Mpps | full Mpps | full/ceiling | full cyc/pkt "
              "| B/conn | evicted | correct |", "|---|---|---|---|---|---|---|---|---|"]
        for c in sorted(sw, key=lambda c: c["concurrency"]):
            f = c["tools"].get("full", {})
            cor = c.get("correctness")
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                _f(c["concurrency"]), _f(c.get("connections")),
                _ms(c["tools"].get("ceiling", {}).get("mpps")), _ms(f.get("mpps")),
                _f(_med(c, "ratios", "full_over_ceiling")), _ms(f.get("cycles_per_packet"), 0),
                _f(f.get("state_bytes_per_conn"), 0),
                _f((f.get("counters") or {}).get("flows_evicted"), 0),
                "-" if not cor else "%s%%" % _f(cor["correct_pct"])))
        L.append("")
    sw = [c for c in summary.get("cases", []) if c["kind"] == "rules"]
    if sw:
        L += ["## Sweep: rule count (generated rules, `%s` capture)" % sw[0]["profile"], "",
              "| rules | full Mpps | full wall s (incl. compile) | naive Mpps | ours / naive |",
              "|---|---|---|---|---|"]
        for c in sorted(sw, key=lambda c: c["rules_n"]):
            f, n = c["tools"].get("full", {}), c["tools"].get("naive", {})
            L.append("| %s | %s | %s | %s | %s |" % (
                _f(c["rules_n"]), _ms(f.get("mpps")), _ms(f.get("wall_s"), 1),
                _ms(n.get("mpps")), _f(_med(c, "ratios", "ours_over_naive"), 1)))
        L.append("")
    L += ["## Targets", "", "| target | value | status |", "|---|---|---|"]
    for t in summary.get("targets", []):
        L.append("| %s | %s | %s |" % (t["target"], _f(t["value"]), t["status"]))
    if summary.get("plot"):
        L += ["", "![sweeps](%s)" % summary["plot"]]
    return "\n".join(L) + "\n"


def plot(summary, outdir):
    """sweeps.png: Mpps vs flows, Mpps vs rules, full vs ceiling. None if not drawn."""
    conc = sorted((c for c in summary["cases"] if c["kind"] == "concurrency"),
                  key=lambda c: c["concurrency"])
    rules = sorted((c for c in summary["cases"] if c["kind"] == "rules"),
                   key=lambda c: c["rules_n"])
    if not conc and not rules:
        return None

    def col(c, *p):
        v = _med(c, *p)
        return "NaN" if v is None else "%g" % v
    with open(os.path.join(outdir, "conc.dat"), "w") as f:
        for c in conc:
            f.write("%d %s %s %s\n" % (c["concurrency"], col(c, "tools", "ceiling", "mpps"),
                                       col(c, "tools", "full", "mpps"),
                                       col(c, "ratios", "full_over_ceiling")))
    with open(os.path.join(outdir, "rules.dat"), "w") as f:
        for c in rules:
            f.write("%d %s %s\n" % (c["rules_n"], col(c, "tools", "full", "mpps"),
                                    col(c, "tools", "naive", "mpps")))
    gp = os.path.join(outdir, "sweeps.gp")
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1800,520 font ',10'
set output 'sweeps.png'
set multiplot layout 1,3
set logscale x; set autoscale xfix; set grid; set key top right
set datafile missing 'NaN'
set title 'Mpps vs concurrent flows'; set xlabel 'concurrent flows'; set ylabel 'Mpps'
set yrange [0:*]
plot 'conc.dat' u 1:2 w lp t 'I/O ceiling', '' u 1:3 w lp t 'full classification'
set title 'Mpps vs rule count'; set xlabel 'rules'; set logscale y; set yrange [*:*]
plot 'rules.dat' u 1:2 w lp t 'mxscreen-dp (Hyperscan)', '' u 1:3 w lp t 'naive (PCRE2, one at a time)'
unset logscale y; set yrange [0:*]
set title 'full as % of I/O ceiling'; set xlabel 'concurrent flows'; set ylabel '%'
plot 'conc.dat' u 1:($4*100) w lp t 'full / ceiling', 70 w l dt 2 t 'target 70%'
unset multiplot
""")
    try:
        r = subprocess.run(["gnuplot", "sweeps.gp"], cwd=outdir, capture_output=True,
                           text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return "sweeps.png" if r.returncode == 0 and os.path.exists(
        os.path.join(outdir, "sweeps.png")) else None


def snapshot(summary, results_dir, path):
    m = summary.get("meta", {})
    ts = summary.get("targets") or targets(summary)
    missed = [t for t in ts if t["status"] != "met"]
    L = ["# mxscreen-dp: measured throughput", "",
         "<!-- Generated by `scripts/bench --snapshot %s`; do not edit the figures by hand. -->"
         % results_dir, "",
         "What `scripts/bench` measured, all programs on the same captures in the same "
         "run, interleaved. How it measures: bench/README.md.", "", "## Machine", ""]
    L += _meta_lines(m)
    if m.get("quick") or not str(m.get("generator", "")).startswith("mxscreen-gen"):
        L += ["", "**Not figures of record**: %s." % " and ".join(
            x for x in ("a --quick run" if m.get("quick") else None,
                        "stand-in captures, no truth files"
                        if "stand-in" in str(m.get("generator")) else None) if x)]
    L += ["", "## Targets", "", "| target | measured | status |",
                           "|---|---|---|"]
    for t in ts:
        L.append("| %s | %s | **%s** |" % (
            t["target"], "-" if t["value"] is None else "%s %s" % (_f(t["value"]), t["unit"]),
            t["status"]))
    body = markdown(summary).split("\n")
    start = next((i for i, l in enumerate(body) if l.startswith("Figures:")), 0)
    end = next((i for i, l in enumerate(body) if l == "## Targets"), len(body))
    L += ["", "## Figures", ""] + ["#" + l if l.startswith("## ") else l
                                   for l in body[start:end]]
    if summary.get("plot"):
        L += ["Plot of the sweeps: `%s/%s` (not committed)." % (results_dir, summary["plot"]), ""]
    if missed:
        L += ["## What would close it", "",
              "Targets not met or not measured: %s." % "; ".join(t["target"] for t in missed),
              "", "_To be filled in by the lead._", ""]
    with open(path, "w") as f:
        f.write("\n".join(L).rstrip("\n") + "\n")
