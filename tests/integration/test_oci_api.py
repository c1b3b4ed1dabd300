"""HTTP-level tests of the OCI Distribution v1.1 `/v2/` API, endpoint by
endpoint, success and error paths, with exact statuses, headers, error codes
and bytes. Tests marked berth_only say on their marker line how Distribution
2.8 deviates."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

import pytest

import make_test_images as mti
from ocihelpers import (ACCEPT_ALL_MANIFESTS, EMPTY_JSON, EMPTY_JSON_DIGEST, MT_DOCKER_CONFIG,
                        MT_DOCKER_LAYER, MT_DOCKER_MANIFEST, MT_DOCKER_SCHEMA1_SIGNED, MT_OCI_CONFIG,
                        MT_OCI_EMPTY, MT_OCI_INDEX, MT_OCI_LAYER_GZIP, MT_OCI_MANIFEST, assert_oci_error,
                        media_type, parse_link_next, raw_request, sha256_digest)

ZERO_DIGEST = "sha256:" + "0" * 64


def unknown_digest() -> str:
    return sha256_digest(uuid.uuid4().bytes)


def blob_data(n: int, seed: str = "") -> bytes:
    """n bytes, different for every seed."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def pretty(obj) -> bytes:
    """Deliberately non-canonical JSON (indent, key order, trailing newline):
    a registry that re-serialises instead of storing bytes will be caught."""
    return (json.dumps(obj, indent=3) + "\n").encode()


def image_manifest(config_desc: dict, layers: list[dict], **extra) -> bytes:
    m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST, "config": config_desc, "layers": layers}
    m.update(extra)
    return pretty(m)


def push_small_image(oci, repo, tag, seed="img", **extra):
    """Push a config + one layer + manifest; return (manifest bytes, digest)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed,
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = blob_data(3000, seed)
    cd = oci.push_blob(repo, config)
    ld = oci.push_blob(repo, layer)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)},
                          [{"mediaType": MT_OCI_LAYER_GZIP, "digest": ld, "size": len(layer)}], **extra)
    digest = oci.push_manifest(repo, tag, body)
    return body, digest


# ==========================================================================
# end-1: base


def test_base_endpoint(oci):
    r = oci.request("GET", "/v2/")
    assert r.status_code == 200
    assert r.headers.get("Docker-Distribution-API-Version") == "registry/2.0"


# ==========================================================================
# Blob uploads


@pytest.mark.berth_only  # Distribution 2.8 ignores ?digest= on POST and answers 202 (spec: MAY)
def test_blob_monolithic_single_post(oci, repo):
    data = blob_data(5000, "single-post")
    digest = sha256_digest(data)
    r = oci.request("POST", oci.with_query(oci.url(f"/v2/{repo}/blobs/uploads/"), digest=digest),
                    data=data, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == digest
    g = oci.request("GET", oci.abs_location(r))
    assert g.status_code == 200 and g.content == data


def test_blob_post_then_put(oci, repo):
    data = blob_data(10_000, "post-put")
    digest = sha256_digest(data)
    r = oci.start_upload(repo)
    assert r.status_code == 202, r.text
    loc = oci.abs_location(r)
    assert f"/v2/{repo}/blobs/uploads/" in loc
    assert r.headers.get("Docker-Upload-UUID"), dict(r.headers)
    if "Range" in r.headers:
        assert r.headers["Range"] in ("0-0", "bytes=0-0")
    p = oci.finish(loc, digest, data)
    assert p.status_code == 201, p.text
    assert p.headers.get("Docker-Content-Digest") == digest
    g = oci.request("GET", oci.abs_location(p))
    assert g.status_code == 200
    assert g.content == data


@pytest.mark.parametrize("final_chunk_in_put", [False, True], ids=["put-empty", "put-final-chunk"])
def test_blob_chunked_upload(oci, repo, final_chunk_in_put):
    data = blob_data(3 * 40_000 + 123, f"chunked-{final_chunk_in_put}")
    digest = sha256_digest(data)
    chunks = [data[0:40_000], data[40_000:80_000], data[80_000:120_000], data[120_000:]]
    loc = oci.begin(repo)
    offset = 0
    to_patch = chunks[:-1] if final_chunk_in_put else chunks
    for chunk in to_patch:
        r = oci.patch(loc, chunk, offset)
        assert r.status_code == 202, r.text
        offset += len(chunk)
        assert r.headers.get("Range") == f"0-{offset - 1}"
        loc = oci.abs_location(r)
        # end-5 status: 204 with the same Range
        s = oci.request("GET", loc)
        assert s.status_code == 204, s.text
        assert s.headers.get("Range") == f"0-{offset - 1}"
        assert s.headers.get("Location")
        assert s.content == b""
        loc = oci.abs_location(s)
    if final_chunk_in_put:
        r = oci.finish(loc, digest, chunks[-1], offset)
    else:
        r = oci.finish(loc, digest)
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == digest
    assert r.headers.get("Location")
    h = oci.head_blob(repo, digest)
    assert h.status_code == 200
    assert int(h.headers["Content-Length"]) == len(data)
    assert oci.get_blob(repo, digest).content == data


def test_blob_patch_without_content_range(oci, repo):
    # Streaming PATCH (what docker/containerd send): no Content-Range at all.
    data = blob_data(70_000, "stream-patch")
    loc = oci.begin(repo)
    r = oci.patch(loc, data[:50_000], None)
    assert r.status_code == 202, r.text
    assert r.headers.get("Range") == "0-49999"
    r = oci.patch(oci.abs_location(r), data[50_000:], None)
    assert r.status_code == 202, r.text
    assert r.headers.get("Range") == f"0-{len(data) - 1}"
    r = oci.finish(oci.abs_location(r), sha256_digest(data))
    assert r.status_code == 201, r.text
    assert oci.get_blob(repo, sha256_digest(data)).content == data


@pytest.mark.berth_only  # Distribution 2.8 ignores Content-Range on PATCH (416 came in v3)
def test_blob_chunk_out_of_order_is_416(oci, repo):
    data = blob_data(300, "ooo")
    loc = oci.begin(repo)
    r = oci.patch(loc, data[:100], 0)
    assert r.status_code == 202, r.text
    loc = oci.abs_location(r)
    # a gap: next chunk must start at 100
    r = oci.patch(loc, data[150:200], 150)
    assert r.status_code == 416, r.text
    assert r.headers.get("Range") == "0-99"  # where the upload stands
    # an overlap
    r = oci.patch(loc, data[50:150], 50)
    assert r.status_code == 416, r.text
    # The session survives a 416: the status still says 0-99 and the upload can go on.
    s = oci.request("GET", loc)
    assert s.status_code == 204
    assert s.headers.get("Range") == "0-99"
    r = oci.patch(oci.abs_location(s), data[100:], 100)
    assert r.status_code == 202, r.text
    r = oci.finish(oci.abs_location(r), sha256_digest(data))
    assert r.status_code == 201, r.text
    assert oci.get_blob(repo, sha256_digest(data)).content == data


@pytest.mark.berth_only  # Distribution 2.8 ignores Content-Range on PATCH (416 came in v3)
def test_blob_first_chunk_not_at_zero_is_416(oci, repo):
    loc = oci.begin(repo)
    r = oci.patch(loc, b"x" * 10, 5)
    assert r.status_code == 416, r.text


def test_blob_upload_cancel(oci, repo):
    loc = oci.begin(repo)
    r = oci.patch(loc, b"abc" * 100, 0)
    assert r.status_code == 202
    loc = oci.abs_location(r)
    d = oci.request("DELETE", loc)
    assert d.status_code == 204, d.text
    assert_oci_error(oci.request("GET", loc), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.patch(loc, b"more", 300), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.finish(loc, sha256_digest(b"abc" * 100)), 404, "BLOB_UPLOAD_UNKNOWN")
    assert oci.head_blob(repo, sha256_digest(b"abc" * 100)).status_code == 404


@pytest.mark.berth_only  # Distribution answers 400 BLOB_UPLOAD_INVALID when its _state token is missing
def test_blob_upload_unknown_session(oci, repo):
    oci.push_blob(repo, b"make the repo exist")
    bogus = oci.url(f"/v2/{repo}/blobs/uploads/{uuid.uuid4()}")
    assert_oci_error(oci.request("GET", bogus), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.patch(bogus, b"data", 0), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.finish(bogus, sha256_digest(b"data"), b"data"), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.request("DELETE", bogus), 404, "BLOB_UPLOAD_UNKNOWN")


@pytest.mark.berth_only  # Distribution answers 400 BLOB_UPLOAD_INVALID (state token names another repo)
def test_blob_upload_session_is_bound_to_its_repository(oci, repo):
    loc = oci.begin(repo)
    other = oci.url(f"/v2/{repo}-other/blobs/uploads/") + loc.rsplit("/blobs/uploads/", 1)[1]
    r = oci.request("GET", other)
    assert_oci_error(r, 404, ("BLOB_UPLOAD_UNKNOWN", "NAME_UNKNOWN"))


def test_blob_head_and_get(oci, repo):
    data = blob_data(12_345, "headget")
    digest = oci.push_blob(repo, data)
    h = oci.head_blob(repo, digest)
    assert h.status_code == 200
    assert int(h.headers["Content-Length"]) == len(data)
    assert h.headers.get("Docker-Content-Digest") == digest
    assert h.content == b""
    g = oci.get_blob(repo, digest)
    assert g.status_code == 200
    assert g.headers.get("Docker-Content-Digest") == digest
    assert int(g.headers["Content-Length"]) == len(data)
    assert g.content == data


def test_blob_get_range(oci, repo):
    data = blob_data(1000, "range")
    digest = oci.push_blob(repo, data)
    r = oci.get_blob(repo, digest, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206, r.text
    assert r.headers.get("Content-Range") == "bytes 10-19/1000"
    assert int(r.headers["Content-Length"]) == 10
    assert r.content == data[10:20]
    r = oci.get_blob(repo, digest, headers={"Range": "bytes=990-"})
    assert r.status_code == 206
    assert r.headers.get("Content-Range") == "bytes 990-999/1000"
    assert r.content == data[990:]
    r = oci.get_blob(repo, digest, headers={"Range": "bytes=5000-6000"})
    assert r.status_code == 416, r.text


def test_blob_unknown(oci, repo):
    oci.push_blob(repo, b"repo exists")
    d = unknown_digest()
    assert_oci_error(oci.get_blob(repo, d), 404, "BLOB_UNKNOWN")
    assert_oci_error(oci.head_blob(repo, d), 404, "BLOB_UNKNOWN")


def test_blob_visible_only_in_its_repository(oci, repo):
    digest = oci.push_blob(repo, blob_data(100, "isolated"))
    oci.push_blob(f"{repo}-b", b"other repo exists")
    assert oci.head_blob(repo, digest).status_code == 200
    assert_oci_error(oci.head_blob(f"{repo}-b", digest), 404, "BLOB_UNKNOWN")
    assert_oci_error(oci.get_blob(f"{repo}-b", digest), 404, "BLOB_UNKNOWN")


def test_blob_delete(oci, repo):
    data = blob_data(2000, "delete")
    digest = oci.push_blob(repo, data)
    d = oci.request("DELETE", f"/v2/{repo}/blobs/{digest}")
    assert d.status_code == 202, d.text
    assert_oci_error(oci.head_blob(repo, digest), 404, "BLOB_UNKNOWN")
    assert_oci_error(oci.get_blob(repo, digest), 404, "BLOB_UNKNOWN")
    assert_oci_error(oci.request("DELETE", f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    # pushing it again works
    assert oci.push_blob(repo, data) == digest
    assert oci.get_blob(repo, digest).content == data


@pytest.mark.parametrize("mode", ["monolithic", "chunked"])
def test_blob_put_wrong_digest(oci, repo, mode):
    data = blob_data(4096, f"wrong-{mode}")
    claimed = sha256_digest(data + b"!")
    loc = oci.begin(repo)
    if mode == "monolithic":
        r = oci.finish(loc, claimed, data)
    else:
        p = oci.patch(loc, data, 0)
        assert p.status_code == 202
        r = oci.finish(oci.abs_location(p), claimed)
    assert_oci_error(r, 400, "DIGEST_INVALID")
    # stored under neither the claimed nor the actual digest
    assert oci.head_blob(repo, claimed).status_code == 404
    assert oci.head_blob(repo, sha256_digest(data)).status_code == 404


@pytest.mark.parametrize("bad", ["sha256:1234", "sha256:" + "g" * 64, "nocolon", "sha256:" + "A" * 64],
                         ids=["short", "nonhex", "nocolon", "uppercase"])
def test_blob_put_invalid_digest_string(oci, repo, bad):
    loc = oci.begin(repo)
    r = oci.finish(loc, bad, b"payload")
    assert_oci_error(r, 400, "DIGEST_INVALID")


@pytest.mark.parametrize("bad", ["sha256:1234", "sha256:" + "z" * 64, "md5:d41d8cd98f00b204e9800998ecf8427e"])
def test_blob_get_invalid_digest_string(oci, repo, bad):
    oci.push_blob(repo, b"repo exists")
    assert_oci_error(oci.get_blob(repo, bad), 400, "DIGEST_INVALID")


def test_blob_mount_existing(oci, repo):
    data = blob_data(777, "mount")
    digest = oci.push_blob(repo, data)
    target = f"{repo}-dst"
    r = oci.start_upload(target, mount=digest, **{"from": repo})
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == digest
    assert oci.request("GET", oci.abs_location(r)).content == data
    assert oci.head_blob(target, digest).status_code == 200


def test_blob_mount_missing_falls_back_to_upload(oci, repo):
    present = oci.push_blob(repo, blob_data(50, "mount-src"))
    third = f"{repo}-third"
    oci.push_blob(third, b"a repository without that blob")
    data = blob_data(321, "mount-fallback")
    cases = [(sha256_digest(data), repo),          # blob not in the source repository
             (present, third),                     # source exists, but the blob is not linked there
             (present, f"{repo}-no-such-repo")]    # source repository does not exist
    for digest, src in cases:
        target = f"{repo}-dst-{cases.index((digest, src))}"
        r = oci.start_upload(target, mount=digest, **{"from": src})
        assert r.status_code == 202, (src, r.status_code, r.text)
        loc = oci.abs_location(r)
        assert oci.head_blob(target, digest).status_code == 404
        p = oci.finish(loc, sha256_digest(data), data)
        assert p.status_code == 201, p.text


# Runs on Distribution too: conftest gives it a fixed http.secret so its state tokens survive.
def test_upload_survives_restart(fresh_registry):
    oci = fresh_registry.oci()
    repo = "it/restart"
    data = blob_data(200_000, "restart")
    loc = oci.begin(repo)
    r = oci.patch(loc, data[:80_000], 0)
    assert r.status_code == 202, r.text
    loc = oci.abs_location(r)
    fresh_registry.restart()
    oci = fresh_registry.oci()  # new connections
    s = oci.request("GET", loc)
    assert s.status_code == 204, s.text
    assert s.headers.get("Range") == "0-79999"
    r = oci.patch(oci.abs_location(s), data[80_000:150_000], 80_000)
    assert r.status_code == 202, r.text
    assert r.headers.get("Range") == "0-149999"
    r = oci.finish(oci.abs_location(r), sha256_digest(data), data[150_000:], 150_000)
    assert r.status_code == 201, r.text
    assert oci.get_blob(repo, sha256_digest(data)).content == data


# ==========================================================================
# Manifests


def test_manifest_put_get_head(oci, repo):
    body, digest = push_small_image(oci, repo, "v1")
    assert digest == sha256_digest(body)
    r = oci.put_manifest(repo, "v1", body)  # idempotent re-put
    assert r.status_code == 201
    assert r.headers.get("Docker-Content-Digest") == digest
    loc = oci.abs_location(r)
    assert oci.request("GET", loc, headers={"Accept": ACCEPT_ALL_MANIFESTS}).content == body
    for ref in ("v1", digest):
        g = oci.get_manifest(repo, ref)
        assert g.status_code == 200, g.text
        assert media_type(g) == MT_OCI_MANIFEST
        assert g.headers.get("Docker-Content-Digest") == digest
        assert g.content == body
        h = oci.get_manifest(repo, ref, method="HEAD")
        assert h.status_code == 200
        assert media_type(h) == MT_OCI_MANIFEST
        assert h.headers.get("Docker-Content-Digest") == digest
        assert int(h.headers["Content-Length"]) == len(body)
        assert h.content == b""


def test_manifest_put_by_digest(oci, repo):
    config = b'{"architecture":"amd64","os":"linux"}'
    cd = oci.push_blob(repo, config)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)}, [])
    digest = sha256_digest(body)
    r = oci.put_manifest(repo, digest, body)
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == digest
    assert oci.get_manifest(repo, digest).content == body


def test_manifest_put_by_digest_mismatch(oci, repo):
    config = b'{"architecture":"amd64","os":"linux","x":1}'
    cd = oci.push_blob(repo, config)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)}, [])
    wrong = sha256_digest(body + b" ")
    assert_oci_error(oci.put_manifest(repo, wrong, body), 400, "DIGEST_INVALID")
    assert oci.get_manifest(repo, wrong).status_code == 404
    assert oci.get_manifest(repo, sha256_digest(body)).status_code == 404


def test_manifest_tag_moves(oci, repo):
    b1, d1 = push_small_image(oci, repo, "moving", seed="one")
    b2, d2 = push_small_image(oci, repo, "moving", seed="two")
    g = oci.get_manifest(repo, "moving")
    assert g.headers.get("Docker-Content-Digest") == d2 and g.content == b2
    assert oci.get_manifest(repo, d1).content == b1  # old manifest still there by digest


@pytest.mark.parametrize("missing", ["layer", "config"])
def test_manifest_missing_blob(oci, repo, missing):
    config = b'{"architecture":"amd64","os":"linux"}'
    layer = blob_data(100, "present-layer")
    cd = sha256_digest(config) if missing == "config" else oci.push_blob(repo, config)
    ld = sha256_digest(layer + b"missing") if missing == "layer" else oci.push_blob(repo, layer)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)},
                          [{"mediaType": MT_OCI_LAYER_GZIP, "digest": ld, "size": len(layer)}])
    assert_oci_error(oci.put_manifest(repo, "broken", body), 400, "MANIFEST_BLOB_UNKNOWN")
    assert oci.get_manifest(repo, "broken").status_code == 404


def test_manifest_blob_in_other_repository_is_unknown(oci, repo):
    # A blob pushed to another repository is not linked here: referencing it is an error.
    layer = blob_data(100, "elsewhere")
    ld = oci.push_blob(f"{repo}-other", layer)
    config = b'{"architecture":"amd64","os":"linux"}'
    cd = oci.push_blob(repo, config)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)},
                          [{"mediaType": MT_OCI_LAYER_GZIP, "digest": ld, "size": len(layer)}])
    assert_oci_error(oci.put_manifest(repo, "t", body), 400, "MANIFEST_BLOB_UNKNOWN")


def test_index_put_get(oci, repo):
    children = []
    for i, plat in enumerate(["linux/amd64", "linux/arm64"]):
        img = mti.build_image(100 + i, [512], plat)
        for b in img.blobs:
            oci.push_blob(repo, b.data)
        oci.push_manifest(repo, img.manifest.digest, img.manifest.data)
        children.append(img.manifest.descriptor(platform=img.platform))
    body = pretty({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": children})
    digest = oci.push_manifest(repo, "multi", body, MT_OCI_INDEX)
    g = oci.get_manifest(repo, "multi")
    assert g.status_code == 200
    assert media_type(g) == MT_OCI_INDEX
    assert g.headers.get("Docker-Content-Digest") == digest
    assert g.content == body


def test_index_missing_child(oci, repo):
    oci.push_blob(repo, b"repo exists")
    body = pretty({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [
        {"mediaType": MT_OCI_MANIFEST, "digest": unknown_digest(), "size": 500,
         "platform": {"os": "linux", "architecture": "amd64"}}]})
    assert_oci_error(oci.put_manifest(repo, "idx", body, MT_OCI_INDEX), 400, "MANIFEST_BLOB_UNKNOWN")


def test_docker_schema2_manifest_roundtrip(oci, repo):
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = blob_data(999, "docker-layer")
    cd = oci.push_blob(repo, config)
    ld = oci.push_blob(repo, layer)
    body = pretty({"schemaVersion": 2, "mediaType": MT_DOCKER_MANIFEST,
                   "config": {"mediaType": MT_DOCKER_CONFIG, "digest": cd, "size": len(config)},
                   "layers": [{"mediaType": MT_DOCKER_LAYER, "digest": ld, "size": len(layer)}]})
    digest = oci.push_manifest(repo, "docker", body, MT_DOCKER_MANIFEST)
    g = oci.get_manifest(repo, "docker")
    assert g.status_code == 200
    assert media_type(g) == MT_DOCKER_MANIFEST
    assert g.headers.get("Docker-Content-Digest") == digest
    assert g.content == body


def test_manifest_schema1_rejected(oci, repo):
    oci.push_blob(repo, b"repo exists")
    body = pretty({"schemaVersion": 1, "name": repo, "tag": "old", "architecture": "amd64",
                   "fsLayers": [{"blobSum": EMPTY_JSON_DIGEST}],
                   "history": [{"v1Compatibility": "{}"}],
                   "signatures": []})
    for mt in (MT_DOCKER_SCHEMA1_SIGNED, "application/vnd.docker.distribution.manifest.v1+json"):
        assert_oci_error(oci.put_manifest(repo, "old", body, mt), 400, "MANIFEST_INVALID")


def test_manifest_malformed_json(oci, repo):
    oci.push_blob(repo, b"repo exists")
    for body in (b'{"schemaVersion": 2, "mediaType": ', b"not json at all", b""):
        assert_oci_error(oci.put_manifest(repo, "bad", body), 400, "MANIFEST_INVALID")
    assert oci.get_manifest(repo, "bad").status_code == 404


@pytest.mark.berth_only  # Distribution 2.8 answers DIGEST_INVALID/MANIFEST_BLOB_UNKNOWN, not MANIFEST_INVALID
def test_manifest_structurally_invalid(oci, repo):
    config = b'{"architecture":"amd64","os":"linux"}'
    cd = oci.push_blob(repo, config)
    cases = [
        {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST, "config": {"mediaType": MT_OCI_CONFIG}, "layers": []},
        {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
         "config": {"mediaType": MT_OCI_CONFIG, "digest": "sha256:nothex", "size": len(config)}, "layers": []},
        {"schemaVersion": 3, "mediaType": MT_OCI_MANIFEST,
         "config": {"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)}, "layers": []},
    ]
    for m in cases:
        assert_oci_error(oci.put_manifest(repo, "bad", pretty(m)), 400, "MANIFEST_INVALID")


def test_manifest_too_large(registry, oci, repo):
    config = b'{"architecture":"amd64","os":"linux"}'
    cd = oci.push_blob(repo, config)
    body = image_manifest({"mediaType": MT_OCI_CONFIG, "digest": cd, "size": len(config)}, [],
                          annotations={"pad": "x" * (4 * 1024 * 1024 + 1)})
    assert len(body) > 4 * 1024 * 1024
    r = raw_request("127.0.0.1", registry.port, "PUT", f"/v2/{repo}/manifests/huge", body,
                    {"Content-Type": MT_OCI_MANIFEST})
    assert r.status in (400, 413), (r.status, r.body[:300])
    assert r.headers.get("content-type", "").split(";")[0] == "application/json"
    codes = {e["code"] for e in r.json()["errors"]}
    assert codes <= {"MANIFEST_INVALID", "SIZE_INVALID"} and codes, codes
    assert oci.get_manifest(repo, "huge").status_code == 404


def test_manifest_unknown(oci, repo):
    push_small_image(oci, repo, "exists")
    for ref in ("nope", unknown_digest()):
        assert_oci_error(oci.get_manifest(repo, ref), 404, "MANIFEST_UNKNOWN")
        assert_oci_error(oci.get_manifest(repo, ref, method="HEAD"), 404, "MANIFEST_UNKNOWN")
    r = oci.get_manifest(f"{repo}-never-pushed", "latest")
    assert_oci_error(r, 404, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))


def test_manifest_delete_by_digest(oci, repo):
    body, digest = push_small_image(oci, repo, "t1")
    oci.push_manifest(repo, "t2", body)
    keep_body, keep_digest = push_small_image(oci, repo, "keep", seed="keep")
    d = oci.request("DELETE", f"/v2/{repo}/manifests/{digest}")
    assert d.status_code == 202, d.text
    assert_oci_error(oci.get_manifest(repo, digest), 404, "MANIFEST_UNKNOWN")
    assert_oci_error(oci.get_manifest(repo, "t1"), 404, "MANIFEST_UNKNOWN")
    assert_oci_error(oci.get_manifest(repo, "t2"), 404, "MANIFEST_UNKNOWN")
    tags = oci.tags(repo)
    assert tags.status_code == 200
    assert tags.json()["tags"] == ["keep"]
    assert oci.get_manifest(repo, "keep").content == keep_body
    assert_oci_error(oci.request("DELETE", f"/v2/{repo}/manifests/{digest}"), 404, "MANIFEST_UNKNOWN")


@pytest.mark.berth_only  # Distribution 2.8 refuses tag deletion (400 DIGEST_INVALID); OCI 1.1 allows it
def test_manifest_delete_by_tag(oci, repo):
    body, digest = push_small_image(oci, repo, "t1")
    oci.push_manifest(repo, "t2", body)
    d = oci.request("DELETE", f"/v2/{repo}/manifests/t1")
    assert d.status_code == 202, d.text
    assert_oci_error(oci.get_manifest(repo, "t1"), 404, "MANIFEST_UNKNOWN")
    assert oci.get_manifest(repo, "t2").content == body
    assert oci.get_manifest(repo, digest).content == body
    assert oci.tags(repo).json()["tags"] == ["t2"]
    assert_oci_error(oci.request("DELETE", f"/v2/{repo}/manifests/t1"), 404, "MANIFEST_UNKNOWN")


def test_artifact_manifest_roundtrip(oci, repo):
    cfg_type = "application/vnd.berth.test.config.v1+json"
    config = b'{"tool":"berth-it","version":3}'
    payload = blob_data(2222, "artifact")
    cd = oci.push_blob(repo, config)
    pd = oci.push_blob(repo, payload)
    body = pretty({
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "artifactType": "application/vnd.berth.test.artifact.v1",
        "config": {"mediaType": cfg_type, "digest": cd, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.berth.test.payload.v1.tar", "digest": pd,
                    "size": len(payload), "annotations": {"org.opencontainers.image.title": "payload.tar"}}],
        "annotations": {"org.example.key": "value \u00e9\u00e8 \u2603"},
    })
    digest = oci.push_manifest(repo, "artifact", body)
    for ref in ("artifact", digest):
        g = oci.get_manifest(repo, ref)
        assert g.status_code == 200
        assert media_type(g) == MT_OCI_MANIFEST
        assert g.content == body
    assert oci.get_blob(repo, cd).content == config


def test_artifact_with_empty_config(oci, repo):
    ed = oci.push_blob(repo, EMPTY_JSON)
    assert ed == EMPTY_JSON_DIGEST
    payload = b"hello artifact"
    pd = oci.push_blob(repo, payload)
    body = pretty({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                   "artifactType": "application/vnd.berth.test.note.v1",
                   "config": {"mediaType": MT_OCI_EMPTY, "digest": ed, "size": 2, "data": "e30="},
                   "layers": [{"mediaType": "text/plain", "digest": pd, "size": len(payload)}]})
    oci.push_manifest(repo, "note", body)
    assert oci.get_manifest(repo, "note").content == body


@pytest.mark.berth_only  # berth's choice (spec leaves it open); Distribution 404s OCI manifests without an OCI Accept
def test_manifest_accept_negotiation(registry, oci, repo):
    body, digest = push_small_image(oci, repo, "neg")
    ok = [None, "*/*", MT_OCI_MANIFEST, f"{MT_DOCKER_MANIFEST}, {MT_OCI_MANIFEST}",
          f"{MT_OCI_MANIFEST};q=0.5", "application/*"]
    for accept in ok:
        g = oci.get_manifest(repo, "neg", accept=accept)
        assert g.status_code == 200, (accept, g.status_code, g.text)
        assert media_type(g) == MT_OCI_MANIFEST
        assert g.content == body
    for accept in (MT_DOCKER_MANIFEST, f"{MT_DOCKER_MANIFEST}, {MT_OCI_INDEX}"):
        for ref in ("neg", digest):
            assert_oci_error(oci.get_manifest(repo, ref, accept=accept), 404, "MANIFEST_UNKNOWN")
    # Accept given as several header lines
    r = raw_request("127.0.0.1", registry.port, "GET", f"/v2/{repo}/manifests/neg",
                    headers=[("Accept", MT_DOCKER_MANIFEST), ("Accept", MT_OCI_MANIFEST)])
    assert r.status == 200 and r.body == body


# ==========================================================================
# Tags


@pytest.mark.berth_only  # Distribution 2.8 returns tags in storage order, not lexical order
def test_tags_list(oci, repo):
    body, _ = push_small_image(oci, repo, "latest")
    for t in ("b", "a", "1.0", "c-rc_1", "Z-upper"):
        oci.push_manifest(repo, t, body)
    r = oci.tags(repo)
    assert r.status_code == 200
    assert media_type(r) == "application/json"
    got = r.json()
    assert got["name"] == repo
    assert sorted(got["tags"]) == sorted(["latest", "b", "a", "1.0", "c-rc_1", "Z-upper"])
    lower = [t for t in got["tags"] if t != "Z-upper"]
    assert lower == sorted(lower)  # lexical order (case handling left to the registry)
    assert "Link" not in r.headers


@pytest.mark.berth_only  # Distribution 2.8 ignores n/last on tags/list
def test_tags_pagination(oci, repo):
    body, _ = push_small_image(oci, repo, "a")
    tags = ["a", "b", "c", "d", "e"]
    for t in tags[1:]:
        oci.push_manifest(repo, t, body)
    r = oci.tags(repo, n=2)
    assert r.status_code == 200
    assert r.json() == {"name": repo, "tags": ["a", "b"]}
    nxt = parse_link_next(r)
    assert nxt is not None, "no Link header on a partial page"
    path, query = nxt
    assert path == f"/v2/{repo}/tags/list"
    assert query == {"n": "2", "last": "b"}
    r = oci.tags(repo, n=2, last="b")
    assert r.json()["tags"] == ["c", "d"]
    assert parse_link_next(r) == (f"/v2/{repo}/tags/list", {"n": "2", "last": "d"})
    r = oci.tags(repo, n=2, last="d")
    assert r.json()["tags"] == ["e"]
    assert "Link" not in r.headers
    r = oci.tags(repo, last="c")
    assert r.json()["tags"] == ["d", "e"]
    # `last` need not be an existing tag: the listing continues after it lexically
    r = oci.tags(repo, n=10, last="bb")
    assert r.json()["tags"] == ["c", "d", "e"]


@pytest.mark.berth_only  # Distribution 2.8 treats n=0 as "no limit"; the spec says empty list, no Link
def test_tags_pagination_n_zero(oci, repo):
    push_small_image(oci, repo, "a")
    r = oci.tags(repo, n=0)
    assert r.status_code == 200
    assert r.json()["tags"] == []
    assert "Link" not in r.headers


def test_tags_unknown_repository(oci, repo):
    assert_oci_error(oci.tags(f"{repo}-missing"), 404, "NAME_UNKNOWN")


# ==========================================================================
# Catalog


def test_catalog(oci, repo):
    prefix = f"catalog-{uuid.uuid4().hex[:12]}"
    names = [f"{prefix}/r{i}" for i in range(1, 4)]
    for n in names:
        oci.push_blob(n, b"x")  # a pushed blob is enough to create a repository
        push_small_image(oci, n, "t")
    r = oci.request("GET", "/v2/_catalog")
    assert r.status_code == 200
    repos = r.json()["repositories"]
    assert set(names) <= set(repos)
    assert repos == sorted(repos)
    r = oci.request("GET", "/v2/_catalog", params={"n": 2, "last": prefix})
    assert r.status_code == 200
    assert r.json()["repositories"] == names[:2]
    nxt = parse_link_next(r)
    assert nxt is not None
    assert nxt[0] == "/v2/_catalog"
    assert nxt[1] == {"n": "2", "last": names[1]}
    r = oci.request("GET", "/v2/_catalog", params=nxt[1])
    assert r.json()["repositories"][0] == names[2]


# ==========================================================================
# Referrers (OCI 1.1)


def _push_referrer(oci, repo, subject_desc, artifact_type, note, with_type_field=True):
    cfg = EMPTY_JSON
    oci.push_blob(repo, cfg)
    payload = note.encode()
    pd = oci.push_blob(repo, payload)
    m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
         "config": {"mediaType": MT_OCI_EMPTY if with_type_field else artifact_type,
                    "digest": EMPTY_JSON_DIGEST, "size": 2},
         "layers": [{"mediaType": "text/plain", "digest": pd, "size": len(payload)}],
         "subject": subject_desc,
         "annotations": {"org.example.note": note}}
    if with_type_field:
        m["artifactType"] = artifact_type
    body = pretty(m)
    r = oci.put_manifest(repo, sha256_digest(body), body)
    assert r.status_code == 201, r.text
    return body, sha256_digest(body), r


@pytest.mark.berth_only  # Distribution 2.8 predates the referrers API
def test_referrers(oci, repo):
    body, digest = push_small_image(oci, repo, "subject")
    subject = {"mediaType": MT_OCI_MANIFEST, "digest": digest, "size": len(body)}
    type_a = "application/vnd.berth.test.sbom.v1"
    type_b = "application/vnd.berth.test.signature.v1"
    type_c = "application/vnd.berth.test.legacy.v1"
    a_body, a_digest, ra = _push_referrer(oci, repo, subject, type_a, "sbom")
    assert ra.headers.get("OCI-Subject") == digest
    b_body, b_digest, rb = _push_referrer(oci, repo, subject, type_b, "sig")
    assert rb.headers.get("OCI-Subject") == digest
    # no artifactType field: the config media type stands in for it
    c_body, c_digest, _ = _push_referrer(oci, repo, subject, type_c, "legacy", with_type_field=False)

    r = oci.request("GET", f"/v2/{repo}/referrers/{digest}")
    assert r.status_code == 200, r.text
    assert media_type(r) == MT_OCI_INDEX
    idx = r.json()
    assert idx["schemaVersion"] == 2
    assert idx["mediaType"] == MT_OCI_INDEX
    by_digest = {d["digest"]: d for d in idx["manifests"]}
    assert set(by_digest) == {a_digest, b_digest, c_digest}
    for d_, b_, t_, note in ((a_digest, a_body, type_a, "sbom"), (b_digest, b_body, type_b, "sig"),
                             (c_digest, c_body, type_c, "legacy")):
        desc = by_digest[d_]
        assert desc["mediaType"] == MT_OCI_MANIFEST
        assert desc["size"] == len(b_)
        assert desc["artifactType"] == t_
        assert desc["annotations"] == {"org.example.note": note}
    assert "OCI-Filters-Applied" not in r.headers

    r = oci.request("GET", f"/v2/{repo}/referrers/{digest}", params={"artifactType": type_a})
    assert r.status_code == 200
    assert r.headers.get("OCI-Filters-Applied") == "artifactType"
    assert [d["digest"] for d in r.json()["manifests"]] == [a_digest]

    # deleting a referrer removes it from the list
    assert oci.request("DELETE", f"/v2/{repo}/manifests/{b_digest}").status_code == 202
    r = oci.request("GET", f"/v2/{repo}/referrers/{digest}")
    assert {d["digest"] for d in r.json()["manifests"]} == {a_digest, c_digest}


@pytest.mark.berth_only  # Distribution 2.8 predates the referrers API
def test_referrers_unknown_subject(oci, repo):
    push_small_image(oci, repo, "x")
    r = oci.request("GET", f"/v2/{repo}/referrers/{unknown_digest()}")
    assert r.status_code == 200, r.text
    assert media_type(r) == MT_OCI_INDEX
    assert r.json() == {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": []}
    assert_oci_error(oci.request("GET", f"/v2/{repo}/referrers/sha256:abc"), 400, "DIGEST_INVALID")


@pytest.mark.berth_only  # Distribution 2.8 predates the referrers API
def test_referrer_pushed_before_subject(oci, repo):
    subject_digest = unknown_digest()
    subject = {"mediaType": MT_OCI_MANIFEST, "digest": subject_digest, "size": 1234}
    _, ref_digest, r = _push_referrer(oci, repo, subject, "application/vnd.berth.early.v1", "early")
    assert r.headers.get("OCI-Subject") == subject_digest
    r = oci.request("GET", f"/v2/{repo}/referrers/{subject_digest}")
    assert [d["digest"] for d in r.json()["manifests"]] == [ref_digest]


# ==========================================================================
# Names, tags and path safety


INVALID_NAMES = ["Upper/case", "a//b", "a" * 257, "-leading", "trailing-/x", "a..b", "a/", "ns/UP"]


@pytest.mark.berth_only  # Distribution answers 202/301/plain-text 404 for these, never NAME_INVALID
@pytest.mark.parametrize("name", INVALID_NAMES, ids=lambda n: n if len(n) < 20 else f"len{len(n)}")
def test_invalid_repository_name(oci, name):
    assert_oci_error(oci.start_upload(name), 400, "NAME_INVALID")
    assert_oci_error(oci.tags(name), 400, "NAME_INVALID")
    assert_oci_error(oci.put_manifest(name, "latest", b"{}"), 400, "NAME_INVALID")
    assert_oci_error(oci.get_manifest(name, "latest"), 400, "NAME_INVALID")
    assert_oci_error(oci.get_blob(name, ZERO_DIGEST), 400, "NAME_INVALID")


def test_long_valid_repository_name(oci):
    name = "it/" + "/".join(["abcdefghij" * 3] * 6)  # 188 chars, six components
    push_small_image(oci, name, "v1")
    assert oci.tags(name).json() == {"name": name, "tags": ["v1"]}


@pytest.mark.berth_only  # Distribution's router gives a plain-text 404 for a reference that is neither tag nor digest
@pytest.mark.parametrize("tag", ["-bad", ".dot", "a" * 129, "bad+tag", "sp%20ace"],
                         ids=["dash", "dot", "len129", "plus", "space"])
def test_invalid_tag(oci, repo, tag):
    body, _ = push_small_image(oci, repo, "good")
    assert_oci_error(oci.put_manifest(repo, tag, body), 400, "TAG_INVALID")


def test_tag_max_length_ok(oci, repo):
    body, _ = push_small_image(oci, repo, "good")
    tag = "t" + "a" * 127  # 128 characters, the maximum
    oci.push_manifest(repo, tag, body)
    assert oci.get_manifest(repo, tag).content == body


def _snapshot(root, exclude):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in exclude]
        for f in filenames:
            p = os.path.join(dirpath, f)
            if p in exclude:
                continue
            st = os.lstat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
        for d in dirnames:
            out[os.path.join(dirpath, d)] = "dir"
    return out


def _traversal_attempts(repo: str, marker: str):
    """(method, verbatim request target, body, extra acceptable statuses)."""
    body = b"traversal payload"
    bd = sha256_digest(body)
    hexd = bd.split(":")[1]
    return [
        ("GET", f"/v2/../../etc/passwd/blobs/{bd}", b"", ()),
        ("GET", f"/v2/%2e%2e/%2e%2e/etc/passwd/blobs/{bd}", b"", ()),
        ("GET", f"/v2/{repo}/blobs/sha256:../../../../etc/passwd", b"", ()),
        ("GET", f"/v2/{repo}/blobs/sha256:..%2f..%2f..%2f..%2fetc%2fpasswd", b"", ()),
        ("POST", f"/v2/{repo}/blobs/uploads/?digest=sha256:../../../{marker}", body, ()),
        ("POST", f"/v2/%2e%2e/%2e%2e/{marker}/blobs/uploads/?digest={bd}", body, ()),
        # spec: a mount that cannot be done falls back to a new session (202)
        ("POST", f"/v2/{repo}/blobs/uploads/?mount=sha256:../../{marker}&from=../../..", b"", (202,)),
        ("PUT", f"/v2/{repo}/manifests/..%2f..%2f{marker}", b"{}", ()),
        ("PUT", f"/v2/{repo}%2f..%2f..%2f..%2f{marker}/manifests/latest", b"{}", ()),
        ("PATCH", f"/v2/{repo}/blobs/uploads/..%2f..%2f..%2f{marker}", body, ()),
        ("PUT", f"/v2/{repo}/blobs/uploads/%2e%2e%2f%2e%2e%2f{marker}?digest={bd}", body, ()),
        ("GET", f"/v2/{repo}/blobs/uploads/..%2f..%2f..%2fcanary", b"", ()),
        ("DELETE", f"/v2/{repo}/blobs/uploads/..%2f..%2f..%2fcanary", b"", ()),
        ("DELETE", f"/v2/{repo}/blobs/sha256:..%2f..%2f..%2fcanary%2fkeep.txt", b"", ()),
        ("GET", f"/v2/{repo}/manifests/sha256:..%2f..%2f..%2f..%2fetc%2fpasswd", b"", ()),
        ("GET", f"/v2/{repo}/referrers/sha256:..%2f..%2f{hexd}", b"", ()),
        ("GET", f"/v2/{repo}/tags/list?last=..%2f..%2f..%2f..%2fetc", b"", (200,)),
    ]


def _run_traversal(registry, oci, repo):
    """Fire every attempt; check the server stayed up, leaked nothing and
    changed nothing outside its data dir. Returns [(attempt, response)]."""
    oci.push_blob(repo, b"repo exists")
    marker = f"escape{uuid.uuid4().hex[:10]}"
    canary = registry.root / "canary"
    canary.mkdir(exist_ok=True)
    (canary / "keep.txt").write_text("do not touch")
    exclude = {str(registry.data_dir), str(registry.log_path)}
    before = _snapshot(str(registry.root), exclude)
    results = []
    for attempt in _traversal_attempts(repo, marker):
        method, target, payload, _ = attempt
        r = raw_request("127.0.0.1", registry.port, method, target, payload,
                        {"Content-Type": "application/octet-stream"})
        results.append((attempt, r))
    leaks = [(a[0], a[1], r.status) for a, r in results if r.status >= 500 or b"root:" in r.body]
    assert not leaks, leaks
    assert registry.alive()
    assert _snapshot(str(registry.root), exclude) == before
    assert (canary / "keep.txt").read_text() == "do not touch"
    # nothing named after the marker appeared anywhere near the data dir
    for base in (registry.root, registry.root.parent, registry.root.parent.parent):
        for dirpath, dirnames, filenames in os.walk(base):
            if dirpath.startswith(str(registry.data_dir)):
                continue
            assert not [n for n in dirnames + filenames if marker in n], dirpath
    # and nothing inside the data dir either (the digest/uuid/tag never became a path)
    for dirpath, dirnames, filenames in os.walk(registry.data_dir):
        assert not [n for n in dirnames + filenames if marker in n], dirpath
    return results


def test_path_traversal_touches_nothing(registry, oci, repo):
    _run_traversal(registry, oci, repo)


@pytest.mark.berth_only  # Distribution cleans the path and answers 301 to the cleaned URL
def test_path_traversal_rejected_with_4xx(registry, oci, repo):
    results = _run_traversal(registry, oci, repo)
    bad = [(a[0], a[1], r.status) for a, r in results
           if not (400 <= r.status < 500 or r.status in a[3])]
    assert not bad, bad
    for a, r in results:
        if 400 <= r.status < 500 and a[0] != "HEAD":
            assert r.headers.get("content-type", "").split(";")[0] == "application/json", (a, r.body[:200])
            assert r.json()["errors"], (a, r.body[:200])


# ==========================================================================
# Error bodies


def test_error_bodies_are_oci_json(oci, repo):
    # Spot-check a spread of endpoints for the exact error envelope.
    oci.push_blob(repo, b"repo exists")
    assert_oci_error(oci.get_blob(repo, unknown_digest()), 404, "BLOB_UNKNOWN")
    assert_oci_error(oci.get_manifest(repo, "nope"), 404, "MANIFEST_UNKNOWN")
    assert_oci_error(oci.tags(f"{repo}-nope"), 404, "NAME_UNKNOWN")
    loc = oci.begin(repo)
    assert oci.request("DELETE", loc).status_code == 204
    assert_oci_error(oci.request("GET", loc), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_oci_error(oci.put_manifest(repo, "x", b"{"), 400, "MANIFEST_INVALID")
