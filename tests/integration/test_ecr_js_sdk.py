"""The AWS SDK for JavaScript v3 (@aws-sdk/client-ecr) against the ECR API: CreateRepository,
the layer upload API (berth), PutImage, BatchGetImage, DescribeImages, and error names.

The SDK is installed once into tests/integration/js/node_modules (npm, from the public
registry); the test is skipped with the reason if node/npm or the registry is unavailable."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import make_test_images as mti
from ecrhelpers import ACCOUNT, MT_OCI_MANIFEST, REGION

JS_DIR = Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm not installed: cannot run the JavaScript SDK check")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-ecr" / "package.json").exists():
        p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock"], cwd=JS_DIR,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            pytest.skip(f"npm install @aws-sdk/client-ecr failed (no network?):\n{p.stderr[-2000:]}")
    return JS_DIR


def test_js_sdk_round_trip(ecr, repo, js_sdk, tmp_path):
    img = mti.build_image(1001, (700, 1500))
    job = {
        "endpoint": ecr.endpoint, "region": REGION,
        "accessKeyId": ecr.default.access_key, "secretAccessKey": ecr.default.secret_key,
        "repository": repo, "tag": "js", "manifest": img.manifest.data.decode(),
        "blobs": [{"digest": b.digest, "base64": base64.b64encode(b.data).decode()} for b in img.blobs],
        "uploadLayers": ecr.is_berth,  # moto implements no layer API
        # moto's own digest is not sha256 of the manifest unless given (ecr-semantics.md 6.1)
        "imageDigest": img.manifest.digest if ecr.is_moto else None,
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    p = subprocess.run(["node", str(js_sdk / "ecr_sdk_check.mjs"), str(tmp_path / "job.json")],
                       capture_output=True, text=True, timeout=120, env=ecr.cli_env(), cwd=js_sdk)
    assert p.returncode == 0, f"node failed:\n{p.stderr}\n{p.stdout}\n" + ecr.server.log_tail(20)
    out = json.loads(p.stdout)

    assert out["created"]["repositoryName"] == repo and out["created"]["registryId"] == ACCOUNT
    assert out["duplicate"]["name"] == "RepositoryAlreadyExistsException" and out["duplicate"]["status"] == 400
    assert out["missingRepository"]["name"] == "RepositoryNotFoundException"
    if ecr.is_berth:
        assert [u["layerDigest"] for u in out["uploaded"]] == [b.digest for b in img.blobs]
        assert [u["lastByteReceived"] for u in out["uploaded"]] == [b.size - 1 for b in img.blobs]
        assert {(l["layerDigest"], l["layerAvailability"], l["layerSize"]) for l in out["layers"]} == {
            (b.digest, "AVAILABLE", b.size) for b in img.blobs}
    assert out["put"]["imageId"] == {"imageDigest": img.manifest.digest, "imageTag": "js"}
    assert out["putAgain"]["name"] == "ImageAlreadyExistsException"
    (image,) = out["images"]
    assert image["imageManifest"].encode() == img.manifest.data
    assert image["imageManifestMediaType"] == MT_OCI_MANIFEST
    assert [f["failureCode"] for f in out["failures"]] == ["ImageNotFound"]
    (detail,) = out["imageDetails"]
    assert detail["imageDigest"] == img.manifest.digest and detail["imageTags"] == ["js"]
    assert detail["imagePushedAt"]  # parsed into a Date by the SDK
    assert out["notFound"]["name"] == "ImageNotFoundException" and out["notFound"]["status"] == 400
