"""berth with its blobs in S3 (`--blob-store s3://…`), against a real Ceph RADOS
Gateway: a skopeo push and pull with the ECR API on top, a chunked upload in
small chunks across process restarts and across two processes, --blob-redirect
(/v2/ and GetDownloadUrlForLayer hand out presigned S3 URLs), the start-up
refusals, the gateway going away in the middle of a push, and a 1 GiB pull
whose peak RSS stays small.

The gateway: $BERTH_TEST_S3_ENDPOINT (+ _ACCESS_KEY, _SECRET_KEY) when set
(make test starts one with scripts/test-backends/rgw.sh), else one started
here with that script, once for the whole session. Without the Ceph packages
the module is skipped, or fails under BERTH_REQUIRE_BACKENDS=1. Each test has
a bucket of its own.

berth_only: Distribution's S3 driver is not what this exercises.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

import conftest
import ecrhelpers
import ocihelpers

pytestmark = pytest.mark.berth_only

SCRIPT = conftest.REPO_ROOT / "scripts" / "test-backends" / "rgw.sh"
MiB = 1 << 20


@pytest.fixture(scope="session")
def rgw():
    """The gateway's BERTH_TEST_S3_* variables (and BERTH_TEST_RGW_STATE when
    this session started it, so a test may stop and restart the gateway)."""
    names = ("BERTH_TEST_S3_ENDPOINT", "BERTH_TEST_S3_ACCESS_KEY", "BERTH_TEST_S3_SECRET_KEY")
    if all(os.environ.get(n) for n in names):
        yield {n: os.environ[n] for n in names + ("BERTH_TEST_RGW_STATE",) if os.environ.get(n)}
        return
    state = Path("/tmp") / f"berth-it-rgw-{os.getpid()}-{secrets.token_hex(4)}"
    env = dict(os.environ, BERTH_TEST_RGW_STATE=str(state))
    p = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=180)
    if p.returncode != 0:
        subprocess.run([str(SCRIPT), "stop"], capture_output=True, env=env, timeout=60)
        msg = f"cannot start Ceph RGW with {SCRIPT}: {p.stderr.strip()[-2000:]}"
        if conftest.backends_required():
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield conftest.parse_exports(p.stdout)
    finally:
        subprocess.run([str(SCRIPT), "stop"], capture_output=True, env=env, timeout=60)


def s3_client(rgw, secret: str | None = None):
    return boto3.client(
        "s3", endpoint_url=rgw["BERTH_TEST_S3_ENDPOINT"], region_name="us-east-1",
        aws_access_key_id=rgw["BERTH_TEST_S3_ACCESS_KEY"],
        aws_secret_access_key=secret or rgw["BERTH_TEST_S3_SECRET_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 2}))


def s3_env(rgw) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": rgw["BERTH_TEST_S3_ACCESS_KEY"],
            "AWS_SECRET_ACCESS_KEY": rgw["BERTH_TEST_S3_SECRET_KEY"]}


def store_url(rgw, bucket: str, prefix: str = "", endpoint: str | None = None) -> str:
    endpoint = endpoint or rgw["BERTH_TEST_S3_ENDPOINT"]
    path = f"{bucket}/{prefix}" if prefix else bucket
    return f"s3://{path}?endpoint={endpoint}&region=us-east-1&path-style=true"


def keys(rgw, bucket: str, prefix: str = "") -> list[str]:
    out = []
    for page in s3_client(rgw).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


@pytest.fixture
def bucket(rgw):
    """A fresh bucket name; the bucket (if a test made it) is emptied
    afterwards. It stays: RGW can take half a minute to delete a bucket after
    a gateway restart, and the whole store is thrown away at the end."""
    name = f"berth-it-{secrets.token_hex(6)}"
    yield name
    s3 = s3_client(rgw)
    try:
        for key in keys(rgw, name):
            s3.delete_object(Bucket=name, Key=key)
        for up in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
    except s3.exceptions.ClientError:
        pass


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def start_server(servers, root: Path, creds, url: str, *extra: str, auth: str = "none",
                 env: dict[str, str] | None = None) -> ecrhelpers.EcrServer:
    server = ecrhelpers.EcrServer(root, conftest.BERTH_BINARY, creds, auth=auth,
                                  extra=["--blob-store", url, *extra], env=env)
    server.start()
    servers.append(server)
    return server


def berth(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("BERTH_") and not k.startswith("AWS_")}
    return subprocess.run([conftest.BERTH_BINARY, *args], capture_output=True, text=True,
                          timeout=timeout, env={**clean, **env})


# ---- push and pull ----------------------------------------------------------------


def test_skopeo_and_ecr_round_trip_on_s3(rgw, bucket, servers, ecr_creds, layouts, tmp_path):
    url = store_url(rgw, bucket, "team/registry")
    server = start_server(servers, tmp_path / "berth", ecr_creds, url, "--create-bucket",
                          auth="sigv4", env=s3_env(rgw))
    env = ecrhelpers.EcrEnv(server, ecr_creds, tmp_path)
    c = env.client()
    repo = "s3/app"
    env.create_repository(repo)
    skopeo = conftest.Skopeo(server, tmp_path)
    creds = f"AWS:{env.password()}"
    img = layouts["single"]
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v1"), "--dest-creds", creds,
                "--preserve-digests")

    # Every blob is an object under the prefix, named by its digest; no
    # upload is left behind.
    stored = set(keys(rgw, bucket, "team/registry/"))
    for b in img.blobs:
        hexd = b.digest.split(":", 1)[1]
        assert f"team/registry/blobs/sha256/{hexd[:2]}/{hexd}" in stored
    assert not [k for k in stored if k.startswith("team/registry/uploads/")], stored

    out = tmp_path / "pulled"
    skopeo.copy(skopeo.ref(repo, "v1"), f"dir:{out}", "--src-creds", creds)
    assert (out / "manifest.json").read_bytes() == img.manifest.data
    for b in img.blobs:
        assert (out / b.digest.split(":", 1)[1]).read_bytes() == b.data

    # The ECR API reads the same blobs.
    layer = img.layers[0]
    r = c.batch_check_layer_availability(repositoryName=repo, layerDigests=[layer.digest])
    assert r["layers"][0]["layerAvailability"] == "AVAILABLE"
    assert r["layers"][0]["layerSize"] == layer.size
    got = c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert got[0]["imageManifest"].encode() == img.manifest.data

    # fsck reads the S3 store too.
    check = berth("fsck", "--data-dir", str(server.data_dir), "--blob-store", url,
                  env=s3_env(rgw))
    assert check.returncode == 0, check.stdout + check.stderr


def test_small_chunks_across_restarts_and_processes(rgw, bucket, servers, ecr_creds, tmp_path):
    """A 9 MiB blob in 256 KiB PATCHes: the upload's state lives in S3, so the
    chunks may land on a restarted process and on a second one; the first
    multipart part (8 MiB) is sent half-way."""
    url = store_url(rgw, bucket)
    meta = f"sqlite://{tmp_path / 'shared-metadata.db'}"
    a = start_server(servers, tmp_path / "a", ecr_creds, url, "--create-bucket",
                     "--meta-store", meta, env=s3_env(rgw))
    b = start_server(servers, tmp_path / "b", ecr_creds, url, "--meta-store", meta,
                     env=s3_env(rgw))
    data = os.urandom(9 * MiB + 12345)
    digest = ocihelpers.sha256_digest(data)
    chunk = 256 * 1024
    http = requests.Session()
    oci_a = ocihelpers.OciClient(a.base_url, http)
    oci_b = ocihelpers.OciClient(b.base_url, http)
    loc = oci_a.begin("s3/chunks")
    path = ocihelpers.target_of(loc)
    for i, off in enumerate(range(0, len(data), chunk)):
        if i == 10:
            a.stop()
            a.start()
        client = oci_b if i % 3 == 2 else oci_a  # every third chunk goes to the other process
        r = client.patch(client.url(path), data[off:off + chunk], off)
        assert r.status_code == 202, (i, r.status_code, r.text)
        assert r.headers["Range"] == f"0-{off + len(data[off:off + chunk]) - 1}"
        path = ocihelpers.target_of(client.abs_location(r))
    r = oci_b.finish(oci_b.url(path), digest)
    assert r.status_code == 201, (r.status_code, r.text)
    for client in (oci_a, oci_b):
        got = client.get_blob("s3/chunks", digest)
        assert got.status_code == 200 and got.content == data
    assert not [k for k in keys(rgw, bucket) if k.startswith("uploads/")]
    assert s3_client(rgw).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_blob_redirect_hands_out_presigned_s3_urls(rgw, bucket, servers, ecr_creds, tmp_path):
    server = start_server(servers, tmp_path / "berth", ecr_creds, store_url(rgw, bucket),
                          "--create-bucket", "--blob-redirect", auth="sigv4", env=s3_env(rgw))
    env = ecrhelpers.EcrEnv(server, ecr_creds, tmp_path)
    c = env.client()
    repo = "s3/redirect"
    env.create_repository(repo)
    data = os.urandom(300_000)
    digest = ocihelpers.sha256_digest(data)
    upload = c.initiate_layer_upload(repositoryName=repo)["uploadId"]
    c.upload_layer_part(repositoryName=repo, uploadId=upload, partFirstByte=0,
                        partLastByte=len(data) - 1, layerPartBlob=data)
    c.complete_layer_upload(repositoryName=repo, uploadId=upload, layerDigests=[digest])

    endpoint = rgw["BERTH_TEST_S3_ENDPOINT"]
    url = c.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)["downloadUrl"]
    assert url.startswith(endpoint + "/" + bucket + "/blobs/sha256/"), url
    assert "X-Amz-Signature=" in url
    assert requests.get(url, timeout=30).content == data

    oci = ocihelpers.OciClient(server.base_url, requests.Session())
    r = oci.get_blob(repo, digest, headers=env.basic_auth())
    assert r.status_code == 307, (r.status_code, r.text)
    assert r.headers["Location"].startswith(endpoint + "/"), r.headers["Location"]
    fetched = requests.get(r.headers["Location"], timeout=30)
    assert fetched.status_code == 200 and fetched.content == data
    # A tampered signature is S3's to refuse.
    assert requests.get(r.headers["Location"].replace("X-Amz-Signature=", "X-Amz-Signature=0"),
                        timeout=30).status_code == 403


# ---- start-up --------------------------------------------------------------------


def test_start_up_refusals_are_one_clear_line(rgw, bucket, tmp_path):
    def serve(url: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
        data = tmp_path / secrets.token_hex(4)
        return berth("serve", "--listen", "127.0.0.1:0", "--data-dir", str(data),
                     "--blob-store", url, *extra, env=env, timeout=60)

    def one_line(p: subprocess.CompletedProcess) -> str:
        errors = [l for l in (p.stdout + p.stderr).splitlines() if "error" in l.lower()]
        assert len(errors) == 1, p.stdout + p.stderr
        return errors[0]

    env = s3_env(rgw)
    missing = serve(store_url(rgw, bucket), env)
    assert missing.returncode != 0
    assert "does not exist" in one_line(missing) and "--create-bucket" in one_line(missing)
    assert bucket not in [b["Name"] for b in s3_client(rgw).list_buckets()["Buckets"]]

    wrong = serve(store_url(rgw, bucket), {**env, "AWS_SECRET_ACCESS_KEY": "wrong" * 8},
                  "--create-bucket")
    assert wrong.returncode != 0
    assert "refused the credentials" in one_line(wrong)
    assert env["AWS_SECRET_ACCESS_KEY"] not in wrong.stdout + wrong.stderr

    closed = conftest.free_port()
    down = serve(store_url(rgw, bucket, endpoint=f"http://127.0.0.1:{closed}"), env)
    assert down.returncode != 0
    assert f"127.0.0.1:{closed}" in one_line(down) and "did not answer" in one_line(down)

    bad = serve(f"s3://Not_A_Bucket?endpoint={rgw['BERTH_TEST_S3_ENDPOINT']}", env)
    assert bad.returncode == 2
    assert "bucket name" in one_line(bad)

    nokeys = serve(store_url(rgw, bucket), {})
    assert nokeys.returncode != 0
    assert "AWS_ACCESS_KEY_ID" in one_line(nokeys)

    # The key file works without the environment, and --create-bucket makes the bucket.
    key_file = tmp_path / "s3-key"
    key_file.write_text(f"# test user\n{env['AWS_ACCESS_KEY_ID']} {env['AWS_SECRET_ACCESS_KEY']}\n")
    gc = berth("gc", "--data-dir", str(tmp_path / "gc"), "--blob-store", store_url(rgw, bucket),
               "--blob-store-credentials", str(key_file), env={})
    assert gc.returncode != 0 and "does not exist" in gc.stdout + gc.stderr
    server = ecrhelpers.EcrServer(tmp_path / "keyfile", conftest.BERTH_BINARY, [], auth="none",
                                  extra=["--blob-store", store_url(rgw, bucket), "--create-bucket",
                                         "--blob-store-credentials", str(key_file)],
                                  env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    server.credentials_file.write_text("")
    try:
        server.start()
    finally:
        server.stop()
    assert bucket in [b["Name"] for b in s3_client(rgw).list_buckets()["Buckets"]]


# ---- faults ----------------------------------------------------------------------


def test_gateway_down_mid_push_loses_nothing_acknowledged(rgw, bucket, servers, ecr_creds,
                                                          tmp_path):
    if "BERTH_TEST_RGW_STATE" not in rgw:
        pytest.skip("the gateway was not started by this session (no BERTH_TEST_RGW_STATE)")
    gateway_env = dict(os.environ, BERTH_TEST_RGW_STATE=rgw["BERTH_TEST_RGW_STATE"])
    server = start_server(servers, tmp_path / "berth", ecr_creds, store_url(rgw, bucket),
                          "--create-bucket", env=s3_env(rgw))
    oci = ocihelpers.OciClient(server.base_url, requests.Session())
    repo = "s3/faults"
    first = os.urandom(200_000)
    first_digest = oci.push_blob(repo, first)
    second = os.urandom(3 * MiB)
    loc = oci.begin(repo)
    r = oci.patch(loc, second[:MiB], 0)
    assert r.status_code == 202, r.text
    loc = oci.abs_location(r)

    subprocess.run([str(SCRIPT), "stop-gateway"], check=True, env=gateway_env, timeout=60)
    try:
        r = oci.patch(loc, second[MiB:2 * MiB], MiB)
        ocihelpers.assert_oci_error(r, 503, "UNAVAILABLE")
        r = oci.get_blob(repo, first_digest)
        ocihelpers.assert_oci_error(r, 503, "UNAVAILABLE")
        assert server.alive()
    finally:
        subprocess.run([str(SCRIPT), "start-gateway"], check=True, env=gateway_env, timeout=120)

    # What was acknowledged is there: the first blob, and the upload's first MiB.
    r = oci.get_blob(repo, first_digest)
    assert r.status_code == 200 and r.content == first
    status = oci.request("GET", loc)
    assert status.status_code == 204 and status.headers["Range"] == f"0-{MiB - 1}"
    r = oci.patch(loc, second[MiB:], MiB)
    assert r.status_code == 202, r.text
    r = oci.finish(oci.abs_location(r), ocihelpers.sha256_digest(second))
    assert r.status_code == 201, r.text
    assert oci.get_blob(repo, ocihelpers.sha256_digest(second)).content == second


# ---- a big pull ------------------------------------------------------------------


@pytest.mark.slow
def test_one_gib_pull_from_s3_with_bounded_memory(rgw, bucket, servers, ecr_creds, tmp_path):
    url = store_url(rgw, bucket)
    server = start_server(servers, tmp_path / "berth", ecr_creds, url, "--create-bucket",
                          env=s3_env(rgw))
    bulk = ocihelpers.BulkData(1 << 30, seed=7)
    oci = ocihelpers.OciClient(server.base_url, requests.Session())
    loc = oci.begin("s3/big")
    target = ocihelpers.target_of(oci.with_query(loc, digest=bulk.digest))
    host, port = server.hostport.split(":")
    r = ocihelpers.stream_put(host, int(port), "PUT", target, bulk.range(0, bulk.size), bulk.size)
    assert r.status == 201, (r.status, r.body[:300])
    # A fresh process, so its peak RSS is the pull's alone.
    server.stop()
    server.start()
    status, headers, length, digest = ocihelpers.stream_get_digest(
        host, int(server.port), f"/v2/s3/big/blobs/{bulk.digest}")
    assert (status, length, digest) == (200, bulk.size, bulk.digest)
    with open(f"/proc/{server.process.pid}/status") as f:
        hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    print(f"peak RSS {hwm} KiB while serving a 1 GiB blob from S3")
    assert hwm < 64 * 1024, f"peak RSS {hwm} KiB while serving a 1 GiB blob from S3"
