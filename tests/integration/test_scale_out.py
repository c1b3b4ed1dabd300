"""berth scaled out: several identical processes on one PostgreSQL and one
blob store, behind haproxy (scripts/scale-out-local.sh; issue 10 §4).

No request needs to come back to the process that served the one before it:
uploads whose chunks land on different processes, passwords and download URLs
issued by one process and used on another, tag moves seen at once everywhere,
and a process killed with SIGKILL in the middle of an upload while the client
carries on through haproxy. Afterwards `berth fsck` finds the shared store
clean.

The topology is started once for the module. Its blob store is Ceph RGW when
scripts/test-backends/rgw.sh can start one, else a shared directory
(BERTH_SCALE_OUT_BLOBS=s3|file forces one). Without haproxy or PostgreSQL the
module is skipped, or fails under BERTH_REQUIRE_BACKENDS=1.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

import conftest
import ecrhelpers
import make_test_images as mti
import ocihelpers

pytestmark = pytest.mark.berth_only

SCRIPT = conftest.REPO_ROOT / "scripts" / "scale-out-local.sh"
PROCESSES = 3


class Endpoint:
    """One URL of the topology, shaped as the helpers' server objects are."""

    target = "berth"

    def __init__(self, url: str, logs: list[Path]):
        self.base_url = url
        self.host = url.split("://", 1)[1]
        self.logs = logs

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for log in self.logs:
            if log.exists():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {log.name} ---\n" + "\n".join(tail))
        return "\n".join(out)


class Topology:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.state = Path(env["BERTH_SCALE_OUT_STATE"])
        logs = sorted(self.state.glob("berth-*.log"))
        self.lb = Endpoint(env["BERTH_URL"], logs)
        self.processes = [Endpoint(u, logs) for u in env["BERTH_PROCESS_URLS"].split()]
        self.pids = [int(p) for p in env["BERTH_PROCESS_PIDS"].split()]
        self.creds = [ecrhelpers.Creds(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                                       ecrhelpers.ACCOUNT)]

    def ecr(self, endpoint: Endpoint, tmp: Path) -> ecrhelpers.EcrEnv:
        return ecrhelpers.EcrEnv(endpoint, self.creds, tmp)

    def store_args(self) -> list[str]:
        args = ["--meta-store", self.env["BERTH_META_STORE"],
                "--blob-store", self.env["BERTH_BLOB_STORE"]]
        s3_credentials = self.state / "s3-credentials"
        if s3_credentials.exists():
            args += ["--blob-store-credentials", str(s3_credentials)]
        return args


@pytest.fixture(scope="module")
def topology():
    missing = [tool for tool in ("haproxy", "psql") if shutil.which(tool) is None]
    if missing:
        msg = f"scale-out tests need {', '.join(missing)}"
        if os.environ.get("BERTH_REQUIRE_BACKENDS") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    state = Path("/tmp") / f"berth-it-scale-out-{os.getpid()}-{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BERTH_TEST_", "AWS_"))}
    env.update(BERTH_SCALE_OUT_STATE=str(state), BERTH_BINARY=conftest.BERTH_BINARY,
               BERTH_SCALE_OUT_PROCESSES=str(PROCESSES))
    p = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env,
                       timeout=180)
    try:
        assert p.returncode == 0, f"scale-out-local.sh start failed:\n{p.stderr}"
        yield Topology(conftest.parse_exports(p.stdout))
    finally:
        subprocess.run([str(SCRIPT), "stop"], capture_output=True, env=env, timeout=120)


def basic_session(password: str) -> requests.Session:
    s = requests.Session()
    s.auth = ("AWS", password)
    return s


def test_round_trip_through_haproxy_with_skopeo_and_the_aws_cli(topology, layouts, tmp_path):
    env = topology.ecr(topology.lb, tmp_path)
    repo = "scale/roundtrip"
    created = env.cli("create-repository", "--repository-name", repo).json["repository"]
    assert created["repositoryName"] == repo
    password = env.cli("get-login-password").stdout.strip()
    skopeo = conftest.Skopeo(topology.lb, tmp_path)
    creds = f"AWS:{password}"
    img = layouts["single"]
    # skopeo pushes several blobs and the manifest in separate requests:
    # round-robin spreads them over every process.
    skopeo.copy(f"oci:{layouts['single_dir']}:img", skopeo.ref(repo, "v1"),
                "--dest-creds", creds, "--preserve-digests")
    out = tmp_path / "pulled"
    skopeo.copy(skopeo.ref(repo, "v1"), f"dir:{out}", "--src-creds", creds)
    assert (out / "manifest.json").read_bytes() == img.manifest.data
    for b in img.blobs:
        assert (out / b.digest.split(":", 1)[1]).read_bytes() == b.data

    # Every process answers the same listing, straight from the shared store.
    for endpoint in topology.processes:
        d = topology.ecr(endpoint, tmp_path).client().describe_images(repositoryName=repo)
        assert [(x["imageDigest"], x["imageTags"]) for x in d["imageDetails"]] == [
            (img.manifest.digest, ["v1"])]


def test_chunked_upload_whose_chunks_land_on_different_processes(topology, tmp_path):
    env = topology.ecr(topology.processes[0], tmp_path)
    repo = "scale/chunks"
    env.create_repository(repo)
    # A password issued by the first process opens the others.
    session = basic_session(env.password())
    clients = [ocihelpers.OciClient(p.base_url, session) for p in topology.processes]
    data = os.urandom(3 * 1024 * 1024 + 4321)
    digest = ocihelpers.sha256_digest(data)
    location = clients[0].begin(repo)
    path = ocihelpers.target_of(location)
    chunk = 1024 * 1024
    for i, off in enumerate(range(0, len(data), chunk)):
        client = clients[(i + 1) % PROCESSES]
        r = client.patch(client.url(path), data[off:off + chunk], off)
        assert r.status_code == 202, (client.base_url, r.status_code, r.text)
        path = ocihelpers.target_of(client.abs_location(r))
    # Out of order: a chunk that does not start where the upload ends, on yet
    # another process, is refused there too.
    stale = clients[0].patch(clients[0].url(path), b"x" * 10, 0)
    assert stale.status_code == 416, stale.text
    r = clients[2].finish(clients[2].url(path), digest)
    assert r.status_code == 201, r.text
    for client in clients:
        got = client.get_blob(repo, digest)
        assert got.status_code == 200 and got.content == data


def test_tags_passwords_and_download_urls_hold_on_every_process(topology, tmp_path):
    first, second, third = (topology.ecr(p, tmp_path) for p in topology.processes)
    repo = "scale/tags"
    first.create_repository(repo)
    push = ocihelpers.OciClient(topology.processes[0].base_url, basic_session(first.password()))
    a = push.push_image(repo, "latest", seed=901)
    b_image = mti.build_image(902, (2048,), "linux/amd64", None)
    for blob in b_image.blobs:
        push.push_blob(repo, blob.data)

    # The tag moves through the second process (ECR PutImage) ...
    second.client().put_image(repositoryName=repo, imageTag="latest",
                              imageManifest=b_image.manifest.data.decode(),
                              imageManifestMediaType=ocihelpers.MT_OCI_MANIFEST)
    # ... and the very next request, to the third, sees it.
    pull = ocihelpers.OciClient(topology.processes[2].base_url, basic_session(third.password()))
    got = pull.get_manifest(repo, "latest")
    assert got.status_code == 200 and got.content == b_image.manifest.data
    assert a.digest != b_image.manifest.digest

    # A download URL from one process is served by the others (and haproxy).
    layer = b_image.layers[0]
    url = third.client().get_download_url_for_layer(repositoryName=repo,
                                                    layerDigest=layer.digest)["downloadUrl"]
    for endpoint in [topology.lb, *topology.processes]:
        where = endpoint.base_url + "/" + url.split("/", 3)[3]
        r = requests.get(where, timeout=60, allow_redirects=True)
        assert r.status_code == 200 and r.content == layer.data, (where, r.status_code)

    # Pulls are recorded per process in batches; they still reach DescribeImages.
    deadline = time.monotonic() + 60
    while True:
        d = first.client().describe_images(repositoryName=repo,
                                           imageIds=[{"imageTag": "latest"}])["imageDetails"]
        if "lastRecordedPullTime" in d[0]:
            break
        assert time.monotonic() < deadline, "the pull on the third process was never recorded"
        time.sleep(0.5)


def test_console_sessions_hold_on_every_process(topology, tmp_path):
    """A console session is a cookie signed with the replicas' shared token
    secret: started on one process, it is honoured by the others and through
    haproxy, with its CSRF token; signing out ends it where that happens."""
    first, second, third = topology.processes
    creds = topology.creds[0]
    topology.ecr(first, tmp_path).create_repository("scale/console")
    sign_in = {"accessKeyId": creds.access_key, "secretAccessKey": creds.secret_key}
    r = requests.post(first.base_url + "/console/api/session", json=sign_in, timeout=30,
                      headers={"Origin": first.base_url})
    assert r.status_code == 200, r.text
    jar, csrf = {"berth_console": r.cookies["berth_console"]}, r.json()["csrfToken"]

    r = requests.get(second.base_url + "/console/api/session", cookies=jar, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["csrfToken"] == csrf and r.json()["accessKeyId"] == creds.access_key
    r = requests.get(third.base_url + "/console/api/repositories", cookies=jar, timeout=30)
    assert r.status_code == 200, r.text
    assert "scale/console" in [repo["name"] for repo in r.json()["repositories"]]
    # A state-changing call on a third process: the same CSRF token holds.
    r = requests.put(third.base_url + "/console/api/repository/tag-mutability",
                     params={"name": "scale/console"}, json={"imageTagMutability": "IMMUTABLE"},
                     cookies=jar, headers={"Origin": third.base_url, "X-CSRF-Token": csrf},
                     timeout=30)
    assert r.status_code == 200, r.text
    got = topology.ecr(first, tmp_path).client().describe_repositories(
        repositoryNames=["scale/console"])["repositories"][0]
    assert got["imageTagMutability"] == "IMMUTABLE"

    # Through haproxy, request after request, whichever process answers.
    lb = requests.Session()
    r = lb.post(topology.lb.base_url + "/console/api/session", json=sign_in, timeout=30,
                headers={"Origin": topology.lb.base_url})
    assert r.status_code == 200, r.text
    for _ in range(2 * len(topology.processes)):
        assert lb.get(topology.lb.base_url + "/console/api/registries", timeout=30).status_code == 200

    # A cookie no replica signed is refused everywhere.
    payload = jar["berth_console"].split(".")[0]
    forged = {"berth_console": payload + "." + "A" * 43}  # a MAC of 32 zero bytes
    for endpoint in topology.processes:
        r = requests.get(endpoint.base_url + "/console/api/session", cookies=forged, timeout=30)
        assert r.status_code == 401, (endpoint.base_url, r.text)

    # Sign-out on the second process ends the session there.
    r = requests.delete(second.base_url + "/console/api/session", cookies=jar, timeout=30,
                        headers={"Origin": second.base_url, "X-CSRF-Token": csrf})
    assert r.status_code == 204, r.text
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    r = requests.get(second.base_url + "/console/api/session", cookies=jar, timeout=30)
    assert r.status_code == 401, r.text


def run_gc(topology, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([conftest.BERTH_BINARY, "gc", *topology.store_args(), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in os.environ.items() if not k.startswith("BERTH_")})


def test_pushes_through_every_process_race_collectors_on_the_shared_store(topology, tmp_path):
    """Issue 11 on the scaled-out store: two `berth gc --apply` loops with a
    tiny grace period (two collectors contending for the sweep lease) while
    clients push and delete through haproxy. Every acknowledged image pulls
    back bit-exact, and what the deletes dropped is reclaimed."""
    env = topology.ecr(topology.lb, tmp_path)
    password = env.password()
    workers, rounds = 3, 6
    for w in range(workers):
        env.create_repository(f"scale/gc{w}")
    acknowledged, dropped, errors = [], [], []
    lock = threading.Lock()
    stop = threading.Event()
    sweeps = {"ran": 0, "skipped": 0, "failed": []}

    def collector() -> None:
        while not stop.is_set():
            p = run_gc(topology, "--gc-delay", "2s", "--apply", "--json", "--no-progress")
            with lock:
                if p.returncode != 0:
                    sweeps["failed"].append(p.stderr[-500:])
                elif json.loads(p.stdout)["ran"]:
                    sweeps["ran"] += 1
                else:
                    sweeps["skipped"] += 1
            time.sleep(0.2)

    def worker(w: int) -> None:
        oci = ocihelpers.OciClient(topology.lb.base_url, basic_session(password))
        for r in range(rounds):
            img = None
            for _ in range(10):  # the grace period ran out between layer and manifest: again
                try:
                    img = oci.push_image(f"scale/gc{w}", f"r{r}", seed=2000 + 10 * w + r,
                                         layer_sizes=(4096, 40000))
                    break
                except AssertionError:
                    continue
            if img is None:
                continue
            if r % 2:
                r2 = oci.request("DELETE", f"/v2/{img.repo}/manifests/{img.digest}")
                with lock:
                    if r2.status_code != 202:
                        errors.append(f"delete {img.repo}: {r2.status_code} {r2.text}")
                    dropped.append(img)
                continue
            with lock:
                acknowledged.append(img)

    collectors = [threading.Thread(target=collector) for _ in range(2)]
    for t in collectors:
        t.start()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
        assert not t.is_alive(), "a client hung"
    stop.set()
    for t in collectors:
        t.join(600)
    assert not errors, errors
    assert not sweeps["failed"], sweeps["failed"]
    assert sweeps["ran"] >= 1, sweeps
    assert acknowledged, "no image was ever acknowledged"

    # Every process serves every acknowledged image, byte for byte.
    for i, img in enumerate(acknowledged):
        endpoint = topology.processes[1 + i % (PROCESSES - 1)]
        oci = ocihelpers.OciClient(endpoint.base_url, basic_session(password))
        assert oci.get_manifest(img.repo, img.reference).content == img.manifest_bytes
        for b in img.image.blobs:
            got = oci.get_blob(img.repo, b.digest)
            assert got.status_code == 200 and got.content == b.data, (img.repo, b.digest)

    # Once the grace period has passed, one more sweep reclaims the layers
    # that only the deleted images used.
    time.sleep(2.5)
    deadline = time.monotonic() + 120
    while True:
        p = run_gc(topology, "--gc-delay", "2s", "--apply", "--json", "--no-progress")
        assert p.returncode == 0, p.stderr
        if json.loads(p.stdout)["ran"]:
            break
        assert time.monotonic() < deadline, "the sweep lease was never free"
        time.sleep(1)
    oci = ocihelpers.OciClient(topology.lb.base_url, basic_session(password))
    for img in dropped:
        assert oci.head_blob(img.repo, img.image.layers[0].digest).status_code == 404


def send_rest(client: ocihelpers.OciClient, path: str, data: bytes, offset: int) -> str:
    """PATCHes data[offset:] as a retrying client does; returns the next upload path."""
    for _ in range(10):
        try:
            r = client.patch(client.url(path), data[offset:], offset)
            if r.status_code == 202:
                return ocihelpers.target_of(client.abs_location(r))
            assert r.status_code in (416, 502, 503), (r.status_code, r.text)
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
        status = client.request("GET", path)
        assert status.status_code == 204, (status.status_code, status.text)
        offset = int(status.headers["Range"].split("-")[1]) + 1
        path = ocihelpers.target_of(client.abs_location(status))
    pytest.fail("the upload never went on through haproxy")


def test_a_process_killed_mid_upload_loses_nothing_acknowledged(topology, tmp_path):
    env = topology.ecr(topology.lb, tmp_path)
    repo = "scale/kill"
    env.create_repository(repo)
    session = basic_session(env.password())
    victim_client = ocihelpers.OciClient(topology.processes[0].base_url, session)
    lb = ocihelpers.OciClient(topology.lb.base_url, session)
    kept = lb.push_image(repo, "kept", seed=903, layer_sizes=(70000,))

    data = os.urandom(2 * 1024 * 1024 + 99)
    digest = ocihelpers.sha256_digest(data)
    location = victim_client.begin(repo)
    half = len(data) // 2
    r = victim_client.patch(location, data[:half], 0)
    assert r.status_code == 202, r.text
    path = ocihelpers.target_of(victim_client.abs_location(r))

    os.kill(topology.pids[0], signal.SIGKILL)

    # The client carries on through haproxy: another process has the upload.
    # A request that haproxy had already sent to the dead process (a reused
    # connection) fails; the client then does what the spec's resumable
    # upload offers: asks where the upload stands and sends the rest.
    path = send_rest(lb, path, data, half)
    r = lb.finish(lb.url(path), digest)
    assert r.status_code == 201, r.text
    assert lb.get_blob(repo, digest).content == data
    got = lb.get_manifest(repo, "kept")
    assert got.status_code == 200 and got.content == kept.manifest_bytes

    # The shared store is consistent: fsck on PostgreSQL + the blob store.
    p = subprocess.run([conftest.BERTH_BINARY, "fsck", *topology.store_args(), "--progress", "none"],
                       capture_output=True, text=True, timeout=300,
                       env={k: v for k, v in os.environ.items() if not k.startswith("BERTH_")})
    assert p.returncode == 0, (p.stdout, p.stderr)
