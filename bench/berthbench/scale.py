"""The scale workload of issue 4: does berth stay as fast when its store
holds 1,000,000 manifests and 100,000 tags as when it holds 10,000?

For each store size a fresh data directory is filled by `berth_scale_fill`
(bench/scale/), which writes through the MetaStore interface: a push's own
calls, without HTTP, so a million manifests take minutes, not hours. Most of
the store sits in one repository (`scale/big`); every measurement is made on
it, where lookups and pages have the most to lose:

- startup: from exec to the first HTTP answer on /v2/ (a 401: this berth
  runs `--auth sigv4`), median of several starts on the filled store;
- GET manifest by tag: wrk on one tag (rate, p99), and sequential GETs of
  1000 tags (quick: 200) spread evenly over the tag key space, each a
  different B-tree path;
- tags/list n=100 at the start, middle and end of the tag key space (`last=`);
- DescribeImages and ListImages pages of 100: the first page, and pages
  starting at 50 % and 90 % of the digest key space (a nextToken naming the
  digest to continue after, encoded as api/ecr/pagination.hpp documents and
  checked against a token the server issued).

One berth serves both APIs with `--auth sigv4`: ECR calls are SigV4-signed
by botocore before the clock starts (ecr.Signer), /v2/ requests carry the
GetAuthorizationToken password. Latencies are per request on one keep-alive
connection (the asyncio client), so they include a constant client cost of
roughly 0.1 ms; what matters is whether they change with the store size.
A row is "flat" when its p50 at the largest size is within 2x of the
smallest size's.

The fill goes to a tmpfs staging directory (/dev/shm) when it has room and
is then copied to the data directory on disk (the same database file).
Straight to disk it is bound by write volume: each put_manifest is one
transaction that dirties ~15 pages of random-keyed B-trees, written to the
WAL and again at each checkpoint (with an fdatasync every ~70 commits):
~90 KB of disk writes per manifest, 2,200 manifests/s at 100k against
10,000-12,000/s on tmpfs on this machine.
"""

import base64
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import traceback

from . import ecr, httpc, oci, tools
from .procs import Berth, Meter

HOST = "127.0.0.1"
REPOSITORY = "scale/big"
STAGING_ROOT = "/dev/shm"
# metadata.db measured at ~2.1 KB per manifest (random-digest B-tree pages
# are about 2/3 full); staging needs that plus room for the WAL.
BYTES_PER_MANIFEST = 3000
FLAT_RATIO = 2.0

PARAMS = {
    # (manifests, tags) in the whole store; the big repository gets big_share.
    "quick": dict(sizes=[(2000, 400), (20000, 4000)], repositories=4, big_share=0.9,
                  rounds=1, op_s=0.5, rate_s=1, conns=64, startups=3, spread_tags=200),
    "full": dict(sizes=[(10000, 1000), (100000, 10000), (1000000, 100000)], repositories=10,
                 big_share=0.9, rounds=3, op_s=1.0, rate_s=5, conns=64, startups=5,
                 spread_tags=1000),
}

# (key, label) in table order.
OPERATIONS = [
    ("startup", "startup to first /v2/ answer"),
    ("manifest_get_wrk", "GET manifest by tag, wrk -c64 (req/s)"),
    ("manifest_get_spread", "GET manifest, tags spread over keys"),
    ("tags_list_start", "tags/list n=100, start"),
    ("tags_list_middle", "tags/list n=100, last=middle"),
    ("tags_list_end", "tags/list n=100, last=end-100"),
    ("describe_first", "DescribeImages 100, first page"),
    ("describe_middle", "DescribeImages 100, token at 50%"),
    ("describe_deep", "DescribeImages 100, token at 90%"),
    ("list_first", "ListImages 100, first page"),
    ("list_middle", "ListImages 100, token at 50%"),
    ("list_deep", "ListImages 100, token at 90%"),
]

MIDDLE_DIGEST = "sha256:8" + "0" * 63                 # 50 % of the sha256 key space
DEEP_DIGEST = "sha256:e" + "6" * 63                   # 90 %


def tag_name(index):
    """The fill tool's tag names: "t" + 8 zero-padded digits."""
    return f"t{index:08d}"


def page_token(operation, scope, after_digest, after_tag=""):
    """A DescribeImages/ListImages nextToken continuing after `after_digest`,
    in the format api/ecr/pagination.hpp documents: base64url of
    u8 version 1 | u32-BE length + bytes of operation, scope, after,
    after_tag | first 8 bytes of SHA-256 over what precedes."""
    body = bytes([1])
    for field in (operation, scope, after_digest, after_tag):
        raw = field.encode()
        body += len(raw).to_bytes(4, "big") + raw
    return base64.urlsafe_b64encode(body + hashlib.sha256(body).digest()[:8]).rstrip(b"=").decode()


# ---------------------------------------------------------------- fill

def fill_binary_for(berth_binary):
    """berth_scale_fill of the same build tree: <build>/src/app/berth ->
    <build>/bench/scale/berth_scale_fill."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(berth_binary))))
    return os.path.join(build, "bench", "scale", "berth_scale_fill")


def _staging_dir(manifests):
    """A tmpfs directory when /dev/shm has room for the store, else None."""
    try:
        st = os.statvfs(STAGING_ROOT)
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < 2 * manifests * BYTES_PER_MANIFEST:
        return None
    return tempfile.mkdtemp(prefix="berth-scale-fill-", dir=STAGING_ROOT)


def fill(fill_binary, data_dir, manifests, tags, p, log):
    """Fills `data_dir`; returns the tool's SCALEFILL summary plus where and
    how long the fill and the copy took."""
    staging = _staging_dir(manifests)
    target = os.path.join(staging, "data") if staging else data_dir
    cmd = [fill_binary, "--data-dir", target, "--registry", f"{ecr.ACCOUNT}:{ecr.REGION}",
           "--big-repo", REPOSITORY, "--repositories", str(p["repositories"]),
           "--big-share", str(p["big_share"]), "--manifests", str(manifests), "--tags", str(tags)]
    log(f"  fill {manifests:,} manifests / {tags:,} tags into "
        f"{'tmpfs staging' if staging else 'the data dir (no tmpfs room)'}")
    t0 = time.perf_counter()
    try:
        # stderr (progress) goes straight to the terminal.
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
        summary = next(json.loads(line.split(" ", 1)[1]) for line in out.stdout.splitlines()
                       if line.startswith("SCALEFILL "))
        summary["fill_wall_s"] = time.perf_counter() - t0
        summary["filled_on"] = "tmpfs" if staging else "disk"
        if staging:
            t1 = time.perf_counter()
            shutil.copytree(target, data_dir)
            # Written back now, not during the measurements.
            os.sync()
            summary["copy_to_disk_s"] = time.perf_counter() - t1
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
    summary["metadata_db_bytes"] = os.path.getsize(os.path.join(data_dir, "metadata.db"))
    return summary


# ---------------------------------------------------------------- startup

def _first_answer(port, deadline):
    """Polls until something answers GET /v2/ with an HTTP status line."""
    request = f"GET /v2/ HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.sendall(request)
                if s.recv(16).startswith(b"HTTP/1."):
                    return True
        except OSError:
            pass
        time.sleep(0.002)
    return False


def startup_times(server, repeats, timeout=60):
    """Seconds from exec to the first /v2/ answer, `repeats` times on the
    filled store (page cache warm: the store was just written)."""
    times = []
    log_path = os.path.join(server.workdir, "startup.log")
    with open(log_path, "ab") as log_file:
        for _ in range(repeats):
            t0 = time.perf_counter()
            proc = subprocess.Popen(server.command(), stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=server.workdir)
            try:
                if not _first_answer(server.port, t0 + timeout):
                    raise RuntimeError(f"berth did not answer within {timeout}s; see {log_path}")
                times.append(time.perf_counter() - t0)
            finally:
                proc.terminate()
                proc.wait(30)
    return times


# ---------------------------------------------------------------- measurements

def _sequential(server, seconds, make_op):
    """Sequential requests on one keep-alive connection for `seconds`;
    make_op(i) -> async op(conn) -> True | error text. Returns the latency
    summary with server CPU per request."""
    counter = {"i": 0}

    async def op(conn):
        i = counter["i"]
        counter["i"] += 1
        return await make_op(i)(conn)
    with Meter(server) as m:
        lat, failures = oci._repeat_for(server.port, seconds, op)
    lat.sort()
    n = len(lat)
    d = m.fields()
    d.update({"p50_ms": httpc.percentile(lat, 50) * 1000,
              "p99_ms": httpc.percentile(lat, 99) * 1000,
              "requests": n, "errors": len(failures),
              "cpu_per_req_us": m.server_cpu / n * 1e6})
    if failures:
        d["first_error"] = str(failures[0])[:300]
    return d


def _get_op(target, headers):
    async def run(conn):
        r = await conn.request("GET", target, headers)
        if r.status != 200:
            return f"GET {target}: {r.status} {r.body[:200]!r}"
        return True
    return run


def _post_op(headers, body):
    async def run(conn):
        r = await conn.request("POST", "/", headers, body)
        if r.status != 200:
            return f"{headers.get('X-Amz-Target')}: {r.status} {r.body[:200]!r}"
        return True
    return run


def _tags_page(server, auth, last, seconds, expected):
    target = f"/v2/{REPOSITORY}/tags/list?n=100" + (f"&last={last}" if last else "")
    headers = {"Authorization": auth}
    r = httpc.request_once(HOST, server.port, "GET", target, headers)
    tags = (json.loads(r.body).get("tags") or []) if r.status == 200 else []
    if len(tags) != expected or (last and tags[0] <= last):
        raise RuntimeError(f"tags/list last={last!r}: {r.status}, {len(tags)} tags, "
                           f"expected {expected}")
    return _sequential(server, seconds, lambda i: _get_op(target, headers)) | {
        "first": tags[0], "last": tags[-1]}


def _ecr_page(server, signer, operation, after_digest, seconds, scope):
    params = {"repositoryName": REPOSITORY, "maxResults": 100}
    if after_digest:
        params["nextToken"] = page_token(operation, scope, after_digest)
    payload = ecr.must_call(signer, operation, params)
    items = payload.get("imageDetails", payload.get("imageIds", []))
    if len(items) != 100 or "nextToken" not in payload or \
            (after_digest and items[0]["imageDigest"] <= after_digest):
        raise RuntimeError(f"{operation} after {after_digest}: {len(items)} items, first "
                           f"{items[0]['imageDigest'] if items else None}, nextToken "
                           f"{'present' if 'nextToken' in payload else 'absent'}")
    headers, body = signer.sign(operation, params)
    first = items[0].get("imageDigest")
    return _sequential(server, seconds, lambda i: _post_op(headers, body)) | {"first": first}


def _check_token_format(signer, scope):
    """Our encoding of a cursor must be byte-identical to the server's:
    compares the token of DescribeImages' first page with one made here."""
    payload = ecr.must_call(signer, "DescribeImages",
                            {"repositoryName": REPOSITORY, "maxResults": 100})
    last = payload["imageDetails"][-1]["imageDigest"]
    mine = page_token("DescribeImages", scope, last)
    if payload.get("nextToken") != mine:
        raise RuntimeError("the nextToken format changed (see api/ecr/pagination.hpp): "
                           f"server {payload.get('nextToken')!r}, here {mine!r}")


def operations(server, summary, p):
    """The measurements on one filled, running berth, in the order they must
    run: [(key, fn)], fn() -> result dict. Each page's content is checked
    (one untimed request) before it is timed."""
    signer = ecr.Signer(server.port)
    auth = ecr._basic_auth(signer)
    scope = f"{summary['registry']}/{REPOSITORY}"
    tags = summary["repository_tags"]
    seconds = p["op_s"]
    _check_token_format(signer, scope)

    # Page sizes stay 100 at every store size, so the rows compare like with like.
    def tags_page(after_index):
        last = tag_name(after_index) if after_index >= 0 else ""
        expected = min(100, tags - after_index - 1)
        return lambda: _tags_page(server, auth, last, seconds, expected)

    def ecr_page(operation, after_digest):
        return lambda: _ecr_page(server, signer, operation, after_digest, seconds, scope)

    accept = {"Accept": oci.MANIFEST_TYPE, "Authorization": auth}
    spread = [tag_name(i * tags // p["spread_tags"]) for i in range(p["spread_tags"])]

    def manifest_get_spread():
        return _sequential(server, seconds, lambda i: _get_op(
            f"/v2/{REPOSITORY}/manifests/{spread[i % len(spread)]}", accept))

    def manifest_get_wrk():
        url = f"{server.base}/v2/{REPOSITORY}/manifests/{tag_name(tags // 2)}"
        with Meter(server) as m:
            r = tools.wrk(url, p["rate_s"], p["conns"], headers=accept)
        rate = oci._rate(r, m)
        return rate | {"cpu_per_req_us": rate["cpu_per_unit"]}

    return [
        ("tags_list_start", tags_page(-1)),
        ("tags_list_middle", tags_page(tags // 2)),
        ("tags_list_end", tags_page(tags - 101)),
        ("describe_first", ecr_page("DescribeImages", None)),
        ("describe_middle", ecr_page("DescribeImages", MIDDLE_DIGEST)),
        ("describe_deep", ecr_page("DescribeImages", DEEP_DIGEST)),
        ("list_first", ecr_page("ListImages", None)),
        ("list_middle", ecr_page("ListImages", MIDDLE_DIGEST)),
        ("list_deep", ecr_page("ListImages", DEEP_DIGEST)),
        # Manifest GETs last: the pulls they note are written by the next
        # DescribeImages, which would otherwise land in a page's p99.
        ("manifest_get_spread", manifest_get_spread),
        ("manifest_get_wrk", manifest_get_wrk),
    ]


def _log_result(log, label, key, rnd, r):
    if "error" in r:
        log(f"    r{rnd} {key:<20} {label:<16} error: {r['error']}")
        return
    rate = f"{r['value']:>8,.0f} req/s " if "value" in r else ""
    log(f"    r{rnd} {key:<20} {label:<16} {rate}p50 {r['p50_ms']:.3f} ms  "
        f"p99 {r['p99_ms']:.3f} ms  ({r['requests']} req, {r['cpu_per_req_us']:.0f} cpu-µs/req"
        f"{', ERR ' + str(r['errors']) if r.get('errors') else ''})")


def _combine(runs):
    """The rounds of one (size, operation): medians of each figure."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"], "rounds": runs}
    out = {"rounds": runs}
    for f in ("value", "p50_ms", "p99_ms", "cpu_per_req_us"):
        xs = [r[f] for r in ok if r.get(f) is not None]
        if xs:
            out[f] = statistics.median(xs)
    out["requests"] = sum(r["requests"] for r in ok)
    out["errors"] = sum(r.get("errors", 0) for r in ok)
    return out


# ---------------------------------------------------------------- driver

def _prepare(berth_binary, workdir, cred, fill_binary, manifests, tags, p, log):
    """Fills a store, times startups on it, and leaves berth running on it."""
    log(f"scale: store of {manifests:,} manifests, {tags:,} tags")
    entry = {"size": {"manifests": manifests, "tags": tags, "fill": None},
             "server": Berth(workdir, berth_binary, auth="sigv4", credentials=cred),
             "runs": {}}
    server = entry["server"]
    try:
        summary = fill(fill_binary, server.store_dir, manifests, tags, p, log)
        entry["size"]["fill"] = summary
        log(f"  filled in {summary['fill_s']:.1f} s ({summary['manifests_per_s']:,.0f} "
            f"manifests/s on {summary['filled_on']}), metadata.db "
            f"{summary['metadata_db_bytes'] / 2**20:,.0f} MiB"
            + (f", copied to disk in {summary['copy_to_disk_s']:.1f} s"
               if "copy_to_disk_s" in summary else ""))
        starts = startup_times(server, p["startups"])
        log(f"  startup: {', '.join(f'{t * 1000:.0f}' for t in starts)} ms")
        entry["startup"] = {"p50_ms": statistics.median(starts) * 1000,
                            "max_ms": max(starts) * 1000, "runs_s": starts}
        server.start()
        why = ecr.probe(server)
        if why:
            raise RuntimeError(f"berth's ECR API is not ready: {why}")
        entry["operations"] = operations(server, summary, p)
    except Exception as e:  # noqa: BLE001 - a failed size is reported, the others run
        traceback.print_exc()
        entry["size"]["error"] = f"{e}"[:400]
        server.stop(keep=False)
    return entry


def run(berth_binary, workdir, quick, log, fill_binary=None):
    """Fills every store size, each with its own berth left running, then
    measures each operation on all sizes in turn, sizes in alternating order
    per round (as run.py alternates berth and its peer), so a change in what
    the shared machine allows hits every size alike. Returns the dict kept in
    the run's JSON under "scale"."""
    p = PARAMS["quick" if quick else "full"]
    fill_binary = fill_binary or fill_binary_for(berth_binary)
    if not os.access(fill_binary, os.X_OK):
        raise RuntimeError(f"no berth_scale_fill at {fill_binary}; build the target "
                           "berth_scale_fill (-DBERTH_BENCH=ON; make bench-build does)")
    cred = os.path.join(workdir, "scale-credentials")
    ecr.write_credentials(cred)
    entries = []
    try:
        for manifests, tags in p["sizes"]:
            entries.append(_prepare(berth_binary, workdir, cred, fill_binary, manifests, tags,
                                    p, log))
        live = [e for e in entries if "error" not in e["size"]]
        if live:
            for key, _ in live[0]["operations"]:
                for rnd in range(1, p["rounds"] + 1):
                    for e in (live if rnd % 2 else live[::-1]):
                        fn = dict(e["operations"])[key]
                        try:
                            r = fn()
                        except Exception as ex:  # noqa: BLE001 - reported in the table
                            traceback.print_exc()
                            r = {"error": f"{ex}"[:400]}
                        e["runs"].setdefault(key, []).append(r)
                        _log_result(log, _size_label(e["size"]), key, rnd, r)
        for e in live:
            e["server"].note_peak()
            e["size"]["mem"] = e["server"].mem
            e["size"]["operations"] = {k: _combine(v) for k, v in e["runs"].items()}
            e["size"]["operations"]["startup"] = e["startup"]
    finally:
        for e in entries:
            e["server"].stop(keep=False)
    sizes = [e["size"] for e in entries]
    return {"params": p, "repository": REPOSITORY, "flat_ratio": FLAT_RATIO,
            "sizes": sizes, "verdicts": verdicts(sizes)}


def rows(result):
    """One row per (store size, operation, round), in the run's "rows" list
    like the other workloads' measurements (the table reads `result`)."""
    out = []
    for s in result["sizes"]:
        base = {"system": "berth-ecr", "store_manifests": s["manifests"],
                "store_tags": s["tags"]}
        if "error" in s:
            out.append(base | {"workload": "scale", "round": 0, "skipped": f"error: {s['error']}"})
            continue
        for key, combined in s["operations"].items():
            for rnd, r in enumerate(combined.get("rounds", [combined]), 1):
                out.append(base | {"workload": f"scale_{key}", "round": rnd} | r)
    return out


def verdicts(sizes):
    """Per operation: p50 at the largest size over p50 at the smallest (the
    verdict), and the same ratio of server CPU per request (steadier on a
    shared machine, where p50 also measures how soon the client and server
    threads got a core)."""
    out = {}
    if len(sizes) < 2:
        return out
    measured = [s for s in sizes if "operations" in s]
    if len(measured) < 2 or measured[0] is not sizes[0] or measured[-1] is not sizes[-1]:
        return out
    small, large = sizes[0]["operations"], sizes[-1]["operations"]
    for key, _ in OPERATIONS:
        a, b = small.get(key), large.get(key)
        if not a or not b or not a.get("p50_ms") or not b.get("p50_ms"):
            continue
        r = b["p50_ms"] / a["p50_ms"]
        out[key] = {"p50_ratio": r, "flat": r <= FLAT_RATIO}
        if a.get("cpu_per_req_us") and b.get("cpu_per_req_us"):
            out[key]["cpu_ratio"] = b["cpu_per_req_us"] / a["cpu_per_req_us"]
    return out


def _size_label(s):
    def short(n):
        return f"{n // 1000000}M" if n >= 1000000 and n % 1000000 == 0 else \
            f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)
    return f"{short(s['manifests'])} m / {short(s['tags'])} t"


def table(result):
    """The scale table: per operation and store size, p50 / p99 in ms (the
    wrk row: req/s and p99), then the largest/smallest p50 ratio."""
    sizes = result["sizes"]
    if not sizes:
        return "scale: no sizes measured"
    width = 22
    lines = [f"scale: measured on {result['repository']} ({result['params']['big_share']:.0%} of "
             f"each store's manifests and tags); cells: p50 / p99 ms of sequential requests on "
             f"one keep-alive connection (startup: median / max s; wrk: req/s, p99 ms)",
             f"{result['params'].get('rounds', 1)} round(s), sizes in alternating order; medians "
             f"of the rounds; flat = p50 at the largest size <= {result['flat_ratio']:.0f}x p50 "
             f"at the smallest; cpu ratio: server CPU per request, largest over smallest"]
    hdr = f"{'operation':<40}" + "".join(f"{_size_label(s):>{width}}" for s in sizes) + \
        f"{'p50 ratio':>11} {'cpu ratio':>10}  verdict"
    lines += [hdr, "-" * len(hdr)]
    for key, label in OPERATIONS:
        cells = []
        for s in sizes:
            r = s.get("operations", {}).get(key)
            if "error" in s or (r and "error" in r):
                cells.append("error")
            elif not r:
                cells.append("-")
            elif key == "manifest_get_wrk":
                cells.append(f"{r['value']:,.0f}/s p99 {r['p99_ms']:.2f}")
            elif key == "startup":
                longest = r.get("max_ms", r.get("p99_ms", 0))  # p99_ms: early result files
                cells.append(f"{r['p50_ms'] / 1000:.3f} / {longest / 1000:.3f}")
            else:
                cells.append(f"{r['p50_ms']:.3f} / {r['p99_ms']:.3f}")
        v = result["verdicts"].get(key)
        cpu = f"{v['cpu_ratio']:.2f}x" if v and "cpu_ratio" in v else "-"
        verdict = (f"{v['p50_ratio']:>10.2f}x {cpu:>10}  {'flat' if v['flat'] else 'NOT FLAT'}"
                   if v else f"{'-':>10}  {'-':>10}")
        lines.append(f"{label:<40}" + "".join(f"{c:>{width}}" for c in cells) + " " + verdict)
    lines.append("")
    for s in sizes:
        f = s["fill"]
        if "error" in s:
            lines.append(f"  {_size_label(s)}: error: {s['error']}")
        if not f or "error" in s:
            continue
        copy = f", copy to disk {f['copy_to_disk_s']:.1f} s" if "copy_to_disk_s" in f else ""
        lines.append(f"  {_size_label(s)}: fill {f['fill_s']:.1f} s = "
                     f"{f['manifests_per_s']:,.0f} manifests/s on {f['filled_on']} "
                     f"({result['repository']}: first tenth "
                     f"{f.get('repository_first_tenth_per_s', 0):,.0f}/s, last tenth "
                     f"{f.get('repository_last_tenth_per_s', 0):,.0f}/s){copy}; "
                     f"metadata.db {f['metadata_db_bytes'] / 2**20:,.0f} MiB; "
                     f"{f['repository_manifests']:,} manifests / {f['repository_tags']:,} tags "
                     f"in {result['repository']}; berth peak RSS "
                     f"{s['mem'].get('peak_kib', 0) / 1024:.1f} MiB")
    return "\n".join(lines)
