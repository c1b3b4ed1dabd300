"""Security tests (issue 5, "Security tests"): with authentication on, berth refuses
whoever has no right, whatever they send.

One berth of this module's own (--auth sigv4, a credentials file of two accounts,
111111111111 and 222222222222, a known --token-secret, --log-level debug, stderr to
<root>/server.log) serves every test here, so the whole module's traffic lands in one
log that the last test searches for secrets.

  1. every /v2/ endpoint refuses missing, malformed, garbage, tampered, forged, expired
     and foreign credentials, with 401, a Basic challenge and the OCI error JSON,
     and none of the refused requests changes anything;
  2. every ECR operation of the model refuses missing, malformed, stale, future,
     unknown-key, wrong-secret and foreign-pair signatures with the documented
     exception, and never echoes the secret or the signature;
  3. GetAuthorizationToken passwords expire (and a valid one is accepted);
  4. registry isolation: a password selects its own account's registry; another
     account's repositories and blobs (present in the shared content-addressed
     store) do not exist from there, by read, mount, upload-shortcut or ECR call;
  5. a blob of repository X is not readable through repository Y of the same registry,
     nor usable by a manifest in Y, until mounted;
  6. a download token admits GET/HEAD of exactly its blob in its repository until it
     expires, nothing else;
  7. no path traversal through names, digests, upload ids or query parameters
     (canaries next to the data dir stay untouched; the data dir holds only berth's
     own files);
  8. the log never holds a secret key, a signature, a password, a Basic credential or
     a download token.

Expired passwords and download tokens are minted with the server secret in the
documented formats (src/auth/ecr_token.hpp, src/api/oci/registry_auth.hpp,
ecrhelpers.mint_*); each test that mints also shows a freshly minted one is accepted,
so a minting mistake cannot pass for a refusal.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

import ecrhelpers
import make_test_images as mti
from conftest import BERTH_BINARY, ECR_TARGET
from ecrhelpers import (JSON_CT, REGION, REFERENCE_MODEL, TARGET_PREFIX, Creds, EcrEnv,
                        mint_download_token, mint_registry_password, now_utc)
from ocihelpers import (ACCEPT_ALL_MANIFESTS, MT_OCI_MANIFEST, assert_oci_error, raw_request,
                        sha256_digest, target_of)

pytestmark = pytest.mark.berth_only

if ECR_TARGET != "berth":  # these are berth's own guarantees; moto has no authentication
    pytest.skip("security tests need berth (BERTH_ECR_TARGET=berth)", allow_module_level=True)

ACCT_A = "111111111111"
ACCT_B = "222222222222"
REG_A = f"{ACCT_A}:{REGION}"
REG_B = f"{ACCT_B}:{REGION}"

X = "sec/x"          # account A
Y = "sec/y"          # account A
SHARED = "sec/shared"  # exists in both accounts; only B's holds B's image
B_REPO = "sec/b"     # account B only

OCI_ERROR_CT = "application/json"
CANARY_TEXT = b"berth security canary: must never be read, written, moved or deleted\n"
# Top-level entries berth may create in its data dir.
DATA_DIR_ALLOWED = re.compile(r"^(blobs|uploads|metadata\.db(-wal|-shm|-journal|\.lock)?|credentials|token-secret)$")


# --------------------------------------------------------------------------
# Everything secret this module sends, for the log test (and the echo checks).


class SecretLog:
    def __init__(self):
        self.items: dict[str, str] = {}

    def add(self, kind: str, value: str | None) -> None:
        # Short values (e.g. "garbage", "zz..") would match by accident; real secrets,
        # signatures, passwords and tokens are all far longer.
        if value and len(value) >= 16:
            self.items.setdefault(value, kind)

    def add_authorization(self, value: str | None) -> None:
        if not value:
            return
        self.add("Authorization header", value)
        m = re.search(r"Signature=([0-9a-fA-F]{16,})", value)
        if m:
            self.add("SigV4 signature", m.group(1))
        if value.startswith("Basic "):
            token = value[6:].strip()
            self.add("Basic credential", token)
            try:
                _, _, pw = base64.b64decode(token, validate=True).decode().partition(":")
                self.add("registry password", pw)
            except Exception:
                pass

    def add_url(self, url: str) -> None:
        for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query):
            if k in ("X-Berth-Download", "X-Amz-Signature", "X-Amz-Security-Token"):
                self.add(k, v)

    def add_request(self, method: str, url: str, headers) -> None:
        self.add_url(url)
        for k, v in dict(headers).items():
            if k.lower() == "authorization":
                self.add_authorization(v if isinstance(v, str) else v.decode())


SENT = SecretLog()


class RecordingSession(requests.Session):
    """A requests.Session that records every credential it sends."""

    def send(self, request, **kw):
        SENT.add_request(request.method, request.url, request.headers)
        return super().send(request, **kw)


def raw(srv, method: str, target: str, body: bytes = b"", headers: dict | None = None):
    headers = dict(headers or {})
    SENT.add_request(method, target, headers)
    return raw_request("127.0.0.1", srv.port, method, target, body, headers)


def b64(s: str | bytes) -> str:
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + b64(f"{user}:{password}")


def now_ms() -> int:
    return int(time.time() * 1000)


def flip_char(s: str, index: int) -> str:
    c = s[index]
    return s[:index] + ("B" if c != "B" else "C") + s[index + 1:]


def tamper_token(token: str, part: int) -> str:
    """Flips a character in the middle of the payload (part 0) or the MAC (part 1) of a
    `<b64url payload>.<b64url mac>` token (never the last MAC character, whose low bits
    are padding)."""
    payload, mac = token.split(".")
    if part == 0:
        return flip_char(payload, len(payload) // 2) + "." + mac
    return payload + "." + flip_char(mac, len(mac) // 2)


def _unb64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def extend_expiry(token: str) -> str:
    """The token with its expires_at_ms moved 10 years on, keeping the old MAC (a forgery)."""
    payload_b64, mac = token.split(".")
    payload = _unb64url(payload_b64)
    m = re.match(rb"^1(\d+):(\d+)", payload)
    assert m, payload
    expires = int(m.group(2)) + 10 * 365 * 86400 * 1000
    new = b"1" + str(len(str(expires))).encode() + b":" + str(expires).encode() + payload[m.end():]
    return base64.urlsafe_b64encode(new).rstrip(b"=").decode() + "." + mac


def realm_challenge(srv) -> str:
    return f'Basic realm="{srv.base_url}",service="ecr.amazonaws.com"'


# --------------------------------------------------------------------------
# The server and the world it holds


class SecServer(ecrhelpers.EcrServer):
    """EcrServer at --log-level debug (the most a log may hold)."""

    def command(self) -> list[str]:
        cmd = super().command()
        cmd[cmd.index("--log-level") + 1] = "debug"
        return cmd


class World:
    def __init__(self, srv: SecServer, env: EcrEnv, a: Creds, b: Creds, root: Path):
        self.srv = srv
        self.env = env
        self.a = a
        self.b = b
        self.root = root
        self.http = RecordingSession()
        self._hooked: set[int] = set()

    # -- clients -----------------------------------------------------------
    def client(self, creds: Creds):
        c = self.env.client(creds)
        if id(c) not in self._hooked:
            self._hooked.add(id(c))

            def record(request, **kw):
                SENT.add_request(request.method, request.url, request.headers)

            c.meta.events.register("before-send", record)
        return c

    def password(self, creds: Creds) -> str:
        data = self.client(creds).get_authorization_token()["authorizationData"][0]
        SENT.add("authorizationToken", data["authorizationToken"])
        user, _, pw = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        assert user == "AWS" and pw
        SENT.add("registry password", pw)
        return pw

    def auth(self, creds: Creds) -> dict[str, str]:
        return {"Authorization": basic("AWS", self.password(creds))}

    @property
    def secret(self) -> str:
        return self.srv.token_secret

    def v2(self, method: str, path: str, creds: Creds | None = None, headers: dict | None = None,
           **kw) -> requests.Response:
        h = dict(headers or {})
        if creds is not None:
            h.update(self.auth(creds))
        url = path if path.startswith("http") else self.srv.base_url + path
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.http.request(method, url, headers=h, **kw)

    def signed(self, op: str | None, payload=None, creds: Creds | None = None, *, mutate=None,
               when: dt.datetime | None = None, service: str = "ecr",
               sign: bool = True) -> tuple[requests.Response, dict]:
        """POST / as AWS JSON 1.1 signed with botocore's signer (then `mutate`d); returns the
        response and the headers actually sent."""
        body = json.dumps(payload if payload is not None else {}).encode()
        h = {"Content-Type": JSON_CT}
        if op is not None:
            h["X-Amz-Target"] = f"{TARGET_PREFIX}.{op}"
        url = self.srv.base_url + "/"
        if sign:
            req = self.env.sign("POST", url, body, h, creds=creds or self.a, when=when,
                                service=service)
            h = dict(req.headers.items())
        if mutate is not None:
            h, body = mutate(dict(h), body)
        r = self.http.post(url, data=body, headers=h, timeout=30)
        return r, h

    # -- pushing through the ECR API -----------------------------------------
    def push_image(self, creds: Creds, repo: str, tag: str, seed: int,
                   layer_sizes=(1500,)) -> mti.Image:
        img = mti.build_image(seed, layer_sizes)
        c = self.client(creds)
        for blob in img.blobs:
            self.env.upload_blob(repo, blob.data, client=c)
        out = self.env.put_manifest(repo, img.manifest.data, tag=tag, client=c)
        assert out["imageId"]["imageDigest"] == img.manifest.digest
        return img

    def create_repo(self, creds: Creds, name: str) -> None:
        self.client(creds).create_repository(repositoryName=name)

    def download_url(self, creds: Creds, repo: str, digest: str) -> str:
        out = self.client(creds).get_download_url_for_layer(repositoryName=repo, layerDigest=digest)
        SENT.add_url(out["downloadUrl"])
        return out["downloadUrl"]


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Content and mtime of every file under root outside data/ and the log (the canaries,
    the credentials file), and the set of directories."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("data", "server.log"):
            continue
        out[str(rel)] = (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else (b"<dir>", 0)
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("security")
    a = Creds("AKIASECURITYTESTA001", "secA-" + secrets.token_urlsafe(30), ACCT_A)
    b = Creds("AKIASECURITYTESTB002", "secB-" + secrets.token_urlsafe(30), ACCT_B)
    for c in (a, b):
        SENT.add("secret access key", c.secret_key)
    # Canaries next to the data dir, where a traversal out of data/, data/blobs/...
    # or data/uploads/<id> would land ("../../x" from data/uploads/<id> is root/x).
    for rel in ("canary", "x", "evil", "etc/passwd", "data-canary/state"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(CANARY_TEXT)
    # root/data is the data dir; root/credentials and root/server.log are the server's.
    srv = SecServer(root, BERTH_BINARY, (a, b))
    SENT.add("token secret", srv.token_secret)
    srv.start()
    env = EcrEnv(srv, (a, b), tmp_path_factory.mktemp("security-clients"))
    w = World(srv, env, a, b, root)
    try:
        for name in (X, Y, SHARED):
            w.create_repo(a, name)
        for name in (B_REPO, SHARED):
            w.create_repo(b, name)
        w.img_x = w.push_image(a, X, "v1", seed=9101)
        w.img_b = w.push_image(b, B_REPO, "v1", seed=9102, layer_sizes=(1700,))
        w.img_shared_b = w.push_image(b, SHARED, "v1", seed=9103, layer_sizes=(1900,))
        w.canaries_before = _snapshot(root)
        yield w
    finally:
        srv.stop()


@pytest.fixture
def w(world):
    yield world
    if not world.srv.alive():
        rc = world.srv.process.returncode
        tail = world.srv.log_tail()
        world.srv.start()
        pytest.fail(f"berth died during this test (exit status {rc})\n{tail}")


def resp_text(r) -> str:
    if isinstance(r, requests.Response):
        return f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:300]!r}"
    return f"-> {r.status} {r.body[:300]!r}"


def check_401(srv, r: requests.Response, code: str = "UNAUTHORIZED") -> str | None:
    """None if `r` is the /v2/ gate's refusal, else what is wrong with it."""
    if r.status_code != 401:
        return f"status {r.status_code}: {r.text[:200]!r}"
    if r.headers.get("WWW-Authenticate") != realm_challenge(srv):
        return f"WWW-Authenticate {r.headers.get('WWW-Authenticate')!r}"
    if r.request.method == "HEAD":
        return None if r.content == b"" else "HEAD with a body"
    if r.headers.get("Content-Type", "").split(";")[0] != OCI_ERROR_CT:
        return f"Content-Type {r.headers.get('Content-Type')!r}"
    try:
        errors = r.json()["errors"]
    except Exception:
        return f"not OCI error JSON: {r.text[:200]!r}"
    if not errors or any(e.get("code") != code or not isinstance(e.get("message"), str)
                         for e in errors):
        return f"expected {code}: {errors}"
    return None


# ==========================================================================
# 1. /v2/: every endpoint refuses every bad credential


def _v2_endpoints(w: World, upload_path: str):
    img = w.img_x
    layer = img.layers[0].digest
    return [
        ("GET", "/v2/", None, {}),
        ("GET", "/v2/_catalog", None, {}),
        ("GET", f"/v2/{X}/tags/list", None, {}),
        ("GET", f"/v2/{X}/manifests/v1", None, {"Accept": ACCEPT_ALL_MANIFESTS}),
        ("HEAD", f"/v2/{X}/manifests/v1", None, {"Accept": ACCEPT_ALL_MANIFESTS}),
        ("GET", f"/v2/{X}/manifests/{img.manifest.digest}", None, {"Accept": ACCEPT_ALL_MANIFESTS}),
        ("PUT", f"/v2/{X}/manifests/sneaky", img.manifest.data, {"Content-Type": MT_OCI_MANIFEST}),
        ("DELETE", f"/v2/{X}/manifests/{img.manifest.digest}", None, {}),
        ("DELETE", f"/v2/{X}/manifests/v1", None, {}),
        ("HEAD", f"/v2/{X}/blobs/{layer}", None, {}),
        ("GET", f"/v2/{X}/blobs/{layer}", None, {}),
        ("DELETE", f"/v2/{X}/blobs/{layer}", None, {}),
        ("POST", f"/v2/{X}/blobs/uploads/", None, {}),
        ("POST", f"/v2/{X}/blobs/uploads/?digest={sha256_digest(b'sneaky')}", b"sneaky",
         {"Content-Type": "application/octet-stream"}),
        ("POST", f"/v2/{Y}/blobs/uploads/?mount={layer}&from={X}", None, {}),
        ("PATCH", upload_path, b"sneaky", {"Content-Type": "application/octet-stream"}),
        ("PUT", f"{upload_path}?digest={sha256_digest(b'sneaky')}", b"sneaky",
         {"Content-Type": "application/octet-stream"}),
        ("GET", upload_path, None, {}),
        ("DELETE", upload_path, None, {}),
        ("GET", f"/v2/{X}/referrers/{img.manifest.digest}", None, {}),
    ]


def test_v2_every_endpoint_refuses_bad_credentials(w):
    a = w.a
    good = w.password(a)
    # An upload in progress, started with a valid password, for the upload endpoints.
    r = w.v2("POST", f"/v2/{X}/blobs/uploads/", creds=a)
    assert r.status_code == 202, resp_text(r)
    upload_path = target_of(urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"]))
    assert "?" not in upload_path, upload_path
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(
        w.download_url(a, X, w.img_x.layers[0].digest)).query)["X-Berth-Download"][0]
    t = now_ms()
    fresh = mint_registry_password(w.secret, a.access_key, t + 600_000, ACCT_A, REGION)
    expired = mint_registry_password(w.secret, a.access_key, t - 1000, ACCT_A, REGION)
    other_secret = mint_registry_password("another-berth-" + secrets.token_hex(16), a.access_key,
                                          t + 600_000, ACCT_A, REGION)
    for p in (fresh, expired, other_secret):
        SENT.add("minted password", p)
    sigv4, _ = w.signed("DescribeRegistry")  # a real SigV4 header, for the wrong API
    sigv4_header = sigv4.request.headers["Authorization"]
    assert sigv4.status_code == 200, sigv4.text

    variants: dict[str, tuple[str | None, str]] = {
        "no credentials": (None, "UNAUTHORIZED"),
        "empty Basic": ("Basic ", "UNAUTHORIZED"),
        "garbage base64": ("Basic !!!not~base64@@@", "UNAUTHORIZED"),
        "no colon": ("Basic " + b64("AWS" + good), "UNAUTHORIZED"),
        "wrong user": (basic("admin", good), "UNAUTHORIZED"),
        "empty user": (basic("", good), "UNAUTHORIZED"),
        "Bearer scheme": ("Bearer " + good, "UNAUTHORIZED"),
        "SigV4 header": (sigv4_header, "UNAUTHORIZED"),
        "garbage password": (basic("AWS", "garbage"), "UNAUTHORIZED"),
        "empty password": (basic("AWS", ""), "UNAUTHORIZED"),
        "tampered payload": (basic("AWS", tamper_token(good, 0)), "UNAUTHORIZED"),
        "tampered MAC": (basic("AWS", tamper_token(good, 1)), "UNAUTHORIZED"),
        "MAC dropped": (basic("AWS", good.split(".")[0]), "UNAUTHORIZED"),
        "expiry extended (old MAC)": (basic("AWS", extend_expiry(expired)), "UNAUTHORIZED"),
        "expired": (basic("AWS", expired), "DENIED"),
        "another server's secret": (basic("AWS", other_secret), "UNAUTHORIZED"),
        "AWS secret key as password": (basic("AWS", a.secret_key), "UNAUTHORIZED"),
        "download token as password": (basic("AWS", token), "UNAUTHORIZED"),
    }
    endpoints = _v2_endpoints(w, upload_path)
    problems = []
    for name, (authorization, code) in variants.items():
        for method, path, body, headers in endpoints:
            h = dict(headers)
            if authorization is not None:
                h["Authorization"] = authorization
            r = w.v2(method, path, headers=h, data=body)
            problem = check_401(w.srv, r, code)
            if problem:
                problems.append(f"[{name}] {method} {path}: {problem}")
            # the refusal never echoes what was sent
            echo = r.text + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
            sent = [authorization or ""] + ([authorization.split(" ", 1)[1]]
                                            if authorization and " " in authorization else [])
            for s in sent + [good, expired, a.secret_key, token]:
                if len(s) >= 16 and s in echo:
                    problems.append(f"[{name}] {method} {path}: response echoes {s[:12]}...")
            if not problem and code == "DENIED" and method != "HEAD":
                assert "expired" in r.json()["errors"][0]["message"].lower(), r.text
    assert not problems, f"{len(problems)} refusals wrong:\n" + "\n".join(problems[:40])

    # Nothing the refused requests asked for happened ...
    auth = {"Authorization": basic("AWS", good)}
    img = w.img_x
    r = w.v2("GET", f"/v2/{X}/manifests/sneaky", headers={**auth, "Accept": ACCEPT_ALL_MANIFESTS})
    assert_oci_error(r, 404, "MANIFEST_UNKNOWN")
    r = w.v2("GET", f"/v2/{Y}/blobs/{img.layers[0].digest}", headers=auth)
    assert_oci_error(r, 404, "BLOB_UNKNOWN")
    r = w.v2("GET", f"/v2/{X}/blobs/{sha256_digest(b'sneaky')}", headers=auth)
    assert_oci_error(r, 404, "BLOB_UNKNOWN")
    r = w.v2("GET", upload_path, headers=auth)
    assert r.status_code == 204, resp_text(r)
    assert r.headers.get("Range", "0-0") == "0-0", r.headers  # nothing was PATCHed
    # ... and the same endpoints with the valid (and a freshly minted) password work.
    for pw in (good, fresh):
        auth = {"Authorization": basic("AWS", pw)}
        for method, path, expect in [
            ("GET", "/v2/", 200), ("GET", "/v2/_catalog", 200), ("GET", f"/v2/{X}/tags/list", 200),
            ("GET", f"/v2/{X}/manifests/v1", 200), ("HEAD", f"/v2/{X}/manifests/v1", 200),
            ("HEAD", f"/v2/{X}/blobs/{img.layers[0].digest}", 200),
            ("GET", f"/v2/{X}/blobs/{img.layers[0].digest}", 200),
            ("GET", upload_path, 204), ("GET", f"/v2/{X}/referrers/{img.manifest.digest}", 200),
        ]:
            r = w.v2(method, path, headers={**auth, "Accept": ACCEPT_ALL_MANIFESTS})
            assert r.status_code == expect, resp_text(r)
    assert w.v2("GET", f"/v2/{X}/blobs/{img.layers[0].digest}", creds=a).content == img.layers[0].data
    assert w.v2("DELETE", upload_path, creds=a).status_code == 204


# ==========================================================================
# 2. The ECR API: every operation refuses every bad signature


def _model_operations() -> list[str]:
    model = json.loads((REFERENCE_MODEL / "service-2.json").read_text())
    return sorted(model["operations"])


def _implemented_operations() -> set[str]:
    src = (Path(__file__).resolve().parents[2] / "src" / "api" / "ecr" / "operations.cpp").read_text()
    return set(re.findall(r'\{"([A-Za-z]+)",\s*&', src))


def _drop_signature(h, body):
    h["Authorization"] = h["Authorization"].split(", Signature=")[0]
    return h, body


def _bad_hex_signature(h, body):
    h["Authorization"] = re.sub(r"Signature=[0-9a-f]+", "Signature=" + "zz" * 32, h["Authorization"])
    return h, body


def _garbage_credential(h, body):
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
    return h, body


def _wrong_algorithm(h, body):
    h["Authorization"] = h["Authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1)
    return h, body


def _drop_date(h, body):
    h.pop("X-Amz-Date")
    return h, body


def _basic_instead(h, body):
    h["Authorization"] = basic("AWS", "whatever-password-000000")
    return h, body


def test_ecr_every_operation_refuses_bad_signatures(w):
    ops = _model_operations()
    implemented = _implemented_operations()
    assert len(implemented) >= 29 and implemented <= set(ops), sorted(implemented - set(ops))
    a, b = w.a, w.b
    stranger = Creds("AKIAUNKNOWNSECURITY0", "stranger-" + secrets.token_urlsafe(20))
    wrong_secret = Creds(a.access_key, a.secret_key[:-3] + "xyz", ACCT_A)
    foreign_pair = Creds(b.access_key, a.secret_key, ACCT_B)
    for c in (stranger, wrong_secret):
        SENT.add("bad secret", c.secret_key)
    now = now_utc()
    # (name, signing kwargs, expected status, __type, message fragment)
    cases = [
        ("missing", dict(sign=False), 403, "MissingAuthenticationTokenException", None),
        ("garbage credential", dict(mutate=_garbage_credential), 400, "IncompleteSignatureException", None),
        ("no Signature", dict(mutate=_drop_signature), 400, "IncompleteSignatureException", None),
        ("non-hex Signature", dict(mutate=_bad_hex_signature), 400, "IncompleteSignatureException", None),
        ("wrong algorithm", dict(mutate=_wrong_algorithm), 400, "IncompleteSignatureException", None),
        ("signed date absent", dict(mutate=_drop_date), 400, "IncompleteSignatureException", None),
        ("Basic instead of SigV4", dict(mutate=_basic_instead), 400, "IncompleteSignatureException", None),
        ("stale date", dict(when=now - dt.timedelta(minutes=20)), 403, "InvalidSignatureException",
         "Signature expired"),
        ("future date", dict(when=now + dt.timedelta(minutes=20)), 403, "InvalidSignatureException",
         "not yet current"),
        ("unknown key", dict(creds=stranger), 403, "UnrecognizedClientException", None),
        ("wrong secret", dict(creds=wrong_secret), 403, "InvalidSignatureException", None),
        ("B's key, A's secret", dict(creds=foreign_pair), 403, "InvalidSignatureException", None),
        ("scoped to s3", dict(service="s3"), 403, "InvalidSignatureException", None),
    ]
    secrets_ = [a.secret_key, b.secret_key, stranger.secret_key, wrong_secret.secret_key, w.secret]
    problems = []
    for op in ops:
        for name, kw, status, etype, fragment in cases:
            r, sent = w.signed(op, {}, **kw)
            where = f"[{name}] {op}"
            try:
                body = r.json()
            except ValueError:
                problems.append(f"{where}: not JSON: {r.status_code} {r.text[:200]!r}")
                continue
            got = body.get("__type", "").split("#")[-1]
            if r.status_code != status or got != etype:
                problems.append(f"{where}: expected {status} {etype}, got {r.status_code} {body}")
                continue
            if r.headers.get("X-Amzn-ErrorType", "").split(":")[0] != etype:
                problems.append(f"{where}: X-Amzn-ErrorType {r.headers.get('X-Amzn-ErrorType')!r}")
            if not r.headers.get("x-amzn-RequestId") or not body.get("message"):
                problems.append(f"{where}: no request id or message: {body}")
            if fragment and fragment not in body["message"]:
                problems.append(f"{where}: message {body['message']!r} lacks {fragment!r}")
            # Never echo the secret or the signature, in the body or any header.
            sig = re.search(r"Signature=([0-9a-f]{64})", sent.get("Authorization", ""))
            echo = "\n".join([r.text] + [f"{k}: {v}" for k, v in r.headers.items()])
            for s in secrets_ + ([sig.group(1)] if sig else []):
                if s in echo:
                    problems.append(f"{where}: the response echoes {s[:12]}...: {echo[:300]!r}")
    assert not problems, f"{len(problems)} wrong:\n" + "\n".join(problems[:40])

    # The query form (GET /?Action=...) is refused the same way.
    for op in ops:
        r = w.http.get(ecrhelpers.query_url(w.srv.base_url, [("Action", op)]), timeout=30)
        assert r.status_code == 403 and r.json()["__type"] == "MissingAuthenticationTokenException", \
            (op, r.status_code, r.text)
        for creds, etype in ((stranger, "UnrecognizedClientException"),
                             (wrong_secret, "InvalidSignatureException")):
            req = ecrhelpers.AWSRequest(method="GET", url=ecrhelpers.query_url(
                w.srv.base_url, [("Action", op)]))
            ecrhelpers.SigV4QueryAuth(ecrhelpers.BotoCredentials(creds.access_key, creds.secret_key),
                                      "ecr", REGION, expires=300).add_auth(req)
            r = w.http.get(req.url, timeout=30)
            assert r.status_code == 403 and r.json()["__type"] == etype, (op, r.status_code, r.text)
            qsig = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)["X-Amz-Signature"][0]
            assert qsig not in r.text and creds.secret_key not in r.text

    # Control: the same operations, validly signed, get past authentication (B's
    # registry, so nothing A's tests rely on changes).
    for op in ops:
        r, _ = w.signed(op, {}, creds=b)
        t = r.json().get("__type", "") if r.status_code != 200 else ""
        assert r.status_code == 200 or (r.status_code == 400 and t not in (
            "IncompleteSignatureException", "MissingAuthenticationTokenException")), (op, r.text)
        if op in implemented:
            assert t != "UnsupportedOperationException", (op, r.text)


# ==========================================================================
# 3. Registry passwords expire


def test_registry_password_expires(w):
    a = w.a
    before = now_utc()
    data = w.client(a).get_authorization_token()["authorizationData"][0]
    SENT.add("authorizationToken", data["authorizationToken"])
    pw = base64.b64decode(data["authorizationToken"]).decode().partition(":")[2]
    SENT.add("registry password", pw)
    assert before + dt.timedelta(hours=12) - dt.timedelta(minutes=1) <= data["expiresAt"] \
        <= now_utc() + dt.timedelta(hours=12) + dt.timedelta(minutes=1)
    url = f"/v2/{X}/tags/list"
    r = w.v2("GET", url, headers={"Authorization": basic("AWS", pw)})
    assert r.status_code == 200 and r.json()["tags"] == ["v1"], resp_text(r)

    # The password carries its expiry (ecr_token.hpp); one that expires in 1.5 s works,
    # then stops working by the clock alone.
    t = now_ms()
    short = mint_registry_password(w.secret, a.access_key, t + 1500, ACCT_A, REGION)
    SENT.add("minted password", short)
    r = w.v2("GET", url, headers={"Authorization": basic("AWS", short)})
    assert r.status_code == 200, resp_text(r)
    time.sleep(max(0.0, (t + 1700 - now_ms()) / 1000))
    r = w.v2("GET", url, headers={"Authorization": basic("AWS", short)})
    assert check_401(w.srv, r, "DENIED") is None, resp_text(r)
    assert r.json()["errors"][0]["message"] == \
        "Your authorization token has expired. Reauthenticate and try again."
    # 12 hours and a second ago: expired; the real one still works.
    old = mint_registry_password(w.secret, a.access_key, t - 1000, ACCT_A, REGION)
    SENT.add("minted password", old)
    r = w.v2("GET", url, headers={"Authorization": basic("AWS", old)})
    assert check_401(w.srv, r, "DENIED") is None, resp_text(r)
    r = w.v2("HEAD", f"/v2/{X}/manifests/v1", headers={"Authorization": basic("AWS", old)})
    assert check_401(w.srv, r, "DENIED") is None, resp_text(r)
    assert w.v2("GET", url, headers={"Authorization": basic("AWS", pw)}).status_code == 200


# ==========================================================================
# 4. Registry isolation between accounts


def test_registry_isolation_between_accounts(w):
    """berth's model (docs/ecr.md "Registries and namespaces"): a registry password
    selects the registry of the account it was issued to. So from A's password B's
    repositories do not exist (NAME_UNKNOWN), and a blob held only by B's repositories
    is BLOB_UNKNOWN in every repository of A, although its bytes sit in the shared
    content-addressed store; it cannot be mounted, "finished" into an upload by digest
    alone, or reached through the ECR API either.

    Not asserted here: an authenticated caller may address another account's registry
    explicitly, and is then decided by that account's repository policies, with `Host: <account>.dkr.ecr.<region>.<...>` on /v2/ or `registryId`
    on the ECR API (test_ecr_cross_protocol.py::test_v2_host_selects_the_registry)."""
    a, b = w.a, w.b
    auth_a = w.auth(a)
    db = w.img_b.layers[0]
    dshared = w.img_shared_b.layers[0]
    # B itself reads its blobs (so they do exist in the store).
    for repo, blob in ((B_REPO, db), (SHARED, dshared)):
        r = w.v2("GET", f"/v2/{repo}/blobs/{blob.digest}", creds=b)
        assert r.status_code == 200 and r.content == blob.data, resp_text(r)

    r = w.v2("GET", "/v2/_catalog", headers=auth_a)
    assert r.status_code == 200, resp_text(r)
    assert B_REPO not in r.json()["repositories"] and X in r.json()["repositories"], r.json()
    with ecrhelpers.raises_ecr("RepositoryNotFoundException"):
        w.client(a).batch_get_image(repositoryName=B_REPO, imageIds=[{"imageTag": "v1"}])
    for method, path, code, status in [
        ("GET", f"/v2/{B_REPO}/tags/list", "NAME_UNKNOWN", 404),
        ("GET", f"/v2/{B_REPO}/manifests/v1", {"NAME_UNKNOWN", "MANIFEST_UNKNOWN"}, 404),
        ("HEAD", f"/v2/{B_REPO}/manifests/{w.img_b.manifest.digest}", None, 404),
        ("GET", f"/v2/{B_REPO}/blobs/{db.digest}", {"NAME_UNKNOWN", "BLOB_UNKNOWN"}, 404),
        ("HEAD", f"/v2/{B_REPO}/blobs/{db.digest}", None, 404),
        ("DELETE", f"/v2/{B_REPO}/blobs/{db.digest}", {"NAME_UNKNOWN", "BLOB_UNKNOWN"}, 404),
        ("DELETE", f"/v2/{B_REPO}/manifests/{w.img_b.manifest.digest}",
         {"NAME_UNKNOWN", "MANIFEST_UNKNOWN"}, 404),
        # same repository name in both accounts: A's copy has no such tag or blob
        ("GET", f"/v2/{SHARED}/manifests/v1", "MANIFEST_UNKNOWN", 404),
        ("GET", f"/v2/{SHARED}/blobs/{dshared.digest}", "BLOB_UNKNOWN", 404),
        ("HEAD", f"/v2/{SHARED}/blobs/{dshared.digest}", None, 404),
        ("GET", f"/v2/{X}/blobs/{db.digest}", "BLOB_UNKNOWN", 404),
        ("GET", f"/v2/{X}/blobs/{dshared.digest}", "BLOB_UNKNOWN", 404),
    ]:
        r = w.v2(method, path, headers={**auth_a, "Accept": ACCEPT_ALL_MANIFESTS})
        if code is None:
            assert r.status_code == status and r.content == b"", resp_text(r)
        else:
            assert_oci_error(r, status, code)

    # /v2/ pushes create repositories on demand (as Distribution does): an upload to B's
    # repository name from A is an upload into A's own registry, which sees nothing of B's.
    r = w.v2("POST", f"/v2/{B_REPO}/blobs/uploads/?mount={db.digest}&from={B_REPO}", headers=auth_a)
    assert r.status_code == 202, resp_text(r)
    loc = urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"])
    assert w.v2("DELETE", loc, headers=auth_a).status_code == 204
    assert_oci_error(w.v2("GET", f"/v2/{B_REPO}/blobs/{db.digest}", headers=auth_a), 404,
                     {"NAME_UNKNOWN", "BLOB_UNKNOWN"})

    # Mount from a same-named repository or B's name: falls back to a fresh upload
    # (the spec's answer to an unknown mount source), never 201.
    for src, digest in ((SHARED, dshared.digest), (B_REPO, db.digest)):
        r = w.v2("POST", f"/v2/{X}/blobs/uploads/?mount={digest}&from={src}", headers=auth_a)
        assert r.status_code == 202, resp_text(r)
        loc = urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"])
        assert w.v2("DELETE", loc, headers=auth_a).status_code == 204

    # Finishing an upload with B's digest but not B's bytes proves nothing.
    for data in (b"", b"not the bytes"):
        r = w.v2("POST", f"/v2/{X}/blobs/uploads/", headers=auth_a)
        assert r.status_code == 202, resp_text(r)
        loc = urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"])
        r = w.v2("PUT", loc + ("&" if "?" in loc else "?") + f"digest={db.digest}", headers={
            **auth_a, "Content-Type": "application/octet-stream"}, data=data)
        assert_oci_error(r, 400, {"DIGEST_INVALID", "BLOB_UPLOAD_INVALID"})
        r = w.v2("POST", f"/v2/{X}/blobs/uploads/?digest={db.digest}", headers={
            **auth_a, "Content-Type": "application/octet-stream"}, data=data)
        assert_oci_error(r, 400, {"DIGEST_INVALID", "BLOB_UPLOAD_INVALID"})
    # A manifest in A's repository naming B's blobs is refused.
    r = w.v2("PUT", f"/v2/{X}/manifests/borrowed", headers={**auth_a, "Content-Type": MT_OCI_MANIFEST},
             data=w.img_b.manifest.data)
    assert_oci_error(r, 400, "MANIFEST_BLOB_UNKNOWN")

    # The ECR API, as A: B's repository is not there, B's blob is not in A's repositories.
    ca = w.client(a)
    with ecrhelpers.raises_ecr("LayersNotFoundException"):
        ca.get_download_url_for_layer(repositoryName=SHARED, layerDigest=dshared.digest)
    out = ca.batch_check_layer_availability(repositoryName=SHARED, layerDigests=[dshared.digest])
    assert not [l for l in out.get("layers", []) if l.get("layerAvailability") == "AVAILABLE"], out
    with ecrhelpers.raises_ecr("LayersNotFoundException"):
        w.env.put_manifest(SHARED, w.img_shared_b.manifest.data, tag="borrowed", client=ca)
    up = ca.initiate_layer_upload(repositoryName=SHARED)["uploadId"]
    ca.upload_layer_part(repositoryName=SHARED, uploadId=up, partFirstByte=0, partLastByte=2,
                         layerPartBlob=b"abc")
    try:
        ca.complete_layer_upload(repositoryName=SHARED, uploadId=up, layerDigests=[dshared.digest])
        pytest.fail("CompleteLayerUpload accepted bytes that do not hash to the digest")
    except ClientError as e:
        # LayerAlreadyExistsException would tell A that some registry holds the blob.
        assert e.response["Error"]["Code"] == "InvalidLayerException", e.response["Error"]
    # After all that, still nothing of B's is readable from A.
    for repo, blob in ((X, db), (SHARED, dshared)):
        assert_oci_error(w.v2("GET", f"/v2/{repo}/blobs/{blob.digest}", headers=auth_a), 404,
                         "BLOB_UNKNOWN")
    r = w.v2("GET", f"/v2/{X}/manifests/borrowed", headers={**auth_a, "Accept": ACCEPT_ALL_MANIFESTS})
    assert_oci_error(r, 404, "MANIFEST_UNKNOWN")


# ==========================================================================
# 5. Repositories of one registry: no blob crosses without a mount


def test_blob_not_readable_through_another_repository_until_mounted(w):
    a = w.a
    src, dst = "sec/t5-src", "sec/t5-dst"
    w.create_repo(a, src)
    w.create_repo(a, dst)
    img = w.push_image(a, src, "v1", seed=9105, layer_sizes=(1100, 1200))
    auth = w.auth(a)
    ca = w.client(a)
    for blob in img.blobs:
        assert_oci_error(w.v2("GET", f"/v2/{dst}/blobs/{blob.digest}", headers=auth), 404, "BLOB_UNKNOWN")
        r = w.v2("HEAD", f"/v2/{dst}/blobs/{blob.digest}", headers=auth)
        assert r.status_code == 404, resp_text(r)
        with ecrhelpers.raises_ecr("LayersNotFoundException"):
            ca.get_download_url_for_layer(repositoryName=dst, layerDigest=blob.digest)
    r = w.v2("PUT", f"/v2/{dst}/manifests/v1", headers={**auth, "Content-Type": MT_OCI_MANIFEST},
             data=img.manifest.data)
    assert_oci_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
    with ecrhelpers.raises_ecr("LayersNotFoundException"):
        w.env.put_manifest(dst, img.manifest.data, tag="v1", client=ca)
    # Naming the digest without sending its bytes is no mount.
    layer = img.layers[0]
    r = w.v2("POST", f"/v2/{dst}/blobs/uploads/?digest={layer.digest}",
             headers={**auth, "Content-Type": "application/octet-stream"}, data=b"")
    assert_oci_error(r, 400, {"DIGEST_INVALID", "BLOB_UPLOAD_INVALID"})
    # A mount from a repository that lacks the blob is a fresh upload, not a mount.
    r = w.v2("POST", f"/v2/{dst}/blobs/uploads/?mount={layer.digest}&from={Y}", headers=auth)
    assert r.status_code == 202, resp_text(r)
    assert w.v2("DELETE", urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"]),
                headers=auth).status_code == 204
    assert_oci_error(w.v2("GET", f"/v2/{dst}/blobs/{layer.digest}", headers=auth), 404, "BLOB_UNKNOWN")

    # Mounted: readable, and the manifest goes in.
    for blob in img.blobs:
        r = w.v2("POST", f"/v2/{dst}/blobs/uploads/?mount={blob.digest}&from={src}", headers=auth)
        assert r.status_code == 201, resp_text(r)
        assert r.headers.get("Docker-Content-Digest") == blob.digest
        r = w.v2("GET", f"/v2/{dst}/blobs/{blob.digest}", headers=auth)
        assert r.status_code == 200 and r.content == blob.data, resp_text(r)
    r = w.v2("PUT", f"/v2/{dst}/manifests/v1", headers={**auth, "Content-Type": MT_OCI_MANIFEST},
             data=img.manifest.data)
    assert r.status_code == 201, resp_text(r)


# ==========================================================================
# 6. Download tokens


def test_download_token_admits_exactly_one_blob(w):
    a = w.a
    img = w.img_x
    d, other = img.layers[0], img.config
    url = w.download_url(a, X, d.digest)
    parts = urllib.parse.urlsplit(url)
    assert parts.path == f"/v2/{X}/blobs/{d.digest}", url
    token = urllib.parse.parse_qs(parts.query)["X-Berth-Download"][0]
    q = "X-Berth-Download=" + token

    # Works alone, for GET and HEAD, in the URL's own form.
    r = w.http.get(url, timeout=30)
    assert r.status_code == 200 and r.content == d.data, resp_text(r)
    r = w.v2("HEAD", f"/v2/{X}/blobs/{d.digest}?{q}")
    assert r.status_code == 200 and r.headers.get("Docker-Content-Digest") == d.digest, resp_text(r)

    # Mount d into Y too, so "another repository" holds the very same blob.
    r = w.v2("POST", f"/v2/{Y}/blobs/uploads/?mount={d.digest}&from={X}", creds=a)
    assert r.status_code == 201, resp_text(r)
    r = w.v2("POST", f"/v2/{X}/blobs/uploads/", creds=a)
    assert r.status_code == 202, resp_text(r)
    upload = target_of(urllib.parse.urljoin(w.srv.base_url + "/", r.headers["Location"]))
    bad = [
        ("GET", f"/v2/{Y}/blobs/{d.digest}?{q}", None),              # another repository
        ("HEAD", f"/v2/{Y}/blobs/{d.digest}?{q}", None),
        ("GET", f"/v2/{SHARED}/blobs/{d.digest}?{q}", None),
        ("GET", f"/v2/{X}/blobs/{other.digest}?{q}", None),          # another digest
        ("GET", f"/v2/{X}/manifests/{d.digest}?{q}", None),          # a manifest path
        ("GET", f"/v2/{X}/manifests/v1?{q}", None),
        ("HEAD", f"/v2/{X}/manifests/v1?{q}", None),
        ("GET", f"/v2/{X}/tags/list?{q}", None),
        ("GET", f"/v2/{X}/referrers/{img.manifest.digest}?{q}", None),
        ("GET", f"/v2/_catalog?{q}", None),
        ("GET", f"/v2/?{q}", None),
        ("DELETE", f"/v2/{X}/blobs/{d.digest}?{q}", None),           # writes
        ("PUT", f"/v2/{X}/blobs/{d.digest}?{q}", d.data),
        ("PATCH", f"/v2/{X}/blobs/{d.digest}?{q}", d.data),
        ("POST", f"/v2/{X}/blobs/{d.digest}?{q}", d.data),
        ("POST", f"/v2/{X}/blobs/uploads/?{q}", None),
        ("POST", f"/v2/{X}/blobs/uploads/?digest={d.digest}&{q}", d.data),
        ("GET", f"{upload}?{q}", None),
        ("PATCH", f"{upload}?{q}", b"x"),
        ("DELETE", f"{upload}?{q}", None),
        ("PUT", f"/v2/{X}/manifests/tokened?{q}", img.manifest.data),
        ("DELETE", f"/v2/{X}/manifests/v1?{q}", None),
        ("GET", f"/v2/{X}/blobs/{d.digest}/?{q}", None),             # path variants
        ("GET", f"/v2/{X}/blobs/{d.digest.upper()}?{q}", None),
        ("GET", f"/v2/{X}x/blobs/{d.digest}?{q}", None),
        ("GET", f"/v2/{X.split('/')[0]}/blobs/{d.digest}?{q}", None),
    ]
    problems = []
    for method, target, body in bad:
        h = {"Content-Type": "application/octet-stream"} if body is not None else {}
        r = w.v2(method, target, headers=h, data=body)
        problem = check_401(w.srv, r)
        if problem:
            problems.append(f"{method} {target}: {problem}")
    # Expired, tampered, forged-expiry, other kind, other secret: refused on its own URL.
    t = now_ms()
    fresh = mint_download_token(w.secret, X, d.digest, t + 60_000, REG_A)
    expired = mint_download_token(w.secret, X, d.digest, t - 1000, REG_A)
    for tok in (fresh, expired):
        SENT.add("minted download token", tok)
    r = w.http.get(w.srv.base_url + f"/v2/{X}/blobs/{d.digest}?X-Berth-Download={fresh}", timeout=30)
    assert r.status_code == 200 and r.content == d.data, resp_text(r)  # minting is right
    for method in ("GET", "HEAD"):
        r = w.v2(method, f"/v2/{X}/blobs/{d.digest}?X-Berth-Download={expired}")
        problem = check_401(w.srv, r, "DENIED")
        if problem:
            problems.append(f"[expired] {method}: {problem}")
        elif method == "GET" and "expired" not in r.json()["errors"][0]["message"]:
            problems.append(f"[expired] message {r.text!r}")
    for name, tok in [
        ("expired, expiry extended", extend_expiry(expired)),
        ("tampered payload", tamper_token(token, 0)),
        ("tampered MAC", tamper_token(token, 1)),
        ("other secret", mint_download_token("other-" + secrets.token_hex(16), X, d.digest,
                                             t + 60_000, REG_A)),
        ("a registry password", mint_registry_password(w.secret, a.access_key, t + 60_000, ACCT_A,
                                                       REGION)),
        ("for Y", mint_download_token(w.secret, Y, "sha256:" + "0" * 64, t + 60_000, REG_A)),
        ("empty", ""),
    ]:
        for method in ("GET", "HEAD"):
            r = w.v2(method, f"/v2/{X}/blobs/{d.digest}?X-Berth-Download={urllib.parse.quote(tok)}")
            problem = check_401(w.srv, r)
            if problem:
                problems.append(f"[{name}] {method}: {problem}")
    # A token for B's registry does not open A's repositories (and vice versa).
    tok_b = mint_download_token(w.secret, X, d.digest, t + 60_000, REG_B)
    r = w.v2("GET", f"/v2/{X}/blobs/{d.digest}?X-Berth-Download={tok_b}")
    if r.status_code != 404:
        problems.append(f"token for registry B served A's blob: {resp_text(r)}")
    assert not problems, f"{len(problems)} wrong:\n" + "\n".join(problems)

    # The refused writes changed nothing.
    r = w.v2("GET", f"/v2/{X}/blobs/{d.digest}", creds=a)
    assert r.status_code == 200 and r.content == d.data, resp_text(r)
    r = w.v2("GET", f"/v2/{X}/manifests/v1", creds=a, headers={"Accept": ACCEPT_ALL_MANIFESTS})
    assert r.status_code == 200 and r.content == img.manifest.data, resp_text(r)
    assert_oci_error(w.v2("GET", f"/v2/{X}/manifests/tokened", creds=a,
                          headers={"Accept": ACCEPT_ALL_MANIFESTS}), 404, "MANIFEST_UNKNOWN")
    r = w.v2("GET", upload, creds=a)
    assert r.status_code == 204 and r.headers.get("Range", "0-0") == "0-0", resp_text(r)
    assert w.v2("DELETE", upload, creds=a).status_code == 204
    # The genuine URL still works.
    assert w.http.get(url, timeout=30).status_code == 200


# ==========================================================================
# 7. Path traversal


def _traversal_cases(w: World):
    canary = str(w.root / "canary")  # absolute
    hex64 = "0" * 64
    names = [
        "..", "../..", "sec/../../..", "sec/x/../../../canary", "%2e%2e", "%2e%2e/%2e%2e/canary",
        "sec%2F..%2F..%2F..%2Fcanary", "sec/x%2F..%2F..%2Fy", "..%2f..%2fcanary", "sec/x%00",
        "sec%00/x", "sec\\..\\..\\canary", "sec%5C..%5C..%5Ccanary", "/" + canary.lstrip("/"),
        urllib.parse.quote(canary, safe=""), "sec/./x", "sec//x", ".", "%2e",
    ]
    cases = []  # (method, target, body, allowed statuses)
    for n in names:
        cases += [
            ("GET", f"/v2/{n}/tags/list", None),
            ("GET", f"/v2/{n}/manifests/v1", None),
            ("PUT", f"/v2/{n}/manifests/v1", w.img_x.manifest.data),
            ("GET", f"/v2/{n}/blobs/sha256:{hex64}", None),
            ("DELETE", f"/v2/{n}/blobs/sha256:{hex64}", None),
            ("POST", f"/v2/{n}/blobs/uploads/", None),
            ("GET", f"/v2/{n}/referrers/sha256:{hex64}", None),
        ]
    digests = [
        "sha256:../../etc/passwd", "sha256:..%2F..%2F..%2Fcanary", "sha256:%2e%2e%2f%2e%2e%2fcanary",
        "sha256:..%5C..%5Ccanary", "sha256:..\\..\\canary", f"sha256:{hex64}%00", f"sha256:{hex64}%2F..",
        "sha256:" + urllib.parse.quote(canary, safe=""), "..%2F..%2Fcanary", "%2e%2e", "..",
        "sha256:" + "." * 64, f"sha256:{hex64[:-2]}..", f"md5:{hex64}", f"sha256:{hex64}/..",
        "sha512:..%2F..%2F..%2Fcanary",
    ]
    for dg in digests:
        cases += [
            ("GET", f"/v2/{X}/blobs/{dg}", None),
            ("HEAD", f"/v2/{X}/blobs/{dg}", None),
            ("DELETE", f"/v2/{X}/blobs/{dg}", None),
            ("GET", f"/v2/{X}/manifests/{dg}", None),
            ("DELETE", f"/v2/{X}/manifests/{dg}", None),
            ("PUT", f"/v2/{X}/manifests/{dg}", w.img_x.manifest.data),
            ("GET", f"/v2/{X}/referrers/{dg}", None),
        ]
    uploads = [
        "..", ".", "...", "../..", "../../x", "..%2F..%2Fx", "%2e%2e%2f%2e%2e%2fcanary", "..%5C..%5Cx",
        "..\\..\\x", "x%00", urllib.parse.quote(canary, safe=""), "%2Ftmp%2Fx", "..%2F..%2Fdata-canary",
    ]
    for u in uploads:
        t = f"/v2/{X}/blobs/uploads/{u}"
        cases += [
            ("GET", t, None), ("PATCH", t, b"evil bytes"), ("DELETE", t, None),
            ("PUT", f"{t}?digest={sha256_digest(b'evil bytes')}", b"evil bytes"),
        ]
    for dg in ("sha256:../x", "sha256:..%2F..%2Fevil", "sha256:%2e%2e%2fevil", "../../evil",
               "sha256:" + urllib.parse.quote(canary, safe=""), f"sha256:{hex64}%00..%2F"):
        cases += [("POST", f"/v2/{X}/blobs/uploads/?digest={dg}", b"evil bytes")]
    for q in ("last=%00", "n=../1", "n=-1", "n=1%2F..%2F"):
        cases += [("GET", f"/v2/{X}/tags/list?{q}", None), ("GET", f"/v2/_catalog?{q}", None)]
    return cases


def _cursor_cases(w: World):
    """`last` and `artifactType` are compared, never opened: 200 with an ordinary answer is
    right for them (Distribution does the same), as long as it holds only the caller's data."""
    return [
        (f"/v2/{X}/tags/list?n=1&last=../../", "tags"),
        (f"/v2/{X}/tags/list?n=5&last=..%2F..%2Fcanary", "tags"),
        (f"/v2/{X}/tags/list?last=%2Fetc%2Fpasswd", "tags"),
        ("/v2/_catalog?n=5&last=../../", "repositories"),
        ("/v2/_catalog?n=5&last=..%2F..%2Fcanary", "repositories"),
        (f"/v2/{X}/referrers/{w.img_x.manifest.digest}?artifactType=..%2F..%2Fcanary", "manifests"),
    ]


# Fallback uploads: an invalid mount starts an ordinary upload (OCI spec).
_MOUNT_QUERIES = ["mount=../x&from=../y", "mount=sha256:..%2F..%2Fcanary&from=..%2F..%2Fetc",
                  "mount=sha256:" + "0" * 64 + "&from=%2Fetc", "mount=..&from=sec%2F..%2F..",
                  "mount=sha256:../../etc/passwd&from=sec/x"]


def test_no_path_traversal(w):
    auth = w.auth(w.a)
    problems = []
    leaked = (CANARY_TEXT.strip(), b"root:x:0:0")
    for method, target, body in _traversal_cases(w):
        h = dict(auth)
        if body is not None:
            h["Content-Type"] = MT_OCI_MANIFEST if "/manifests/" in target else "application/octet-stream"
        r = raw(w.srv, method, target, body or b"", h)
        if not (400 <= r.status < 500) or r.status == 401:
            problems.append(f"{method} {target} -> {r.status} {r.body[:200]!r}")
        if any(x in r.body for x in leaked):
            problems.append(f"{method} {target} leaked file content: {r.body[:200]!r}")
    a_repos = set(w.v2("GET", "/v2/_catalog?n=1000", headers=auth).json()["repositories"])
    for target, member in _cursor_cases(w):
        r = raw(w.srv, "GET", target, b"", auth)
        if r.status == 200:
            items = r.json().get(member)
            if not isinstance(items, list) or (member == "tags" and not set(items) <= {"v1"}) or (
                    member == "repositories" and not set(items) <= a_repos) or (
                    member == "manifests" and items):
                problems.append(f"GET {target} -> odd answer {r.body[:200]!r}")
        elif not (400 <= r.status < 500) or r.status == 401:
            problems.append(f"GET {target} -> {r.status} {r.body[:200]!r}")
        if any(x in r.body for x in leaked):
            problems.append(f"GET {target} leaked file content: {r.body[:200]!r}")
    for q in _MOUNT_QUERIES:
        target = f"/v2/{Y}/blobs/uploads/?{q}"
        r = raw(w.srv, "POST", target, b"", auth)
        if r.status == 202:  # an ordinary upload in Y, nothing mounted
            loc = r.headers.get("location", "")
            if not re.fullmatch(rf"(http://[^/]+)?/v2/{Y}/blobs/uploads/[A-Za-z0-9_.-]+", loc):
                problems.append(f"POST {target}: odd Location {loc!r}")
            raw(w.srv, "DELETE", target_of(urllib.parse.urljoin(w.srv.base_url + "/", loc)), b"", auth)
        elif not (400 <= r.status < 500) or r.status == 401:
            problems.append(f"POST {target} -> {r.status} {r.body[:200]!r}")
    # The ECR API validates names, digests and upload ids before touching anything.
    for op, payload in [
        ("DescribeRepositories", {"repositoryNames": ["../../canary"]}),
        ("CreateRepository", {"repositoryName": "../../evil"}),
        ("CreateRepository", {"repositoryName": "sec/../../evil"}),
        ("BatchCheckLayerAvailability", {"repositoryName": X, "layerDigests": ["sha256:../../canary"]}),
        ("GetDownloadUrlForLayer", {"repositoryName": X, "layerDigest": "sha256:../../canary"}),
        ("GetDownloadUrlForLayer", {"repositoryName": "../..", "layerDigest": "sha256:" + "0" * 64}),
        ("UploadLayerPart", {"repositoryName": X, "uploadId": "../../x", "partFirstByte": 0,
                             "partLastByte": 2, "layerPartBlob": b64("abc")}),
        ("CompleteLayerUpload", {"repositoryName": X, "uploadId": "../../x",
                                 "layerDigests": ["sha256:" + "0" * 64]}),
        ("BatchGetImage", {"repositoryName": X, "imageIds": [{"imageDigest": "sha256:../../canary"}]}),
        ("BatchDeleteImage", {"repositoryName": X, "imageIds": [{"imageTag": "../../canary"}]}),
        ("PutImage", {"repositoryName": X, "imageManifest": w.img_x.manifest.data.decode(),
                      "imageTag": "../../evil"}),
    ]:
        r, _ = w.signed(op, payload)
        if not (400 <= r.status_code < 500) or r.json().get("__type") not in (
                "InvalidParameterException", "UploadNotFoundException", "ImageNotFoundException"):
            # BatchGetImage/BatchDeleteImage report per-item failures with 200
            if not (r.status_code == 200 and op.startswith("Batch") and r.json().get("failures")):
                problems.append(f"ECR {op} {payload}: {r.status_code} {r.text[:200]!r}")
    assert not problems, f"{len(problems)} wrong:\n" + "\n".join(problems[:60])
    assert w.srv.alive()

    # Nothing outside the data dir changed; the data dir holds only berth's own files.
    assert _snapshot(w.root) == w.canaries_before
    data = w.srv.data_dir
    unexpected = [p.name for p in data.iterdir() if not DATA_DIR_ALLOWED.match(p.name)]
    assert not unexpected, f"unexpected entries in the data dir: {unexpected}"
    for p in data.rglob("*"):
        rel = p.relative_to(data)
        assert not any(s in str(rel) for s in ("..", "\\", "evil", "canary", "\x00")), rel
    # and the registry still works
    r = w.v2("GET", f"/v2/{X}/manifests/v1", headers={**auth, "Accept": ACCEPT_ALL_MANIFESTS})
    assert r.status_code == 200 and r.content == w.img_x.manifest.data
    out = w.client(w.a).describe_repositories()["repositories"]
    assert not [r for r in out if "evil" in r["repositoryName"] or ".." in r["repositoryName"]], out


# ==========================================================================
# 8. Logs hold no secrets


def test_logs_hold_no_secrets_or_signatures(w):
    """Runs last in the module: the log covers every request this module made, plus the
    mix below (good and bad signed ECR calls, presigned queries, logins, download-token
    fetches)."""
    a, b = w.a, w.b
    for c in (a, b):
        w.client(c).describe_repositories()
        pw = w.password(c)
        assert w.v2("GET", "/v2/", headers={"Authorization": basic("AWS", pw)}).status_code == 200
        # a refused login with a tampered password: its MAC is as secret as the real one
        w.v2("GET", "/v2/", headers={"Authorization": basic("AWS", tamper_token(pw, 1))})
    url = w.download_url(a, X, w.img_x.layers[0].digest)
    assert w.http.get(url, timeout=30).status_code == 200
    assert w.http.get(url.replace("X-Berth-Download=", "X-Berth-Download=x"), timeout=30).status_code == 401
    bad = Creds(a.access_key, a.secret_key + "nope", ACCT_A)
    SENT.add("bad secret", bad.secret_key)
    r, _ = w.signed("DescribeRegistry", {}, creds=bad)
    assert r.status_code == 403
    r, _ = w.signed("DescribeRegistry", {}, when=now_utc() - dt.timedelta(hours=1))
    assert r.status_code == 403
    r, _ = w.signed("DescribeRegistry", {})
    assert r.status_code == 200
    req = ecrhelpers.AWSRequest(method="GET", url=ecrhelpers.query_url(
        w.srv.base_url, [("Action", "DescribeRegistry")]))
    ecrhelpers.SigV4QueryAuth(ecrhelpers.BotoCredentials(a.access_key, a.secret_key), "ecr", REGION,
                              expires=300).add_auth(req)
    assert w.http.get(req.url, timeout=30).status_code == 200
    w.signed(None, {})  # no operation: logged as an error at debug level
    time.sleep(0.2)  # let the last access-log lines reach the file

    log = w.srv.log_path.read_text(errors="replace")
    assert "GET /v2/" in log, "no access log at all? (the test would prove nothing)"
    kinds = {}
    for value, kind in SENT.items.items():
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind in ("secret access key", "SigV4 signature", "registry password", "Basic credential",
                 "X-Berth-Download", "X-Amz-Signature", "token secret"):
        assert kinds.get(kind), f"nothing of kind {kind!r} was recorded: {kinds}"
    found = [f"{kind}: {value[:16]}..." for value, kind in SENT.items.items() if value in log]
    assert not found, f"the log holds {len(found)} secret(s):\n" + "\n".join(found[:20])


def test_generated_credentials_are_not_logged(tmp_path):
    """Without --credentials berth generates a key into <data-dir>/credentials (0600);
    `berth credentials --data-dir DIR` prints it on demand. The secret half must not be
    copied into the log, which ends up in journald/docker logs readable by others."""
    data = tmp_path / "data"
    log_path = tmp_path / "server.log"
    port = ecrhelpers.free_port()
    with open(log_path, "wb") as log:
        p = subprocess.Popen([BERTH_BINARY, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                              str(data), "--auth", "sigv4", "--log-level", "debug"],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 401:
                    break
            except requests.RequestException:
                pass
            if p.poll() is not None:
                pytest.fail(f"berth exited with {p.returncode}:\n" + log_path.read_text())
            time.sleep(0.05)
        else:
            pytest.fail("berth did not start:\n" + log_path.read_text())
    finally:
        p.terminate()
        p.wait(15)
    line = next(l for l in (data / "credentials").read_text().splitlines()
                if l.strip() and not l.startswith("#"))
    key, secret = line.split()[:2]
    assert len(secret) >= 16
    assert (data / "credentials").stat().st_mode & 0o077 == 0
    log = log_path.read_text(errors="replace")
    assert key in log or "credentials" in log  # the key id may be shown, to find the file
    assert secret not in log, ("berth logs the generated secret access key:\n"
                               + "\n".join(l for l in log.splitlines() if secret in l))
    token_secret = (data / "token-secret").read_bytes()
    assert token_secret and token_secret.decode(errors="replace") not in log
