"""Medians, min–max, ratios and targets: the table printed and the JSON kept."""

import statistics

# key -> (label, peer target description, check(summary_row, limits) -> (met, why))
MIB = 1024


def _fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    a = abs(v)
    if a >= 1000:
        s = f"{v:,.0f}"
    elif a >= 100:
        s = f"{v:.0f}"
    elif a >= 10:
        s = f"{v:.1f}"
    elif a >= 1:
        s = f"{v:.2f}"
    else:
        s = f"{v:.3f}"
    return s + unit


def summarise(rows, key, system):
    sel = [r for r in rows if r["workload"] == key and r["system"] == system and "value" in r]
    if not sel:
        skipped = [r for r in rows if r["workload"] == key and r["system"] == system]
        return {"skipped": skipped[0].get("skipped", "not run")} if skipped else None
    vals = [r["value"] for r in sel]
    out = {"n": len(sel), "median": statistics.median(vals), "min": min(vals), "max": max(vals),
           "unit": sel[0]["unit"], "higher_better": sel[0]["higher_better"],
           "cpu_unit": sel[0].get("cpu_unit")}
    for f in ("cpu_per_unit", "client_cpu_per_unit", "p50_ms", "p99_ms", "server_cores",
              "client_cores", "other_cpu_s", "wall_s", "page_p50_ms", "fsync_probe_p50_ms"):
        xs = [r[f] for r in sel if r.get(f) is not None]
        if xs:
            out[f] = statistics.median(xs)
    errs = sum(r.get("errors", 0) for r in sel)
    out["errors"] = errs
    for f in ("pages", "tags_returned", "pagination_honoured", "check", "first_error", "flat",
              "repositories_returned", "peak_rss_mib",
              "partial_failures", "first_partial_failure"):
        if f in sel[-1]:
            out[f] = sel[-1][f]
    return out


def ratio(a, b):
    if not a or not b or "median" not in a or "median" not in b or not b["median"]:
        return None
    return a["median"] / b["median"]


def speedup(a, b):
    r = ratio(a, b)
    if r is None:
        return None
    return r if a["higher_better"] else (1 / r if r else None)


def cpu_ratio(a, b):
    """Server CPU per unit, peer over berth: how many times less CPU berth
    spends for the same work. Robust to a shared, noisy machine, where the
    rate also measures how much CPU the scheduler happened to give."""
    if not a or not b or not a.get("cpu_per_unit") or not b.get("cpu_per_unit"):
        return None
    return b["cpu_per_unit"] / a["cpu_per_unit"]


def table(workloads, rows, limits, servers):
    """workloads: list of (key, label, subject, peer, target_fn). Returns
    (text, summary list)."""
    lines = []
    summary = []
    hdr = (f"{'workload':<34} {'berth median [min-max]':<30} {'peer median [min-max]':<30} "
           f"{'b/p':>6} {'speedup':>7} {'cpu-eff':>7} {'berth cpu/unit':>16} {'peer cpu/unit':>15} "
           f"{'b p99ms':>8} {'p p99ms':>8} {'srv/cli cores':>13}  target")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for key, label, subject, peer, target in workloads:
        a = summarise(rows, key, subject)
        b = summarise(rows, key, peer)
        if a is None and b is None:
            continue

        def cell(s):
            if s is None:
                return "not run"
            if "skipped" in s:
                return "skipped"
            return f"{_fmt(s['median'])} [{_fmt(s['min'])}-{_fmt(s['max'])}] {s['unit']}"

        def cpu(s):
            if not s or "cpu_per_unit" not in s:
                return "-"
            return f"{_fmt(s['cpu_per_unit'])} {s['cpu_unit'].replace('cpu-', '')}"
        r = ratio(a, b)
        sp = speedup(a, b)
        met, why = (None, "")
        if a and "median" in a:
            met, why = target(a, b, sp, limits)
        mark = {True: "MET", False: "MISSED", None: "n/a"}[met]
        cores = "-"
        if a and "server_cores" in a:
            cores = f"{a['server_cores']:.2f}/{a.get('client_cores', 0):.2f}"
        lines.append(f"{label:<34} {cell(a):<30} {cell(b):<30} {_fmt(r):>6} "
                     f"{(_fmt(sp) + 'x') if sp else '-':>7} "
                     f"{(_fmt(cpu_ratio(a, b)) + 'x') if cpu_ratio(a, b) else '-':>7} {cpu(a):>16} {cpu(b):>15} "
                     f"{_fmt(a.get('p99_ms') if a else None):>8} "
                     f"{_fmt(b.get('p99_ms') if b else None):>8} {cores:>13}  {mark} {why}")
        summary.append({"workload": key, "label": label, "berth": a, "peer_name": peer,
                        "peer": b, "ratio_berth_over_peer": r, "speedup": sp,
                        "cpu_efficiency": cpu_ratio(a, b),
                        "target_met": met, "target": why})
    lines.append("")
    lines.append("server memory (MiB): start / peak (VmHWM) / idle VmRSS (anon + file); startup s")
    for s in servers:
        m = s.mem
        lines.append(f"  {s.name:<14} {m.get('start_kib', 0) / MIB:7.1f} / "
                     f"{m.get('peak_kib', 0) / MIB:7.1f} / {m.get('idle_kib', 0) / MIB:7.1f} "
                     f"({m.get('idle_anon_kib', 0) / MIB:.1f} + {m.get('idle_file_kib', 0) / MIB:.1f});"
                     f" {getattr(s, 'startup_s', 0):.2f}")
    return "\n".join(lines), summary


def limits_text(lim):
    return (f"machine limits: sha256 {lim['sha256_GBps_1core']:.2f} GB/s/core; "
            f"loopback curl GET {lim['curl_get_GBps']:.2f} GB/s, PUT {lim['curl_put_GBps']:.2f} GB/s "
            f"(minserv); dd conv=fdatasync {lim['dd_fdatasync_GBps']:.2f} GB/s; "
            f"4 KiB write+fdatasync p50 {lim['fdatasync_4k_p50_ms']:.2f} ms "
            f"({lim['fdatasync_4k_per_s']:.0f}/s sequential)")
