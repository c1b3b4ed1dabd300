"""Crash safety and bounded memory with big blobs, against a private server.

berth_only: these need the process itself (kill -9 mid-upload, RSS from
/proc/<pid>/status) and berth's design promises (acknowledged chunks survive
a crash, blobs stream with a small constant memory footprint).
"""

from __future__ import annotations

import http.client
import re
import threading
import time

import pytest

from ocihelpers import (BulkData, OciClient, assert_oci_error, stream_get_digest, stream_put,
                        target_of)

pytestmark = [pytest.mark.berth_only, pytest.mark.slow]

MiB = 1 << 20
GiB = 1 << 30
RSS_LIMIT_KIB = 64 * 1024


def parse_range_end(value: str) -> int:
    m = re.fullmatch(r"(?:bytes=)?0-(\d+)", value or "")
    assert m, f"bad Range header {value!r}"
    return int(m.group(1))


def patch_range(server, oci: OciClient, loc: str, data: BulkData, start: int, end: int) -> str:
    """PATCH bytes [start, end) streamed from `data`; returns the next Location."""
    r = stream_put("127.0.0.1", server.port, "PATCH", target_of(loc), data.range(start, end),
                   end - start, {"Content-Range": f"{start}-{end - 1}"})
    assert r.status == 202, (r.status, r.body[:300])
    assert parse_range_end(r.headers.get("range")) == end - 1
    return oci.abs_location_value(r.headers["location"])


def finish(server, oci: OciClient, loc: str, digest: str, data: BulkData | None = None,
           start: int = 0, end: int = 0):
    target = target_of(OciClient.with_query(loc, digest=digest))
    pieces = data.range(start, end) if data is not None else iter(())
    headers = {"Content-Range": f"{start}-{end - 1}"} if end > start else {}
    return stream_put("127.0.0.1", server.port, "PUT", target, pieces, end - start, headers)


def assert_blob_streams(server, repo: str, data: BulkData):
    status, headers, n, digest = stream_get_digest("127.0.0.1", server.port, f"/v2/{repo}/blobs/{data.digest}")
    assert status == 200
    assert n == data.size
    assert digest == data.digest
    assert headers.get("docker-content-digest") == data.digest


class RssSampler(threading.Thread):
    """Samples VmRSS of a process every `interval` seconds, keeping the max."""

    def __init__(self, server, interval: float = 0.05):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.max_kib = 0
        self.samples = 0
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.is_set():
            try:
                self.max_kib = max(self.max_kib, self.server.proc_status_kib("VmRSS"))
                self.samples += 1
            except (FileNotFoundError, ProcessLookupError):
                return
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join()


def test_kill9_mid_upload_keeps_committed_data(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()

    # -- state committed before the crash ---------------------------------
    small = oci.push_image("dur/small", "v1", seed=5, layer_sizes=(1000, 300_000))
    mid = BulkData(20 * MiB, seed=1)
    loc = oci.begin("dur/mid")
    for off in range(0, mid.size, 4 * MiB):
        loc = patch_range(srv, oci, loc, mid, off, off + 4 * MiB)
    r = finish(srv, oci, loc, mid.digest)
    assert r.status == 201, r.body

    # -- a ~500 MiB chunked upload, killed half way ------------------------
    big = BulkData(500 * MiB, seed=2)
    chunk = 8 * MiB
    loc = oci.begin("dur/big")
    acked = 0
    while acked < 240 * MiB:
        loc = patch_range(srv, oci, loc, big, acked, acked + chunk)
        acked += chunk
    # one more PATCH whose body is only partly sent when the process dies
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest("PATCH", target_of(loc), skip_accept_encoding=True)
    conn.putheader("Content-Length", str(chunk))
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Range", f"{acked}-{acked + chunk - 1}")
    conn.endheaders()
    partial = 3 * MiB
    for piece in big.range(acked, acked + partial):
        conn.sock.sendall(piece)
    srv.kill9()
    conn.close()

    srv.start()
    oci = srv.oci()

    # -- everything acknowledged before the kill is intact -----------------
    for ref in ("v1", small.digest):
        g = oci.get_manifest("dur/small", ref)
        assert g.status_code == 200 and g.content == small.manifest_bytes
    for b in small.image.blobs:
        assert oci.get_blob("dur/small", b.digest).content == b.data
    assert_blob_streams(srv, "dur/mid", mid)

    # -- the interrupted upload: resumable, or cleanly gone ----------------
    s = oci.request("GET", loc)
    if s.status_code == 204:
        offset = parse_range_end(s.headers.get("Range")) + 1
        # acknowledged chunks were not lost; nothing beyond what was sent is claimed
        assert acked <= offset <= acked + partial, (acked, offset)
        loc = oci.abs_location(s)
        print(f"resuming at {offset} (acked {acked})")
    else:
        assert_oci_error(s, 404, "BLOB_UPLOAD_UNKNOWN")
        loc = oci.begin("dur/big")
        offset = 0
        print("interrupted upload was discarded; restarting it")
    while offset < big.size - chunk:
        loc = patch_range(srv, oci, loc, big, offset, offset + chunk)
        offset += chunk
    r = finish(srv, oci, loc, big.digest, big, offset, big.size)  # last chunk in the PUT
    assert r.status == 201, (r.status, r.body[:300])
    assert r.headers.get("docker-content-digest") == big.digest
    h = oci.head_blob("dur/big", big.digest)
    assert h.status_code == 200 and int(h.headers["Content-Length"]) == big.size
    assert_blob_streams(srv, "dur/big", big)

    # a brand-new session works too
    assert oci.push_blob("dur/after", b"after the crash") is not None


def test_one_gib_blob_with_bounded_memory(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()
    data = BulkData(1 * GiB, seed=3)
    digest = data.digest  # computed before sampling starts; the URL needs it
    sampler = RssSampler(srv)
    sampler.start()
    try:
        # monolithic: POST a session, then one streamed 1 GiB PUT
        loc = oci.begin("dur/gib")
        r = finish(srv, oci, loc, digest, data, 0, data.size)
        assert r.status == 201, (r.status, r.body[:300])
        assert r.headers.get("docker-content-digest") == digest
        h = oci.head_blob("dur/gib", digest)
        assert h.status_code == 200 and int(h.headers["Content-Length"]) == data.size
        assert_blob_streams(srv, "dur/gib", data)

        # chunked with big chunks: 64 MiB PATCH bodies and a 64 MiB final PUT body
        chunked = BulkData(192 * MiB, seed=4)
        loc = oci.begin("dur/chunks")
        loc = patch_range(srv, oci, loc, chunked, 0, 64 * MiB)
        loc = patch_range(srv, oci, loc, chunked, 64 * MiB, 128 * MiB)
        r = finish(srv, oci, loc, chunked.digest, chunked, 128 * MiB, chunked.size)
        assert r.status == 201, (r.status, r.body[:300])
        assert_blob_streams(srv, "dur/chunks", chunked)
    finally:
        sampler.stop()
    hwm = srv.proc_status_kib("VmHWM")
    print(f"max sampled VmRSS {sampler.max_kib} KiB over {sampler.samples} samples, VmHWM {hwm} KiB")
    assert sampler.samples > 10
    assert sampler.max_kib < RSS_LIMIT_KIB, f"VmRSS peaked at {sampler.max_kib} KiB"
    assert hwm < RSS_LIMIT_KIB, f"VmHWM {hwm} KiB"


def test_sigterm_is_graceful_and_durable(fresh_registry):
    srv = fresh_registry
    oci = srv.oci()
    img = oci.push_image("dur/term", "v1", seed=9)
    rc = srv.stop()
    assert rc == 0, f"exit status {rc} after SIGTERM (None = had to be killed)\n{srv.log_tail()}"
    srv.start()
    oci = srv.oci()
    assert oci.get_manifest("dur/term", "v1").content == img.manifest_bytes
    for b in img.image.blobs:
        assert oci.get_blob("dur/term", b.digest).content == b.data
