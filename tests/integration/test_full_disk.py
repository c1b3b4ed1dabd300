"""A full disk: berth on a 48 MiB tmpfs of its own.

  - a 64 MiB blob does not fit, pushed monolithically (POST ?digest=) or as a
    chunked session: a clear OCI error naming the lack of space, berth stays up,
    everything pushed before pulls bit-exact, the failed upload gives its space
    back (by itself, or once the client cancels it with DELETE), and a push
    succeeds again;
  - ECR: an UploadLayerPart that does not fit, and a PutImage when the disk is
    full, answer an ECR JSON error (ServerException / LimitExceededException),
    not a crash; space freed, both succeed again;
  - SQLite itself runs out of room (the disk filled to the last page by a file
    of the test's, then one tag PUT after another): a clean 5xx, nothing half
    stored, the database intact, and tag PUTs succeed again once space is freed.
`berth fsck` is clean at the end of each. Where berth cannot give space back, the
test records it, frees the disk as an operator would (fsck --repair, by hand as a
last resort) to check the rest, and fails at the end with everything it found.

Needs root (mount). berth_only: berth's data directory and fsck.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import conftest
import make_test_images as mti
from ocihelpers import (MT_OCI_MANIFEST, BulkData, OciClient, RawResponse,
                        sha256_digest, stream_put, target_of)
from test_fsck import Fsck, corruption

pytestmark = [pytest.mark.berth_only]

MiB = 1 << 20
FS_SIZE = "48m"
SPACE_WORDS = ("space", "disk full", "no room", "full")


# --------------------------------------------------------------------------
# Fixtures: a tmpfs of berth's own, and berth on it


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small-fs"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("full-disk test needs root to mount a size-limited tmpfs")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_SIZE},mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a {FS_SIZE} tmpfs at {mnt}: {p.stderr.strip() or p.returncode}")
    try:
        yield mnt
    finally:
        u = subprocess.run(["umount", str(mnt)], capture_output=True, text=True)
        if u.returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, text=True)


@pytest.fixture
def disk_berth(small_fs, tmp_path):
    """berth --auth none with --data-dir on the tmpfs (its log stays off it)."""
    srv = conftest.RegistryServer(tmp_path / "berth")
    srv.data_dir = small_fs / "data"
    srv.data_dir.mkdir()
    srv.start()
    yield srv
    srv.stop()


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path) -> Path:
    """A file of the test's that takes every last byte of the filesystem."""
    f = path / "filler"
    with open(f, "wb", buffering=0) as out:
        for size in (MiB, 4096, 1):
            block = b"\0" * size
            while True:
                try:
                    out.write(block)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
                    break
    assert free_bytes(path) == 0, free_bytes(path)
    return f


def mentions_space(text: str) -> bool:
    t = text.lower()
    return any(w in t for w in SPACE_WORDS)


def assert_no_space_error(status: int, body: bytes, what: str) -> dict:
    """An OCI error for a write that did not fit: 5xx UNAVAILABLE/UNKNOWN (or a 4xx
    with an OCI code), JSON, and a message that says the disk is full."""
    assert status >= 400, f"{what}: {status} — a write that cannot fit was accepted"
    assert status in (500, 503, 507) or 400 <= status < 500, f"{what}: {status} {body[:300]!r}"
    try:
        doc = json.loads(body)
    except ValueError:
        pytest.fail(f"{what}: {status} with a non-JSON body {body[:300]!r}")
    errs = doc.get("errors")
    assert isinstance(errs, list) and errs, f"{what}: not an OCI error body: {doc}"
    if status >= 500:
        assert {e.get("code") for e in errs} <= {"UNAVAILABLE", "UNKNOWN"}, doc
    text = " ".join(f"{e.get('message', '')} {e.get('detail', '')}" for e in errs)
    assert mentions_space(text), f"{what}: the error does not say the disk is full: {doc}"
    return doc


def stream_request(port: int, method: str, target: str, pieces, length: int,
                   headers: dict | None = None, timeout: float = 30) -> RawResponse:
    """Streams a body of `length` bytes; if berth answers before the body is all
    sent (and stops reading), the answer is still read."""
    return stream_put("127.0.0.1", port, method, target, pieces, length, headers, timeout,
                      early_answer=True)


def push_images(oci: OciClient, repo: str) -> list:
    return [oci.push_image(repo, f"v{k}", seed=4800 + k, layer_sizes=sizes)
            for k, sizes in enumerate([(1000, 200_000), (5000, MiB), (300, 2 * MiB)])]


def assert_images_intact(oci: OciClient, images) -> None:
    for img in images:
        for ref in (img.reference, img.digest):
            g = oci.get_manifest(img.repo, ref)
            assert g.status_code == 200 and g.content == img.manifest_bytes, (img.repo, ref)
        for b in img.image.blobs:
            g = oci.get_blob(img.repo, b.digest)
            assert g.status_code == 200, (b.digest, g.status_code, g.text[:200])
            assert hashlib.sha256(g.content).hexdigest() == b.digest.split(":")[1]
            assert g.content == b.data


def assert_alive(srv) -> None:
    assert srv.alive(), "berth died\n" + srv.log_tail()
    r = requests.get(srv.base_url + "/v2/", timeout=60)
    assert r.status_code == 200, r.status_code


def assert_fsck_clean(data_dir: Path) -> dict:
    """No corruption, exit 0; and no upload left behind (stale-after 0)."""
    p = Fsck(data_dir).run("--progress", "none")
    assert p.returncode == 0, f"berth fsck exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    doc = Fsck(data_dir).json("--stale-after", "0")
    assert corruption(doc) == [], corruption(doc)
    leftovers = [f for f in doc["check"]["findings"] if f["kind"].startswith("upload_")]
    assert leftovers == [], f"uploads left behind: {leftovers}"
    return doc


class Problems:
    """Failures that must fail the test but should not hide what comes after them:
    each is recorded, the disk is freed the way an operator would (berth stopped,
    `berth fsck --repair --stale-after 0`, berth started), and the test goes on;
    `check()` at the end fails with all of them."""

    def __init__(self, srv, fs: Path, free0: int):
        self.srv, self.fs, self.free0 = srv, fs, free0
        self.found: list[str] = []

    def space_back(self, what: str) -> None:
        kept = self.free0 - free_bytes(self.fs)
        if kept <= MiB:
            return
        self.found.append(f"{what}: {kept >> 10} KiB not given back; {uploads_on_disk(self.srv.data_dir)}")
        self.srv.stop()
        fsck = Fsck(self.srv.data_dir)
        rep = fsck.run("--repair", "--stale-after", "0", "--progress", "none")
        if "repair failed" in rep.stdout:
            self.expect(rep.returncode != 0, "`berth fsck --repair` exited 0 although it printed: "
                        + "; ".join(l for l in rep.stdout.splitlines() if "repair failed" in l))
        kept = self.free0 - free_bytes(self.fs)
        if kept > MiB:
            self.found.append(f"`berth fsck --repair --stale-after 0` (exit {rep.returncode}) could not "
                              f"free the space either: {kept >> 10} KiB still taken; "
                              + "; ".join(l for l in rep.stdout.splitlines() if "repair" in l))
            # What is left to an operator: remove the upload bytes by hand, then repair.
            for data in (self.srv.data_dir / "uploads").glob("*/data"):
                data.unlink()
            rep = fsck.run("--repair", "--stale-after", "0", "--progress", "none")
            assert rep.returncode == 0, f"fsck --repair after freeing space by hand:\n{rep.stdout}\n{rep.stderr}"
            kept = self.free0 - free_bytes(self.fs)
            assert kept <= MiB, f"{kept >> 10} KiB still taken; {uploads_on_disk(self.srv.data_dir)}"
        self.srv.start()

    def expect(self, ok: bool, text: str) -> None:
        if not ok:
            self.found.append(text)

    def check(self) -> None:
        assert not self.found, "berth failed on a full disk:\n  - " + "\n  - ".join(self.found)


def assert_db_intact(data_dir: Path) -> None:
    db = sqlite3.connect(f"file:{data_dir / 'metadata.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def ecr_client(srv):
    return boto3.client("ecr", endpoint_url=srv.base_url, region_name="us-east-1",
                        aws_access_key_id="AKIDFULLDISK", aws_secret_access_key="x" * 40,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                                      read_timeout=60))


def uploads_on_disk(data_dir: Path) -> str:
    """What <data-dir>/uploads holds, for failure messages."""
    d = Path(data_dir) / "uploads"
    files = [f"{p.relative_to(d)} ({p.stat().st_size} bytes)" for p in sorted(d.rglob("*")) if p.is_file()]
    return "uploads/: " + (", ".join(files) if files else "empty")


# --------------------------------------------------------------------------


def test_monolithic_push_that_does_not_fit_fails_cleanly_and_gives_space_back(disk_berth, small_fs):
    srv = disk_berth
    oci = srv.oci()
    repo = "full/mono"
    before = push_images(oci, repo)
    free0 = free_bytes(small_fs)
    big = BulkData(64 * MiB, seed=48)
    assert free0 < big.size

    # POST ?digest= with 64 MiB streamed: a clear error, berth up, nothing stored.
    r = stream_request(srv.port, "POST", f"/v2/{repo}/blobs/uploads/?digest={big.digest}",
                       big.range(0, big.size), big.size)
    assert_no_space_error(r.status, r.body, "POST ?digest= 64 MiB")
    assert_alive(srv)
    assert oci.head_blob(repo, big.digest).status_code == 404
    assert_images_intact(oci, before)
    # No upload URL was handed out, so nobody can cancel it: berth must give the
    # space back by itself, or the disk stays full for every later push.
    problems = Problems(srv, small_fs, free0)
    problems.space_back("a failed POST ?digest= (monolithic) push")

    oci = srv.oci()
    after = oci.push_image(repo, "after", seed=4898, layer_sizes=(10 * MiB, 1000))
    assert_images_intact(oci, before + [after])
    srv.stop()
    assert_db_intact(srv.data_dir)
    assert_fsck_clean(srv.data_dir)
    problems.check()


def test_chunked_push_that_does_not_fit_fails_cleanly_and_cancels(disk_berth, small_fs):
    srv = disk_berth
    oci = srv.oci()
    repo = "full/chunked"
    before = push_images(oci, repo)
    free0 = free_bytes(small_fs)
    big = BulkData(64 * MiB, seed=47)

    # 8 MiB PATCHes until one does not fit.
    chunk = 8 * MiB
    loc = oci.begin(repo)
    acked = 0
    failed = None
    while acked < big.size:
        r = stream_request(srv.port, "PATCH", target_of(loc), big.range(acked, acked + chunk), chunk,
                           {"Content-Range": f"{acked}-{acked + chunk - 1}"})
        if r.status != 202:
            failed = r
            break
        loc = oci.abs_location_value(r.headers["location"])
        acked += chunk
    assert failed is not None, "64 MiB of PATCHes fit on a 48 MiB filesystem"
    assert 0 < acked < 48 * MiB
    assert_no_space_error(failed.status, failed.body, f"PATCH at {acked}")
    assert_alive(srv)
    assert_images_intact(oci, before)
    problems = Problems(srv, small_fs, free0)
    s = oci.request("GET", loc)
    if s.status_code == 204:
        # The session survived: it claims exactly the acknowledged bytes.
        assert s.headers.get("Range") == f"0-{acked - 1}", s.headers.get("Range")
        # The client cancels: that must work on a full disk (it is how space comes back).
        d = oci.request("DELETE", loc)
        problems.expect(d.status_code == 204,
                        f"DELETE of the upload on the full disk: {d.status_code} {d.text[:200]}")
        assert d.status_code == 204 or d.status_code >= 500, (d.status_code, d.text)
    else:
        assert s.status_code == 404, (s.status_code, s.text)
    problems.space_back(f"a chunked upload of {acked >> 20} MiB, failed, then cancelled")
    oci = srv.oci()
    assert oci.request("GET", loc).status_code == 404

    # Nothing stored before is damaged, and pushes work again.
    after = oci.push_image(repo, "after", seed=4899, layer_sizes=(10 * MiB, 1000))
    assert_images_intact(oci, before + [after])
    srv.stop()
    assert_db_intact(srv.data_dir)
    assert_fsck_clean(srv.data_dir)
    problems.check()


def test_ecr_layer_part_and_put_image_that_do_not_fit(disk_berth, small_fs):
    srv = disk_berth
    oci = srv.oci()
    ecr = ecr_client(srv)
    repo = "full/ecr"
    ecr.create_repository(repositoryName=repo)
    before = push_images(oci, repo)
    free0 = free_bytes(small_fs)

    # 1. UploadLayerPart, 10 MiB parts, until one does not fit.
    big = BulkData(64 * MiB, seed=49)
    part = 10 * MiB
    uid = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    off = 0
    err = None
    while off < big.size:
        data = big.bytes(off, off + part)
        try:
            out = ecr.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=off,
                                        partLastByte=off + len(data) - 1, layerPartBlob=data)
        except ClientError as e:
            err = e.response
            break
        assert out["lastByteReceived"] == off + len(data) - 1
        off += len(data)
    assert err is not None, "64 MiB of layer parts fit on a 48 MiB filesystem"
    code = err["Error"]["Code"]
    status = err["ResponseMetadata"]["HTTPStatusCode"]
    assert (code, status) in (("ServerException", 500), ("LimitExceededException", 400)), err
    assert mentions_space(err["Error"].get("Message", "")), err
    assert_alive(srv)
    assert_images_intact(oci, before)
    # ECR has no abort: the upload is the same object as a /v2/ session; cancel it there.
    problems = Problems(srv, small_fs, free0)
    d = oci.request("DELETE", f"/v2/{repo}/blobs/uploads/{uid}")
    problems.expect(d.status_code in (204, 404),
                    f"DELETE of the layer upload on the full disk: {d.status_code} {d.text[:200]}")
    assert d.status_code in (204, 404) or d.status_code >= 500, (d.status_code, d.text)
    problems.space_back(f"a layer upload of {off >> 20} MiB, failed, then cancelled")
    oci = srv.oci()

    # 2. PutImage on a full disk: manifests of ~1 MiB (annotations), layers uploaded
    #    while there was room; the disk then filled to the last page.
    images = []
    for k in range(12):
        img = mti.build_image(4900 + k, (2000,), annotations={"pad": f"{k}-" + "x" * (1 << 20)})
        for b in img.blobs:
            ecr_upload(ecr, repo, b.data)
        images.append(img)
    filler = fill(small_fs)
    stored, failure = [], None
    for k, img in enumerate(images):
        try:
            ecr.put_image(repositoryName=repo, imageManifest=img.manifest.data.decode(),
                          imageTag=f"full-{k}")
        except ClientError as e:
            failure = (k, e.response)
            break
        stored.append((k, img))
    assert failure is not None, f"{len(images)} MiB of manifests fit on a full disk"
    k, resp = failure
    code = resp["Error"]["Code"]
    assert (code, resp["ResponseMetadata"]["HTTPStatusCode"]) in (
        ("ServerException", 500), ("LimitExceededException", 400)), resp
    assert mentions_space(resp["Error"].get("Message", "")), resp
    assert_alive(srv)
    # Nothing half stored: the failed image is absent, the accepted ones whole.
    got = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": f"full-{k}"}])
    assert got["images"] == [] and [f["failureCode"] for f in got["failures"]] == ["ImageNotFound"], got
    assert oci.get_manifest(repo, images[k].manifest.digest).status_code == 404
    for j, img in stored:
        g = oci.get_manifest(repo, f"full-{j}")
        assert g.status_code == 200 and g.content == img.manifest.data
    assert_images_intact(oci, before)

    # 3. Space freed: the same PutImage and a whole layer upload succeed.
    filler.unlink()
    out = ecr.put_image(repositoryName=repo, imageManifest=images[k].manifest.data.decode(),
                        imageTag=f"full-{k}")
    assert out["image"]["imageId"]["imageDigest"] == images[k].manifest.digest
    small = big.bytes(0, 3 * MiB)
    assert ecr_upload(ecr, repo, small, part=MiB) == sha256_digest(small)
    assert oci.get_blob(repo, sha256_digest(small)).content == small
    srv.stop()
    assert_db_intact(srv.data_dir)
    assert_fsck_clean(srv.data_dir)
    problems.check()


def ecr_upload(ecr, repo: str, data: bytes, part: int | None = None) -> str:
    uid = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    step = part or len(data)
    for off in range(0, len(data), step):
        piece = data[off:off + step]
        ecr.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=off,
                              partLastByte=off + len(piece) - 1, layerPartBlob=piece)
    try:
        return ecr.complete_layer_upload(repositoryName=repo, uploadId=uid,
                                         layerDigests=[sha256_digest(data)])["layerDigest"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "LayerAlreadyExistsException":
            raise
        return sha256_digest(data)


def test_sqlite_full_on_tag_puts_is_clean(disk_berth, small_fs):
    """The metadata database cannot grow: tag PUTs (all blobs and the manifest already
    stored, so only SQLite writes) fail cleanly once its WAL has no room left."""
    srv = disk_berth
    oci = srv.oci()
    repo = "full/sqlite"
    before = push_images(oci, repo)
    img = before[0]
    filler = fill(small_fs)

    accepted = []
    failure = None
    s = requests.Session()
    url = f"{srv.base_url}/v2/{repo}/manifests/"
    for k in range(20_000):  # bounded by count: a full disk refuses one long before
        tag = f"t{k:05d}-" + "x" * 100  # long names: more bytes per row
        r = s.put(url + tag, data=img.manifest_bytes, headers={"Content-Type": MT_OCI_MANIFEST},
                  timeout=30)
        if r.status_code == 201:
            accepted.append(tag)
            continue
        failure = (tag, r)
        break
    assert failure is not None, \
        f"{len(accepted)} tag PUTs on a full disk, none refused (does the WAL never grow?)"
    tag, r = failure
    print(f"\n[sqlite full] {len(accepted)} tag PUTs accepted on a full disk before "
          f"{r.status_code} {r.text[:200]}")
    assert_no_space_error(r.status_code, r.content, f"PUT tag #{len(accepted)}")
    assert_alive(srv)

    # Nothing half stored; what was acknowledged is there; reads still work.
    g = oci.get_manifest(repo, tag)
    assert g.status_code == 404 and g.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN", \
        (g.status_code, g.text[:300])
    for t in accepted[:: max(1, len(accepted) // 50)] + accepted[-3:]:
        g = oci.get_manifest(repo, t)
        assert g.status_code == 200 and g.content == img.manifest_bytes, t
    assert_images_intact(oci, before)
    # Further writes keep failing cleanly while the disk is full.
    r2 = s.put(url + "still-full", data=before[1].manifest_bytes,
               headers={"Content-Type": MT_OCI_MANIFEST}, timeout=30)
    assert r2.status_code == 201 or r2.status_code >= 500, (r2.status_code, r2.text)
    if r2.status_code != 201:
        assert_no_space_error(r2.status_code, r2.content, "second PUT on a full disk")

    # Space freed: the refused tag goes in, and so does a whole new image.
    filler.unlink()
    oci.push_manifest(repo, tag, img.manifest_bytes)
    new = oci.push_image(repo, "after", seed=4990, layer_sizes=(4000,))
    t = oci.tags(repo)
    assert t.status_code == 200
    tags = t.json()["tags"]
    assert set(accepted) | {tag, "after", "v0", "v1", "v2"} <= set(tags)
    assert len(tags) == len(set(tags))
    assert_images_intact(oci, before + [new])

    srv.restart()  # the database reopens and recovers its WAL
    oci = srv.oci()
    assert oci.get_manifest(repo, tag).content == img.manifest_bytes
    assert_images_intact(oci, before + [new])
    srv.stop()
    assert_db_intact(srv.data_dir)
    doc = assert_fsck_clean(srv.data_dir)
    assert doc["check"]["stats"]["tags"] == len(accepted) + 5 + (1 if r2.status_code == 201 else 0)
