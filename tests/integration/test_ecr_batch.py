"""The seed's three operations: BatchGetImage, BatchCheckLayerAvailability and
BatchDeleteImage (boto3 and the aws CLI)."""

from __future__ import annotations

import json

import pytest
import requests

import make_test_images as mti
from ecrhelpers import (ACCOUNT, MT_DOCKER_CONFIG, MT_DOCKER_LAYER, MT_DOCKER_MANIFEST, MT_OCI_CONFIG,
                        MT_OCI_INDEX, MT_OCI_LAYER_GZIP, MT_OCI_MANIFEST, docker_v2s2_manifest,
                        image_ids, raises_ecr, sha256_digest)

NOT_FOUND_REASON = "Requested image not found"
MISSING_REASON = "Invalid request parameters: both tag and digest cannot be null"


def failures_by_code(resp) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in resp["failures"]:
        assert f.get("failureReason"), f
        out.setdefault(f["failureCode"], []).append(f)
    return out


# -- BatchGetImage ---------------------------------------------------------------


def test_batch_get_image_by_tag_and_digest(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=301)
    ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1-alias")

    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    assert r["failures"] == []
    (i,) = r["images"]
    assert i["registryId"] == ACCOUNT and i["repositoryName"] == ecr_repo
    assert i["imageId"]["imageDigest"] == img.manifest.digest
    if ecr.is_berth:  # moto answers with the image's last tag, not the one asked for
        assert i["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "v1"}
    assert i["imageManifest"].encode() == img.manifest.data
    assert i["imageManifestMediaType"] == MT_OCI_MANIFEST

    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": img.manifest.digest}])
    (i,) = r["images"]
    assert i["imageId"]["imageDigest"] == img.manifest.digest
    assert i["imageManifest"].encode() == img.manifest.data

    # two tags of one digest: two entries, each with its tag
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}, {"imageTag": "v1-alias"}])
    assert len(r["images"]) == 2
    if ecr.is_berth:
        assert image_ids(i["imageId"] for i in r["images"]) == {(img.manifest.digest, "v1"),
                                                               (img.manifest.digest, "v1-alias")}

    # tag and digest that agree
    r = c.batch_get_image(repositoryName=ecr_repo,
                          imageIds=[{"imageTag": "v1", "imageDigest": img.manifest.digest}])
    assert r["failures"] == [] and r["images"][0]["imageManifest"].encode() == img.manifest.data


def test_batch_get_image_partial_success_and_not_found(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=302)
    missing = "sha256:" + "a" * 64
    r = c.batch_get_image(repositoryName=ecr_repo,
                          imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}, {"imageDigest": missing}])
    assert [i["imageId"]["imageDigest"] for i in r["images"]] == [img.manifest.digest]
    f = failures_by_code(r)
    assert set(f) == {"ImageNotFound"}
    assert len(f["ImageNotFound"]) == 2
    if ecr.is_berth:  # moto echoes absent members as the string "null"
        assert image_ids(x["imageId"] for x in f["ImageNotFound"]) == {(None, "nope"), (missing, None)}
    assert all(x["failureReason"] == NOT_FOUND_REASON for x in f["ImageNotFound"])


@pytest.mark.berth_only  # moto answers "imageTag": "null" strings and skips digest validation
def test_batch_get_image_failure_codes(ecr, ecr_repo):
    c = ecr.client()
    a = ecr.push_image(ecr_repo, "a", seed=303)
    b = ecr.push_image(ecr_repo, "b", seed=304)
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[
        {},                                                     # MissingDigestAndTag
        {"imageDigest": "not-a-digest"},                        # InvalidImageDigest
        {"imageDigest": "sha256:xyz"},                          # InvalidImageDigest
        {"imageTag": "bad tag!"},                               # InvalidImageTag
        {"imageTag": "zzz"},                                    # ImageNotFound
        {"imageTag": "a", "imageDigest": b.manifest.digest},    # ImageTagDoesNotMatchDigest
        {"imageTag": "b"},                                      # success
    ])
    assert [i["imageId"] for i in r["images"]] == [{"imageDigest": b.manifest.digest, "imageTag": "b"}]
    f = failures_by_code(r)
    assert {k: len(v) for k, v in f.items()} == {
        "MissingDigestAndTag": 1, "InvalidImageDigest": 2, "InvalidImageTag": 1, "ImageNotFound": 1,
        "ImageTagDoesNotMatchDigest": 1}
    assert f["MissingDigestAndTag"][0]["failureReason"] == MISSING_REASON
    assert f["MissingDigestAndTag"][0]["imageId"] == {}
    assert {x["imageId"]["imageDigest"] for x in f["InvalidImageDigest"]} == {"not-a-digest", "sha256:xyz"}
    assert f["InvalidImageTag"][0]["imageId"] == {"imageTag": "bad tag!"}
    assert f["ImageNotFound"][0] == {"imageId": {"imageTag": "zzz"}, "failureCode": "ImageNotFound",
                                     "failureReason": NOT_FOUND_REASON}
    assert f["ImageTagDoesNotMatchDigest"][0]["imageId"] == {"imageTag": "a", "imageDigest": b.manifest.digest}
    assert a.manifest.digest != b.manifest.digest


@pytest.mark.berth_only  # moto does not limit the list
def test_batch_get_image_limits(ecr, ecr_repo):
    c = ecr.client()
    ecr.push_image(ecr_repo, "v1", seed=305)
    ids = [{"imageTag": f"t{i}"} for i in range(100)]
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=ids)
    assert r["images"] == [] and len(r["failures"]) == 100
    with raises_ecr("InvalidParameterException") as err:
        c.batch_get_image(repositoryName=ecr_repo, imageIds=ids + [{"imageTag": "v1"}])
    assert "imageIds" in err["error"]["Message"]
    with raises_ecr("InvalidParameterException"):
        c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}],
                          acceptedMediaTypes=[MT_OCI_MANIFEST] * 101)


def test_batch_get_image_unknown_repository(ecr, repo):
    with raises_ecr("RepositoryNotFoundException") as err:
        ecr.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert f"'{repo}'" in err["error"]["Message"] and ACCOUNT in err["error"]["Message"]


def _layers_of(manifest: dict) -> list[tuple[str, int]]:
    return [(d["digest"], d["size"]) for d in [manifest["config"], *manifest["layers"]]]


@pytest.mark.berth_only  # moto ignores acceptedMediaTypes (ecr-semantics.md 6.1)
def test_accepted_media_types_translate_oci_to_docker_by_tag(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "oci", seed=306)
    stored = json.loads(img.manifest.data)

    # accepted as stored: bytes as they are
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "oci"}],
                          acceptedMediaTypes=[MT_OCI_MANIFEST, MT_DOCKER_MANIFEST])
    assert r["images"][0]["imageManifest"].encode() == img.manifest.data

    # only Docker schema 2 accepted, by tag: translated
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "oci"}],
                          acceptedMediaTypes=[MT_DOCKER_MANIFEST])
    assert r["failures"] == []
    (i,) = r["images"]
    assert i["imageManifestMediaType"] == MT_DOCKER_MANIFEST
    m = json.loads(i["imageManifest"])
    assert m["schemaVersion"] == 2 and m["mediaType"] == MT_DOCKER_MANIFEST
    assert m["config"]["mediaType"] == MT_DOCKER_CONFIG
    assert {l["mediaType"] for l in m["layers"]} == {MT_DOCKER_LAYER}
    assert _layers_of(m) == _layers_of(stored)  # same blobs
    assert i["imageId"]["imageTag"] == "oci"
    assert i["imageId"]["imageDigest"] == sha256_digest(i["imageManifest"].encode()) != img.manifest.digest

    # by digest: never translated; the stored type is not accepted -> a failure, no image
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": img.manifest.digest}],
                          acceptedMediaTypes=[MT_DOCKER_MANIFEST])
    assert r["images"] == []
    assert [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    # tag + digest counts as by digest
    r = c.batch_get_image(repositoryName=ecr_repo,
                          imageIds=[{"imageTag": "oci", "imageDigest": img.manifest.digest}],
                          acceptedMediaTypes=[MT_DOCKER_MANIFEST])
    assert r["images"] == [] and len(r["failures"]) == 1


@pytest.mark.berth_only  # moto ignores acceptedMediaTypes
def test_accepted_media_types_translate_docker_to_oci_by_tag(ecr, ecr_repo):
    c = ecr.client()
    img = mti.build_image(307, (300,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    data = docker_v2s2_manifest(img)
    ecr.put_manifest(ecr_repo, data, tag="docker")

    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "docker"}])
    assert r["images"][0]["imageManifest"].encode() == data  # omitted: as stored
    assert r["images"][0]["imageManifestMediaType"] == MT_DOCKER_MANIFEST

    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "docker"}],
                          acceptedMediaTypes=[MT_OCI_MANIFEST])
    (i,) = r["images"]
    assert i["imageManifestMediaType"] == MT_OCI_MANIFEST
    m = json.loads(i["imageManifest"])
    assert m.get("mediaType", MT_OCI_MANIFEST) == MT_OCI_MANIFEST and m["schemaVersion"] == 2
    assert m["config"]["mediaType"] == MT_OCI_CONFIG
    assert {l["mediaType"] for l in m["layers"]} == {MT_OCI_LAYER_GZIP}
    assert _layers_of(m) == _layers_of(json.loads(data))
    assert i["imageId"]["imageDigest"] == sha256_digest(i["imageManifest"].encode())

    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": sha256_digest(data)}],
                          acceptedMediaTypes=[MT_OCI_MANIFEST])
    assert r["images"] == [] and [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]


@pytest.mark.berth_only  # needs real manifest lists
def test_batch_get_image_index(ecr, ecr_repo):
    c = ecr.client()
    ma = ecr.push_index(ecr_repo, "multi", seed=308)
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "multi"}],
                          acceptedMediaTypes=[MT_OCI_INDEX, MT_OCI_MANIFEST])
    (i,) = r["images"]
    assert i["imageManifest"].encode() == ma.index.data
    assert i["imageManifestMediaType"] == MT_OCI_INDEX
    assert i["imageId"]["imageDigest"] == ma.index.digest
    # a child by digest
    r = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": ma.images[1].manifest.digest}])
    assert r["images"][0]["imageManifest"].encode() == ma.images[1].manifest.data


# -- BatchCheckLayerAvailability (moto implements no layer API) -------------------


@pytest.mark.berth_only
def test_batch_check_layer_availability(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=310, layer_sizes=(1000, 20000))
    digests = [b.digest for b in img.blobs]
    missing = "sha256:" + "b" * 64
    r = c.batch_check_layer_availability(repositoryName=ecr_repo,
                                         layerDigests=digests + [missing, "sha256:zz", "nodigest"])
    layers = {l["layerDigest"]: l for l in r["layers"]}
    assert set(layers) == set(digests)
    for b in img.blobs:
        assert layers[b.digest]["layerAvailability"] == "AVAILABLE"
        assert layers[b.digest]["layerSize"] == b.size
    f = {x["layerDigest"]: x for x in r["failures"]}
    assert set(f) == {missing, "sha256:zz", "nodigest"}
    assert f[missing]["failureCode"] == "MissingLayerDigest"
    assert f["sha256:zz"]["failureCode"] == "InvalidLayerDigest"
    assert f["nodigest"]["failureCode"] == "InvalidLayerDigest"
    assert all(x["failureReason"] for x in f.values())

    # layers belong to a repository
    other = ecr_repo + "-other"
    ecr.create_repository(other)
    r = c.batch_check_layer_availability(repositoryName=other, layerDigests=digests)
    assert r["layers"] == [] and {x["failureCode"] for x in r["failures"]} == {"MissingLayerDigest"}


@pytest.mark.berth_only
def test_batch_check_layer_availability_right_after_upload(ecr, ecr_repo):
    data = b"layer bytes " * 1000
    digest = ecr.upload_blob(ecr_repo, data)
    r = ecr.client().batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[digest])
    (layer,) = r["layers"]
    assert layer["layerDigest"] == digest
    assert layer["layerAvailability"] == "AVAILABLE" and layer["layerSize"] == len(data)
    assert r["failures"] == []


@pytest.mark.berth_only  # removes a blob file, in the layout docs/storage-layout.md documents
def test_batch_check_layer_availability_unavailable_when_bytes_are_gone(ecr, ecr_repo):
    data = b"soon gone " * 500
    digest = ecr.upload_blob(ecr_repo, data)
    hexd = digest.split(":")[1]
    path = ecr.server.data_dir / "blobs" / "sha256" / hexd[:2] / hexd
    assert path.read_bytes() == data
    path.unlink()
    r = ecr.client().batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=[digest])
    assert r["failures"] == []
    (layer,) = r["layers"]
    assert layer["layerDigest"] == digest
    assert layer["layerAvailability"] == "UNAVAILABLE" and layer["layerSize"] == len(data)


@pytest.mark.berth_only
def test_batch_check_layer_availability_limits_and_errors(ecr, ecr_repo):
    c = ecr.client()
    many = [f"sha256:{i:064x}" for i in range(100)]
    r = c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=many)
    assert len(r["failures"]) == 100 and r["layers"] == []
    with raises_ecr("InvalidParameterException"):
        c.batch_check_layer_availability(repositoryName=ecr_repo, layerDigests=many + ["sha256:" + "f" * 64])
    with raises_ecr("RepositoryNotFoundException"):
        c.batch_check_layer_availability(repositoryName=ecr_repo + "-nope", layerDigests=many[:1])


# -- BatchDeleteImage -------------------------------------------------------------


def test_batch_delete_image_by_tag(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "a", seed=320)
    ecr.put_manifest(ecr_repo, img.manifest.data, tag="b")
    d = img.manifest.digest

    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}])
    assert r["failures"] == []
    assert r["imageIds"] == [{"imageDigest": d, "imageTag": "a"}]
    # the image keeps its other tag
    det = c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageDigest": d}])["imageDetails"][0]
    assert det["imageTags"] == ["b"]
    with raises_ecr("ImageNotFoundException"):
        c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}])

    # deleting the last tag deletes the image
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "b"}])
    assert r["imageIds"] == [{"imageDigest": d, "imageTag": "b"}]
    with raises_ecr("ImageNotFoundException"):
        c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageDigest": d}])
    assert c.list_images(repositoryName=ecr_repo)["imageIds"] == []


def test_batch_delete_image_by_digest_removes_all_tags(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "a", seed=321)
    ecr.put_manifest(ecr_repo, img.manifest.data, tag="b")
    keep = ecr.push_image(ecr_repo, "keep", seed=322)
    d = img.manifest.digest
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": d}])
    assert r["failures"] == []
    assert {x["imageDigest"] for x in r["imageIds"]} == {d}
    got = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}, {"imageTag": "b"},
                                                              {"imageDigest": d}])
    assert got["images"] == [] and len(got["failures"]) == 3
    assert image_ids(c.list_images(repositoryName=ecr_repo)["imageIds"]) == {(keep.manifest.digest, "keep")}


def test_batch_delete_image_not_found_is_a_failure(ecr, ecr_repo):
    c = ecr.client()
    ecr.push_image(ecr_repo, "v1", seed=323)
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "nope"}, {"imageTag": "v1"}])
    assert [x.get("imageTag") for x in r["imageIds"]] == ["v1"]
    assert [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    assert r["failures"][0]["failureReason"] == NOT_FOUND_REASON
    # deleting again: a failure, not an error
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    assert r["imageIds"] == [] and [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    with raises_ecr("RepositoryNotFoundException"):
        c.batch_delete_image(repositoryName=ecr_repo + "-nope", imageIds=[{"imageTag": "v1"}])


@pytest.mark.berth_only  # moto does not validate identifiers nor limit the list
def test_batch_delete_image_failure_codes_and_limit(ecr, ecr_repo):
    c = ecr.client()
    a = ecr.push_image(ecr_repo, "a", seed=324)
    b = ecr.push_image(ecr_repo, "b", seed=325)
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[
        {}, {"imageDigest": "sha256:nothex"}, {"imageTag": "a", "imageDigest": b.manifest.digest}])
    assert r["imageIds"] == []
    assert [f["failureCode"] for f in r["failures"]] == [
        "MissingDigestAndTag", "InvalidImageDigest", "ImageTagDoesNotMatchDigest"]
    # nothing was deleted
    assert len(c.list_images(repositoryName=ecr_repo)["imageIds"]) == 2
    with raises_ecr("InvalidParameterException"):
        c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": f"t{i}"} for i in range(101)])
    assert a.manifest.digest != b.manifest.digest


@pytest.mark.berth_only  # moto knows no index children
def test_batch_delete_image_child_of_an_index(ecr, ecr_repo):
    c = ecr.client()
    ma = ecr.push_index(ecr_repo, "multi", seed=326)
    child = ma.images[0].manifest.digest
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": child}])
    assert r["imageIds"] == []
    assert [f["failureCode"] for f in r["failures"]] == ["ImageReferencedByManifestList"]
    assert r["failures"][0]["imageId"] == {"imageDigest": child}
    assert r["failures"][0]["failureReason"]
    # still there
    assert c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": child}])["images"]

    # delete the index: children stay, untagged, and can be deleted afterwards
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "multi"}])
    assert r["imageIds"] == [{"imageDigest": ma.index.digest, "imageTag": "multi"}]
    left = image_ids(c.list_images(repositoryName=ecr_repo)["imageIds"])
    assert left == {(i.manifest.digest, None) for i in ma.images}
    r = c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": child}])
    assert r["failures"] == [] and r["imageIds"] == [{"imageDigest": child}]


@pytest.mark.berth_only  # needs /v2/
def test_deleted_image_is_unpullable_over_v2_at_once(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=327)
    other = ecr.push_image(ecr_repo, "v2", seed=328)
    auth = {**ecr.basic_auth(), "Accept": MT_OCI_MANIFEST}
    base = f"{ecr.endpoint}/v2/{ecr_repo}/manifests/"
    assert requests.get(base + "v1", headers=auth, timeout=30).status_code == 200
    c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    for ref in ("v1", img.manifest.digest):
        r = requests.get(base + ref, headers=auth, timeout=30)
        assert r.status_code == 404, (ref, r.status_code)
        assert r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
        assert requests.head(base + ref, headers=auth, timeout=30).status_code == 404
    tags = requests.get(f"{ecr.endpoint}/v2/{ecr_repo}/tags/list", headers=auth, timeout=30).json()
    assert tags["tags"] == ["v2"]
    # by digest too
    c.batch_delete_image(repositoryName=ecr_repo, imageIds=[{"imageDigest": other.manifest.digest}])
    assert requests.get(base + "v2", headers=auth, timeout=30).status_code == 404


# -- the aws CLI -------------------------------------------------------------------


def test_cli_batch_operations(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, "v1", seed=330)
    calls = [(["batch-get-image", "--repository-name", ecr_repo, "--image-ids", "imageTag=v1", "imageTag=nope"],
              None),
             (["batch-get-image", "--repository-name", ecr_repo + "-nope", "--image-ids", "imageTag=v1"],
              "RepositoryNotFoundException")]
    if ecr.is_berth:  # moto has no BatchCheckLayerAvailability
        calls.append((["batch-check-layer-availability", "--repository-name", ecr_repo,
                       "--layer-digests", img.layers[0].digest], None))
    res = ecr.cli_many(*calls)
    r = res[0].json
    assert r["images"][0]["imageManifest"].encode() == img.manifest.data
    assert r["images"][0]["imageId"]["imageDigest"] == img.manifest.digest
    assert [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
    if ecr.is_berth:
        r = res[2].json
        assert r["layers"][0]["layerAvailability"] == "AVAILABLE"
        assert r["layers"][0]["layerSize"] == img.layers[0].size

    r = ecr.cli("batch-delete-image", "--repository-name", ecr_repo, "--image-ids", "imageTag=v1").json
    assert r["imageIds"] == [{"imageDigest": img.manifest.digest, "imageTag": "v1"}]
    r = ecr.cli("batch-delete-image", "--repository-name", ecr_repo, "--image-ids", "imageTag=v1").json
    assert [f["failureCode"] for f in r["failures"]] == ["ImageNotFound"]
