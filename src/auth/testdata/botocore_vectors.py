#!/usr/bin/env python3
"""Signs representative ECR requests with botocore's real SigV4 signer and
writes them to botocore_vectors.json next to this script.

berth's C++ verifier (src/auth/sigv4_botocore_test.cpp) must accept every
request exactly as botocore produced it, and reject it when one byte of the
body (or, for the presigned URL, of the path) changes. The JSON is committed
as static test data; re-run this script only to refresh it:

    python3 src/auth/testdata/botocore_vectors.py

The clock is frozen by patching botocore.auth.get_current_datetime, so the
output is deterministic for a given botocore version.
"""

import datetime
import json
import pathlib
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2025, 1, 1, 12, 0, 0)
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
SESSION_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEBYaDEXAMPLETOKEN+/=session//token"
TARGET = "AmazonEC2ContainerRegistry_V20150921."


def ecr_request(name, url, operation, body, region="us-east-1", session=False,
                extra_headers=None):
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET + operation,
        # Blacklisted by botocore: present on the wire, never signed.
        "User-Agent": "aws-cli/2 botocore/" + botocore.__version__,
    }
    headers.update(extra_headers or {})
    return dict(name=name, kind="header", method="POST", url=url, body=body,
                headers=headers, region=region, service="ecr", session=session)


CASES = [
    ecr_request(
        "batch-get-image", "https://api.ecr.us-east-1.amazonaws.com/", "BatchGetImage",
        json.dumps({"repositoryName": "app", "imageIds": [{"imageTag": "latest"}],
                    "acceptedMediaTypes": ["application/vnd.oci.image.manifest.v1+json"]})),
    ecr_request(
        "get-authorization-token-local-endpoint", "http://localhost:5000/",
        "GetAuthorizationToken", "{}"),
    ecr_request(
        "describe-repositories-eu-west-1", "https://api.ecr.eu-west-1.amazonaws.com/",
        "DescribeRepositories", json.dumps({"maxResults": 10}), region="eu-west-1"),
    ecr_request(
        "put-image-session-token-unicode", "http://127.0.0.1:5000/", "PutImage",
        json.dumps({"repositoryName": "team/service", "imageTag": "v1.0-\u00e9t\u00e9",
                    "imageManifest": "{\n  \"schemaVersion\": 2,\n  \"note\": \"caf\u00e9 \u2615\"\n}"},
                   ensure_ascii=False),
        session=True),
    ecr_request(
        "create-repository-declared-content-sha256", "https://api.ecr.us-east-1.amazonaws.com/",
        "CreateRepository", json.dumps({"repositoryName": "new-repo"}),
        extra_headers={"X-Amz-Content-SHA256": None}),  # filled with the body hash below
    dict(name="get-path-and-query", kind="header", method="GET",
         url="http://localhost:5000/v2/team/app%20x/blobs/sha256:ab/./c?b=2&a=%2Fx%20y&a=1",
         body="", headers={}, region="us-east-1", service="ecr", session=False),
    dict(name="s3-presigned-get", kind="presigned", method="GET",
         url="https://berth-blobs.s3.us-east-1.amazonaws.com/blobs/sha256/ab/abcdef%2B1",
         body="", headers={}, region="us-east-1", service="s3", session=False),
]


def sign(case):
    session = case["session"]
    creds = Credentials(SESSION_ACCESS_KEY if session else ACCESS_KEY,
                        SESSION_SECRET_KEY if session else SECRET_KEY,
                        SESSION_TOKEN if session else None)
    body = case["body"].encode("utf-8")
    headers = dict(case["headers"])
    if "X-Amz-Content-SHA256" in headers:
        import hashlib
        headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=case["method"], url=case["url"], data=body, headers=headers)
    if case["kind"] == "presigned":
        signer = botocore.auth.S3SigV4QueryAuth(creds, case["service"], case["region"],
                                                expires=900)
    else:
        signer = botocore.auth.SigV4Auth(creds, case["service"], case["region"])
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        signer.add_auth(request)
    parts = urlsplit(request.url)
    wire_headers = [[k, v] for k, v in request.headers.items()]
    # botocore signs a Host derived from the URL but leaves adding it to the
    # HTTP client; put it on the wire as the client would.
    if not any(k.lower() == "host" for k, _ in wire_headers):
        wire_headers.insert(0, ["Host", botocore.auth._host_from_url(request.url)])
    # Added by the HTTP layer after signing, so never signed.
    if body:
        wire_headers.append(["Content-Length", str(len(body))])
    out = dict(name=case["name"], kind=case["kind"], method=case["method"],
               path=parts.path, query=parts.query, headers=wire_headers,
               body=case["body"], region=case["region"], service=case["service"],
               access_key_id=creds.access_key)
    if session:
        out["session_token"] = SESSION_TOKEN
    return out


def main():
    vectors = [sign(c) for c in CASES]
    doc = {
        "source": "botocore " + botocore.__version__ + " SigV4Auth / S3SigV4QueryAuth, "
                  "generated by src/auth/testdata/botocore_vectors.py",
        "now": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "credentials": {
            ACCESS_KEY: SECRET_KEY,
            SESSION_ACCESS_KEY: SESSION_SECRET_KEY,
        },
        "vectors": vectors,
    }
    path = pathlib.Path(__file__).with_name("botocore_vectors.json")
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
