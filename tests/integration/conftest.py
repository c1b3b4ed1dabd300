"""Fixtures that run a real registry process for the integration tests.

Target selection (env):
  BERTH_TEST_TARGET=berth         (default) runs $BERTH_BINARY, default <repo>/build/src/app/berth
  BERTH_TEST_TARGET=distribution  runs CNCF Distribution (/usr/bin/docker-registry, or
                                  $DISTRIBUTION_BINARY) with a generated config
  BERTH_TEST_INCLUDE_BERTH_ONLY=1 do not skip berth_only tests on Distribution

Fixtures:
  registry        the session's server (one process for the whole run); fails the
                  test during teardown if the process died during it
  fresh_registry  a private server on its own data dir, for tests that restart,
                  kill -9 or measure the process
  repo            a repository name unique to the test
  http            a requests.Session;  oci  an OciClient bound to `registry`
  skopeo          runs /usr/bin/skopeo against `registry` with TLS off and no retries
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ocihelpers  # noqa: E402

TARGET = os.environ.get("BERTH_TEST_TARGET", "berth")
if TARGET not in ("berth", "distribution"):
    raise pytest.UsageError(f"BERTH_TEST_TARGET must be berth or distribution, not {TARGET!r}")
INCLUDE_BERTH_ONLY = os.environ.get("BERTH_TEST_INCLUDE_BERTH_ONLY") == "1"
BERTH_BINARY = os.environ.get("BERTH_BINARY", str(REPO_ROOT / "build" / "src" / "app" / "berth"))
DISTRIBUTION_BINARY = os.environ.get("DISTRIBUTION_BINARY", "/usr/bin/docker-registry")
SKOPEO = os.environ.get("SKOPEO", "/usr/bin/skopeo")
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


def pytest_report_header(config):
    binary = BERTH_BINARY if TARGET == "berth" else DISTRIBUTION_BINARY
    return f"registry target: {TARGET} ({binary})"


def pytest_collection_modifyitems(config, items):
    if TARGET == "berth" or INCLUDE_BERTH_ONLY:
        return
    skip = pytest.mark.skip(reason=f"berth_only: not applicable to BERTH_TEST_TARGET={TARGET}")
    for item in items:
        if "berth_only" in item.keywords:
            item.add_marker(skip)


def backends_required() -> bool:
    """Set by scripts/test-backends/with-backends.sh: a missing backend
    server fails the run instead of skipping its cases."""
    return os.environ.get("BERTH_REQUIRE_BACKENDS") == "1"


def parse_exports(text: str) -> dict[str, str]:
    """The `export KEY='value'` lines a scripts/test-backends/*.sh start prints."""
    out = {}
    for line in text.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            out[key] = value.strip("'")
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RegistryServer:
    """One registry process with its own data dir, port and log file.

    root/                 everything this server owns
      data/               --data-dir (berth) / rootdirectory (Distribution)
      server.log          the process's stdout+stderr, appended across restarts
      config.yml          Distribution only
    """

    def __init__(self, root: Path, target: str = TARGET):
        self.target = target
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.log_path = self.root / "server.log"
        self.port = free_port()
        self.hostport = f"127.0.0.1:{self.port}"
        self.host = self.hostport  # registry host for docker:// references
        self.base_url = f"http://{self.hostport}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    # -- lifecycle --------------------------------------------------------
    def command(self) -> list[str]:
        if self.target == "berth":
            if not os.access(BERTH_BINARY, os.X_OK):
                pytest.fail(f"berth binary not found or not executable: {BERTH_BINARY} "
                            "(build it, set BERTH_BINARY, or use BERTH_TEST_TARGET=distribution)")
            return [BERTH_BINARY, "serve", "--listen", self.hostport, "--data-dir", str(self.data_dir),
                    "--public-url", self.base_url, "--log-level", "info", "--auth", "none"]
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
            "storage:\n"
            f"  filesystem:\n    rootdirectory: {self.data_dir}\n"
            "  delete:\n    enabled: true\n"
            "  maintenance:\n    uploadpurging:\n      enabled: false\n"
            # a fixed secret so upload state tokens stay valid across restarts
            f"http:\n  addr: {self.hostport}\n  secret: berth-integration-tests\n")
        return [DISTRIBUTION_BINARY, "serve", str(config)]

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== start #{self.starts + 1} ====\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.root)
        self.starts += 1
        self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} exited with {self.process.returncode} during startup\n"
                                   + self.log_tail())
            try:
                r = requests.get(self.base_url + "/v2/", timeout=1)
                if r.status_code == 200:
                    return
                last = f"GET /v2/ -> {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.02)
        raise RuntimeError(f"{self.target} not ready after {timeout}s ({last})\n" + self.log_tail())

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM and wait; returns the exit status (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def kill9(self) -> None:
        assert self.process is not None and self.process.poll() is None, "not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- inspection -------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.process.pid

    def proc_status_kib(self, field: str) -> int:
        """A `kB` field of /proc/<pid>/status, e.g. VmRSS or VmHWM."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "---- server log (tail) ----\n" + "\n".join(lines[-n:])

    def log_once_it_says(self, needle: str, hang_guard_seconds: float = 60.0) -> str:
        """The log's text once it contains `needle`, or as it stands when the
        hang guard runs out. A request's access line is written after its
        response has gone out, so a client can read the log a moment early."""
        give_up = time.monotonic() + hang_guard_seconds
        while True:
            text = self.log_path.read_text(errors="replace")
            if needle in text or time.monotonic() > give_up:
                return text
            time.sleep(0.05)

    def oci(self, session: requests.Session | None = None) -> ocihelpers.OciClient:
        return ocihelpers.OciClient(self.base_url, session or requests.Session())


@pytest.fixture(scope="session")
def _session_registry(tmp_path_factory):
    server = RegistryServer(tmp_path_factory.mktemp("registry"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def registry(_session_registry):
    """The shared server. A test during which it died fails, and the server is
    restarted on the same data dir so the rest of the run can go on."""
    yield _session_registry
    if not _session_registry.alive():
        rc = _session_registry.process.returncode
        tail = _session_registry.log_tail()
        _session_registry.start()
        pytest.fail(f"registry process died during this test (exit status {rc})\n{tail}")


@pytest.fixture
def fresh_registry(tmp_path):
    server = RegistryServer(tmp_path / "registry")
    server.start()
    yield server
    server.stop()


_repo_counter = itertools.count(1)


@pytest.fixture
def repo(request) -> str:
    """A valid repository name unique to this test, e.g. it/test-foo-bar-7."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:80].strip("-")
    return f"it/{name}-{next(_repo_counter)}"


@pytest.fixture(scope="session")
def http() -> requests.Session:
    s = requests.Session()
    yield s
    s.close()


@pytest.fixture
def oci(registry, http) -> ocihelpers.OciClient:
    return ocihelpers.OciClient(registry.base_url, http)


class Skopeo:
    """Runs skopeo against a plain-HTTP registry: TLS verification off, no
    retries (a retry would hide a flaky server), a hard timeout."""

    def __init__(self, registry: RegistryServer, tmp: Path):
        self.registry = registry
        self.tmp = tmp
        self.env = dict(os.environ)
        # Keep skopeo away from the user's auth files and config.
        self.env["HOME"] = str(tmp)
        self.env["XDG_RUNTIME_DIR"] = str(tmp)
        self.env["REGISTRY_AUTH_FILE"] = str(tmp / "auth.json")
        (tmp / "auth.json").write_text(json.dumps({"auths": {}}))

    def ref(self, repo: str, tag_or_digest: str) -> str:
        sep = "@" if ":" in tag_or_digest else ":"
        return f"docker://{self.registry.host}/{repo}{sep}{tag_or_digest}"

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [SKOPEO, "--insecure-policy", *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env,
                           cwd=self.tmp)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}\n"
                        + self.registry.log_tail(30))
        return p

    def copy(self, src: str, dst: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                        "--retry-times", "0", *extra, src, dst, check=check)

    def inspect(self, ref: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("inspect", "--tls-verify=false", "--retry-times", "0", *extra, ref, check=check)

    def list_tags(self, ref: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("list-tags", "--tls-verify=false", "--retry-times", "0", ref, check=check)

    def delete(self, ref: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("delete", "--tls-verify=false", "--retry-times", "0", ref, check=check)


@pytest.fixture
def skopeo(registry, tmp_path) -> Skopeo:
    if not os.access(SKOPEO, os.X_OK):
        pytest.fail(f"skopeo not found at {SKOPEO}")
    d = tmp_path / "skopeo"
    d.mkdir()
    return Skopeo(registry, d)


@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    """OCI layouts generated once per run by scripts/make_test_images.py."""
    import make_test_images as mti
    root = tmp_path_factory.mktemp("layouts")
    single = root / "single"
    multi = root / "multi"
    info = {
        "single_dir": single,
        "multi_dir": multi,
        # 4 layers, 1 KiB .. 3 MiB of random (incompressible) content.
        "single": mti.make_image(str(single), "img", seed=11, layer_sizes=(1024, 65536, 1 << 20, 3 << 20)),
        "multi": mti.make_multiarch(str(multi), "multi", seed=12, layer_sizes=(2048, 131072)),
    }
    yield info
    shutil.rmtree(root, ignore_errors=True)


# ==========================================================================
# ECR API fixtures (test_ecr_*.py). They run their own server, independent of
# `registry` above:
#   BERTH_ECR_TARGET=berth (default)  $BERTH_BINARY with --auth sigv4, a credentials
#                                     file of two keys (two accounts), strict PutImage
#   BERTH_ECR_TARGET=moto             moto_server (pyenv Python): any credentials, no
#                                     blobs; berth_only tests are skipped
# Fixtures: ecr (an ecrhelpers.EcrEnv: boto3 clients, the aws CLI, signed raw HTTP),
# ecr_repo (a created repository), ecr_skopeo (skopeo bound to the ECR server),
# ecr_lenient (a second berth with --put-image-validation lenient).

import ecrhelpers  # noqa: E402

ECR_TARGET = os.environ.get("BERTH_ECR_TARGET", "berth")
if ECR_TARGET not in ("berth", "moto"):
    raise pytest.UsageError(f"BERTH_ECR_TARGET must be berth or moto, not {ECR_TARGET!r}")


class _EcrTargetPlugin:
    """Skips berth_only ECR tests when the ECR target is moto (a separate plugin so the
    pytest_collection_modifyitems hook above keeps its behaviour)."""

    @staticmethod
    def pytest_collection_modifyitems(config, items):
        if ECR_TARGET == "berth":
            return
        skip = pytest.mark.skip(reason=f"berth_only: not applicable to BERTH_ECR_TARGET={ECR_TARGET}")
        for item in items:
            if "berth_only" in item.keywords and Path(str(item.fspath)).name.startswith("test_ecr_"):
                item.add_marker(skip)

    @staticmethod
    def pytest_report_header(config):
        return f"ECR target: {ECR_TARGET}"


def pytest_configure(config):
    config.pluginmanager.register(_EcrTargetPlugin(), "berth-ecr-target")


@pytest.fixture(scope="session")
def ecr_creds():
    return ecrhelpers.make_credentials()


@pytest.fixture(scope="session")
def _ecr_session_server(tmp_path_factory, ecr_creds):
    root = tmp_path_factory.mktemp("ecr")
    if ECR_TARGET == "moto":
        server = ecrhelpers.MotoServer(root)
    else:
        server = ecrhelpers.EcrServer(root, BERTH_BINARY, ecr_creds)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _ecr_session_env(_ecr_session_server, ecr_creds, tmp_path_factory):
    return ecrhelpers.EcrEnv(_ecr_session_server, ecr_creds, tmp_path_factory.mktemp("ecr-clients"))


@pytest.fixture
def ecr(_ecr_session_server, _ecr_session_env):
    """The shared ECR server's EcrEnv. A test during which the server died fails, and the
    server is restarted on the same data dir."""
    yield _ecr_session_env
    if not _ecr_session_server.alive():
        rc = _ecr_session_server.process.returncode
        tail = _ecr_session_server.log_tail()
        _ecr_session_server.start()
        pytest.fail(f"ECR server died during this test (exit status {rc})\n{tail}")


@pytest.fixture
def ecr_repo(ecr, repo) -> str:
    """A repository created for this test (name from `repo`)."""
    ecr.create_repository(repo)
    return repo


@pytest.fixture
def ecr_skopeo(ecr, tmp_path) -> Skopeo:
    if not os.access(SKOPEO, os.X_OK):
        pytest.fail(f"skopeo not found at {SKOPEO}")
    d = tmp_path / "ecr-skopeo"
    d.mkdir()
    return Skopeo(ecr.server, d)


@pytest.fixture(scope="module")
def ecr_berth_factory(tmp_path_factory, ecr_creds):
    """make(name, **EcrServer kwargs) -> EcrEnv of a further berth (stopped with the module);
    skips when the ECR target is not berth."""
    servers = []

    def make(name: str, **kw) -> ecrhelpers.EcrEnv:
        if ECR_TARGET != "berth":
            pytest.skip("a berth server flag")
        root = tmp_path_factory.mktemp(name)
        server = ecrhelpers.EcrServer(root, BERTH_BINARY, ecr_creds, **kw)
        server.start()
        servers.append(server)
        return ecrhelpers.EcrEnv(server, ecr_creds, root)

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def ecr_lenient(ecr_berth_factory):
    """A second berth, --put-image-validation lenient (berth_only tests)."""
    return ecr_berth_factory("ecr-lenient", put_image_validation="lenient")
