"""Talk to one worker process of a runtime: call it under a deadline, replace it when it fails.

A worker answers JSON requests one per line (`worker.serve`); how it is started and ended is
`worker_processes` (forked from its runtime's fork server, or spawned). A request that overruns
its timeout gets the worker killed, a worker that dies is reported by exit code or signal, and
the next call starts a new one, so a crash or hang costs one request, never the batch.
"""

from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from migrator.convert.runtimes import Runtime
from migrator.convert.worker_processes import ForkServer, Process, Spawned, is_noise, worker_env
from migrator.errors import ConversionError, WorkerCrashed

REPLY_PREFIX = "@@migrator-reply@@ "


class Worker:
    """One worker process of one runtime, started on first call and after a crash or hang."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        extra_paths: Iterable[Path] = (),
        onednn: bool = False,
        server: ForkServer | None = None,
        threads: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.extra_paths = tuple(Path(p).resolve() for p in extra_paths)
        self.onednn = onednn
        self.threads = threads  # TensorFlow pool size of a spawned worker (`fair_threads`)
        self.server = server
        self._proc: Process | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._next_id = 0
        self._log: Path | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        """Started and not stopped since (a crash or timeout stops it)."""
        return self._proc is not None

    def start(self) -> None:
        if self._proc is not None:
            return
        fd, log = tempfile.mkstemp(prefix=f"migrator-{self.runtime.name}-", suffix=".log")
        self._log = Path(log)
        self._lines = queue.Queue()
        try:
            forked = self.server.fork(self._log) if self.server is not None else None
            if forked is not None:
                self._proc = forked
            else:
                env = worker_env(self.extra_paths, self.onednn, self.threads)
                self._proc = Spawned(self.runtime, env, fd)
        except BaseException:
            self._log.unlink(missing_ok=True)
            self._log = None
            raise
        finally:
            os.close(fd)
        threading.Thread(target=self._pump, args=(self._proc, self._lines), daemon=True).start()

    @staticmethod
    def _pump(proc: Process, lines: queue.Queue[str | None]) -> None:
        try:
            for line in proc.lines():
                if line.startswith(REPLY_PREFIX):
                    lines.put(line[len(REPLY_PREFIX) :])
        except (OSError, ValueError):
            pass
        lines.put(None)

    def stderr_tail(self, limit: int = 1500) -> str:
        if self._log is None or not self._log.exists():
            return ""
        try:
            text = self._log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [ln for ln in text.splitlines() if ln.strip() and not is_noise(ln)]
        return "\n".join(lines)[-limit:]

    def call(self, op: str, args: Mapping[str, Any], *, timeout: float, subject: str) -> Any:
        """Run `op` in the worker; its result, or the `ConversionError` it raised, re-raised here.

        `subject` names the artifact in error messages.
        """
        self.start()
        assert self._proc is not None
        self._next_id += 1
        request = {"id": self._next_id, "op": op, "args": dict(args)}
        try:
            self._proc.send(json.dumps(request) + "\n")
        except (BrokenPipeError, OSError, ValueError):
            return self._died(subject, op)
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.stop(kill=True)
            raise WorkerCrashed(
                subject,
                f"{op} did not finish within {timeout:.0f} s in {self.runtime.name} "
                "(the worker was stopped)",
                "pass a larger --timeout if the model is very large",
            ) from None
        if line is None:
            return self._died(subject, op)
        reply = json.loads(line)
        if reply.get("ok"):
            return reply.get("result")
        error = reply.get("error") or {}
        cls = _ERROR_TYPES.get(error.get("type", ""), ConversionError)
        raise cls(subject, error.get("problem", "unknown error"), error.get("remedy", ""))

    def _died(self, subject: str, op: str) -> Any:
        code = self._proc.exit_code(5) if self._proc else None
        tail = self.stderr_tail(600)
        self.stop(kill=True)
        if code is None:
            how = "no exit status"
        else:
            how = f"exit code {code}" if code >= 0 else f"signal {-code}"
        raise WorkerCrashed(
            subject,
            f"the {self.runtime.name} worker died during {op} ({how})"
            + (f": {tail.splitlines()[-1]}" if tail else ""),
            "the model crashes this TensorFlow build; report it with the file attached",
        )

    def request_exit(self) -> None:
        """End the worker's input: it exits after its current request (see `stop`)."""
        if self._proc is not None:
            self._proc.close_input()

    def stop(self, *, kill: bool = False) -> None:
        """End the worker: politely (end of input, 5 s to exit) unless `kill`, then SIGKILL."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if not kill:
                proc.close_input()
                proc.exit_code(5)
            proc.kill()  # a no-op for a worker that has exited; releases its channel
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None


def _error_types() -> dict[str, type[ConversionError]]:
    from migrator import errors

    return {
        cls.__name__: cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, ConversionError)
    }


_ERROR_TYPES = _error_types()
