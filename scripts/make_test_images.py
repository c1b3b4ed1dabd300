#!/usr/bin/python3
"""Generate deterministic OCI image layouts for berth's integration tests.

Everything is derived from a seed: the same arguments always produce the same
bytes (tar entries and gzip headers carry mtime=0, no user names, fixed modes),
so digests are stable across runs and machines.

A layout is the directory form of the OCI image-spec (image-layout.md):

    LAYOUT/oci-layout          {"imageLayoutVersion": "1.0.0"}
    LAYOUT/index.json          top-level index; each tag is a descriptor
                               annotated with org.opencontainers.image.ref.name
    LAYOUT/blobs/sha256/<hex>  every blob, manifest and index by digest

Usable in two ways:
  * as a module (conftest imports it): make_image(), make_multiarch(), ...
  * as a CLI, e.g.
      make_test_images.py OUT --tag v1 --seed 7 --layers 3 --layer-size 65536
      make_test_images.py OUT --tag multi --multiarch --platforms linux/amd64,linux/arm64,linux/arm/v7

Only the standard library is used; run it with /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile
from dataclasses import dataclass, field
from typing import Iterable, Sequence

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
FIXED_CREATED = "2024-01-01T00:00:00Z"
DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj) -> bytes:
    """Stable JSON encoding used for every generated config and manifest."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Blob:
    digest: str
    size: int
    media_type: str
    data: bytes = field(repr=False)

    def descriptor(self, **extra) -> dict:
        d = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        d.update(extra)
        return d


@dataclass
class Image:
    """One single-platform image as written into a layout."""

    manifest: Blob
    config: Blob
    layers: list[Blob]
    platform: dict | None = None

    @property
    def blobs(self) -> list[Blob]:
        return [self.config, *self.layers]


@dataclass
class MultiArch:
    index: Blob
    images: list[Image]

    @property
    def manifests(self) -> list[Blob]:
        return [self.index] + [img.manifest for img in self.images]

    @property
    def blobs(self) -> list[Blob]:
        out: dict[str, Blob] = {}
        for img in self.images:
            for b in img.blobs:
                out[b.digest] = b
        return list(out.values())


# --------------------------------------------------------------------------
# Content generation (pure: returns bytes, touches no files)


def random_bytes(rng: random.Random, n: int) -> bytes:
    return rng.randbytes(n) if n else b""


def make_layer_tar(rng: random.Random, size: int, files: int = 2) -> bytes:
    """An uncompressed tar holding `files` regular files totalling ~`size` bytes
    of random (incompressible) content, plus one directory entry."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        d = tarfile.TarInfo("data")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        d.mtime = 0
        tar.addfile(d)
        files = max(1, files)
        per = size // files
        for i in range(files):
            n = per if i < files - 1 else size - per * (files - 1)
            payload = random_bytes(rng, n)
            ti = tarfile.TarInfo(f"data/file{i:03d}.bin")
            ti.size = len(payload)
            ti.mode = 0o644
            ti.mtime = 0
            tar.addfile(ti, io.BytesIO(payload))
    return buf.getvalue()


def gzip_deterministic(data: bytes, level: int = 1) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=level) as gz:
        gz.write(data)
    return buf.getvalue()


def make_layer(rng: random.Random, size: int) -> tuple[Blob, str]:
    """Returns (compressed layer blob, diff_id of the uncompressed tar)."""
    tar = make_layer_tar(rng, size)
    gz = gzip_deterministic(tar)
    return Blob(sha256_digest(gz), len(gz), MT_OCI_LAYER_GZIP, gz), sha256_digest(tar)


def parse_platform(text: str) -> dict:
    parts = text.split("/")
    if len(parts) not in (2, 3):
        raise ValueError(f"platform must be os/arch[/variant]: {text!r}")
    p = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        p["variant"] = parts[2]
    return p


def build_image(seed: int, layer_sizes: Sequence[int], platform: str = "linux/amd64",
                annotations: dict | None = None) -> Image:
    """Generate config, layers and manifest for one image (no I/O)."""
    rng = random.Random(f"berth-image-{seed}-{platform}")
    layers, diff_ids = [], []
    for size in layer_sizes:
        blob, diff_id = make_layer(rng, size)
        layers.append(blob)
        diff_ids.append(diff_id)
    plat = parse_platform(platform)
    config = {
        "created": FIXED_CREATED,
        "architecture": plat["architecture"],
        "os": plat["os"],
        "config": {"Env": ["PATH=/usr/bin:/bin", f"BERTH_SEED={seed}"], "Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": FIXED_CREATED, "created_by": f"make_test_images layer {i}"}
                    for i in range(len(layers))],
    }
    if "variant" in plat:
        config["variant"] = plat["variant"]
    cbytes = canonical_json(config)
    cblob = Blob(sha256_digest(cbytes), len(cbytes), MT_OCI_CONFIG, cbytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "config": cblob.descriptor(),
        "layers": [b.descriptor() for b in layers],
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    mbytes = canonical_json(manifest)
    mblob = Blob(sha256_digest(mbytes), len(mbytes), MT_OCI_MANIFEST, mbytes)
    return Image(mblob, cblob, layers, plat)


def build_multiarch(seed: int, layer_sizes: Sequence[int],
                    platforms: Sequence[str] = DEFAULT_PLATFORMS) -> MultiArch:
    images = [build_image(seed, layer_sizes, p) for p in platforms]
    index = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_INDEX,
        "manifests": [img.manifest.descriptor(platform=img.platform) for img in images],
    }
    ibytes = canonical_json(index)
    return MultiArch(Blob(sha256_digest(ibytes), len(ibytes), MT_OCI_INDEX, ibytes), images)


# --------------------------------------------------------------------------
# Layout writing


def init_layout(layout: str) -> None:
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    idx = os.path.join(layout, "index.json")
    if not os.path.exists(idx):
        with open(idx, "wb") as f:
            f.write(canonical_json({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": []}))


def blob_path(layout: str, digest: str) -> str:
    algo, hexpart = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexpart)


def write_blobs(layout: str, blobs: Iterable[Blob]) -> None:
    for b in blobs:
        path = blob_path(layout, b.digest)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(b.data)


def add_ref(layout: str, target: Blob, tag: str, platform: dict | None = None) -> None:
    """Point `tag` (org.opencontainers.image.ref.name) at `target` in index.json."""
    idx_path = os.path.join(layout, "index.json")
    with open(idx_path, "rb") as f:
        index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get(REF_NAME) != tag]
    desc = target.descriptor(annotations={REF_NAME: tag})
    if platform:
        desc["platform"] = platform
    index["manifests"].append(desc)
    with open(idx_path, "wb") as f:
        f.write(canonical_json(index))


def make_image(layout: str, tag: str, seed: int = 1, layer_sizes: Sequence[int] = (4096, 65536),
               platform: str = "linux/amd64", annotations: dict | None = None) -> Image:
    """Write one single-platform image into `layout` under `tag`; returns it."""
    init_layout(layout)
    img = build_image(seed, layer_sizes, platform, annotations)
    write_blobs(layout, [*img.blobs, img.manifest])
    add_ref(layout, img.manifest, tag)
    return img


def make_multiarch(layout: str, tag: str, seed: int = 1, layer_sizes: Sequence[int] = (4096, 32768),
                   platforms: Sequence[str] = DEFAULT_PLATFORMS) -> MultiArch:
    """Write a multi-platform image: index.json's `tag` names an image index
    whose children are one manifest per platform."""
    init_layout(layout)
    ma = build_multiarch(seed, layer_sizes, platforms)
    write_blobs(layout, [*ma.blobs, *[img.manifest for img in ma.images], ma.index])
    add_ref(layout, ma.index, tag)
    return ma


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("layout", help="output directory (created; existing tags are kept)")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layers", type=int, default=2, help="number of layers (with a single --layer-size)")
    ap.add_argument("--layer-size", default="65536",
                    help="uncompressed bytes per layer; a comma list gives one size per layer")
    ap.add_argument("--multiarch", action="store_true", help="write an image index")
    ap.add_argument("--platforms", default=",".join(DEFAULT_PLATFORMS))
    ap.add_argument("--platform", default="linux/amd64", help="platform of a single image")
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.layer_size.split(",")]
    if len(sizes) == 1:
        sizes = sizes * args.layers  # a list of sizes sets the layer count by itself
    if args.multiarch:
        ma = make_multiarch(args.layout, args.tag, args.seed, sizes, args.platforms.split(","))
        print(f"{args.layout}:{args.tag} index {ma.index.digest}")
        for img in ma.images:
            plat = "/".join(img.platform[k] for k in ("os", "architecture", "variant") if k in img.platform)
            print(f"  {plat} {img.manifest.digest}")
    else:
        img = make_image(args.layout, args.tag, args.seed, sizes, args.platform)
        print(f"{args.layout}:{args.tag} manifest {img.manifest.digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
