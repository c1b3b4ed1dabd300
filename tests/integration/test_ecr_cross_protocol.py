"""One store, two protocols: images pushed with skopeo over /v2/ (authentication on) seen
through the ECR API, and images built through the ECR API pulled with skopeo.
berth_only: moto has no /v2/ and no blobs."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
import requests

import make_test_images as mti
from ecrhelpers import (AWS_CLI, MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST, REGION,
                        raises_ecr, sha256_digest)

pytestmark = pytest.mark.berth_only


def hexpart(digest: str) -> str:
    return digest.split(":", 1)[1]


def assert_dir_copy(out: Path, manifest: bytes, blobs: dict[str, bytes]):
    """`out` (a skopeo dir: copy) holds exactly `manifest` and `blobs`, byte for byte."""
    assert (out / "manifest.json").read_bytes() == manifest
    for digest, data in blobs.items():
        assert (out / hexpart(digest)).read_bytes() == data, digest
    assert {p.name for p in out.iterdir()} == {"manifest.json", "version"} | {hexpart(d) for d in blobs}


def creds(ecr) -> str:
    return f"AWS:{ecr.password()}"


def test_skopeo_push_seen_by_the_ecr_api(ecr, ecr_repo, ecr_skopeo, layouts):
    img = layouts["single"]
    c = ecr.client()
    ecr_skopeo.copy(f"oci:{layouts['single_dir']}:img", ecr_skopeo.ref(ecr_repo, "v1"),
                    "--dest-creds", creds(ecr), "--preserve-digests")

    # BatchGetImage: byte-exact, right digest and media type
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    assert r["failures"] == []
    (i,) = r["images"]
    assert i["imageManifest"].encode() == img.manifest.data
    assert i["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "v1"}
    assert i["imageManifestMediaType"] == MT_OCI_MANIFEST

    # DescribeImages / ListImages
    d = c.describe_images(repositoryName=ecr_repo)["imageDetails"]
    assert [x["imageDigest"] for x in d] == [img.manifest.digest] and d[0]["imageTags"] == ["v1"]
    assert d[0]["imageSizeInBytes"] >= sum(b.size for b in img.layers)
    assert c.list_images(repositoryName=ecr_repo)["imageIds"] == [
        {"imageDigest": img.manifest.digest, "imageTag": "v1"}]

    # BatchCheckLayerAvailability: every blob, with its size
    r = c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[b.digest for b in img.blobs])
    assert r["failures"] == []
    assert {(l["layerDigest"], l["layerAvailability"], l["layerSize"]) for l in r["layers"]} == {
        (b.digest, "AVAILABLE", b.size) for b in img.blobs}

    # BatchDeleteImage: skopeo can no longer pull it, by tag or digest
    ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, "v1"), "--creds", creds(ecr))
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    assert r["imageIds"] == [{"imageDigest": img.manifest.digest, "imageTag": "v1"}]
    for ref in ("v1", img.manifest.digest):
        p = ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, ref), "--creds", creds(ecr), check=False)
        assert p.returncode != 0
        assert "manifest unknown" in p.stderr.lower() or "not found" in p.stderr.lower(), p.stderr


def test_skopeo_multiarch_push_and_index_rules(ecr, ecr_repo, ecr_skopeo, layouts):
    ma = layouts["multi"]
    c = ecr.client()
    ecr_skopeo.copy(f"oci:{layouts['multi_dir']}:multi", ecr_skopeo.ref(ecr_repo, "multi"),
                    "--all", "--preserve-digests", "--dest-creds", creds(ecr))
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "multi"}],
                          acceptedMediaTypes=[MT_OCI_INDEX])
    (i,) = r["images"]
    assert i["imageManifest"].encode() == ma.index.data
    assert i["imageId"]["imageDigest"] == ma.index.digest and i["imageManifestMediaType"] == MT_OCI_INDEX
    ids = {(x["imageDigest"], x.get("imageTag")) for x in c.list_images(repositoryName=ecr_repo)["imageIds"]}
    assert ids == {(ma.index.digest, "multi")} | {(m.manifest.digest, None) for m in ma.images}

    child = ma.images[0].manifest.digest
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": child}])
    assert [f["failureCode"] for f in r["failures"]] == ["ImageReferencedByManifestList"]
    ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, child), "--creds", creds(ecr))

    c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": ma.index.digest}])
    p = ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, "multi"), "--raw", "--creds", creds(ecr), check=False)
    assert p.returncode != 0
    # the children were left behind, untagged, and still pull
    raw = ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, child), "--raw", "--creds", creds(ecr)).stdout
    assert raw.encode() == ma.images[0].manifest.data


def test_skopeo_docker_v2s2_push_and_translation(ecr, ecr_repo, ecr_skopeo, layouts):
    img = layouts["single"]
    c = ecr.client()
    ecr_skopeo.copy(f"oci:{layouts['single_dir']}:img", ecr_skopeo.ref(ecr_repo, "v2s2"),
                    "--format", "v2s2", "--dest-creds", creds(ecr))
    pushed = ecr_skopeo.inspect(ecr_skopeo.ref(ecr_repo, "v2s2"), "--raw", "--creds", creds(ecr)).stdout.encode()
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v2s2"}])["images"][0]
    assert r["imageManifest"].encode() == pushed
    assert r["imageManifestMediaType"] == MT_DOCKER_MANIFEST
    assert r["imageId"]["imageDigest"] == sha256_digest(pushed)
    oci = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v2s2"}],
                            acceptedMediaTypes=[MT_OCI_MANIFEST])["images"][0]
    assert oci["imageManifestMediaType"] == MT_OCI_MANIFEST
    m = json.loads(oci["imageManifest"])
    assert [l["digest"] for l in m["layers"]] == [b.digest for b in img.layers]


def test_ecr_layer_api_image_pulls_with_skopeo(ecr, ecr_repo, ecr_skopeo, tmp_path):
    img = mti.build_image(701, (2048, 300_000))
    big = random.Random(702).randbytes(6 * (1 << 20))  # uploaded in two parts: 5 MiB + 1 MiB
    big_digest = ecr.upload_blob(ecr_repo, big, part_size=5 * (1 << 20))
    for b in img.blobs:
        ecr.upload_blob(ecr_repo, b.data)
    manifest = json.loads(img.manifest.data)
    manifest["layers"].append({"mediaType": mti.MT_OCI_LAYER_GZIP, "digest": big_digest, "size": len(big)})
    data = json.dumps(manifest, indent=2).encode()  # not canonical on purpose
    out = ecr.put_manifest(ecr_repo, data, tag="built")
    assert out["imageId"]["imageDigest"] == sha256_digest(data)

    blobs = {b.digest: b.data for b in img.blobs} | {big_digest: big}
    for ref in ("built", sha256_digest(data)):
        dest = tmp_path / f"pull-{ref.replace(':', '-')}"
        ecr_skopeo.copy(ecr_skopeo.ref(ecr_repo, ref), f"dir:{dest}", "--src-creds", creds(ecr))
        assert_dir_copy(dest, data, blobs)


def _login(ecr, ecr_skopeo) -> subprocess.CompletedProcess:
    """`aws ecr get-login-password | skopeo login --password-stdin`, as a real shell pipe."""
    env = {**ecr_skopeo.env, **ecr.cli_env()}
    cmd = (f"{AWS_CLI} ecr get-login-password --endpoint-url {ecr.endpoint} --region {REGION} "
           f"| {ecr_skopeo_bin()} login --tls-verify=false -u AWS --password-stdin {ecr.server.hostport}")
    return subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ecr_skopeo.tmp)


def ecr_skopeo_bin() -> str:
    return os.environ.get("SKOPEO", "/usr/bin/skopeo")


def test_get_login_password_then_skopeo_push_and_pull(ecr, ecr_repo, ecr_skopeo, layouts, tmp_path):
    img = layouts["single"]
    src = f"oci:{layouts['single_dir']}:img"
    # without credentials: refused
    p = ecr_skopeo.copy(src, ecr_skopeo.ref(ecr_repo, "v1"), check=False)
    assert p.returncode != 0
    assert "401" in p.stderr or "unauthorized" in p.stderr.lower() or "authentication" in p.stderr.lower(), p.stderr
    assert ecr.client().list_images(repositoryName=ecr_repo)["imageIds"] == []

    login = _login(ecr, ecr_skopeo)
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    auth = json.loads(Path(ecr_skopeo.env["REGISTRY_AUTH_FILE"]).read_text())
    assert ecr.server.hostport in auth["auths"]

    ecr_skopeo.copy(src, ecr_skopeo.ref(ecr_repo, "v1"), "--preserve-digests")
    got = ecr.client().batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert got["imageManifest"].encode() == img.manifest.data
    dest = tmp_path / "pulled"
    ecr_skopeo.copy(ecr_skopeo.ref(ecr_repo, "v1"), f"dir:{dest}")
    assert_dir_copy(dest, img.manifest.data, {b.digest: b.data for b in img.blobs})

    # a wrong password is refused by skopeo login
    env = {**ecr_skopeo.env}
    p = subprocess.run([ecr_skopeo_bin(), "login", "--tls-verify=false", "-u", "AWS", "--password-stdin",
                        ecr.server.hostport], input="wrong", env=env, capture_output=True, text=True,
                       timeout=60, cwd=ecr_skopeo.tmp)
    assert p.returncode != 0


def test_v2_push_respects_tag_immutability(ecr, repo, ecr_skopeo, layouts, tmp_path):
    ecr.create_repository(repo, imageTagMutability="IMMUTABLE")
    a = layouts["single"]
    ecr_skopeo.copy(f"oci:{layouts['single_dir']}:img", ecr_skopeo.ref(repo, "v1"),
                    "--dest-creds", creds(ecr), "--preserve-digests")
    b_dir = tmp_path / "b"
    b = mti.make_image(str(b_dir), "b", seed=703, layer_sizes=(1000,))
    p = ecr_skopeo.copy(f"oci:{b_dir}:b", ecr_skopeo.ref(repo, "v1"), "--dest-creds", creds(ecr),
                        "--preserve-digests", check=False)
    assert p.returncode != 0
    got = ecr.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert got["imageId"]["imageDigest"] == a.manifest.digest

    # the raw OCI answer: TAG_INVALID
    r = requests.put(f"{ecr.endpoint}/v2/{repo}/manifests/v1", data=b.manifest.data,
                     headers={"Content-Type": MT_OCI_MANIFEST}, auth=("AWS", ecr.password()), timeout=30)
    # ECR's observed answer is the OCI code TAG_INVALID (ecr-semantics.md 3.2); the status is
    # a 4xx client error (neither an auth failure nor "not found")
    assert 400 <= r.status_code < 500 and r.status_code not in (401, 403, 404), r.text
    assert r.json()["errors"][0]["code"] == "TAG_INVALID", r.text
    assert "immutable" in r.json()["errors"][0]["message"]
    # pushing b by digest (no tag) is fine
    r = requests.put(f"{ecr.endpoint}/v2/{repo}/manifests/{b.manifest.digest}", data=b.manifest.data,
                     headers={"Content-Type": MT_OCI_MANIFEST}, auth=("AWS", ecr.password()), timeout=30)
    assert r.status_code == 201, r.text
    d = ecr.client().describe_images(repositoryName=repo, imageIds=[{"imageDigest": b.manifest.digest}])
    assert "imageTags" not in d["imageDetails"][0] or d["imageDetails"][0]["imageTags"] == []


def test_oci_push_into_ecr_created_repository_only(ecr, repo, ecr_skopeo, layouts):
    """Two accounts, two registries: a password selects the caller's registry on /v2/."""
    other = ecr.creds[1]
    ecr.client(other).create_repository(repositoryName=repo)
    pw = ecr.password(other)
    ecr_skopeo.copy(f"oci:{layouts['single_dir']}:img", ecr_skopeo.ref(repo, "v1"), "--dest-creds",
                    f"AWS:{pw}", "--preserve-digests")
    got = ecr.client(other).batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert got[0]["imageManifest"].encode() == layouts["single"].manifest.data
    # the default account does not see it
    with raises_ecr("RepositoryNotFoundException"):
        ecr.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])


def test_v2_host_selects_the_registry(ecr, repo):
    """Host `<account>.dkr.ecr.<region>.<anything>` addresses that account's registry on /v2/."""
    other = ecr.creds[1]
    ecr.client(other).create_repository(repositoryName=repo)
    img = mti.build_image(704, (900,))
    for b in img.blobs:
        ecr.upload_blob(repo, b.data, client=ecr.client(other))
    ecr.put_manifest(repo, img.manifest.data, tag="v1", client=ecr.client(other))
    url = f"{ecr.endpoint}/v2/{repo}/manifests/v1"
    accept = {"Accept": MT_OCI_MANIFEST}
    host = f"{other.account}.dkr.ecr.{REGION}.localhost:{ecr.server.port}"
    # the other account's host opens with that account's password only:
    # no repository policy grants this account access, so none is granted (test_policies.py)
    r = requests.get(url, headers={**accept, "Host": host}, auth=("AWS", ecr.password(other)), timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.content == img.manifest.data
    r = requests.get(url, headers={**accept, "Host": host}, auth=("AWS", ecr.password()), timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["errors"][0]["code"] == "DENIED"
    # the plain host with the default account's password: the default registry, which lacks it
    r = requests.get(url, headers=accept, auth=("AWS", ecr.password()), timeout=30)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NAME_UNKNOWN"
