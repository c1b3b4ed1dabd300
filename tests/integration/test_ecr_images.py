"""ECR images: PutImage, DescribeImages, ListImages (boto3 and the aws CLI)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

import make_test_images as mti
from ecrhelpers import (ACCOUNT, MT_DOCKER_CONFIG, MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_CONFIG,
                        MT_OCI_INDEX, MT_OCI_MANIFEST, assert_raw_error, docker_manifest_list,
                        docker_v2s2_manifest, image_ids, now_utc, raises_ecr, sha256_digest)

SLACK = dt.timedelta(seconds=3)


# -- PutImage -----------------------------------------------------------------


def test_put_image_returns_the_exact_manifest(ecr, ecr_repo):
    img = mti.build_image(201, (300, 700))
    ecr.upload_blobs(ecr_repo, img.blobs)
    out = ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1")
    assert out["registryId"] == ACCOUNT
    assert out["repositoryName"] == ecr_repo
    assert out["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "v1"}
    assert out["imageManifest"] == img.manifest.data.decode()
    assert out["imageManifestMediaType"] == MT_OCI_MANIFEST

    got = ecr.client().batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    assert got["failures"] == []
    assert got["images"][0]["imageManifest"].encode() == img.manifest.data
    assert got["images"][0]["imageId"]["imageDigest"] == img.manifest.digest


@pytest.mark.berth_only  # moto's digest is sha256 of the layer digests, not of the manifest
def test_put_image_digest_is_sha256_of_the_exact_bytes(ecr, ecr_repo):
    img = mti.build_image(202, (400,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    # Unusual but valid formatting: indentation, key order, a trailing newline.
    obj = json.loads(img.manifest.data)
    text = "{\n   " + ",\n   ".join(f"{json.dumps(k)}: {json.dumps(obj[k])}"
                                     for k in ("layers", "schemaVersion", "config", "mediaType")) + "\n}\n"
    data = text.encode()
    out = ecr.put_manifest(ecr_repo, data, tag="pretty", pass_digest=False)
    assert out["imageId"]["imageDigest"] == sha256_digest(data)
    assert out["imageManifest"] == text
    got = ecr.client().batch_get_image(repositoryName=ecr_repo,
                                       imageIds=[{"imageDigest": sha256_digest(data)}])["images"]
    assert got[0]["imageManifest"] == text
    # the same image by its canonical bytes is a different image
    out2 = ecr.put_manifest(ecr_repo, img.manifest.data, tag="canonical", pass_digest=False)
    assert out2["imageId"]["imageDigest"] == img.manifest.digest != sha256_digest(data)


def test_put_image_media_type_from_parameter(ecr, ecr_repo):
    img = mti.build_image(203, (256,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    obj = json.loads(img.manifest.data)
    del obj["mediaType"]  # optional in OCI manifests (Helm charts omit it)
    data = mti.canonical_json(obj)

    with raises_ecr("InvalidParameterException"):
        ecr.put_manifest(ecr_repo, data, tag="nomt")

    out = ecr.put_manifest(ecr_repo, data, tag="nomt", media_type=MT_OCI_MANIFEST)
    assert out["imageManifestMediaType"] == MT_OCI_MANIFEST
    got = ecr.client().batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "nomt"}])["images"][0]
    assert got["imageManifest"].encode() == data  # no mediaType added
    assert got["imageManifestMediaType"] == MT_OCI_MANIFEST
    d = ecr.client().describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "nomt"}])
    assert d["imageDetails"][0]["imageManifestMediaType"] == MT_OCI_MANIFEST


@pytest.mark.berth_only  # moto does not compare imageManifestMediaType with the manifest
def test_put_image_media_type_contradicting_manifest(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, None, seed=204)
    with raises_ecr("InvalidParameterException"):
        ecr.put_manifest(ecr_repo, img.manifest.data, tag="x", media_type=MT_DOCKER_MANIFEST)


def test_put_image_docker_schema2(ecr, ecr_repo):
    img = mti.build_image(205, (512,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    data = docker_v2s2_manifest(img, pretty=True)
    out = ecr.put_manifest(ecr_repo, data, tag="docker")
    assert out["imageManifestMediaType"] == MT_DOCKER_MANIFEST
    assert out["imageId"]["imageDigest"] == sha256_digest(data)
    d = ecr.client().describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "docker"}])
    assert d["imageDetails"][0]["imageManifestMediaType"] == MT_DOCKER_MANIFEST
    if ecr.is_berth:  # moto reports no artifactMediaType
        assert d["imageDetails"][0]["artifactMediaType"] == MT_DOCKER_CONFIG


@pytest.mark.berth_only  # moto ignores imageDigest when it does not match (ecr-semantics.md 6.1)
def test_put_image_digest_mismatch(ecr, ecr_repo):
    img = mti.build_image(206, (256,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    wrong = "sha256:" + "0" * 64
    with raises_ecr("ImageDigestDoesNotMatchException") as err:
        ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1", digest=wrong)
    assert wrong in err["error"]["Message"]
    with raises_ecr("ImageNotFoundException"):
        ecr.client().describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    # the right digest is accepted
    out = ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1", digest=img.manifest.digest)
    assert out["imageId"]["imageDigest"] == img.manifest.digest


def test_put_image_same_tag_and_manifest_twice(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, "v1", seed=207)
    with raises_ecr("ImageAlreadyExistsException") as err:
        ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1")
    msg = err["error"]["Message"]
    assert img.manifest.digest in msg and "'v1'" in msg and ecr_repo in msg
    # another tag for the same manifest is fine: one image, two tags
    out = ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1-alias")
    assert out["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "v1-alias"}
    d = ecr.client().describe_images(repositoryName=ecr_repo)["imageDetails"]
    assert len(d) == 1 and sorted(d[0]["imageTags"]) == ["v1", "v1-alias"]


def test_put_image_moves_a_tag_in_a_mutable_repository(ecr, ecr_repo):
    a = ecr.push_image(ecr_repo, "latest", seed=208)
    b = ecr.push_image(ecr_repo, "latest", seed=209)
    got = ecr.client().batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "latest"}])
    assert got["images"][0]["imageId"]["imageDigest"] == b.manifest.digest
    assert got["images"][0]["imageManifest"].encode() == b.manifest.data
    details = {d["imageDigest"]: d for d in
               ecr.client().describe_images(repositoryName=ecr_repo)["imageDetails"]}
    assert details[b.manifest.digest]["imageTags"] == ["latest"]
    if ecr.is_berth:
        # ECR keeps the old image, untagged (moto deletes it: ecr-semantics.md 3.2)
        assert a.manifest.digest in details
        assert "imageTags" not in details[a.manifest.digest] or details[a.manifest.digest]["imageTags"] == []


@pytest.mark.berth_only  # moto answers ImageAlreadyExistsException here (ecr-semantics.md 3.2, 6.1)
def test_put_image_immutable_repository(ecr, repo):
    ecr.create_repository(repo, imageTagMutability="IMMUTABLE")
    a = ecr.push_image(repo, "v1", seed=210)
    b = mti.build_image(211, (512, 1024))
    ecr.upload_blobs(repo, b.blobs)
    with raises_ecr("ImageTagAlreadyExistsException") as err:
        ecr.put_manifest(repo, b.manifest.data, tag="v1")
    assert "v1" in err["error"]["Message"]
    # even the same manifest under the same tag: the tag exists (documented)
    with raises_ecr("ImageTagAlreadyExistsException"):
        ecr.put_manifest(repo, a.manifest.data, tag="v1")
    # v1 still names a; new tags and untagged pushes are fine
    got = ecr.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert got[0]["imageId"]["imageDigest"] == a.manifest.digest
    assert ecr.put_manifest(repo, b.manifest.data, tag="v2")["imageId"]["imageTag"] == "v2"
    assert ecr.put_manifest(repo, a.manifest.data, tag="v1-again")["imageId"]["imageDigest"] == a.manifest.digest


@pytest.mark.berth_only  # moto matches filters as regular expressions and raises ImageAlreadyExists
def test_put_image_exclusion_filters(ecr, repo):
    c = ecr.client(model="current")
    c.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                        imageTagMutabilityExclusionFilters=[
                            {"filterType": "WILDCARD", "filter": "latest"},
                            {"filterType": "WILDCARD", "filter": "dev-*"}])
    a = ecr.push_image(repo, None, seed=212)
    b = ecr.push_image(repo, None, seed=213)
    for tag in ("latest", "dev-1", "v1"):
        ecr.put_manifest(repo, a.manifest.data, tag=tag)
    # excluded tags stay mutable
    ecr.put_manifest(repo, b.manifest.data, tag="latest")
    ecr.put_manifest(repo, b.manifest.data, tag="dev-1")
    # every other tag is immutable; "dev1" does not match "dev-*"
    with raises_ecr("ImageTagAlreadyExistsException"):
        ecr.put_manifest(repo, b.manifest.data, tag="v1")
    ecr.put_manifest(repo, a.manifest.data, tag="dev1")
    with raises_ecr("ImageTagAlreadyExistsException"):
        ecr.put_manifest(repo, b.manifest.data, tag="dev1")

    c.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE_WITH_EXCLUSION",
                               imageTagMutabilityExclusionFilters=[
                                   {"filterType": "WILDCARD", "filter": "release-*"}])
    ecr.put_manifest(repo, a.manifest.data, tag="release-1")
    with raises_ecr("ImageTagAlreadyExistsException"):
        ecr.put_manifest(repo, b.manifest.data, tag="release-1")
    ecr.put_manifest(repo, b.manifest.data, tag="v1")  # mutable now
    tags = {t: d["imageDigest"] for d in c.describe_images(repositoryName=repo)["imageDetails"]
            for t in d.get("imageTags", [])}
    assert tags == {"latest": b.manifest.digest, "dev-1": b.manifest.digest, "v1": b.manifest.digest,
                    "dev1": a.manifest.digest, "release-1": a.manifest.digest}


@pytest.mark.berth_only  # moto checks no layers (ecr-semantics.md 6.1)
def test_put_image_missing_layers(ecr, ecr_repo):
    img = mti.build_image(214, (256, 512))
    # upload the config and the first layer only
    ecr.upload_blobs(ecr_repo, [img.config, img.layers[0]])
    with raises_ecr("LayersNotFoundException") as err:
        ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1")
    assert img.layers[1].digest in err["error"]["Message"]
    assert img.layers[0].digest not in err["error"]["Message"]
    # a layer uploaded to another repository does not count
    other = ecr_repo + "-other"
    ecr.create_repository(other)
    ecr.upload_blobs(other, [img.layers[1]])
    with raises_ecr("LayersNotFoundException"):
        ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1")
    assert ecr.client().list_images(repositoryName=ecr_repo)["imageIds"] == []
    ecr.upload_blobs(ecr_repo, [img.layers[1]])
    assert ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1")["imageId"]["imageTag"] == "v1"


@pytest.mark.berth_only  # moto checks no manifest list children
def test_put_image_index_with_missing_children(ecr, ecr_repo):
    ma = mti.build_multiarch(215, (256,), ("linux/amd64", "linux/arm64"))
    first = ma.images[0]
    ecr.upload_blobs(ecr_repo, first.blobs)
    ecr.put_manifest(ecr_repo, first.manifest.data)
    with raises_ecr("ReferencedImagesNotFoundException"):
        ecr.put_manifest(ecr_repo, ma.index.data, tag="multi")
    second = ma.images[1]
    ecr.upload_blobs(ecr_repo, second.blobs)
    ecr.put_manifest(ecr_repo, second.manifest.data)
    out = ecr.put_manifest(ecr_repo, ma.index.data, tag="multi")
    assert out["imageManifestMediaType"] == MT_OCI_INDEX
    assert out["imageId"]["imageDigest"] == ma.index.digest


@pytest.mark.berth_only  # moto does not check manifest lists
def test_put_image_docker_manifest_list(ecr, ecr_repo):
    parts = []
    for i, plat in enumerate(({"os": "linux", "architecture": "amd64"},
                              {"os": "linux", "architecture": "arm64"})):
        img = mti.build_image(216 + i, (128,))
        ecr.upload_blobs(ecr_repo, img.blobs)
        data = docker_v2s2_manifest(img)
        ecr.put_manifest(ecr_repo, data)
        parts.append((data, plat))
    lst = docker_manifest_list(parts)
    out = ecr.put_manifest(ecr_repo, lst, tag="list")
    assert out["imageManifestMediaType"] == MT_DOCKER_LIST
    got = ecr.client().batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "list"}],
                                       acceptedMediaTypes=[MT_DOCKER_LIST])["images"][0]
    assert got["imageManifest"].encode() == lst


@pytest.mark.berth_only  # moto raises a plain exception (HTTP 500) for these
def test_put_image_bad_input(ecr, ecr_repo):
    c = ecr.client()
    with raises_ecr("RepositoryNotFoundException"):
        c.put_image(repositoryName=ecr_repo + "-nope", imageManifest=mti.build_image(1, (1,)).manifest.data.decode())
    with raises_ecr("InvalidParameterException"):
        c.put_image(repositoryName=ecr_repo, imageManifest="{not json", imageTag="x")
    with raises_ecr("InvalidParameterException"):
        c.put_image(repositoryName=ecr_repo, imageManifest=json.dumps({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST}))
    # longer than the model's 300 characters
    img = ecr.push_image(ecr_repo, None, seed=218)
    with raises_ecr("InvalidParameterException"):
        c.put_image(repositoryName=ecr_repo, imageManifest=img.manifest.data.decode(), imageTag="t" * 301)


# -- DescribeImages -------------------------------------------------------------


@pytest.mark.berth_only  # moto reports the config size and no artifactMediaType/lastRecordedPullTime
def test_describe_images_details(ecr, ecr_repo):
    before = now_utc() - SLACK
    img = ecr.push_image(ecr_repo, "v1", seed=220, layer_sizes=(3000, 70000))
    ecr.put_manifest(ecr_repo, img.manifest.data, tag="v1b")
    after = now_utc() + SLACK
    d = ecr.client().describe_images(repositoryName=ecr_repo)["imageDetails"]
    assert len(d) == 1
    d = d[0]
    assert d["registryId"] == ACCOUNT and d["repositoryName"] == ecr_repo
    assert d["imageDigest"] == img.manifest.digest
    assert sorted(d["imageTags"]) == ["v1", "v1b"]
    assert before <= d["imagePushedAt"] <= after
    assert d["imageManifestMediaType"] == MT_OCI_MANIFEST
    assert d["artifactMediaType"] == MT_OCI_CONFIG
    # compressed size as stored: at least the layers, at most layers + config + manifest
    layers = sum(b.size for b in img.layers)
    assert layers <= d["imageSizeInBytes"] <= layers + img.config.size + img.manifest.size, d
    assert "lastRecordedPullTime" not in d  # never pulled


@pytest.mark.berth_only  # moto knows no manifest lists
def test_describe_images_index_size_is_the_largest_child(ecr, ecr_repo):
    """Model documentation of imageSizeInBytes: "If the image is a manifest list, this will
    be the max size of all manifests in the list"."""
    # children of clearly different sizes
    small = mti.build_image(227, (500,), "linux/amd64")
    big = mti.build_image(228, (40000, 30000), "linux/arm64")
    for img in (small, big):
        ecr.upload_blobs(ecr_repo, img.blobs)
        ecr.put_manifest(ecr_repo, img.manifest.data)
    index = mti.canonical_json({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                                "manifests": [i.manifest.descriptor(platform=i.platform) for i in (small, big)]})
    ecr.put_manifest(ecr_repo, index, tag="multi")
    sizes = {d["imageDigest"]: d["imageSizeInBytes"]
             for d in ecr.client().describe_images(repositoryName=ecr_repo)["imageDetails"]}
    assert sizes[small.manifest.digest] < sizes[big.manifest.digest]
    assert sizes[sha256_digest(index)] == sizes[big.manifest.digest]


@pytest.mark.berth_only  # moto does not record pulls
def test_last_recorded_pull_time_after_batch_get_image_and_v2_pull(ecr, ecr_repo):
    c = ecr.client()
    a = ecr.push_image(ecr_repo, "a", seed=221)
    b = ecr.push_image(ecr_repo, "b", seed=222)

    def pulled(ref):
        return c.describe_images(repositoryName=ecr_repo, imageIds=[ref])["imageDetails"][0].get(
            "lastRecordedPullTime")

    assert pulled({"imageTag": "a"}) is None and pulled({"imageTag": "b"}) is None
    t0 = now_utc() - SLACK
    c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}])
    ta = pulled({"imageTag": "a"})
    assert ta is not None and t0 <= ta <= now_utc() + SLACK
    assert pulled({"imageTag": "b"}) is None  # only the pulled image

    # a pull over /v2/ (docker pull's manifest GET) counts too
    t1 = now_utc() - SLACK
    r = requests.get(f"{ecr.endpoint}/v2/{ecr_repo}/manifests/b",
                     headers={**ecr.basic_auth(), "Accept": MT_OCI_MANIFEST}, timeout=30)
    assert r.status_code == 200 and r.content == b.manifest.data
    tb = pulled({"imageDigest": b.manifest.digest})
    assert tb is not None and t1 <= tb <= now_utc() + SLACK
    # a failed pull records nothing
    c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "missing"}])
    assert pulled({"imageDigest": a.manifest.digest}) == ta


def test_describe_images_by_id_and_errors(ecr, ecr_repo):
    c = ecr.client()
    a = ecr.push_image(ecr_repo, "a", seed=223)
    b = ecr.push_image(ecr_repo, "b", seed=224)
    d = c.describe_images(repositoryName=ecr_repo,
                          imageIds=[{"imageTag": "a"}, {"imageDigest": b.manifest.digest}])["imageDetails"]
    assert {x["imageDigest"] for x in d} == {a.manifest.digest, b.manifest.digest}

    with raises_ecr("ImageNotFoundException") as err:
        c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}, {"imageTag": "zzz"}])
    assert "zzz" in err["error"]["Message"]
    with raises_ecr("ImageNotFoundException"):
        c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageDigest": "sha256:" + "e" * 64}])
    with raises_ecr("RepositoryNotFoundException"):
        c.describe_images(repositoryName=ecr_repo + "-nope")


@pytest.mark.berth_only  # moto ignores maxResults and checks no combinations
def test_describe_images_parameter_errors(ecr, ecr_repo):
    c = ecr.client()
    ecr.push_image(ecr_repo, "a", seed=225)
    with raises_ecr("InvalidParameterException"):
        c.describe_images(repositoryName=ecr_repo, imageIds=[{"imageTag": "a"}], maxResults=5)
    with raises_ecr("InvalidParameterException"):
        c.describe_images(repositoryName=ecr_repo, maxResults=1001)
    with raises_ecr("InvalidParameterException"):
        c.describe_images(repositoryName=ecr_repo, filter={"tagStatus": "SOMETIMES"})
    # repositoryName is required: botocore would not send it, so send it raw
    r = ecr.raw("DescribeImages", {})
    body = assert_raw_error(r, 400, "InvalidParameterException")
    assert "repositoryName" in body["message"]


def _setup_tagged_and_untagged(ecr, repo):
    """3 tagged images (one with two tags) and 2 untagged ones."""
    tagged = [ecr.push_image(repo, f"t{i}", seed=230 + i) for i in range(3)]
    ecr.put_manifest(repo, tagged[0].manifest.data, tag="t0-alias")
    untagged = [ecr.push_image(repo, None, seed=240 + i) for i in range(2)]
    return tagged, untagged


@pytest.mark.berth_only  # moto ignores filter, maxResults and nextToken (ecr-semantics.md 6.1)
def test_describe_images_filter_and_pagination(ecr, ecr_repo):
    c = ecr.client()
    tagged, untagged = _setup_tagged_and_untagged(ecr, ecr_repo)
    all_digests = {i.manifest.digest for i in tagged + untagged}

    def digests(**kw):
        pages = list(c.get_paginator("describe_images").paginate(repositoryName=ecr_repo, **kw))
        ds = [d for p in pages for d in p["imageDetails"]]
        assert len({d["imageDigest"] for d in ds}) == len(ds), "an image appeared twice"
        return pages, ds

    _, ds = digests(filter={"tagStatus": "TAGGED"})
    assert {d["imageDigest"] for d in ds} == {i.manifest.digest for i in tagged}
    _, ds = digests(filter={"tagStatus": "UNTAGGED"})
    assert {d["imageDigest"] for d in ds} == {i.manifest.digest for i in untagged}
    assert all("imageTags" not in d or d["imageTags"] == [] for d in ds)
    _, ds = digests(filter={"tagStatus": "ANY"})
    assert {d["imageDigest"] for d in ds} == all_digests

    pages, ds = digests(PaginationConfig={"PageSize": 2})
    assert {d["imageDigest"] for d in ds} == all_digests
    assert [len(p["imageDetails"]) for p in pages] == [2, 2, 1]
    pages, ds = digests(filter={"tagStatus": "TAGGED"}, PaginationConfig={"PageSize": 1})
    assert len(pages) == 3 and {d["imageDigest"] for d in ds} == {i.manifest.digest for i in tagged}


# -- ListImages -----------------------------------------------------------------


def test_list_images(ecr, ecr_repo):
    c = ecr.client()
    tagged, untagged = _setup_tagged_and_untagged(ecr, ecr_repo)
    ids = c.list_images(repositoryName=ecr_repo)["imageIds"]
    expected_tagged = {(tagged[0].manifest.digest, "t0"), (tagged[0].manifest.digest, "t0-alias"),
                       (tagged[1].manifest.digest, "t1"), (tagged[2].manifest.digest, "t2")}
    assert len(ids) == len(image_ids(ids)), ids
    if ecr.is_berth:
        # an untagged image appears once, with its digest only
        assert image_ids(ids) == expected_tagged | {(u.manifest.digest, None) for u in untagged}
    else:
        assert expected_tagged <= image_ids(ids)
    with raises_ecr("RepositoryNotFoundException"):
        c.list_images(repositoryName=ecr_repo + "-nope")


@pytest.mark.berth_only  # moto ignores filter, maxResults and nextToken
def test_list_images_filter_and_pagination(ecr, ecr_repo):
    c = ecr.client()
    tagged, untagged = _setup_tagged_and_untagged(ecr, ecr_repo)
    t = image_ids(c.list_images(repositoryName=ecr_repo, filter={"tagStatus": "TAGGED"})["imageIds"])
    assert t == {(tagged[0].manifest.digest, "t0"), (tagged[0].manifest.digest, "t0-alias"),
                 (tagged[1].manifest.digest, "t1"), (tagged[2].manifest.digest, "t2")}
    u = image_ids(c.list_images(repositoryName=ecr_repo, filter={"tagStatus": "UNTAGGED"})["imageIds"])
    assert u == {(i.manifest.digest, None) for i in untagged}

    pages = list(c.get_paginator("list_images").paginate(repositoryName=ecr_repo,
                                                        PaginationConfig={"PageSize": 2}))
    got = [i for p in pages for i in p["imageIds"]]
    assert [len(p["imageIds"]) for p in pages] == [2, 2, 2]
    assert len(image_ids(got)) == 6 and image_ids(got) == t | u
    with raises_ecr("InvalidParameterException"):
        c.list_images(repositoryName=ecr_repo, maxResults=1001)


# -- the aws CLI ---------------------------------------------------------------


def test_cli_put_describe_list_images(ecr, ecr_repo, tmp_path):
    img = mti.build_image(250, (200,))
    ecr.upload_blobs(ecr_repo, img.blobs)
    mf = tmp_path / "manifest.json"
    mf.write_bytes(img.manifest.data)
    args = ["put-image", "--repository-name", ecr_repo, "--image-tag", "cli",
            "--image-manifest", f"file://{mf}"]
    if ecr.is_moto:
        args += ["--image-digest", img.manifest.digest]
    out = ecr.cli(*args).json["image"]
    assert out["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "cli"}
    assert out["imageManifest"].encode() == img.manifest.data
    _, d, _, ids, _ = ecr.cli_many(
        (args, "ImageAlreadyExistsException"),
        (["describe-images", "--repository-name", ecr_repo, "--image-ids", "imageTag=cli"], None),
        (["describe-images", "--repository-name", ecr_repo, "--image-ids", "imageTag=nope"],
         "ImageNotFoundException"),
        (["list-images", "--repository-name", ecr_repo], None),
        (["list-images", "--repository-name", ecr_repo + "-nope"], "RepositoryNotFoundException"))
    assert d.json["imageDetails"][0]["imageDigest"] == img.manifest.digest
    assert d.json["imageDetails"][0]["imageTags"] == ["cli"]
    assert ids.json["imageIds"] == [{"imageDigest": img.manifest.digest, "imageTag": "cli"}]
