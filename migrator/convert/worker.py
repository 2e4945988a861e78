"""The worker loop: one JSON request per line, one reply per line (client: `worker_client`).

Runs inside a TensorFlow env's interpreter (any of the tox matrix), forked from the runtime's
fork server (`forkserver`, requests and replies on a socket) or started on its own
(`python -m migrator.convert.worker`, requests on stdin, replies on the original stdout). Replies
carry a prefix and everything libraries print is redirected to stderr, so TensorFlow's chatter
can never corrupt the protocol. Only the operations listed in `OPS` can be called.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any, TextIO

REPLY_PREFIX = "@@migrator-reply@@ "

# op name -> (module, function). Steps are called as "step:<name>" (see `registry`).
OPS: dict[str, tuple[str, str]] = {
    "run_keras": ("migrator.convert.runner", "run_keras"),
    "preload_keras": ("migrator.convert.runner", "preload_keras"),
    "run_mlflow": ("migrator.convert.mlflow_runs", "run_mlflow"),
    "run_saved_model": ("migrator.convert.graph_runs", "run_saved_model"),
    "run_tf1_saved_model": ("migrator.convert.graph_runs", "run_tf1_saved_model"),
    "run_graph_def": ("migrator.convert.graph_runs", "run_graph_def"),
    "run_session_bundle": ("migrator.convert.graph_runs", "run_session_bundle"),
    "held_weights": ("migrator.convert.run_results", "held_weights"),
    "release": ("migrator.convert.run_results", "release"),
    "versions": ("migrator.convert.run_results", "versions"),
}


def _resolve(op: str) -> Any:
    if op.startswith("step:"):
        from migrator.convert import registry

        step = registry.step_named(op.split(":", 1)[1])
        return importlib.import_module(f"{registry.STEPS_PACKAGE}.{step.module}").run
    if op not in OPS:
        raise KeyError(f"unknown worker operation {op!r}")
    module, func = OPS[op]
    return getattr(importlib.import_module(module), func)


def _error_reply(exc: BaseException, op: str) -> dict[str, Any]:
    """A failure as the reply's error. A `ConversionError` is the step's own verdict; anything
    else is a migrator bug, said in one line that names the step, the exception and where it
    was raised, and what to report (the traceback is in the worker's log, never shown)."""
    from migrator.errors import ConversionError, first_line

    if isinstance(exc, ConversionError):
        return exc.to_json()
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    if tb:
        frame = next((f for f in reversed(tb) if "/migrator/" in f.filename), tb[-1])
        module = frame.filename.replace("\\", "/").rsplit("/migrator/", 1)[-1]
        where = f" in {module}:{frame.lineno} ({frame.name})"
    what = op.split(":", 1)[1] if op.startswith("step:") else op
    return {
        "type": "ConversionError",
        "problem": f"internal error in {what}: {type(exc).__name__}: {first_line(exc, 400)}{where}",
        "remedy": "this is a migrator bug; please report it with this line and the output of "
        "`migrator inspect --json` on the file",
    }


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer requests until `requests` ends (the main process closed it, or died)."""
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            result = _resolve(request["op"])(**request.get("args", {}))
            reply = {"id": request.get("id"), "ok": True, "result": result}
        except BaseException as exc:  # every failure becomes a reply; the loop goes on
            if isinstance(exc, KeyboardInterrupt):
                raise
            traceback.print_exc(file=sys.stderr)
            reply = {
                "id": request.get("id"),
                "ok": False,
                "error": _error_reply(exc, str(request.get("op", ""))),
            }
        replies.write(REPLY_PREFIX + json.dumps(reply, default=str) + "\n")
        replies.flush()


def protect_replies() -> None:
    """Send whatever libraries print (to stdout or stderr) to fd 2, the worker's log."""
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    protect_replies()
    serve(sys.stdin, proto)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
