"""End-to-end pushes and pulls with a real client (skopeo).

Sources are OCI layouts from scripts/make_test_images.py; pulls go to skopeo's
`dir:` transport, which writes manifests and blobs byte-exact, so everything
can be compared with the source bytes."""

from __future__ import annotations

import json
from pathlib import Path

from ocihelpers import (MT_DOCKER_CONFIG, MT_DOCKER_LAYER, MT_DOCKER_MANIFEST,
                        MT_OCI_INDEX, MT_OCI_MANIFEST, assert_oci_error, media_type, sha256_digest)


def hexpart(digest: str) -> str:
    return digest.split(":", 1)[1]


def assert_dir_copy(out: Path, manifest: bytes, blobs: dict[str, bytes],
                    instances: dict[str, bytes] | None = None):
    """`out` (a skopeo dir: copy) holds exactly `manifest`, the per-instance
    manifests of a list and `blobs`, each byte for byte."""
    instances = instances or {}
    assert (out / "manifest.json").read_bytes() == manifest
    for digest, data in instances.items():
        assert (out / f"{hexpart(digest)}.manifest.json").read_bytes() == data, digest
    for digest, data in blobs.items():
        got = (out / hexpart(digest)).read_bytes()
        assert len(got) == len(data) and got == data, digest
    expected = ({"manifest.json", "version"} | {hexpart(d) for d in blobs}
                | {f"{hexpart(d)}.manifest.json" for d in instances})
    assert {p.name for p in out.iterdir()} == expected


def test_push_pull_oci_image(registry, oci, skopeo, layouts, repo, tmp_path):
    img = layouts["single"]
    src = f"oci:{layouts['single_dir']}:img"
    skopeo.copy(src, skopeo.ref(repo, "v1"), "--preserve-digests")

    # the registry holds the manifest byte-exact under the tag and the digest
    for ref in ("v1", img.manifest.digest):
        g = oci.get_manifest(repo, ref)
        assert g.status_code == 200
        assert media_type(g) == MT_OCI_MANIFEST
        assert g.headers.get("Docker-Content-Digest") == img.manifest.digest
        assert g.content == img.manifest.data

    expected_blobs = {b.digest: b.data for b in img.blobs}
    for ref in ("v1", img.manifest.digest):
        out = tmp_path / f"pull-{ref.replace(':', '-')}"
        skopeo.copy(skopeo.ref(repo, ref), f"dir:{out}")
        assert_dir_copy(out, img.manifest.data, expected_blobs)


def test_push_pull_docker_v2s2(registry, oci, skopeo, layouts, repo, tmp_path):
    img = layouts["single"]
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v2s2"), "--format", "v2s2")

    g = oci.get_manifest(repo, "v2s2")
    assert g.status_code == 200
    assert media_type(g) == MT_DOCKER_MANIFEST
    digest = g.headers.get("Docker-Content-Digest")
    assert digest == sha256_digest(g.content)
    m = json.loads(g.content)
    assert m["mediaType"] == MT_DOCKER_MANIFEST
    assert m["config"]["mediaType"] == MT_DOCKER_CONFIG
    # gzip layers are reused as they are: same digests as the OCI source
    assert [l["digest"] for l in m["layers"]] == [b.digest for b in img.layers]
    assert {l["mediaType"] for l in m["layers"]} == {MT_DOCKER_LAYER}
    h = oci.get_manifest(repo, digest, method="HEAD")
    assert h.status_code == 200 and int(h.headers["Content-Length"]) == len(g.content)

    # every blob the manifest names is served with the bytes that were pushed
    blobs = {}
    for desc in [m["config"], *m["layers"]]:
        r = oci.get_blob(repo, desc["digest"])
        assert r.status_code == 200
        assert sha256_digest(r.content) == desc["digest"] and len(r.content) == desc["size"]
        blobs[desc["digest"]] = r.content
    layout_blobs = {b.digest: b.data for b in img.layers}
    for d, data in layout_blobs.items():
        assert blobs[d] == data

    out = tmp_path / "pull"
    skopeo.copy(skopeo.ref(repo, "v2s2"), f"dir:{out}")
    assert_dir_copy(out, g.content, blobs)


def test_push_pull_multiarch_index(registry, oci, skopeo, layouts, repo, tmp_path):
    ma = layouts["multi"]
    skopeo.copy(f"oci:{layouts['multi_dir']}:multi", skopeo.ref(repo, "multi"), "--all",
                "--preserve-digests")

    g = oci.get_manifest(repo, "multi")
    assert g.status_code == 200
    assert media_type(g) == MT_OCI_INDEX
    assert g.headers.get("Docker-Content-Digest") == ma.index.digest
    assert g.content == ma.index.data
    for child in ma.images:
        c = oci.get_manifest(repo, child.manifest.digest)
        assert c.status_code == 200 and c.content == child.manifest.data

    out = tmp_path / "pull-all"
    skopeo.copy(skopeo.ref(repo, "multi"), f"dir:{out}", "--all")
    assert_dir_copy(out, ma.index.data, {b.digest: b.data for b in ma.blobs},
                    {img.manifest.digest: img.manifest.data for img in ma.images})

    # a single-platform pull resolves the index to the arm64 child
    out = tmp_path / "pull-arm64"
    skopeo.run("--override-arch", "arm64", "--override-os", "linux", "copy", "--src-tls-verify=false",
               "--retry-times", "0", skopeo.ref(repo, "multi"), f"dir:{out}")
    arm = next(i for i in ma.images if i.platform["architecture"] == "arm64")
    assert_dir_copy(out, arm.manifest.data, {b.digest: b.data for b in arm.blobs})


def test_inspect(registry, skopeo, layouts, repo):
    img = layouts["single"]
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v1"), "--preserve-digests")
    info = json.loads(skopeo.inspect(skopeo.ref(repo, "v1")).stdout)
    assert info["Digest"] == img.manifest.digest
    assert info["Layers"] == [b.digest for b in img.layers]
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert "v1" in info["RepoTags"]
    raw = skopeo.inspect(skopeo.ref(repo, "v1"), "--raw").stdout
    assert raw.rstrip("\n").encode() == img.manifest.data
    cfg = skopeo.inspect(skopeo.ref(repo, "v1"), "--raw", "--config").stdout
    assert cfg.rstrip("\n").encode() == img.config.data


def test_inspect_multiarch(registry, skopeo, layouts, repo):
    ma = layouts["multi"]
    skopeo.copy(f"oci:{layouts['multi_dir']}:multi", skopeo.ref(repo, "multi"), "--all",
                "--preserve-digests")
    raw = skopeo.inspect(skopeo.ref(repo, "multi"), "--raw").stdout
    assert raw.rstrip("\n").encode() == ma.index.data
    info = json.loads(skopeo.run("--override-arch", "amd64", "--override-os", "linux", "inspect",
                                 "--tls-verify=false", "--retry-times", "0",
                                 skopeo.ref(repo, "multi")).stdout)
    amd = next(i for i in ma.images if i.platform["architecture"] == "amd64")
    assert info["Layers"] == [b.digest for b in amd.layers]
    assert info["Architecture"] == "amd64"


def test_list_tags(registry, skopeo, layouts, repo):
    src = f"oci:{layouts['single_dir']}:img"
    tags = ["v1", "v2", "latest"]
    for t in tags:
        skopeo.copy(src, skopeo.ref(repo, t), "--preserve-digests")
    out = json.loads(skopeo.list_tags(f"docker://{registry.host}/{repo}").stdout)
    assert out["Repository"] == f"{registry.host}/{repo}"
    assert sorted(out["Tags"]) == sorted(tags)


def test_delete_then_pull_fails(registry, oci, skopeo, layouts, repo, tmp_path):
    img = layouts["single"]
    src = f"oci:{layouts['single_dir']}:img"
    skopeo.copy(src, skopeo.ref(repo, "doomed"), "--preserve-digests")
    skopeo.delete(skopeo.ref(repo, "doomed"))
    # skopeo deletes by digest: the manifest and its tag are gone
    assert_oci_error(oci.get_manifest(repo, "doomed"), 404, "MANIFEST_UNKNOWN")
    assert_oci_error(oci.get_manifest(repo, img.manifest.digest), 404, "MANIFEST_UNKNOWN")
    p = skopeo.copy(skopeo.ref(repo, "doomed"), f"dir:{tmp_path / 'out'}", check=False)
    assert p.returncode != 0
    assert "manifest unknown" in p.stderr.lower(), p.stderr
    # and the repository can be pushed to again
    skopeo.copy(src, skopeo.ref(repo, "doomed"), "--preserve-digests")
    assert oci.get_manifest(repo, "doomed").content == img.manifest.data
