"""Concurrency: many clients on the same blob, the same tag, the same image, the
same repository, at once, against a private berth.

  - one blob pushed by 16 clients at once (monolithic POST ?digest=, POST+PUT,
    chunked PATCHes with and without a final chunk in the PUT): every push gets
    201 with the digest, the blob reads back exact, one file holds it, fsck is clean;
  - one tag moved by 16 clients at once, several rounds, with readers watching:
    every PUT is 201, the tag always names exactly one of the pushed manifests and
    serves its bytes, every manifest stays reachable by digest, the tag is listed
    once (on /v2/ and through the ECR API);
  - deletes racing pulls and pushes of one image: a pull is byte-exact or a clean
    404 MANIFEST_UNKNOWN / BLOB_UNKNOWN, never a 5xx or wrong bytes; fsck is clean;
  - a repository deleted (ECR DeleteRepository force=True, --auth sigv4) while
    chunked uploads to it are in flight: their next PATCH/PUT is a clean 404,
    uploads to another repository finish; fsck is clean.

Synchronisation is by barriers and events, and waits are bounded polls.
berth_only: reads berth's data directory and runs `berth fsck`.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import conftest
import ecrhelpers
import make_test_images as mti
from ocihelpers import (ACCEPT_ALL_MANIFESTS, MT_OCI_MANIFEST, OciClient, assert_oci_error,
                        sha256_digest)
from test_fsck import Fsck, corruption

pytestmark = [pytest.mark.berth_only]

CLIENTS = 16
BARRIER_TIMEOUT = 30


# --------------------------------------------------------------------------
# Helpers


def run_threads(n: int, fn, *args) -> list:
    """Runs fn(i, *args) in n threads; returns their results, re-raising the
    first failure (a failing thread aborts every barrier it shares)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(fn, i, *args) for i in range(n)]
        return [f.result(timeout=120) for f in futures]


def blob_files(data_dir: Path) -> list[Path]:
    """Every regular file under <data-dir>/blobs, relative to it."""
    root = Path(data_dir) / "blobs"
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def blob_rel(digest: str) -> Path:
    alg, hex_ = digest.split(":", 1)
    return Path(alg) / hex_[:2] / hex_


def upload_entries(data_dir: Path) -> list[str]:
    d = Path(data_dir) / "uploads"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def no_5xx(resp: requests.Response, what: str):
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.text[:400]!r}"


def assert_fsck_clean(data_dir: Path) -> dict:
    doc = Fsck(data_dir).json()
    assert doc["exit_code"] == 0 and corruption(doc) == [], \
        "fsck found corruption:\n" + json.dumps(corruption(doc), indent=1)
    p = Fsck(data_dir).run("--progress", "none")
    assert p.returncode == 0, f"berth fsck exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return doc


def ecr_client_none(srv):
    """boto3 against a berth running --auth none (any key is accepted)."""
    return boto3.client("ecr", endpoint_url=srv.base_url, region_name="us-east-1",
                        aws_access_key_id="AKIDCONCURRENCY", aws_secret_access_key="x" * 40,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                                      read_timeout=60))


# --------------------------------------------------------------------------
# 1. One blob, 16 clients


PUSH_MODES = ("post-digest", "post-put", "chunked-final-put", "chunked-empty-put")


def push_same_blob(i: int, base: str, repos: list[str], data: bytes, digest: str,
                   barrier: threading.Barrier):
    """Client i: opens its upload and sends everything but the commit, waits for the
    other 15, then commits. Returns (mode, repo, response)."""
    mode = PUSH_MODES[i % len(PUSH_MODES)]
    repo = repos[i % len(repos)]
    oci = OciClient(base, requests.Session())
    try:
        if mode == "post-digest":
            url = oci.with_query(oci.url(f"/v2/{repo}/blobs/uploads/"), digest=digest)
            barrier.wait(BARRIER_TIMEOUT)
            r = oci.request("POST", url, data=data,
                            headers={"Content-Type": "application/octet-stream"})
        elif mode == "post-put":
            loc = oci.begin(repo)
            barrier.wait(BARRIER_TIMEOUT)
            r = oci.finish(loc, digest, data, 0)
        else:
            loc = oci.begin(repo)
            step = max(1, len(data) // 5)
            end = len(data) - step if mode == "chunked-final-put" else len(data)
            off = 0
            while off < end:
                piece = data[off:min(off + step, end)]
                p = oci.patch(loc, piece, off)
                assert p.status_code == 202, (mode, p.status_code, p.text)
                loc = oci.abs_location(p)
                off += len(piece)
            barrier.wait(BARRIER_TIMEOUT)
            if mode == "chunked-final-put":
                r = oci.finish(loc, digest, data[off:], off)
            else:
                r = oci.finish(loc, digest)
        return mode, repo, r
    except BaseException:
        barrier.abort()
        raise


def test_same_blob_pushed_by_16_clients_at_once(fresh_registry):
    srv = fresh_registry
    rng = random.Random(1601)
    repos = [f"conc/same-blob-{k}" for k in range(4)]  # 4 clients per repository
    expected_files = set()
    for rnd, size in enumerate((1, 300_000, 2 << 20)):
        data = rng.randbytes(size)
        digest = sha256_digest(data)
        barrier = threading.Barrier(CLIENTS)
        results = run_threads(CLIENTS, push_same_blob, srv.base_url, repos, data, digest, barrier)
        for mode, repo, r in results:
            assert r.status_code == 201, f"round {rnd} {mode} -> {repo}: {r.status_code} {r.text[:300]}"
            assert r.headers.get("Docker-Content-Digest") == digest, (mode, dict(r.headers))
            assert r.headers.get("Location", "").endswith(f"/v2/{repo}/blobs/{digest}"), \
                (mode, r.headers.get("Location"))
        oci = srv.oci()
        for repo in repos:
            g = oci.get_blob(repo, digest)
            assert g.status_code == 200, (repo, g.status_code, g.text[:200])
            assert g.content == data, f"{repo}@{digest}: wrong bytes ({len(g.content)} bytes)"
            assert g.headers.get("Docker-Content-Digest") == digest
        # Content-addressed: one file for the 16 pushes, nothing else left behind.
        expected_files.add(blob_rel(digest))
        files = blob_files(srv.data_dir)
        assert set(files) == expected_files and len(files) == len(expected_files), files
        assert (srv.data_dir / "blobs" / blob_rel(digest)).read_bytes() == data
        assert upload_entries(srv.data_dir) == [], "committed uploads left data behind"

    srv.stop()
    doc = assert_fsck_clean(srv.data_dir)
    assert doc["check"]["stats"]["blobs"] == 3, doc["check"]["stats"]


# --------------------------------------------------------------------------
# 2. One tag, 16 clients moving it


def test_one_tag_moved_by_16_clients_at_once(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()
    repo, tag, rounds = "conc/tag-race", "latest", 4
    layer = random.Random(1602).randbytes(20_000)
    oci.push_blob(repo, layer)

    manifests: dict[str, bytes] = {}
    plan: list[list[bytes]] = []  # plan[round][client]

    def make(salt: str) -> bytes:
        config = json.dumps({"architecture": "amd64", "os": "linux", "salt": salt,
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        oci.push_blob(repo, config)
        m = json.dumps({
            "schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
            "config": {"mediaType": mti.MT_OCI_CONFIG, "digest": sha256_digest(config),
                       "size": len(config)},
            "layers": [{"mediaType": mti.MT_OCI_LAYER_GZIP, "digest": sha256_digest(layer),
                        "size": len(layer)}],
        }).encode()
        manifests[sha256_digest(m)] = m
        return m

    seed = make("seed")
    oci.push_manifest(repo, tag, seed)
    for rnd in range(rounds):
        plan.append([make(f"r{rnd}-c{c}") for c in range(CLIENTS)])

    # Readers: the tag always resolves to a whole, known manifest.
    stop = threading.Event()
    reads = {"n": 0}
    reads_lock = threading.Lock()

    def reader(i: int):
        s = requests.Session()
        url = f"{srv.base_url}/v2/{repo}/manifests/{tag}"
        while not stop.is_set():
            r = s.get(url, headers={"Accept": ACCEPT_ALL_MANIFESTS}, timeout=30)
            assert r.status_code == 200, f"GET tag during moves: {r.status_code} {r.text[:300]}"
            d = sha256_digest(r.content)
            assert r.headers.get("Docker-Content-Digest") == d, "digest header does not match body"
            assert manifests.get(d) == r.content, f"tag served unknown bytes {d}"
            with reads_lock:
                reads["n"] += 1

    def mover(i: int, rnd: int, barrier: threading.Barrier):
        s = requests.Session()
        body = plan[rnd][i]
        try:
            barrier.wait(BARRIER_TIMEOUT)
        except BaseException:
            barrier.abort()
            raise
        r = s.put(f"{srv.base_url}/v2/{repo}/manifests/{tag}", data=body,
                  headers={"Content-Type": MT_OCI_MANIFEST}, timeout=60)
        return r.status_code, r.headers.get("Docker-Content-Digest"), r.text[:300]

    with concurrent.futures.ThreadPoolExecutor(4) as readers:
        reader_futures = [readers.submit(reader, i) for i in range(4)]
        try:
            for rnd in range(rounds):
                barrier = threading.Barrier(CLIENTS)
                results = run_threads(CLIENTS, mover, rnd, barrier)
                for c, (status, dig, text) in enumerate(results):
                    assert status == 201, f"round {rnd} client {c}: PUT tag -> {status} {text}"
                    assert dig == sha256_digest(plan[rnd][c])
                pushed = {sha256_digest(m) for m in plan[rnd]}
                g = oci.get_manifest(repo, tag)
                assert g.status_code == 200
                winner = sha256_digest(g.content)
                assert winner in pushed, f"round {rnd}: tag names {winner}, not one of this round's"
                assert g.content == manifests[winner]
                assert g.headers.get("Docker-Content-Digest") == winner
                h = oci.get_manifest(repo, tag, method="HEAD")
                assert h.status_code == 200 and h.headers.get("Docker-Content-Digest") == winner
        finally:
            stop.set()
            for f in reader_futures:
                f.result(timeout=60)
    assert reads["n"] > 0

    # Every manifest is still there by digest, byte for byte; the tag is listed once.
    for d, m in manifests.items():
        g = oci.get_manifest(repo, d)
        assert g.status_code == 200 and g.content == m, (d, g.status_code)
    t = oci.tags(repo)
    assert t.status_code == 200 and t.json() == {"name": repo, "tags": [tag]}, t.text
    # The ECR view agrees: exactly one image carries the tag, the one /v2/ serves.
    ecr = ecr_client_none(srv)
    details = []
    for page in ecr.get_paginator("describe_images").paginate(repositoryName=repo):
        details.extend(page["imageDetails"])
    tagged = [d["imageDigest"] for d in details if tag in d.get("imageTags", [])]
    assert tagged == [winner], tagged
    assert len(details) == len(manifests), (len(details), len(manifests))

    srv.stop()
    assert_fsck_clean(srv.data_dir)


# --------------------------------------------------------------------------
# 3. Deletes racing pulls and pushes


def test_deletes_race_pulls_and_pushes(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()
    repo = "conc/delete-race"
    img = mti.build_image(1603, (40_000, 300_000))
    blobs = {b.digest: b.data for b in img.blobs}
    mdigest = img.manifest.digest
    mbytes = img.manifest.data
    for b in img.blobs:
        oci.push_blob(repo, b.data)
    oci.push_manifest(repo, "v1", mbytes)

    cycles = 25
    done = threading.Event()
    lock = threading.Lock()
    stats = {"pull_ok": 0, "manifest_404": 0, "blob_404": 0, "push_ok": 0, "push_blob_unknown": 0}

    def bump(k: str):
        with lock:
            stats[k] += 1

    def puller(i: int):
        s = requests.Session()
        ref = "v1" if i % 2 == 0 else mdigest
        while not done.is_set():
            r = s.get(f"{srv.base_url}/v2/{repo}/manifests/{ref}",
                      headers={"Accept": ACCEPT_ALL_MANIFESTS}, timeout=30)
            no_5xx(r, f"GET manifest {ref}")
            if r.status_code == 404:
                assert_oci_error(r, 404, "MANIFEST_UNKNOWN")
                bump("manifest_404")
                continue
            assert r.status_code == 200, (r.status_code, r.text[:300])
            assert r.content == mbytes, f"GET manifest {ref}: wrong bytes"
            assert r.headers.get("Docker-Content-Digest") == mdigest
            whole = True
            for d, data in blobs.items():
                method = "HEAD" if random.random() < 0.25 else "GET"
                b = s.request(method, f"{srv.base_url}/v2/{repo}/blobs/{d}", timeout=30)
                no_5xx(b, f"{method} blob {d}")
                if b.status_code == 404:
                    assert_oci_error(b, 404, "BLOB_UNKNOWN")
                    bump("blob_404")
                    whole = False
                    break
                assert b.status_code == 200, (method, b.status_code, b.text[:300])
                assert int(b.headers["Content-Length"]) == len(data)
                if method == "GET":
                    assert len(b.content) == len(data) and b.content == data, \
                        f"GET blob {d}: wrong bytes ({len(b.content)} of {len(data)})"
            if whole:
                bump("pull_ok")

    def pusher(i: int):
        """Pushes the same image (blobs chunked, manifest under its own tag) over and over."""
        c = OciClient(srv.base_url, requests.Session())
        while not done.is_set():
            for data in blobs.values():
                loc = c.begin(repo)
                p = c.patch(loc, data[:len(data) // 2], 0)
                no_5xx(p, "PATCH")
                assert p.status_code == 202, (p.status_code, p.text[:300])
                r = c.finish(c.abs_location(p), sha256_digest(data), data[len(data) // 2:],
                             len(data) // 2)
                no_5xx(r, "PUT upload")
                assert r.status_code == 201, (r.status_code, r.text[:300])
            r = c.put_manifest(repo, f"pusher-{i}", mbytes)
            no_5xx(r, "PUT manifest")
            if r.status_code == 201:
                assert r.headers.get("Docker-Content-Digest") == mdigest
                bump("push_ok")
            else:  # the deleter unlinked a layer between our upload and our manifest
                assert_oci_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
                bump("push_blob_unknown")

    def deleter():
        c = OciClient(srv.base_url, requests.Session())
        try:
            for cycle in range(cycles):
                r = c.request("DELETE", f"/v2/{repo}/manifests/{mdigest}")
                assert r.status_code == 202, f"cycle {cycle}: DELETE manifest {r.status_code} {r.text[:300]}"
                for d in blobs:
                    r = c.request("DELETE", f"/v2/{repo}/blobs/{d}")
                    assert r.status_code == 202, f"cycle {cycle}: DELETE blob {r.status_code} {r.text[:300]}"
                for data in blobs.values():
                    c.push_blob(repo, data)
                before = stats["pull_ok"]
                c.push_manifest(repo, "v1", mbytes)
                # Give the pullers a chance at the image (bounded).
                deadline = time.monotonic() + 2
                while stats["pull_ok"] == before and time.monotonic() < deadline:
                    time.sleep(0.002)
        finally:
            done.set()

    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        futures = [pool.submit(puller, i) for i in range(6)]
        futures += [pool.submit(pusher, i) for i in range(2)]
        futures.append(pool.submit(deleter))
        try:
            for f in futures:
                f.result(timeout=120)
        finally:
            done.set()
    print(f"\n[delete race] {cycles} delete/re-push cycles: {stats}")
    assert stats["pull_ok"] > 0

    # The deleter re-pushed last: the image is whole.
    g = oci.get_manifest(repo, "v1")
    assert g.status_code == 200 and g.content == mbytes
    for d, data in blobs.items():
        assert oci.get_blob(repo, d).content == data
    srv.stop()
    assert_fsck_clean(srv.data_dir)


# --------------------------------------------------------------------------
# 4. A repository deleted under in-flight uploads (ECR, --auth sigv4)


@pytest.fixture
def sigv4_berth(tmp_path):
    creds = ecrhelpers.make_credentials()
    server = ecrhelpers.EcrServer(tmp_path / "sigv4", conftest.BERTH_BINARY, creds)
    server.start()
    yield ecrhelpers.EcrEnv(server, creds, tmp_path)
    server.stop()


class Patcher:
    """Streams a blob into one /v2/ chunked upload, PATCH by PATCH, recording
    (start time, end time, status, body) of each request."""

    CHUNK = 256 * 1024

    def __init__(self, base: str, auth, repo: str, data: bytes):
        self.oci = OciClient(base, requests.Session())
        self.oci.s.auth = auth
        self.repo = repo
        self.data = data
        self.loc = self.oci.begin(repo)
        self.first_loc = self.loc
        self.offset = 0
        self.log: list[tuple[float, float, str, int, str]] = []
        self.failed = threading.Event()

    def _record(self, what: str, t0: float, r: requests.Response):
        self.log.append((t0, time.monotonic(), what, r.status_code, r.text[:300]))

    def patch_once(self) -> bool:
        """One PATCH (wrapping around the data); False once the upload is refused."""
        end = min(self.offset + self.CHUNK, len(self.data))
        t0 = time.monotonic()
        r = self.oci.patch(self.loc, self.data[self.offset:end], self.offset)
        self._record("PATCH", t0, r)
        if r.status_code != 202:
            self.failed.set()
            return False
        self.loc = self.oci.abs_location(r)
        self.offset = end
        return True

    def patches(self) -> int:
        return sum(1 for e in self.log if e[2] == "PATCH" and e[3] == 202)

    def finish(self) -> requests.Response:
        t0 = time.monotonic()
        rest = self.data[self.offset:]
        r = self.oci.finish(self.loc, sha256_digest(self.data), rest, self.offset)
        self._record("PUT", t0, r)
        return r


def test_repository_deleted_while_uploads_are_in_flight(sigv4_berth):
    env = sigv4_berth
    srv = env.server
    ecr = env.client()
    victim, other = "conc/victim", "conc/bystander"
    env.create_repository(victim)
    env.create_repository(other)
    # Something stored in the victim, so force=True is needed.
    env.push_image(victim, "v1", seed=1604, layer_sizes=(5000,))
    auth = ("AWS", env.password())
    rng = random.Random(1604)
    size = 4 << 20  # 16 PATCHes of 256 KiB: the bystanders outlive the delete
    victims = [Patcher(srv.base_url, auth, victim, rng.randbytes(size)) for _ in range(3)]
    bystanders = [Patcher(srv.base_url, auth, other, rng.randbytes(size)) for _ in range(2)]
    # One more victim upload, idle at the moment of the delete (one PATCH done).
    idle = Patcher(srv.base_url, auth, victim, rng.randbytes(size))
    assert idle.patch_once()

    # ECR layer uploads in both repositories, one part each so far.
    ecr_parts = {}
    for repo in (victim, other):
        data = rng.randbytes(600_000)
        uid = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
        ecr.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=0,
                              partLastByte=299_999, layerPartBlob=data[:300_000])
        ecr_parts[repo] = (uid, data)

    deleted_at = {"t": None}
    deleted = threading.Event()

    def drive_victim(p: Patcher):
        while p.offset < len(p.data):
            if not p.patch_once():
                break
        else:  # every PATCH went in before the delete: the commit comes after it
            assert deleted.wait(30), "the repository was never deleted"
        # After the delete (or the first refusal): the commit and a status query are refused.
        p.finish()
        t0 = time.monotonic()
        s = p.oci.request("GET", p.loc)
        p._record("GET", t0, s)

    def drive_bystander(p: Patcher):
        while p.offset < len(p.data) - Patcher.CHUNK:
            assert p.patch_once(), f"bystander PATCH refused: {p.log[-1]}"
        return p.finish()

    with concurrent.futures.ThreadPoolExecutor(len(victims) + len(bystanders)) as pool:
        vf = [pool.submit(drive_victim, p) for p in victims]
        bf = [pool.submit(drive_bystander, p) for p in bystanders]
        # Every upload has made progress before the delete. The deadline only
        # catches a hang: a slow machine gets there, later.
        deadline = time.monotonic() + 600
        while not all(p.patches() >= 2 for p in victims + bystanders):
            assert time.monotonic() < deadline, "uploads hung: no progress in 10 minutes"
            for f in vf + bf:
                if f.done():
                    f.result()
            time.sleep(0.005)
        out = ecr.delete_repository(repositoryName=victim, force=True)
        deleted_at["t"] = time.monotonic()
        deleted.set()
        assert out["repository"]["repositoryName"] == victim
        for f in vf:
            f.result(timeout=60)
        drive_victim(idle)
        finals = [f.result(timeout=60) for f in bf]

    # Victims: 202s, then nothing but clean 404s; anything begun after the delete is a 404.
    for k, p in enumerate(victims + [idle]):
        refused = False
        for t0, t1, what, status, text in p.log:
            assert status < 500, f"victim {k} {what}: {status} {text}"
            if status == 202 and not refused:
                assert what == "PATCH"
                assert t0 < deleted_at["t"], f"victim {k}: PATCH begun after the delete got 202"
                continue
            refused = True
            assert status == 404, f"victim {k} {what}: expected 404, got {status} {text}"
            codes = {e["code"] for e in json.loads(text)["errors"]}
            assert codes <= {"BLOB_UPLOAD_UNKNOWN", "NAME_UNKNOWN"} and codes, (what, text)
        assert refused

    # Bystanders: untouched; their blobs are whole.
    oci = OciClient(srv.base_url, requests.Session())
    oci.s.auth = auth
    for p, r in zip(bystanders, finals):
        assert r.status_code == 201, (r.status_code, r.text[:300])
        for t0, t1, what, status, text in p.log:
            assert status in (201, 202), f"bystander {what}: {status} {text}"
        g = oci.get_blob(other, sha256_digest(p.data))
        assert g.status_code == 200 and g.content == p.data

    # ECR: the victim's upload is gone, the bystander's completes.
    uid, data = ecr_parts[victim]
    for call in (lambda: ecr.upload_layer_part(repositoryName=victim, uploadId=uid,
                                               partFirstByte=300_000, partLastByte=len(data) - 1,
                                               layerPartBlob=data[300_000:]),
                 lambda: ecr.complete_layer_upload(repositoryName=victim, uploadId=uid,
                                                   layerDigests=[sha256_digest(data)])):
        with pytest.raises(ClientError) as e:
            call()
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
        assert err["Error"]["Code"] in ("RepositoryNotFoundException", "UploadNotFoundException"), err
    uid, data = ecr_parts[other]
    ecr.upload_layer_part(repositoryName=other, uploadId=uid, partFirstByte=300_000,
                          partLastByte=len(data) - 1, layerPartBlob=data[300_000:])
    done = ecr.complete_layer_upload(repositoryName=other, uploadId=uid,
                                     layerDigests=[sha256_digest(data)])
    assert done["layerDigest"] == sha256_digest(data)
    assert oci.get_blob(other, sha256_digest(data)).content == data

    # A new repository of the same name does not resurrect the old uploads.
    env.create_repository(victim)
    for p in victims + [idle]:
        assert_oci_error(oci.request("GET", p.loc), 404, "BLOB_UPLOAD_UNKNOWN")
    with pytest.raises(ClientError) as e:
        ecr.upload_layer_part(repositoryName=victim, uploadId=ecr_parts[victim][0],
                              partFirstByte=300_000, partLastByte=300_009,
                              layerPartBlob=b"0123456789")
    assert e.value.response["Error"]["Code"] == "UploadNotFoundException", e.value.response
    t = oci.tags(victim)
    assert t.status_code == 200 and t.json().get("tags") in (None, []), t.text

    srv.stop()
    doc = assert_fsck_clean(srv.data_dir)
    # The deleted repository's uploads went with it: no upload data or record is left.
    leftovers = [f for f in doc["check"]["findings"] if f["kind"].startswith("upload_")]
    stale = Fsck(srv.data_dir).json("--stale-after", "0")
    leftovers += [f for f in stale["check"]["findings"] if f["kind"].startswith("upload_")]
    ids = {upload_id(p.first_loc): f"victim /v2/ upload {k} (PATCH log: "
           + ", ".join(f"{w} {st}{' after delete' if t0 > deleted_at['t'] else ''}"
                       for t0, _, w, st, _ in p.log) + ")"
           for k, p in enumerate(victims)}
    ids[upload_id(idle.first_loc)] = "victim /v2/ upload, idle (1 PATCH) at the delete"
    ids[ecr_parts[victim][0]] = "victim ECR layer upload, idle (1 part) at the delete"
    assert leftovers == [], "uploads of the deleted repository left on disk:\n" + "\n".join(
        f"  {f['kind']} {f['subject']}: {ids.get(f['subject'], '?')}" for f in leftovers)
    assert upload_entries(srv.data_dir) == [], upload_entries(srv.data_dir)


def upload_id(location: str) -> str:
    return requests.utils.urlparse(location).path.rstrip("/").rsplit("/", 1)[-1]
