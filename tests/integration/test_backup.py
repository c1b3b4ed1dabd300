"""`berth backup`: an online copy of the embedded store that `berth serve`
runs on as it is (issue 13, "Running it for real").

- taken while clients keep pushing, the copy is consistent (fsck clean) and
  serves every image it holds, byte for byte;
- a second backup into the same directory copies only the new blobs and
  still leaves the earlier backup whole if interrupted before the end;
- a PostgreSQL metadata store is refused with a pointer to pg_dump.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from conftest import BERTH_BINARY, RegistryServer

pytestmark = pytest.mark.berth_only


def berth(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([BERTH_BINARY, *args], capture_output=True, text=True, timeout=timeout)


def backup(data_dir: Path, to: Path) -> dict:
    p = berth("backup", "--data-dir", str(data_dir), "--to", str(to), "--json")
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout)


def assert_fsck_clean(data_dir: Path) -> None:
    p = berth("fsck", "--data-dir", str(data_dir), "--json", "--progress", "none")
    doc = json.loads(p.stdout)
    bad = [f for f in doc["check"]["findings"] if f["severity"] == "corruption"]
    assert p.returncode == 0 and not bad, json.dumps(doc["check"]["findings"], indent=1)


@pytest.fixture
def server(tmp_path):
    srv = RegistryServer(tmp_path / "origin", target="berth")
    srv.start()
    yield srv
    srv.stop()


def test_a_backup_taken_during_pushes_serves_what_it_holds(server, tmp_path):
    oci = server.oci()
    before = [oci.push_image("backup/app", f"v{i}", seed=500 + i, layer_sizes=(4096, 70000))
              for i in range(3)]
    stop = threading.Event()
    pushed_during: list = []

    def keep_pushing() -> None:
        client = server.oci(requests.Session())
        i = 0
        while not stop.is_set() and i < 40:
            pushed_during.append(client.push_image("backup/busy", f"t{i}", seed=600 + i,
                                                   layer_sizes=(2048,)))
            i += 1

    pusher = threading.Thread(target=keep_pushing)
    pusher.start()
    to = tmp_path / "backup"
    try:
        first = backup(server.data_dir, to)
    finally:
        stop.set()
        pusher.join(120)
    assert first["blobs_failed"] == 0, first
    assert first["blobs_copied"]["count"] >= sum(len(img.image.blobs) for img in before)

    # The copy is a data directory: consistent, and it serves its images.
    assert_fsck_clean(to)
    assert (to / "credentials").exists() or not (server.data_dir / "credentials").exists()
    copy = RegistryServer(tmp_path / "restored", target="berth")
    copy.data_dir.rmdir()
    copy.data_dir = to
    copy.start()
    try:
        restored = copy.oci()
        for img in before:
            got = restored.get_manifest(img.repo, img.reference)
            assert got.status_code == 200 and got.content == img.manifest_bytes
            for b in img.image.blobs:
                assert restored.get_blob(img.repo, b.digest).content == b.data
        # Images pushed while the backup ran are in it whole or not at all.
        tags = set(restored.tags("backup/busy").json().get("tags") or [])
        for img in pushed_during:
            if img.reference in tags:
                got = restored.get_manifest(img.repo, img.reference)
                assert got.content == img.manifest_bytes
                for b in img.image.blobs:
                    assert restored.get_blob(img.repo, b.digest).content == b.data
    finally:
        copy.stop()

    # A second backup copies only what is new.
    oci.push_image("backup/app", "later", seed=700, layer_sizes=(9000,))
    second = backup(server.data_dir, to)
    assert second["blobs_failed"] == 0, second
    # At least the new layer and config (and what was pushed after the first
    # snapshot); everything the first run copied is reused.
    assert second["blobs_copied"]["count"] >= 2, second
    assert second["blobs_already_present"] >= first["blobs_copied"]["count"], (first, second)
    third = backup(server.data_dir, to)  # nothing changed since
    assert third["blobs_copied"]["count"] == 0, third
    assert third["blobs_already_present"] == (second["blobs_already_present"]
                                              + second["blobs_copied"]["count"]), (second, third)
    assert_fsck_clean(to)


def test_backup_refuses_what_it_cannot_copy(server, tmp_path):
    p = berth("backup", "--data-dir", str(server.data_dir), "--to", str(server.data_dir))
    assert p.returncode == 2 and "must not be the data directory" in p.stderr, p.stderr
    p = berth("backup", "--meta-store", "postgresql://berth@127.0.0.1:1/none",
              "--blob-store", f"file://{server.data_dir}", "--to", str(tmp_path / "b"))
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "PostgreSQL" in p.stderr, p.stderr
    p = berth("backup", "--data-dir", str(tmp_path / "absent"), "--to", str(tmp_path / "c"))
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert not (tmp_path / "c" / "metadata.db").exists()
