"""Lifecycle policies that run, their previews, and the archive storage class
(issue 11), through the aws CLI and boto3 against a berth whose registry
clock is the test clock (tests/integration/README.md): time is moved, never
slept through.

- the lifecycle matrix: every example policy of the ECR user guide's
  "Examples of lifecycle policies", on the repository the guide describes
  (images pushed N days before "now"), previewed (start, the CLI waiter,
  get) and then applied, against the guide's stated outcome;
- expired images leave both APIs with their referrers, and their blobs then
  go through the collector;
- the archive: UpdateImageStorageClass archive / restore (ACTIVATING, then
  ACTIVE once the clock passes the restore), pulls refused on /v2/ and in
  BatchGetImage, the imageStatus filters, a re-push restoring at once;
- previews: pages, filters, the errors, the waiter;
- the schedule inside `berth serve` (--lifecycle-interval).

No verdict depends on elapsed time: waits are hang guards."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

import make_test_images as mti
from conftest import BERTH_BINARY
from ecrhelpers import ACCOUNT, MT_OCI_MANIFEST, assert_raw_error, raises_ecr, sha256_digest

pytestmark = pytest.mark.berth_only

DAY_MS = 24 * 3600 * 1000
# "Now" for every example: a fixed instant, so ages are exact to the
# millisecond (a frozen clock; see TestClock).
NOW_MS = 1_900_000_000_000


class TestClock:
    """The file berth's test clock reads (util/test_clock.hpp): the instant,
    in ms since the epoch, the registry clock stands at."""

    __test__ = False  # not a pytest class

    def __init__(self, path: Path):
        self.path = path

    def set(self, ms: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(str(int(ms)))
        os.replace(tmp, self.path)  # atomic: berth never reads half a number

    def days_ago(self, days: float) -> None:
        self.set(NOW_MS - int(days * DAY_MS))

    def now(self) -> None:
        self.set(NOW_MS)

    def env(self) -> dict[str, str]:
        return {"BERTH_TEST_MODE": "1", "BERTH_TEST_CLOCK": str(self.path)}


@pytest.fixture(scope="module")
def clock(tmp_path_factory) -> TestClock:
    c = TestClock(tmp_path_factory.mktemp("clock") / "now")
    c.now()
    return c


@pytest.fixture(scope="module")
def lc(ecr_berth_factory, clock):
    """A berth on the test clock; the schedule is off (--lifecycle-interval 0):
    the tests evaluate with `berth lifecycle --apply`."""
    return ecr_berth_factory("ecr-lifecycle", env=clock.env(), extra=["--lifecycle-interval", "0"])


def berth_cmd(env_ecr, clock: TestClock, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BERTH_BINARY, *args, "--data-dir", str(env_ecr.server.data_dir)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **clock.env()})


def apply_lifecycle(env_ecr, clock: TestClock) -> dict:
    p = berth_cmd(env_ecr, clock, "lifecycle", "--apply", "--json")
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    report = json.loads(p.stdout)
    assert report["ran"] and report["applied"], report
    return report


_seed = iter(range(9000, 100000))


def push(env_ecr, repo: str, tags: list[str]) -> str:
    """One image with these tags (none: untagged); returns its digest."""
    img = env_ecr.push_image(repo, tags[0] if tags else None, seed=next(_seed), layer_sizes=(64,))
    for tag in tags[1:]:
        env_ecr.put_manifest(repo, img.manifest.data, tag=tag)
    return img.manifest.digest


def all_digests(env_ecr, repo: str) -> set[str]:
    c = env_ecr.client(model="current")
    out = set()
    for page in c.get_paginator("describe_images").paginate(repositoryName=repo,
                                                            filter={"imageStatus": "ANY"}):
        out |= {d["imageDigest"] for d in page["imageDetails"]}
    return out


# -- the user guide's examples ---------------------------------------------------------------

def rule(priority, selection, action=None, description=None):
    r = {"rulePriority": priority, "selection": selection, "action": action or {"type": "expire"}}
    if description:
        r["description"] = description
    return r


# (id, rules, images as (name, tags, days ago) in push order, names expired)
EXAMPLES = [
    ("filtering-on-image-age",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed",
               "countUnit": "days", "countNumber": 14}, description="Expire images older than 14 days")],
     [("old-prod", ["prod-1"], 20), ("old-dev", ["dev-1"], 19), ("new-prod", ["prod-2"], 3)],
     {"old-prod"}),
    ("filtering-on-image-count",
     [rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
           description="Keep only one untagged image, expire all others")],
     [("u1", [], 3), ("u2", [], 2), ("tagged", ["v1"], 1.5), ("u3", [], 1)],
     {"u1", "u2"}),
    ("multiple-rules-a",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 1"),
      rule(2, {"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 2")],
     [("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8)],
     {"A"}),
    ("multiple-rules-b",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 1"),
      rule(2, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 2")],
     [("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8)],
     {"A", "B"}),
    ("multiple-tags-in-one-rule-a",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "sinceImagePushed",
               "countNumber": 5, "countUnit": "days"}, description="Rule 1")],
     [("A", ["alpha-1"], 12), ("B", ["beta-1"], 11), ("C", ["alpha-2", "beta-2"], 10),
      ("D", ["alpha-3"], 4), ("E", ["beta-3"], 3), ("F", ["alpha-4", "beta-4"], 2)],
     {"C"}),
    ("multiple-tags-in-one-rule-b",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 1")],
     [("A", ["alpha-1", "beta-1", "gamma-1"], 10), ("B", ["alpha-2", "beta-2"], 9),
      ("C", ["alpha-3", "beta-3", "gamma-2"], 8)],
     {"A", "B"}),
    ("all-images-a",
     [rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, description="Rule 1")],
     [("A", ["alpha-1"], 4), ("B", ["beta-1"], 3), ("C", [], 2), ("D", ["alpha-2"], 1)],
     {"A", "B", "C"}),
    ("all-images-b",
     [rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*"], "countType": "imageCountMoreThan",
               "countNumber": 1}, description="Rule 1"),
      rule(2, {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
               "countNumber": 1}, description="Rule 2"),
      rule(3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, description="Rule 3")],
     # D and E were both pushed "1 day ago", E after D ("git hash" is not a valid tag: git-hash).
     [("A", ["alpha-1", "beta-1"], 4), ("B", [], 3), ("C", ["alpha-2"], 2), ("D", ["git-hash"], 1 + 1 / 1440),
      ("E", [], 1)],
     {"A", "B", "D"}),
    # The guide's older edition writes the multiple-rules example with tagPrefixList.
    ("multiple-rules-a-prefixes",
     [rule(1, {"tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan",
               "countNumber": 1}),
      rule(2, {"tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan",
               "countNumber": 1})],
     [("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8)],
     {"A"}),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_user_guide_example(lc, clock, repo, example):
    name, rules, images, expected = example
    lc.create_repository(repo)
    digests = {}
    for image, tags, days in images:
        clock.days_ago(days)
        digests[image] = push(lc, repo, tags)
    clock.now()
    policy = json.dumps({"rules": rules})
    lc.cli("put-lifecycle-policy", "--repository-name", repo, "--lifecycle-policy-text", policy)
    expected_digests = {digests[i] for i in expected}

    # The preview (aws CLI): start, wait, read.
    started = lc.cli("start-lifecycle-policy-preview", "--repository-name", repo).json
    assert started["status"] in ("IN_PROGRESS", "COMPLETE")
    lc.cli("wait", "lifecycle-policy-preview-complete", "--repository-name", repo)
    preview = lc.cli("get-lifecycle-policy-preview", "--repository-name", repo).json
    assert preview["status"] == "COMPLETE"
    assert {r["imageDigest"] for r in preview["previewResults"]} == expected_digests, preview
    assert all(r["action"]["type"] == "EXPIRE" for r in preview["previewResults"])
    assert preview["summary"]["expiringImageTotalCount"] == len(expected)
    assert all_digests(lc, repo) == set(digests.values())  # a preview changes nothing

    # Applied: the same images go, and only they.
    report = apply_lifecycle(lc, clock)
    mine = [a for a in report["actions"] if a["repository"] == repo]
    assert {a["imageDigest"] for a in mine} == expected_digests, json.dumps(report)
    assert all(a["done"] for a in mine)
    assert all_digests(lc, repo) == set(digests.values()) - expected_digests
    got = lc.client().get_lifecycle_policy(repositoryName=repo)
    assert got["lastEvaluatedAt"].timestamp() == NOW_MS / 1000


def test_archive_unpulled_then_expire_from_the_archive(lc, clock, repo):
    """Transition images not pulled in 90 days to the archive; expire images
    archived more than 365 days (the two-step pattern the guide describes)."""
    lc.create_repository(repo)
    c = lc.client(model="current")
    clock.days_ago(900)
    long_archived = push(lc, repo, ["v0"])
    clock.days_ago(366)
    c.update_image_storage_class(repositoryName=repo, imageId={"imageDigest": long_archived},
                                 targetStorageClass="ARCHIVE")
    clock.days_ago(400)
    pulled_lately, pulled_long_ago = push(lc, repo, ["v1"]), push(lc, repo, ["v2"])
    clock.days_ago(100)
    assert c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v2"}])["images"]
    clock.days_ago(10)
    assert c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    clock.days_ago(91)
    never_pulled_old = push(lc, repo, [])
    clock.days_ago(89)
    never_pulled_new = push(lc, repo, ["fresh"])
    clock.now()
    policy = {"rules": [
        rule(1, {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
             {"type": "transition", "targetStorageClass": "archive"}, "Archive images not pulled in 90 days"),
        rule(2, {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned",
                 "countUnit": "days", "countNumber": 365}, description="Expire archived images after 365 days")]}
    c.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(policy))

    c.start_lifecycle_policy_preview(repositoryName=repo)
    c.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName=repo,
                                                           WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    preview = c.get_lifecycle_policy_preview(repositoryName=repo)
    actions = {r["imageDigest"]: r for r in preview["previewResults"]}
    assert set(actions) == {pulled_long_ago, never_pulled_old, long_archived}
    assert actions[pulled_long_ago]["action"] == {"type": "TRANSITION", "targetStorageClass": "ARCHIVE"}
    assert actions[long_archived]["action"] == {"type": "EXPIRE"}
    assert actions[long_archived]["storageClass"] == "ARCHIVE"
    assert actions[long_archived]["appliedRulePriority"] == 2
    assert preview["summary"] == {"expiringImageTotalCount": 1, "transitioningImageTotalCounts": [
        {"targetStorageClass": "ARCHIVE", "imageTotalCount": 2}]}

    apply_lifecycle(lc, clock)
    details = {d["imageDigest"]: d for d in c.describe_images(
        repositoryName=repo, filter={"imageStatus": "ANY"})["imageDetails"]}
    assert set(details) == {pulled_lately, pulled_long_ago, never_pulled_old, never_pulled_new}
    for archived in (pulled_long_ago, never_pulled_old):
        assert details[archived]["imageStatus"] == "ARCHIVED"
        assert details[archived]["lastArchivedAt"].timestamp() == NOW_MS / 1000
    for active in (pulled_lately, never_pulled_new):
        assert details[active]["imageStatus"] == "ACTIVE"


# -- expiry on both APIs, referrers, and the collector ------------------------------------------


def push_referrer(env_ecr, repo: str, subject_digest: str, subject_size: int) -> str:
    empty = mti.Blob(sha256_digest(b"{}"), 2, "application/vnd.oci.empty.v1+json", b"{}")
    env_ecr.upload_blobs(repo, [empty])
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature",
        "config": empty.descriptor(), "layers": [],
        "subject": {"mediaType": MT_OCI_MANIFEST, "digest": subject_digest, "size": subject_size},
    }).encode()
    return env_ecr.put_manifest(repo, manifest)["imageId"]["imageDigest"]


def test_expired_images_leave_both_apis_with_their_referrers_and_blobs_go_to_the_collector(
        lc, clock, repo):
    lc.create_repository(repo)
    clock.days_ago(30)
    old = lc.push_image(repo, "build-1", seed=next(_seed), layer_sizes=(128,))
    signature = push_referrer(lc, repo, old.manifest.digest, old.manifest.size)
    clock.days_ago(1)
    new = lc.push_image(repo, "build-2", seed=next(_seed), layer_sizes=(128,))
    clock.now()
    lc.client().put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps({"rules": [
        rule(1, {"tagStatus": "tagged", "tagPrefixList": ["build-"], "countType": "sinceImagePushed",
                 "countUnit": "days", "countNumber": 7})]}))
    auth = lc.basic_auth()
    v2 = f"{lc.endpoint}/v2/{repo}/manifests/"
    accept = {"Accept": MT_OCI_MANIFEST}
    assert requests.get(v2 + "build-1", headers={**auth, **accept}, timeout=30).status_code == 200

    report = apply_lifecycle(lc, clock)
    assert [a["imageDigest"] for a in report["actions"] if a["repository"] == repo] == [old.manifest.digest]
    assert all_digests(lc, repo) == {new.manifest.digest}  # the signature went with its subject
    for ref in ("build-1", old.manifest.digest, signature):
        r = requests.get(v2 + ref, headers={**auth, **accept}, timeout=30)
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN", r.text
    got = lc.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "build-1"}])
    assert got["failures"][0]["failureCode"] == "ImageNotFound"

    # The expired image's own layer is reclaimed by the collector once its
    # grace period (24 h) has passed on the registry clock.
    layer = old.layers[0].digest
    before = lc.client().batch_check_layer_availability(repositoryName=repo, layerDigests=[layer])
    assert before["layers"][0]["layerAvailability"] == "AVAILABLE"
    clock.set(NOW_MS + 2 * DAY_MS)
    p = berth_cmd(lc, clock, "gc", "--apply", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["blobs_reclaimed"]["count"] >= 1
    after = lc.client().batch_check_layer_availability(repositoryName=repo, layerDigests=[layer])
    assert not [x for x in after["layers"] if x["layerAvailability"] == "AVAILABLE"], after
    assert [f["layerDigest"] for f in after["failures"]] == [layer], after
    assert lc.client().batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "build-2"}])["images"]
    clock.now()


# -- the archive storage class ---------------------------------------------------------------


def test_archive_and_restore(lc, clock, repo):
    lc.create_repository(repo)
    c = lc.client(model="current")
    clock.now()
    img = lc.push_image(repo, "v1", seed=next(_seed), layer_sizes=(64,))
    digest = img.manifest.digest
    auth = {**lc.basic_auth(), "Accept": MT_OCI_MANIFEST}
    manifest_url = f"{lc.endpoint}/v2/{repo}/manifests/v1"

    out = c.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"},
                                       targetStorageClass="ARCHIVE")
    assert out["imageStatus"] == "ARCHIVED"
    assert out["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    # Listed only with the filter; described by id whatever its status.
    assert c.describe_images(repositoryName=repo)["imageDetails"] == []
    assert c.list_images(repositoryName=repo)["imageIds"] == []
    archived = c.describe_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})["imageDetails"]
    assert [d["imageDigest"] for d in archived] == [digest]
    assert archived[0]["imageStatus"] == "ARCHIVED"
    assert archived[0]["lastArchivedAt"].timestamp() == NOW_MS / 1000
    assert c.list_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})["imageIds"] == [
        {"imageDigest": digest, "imageTag": "v1"}]
    by_id = c.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert by_id[0]["imageStatus"] == "ARCHIVED"
    # Pulls are refused on both APIs.
    got = c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert got["images"] == [] and got["failures"][0]["failureCode"] == "ImageInaccessible"
    for method in (requests.get, requests.head):
        assert method(manifest_url, headers=auth, timeout=30).status_code == 404
    r = requests.get(manifest_url, headers=auth, timeout=30)
    assert r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"

    # Restore: ACTIVATING for the restore's minute, then ACTIVE.
    out = c.update_image_storage_class(repositoryName=repo, imageId={"imageDigest": digest},
                                       targetStorageClass="STANDARD")
    assert out["imageStatus"] == "ACTIVATING"
    activating = c.describe_images(repositoryName=repo, filter={"imageStatus": "ACTIVATING"})["imageDetails"]
    assert [d["imageDigest"] for d in activating] == [digest]
    assert "lastActivatedAt" not in activating[0]
    assert c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["failures"]
    assert requests.get(manifest_url, headers=auth, timeout=30).status_code == 404
    with raises_ecr("ImageStorageClassUpdateNotSupportedException"):
        c.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"},
                                     targetStorageClass="ARCHIVE")
    clock.set(NOW_MS + 61_000)
    active = c.describe_images(repositoryName=repo)["imageDetails"]
    assert active[0]["imageStatus"] == "ACTIVE"
    assert active[0]["lastActivatedAt"].timestamp() == (NOW_MS + 60_000) / 1000
    assert c.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert requests.get(manifest_url, headers=auth, timeout=30).status_code == 200

    # A re-push restores at once.
    c.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE")
    lc.put_manifest(repo, img.manifest.data, tag="v1")
    assert c.describe_images(repositoryName=repo)["imageDetails"][0]["imageStatus"] == "ACTIVE"
    assert requests.get(manifest_url, headers=auth, timeout=30).status_code == 200

    with raises_ecr("ImageNotFoundException"):
        c.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "nope"},
                                     targetStorageClass="ARCHIVE")
    clock.now()


# -- previews --------------------------------------------------------------------------------


def test_preview_errors_pages_filters_and_the_waiter(lc, clock, repo):
    lc.create_repository(repo)
    lc.cli_many(
        (["get-lifecycle-policy-preview", "--repository-name", repo], "LifecyclePolicyPreviewNotFoundException"),
        (["start-lifecycle-policy-preview", "--repository-name", repo], "LifecyclePolicyNotFoundException"),
        (["start-lifecycle-policy-preview", "--repository-name", repo + "-nope"], "RepositoryNotFoundException"))
    for i in range(5):
        clock.days_ago(10 - i)
        push(lc, repo, [f"v{i}"])
    clock.days_ago(3)
    untagged = push(lc, repo, [])
    clock.now()
    policy = json.dumps({"rules": [
        rule(1, {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan",
                 "countNumber": 1}),
        rule(2, {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                 "countNumber": 1})]})
    # The policy given to the preview need not be stored.
    c = lc.client()
    out = c.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=policy)
    assert out["status"] == "IN_PROGRESS" and out["lifecyclePolicyText"] == policy
    lc.cli("wait", "lifecycle-policy-preview-complete", "--repository-name", repo)
    full = c.get_lifecycle_policy_preview(repositoryName=repo)
    assert full["status"] == "COMPLETE" and full["lifecyclePolicyText"] == policy
    assert len(full["previewResults"]) == 5
    # Oldest first, each with its tags, push time and rule.
    assert [r.get("imageTags") for r in full["previewResults"]] == [["v0"], ["v1"], ["v2"], ["v3"], None]
    assert full["previewResults"][4]["imageDigest"] == untagged
    assert full["previewResults"][0]["imagePushedAt"].timestamp() == (NOW_MS - 10 * DAY_MS) / 1000
    assert {r["appliedRulePriority"] for r in full["previewResults"]} == {1, 2}

    pages = list(c.get_paginator("get_lifecycle_policy_preview").paginate(
        repositoryName=repo, PaginationConfig={"PageSize": 2}))
    assert [len(p["previewResults"]) for p in pages] == [2, 2, 1]
    assert [r["imageDigest"] for p in pages for r in p["previewResults"]] == \
        [r["imageDigest"] for r in full["previewResults"]]
    tagged = c.get_lifecycle_policy_preview(repositoryName=repo, filter={"tagStatus": "TAGGED"})
    assert len(tagged["previewResults"]) == 4
    by_id = c.get_lifecycle_policy_preview(repositoryName=repo, imageIds=[{"imageTag": "v2"},
                                                                          {"imageDigest": untagged}])
    assert {r["imageDigest"] for r in by_id["previewResults"]} == {
        full["previewResults"][2]["imageDigest"], untagged}
    assert by_id["summary"]["expiringImageTotalCount"] == 5
    with raises_ecr("InvalidParameterException"):
        c.get_lifecycle_policy_preview(repositoryName=repo, nextToken="not-a-token")
    # Nothing was expired, and no policy was stored.
    assert len(all_digests(lc, repo)) == 6
    with raises_ecr("LifecyclePolicyNotFoundException"):
        c.get_lifecycle_policy(repositoryName=repo)


# -- validation in AWS's words ---------------------------------------------------------------


def _padded(obj) -> str:
    t = json.dumps(obj)
    return t + " " * max(0, 100 - len(t))


@pytest.mark.parametrize("selection,action,words", [
    ({"tagStatus": "tagged", "tagPrefixList": ["a"], "tagPatternList": ["b*"], "countType": "imageCountMoreThan",
      "countNumber": 1}, None, "either tagPatternList or tagPrefixList, but not both"),
    ({"tagStatus": "tagged", "tagPatternList": ["a*b*c*d*e*f"], "countType": "imageCountMoreThan",
      "countNumber": 1}, None, "at most 4 wildcards"),
    ({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 1}, None,
     "instance failed to match exactly one schema (matched 0 out of 2)"),
    ({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
     {"type": "expire", "targetStorageClass": "archive"},
     "instance failed to match exactly one schema (matched 0 out of 2)"),
    ({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30}, None,
     "sinceImagePulled can only be used with action type transition"),
    ({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days",
      "countNumber": 30}, None, "less than 90 days"),
    ({"tagStatus": "sometimes", "countType": "imageCountMoreThan", "countNumber": 1}, None,
     'instance value ("sometimes") not found in enum'),
], ids=["both-lists", "five-wildcards", "count-with-unit", "expire-with-target", "pulled-expire",
        "archive-under-90-days", "bad-tag-status"])
def test_invalid_policies_in_aws_words(lc, repo, selection, action, words):
    lc.create_repository(repo)
    text = _padded({"rules": [rule(1, selection, action)]})
    for call in (lambda: lc.client().put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text),
                 lambda: lc.client().start_lifecycle_policy_preview(repositoryName=repo,
                                                                    lifecyclePolicyText=text)):
        with raises_ecr("InvalidParameterException") as err:
            call()
        assert err["error"]["Message"].startswith(
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
            "'Lifecycle policy validation failure: ")
        assert words in err["error"]["Message"]


def test_policy_size_and_rule_limits(lc, repo):
    lc.create_repository(repo)
    rules = [rule(i, {"tagStatus": "tagged", "tagPrefixList": [f"t{i}"], "countType": "imageCountMoreThan",
                      "countNumber": 5}) for i in range(1, 52)]
    with raises_ecr("InvalidParameterException", message="must have at most 50 elements"):
        lc.client().put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps({"rules": rules}))
    lc.client().put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps({"rules": rules[:50]}))
    # Over 30,720 characters (botocore checks only minimums: send it raw).
    long_text = json.dumps({"rules": rules[:1]}) + " " * 30720
    r = lc.raw("PutLifecyclePolicy", {"repositoryName": repo, "lifecyclePolicyText": long_text})
    body = assert_raw_error(r, 400, "InvalidParameterException")
    assert "lifecyclePolicyText" in body["message"] or "LifecyclePolicyText" in body["message"]


def test_test_clock_needs_the_test_mode_switch(tmp_path, clock):
    env = {k: v for k, v in os.environ.items() if k != "BERTH_TEST_MODE"}
    env["BERTH_TEST_CLOCK"] = str(clock.path)
    p = subprocess.run([BERTH_BINARY, "lifecycle", "--data-dir", str(tmp_path)], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 2 and "BERTH_TEST_MODE=1" in p.stderr, (p.returncode, p.stderr)


# -- the schedule inside berth serve ----------------------------------------------------------


def test_the_server_evaluates_on_its_schedule(ecr_berth_factory, tmp_path_factory, repo):
    clock = TestClock(tmp_path_factory.mktemp("schedule-clock") / "now")
    server = ecr_berth_factory("ecr-lifecycle-schedule", env=clock.env(),
                               extra=["--lifecycle-interval", "200ms"])
    server.create_repository(repo)
    clock.days_ago(3)
    old = push(server, repo, [])
    clock.days_ago(2)
    new = push(server, repo, [])
    clock.now()
    server.client().put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=_padded({"rules": [
        rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1})]}))
    deadline = time.monotonic() + 120  # a hang guard, not a measure
    while all_digests(server, repo) != {new}:
        assert time.monotonic() < deadline, "the schedule never evaluated the policy\n" + server.server.log_tail()
        time.sleep(0.2)
    assert old not in all_digests(server, repo)
    got = server.client().get_lifecycle_policy(repositoryName=repo)
    assert got["lastEvaluatedAt"].timestamp() == NOW_MS / 1000


# -- several processes on one store ------------------------------------------------------------


def test_a_preview_started_on_one_server_is_read_on_another(ecr_berth_factory, tmp_path_factory,
                                                           ecr_creds, repo):
    """Two berth processes on one data directory, as behind a load balancer: the
    preview lives in the metadata store, not in the process that started it."""
    from ecrhelpers import EcrEnv, EcrServer

    first = ecr_berth_factory("ecr-lifecycle-lb", extra=["--lifecycle-interval", "0"])
    root = tmp_path_factory.mktemp("ecr-lifecycle-lb-second")
    second_server = EcrServer(root, BERTH_BINARY, ecr_creds, extra=["--lifecycle-interval", "0"])
    second_server.data_dir = first.server.data_dir
    second_server.token_secret = first.server.token_secret
    second_server.start()
    try:
        second = EcrEnv(second_server, ecr_creds, root)
        first.create_repository(repo)
        old = push(first, repo, [])
        push(first, repo, [])
        policy = _padded({"rules": [rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                              "countNumber": 1})]})
        first.client().start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=policy)
        second.client().get_waiter("lifecycle_policy_preview_complete").wait(
            repositoryName=repo, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        got = second.client().get_lifecycle_policy_preview(repositoryName=repo)
        assert got["lifecyclePolicyText"] == policy
        assert [r["imageDigest"] for r in got["previewResults"]] == [old]
        # One preview at a time for the repository, whichever process is asked.
        second.client().start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=policy)
        first.client().get_waiter("lifecycle_policy_preview_complete").wait(
            repositoryName=repo, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    finally:
        second_server.stop()
