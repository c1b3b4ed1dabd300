"""`berth fsck` against real data directories written by a real berth.

The fsck command is `$BERTH_BINARY fsck` when the CLI carries it, else the
standalone `berth_fsck_tool` (BERTH_FSCK_BINARY, or build/src/fsck/ next to
the berth binary's build/src/app/). Both take the same flags:
  --data-dir DIR [--repair] [--json] [--stale-after SECONDS]
  [--no-verify-content] [--progress auto|tty|plain|none]
Exit status: 0 no corruption, 1 corruption, 2 usage/open error.

berth_only: fsck reads berth's own on-disk layout.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
import requests

import conftest
from ocihelpers import OciClient, sha256_digest

pytestmark = [pytest.mark.berth_only]

FSCK_TIMEOUT = 120


# --------------------------------------------------------------------------
# Helpers shared with test_crash.py (import them; they are not fixtures).


def fsck_command() -> list[str]:
    """The argv prefix that runs fsck (see the module docstring)."""
    env = os.environ.get("BERTH_FSCK_BINARY")
    if env:
        if not os.access(env, os.X_OK):
            pytest.fail(f"BERTH_FSCK_BINARY={env} is not executable")
        return [env]
    berth = conftest.BERTH_BINARY
    if os.access(berth, os.X_OK):
        try:
            p = subprocess.run([berth, "fsck", "--help"], capture_output=True, text=True,
                               timeout=10)
            # CLI11 answers --help for unknown words too: look for fsck's own flag.
            if p.returncode == 0 and "--repair" in p.stdout:
                return [berth, "fsck"]
        except subprocess.TimeoutExpired:
            pass
    tool = Path(berth).resolve().parent.parent / "fsck" / "berth_fsck_tool"
    if os.access(tool, os.X_OK):
        return [str(tool)]
    pytest.fail(f"no fsck: `{berth} fsck` is not wired and {tool} does not exist "
                "(build target berth_fsck_tool, or set BERTH_FSCK_BINARY)")


class Fsck:
    """Runs fsck on one data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.argv = fsck_command()

    def run(self, *args: str, check_code: int | None = None, stderr=subprocess.PIPE,
            timeout: float = FSCK_TIMEOUT) -> subprocess.CompletedProcess:
        cmd = [*self.argv, "--data-dir", str(self.data_dir), *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=timeout)
        if check_code is not None and p.returncode != check_code:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}, expected {check_code}\n"
                        f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def json(self, *args: str, check_code: int | None = None) -> dict:
        p = self.run("--json", "--progress", "none", *args, check_code=check_code)
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"fsck --json printed no JSON (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")


def corruption(doc: dict, section: str = "check") -> list[dict]:
    return [f for f in doc[section]["findings"] if f["severity"] == "corruption"]


def blob_file(data_dir: Path, digest: str) -> Path:
    alg, hex_ = digest.split(":", 1)
    return Path(data_dir) / "blobs" / alg / hex_[:2] / hex_


# --------------------------------------------------------------------------


@pytest.fixture
def fresh_skopeo(fresh_registry, tmp_path) -> conftest.Skopeo:
    if not os.access(conftest.SKOPEO, os.X_OK):
        pytest.fail(f"skopeo not found at {conftest.SKOPEO}")
    d = tmp_path / "fresh-skopeo"
    d.mkdir()
    return conftest.Skopeo(fresh_registry, d)


def test_clean_store_after_skopeo_pushes(fresh_registry, fresh_skopeo, layouts):
    srv = fresh_registry
    fresh_skopeo.copy(f"oci:{layouts['single_dir']}:img", fresh_skopeo.ref("fsck/single", "v1"),
                      "--preserve-digests")
    fresh_skopeo.copy(f"oci:{layouts['multi_dir']}:multi", fresh_skopeo.ref("fsck/multi", "v1"),
                      "--all", "--preserve-digests")
    fsck = Fsck(srv.data_dir)

    # Read-only checks work against the live server too.
    live = fsck.json(check_code=0)
    assert live["clean"] is True and live["mode"] == "check"

    srv.stop()
    doc = fsck.json(check_code=0)
    stats = doc["check"]["stats"]
    single = layouts["single"]
    multi = layouts["multi"]
    assert stats["repositories"] == 2
    assert stats["manifests"] == 1 + len(multi.manifests)
    assert stats["tags"] == 2
    assert stats["blobs"] == len(single.blobs) + len(multi.blobs)
    assert stats["bytes_hashed"] == stats["blob_bytes"] > 4 << 20
    assert corruption(doc) == []
    text = fsck.run(check_code=0)
    assert "no corruption found" in text.stdout


def test_flipped_byte_is_found_repaired_and_healed_by_a_repush(fresh_registry, fresh_skopeo,
                                                               layouts, tmp_path):
    srv = fresh_registry
    img = layouts["single"]
    src = f"oci:{layouts['single_dir']}:img"
    dst = fresh_skopeo.ref("fsck/rot", "v1")
    fresh_skopeo.copy(src, dst, "--preserve-digests")
    srv.stop()

    victim = max(img.layers, key=lambda b: b.size)
    path = blob_file(srv.data_dir, victim.digest)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))

    fsck = Fsck(srv.data_dir)
    text = fsck.run(check_code=1)
    assert f"blob_corrupt digest={victim.digest}" in text.stdout, text.stdout
    doc = fsck.json(check_code=1)
    bad = corruption(doc)
    assert [(f["kind"], f["digest"]) for f in bad] == [("blob_corrupt", victim.digest)], bad
    assert path.exists(), "fsck without --repair must not change anything"

    rep = fsck.run("--repair", check_code=1)  # the manifest still lacks the layer
    assert f"repair done: deleted corrupt blob {victim.digest}" in rep.stdout, rep.stdout
    assert "after repair: corruption manifest_blob_missing" in rep.stdout, rep.stdout
    assert not path.exists()

    srv.start()
    oci = srv.oci()
    assert oci.head_blob("fsck/rot", victim.digest).status_code == 404
    fresh_skopeo.copy(src, dst, "--preserve-digests")  # the re-push heals
    g = oci.get_blob("fsck/rot", victim.digest)
    assert g.status_code == 200 and g.content == victim.data
    m = oci.get_manifest("fsck/rot", "v1")
    assert m.status_code == 200 and m.content == img.manifest.data
    srv.stop()
    healed = fsck.json(check_code=0)
    assert corruption(healed) == []


def test_stale_and_orphaned_uploads_are_reported_and_removed(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()
    loc = oci.begin("fsck/uploads")
    r = oci.patch(loc, b"x" * 5000, 0)
    assert r.status_code == 202
    upload_id = requests.utils.urlparse(loc).path.rstrip("/").rsplit("/", 1)[-1]
    srv.stop()
    # An upload directory no metadata record knows (e.g. a crash between the
    # two steps of a cancel).
    orphan = srv.data_dir / "uploads" / "orphan-upload-1"
    orphan.mkdir()
    (orphan / "data").write_bytes(b"orphaned bytes")

    fsck = Fsck(srv.data_dir)
    young = fsck.json(check_code=0)  # young uploads are in flight, not stale
    assert young["check"]["kinds"].get("upload_stale", 0) == 0

    doc = fsck.json("--stale-after", "0", check_code=0)  # stale uploads are no corruption
    kinds = {(f["kind"], f["subject"]) for f in doc["check"]["findings"]}
    assert ("upload_stale", upload_id) in kinds, kinds
    assert ("upload_orphan_data", "orphan-upload-1") in kinds, kinds

    rep = fsck.run("--repair", "--stale-after", "0", check_code=0)
    assert f"repair done: removed stale upload {upload_id}" in rep.stdout, rep.stdout
    assert "repair done: removed orphaned upload data orphan-upload-1" in rep.stdout, rep.stdout
    assert list((srv.data_dir / "uploads").iterdir()) == []
    after = fsck.json("--stale-after", "0", check_code=0)
    assert after["check"]["findings"] == []

    srv.start()
    s = srv.oci().request("GET", loc)
    assert s.status_code == 404


def test_progress_is_live_on_a_terminal_and_plain_otherwise(fresh_registry):
    srv = fresh_registry
    srv.oci().push_image("fsck/progress", "v1", seed=3, layer_sizes=(200_000, 300_000))
    srv.stop()
    fsck = Fsck(srv.data_dir)

    plain = fsck.run(check_code=0)  # stderr is a pipe
    assert "\r" not in plain.stderr
    assert "fsck: done in" in plain.stderr, plain.stderr

    primary, secondary = pty.openpty()
    try:
        p = fsck.run(stderr=secondary, check_code=0)
        os.close(secondary)
        secondary = -1
        out = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if secondary >= 0:
            os.close(secondary)
        os.close(primary)
    text = out.decode(errors="replace")
    assert "\r" in text and "fsck: done in" in text, text
    assert "no corruption found" in p.stdout


def test_usage_and_open_errors_exit_2(tmp_path):
    argv = fsck_command()
    p = subprocess.run([*argv, "--data-dir", str(tmp_path / "absent")], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2, p
    assert not (tmp_path / "absent").exists()
    p = subprocess.run([*argv, "--data-dir", str(tmp_path)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2 and "not a berth data directory" in p.stderr, p
    p = subprocess.run([*argv, "--no-such-flag"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p


def test_push_through_oci_then_check_by_digest(fresh_registry):
    """Every blob of a raw push is checked (counts add up)."""
    srv = fresh_registry
    oci = srv.oci()
    data = os.urandom(100_000)
    digest = oci.push_blob_chunked("fsck/raw", data, 30_000)
    assert digest == sha256_digest(data)
    srv.stop()
    doc = Fsck(srv.data_dir).json(check_code=0)
    assert doc["check"]["stats"]["blobs"] == 1
    # A blob linked but named by no manifest is referenced (linked), not garbage.
    assert doc["check"]["kinds"].get("blob_unreferenced", 0) == 0
