"""The S3 family of issue 10 §5 (`--only s3`, never by default): berth on
PostgreSQL metadata + S3 blobs side by side with CNCF Distribution on its
`s3` storage driver, both on the **same** Ceph RADOS Gateway.

One RGW (scripts/test-backends/rgw.sh) and one PostgreSQL
(scripts/test-backends/postgres.sh) are started for the run, in the run's
work directory, and stopped at its end. Each registry gets its own bucket:

- berth: `--meta-store postgresql://…/berth --blob-store s3://berth-bench?…
  --create-bucket`, blob GETs streamed through berth (its default);
- Distribution (Debian `docker-registry` 2.8.2): `storage.s3` with
  regionendpoint/bucket/region/accesskey/secretkey, `secure: false`,
  `v4auth: true`, `forcepathstyle: true`; `storage.redirect.disable: true`
  so that its blob GETs stream through it too (its default is a 307 to a
  presigned URL, which would not measure the registry); the
  `blobdescriptor: inmemory` cache of its shipped configuration.

Workloads (the same functions as the OCI family, berthbench/oci.py), rounds
alternating the order of the two systems:

- push of one big blob, monolithic and in chunks, and its pull (GB/s; berth's
  peak RSS, VmHWM, after them);
- manifest GET by tag (wrk) and HEAD blob (ab -k) rates;
- tags/list of a repository with T tags (pushed 16-parallel first);
- the catalog of R repositories (each one manifest, its blobs mounted from
  the setup repository), walked in pages of 1000 following Link.

berth only (Distribution has no shared-metadata scale-out to compare):

- manifest GET by tag through haproxy with 1, 2 and 3 `berth serve`
  processes on the same PostgreSQL database and bucket: rate, and CPU per
  request of the berth processes (summed) and of haproxy;
- startup time (exec to the first /v2/ answer) on an empty PostgreSQL
  database and on one filled with M manifests by `berth_scale_fill
  --meta-store` (verdict "flat" when the filled median is within 1.5x + 50 ms
  of the empty one).

Rows go into the run's "rows" with system "berth" / "distribution"; the rest
(sizes, versions, memory, the scale-out and startup details) under "s3".
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import traceback

from . import httpc, oci, tools
from .procs import Berth, Distribution, Meter, free_port, proc_cpu_s
from .scale import fill_binary_for, startup_times

HOST = "127.0.0.1"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BACKENDS = os.path.join(ROOT, "scripts", "test-backends")

SIZES = {
    "quick": dict(rounds=1, big=64 << 20, chunk=16 << 20, rate_s=1, conns=64, tags=300,
                  list_s=0.5, repos=300, scale_s=2, scale_conns=64, fill=10_000,
                  startup_repeats=5),
    "full": dict(rounds=2, big=1 << 30, chunk=64 << 20, rate_s=10, conns=64, tags=5000,
                 list_s=3, repos=2000, scale_s=10, scale_conns=64, fill=100_000,
                 startup_repeats=9),
}


class BerthS3(Berth):
    """berth serve on PostgreSQL + S3 (auth none, like the OCI family)."""

    def __init__(self, workdir, binary, meta, blob, s3_credentials):
        self.meta, self.blob, self.s3_credentials = meta, blob, s3_credentials
        super().__init__(workdir, binary)

    def command(self):
        return super().command() + [
            "--meta-store", self.meta, "--blob-store", self.blob,
            "--blob-store-credentials", self.s3_credentials, "--create-bucket"]


class DistributionS3(Distribution):
    def __init__(self, workdir, endpoint, access, secret, region, bucket):
        self.s3 = dict(endpoint=endpoint, access=access, secret=secret, region=region,
                       bucket=bucket)
        super().__init__(workdir)

    def command(self):
        cfg = os.path.join(self.workdir, "config.yml")
        s = self.s3
        with open(cfg, "w") as f:
            f.write(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  s3:
    accesskey: {s['access']}
    secretkey: {s['secret']}
    region: {s['region']}
    regionendpoint: {s['endpoint']}
    bucket: {s['bucket']}
    secure: false
    v4auth: true
    forcepathstyle: true
    rootdirectory: /
  redirect:
    disable: true
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{self.port}
""")
        return ["/usr/bin/docker-registry", "serve", cfg]

    def environment(self):
        # The AWS SDK in Distribution panics on an AWS_CA_BUNDLE with its
        # own transport ("LoadCustomCABundleError"); the RGW is plain HTTP.
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


# ---------------------------------------------------------------- backends

def _script_env(script, state_var, state, action):
    env = dict(os.environ)
    env[state_var] = state
    out = subprocess.run([os.path.join(BACKENDS, script), action], env=env,
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{script} {action} failed: {out.stderr.strip()[-800:]}")
    vals = {}
    for line in out.stdout.splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            vals[k] = v.strip("'")
    return vals


class Backends:
    """One RGW and one PostgreSQL, in state directories this run owns."""

    def __init__(self, workdir, log):
        self.log = log
        # PostgreSQL runs as `postgres` when we are root: its state's parent
        # must be traversable (the run's workdir is 0700).
        self.pg_parent = tempfile.mkdtemp(prefix="berth-bench-pg-")
        os.chmod(self.pg_parent, 0o755)
        self.pg_state = os.path.join(self.pg_parent, "pg")
        self.rgw_state = os.path.join(workdir, "rgw")
        self.pg = self.rgw = None

    def start(self):
        t0 = time.perf_counter()
        self.rgw = _script_env("rgw.sh", "BERTH_TEST_RGW_STATE", self.rgw_state, "start")
        self.log(f"RGW on {self.rgw['BERTH_TEST_S3_ENDPOINT']} ({time.perf_counter() - t0:.1f}s)")
        t0 = time.perf_counter()
        self.pg = _script_env("postgres.sh", "BERTH_TEST_POSTGRES_STATE", self.pg_state, "start")
        url = self.pg["BERTH_TEST_POSTGRES_URL"]
        self.log(f"PostgreSQL on {url.rsplit('@', 1)[1]} ({time.perf_counter() - t0:.1f}s)")

    def database(self, name):
        url = self.pg["BERTH_TEST_POSTGRES_URL"]
        subprocess.run(["psql", "-X", "-q", url, "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        return url.rsplit("/", 1)[0] + "/" + name

    @property
    def endpoint(self):
        return self.rgw["BERTH_TEST_S3_ENDPOINT"]

    @property
    def region(self):
        return self.rgw["BERTH_TEST_S3_REGION"]

    @property
    def keys(self):
        return self.rgw["BERTH_TEST_S3_ACCESS_KEY"], self.rgw["BERTH_TEST_S3_SECRET_KEY"]

    def blob_url(self, bucket):
        return f"s3://{bucket}?endpoint={self.endpoint}&region={self.region}&path-style=true"

    def create_bucket(self, bucket):
        import botocore.config
        import botocore.session
        access, secret = self.keys
        client = botocore.session.get_session().create_client(
            "s3", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=botocore.config.Config(s3={"addressing_style": "path"}))
        client.create_bucket(Bucket=bucket)

    def stop(self):
        for script, var, state in (("rgw.sh", "BERTH_TEST_RGW_STATE", self.rgw_state),
                                   ("postgres.sh", "BERTH_TEST_POSTGRES_STATE", self.pg_state)):
            try:
                _script_env(script, var, state, "stop")
            except Exception as e:  # noqa: BLE001 - best effort at the end
                self.log(f"{script} stop: {e}")
        shutil.rmtree(self.pg_parent, ignore_errors=True)


# ---------------------------------------------------------------- workloads

def _peak(server, r):
    server.note_peak()
    r["peak_rss_mib"] = server.mem.get("peak_kib", 0) / 1024
    return r


def _mount_or_push(conn, repo, source_repo, data):
    async def go():
        digest = oci.sha256(data)
        r = await conn.request("POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={source_repo}")
        if r.status == 201:
            return True
        if r.status != 202:
            return f"mount {r.status} {r.body[:200]!r}"
        target = httpc.add_query(httpc.path_of(r.header("location")), "digest", digest)
        r = await conn.request("PUT", target, {"Content-Type": "application/octet-stream"}, data)
        return True if r.status == 201 else f"PUT blob {r.status} {r.body[:200]!r}"
    return go()


def make_repositories(server, ctx, count, config, layer):
    """`count` repositories bench/cat/NNNNN, one manifest each (blobs
    mounted from the setup repository), 16-parallel. Not timed as a row:
    it is the catalog's fixture."""
    def op(i):
        repo = f"bench/cat/{i:05d}"

        async def run(conn):
            for data in (config, layer):
                ok = await _mount_or_push(conn, repo, ctx["repo"], data)
                if ok is not True:
                    return ok
            return await oci.put_manifest(conn, repo, "latest", ctx["manifest"])
        return run
    wall, lat, failures = httpc.run_ops(HOST, server.port, [op(i) for i in range(count)], 16)
    if failures:
        raise RuntimeError(f"{len(failures)} of {count} repositories failed: {failures[0]}")
    return wall


def catalog_walk(server, seconds, n=1000):
    """Walks /v2/_catalog?n=1000 to the end, following Link, repeatedly for
    `seconds`; value = median ms per whole walk."""
    stats = {"pages": 0, "repositories": 0, "page_lat": []}
    walk = oci.make_page_walker(f"/v2/_catalog?n={n}", "repositories", stats, "catalog")
    with Meter(server) as m:
        lat, failures = oci._repeat_for(server.port, seconds, walk)
    lat.sort()
    pl = sorted(stats["page_lat"])
    d = m.fields()
    d.update({"value": httpc.percentile(lat, 50) * 1000, "unit": "ms/walk",
              "higher_better": False,
              "cpu_per_unit": m.server_cpu / max(len(lat), 1) * 1e6, "cpu_unit": "cpu-µs/walk",
              "client_cpu_per_unit": m.client_cpu / max(len(lat), 1) * 1e6,
              "p99_ms": httpc.percentile(lat, 99) * 1000, "pages": stats["pages"],
              "repositories_returned": stats["repositories"], "walks": len(lat),
              "requests": len(pl), "errors": len(failures)})
    if failures:
        d["first_error"] = str(failures[0])[:300]
    return d


def _check_tags(r, expected):
    if r.get("tags_returned") != expected:
        raise RuntimeError(f"tags/list returned {r.get('tags_returned')} tags, expected {expected}")
    return r


# ---------------------------------------------------------------- scale-out

def _haproxy(workdir, backends_by_port, log):
    """One haproxy (foreground child of ours) with a frontend per entry:
    {lb_port: [berth ports]}, round-robin, keep-alive to the servers."""
    cfg = os.path.join(workdir, "haproxy.cfg")
    lines = ["global", "  maxconn 4096", "defaults", "  mode http", "  timeout connect 5s",
             "  timeout client 60s", "  timeout server 60s", "  option http-keep-alive"]
    for i, (lb, ports) in enumerate(backends_by_port.items()):
        lines += [f"frontend f{i}", f"  bind {HOST}:{lb}", f"  default_backend b{i}",
                  f"backend b{i}", "  balance roundrobin"]
        lines += [f"  server s{j} {HOST}:{p}" for j, p in enumerate(ports)]
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    logf = open(os.path.join(workdir, "haproxy.log"), "wb")
    proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=logf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.time() + 10
    for lb in backends_by_port:
        while True:
            try:
                httpc.request_once(HOST, lb, "GET", "/v2/")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"haproxy did not come up; see {logf.name}")
                time.sleep(0.05)
    return proc


def scale_out(first, binary, workdir, meta, blob, cred, ctx, s, log):
    """Manifest GET by tag through haproxy with 1, 2 and 3 berth processes."""
    if not shutil.which("haproxy"):
        log("SKIP scale-out: no haproxy (Debian haproxy)")
        return [], {"skipped": "no haproxy"}
    extra = [BerthS3(workdir, binary, meta, blob, cred) for _ in range(2)]
    procs = [first] + extra
    hap = None
    rows, detail = [], {}
    try:
        for b in extra:
            b.start()
        fronts = {free_port(): [p.port for p in procs[:k]] for k in (1, 2, 3)}
        hap = _haproxy(workdir, fronts, log)
        url_path = f"/v2/{ctx['repo']}/manifests/latest"
        for k, (lb, _) in zip((1, 2, 3), fronts.items()):
            pids = [p.pid for p in procs[:k]]
            c0 = [proc_cpu_s(pid) for pid in pids]
            h0 = proc_cpu_s(hap.pid)
            t0 = time.perf_counter()
            r = tools.wrk(f"http://{HOST}:{lb}{url_path}", s["scale_s"], s["scale_conns"],
                          headers={"Accept": oci.MANIFEST_TYPE})
            wall = time.perf_counter() - t0
            berth_cpu = sum(proc_cpu_s(pid) - c for pid, c in zip(pids, c0))
            hap_cpu = proc_cpu_s(hap.pid) - h0
            n = max(r["requests"], 1)
            row = {"workload": f"s3_scale_{k}", "system": "berth", "value": r["rps"],
                   "unit": "req/s", "higher_better": True,
                   "cpu_per_unit": berth_cpu / n * 1e6, "cpu_unit": "cpu-µs/req",
                   "haproxy_cpu_us_per_req": hap_cpu / n * 1e6,
                   "server_cores": berth_cpu / wall, "haproxy_cores": hap_cpu / wall,
                   "wall_s": wall, "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                   "requests": r["requests"], "errors": r["errors"], "processes": k}
            rows.append(row)
            log(f"  scale-out {k} process(es): {r['rps']:.0f} req/s, berth "
                f"{row['cpu_per_unit']:.0f} cpu-µs/req ({row['server_cores']:.2f} cores), "
                f"haproxy {row['haproxy_cpu_us_per_req']:.0f} cpu-µs/req, p99 {r['p99_ms']:.1f} ms"
                f"{' ERR ' + str(r['errors']) if r['errors'] else ''}")
        detail["peak_rss_mib"] = [p.mem.get("peak_kib", 0) / 1024 for p in procs]
    finally:
        if hap and hap.poll() is None:
            hap.terminate()
            hap.wait(10)
        for b in extra:
            b.stop(keep=True)
    return rows, detail


# ---------------------------------------------------------------- startup

def startup_flat(binary, workdir, be, fill_binary, s, log):
    """Startup on an empty PostgreSQL database vs one with `fill` manifests.
    The two are started alternately (empty, filled, empty, ...) after the
    fill, so that the machine's load of the moment falls on both."""
    if not fill_binary or not os.access(fill_binary, os.X_OK):
        log(f"SKIP startup: no berth_scale_fill at {fill_binary} (build target berth_scale_fill)")
        return [], {"skipped": f"no berth_scale_fill at {fill_binary}"}
    cred = os.path.join(workdir, "s3-credentials")
    out = {}
    servers = {}
    for label, manifests in (("empty", 0), ("filled", s["fill"])):
        db = be.database(f"startup_{label}")
        server = BerthS3(workdir, binary, db, be.blob_url(f"berth-startup-{label}"), cred)
        if manifests:
            t0 = time.perf_counter()
            fill_dir = os.path.join(workdir, f"fill-{label}")
            cmd = [fill_binary, "--data-dir", fill_dir, "--meta-store", db,
                   "--registry", "123456789012:us-east-1", "--big-repo", "scale/big",
                   "--repositories", "10", "--big-share", "0.9",
                   "--manifests", str(manifests), "--tags", str(manifests // 10)]
            res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if res.returncode != 0:
                raise RuntimeError(f"berth_scale_fill failed: {res.stderr.strip()[-500:]}")
            out["fill_s"] = time.perf_counter() - t0
            log(f"  filled {manifests:,} manifests into PostgreSQL in {out['fill_s']:.1f}s")
        # The first start creates the bucket and (empty database) the schema.
        server.start(timeout=120)
        server.stop(keep=True)
        servers[label] = (server, manifests)
    times = {"empty": [], "filled": []}
    for _ in range(s["startup_repeats"]):
        for label in ("empty", "filled"):
            times[label] += startup_times(servers[label][0], 1, timeout=120)
    rows = []
    for label in ("empty", "filled"):
        ts, manifests = times[label], servers[label][1]
        med = statistics.median(ts)
        out[label] = {"manifests": manifests, "times_s": ts, "median_s": med}
        log(f"  startup, {label} ({manifests:,} manifests): median {med * 1000:.0f} ms "
            f"[{min(ts) * 1000:.0f}-{max(ts) * 1000:.0f}]")
        rows.append({"workload": f"s3_startup_{label}", "system": "berth",
                     "value": med * 1000, "unit": "ms", "higher_better": False,
                     "manifests": manifests, "times_s": ts, "requests": len(ts), "errors": 0})
    e, f = out["empty"]["median_s"], out["filled"]["median_s"]
    out["flat"] = f <= 1.5 * e + 0.05
    rows[-1]["flat"] = out["flat"]
    rows[-1]["empty_median_ms"] = e * 1000
    return rows, out


# ---------------------------------------------------------------- run

def run(berth_binary, workdir, quick, log, fill_binary=None, rounds=None):
    """Returns (rows, detail)."""
    s = dict(SIZES["quick" if quick else "full"])
    if rounds:
        s["rounds"] = rounds
    fill_binary = fill_binary or fill_binary_for(berth_binary)
    log(f"S3 family: sizes {s}")
    be = Backends(workdir, log)
    rows, detail = [], {"sizes": s}
    servers = []
    try:
        be.start()
        detail["rgw_endpoint"] = be.endpoint
        cred = os.path.join(workdir, "s3-credentials")
        with open(cred, "w") as f:
            f.write(" ".join(be.keys) + "\n")
        os.chmod(cred, 0o600)
        meta = be.database("berth")
        berth = BerthS3(workdir, berth_binary, meta, be.blob_url("berth-bench"), cred)
        be.create_bucket("distribution-bench")
        access, secret = be.keys
        dist = DistributionS3(workdir, be.endpoint, access, secret, be.region,
                              "distribution-bench")
        for srv in (berth, dist):
            srv.start(timeout=120)
            servers.append(srv)
            log(f"started {srv.name} (S3) pid {srv.pid} on :{srv.port} ({srv.startup_s:.2f}s)")
        big = oci.BigFile(workdir, s["big"], s["chunk"])
        config = layer = None
        ctxs = {}
        for rnd in range(1, s["rounds"] + 1):
            order = (berth, dist) if rnd % 2 else (dist, berth)
            log(f"S3 round {rnd}: order {' '.join(x.name for x in order)}")
            ctx = {x.name: oci.setup(x, 100 + rnd) for x in order}
            ctxs = ctx
            if rnd == 1:
                # The setup repository's blobs, for the catalog's mounts.
                config = oci.config_blob(f"r{100 + rnd}")
            steps = [
                ("s3_push_monolithic", lambda x, c: _peak(x, oci.push_monolithic(x, c, big)),
                 f"s3r{rnd}-mono"),
                ("s3_push_chunked", lambda x, c: _peak(x, oci.push_chunked(x, c, big)),
                 f"s3r{rnd}-chunked"),
                ("s3_pull", lambda x, c: _peak(x, oci.pull(x, c, big) |
                                               {"note": "streamed from S3 through the registry"}),
                 None),
                ("s3_manifest_get", lambda x, c: oci.manifest_get(x, c, s["rate_s"], s["conns"]),
                 None),
                ("s3_head_blob", lambda x, c: oci.head_blob(x, c, s["rate_s"], s["conns"]), None),
                ("s3_tag_push", lambda x, c: oci.tag_pushes(x, c, s["tags"], 16), None),
                ("s3_tags_list", lambda x, c: _check_tags(oci.tags_list(x, c, s["list_s"]),
                                                          s["tags"] + 1), None),
            ]
            for key, fn, variant in steps:
                if variant:
                    big.variant(variant)
                for x in order:
                    _run_one(rows, key, x, rnd, lambda: fn(x, ctx[x.name]), log)
            if rnd == 1:
                for x in order:
                    layer = _setup_layer(x, ctx[x.name])
                    t0 = time.perf_counter()
                    try:
                        wall = make_repositories(x, ctx[x.name], s["repos"], config, layer)
                        log(f"  {x.name}: {s['repos']} repositories for the catalog in {wall:.1f}s")
                        detail.setdefault("catalog_fill_s", {})[x.name] = wall
                    except Exception as e:  # noqa: BLE001
                        traceback.print_exc()
                        detail.setdefault("catalog_fill_error", {})[x.name] = str(e)[:300]
                        log(f"  {x.name}: catalog fixture failed after "
                            f"{time.perf_counter() - t0:.1f}s: {e}")
            for x in order:
                expected = s["repos"] + rnd  # + the setup repositories bench/r10N
                _run_one(rows, "s3_catalog", x, rnd,
                         lambda: _check_catalog(catalog_walk(x, s["list_s"]), expected), log)
        log("S3 scale-out: manifest GET through haproxy, 1/2/3 berth processes")
        try:
            srows, sdetail = scale_out(berth, berth_binary, workdir, meta,
                                       be.blob_url("berth-bench"), cred, ctxs[berth.name], s, log)
            rows += srows
            detail["scale_out"] = sdetail
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            rows.append({"workload": "s3_scale_1", "system": "berth", "round": 0,
                         "skipped": f"error: {e}"[:400]})
        for srv in servers:
            srv.note_idle(1.0)
            detail.setdefault("mem", {})[srv.name] = dict(srv.mem)
            detail.setdefault("startup_s", {})[srv.name] = srv.startup_s
        for srv in servers:
            srv.stop(keep=True)
        servers = []
        log("S3 startup: empty vs filled PostgreSQL")
        try:
            strows, sd = startup_flat(berth_binary, workdir, be, fill_binary, s, log)
            rows += strows
            detail["startup"] = sd
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            rows.append({"workload": "s3_startup_filled", "system": "berth", "round": 0,
                         "skipped": f"error: {e}"[:400]})
    finally:
        for srv in servers:
            srv.stop(keep=True)
        be.stop()
    for r in rows:
        r.setdefault("round", 1)
    return rows, detail


def _setup_layer(server, ctx):
    """The 4 KiB layer setup() pushed: fetched back (setup keeps only its digest)."""
    r = httpc.request_once(HOST, server.port, "GET", f"/v2/{ctx['repo']}/blobs/{ctx['layer_digest']}")
    if r.status != 200:
        raise RuntimeError(f"GET setup layer: {r.status}")
    return r.body


def _check_catalog(r, expected):
    got = r.get("repositories_returned")
    if got is None or got < expected:
        raise RuntimeError(f"catalog returned {got} repositories, expected >= {expected}")
    return r


def _run_one(rows, key, server, rnd, fn, log):
    t0 = time.perf_counter()
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - a failed workload is reported, the run goes on
        traceback.print_exc()
        r = {"skipped": f"error: {e}"[:400]}
    r.update({"workload": key, "system": server.name, "round": rnd})
    rows.append(r)
    if "value" in r:
        extra = f" p99 {r['p99_ms']:.2f} ms" if r.get("p99_ms") is not None else ""
        rss = f" peak RSS {r['peak_rss_mib']:.1f} MiB" if "peak_rss_mib" in r else ""
        log(f"  r{rnd} {key:<20} {server.name:<13} {r['value']:>10.3f} {r['unit']:<8}"
            f" srv {r.get('cpu_per_unit', 0):.2f} {r.get('cpu_unit', '')}{extra}{rss}"
            f"{' ERR ' + str(r['errors']) if r.get('errors') else ''}"
            f" ({time.perf_counter() - t0:.1f}s)")
    else:
        log(f"  r{rnd} {key:<20} {server.name:<13} skipped: {r.get('skipped')}")


def text(detail):
    """Lines for the end of the run's report: memory, scale-out, startup."""
    if not detail:
        return ""
    lines = ["S3 family (berth on PostgreSQL + RGW, Distribution on RGW):"]
    for name, m in (detail.get("mem") or {}).items():
        lines.append(f"  {name:<13} peak RSS (VmHWM) {m.get('peak_kib', 0) / 1024:.1f} MiB, "
                     f"idle {m.get('idle_kib', 0) / 1024:.1f} MiB"
                     + (f"  peak <= 64 MiB {'MET' if m.get('peak_kib', 0) <= 64 * 1024 else 'MISSED'}"
                        if name.startswith("berth") else ""))
    st = detail.get("startup") or {}
    if "flat" in st:
        lines.append(f"  startup: empty {st['empty']['median_s'] * 1000:.0f} ms, "
                     f"{st['filled']['manifests']:,} manifests {st['filled']['median_s'] * 1000:.0f} ms"
                     f" -> flat {'MET' if st['flat'] else 'MISSED'}")
    elif st.get("skipped"):
        lines.append(f"  startup: skipped ({st['skipped']})")
    return "\n".join(lines)
