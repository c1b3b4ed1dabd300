"""The machine's own limits, measured in the same run as the registries.

- sha256: `openssl speed -evp sha256 -bytes 16384` on one core.
- loopback: curl GET and PUT of the big file against bench/tools/minserv.c,
  a ~100-line C server that answers GET with sendfile(2) from the page cache
  and PUT by reading into one buffer and dropping the bytes. Nothing can
  serve curl faster on this machine, so it is the ceiling the registries'
  pull and (non-durable) push are held against.
- disk: `dd if=/dev/zero of=<store dir>/x bs=1M count=N conv=fdatasync`, the
  durable write rate of the disk the stores live on.
"""

import os
import re
import subprocess
import time

from . import tools
from .procs import free_port, children_cpu_s

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256_single_core(seconds):
    out = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", str(seconds)],
                         capture_output=True, text=True)
    # Last row: "sha256  v16  v64  v256  v1024  v8192  v16384" in 1000s of bytes/s.
    for line in out.stdout.splitlines()[::-1]:
        if line.startswith("sha256") and "k" in line:
            vals = re.findall(r"([\d.]+)k", line)
            return float(vals[-1]) * 1000 / 1e9
    raise RuntimeError("openssl speed gave no sha256 row: " + out.stdout[-500:])


def build_minserv(workdir):
    exe = os.path.join(workdir, "minserv")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "tools", "minserv.c")], check=True)
    return exe


def loopback(workdir, path, size, repeats):
    exe = build_minserv(workdir)
    port = free_port()
    p = subprocess.Popen([exe, str(port), path])
    try:
        time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/x"
        gets, puts, get_cpu, put_cpu = [], [], [], []
        tools.curl([url])  # warm-up: page cache, first connection
        for _ in range(repeats):
            c0 = children_cpu_s()
            code, info, _ = tools.curl([url])
            assert code == 200 and int(info["down"]) == size, (code, info)
            gets.append(size / 1e9 / info["time"])
            get_cpu.append((children_cpu_s() - c0) / (size / 1e9))
            c0 = children_cpu_s()
            code, info, _ = tools.curl(["-X", "PUT", "-T", path, url])
            assert code == 201, code
            puts.append(size / 1e9 / info["time"])
            put_cpu.append((children_cpu_s() - c0) / (size / 1e9))
        return {"curl_get_GBps": sorted(gets)[len(gets) // 2], "curl_get_all": gets,
                "curl_put_GBps": sorted(puts)[len(puts) // 2], "curl_put_all": puts,
                "curl_client_cpu_s_per_GB_get": sorted(get_cpu)[len(get_cpu) // 2],
                "curl_client_cpu_s_per_GB_put": sorted(put_cpu)[len(put_cpu) // 2],
                "server": "bench/tools/minserv.c (sendfile GET, read-and-drop PUT)"}
    finally:
        p.terminate()
        p.wait()


def disk_write(store_dir, mib):
    target = os.path.join(store_dir, "dd-test.bin")
    os.sync()
    t0 = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}",
                    "conv=fdatasync", "status=none"], check=True)
    dt = time.perf_counter() - t0
    os.unlink(target)
    return {"dd_fdatasync_GBps": mib * (1 << 20) / 1e9 / dt, "dd_mib": mib, "dir": store_dir}


def fsync_latency(store_dir, count):
    """Sequential 4 KiB write + fdatasync, the floor under any durable
    acknowledgement of one small write (what a sequential small push pays
    at least once)."""
    target = os.path.join(store_dir, "fsync-test.bin")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    lat = []
    try:
        block = os.urandom(4096)
        for i in range(count):
            t0 = time.perf_counter()
            os.pwrite(fd, block, i * 4096)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(target)
    lat.sort()
    return {"fdatasync_4k_p50_ms": lat[len(lat) // 2] * 1000,
            "fdatasync_4k_p99_ms": lat[int(len(lat) * 0.99)] * 1000,
            "fdatasync_4k_per_s": count / sum(lat)}


def machine_info():
    info = {"nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1) if m else "?"
        with open("/proc/loadavg") as f:
            info["loadavg_at_start"] = f.read().split()[:3]
        with open("/proc/meminfo") as f:
            info["mem_total_kib"] = int(f.readline().split()[1])
    except OSError:
        pass
    info["kernel"] = os.uname().release
    return info


def measure(workdir, bigfile, quick):
    out = {"machine": machine_info()}
    out["sha256_GBps_1core"] = sha256_single_core(1 if quick else 2)
    out.update(loopback(workdir, bigfile.path, bigfile.size, 1 if quick else 3))
    out.update(disk_write(workdir, 128 if quick else 1024))
    out.update(fsync_latency(workdir, 30 if quick else 300))
    return out
