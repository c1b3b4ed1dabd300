"""GetAuthorizationToken, /v2/ authentication, and SigV4 verification of the ECR API
(raw requests signed with botocore's SigV4Auth, then tampered with)."""

from __future__ import annotations

import base64
import datetime as dt
import time

import pytest
import requests

from ecrhelpers import (ACCOUNT, OTHER_ACCOUNT, REGION, TARGET_PREFIX, Creds, assert_raw_error,
                        mint_registry_password, now_utc, raises_ecr)

AUTH_FAILURE_STATUS = 403


# -- GetAuthorizationToken ---------------------------------------------------------


def test_get_authorization_token(ecr):
    before = now_utc()
    out = ecr.client().get_authorization_token()
    (data,) = out["authorizationData"]
    user, sep, password = base64.b64decode(data["authorizationToken"], validate=True).decode().partition(":")
    assert (user, sep) == ("AWS", ":") and password
    if ecr.is_berth:
        # moto answers a fixed 2015 expiry and an amazonaws.com endpoint (ecr-semantics.md 3.4)
        assert before + dt.timedelta(hours=12) - dt.timedelta(minutes=2) <= data["expiresAt"] \
            <= now_utc() + dt.timedelta(hours=12) + dt.timedelta(minutes=2)
        assert data["proxyEndpoint"] == ecr.endpoint
    # the explicit form with this registry's id
    out = ecr.client().get_authorization_token(registryIds=[ACCOUNT])
    assert len(out["authorizationData"]) == 1


@pytest.mark.berth_only  # moto checks no registry ids
def test_get_authorization_token_invalid_registry_id(ecr):
    with raises_ecr("InvalidParameterException"):
        ecr.client().get_authorization_token(registryIds=["12345"])
    with raises_ecr("InvalidParameterException"):
        ecr.client().get_authorization_token(registryIds=[ACCOUNT] * 11)


def test_cli_get_login_password_and_token(ecr):
    pw = ecr.cli("get-login-password").stdout.strip()
    assert pw and "\n" not in pw
    tok = ecr.cli("get-authorization-token").json["authorizationData"][0]
    user, _, pw2 = base64.b64decode(tok["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and pw2
    if ecr.is_berth:  # both passwords open /v2/
        for p in (pw, pw2):
            assert requests.get(ecr.endpoint + "/v2/", auth=("AWS", p), timeout=30).status_code == 200


# -- /v2/ with authentication on ---------------------------------------------------


@pytest.mark.berth_only
def test_v2_requires_the_registry_password(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, "v1", seed=501)
    url = f"{ecr.endpoint}/v2/{ecr_repo}/manifests/v1"
    accept = {"Accept": img.manifest.media_type}
    for path in ("/v2/", f"/v2/{ecr_repo}/manifests/v1", f"/v2/{ecr_repo}/tags/list",
                 f"/v2/{ecr_repo}/blobs/{img.layers[0].digest}"):
        r = requests.get(ecr.endpoint + path, headers=accept, timeout=30)
        assert r.status_code == 401, (path, r.status_code)
        challenge = r.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Basic ") and 'realm="' in challenge, challenge
        assert r.json()["errors"][0]["code"] in ("UNAUTHORIZED", "DENIED")

    good = ecr.password()
    r = requests.get(url, headers=accept, auth=("AWS", good), timeout=30)
    assert r.status_code == 200 and r.content == img.manifest.data
    assert requests.get(ecr.endpoint + "/v2/", auth=("AWS", good), timeout=30).status_code == 200
    # wrong password, tampered password, an AWS secret key instead of a password
    for bad in ("nope", good[:-2] + ("AA" if not good.endswith("AA") else "BB"), ecr.default.secret_key):
        assert requests.get(url, headers=accept, auth=("AWS", bad), timeout=30).status_code == 401
    # Bearer instead of Basic
    r = requests.get(url, headers={**accept, "Authorization": f"Bearer {good}"}, timeout=30)
    assert r.status_code == 401
    # pushes need it too
    r = requests.post(f"{ecr.endpoint}/v2/{ecr_repo}/blobs/uploads/", timeout=30)
    assert r.status_code == 401


@pytest.mark.berth_only
def test_v2_expired_password(ecr, ecr_repo):
    """Passwords follow berth's documented format (src/auth/ecr_token.hpp); the test server's
    secret is known, so an expired one can be minted instead of waited 12 hours for."""
    ecr.push_image(ecr_repo, "v1", seed=502)
    url = f"{ecr.endpoint}/v2/{ecr_repo}/tags/list"
    secret = ecr.server.token_secret
    now_ms = int(time.time() * 1000)
    fresh = mint_registry_password(secret, ecr.default.access_key, now_ms + 60_000)
    assert requests.get(url, auth=("AWS", fresh), timeout=30).status_code == 200
    expired = mint_registry_password(secret, ecr.default.access_key, now_ms - 1000)
    r = requests.get(url, auth=("AWS", expired), timeout=30)
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic ")
    err = r.json()["errors"][0]
    assert err["code"] == "DENIED" and "expired" in err["message"].lower()


# -- SigV4 ---------------------------------------------------------------------------


@pytest.mark.berth_only
def test_sigv4_control_request_succeeds(ecr):
    """The raw signing used below is right: untampered, it is accepted."""
    r = ecr.raw("DescribeRegistry", {})
    assert r.status_code == 200, r.text
    assert r.json()["registryId"] == ACCOUNT
    assert r.headers["Content-Type"].startswith("application/x-amz-json-1.1")
    assert r.headers.get("x-amzn-RequestId")


@pytest.mark.berth_only
def test_sigv4_wrong_secret(ecr):
    bad = Creds(ecr.default.access_key, ecr.default.secret_key + "x")
    body = assert_raw_error(ecr.raw("DescribeRegistry", {}, creds=bad), AUTH_FAILURE_STATUS,
                            "InvalidSignatureException")
    assert "signature" in body["message"].lower()
    with raises_ecr("InvalidSignatureException", status=AUTH_FAILURE_STATUS):
        ecr.client(bad).describe_registry()
    ecr.cli_error("describe-registry", creds=bad, code="InvalidSignatureException")


@pytest.mark.berth_only
@pytest.mark.parametrize("minutes", [-20, 20], ids=["stale", "future"])
def test_sigv4_clock_skew(ecr, minutes):
    when = dt.datetime.utcnow() + dt.timedelta(minutes=minutes)
    body = assert_raw_error(ecr.raw("DescribeRegistry", {}, when=when), AUTH_FAILURE_STATUS,
                            "InvalidSignatureException")
    if minutes < 0:
        assert "Signature expired" in body["message"], body
    # a few seconds of skew are fine
    r = ecr.raw("DescribeRegistry", {}, when=dt.datetime.utcnow() - dt.timedelta(seconds=30))
    assert r.status_code == 200, r.text


@pytest.mark.berth_only
def test_sigv4_tampered_body(ecr, ecr_repo):
    def tamper(h, body):
        return h, body.replace(ecr_repo.encode(), (ecr_repo + "-x").encode())

    r = ecr.raw("CreateRepository", {"repositoryName": ecr_repo}, mutate=tamper)
    assert_raw_error(r, AUTH_FAILURE_STATUS, "InvalidSignatureException")
    with raises_ecr("RepositoryNotFoundException"):
        ecr.client().describe_repositories(repositoryNames=[ecr_repo + "-x"])


@pytest.mark.berth_only
def test_sigv4_tampered_signed_header(ecr, ecr_repo):
    def retarget(h, body):
        h = dict(h)
        h["X-Amz-Target"] = f"{TARGET_PREFIX}.DeleteRepository"
        return h, body

    r = ecr.raw("DescribeRepositories", {"repositoryName": ecr_repo}, mutate=retarget)
    assert_raw_error(r, AUTH_FAILURE_STATUS, "InvalidSignatureException")
    assert ecr.client().describe_repositories(repositoryNames=[ecr_repo])["repositories"]


@pytest.mark.berth_only
def test_sigv4_unsigned_amz_header(ecr):
    def add(h, body):
        return {**h, "X-Amz-Meta-Sneaky": "1"}, body

    r = ecr.raw("DescribeRegistry", {}, mutate=add)
    assert 400 <= r.status_code < 500, r.text
    assert_raw_error(r, (400, 403), {"IncompleteSignatureException", "IncompleteSignature",
                                     "InvalidSignatureException"})


@pytest.mark.berth_only
def test_sigv4_unknown_access_key(ecr):
    stranger = Creds("AKIAUNKNOWNKEY000000", "whatever-secret")
    assert_raw_error(ecr.raw("DescribeRegistry", {}, creds=stranger), AUTH_FAILURE_STATUS,
                     "UnrecognizedClientException")
    with raises_ecr("UnrecognizedClientException", status=AUTH_FAILURE_STATUS):
        ecr.client(stranger).describe_repositories()
    ecr.cli_error("describe-repositories", creds=stranger, code="UnrecognizedClientException")


@pytest.mark.berth_only
def test_sigv4_missing_authentication(ecr):
    r = ecr.raw("DescribeRegistry", {}, sign=False)
    assert_raw_error(r, AUTH_FAILURE_STATUS, "MissingAuthenticationTokenException")


@pytest.mark.berth_only
def test_sigv4_wrong_service_in_scope_and_malformed_header(ecr):
    r = ecr.raw("DescribeRegistry", {}, service="s3")
    assert_raw_error(r, (400, 403), {"InvalidSignatureException", "IncompleteSignatureException"})

    def mangle(h, body):
        return {**h, "Authorization": "AWS4-HMAC-SHA256 Credential=garbage"}, body

    r = ecr.raw("DescribeRegistry", {}, mutate=mangle)
    assert_raw_error(r, (400, 403), {"IncompleteSignatureException", "InvalidSignatureException"})


# -- accounts and regions --------------------------------------------------------------


@pytest.mark.berth_only  # moto maps every key to one account
def test_access_key_selects_the_account(ecr, repo):
    other = ecr.creds[1]
    assert other.account == OTHER_ACCOUNT
    r = ecr.client(other).create_repository(repositoryName=repo)["repository"]
    assert r["registryId"] == OTHER_ACCOUNT
    assert r["repositoryArn"] == f"arn:aws:ecr:{REGION}:{OTHER_ACCOUNT}:repository/{repo}"
    with raises_ecr("RepositoryNotFoundException"):
        ecr.client().describe_repositories(repositoryNames=[repo])
    # the other account's registry is its own: the same name is free in the default one
    assert ecr.client().create_repository(repositoryName=repo)["repository"]["registryId"] == ACCOUNT
    assert ecr.client(other).describe_registry()["registryId"] == OTHER_ACCOUNT
    pw = ecr.password(other)
    data = base64.b64decode(ecr.client(other).get_authorization_token()["authorizationData"][0][
        "authorizationToken"]).decode()
    assert data.startswith("AWS:") and pw


@pytest.mark.berth_only
def test_region_comes_from_the_credential_scope(ecr, repo):
    west = ecr.client(region="us-west-2")
    r = west.create_repository(repositoryName=repo)["repository"]
    assert r["repositoryArn"] == f"arn:aws:ecr:us-west-2:{ACCOUNT}:repository/{repo}"
    with raises_ecr("RepositoryNotFoundException"):
        ecr.client().describe_repositories(repositoryNames=[repo])
    assert west.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryName"] == repo


@pytest.mark.berth_only
def test_registry_id_of_another_account(ecr, ecr_repo):
    # no repository policy grants cross-account access here, so another
    # account's registry is refused (test_policies.py grants it)
    with raises_ecr("AccessDeniedException") as err:
        ecr.client().describe_repositories(registryId=OTHER_ACCOUNT, repositoryNames=[ecr_repo])
    assert OTHER_ACCOUNT in err["error"]["Message"]
    with raises_ecr("AccessDeniedException"):
        ecr.client().list_tags_for_resource(
            resourceArn=f"arn:aws:ecr:us-east-1:{OTHER_ACCOUNT}:repository/{ecr_repo}")
    # naming its own registry explicitly is the same as omitting it
    r = ecr.client().describe_repositories(registryId=ACCOUNT, repositoryNames=[ecr_repo])
    assert r["repositories"][0]["repositoryName"] == ecr_repo
