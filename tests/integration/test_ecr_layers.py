"""The layer upload API (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload) and
GetDownloadUrlForLayer. moto implements none of them (ecr-semantics.md 6.1), so the
whole module is berth_only."""

from __future__ import annotations

import hashlib
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

import make_test_images as mti
from ecrhelpers import ACCOUNT, mint_download_token, raises_ecr, sha256_digest

pytestmark = pytest.mark.berth_only

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MIB = 1 << 20


def rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def fetch(url: str) -> tuple[int, bytes]:
    """GET with urllib, no credentials: what `curl $(aws ecr get-download-url-for-layer ...)` does."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_multipart_upload_then_download(ecr, ecr_repo):
    c = ecr.client()
    data = rand(5 * MIB + 12345, 401)  # a 5 MiB part (ECR's minimum) and a short last part
    digest = sha256_digest(data)

    init = c.initiate_layer_upload(repositoryName=ecr_repo)
    assert UUID_RE.match(init["uploadId"]), init
    assert isinstance(init["partSize"], int) and init["partSize"] >= 5 * MIB
    uid = init["uploadId"]

    r = c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=0,
                            partLastByte=5 * MIB - 1, layerPartBlob=data[:5 * MIB])
    assert r == {**r, "registryId": ACCOUNT, "repositoryName": ecr_repo, "uploadId": uid,
                 "lastByteReceived": 5 * MIB - 1}
    r = c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=5 * MIB,
                            partLastByte=len(data) - 1, layerPartBlob=data[5 * MIB:])
    assert r["lastByteReceived"] == len(data) - 1

    # not available before completion
    chk = c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[digest])
    assert chk["layers"] == [] or chk["layers"][0]["layerAvailability"] != "AVAILABLE"

    done = c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[digest])
    assert done["layerDigest"] == digest and done["uploadId"] == uid
    assert done["registryId"] == ACCOUNT and done["repositoryName"] == ecr_repo
    chk = c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[digest])
    assert chk["layers"][0]["layerAvailability"] == "AVAILABLE"
    assert chk["layers"][0]["layerSize"] == len(data)

    # reference it from an image, then download it through the URL
    cfg = mti.canonical_json({"architecture": "amd64", "os": "linux",
                              "rootfs": {"type": "layers", "diff_ids": [digest]}})
    cfg_digest = ecr.upload_blob(ecr_repo, cfg)
    manifest = mti.canonical_json({
        "schemaVersion": 2, "mediaType": mti.MT_OCI_MANIFEST,
        "config": {"mediaType": mti.MT_OCI_CONFIG, "digest": cfg_digest, "size": len(cfg)},
        "layers": [{"mediaType": mti.MT_OCI_LAYER_GZIP, "digest": digest, "size": len(data)}]})
    ecr.put_manifest(ecr_repo, manifest, tag="v1")

    url = c.get_download_url_for_layer(repositoryName=ecr_repo, layerDigest=digest)
    assert url["layerDigest"] == digest
    u = urllib.parse.urlsplit(url["downloadUrl"])
    assert f"{u.scheme}://{u.netloc}" == ecr.endpoint  # the public URL
    status, body = fetch(url["downloadUrl"])
    assert status == 200
    assert len(body) == len(data) and hashlib.sha256(body).hexdigest() == digest.split(":")[1]


def test_upload_part_out_of_order(ecr, ecr_repo):
    c = ecr.client()
    uid = c.initiate_layer_upload(repositoryName=ecr_repo)["uploadId"]
    data = rand(300, 402)

    # the first part must start at byte 0
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=10, partLastByte=109,
                            layerPartBlob=data[10:110])
    assert err["response"]["lastValidByteReceived"] == -1

    c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=0, partLastByte=99,
                        layerPartBlob=data[:100])
    # a gap
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=200, partLastByte=299,
                            layerPartBlob=data[200:])
    resp = err["response"]
    assert resp["lastValidByteReceived"] == 99
    assert resp["uploadId"] == uid and resp["repositoryName"] == ecr_repo and resp["registryId"] == ACCOUNT
    # an overlap (a resent part)
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=50, partLastByte=149,
                            layerPartBlob=data[50:150])
    assert err["response"]["lastValidByteReceived"] == 99
    # a range that does not match the part's length (ranges are inclusive)
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=100, partLastByte=200,
                            layerPartBlob=data[100:200])
    assert err["response"]["lastValidByteReceived"] == 99

    # the upload survived the rejected parts
    r = c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=100, partLastByte=299,
                            layerPartBlob=data[100:])
    assert r["lastByteReceived"] == 299
    done = c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[sha256_digest(data)])
    assert done["layerDigest"] == sha256_digest(data)


def test_complete_layer_upload_errors(ecr, ecr_repo):
    c = ecr.client()
    data = rand(1000, 403)
    digest = sha256_digest(data)

    # digest mismatch
    uid = c.initiate_layer_upload(repositoryName=ecr_repo)["uploadId"]
    c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=0, partLastByte=999,
                        layerPartBlob=data)
    wrong = "sha256:" + "c" * 64
    with raises_ecr("InvalidLayerException"):
        c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[wrong])
    chk = c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[wrong, digest])
    assert chk["layers"] == []

    # empty upload
    uid = c.initiate_layer_upload(repositoryName=ecr_repo)["uploadId"]
    with raises_ecr("EmptyUploadException"):
        c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[digest])

    # unknown / foreign / finished uploads
    with raises_ecr("UploadNotFoundException"):
        c.complete_layer_upload(repositoryName=ecr_repo, uploadId=str(uuid.uuid4()), layerDigests=[digest])
    with raises_ecr("UploadNotFoundException"):
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=str(uuid.uuid4()), partFirstByte=0,
                            partLastByte=0, layerPartBlob=b"x")
    other = ecr_repo + "-other"
    ecr.create_repository(other)
    uid = c.initiate_layer_upload(repositoryName=ecr_repo)["uploadId"]
    with raises_ecr("UploadNotFoundException"):
        c.upload_layer_part(repositoryName=other, uploadId=uid, partFirstByte=0, partLastByte=999,
                            layerPartBlob=data)
    c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=0, partLastByte=999,
                        layerPartBlob=data)
    assert c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid,
                                   layerDigests=[digest])["layerDigest"] == digest
    with raises_ecr("UploadNotFoundException"):
        c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[digest])
    with raises_ecr("UploadNotFoundException"):
        c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=1000, partLastByte=1000,
                            layerPartBlob=b"x")

    # the same layer again
    uid = c.initiate_layer_upload(repositoryName=ecr_repo)["uploadId"]
    c.upload_layer_part(repositoryName=ecr_repo, uploadId=uid, partFirstByte=0, partLastByte=999,
                        layerPartBlob=data)
    with raises_ecr("LayerAlreadyExistsException") as err:
        c.complete_layer_upload(repositoryName=ecr_repo, uploadId=uid, layerDigests=[digest])
    assert digest in err["error"]["Message"]

    # unknown repository
    for call in (lambda: c.initiate_layer_upload(repositoryName=ecr_repo + "-nope"),
                 lambda: c.complete_layer_upload(repositoryName=ecr_repo + "-nope", uploadId=uid,
                                                 layerDigests=[digest])):
        with raises_ecr("RepositoryNotFoundException"):
            call()


def test_upload_layer_part_invalid_upload_id(ecr, ecr_repo):
    with raises_ecr("InvalidParameterException"):
        ecr.client().upload_layer_part(repositoryName=ecr_repo, uploadId="not-a-uuid", partFirstByte=0,
                                       partLastByte=0, layerPartBlob=b"x")


def test_get_download_url_errors_and_tampering(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=404, layer_sizes=(5000,))
    layer = img.layers[0]
    with raises_ecr("LayersNotFoundException"):
        c.get_download_url_for_layer(repositoryName=ecr_repo, layerDigest="sha256:" + "d" * 64)
    with raises_ecr("RepositoryNotFoundException"):
        c.get_download_url_for_layer(repositoryName=ecr_repo + "-nope", layerDigest=layer.digest)
    with raises_ecr("InvalidParameterException"):
        c.get_download_url_for_layer(repositoryName=ecr_repo, layerDigest="nodigest")

    url = c.get_download_url_for_layer(repositoryName=ecr_repo, layerDigest=layer.digest)["downloadUrl"]
    status, body = fetch(url)
    assert status == 200 and body == layer.data

    u = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(u.query)
    assert q, url
    name, token = q[-1]  # the URL's credential (whatever it is called) comes last

    def with_token(t: str, path: str = u.path) -> str:
        return urllib.parse.urlunsplit((u.scheme, u.netloc, path, urllib.parse.urlencode([(name, t)]), ""))

    # flip one character of the signature part
    last = token[-2]
    tampered = token[:-2] + ("A" if last != "A" else "B") + token[-1]
    assert fetch(with_token(tampered))[0] in (401, 403)
    # the token does not open another blob of the same repository
    other_path = u.path.replace(layer.digest, img.config.digest)
    assert other_path != u.path
    assert fetch(with_token(token, other_path))[0] in (401, 403)
    # no token at all
    assert fetch(urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, "", "")))[0] == 401


def test_expired_download_url_fails(ecr, ecr_repo):
    """berth's download token format is documented (src/api/oci/registry_auth.hpp); the test
    server's secret is known, so an expired URL can be minted instead of waited for."""
    img = ecr.push_image(ecr_repo, "v1", seed=405, layer_sizes=(3000,))
    layer = img.layers[0]
    url = ecr.client().get_download_url_for_layer(repositoryName=ecr_repo,
                                                  layerDigest=layer.digest)["downloadUrl"]
    u = urllib.parse.urlsplit(url)
    secret = ecr.server.token_secret
    now_ms = int(time.time() * 1000)

    def url_for(expires_ms: int) -> str:
        token = mint_download_token(secret, ecr_repo, layer.digest, expires_ms)
        return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path,
                                        urllib.parse.urlencode([("X-Berth-Download", token)]), ""))

    status, body = fetch(url_for(now_ms + 60_000))  # the minting is right: a fresh token works
    assert status == 200 and body == layer.data
    assert fetch(url_for(now_ms - 1000))[0] in (401, 403)


# -- the aws CLI -------------------------------------------------------------------


def test_cli_layer_upload(ecr, ecr_repo, tmp_path):
    data = rand(4000, 406)
    digest = sha256_digest(data)
    init = ecr.cli("initiate-layer-upload", "--repository-name", ecr_repo).json
    uid = init["uploadId"]
    assert UUID_RE.match(uid)
    part = tmp_path / "part.bin"
    part.write_bytes(data)
    r = ecr.cli("upload-layer-part", "--repository-name", ecr_repo, "--upload-id", uid,
                "--part-first-byte", "0", "--part-last-byte", str(len(data) - 1),
                "--layer-part-blob", f"fileb://{part}").json
    assert r["lastByteReceived"] == len(data) - 1
    ecr.cli_error("upload-layer-part", "--repository-name", ecr_repo, "--upload-id", uid,
                  "--part-first-byte", "0", "--part-last-byte", str(len(data) - 1),
                  "--layer-part-blob", f"fileb://{part}", code="InvalidLayerPartException")
    r = ecr.cli("complete-layer-upload", "--repository-name", ecr_repo, "--upload-id", uid,
                "--layer-digests", digest).json
    assert r["layerDigest"] == digest

    img = ecr.push_image(ecr_repo, "v1", seed=407)
    ecr.cli_many(
        (["complete-layer-upload", "--repository-name", ecr_repo, "--upload-id", uid, "--layer-digests", digest],
         "UploadNotFoundException"),
        (["initiate-layer-upload", "--repository-name", ecr_repo + "-nope"], "RepositoryNotFoundException"))
    r, _ = ecr.cli_many(
        (["get-download-url-for-layer", "--repository-name", ecr_repo, "--layer-digest", img.layers[0].digest],
         None),
        (["get-download-url-for-layer", "--repository-name", ecr_repo, "--layer-digest", "sha256:" + "9" * 64],
         "LayersNotFoundException"))
    assert fetch(r.json["downloadUrl"]) == (200, img.layers[0].data)
