"""Servers under test and what /proc says about them.

Each Server starts one process on 127.0.0.1 with a fresh temp store, waits
until it answers, and exposes its pid so that CPU (utime+stime from
/proc/<pid>/stat, all threads) and memory (VmRSS, VmHWM from
/proc/<pid>/status) can be read around every measurement.
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_split(pid):
    """(utime, stime) of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime field 15.
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def proc_cpu_s(pid):
    """utime+stime of a process (all its threads), in seconds."""
    return sum(proc_cpu_split(pid))


def proc_mem_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])
    return out


def system_cpu_s():
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts[:8]]
    idle = vals[3] + vals[4]
    return (sum(vals) - idle) / CLK_TCK, sum(vals) / CLK_TCK


def self_cpu_s():
    t = os.times()
    return t.user + t.system


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Meter:
    """Brackets one measurement: wall time, server CPU, client CPU (this
    Python process plus any child it waited for: curl, wrk, ab) and the CPU
    everybody else on the machine used meanwhile (noise)."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.u0, self.k0 = proc_cpu_split(self.server.pid)
        self.s0 = self.u0 + self.k0
        self.c0 = self_cpu_s() + children_cpu_s()
        self.m0 = system_cpu_s()[0]
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        u1, k1 = proc_cpu_split(self.server.pid)
        self.server_user, self.server_sys = u1 - self.u0, k1 - self.k0
        self.server_cpu = self.server_user + self.server_sys
        self.client_cpu = self_cpu_s() + children_cpu_s() - self.c0
        busy = system_cpu_s()[0] - self.m0
        self.other_cpu = max(0.0, busy - self.server_cpu - self.client_cpu)
        self.server.note_peak()
        return False

    def fields(self):
        return {
            "wall_s": self.wall,
            "server_cpu_s": self.server_cpu,
            "server_user_s": self.server_user,
            "server_sys_s": self.server_sys,
            "client_cpu_s": self.client_cpu,
            "other_cpu_s": self.other_cpu,
            "server_cores": self.server_cpu / self.wall if self.wall else 0,
            "client_cores": self.client_cpu / self.wall if self.wall else 0,
        }


class Server:
    name = "?"
    kind = "?"  # "oci" or "ecr"

    def __init__(self, workdir):
        self.workdir = tempfile.mkdtemp(prefix=f"{self.name}-", dir=workdir)
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(self.workdir, "server.log"), "wb")
        self.mem = {}

    @property
    def pid(self):
        return self.proc.pid

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        raise NotImplementedError

    def ready_path(self):
        return "/v2/"

    def environment(self):
        """The server's environment (None: ours)."""
        return None

    def start(self, timeout=30):
        cmd = self.command()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir,
                                     env=self.environment())
        t0 = time.perf_counter()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; "
                                   f"see {self.log.name}")
            try:
                urllib.request.urlopen(self.base + self.ready_path(), timeout=1)
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer means it is serving
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"{self.name} did not answer within {timeout}s")
        self.startup_s = time.perf_counter() - t0
        time.sleep(0.3)
        m = proc_mem_kib(self.pid)
        self.mem = {"start_kib": m["VmRSS"], "peak_kib": m["VmHWM"]}

    def note_peak(self):
        try:
            self.mem["peak_kib"] = max(self.mem.get("peak_kib", 0),
                                       proc_mem_kib(self.pid)["VmHWM"])
        except FileNotFoundError:
            pass

    def note_idle(self, settle_s=3.0):
        time.sleep(settle_s)
        m = proc_mem_kib(self.pid)
        self.mem["idle_kib"] = m["VmRSS"]
        # VmRSS counts shared library text (libcrypto alone is ~3.5 MiB);
        # RssAnon is the process's own heap, stacks and caches.
        self.mem["idle_anon_kib"] = m.get("RssAnon", 0)
        self.mem["idle_file_kib"] = m.get("RssFile", 0)
        self.mem["peak_kib"] = max(self.mem.get("peak_kib", 0), m["VmHWM"])

    def stop(self, keep=False):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Berth(Server):
    name = "berth"
    kind = "oci"

    def __init__(self, workdir, binary, auth="none", credentials=None):
        self.binary = binary
        self.auth = auth
        self.credentials = credentials
        if auth != "none":
            self.name = "berth-ecr"
            self.kind = "ecr"
        super().__init__(workdir)

    def command(self):
        data = os.path.join(self.workdir, "data")
        cmd = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}",
               "--data-dir", data, "--public-url", self.base, "--log-level", "warn",
               "--auth", self.auth, "--no-access-log"]
        if self.credentials:
            cmd += ["--credentials", self.credentials]
        return cmd

    def ready_path(self):
        return "/v2/" if self.auth == "none" else "/"

    @property
    def store_dir(self):
        return os.path.join(self.workdir, "data")


class Distribution(Server):
    name = "distribution"
    kind = "oci"

    def command(self):
        root = os.path.join(self.workdir, "store")
        os.makedirs(root, exist_ok=True)
        cfg = os.path.join(self.workdir, "config.yml")
        with open(cfg, "w") as f:
            f.write(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{self.port}
""")
        return ["/usr/bin/docker-registry", "serve", cfg]


def real_python():
    """The machine's Python (pyenv shim resolved), which has moto installed."""
    py = shutil.which("python3", path=os.environ.get("PATH", ""))
    out = subprocess.run([py, "-c", "import sys, moto; print(sys.executable)"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return out.stdout.strip()


class Moto(Server):
    name = "moto"
    kind = "ecr"

    def __init__(self, workdir, python):
        self.python = python
        super().__init__(workdir)

    def command(self):
        return [self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def ready_path(self):
        return "/moto-api/"
