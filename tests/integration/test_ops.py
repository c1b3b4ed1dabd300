"""Operating berth: GET /metrics (Prometheus text format, parsed with Debian's
python3-prometheus-client), /livez and /readyz (503 while draining after SIGTERM),
--admin-listen, --metrics-auth, and --log-format json access lines carrying the
request id a client sees.

Counters are compared before and after real traffic (boto3, OCI push and pull);
nothing here depends on how long anything takes."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import ecrhelpers
import ocihelpers
from conftest import BERTH_BINARY, ECR_TARGET, free_port

pytestmark = pytest.mark.berth_only

METRICS_USER, METRICS_PASSWORD = "prometheus", "scrape:secret-1"


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def start_server(root, creds, extra, listen_host="127.0.0.1") -> ecrhelpers.EcrEnv:
    if ECR_TARGET != "berth":
        pytest.skip("berth's own endpoints")
    server = ecrhelpers.EcrServer(root, BERTH_BINARY, creds, extra=extra)
    server.hostport = f"{listen_host}:{server.port}"  # --listen; clients still use 127.0.0.1
    server.start()
    return ecrhelpers.EcrEnv(server, creds, root)


@pytest.fixture(scope="module")
def ops(tmp_path_factory, ecr_creds):
    """A berth on 0.0.0.0 with JSON logs and an admin listener; metrics unauthenticated."""
    root = tmp_path_factory.mktemp("ops")
    admin_port = free_port()
    env = start_server(root, ecr_creds,
                       ["--log-format", "json", "--admin-listen", f"127.0.0.1:{admin_port}",
                        "--gc-interval", "0", "--lifecycle-interval", "0"],
                       listen_host="0.0.0.0")
    env.admin_url = f"http://127.0.0.1:{admin_port}"
    yield env
    env.server.stop()


@pytest.fixture(scope="module")
def ops_auth(tmp_path_factory, ecr_creds):
    """A berth on 0.0.0.0 whose /metrics needs --metrics-auth (given through the environment)."""
    root = tmp_path_factory.mktemp("ops-auth")
    if ECR_TARGET != "berth":
        pytest.skip("berth's own endpoints")
    server = ecrhelpers.EcrServer(root, BERTH_BINARY, ecr_creds,
                                  env={"BERTH_METRICS_AUTH": f"{METRICS_USER}:{METRICS_PASSWORD}"})
    server.hostport = f"0.0.0.0:{server.port}"
    server.start()
    yield ecrhelpers.EcrEnv(server, ecr_creds, root)
    server.stop()


def scrape(url: str, **kw) -> dict[tuple[str, tuple], float]:
    """Every sample of GET url as {(name, sorted labels): value}, via the official parser."""
    r = requests.get(url, timeout=10, **kw)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def scrape_once(url: str, ready, hang_guard_seconds: float = 60.0, **kw):
    """scrape(url) as soon as `ready(samples)` holds. A request is counted
    once its response has gone out, so a scrape right after it can come
    first; the guard only keeps a broken server from hanging the run."""
    give_up = time.monotonic() + hang_guard_seconds
    while True:
        samples = scrape(url, **kw)
        if ready(samples) or time.monotonic() > give_up:
            return samples
        time.sleep(0.05)


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name: str, **labels) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and all(dict(ls).get(k) == want for k, want in labels.items()))


def oci_session(env: ecrhelpers.EcrEnv) -> ocihelpers.OciClient:
    session = requests.Session()
    session.headers.update(env.basic_auth())
    return ocihelpers.OciClient(env.server.base_url, session)


def json_log_lines(env) -> list[dict]:
    lines = []
    text = env.server.log_path.read_text()
    complete = text[:text.rfind("\n") + 1]  # a line still being written waits
    for line in complete.splitlines():
        if line.strip():
            lines.append(json.loads(line))  # every line: one JSON object
    return lines


def json_log_lines_once(env, ready, deadline_seconds: float = 60.0) -> list[dict]:
    """The log's lines as soon as `ready(lines)` holds. The deadline only
    keeps a broken server from hanging the run; nothing depends on how soon
    the lines appear."""
    give_up = time.monotonic() + deadline_seconds
    while True:
        lines = json_log_lines(env)
        if ready(lines) or time.monotonic() > give_up:
            return lines
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# /metrics


def kernel_start_time(pid: int) -> float:
    """When the kernel says `pid` started, in seconds since the epoch
    (boot time from /proc/stat plus the start tick in /proc/<pid>/stat;
    at most a second early, as boot time is whole seconds)."""
    boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime "))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def test_counters_move_with_real_traffic(ops, repo):
    before = scrape(ops.server.base_url + "/metrics")
    c = ops.client()
    c.create_repository(repositoryName=repo)
    img = ops.push_image(repo, "v1", seed=1301)
    with pytest.raises(c.exceptions.RepositoryNotFoundException):
        c.describe_images(repositoryName=repo + "-absent")
    oci = oci_session(ops)
    pushed = oci.push_image(repo, "v2", seed=1302)  # an OCI push: blobs, then the manifest
    r = oci.get_manifest(repo, "v1")
    assert r.status_code == 200 and r.content == img.manifest.data
    r = oci.get_blob(repo, pushed.image.blobs[0].digest)
    assert r.status_code == 200 and r.content == pushed.image.blobs[0].data
    blob_gets = dict(api="oci", operation="blob.get", code="200")
    # The blob GET was the last request on its connection: once it is
    # counted, every request before it is too.
    after = scrape_once(ops.server.base_url + "/metrics",
                        lambda now: total(now, "berth_http_requests_total", **blob_gets)
                        > total(before, "berth_http_requests_total", **blob_gets))
    scraped_at = time.time()

    def grew(name, by=1, **labels):
        moved = total(after, name, **labels) - total(before, name, **labels)
        assert moved >= by, (name, labels, total(before, name, **labels), total(after, name, **labels))

    grew("berth_http_requests_total", api="ecr", operation="CreateRepository", code="200")
    grew("berth_http_requests_total", api="ecr", operation="PutImage", code="200")
    grew("berth_http_requests_total", api="ecr", operation="DescribeImages", code="400")
    grew("berth_http_requests_total", api="oci", operation="manifest.get", code="200")
    grew("berth_http_requests_total", api="oci", operation="manifest.put", code="201")
    grew("berth_http_requests_total", api="oci", operation="blob.get", code="200")
    grew("berth_http_request_duration_seconds_count", api="oci", operation="manifest.get")
    grew("berth_http_received_bytes_total", len(pushed.image.blobs[0].data), api="oci")
    grew("berth_http_sent_bytes_total", len(img.manifest.data) + len(pushed.image.blobs[0].data),
         api="oci")
    grew("berth_http_received_bytes_total", api="ecr")
    # every store call is timed, per backend
    grew("berth_store_call_duration_seconds_count", store="meta", backend="sqlite",
         operation="put_manifest")
    grew("berth_store_call_duration_seconds_count", store="blob", backend="fs", operation="commit")
    grew("berth_store_call_duration_seconds_count", store="blob", backend="fs", operation="open")
    # a not-found is an answer, not a store error
    assert total(after, "berth_store_call_errors_total") == total(before, "berth_store_call_errors_total")
    # each push's durable writes went through the SQLite group commit: every
    # commit is one observation, counting the writes it carried
    grew("berth_meta_group_commit_batch_size_count", by=2)
    grew("berth_meta_group_commit_batch_size_sum", by=2)
    commits = (value(after, "berth_meta_group_commit_batch_size_count")
               - value(before, "berth_meta_group_commit_batch_size_count"))
    writes = (value(after, "berth_meta_group_commit_batch_size_sum")
              - value(before, "berth_meta_group_commit_batch_size_sum"))
    assert writes >= commits  # a commit carries at least one write
    assert value(after, "berth_meta_group_commit_batch_size_bucket", le="+Inf") == value(
        after, "berth_meta_group_commit_batch_size_count")

    assert value(after, "berth_uploads_in_progress") == 0
    assert value(after, "berth_uploads_max") == 256
    assert [ls for (n, ls) in after if n == "berth_build_info"] and all(
        dict(ls)["version"] for (n, ls) in after if n == "berth_build_info")
    # The start time lies between the kernel's record of the process start
    # and the scrape: an ordering, whatever the machine's speed.
    started = value(after, "process_start_time_seconds")
    assert kernel_start_time(ops.server.process.pid) - 1 <= started <= scraped_at
    assert value(after, "process_resident_memory_bytes") > 0
    assert value(after, "process_open_fds") > 0
    assert ("process_cpu_seconds_total", ()) in after
    # the jobs' series exist before any run (both schedules are off here)
    for job in ("gc", "lifecycle"):
        for outcome in ("success", "partial", "failure", "skipped"):
            assert (f"berth_{job}_runs_total", (("outcome", outcome),)) in after
        assert value(after, f"berth_{job}_last_success_timestamp_seconds") == 0


def test_histogram_buckets_are_cumulative(ops):
    assert requests.get(ops.server.base_url + "/v2/", headers=ops.basic_auth(), timeout=5).status_code == 200
    samples = scrape_once(ops.server.base_url + "/metrics",
                          lambda now: total(now, "berth_http_request_duration_seconds_count",
                                            api="oci", operation="base.get") > 0)
    buckets = sorted(((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
                      if n == "berth_http_request_duration_seconds_bucket"
                      and dict(ls).get("operation") == "base.get" and dict(ls).get("api") == "oci"))
    assert buckets and buckets[-1][0] == float("inf")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == value(samples, "berth_http_request_duration_seconds_count",
                               api="oci", operation="base.get")


def test_metrics_on_the_main_listener_are_for_loopback_only(ops):
    assert requests.get(ops.server.base_url + "/metrics", timeout=5).status_code == 200
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    r = requests.get(f"http://{address}:{ops.server.port}/metrics", timeout=5)
    assert r.status_code == 403, r.text
    assert "berth_" not in r.text
    # health stays open to everyone: probes come from the node, not loopback
    assert requests.get(f"http://{address}:{ops.server.port}/livez", timeout=5).status_code == 200
    assert requests.get(f"http://{address}:{ops.server.port}/readyz", timeout=5).status_code == 200


def test_admin_listener_serves_only_the_operator_endpoints(ops):
    samples = scrape(ops.admin_url + "/metrics")
    assert total(samples, "berth_http_requests_total") > 0
    assert requests.get(ops.admin_url + "/livez", timeout=5).text == "ok\n"
    r = requests.get(ops.admin_url + "/readyz", timeout=5)
    assert (r.status_code, r.text) == (200, "ok\n")
    assert requests.head(ops.admin_url + "/readyz", timeout=5).status_code == 200
    assert requests.get(ops.admin_url + "/v2/", timeout=5).status_code == 404
    assert requests.post(ops.admin_url + "/", timeout=5).status_code == 404
    assert requests.post(ops.admin_url + "/metrics", timeout=5).status_code == 405


def test_metrics_auth_is_required_everywhere_when_set(ops_auth):
    url = ops_auth.server.base_url + "/metrics"
    r = requests.get(url, timeout=5)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic ")
    assert requests.get(url, auth=(METRICS_USER, "wrong"), timeout=5).status_code == 401
    assert requests.get(url, auth=(METRICS_USER, METRICS_PASSWORD[:-1]), timeout=5).status_code == 401
    samples = scrape(url, auth=(METRICS_USER, METRICS_PASSWORD))
    assert total(samples, "berth_http_requests_total", code="401") >= 3
    address = non_loopback_address()
    if address is not None:
        remote = f"http://{address}:{ops_auth.server.port}/metrics"
        assert requests.get(remote, timeout=5).status_code == 401
        scrape(remote, auth=(METRICS_USER, METRICS_PASSWORD))
    # the password never reaches the log
    assert METRICS_PASSWORD not in ops_auth.server.log_path.read_text()


# ---------------------------------------------------------------------------
# --log-format json


def test_json_access_lines_carry_the_request_id_and_principal(ops, repo):
    c = ops.client()
    out = c.create_repository(repositoryName=repo)
    amzn_id = out["ResponseMetadata"]["RequestId"]
    oci = oci_session(ops)
    r = oci.get_manifest(repo, "absent")
    assert r.status_code == 404
    oci_target = f"/v2/{repo}/manifests/absent"

    def both_logged(lines):
        return (any(line.get("request_id") == amzn_id for line in lines)
                and any(line.get("target") == oci_target for line in lines))

    # A request's line is written once its response has gone out, so the
    # client can hold the answer a moment before the line exists.
    lines = json_log_lines_once(ops, both_logged)  # every line parses
    assert all({"time", "level"} <= line.keys() for line in lines)
    access = [line for line in lines if line.get("msg") == "request"]
    ecr_line = [line for line in access if line.get("request_id") == amzn_id]
    assert len(ecr_line) == 1, amzn_id
    line = ecr_line[0]
    assert line["operation"] == "ecr:CreateRepository"
    assert line["status"] == 200
    assert line["principal"] == f"arn:aws:iam::{ops.default.account}:root"
    assert line["method"] == "POST" and line["target"] == "/"
    assert isinstance(line["bytes_in"], int) and line["bytes_in"] > 0
    assert isinstance(line["bytes_out"], int) and line["bytes_out"] > 0
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    oci_lines = [line for line in access if line.get("operation") == "oci:manifest.get"
                 and line["target"] == oci_target]
    assert oci_lines and oci_lines[-1]["status"] == 404
    assert oci_lines[-1]["error"] == "MANIFEST_UNKNOWN"
    assert oci_lines[-1]["principal"] == f"arn:aws:iam::{ops.default.account}:root"
    # secrets never reach the log: not the secret key, not the registry password
    text = ops.server.log_path.read_text()
    assert ops.default.secret_key not in text
    assert ops.password() not in text


# ---------------------------------------------------------------------------
# /livez, /readyz and draining


def test_readyz_turns_503_while_draining(tmp_path, ecr_creds):
    env = start_server(tmp_path / "drain", ecr_creds, ["--shutdown-delay", "600"])
    base = env.server.base_url
    assert requests.get(base + "/readyz", timeout=5).status_code == 200
    keep = requests.Session()  # a connection the load balancer already holds
    assert keep.get(base + "/livez", timeout=5).status_code == 200
    env.server.process.send_signal(signal.SIGTERM)
    while True:  # the signal is handled asynchronously
        r = requests.get(base + "/readyz", timeout=5)
        if r.status_code == 503:
            break
        assert r.status_code == 200
        time.sleep(0.02)
    assert r.text == "draining\n"
    # while the delay lasts, everything else is still served
    assert requests.get(base + "/livez", timeout=5).status_code == 200
    assert requests.get(base + "/v2/", headers=env.basic_auth(), timeout=5).status_code == 200
    assert keep.get(base + "/readyz", timeout=5).status_code == 503
    # a second signal ends the delay: the server drains and exits cleanly
    env.server.process.send_signal(signal.SIGTERM)
    assert env.server.process.wait(30) == 0
    log = env.server.log_path.read_text()
    assert "/readyz answers 503" in log and "berth stopped" in log
