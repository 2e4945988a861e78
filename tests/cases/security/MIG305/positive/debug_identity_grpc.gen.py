"""MIG305 (unsafe-graph-ops) positive case: the rule must fire here.

An artifact with the pattern: TensorFlow ops that read or write files, reach the network or run
Python.
"""

from __future__ import annotations

from pathlib import Path

from tests.cases._writers import node, saved_model, tf2_graph


def build(folder: Path) -> Path:
    target = folder / "debug_identity_grpc"
    return saved_model(
        target,
        tf2_graph(
            call_nodes=[
                node(
                    "DebugIdentityV3",
                    "DebugIdentityV3",
                    ["x"],
                    {"debug_urls": ["grpc://10.0.0.1:6064"]},
                )
            ]
        ),
    )
