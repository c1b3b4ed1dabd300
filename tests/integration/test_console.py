"""The web console (/console) end to end: a real berth with SigV4, seeded with skopeo
pushes, driven in Debian's headless chromium through Selenium (python3-selenium,
chromium-driver), plus the console API's CSRF and cookie rules checked with plain HTTP.

Screenshots at 1280 and 390 px go to the test's tmp dir; with
BERTH_UPDATE_SCREENSHOTS=1 they replace the ones docs/console.md shows.
Every wait is an explicit condition with a generous timeout; nothing asserts on timing."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import pytest
import requests

import conftest
import ocihelpers
from conftest import Skopeo
from ecrhelpers import (ACCOUNT, OTHER_ACCOUNT, REGION, Creds, EcrEnv, EcrServer, raises_ecr,
                        sha256_digest)

pytestmark = pytest.mark.berth_only

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 30  # seconds; a generous bound, never an expectation
DOCS = conftest.REPO_ROOT / "docs" / "images"
SBOM_TYPE = "application/vnd.example.sbom.v1+json"


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def console_env(ecr_berth_factory):
    """A berth of its own (sigv4), so the console sees exactly what this module seeds."""
    return ecr_berth_factory("console")


@pytest.fixture(scope="module")
def seeded(console_env, layouts, tmp_path_factory):
    """console/app:v1 (an image with an SBOM referring to it), console/app:multi (an
    index), console/web:latest; pushed with skopeo over /v2/ with the ECR login."""
    skopeo = Skopeo(console_env.server, tmp_path_factory.mktemp("console-skopeo"))
    creds = f"AWS:{console_env.password()}"
    pushes = [("single_dir", "img", "console/app", "v1", ()),
              ("multi_dir", "multi", "console/app", "multi", ("--all",)),  # the index and every child
              ("single_dir", "img", "console/web", "latest", ())]
    for layout, name, repo, tag, extra in pushes:
        skopeo.copy(f"oci:{layouts[layout]}:{name}", skopeo.ref(repo, tag), "--dest-creds", creds,
                    "--preserve-digests", *extra)
    image = layouts["single"].manifest.digest

    # An SBOM-like artifact whose subject is v1: the referrers the console lists.
    session = requests.Session()
    session.headers.update(console_env.basic_auth())
    oci = ocihelpers.OciClient(console_env.server.base_url, session)
    empty = oci.push_blob("console/app", b"{}")
    payload = oci.push_blob("console/app", b'{"packages": []}')
    sbom = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": SBOM_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/json", "digest": payload, "size": 16}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image,
                    "size": len(layouts["single"].manifest.data)},
    }).encode()
    sbom_digest = oci.push_manifest("console/app", sha256_digest(sbom), sbom)
    return {"image": image, "index": layouts["multi"].index.digest, "sbom": sbom_digest, "oci": oci}


@pytest.fixture
def browser(tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (scripts/install-deps.sh installs "
                    "chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


# ---------------------------------------------------------------------------
# helpers


def wait_for(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition, message)


def visible(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    return wait_for(driver, ec.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} visible")


def text_in(driver, css: str, text: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    return wait_for(driver, ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text),
                    f"{text!r} in {css}")


def screenshot(driver, tmp_path: Path, name: str, width: int) -> None:
    """A full-height screenshot at `width` CSS pixels."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    driver.set_window_size(width, min(int(height) + 40, 2400))
    path = tmp_path / f"console-{name}-{width}.png"
    driver.save_screenshot(str(path))
    if os.environ.get("BERTH_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


def sign_in_form(driver, key: str, secret: str) -> None:
    from selenium.webdriver.common.by import By
    for field, value in (("access-key", key), ("secret-key", secret)):
        el = driver.find_element(By.ID, field)
        el.clear()
        el.send_keys(value)
    driver.find_element(By.ID, "sign-in-button").click()


# ---------------------------------------------------------------------------
# the browser


def test_console_in_a_browser(console_env, seeded, layouts, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver = browser
    base = console_env.server.base_url
    key = console_env.default
    driver.get(base + "/console")

    # A wrong secret: a clear error, no hint which part was wrong, no cookie.
    visible(driver, "#access-key")
    sign_in_form(driver, key.access_key, key.secret_key + "x")
    text_in(driver, "#sign-in-error", "do not match")
    assert driver.get_cookie("berth_console") is None

    # The right one: the repositories of the key's account.
    sign_in_form(driver, key.access_key, key.secret_key)
    visible(driver, "#repos-table")
    text_in(driver, "#who", key.access_key)
    cookie = driver.get_cookie("berth_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#repos-table .repo-link")]
    assert {"console/app", "console/web"} <= set(names), names
    screenshot(driver, tmp_path, "repositories", 1280)

    # Search narrows the list.
    search = driver.find_element(By.ID, "repo-search")
    search.send_keys("web")
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    wait_for(driver, lambda d: [a.text for a in d.find_elements(By.CSS_SELECTOR, "#repos-table .repo-link")]
             == ["console/web"], "the search shows console/web only")
    driver.get(base + "/console/#/?q=nothing-like-this")
    visible(driver, "#repos-empty")

    # A repository: its images, the pull and login commands, its settings.
    driver.get(base + "/console/#/")
    visible(driver, "#repos-table")
    driver.find_element(By.LINK_TEXT, "console/app").click()
    visible(driver, "#images-table")
    rows = driver.find_elements(By.CSS_SELECTOR, "#images-table tbody tr")
    assert len(rows) == 3 + len(layouts["multi"].images)  # v1, the index and its children, the SBOM
    table = driver.find_element(By.ID, "images-table").text
    assert "v1" in table and "multi" in table and "SBOM" in table and "linux/" in table
    commands = " ".join(c.text for c in driver.find_elements(By.CSS_SELECTOR, ".command pre"))
    host = console_env.server.hostport
    assert f"aws ecr get-login-password --region {REGION} --endpoint-url {base}" in commands
    assert f"podman login --username AWS --password-stdin --tls-verify=false {host}" in commands
    assert f"podman pull --tls-verify=false {host}/console/app:" in commands
    assert driver.find_element(By.ID, "tag-mutability").text == "MUTABLE"
    assert "No lifecycle policy" in driver.find_element(By.ID, "lifecycle-policy").text
    screenshot(driver, tmp_path, "repository", 1280)

    # One image: manifest, layers, referrers.
    driver.set_window_size(1280, 900)
    driver.find_element(By.CSS_SELECTOR, f"a[aria-label='Image {seeded['image']}']").click()
    visible(driver, "#manifest-json")
    shown = driver.find_element(By.ID, "manifest-json").get_attribute("textContent")
    assert json.loads(shown) == json.loads(layouts["single"].manifest.data)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#layers-table tbody tr")) == 5  # config + 4
    assert seeded["sbom"] in driver.find_element(By.ID, "referrers-table").get_attribute("textContent")
    screenshot(driver, tmp_path, "image", 1280)

    # The phone width: the same pages stay usable.
    driver.set_window_size(390, 844)
    driver.get(base + "/console/#/repo?name=console%2Fapp")
    visible(driver, "#images-table")
    screenshot(driver, tmp_path, "repository", 390)
    driver.set_window_size(1280, 900)

    # Paging: two images to a page, "Next page" until there is none; every image once.
    everything = {tr.get_attribute("data-digest")
                  for tr in driver.find_elements(By.CSS_SELECTOR, "#images-table tbody tr")}
    driver.get(base + "/console/#/repo?name=console%2Fapp&limit=2")
    paged: list[str] = []
    for _ in range(len(everything)):
        visible(driver, "#images-table")
        shown = [tr.get_attribute("data-digest")
                 for tr in driver.find_elements(By.CSS_SELECTOR, "#images-table tbody tr")]
        assert 1 <= len(shown) <= 2, shown
        paged += shown
        nexts = driver.find_elements(By.ID, "images-next")
        if not nexts:
            break
        nexts[0].click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "images-first"), "a later page")
        wait_for(driver, lambda d: shown[0] not in [tr.get_attribute("data-digest") for tr in
                 d.find_elements(By.CSS_SELECTOR, "#images-table tbody tr")], "the next page's rows")
    assert sorted(paged) == sorted(everything), paged
    driver.find_element(By.ID, "images-first").click()
    wait_for(driver, lambda d: not d.find_elements(By.ID, "images-first"), "back on the first page")
    driver.get(base + "/console/#/repo?name=console%2Fapp")

    # Order by tag: one row per tag, A to Z, untagged images left out of that order.
    from selenium.webdriver.support.ui import Select
    Select(visible(driver, "#images-order")).select_by_value("tag")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#images-table tr[data-tag]"), "rows by tag")
    tags = [tr.get_attribute("data-tag") for tr in driver.find_elements(By.CSS_SELECTOR, "#images-table tbody tr")]
    assert tags == ["multi", "v1"], tags
    assert "order=tag" in driver.current_url
    driver.get(base + "/console/#/repo?name=console%2Fapp")

    # The lifecycle policy: an invalid one is refused with the ECR validator's reason; a
    # preview lists what a valid one would expire and changes nothing; saving stores it.
    keep_one = json.dumps({"rules": [{"rulePriority": 1, "description": "keep the newest image",
                                      "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                    "countNumber": 1},
                                      "action": {"type": "expire"}}]})
    editor = visible(driver, "#lifecycle-text")
    editor.send_keys('{"rules": []}')
    driver.find_element(By.ID, "lifecycle-save").click()
    text_in(driver, "#notice", "Lifecycle policy validation failure")
    assert "No lifecycle policy" in driver.find_element(By.ID, "lifecycle-policy").text
    driver.execute_script("arguments[0].value = arguments[1]", editor, keep_one)
    driver.find_element(By.ID, "lifecycle-preview").click()
    summary = text_in(driver, "#lifecycle-preview-summary", "would expire") and \
        driver.find_element(By.ID, "lifecycle-preview-summary").text
    # v1 and the index compete for "newest" (index children count but are kept, the SBOM
    # goes with v1): at least one of them would expire, and the table lists each.
    previewed = driver.find_elements(By.CSS_SELECTOR, "#lifecycle-preview-table tbody tr")
    assert len(previewed) >= 1 and f"would expire {len(previewed)} image" in summary, summary
    assert seeded["oci"].get_manifest("console/app", "v1").status_code == 200  # a preview changes nothing
    driver.find_element(By.ID, "lifecycle-save").click()
    text_in(driver, "#notice", "Saved the lifecycle policy")
    text_in(driver, "#lifecycle-policy", "keep the newest image")
    ecr_policy = console_env.client().get_lifecycle_policy(repositoryName="console/app")
    assert json.loads(ecr_policy["lifecyclePolicyText"]) == json.loads(keep_one)

    # Deleting it, with the confirmation dialog: cancelling keeps it; confirming is
    # DeleteLifecyclePolicy, and the ECR API then has none.
    visible(driver, "#lifecycle-delete").click()
    dialog = visible(driver, "#confirm-dialog")
    assert "lifecycle policy" in dialog.text and "console/app" in dialog.text, dialog.text
    driver.find_element(By.ID, "confirm-cancel").click()
    wait_for(driver, ec.invisibility_of_element_located((By.ID, "confirm-dialog")), "dialog closed")
    assert console_env.client().get_lifecycle_policy(repositoryName="console/app")["lifecyclePolicyText"]
    driver.find_element(By.ID, "lifecycle-delete").click()
    visible(driver, "#confirm-dialog")
    driver.find_element(By.ID, "confirm-ok").click()
    text_in(driver, "#notice", "Deleted the lifecycle policy")
    text_in(driver, "#lifecycle-policy", "No lifecycle policy")
    assert not driver.find_element(By.ID, "lifecycle-delete").is_displayed()
    with raises_ecr("LifecyclePolicyNotFoundException"):
        console_env.client().get_lifecycle_policy(repositoryName="console/app")
    driver.get(base + "/console/#/repo?name=console%2Fapp")
    visible(driver, "#images-table")

    # Delete v1 through the UI, with the confirmation dialog; then /v2/ no longer has it.
    digest = seeded["image"]
    row = f"#images-table tr[data-digest='{digest}']"
    visible(driver, row)
    driver.find_element(By.CSS_SELECTOR, f"{row} .delete-image").click()
    dialog = visible(driver, "#confirm-dialog")
    assert digest in dialog.text and "v1" in dialog.text
    driver.find_element(By.ID, "confirm-cancel").click()  # cancelling keeps it
    wait_for(driver, ec.invisibility_of_element_located((By.ID, "confirm-dialog")), "dialog closed")
    assert driver.find_elements(By.CSS_SELECTOR, row)
    driver.find_element(By.CSS_SELECTOR, f"{row} .delete-image").click()
    visible(driver, "#confirm-dialog")
    driver.find_element(By.ID, "confirm-ok").click()
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, row), "the deleted row is gone")
    text_in(driver, "#notice", "Deleted")
    r = seeded["oci"].get_manifest("console/app", digest)
    assert r.status_code == 404, r.text
    assert seeded["oci"].get_manifest("console/app", "v1").status_code == 404

    # Sign out: back to the form, and the old session is dead on the server too.
    old = driver.get_cookie("berth_console")["value"]
    driver.find_element(By.ID, "sign-out").click()
    visible(driver, "#sign-in-view")
    text_in(driver, "#notice", "signed out")
    r = requests.get(base + "/console/api/session", cookies={"berth_console": old}, timeout=30)
    assert r.status_code == 401


# ---------------------------------------------------------------------------
# the rules, without a browser


def test_console_refuses_cross_site_and_tokenless_changes(console_env, seeded):
    base = console_env.server.base_url
    key = console_env.default
    own = {"Origin": base}
    s = requests.Session()

    page = s.get(base + "/console", timeout=30)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    etag = page.headers["ETag"]
    assert s.get(base + "/console/", headers={"If-None-Match": etag}, timeout=30).status_code == 304
    js = s.get(base + "/console/assets/app.js", timeout=30)
    assert js.headers["Content-Type"].startswith("text/javascript") and js.headers["ETag"]

    # Sign-in itself must come from the console's origin.
    creds = {"accessKeyId": key.access_key, "secretAccessKey": key.secret_key}
    for headers in ({}, {"Origin": "http://evil.example"}, {"Origin": "null"}):
        r = s.post(base + "/console/api/session", json=creds, headers=headers, timeout=30)
        assert r.status_code == 403, (headers, r.text)
    assert s.get(base + "/console/api/repositories", timeout=30).status_code == 401

    r = s.post(base + "/console/api/session", json=creds, headers=own, timeout=30)
    assert r.status_code == 200, r.text
    set_cookie = r.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/console"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP here; under TLS it is Secure
    csrf = r.json()["csrfToken"]

    # A throwaway image to try to delete.
    oci = seeded["oci"]
    pushed = oci.push_image("console/csrf", "doomed", seed=77)
    target = base + "/console/api/image"
    params = {"name": "console/csrf", "region": REGION, "digest": pushed.digest}
    refused = [
        own,                                                      # no token
        {**own, "X-CSRF-Token": "0" * 64},                        # someone else's token
        {"Origin": "http://evil.example", "X-CSRF-Token": csrf},  # right token, foreign page
        {"X-CSRF-Token": csrf},                                   # no Origin at all
    ]
    for headers in refused:
        r = s.delete(target, params=params, headers=headers, timeout=30)
        assert r.status_code == 403, (headers, r.status_code, r.text)
    assert oci.get_manifest("console/csrf", "doomed").status_code == 200

    r = s.delete(target, params=params, headers={**own, "X-CSRF-Token": csrf}, timeout=30)
    assert r.status_code == 204, r.text
    assert oci.get_manifest("console/csrf", pushed.digest).status_code == 404

    # Another account's key sees only its own (empty) registry.
    other = requests.Session()
    other_key = console_env.creds[1]
    r = other.post(base + "/console/api/session", headers=own, timeout=30,
                   json={"accessKeyId": other_key.access_key, "secretAccessKey": other_key.secret_key})
    assert r.status_code == 200 and r.json()["accountId"] == other_key.account
    assert other.get(base + "/console/api/repositories", timeout=30).json()["repositories"] == []
    r = other.get(base + "/console/api/repository", params={"name": "console/app"}, timeout=30)
    assert r.status_code == 404

    # Sign-out needs the token too, then the session is gone.
    assert s.delete(base + "/console/api/session", headers=own, timeout=30).status_code == 403
    r = s.delete(base + "/console/api/session", headers={**own, "X-CSRF-Token": csrf}, timeout=30)
    assert r.status_code == 204
    assert s.get(base + "/console/api/session", timeout=30).status_code == 401


# ---------------------------------------------------------------------------
# policies: the console decides as the ECR API does



@pytest.fixture(scope="module")
def policy_env(tmp_path_factory):
    """A berth with the account's root, a user/viewer whose identity policy allows reading
    console/* only (no delete, no settings), and another account's root. Seeded over /v2/:
      console/shown                 read by the viewer
      console/nodelete, console/secret  repository policies that Deny (every principal)
                                    BatchDeleteImage / the describe and list actions
      console/shared                granted to the other account's root by its repository policy
    """
    if conftest.ECR_TARGET != "berth":
        pytest.skip("berth only")
    root_dir = tmp_path_factory.mktemp("console-policies")
    root = Creds("AKIACONSOLEROOT00001", secrets.token_urlsafe(30), ACCOUNT)
    viewer = Creds("AKIACONSOLEVIEWER001", secrets.token_urlsafe(30), ACCOUNT)
    other = Creds("AKIACONSOLEOTHER0001", secrets.token_urlsafe(30), OTHER_ACCOUNT)
    server = EcrServer(root_dir, conftest.BERTH_BINARY, [root, viewer, other])
    (root_dir / "viewer.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListImages",
                    "ecr:BatchGetImage"],
         "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/console/shown"}]}))
    server.credentials_file.write_text(
        f"{root.access_key} {root.secret_key} {ACCOUNT}\n"
        f"{viewer.access_key} {viewer.secret_key} {ACCOUNT} user/viewer viewer.json\n"
        f"{other.access_key} {other.secret_key} {OTHER_ACCOUNT}\n")
    server.start()
    env = EcrEnv(server, [root, viewer, other], root_dir)
    session = requests.Session()
    session.headers.update(env.basic_auth(root))
    oci = ocihelpers.OciClient(server.base_url, session)
    images = {name: oci.push_image(name, "v1", seed=seed) for seed, name in enumerate(
        ("console/shown", "console/hidden", "console/nodelete", "console/secret", "console/shared"),
        start=11)}
    ecr = env.client(root)
    deny = lambda *actions: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": list(actions)}]})
    ecr.set_repository_policy(repositoryName="console/nodelete", policyText=deny("ecr:BatchDeleteImage"))
    ecr.set_repository_policy(repositoryName="console/secret", policyText=deny(
        "ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListImages", "ecr:BatchGetImage"))
    ecr.set_repository_policy(repositoryName="console/shared", policyText=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "OtherAccountReads", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
            "Action": ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:BatchGetImage"]}]}))
    yield {"env": env, "root": root, "viewer": viewer, "other": other, "images": images, "oci": oci}
    server.stop()


def console_session(base: str, creds: Creds) -> tuple[requests.Session, dict]:
    s = requests.Session()
    r = s.post(base + "/console/api/session", headers={"Origin": base}, timeout=30,
               json={"accessKeyId": creds.access_key, "secretAccessKey": creds.secret_key})
    assert r.status_code == 200, r.text
    return s, r.json()


def listed_names(s: requests.Session, base: str, **params) -> list[str]:
    r = s.get(base + "/console/api/repositories", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return [repo["name"] for repo in r.json()["repositories"]]


def assert_denied(r: requests.Response, action: str) -> None:
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["error"] == "AccessDeniedException", r.text
    assert f"is not authorized to perform: {action}" in r.json()["message"], r.text


def test_console_applies_identity_policies(policy_env):
    base = policy_env["env"].server.base_url
    viewer, images, oci = policy_env["viewer"], policy_env["images"], policy_env["oci"]
    shown, hidden = images["console/shown"], images["console/hidden"]

    s, info = console_session(base, viewer)
    assert info["principalArn"] == f"arn:aws:iam::{ACCOUNT}:user/viewer"
    own = {"Origin": base, "X-CSRF-Token": info["csrfToken"]}

    # The list holds what the user may describe, and nothing else.
    assert listed_names(s, base) == ["console/shown"]
    images_page = s.get(base + "/console/api/images", params={"name": "console/shown"}, timeout=30)
    assert images_page.status_code == 200 and images_page.json()["images"][0]["digest"] == shown.digest
    page = s.get(base + "/console/api/repository", params={"name": "console/shown"}, timeout=30).json()
    assert "ecr:GetLifecyclePolicy" in page["lifecyclePolicyDenied"]
    assert page["permissions"] == {"deleteImage": False, "putImageTagMutability": False,
                                   "putLifecyclePolicy": False, "deleteLifecyclePolicy": False,
                                   "startLifecyclePolicyPreview": False}

    # Another repository of the same account, deleting and settings are refused as the ECR API would.
    assert_denied(s.get(base + "/console/api/image", timeout=30,
                        params={"name": "console/hidden", "digest": hidden.digest}), "ecr:BatchGetImage")
    params = {"name": "console/shown", "region": REGION, "digest": shown.digest}
    r = s.delete(base + "/console/api/image", params=params, headers=own, timeout=30)
    assert_denied(r, "ecr:BatchDeleteImage")
    assert r.json()["message"].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/viewer is not authorized to perform: ecr:BatchDeleteImage")
    assert oci.get_manifest("console/shown", shown.digest).status_code == 200
    r = s.put(base + "/console/api/repository/tag-mutability", params={"name": "console/shown"},
              json={"imageTagMutability": "IMMUTABLE"}, headers=own, timeout=30)
    assert_denied(r, "ecr:PutImageTagMutability")

    # The ECR API answers the same key the same way.
    ecr = policy_env["env"].client(viewer)
    assert ecr.describe_images(repositoryName="console/shown")["imageDetails"]
    with pytest.raises(Exception, match="AccessDenied"):
        ecr.batch_delete_image(repositoryName="console/shown", imageIds=[{"imageDigest": shown.digest}])


def test_console_applies_repository_policies(policy_env):
    base = policy_env["env"].server.base_url
    images, oci = policy_env["images"], policy_env["oci"]
    s, info = console_session(base, policy_env["root"])
    own = {"Origin": base, "X-CSRF-Token": info["csrfToken"]}

    # A Deny of DescribeRepositories hides the repository even from the account's root.
    assert listed_names(s, base, q="console/") == [
        "console/hidden", "console/nodelete", "console/shared", "console/shown"]
    assert_denied(s.get(base + "/console/api/images", params={"name": "console/secret"}, timeout=30),
                  "ecr:DescribeImages")
    # A Deny of BatchDeleteImage: listed and browsable, its delete refused.
    page = s.get(base + "/console/api/repository", params={"name": "console/nodelete"}, timeout=30).json()
    assert page["permissions"]["deleteImage"] is False and page["permissions"]["putImageTagMutability"]
    locked = images["console/nodelete"]
    r = s.delete(base + "/console/api/image", headers=own, timeout=30,
                 params={"name": "console/nodelete", "digest": locked.digest})
    assert_denied(r, "ecr:BatchDeleteImage")
    assert "explicit deny in a resource-based policy" in r.json()["message"]
    assert oci.get_manifest("console/nodelete", locked.digest).status_code == 200


def test_console_reaches_another_accounts_repositories_by_their_policies(policy_env):
    base = policy_env["env"].server.base_url
    images = policy_env["images"]
    s, info = console_session(base, policy_env["other"])
    own = {"Origin": base, "X-CSRF-Token": info["csrfToken"]}
    assert info["accountId"] == OTHER_ACCOUNT
    assert listed_names(s, base) == []  # its own registry is empty
    # ACCOUNT's registry: only the repository whose policy grants this account.
    assert listed_names(s, base, registryId=ACCOUNT) == ["console/shared"]
    shared = images["console/shared"]
    where = {"registryId": ACCOUNT, "name": "console/shared"}
    r = s.get(base + "/console/api/images", params=where, timeout=30)
    assert r.status_code == 200 and [i["digest"] for i in r.json()["images"]] == [shared.digest], r.text
    r = s.get(base + "/console/api/image", params={**where, "digest": shared.digest}, timeout=30)
    assert r.status_code == 200 and json.loads(r.json()["manifest"]) == json.loads(shared.manifest_bytes), r.text
    # Not granted: deleting there, another repository, one that does not exist (refused alike).
    assert_denied(s.delete(base + "/console/api/image", params={**where, "digest": shared.digest},
                           headers=own, timeout=30), "ecr:BatchDeleteImage")
    for name in ("console/shown", "console/no-such-repository"):
        assert_denied(s.get(base + "/console/api/repository", params={"registryId": ACCOUNT, "name": name},
                            timeout=30), "ecr:DescribeRepositories")
    assert s.get(base + "/console/api/repositories", params={"registryId": "12"}, timeout=30).status_code == 400


def test_console_policies_in_a_browser(policy_env, browser, tmp_path):
    """What a narrow key sees and is refused, as a person using the console sees it."""
    from selenium.webdriver.common.by import By

    driver = browser
    base = policy_env["env"].server.base_url
    viewer, other, images, oci = (policy_env[k] for k in ("viewer", "other", "images", "oci"))
    driver.get(base + "/console")
    visible(driver, "#access-key")
    sign_in_form(driver, viewer.access_key, viewer.secret_key)
    visible(driver, "#repos-table")
    text_in(driver, "#who", f"arn:aws:iam::{ACCOUNT}:user/viewer")
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#repos-table .repo-link")]
    assert names == ["console/shown"], names

    # Its images show; its delete is refused with the reason, and the image stays.
    driver.find_element(By.LINK_TEXT, "console/shown").click()
    digest = images["console/shown"].digest
    row = f"#images-table tr[data-digest='{digest}']"
    visible(driver, row)
    button = driver.find_element(By.CSS_SELECTOR, f"{row} .delete-image")
    assert "ecr:BatchDeleteImage" in button.get_attribute("title")
    button.click()
    visible(driver, "#confirm-dialog")
    driver.find_element(By.ID, "confirm-ok").click()
    text_in(driver, "#notice", "Not permitted to delete the image")
    text_in(driver, "#notice", "ecr:BatchDeleteImage")
    assert driver.find_elements(By.CSS_SELECTOR, row)
    assert oci.get_manifest("console/shown", digest).status_code == 200
    assert "Not permitted" in driver.find_element(By.ID, "lifecycle-policy").text
    # Settings: the change is refused, the shown value stays.
    driver.find_element(By.CSS_SELECTOR, "#tag-mutability-select option[value=IMMUTABLE]").click()
    driver.find_element(By.ID, "tag-mutability-save").click()
    text_in(driver, "#notice", "Not permitted to change tag mutability")
    assert driver.find_element(By.ID, "tag-mutability").text == "MUTABLE"
    screenshot(driver, tmp_path, "not-permitted", 1280)

    # A repository outside its policy: a clear refusal, not a broken page.
    driver.get(base + "/console/#/repo?name=console%2Fhidden")
    text_in(driver, "#access-denied", "Not permitted")
    # (The page asks for the repository and its images at once; either refusal may be shown.)
    text_in(driver, "#access-denied", f"User: arn:aws:iam::{ACCOUNT}:user/viewer is not authorized")
    text_in(driver, "#access-denied", "console/hidden")

    # Another account's root opens this account's registry: only what its policy shares.
    driver.find_element(By.ID, "sign-out").click()
    visible(driver, "#sign-in-view")
    sign_in_form(driver, other.access_key, other.secret_key)
    visible(driver, "#repos-empty")
    field = driver.find_element(By.ID, "registry-id")
    field.send_keys(ACCOUNT)
    driver.find_element(By.CSS_SELECTOR, "#registry-form button[type=submit]").click()
    text_in(driver, "#registry-shown", f"Registry {ACCOUNT}")
    visible(driver, "#repos-table")
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#repos-table .repo-link")]
    assert names == ["console/shared"], names
    driver.find_element(By.LINK_TEXT, "console/shared").click()
    shared = images["console/shared"].digest
    visible(driver, f"#images-table tr[data-digest='{shared}']")
    driver.find_element(By.CSS_SELECTOR, f"a[aria-label='Image {shared}']").click()
    visible(driver, "#manifest-json")
    assert f"registry={ACCOUNT}" in driver.current_url
