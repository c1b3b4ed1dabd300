"""HTTP-level helpers shared by the integration tests.

Nothing in here hides a failure: every helper asserts the exact status it
expects, so a test that uses one to set up state fails at the step that broke.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import requests

import make_test_images as mti

MT_OCI_MANIFEST = mti.MT_OCI_MANIFEST
MT_OCI_INDEX = mti.MT_OCI_INDEX
MT_OCI_CONFIG = mti.MT_OCI_CONFIG
MT_OCI_LAYER_GZIP = mti.MT_OCI_LAYER_GZIP
MT_OCI_EMPTY = mti.MT_OCI_EMPTY
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

# Accept header that admits every manifest type a registry may store.
ACCEPT_ALL_MANIFESTS = ", ".join(
    [MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST])

EMPTY_JSON = b"{}"
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

ERROR_CODE_RE = re.compile(r"^[A-Z_]+$")


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def media_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip()


def assert_oci_error(resp: requests.Response, status: int | Sequence[int], codes: str | Iterable[str]):
    """The response is an OCI error: expected status, JSON content type and an
    `errors` array whose every entry has a code from `codes` and a message."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    codes = {codes} if isinstance(codes, str) else set(codes)
    assert resp.status_code in statuses, (
        f"{resp.request.method} {resp.request.url}: expected {statuses}, got "
        f"{resp.status_code}: {resp.text[:500]!r}")
    if resp.request.method == "HEAD":
        assert resp.content == b""
        return None
    assert media_type(resp) == "application/json", (
        f"error Content-Type {resp.headers.get('Content-Type')!r}, body {resp.text[:300]!r}")
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], body
    for err in body["errors"]:
        assert isinstance(err.get("code"), str) and ERROR_CODE_RE.match(err["code"]), err
        assert isinstance(err.get("message"), str), err
        assert err["code"] in codes, f"error code {err['code']} not in {sorted(codes)}: {body}"
    return body


def parse_link_next(resp: requests.Response) -> tuple[str, dict[str, str]] | None:
    """Parse an RFC 8288 `Link: <url>; rel="next"` header into (path, query)."""
    link = resp.headers.get("Link")
    if link is None:
        return None
    m = re.fullmatch(r'\s*<([^>]*)>\s*;\s*rel="?next"?\s*', link)
    assert m, f"malformed Link header {link!r}"
    url = urllib.parse.urlsplit(m.group(1))
    query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    return url.path, query


@dataclass
class PushedImage:
    repo: str
    reference: str
    image: mti.Image
    manifest_bytes: bytes
    digest: str
    media_type: str


class OciClient:
    """A thin client over requests.Session for one registry base URL."""

    def __init__(self, base_url: str, session: requests.Session):
        self.base_url = base_url.rstrip("/")
        self.s = session

    # -- plumbing ---------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def abs_location(self, resp: requests.Response) -> str:
        loc = resp.headers.get("Location")
        assert loc, f"no Location header in {resp.status_code} response: {dict(resp.headers)}"
        return self.abs_location_value(loc)

    def abs_location_value(self, loc: str) -> str:
        """Resolve a Location value (absolute or relative, RFC 7231 7.1.2)."""
        return urllib.parse.urljoin(self.base_url + "/", loc)

    @staticmethod
    def with_query(url: str, **params) -> str:
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        return url + sep + urllib.parse.urlencode(params)

    def request(self, method: str, path_or_url: str, **kw) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.url(path_or_url)
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)
        return self.s.request(method, url, **kw)

    # -- blobs ------------------------------------------------------------
    def start_upload(self, repo: str, **params) -> requests.Response:
        url = self.url(f"/v2/{repo}/blobs/uploads/")
        if params:
            url = self.with_query(url, **params)
        return self.request("POST", url, headers={"Content-Length": "0"})

    def begin(self, repo: str) -> str:
        r = self.start_upload(repo)
        assert r.status_code == 202, (r.status_code, r.text)
        return self.abs_location(r)

    def patch(self, location: str, chunk: bytes, start: int | None) -> requests.Response:
        headers = {"Content-Type": "application/octet-stream"}
        if start is not None:
            headers["Content-Range"] = f"{start}-{start + len(chunk) - 1}"
        return self.request("PATCH", location, data=chunk, headers=headers)

    def finish(self, location: str, digest: str, chunk: bytes = b"", start: int | None = None) -> requests.Response:
        headers = {"Content-Type": "application/octet-stream"}
        if chunk and start is not None:
            headers["Content-Range"] = f"{start}-{start + len(chunk) - 1}"
        return self.request("PUT", self.with_query(location, digest=digest), data=chunk, headers=headers)

    def push_blob(self, repo: str, data: bytes) -> str:
        """POST then PUT (the one monolithic form every registry must support)."""
        digest = sha256_digest(data)
        r = self.finish(self.begin(repo), digest, data)
        assert r.status_code == 201, (r.status_code, r.text)
        assert r.headers.get("Docker-Content-Digest") == digest
        return digest

    def push_blob_chunked(self, repo: str, data: bytes, chunk_size: int) -> str:
        digest = sha256_digest(data)
        loc = self.begin(repo)
        for off in range(0, len(data), chunk_size):
            r = self.patch(loc, data[off:off + chunk_size], off)
            assert r.status_code == 202, (r.status_code, r.text)
            loc = self.abs_location(r)
        r = self.finish(loc, digest)
        assert r.status_code == 201, (r.status_code, r.text)
        return digest

    def head_blob(self, repo: str, digest: str) -> requests.Response:
        return self.request("HEAD", f"/v2/{repo}/blobs/{digest}")

    def get_blob(self, repo: str, digest: str, **kw) -> requests.Response:
        return self.request("GET", f"/v2/{repo}/blobs/{digest}", **kw)

    # -- manifests --------------------------------------------------------
    def put_manifest(self, repo: str, reference: str, body: bytes, mt: str = MT_OCI_MANIFEST) -> requests.Response:
        return self.request("PUT", f"/v2/{repo}/manifests/{reference}", data=body,
                            headers={"Content-Type": mt})

    def get_manifest(self, repo: str, reference: str, accept: str | None = ACCEPT_ALL_MANIFESTS,
                     method: str = "GET") -> requests.Response:
        # requests drops a header whose value is None, so accept=None sends no Accept at all.
        return self.request(method, f"/v2/{repo}/manifests/{reference}", headers={"Accept": accept})

    def push_manifest(self, repo: str, reference: str, body: bytes, mt: str = MT_OCI_MANIFEST) -> str:
        r = self.put_manifest(repo, reference, body, mt)
        assert r.status_code == 201, (r.status_code, r.text)
        digest = sha256_digest(body)
        assert r.headers.get("Docker-Content-Digest") == digest
        return digest

    def push_image(self, repo: str, reference: str, seed: int = 1,
                   layer_sizes: Sequence[int] = (1024, 2048), platform: str = "linux/amd64",
                   annotations: dict | None = None) -> PushedImage:
        img = mti.build_image(seed, layer_sizes, platform, annotations)
        for blob in img.blobs:
            self.push_blob(repo, blob.data)
        digest = self.push_manifest(repo, reference, img.manifest.data)
        assert digest == img.manifest.digest
        return PushedImage(repo, reference, img, img.manifest.data, digest, MT_OCI_MANIFEST)

    def tags(self, repo: str, **params) -> requests.Response:
        url = self.url(f"/v2/{repo}/tags/list")
        if params:
            url = self.with_query(url, **params)
        return self.request("GET", url)


# --------------------------------------------------------------------------
# Raw HTTP for cases requests cannot express: exact request targets (no dot
# segment removal), streaming bodies with a known length, 1 GiB transfers.


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def raw_request(host: str, port: int, method: str, target: str, body: bytes = b"",
                headers: dict[str, str] | list[tuple[str, str]] | None = None,
                timeout: float = 30) -> RawResponse:
    """Send `target` verbatim (http.client does no normalisation). `headers`
    may be a list of pairs to repeat a header."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        for k, v in [("Content-Length", str(len(body)))] + pairs:
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # server answered early; try to read its response below
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# Deterministic bulk data for the big-blob tests.


class BulkData:
    """`size` bytes built from one random 1 MiB block; block i is prefixed
    with its 8-byte index so no two MiB are equal (content-addressed stores
    cannot cheat by deduplicating)."""

    BLOCK = 1 << 20

    def __init__(self, size: int, seed: int = 0):
        import random
        self.size = size
        self._block = random.Random(f"berth-bulk-{seed}").randbytes(self.BLOCK)
        self._digest: str | None = None

    def block(self, i: int) -> bytes:
        b = i.to_bytes(8, "big") + self._block[8:]
        remaining = self.size - i * self.BLOCK
        return b if remaining >= self.BLOCK else b[:remaining]

    def range(self, start: int, end: int) -> Iterator[bytes]:
        """Yield bytes [start, end) in pieces of at most 1 MiB."""
        pos = start
        while pos < end:
            i, off = divmod(pos, self.BLOCK)
            piece = self.block(i)[off:off + (end - pos)]
            yield piece
            pos += len(piece)

    def bytes(self, start: int, end: int) -> bytes:
        return b"".join(self.range(start, end))

    @property
    def digest(self) -> str:
        if self._digest is None:
            h = hashlib.sha256()
            for piece in self.range(0, self.size):
                h.update(piece)
            self._digest = "sha256:" + h.hexdigest()
        return self._digest


def stream_put(host: str, port: int, method: str, target: str, pieces: Iterable[bytes], length: int,
               headers: dict[str, str] | None = None, timeout: float = 300,
               early_answer: bool = False) -> RawResponse:
    """Stream `length` bytes from `pieces` as one request body with Content-Length.
    With `early_answer`, the server may answer before the body is all sent (and
    stop reading, or close): its answer is still read."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(length))
        conn.putheader("Content-Type", "application/octet-stream")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        sent = 0
        try:
            for piece in pieces:
                conn.sock.sendall(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            if not early_answer:
                raise
            # the server answered early and closed: its answer is in our receive buffer
        except socket.timeout:
            if not early_answer:
                raise
            raise AssertionError(f"{method} {target}: the server stopped reading the body and "
                                 f"did not answer within {timeout} s") from None
        assert early_answer or sent == length, (sent, length)
        try:
            resp = conn.getresponse()
            data = resp.read()
        except (ConnectionResetError, http.client.RemoteDisconnected) as e:
            if not early_answer:
                raise
            raise AssertionError(f"{method} {target}: the connection was reset and no HTTP "
                                 f"answer arrived ({e!r}): the client cannot tell why the push "
                                 f"failed") from None
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def stream_get_digest(host: str, port: int, target: str, timeout: float = 300) -> tuple[int, dict, int, str]:
    """GET `target`, hashing the body as it arrives; returns (status, headers, length, digest)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", target)
        resp = conn.getresponse()
        h = hashlib.sha256()
        n = 0
        while True:
            piece = resp.read(1 << 20)
            if not piece:
                break
            h.update(piece)
            n += len(piece)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, n, "sha256:" + h.hexdigest()
    finally:
        conn.close()


def target_of(url: str) -> str:
    """Path plus query of an absolute URL (for raw requests to a Location)."""
    u = urllib.parse.urlsplit(url)
    return u.path + (("?" + u.query) if u.query else "")
