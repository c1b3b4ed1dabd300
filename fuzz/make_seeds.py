#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (committed; rerun after
changing a target's input format). Seeds are small, real inputs: manifests
as clients push them, names and digests, botocore-signed requests, ECR
requests, request heads as the integration suite's clients send them.

    fuzz/make_seeds.py          # rewrite every corpus directory
"""
import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "corpus"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def sha512(text):
    return "sha512:" + hashlib.sha512(text.encode()).hexdigest()


def desc(media_type, seed, size, **extra):
    d = {"mediaType": media_type, "digest": sha256(seed), "size": size}
    d.update(extra)
    return d


def manifests():
    image = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": desc(OCI_CONFIG, "config", 1469),
        "layers": [desc(OCI_LAYER, "layer1", 3370706), desc(OCI_LAYER, "layer2", 127)],
        "annotations": {"org.opencontainers.image.created": "2025-01-01T12:00:00Z"},
    }
    index = {
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            desc(OCI_MANIFEST, "amd64", 1024,
                 platform={"architecture": "amd64", "os": "linux"}),
            desc(OCI_MANIFEST, "arm64", 1025,
                 platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
        ],
    }
    docker = {
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": desc(DOCKER_CONFIG, "dconfig", 7023),
        "layers": [desc(DOCKER_LAYER, "dlayer", 32654)],
    }
    docker_list = {
        "schemaVersion": 2, "mediaType": DOCKER_LIST,
        "manifests": [desc(DOCKER_MANIFEST, "d-amd64", 528,
                           platform={"architecture": "amd64", "os": "linux"})],
    }
    artifact = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sbom.v1",
        "config": {"mediaType": OCI_EMPTY, "digest": sha256("{}"), "size": 2, "data": "e30="},
        "layers": [desc("application/spdx+json", "sbom", 4096)],
        "subject": desc(OCI_MANIFEST, "amd64", 1024),
    }
    go_nulls = {"schemaVersion": 2, "config": desc(OCI_CONFIG, "c", 2), "layers": None,
                "annotations": None}
    sha512_layer = dict(image, layers=[{"mediaType": OCI_LAYER, "digest": sha512("x"), "size": 1}])
    schema1 = {"schemaVersion": 1, "name": "library/app", "tag": "v1", "fsLayers": []}
    return {
        "oci-image": OCI_MANIFEST + "\n" + json.dumps(image, indent=3),
        "oci-index": OCI_INDEX + "\n" + json.dumps(index),
        "docker-v2": DOCKER_MANIFEST + "\n" + json.dumps(docker, indent=2),
        "docker-list": DOCKER_LIST + "\n" + json.dumps(docker_list),
        "artifact-with-subject": OCI_MANIFEST + "\n" + json.dumps(artifact),
        "no-content-type-inferred": "\n" + json.dumps(go_nulls),
        "content-type-params": OCI_MANIFEST + "; charset=utf-8\n" + json.dumps(sha512_layer),
        "generic-json-type": "application/json\n" + json.dumps(index),
        "schema1-refused": "application/vnd.docker.distribution.manifest.v1+prettyjws\n"
                           + json.dumps(schema1),
        "mismatched-type": OCI_INDEX + "\n" + json.dumps(image),
    }


def references():
    d256 = sha256("layer1")
    return {
        "digest-sha256": d256,
        "digest-sha512": sha512("x"),
        "digest-unsupported": "md5:" + hashlib.md5(b"x").hexdigest(),
        "digest-upper": d256.upper(),
        "name-simple": "library/ubuntu",
        "name-separators": "a.b_c__d-e--f/g0/h",
        "tag": "v1.2.3-rc_1",
        "tag-latest": "latest",
        "ref-tag": "team/app:v1",
        "ref-digest": "team/app@" + d256,
        "name-uppercase": "Team/App",
        "name-traversal": "team/../etc",
    }


def sigv4():
    vectors = json.loads((REPO / "src/auth/testdata/botocore_vectors.json").read_text())
    out = {}
    for v in vectors["vectors"]:
        target = v["path"] + ("?" + v["query"] if v["query"] else "")
        lines = [f"{v['method']} {target}"]
        lines += [f"{name}: {value}" for name, value in v["headers"]]
        out["botocore-" + v["name"]] = "\n".join(lines) + "\n\n" + v.get("body", "")
    out["date-header"] = (
        "POST /\nHost: localhost:5000\nDate: Wed, 01 Jan 2025 12:00:00 GMT\n"
        "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.ListImages\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/ecr/"
        "aws4_request, SignedHeaders=date;host;x-amz-target, Signature=" + "0" * 64 + "\n\n{}")
    out["presigned-ecr"] = (
        "GET /v2/app/blobs/" + sha256("b") + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        "AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-east-1%2Fecr%2Faws4_request&X-Amz-Date=20250101T120000Z"
        "&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Security-Token=t&X-Amz-Signature="
        + "a" * 64 + "\nHost: registry.example\n\n")
    out["unsigned-plain"] = "PUT /a//b/../c%2Fd?b=&a=1&a=0\nHost: h\nContent-Type: text/plain\n\nbody"
    return out


def ecr_input():
    d = sha256("layer1")
    reqs = {
        "BatchGetImage": {"repositoryName": "app", "imageIds": [{"imageTag": "v1"},
                          {"imageDigest": d}], "acceptedMediaTypes": [OCI_MANIFEST]},
        "BatchCheckLayerAvailability": {"repositoryName": "team/app", "layerDigests": [d]},
        "BatchDeleteImage": {"registryId": "123456789012", "repositoryName": "app",
                             "imageIds": [{"imageTag": "old"}]},
        "PutImage": {"repositoryName": "app", "imageTag": "v1", "imageManifest":
                     json.dumps({"schemaVersion": 2}), "imageManifestMediaType": OCI_MANIFEST},
        "InitiateLayerUpload": {"repositoryName": "app"},
        "UploadLayerPart": {"repositoryName": "app", "uploadId": "0e1c4b4a-2d3f-4c5e-8f9a-1b2c3d4e5f60",
                            "partFirstByte": 0, "partLastByte": 4, "layerPartBlob": "aGVsbG8="},
        "CompleteLayerUpload": {"repositoryName": "app",
                                "uploadId": "0e1c4b4a-2d3f-4c5e-8f9a-1b2c3d4e5f60",
                                "layerDigests": [d]},
        "CreateRepository": {"repositoryName": "team/app", "imageTagMutability": "IMMUTABLE",
                             "tags": [{"Key": "env", "Value": "prod"}],
                             "imageScanningConfiguration": {"scanOnPush": True},
                             "encryptionConfiguration": {"encryptionType": "AES256"}},
        "DescribeImages": {"repositoryName": "app", "filter": {"tagStatus": "TAGGED"},
                           "maxResults": 100, "nextToken": "abc"},
        "ListImages": {"repositoryName": "app", "maxResults": 1000},
        "DescribeRepositories": {"repositoryNames": ["a", "b/c"]},
        "SetRepositoryPolicy": {"repositoryName": "app", "policyText": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                     "Action": ["ecr:BatchGetImage"]}]})},
        "PutLifecyclePolicy": {"repositoryName": "app", "lifecyclePolicyText": "{\"rules\":[]}"},
        "TagResource": {"resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/app",
                        "tags": [{"Key": "k", "Value": "v"}]},
        "PutRegistryScanningConfiguration": {"scanType": "ENHANCED", "rules": [
            {"scanFrequency": "SCAN_ON_PUSH",
             "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}]},
        "GetAuthorizationToken": {},
    }
    out = {f"json-{op}": op + "\n" + json.dumps(body) for op, body in reqs.items()}
    out["query-ListImages"] = "ListImages?\nrepositoryName=app&maxResults=5&filter.tagStatus=TAGGED"
    out["query-BatchGetImage"] = ("BatchGetImage?\nrepositoryName=team%2Fapp"
                                  "&imageIds.member.1.imageTag=v1&imageIds.2.imageDigest=" + d)
    out["query-json-list"] = ("BatchDeleteImage?\nrepositoryName=app&imageIds="
                              "%5B%7B%22imageTag%22%3A%22v1%22%7D%5D")
    out["blank-body"] = "DescribeRegistry\n  \r\n"
    return out


def http_request():
    d = sha256("layer1")
    def head(line, *headers):
        return "\r\n".join([line, "Host: 127.0.0.1:5000", *headers]) + "\r\n\r\n"
    return {
        "base": head("GET /v2/ HTTP/1.1", "User-Agent: skopeo/1.9"),
        "manifest-head": head("HEAD /v2/library/ubuntu/manifests/latest HTTP/1.1",
                              f"Accept: {OCI_MANIFEST}, {OCI_INDEX};q=0.9",
                              f"Accept: {DOCKER_MANIFEST}, */*;q=0.1"),
        "blob-range": head(f"GET /v2/team/app/blobs/{d} HTTP/1.1", "Range: bytes=100-199"),
        "blob-suffix-range": head(f"GET /v2/team/app/blobs/{d} HTTP/1.1", "Range: bytes=-500"),
        "upload-patch": head("PATCH /v2/team/app/blobs/uploads/5b4cbd1d-5f7e-4c1b-9c4d-6f0a2c1e9b3a"
                             "?_state=abc%2Bdef HTTP/1.1", "Content-Range: 0-1023",
                             "Content-Length: 1024", "Content-Type: application/octet-stream"),
        "upload-put": head(f"PUT /v2/team/app/blobs/uploads/u1?digest={d.replace(':', '%3A')} "
                           "HTTP/1.1", "Content-Length: 0"),
        "mount": head(f"POST /v2/b/blobs/uploads/?mount={d}&from=a HTTP/1.1", "Content-Length: 0"),
        "catalog": head("GET /v2/_catalog?n=10&last=team%2Fapp HTTP/1.1"),
        "tags": head("GET /v2/a/b/c/tags/list?n=2 HTTP/1.1"),
        "referrers": head(f"GET /v2/app/referrers/{d}?artifactType=application%2Fspdx%2Bjson "
                          "HTTP/1.1"),
        "ecr-post": head("POST / HTTP/1.1", "Content-Type: application/x-amz-json-1.1",
                         "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.ListImages",
                         "Content-Length: 2"),
        "ecr-query": head("GET /?Action=ListImages&repositoryName=app+x HTTP/1.1"),
        "absolute-form": head("GET http://127.0.0.1:5000/v2/app/manifests/v1?x=%41 HTTP/1.1"),
        "chunked": head("PATCH /v2/app/blobs/uploads/u HTTP/1.1", "Transfer-Encoding: chunked"),
        "bad-escape": head("GET /v2/a%2/manifests/%00 HTTP/1.1"),
    }


def ecr_dict():
    """fuzz/dict/ecr_input.dict: every operation, member and enum value of
    the compiled-in ECR model (src/api/ecr/model/ecr_model_data.cpp)."""
    import re
    text = (REPO / "src/api/ecr/model/ecr_model_data.cpp").read_text()
    model = json.loads("".join(re.findall(r'R"ecrmodel\((.*?)\)ecrmodel"', text, re.S)))
    words = set(model["operations"])
    for shape in model["shapes"].values():
        words.update(f'"{m}":' for m in shape.get("members", {}))
        words.update(f'"{e}"' for e in shape.get("enum", []))
    lines = ["# ECR model vocabulary, generated by fuzz/make_seeds.py"]
    lines += ['"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in sorted(words)]
    (HERE / "dict" / "ecr_input.dict").write_text("\n".join(lines) + "\n")
    return len(words)


def lifecycle_policies():
    """The user guide's example policies and the archive pattern, each after an
    image spec line (one image per byte, see lifecycle_policy_fuzzer.cpp)."""
    def rule(priority, selection, action=None):
        return {"rulePriority": priority, "selection": selection, "action": action or {"type": "expire"}}
    count = lambda status, n, **kw: {"tagStatus": status, "countType": "imageCountMoreThan",
                                     "countNumber": n, **kw}
    age = lambda status, kind, n, **kw: {"tagStatus": status, "countType": kind, "countUnit": "days",
                                         "countNumber": n, **kw}
    archive = {"type": "transition", "targetStorageClass": "archive"}
    policies = {
        "age-prod-pattern": [rule(1, age("tagged", "sinceImagePushed", 14, tagPatternList=["prod*"]))],
        "count-untagged": [rule(1, count("untagged", 1))],
        "multiple-rules": [rule(1, count("tagged", 1, tagPrefixList=["prod"])),
                           rule(2, count("tagged", 1, tagPrefixList=["beta"]))],
        "multiple-tags": [rule(1, age("tagged", "sinceImagePushed", 5, tagPatternList=["alpha*", "beta*"]))],
        "all-images": [rule(1, count("tagged", 1, tagPatternList=["alpha*"])),
                       rule(2, age("untagged", "sinceImagePushed", 1)), rule(3, count("any", 1))],
        "archive-then-expire": [rule(1, age("any", "sinceImagePulled", 9), archive),
                                rule(2, age("any", "sinceImageTransitioned", 90, storageClass="archive"))],
        "wildcards": [rule(7, count("tagged", 2, tagPatternList=["*-*", "v*.*.*"])),
                      rule(9, age("tagged", "sinceImagePushed", 3, tagPrefixList=["latest"]), archive)],
    }
    spec = bytes(range(11, 120, 3)).decode("ascii")  # no "\\n": it ends the spec
    return {name: spec + "\n" + json.dumps({"rules": rules}) for name, rules in policies.items()}


def iam_policies():
    """The ECR user guide's repository policy examples and identity-policy
    shapes, each after a request spec line (see iam_policy_fuzzer.cpp)."""
    pull = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    push = ["ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload",
            "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]
    stmt = lambda effect, principal, action, **kw: {"Effect": effect, "Principal": principal,
                                                     "Action": action, **kw}
    policies = {
        "allow-pull-other-account": [stmt("Allow", {"AWS": "arn:aws:iam::222222222222:root"}, pull)],
        "allow-push-role": [stmt("Allow", {"AWS": "arn:aws:iam::111111111111:role/ci"}, push)],
        "deny-all-but-one-user": [
            stmt("Allow", {"AWS": "arn:aws:iam::111111111111:user/alice"}, "ecr:*"),
            stmt("Deny", "*", "ecr:*", Condition={
                "StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}})],
        "deny-outside-ip": [stmt("Deny", "*", "ecr:*", Condition={
            "NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}})],
        "not-principal": [{"Effect": "Deny", "NotPrincipal": {"AWS": ["111111111111"]},
                           "NotAction": "ecr:Describe*", "NotResource": "arn:aws:ecr:*:*:repository/open/*"}],
        "conditions": [stmt("Allow", {"AWS": "*"}, "ecr:Batch*", Condition={
            "ForAnyValue:StringLike": {"aws:TagKeys": ["team*"]},
            "DateLessThanIfExists": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
            "Bool": {"aws:SecureTransport": True}, "StringEquals": {"aws:ResourceTag/team": "blue"},
            "Null": {"aws:username": "false"}, "NumericGreaterThan": {"aws:EpochTime": 1}})],
        "identity": [{"Effect": "Allow", "Action": ["ecr:*"],
                      "Resource": "arn:aws:ecr:*:111111111111:repository/team/*"}],
    }
    spec = "".join(chr(c) for c in range(33, 45))
    return {name: spec + "\n" + json.dumps({"Version": "2012-10-17", "Statement": st})
            for name, st in policies.items()}


def main():
    corpora = {"iam_policy": iam_policies(), "manifest": manifests(), "reference": references(), "sigv4": sigv4(),
               "ecr_input": ecr_input(), "http_request": http_request(),
               "lifecycle_policy": lifecycle_policies()}
    for target, seeds in corpora.items():
        d = CORPUS / target
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for name, text in seeds.items():
            (d / name).write_bytes(text.encode())
        print(f"{target}: {len(seeds)} seeds, {sum(len(t.encode()) for t in seeds.values())} bytes")
    print(f"dict/ecr_input.dict: {ecr_dict()} words")


if __name__ == "__main__":
    main()
