"""The seed's query form, a berth extension for curl users (real ECR speaks only AWS JSON
1.1, ecr-semantics.md 1.4):  GET /?Action=BatchGetImage&repositoryName=...&imageIds...
signed by an Authorization header or presigned (SigV4 in the query). The answer is the
same JSON as the POST form's."""

from __future__ import annotations

import json
import subprocess

import pytest

from ecrhelpers import assert_raw_error, query_url

pytestmark = pytest.mark.berth_only


def post(ecr, op, payload):
    r = ecr.raw(op, payload)
    assert r.status_code == 200, r.text
    return r.json()


def get(ecr, params, presign=False):
    r = ecr.query(params, presign=presign)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/x-amz-json-1.1")
    return r.json()


def test_batch_get_image_query_forms(ecr, ecr_repo):
    a = ecr.push_image(ecr_repo, "v1", seed=801)
    b = ecr.push_image(ecr_repo, "v2", seed=802)
    expected = post(ecr, "BatchGetImage", {"repositoryName": ecr_repo,
                                           "imageIds": [{"imageTag": "v1"}, {"imageDigest": b.manifest.digest},
                                                        {"imageTag": "nope"}]})
    assert expected["images"][0]["imageManifest"].encode() == a.manifest.data
    assert len(expected["failures"]) == 1

    member_style = [("Action", "BatchGetImage"), ("repositoryName", ecr_repo),
                    ("imageIds.member.1.imageTag", "v1"),
                    ("imageIds.member.2.imageDigest", b.manifest.digest),
                    ("imageIds.member.3.imageTag", "nope")]
    json_style = [("Action", "BatchGetImage"), ("repositoryName", ecr_repo),
                  ("imageIds", json.dumps([{"imageTag": "v1"}, {"imageDigest": b.manifest.digest},
                                           {"imageTag": "nope"}]))]
    assert get(ecr, member_style) == expected
    assert get(ecr, member_style, presign="unsigned") == expected
    assert get(ecr, member_style, presign=True) == expected
    assert get(ecr, json_style) == expected
    assert get(ecr, json_style, presign=True) == expected

    # acceptedMediaTypes through the query as well
    out = get(ecr, [("Action", "BatchGetImage"), ("repositoryName", ecr_repo),
                    ("imageIds.member.1.imageTag", "v1"),
                    ("acceptedMediaTypes.member.1", "application/vnd.docker.distribution.manifest.v2+json")])
    assert out["images"][0]["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"


def test_batch_check_layer_availability_query_form(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, "v1", seed=803)
    payload = {"repositoryName": ecr_repo, "layerDigests": [b.digest for b in img.blobs]}
    expected = post(ecr, "BatchCheckLayerAvailability", payload)
    assert {l["layerDigest"] for l in expected["layers"]} == {b.digest for b in img.blobs}
    params = [("Action", "BatchCheckLayerAvailability"), ("repositoryName", ecr_repo)] + [
        (f"layerDigests.member.{i + 1}", b.digest) for i, b in enumerate(img.blobs)]
    assert get(ecr, params) == expected
    assert get(ecr, params, presign=True) == expected


def test_batch_delete_image_query_form(ecr, ecr_repo):
    a = ecr.push_image(ecr_repo, "v1", seed=804)
    b = ecr.push_image(ecr_repo, "v2", seed=805)
    out = get(ecr, [("Action", "BatchDeleteImage"), ("repositoryName", ecr_repo),
                    ("imageIds.member.1.imageTag", "v1")])
    assert out == {"imageIds": [{"imageDigest": a.manifest.digest, "imageTag": "v1"}], "failures": []}
    out = get(ecr, [("Action", "BatchDeleteImage"), ("repositoryName", ecr_repo),
                    ("imageIds", json.dumps([{"imageDigest": b.manifest.digest}]))], presign=True)
    assert out["imageIds"][0]["imageDigest"] == b.manifest.digest and out["failures"] == []
    assert ecr.client().list_images(repositoryName=ecr_repo)["imageIds"] == []


def test_query_form_errors(ecr, ecr_repo):
    # unsigned
    import requests
    r = requests.get(f"{ecr.endpoint}/?Action=BatchGetImage&repositoryName={ecr_repo}"
                     "&imageIds.member.1.imageTag=v1", timeout=30)
    assert_raw_error(r, 403, "MissingAuthenticationTokenException")
    # the same error answers as the POST form
    r = ecr.query([("Action", "BatchGetImage"), ("repositoryName", ecr_repo + "-nope"),
                   ("imageIds.member.1.imageTag", "v1")])
    assert_raw_error(r, 400, "RepositoryNotFoundException")
    r = ecr.query([("Action", "BatchGetImage"), ("repositoryName", ecr_repo)])  # imageIds missing
    assert_raw_error(r, 400, "InvalidParameterException")
    r = ecr.query([("Action", "BatchGetImage"), ("repositoryName", ecr_repo), ("imageIds", "[not json")])
    assert_raw_error(r, 400, {"SerializationException", "InvalidParameterException"})
    r = ecr.query([("Action", "FlyToTheMoon")])
    assert_raw_error(r, (400, 404), "UnknownOperationException")


def test_presigned_query_cannot_be_altered(ecr, ecr_repo):
    ecr.push_image(ecr_repo, "v1", seed=806)
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = query_url(ecr.endpoint, [("Action", "BatchDeleteImage"), ("repositoryName", ecr_repo),
                                   ("imageIds.member.1.imageTag", "v1")])
    req = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(ecr.default.access_key, ecr.default.secret_key), "ecr", "us-east-1",
                   expires=300).add_auth(req)
    import requests
    altered = req.url.replace("imageTag=v1", "imageTag=v2")
    assert altered != req.url
    assert_raw_error(requests.get(altered, timeout=30), 403, "InvalidSignatureException")
    assert ecr.client().list_images(repositoryName=ecr_repo)["imageIds"]  # nothing deleted


def test_query_form_with_curl(ecr, ecr_repo):
    """The issue's promise, literally: a presigned URL works with curl."""
    img = ecr.push_image(ecr_repo, "v1", seed=807)
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = query_url(ecr.endpoint, [("Action", "BatchGetImage"), ("repositoryName", ecr_repo),
                                   ("imageIds.member.1.imageTag", "v1")])
    req = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(ecr.default.access_key, ecr.default.secret_key), "ecr", "us-east-1",
                   expires=300).add_auth(req)
    p = subprocess.run(["curl", "-sS", "--fail-with-body", req.url], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr + p.stdout
    out = json.loads(p.stdout)
    assert out["images"][0]["imageManifest"].encode() == img.manifest.data
