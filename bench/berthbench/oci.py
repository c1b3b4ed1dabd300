"""OCI /v2/ workloads, run identically against berth and CNCF Distribution.

Every workload is a function (server, ctx) -> result dict. `ctx` is the
per-(server, round) state made by setup(): a fresh repository holding one
config blob, one layer blob and one manifest tagged `latest`. Big pushes get
content that differs per round (so no store can short-circuit a known
digest) and the page cache is flushed (sync) before each, so one server's
dirty pages are not written back during the other's measurement.
"""

import hashlib
import json
import os
import subprocess
import time

from . import httpc, tools
from .procs import Meter

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
HOST = "127.0.0.1"
GIB = 1 << 30


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_manifest(config, layers, annotations=None):
    m = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
         "config": {"mediaType": CONFIG_TYPE, "digest": sha256(config), "size": len(config)},
         "layers": [{"mediaType": LAYER_TYPE, "digest": sha256(l), "size": len(l)}
                    for l in layers]}
    if annotations:
        m["annotations"] = annotations
    return json.dumps(m, separators=(",", ":")).encode()


def config_blob(tag):
    return json.dumps({"architecture": "amd64", "os": "linux",
                       "config": {"Labels": {"bench": tag}},
                       "rootfs": {"type": "layers", "diff_ids": []}},
                      separators=(",", ":")).encode()


async def push_blob(conn, repo, data, digest=None, auth=None):
    """POST then monolithic PUT (what the OCI spec calls POST-PUT)."""
    digest = digest or sha256(data)
    hdrs = {"Authorization": auth} if auth else {}
    r = await conn.request("POST", f"/v2/{repo}/blobs/uploads/", hdrs)
    if r.status != 202:
        return f"POST upload {r.status} {r.body[:200]!r}"
    target = httpc.add_query(httpc.path_of(r.header("location")), "digest", digest)
    h = dict(hdrs)
    h["Content-Type"] = "application/octet-stream"
    r = await conn.request("PUT", target, h, data)
    if r.status != 201:
        return f"PUT blob {r.status} {r.body[:200]!r}"
    return True


async def put_manifest(conn, repo, ref, body, auth=None):
    hdrs = {"Content-Type": MANIFEST_TYPE}
    if auth:
        hdrs["Authorization"] = auth
    r = await conn.request("PUT", f"/v2/{repo}/manifests/{ref}", hdrs, body)
    if r.status != 201:
        return f"PUT manifest {r.status} {r.body[:200]!r}"
    return True


def must(ok):
    if ok is not True:
        raise RuntimeError(ok)


def setup(server, rnd):
    repo = f"bench/r{rnd}"
    config = config_blob(f"r{rnd}")
    layer = os.urandom(4096)
    manifest = make_manifest(config, [layer])

    async def go():
        c = httpc.Conn(HOST, server.port)
        try:
            must(await push_blob(c, repo, config))
            must(await push_blob(c, repo, layer))
            must(await put_manifest(c, repo, "latest", manifest))
        finally:
            c.close()
    import asyncio
    asyncio.run(go())
    return {"repo": repo, "manifest": manifest, "manifest_digest": sha256(manifest),
            "layer_digest": sha256(layer), "round": rnd}


# ---------------------------------------------------------------- big blobs

class BigFile:
    """One file of random bytes plus the same bytes split into chunk files.
    variant(tag) stamps the first 32 bytes so every push is a new digest."""

    def __init__(self, workdir, size, chunk):
        self.size = size
        self.chunk = chunk
        self.path = os.path.join(workdir, "big.bin")
        self.chunk_dir = os.path.join(workdir, "chunks")
        os.makedirs(self.chunk_dir, exist_ok=True)
        subprocess.run(["dd", "if=/dev/urandom", f"of={self.path}", "bs=1M",
                        f"count={size >> 20}", "status=none"], check=True)
        subprocess.run(["split", "-b", str(chunk), "-d", "-a", "4", self.path,
                        os.path.join(self.chunk_dir, "c")], check=True)
        self.chunks = sorted(os.path.join(self.chunk_dir, f) for f in os.listdir(self.chunk_dir))
        self.digest = None

    def variant(self, tag):
        stamp = tag.encode().ljust(32, b"\0")[:32]
        for p in (self.path, self.chunks[0]):
            with open(p, "r+b") as f:
                f.write(stamp)
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            while True:
                b = f.read(8 << 20)
                if not b:
                    break
                h.update(b)
        self.digest = "sha256:" + h.hexdigest()
        return self.digest


def _start_upload(server, repo):
    r = httpc.request_once(HOST, server.port, "POST", f"/v2/{repo}/blobs/uploads/")
    if r.status != 202:
        raise RuntimeError(f"POST upload: {r.status} {r.body[:200]!r}")
    return httpc.path_of(r.header("location"))


def _throughput(size, meter, extra=None):
    d = meter.fields()
    gb = size / 1e9
    d.update({"value": gb / meter.wall, "unit": "GB/s", "higher_better": True,
              "cpu_per_unit": meter.server_cpu / gb, "cpu_unit": "cpu-s/GB",
              "client_cpu_per_unit": meter.client_cpu / gb})
    d.update(extra or {})
    return d


def push_monolithic(server, ctx, big):
    os.sync()
    with Meter(server) as m:
        loc = _start_upload(server, ctx["repo"])
        url = server.base + httpc.add_query(loc, "digest", big.digest)
        code, info, _ = tools.curl(["-X", "PUT", "-T", big.path,
                                    "-H", "Content-Type: application/octet-stream", url])
    if code != 201:
        raise RuntimeError(f"monolithic PUT: {code}")
    return _throughput(big.size, m)


def push_chunked(server, ctx, big):
    os.sync()
    with Meter(server) as m:
        loc = _start_upload(server, ctx["repo"])
        off = 0
        for path in big.chunks:
            n = os.path.getsize(path)
            code, info, hdr = tools.curl(
                ["-X", "PATCH", "-T", path, "-H", "Content-Type: application/octet-stream",
                 "-H", f"Content-Range: {off}-{off + n - 1}", server.base + loc])
            if code != 202:
                raise RuntimeError(f"PATCH chunk at {off}: {code}")
            loc = httpc.path_of(tools.header_value(hdr, "location"))
            off += n
        code, info, _ = tools.curl(["-X", "PUT", server.base + httpc.add_query(loc, "digest", big.digest)])
    if code != 201:
        raise RuntimeError(f"closing PUT: {code}")
    ctx["big_digest"] = big.digest
    return _throughput(big.size, m, {"chunks": len(big.chunks)})


def pull(server, ctx, big):
    url = f"{server.base}/v2/{ctx['repo']}/blobs/{ctx['big_digest']}"
    with Meter(server) as m:
        code, info, _ = tools.curl([url])
    if code != 200 or int(info["down"]) != big.size:
        raise RuntimeError(f"pull: {code}, {info['down']} bytes")
    return _throughput(big.size, m, {"note": "blob warm in page cache (just pushed)"})


# ---------------------------------------------------------------- request rates

def _rate(result, meter):
    d = meter.fields()
    n = max(result["requests"], 1)
    d.update({"value": result["rps"], "unit": "req/s", "higher_better": True,
              "cpu_per_unit": meter.server_cpu / n * 1e6, "cpu_unit": "cpu-µs/req",
              "client_cpu_per_unit": meter.client_cpu / n * 1e6,
              "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
              "requests": result["requests"], "errors": result["errors"]})
    return d


def manifest_get(server, ctx, seconds, conns):
    url = f"{server.base}/v2/{ctx['repo']}/manifests/latest"
    with Meter(server) as m:
        r = tools.wrk(url, seconds, conns, headers={"Accept": MANIFEST_TYPE})
    return _rate(r, m)


def head_manifest(server, ctx, seconds, conns):
    url = f"{server.base}/v2/{ctx['repo']}/manifests/{ctx['manifest_digest']}"
    with Meter(server) as m:
        r = tools.ab_head(url, seconds, conns, headers={"Accept": MANIFEST_TYPE})
    return _rate(r, m)


def head_blob(server, ctx, seconds, conns):
    url = f"{server.base}/v2/{ctx['repo']}/blobs/{ctx['layer_digest']}"
    with Meter(server) as m:
        r = tools.ab_head(url, seconds, conns)
    return _rate(r, m)


def _ops_result(wall, lat, failures, meter, n):
    lat.sort()
    d = meter.fields()
    d.update({"value": n / wall, "unit": "ops/s", "higher_better": True,
              "cpu_per_unit": meter.server_cpu / n * 1e6, "cpu_unit": "cpu-µs/op",
              "client_cpu_per_unit": meter.client_cpu / n * 1e6,
              "p50_ms": httpc.percentile(lat, 50) * 1000,
              "p99_ms": httpc.percentile(lat, 99) * 1000,
              "requests": n, "errors": len(failures)})
    if failures:
        d["first_error"] = str(failures[0])[:300]
    return d


def fsync_probe(directory, count=20):
    """p50 of 4 KiB write+fdatasync in the store's directory right now: the
    disk's durable-write latency at the moment of a small-push run."""
    path = os.path.join(directory, "fsync-probe.bin")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    lat = []
    try:
        for i in range(count):
            t0 = time.perf_counter()
            os.pwrite(fd, b"x" * 4096, i * 4096)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return lat[len(lat) // 2] * 1000


def small_pushes(server, ctx, count, concurrency):
    repo = ctx["repo"]
    probe = fsync_probe(server.workdir)
    blobs = [os.urandom(4096) for _ in range(count)]
    digests = [sha256(b) for b in blobs]

    def op(i):
        return lambda conn: push_blob(conn, repo, blobs[i], digests[i])
    ops = [op(i) for i in range(count)]
    with Meter(server) as m:
        wall, lat, failures = httpc.run_ops(HOST, server.port, ops, concurrency)
    return _ops_result(wall, lat, failures, m, count) | {"fsync_probe_p50_ms": probe}


def tag_pushes(server, ctx, count, concurrency):
    repo, body = ctx["repo"], ctx["manifest"]

    def op(i):
        return lambda conn: put_manifest(conn, repo, f"t{i:05d}", body)
    ops = [op(i) for i in range(count)]
    with Meter(server) as m:
        wall, lat, failures = httpc.run_ops(HOST, server.port, ops, concurrency)
    ctx["tags"] = count + 1  # plus `latest`
    return _ops_result(wall, lat, failures, m, count)


def _repeat_for(port, seconds, op):
    """Sequential requests on one keep-alive connection until `seconds`
    have passed (so the 10 ms /proc CPU tick is small against the total)."""
    import asyncio

    async def go():
        conn = httpc.Conn(HOST, port)
        lat, failures = [], []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end or not lat:
            t0 = time.perf_counter()
            ok = await op(conn)
            lat.append(time.perf_counter() - t0)
            if ok is not True:
                failures.append(ok)
        conn.close()
        return lat, failures
    return asyncio.run(go())


def tags_list(server, ctx, seconds):
    target = f"/v2/{ctx['repo']}/tags/list"
    seen = {}

    async def op(conn):
        r = await conn.request("GET", target)
        if r.status != 200:
            return f"tags/list {r.status}"
        if not seen:
            seen["n"] = len(json.loads(r.body)["tags"])
        return True
    with Meter(server) as m:
        lat, failures = _repeat_for(server.port, seconds, op)
    n = len(lat)
    lat.sort()
    d = m.fields()
    d.update({"value": httpc.percentile(lat, 50) * 1000, "unit": "ms", "higher_better": False,
              "cpu_per_unit": m.server_cpu / n * 1e6, "cpu_unit": "cpu-µs/req",
              "client_cpu_per_unit": m.client_cpu / n * 1e6,
              "p99_ms": httpc.percentile(lat, 99) * 1000, "requests": n,
              "errors": len(failures), "tags_returned": seen.get("n")})
    return d


def make_page_walker(first, key, stats, what):
    """A `walk(conn)` for _repeat_for: GETs `first`, then each Link rel=next,
    to the end; counts pages in stats["pages"] and the `key` entries of the
    bodies in stats[key], each page's latency in stats["page_lat"]."""
    async def walk(conn):
        target, pages, entries = first, 0, 0
        while target:
            t0 = time.perf_counter()
            r = await conn.request("GET", target)
            stats["page_lat"].append(time.perf_counter() - t0)
            if r.status != 200:
                return f"{what} page {r.status} {r.body[:200]!r}"
            pages += 1
            entries += len(json.loads(r.body).get(key) or [])
            link = r.header("link")
            target = None
            if link and 'rel="next"' in link:
                target = httpc.path_of(link.split(";")[0].strip().strip("<>"))
            if pages > 10000:
                return "pagination does not end"
        stats["pages"], stats[key] = pages, entries
        return True
    return walk


def tags_list_paged(server, ctx, seconds, n=100):
    first = f"/v2/{ctx['repo']}/tags/list?n={n}"
    stats = {"pages": 0, "tags": 0, "page_lat": []}
    walk = make_page_walker(first, "tags", stats, "tags/list")
    with Meter(server) as m:
        lat, failures = _repeat_for(server.port, seconds, walk)
    lat.sort()
    pl = sorted(stats["page_lat"])
    d = m.fields()
    d.update({"value": httpc.percentile(lat, 50) * 1000, "unit": "ms/walk", "higher_better": False,
              "cpu_per_unit": m.server_cpu / max(len(pl), 1) * 1e6, "cpu_unit": "cpu-µs/page",
              "client_cpu_per_unit": m.client_cpu / max(len(pl), 1) * 1e6,
              "p99_ms": httpc.percentile(pl, 99) * 1000,
              "page_p50_ms": httpc.percentile(pl, 50) * 1000,
              "pages": stats["pages"], "tags_returned": stats["tags"],
              "pagination_honoured": stats["pages"] > 1 and stats["pages"] >= stats["tags"] // n,
              "walks": len(lat), "requests": len(pl), "errors": len(failures)})
    return d
