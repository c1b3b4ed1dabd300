"""A small keep-alive HTTP/1.1 client on asyncio streams.

Used for the scripted workloads (small blob pushes, tag pushes, tags/list,
signed ECR requests that must each be unique). It parses only what those
workloads need: status line, headers, Content-Length or chunked bodies. One
Conn is one TCP connection; concurrency comes from several Conns driven by
run_ops(). The client is deliberately thin so that its CPU (reported next to
every result) stays well below the server's; when it does not, the report
says the workload was client-bound.
"""

import asyncio
import time
import urllib.parse


class HttpError(Exception):
    pass


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class Conn:
    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.hostport = f"{host}:{port}"
        self.reader = None
        self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 20)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method, target, headers=None, body=b""):
        """Send one request, read one response. Reconnects once if the
        server closed an idle keep-alive connection."""
        for attempt in (0, 1):
            if self.writer is None:
                await self.open()
            try:
                return await self._exchange(method, target, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError) as e:
                self.close()
                if attempt:
                    raise HttpError(f"{method} {target}: {e!r}")

    async def _exchange(self, method, target, headers, body):
        if isinstance(body, str):
            body = body.encode()
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.hostport}"]
        has_len = False
        if headers:
            for k, v in (headers.items() if isinstance(headers, dict) else headers):
                if k.lower() == "host":
                    lines[1] = f"Host: {v}"
                    continue
                if k.lower() == "content-length":
                    has_len = True
                lines.append(f"{k}: {v}")
        if not has_len and (body or method in ("POST", "PUT", "PATCH")):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.writer.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.writer.write(body)
        await self.writer.drain()
        r = self.reader
        raw = await r.readuntil(b"\r\n\r\n")
        status_line, _, rest = raw.decode("latin-1").partition("\r\n")
        parts = status_line.split(" ", 2)
        status = int(parts[1])
        hdrs = {}
        for line in rest.split("\r\n"):
            if not line:
                continue
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            data = b""
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = await r.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    await r.readuntil(b"\r\n")
                    break
                chunks.append(await r.readexactly(size))
                await r.readexactly(2)
            data = b"".join(chunks)
        elif "content-length" in hdrs:
            data = await r.readexactly(int(hdrs["content-length"]))
        else:
            data = await r.read()
            self.close()
            return Response(status, hdrs, data)
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return Response(status, hdrs, data)


def path_of(location):
    """Location headers may be absolute (Distribution) or relative (berth)."""
    u = urllib.parse.urlsplit(location)
    return u.path + ("?" + u.query if u.query else "")


def add_query(target, key, value):
    sep = "&" if "?" in target else "?"
    return f"{target}{sep}{key}={urllib.parse.quote(value, safe='')}"


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


async def _run_ops(host, port, ops, concurrency):
    """ops: list of async callables op(conn) -> bool (success). Runs them on
    `concurrency` keep-alive connections; returns (wall_s, latencies_s, failures)."""
    it = iter(ops)
    latencies = []
    failures = []

    async def worker():
        conn = Conn(host, port)
        await conn.open()
        try:
            for op in it:
                t0 = time.perf_counter()
                try:
                    ok = await op(conn)
                except HttpError as e:
                    ok = str(e)
                latencies.append(time.perf_counter() - t0)
                if ok is not True:
                    failures.append(ok)
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, failures


def run_ops(host, port, ops, concurrency):
    return asyncio.run(_run_ops(host, port, ops, concurrency))


def request_once(host, port, method, target, headers=None, body=b""):
    async def go():
        c = Conn(host, port)
        try:
            return await c.request(method, target, headers, body)
        finally:
            c.close()
    return asyncio.run(go())
