"""ECR API workloads, SigV4-signed with botocore's own signer, run against
berth (--auth sigv4, verifying every signature) and moto_server.

Requests are signed before the clock starts. Read-only operations replay one
signed request through wrk (16 connections; SigV4 does not forbid replay
within the clock-skew window), so the client costs almost nothing. PutImage
and BatchDeleteImage change state, so every request is distinct: they are
signed in advance and sent by the asyncio keep-alive client.
"""

import asyncio
import base64
import json
import os

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from . import httpc, oci, tools
from .procs import Meter

HOST = "127.0.0.1"
ACCESS_KEY = "AKIABERTHBENCH000001"
SECRET_KEY = "berth-bench-secret-key-0123456789abcdefgh"
ACCOUNT = "123456789012"
REGION = "us-east-1"
TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."


def write_credentials(path):
    with open(path, "w") as f:
        f.write(f"{ACCESS_KEY} {SECRET_KEY} {ACCOUNT}\n")
    os.chmod(path, 0o600)


class Signer:
    def __init__(self, port):
        self.port = port
        self.creds = Credentials(ACCESS_KEY, SECRET_KEY)
        self.auth = SigV4Auth(self.creds, "ecr", REGION)

    def sign(self, operation, params):
        """-> (headers dict, body bytes) ready to send to 127.0.0.1:port /."""
        body = json.dumps(params, separators=(",", ":")).encode()
        req = AWSRequest(method="POST", url=f"http://{HOST}:{self.port}/", data=body,
                         headers={"X-Amz-Target": TARGET_PREFIX + operation,
                                  "Content-Type": "application/x-amz-json-1.1"})
        self.auth.add_auth(req)
        headers = {k: v for k, v in req.headers.items()}
        headers["Host"] = f"{HOST}:{self.port}"
        return headers, body


def call(signer, operation, params):
    h, b = signer.sign(operation, params)
    r = httpc.request_once(HOST, signer.port, "POST", "/", h, b)
    try:
        payload = json.loads(r.body) if r.body else {}
    except ValueError:
        payload = {"raw": r.body[:300]}
    return r.status, payload


def must_call(signer, operation, params):
    status, payload = call(signer, operation, params)
    if status != 200:
        raise RuntimeError(f"{operation}: {status} {str(payload)[:300]}")
    return payload


def probe(server):
    """None when the server answers the ECR operations the workloads need,
    else the reason to skip."""
    s = Signer(server.port)
    try:
        status, payload = call(s, "GetAuthorizationToken", {})
    except Exception as e:  # noqa: BLE001
        return f"GetAuthorizationToken failed: {e!r}"
    if status != 200:
        return f"GetAuthorizationToken: HTTP {status} {str(payload)[:200]}"
    status, payload = call(s, "DescribeRepositories", {})
    if status != 200:
        return f"DescribeRepositories: HTTP {status} {str(payload)[:200]}"
    return None


def _basic_auth(signer):
    tok = must_call(signer, "GetAuthorizationToken", {})["authorizationData"][0]
    return "Basic " + tok["authorizationToken"]


def setup(server, images, layers):
    """Repository `ecr-bench/ro` with `images` tagged images (distinct manifests
    sharing one config and one layer) and `layers` extra layer blobs. On berth
    the blobs are pushed over /v2/ first (PutImage validates references
    strictly); moto stores any manifest."""
    s = Signer(server.port)
    repo = "ecr-bench/ro"
    must_call(s, "CreateRepository", {"repositoryName": repo})
    config = oci.config_blob("ecr")
    layer = os.urandom(4096)
    extra = [os.urandom(512) for _ in range(layers)]
    if server.name.startswith("berth"):
        auth = _basic_auth(s)

        async def push():
            c = httpc.Conn(HOST, server.port)
            try:
                for b in [config, layer] + extra:
                    oci.must(await oci.push_blob(c, repo, b, auth=auth))
            finally:
                c.close()
        asyncio.run(push())
    manifests = [oci.make_manifest(config, [layer], {"i": str(i)}) for i in range(images)]
    reqs = [s.sign("PutImage", {"repositoryName": repo, "imageManifest": m.decode(),
                                "imageManifestMediaType": oci.MANIFEST_TYPE,
                                "imageTag": f"v{i}"})
            for i, m in enumerate(manifests)]
    _send_all(server, reqs, 4, expect=200)
    return {"repo": repo, "config": config, "layer": layer,
            "digests": [oci.sha256(m) for m in manifests],
            "layer_digests": [oci.sha256(b) for b in [layer, config] + extra][:layers]}


def _send_all(server, reqs, concurrency, expect=200):
    def op(h, b):
        async def run(conn):
            r = await conn.request("POST", "/", h, b)
            if r.status != expect:
                return f"{h.get('X-Amz-Target')}: {r.status} {r.body[:200]!r}"
            return True
        return run
    wall, lat, failures = httpc.run_ops(HOST, server.port, [op(h, b) for h, b in reqs], concurrency)
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(reqs)} failed; first: {failures[0]}")
    return wall, lat


def _replay(server, operation, params, seconds, conns):
    s = Signer(server.port)
    headers, body = s.sign(operation, params)
    status, payload = call(s, operation, params)  # correctness check, untimed
    if status != 200:
        return {"skipped": f"{operation}: HTTP {status} {str(payload)[:200]}"}
    with Meter(server) as m:
        r = tools.wrk(server.base + "/", seconds, conns, method="POST", headers=headers,
                      body=body.decode())
    return oci._rate(r, m) | {"check": _summarise(operation, payload)}


def _summarise(operation, payload):
    parts = [f"{key}={len(payload[key])}"
             for key in ("images", "layers", "imageDetails", "imageIds", "failures")
             if isinstance(payload.get(key), list)]
    return " ".join(parts) or "ok"


def get_authorization_token(server, ctx, seconds, conns):
    return _replay(server, "GetAuthorizationToken", {}, seconds, conns)


def batch_get_image(server, ctx, seconds, conns, n):
    # By tag: moto derives an image's digest from its layer digests, not from
    # the manifest bytes, so digests are not portable between the two.
    ids = [{"imageTag": f"v{i}"} for i in range(n)]
    return _replay(server, "BatchGetImage",
                   {"repositoryName": ctx["repo"], "imageIds": ids,
                    "acceptedMediaTypes": [oci.MANIFEST_TYPE]}, seconds, conns)


def batch_check_layer_availability(server, ctx, seconds, conns):
    return _replay(server, "BatchCheckLayerAvailability",
                   {"repositoryName": ctx["repo"], "layerDigests": ctx["layer_digests"]},
                   seconds, conns)


def describe_images(server, ctx, seconds, conns):
    return _replay(server, "DescribeImages",
                   {"repositoryName": ctx["repo"], "maxResults": 100}, seconds, conns)


def put_image(server, ctx, rnd, count, concurrency):
    """`count` PutImage calls of distinct manifests into a fresh repository."""
    s = Signer(server.port)
    repo = f"ecr-bench/put-r{rnd}"
    must_call(s, "CreateRepository", {"repositoryName": repo})
    if server.name.startswith("berth"):
        auth = _basic_auth(s)

        async def push():
            c = httpc.Conn(HOST, server.port)
            try:
                for b in (ctx["config"], ctx["layer"]):
                    oci.must(await oci.push_blob(c, repo, b, auth=auth))
            finally:
                c.close()
        asyncio.run(push())
    reqs = []
    for i in range(count):
        m = oci.make_manifest(ctx["config"], [ctx["layer"]], {"r": str(rnd), "i": str(i)})
        reqs.append(s.sign("PutImage", {"repositoryName": repo, "imageManifest": m.decode(),
                                        "imageManifestMediaType": oci.MANIFEST_TYPE,
                                        "imageTag": f"p{i}"}))
    ctx["put_repo"], ctx["put_count"] = repo, count
    return _timed_send(server, reqs, concurrency)


def batch_delete_image(server, ctx, concurrency):
    """Deletes the tags PutImage made, 100 per call."""
    s = Signer(server.port)
    repo, count = ctx["put_repo"], ctx["put_count"]
    reqs = []
    for start in range(0, count - count % 100, 100):
        ids = [{"imageTag": f"p{i}"} for i in range(start, start + 100)]
        reqs.append(s.sign("BatchDeleteImage", {"repositoryName": repo, "imageIds": ids}))
    return _timed_send(server, reqs, concurrency)


def _timed_send(server, reqs, concurrency):
    failures_seen = []

    def op(h, b):
        async def run(conn):
            r = await conn.request("POST", "/", h, b)
            if r.status != 200:
                return f"{r.status} {r.body[:200]!r}"
            if b'"failures":[{' in r.body:
                failures_seen.append(r.body[:200])
            return True
        return run
    with Meter(server) as m:
        wall, lat, failures = httpc.run_ops(HOST, server.port,
                                            [op(h, b) for h, b in reqs], concurrency)
    d = oci._ops_result(wall, lat, failures, m, len(reqs))
    d["unit"] = "req/s"
    d["cpu_unit"] = "cpu-µs/req"
    if failures_seen:
        d["partial_failures"] = len(failures_seen)
        d["first_partial_failure"] = failures_seen[0].decode("latin-1")
    return d
