"""Quotas (issue 12: --max-repositories-per-registry, --max-images-per-repository,
--max-layer-parts-per-upload, --storage-quota-bytes) with real clients: boto3 and the aws CLI on the ECR API, the /v2/
HTTP API with an ECR registry password. Past a quota the ECR API answers
LimitExceededException and /v2/ 403 DENIED, each with a message naming the quota; what
was refused leaves nothing behind, and what takes no new room (a re-push, a new tag, a
blob the registry holds already) still goes through. berth_only: berth server flags."""
from __future__ import annotations

import pytest
import requests

import make_test_images as mti
from ecrhelpers import raises_ecr
from ocihelpers import OciClient, assert_oci_error, sha256_digest

pytestmark = pytest.mark.berth_only

REPOS = 2
IMAGES = 2
STORAGE = 4096
PARTS = 3


@pytest.fixture(scope="module")
def counted(ecr_berth_factory):
    return ecr_berth_factory("quota-counts", extra=[
        "--max-repositories-per-registry", str(REPOS), "--max-images-per-repository", str(IMAGES)])


@pytest.fixture(scope="module")
def parted(ecr_berth_factory):
    return ecr_berth_factory("quota-parts", extra=["--max-layer-parts-per-upload", str(PARTS)])


@pytest.fixture(scope="module")
def sized(ecr_berth_factory):
    return ecr_berth_factory("quota-bytes", extra=["--storage-quota-bytes", str(STORAGE)])


def v2(env) -> OciClient:
    s = requests.Session()
    s.auth = ("AWS", env.password())
    return OciClient(env.endpoint, s)


def quota_message(name: str, value: int) -> str:
    return f"service quota '{name}' of {value}"


def denied_naming(resp: requests.Response, name: str, value: int) -> None:
    body = assert_oci_error(resp, 403, "DENIED")
    assert quota_message(name, value) in body["errors"][0]["message"], body


def test_repositories_per_registry(counted):
    c = counted.client()
    c.create_repository(repositoryName="first")
    counted.cli("create-repository", "--repository-name", "second")
    with raises_ecr("LimitExceededException", message=quota_message("repositories per registry", REPOS)):
        c.create_repository(repositoryName="third")
    res = counted.cli_error("create-repository", "--repository-name", "third",
                            code="LimitExceededException")
    assert "repositories per registry" in res.stderr, res.stderr
    # /v2/ creates repositories on push: refused the same way, before any byte
    oci = v2(counted)
    denied_naming(oci.start_upload("third"), "repositories per registry", REPOS)
    names = {r["repositoryName"] for r in c.describe_repositories()["repositories"]}
    assert names == {"first", "second"}, names
    # an existing name is still RepositoryAlreadyExists, and existing ones take pushes
    with raises_ecr("RepositoryAlreadyExistsException"):
        c.create_repository(repositoryName="first")
    oci.push_blob("first", b"still room in first")
    # a deletion frees a slot
    c.delete_repository(repositoryName="second", force=True)
    oci.push_blob("third", b"now third fits")
    assert {r["repositoryName"] for r in c.describe_repositories()["repositories"]} == {"first", "third"}


def test_images_per_repository(counted):
    repo = "first"
    one = counted.push_image(repo, "one", seed=11)
    counted.push_image(repo, "two", seed=12)
    third = mti.build_image(13, (256,), "linux/amd64", None)
    counted.upload_blobs(repo, third.blobs)
    with raises_ecr("LimitExceededException", message=quota_message("images per repository", IMAGES)):
        counted.put_manifest(repo, third.manifest.data, tag="three")
    oci = v2(counted)
    denied_naming(oci.put_manifest(repo, "three", third.manifest.data), "images per repository", IMAGES)
    assert oci.get_manifest(repo, third.manifest.digest).status_code == 404
    ids = counted.client().list_images(repositoryName=repo)["imageIds"]
    assert {i["imageDigest"] for i in ids} == {one.manifest.digest, counted_digest(counted, repo, "two")}
    # the same image again, under a new tag and by /v2/, takes no new slot
    counted.put_manifest(repo, one.manifest.data, tag="latest")
    assert oci.put_manifest(repo, "stable", one.manifest.data).status_code == 201
    # a deletion frees a slot
    counted.client().batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "two"}])
    assert oci.put_manifest(repo, "three", third.manifest.data).status_code == 201


def counted_digest(env, repo: str, tag: str) -> str:
    got = env.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": tag}])
    return got["images"][0]["imageId"]["imageDigest"]


def test_storage_bytes_per_registry(sized):
    c = sized.client()
    c.create_repository(repositoryName="store-a")
    big = b"a" * 3000
    sized.upload_blob("store-a", big)
    # ECR layer API: the part lands, the completion is refused, nothing is linked
    over = b"b" * 2000
    up = c.initiate_layer_upload(repositoryName="store-a")
    c.upload_layer_part(repositoryName="store-a", uploadId=up["uploadId"], partFirstByte=0,
                        partLastByte=len(over) - 1, layerPartBlob=over)
    with raises_ecr("LimitExceededException", message=quota_message("storage bytes per registry", STORAGE)):
        c.complete_layer_upload(repositoryName="store-a", uploadId=up["uploadId"],
                                layerDigests=[sha256_digest(over)])
    check = c.batch_check_layer_availability(repositoryName="store-a",
                                             layerDigests=[sha256_digest(over)])
    assert check["failures"] and not check["layers"], check
    # /v2/: a monolithic push past the quota is 403 DENIED naming it
    oci = v2(sized)
    r = oci.finish(oci.begin("store-a"), sha256_digest(over), over)
    denied_naming(r, "storage bytes per registry", STORAGE)
    assert oci.head_blob("store-a", sha256_digest(over)).status_code == 404
    # a blob the registry holds already takes no room, in another repository too
    assert oci.push_blob("store-b", big) == sha256_digest(big)
    r = oci.request("POST", oci.with_query(oci.url("/v2/store-c/blobs/uploads/"),
                                           mount=sha256_digest(big), **{"from": "store-a"}))
    assert r.status_code == 201, (r.status_code, r.text)
    # what fits still fits: 3000 + 1096 = the quota exactly
    oci.push_blob("store-a", b"c" * (STORAGE - len(big)))
    denied_naming(oci.finish(oci.begin("store-a"), sha256_digest(b"d"), b"d"),
                  "storage bytes per registry", STORAGE)
    # room comes back when the registry's last link to a blob goes
    for repo in ("store-a", "store-b", "store-c"):
        c.delete_repository(repositoryName=repo, force=True)
    c.create_repository(repositoryName="store-d")
    sized.upload_blob("store-d", over)
    assert oci.head_blob("store-d", sha256_digest(over)).status_code == 200


def test_layer_parts_per_upload(parted):
    c = parted.client()
    c.create_repository(repositoryName="parts")
    data = bytes(range(256)) * 4
    digest = sha256_digest(data)
    uid = c.initiate_layer_upload(repositoryName="parts")["uploadId"]
    for n in range(PARTS):
        part = data[n * 100:(n + 1) * 100]
        c.upload_layer_part(repositoryName="parts", uploadId=uid, partFirstByte=n * 100,
                            partLastByte=n * 100 + 99, layerPartBlob=part)
    with raises_ecr("LimitExceededException",
                    message=quota_message("layer parts per upload", PARTS)):
        c.upload_layer_part(repositoryName="parts", uploadId=uid, partFirstByte=PARTS * 100,
                            partLastByte=len(data) - 1, layerPartBlob=data[PARTS * 100:])
    # the parts before it stand: the upload completes with what it holds
    short = data[:PARTS * 100]
    done = c.complete_layer_upload(repositoryName="parts", uploadId=uid,
                                   layerDigests=[sha256_digest(short)])
    assert done["layerDigest"] == sha256_digest(short)
    # /v2/ chunks are parts too
    oci = v2(parted)
    loc = oci.begin("parts")
    for n in range(PARTS):
        r = oci.patch(loc, data[n * 100:(n + 1) * 100], n * 100)
        assert r.status_code == 202, (r.status_code, r.text)
        loc = oci.abs_location(r)
    denied_naming(oci.patch(loc, data[PARTS * 100:], PARTS * 100), "layer parts per upload", PARTS)
    # a whole blob in one request is one part, however many parts came before elsewhere
    assert oci.push_blob("parts", data) == digest
