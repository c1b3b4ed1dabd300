"""The GC workload of issue 11 (`--only gc`, never by default): berth's
online garbage collection side by side with CNCF Distribution's offline
`registry garbage-collect`, on the same content.

1. Fill. `berth_scale_fill --blobs-per-manifest K` writes N manifests, each
   referencing K blobs of its own (a config and K-1 layers, ~1 KiB each) and
   one of 100 shared base layers, spread over R repositories with a tag on
   every 10th manifest: blob bytes through berth's BlobStore interface,
   links and manifests through its MetaStore (batched commits, no review
   queued: the store looks like one whose earlier sweeps drained the queue),
   and, in the same run, the same bytes, digests, repositories and tags in
   Distribution's filesystem-driver layout (blobs/sha256/xx/<hex>/data,
   _layers, _manifests/revisions and tags link files). No HTTP: a million
   blobs take minutes, not hours.
2. Drop half. Both servers run on their stores; every untagged manifest with
   an odd index in its repository (half of them) is deleted with
   `DELETE /v2/<name>/manifests/<digest>`, as a client would (Distribution
   with `storage.delete.enabled`). berth's delete transactions queue the
   manifests' blobs for review; Distribution removes the revision links.
3. Sweep, timed, each system alone on the machine: `berth gc --apply
   --gc-delay 0 --json` (online-capable, but measured with no server, like
   its peer) and, with Distribution stopped as it must be,
   `docker-registry garbage-collect <config>`. Blobs reclaimed come from each
   tool's report; bytes on disk from `du` of the blob directories before and
   after. Target: berth's sweep >= 10x faster.
4. Sweep under load. Another quarter of the manifests (odd index / 2) is
   deleted on berth, `berth serve` restarted on the store, and paced small
   pushes (a 4 KiB blob POST+PUT, then its manifest PUT) and pulls (a live
   manifest GET by digest, then its config blob GET) run from several
   connections: first for a few seconds without a sweep (baseline), then
   while `berth gc --apply --gc-delay 0` runs beside the server on the same
   store. Target: p99 during the sweep <= 2x the baseline p99. Distribution
   has no counterpart: its GC needs the registry stopped (or read-only).
5. The same with the collector inside the server, as deployed: an eighth
   more deleted (index 4 mod 8, untagged), `berth serve --gc-interval
   <baseline + 3 s> --gc-delay 2s` restarted on the store, the same load
   from its start; operations before the first scheduled run are the
   baseline, those between it and the server's "gc: deleted" log line are
   "during" (rows gc_inproc_*).

Rows go into the run's "rows" with system "berth" / "distribution", so
run.py's table prints them with the other families' columns and targets;
the details (counts, du, the tools' reports) are kept under "gc" in the
results JSON.
"""

import asyncio
import json
import os
import re
import subprocess
import time
import traceback

from . import httpc, oci
from .procs import Berth, Distribution
from .scale import fill_binary_for

HOST = "127.0.0.1"
REGISTRY = "123456789012:us-east-1"

PARAMS = {
    # manifests in all, repositories, tags in all (one per 10 manifests),
    # own blobs per manifest, bytes per blob; load: seconds of baseline,
    # connections per kind, pause between one connection's operations.
    # quick: 500 manifests / 5,100 blobs keeps the run near a minute at the
    # sweep rates measured on the shared machine (2-9 ms per blob for berth).
    "quick": dict(manifests=500, repositories=5, tags=50, blobs_per_manifest=10,
                  blob_bytes=1024, delete_conc=8, baseline_s=3.0, load_conns=2,
                  pace_s=0.01, min_sweep_load_s=0.0),
    "full": dict(manifests=100000, repositories=100, tags=10000, blobs_per_manifest=10,
                 blob_bytes=1024, delete_conc=8, baseline_s=20.0, load_conns=2,
                 pace_s=0.01, min_sweep_load_s=0.0),
}


# ---------------------------------------------------------------- helpers

def du_bytes(path):
    """Bytes on disk under `path` (du -s, 1 KiB blocks)."""
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def read_manifest_list(path):
    """[(repository, local index, digest, tag or None)] in fill order."""
    out = []
    with open(path) as f:
        for line in f:
            repo, index, digest, tag = line.split()
            out.append((repo, int(index), digest, None if tag == "-" else tag))
    return out


def fill(fill_binary, berth_data, dist_root, list_path, p, log):
    cmd = [fill_binary, "--data-dir", berth_data, "--registry", REGISTRY,
           "--big-repo", "gc/r00000", "--repositories", str(p["repositories"]),
           "--big-share", str(1.0 / p["repositories"]), "--manifests", str(p["manifests"]),
           "--tags", str(p["tags"]), "--blobs-per-manifest", str(p["blobs_per_manifest"]),
           "--blob-bytes", str(p["blob_bytes"]), "--distribution-root", dist_root,
           "--manifest-list", list_path]
    log(f"gc: fill {p['manifests']:,} manifests x {p['blobs_per_manifest']} blobs in "
        f"{p['repositories']} repositories, berth and Distribution")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    summary = next(json.loads(line.split(" ", 1)[1]) for line in out.stdout.splitlines()
                   if line.startswith("SCALEFILL "))
    t1 = time.perf_counter()
    os.sync()  # written back now, not during the sweeps
    summary["fill_wall_s"] = t1 - t0
    summary["sync_s"] = time.perf_counter() - t1
    return summary


def _pause(s):
    return asyncio.sleep(s) if s > 0 else asyncio.sleep(0)


async def _delete_all(port, targets, conc):
    """DELETE /v2/<repo>/manifests/<digest> for each target, `conc`
    connections. Returns (wall s, latencies, failures)."""
    queue = list(targets)
    lat, failures = [], []

    async def worker():
        conn = httpc.Conn(HOST, port)
        try:
            while queue:
                repo, digest = queue.pop()
                t0 = time.perf_counter()
                r = await conn.request("DELETE", f"/v2/{repo}/manifests/{digest}")
                lat.append(time.perf_counter() - t0)
                if r.status != 202:
                    failures.append(f"DELETE {repo}@{digest}: {r.status} {r.body[:200]!r}")
        finally:
            conn.close()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return time.perf_counter() - t0, lat, failures


def delete_manifests(server, targets, conc, log, what):
    wall, lat, failures = asyncio.run(_delete_all(server.port, targets, conc))
    lat.sort()
    log(f"gc: {server.name}: deleted {len(targets) - len(failures):,}/{len(targets):,} "
        f"manifests ({what}) in {wall:.1f} s, {len(targets) / wall:,.0f}/s"
        + (f"; {len(failures)} failed, first: {failures[0]}" if failures else ""))
    return {"value": len(targets) / wall, "unit": "del/s", "higher_better": True,
            "wall_s": wall, "requests": len(targets), "errors": len(failures),
            "p50_ms": httpc.percentile(lat, 50) * 1000, "p99_ms": httpc.percentile(lat, 99) * 1000,
            **({"first_error": failures[0][:300]} if failures else {})}


def berth_gc(binary, data_dir, log):
    t0 = time.perf_counter()
    out = subprocess.run([binary, "gc", "--data-dir", data_dir, "--apply", "--gc-delay", "0",
                          "--json", "--no-progress"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"berth gc exited {out.returncode}: {out.stderr[-400:]}")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, report


DIST_SUMMARY = re.compile(r"(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible")


def distribution_gc(config, log_path):
    t0 = time.perf_counter()
    with open(log_path, "w") as f:
        out = subprocess.run(["/usr/bin/docker-registry", "garbage-collect", config],
                             stdout=f, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    with open(log_path) as f:
        text = f.read()
    if out.returncode != 0:
        raise RuntimeError(f"registry garbage-collect exited {out.returncode}: {text[-400:]}")
    m = DIST_SUMMARY.search(text)
    marked, blobs, manifests = (int(x) for x in m.groups()) if m else (None, None, None)
    deleted = text.count("Deleting blob:")
    return wall, {"blobs_marked": marked, "blobs_eligible": blobs,
                  "manifests_eligible": manifests, "deleting_blob_lines": deleted}


# ---------------------------------------------------------------- load

class Load:
    """Paced small pushes and pulls from `conns` connections of each kind;
    records (kind, start time, latency, ok)."""

    def __init__(self, port, live, pace_s, conns):
        self.port, self.live, self.pace_s, self.conns = port, live, pace_s, conns
        self.samples = []
        self.config = oci.config_blob("gc-load")
        self.pushes = 0

    async def setup(self):
        conn = httpc.Conn(HOST, self.port)
        try:
            for w in range(self.conns):
                oci.must(await oci.push_blob(conn, f"gcload/w{w}", self.config))
        finally:
            conn.close()

    async def _push(self, conn, w):
        self.pushes += 1
        repo = f"gcload/w{w}"
        layer = os.urandom(4096)
        ok = await oci.push_blob(conn, repo, layer)
        if ok is True:
            ok = await oci.put_manifest(conn, repo, f"p{self.pushes:07d}",
                                        oci.make_manifest(self.config, [layer]))
        return ok

    async def _pull(self, conn, i):
        repo, digest = self.live[i % len(self.live)]
        r = await conn.request("GET", f"/v2/{repo}/manifests/{digest}",
                               {"Accept": oci.MANIFEST_TYPE})
        if r.status != 200:
            return f"GET manifest {r.status} {r.body[:200]!r}"
        config = json.loads(r.body)["config"]["digest"]
        r = await conn.request("GET", f"/v2/{repo}/blobs/{config}")
        if r.status != 200:
            return f"GET blob {r.status} {r.body[:200]!r}"
        return True

    async def run(self, until):
        """Runs until until() is true (checked between operations)."""
        async def worker(kind, w):
            conn = httpc.Conn(HOST, self.port)
            i = w * 7919
            try:
                while not until():
                    t0 = time.perf_counter()
                    ok = await (self._push(conn, w) if kind == "push" else self._pull(conn, i))
                    self.samples.append((kind, t0, time.perf_counter() - t0, ok))
                    i += 1
                    await _pause(self.pace_s)
            finally:
                conn.close()
        await asyncio.gather(*(worker(k, w) for k in ("push", "pull") for w in range(self.conns)))


def _latency(samples, kind):
    lat = sorted(s[2] for s in samples if s[0] == kind)
    failures = [s[3] for s in samples if s[0] == kind and s[3] is not True]
    if not lat:
        return {"requests": 0, "errors": 0}
    return {"requests": len(lat), "errors": len(failures),
            "p50_ms": httpc.percentile(lat, 50) * 1000, "p99_ms": httpc.percentile(lat, 99) * 1000,
            "max_ms": lat[-1] * 1000, **({"first_error": str(failures[0])[:300]} if failures else {})}


def sweep_under_load(server, binary, live, p, log):
    """Baseline load, then the same load while `berth gc --apply` runs beside
    the server. Returns {push: {...}, pull: {...}, gc: {...}}."""
    load = Load(server.port, live, p["pace_s"], p["load_conns"])

    async def go():
        await load.setup()
        end = time.perf_counter() + p["baseline_s"]
        await load.run(lambda: time.perf_counter() >= end)
        base_samples = list(load.samples)
        load.samples.clear()
        log(f"gc: load baseline {p['baseline_s']:.0f} s: {len(base_samples)} operations; "
            "starting berth gc beside the server")
        t0 = time.perf_counter()
        proc = subprocess.Popen([binary, "gc", "--data-dir", server.store_dir, "--apply",
                                 "--gc-delay", "0", "--json", "--no-progress"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        state = {"end": None}

        def done():
            if state["end"] is None and proc.poll() is not None:
                state["end"] = time.perf_counter()
            return state["end"] is not None and \
                time.perf_counter() - t0 >= p["min_sweep_load_s"]
        await load.run(done)
        out, err = proc.communicate()
        return base_samples, list(load.samples), t0, state["end"], proc.returncode, out, err
    base, during, t0, t_end, rc, out, err = asyncio.run(go())
    if rc != 0:
        raise RuntimeError(f"berth gc beside the server exited {rc}: {err[-400:]}")
    report = json.loads(out.strip().splitlines()[-1])
    # Only operations that started while the sweep ran count as "during".
    during = [s for s in during if s[1] < t_end]
    res = {"gc": {"wall_s": t_end - t0, "report": report}}
    for kind in ("push", "pull"):
        res[kind] = {"baseline": _latency(base, kind), "during": _latency(during, kind)}
    return res


def sweep_in_server(server, live, p, log):
    """berth's scheduled collection inside `berth serve` (--gc-interval,
    --gc-delay 2s so a push's blob is never due before its manifest): the
    load runs from the start; operations that start before the first
    scheduled run are the baseline, those between it and the server's
    "gc: deleted" log line are "during"."""
    interval = p["baseline_s"] + 3.0
    base_cmd = type(server).command(server)
    extra = ["--gc-interval", f"{interval:.0f}s", "--gc-delay", "2s"]
    server.command = lambda: [("info" if a == "warn" else a) for a in base_cmd] + extra
    log_path = server.log.name
    offset = os.path.getsize(log_path)
    server.start()
    t_sched = time.perf_counter() - server.startup_s - 0.3 + interval  # start() slept 0.3 s
    load = Load(server.port, live, p["pace_s"], p["load_conns"])
    state = {"end": None}

    def finished():
        with open(log_path, "rb") as f:
            f.seek(offset)
            return b"gc: deleted" in f.read()

    def until():
        if state["end"] is None and time.perf_counter() > t_sched and finished():
            state["end"] = time.perf_counter()
        return state["end"] is not None or time.perf_counter() > t_sched + 3600

    async def go():
        await load.setup()
        await load.run(until)
    asyncio.run(go())
    t_end = state["end"] or time.perf_counter()
    base = [s for s in load.samples if s[1] + s[2] < t_sched - 0.5]
    during = [s for s in load.samples if t_sched <= s[1] < t_end]
    with open(log_path, "rb") as f:
        f.seek(offset)
        line = next((ln for ln in f.read().decode(errors="replace").splitlines()
                     if "gc: deleted" in ln), "")
    res = {"gc": {"wall_s": t_end - t_sched, "log": line[-300:], "interval_s": interval}}
    for kind in ("push", "pull"):
        res[kind] = {"baseline": _latency(base, kind), "during": _latency(during, kind)}
    return res


def _p99_rows(row, key, res, log, where):
    for kind in ("push", "pull"):
        b, d = res[kind]["baseline"], res[kind]["during"]
        log(f"gc: {kind} ({where}): p99 {b.get('p99_ms', 0):.2f} ms without a sweep "
            f"({b['requests']} ops), {d.get('p99_ms', 0):.2f} ms during it "
            f"({d['requests']} ops)")
        if not d.get("requests") or not b.get("requests"):
            row(f"{key}_{kind}_p99", "berth", {"skipped": "error: no operations measured"})
            continue
        row(f"{key}_{kind}_p99", "berth", {
            "value": d["p99_ms"] / b["p99_ms"], "unit": "x", "higher_better": False,
            "p99_ms": d["p99_ms"], "p50_ms": d["p50_ms"], "baseline_p99_ms": b["p99_ms"],
            "baseline_p50_ms": b["p50_ms"], "requests": d["requests"] + b["requests"],
            "errors": d["errors"] + b["errors"], "sweep_s": res["gc"]["wall_s"]})
        row(f"{key}_{kind}_p99", "distribution", {
            "skipped": "cannot serve during its garbage-collect (offline)"})


# ---------------------------------------------------------------- driver

def run(berth_binary, workdir, quick, log, fill_binary=None, manifests=None):
    """Returns (rows, details) for run.py. `manifests` overrides the size
    (repositories of 1,000 manifests, a tag per 10; own blobs stay 10 per
    manifest)."""
    p = dict(PARAMS["quick" if quick else "full"])
    if manifests:
        p["manifests"] = manifests
        p["repositories"] = max(1, manifests // 1000)
        p["tags"] = manifests // 10
    # Servers and tools run in their own directories: absolute paths.
    berth_binary = os.path.abspath(berth_binary)
    fill_binary = os.path.abspath(fill_binary or fill_binary_for(berth_binary))
    if not os.access(fill_binary, os.X_OK):
        raise RuntimeError(f"no berth_scale_fill at {fill_binary}; build the target "
                           "berth_scale_fill (-DBERTH_BENCH=ON; make bench-build does)")
    berth = Berth(workdir, berth_binary)
    dist = Distribution(workdir)
    dist_root = os.path.join(dist.workdir, "store")
    rows, details = [], {"params": p}

    def row(key, system, r):
        rows.append({"workload": key, "system": system, "round": 1} | r)

    try:
        list_path = os.path.join(workdir, "gc-manifests.txt")
        summary = fill(fill_binary, berth.store_dir, dist_root, list_path, p, log)
        details["fill"] = summary
        log(f"gc: filled in {summary['fill_wall_s']:.1f} s (berth {summary['berth_fill_s']:.1f} s, "
            f"Distribution {summary['distribution_fill_s']:.1f} s), {summary['blobs']:,} blobs, "
            f"{summary['blob_bytes'] / 2**20:,.0f} MiB; sync {summary['sync_s']:.1f} s")
        manifests = read_manifest_list(list_path)
        # Half: untagged, odd index in its repository. A quarter more for the
        # sweep under load: index 2 mod 4, untagged. The rest stays live.
        first = [(r, d) for r, i, d, t in manifests if i % 2 == 1 and t is None]
        second = [(r, d) for r, i, d, t in manifests if i % 4 == 2 and t is None]
        live = [(r, d) for r, i, d, t in manifests if i % 4 == 0]
        # An eighth more for the sweep inside the server: index 4 mod 8.
        third = [(r, d) for r, i, d, t in manifests if i % 8 == 4 and t is None]
        live_in_server = [(r, d) for r, i, d, t in manifests
                          if i % 8 == 0 or (i % 8 == 4 and t is not None)]
        details["deleted_first"], details["deleted_second"] = len(first), len(second)
        berth_blobs = os.path.join(berth.store_dir, "blobs")
        dist_blobs = os.path.join(dist_root, "docker", "registry", "v2", "blobs")
        du0 = {"berth": du_bytes(berth_blobs), "distribution": du_bytes(dist_blobs)}

        for s in (berth, dist):
            s.start()
            log(f"gc: started {s.name} pid {s.pid} on :{s.port}")
            row("gc_delete", s.name, delete_manifests(s, first, p["delete_conc"], log, "half"))
            s.stop(keep=True)
            s.log = open(os.path.join(s.workdir, "server.log"), "ab")

        wall, report = berth_gc(berth_binary, berth.store_dir, log)
        log(f"gc: berth gc --apply: {wall:.2f} s, reclaimed "
            f"{report['blobs_reclaimed']['count']:,} blobs "
            f"({report['blobs_reclaimed']['bytes'] / 2**20:,.1f} MiB), reviewed "
            f"{report['blobs_reviewed']:,}, kept {report['blobs_kept']:,}")
        details["berth_gc"] = {"wall_s": wall, "report": report}
        dist_cfg = os.path.join(dist.workdir, "config.yml")
        dwall, dreport = distribution_gc(dist_cfg, os.path.join(dist.workdir, "gc.log"))
        log(f"gc: registry garbage-collect: {dwall:.2f} s, {dreport}")
        details["distribution_gc"] = {"wall_s": dwall, "report": dreport}
        du1 = {"berth": du_bytes(berth_blobs), "distribution": du_bytes(dist_blobs)}
        details["du_blobs_before"], details["du_blobs_after"] = du0, du1
        log(f"gc: blob directories on disk: berth {du0['berth'] / 2**20:,.0f} -> "
            f"{du1['berth'] / 2**20:,.0f} MiB, Distribution {du0['distribution'] / 2**20:,.0f} -> "
            f"{du1['distribution'] / 2**20:,.0f} MiB")
        expected = len(first) * p["blobs_per_manifest"]
        details["expected_blobs"] = expected
        row("gc_sweep", "berth", {
            "value": wall, "unit": "s", "higher_better": False, "wall_s": wall,
            "blobs_reclaimed": report["blobs_reclaimed"]["count"],
            "bytes_reclaimed": report["blobs_reclaimed"]["bytes"],
            "disk_freed_bytes": du0["berth"] - du1["berth"], "expected_blobs": expected,
            "errors": report.get("errors", 0), "requests": report["blobs_reviewed"]})
        row("gc_sweep", "distribution", {
            "value": dwall, "unit": "s", "higher_better": False, "wall_s": dwall,
            "blobs_reclaimed": dreport["blobs_eligible"],
            "disk_freed_bytes": du0["distribution"] - du1["distribution"]})
        for system, blobs in (("berth", report["blobs_reclaimed"]["count"]),
                              ("distribution", dreport["blobs_eligible"])):
            if blobs is not None:
                row("gc_reclaimed", system, {
                    "value": blobs, "unit": "blobs", "higher_better": True,
                    "disk_freed_MiB": (du0[system] - du1[system]) / 2**20,
                    "expected_blobs": expected})

        # The sweep under load.
        berth.start()
        log(f"gc: restarted berth pid {berth.pid} for the sweep under load")
        row("gc_delete_2", "berth", delete_manifests(berth, second, p["delete_conc"], log,
                                                      "another quarter"))
        res = sweep_under_load(berth, berth_binary, live, p, log)
        details["under_load"] = res
        log(f"gc: sweep beside the server: {res['gc']['wall_s']:.2f} s, reclaimed "
            f"{res['gc']['report']['blobs_reclaimed']['count']:,} blobs")
        _p99_rows(row, "gc", res, log, "berth gc beside the server")

        # The same with the collector inside the server (--gc-interval).
        row("gc_delete_3", "berth", delete_manifests(berth, third, p["delete_conc"], log,
                                                      "another eighth"))
        berth.stop(keep=True)
        berth.log = open(os.path.join(berth.workdir, "server.log"), "ab")
        res = sweep_in_server(berth, live_in_server, p, log)
        details["under_load_in_server"] = res
        log(f"gc: sweep inside berth serve: {res['gc']['wall_s']:.2f} s; {res['gc']['log']}")
        _p99_rows(row, "gc_inproc", res, log, "inside berth serve")
    except Exception as e:  # noqa: BLE001 - reported as a failed row
        traceback.print_exc()
        rows.append({"workload": "gc_sweep", "system": "berth", "round": 1,
                     "skipped": f"error: {e}"[:400]})
        details["error"] = f"{e}"[:400]
    finally:
        for s in (berth, dist):
            if s.proc:
                s.stop(keep=True)
    return rows, details


def text(details):
    """Lines under the table: what was filled, reclaimed and freed."""
    if not details:
        return ""
    f = details.get("fill")
    lines = []
    if f:
        lines.append(f"gc: store of {f['manifests']:,} manifests ({f['tags']:,} tagged) in "
                     f"{f['repositories']} repositories, {f['blobs']:,} blobs "
                     f"({f['blob_bytes'] / 2**20:,.0f} MiB; {f['blobs_per_manifest']} own per "
                     f"manifest + {f['shared_bases']} shared bases); filled in "
                     f"{f['fill_wall_s']:.0f} s (berth {f['berth_fill_s']:.0f} s, Distribution "
                     f"{f['distribution_fill_s']:.0f} s)")
    if "berth_gc" in details and "distribution_gc" in details:
        b, d = details["berth_gc"], details["distribution_gc"]
        du0, du1 = details["du_blobs_before"], details["du_blobs_after"]
        lines.append(f"  dropped {details['deleted_first']:,} manifests (expected "
                     f"{details['expected_blobs']:,} own blobs freed); berth gc: "
                     f"{b['wall_s']:.2f} s, {b['report']['blobs_reclaimed']['count']:,} blobs, "
                     f"du {du0['berth'] / 2**20:,.0f} -> {du1['berth'] / 2**20:,.0f} MiB; "
                     f"Distribution garbage-collect: {d['wall_s']:.2f} s, "
                     f"{d['report']['blobs_eligible']} blobs (manifests included), "
                     f"du {du0['distribution'] / 2**20:,.0f} -> "
                     f"{du1['distribution'] / 2**20:,.0f} MiB; speedup "
                     f"{d['wall_s'] / b['wall_s']:.1f}x")
    u = details.get("under_load_in_server")
    if u:
        lines.append(f"  sweep inside berth serve (--gc-interval): {u['gc']['wall_s']:.2f} s; " +
                     "; ".join(f"{k} p99 {u[k]['baseline'].get('p99_ms', 0):.2f} -> "
                               f"{u[k]['during'].get('p99_ms', 0):.2f} ms "
                               f"({u[k]['during']['requests']} ops during)"
                               for k in ("push", "pull")))
    u = details.get("under_load")
    if u:
        lines.append(f"  sweep beside berth serve: {u['gc']['wall_s']:.2f} s, "
                     f"{u['gc']['report']['blobs_reclaimed']['count']:,} blobs; " + "; ".join(
                         f"{k} p99 {u[k]['baseline'].get('p99_ms', 0):.2f} -> "
                         f"{u[k]['during'].get('p99_ms', 0):.2f} ms ({u[k]['during']['requests']} "
                         f"ops during)" for k in ("push", "pull")))
    if details.get("error"):
        lines.append(f"  error: {details['error']}")
    return "\n".join(lines)
