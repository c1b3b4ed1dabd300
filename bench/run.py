#!/usr/bin/python3
"""berth benchmark harness (issue 4): berth side by side with CNCF
Distribution (OCI /v2/) and moto_server (ECR API) on 127.0.0.1.

    bench/run.py [--quick] [--rounds N] [--only oci,ecr,KEY...] [--berth PATH]
    bench/run.py [--quick] --only scale    # large stores (berthbench/scale.py); only on request
    bench/run.py [--quick] --only gc       # garbage collection vs Distribution (berthbench/gc.py)
    bench/run.py [--quick] --only s3       # PostgreSQL + S3 (RGW) vs Distribution on S3 (berthbench/s3.py)

Every server gets a fresh temp store. Workloads alternate between the two
systems (A B in odd rounds, B A in even ones), several rounds; the table
gives medians with min–max, the ratio berth/peer, server CPU per unit (from
/proc/<pid>/stat), server and client cores used, p99, and the issue's target
with MET / MISSED. The same data goes to bench/results/<timestamp>.json.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from berthbench import ecr, gc, limits, oci, report, s3, scale  # noqa: E402
from berthbench.procs import Berth, Distribution, Moto, real_python  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PARAMS = {
    "quick": dict(rounds=1, big=64 << 20, chunk=16 << 20, rate_s=1, conns=64, small=50,
                  tags=300, list_s=0.5, ecr_images=100, ecr_layers=100,
                  ecr_s=1, ecr_conns=16, puts=200, put_conc=16, del_conc=2),
    "full": dict(rounds=3, big=1 << 30, chunk=64 << 20, rate_s=10, conns=64, small=1000,
                 tags=5000, list_s=3, ecr_images=200, ecr_layers=100,
                 ecr_s=10, ecr_conns=16, puts=3000, put_conc=16, del_conc=4),
}


# ---------------------------------------------------------------- targets
# Each returns (met: bool|None, text). a/b: summaries of berth/peer; sp: speedup.

def t_speedup(x):
    def f(a, b, sp, lim):
        if sp is None:
            return None, f">= {x}x peer (no peer number)"
        return sp >= x, f">= {x}x peer"
    return f


def _yn(v):
    return {True: "y", False: "n", None: "?"}[v]


def t_push(a, b, sp, lim):
    disk = lim.get("dd_fdatasync_GBps")
    ok = [sp is not None and sp >= 2,
          None if disk is None else a["median"] >= 0.8 * disk,
          a.get("cpu_per_unit", 99) <= 1.0]
    disk_txt = f"{0.8 * disk:.2f} GB/s" if disk else "(limits not measured)"
    txt = (f">=2x peer [{_yn(ok[0])}], >=80% dd {disk_txt} [{_yn(ok[1])}], "
           f"<=1 cpu-s/GB [{_yn(ok[2])}]")
    return all(x is not False for x in ok), txt


def t_pull(a, b, sp, lim):
    ceil = lim.get("curl_get_GBps")
    peer_cpu = b.get("cpu_per_unit") if b and "median" in b else None
    ok = [sp is not None and sp >= 1.3,
          None if ceil is None else a["median"] >= 0.85 * ceil,
          peer_cpu is not None and a.get("cpu_per_unit", 99) <= peer_cpu / 3]
    ceil_txt = f"{0.85 * ceil:.2f} GB/s" if ceil else "(limits not measured)"
    txt = (f">=1.3x peer [{_yn(ok[0])}], >=85% curl GET {ceil_txt} [{_yn(ok[1])}], "
           f"<=1/3 peer cpu-s/GB [{_yn(ok[2])}]")
    return all(x is not False for x in ok), txt


def t_list(a, b, sp, lim):
    return (sp is not None and sp >= 4), "<= 1/4 of peer's time"


def t_paged(a, b, sp, lim):
    return bool(a.get("pagination_honoured")), \
        f"pagination honoured ({a.get('pages')} pages, {a.get('tags_returned')} tags; " \
        f"peer {b.get('pages') if b else '?'} pages)"


def t_none(a, b, sp, lim):
    return None, "berth only (peer does not implement it)"


OCI_WORKLOADS = [
    ("push_monolithic", "push 1 blob monolithic (GB/s)", t_push),
    ("push_chunked", "push 1 blob in chunks (GB/s)", t_push),
    ("pull", "pull 1 blob (GB/s)", t_pull),
    ("manifest_get", "GET manifest by tag", t_speedup(20)),
    ("head_manifest", "HEAD manifest by digest (ab -k)", t_speedup(20)),
    ("head_blob", "HEAD blob (ab -k)", t_speedup(20)),
    ("small_seq", "4 KiB blob pushes, sequential", t_speedup(5)),
    ("small_par", "4 KiB blob pushes, 16-parallel", t_speedup(10)),
    ("tag_push", "tag pushes, 16-parallel", t_speedup(10)),
    ("tags_list", "tags/list whole (median ms)", t_list),
    ("tags_list_paged", "tags/list n=100 walk (ms)", t_paged),
]

ECR_WORKLOADS = [
    ("ecr_get_auth_token", "ECR GetAuthorizationToken", t_speedup(50)),
    ("ecr_batch_get_1", "ECR BatchGetImage 1 id", t_speedup(50)),
    ("ecr_batch_get_100", "ECR BatchGetImage 100 ids", t_speedup(50)),
    ("ecr_check_layers_100", "ECR BatchCheckLayerAvail. 100", t_speedup(50)),
    ("ecr_describe_100", "ECR DescribeImages page 100", t_speedup(50)),
    ("ecr_put_image", "ECR PutImage (16-par)", t_speedup(50)),
    ("ecr_batch_delete_100", "ECR BatchDeleteImage 100 tags", t_speedup(50)),
]


def t_p99_ratio(x):
    def f(a, b, sp, lim):
        return a["median"] <= x, f"p99 during the sweep <= {x}x p99 without"
    return f


def t_info(a, b, sp, lim):
    return None, "informational"


def t_flat(a, b, sp, lim):
    return a.get("flat"), "flat: <= 1.5x the empty database's startup + 50 ms"


def t_reclaimed(a, b, sp, lim):
    """berth frees exactly the own blobs of the dropped manifests (its
    manifests live in metadata); Distribution's count adds the manifests'
    own blobs."""
    return None, "berth: own blobs of the dropped manifests; peer: + manifest blobs"


# Run only when --only names gc (berthbench/gc.py): one fill, one sweep each.
GC_WORKLOADS = [
    ("gc_delete", "GC: delete half the manifests (API)", t_info),
    ("gc_sweep", "GC: sweep after the deletes (s)", t_speedup(10)),
    ("gc_reclaimed", "GC: blobs reclaimed by the sweep", t_reclaimed),
    ("gc_push_p99", "GC: push p99, berth gc beside / without", t_p99_ratio(2)),
    ("gc_pull_p99", "GC: pull p99, berth gc beside / without", t_p99_ratio(2)),
    ("gc_inproc_push_p99", "GC: push p99, sweep in serve / without", t_p99_ratio(2)),
    ("gc_inproc_pull_p99", "GC: pull p99, sweep in serve / without", t_p99_ratio(2)),
]


# Run only when --only names s3 (berthbench/s3.py): berth on PostgreSQL + an
# RGW bucket vs Distribution's s3 driver on another bucket of the same RGW
# (issue 10, section 5).
S3_WORKLOADS = [
    ("s3_push_monolithic", "S3: push 1 blob monolithic (GB/s)", t_speedup(1.5)),
    ("s3_push_chunked", "S3: push 1 blob in chunks (GB/s)", t_speedup(1.5)),
    ("s3_pull", "S3: pull 1 blob (GB/s)", t_speedup(1.2)),
    ("s3_manifest_get", "S3: GET manifest by tag", t_speedup(10)),
    ("s3_head_blob", "S3: HEAD blob (ab -k)", t_speedup(10)),
    ("s3_tag_push", "S3: tag pushes, 16-parallel", t_info),
    ("s3_tags_list", "S3: tags/list whole (ms)", t_speedup(20)),
    ("s3_catalog", "S3: catalog walk, n=1000 (ms)", t_speedup(20)),
    ("s3_scale_1", "S3: manifest GET, haproxy + 1 berth", t_none),
    ("s3_scale_2", "S3: manifest GET, haproxy + 2 berth", t_none),
    ("s3_scale_3", "S3: manifest GET, haproxy + 3 berth", t_none),
    ("s3_startup_empty", "S3: startup, empty PostgreSQL (ms)", t_info),
    ("s3_startup_filled", "S3: startup, filled PostgreSQL (ms)", t_flat),
]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


PROFILE = {"mode": None, "dir": None}


def _attach_profiler(server, key, rnd):
    """--profile: strace -c (syscall counts and time) or perf record
    (cpu-clock samples) attached to berth for one workload. Diagnosis only:
    both slow berth down, so profiled numbers are not headline numbers."""
    if not PROFILE["mode"] or not server.name.startswith("berth"):
        return None
    out = os.path.join(PROFILE["dir"], f"{key}-{server.name}-r{rnd}.{PROFILE['mode']}")
    if PROFILE["mode"] == "strace":
        cmd = ["strace", "-f", "-c", "-w", "-o", out, "-p", str(server.pid)]
    else:
        cmd = ["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", out,
               "-p", str(server.pid)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p, out


def _detach_profiler(handle):
    if not handle:
        return None
    p, out = handle
    p.send_signal(2)
    p.wait(30)
    if out.endswith(".perf"):
        text = []
        for sort in ("dso", "dso,sym"):
            rep = subprocess.run(["perf", "report", "-i", out, "--no-children", "--stdio",
                                  "--sort", sort, "-g", "none", "--percent-limit", "1"],
                                 capture_output=True, text=True)
            text.append(f"### perf report --sort {sort}")
            text += [line.rstrip()[:160] for line in rep.stdout.splitlines()
                     if line.strip() and not line.startswith("#")][:40]
        with open(out + ".txt", "w") as f:
            f.write("\n".join(text) + "\n")
        out += ".txt"
    return out


def run_one(rows, key, server, rnd, fn):
    t0 = time.perf_counter()
    prof = _attach_profiler(server, key, rnd)
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - a failed workload is reported, the run goes on
        traceback.print_exc()
        r = {"skipped": f"error: {e}"[:400]}
    if prof:
        r["profile"] = _detach_profiler(prof)
    r.update({"workload": key, "system": server.name, "round": rnd})
    rows.append(r)
    if "value" in r:
        extra = f" p99 {r['p99_ms']:.2f} ms" if r.get("p99_ms") is not None else ""
        log(f"  r{rnd} {key:<22} {server.name:<13} {r['value']:>10.3f} {r['unit']:<8}"
            f" srv {r.get('cpu_per_unit', 0):.2f} {r.get('cpu_unit', '')}"
            f" cores srv {r.get('server_cores', 0):.2f} cli {r.get('client_cores', 0):.2f}"
            f"{extra}{' ERR ' + str(r['errors']) if r.get('errors') else ''}"
            f" ({time.perf_counter() - t0:.1f}s)")
    else:
        log(f"  r{rnd} {key:<22} {server.name:<13} skipped: {r.get('skipped')}")


def want(args, key, family):
    if not args.only:
        return True
    sel = set(args.only.split(","))
    return key in sel or family in sel


def want_scale(args):
    """The scale workload fills stores of up to a million manifests (minutes,
    gigabytes), so it runs only when --only names it."""
    return bool(args.only) and "scale" in args.only.split(",")


def want_gc(args):
    """The GC workload fills two stores of up to a million blobs each, so it
    runs only when --only names it."""
    return bool(args.only) and "gc" in args.only.split(",")


def want_s3(args):
    """The S3 family starts a Ceph RGW and a PostgreSQL and pushes gigabytes
    through them, so it runs only when --only names it."""
    return bool(args.only) and "s3" in args.only.split(",")


def run_oci(args, p, workdir, rows, servers):
    berth = Berth(workdir, args.berth)
    dist = Distribution(workdir)
    for s in (berth, dist):
        s.start()
        servers.append(s)
        log(f"started {s.name} pid {s.pid} on :{s.port} ({s.startup_s:.2f}s)")
    big = None
    if any(want(args, k, "oci") for k in ("push_monolithic", "push_chunked", "pull")):
        big = oci.BigFile(workdir, p["big"], p["chunk"])
    return berth, dist, big


def oci_rounds(args, p, rows, berth, dist, big):
    for rnd in range(1, p["rounds"] + 1):
        order = (berth, dist) if rnd % 2 else (dist, berth)
        log(f"OCI round {rnd}: order {' '.join(s.name for s in order)}")
        ctx = {s.name: oci.setup(s, rnd) for s in order}
        steps = [
            ("push_monolithic", lambda s, c: oci.push_monolithic(s, c, big), f"r{rnd}-mono"),
            ("push_chunked", lambda s, c: oci.push_chunked(s, c, big), f"r{rnd}-chunked"),
            ("pull", lambda s, c: oci.pull(s, c, big), None),
            ("manifest_get", lambda s, c: oci.manifest_get(s, c, p["rate_s"], p["conns"]), None),
            ("head_manifest", lambda s, c: oci.head_manifest(s, c, p["rate_s"], p["conns"]), None),
            ("head_blob", lambda s, c: oci.head_blob(s, c, p["rate_s"], p["conns"]), None),
            ("small_seq", lambda s, c: oci.small_pushes(s, c, p["small"], 1), None),
            ("small_par", lambda s, c: oci.small_pushes(s, c, p["small"], 16), None),
            ("tag_push", lambda s, c: oci.tag_pushes(s, c, p["tags"], 16), None),
            ("tags_list", lambda s, c: oci.tags_list(s, c, p["list_s"]), None),
            ("tags_list_paged", lambda s, c: oci.tags_list_paged(s, c, p["list_s"]), None),
        ]
        for key, fn, variant in steps:
            if not want(args, key, "oci"):
                continue
            if key == "pull" and not want(args, "push_chunked", "oci"):
                continue
            if variant:
                big.variant(variant)
            for s in order:
                run_one(rows, key, s, rnd, lambda: fn(s, ctx[s.name]))


def run_ecr(args, p, workdir, rows, servers):
    py = real_python()
    cred = os.path.join(workdir, "ecr-credentials")
    ecr.write_credentials(cred)
    berth = Berth(workdir, args.berth, auth="sigv4", credentials=cred)
    systems = [berth]
    berth.start()
    servers.append(berth)
    why = ecr.probe(berth)
    if why:
        log(f"SKIP ECR workloads: berth's ECR API is not ready: {why}")
        for key, *_ in ECR_WORKLOADS:
            rows.append({"workload": key, "system": berth.name, "round": 0,
                         "skipped": f"berth ECR API not ready: {why}"})
        return
    if py is None:
        log("SKIP moto: no Python with moto on PATH; berth ECR numbers only")
    else:
        moto = Moto(workdir, py)
        moto.start(timeout=60)
        servers.append(moto)
        systems.append(moto)
    for s in systems:
        log(f"started {s.name} pid {s.pid} on :{s.port} ({s.startup_s:.2f}s)")
    ctx = {}
    for s in systems:
        t0 = time.perf_counter()
        ctx[s.name] = ecr.setup(s, p["ecr_images"], p["ecr_layers"])
        log(f"ECR setup on {s.name}: {p['ecr_images']} images in {time.perf_counter() - t0:.1f}s")
    for rnd in range(1, p["rounds"] + 1):
        order = systems if rnd % 2 else systems[::-1]
        log(f"ECR round {rnd}: order {' '.join(s.name for s in order)}")
        sec, conns = p["ecr_s"], p["ecr_conns"]
        steps = [
            ("ecr_get_auth_token", lambda s, c: ecr.get_authorization_token(s, c, sec, conns)),
            ("ecr_batch_get_1", lambda s, c: ecr.batch_get_image(s, c, sec, conns, 1)),
            ("ecr_batch_get_100", lambda s, c: ecr.batch_get_image(s, c, sec, conns, 100)),
            ("ecr_check_layers_100", lambda s, c: ecr.batch_check_layer_availability(s, c, sec, conns)),
            ("ecr_describe_100", lambda s, c: ecr.describe_images(s, c, sec, conns)),
            ("ecr_put_image", lambda s, c: ecr.put_image(s, c, rnd, p["puts"], p["put_conc"])),
            ("ecr_batch_delete_100", lambda s, c: ecr.batch_delete_image(s, c, p["del_conc"])),
        ]
        for key, fn in steps:
            if not want(args, key, "ecr"):
                continue
            for s in order:
                run_one(rows, key, s, rnd, lambda: fn(s, ctx[s.name]))


def versions(args):
    v = {}
    try:
        v["berth_git"] = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    out = subprocess.run(["/usr/bin/docker-registry", "--version"], capture_output=True, text=True)
    v["distribution"] = out.stdout.strip()
    py = real_python()
    if py:
        v["moto"] = subprocess.run([py, "-c", "import moto; print(moto.__version__)"],
                                   capture_output=True, text=True).stdout.strip()
    v["berth_binary"] = args.berth
    return v


def all_workloads():
    return [(k, l, "berth", "distribution", t) for k, l, t in OCI_WORKLOADS] + \
           [(k, l, "berth-ecr", "moto", t) for k, l, t in ECR_WORKLOADS] + \
           [(k, l, "berth", "distribution", t) for k, l, t in GC_WORKLOADS] + \
           [(k, l, "berth", "distribution", t) for k, l, t in S3_WORKLOADS]


def reprint(path):
    with open(path) as f:
        d = json.load(f)

    class Saved:
        def __init__(self, name, info):
            self.name, self.mem, self.startup_s = name, info["mem"], info.get("startup_s") or 0
    servers = [Saved(n, i) for n, i in d["servers"].items()]
    text, _ = report.table(all_workloads(), d["rows"], d["limits"], servers)
    print(f"berth bench {d['started']}, {d['mode']}, {d['params']['rounds']} round(s)")
    if d["limits"]:
        print(report.limits_text(d["limits"]))
    if not d.get("scale") or any(not r["workload"].startswith("scale") for r in d["rows"]):
        print(text)
    if d.get("scale"):
        print(scale.table(d["scale"]))
    if d.get("gc"):
        print(gc.text(d["gc"]))
    if d.get("s3"):
        print(s3.text(d["s3"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, 1 round, < 1 minute")
    ap.add_argument("--rounds", type=int, help="override the number of rounds")
    ap.add_argument("--only", help="comma list of families (limits,oci,ecr,scale,gc,s3) or "
                    "workload keys; scale, gc and s3 run only when named here")
    ap.add_argument("--berth", default=os.path.join(ROOT, "build-bench", "src", "app", "berth"))
    ap.add_argument("--scale-fill", help="berth_scale_fill for --only scale,gc (default: the one "
                    "in --berth's build tree, <build>/bench/scale/berth_scale_fill)")
    ap.add_argument("--gc-manifests", type=int, help="--only gc: store size in manifests "
                    "(10 own blobs each; default 100,000, --quick 2,000)")
    ap.add_argument("--workdir", default=None, help="where temp stores go (default /tmp)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--keep", action="store_true", help="keep the temp stores")
    ap.add_argument("--report", metavar="JSON", help="print the table of an earlier results file")
    ap.add_argument("--profile", choices=["strace", "perf"],
                    help="attach strace -c or perf record to berth per workload (diagnosis)")
    args = ap.parse_args()
    if args.report:
        return reprint(args.report)
    p = dict(PARAMS["quick" if args.quick else "full"])
    if args.rounds:
        p["rounds"] = args.rounds
    # Servers run in their own temp directories: a relative path would not resolve there.
    args.berth = os.path.abspath(args.berth)
    if not os.access(args.berth, os.X_OK):
        sys.exit(f"no berth binary at {args.berth}; build it first (make bench does)")

    started = datetime.datetime.now().astimezone()
    if args.profile:
        PROFILE["mode"] = args.profile
        PROFILE["dir"] = os.path.join(args.out, f"profile-{started:%Y%m%dT%H%M%S}")
        os.makedirs(PROFILE["dir"], exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="berth-bench-", dir=args.workdir)
    log(f"berth bench ({'quick' if args.quick else 'full'}), workdir {workdir}, params {p}")
    rows, servers, lim = [], [], {}
    scale_result = gc_result = s3_result = None
    t_start = time.perf_counter()
    try:
        berth = dist = big = None
        if any(want(args, k, "oci") for k, *_ in OCI_WORKLOADS):
            berth, dist, big = run_oci(args, p, workdir, rows, servers)
        if want(args, "limits", "limits"):
            log("measuring machine limits")
            lim_big = big or oci.BigFile(workdir, p["big"], p["chunk"])
            lim = limits.measure(workdir, lim_big, args.quick)
            log(report.limits_text(lim))
        if berth:
            oci_rounds(args, p, rows, berth, dist, big)
        if any(want(args, k, "ecr") for k, *_ in ECR_WORKLOADS):
            run_ecr(args, p, workdir, rows, servers)
        if want_scale(args):
            scale_result = scale.run(args.berth, workdir, args.quick, log, args.scale_fill)
            rows += scale.rows(scale_result)
        if want_gc(args):
            gc_rows, gc_result = gc.run(args.berth, workdir, args.quick, log, args.scale_fill,
                                        args.gc_manifests)
            rows += gc_rows
        if want_s3(args):
            s3_rows, s3_result = s3.run(args.berth, workdir, args.quick, log, args.scale_fill,
                                        args.rounds)
            rows += s3_rows
        for s in servers:
            s.note_idle(1.0 if args.quick else 5.0)
    finally:
        for s in servers:
            s.stop(keep=True)
    try:
        report_run(args, p, started, t_start, lim, rows, servers, scale_result, gc_result,
                   s3_result)
    finally:
        # Stores of a full run hold ~15 GB in ~80k files: removed last, once
        # the results are safe.
        if not args.keep:
            log(f"removing {workdir}")
            shutil.rmtree(workdir, ignore_errors=True)
    # No thresholds (machines are noisy), but a workload berth failed is a
    # failed run: this is what makes `make bench-smoke` a test.
    broken = berth_failures(rows)
    if broken:
        for r in broken:
            log(f"berth failed {r['workload']} round {r['round']}: "
                f"{r.get('skipped') or r.get('errors')}")
        sys.exit(1)


def berth_failures(rows):
    """berth rows whose workload raised, or where over 1% of requests failed
    (wrk counts a timeout on a loaded machine as an error too)."""
    def failed(r):
        if str(r.get("skipped", "")).startswith("error"):
            return True
        errors = r.get("errors") or 0
        return errors > 0.01 * (r.get("requests") or 0)
    return [r for r in rows if str(r.get("system", "")).startswith("berth") and failed(r)]


def report_run(args, p, started, t_start, lim, rows, servers, scale_result=None, gc_result=None,
               s3_result=None):
    text, summary = report.table(all_workloads(), rows, lim, servers)
    mem_targets = []
    for s in servers:
        if s.name.startswith("berth"):
            idle, peak = s.mem.get("idle_kib", 0) / 1024, s.mem.get("peak_kib", 0) / 1024
            mem_targets.append(f"  {s.name}: idle {idle:.1f} MiB <= 16 "
                               f"{'MET' if idle <= 16 else 'MISSED'}; peak {peak:.1f} MiB <= 64 "
                               f"{'MET' if peak <= 64 else 'MISSED'}")
    print()
    print(f"berth bench {started:%Y-%m-%d %H:%M %Z}, {'quick' if args.quick else 'full'}, "
          f"{p['rounds']} round(s), {time.perf_counter() - t_start:.0f} s")
    if lim:
        print(report.limits_text(lim))
    if not scale_result or servers:
        print(text)
        print("memory targets:")
        print("\n".join(mem_targets))
    if scale_result:
        print(scale.table(scale_result))
    if gc_result:
        print(gc.text(gc_result))
    if s3_result:
        print(s3.text(s3_result))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{started:%Y%m%dT%H%M%S}{'-quick' if args.quick else ''}.json")
    with open(path, "w") as f:
        json.dump({"started": started.isoformat(), "mode": "quick" if args.quick else "full",
                   "params": p, "versions": versions(args), "limits": lim,
                   "servers": {s.name: {"mem": s.mem, "startup_s": getattr(s, "startup_s", None)}
                               for s in servers},
                   "summary": summary, "rows": rows, "scale": scale_result,
                   "gc": gc_result, "s3": s3_result}, f, indent=1,
                  default=str)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
