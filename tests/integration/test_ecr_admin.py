"""DescribeRegistry, resource tags, repository/lifecycle/registry policies, unimplemented
and unknown operations, and protocol-level answers (boto3, the aws CLI, raw HTTP)."""

from __future__ import annotations

import json

import pytest
import requests

from ecrhelpers import ACCOUNT, JSON_CT, REGION, assert_raw_error, raises_ecr


def repo_arn(name: str) -> str:
    return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"


# -- DescribeRegistry -------------------------------------------------------------


def test_describe_registry(ecr):
    out = ecr.client().describe_registry()
    assert out["registryId"] == ACCOUNT
    assert out["replicationConfiguration"] == {"rules": []}
    cli = ecr.cli("describe-registry").json
    assert cli["registryId"] == ACCOUNT and cli["replicationConfiguration"] == {"rules": []}


# -- tags ---------------------------------------------------------------------------


def tags_of(ecr, name) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in
            ecr.client().list_tags_for_resource(resourceArn=repo_arn(name))["tags"]}


def test_tag_untag_list(ecr, repo):
    c = ecr.client()
    ecr.create_repository(repo, tags=[{"Key": "a", "Value": "1"}])
    assert tags_of(ecr, repo) == {"a": "1"}
    c.tag_resource(resourceArn=repo_arn(repo), tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert tags_of(ecr, repo) == {"a": "2", "b": "3"}  # merged, a overwritten
    c.untag_resource(resourceArn=repo_arn(repo), tagKeys=["a", "not-there"])
    assert tags_of(ecr, repo) == {"b": "3"}

    missing = repo_arn(repo + "-nope")
    with raises_ecr("RepositoryNotFoundException"):
        c.list_tags_for_resource(resourceArn=missing)
    with raises_ecr("RepositoryNotFoundException"):
        c.tag_resource(resourceArn=missing, tags=[{"Key": "k", "Value": "v"}])
    with raises_ecr("RepositoryNotFoundException"):
        c.untag_resource(resourceArn=missing, tagKeys=["k"])
    with raises_ecr("InvalidParameterException"):
        c.list_tags_for_resource(resourceArn="not-an-arn")


@pytest.mark.berth_only  # moto does not check tag limits
def test_tag_limits(ecr, ecr_repo):
    c = ecr.client()
    with raises_ecr("InvalidTagParameterException"):
        c.tag_resource(resourceArn=repo_arn(ecr_repo), tags=[{"Key": "k" * 129, "Value": "v"}])
    with raises_ecr("InvalidTagParameterException"):
        c.tag_resource(resourceArn=repo_arn(ecr_repo), tags=[{"Key": "k0", "Value": "v" * 257}])
    assert tags_of(ecr, ecr_repo) == {}
    with raises_ecr("TooManyTagsException"):
        c.tag_resource(resourceArn=repo_arn(ecr_repo),
                       tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    c.tag_resource(resourceArn=repo_arn(ecr_repo), tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with raises_ecr("TooManyTagsException"):
        c.tag_resource(resourceArn=repo_arn(ecr_repo), tags=[{"Key": "one-more", "Value": "v"}])
    assert len(tags_of(ecr, ecr_repo)) == 50
    with raises_ecr("TooManyTagsException"):
        ecr.client().create_repository(repositoryName=ecr_repo + "-t",
                                       tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])


def test_cli_tags(ecr, ecr_repo):
    ecr.cli("tag-resource", "--resource-arn", repo_arn(ecr_repo), "--tags", "Key=env,Value=ci")
    out, _ = ecr.cli_many(
        (["list-tags-for-resource", "--resource-arn", repo_arn(ecr_repo)], None),
        (["list-tags-for-resource", "--resource-arn", repo_arn(ecr_repo + "-nope")],
         "RepositoryNotFoundException"))
    assert out.json["tags"] == [{"Key": "env", "Value": "ci"}]
    ecr.cli("untag-resource", "--resource-arn", repo_arn(ecr_repo), "--tag-keys", "env")
    assert tags_of(ecr, ecr_repo) == {}


# -- repository policy ----------------------------------------------------------------

REPO_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowPull", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}],
}


def test_repository_policy_lifecycle(ecr, ecr_repo):
    c = ecr.client()
    with raises_ecr("RepositoryPolicyNotFoundException") as err:
        c.get_repository_policy(repositoryName=ecr_repo)
    assert ecr_repo in err["error"]["Message"]
    with raises_ecr("RepositoryPolicyNotFoundException"):
        c.delete_repository_policy(repositoryName=ecr_repo)

    text = json.dumps(REPO_POLICY)
    out = c.set_repository_policy(repositoryName=ecr_repo, policyText=text)
    assert out["registryId"] == ACCOUNT and out["repositoryName"] == ecr_repo
    assert json.loads(out["policyText"]) == REPO_POLICY
    got = c.get_repository_policy(repositoryName=ecr_repo)
    assert got["repositoryName"] == ecr_repo and json.loads(got["policyText"]) == REPO_POLICY

    gone = c.delete_repository_policy(repositoryName=ecr_repo)
    assert json.loads(gone["policyText"]) == REPO_POLICY
    with raises_ecr("RepositoryPolicyNotFoundException"):
        c.get_repository_policy(repositoryName=ecr_repo)

    for call in (lambda: c.set_repository_policy(repositoryName=ecr_repo + "-nope", policyText=text),
                 lambda: c.get_repository_policy(repositoryName=ecr_repo + "-nope"),
                 lambda: c.delete_repository_policy(repositoryName=ecr_repo + "-nope")):
        with raises_ecr("RepositoryNotFoundException"):
            call()


@pytest.mark.parametrize("text", [
    "this is not json",
    json.dumps({"Version": "2012-10-17"}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",
                                                       "Action": "ecr:*"}]}),
], ids=["not-json", "no-statement", "bad-effect"])
def test_repository_policy_invalid(ecr, ecr_repo, text):
    if ecr.is_moto and "Maybe" in text:
        pytest.skip("moto does not check Effect values")
    with raises_ecr("InvalidParameterException"):
        ecr.client().set_repository_policy(repositoryName=ecr_repo, policyText=text)
    with raises_ecr("RepositoryPolicyNotFoundException"):
        ecr.client().get_repository_policy(repositoryName=ecr_repo)


def test_cli_repository_policy(ecr, ecr_repo):
    out = ecr.cli("set-repository-policy", "--repository-name", ecr_repo,
                  "--policy-text", json.dumps(REPO_POLICY)).json
    assert json.loads(out["policyText"]) == REPO_POLICY
    assert json.loads(ecr.cli("get-repository-policy", "--repository-name", ecr_repo).json["policyText"]) \
        == REPO_POLICY
    ecr.cli("delete-repository-policy", "--repository-name", ecr_repo)
    ecr.cli_error("get-repository-policy", "--repository-name", ecr_repo,
                  code="RepositoryPolicyNotFoundException")


# -- lifecycle policy -------------------------------------------------------------------

LIFECYCLE = {"rules": [
    {"rulePriority": 1, "description": "expire untagged after 14 days",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                   "countNumber": 14},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "keep 10 release images",
     "selection": {"tagStatus": "tagged", "tagPrefixList": ["release"], "countType": "imageCountMoreThan",
                   "countNumber": 10},
     "action": {"type": "expire"}},
]}


def test_lifecycle_policy_lifecycle(ecr, ecr_repo):
    c = ecr.client()
    with raises_ecr("LifecyclePolicyNotFoundException") as err:
        c.get_lifecycle_policy(repositoryName=ecr_repo)
    assert ecr_repo in err["error"]["Message"]
    with raises_ecr("LifecyclePolicyNotFoundException"):
        c.delete_lifecycle_policy(repositoryName=ecr_repo)

    text = json.dumps(LIFECYCLE)
    out = c.put_lifecycle_policy(repositoryName=ecr_repo, lifecyclePolicyText=text)
    assert out["registryId"] == ACCOUNT and out["repositoryName"] == ecr_repo
    assert json.loads(out["lifecyclePolicyText"]) == LIFECYCLE
    got = c.get_lifecycle_policy(repositoryName=ecr_repo)
    assert json.loads(got["lifecyclePolicyText"]) == LIFECYCLE
    assert got["repositoryName"] == ecr_repo

    gone = c.delete_lifecycle_policy(repositoryName=ecr_repo)
    assert json.loads(gone["lifecyclePolicyText"]) == LIFECYCLE
    with raises_ecr("LifecyclePolicyNotFoundException"):
        c.get_lifecycle_policy(repositoryName=ecr_repo)
    with raises_ecr("RepositoryNotFoundException"):
        c.put_lifecycle_policy(repositoryName=ecr_repo + "-nope", lifecyclePolicyText=text)


def _padded(obj) -> str:
    """The model's minimum is 100 characters; pad with JSON whitespace."""
    t = json.dumps(obj) if not isinstance(obj, str) else obj
    return t + " " * max(0, 100 - len(t))


def _rule(**selection):
    sel = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5}
    sel.update(selection)
    return {"rulePriority": 1, "selection": sel, "action": {"type": "expire"}}


_MOTO_LAX = pytest.mark.berth_only  # moto's validator accepts these


@pytest.mark.parametrize("policy", [
    pytest.param("not json at all", id="not-json"),
    pytest.param({"rulez": []}, id="no-rules"),
    pytest.param({"rules": []}, id="empty-rules", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(tagStatus="tagged")]}, id="tagged-without-lists", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(tagPrefixList=["x"])]}, id="untagged-with-list", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(countNumber=0)]}, id="count-zero", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(countType="sinceImagePushed")]}, id="age-without-unit", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(), _rule(tagStatus="any")]}, id="duplicate-priority", marks=_MOTO_LAX),
    pytest.param({"rules": [_rule(tagStatus="sometimes")]}, id="bad-tag-status"),
])
def test_lifecycle_policy_invalid(ecr, ecr_repo, policy):
    with raises_ecr("InvalidParameterException"):
        ecr.client().put_lifecycle_policy(repositoryName=ecr_repo, lifecyclePolicyText=_padded(policy))
    with raises_ecr("LifecyclePolicyNotFoundException"):
        ecr.client().get_lifecycle_policy(repositoryName=ecr_repo)


@pytest.mark.berth_only  # moto checks no lengths; botocore refuses < 100 characters itself
def test_lifecycle_policy_too_short_raw(ecr, ecr_repo):
    r = ecr.raw("PutLifecyclePolicy", {"repositoryName": ecr_repo, "lifecyclePolicyText": json.dumps(
        {"rules": [_rule()]})[:99]})
    body = assert_raw_error(r, 400, "InvalidParameterException")
    assert "lifecyclePolicyText" in body["message"] or "LifecyclePolicyText" in body["message"]


def test_cli_lifecycle_policy(ecr, ecr_repo):
    out = ecr.cli("put-lifecycle-policy", "--repository-name", ecr_repo,
                  "--lifecycle-policy-text", json.dumps(LIFECYCLE)).json
    assert json.loads(out["lifecyclePolicyText"]) == LIFECYCLE
    got = ecr.client().get_lifecycle_policy(repositoryName=ecr_repo)
    assert json.loads(got["lifecyclePolicyText"]) == LIFECYCLE
    ecr.cli("delete-lifecycle-policy", "--repository-name", ecr_repo)
    ecr.cli_many(
        (["get-lifecycle-policy", "--repository-name", ecr_repo], "LifecyclePolicyNotFoundException"),
        (["put-lifecycle-policy", "--repository-name", ecr_repo,
          "--lifecycle-policy-text", _padded({"rulez": []})], "InvalidParameterException"))


# -- registry policy -------------------------------------------------------------------

REGISTRY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReplicationAccess", "Effect": "Allow",
                   "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                   "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                   "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"}],
}


def test_registry_policy_lifecycle(ecr):
    c = ecr.client()
    text = json.dumps(REGISTRY_POLICY)
    # the registry policy is registry-wide: this is the only test that sets one
    out = c.put_registry_policy(policyText=text)
    assert out["registryId"] == ACCOUNT and json.loads(out["policyText"]) == REGISTRY_POLICY
    got = c.get_registry_policy()
    assert got["registryId"] == ACCOUNT and json.loads(got["policyText"]) == REGISTRY_POLICY
    gone = c.delete_registry_policy()
    assert gone["registryId"] == ACCOUNT and json.loads(gone["policyText"]) == REGISTRY_POLICY
    with raises_ecr("RegistryPolicyNotFoundException") as err:
        c.get_registry_policy()
    assert ACCOUNT in err["error"]["Message"]
    with raises_ecr("RegistryPolicyNotFoundException"):
        c.delete_registry_policy()
    with raises_ecr("InvalidParameterException"):
        c.put_registry_policy(policyText="{not json")
    with raises_ecr("RegistryPolicyNotFoundException"):
        c.get_registry_policy()
    # through the CLI
    ecr.cli("put-registry-policy", "--policy-text", text)
    assert json.loads(ecr.cli("get-registry-policy").json["policyText"]) == REGISTRY_POLICY
    ecr.cli("delete-registry-policy")
    ecr.cli_error("get-registry-policy", code="RegistryPolicyNotFoundException")


# -- unimplemented and unknown operations; protocol ---------------------------------------


@pytest.mark.berth_only  # moto implements StartImageScan
def test_unsupported_operation(ecr, ecr_repo):
    img = ecr.push_image(ecr_repo, "v1", seed=601)
    with raises_ecr("UnsupportedOperationException") as err:
        ecr.client().start_image_scan(repositoryName=ecr_repo, imageId={"imageTag": "v1"})
    assert "StartImageScan" in err["error"]["Message"]
    r = ecr.raw("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl":
                                                "registry-1.docker.io"})
    body = assert_raw_error(r, 400, "UnsupportedOperationException")
    assert "CreatePullThroughCacheRule" in body["message"]
    ecr.cli_error("start-image-scan", "--repository-name", ecr_repo, "--image-id",
                  f"imageDigest={img.manifest.digest}", code="UnsupportedOperationException")


@pytest.mark.berth_only  # moto answers unknown targets with its own 404 page
def test_unknown_operation(ecr):
    body = assert_raw_error(ecr.raw("FlyToTheMoon", {}), (400, 404), "UnknownOperationException")
    assert body["message"]
    # a target with another service's prefix
    r = ecr.raw(None, {}, headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert_raw_error(r, (400, 404), "UnknownOperationException")
    # no target at all
    assert_raw_error(ecr.raw(None, {}), (400, 404), "UnknownOperationException")


@pytest.mark.berth_only
def test_malformed_json_body(ecr):
    r = ecr.raw("DescribeRepositories", body=b'{"repositoryNames": [')
    assert_raw_error(r, 400, "SerializationException")
    # a member of the wrong type
    r = ecr.raw("DescribeRepositories", {"maxResults": "ten"})
    assert_raw_error(r, 400, {"SerializationException", "InvalidParameterException"})


@pytest.mark.berth_only
def test_empty_body_means_no_parameters(ecr):
    r = ecr.raw("DescribeRegistry", body=b"")
    assert r.status_code == 200, r.text
    assert r.json()["registryId"] == ACCOUNT


@pytest.mark.berth_only
def test_response_metadata(ecr, ecr_repo):
    r = ecr.raw("DescribeRepositories", {"repositoryNames": [ecr_repo]})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == JSON_CT
    rid = r.headers.get("x-amzn-RequestId")
    assert rid and len(rid) >= 16
    err = ecr.raw("DescribeRepositories", {"repositoryNames": [ecr_repo + "-nope"]})
    assert err.headers["Content-Type"].split(";")[0] == JSON_CT
    assert err.headers.get("x-amzn-RequestId") and err.headers["x-amzn-RequestId"] != rid
    body = assert_raw_error(err, 400, "RepositoryNotFoundException")
    assert set(body) >= {"__type", "message"}
    out = ecr.client().describe_repositories(repositoryNames=[ecr_repo])
    assert out["ResponseMetadata"]["RequestId"]


@pytest.mark.berth_only
def test_registry_id_must_be_twelve_digits(ecr, ecr_repo):
    with raises_ecr("InvalidParameterException") as err:
        ecr.client().describe_images(registryId="abc", repositoryName=ecr_repo)
    assert "registryId" in err["error"]["Message"]


@pytest.mark.berth_only
def test_v2_and_ecr_share_one_port(ecr):
    """POST / with X-Amz-Target is ECR; the same listener serves /v2/."""
    r = requests.get(ecr.endpoint + "/v2/", auth=("AWS", ecr.password()), timeout=60)
    assert r.status_code == 200
    assert r.headers.get("Docker-Distribution-API-Version") == "registry/2.0"
    assert ecr.client().describe_registry()["registryId"] == ACCOUNT
