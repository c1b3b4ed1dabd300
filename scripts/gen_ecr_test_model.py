#!/usr/bin/env python3
"""Writes the ECR service model the integration tests load into botocore
(tests/integration/data/ecr-model/), without its documentation: only the
wire contract (operations, shapes, constraints), the paginators and the
waiters. Debian's botocore is older than the model berth implements, so the
tests give botocore this one.

Usage: scripts/gen_ecr_test_model.py PATH/TO/ecr-api-model OUT_DIR
"""
import json
import sys
from pathlib import Path


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items()
                if k not in ("documentation", "documentationUrl")}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name in ("service-2.json", "paginators-1.json", "waiters-2.json"):
        doc = strip_docs(json.loads((src / name).read_text()))
        (out / name).write_text(json.dumps(doc, separators=(",", ":"), sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
