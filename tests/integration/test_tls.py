"""HTTPS: `berth serve --tls-cert/--tls-key` on the one listener.

A throwaway CA and a server certificate for 127.0.0.1 are made with the
`openssl` CLI. One berth (SigV4 on, a credentials file, as the ECR suite runs
it) serves TLS for the module; it is driven with curl (--cacert), the aws CLI
(--ca-bundle), skopeo (--dest-cert-dir/--src-cert-dir, a dir holding ca.crt)
and Python's ssl module. Everything here is berth behaviour."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import subprocess
import time
import warnings
from pathlib import Path

import pytest
import requests

import ecrhelpers
from conftest import BERTH_BINARY, SKOPEO, Skopeo

pytestmark = pytest.mark.berth_only

OPENSSL = "/usr/bin/openssl"
CURL = "/usr/bin/curl"


# --------------------------------------------------------------------------
# PKI


class Pki:
    def __init__(self, root: Path):
        self.root = root
        self.ca_cert = root / "ca.crt"
        self.ca_key = root / "ca.key"
        self.cert = root / "server.crt"
        self.key = root / "server.key"
        self.other_key = root / "other.key"
        self.cert_dir = root / "certs.d"  # for skopeo: holds only ca.crt


def _openssl(*args: str, cwd: Path) -> None:
    p = subprocess.run([OPENSSL, *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    if not os.access(OPENSSL, os.X_OK):
        pytest.fail(f"{OPENSSL} not found (Debian package openssl)")
    pki = Pki(tmp_path_factory.mktemp("pki"))
    d = pki.root
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
             "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=berth test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "server.key",
             "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "server.ext",
             "-out", "server.crt", cwd=d)
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", "other.key", cwd=d)
    pki.cert_dir.mkdir()
    (pki.cert_dir / "ca.crt").write_bytes(pki.ca_cert.read_bytes())
    return pki


# --------------------------------------------------------------------------
# Servers


class TlsEcrServer(ecrhelpers.EcrServer):
    """EcrServer (SigV4, credentials file) serving HTTPS. `tls_args` are the
    TLS command-line arguments (None: the TLS files come from the
    environment); `public_url=False` leaves --public-url to its default."""

    def __init__(self, root: Path, creds, pki: Pki, tls_args: list[str] | None = None,
                 env: dict[str, str] | None = None, public_url: bool = True, **kw):
        super().__init__(root, BERTH_BINARY, creds, **kw)
        self.pki = pki
        self.base_url = f"https://{self.hostport}"
        self.tls_args = (["--tls-cert", str(pki.cert), "--tls-key", str(pki.key)]
                         if tls_args is None else tls_args)
        self.env = env
        self.public_url = public_url

    def command(self) -> list[str]:
        cmd = super().command()
        if not self.public_url:
            i = cmd.index("--public-url")
            del cmd[i:i + 2]
        return cmd + self.tls_args

    def start(self) -> None:
        if self.env is None:
            return super().start()
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

    def ready(self, timeout: float = 1) -> bool:
        r = requests.get(self.base_url + "/v2/", timeout=timeout, verify=str(self.pki.ca_cert))
        return r.status_code in (200, 401)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, ecr_creds, pki):
    server = TlsEcrServer(tmp_path_factory.mktemp("tls-berth"), ecr_creds, pki)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_ecr(tls_server, ecr_creds, tmp_path_factory) -> ecrhelpers.EcrEnv:
    return ecrhelpers.EcrEnv(tls_server, ecr_creds, tmp_path_factory.mktemp("tls-clients"))


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CURL, "-sS", "--max-time", "20", *args], capture_output=True,
                          text=True, timeout=60)


def aws(env: ecrhelpers.EcrEnv, pki: Pki, *args: str, check: bool = True) -> ecrhelpers.CliResult:
    return env.cli(*args, "--ca-bundle", str(pki.ca_cert), check=check)


def registry_password(env: ecrhelpers.EcrEnv, pki: Pki) -> str:
    return aws(env, pki, "get-login-password").stdout.strip()


# --------------------------------------------------------------------------
# curl and raw sockets


def test_curl_with_cacert_gets_v2(tls_server, tls_ecr, pki):
    url = tls_server.base_url + "/v2/"
    r = curl("--cacert", str(pki.ca_cert), "-o", "/dev/null", "-w", "%{http_code}", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "401"  # SigV4 mode: /v2/ wants the registry password
    password = registry_password(tls_ecr, pki)
    r = curl("--cacert", str(pki.ca_cert), "-u", f"AWS:{password}", "-D", "-", url)
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 200"), head
    assert "docker-distribution-api-version: registry/2.0" in head.lower()
    assert json.loads(body) == {}


def test_curl_without_the_ca_refuses_the_certificate(tls_server):
    r = curl("-o", "/dev/null", tls_server.base_url + "/v2/")
    assert r.returncode == 60, (r.returncode, r.stderr)  # peer certificate cannot be verified


def test_plain_http_to_the_tls_port_fails(tls_server):
    url = f"http://{tls_server.hostport}/v2/"
    r = requests.get(url, timeout=60)
    assert r.status_code == 400
    assert "HTTPS" in r.text and "errors" not in r.text  # not served by /v2/
    r = curl("-o", "/dev/null", "-w", "%{http_code}", url)
    assert r.stdout == "400", (r.stdout, r.stderr)
    # the listener still serves TLS afterwards
    assert tls_server.ready()


def _handshake(port: int, minimum: ssl.TLSVersion, maximum: ssl.TLSVersion, ca: Path) -> str:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old versions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1/TLSv1_1 on purpose
        ctx.minimum_version = minimum
        ctx.maximum_version = maximum
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"  # never h2
            return tls.version()


def test_tls_versions(tls_server, pki):
    assert _handshake(tls_server.port, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2,
                      pki.ca_cert) == "TLSv1.2"
    assert _handshake(tls_server.port, ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3,
                      pki.ca_cert) == "TLSv1.3"
    with pytest.raises(ssl.SSLError) as refused:
        _handshake(tls_server.port, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, pki.ca_cert)
    # the server's alert, not a client-side refusal to offer TLS 1.1
    assert "ALERT_PROTOCOL_VERSION" in str(refused.value).upper(), refused.value


def test_stalled_handshake_does_not_block_others(tls_server, pki):
    # A client that connects and never says hello holds nothing up.
    idle = [socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) for _ in range(20)]
    try:
        for _ in range(5):
            assert tls_server.ready(timeout=60)
    finally:
        for s in idle:
            s.close()


# --------------------------------------------------------------------------
# aws CLI


def test_aws_cli_with_ca_bundle(tls_ecr, pki, repo):
    created = aws(tls_ecr, pki, "create-repository", "--repository-name", repo).json
    assert created["repository"]["repositoryName"] == repo
    # repositoryUri defaults to the public URL's host
    assert created["repository"]["repositoryUri"] == f"{tls_ecr.server.hostport}/{repo}"
    described = aws(tls_ecr, pki, "describe-repositories", "--repository-names", repo).json
    assert [r["repositoryName"] for r in described["repositories"]] == [repo]
    # without the CA the CLI refuses the server
    res = tls_ecr.cli("describe-repositories", "--repository-names", repo, check=False)
    assert res.rc != 0 and "SSL" in res.stderr.upper(), res.stderr


# --------------------------------------------------------------------------
# skopeo


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_skopeo_push_pull_with_cert_dir(tls_server, tls_ecr, pki, layouts, repo, tmp_path):
    if not os.access(SKOPEO, os.X_OK):
        pytest.fail(f"skopeo not found at {SKOPEO}")
    aws(tls_ecr, pki, "create-repository", "--repository-name", repo)
    creds = f"AWS:{registry_password(tls_ecr, pki)}"
    d = tmp_path / "skopeo"
    d.mkdir()
    sk = Skopeo(tls_server, d)
    img = layouts["single"]
    sk.run("copy", "--retry-times", "0", "--preserve-digests",
           "--dest-tls-verify=true", "--dest-cert-dir", str(pki.cert_dir), "--dest-creds", creds,
           f"oci:{layouts['single_dir']}:img", sk.ref(repo, "v1"))

    out = tmp_path / "pulled"
    sk.run("copy", "--retry-times", "0",
           "--src-tls-verify=true", "--src-cert-dir", str(pki.cert_dir), "--src-creds", creds,
           sk.ref(repo, "v1"), f"dir:{out}")
    assert (out / "manifest.json").read_bytes() == img.manifest.data
    for blob in img.blobs:
        got = (out / blob.digest.split(":", 1)[1]).read_bytes()
        assert len(got) == len(blob.data) and got == blob.data, blob.digest

    # blobs over TLS, whole and ranged (pread from an offset, several pieces)
    big = max(img.layers, key=lambda b: b.size)
    kw = {"verify": str(pki.ca_cert), "auth": tuple(creds.split(":", 1)), "timeout": 60}
    url = f"{tls_server.base_url}/v2/{repo}/blobs/{big.digest}"
    r = requests.get(url, **kw)
    assert r.status_code == 200 and _sha256(r.content) == big.digest
    first, last = 1000, len(big.data) - 7
    r = requests.get(url, headers={"Range": f"bytes={first}-{last}"}, **kw)
    assert r.status_code == 206 and r.content == big.data[first:last + 1]

    # without the CA skopeo refuses the registry
    p = sk.run("inspect", "--retry-times", "0", "--tls-verify=true", "--creds", creds,
               sk.ref(repo, "v1"), check=False)
    assert p.returncode != 0 and "certificate" in p.stderr, p.stderr


# --------------------------------------------------------------------------
# Flags


def test_public_url_defaults_to_https_and_env_configures_tls(tmp_path, ecr_creds, pki):
    env = {"BERTH_TLS_CERT": str(pki.cert), "BERTH_TLS_KEY": str(pki.key)}
    server = TlsEcrServer(tmp_path / "env", ecr_creds, pki, tls_args=[], env=env, public_url=False)
    server.start()
    try:
        r = requests.get(server.base_url + "/v2/", verify=str(pki.ca_cert), timeout=60)
        assert r.status_code == 401
        assert f'realm="https://{server.hostport}' in r.headers["WWW-Authenticate"], r.headers
    finally:
        server.stop()


def _serve_fails(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    p = subprocess.run([BERTH_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data),
                        "--auth", "none", *args], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0, p.stdout + p.stderr
    return p


def test_tls_flags_go_together(tmp_path, pki):
    p = _serve_fails(tmp_path, "--tls-cert", str(pki.cert))
    assert "--tls-key" in p.stderr + p.stdout
    p = _serve_fails(tmp_path, "--tls-key", str(pki.key))
    assert "--tls-cert" in p.stderr + p.stdout


def test_unusable_tls_files_stop_startup(tmp_path, pki):
    p = _serve_fails(tmp_path, "--tls-cert", str(pki.cert), "--tls-key", str(pki.other_key))
    out = p.stderr + p.stdout
    assert "TLS private key" in out and ("mismatch" in out or "does not match" in out), out
    p = _serve_fails(tmp_path, "--tls-cert", str(pki.key), "--tls-key", str(pki.key))
    assert "TLS certificate" in p.stderr + p.stdout, p.stderr
