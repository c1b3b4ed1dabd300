"""Crash test: concurrent pushes through both APIs while berth is kill -9'ed.

Each round starts berth, lets several clients push at once, and SIGKILLs the
process at a random moment (50 ms .. 1.2 s in):
  - raw OCI clients (threads, requests): config + two layers as chunked
    uploads (POST, PATCH with Content-Range, PUT ?digest), then the manifest;
  - skopeo copies of OCI layouts (a single image and a multi-arch index);
  - an ECR client (boto3): InitiateLayerUpload / UploadLayerPart /
    CompleteLayerUpload and PutImage.
Every push the server acknowledged before the kill (a 201, skopeo exit 0, a
PutImage answer) goes into a ledger. After the kill, with berth down,
`berth fsck` must find no corruption (unreferenced blobs and stale uploads are
expected garbage). After the restart, everything acknowledged in this round
pulls bit-exact (blobs hashed, manifests compared byte for byte); everything
from earlier rounds is still there (manifests byte for byte by tag, blobs
present; their bytes are hashed by fsck each round). At the end, everything
ever acknowledged pulls bit-exact once more.

BERTH_CRASH_ROUNDS (default 20) sets the number of rounds; the CI run is
kept under 90 s. For a long run: BERTH_CRASH_ROUNDS=500.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

import conftest
import make_test_images as mti
from ocihelpers import ACCEPT_ALL_MANIFESTS, MT_OCI_MANIFEST, OciClient, sha256_digest
from test_fsck import Fsck

pytestmark = [pytest.mark.berth_only]

ROUNDS = int(os.environ.get("BERTH_CRASH_ROUNDS", "20"))
RAW_WORKERS = 3
KILL_AFTER = (0.05, 1.2)  # seconds after the clients start
CHUNK = 16 * 1024
ECR_REPO = "crash/ecr"
SEED = int(os.environ.get("BERTH_CRASH_SEED", str(random.randrange(1 << 30))))


# --------------------------------------------------------------------------
# The ledger: what the server acknowledged.


@dataclass
class Image:
    api: str            # "raw", "skopeo", "ecr"
    repo: str
    tag: str
    manifest: bytes     # top-level manifest (or index) bytes
    blobs: dict[str, bytes]          # digest -> bytes, of every image inside
    children: list[bytes] = field(default_factory=list)  # an index's manifests
    round: int = 0


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.blobs: list[tuple[str, str, bytes, int]] = []  # repo, digest, bytes, round
        self.images: list[Image] = []
        self.errors: list[str] = []     # failures while the server was meant to be up
        self.failed_in_kill = 0         # operations cut short by the kill

    def blob(self, repo, digest, data, rnd):
        with self.lock:
            self.blobs.append((repo, digest, data, rnd))

    def image(self, img: Image):
        with self.lock:
            self.images.append(img)

    def error(self, text: str):
        with self.lock:
            self.errors.append(text)

    def cut(self):
        with self.lock:
            self.failed_in_kill += 1


class PushError(Exception):
    pass


# --------------------------------------------------------------------------
# Clients.


def chunked_push(oci: OciClient, repo: str, data: bytes) -> str:
    digest = sha256_digest(data)
    r = oci.start_upload(repo)
    if r.status_code != 202:
        raise PushError(f"POST upload: {r.status_code} {r.text[:200]}")
    loc = oci.abs_location(r)
    for off in range(0, len(data), CHUNK):
        r = oci.patch(loc, data[off:off + CHUNK], off)
        if r.status_code != 202:
            raise PushError(f"PATCH: {r.status_code} {r.text[:200]}")
        loc = oci.abs_location(r)
    r = oci.finish(loc, digest)
    if r.status_code != 201:
        raise PushError(f"PUT upload: {r.status_code} {r.text[:200]}")
    return digest


def raw_worker(srv, wid: int, rnd: int, stop: threading.Event, ledger: Ledger):
    rng = random.Random(f"{SEED}-{rnd}-{wid}")
    oci = OciClient(srv.base_url, requests.Session())
    repo = f"crash/raw{wid}"
    i = 0
    while not stop.is_set():
        tag = f"r{rnd}-w{wid}-{i}"
        i += 1
        try:
            config = json.dumps({"architecture": "amd64", "os": "linux", "salt": tag,
                                 "rootfs": {"type": "layers", "diff_ids": []}}).encode()
            layers = [rng.randbytes(rng.randint(1, 48_000)) for _ in range(2)]
            blobs = {}
            for data in [config, *layers]:
                d = chunked_push(oci, repo, data)
                ledger.blob(repo, d, data, rnd)
                blobs[d] = data
            manifest = json.dumps({
                "schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                "config": {"mediaType": mti.MT_OCI_CONFIG, "digest": sha256_digest(config),
                           "size": len(config)},
                "layers": [{"mediaType": mti.MT_OCI_LAYER_GZIP, "digest": sha256_digest(l),
                            "size": len(l)} for l in layers],
            }).encode()
            r = oci.put_manifest(repo, tag, manifest)
            if r.status_code != 201:
                raise PushError(f"PUT manifest: {r.status_code} {r.text[:200]}")
            ledger.image(Image("raw", repo, tag, manifest, blobs, round=rnd))
        except (requests.RequestException, PushError) as e:
            if stop.is_set():
                ledger.cut()
                return
            ledger.error(f"raw worker {wid} {tag}: {e!r}")
            return
        stop.wait(rng.uniform(0.02, 0.06))


class SkopeoWorker:
    def __init__(self, srv, skopeo: conftest.Skopeo, layouts: list[tuple[str, str, Image]]):
        self.srv = srv
        self.skopeo = skopeo
        self.layouts = layouts
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def run(self, rnd: int, stop: threading.Event, ledger: Ledger):
        for src, extra, template in self.layouts:
            if stop.is_set():
                return
            tag = f"r{rnd}-{template.tag}"
            dst = self.skopeo.ref(template.repo, tag)
            cmd = [conftest.SKOPEO, "--insecure-policy", "copy", "--src-tls-verify=false",
                   "--dest-tls-verify=false", "--retry-times", "0", "--preserve-digests",
                   *extra, src, dst]
            with self.lock:
                if stop.is_set():
                    return
                self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             text=True, env=self.skopeo.env, cwd=self.skopeo.tmp)
            out, err = self.proc.communicate()
            if self.proc.returncode == 0:
                ledger.image(Image("skopeo", template.repo, tag, template.manifest,
                                   template.blobs, template.children, round=rnd))
            elif stop.is_set():
                ledger.cut()
                return
            else:
                ledger.error(f"skopeo {dst}: exit {self.proc.returncode}: {err[-500:]}")
                return

    def kill(self):
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)


def ecr_client(srv):
    import boto3
    from botocore.config import Config
    return boto3.client("ecr", endpoint_url=srv.base_url, region_name="us-east-1",
                        aws_access_key_id="AKIDCRASHTEST", aws_secret_access_key="x" * 40,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2,
                                      read_timeout=30))


def ecr_worker(srv, rnd: int, stop: threading.Event, ledger: Ledger):
    import botocore.exceptions
    rng = random.Random(f"{SEED}-{rnd}-ecr")
    client = ecr_client(srv)
    i = 0
    while not stop.is_set():
        tag = f"r{rnd}-e{i}"
        i += 1
        try:
            img = mti.build_image(rng.randrange(1 << 30), (rng.randint(1, 30_000), rng.randint(1, 30_000)))
            blobs = {}
            for b in img.blobs:
                up = client.initiate_layer_upload(repositoryName=ECR_REPO)
                part = max(1, (len(b.data) + 1) // 2)
                for off in range(0, len(b.data), part):
                    piece = b.data[off:off + part]
                    client.upload_layer_part(repositoryName=ECR_REPO, uploadId=up["uploadId"],
                                             partFirstByte=off, partLastByte=off + len(piece) - 1,
                                             layerPartBlob=piece)
                client.complete_layer_upload(repositoryName=ECR_REPO, uploadId=up["uploadId"],
                                             layerDigests=[b.digest])
                ledger.blob(ECR_REPO, b.digest, b.data, rnd)
                blobs[b.digest] = b.data
            client.put_image(repositoryName=ECR_REPO, imageManifest=img.manifest.data.decode(),
                             imageTag=tag)
            ledger.image(Image("ecr", ECR_REPO, tag, img.manifest.data, blobs, round=rnd))
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            if stop.is_set():
                ledger.cut()
                return
            ledger.error(f"ecr {tag}: {e!r}")
            return
        stop.wait(rng.uniform(0.02, 0.06))


# --------------------------------------------------------------------------
# Verification.


def get_ok(s: requests.Session, url: str, accept: str | None = None) -> bytes:
    r = s.get(url, headers={"Accept": accept} if accept else {}, timeout=30)
    assert r.status_code == 200, f"GET {url}: {r.status_code} {r.text[:200]}"
    return r.content


# Older rounds' pushes checked after each restart; beyond this many, a random
# sample (long runs would otherwise grow quadratically). Everything is checked
# at the end, and fsck hashes every blob and follows every tag each round.
MAX_OLD_CHECKS = 1500


def verify(srv, ledger: Ledger, full_rounds: set[int], rng: random.Random | None = None) -> int:
    """Checks acknowledged pushes: those of `full_rounds` byte for byte down to
    every blob, older ones (all, or a sample of MAX_OLD_CHECKS when `rng` is
    given) by manifest bytes and blob presence. Returns the number of checks."""
    base = srv.base_url
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    def check_blob(repo, digest, data, rnd):
        if rnd in full_rounds:
            got = get_ok(session(), f"{base}/v2/{repo}/blobs/{digest}")
            assert hashlib.sha256(got).hexdigest() == digest.split(":")[1], f"{repo}@{digest} differs"
            assert got == data
        else:
            r = session().head(f"{base}/v2/{repo}/blobs/{digest}", timeout=30)
            assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(data), \
                f"HEAD {repo}@{digest}: {r.status_code}"

    def check_image(img: Image):
        got = get_ok(session(), f"{base}/v2/{img.repo}/manifests/{img.tag}", ACCEPT_ALL_MANIFESTS)
        assert got == img.manifest, f"{img.api} {img.repo}:{img.tag} manifest differs"
        if img.round in full_rounds:
            for child in img.children:
                c = get_ok(session(), f"{base}/v2/{img.repo}/manifests/{sha256_digest(child)}",
                           ACCEPT_ALL_MANIFESTS)
                assert c == child
            for digest, data in img.blobs.items():
                check_blob(img.repo, digest, data, img.round)

    with ledger.lock:
        blobs = list(ledger.blobs)
        images = list(ledger.images)
    jobs = [(check_blob, b) for b in blobs] + [(check_image, (i,)) for i in images]
    if rng is not None:
        new, old = [], []
        for j in jobs:
            rnd = j[1][3] if j[0] is check_blob else j[1][0].round
            (new if rnd in full_rounds else old).append(j)
        if len(old) > MAX_OLD_CHECKS:
            old = rng.sample(old, MAX_OLD_CHECKS)
        jobs = new + old
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(fn, *args) for fn, args in jobs]:
            f.result()
    return len(jobs)


# --------------------------------------------------------------------------


@pytest.fixture
def crash_layouts(tmp_path):
    """Per round: a single image and a multi-arch index, as OCI layouts."""
    root = tmp_path / "crash-layouts"
    out = []
    for rnd in range(ROUNDS):
        d = str(root / f"r{rnd}")
        single = mti.make_image(d, "img", seed=1000 + rnd, layer_sizes=(30_000, 90_000))
        multi = mti.make_multiarch(d, "multi", seed=5000 + rnd, layer_sizes=(20_000,),
                                   platforms=("linux/amd64", "linux/arm64"))
        out.append([
            (f"oci:{d}:img", (), Image("skopeo", "crash/skopeo", "img", single.manifest.data,
                                       {b.digest: b.data for b in single.blobs})),
            (f"oci:{d}:multi", ("--all",),
             Image("skopeo", "crash/skopeo", "multi", multi.index.data,
                   {b.digest: b.data for b in multi.blobs},
                   [i.manifest.data for i in multi.images])),
        ])
    return out


def test_kill9_during_concurrent_pushes_loses_nothing_acknowledged(fresh_registry, crash_layouts,
                                                                   tmp_path):
    srv = fresh_registry
    started = time.monotonic()
    rng = random.Random(SEED)
    fsck = Fsck(srv.data_dir)
    skopeo_dir = tmp_path / "crash-skopeo"
    skopeo_dir.mkdir()
    skopeo = conftest.Skopeo(srv, skopeo_dir)

    use_ecr = True
    try:
        ecr_client(srv).create_repository(repositoryName=ECR_REPO)
    except Exception as e:  # ECR front end absent: OCI clients only
        use_ecr = False
        print(f"ECR API unavailable, pushing through /v2/ only: {e!r}")

    ledger = Ledger()
    garbage = {"blob_unreferenced": 0, "upload_stale": 0, "upload_orphan_data": 0,
               "upload_orphan_record": 0}
    requests_made = 0
    kill_delays = []
    for rnd in range(ROUNDS):
        if not srv.alive():
            srv.start()
        stop = threading.Event()
        sk = SkopeoWorker(srv, skopeo, crash_layouts[rnd])
        threads = [threading.Thread(target=raw_worker, args=(srv, w, rnd, stop, ledger))
                   for w in range(RAW_WORKERS)]
        threads.append(threading.Thread(target=sk.run, args=(rnd, stop, ledger)))
        if use_ecr:
            threads.append(threading.Thread(target=ecr_worker, args=(srv, rnd, stop, ledger)))
        for t in threads:
            t.start()
        delay = rng.uniform(*KILL_AFTER)
        kill_delays.append(delay)
        time.sleep(delay)
        stop.set()  # from here on, client errors are the kill's doing
        srv.kill9()
        for t in threads:
            t.join(timeout=20)
        sk.kill()
        for t in threads:
            t.join(timeout=120)
            assert not t.is_alive(), "a client hung after the kill"
        assert not ledger.errors, "failures while berth was up:\n" + "\n".join(ledger.errors)

        # The store as the crash left it: no corruption.
        doc = fsck.json()
        bad = [f for f in doc["check"]["findings"] if f["severity"] == "corruption"]
        assert doc["exit_code"] == 0 and not bad, \
            f"round {rnd}: fsck found corruption after kill -9:\n" + json.dumps(bad, indent=1)
        for kind in garbage:
            garbage[kind] = doc["check"]["kinds"].get(kind, 0)

        srv.start()
        requests_made += verify(srv, ledger, full_rounds={rnd}, rng=rng)

    # Everything ever acknowledged, byte for byte, and a clean final check.
    requests_made += verify(srv, ledger, full_rounds=set(range(ROUNDS)))
    srv.stop()
    final = fsck.json(check_code=0)
    stats = final["check"]["stats"]
    elapsed = time.monotonic() - started
    by_api = {}
    for img in ledger.images:
        by_api[img.api] = by_api.get(img.api, 0) + 1
    print(f"\n[crash] seed {SEED}: {ROUNDS} kill -9 rounds survived in {elapsed:.1f} s; "
          f"acknowledged {len(ledger.blobs)} blob uploads and {len(ledger.images)} images "
          f"({', '.join(f'{k} {v}' for k, v in sorted(by_api.items()))}); "
          f"{ledger.failed_in_kill} pushes cut short by the kills; {requests_made} checks; "
          f"final store {stats['blobs']} blobs / {stats['blob_bytes']} bytes, "
          f"{stats['manifests']} manifests, {stats['tags']} tags, {stats['uploads']} unfinished "
          f"uploads left by the kills; garbage fsck reported at the end: {garbage}")
    assert len(ledger.images) > 0
