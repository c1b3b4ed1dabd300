"""ECR repositories: CreateRepository, DescribeRepositories, DeleteRepository,
PutImageTagMutability, PutImageScanningConfiguration (boto3 and the aws CLI)."""

from __future__ import annotations

import datetime as dt

import pytest

from ecrhelpers import ACCOUNT, REGION, assert_raw_error, now_utc, raises_ecr


def arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def assert_uri(ecr, repo: dict, name: str):
    if ecr.is_berth:
        # default --repository-uri-template: the public URL's host
        assert repo["repositoryUri"] == f"{ecr.server.hostport}/{name}", repo
    else:
        assert repo["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}", repo


def test_create_repository_reports_every_setting(ecr, repo):
    before = now_utc() - dt.timedelta(seconds=2)
    out = ecr.client().create_repository(
        repositoryName=repo, imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"},
        tags=[{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": ""}])
    r = out["repository"]
    assert r["repositoryName"] == repo
    assert r["registryId"] == ACCOUNT
    assert r["repositoryArn"] == arn(repo)
    assert_uri(ecr, r, repo)
    assert before <= r["createdAt"] <= now_utc() + dt.timedelta(seconds=2)
    assert r["imageTagMutability"] == "IMMUTABLE"
    assert r["imageScanningConfiguration"] == {"scanOnPush": True}
    assert r["encryptionConfiguration"] == {"encryptionType": "AES256"}

    # DescribeRepositories reports the same repository
    d = ecr.client().describe_repositories(repositoryNames=[repo])["repositories"]
    assert len(d) == 1
    for k in ("repositoryArn", "registryId", "repositoryName", "repositoryUri", "imageTagMutability",
              "imageScanningConfiguration", "encryptionConfiguration", "createdAt"):
        assert d[0][k] == r[k], k
    tags = ecr.client().list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [{"Key": "env", "Value": ""},
                                                    {"Key": "team", "Value": "platform"}]


def test_create_repository_defaults(ecr, repo):
    r = ecr.client().create_repository(repositoryName=repo)["repository"]
    assert r["imageTagMutability"] == "MUTABLE"
    assert r["imageScanningConfiguration"] == {"scanOnPush": False}
    assert r["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert "imageTagMutabilityExclusionFilters" not in r or r["imageTagMutabilityExclusionFilters"] == []
    assert ecr.client().list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"] == []


@pytest.mark.berth_only  # moto reports no kmsKey for a repository given one
def test_create_repository_kms_encryption_is_stored(ecr, repo):
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    r = ecr.client().create_repository(
        repositoryName=repo, encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})["repository"]
    assert r["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key}
    d = ecr.client().describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key}


@pytest.mark.berth_only  # moto does not validate the encryption type
def test_create_repository_rejects_unknown_encryption_type(ecr, repo):
    with raises_ecr("InvalidParameterException"):
        ecr.client().create_repository(repositoryName=repo,
                                       encryptionConfiguration={"encryptionType": "ROT13"})


INVALID_NAMES = ["{r}/Upper", "-{r}", "{r}-", "{r}//b", "/{r}", "{r}/", "{r}/dot..dot", "{r}/u___u",
                 "{r}/sp ace", "{r}/col:on", "{r}/at@sign", "{r}/" + "x" * 256]


@pytest.mark.parametrize("template", INVALID_NAMES, ids=lambda s: s.replace("{r}", "R")[:14])
def test_create_repository_name_rules_reject(ecr, repo, template):
    name = template.format(r=repo)
    if ecr.is_moto and len(name) > 256:
        pytest.skip("moto does not check the 256-character maximum")
    with raises_ecr("InvalidParameterException") as err:
        ecr.client().create_repository(repositoryName=name)
    assert "repositoryName" in err["error"]["Message"]


@pytest.mark.berth_only  # moto checks no length limits
def test_create_repository_name_too_short_raw(ecr):
    # botocore refuses a 1-character name client-side, so send it raw.
    r = ecr.raw("CreateRepository", {"repositoryName": "a"})
    body = assert_raw_error(r, 400, "InvalidParameterException")
    assert "repositoryName" in body["message"]


# moto still applies the superseded stricter regex (no "__", no "--"); the model's is the contract
_MODEL_ONLY = pytest.mark.berth_only


@pytest.mark.parametrize("suffix", ["0digit", pytest.param("a__b", marks=_MODEL_ONLY),
                                    pytest.param("a---b", marks=_MODEL_ONLY), "a.b_c-d", "n1/n2/n3"])
def test_create_repository_name_rules_accept(ecr, repo, suffix):
    name = f"{repo}/{suffix}"
    r = ecr.client().create_repository(repositoryName=name)["repository"]
    assert r["repositoryName"] == name and r["repositoryArn"] == arn(name)


def test_create_repository_duplicate(ecr, ecr_repo):
    with raises_ecr("RepositoryAlreadyExistsException") as err:
        ecr.client().create_repository(repositoryName=ecr_repo)
    assert ecr_repo in err["error"]["Message"] and ACCOUNT in err["error"]["Message"]


# -- tag mutability with exclusion filters (current model: Debian's botocore predates them)


def test_exclusion_filters_stored_and_reported(ecr, repo):
    c = ecr.client(model="current")
    filters = [{"filterType": "WILDCARD", "filter": "latest"},
               {"filterType": "WILDCARD", "filter": "dev-*"}]
    r = c.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                            imageTagMutabilityExclusionFilters=filters)["repository"]
    assert r["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert r["imageTagMutabilityExclusionFilters"] == filters
    d = c.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert d["imageTagMutabilityExclusionFilters"] == filters

    # PutImageTagMutability switches to the other _WITH_EXCLUSION mode with new filters
    new = [{"filterType": "WILDCARD", "filter": "release-*"}]
    out = c.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE_WITH_EXCLUSION",
                                     imageTagMutabilityExclusionFilters=new)
    assert out["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert out["repositoryName"] == repo and out["registryId"] == ACCOUNT
    d = c.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert d["imageTagMutabilityExclusionFilters"] == new

    # and back to plain IMMUTABLE, which drops the filters
    c.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    d = c.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["imageTagMutability"] == "IMMUTABLE"
    assert not d.get("imageTagMutabilityExclusionFilters")


@pytest.mark.parametrize("mode,filters", [
    ("MUTABLE", [{"filterType": "WILDCARD", "filter": "latest"}]),
    ("IMMUTABLE", [{"filterType": "WILDCARD", "filter": "latest"}]),
    ("IMMUTABLE_WITH_EXCLUSION", None),
    ("MUTABLE_WITH_EXCLUSION", None),
])
def test_exclusion_filters_compatibility_rules(ecr, repo, mode, filters):
    c = ecr.client(model="current")
    kw = {"imageTagMutabilityExclusionFilters": filters} if filters else {}
    with raises_ecr("InvalidParameterException") as err:
        c.create_repository(repositoryName=repo, imageTagMutability=mode, **kw)
    assert "ImageTagMutabilityExclusionFilters" in err["error"]["Message"]
    # nothing was created
    with raises_ecr("RepositoryNotFoundException"):
        c.describe_repositories(repositoryNames=[repo])


@pytest.mark.berth_only  # moto does not check the filter pattern or the list size
@pytest.mark.parametrize("filters", [
    [{"filterType": "WILDCARD", "filter": "bad/filter"}],
    [{"filterType": "WILDCARD", "filter": "x" * 129}],
    [{"filterType": "REGEX", "filter": "latest"}],
    [{"filterType": "WILDCARD", "filter": f"f{i}"} for i in range(6)],
], ids=["slash", "too-long", "bad-type", "six-filters"])
def test_exclusion_filters_invalid(ecr, repo, filters):
    c = ecr.client(model="current")
    with raises_ecr("InvalidParameterException"):
        c.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                            imageTagMutabilityExclusionFilters=filters)


# -- PutImageTagMutability / PutImageScanningConfiguration


def test_put_image_tag_mutability(ecr, ecr_repo):
    c = ecr.client()
    out = c.put_image_tag_mutability(repositoryName=ecr_repo, imageTagMutability="IMMUTABLE")
    assert out["registryId"] == ACCOUNT and out["repositoryName"] == ecr_repo
    assert out["imageTagMutability"] == "IMMUTABLE"
    assert c.describe_repositories(repositoryNames=[ecr_repo])["repositories"][0][
        "imageTagMutability"] == "IMMUTABLE"
    with raises_ecr("InvalidParameterException"):
        c.put_image_tag_mutability(repositoryName=ecr_repo, imageTagMutability="SOMETIMES")
    with raises_ecr("RepositoryNotFoundException"):
        c.put_image_tag_mutability(repositoryName=ecr_repo + "-missing", imageTagMutability="MUTABLE")


def test_put_image_scanning_configuration(ecr, ecr_repo):
    c = ecr.client()
    out = c.put_image_scanning_configuration(repositoryName=ecr_repo,
                                             imageScanningConfiguration={"scanOnPush": True})
    assert out["registryId"] == ACCOUNT and out["repositoryName"] == ecr_repo
    assert out["imageScanningConfiguration"] == {"scanOnPush": True}
    d = c.describe_repositories(repositoryNames=[ecr_repo])["repositories"][0]
    assert d["imageScanningConfiguration"] == {"scanOnPush": True}
    c.put_image_scanning_configuration(repositoryName=ecr_repo,
                                       imageScanningConfiguration={"scanOnPush": False})
    d = c.describe_repositories(repositoryNames=[ecr_repo])["repositories"][0]
    assert d["imageScanningConfiguration"] == {"scanOnPush": False}
    with raises_ecr("RepositoryNotFoundException"):
        c.put_image_scanning_configuration(repositoryName=ecr_repo + "-missing",
                                           imageScanningConfiguration={"scanOnPush": True})


# -- DescribeRepositories


def test_describe_repositories_by_name(ecr, repo):
    c = ecr.client()
    names = [f"{repo}/a", f"{repo}/b", f"{repo}/c"]
    for n in names:
        c.create_repository(repositoryName=n)
    got = c.describe_repositories(repositoryNames=names[:2])["repositories"]
    assert sorted(r["repositoryName"] for r in got) == names[:2]
    assert {r["repositoryArn"] for r in got} == {arn(n) for n in names[:2]}

    with raises_ecr("RepositoryNotFoundException") as err:
        c.describe_repositories(repositoryNames=[names[0], f"{repo}/missing"])
    assert f"{repo}/missing" in err["error"]["Message"] and ACCOUNT in err["error"]["Message"]


def test_describe_repositories_lists_all_without_names(ecr, repo):
    c = ecr.client()
    names = {f"{repo}/x{i}" for i in range(3)}
    for n in names:
        c.create_repository(repositoryName=n)
    every = [r["repositoryName"]
             for page in c.get_paginator("describe_repositories").paginate()
             for r in page["repositories"]]
    assert names <= set(every)
    assert len(every) == len(set(every))


@pytest.mark.berth_only  # moto ignores maxResults/nextToken (ecr-semantics.md 6.1)
def test_describe_repositories_pagination(ecr, repo):
    c = ecr.client()
    names = {f"{repo}/p{i}" for i in range(5)}
    for n in names:
        c.create_repository(repositoryName=n)
    pages = list(c.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2}))
    seen = []
    for i, page in enumerate(pages):
        assert len(page["repositories"]) <= 2
        if i < len(pages) - 1:
            assert len(page["repositories"]) == 2 and page.get("nextToken")
    assert "nextToken" not in pages[-1]
    seen = [r["repositoryName"] for p in pages for r in p["repositories"]]
    assert len(seen) == len(set(seen)), "a repository appeared on two pages"
    assert names <= set(seen)
    assert len(pages) >= 3

    # a single maxResults=1 call returns one repository and a token
    first = c.describe_repositories(maxResults=1)
    assert len(first["repositories"]) == 1 and first["nextToken"]
    second = c.describe_repositories(maxResults=1, nextToken=first["nextToken"])
    assert second["repositories"][0]["repositoryName"] != first["repositories"][0]["repositoryName"]


@pytest.mark.berth_only  # moto ignores maxResults
def test_describe_repositories_parameter_errors(ecr, ecr_repo):
    c = ecr.client()
    with raises_ecr("InvalidParameterException"):
        c.describe_repositories(maxResults=1001)
    # repositoryNames cannot be combined with maxResults (model documentation)
    with raises_ecr("InvalidParameterException"):
        c.describe_repositories(repositoryNames=[ecr_repo], maxResults=5)
    with raises_ecr("InvalidParameterException"):
        c.describe_repositories(registryId="12345")


# -- DeleteRepository


def test_delete_empty_repository(ecr, ecr_repo):
    c = ecr.client()
    out = c.delete_repository(repositoryName=ecr_repo)["repository"]
    assert out["repositoryName"] == ecr_repo and out["repositoryArn"] == arn(ecr_repo)
    assert out["registryId"] == ACCOUNT
    with raises_ecr("RepositoryNotFoundException"):
        c.describe_repositories(repositoryNames=[ecr_repo])
    with raises_ecr("RepositoryNotFoundException") as err:
        c.delete_repository(repositoryName=ecr_repo)
    assert ecr_repo in err["error"]["Message"]
    # the name is free again
    assert c.create_repository(repositoryName=ecr_repo)["repository"]["repositoryName"] == ecr_repo


def test_delete_repository_with_images_needs_force(ecr, ecr_repo):
    c = ecr.client()
    img = ecr.push_image(ecr_repo, "v1", seed=101)
    with raises_ecr("RepositoryNotEmptyException") as err:
        c.delete_repository(repositoryName=ecr_repo)
    assert ecr_repo in err["error"]["Message"]
    # still there, image intact
    got = c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert got[0]["imageManifest"] == img.manifest.data.decode()

    out = c.delete_repository(repositoryName=ecr_repo, force=True)["repository"]
    assert out["repositoryName"] == ecr_repo
    with raises_ecr("RepositoryNotFoundException"):
        c.batch_get_image(repositoryName=ecr_repo, imageIds=[{"imageTag": "v1"}])
    # recreated: empty
    c.create_repository(repositoryName=ecr_repo)
    assert c.list_images(repositoryName=ecr_repo)["imageIds"] == []


@pytest.mark.berth_only  # needs /v2/
def test_force_delete_makes_images_unpullable_over_v2(ecr, ecr_repo):
    import requests
    img = ecr.push_image(ecr_repo, "v1", seed=102)
    auth = ecr.basic_auth()
    url = f"{ecr.endpoint}/v2/{ecr_repo}/manifests/{img.manifest.digest}"
    assert requests.get(url, headers=auth, timeout=30).status_code == 200
    ecr.client().delete_repository(repositoryName=ecr_repo, force=True)
    r = requests.get(url, headers=auth, timeout=30)
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    r = requests.get(f"{ecr.endpoint}/v2/{ecr_repo}/blobs/{img.layers[0].digest}", headers=auth, timeout=30)
    assert r.status_code == 404


# -- the aws CLI


def test_cli_repository_lifecycle(ecr, repo):
    out = ecr.cli("create-repository", "--repository-name", repo, "--image-tag-mutability", "IMMUTABLE",
                  "--image-scanning-configuration", "scanOnPush=true",
                  "--tags", "Key=owner,Value=cli").json["repository"]
    assert out["repositoryName"] == repo and out["repositoryArn"] == arn(repo)
    assert out["imageTagMutability"] == "IMMUTABLE"
    assert out["imageScanningConfiguration"] == {"scanOnPush": True}
    assert isinstance(out["createdAt"], (int, float, str))

    dup, bad, d, missing, m, sc = ecr.cli_many(
        (["create-repository", "--repository-name", repo], "RepositoryAlreadyExistsException"),
        (["create-repository", "--repository-name", "Bad_Name"], "InvalidParameterException"),
        (["describe-repositories", "--repository-names", repo], None),
        (["describe-repositories", "--repository-names", repo + "-nope"], "RepositoryNotFoundException"),
        (["put-image-tag-mutability", "--repository-name", repo, "--image-tag-mutability", "MUTABLE"], None),
        (["put-image-scanning-configuration", "--repository-name", repo,
          "--image-scanning-configuration", "scanOnPush=false"], None))
    assert [r["repositoryName"] for r in d.json["repositories"]] == [repo]
    assert m.json["imageTagMutability"] == "MUTABLE"
    assert sc.json["imageScanningConfiguration"] == {"scanOnPush": False}
    d = ecr.client().describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert d["imageTagMutability"] == "MUTABLE" and d["imageScanningConfiguration"] == {"scanOnPush": False}

    ecr.push_image(repo, "t", seed=103)
    ecr.cli_error("delete-repository", "--repository-name", repo, code="RepositoryNotEmptyException")
    # aws CLI v2 spells it --force
    out = ecr.cli("delete-repository", "--repository-name", repo, "--force").json["repository"]
    assert out["repositoryName"] == repo
    ecr.cli_error("delete-repository", "--repository-name", repo, code="RepositoryNotFoundException")
