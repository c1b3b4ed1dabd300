"""The external load generators: curl for big transfers, wrk for GET/POST
rates, ab -k for HEAD rates (wrk waits for a body after a HEAD response that
carries Content-Length and hangs, so HEAD goes through ab, which speaks
HTTP/1.0 keep-alive)."""

import json
import os
import re
import subprocess
import tempfile

CURL = "curl"


def curl(args, timeout=600):
    """Runs curl with -w; returns (http_code, dict of the -w fields, headers text)."""
    fmt = "%{http_code} %{size_download} %{size_upload} %{time_total}"
    with tempfile.NamedTemporaryFile("r", suffix=".hdr") as hdr:
        cmd = [CURL, "-sS", "-o", "/dev/null", "-D", hdr.name, "-w", fmt,
               "-H", "Expect:"] + args
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr.strip()}")
        code, down, up, total = out.stdout.split()
        return int(code), {"down": float(down), "up": float(up), "time": float(total)}, hdr.read()


def header_value(raw, name):
    """Last value of a header in a curl -D dump (after any 100 Continue)."""
    val = None
    for line in raw.splitlines():
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            val = v.strip()
    return val


_WRK_DONE = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"err_connect\":%d,\"err_read\":%d,\"err_write\":%d,\"err_status\":%d,\"err_timeout\":%d," ..
    "\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_str(s):
    return "[==[" + s + "]==]"


def wrk(url, seconds, connections, threads=1, method="GET", headers=None, body=None):
    """Returns dict: rps, p50_ms, p99_ms, requests, errors."""
    lines = [f"wrk.method = {_lua_str(method)}"]
    for k, v in (headers or {}).items():
        lines.append(f"wrk.headers[ {_lua_str(k)} ] = {_lua_str(v)}")
    if body is not None:
        lines.append(f"wrk.body = {_lua_str(body)}")
    script = "\n".join(lines) + _WRK_DONE
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "-s", path, url]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(path)
    m = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout} {out.stderr}")
    d = json.loads(m.group(1))
    errors = sum(d[k] for k in d if k.startswith("err_"))
    dur = d["duration_us"] / 1e6
    return {"requests": d["requests"], "rps": d["requests"] / dur if dur else 0.0,
            "p50_ms": d["p50_us"] / 1000, "p99_ms": d["p99_us"] / 1000,
            "errors": errors, "error_detail": {k: d[k] for k in d if k.startswith("err_")}}


def ab_head(url, seconds, connections, headers=None):
    """ab -k -i: HEAD over HTTP/1.0 keep-alive. Returns rps, p50_ms, p99_ms."""
    cmd = ["ab", "-k", "-i", "-q", "-c", str(connections), "-t", str(seconds),
           "-n", "50000000", "-s", "10"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    text = out.stdout
    m = re.search(r"Requests per second:\s+([\d.]+)", text)
    if not m:
        raise RuntimeError(f"ab gave no result: {text[-2000:]} {out.stderr[-2000:]}")
    rps = float(m.group(1))
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", text, re.M))
    complete = int(re.search(r"Complete requests:\s+(\d+)", text).group(1))
    failed = int(re.search(r"Failed requests:\s+(\d+)", text).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", text)
    keepalive = re.search(r"Keep-Alive requests:\s+(\d+)", text)
    return {"requests": complete, "rps": rps,
            "p50_ms": float(pct.get("50", "nan")), "p99_ms": float(pct.get("99", "nan")),
            "errors": failed + (int(non2xx.group(1)) if non2xx else 0),
            "keepalive_requests": int(keepalive.group(1)) if keepalive else 0}
