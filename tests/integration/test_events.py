"""Webhooks (--events-config): CloudEvents 1.0 and ECR "ECR Image Action" bodies for
pushes, deletes and repository changes, signed with HMAC-SHA256, delivered from a
persistent queue that outlasts a receiver that is down and a berth restart.

Waits poll for the outcome under a generous deadline that only guards against a hang;
nothing asserts on how long delivery takes."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import ecrhelpers
from conftest import BERTH_BINARY, ECR_TARGET, free_port
from ocihelpers import OciClient

pytestmark = pytest.mark.berth_only

SECRET = "webhook-secret-1"
HANG_GUARD = 60  # seconds; a failure message, not a timing assertion


class Receiver:
    """A local webhook receiver that can go down and come back on the same port."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[tuple[str, dict, bytes]] = []  # (path, headers, body)
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.allow_reuse_address = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, path: str) -> list[tuple[dict, dict]]:
        with self.lock:
            return [(h, json.loads(b)) for p, h, b in self.received if p == path]

    def raw(self, path: str) -> list[tuple[dict, bytes]]:
        with self.lock:
            return [(h, b) for p, h, b in self.received if p == path]


def wait_until(what: str, check, server=None):
    deadline = time.monotonic() + HANG_GUARD
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}\n" + (server.log_tail() if server else ""))
        time.sleep(0.05)


def metric(server, name: str, **labels) -> float:
    text = requests.get(server.base_url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


@pytest.fixture(scope="module")
def hooks(tmp_path_factory, ecr_creds):
    if ECR_TARGET != "berth":
        pytest.skip("berth's own webhooks")
    root = tmp_path_factory.mktemp("events")
    receiver = Receiver(free_port())
    receiver.start()
    url = f"http://127.0.0.1:{receiver.port}"
    config = root / "events.json"
    config.write_text(json.dumps({"endpoints": [
        {"name": "ce", "url": url + "/ce", "secret": SECRET,
         "retry_initial_seconds": 0.05, "retry_max_seconds": 0.5, "max_attempts": 1000},
        {"name": "ecr", "url": url + "/ecr", "format": "ecr",
         "events": ["image.pushed", "image.deleted", "tag.deleted"],
         "retry_initial_seconds": 0.05, "retry_max_seconds": 0.5, "max_attempts": 1000},
    ]}))
    server = ecrhelpers.EcrServer(root, BERTH_BINARY, ecr_creds,
                                  extra=["--events-config", str(config)])
    server.start()
    env = ecrhelpers.EcrEnv(server, ecr_creds, root)
    yield env, receiver
    server.stop()
    receiver.stop()


def test_pushes_deletes_and_repositories_become_cloudevents(hooks, repo):
    env, receiver = hooks
    c = env.client()
    c.create_repository(repositoryName=repo)
    img = env.push_image(repo, "v1", seed=1401)
    c.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": img.manifest.digest}])
    c.delete_repository(repositoryName=repo)

    def mine():
        return [b for _, b in receiver.bodies("/ce") if b["data"]["repository"] == repo]

    wait_until("four CloudEvents", lambda: len(mine()) >= 4, env.server)
    events = mine()
    assert [e["type"] for e in events] == ["io.berth.repository.created", "io.berth.image.pushed",
                                           "io.berth.image.deleted", "io.berth.repository.deleted"]
    pushed = events[1]
    assert pushed["specversion"] == "1.0"
    assert pushed["source"] == env.server.base_url
    assert pushed["subject"] == f"{repo}:v1@{img.manifest.digest}"
    assert pushed["datacontenttype"] == "application/json"
    assert pushed["data"]["digest"] == img.manifest.digest
    assert pushed["data"]["tag"] == "v1"
    assert pushed["data"]["account"] == ecrhelpers.ACCOUNT
    assert pushed["data"]["region"] == ecrhelpers.REGION
    assert pushed["data"]["cause"] == "api"
    assert len({e["id"] for e in events}) == 4
    # every delivery is signed over its exact bytes
    for headers, body in receiver.raw("/ce"):
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Berth-Signature-256"], want)
        assert headers["Content-Type"].startswith("application/cloudevents+json")
        assert headers["User-Agent"].startswith("berth/")


def oci_client(env) -> OciClient:
    """A /v2/ client logged in as a docker client would be (the registry password)."""
    session = requests.Session()
    session.headers.update(env.basic_auth())
    return OciClient(env.server.base_url, session)


def test_a_first_push_over_v2_reports_the_repository_it_creates_once(hooks, repo):
    env, receiver = hooks
    oci = oci_client(env)
    first = oci.push_image(repo, "v1", seed=1405)
    oci.push_image(repo, "v2", seed=1406)

    def mine():
        return [b for _, b in receiver.bodies("/ce") if b["data"]["repository"] == repo]

    wait_until("the second push", lambda: sum(e["type"] == "io.berth.image.pushed"
                                              for e in mine()) >= 2, env.server)
    events = mine()
    assert [e["type"] for e in events].count("io.berth.repository.created") == 1
    # the creation comes first: the push's upload made the repository
    assert events[0]["type"] == "io.berth.repository.created"
    assert events[0]["subject"] == repo
    assert events[0]["data"]["cause"] == "api"
    assert "digest" not in events[0]["data"]
    pushed = [e for e in events if e["type"] == "io.berth.image.pushed"]
    assert pushed[0]["data"]["digest"] == first.digest


def test_a_push_that_moves_a_tag_reports_where_it_was(hooks, repo):
    env, receiver = hooks
    oci = oci_client(env)
    before = oci.push_image(repo, "latest", seed=1407)
    after = oci.push_image(repo, "latest", seed=1408)  # moves "latest"
    oci.push_manifest(repo, "latest", after.manifest_bytes)      # the same digest again: no move
    oci.push_manifest(repo, "stable", after.manifest_bytes)      # a new tag: no move either

    def mine(path="/ce"):
        return [b for _, b in receiver.bodies(path) if b["data"]["repository"] == repo]

    wait_until("four pushes", lambda: sum(e["type"] == "io.berth.image.pushed"
                                          for e in mine()) >= 4, env.server)
    events = mine()
    moved = [e for e in events if e["type"] == "io.berth.tag.moved"]
    assert len(moved) == 1, [e["type"] for e in events]
    assert moved[0]["subject"] == f"{repo}:latest@{after.digest}"
    assert moved[0]["data"]["tag"] == "latest"
    assert moved[0]["data"]["digest"] == after.digest
    assert moved[0]["data"]["previousDigest"] == before.digest
    # the move follows the push that made it
    assert events.index(moved[0]) == 1 + next(
        i for i, e in enumerate(events)
        if e["type"] == "io.berth.image.pushed" and e["data"]["digest"] == after.digest)
    # the ECR shape has one PUSH per push, retags included, and no move
    wait_until("four ECR pushes", lambda: len([b for _, b in receiver.bodies("/ecr")
                                               if b["detail"]["repository-name"] == repo]) >= 4,
               env.server)
    ecr = [b for _, b in receiver.bodies("/ecr") if b["detail"]["repository-name"] == repo]
    assert [b["detail"]["action-type"] for b in ecr] == ["PUSH"] * 4


def test_ecr_image_action_bodies(hooks, repo):
    env, receiver = hooks
    c = env.client()
    c.create_repository(repositoryName=repo)
    img = env.push_image(repo, "v2", seed=1402)
    c.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v2"}])

    def mine():
        return [b for _, b in receiver.bodies("/ecr") if b["detail"]["repository-name"] == repo]

    wait_until("two ECR Image Actions", lambda: len(mine()) >= 2, env.server)
    push, delete = mine()[:2]
    assert push["detail-type"] == "ECR Image Action" and push["source"] == "aws.ecr"
    assert push["account"] == ecrhelpers.ACCOUNT and push["region"] == ecrhelpers.REGION
    assert push["detail"] == {"result": "SUCCESS", "repository-name": repo,
                              "image-digest": img.manifest.digest, "action-type": "PUSH",
                              "image-tag": "v2"}
    assert delete["detail"]["action-type"] == "DELETE"
    assert delete["detail"]["image-tag"] == "v2"
    # repository events have no EventBridge shape and are not sent in it
    assert all(b["detail"]["action-type"] in ("PUSH", "DELETE") for _, b in receiver.bodies("/ecr"))


def test_a_receiver_down_for_a_while_and_a_restart_lose_nothing(hooks, repo):
    env, receiver = hooks
    c = env.client()
    c.create_repository(repositoryName=repo)
    receiver.stop()
    failures = metric(env.server, "berth_events_delivery_failures_total", endpoint="ce")
    env.push_image(repo, "while-down", seed=1403)
    wait_until("a failed delivery attempt",
               lambda: metric(env.server, "berth_events_delivery_failures_total", endpoint="ce") > failures,
               env.server)
    assert metric(env.server, "berth_events_queued", endpoint="ce") >= 1
    # berth restarts while the receiver is still down: the queue is on disk
    env.server.stop()
    env.server.start()
    env.push_image(repo, "after-restart", seed=1404)
    receiver.start()

    def tags():
        return {b["data"].get("tag") for _, b in receiver.bodies("/ce")
                if b["data"]["repository"] == repo and b["type"] == "io.berth.image.pushed"}

    wait_until("both pushes delivered", lambda: {"while-down", "after-restart"} <= tags(), env.server)
    wait_until("an empty queue", lambda: metric(env.server, "berth_events_queued", endpoint="ce") == 0,
               env.server)
    assert metric(env.server, "berth_events_failed_total", endpoint="ce") == 0
    assert metric(env.server, "berth_events_dropped_total", endpoint="ce") == 0
