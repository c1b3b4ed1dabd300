"""Server flags that change ECR answers, each on its own berth:
  --put-image-validation lenient: PutImage accepts manifests whose blobs were never
      uploaded (for test suites that replaced an ECR mock such as moto);
  --repository-uri-template: the host part of repositoryUri."""

from __future__ import annotations

import pytest

import make_test_images as mti
from ecrhelpers import ACCOUNT, MT_OCI_MANIFEST, OTHER_ACCOUNT, REGION, raises_ecr

pytestmark = pytest.mark.berth_only


def test_lenient_put_image_without_blobs(ecr_lenient, ecr, repo):
    img = mti.build_image(901, (1000, 2000))
    c = ecr_lenient.client()
    c.create_repository(repositoryName=repo)
    out = c.put_image(repositoryName=repo, imageTag="v1", imageManifest=img.manifest.data.decode())["image"]
    assert out["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "v1"}
    got = c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert got["imageManifest"].encode() == img.manifest.data
    assert got["imageManifestMediaType"] == MT_OCI_MANIFEST
    d = c.describe_images(repositoryName=repo)["imageDetails"][0]
    assert d["imageTags"] == ["v1"] and d["imageDigest"] == img.manifest.digest
    # the blobs are still not there
    r = c.batch_check_layer_availability(repositoryName=repo, layerDigests=[b.digest for b in img.blobs])
    assert not any(l["layerAvailability"] == "AVAILABLE" for l in r["layers"])
    # everything else stays checked: a digest mismatch, an existing tag
    with raises_ecr("ImageAlreadyExistsException"):
        c.put_image(repositoryName=repo, imageTag="v1", imageManifest=img.manifest.data.decode())
    with raises_ecr("ImageDigestDoesNotMatchException"):
        c.put_image(repositoryName=repo, imageTag="v2", imageManifest=img.manifest.data.decode(),
                    imageDigest="sha256:" + "1" * 64)

    # the strict server refuses the same call
    ecr.create_repository(repo)
    with raises_ecr("LayersNotFoundException"):
        ecr.client().put_image(repositoryName=repo, imageTag="v1", imageManifest=img.manifest.data.decode())


def test_lenient_index_and_retag(ecr_lenient, repo):
    """A retag (BatchGetImage + PutImage under a new tag), the classic mock-suite flow."""
    c = ecr_lenient.client()
    c.create_repository(repositoryName=repo)
    img = mti.build_image(902, (500,))
    c.put_image(repositoryName=repo, imageTag="build-1", imageManifest=img.manifest.data.decode())
    m = c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "build-1"}])["images"][0]
    out = c.put_image(repositoryName=repo, imageTag="release", imageManifest=m["imageManifest"],
                      imageManifestMediaType=m["imageManifestMediaType"])["image"]
    assert out["imageId"]["imageDigest"] == img.manifest.digest
    tags = c.describe_images(repositoryName=repo)["imageDetails"][0]["imageTags"]
    assert sorted(tags) == ["build-1", "release"]


@pytest.fixture(scope="module")
def ecr_templated(ecr_berth_factory):
    return ecr_berth_factory("ecr-templated",
                             extra=["--repository-uri-template", "{account}.dkr.ecr.{region}.amazonaws.com"])


def test_repository_uri_template(ecr_templated, repo):
    r = ecr_templated.client().create_repository(repositoryName=repo)["repository"]
    assert r["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}"
    other = ecr_templated.creds[1]
    r = ecr_templated.client(other).create_repository(repositoryName=repo)["repository"]
    assert r["repositoryUri"] == f"{OTHER_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}"
    d = ecr_templated.client(other).describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["repositoryUri"] == r["repositoryUri"]
