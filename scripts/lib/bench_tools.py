# SPDX-License-Identifier: BSD-3-Clause
"""The programs scripts/bench times, run once each, and what it reads back.

run(tool, cap, ctx, tag) runs one program on one capture and returns a
dict (the "run record", also written as JSON by the caller):
  tool        ceiling | full | full2 (full, --workers 2) | tshark | ndpi | naive
  argv, rc, wall_s, user_s, sys_s, maxrss_kb (os.wait4 of the child)
  proc_s      the time the figures are computed from: mxscreen-dp's and
              naive-classify's own elapsed_s (their packet loop),
              ndpiReader's own "Packet Processing Time", for tshark (and
              ndpiReader when it printed none) wall_s minus its start-up
              time (ctx["startup"][tool], the median wall time on a one-
              connection capture; floored at 1% of wall_s)
  packets, bytes   of the capture (ctx["capture"], from the first
              mxscreen-dp run), the same for every tool
  mpps, gbps, conns_per_s, cycles_per_packet, state_bytes_per_conn
              (+ state_basis saying where that figure comes from)
  mpps_wall   packets / wall_s, start-up included, for the record
  raw         what the program reported (mxscreen-dp stats JSON,
              naive-classify JSON, parsed ndpiReader lines)
cycles_per_packet: mxscreen-dp's own (TSC cycles busy / packets); for the
others proc_s * ctx["tsc_hz"] / packets (wall-clock based).
mxscreen-dp is read defensively: a key it does not write (yet) is None,
gbps and mpps are computed from bytes, packets and elapsed_s when absent.
A run that fails or times out has rc != 0 and no figures; callers count
it and carry on. machine() describes the host for the results.
"""
import json
import os
import platform
import re
import signal
import subprocess
import threading
import time

TOOLS = ("ceiling", "full", "full2", "tshark", "ndpi", "naive")
PEERS = ("tshark", "ndpi", "naive")
SMTP_PORTS = "25,465,587,2525"   # mxscreen-dp's default --smtp-ports


def spawn(argv, stdout_path, stderr_path, timeout):
    """Runs argv; returns (rc, wall_s, rusage). rc 124: killed at timeout."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
        hit = []

        def kill():
            hit.append(1)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:          # ^C: its own session does not get it
            timer.cancel()
            kill()
            os.wait4(p.pid, 0)
            raise
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    return (124 if hit else p.returncode), wall, ru


def dp_has_io_only(dp):
    try:
        h = subprocess.run([dp, "--help"], capture_output=True, text=True, timeout=30)
        return "--io-only" in (h.stdout + h.stderr)
    except (OSError, subprocess.SubprocessError):
        return False


def _state_from_dp(st, max_flows):
    """Bytes of flow state per connection from mxscreen-dp's stats."""
    for k, v in st.items():
        if isinstance(v, (int, float)) and "bytes_per" in k and ("flow" in k or "conn" in k):
            return float(v), "mxscreen-dp stats '%s'" % k
    mem = st.get("memory_reserved_bytes")
    if mem and max_flows:
        return mem / max_flows, "memory_reserved_bytes / --max-flows (reserved, not touched)"
    return None, None


def _parse_ndpi(text):
    def num(pat, scale=True):
        m = re.search(pat, text)
        if not m:
            return None
        v = float(m.group(1))
        unit = (m.group(2) if m.lastindex and m.lastindex >= 2 else "") or ""
        mult = {"K": 1e3, "KB": 1024, "M": 1e6, "MB": 1024 ** 2, "GB": 1024 ** 3,
                "B": 1, "msec": 1e-3, "sec": 1}.get(unit, 1)
        return v * mult if scale else v
    return {"ip_packets": num(r"IP packets:\s+(\d+)"),
            "unique_flows": num(r"Unique flows:\s+(\d+)"),
            "flow_memory_bytes": num(r"Flow Memory \(per flow\):\s+([\d.]+)\s*(B|KB|MB)"),
            "peak_memory_bytes": num(r"Peak Memory:\s+([\d.]+)\s*(B|KB|MB|GB)"),
            "setup_s": num(r"Setup Time:\s+([\d.]+)\s*(msec|sec)"),
            "processing_s": num(r"Packet Processing Time:\s+([\d.]+)\s*(msec|sec)"),
            "smtp_flows": num(r"\n\s*SMTP\s+packets:\s*\d+\s+bytes:\s*\d+\s+flows:\s*(\d+)")}


def argv_for(tool, cap, ctx, tag):
    """Command line and side files of one run of tool on capture cap."""
    wd = ctx["rundir"]
    side = {"stats": os.path.join(wd, tag + ".stats.json"),
            "eve": os.path.join(wd, tag + ".eve.ndjson")}
    if tool in ("ceiling", "full", "full2"):
        argv = [ctx["dp"], "--pcap", cap["pcap"], "--stats-json", side["stats"]]
        if tool == "ceiling":
            argv.append("--io-only")
        else:
            argv += ["--rules", cap["rules"], "--eve", side["eve"],
                     "--max-flows", str(cap["max_flows"])]
            if cap.get("max_conns"):
                argv += ["--max-conns", str(cap["max_conns"])]
            if tool == "full2":
                argv += ["--workers", "2"]
    elif tool == "tshark":
        argv = ["tshark", "-n", "-r", cap["pcap"], "-Y", "smtp", "-T", "fields",
                "-e", "frame.number", "-e", "smtp.req.command", "-e", "smtp.req.parameter"]
    elif tool == "ndpi":
        argv = ["ndpiReader", "-i", cap["pcap"]]
    else:
        argv = [ctx["naive"], "--rules", cap["rules"], "--ports", SMTP_PORTS, cap["pcap"]]
    return argv, side


def run(tool, cap, ctx, tag):
    argv, side = argv_for(tool, cap, ctx, tag)
    out = os.path.join(ctx["rundir"], tag + ".out")
    err = os.path.join(ctx["rundir"], tag + ".err")
    rc, wall, ru = spawn(argv, out, err, ctx["timeout"])
    rec = {"tool": tool, "tag": tag, "argv": argv, "rc": rc, "wall_s": wall,
           "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
           "raw": None, "proc_s": None, "mpps": None, "gbps": None, "conns_per_s": None,
           "cycles_per_packet": None, "state_bytes_per_conn": None, "state_basis": None,
           "eve": side["eve"] if tool in ("full", "full2") else None}
    if rc != 0:
        with open(err, errors="replace") as f:
            rec["error"] = f.read()[-2000:]
        return rec
    pk, by, conns = cap.get("packets"), cap.get("bytes"), cap.get("smtp_connections")
    if tool in ("ceiling", "full", "full2"):
        try:
            with open(side["stats"]) as f:
                st = json.load(f)
        except (OSError, ValueError) as e:
            rec.update(rc=-1, error="stats: %s" % e)
            return rec
        rec["raw"] = st
        pk, by = st.get("packets") or pk, st.get("bytes") or by
        if tool in ("full", "full2"):
            conns = st.get("smtp_connections", conns)
        el = st.get("elapsed_s")
        rec["proc_s"] = el
        rec["mpps"] = st.get("mpps") or (pk / el / 1e6 if pk and el else None)
        rec["gbps"] = st.get("gbps") or (by * 8 / el / 1e9 if by and el else None)
        rec["cycles_per_packet"] = st.get("cycles_per_packet")
        if tool in ("full", "full2"):
            rec["state_bytes_per_conn"], rec["state_basis"] = \
                _state_from_dp(st, cap.get("max_flows"))
    else:
        with open(out, errors="replace") as f:
            text = f.read()
        if tool == "naive":
            try:
                rec["raw"] = json.loads(text.strip().splitlines()[-1])
            except (ValueError, IndexError) as e:
                rec.update(rc=-1, error="naive-classify output: %s" % e)
                return rec
            rec["proc_s"] = rec["raw"]["elapsed_s"]
            pk, by = rec["raw"]["packets"], rec["raw"]["bytes"]
            rec["state_bytes_per_conn"], rec["state_basis"] = 0.0, "stateless (per packet)"
        else:
            rec["raw"] = _parse_ndpi(text) if tool == "ndpi" else \
                {"smtp_frames": text.count("\n")}
            base = ctx["startup"].get(tool, {})
            own = rec["raw"].get("processing_s") if tool == "ndpi" else None
            rec["proc_s"] = own or max(wall - base.get("wall_s", 0.0), wall * 0.01)
            rec["proc_basis"] = "self-reported" if own else "wall - start-up"
            if tool == "ndpi" and rec["raw"].get("flow_memory_bytes") is not None:
                rec["state_bytes_per_conn"] = rec["raw"]["flow_memory_bytes"]
                rec["state_basis"] = "ndpiReader 'Flow Memory (per flow)'"
            elif conns and base.get("maxrss_kb") is not None:
                rec["state_bytes_per_conn"] = \
                    max(0, ru.ru_maxrss - base["maxrss_kb"]) * 1024.0 / conns
                rec["state_basis"] = "peak RSS above start-up / connections"
        t = rec["proc_s"]
        if pk and t:
            rec["mpps"], rec["gbps"] = pk / t / 1e6, (by or 0) * 8 / t / 1e9
            if ctx.get("tsc_hz"):
                rec["cycles_per_packet"] = t * ctx["tsc_hz"] / pk
    if pk and wall:
        rec["mpps_wall"] = pk / wall / 1e6
    t = rec["proc_s"]
    if conns and t:
        rec["conns_per_s"] = conns / t
    rec["packets"], rec["bytes"], rec["smtp_connections"] = pk, by, conns
    return rec


def truth_check(script, truth, eve, outdir, tag, timeout):
    """Runs scripts/lib/truth_check.py TRUTH EVE; None when it cannot run."""
    if not (script and truth and os.path.exists(script) and os.path.exists(truth)):
        return None
    out, err = os.path.join(outdir, tag + ".truth.out"), os.path.join(outdir, tag + ".truth.err")
    rc, wall, _ = spawn(["/usr/bin/python3", script, truth, eve], out, err, timeout)
    with open(out, errors="replace") as f:
        text = f.read()
    pct = None
    for line in reversed(text.strip().splitlines()):
        if line.lstrip().startswith("{"):
            try:
                d = json.loads(line)
            except ValueError:
                continue
            for k in ("accuracy_pct", "correct_pct", "match_pct", "percent", "accuracy"):
                if isinstance(d.get(k), (int, float)):
                    pct = d[k] * (100.0 if d[k] <= 1.0 and k == "accuracy" else 1.0)
                    break
            break
    if pct is None:
        m = re.findall(r"([\d.]+)\s*%", text)
        pct = float(m[-1]) if m else (100.0 if rc == 0 else None)
    return {"rc": rc, "pass": rc == 0, "correct_pct": pct, "wall_s": wall,
            "output": text[-1500:]}


def _cmd(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def tsc_hz():
    """TSC rate: the kernel's calibration, else /proc/cpuinfo's cpu MHz."""
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout \
        if os.path.exists("/usr/bin/dmesg") or os.path.exists("/bin/dmesg") else ""
    for pat in (r"Refined TSC clocksource calibration: ([\d.]+) MHz",
                r"tsc: Detected ([\d.]+) MHz"):
        m = re.findall(pat, log)
        if m:
            return float(m[-1]) * 1e6, "dmesg"
    with open("/proc/cpuinfo") as f:
        m = re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read())
    return (float(m.group(1)) * 1e6, "/proc/cpuinfo") if m else (None, None)


def machine(repo):
    with open("/proc/cpuinfo") as f:
        cpu = re.search(r"model name\s*:\s*(.*)", f.read())
    with open("/proc/meminfo") as f:
        mem = re.search(r"MemTotal:\s+(\d+) kB", f.read())
    with open("/proc/sys/vm/nr_hugepages") as f:
        huge = int(f.read().strip() or 0)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    ndpi = _cmd(["dpkg-query", "-W", "-f", "${Version}", "libndpi-bin"])
    return {"cpu_model": cpu.group(1).strip() if cpu else platform.processor(),
            "cores": os.cpu_count(),
            "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
            "kernel": platform.release(),
            "os": _cmd(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
            "dpdk": _cmd(["pkg-config", "--modversion", "libdpdk"]),
            "hyperscan": _cmd(["pkg-config", "--modversion", "libhs"]),
            "pcre2": _cmd(["pkg-config", "--modversion", "libpcre2-8"]),
            "libpcap": _cmd(["pkg-config", "--modversion", "libpcap"]),
            "tshark": _cmd(["tshark", "-v"]),
            "ndpi": ndpi,
            "hugepages_2m": huge, "loadavg_start": load,
            "git_commit": _cmd(["git", "-C", repo, "rev-parse", "--short", "HEAD"]),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
