"""Helpers for the ECR API integration tests (test_ecr_*.py).

The tests drive a real server with the real AWS clients:
  * boto3/botocore as Debian ships them (python3-boto3 under /usr/bin/python3);
    `EcrEnv.client()` uses the ECR model botocore ships, `EcrEnv.client(model="current")`
    the same botocore loaded with the current model from tests/integration/data/ecr-model
    (for members newer than Debian's botocore, e.g. imageTagMutabilityExclusionFilters);
  * the aws CLI (/usr/bin/aws, Debian awscli) as a subprocess;
  * raw HTTP signed with botocore's own SigV4 signer, for what no SDK sends on purpose
    (tampered signatures, stale dates, the query form).

Servers (`EcrServer` = berth with --auth sigv4, `MotoServer` = moto_server) expose the
same small interface: start/stop/alive/log_tail, base_url, hostport, host, target.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import boto3
import botocore
import botocore.session
import pytest
import requests
from botocore.auth import S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

import make_test_images as mti

# Keep every AWS client away from the user's configuration and from EC2 metadata.
for _k, _v in {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
               "AWS_EC2_METADATA_DISABLED": "true"}.items():
    os.environ[_k] = _v
for _k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
    os.environ.pop(_k, None)

REPO_ROOT = Path(__file__).resolve().parents[2]
# The ECR model without its docs (scripts/gen_ecr_test_model.py), kept in
# the repository so the tests need nothing outside it.
REFERENCE_MODEL = Path(os.environ.get(
    "BERTH_ECR_MODEL_DIR", str(REPO_ROOT / "tests" / "integration" / "data" / "ecr-model")))
AWS_CLI = os.environ.get("AWS_CLI", "/usr/bin/aws")
TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921"
JSON_CT = "application/x-amz-json-1.1"

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"

MT_OCI_MANIFEST = mti.MT_OCI_MANIFEST
MT_OCI_INDEX = mti.MT_OCI_INDEX
MT_OCI_CONFIG = mti.MT_OCI_CONFIG
MT_OCI_LAYER_GZIP = mti.MT_OCI_LAYER_GZIP
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

READY_TIMEOUT = 30.0


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Creds:
    access_key: str
    secret_key: str
    account: str = ACCOUNT


def make_credentials() -> tuple[Creds, Creds]:
    """The default-account key and a key of another account (random secrets)."""
    return (Creds("AKIABERTHINTEG000001", secrets.token_urlsafe(30), ACCOUNT),
            Creds("AKIABERTHINTEG000002", secrets.token_urlsafe(30), OTHER_ACCOUNT))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# Servers


class _Process:
    target = "?"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root / "server.log"
        self.port = free_port()
        self.hostport = f"127.0.0.1:{self.port}"
        self.host = self.hostport  # registry host in docker:// references
        self.base_url = f"http://{self.hostport}"
        self.process: subprocess.Popen | None = None
        self.env: dict[str, str] | None = None  # extra environment for the process

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        env = None if self.env is None else {**os.environ, **self.env}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.root, env=env)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} exited with {self.process.returncode} during startup\n"
                                   + self.log_tail())
            try:
                if self.ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.target} not ready after {READY_TIMEOUT}s\n" + self.log_tail())

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return f"---- {self.target} log (tail) ----\n" + "\n".join(lines[-n:])


class EcrServer(_Process):
    """berth serve with SigV4 on both APIs (or --auth none), its own data dir."""

    target = "berth"

    def __init__(self, root: Path, binary: str, creds: Sequence[Creds], auth: str = "sigv4",
                 put_image_validation: str = "strict", extra: Sequence[str] = (),
                 env: dict[str, str] | None = None):
        super().__init__(root)
        self.env = env
        self.binary = binary
        self.creds = list(creds)
        self.auth = auth
        self.put_image_validation = put_image_validation
        self.extra = list(extra)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.credentials_file = self.root / "credentials"
        self.credentials_file.write_text(
            "".join(f"{c.access_key} {c.secret_key} {c.account}\n" for c in self.creds))
        # Known, so the tests can mint tokens in berth's documented formats
        # (expired download URLs / registry passwords).
        self.token_secret = "berth-integration-" + secrets.token_hex(16)

    def command(self) -> list[str]:
        if not os.access(self.binary, os.X_OK):
            pytest.fail(f"berth binary not found or not executable: {self.binary} "
                        "(build it, set BERTH_BINARY, or run with BERTH_ECR_TARGET=moto)")
        return [self.binary, "serve", "--listen", self.hostport, "--data-dir", str(self.data_dir),
                "--public-url", self.base_url, "--log-level", "info", "--auth", self.auth,
                "--credentials", str(self.credentials_file), "--account-id", ACCOUNT,
                "--region", REGION, "--put-image-validation", self.put_image_validation,
                "--token-secret", self.token_secret, *self.extra]

    def ready(self) -> bool:
        return requests.get(self.base_url + "/v2/", timeout=1).status_code in (200, 401)


class MotoServer(_Process):
    """moto_server (from the pyenv Python). Accepts any credentials, stores no blobs."""

    target = "moto"

    def command(self) -> list[str]:
        exe = shutil.which("moto_server")
        if exe is None:
            pytest.fail("moto_server not found on PATH (BERTH_ECR_TARGET=moto needs moto)")
        return [exe, "-H", "127.0.0.1", "-p", str(self.port)]

    def ready(self) -> bool:
        return requests.get(self.base_url + "/moto-api/", timeout=1).status_code < 500


# --------------------------------------------------------------------------
# Clients


_current_model_dir: Path | None = None


def current_model_data_dir(tmp_root: Path) -> Path:
    """A botocore data dir holding ecr/2015-09-21/{service-2,paginators-1,waiters-2}.json
    from the reference model (the endpoint rule set still comes from botocore)."""
    global _current_model_dir
    if _current_model_dir is None:
        d = tmp_root / "botocore-data" / "ecr" / "2015-09-21"
        d.mkdir(parents=True, exist_ok=True)
        for name in ("service-2.json", "paginators-1.json", "waiters-2.json"):
            shutil.copy(REFERENCE_MODEL / name, d / name)
        _current_model_dir = tmp_root / "botocore-data"
    return _current_model_dir


@dataclass
class CliResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None

    def error_code(self) -> str | None:
        # "An error occurred (RepositoryNotFoundException) when calling the ... operation: ..."
        import re
        m = re.search(r"An error occurred \(([A-Za-z0-9_.]+)\)", self.stderr)
        return m.group(1) if m else None


class EcrEnv:
    """Everything a test needs to talk to one ECR server."""

    def __init__(self, server, creds: Sequence[Creds], tmp_root: Path):
        self.server = server
        self.creds = list(creds)
        self.tmp_root = tmp_root
        self._clients: dict = {}

    # -- facts about the target --------------------------------------------
    @property
    def target(self) -> str:
        return self.server.target

    @property
    def is_berth(self) -> bool:
        return self.target == "berth"

    @property
    def is_moto(self) -> bool:
        return self.target == "moto"

    @property
    def endpoint(self) -> str:
        return self.server.base_url

    @property
    def default(self) -> Creds:
        return self.creds[0]

    # -- boto3 --------------------------------------------------------------
    def client(self, creds: Creds | None = None, model: str = "shipped", region: str = REGION):
        creds = creds or self.default
        key = (creds, model, region)
        if key not in self._clients:
            bsession = botocore.session.get_session()
            if model == "current":
                bsession.get_component("data_loader").search_paths.insert(
                    0, str(current_model_data_dir(self.tmp_root)))
            else:
                assert model == "shipped", model
            session = boto3.session.Session(botocore_session=bsession)
            self._clients[key] = session.client(
                "ecr", endpoint_url=self.endpoint, region_name=region,
                aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                              read_timeout=120, parameter_validation=True))
        return self._clients[key]

    # -- aws CLI ------------------------------------------------------------
    def cli_env(self, creds: Creds | None = None) -> dict[str, str]:
        creds = creds or self.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": creds.access_key, "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard", "HOME": str(self.tmp_root),
        })
        return env

    def cli(self, *args: str, creds: Creds | None = None, check: bool = True,
            input: str | None = None, timeout: float = 60) -> CliResult:
        cmd = [AWS_CLI, "ecr", *args, "--endpoint-url", self.endpoint, "--region", REGION,
               "--output", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.cli_env(creds),
                           input=input, timeout=timeout, cwd=self.tmp_root)
        res = CliResult(p.returncode, p.stdout, p.stderr)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\n"
                        f"stderr: {p.stderr}\n" + self.server.log_tail(20))
        return res

    def cli_error(self, *args: str, code: str, creds: Creds | None = None) -> CliResult:
        """Runs a CLI command that must fail with the ECR error `code`."""
        res = self.cli(*args, creds=creds, check=False)
        assert res.rc != 0, f"aws ecr {args[0]} succeeded, expected {code}: {res.stdout}"
        assert res.error_code() == code, f"expected {code}, got stderr {res.stderr!r}"
        return res

    def cli_many(self, *calls: tuple[Sequence[str], str | None]) -> list[CliResult]:
        """Runs independent CLI commands concurrently (the CLI takes ~1 s to start).
        Each call is (args, None) for success or (args, "ErrorCode") for that ECR error."""
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            results = list(pool.map(lambda call: self.cli(*call[0], check=False), calls))
        for (args, code), res in zip(calls, results):
            if code is None:
                assert res.rc == 0, f"aws ecr {' '.join(args)} failed: {res.stderr}"
            else:
                assert res.rc != 0, f"aws ecr {args[0]} succeeded, expected {code}: {res.stdout}"
                assert res.error_code() == code, f"aws ecr {args[0]}: expected {code}, got {res.stderr!r}"
        return results

    # -- raw HTTP with botocore's signer --------------------------------------
    def sign(self, method: str, url: str, body: bytes = b"", headers: dict | None = None,
             creds: Creds | None = None, region: str = REGION, service: str = "ecr",
             when: dt.datetime | None = None) -> AWSRequest:
        creds = creds or self.default
        req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        signer = FixedTimeSigV4Auth(BotoCredentials(creds.access_key, creds.secret_key), service,
                                    region, when)
        signer.add_auth(req)
        return req

    def raw(self, op: str | None, payload: Any = None, *, creds: Creds | None = None,
            sign: bool = True, headers: dict | None = None, body: bytes | None = None,
            when: dt.datetime | None = None, region: str = REGION, service: str = "ecr",
            mutate=None) -> requests.Response:
        """POST / as AWS JSON 1.1. `mutate(prepared_headers, body) -> (headers, body)`
        runs after signing (to tamper)."""
        if body is None:
            body = json.dumps(payload if payload is not None else {}).encode()
        h = {"Content-Type": JSON_CT}
        if op is not None:
            h["X-Amz-Target"] = f"{TARGET_PREFIX}.{op}"
        h.update(headers or {})
        url = self.endpoint + "/"
        if sign:
            req = self.sign("POST", url, body, h, creds=creds, when=when, region=region,
                            service=service)
            h = dict(req.headers.items())
        if mutate is not None:
            h, body = mutate(h, body)
        return requests.post(url, data=body, headers=h, timeout=60)

    def query(self, params: Sequence[tuple[str, str]], *, presign: bool | str = False,
              creds: Creds | None = None) -> requests.Response:
        """GET /?Action=...: signed with an Authorization header, or presigned."""
        url = query_url(self.endpoint, params)
        creds = creds or self.default
        if presign:
            # presign=True: botocore's generic SigV4QueryAuth (payload hash = sha256 of the empty
            # body); presign="unsigned": the S3 flavour, UNSIGNED-PAYLOAD.
            req = AWSRequest(method="GET", url=url)
            cls = S3SigV4QueryAuth if presign == "unsigned" else SigV4QueryAuth
            cls(BotoCredentials(creds.access_key, creds.secret_key), "ecr", REGION,
                expires=300).add_auth(req)
            return requests.get(req.url, timeout=60)
        req = self.sign("GET", url, b"", {}, creds=creds)
        return requests.get(url, headers=dict(req.headers.items()), timeout=60)

    # -- registry login -------------------------------------------------------
    def password(self, creds: Creds | None = None) -> str:
        data = self.client(creds).get_authorization_token()["authorizationData"][0]
        user, _, pw = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        assert user == "AWS"
        return pw

    def basic_auth(self, creds: Creds | None = None) -> dict[str, str]:
        token = base64.b64encode(f"AWS:{self.password(creds)}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    # -- images ---------------------------------------------------------------
    def create_repository(self, name: str, **kw) -> dict:
        return self.client().create_repository(repositoryName=name, **kw)["repository"]

    def upload_blob(self, repo: str, data: bytes, part_size: int | None = None,
                    client=None) -> str:
        """InitiateLayerUpload / UploadLayerPart* / CompleteLayerUpload; returns the digest.
        LayerAlreadyExistsException counts as success (as AWS's own resolver treats it)."""
        c = client or self.client()
        digest = sha256_digest(data)
        up = c.initiate_layer_upload(repositoryName=repo)
        uid = up["uploadId"]
        step = part_size or max(1, len(data))
        for off in range(0, len(data), step):
            part = data[off:off + step]
            r = c.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=off,
                                    partLastByte=off + len(part) - 1, layerPartBlob=part)
            assert r["lastByteReceived"] == off + len(part) - 1, r
        try:
            r = c.complete_layer_upload(repositoryName=repo, uploadId=uid, layerDigests=[digest])
            assert r["layerDigest"] == digest, r
        except ClientError as e:
            if e.response["Error"]["Code"] != "LayerAlreadyExistsException":
                raise
        return digest

    def upload_blobs(self, repo: str, blobs: Iterable[mti.Blob]) -> None:
        """Uploads blobs through the layer API. moto implements no layer API and checks
        no layers, so there is nothing to upload there."""
        if self.is_moto:
            return
        for b in blobs:
            self.upload_blob(repo, b.data)

    def put_manifest(self, repo: str, manifest: bytes, tag: str | None = None,
                     media_type: str | None = None, digest: str | None = None,
                     pass_digest: bool | None = None, client=None) -> dict:
        """PutImage. On moto the digest is always passed (moto computes its own
        non-sha256-of-bytes digest otherwise; see ecr-semantics.md 6.1)."""
        c = client or self.client()
        kw: dict[str, Any] = {"repositoryName": repo, "imageManifest": manifest.decode()}
        if tag is not None:
            kw["imageTag"] = tag
        if media_type is not None:
            kw["imageManifestMediaType"] = media_type
        if pass_digest is None:
            pass_digest = self.is_moto
        if digest is not None:
            kw["imageDigest"] = digest
        elif pass_digest:
            kw["imageDigest"] = sha256_digest(manifest)
        return c.put_image(**kw)["image"]

    def push_image(self, repo: str, tag: str | None, seed: int = 1,
                   layer_sizes: Sequence[int] = (512, 1024), platform: str = "linux/amd64",
                   annotations: dict | None = None) -> mti.Image:
        img = mti.build_image(seed, layer_sizes, platform, annotations)
        self.upload_blobs(repo, img.blobs)
        out = self.put_manifest(repo, img.manifest.data, tag=tag)
        assert out["imageId"]["imageDigest"] == img.manifest.digest, out
        return img

    def push_index(self, repo: str, tag: str | None, seed: int = 1,
                   layer_sizes: Sequence[int] = (256,),
                   platforms: Sequence[str] = ("linux/amd64", "linux/arm64")) -> mti.MultiArch:
        ma = mti.build_multiarch(seed, layer_sizes, platforms)
        for img in ma.images:
            self.upload_blobs(repo, img.blobs)
            self.put_manifest(repo, img.manifest.data)
        out = self.put_manifest(repo, ma.index.data, tag=tag)
        assert out["imageId"]["imageDigest"] == ma.index.digest, out
        return ma


def query_url(endpoint: str, params: Sequence[tuple[str, str]]) -> str:
    """`endpoint/?k=v&...` percent-encoded as SigV4 wants it (RFC 3986: %20, never '+')."""
    return endpoint + "/?" + urllib.parse.urlencode(list(params), quote_via=urllib.parse.quote, safe="")


class FixedTimeSigV4Auth(SigV4Auth):
    """botocore's SigV4Auth, optionally signing as of a given instant."""

    def __init__(self, credentials, service_name, region_name, when: dt.datetime | None = None):
        super().__init__(credentials, service_name, region_name)
        self.when = when

    def add_auth(self, request):
        if self.when is None:
            return super().add_auth(request)
        request.context["timestamp"] = self.when.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        sts = self.string_to_sign(request, canonical)
        self._inject_signature_to_request(request, self.signature(sts, request))


# --------------------------------------------------------------------------
# Assertions


@contextlib.contextmanager
def raises_ecr(code: str, status: int = 400, message: str | None = None):
    """The block raises a botocore ClientError with this ECR error code and HTTP
    status; `message` (if given) must occur in the error message."""
    holder: dict[str, Any] = {}
    try:
        yield holder
    except ClientError as e:
        err = e.response["Error"]
        holder["error"] = err
        holder["response"] = e.response
        assert err["Code"] == code, f"expected {code}, got {err['Code']}: {err.get('Message')}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status, e.response["ResponseMetadata"]
        assert err.get("Message"), f"{code} without a message: {e.response}"
        if message is not None:
            assert message in err["Message"], err["Message"]
        return
    pytest.fail(f"no error raised, expected {code}")


def assert_raw_error(resp: requests.Response, status: int | Sequence[int],
                     types: str | Iterable[str]) -> dict:
    """An AWS JSON error: status, a `__type` from `types` (after stripping any
    `namespace#` prefix) and a message."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    types = {types} if isinstance(types, str) else set(types)
    assert resp.status_code in statuses, (resp.status_code, resp.text[:500])
    body = resp.json()
    t = body.get("__type", "").split("#")[-1].split(":")[0]
    assert t in types, f"__type {body.get('__type')!r} not in {sorted(types)}: {body}"
    msg = body.get("message", body.get("Message"))
    assert isinstance(msg, str) and msg, body
    return body


def image_ids(items: Iterable[dict]) -> set[tuple[str | None, str | None]]:
    return {(i.get("imageDigest"), i.get("imageTag")) for i in items}


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --------------------------------------------------------------------------
# berth's documented token formats (src/auth/ecr_token.hpp,
# src/api/oci/registry_auth.hpp). Only used to mint *expired* tokens, which
# no test can otherwise obtain without waiting 1 h / 12 h; every test that
# mints also shows that a freshly minted valid token is accepted.


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _fields(*values: str) -> bytes:
    out = b"1"
    for v in values:
        b = v.encode()
        out += str(len(b)).encode() + b":" + b
    return out


def _mint(secret: str, label: str, payload: bytes) -> str:
    key = hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()
    return _b64url(payload) + "." + _b64url(hmac.new(key, payload, hashlib.sha256).digest())


def mint_download_token(secret: str, repository: str, digest: str, expires_at_ms: int,
                        registry_id: str = f"{ACCOUNT}:{REGION}") -> str:
    return _mint(secret, "berth/download-token/v1",
                 _fields(str(expires_at_ms), registry_id, repository, digest))


def mint_registry_password(secret: str, access_key: str, expires_at_ms: int,
                           account: str = ACCOUNT, region: str = REGION) -> str:
    return _mint(secret, "berth/ecr-token/v1", _fields(str(expires_at_ms), access_key, account, region))


# --------------------------------------------------------------------------
# Manifest shapes


def docker_v2s2_manifest(img: mti.Image, pretty: bool = False) -> bytes:
    """The Docker schema 2 form of `img` (same config and layer blobs)."""
    m = {
        "schemaVersion": 2,
        "mediaType": MT_DOCKER_MANIFEST,
        "config": {"mediaType": MT_DOCKER_CONFIG, "size": img.config.size, "digest": img.config.digest},
        "layers": [{"mediaType": MT_DOCKER_LAYER, "size": b.size, "digest": b.digest} for b in img.layers],
    }
    return (json.dumps(m, indent=3) + "\n").encode() if pretty else json.dumps(m).encode()


def docker_manifest_list(images: Sequence[tuple[bytes, dict]]) -> bytes:
    """A Docker manifest list over (manifest bytes, platform) pairs."""
    return json.dumps({
        "schemaVersion": 2, "mediaType": MT_DOCKER_LIST,
        "manifests": [{"mediaType": MT_DOCKER_MANIFEST, "size": len(b), "digest": sha256_digest(b),
                       "platform": p} for b, p in images],
    }).encode()
