"""Who may do what (issue 12): identities from the credentials file, repository, registry
and identity policies decided as AWS decides them, on the ECR API (boto3, aws CLI) and on
/v2/ (skopeo, raw HTTP) alike. One berth with keys of three accounts:

  A (ACCOUNT): root, user/alice, user/bob, role/ci (no identity policies), user/reader
               (identity policy: pull from team/*)
  B (OTHER_ACCOUNT): root, user/dev (identity policy: BatchGetImage only)
  C (THIRD): root, granted nothing

The repository-policy examples are the ECR user guide's ("allow pull from another account",
"deny all but one user", "allow push from a role"). berth_only: moto enforces no policy."""
from __future__ import annotations

import base64
import json
import secrets

import pytest
import requests

import make_test_images as mti
from conftest import BERTH_BINARY, ECR_TARGET, Skopeo
from ecrhelpers import (ACCOUNT, MT_OCI_MANIFEST, OTHER_ACCOUNT, REGION, Creds, EcrEnv,
                        EcrServer, raises_ecr)

pytestmark = pytest.mark.berth_only

THIRD = "333333333333"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
PUSH = ["ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload",
        "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]


def key(n: int, account: str) -> Creds:
    return Creds(f"AKIAPOLICYTEST{n:06d}", secrets.token_urlsafe(30), account)


A_ROOT, A_ALICE, A_BOB, A_CI, A_READER = (key(i, ACCOUNT) for i in range(1, 6))
B_ROOT, B_DEV = key(6, OTHER_ACCOUNT), key(7, OTHER_ACCOUNT)
C_ROOT = key(8, THIRD)


def arn(account: str, principal: str) -> str:
    return f"arn:aws:iam::{account}:{principal}"


def repo_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:ecr:{REGION}:{account}:repository/{name}"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if ECR_TARGET != "berth":
        pytest.skip("berth only")
    root = tmp_path_factory.mktemp("policies")
    keys = [A_ROOT, A_ALICE, A_BOB, A_CI, A_READER, B_ROOT, B_DEV, C_ROOT]
    server = EcrServer(root, BERTH_BINARY, keys)
    (root / "iam").mkdir()
    (root / "iam" / "reader.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ecr:Batch*", "ecr:GetDownloadUrlForLayer", "ecr:Describe*"],
         "Resource": f"arn:aws:ecr:*:{ACCOUNT}:repository/team/*"},
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}))
    (root / "iam" / "dev.json").write_text(json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetAuthorizationToken"], "Resource": "*"}]}))
    principals = {A_ALICE: "user/alice", A_BOB: "user/bob", A_CI: "role/ci",
                  A_READER: "user/reader iam/reader.json", B_DEV: "user/dev iam/dev.json"}
    server.credentials_file.write_text("".join(
        f"{k.access_key} {k.secret_key} {k.account} {principals.get(k, 'root')}\n" for k in keys))
    server.start()
    yield EcrEnv(server, keys, root)
    server.stop()


@pytest.fixture
def name(request) -> str:
    return "team/" + request.node.name.replace("_", "-")[:40] + "-" + secrets.token_hex(3)


def push(env: EcrEnv, repo: str, tag: str, creds: Creds = A_ROOT, seed: int = 1) -> mti.Image:
    img = mti.build_image(seed, (300, 700))
    c = env.client(creds)
    for b in img.blobs:
        env.upload_blob(repo, b.data, client=c)
    env.put_manifest(repo, img.manifest.data, tag=tag, client=c)
    return img


def get(env: EcrEnv, creds: Creds, repo: str, tag: str = "v1", registry: str = ACCOUNT) -> dict:
    return env.client(creds).batch_get_image(registryId=registry, repositoryName=repo,
                                             imageIds=[{"imageTag": tag}])


def password(env: EcrEnv, creds: Creds, registry: str | None = None) -> str:
    kw = {"registryIds": [registry]} if registry else {}
    data = env.client(creds).get_authorization_token(**kw)["authorizationData"][0]
    return base64.b64decode(data["authorizationToken"]).decode().partition(":")[2]


def v2(env: EcrEnv, path: str, pw: str, method: str = "GET", host: str | None = None,
       **kw) -> requests.Response:
    headers = {"Accept": MT_OCI_MANIFEST, **kw.pop("headers", {})}
    if host:
        headers["Host"] = host
    return requests.request(method, env.endpoint + path, auth=("AWS", pw), headers=headers,
                            timeout=30, **kw)


def denied(resp: requests.Response, fragment: str) -> None:
    assert resp.status_code == 403, (resp.status_code, resp.text)
    err = resp.json()["errors"][0]
    assert err["code"] == "DENIED" and fragment in err["message"], err


def test_roots_keep_their_account_users_start_with_nothing(env, name):
    env.client(A_ROOT).create_repository(repositoryName=name)
    push(env, name, "v1")
    assert get(env, A_ROOT, name)["images"]
    with raises_ecr("AccessDeniedException", message=(
            f"User: {arn(ACCOUNT, 'user/alice')} is not authorized to perform: ecr:BatchGetImage "
            f"on resource: {repo_arn(name)} because no identity-based policy allows the "
            "ecr:BatchGetImage action")):
        get(env, A_ALICE, name)
    # user/reader's identity policy: reads under team/*, nothing else
    assert get(env, A_READER, name)["images"]
    env.client(A_READER).describe_images(repositoryName=name)
    with raises_ecr("AccessDeniedException", message="no identity-based policy allows the ecr:InitiateLayerUpload"):
        push(env, name, "v2", creds=A_READER, seed=2)
    with raises_ecr("AccessDeniedException"):
        env.client(A_READER).create_repository(repositoryName="elsewhere")
    # another account's root has nothing here without a grant
    with raises_ecr("AccessDeniedException", message=(
            f"User: {arn(OTHER_ACCOUNT, 'root')} is not authorized to perform: ecr:BatchGetImage "
            f"on resource: {repo_arn(name)} because no resource-based policy allows the "
            "ecr:BatchGetImage action")):
        get(env, B_ROOT, name)


def test_user_guide_allow_pull_from_another_account(env, name, tmp_path, layouts):
    env.client(A_ROOT).create_repository(repositoryName=name)
    img = push(env, name, "v1")
    env.client(A_ROOT).set_repository_policy(repositoryName=name, policyText=policy(
        {"Sid": "AllowPull", "Effect": "Allow", "Principal": {"AWS": arn(OTHER_ACCOUNT, "root")},
         "Action": PULL}))
    # ECR API: B's root pulls with --registry-id A, boto3 and the aws CLI; C cannot
    (got,) = get(env, B_ROOT, name)["images"]
    assert got["imageManifest"].encode() == img.manifest.data
    out = env.cli("batch-get-image", "--registry-id", ACCOUNT, "--repository-name", name,
                  "--image-ids", "imageTag=v1", creds=B_ROOT).json
    assert out["images"][0]["imageId"]["imageDigest"] == img.manifest.digest
    env.cli_error("batch-get-image", "--registry-id", ACCOUNT, "--repository-name", name,
                  "--image-ids", "imageTag=v1", creds=C_ROOT, code="AccessDeniedException")
    url = env.client(B_ROOT).get_download_url_for_layer(
        registryId=ACCOUNT, repositoryName=name, layerDigest=img.layers[0].digest)["downloadUrl"]
    assert requests.get(url, timeout=30).content == img.layers[0].data
    # pull only: no push, no delete, no listing
    with raises_ecr("AccessDeniedException", message="no resource-based policy allows the ecr:PutImage action"):
        env.client(B_ROOT).put_image(registryId=ACCOUNT, repositoryName=name,
                                     imageManifest=img.manifest.data.decode(), imageTag="mine")
    with raises_ecr("AccessDeniedException"):
        env.client(B_ROOT).batch_delete_image(registryId=ACCOUNT, repositoryName=name,
                                              imageIds=[{"imageTag": "v1"}])
    # B's user with an identity policy: both sides must allow
    assert get(env, B_DEV, name)["images"]
    with raises_ecr("AccessDeniedException", message="no identity-based policy allows the ecr:GetDownloadUrlForLayer"):
        env.client(B_DEV).get_download_url_for_layer(registryId=ACCOUNT, repositoryName=name,
                                                     layerDigest=img.layers[0].digest)

    # /v2/: B's password for registry A pulls A's image with skopeo, byte for byte
    sk = Skopeo(env.server, tmp_path)
    out_dir = tmp_path / "pulled"
    sk.copy(sk.ref(name, "v1"), f"dir:{out_dir}", "--src-creds", f"AWS:{password(env, B_ROOT, ACCOUNT)}")
    assert (out_dir / "manifest.json").read_bytes() == img.manifest.data
    # ... and pushing there with the same password is refused, leaving nothing
    p = sk.copy(f"oci:{layouts['single_dir']}:img", sk.ref(name, "pushed"),
                "--dest-creds", f"AWS:{password(env, B_ROOT, ACCOUNT)}", check=False)
    assert p.returncode != 0 and ("denied" in p.stderr.lower() or "403" in p.stderr), p.stderr
    # the A.dkr.ecr.<region> host with B's own password, raw
    host = f"{ACCOUNT}.dkr.ecr.{REGION}.localhost:{env.server.port}"
    r = v2(env, f"/v2/{name}/manifests/v1", password(env, B_ROOT), host=host)
    assert r.status_code == 200 and r.content == img.manifest.data, r.text
    r = v2(env, f"/v2/{name}/blobs/{img.layers[0].digest}", password(env, B_ROOT), host=host)
    assert r.status_code == 200 and r.content == img.layers[0].data
    denied(v2(env, f"/v2/{name}/manifests/v1", password(env, C_ROOT), host=host),
           f"User: {arn(THIRD, 'root')} is not authorized to perform: ecr:BatchGetImage")
    denied(v2(env, f"/v2/{name}/manifests/v1", password(env, B_ROOT), method="DELETE", host=host),
           "ecr:BatchDeleteImage")
    denied(v2(env, "/v2/_catalog", password(env, B_ROOT), host=host), "ecr:DescribeRepositories")
    r = v2(env, f"/v2/{name}/manifests/v1", password(env, C_ROOT), method="HEAD", host=host)
    assert r.status_code == 403 and not r.content
    assert get(env, A_ROOT, name, "pushed")["failures"], "a refused push left an image"


def test_user_guide_deny_all_but_one_user(env, name):
    c = env.client(A_ROOT)
    c.create_repository(repositoryName=name)
    push(env, name, "v1")
    text = policy(
        {"Sid": "AllowAlice", "Effect": "Allow", "Principal": {"AWS": arn(ACCOUNT, "user/alice")},
         "Action": "ecr:*"},
        {"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
         "Condition": {"StringNotEquals": {"aws:PrincipalArn": arn(ACCOUNT, "user/alice")}}})
    # it would lock the root out: refused unless force
    with raises_ecr("InvalidParameterException", message="would prevent you"):
        c.set_repository_policy(repositoryName=name, policyText=text)
    c.set_repository_policy(repositoryName=name, policyText=text, force=True)
    assert get(env, A_ALICE, name)["images"]
    push(env, name, "v2", creds=A_ALICE, seed=2)
    for who, principal in ((A_BOB, "user/bob"), (A_ROOT, "root"), (A_READER, "user/reader")):
        with raises_ecr("AccessDeniedException", message=(
                f"User: {arn(ACCOUNT, principal)} is not authorized to perform: ecr:BatchGetImage on "
                f"resource: {repo_arn(name)} with an explicit deny in a resource-based policy")):
            get(env, who, name)
    denied(v2(env, f"/v2/{name}/manifests/v1", password(env, A_ROOT)), "explicit deny")
    assert v2(env, f"/v2/{name}/manifests/v2", password(env, A_ALICE)).status_code == 200
    # the one user undoes it
    env.client(A_ALICE).delete_repository_policy(repositoryName=name)
    assert get(env, A_ROOT, name)["images"]


def test_user_guide_allow_push_from_a_role(env, name, tmp_path, layouts):
    env.client(A_ROOT).create_repository(repositoryName=name)
    env.cli("set-repository-policy", "--repository-name", name, "--policy-text", policy(
        {"Sid": "AllowPush", "Effect": "Allow", "Principal": {"AWS": arn(ACCOUNT, "role/ci")},
         "Action": PUSH}))
    img = push(env, name, "v1", creds=A_CI)
    assert get(env, A_ROOT, name)["images"][0]["imageManifest"].encode() == img.manifest.data
    with raises_ecr("AccessDeniedException", message="ecr:BatchDeleteImage"):
        env.client(A_CI).batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])
    with raises_ecr("AccessDeniedException"):
        push(env, name, "v2", creds=A_ALICE, seed=2)
    # over /v2/: skopeo pushes with the role's password
    sk = Skopeo(env.server, tmp_path)
    sk.copy(f"oci:{layouts['single_dir']}:img", sk.ref(name, "skopeo"),
            "--dest-creds", f"AWS:{password(env, A_CI)}")
    digest = layouts["single"].manifest.digest
    assert env.client(A_ROOT).list_images(repositoryName=name, filter={"tagStatus": "TAGGED"})
    assert any(i["imageDigest"] == digest for i in env.client(A_ROOT).list_images(repositoryName=name)["imageIds"])


def test_denied_push_leaves_nothing_behind(env, name):
    env.client(A_ROOT).create_repository(repositoryName=name)
    img = mti.build_image(9, (400,))
    with raises_ecr("AccessDeniedException", message="ecr:InitiateLayerUpload"):
        env.client(B_ROOT).initiate_layer_upload(registryId=ACCOUNT, repositoryName=name)
    pw = password(env, B_ROOT, ACCOUNT)
    denied(v2(env, f"/v2/{name}/blobs/uploads/", pw, method="POST"), "ecr:InitiateLayerUpload")
    denied(v2(env, f"/v2/{name}/blobs/uploads/?digest={img.layers[0].digest}", pw, method="POST",
              data=img.layers[0].data), "ecr:InitiateLayerUpload")
    denied(v2(env, f"/v2/{name}/manifests/v1", pw, method="PUT", data=img.manifest.data,
              headers={"Content-Type": MT_OCI_MANIFEST}), "ecr:PutImage")
    c = env.client(A_ROOT)
    assert c.list_images(repositoryName=name)["imageIds"] == []
    layers = c.batch_check_layer_availability(repositoryName=name, layerDigests=[img.layers[0].digest])
    assert [f["failureCode"] for f in layers["failures"]] == ["MissingLayerDigest"]


def test_conditions_and_action_wildcards(env, name):
    c = env.client(A_ROOT)
    c.create_repository(repositoryName=name, tags=[{"Key": "team", "Value": "blue"}])
    push(env, name, "v1")
    c.set_repository_policy(repositoryName=name, policyText=policy(
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": ["ecr:Describe*", "ecr:List*"]},
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "ecr:BatchGetImage",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"},
                       "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:GetDownloadUrlForLayer",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1234"}}}))
    b = env.client(B_ROOT)
    assert b.describe_images(registryId=ACCOUNT, repositoryName=name)["imageDetails"]
    assert b.list_images(registryId=ACCOUNT, repositoryName=name)["imageIds"]
    assert get(env, B_ROOT, name)["images"]
    # an unknown condition key grants nothing
    with raises_ecr("AccessDeniedException"):
        b.get_download_url_for_layer(registryId=ACCOUNT, repositoryName=name,
                                     layerDigest="sha256:" + "0" * 64)
    # the resource tag condition follows the repository's tags
    c.tag_resource(resourceArn=repo_arn(name), tags=[{"Key": "team", "Value": "red"}])
    with raises_ecr("AccessDeniedException"):
        get(env, B_ROOT, name)
    # a Deny outside an address range (the user guide's IP example) binds the owner too
    c.set_repository_policy(repositoryName=name, policyText=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "ecr:*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}), force=True)
    with raises_ecr("AccessDeniedException", message="explicit deny"):
        get(env, A_ROOT, name)


def test_registry_policy_governs_create_repository(env, name):
    b = env.client(B_ROOT)
    with raises_ecr("AccessDeniedException", message="ecr:CreateRepository"):
        b.create_repository(registryId=ACCOUNT, repositoryName=name + "-replica")
    env.client(A_ROOT).put_registry_policy(policyText=policy(
        {"Effect": "Allow", "Principal": {"AWS": arn(OTHER_ACCOUNT, "root")},
         "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
         "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"}))
    try:
        r = b.create_repository(registryId=ACCOUNT, repositoryName=name + "-replica")["repository"]
        assert r["registryId"] == ACCOUNT
        assert r["repositoryArn"] == repo_arn(name + "-replica")
    finally:
        env.client(A_ROOT).delete_registry_policy()
    with raises_ecr("AccessDeniedException"):
        b.create_repository(registryId=ACCOUNT, repositoryName=name + "-again")


def account_settings(env: EcrEnv, creds: Creds = A_ROOT):
    # PutAccountSetting is newer than Debian's botocore: the current model.
    return env.client(creds, model="current")


def test_registry_policy_scope_v2_governs_every_action_and_v1_only_the_registry_ones(env, name):
    a = account_settings(env)
    assert a.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    env.client(A_ROOT).create_repository(repositoryName=name)
    push(env, name, "v1")
    with raises_ecr("AccessDeniedException"):
        get(env, B_ROOT, name)
    env.client(A_ROOT).put_registry_policy(policyText=policy(
        {"Effect": "Allow", "Principal": {"AWS": arn(OTHER_ACCOUNT, "root")},
         "Action": PULL, "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "ecr:BatchDeleteImage",
         "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"}))
    try:
        # V2 (ECR's default): the registry policy grants a pull with no repository policy,
        # on the ECR API and on /v2/, and its Deny binds the owner's root.
        assert len(get(env, B_ROOT, name)["images"]) == 1
        r = v2(env, f"/v2/{name}/manifests/v1", password(env, B_ROOT, ACCOUNT),
               host=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com")
        assert r.status_code == 200, r.text
        with raises_ecr("AccessDeniedException", message="explicit deny"):
            env.client(A_ROOT).batch_delete_image(repositoryName=name,
                                                  imageIds=[{"imageTag": "v1"}])
        # V1: the registry policy governs only CreateRepository and the replication and
        # pull-through actions.
        out = a.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
        assert (out["name"], out["value"]) == ("REGISTRY_POLICY_SCOPE", "V1")
        assert a.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V1"
        with raises_ecr("AccessDeniedException", message="no resource-based policy"):
            get(env, B_ROOT, name)
        deleted = env.client(A_ROOT).batch_delete_image(repositoryName=name,
                                                        imageIds=[{"imageTag": "v1"}])
        assert len(deleted["imageIds"]) == 1 and not deleted["failures"]
    finally:
        a.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
        env.client(A_ROOT).delete_registry_policy()
    # settings are per registry: B's own scope never moved
    assert account_settings(env, B_ROOT).get_account_setting(
        name="REGISTRY_POLICY_SCOPE")["value"] == "V2"


def test_account_settings_refuse_unknown_names_and_values(env):
    a = account_settings(env)
    with raises_ecr("ValidationException", message="REGISTRY_POLICY_SCOPE"):
        a.get_account_setting(name="NO_SUCH_SETTING")
    with raises_ecr("ValidationException", message="V1, V2"):
        a.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V3")
    assert a.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    # kept and reported (berth does not scan, so it changes nothing else)
    assert a.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value="CLAIR")["value"] == "CLAIR"
    assert a.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "CLAIR"
    # a user without an identity policy may not change its account's settings
    with raises_ecr("AccessDeniedException", message="ecr:PutAccountSetting"):
        account_settings(env, A_ALICE).put_account_setting(name="BLOB_MOUNTING", value="DISABLED")


def test_blob_mounting_setting_decides_cross_repository_mounts(env, name):
    env.client(A_ROOT).create_repository(repositoryName=name)
    env.client(A_ROOT).create_repository(repositoryName=name + "-copy")
    img = push(env, name, "v1")
    digest = img.blobs[0].digest
    pw = password(env, A_ROOT)

    def mount(target: str) -> requests.Response:
        return v2(env, f"/v2/{target}/blobs/uploads/?mount={digest}&from={name}", pw,
                  method="POST")

    a = account_settings(env)
    assert a.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
    a.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")
    try:
        # as ECR: no mount, an ordinary upload session for the client to fill
        r = mount(name + "-copy")
        assert r.status_code == 202, (r.status_code, r.text)
        assert "/blobs/uploads/" in r.headers["Location"]
        assert v2(env, f"/v2/{name}-copy/blobs/{digest}", pw, method="HEAD").status_code == 404
    finally:
        a.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    r = mount(name + "-copy")
    assert r.status_code == 201, (r.status_code, r.text)
    assert v2(env, f"/v2/{name}-copy/blobs/{digest}", pw, method="HEAD").status_code == 200
