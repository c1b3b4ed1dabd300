"""A new user's first hour: what someone trying berth runs into before any
image moves. Settings files, the credentials the server really accepts, the
README's curl example with Debian's own curl, wildcard listen addresses, a
data directory that cannot be written, a mistyped command, the access log of
an ECR call, and fsck --repair beside a running server.

Every test runs the real `berth` binary as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

import ecrhelpers
from conftest import BERTH_BINARY, RegistryServer, free_port

pytestmark = pytest.mark.berth_only

CURL = "/usr/bin/curl"


def berth(*args: str, env: dict | None = None, cwd: Path | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    for k in list(full_env):
        if k.startswith("BERTH_") and k != "BERTH_TEST_TMPDIR":
            del full_env[k]
    full_env.update(env or {})
    return subprocess.run([BERTH_BINARY, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd)


class ArgsServer(RegistryServer):
    """berth serve with an exact argv (no conftest defaults) and environment."""

    def __init__(self, root: Path, args: list[str], env: dict | None = None,
                 port: int | None = None):
        super().__init__(root, target="berth")
        if port is not None:
            self.port = port
            self.hostport = f"127.0.0.1:{port}"
            self.host = self.hostport
            self.base_url = f"http://{self.hostport}"
        self.args = args
        self.env = env or {}

    def command(self) -> list[str]:
        return [BERTH_BINARY, *self.args]

    def wait_ready(self, timeout: float = 30) -> None:
        # With authentication on, /v2/ answers 401: that is ready too.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"berth exited with {self.process.returncode}\n" + self.log_tail())
            try:
                if requests.get(self.base_url + "/v2/", timeout=1).status_code in (200, 401):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        raise RuntimeError("berth not ready\n" + self.log_tail())

    def start(self) -> None:
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


# ---- --config ---------------------------------------------------------------


def test_config_file_top_level_keys_apply_and_flags_and_env_win(tmp_path):
    port, flag_port = free_port(), free_port()
    data = tmp_path / "data"
    cfg = tmp_path / "berth.toml"
    cfg.write_text(f'# as documented: top-level keys named like the flags\n'
                   f'listen = "127.0.0.1:{port}"\n'
                   f'data_dir = "{data}"\n'
                   f'auth = "none"\n'
                   f'[serve]\nlog-level = "debug"\n')
    # --config after the command, top-level keys: it listens where the file says.
    srv = ArgsServer(tmp_path / "a", ["serve", "--config", str(cfg)], port=port)
    srv.start()
    try:
        assert requests.get(srv.base_url + "/v2/", timeout=30).status_code == 200
        assert (data / "metadata.db").exists()
    finally:
        srv.stop()
    # A flag wins over the file; --config before the command works too.
    srv = ArgsServer(tmp_path / "b", ["--config", str(cfg), "serve", "--listen",
                                      f"127.0.0.1:{flag_port}"], port=flag_port)
    srv.start()
    try:
        assert requests.get(srv.base_url + "/v2/", timeout=30).status_code == 200
    finally:
        srv.stop()
    # The environment wins over the file.
    env_port = free_port()
    srv = ArgsServer(tmp_path / "c", ["serve", "--config", str(cfg)],
                     env={"BERTH_LISTEN": f"127.0.0.1:{env_port}"}, port=env_port)
    srv.start()
    try:
        assert requests.get(srv.base_url + "/v2/", timeout=30).status_code == 200
    finally:
        srv.stop()


def test_config_file_unknown_key_is_refused_by_name_and_file(tmp_path):
    cfg = tmp_path / "berth.toml"
    cfg.write_text('listen = "127.0.0.1:1"\nmax-concurent-uploads = 5\n')
    p = berth("serve", "--config", str(cfg))
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "unknown key 'max-concurent-uploads'" in p.stderr, p.stderr
    assert str(cfg) in p.stderr and "line 2" in p.stderr, p.stderr
    assert "did you mean 'max-concurrent-uploads'" in p.stderr, p.stderr

    cfg.write_text('[server]\nlisten = "127.0.0.1:1"\n')
    p = berth("--config", str(cfg), "serve")
    assert p.returncode == 2 and "[server]" in p.stderr, p.stderr

    p = berth("serve", "--config", str(tmp_path / "missing.toml"))
    assert p.returncode == 2 and "missing.toml" in p.stderr, p.stderr


def test_one_config_file_serves_both_serve_and_fsck(tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "berth.toml"
    cfg.write_text(f'listen = "127.0.0.1:{free_port()}"\ndata-dir = "{data}"\nauth = "none"\n')
    srv = ArgsServer(tmp_path / "s", ["serve", "--config", str(cfg)],
                     port=int(cfg.read_text().split(":")[1].split('"')[0]))
    srv.start()
    srv.stop()
    # `listen` means nothing to fsck: ignored there, not refused.
    p = berth("fsck", "--config", str(cfg), "--progress", "none")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert str(data) in p.stdout


# ---- berth credentials ------------------------------------------------------


def test_credentials_prints_the_key_of_the_credentials_file_that_the_server_accepts(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("# team keys\nAKIAFIRSTKEY00000001 firstsecretfirstsecretfirstsecret00001 "
                     "123456789012\nAKIASECONDKEY0000002 secondsecretsecondsecretsecondsecret02\n")
    data = tmp_path / "data"
    p = berth("credentials", "--data-dir", str(data), "--credentials", str(creds), "--format", "env")
    assert p.returncode == 0, p.stderr
    assert "export AWS_ACCESS_KEY_ID=AKIAFIRSTKEY00000001" in p.stdout, p.stdout
    assert "firstsecretfirstsecretfirstsecret00001" in p.stdout
    assert "2 keys" in p.stderr  # says which one it printed
    # BERTH_CREDENTIALS is the same option.
    p2 = berth("credentials", "--data-dir", str(data), env={"BERTH_CREDENTIALS": str(creds)})
    assert "aws configure set aws_access_key_id AKIAFIRSTKEY00000001" in p2.stdout, p2.stdout
    assert not (data / "credentials").exists(), "a key was generated that nobody accepts"

    # The printed key works against a server given the same file.
    port = free_port()
    srv = ArgsServer(tmp_path / "srv", ["serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                                        str(data), "--credentials", str(creds)], port=port)
    srv.start()
    try:
        env = dict(os.environ)
        for line in p.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
        r = subprocess.run([ecrhelpers.AWS_CLI, "--endpoint-url", srv.base_url, "ecr",
                            "describe-repositories", "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["repositories"] == []
    finally:
        srv.stop()


# ---- the README's curl example ------------------------------------------------


@pytest.fixture(scope="module")
def sigv4_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("first-hour-sigv4")
    port = free_port()
    srv = ArgsServer(root, ["serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                            str(root / "data")], port=port)
    srv.start()
    yield srv
    srv.stop()


def _curl_env(srv: ArgsServer) -> dict:
    p = berth("credentials", "--data-dir", str(srv.root / "data"), "--format", "env")
    assert p.returncode == 0, p.stderr
    env = dict(os.environ)
    for line in p.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    return env


def test_readme_query_form_example_works_with_debian_curl(sigv4_server):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    # The example exactly as printed, pointed at this server.
    line = next(l for l in readme.splitlines() if "'http://127.0.0.1:5000/?Action=BatchGetImage" in l)
    url = line.strip().strip("'").replace("http://127.0.0.1:5000", sigv4_server.base_url)
    env = _curl_env(sigv4_server)
    cmd = [CURL, "-s", "--aws-sigv4", "aws:amz:us-east-1:ecr", "--user",
           f"{env['AWS_ACCESS_KEY_ID']}:{env['AWS_SECRET_ACCESS_KEY']}", url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    # Signed and accepted: the answer is ECR's, about the (absent) repository.
    assert body.get("__type") == "RepositoryNotFoundException", body

    # Unsorted, Debian's curl 7.88 signs it as written: refused, with a hint.
    unsorted = url.replace("?Action=BatchGetImage&imageIds.member.1.imageTag=v1&repositoryName=team%2Fapp",
                           "?Action=BatchGetImage&repositoryName=team%2Fapp&imageIds.member.1.imageTag=v1")
    assert unsorted != url
    r = subprocess.run(cmd[:-1] + [unsorted], capture_output=True, text=True, timeout=60, env=env)
    body = json.loads(r.stdout)
    if body.get("__type") == "RepositoryNotFoundException":
        pytest.skip("this curl sorts the query itself (curl 8)")
    assert body["__type"] == "InvalidSignatureException", body
    assert "canonical" in body["message"] and "sorted" in body["message"], body


# ---- wildcard listen address ----------------------------------------------------


def test_wildcard_listen_without_public_url_warns_and_hands_out_a_reachable_address(tmp_path):
    port = free_port()
    srv = ArgsServer(tmp_path, ["serve", "--listen", f"0.0.0.0:{port}", "--data-dir",
                                str(tmp_path / "data"), "--auth", "none"], port=port)
    srv.start()
    try:
        log = srv.log_path.read_text()
        assert "--public-url" in log and "binds every interface" in log, log
        r = requests.post(srv.base_url + "/v2/wild/blobs/uploads/", timeout=30)
        assert r.status_code == 202, r.text
        location = r.headers["Location"]
        assert "0.0.0.0" not in location, location
    finally:
        srv.stop()


# ---- a data directory berth cannot write --------------------------------------


def test_read_only_data_directory_is_named_with_the_reason(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a read-only file system")
    mnt = tmp_path / "ro"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs: {p.stderr.strip()}")
    try:
        r = berth("serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(mnt),
                  "--auth", "none")
        assert r.returncode != 0
        out = r.stdout + r.stderr
        assert str(mnt) in out and "read-only file system" in out, out
        assert "unable to open database file" not in out, out
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# ---- commands -----------------------------------------------------------------


def test_unknown_command_is_named_and_the_real_ones_listed():
    p = berth("frobnicate")
    assert p.returncode == 2
    assert "unknown command 'frobnicate'" in p.stderr, p.stderr
    for command in ("serve", "credentials", "fsck", "version"):
        assert command in p.stderr, p.stderr
    p = berth()
    assert p.returncode == 2 and "serve" in p.stderr, p.stderr


# ---- the access log of an ECR call ------------------------------------------------


def test_access_log_names_the_ecr_operation_and_the_exception(ecr):
    if not ecr.is_berth:
        pytest.skip("berth's log")
    ecr.create_repository("first-hour/logged")
    with ecrhelpers.raises_ecr("RepositoryNotFoundException"):
        ecr.client().describe_images(repositoryName="first-hour/absent")
    deadline = time.monotonic() + 60
    while True:
        log = ecr.server.log_path.read_text()
        ok_line = [l for l in log.splitlines() if "op=ecr:CreateRepository" in l]
        err_line = [l for l in log.splitlines()
                    if "op=ecr:DescribeImages" in l and "error=RepositoryNotFoundException" in l]
        if ok_line and err_line or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ok_line, log[-2000:]
    assert err_line, log[-2000:]
    assert " 400 " in err_line[-1], err_line[-1]


# ---- fsck --repair beside a server ------------------------------------------------


def test_fsck_repair_refuses_while_a_server_uses_the_store(fresh_registry):
    data = fresh_registry.data_dir
    p = berth("fsck", "--data-dir", str(data), "--repair", "--progress", "none")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "in use" in p.stderr and "metadata.db" in p.stderr, p.stderr
    # A read-only check is fine beside it.
    p = berth("fsck", "--data-dir", str(data), "--progress", "none")
    assert p.returncode == 0, (p.stdout, p.stderr)
    fresh_registry.stop()
    p = berth("fsck", "--data-dir", str(data), "--repair", "--progress", "none")
    assert p.returncode == 0, (p.stdout, p.stderr)
