"""What ships for running berth for real (packaging/): the example settings
file names every key of `berth serve` and berth accepts it as it is; the
systemd unit passes `systemd-analyze verify`."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

import conftest

pytestmark = pytest.mark.berth_only

PACKAGING = conftest.REPO_ROOT / "packaging"
KEY = re.compile(r"^#?\s*([a-z][a-z0-9-]*)\s*=")


def serve_options() -> set[str]:
    p = subprocess.run([conftest.BERTH_BINARY, "serve", "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    names = set()
    for line in p.stdout.splitlines():
        m = re.match(r"^\s+(?:-\w,)?--([a-z][a-z0-9-]*)", line)
        if m:
            names.add(m.group(1))
    return names - {"help", "config"}


def example_keys() -> set[str]:
    keys = set()
    for line in (PACKAGING / "berth.toml").read_text().splitlines():
        m = KEY.match(line.strip())
        if m:
            keys.add(m.group(1))
    return keys


def test_the_example_settings_file_names_every_serve_key():
    options = serve_options()
    assert len(options) > 20, options  # the help text was parsed
    keys = example_keys()
    assert options - keys == set(), f"keys missing from packaging/berth.toml: {options - keys}"
    assert keys - options == set(), f"keys berth serve does not have: {keys - options}"


def test_berth_serves_with_the_example_settings_file(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("AKIAPACKAGINGTEST001 packaging-test-secret-key-0123456789 123456789012\n")
    port = conftest.free_port()
    text = (PACKAGING / "berth.toml").read_text()
    # Only the machine-specific values change; every active line stays.
    text = text.replace('data-dir = "/var/lib/berth"', f'data-dir = "{tmp_path / "data"}"')
    text = text.replace('listen = "0.0.0.0:5000"', f'listen = "127.0.0.1:{port}"')
    text = text.replace('credentials = "/etc/berth/credentials"', f'credentials = "{credentials}"')
    config = tmp_path / "berth.toml"
    config.write_text(text)
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([conftest.BERTH_BINARY, "serve", "--config", str(config)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                r = requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "berth never answered"
                time.sleep(0.05)
        assert r.status_code == 401  # auth = sigv4 by default: the file kept it
        assert (tmp_path / "data" / "metadata.db").exists()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_the_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify wants the ExecStart binary to exist: point it at the built one.
    unit = tmp_path / "berth.service"
    unit.write_text((PACKAGING / "berth.service").read_text().replace(
        "/usr/local/bin/berth", conftest.BERTH_BINARY))
    p = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (p.stdout + p.stderr).splitlines()
                if ("berth.service" in line and "Unknown" in line) or "Failed" in line]
    assert p.returncode == 0 and not problems, p.stdout + p.stderr
