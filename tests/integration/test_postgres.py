"""berth on PostgreSQL metadata (`--meta-store postgresql://...`) with the default
file:// blob store: skopeo pushes and pulls, the ECR listings and BatchDeleteImage
through boto3, two processes on one database, `berth fsck` (and --repair refusing
beside a running server), and the start-up errors.

The server: $BERTH_TEST_POSTGRES_URL when set (make test starts one with
scripts/test-backends/postgres.sh), else this module starts its own with that
script in a temporary directory and stops it at the end. Without PostgreSQL
binaries the module is skipped, or fails under BERTH_REQUIRE_BACKENDS=1. Each
test gets a database of its own.

berth_only: Distribution has no metadata database.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

import conftest
import ecrhelpers
import ocihelpers
from ecrhelpers import MT_OCI_MANIFEST, raises_ecr

pytestmark = pytest.mark.berth_only

SCRIPT = conftest.REPO_ROOT / "scripts" / "test-backends" / "postgres.sh"
PSQL = shutil.which("psql") or "/usr/bin/psql"


@pytest.fixture(scope="module")
def pg_server() -> str:
    """The admin URL of a PostgreSQL server (a superuser, database `postgres`)."""
    url = os.environ.get("BERTH_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    # Under /tmp, not pytest's tmp dir: that is closed (0700) to the `postgres`
    # user the script runs the server as when the tests run as root.
    state = Path("/tmp") / f"berth-it-postgres-{os.getpid()}-{secrets.token_hex(4)}"
    env = dict(os.environ, BERTH_TEST_POSTGRES_STATE=str(state))
    p = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=120)
    if p.returncode != 0:
        msg = f"cannot start PostgreSQL with {SCRIPT}: {p.stderr.strip()}"
        if conftest.backends_required():
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield conftest.parse_exports(p.stdout)["BERTH_TEST_POSTGRES_URL"]
    finally:
        subprocess.run([str(SCRIPT), "stop"], capture_output=True, env=env, timeout=60)


def psql(url: str, sql: str) -> str:
    p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", url, "-c", sql], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture
def pg_url(pg_server):
    """A fresh database of its own, dropped after the test."""
    name = f"berth_it_{secrets.token_hex(6)}"
    psql(pg_server, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    yield with_database(pg_server, name)
    psql(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def count(url: str, table: str) -> int:
    return int(psql(url, f"SELECT count(*) FROM {table}"))


def berth(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    return subprocess.run([conftest.BERTH_BINARY, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, creds, meta_url: str, *extra: str,
                 auth: str = "sigv4") -> ecrhelpers.EcrServer:
    server = ecrhelpers.EcrServer(root, conftest.BERTH_BINARY, creds, auth=auth,
                                  extra=["--meta-store", meta_url, *extra])
    server.start()
    return server


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


# ---- one server on PostgreSQL ------------------------------------------------------


def test_push_pull_list_and_delete_on_postgres(pg_url, servers, ecr_creds, layouts, tmp_path):
    server = start_server(tmp_path / "berth", ecr_creds, pg_url)
    servers.append(server)
    env = ecrhelpers.EcrEnv(server, ecr_creds, tmp_path)
    c = env.client()
    repo = "pg/app"
    env.create_repository(repo)
    skopeo = conftest.Skopeo(server, tmp_path)
    dest_creds = f"AWS:{env.password()}"
    img = layouts["single"]
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v1"),
                "--dest-creds", dest_creds, "--preserve-digests")
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v2"),
                "--dest-creds", dest_creds, "--preserve-digests")

    # The metadata is in PostgreSQL, nowhere else.
    assert not (server.data_dir / "metadata.db").exists()
    assert count(pg_url, "manifests") == 1 and count(pg_url, "tags") == 2
    assert count(pg_url, "blob_links") == len(img.blobs)

    d = c.describe_images(repositoryName=repo)["imageDetails"]
    assert [x["imageDigest"] for x in d] == [img.manifest.digest]
    assert d[0]["imageTags"] == ["v1", "v2"]
    assert d[0]["imageManifestMediaType"] == MT_OCI_MANIFEST
    assert d[0]["imageSizeInBytes"] >= sum(b.size for b in img.layers)
    assert "lastRecordedPullTime" not in d[0]
    ids = c.list_images(repositoryName=repo)["imageIds"]
    assert sorted(ids, key=lambda i: i["imageTag"]) == [
        {"imageDigest": img.manifest.digest, "imageTag": "v1"},
        {"imageDigest": img.manifest.digest, "imageTag": "v2"}]

    # Pull by tag through /v2/: byte-exact, and the pull time reaches DescribeImages.
    out = tmp_path / "pulled"
    skopeo.copy(skopeo.ref(repo, "v1"), f"dir:{out}", "--src-creds", dest_creds)
    assert (out / "manifest.json").read_bytes() == img.manifest.data
    for b in img.blobs:
        assert (out / b.digest.split(":", 1)[1]).read_bytes() == b.data
    deadline = time.monotonic() + 30
    while "lastRecordedPullTime" not in c.describe_images(repositoryName=repo)["imageDetails"][0]:
        assert time.monotonic() < deadline, "pull time never recorded"
        time.sleep(0.2)

    # BatchDeleteImage: one tag, then the image by digest.
    r = c.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert r["failures"] == [] and r["imageIds"] == [
        {"imageDigest": img.manifest.digest, "imageTag": "v1"}]
    r = c.batch_delete_image(repositoryName=repo,
                             imageIds=[{"imageDigest": img.manifest.digest}, {"imageTag": "nope"}])
    assert [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    assert {"imageDigest": img.manifest.digest, "imageTag": "v2"} in r["imageIds"]
    assert c.list_images(repositoryName=repo)["imageIds"] == []
    assert count(pg_url, "manifests") == 0 and count(pg_url, "tags") == 0
    r = c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v2"}])
    assert r["images"] == [] and [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    with raises_ecr("RepositoryNotFoundException"):
        c.describe_images(repositoryName="pg/absent")


def test_two_processes_share_one_database(pg_url, servers, ecr_creds, layouts, tmp_path):
    blobs = tmp_path / "shared-blobs"
    a = start_server(tmp_path / "a", ecr_creds, pg_url, "--blob-store", f"file://{blobs}",
                     auth="none")
    b = start_server(tmp_path / "b", ecr_creds, pg_url, "--blob-store", f"file://{blobs}",
                     auth="none")
    servers.extend([a, b])
    img = layouts["single"]
    (tmp_path / "sa").mkdir()
    (tmp_path / "sb").mkdir()
    through_a = conftest.Skopeo(a, tmp_path / "sa")
    through_b = conftest.Skopeo(b, tmp_path / "sb")
    through_a.copy(f"oci:{layouts['single_dir']}:img", through_a.ref("pg/shared", "latest"))
    out = tmp_path / "from-b"
    through_b.copy(through_b.ref("pg/shared", "latest"), f"dir:{out}")
    assert (out / "manifest.json").read_bytes() == img.manifest.data

    # A tag moved through one process is what the next request to the other sees.
    multi = layouts["multi"]
    through_b.copy(f"oci:{layouts['multi_dir']}:multi", through_b.ref("pg/shared", "latest"),
                   "--all")
    got = ocihelpers.OciClient(a.base_url, requests.Session()).get_manifest("pg/shared", "latest")
    assert got.status_code == 200 and got.content == multi.index.data
    ecr_a = ecrhelpers.EcrEnv(a, ecr_creds, tmp_path).client()
    assert ecr_a.describe_repositories()["repositories"][0]["repositoryName"] == "pg/shared"


# ---- fsck ---------------------------------------------------------------------


def test_fsck_checks_postgres_and_repair_waits_for_the_server(pg_url, servers, ecr_creds,
                                                             layouts, tmp_path):
    blobs = tmp_path / "blobs"
    server = start_server(tmp_path / "berth", ecr_creds, pg_url, "--blob-store", f"file://{blobs}",
                          auth="none")
    servers.append(server)
    (tmp_path / "s").mkdir()
    skopeo = conftest.Skopeo(server, tmp_path / "s")
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref("pg/fsck", "v1"))

    stores = ["--meta-store", pg_url, "--blob-store", f"file://{blobs}", "--progress", "none"]
    p = berth("fsck", *stores, "--repair")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "in use" in p.stderr and "--repair refused" in p.stderr, p.stderr
    assert pg_url.split("@")[0].split(":")[-1] not in p.stderr  # no password
    p = berth("fsck", *stores)  # a read-only check is fine beside it
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "1 manifests" in p.stdout and "1 tags" in p.stdout, p.stdout
    server.stop()
    p = berth("fsck", *stores, "--repair")
    assert p.returncode == 0, (p.stdout, p.stderr)


def test_fsck_refuses_an_empty_database_and_creates_nothing(pg_url, tmp_path):
    (tmp_path / "blobs").mkdir()
    p = berth("fsck", "--meta-store", pg_url, "--blob-store", f"file://{tmp_path}",
              "--progress", "none")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "no berth metadata" in p.stderr, p.stderr
    assert psql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"


# ---- start-up errors -------------------------------------------------------------


def assert_one_clear_line(p: subprocess.CompletedProcess, *needles: str, secret: str):
    assert p.returncode != 0, (p.stdout, p.stderr)
    errors = [line for line in p.stderr.splitlines() if "[error]" in line]
    assert len(errors) == 1, p.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert secret not in p.stderr + p.stdout


def serve_once(tmp_path: Path, meta_url: str) -> subprocess.CompletedProcess:
    return berth("serve", "--listen", f"127.0.0.1:{closed_port()}", "--data-dir",
                 str(tmp_path / "data"), "--meta-store", meta_url, timeout=60)


def test_startup_errors_are_one_line_and_create_nothing(pg_server, tmp_path):
    password = pg_server.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    host = pg_server.split("@", 1)[1].split("/", 1)[0]
    absent_db = f"berth_it_absent_{secrets.token_hex(4)}"

    p = serve_once(tmp_path, f"postgresql://berth:{password}@[::1/berth")
    assert_one_clear_line(p, "malformed PostgreSQL URL", secret=password)
    assert p.returncode == 2

    p = serve_once(tmp_path, f"postgresql://berth:{password}@127.0.0.1:{closed_port()}/berth")
    assert_one_clear_line(p, "cannot connect to PostgreSQL", "refused", secret=password)

    p = serve_once(tmp_path, f"postgresql://berth:wrong-{password}@{host}/postgres")
    assert_one_clear_line(p, "password authentication failed", secret=password)

    p = serve_once(tmp_path, f"postgresql://berth:{password}@{host}/{absent_db}")
    assert_one_clear_line(p, absent_db, "does not exist", secret=password)
    assert psql(pg_server, f"SELECT count(*) FROM pg_database WHERE datname = '{absent_db}'") == "0"

    # None of them left a store behind: no blob tree, no SQLite file.
    data = tmp_path / "data"
    assert not (data / "blobs").exists() and not (data / "metadata.db").exists(), \
        sorted(str(x) for x in data.rglob("*"))


# ---- garbage collection -----------------------------------------------------------


def test_gc_on_postgres_frees_what_a_delete_dropped_beside_the_server(pg_url, servers, ecr_creds,
                                                                      tmp_path):
    import json

    blobs = tmp_path / "blobs"
    server = start_server(tmp_path / "berth", ecr_creds, pg_url, "--blob-store", f"file://{blobs}",
                          "--gc-interval", "0", auth="none")
    servers.append(server)
    oci = ocihelpers.OciClient(server.base_url, requests.Session())
    kept = oci.push_image("pg/gc", "keep", seed=301, layer_sizes=(65536,))
    doomed = oci.push_image("pg/gc", "old", seed=302, layer_sizes=(131072, 4096))
    r = oci.request("DELETE", f"/v2/pg/gc/manifests/{doomed.digest}")
    assert r.status_code == 202, r.text
    # The delete queued the image's blobs for review, in PostgreSQL.
    assert int(psql(pg_url, "SELECT count(*) FROM gc_blob_reviews")) >= len(doomed.image.blobs)

    stores = ["--meta-store", pg_url, "--blob-store", f"file://{blobs}"]
    p = berth("gc", *stores, "--gc-delay", "0", "--apply", "--json", timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    done = json.loads(p.stdout)
    assert done["applied"] and done["blobs_reclaimed"]["count"] == len(doomed.image.blobs), done
    for b in doomed.image.blobs:
        assert oci.head_blob("pg/gc", b.digest).status_code == 404
    for b in kept.image.blobs:
        assert oci.get_blob("pg/gc", b.digest).content == b.data
    assert count(pg_url, "gc_blob_tombstones") == 0
    p = berth("fsck", *stores, "--progress", "none")
    assert p.returncode == 0, (p.stdout, p.stderr)
