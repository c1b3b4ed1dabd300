"""Per-key rate limits (issue 12, --rate-limit / --rate-burst): a token bucket per access
key and operation family. Over it the ECR API answers ThrottlingException (which the SDKs
retry: a boto3 client with retries gets every answer) and /v2/ 429 TOOMANYREQUESTS with
Retry-After. berth_only: a berth server flag."""
from __future__ import annotations

import time

import pytest
import requests
from botocore.config import Config

import boto3
from ecrhelpers import REGION, raises_ecr

pytestmark = pytest.mark.berth_only

RATE = 2  # requests/s per key and family
BURST = 3


@pytest.fixture(scope="module")
def limited(ecr_berth_factory):
    return ecr_berth_factory("rate-limited", extra=["--rate-limit", str(RATE), "--rate-burst", str(BURST)])


def client(env, attempts: int):
    creds = env.default
    return boto3.session.Session().client(
        "ecr", endpoint_url=env.endpoint, region_name=REGION, aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def test_ecr_api_throttles_and_sdk_retries_succeed(limited):
    no_retries = client(limited, 1)
    no_retries.create_repository(repositoryName="throttled")  # "other" family
    with raises_ecr("ThrottlingException", message="Rate exceeded"):
        for _ in range(BURST + 5):
            no_retries.describe_images(repositoryName="throttled")
    # another family has a bucket of its own
    no_retries.initiate_layer_upload(repositoryName="throttled")
    # the SDK's own retries with backoff get through
    patient = client(limited, 10)
    started = time.monotonic()
    for _ in range(6):
        patient.describe_images(repositoryName="throttled")
    assert time.monotonic() - started >= 1.0  # it had to wait for tokens


def test_v2_answers_429_with_retry_after(limited):
    auth = ("AWS", limited.password())
    url = f"{limited.endpoint}/v2/throttled-v2/tags/list"
    limited.client().create_repository(repositoryName="throttled-v2")
    codes = [requests.get(url, auth=auth, timeout=10) for _ in range(BURST + 5)]
    refused = [r for r in codes if r.status_code == 429]
    assert refused, [r.status_code for r in codes]
    r = refused[0]
    assert r.json()["errors"][0]["code"] == "TOOMANYREQUESTS", r.text
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 2, r.headers
    time.sleep(wait)
    assert requests.get(url, auth=auth, timeout=10).status_code == 200
