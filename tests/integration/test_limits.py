"""Limits on hostile or oversized input, one test group per `berth serve` flag:
--max-header-bytes, --max-manifest-bytes, --ecr-body-limit,
--max-layer-part-bytes, --max-concurrent-uploads, --read-timeout /
--idle-timeout (slowloris), --min-body-rate (slow bodies) and --max-json-depth.

Each flag is exercised on a berth of its own started with a small value
(`--auth none`, so raw ECR requests need no signature); the defaults are
checked on the shared servers where that is cheap."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

import ecrhelpers
from conftest import BERTH_BINARY, RegistryServer
from ecrhelpers import JSON_CT, TARGET_PREFIX, assert_raw_error, raises_ecr
from ocihelpers import (MT_OCI_CONFIG, MT_OCI_MANIFEST, assert_oci_error, raw_request,
                        sha256_digest, stream_put, target_of)

pytestmark = pytest.mark.berth_only


class LimitedServer(RegistryServer):
    """The conftest berth (--auth none) with extra flags."""

    def __init__(self, root: Path, extra: list[str]):
        super().__init__(root, target="berth")
        self.extra = extra

    def command(self) -> list[str]:
        return super().command() + self.extra


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """limited(*flags) -> a running LimitedServer (one per distinct flag set)."""
    servers: dict[tuple[str, ...], LimitedServer] = {}

    def make(*flags: str) -> LimitedServer:
        if flags not in servers:
            server = LimitedServer(tmp_path_factory.mktemp("limits"), list(flags))
            server.start()
            servers[flags] = server
        server = servers[flags]
        assert server.alive(), server.log_tail()
        return server

    yield make
    for server in servers.values():
        server.stop()


def ecr_post(server, op: str, body: bytes | None = None, payload=None, **kw) -> requests.Response:
    if body is None:
        body = json.dumps(payload or {}).encode()
    return requests.post(server.base_url + "/", data=body, timeout=30,
                         headers={"X-Amz-Target": f"{TARGET_PREFIX}.{op}", "Content-Type": JSON_CT},
                         **kw)


def image_manifest(config_digest: str, config_size: int, pad: int) -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
        "config": {"mediaType": MT_OCI_CONFIG, "digest": config_digest, "size": config_size},
        "layers": [], "annotations": {"pad": "x" * pad},
    }).encode()


# --------------------------------------------------------------------------
# --max-header-bytes


def test_default_header_limit_is_64k(registry):
    ok = raw_request("127.0.0.1", registry.port, "GET", "/v2/", headers={"X-Pad": "p" * (60 << 10)})
    assert ok.status == 200
    big = raw_request("127.0.0.1", registry.port, "GET", "/v2/", headers={"X-Pad": "p" * (65 << 10)})
    assert big.status == 431


def test_max_header_bytes(limited):
    server = limited("--max-header-bytes", "4096")
    assert raw_request("127.0.0.1", server.port, "GET", "/v2/",
                       headers={"X-Pad": "p" * 3000}).status == 200
    assert raw_request("127.0.0.1", server.port, "GET", "/v2/",
                       headers={"X-Pad": "p" * 5000}).status == 431
    # many small headers count alike
    many = [(f"X-H{i}", "v" * 20) for i in range(200)]
    assert raw_request("127.0.0.1", server.port, "GET", "/v2/", headers=many).status == 431
    assert requests.get(server.base_url + "/v2/", timeout=60).status_code == 200


# --------------------------------------------------------------------------
# --max-manifest-bytes


def _push_config(server) -> tuple[str, int]:
    oci = server.oci()
    config = b'{"architecture":"amd64","os":"linux"}'
    return oci.push_blob("limits/manifest", config), len(config)


def test_default_manifest_limit_is_4mib(registry, oci, repo):
    config = b'{"architecture":"amd64","os":"linux"}'
    cd = oci.push_blob(repo, config)
    body = image_manifest(cd, len(config), (4 << 20) + 1)
    r = raw_request("127.0.0.1", registry.port, "PUT", f"/v2/{repo}/manifests/huge", body,
                    {"Content-Type": MT_OCI_MANIFEST})
    assert r.status == 413, (r.status, r.body[:300])
    assert [e["code"] for e in r.json()["errors"]] == ["SIZE_INVALID"]


def test_max_manifest_bytes(limited):
    server = limited("--max-manifest-bytes", "8192")
    oci = server.oci()
    cd, size = _push_config(server)
    small = image_manifest(cd, size, 6000)
    assert len(small) < 8192
    r = oci.put_manifest("limits/manifest", "small", small)
    assert r.status_code == 201, r.text
    big = image_manifest(cd, size, 9000)
    r = oci.put_manifest("limits/manifest", "big", big)
    assert_oci_error(r, 413, "SIZE_INVALID")
    # chunked (no Content-Length): refused while reading
    r = oci.request("PUT", "/v2/limits/manifest/manifests/big2", data=iter([big[:4000], big[4000:]]),
                    headers={"Content-Type": MT_OCI_MANIFEST})
    assert_oci_error(r, 413, "SIZE_INVALID")
    assert oci.get_manifest("limits/manifest", "big").status_code == 404
    assert oci.get_manifest("limits/manifest", "small").status_code == 200


# --------------------------------------------------------------------------
# --ecr-body-limit


def test_ecr_body_limit(limited):
    server = limited("--ecr-body-limit", "4096")
    pad = {"repositoryName": "limits/body", "tags": [{"Key": "k", "Value": "v" * 200}]}
    assert ecr_post(server, "CreateRepository", payload=pad).status_code == 200
    big = json.dumps({"repositoryName": "limits/body2", "imageTagMutability": "MUTABLE",
                      "padding": "x" * 5000}).encode()
    assert_raw_error(ecr_post(server, "CreateRepository", body=big), 413,
                     "RequestEntityTooLargeException")
    # chunked, no Content-Length: the limit holds while reading
    r = ecr_post(server, "CreateRepository", body=iter([big[:3000], big[3000:]]))
    assert_raw_error(r, 413, "RequestEntityTooLargeException")
    r = ecr_post(server, "DescribeRepositories", payload={"repositoryNames": ["limits/body2"]})
    assert_raw_error(r, 400, "RepositoryNotFoundException")


# --------------------------------------------------------------------------
# --max-layer-part-bytes


@pytest.fixture
def small_parts(limited, ecr_creds, tmp_path):
    server = limited("--max-layer-part-bytes", "1024")
    return ecrhelpers.EcrEnv(server, ecr_creds, tmp_path)


def test_max_layer_part_bytes(small_parts):
    c = small_parts.client()
    c.create_repository(repositoryName="limits/parts")
    uid = c.initiate_layer_upload(repositoryName="limits/parts")["uploadId"]
    data = bytes(range(256)) * 10  # 2560 bytes
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName="limits/parts", uploadId=uid, partFirstByte=0,
                            partLastByte=1999, layerPartBlob=data[:2000])
    assert err["response"]["lastValidByteReceived"] == -1
    assert err["response"]["uploadId"] == uid
    r = c.upload_layer_part(repositoryName="limits/parts", uploadId=uid, partFirstByte=0,
                            partLastByte=1023, layerPartBlob=data[:1024])
    assert r["lastByteReceived"] == 1023
    with raises_ecr("InvalidLayerPartException") as err:
        c.upload_layer_part(repositoryName="limits/parts", uploadId=uid, partFirstByte=1024,
                            partLastByte=2559, layerPartBlob=data[1024:])
    assert err["response"]["lastValidByteReceived"] == 1023
    # the refused part left the upload where it was: finish it in small parts
    for off in range(1024, len(data), 1000):
        part = data[off:off + 1000]
        c.upload_layer_part(repositoryName="limits/parts", uploadId=uid, partFirstByte=off,
                            partLastByte=off + len(part) - 1, layerPartBlob=part)
    done = c.complete_layer_upload(repositoryName="limits/parts", uploadId=uid,
                                   layerDigests=[sha256_digest(data)])
    assert done["layerDigest"] == sha256_digest(data)


# --------------------------------------------------------------------------
# --max-concurrent-uploads


class HeldPatch:
    """A PATCH whose head and first body bytes are sent, the rest held back.
    The body is larger than the server drains before answering, so a refusal
    comes back at once."""

    LENGTH = 1 << 20

    def __init__(self, port: int, target: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (f"PATCH {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {self.LENGTH}\r\n\r\n")
        self.sock.sendall(head.encode() + b"a" * 10)

    def answered_within(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(30)

    def finish(self) -> int:
        self.sock.sendall(b"a" * (self.LENGTH - 10))
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            response += chunk
        self.sock.close()
        return int(response.split(b" ", 2)[1])


def hold_upload_slot(port: int, target: str) -> HeldPatch:
    """A PATCH that holds the (only) upload slot: it is not answered."""
    for _ in range(20):
        held = HeldPatch(port, target)
        if not held.answered_within(0.5):
            return held
        held.sock.close()
    pytest.fail("no PATCH could take the upload slot")


def test_max_concurrent_uploads(limited, ecr_creds, tmp_path):
    server = limited("--max-concurrent-uploads", "1")
    oci = server.oci()
    env = ecrhelpers.EcrEnv(server, ecr_creds, tmp_path)
    c = env.client()
    c.create_repository(repositoryName="limits/uploads")
    a = oci.begin("limits/uploads")
    b = oci.begin("limits/uploads")

    held = hold_upload_slot(server.port, target_of(a))
    try:
        r = oci.patch(b, b"b" * 10, None)
        assert_oci_error(r, 429, "TOOMANYREQUESTS")
        assert r.headers.get("Retry-After") == "1"
        # a monolithic push is refused too (before its upload is created)
        r = oci.start_upload("limits/uploads", digest=sha256_digest(b"m"))
        assert_oci_error(r, 429, "TOOMANYREQUESTS")
        # so is an ECR layer part, through the same per-process limit
        uid = c.initiate_layer_upload(repositoryName="limits/uploads")["uploadId"]
        with raises_ecr("LimitExceededException"):
            c.upload_layer_part(repositoryName="limits/uploads", uploadId=uid, partFirstByte=0,
                                partLastByte=2, layerPartBlob=b"xyz")
        # reads and everything else go on
        assert requests.get(server.base_url + "/v2/", timeout=60).status_code == 200
        c.describe_repositories(repositoryNames=["limits/uploads"])
    finally:
        status = held.finish()
    assert status == 202
    assert oci.patch(b, b"b" * 10, None).status_code == 202
    r = c.upload_layer_part(repositoryName="limits/uploads", uploadId=uid, partFirstByte=0,
                            partLastByte=2, layerPartBlob=b"xyz")
    assert r["lastByteReceived"] == 2


# --------------------------------------------------------------------------
# --read-timeout / --idle-timeout


def _poll_recv(s: socket.socket) -> bytes | None:
    """What the server has sent so far without waiting: None when nothing,
    b"" when it closed the connection."""
    s.setblocking(False)
    try:
        return s.recv(65536)
    except BlockingIOError:
        return None
    finally:
        s.setblocking(True)


def _trickle(port: int, data: bytes, interval: float, result: dict) -> None:
    """Sends `data` one byte per `interval`; records when the server hung up."""
    started = time.monotonic()
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            for byte in data:
                s.sendall(bytes([byte]))
                sent += 1
                time.sleep(interval)
                if _poll_recv(s) == b"":
                    break  # orderly close
    except OSError:
        pass  # reset or broken pipe: the server hung up
    result["elapsed"] = time.monotonic() - started
    result["sent"] = sent


def test_slowloris_is_disconnected_and_others_are_served(limited):
    server = limited("--read-timeout", "2", "--idle-timeout", "2")
    request = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 40 + b"\r\n\r\n"
    results = [{} for _ in range(16)]
    threads = [threading.Thread(target=_trickle, args=(server.port, request, 1.0, r))
               for r in results]
    for t in threads:
        t.start()
    # while they trickle, ordinary clients are served: every one of these
    # answers arrives while all 16 trickling connections are still open
    served_while_held = 0
    for _ in range(10):
        assert requests.get(server.base_url + "/v2/", timeout=60).status_code == 200
        if not any(results):  # no trickler has been cut yet
            served_while_held += 1
    for t in threads:
        t.join(120)
    assert served_while_held > 0, "no request was answered while the tricklers held connections"
    for r in results:
        assert r["sent"] < len(request), r  # cut off before the head was complete
        assert r["elapsed"] > 1.5, r  # not before the read timeout


def test_a_chunk_header_that_never_ends_does_not_grow_memory(limited):
    # The parser holds bytes until a line ends: an endless chunk extension
    # sent at full speed once grew berth by 1.4 GB in 3 s.
    server = limited()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PATCH /v2/big/blobs/uploads/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n1;ext=")
        junk = b"a" * (1 << 20)
        sent = 0
        try:
            while sent < (256 << 20):
                sock.sendall(junk)
                sent += len(junk)
        except OSError:
            pass  # the server gave up on the request and closed: what we want
    assert server.process.poll() is None, "berth died"
    assert sent < (256 << 20), "berth kept reading an endless chunk header"
    if "ASAN_OPTIONS" not in os.environ:  # make sanitize: shadow memory alone is ~180 MiB
        assert server.proc_status_kib("VmHWM") < 96 * 1024
    assert requests.get(server.base_url + "/v2/", timeout=60).status_code in (200, 401)


def test_idle_keep_alive_connection_is_closed(limited):
    server = limited("--read-timeout", "2", "--idle-timeout", "2")
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as s:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = b""
        while b"{}" not in got:
            got += s.recv(4096)
        assert got.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert s.recv(4096) == b""  # the server closes the idle connection
        assert time.monotonic() - started > 1.5  # not before the idle timeout
    # a keep-alive connection trickling its next head gets the idle deadline too
    result: dict = {}
    first = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(first)
        time.sleep(0.2)
        s.recv(4096)
        started = time.monotonic()
        trickled = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: sssssssss\r\n\r\n"
        result["sent"] = 0
        try:
            for byte in trickled:
                s.sendall(bytes([byte]))
                result["sent"] += 1
                time.sleep(0.5)
                s.setblocking(False)
                try:
                    if s.recv(4096) == b"":
                        break
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
        except OSError:
            pass
        result["elapsed"] = time.monotonic() - started
    # cut before the head was complete, and not before the idle timeout
    assert result["sent"] < len(trickled), result
    assert result["elapsed"] > 1.5, result


def test_default_timeouts_keep_a_slow_but_steady_client(registry):
    # 60 s defaults: a head sent over ~3 s is served.
    with socket.create_connection(("127.0.0.1", registry.port), timeout=30) as s:
        for piece in (b"GET /v2/ HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
            s.sendall(piece)
            time.sleep(1)
        assert s.recv(4096).startswith(b"HTTP/1.1 200")


# --------------------------------------------------------------------------
# --min-body-rate


def _slow_patch(port: int, target: str, start: int, data: bytes, piece: int, interval: float,
                result: dict) -> None:
    """PATCHes `data` (at upload offset `start`) `piece` bytes per `interval`
    until the server answers or hangs up; records the raw answer, when it
    came and how much was sent."""
    head = (f"PATCH {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/octet-stream\r\n"
            f"Content-Range: {start}-{start + len(data) - 1}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    got = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        started = time.monotonic()
        try:
            while sent < len(data) and b"\r\n\r\n" not in got:
                s.sendall(data[sent:sent + piece])
                sent += piece
                time.sleep(interval)
                chunk = _poll_recv(s)
                if chunk == b"":
                    break
                got += chunk or b""
        except OSError:
            pass  # reset or broken pipe: the server hung up
        result["cut_after"] = time.monotonic() - started
        result["sent"] = min(sent, len(data))
        s.settimeout(10)
        try:
            while chunk := s.recv(65536):  # the rest of the answer, then the close
                got += chunk
            result["closed"] = True
        except OSError:
            result["closed"] = False
    result["answer"] = got


def _paced(data: bytes, piece: int, interval: float):
    for off in range(0, len(data), piece):
        yield data[off:off + piece]
        time.sleep(interval)


def test_min_body_rate_cuts_a_trickling_upload_and_keeps_a_steady_one(limited):
    # --read-timeout 2 is also the rule's grace; 50 B/s against a 1000 B/s
    # minimum is cut after ~2.1 s of waiting, though each read makes progress
    # within the read timeout.
    server = limited("--read-timeout", "2", "--min-body-rate", "1000")
    oci = server.oci()
    slow_data = bytes(range(256)) * 12     # first 1024 bytes fast, then ~41 s at 50 B/s
    fast_data = bytes(range(251)) * 48     # 12048 bytes: ~4 s at 3000 B/s
    first = oci.patch(oci.begin("limits/rate"), slow_data[:1024], 0)
    assert first.status_code == 202, first.text
    slow_loc, fast_loc = oci.abs_location(first), oci.begin("limits/rate")
    slow: dict = {}
    fast: dict = {}
    slow_thread = threading.Thread(target=_slow_patch, args=(server.port, target_of(slow_loc), 1024,
                                                             slow_data[1024:], 5, 0.1, slow))

    def send_fast():
        fast["response"] = stream_put("127.0.0.1", server.port, "PATCH", target_of(fast_loc),
                                      _paced(fast_data, 300, 0.1), len(fast_data), timeout=30)

    fast_thread = threading.Thread(target=send_fast)
    slow_thread.start()
    fast_thread.start()
    slow_thread.join(30)
    fast_thread.join(30)

    # The trickler got the protocol's answer (as for a timed-out read), then a close.
    assert slow["sent"] < len(slow_data) - 1024, slow
    assert slow["cut_after"] > 1.5, slow  # the slack is spent first
    head, _, body = slow["answer"].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503"), slow["answer"][:300]
    assert b"connection: close" in head.lower(), head
    error = json.loads(body)["errors"][0]
    assert error["code"] == "UNAVAILABLE" and "too slowly" in error["message"], error
    assert slow["closed"], slow
    assert "arrived too slowly" in server.log_path.read_text(), server.log_tail()

    # The steady client, above the minimum, completed.
    r = fast["response"]
    assert r.status == 202, (r.status, r.body[:300])
    assert r.headers["range"] == f"0-{len(fast_data) - 1}"
    done = oci.finish(oci.abs_location_value(r.headers["location"]), sha256_digest(fast_data))
    assert done.status_code == 201, done.text

    # The cut upload kept its last saved state, as after any dropped
    # connection, and resumes from there.
    status = oci.request("GET", slow_loc)
    assert status.status_code == 204, status.text
    assert status.headers["Range"] == "0-1023"
    rest = oci.patch(slow_loc, slow_data[1024:], 1024)
    assert rest.status_code == 202, rest.text
    done = oci.finish(oci.abs_location(rest), sha256_digest(slow_data))
    assert done.status_code == 201, done.text
    assert oci.get_blob("limits/rate", sha256_digest(slow_data)).content == slow_data


def test_min_body_rate_flag_is_documented_and_checked():
    shown = subprocess.run([BERTH_BINARY, "serve", "--help"], capture_output=True, text=True,
                           timeout=30)
    assert shown.returncode == 0, shown.stderr
    assert "--min-body-rate" in shown.stdout and "BERTH_MIN_BODY_RATE" in shown.stdout
    bad = subprocess.run([BERTH_BINARY, "serve", "--min-body-rate", "-5"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2, (bad.stdout, bad.stderr)


# --------------------------------------------------------------------------
# --max-json-depth


def nested(depth: int) -> str:
    """A JSON array nested `depth` levels."""
    return "[" * depth + "1" + "]" * depth


def test_max_json_depth(limited):
    server = limited("--max-json-depth", "8")
    # the body object is level 1: seven nested arrays inside it make 8 levels
    ok = f'{{"repositoryNames":["limits/json"],"extra":{nested(7)}}}'.encode()
    assert_raw_error(ecr_post(server, "DescribeRepositories", body=ok), 400,
                     "RepositoryNotFoundException")
    deep = f'{{"repositoryNames":["limits/json"],"extra":{nested(8)}}}'.encode()
    body = assert_raw_error(ecr_post(server, "DescribeRepositories", body=deep), 400,
                            "SerializationException")
    assert "deeper than 8" in body["message"], body


def test_default_json_depth_is_64(ecr):
    if not ecr.is_berth:
        pytest.skip("berth's limit")
    ok = f'{{"repositoryNames":["limits-json-default"],"extra":{nested(63)}}}'.encode()
    assert_raw_error(ecr.raw("DescribeRepositories", body=ok), 400, "RepositoryNotFoundException")
    deep = f'{{"repositoryNames":["limits-json-default"],"extra":{nested(64)}}}'.encode()
    assert_raw_error(ecr.raw("DescribeRepositories", body=deep), 400, "SerializationException")
