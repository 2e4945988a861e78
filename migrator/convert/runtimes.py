"""Run conversion code in another TensorFlow env's interpreter: found, started, timed out, restarted.

The tox matrix has one env per TensorFlow line (tf212, tf215, tf216, tf221). A legacy model is best
loaded by the runtime of its era (tf.keras 2.15 for a Keras 2 HDF5) and the converted model by the
newest one; both run here as *workers*: `python -m migrator.convert.worker` subprocesses that
answer JSON requests one per line, so TensorFlow is imported once per runtime, not once per model,
and a crash or hang costs one request (the worker is killed and restarted), never the batch.

Interpreters are only ever the ones the user names or installed, never guessed from machine
paths: first `MIGRATOR_RUNTIME_<NAME>` (e.g. `MIGRATOR_RUNTIME_TF215=/path/to/python`, set by
tox), then `[tool.migrator] runtimes = {tf215 = "/path/to/python"}` in the nearest
`pyproject.toml` (`runtime_config.py`), then the env `migrator runtimes install` made in the
per-user cache (`managed.py`), used only when its install completed. The names are the TF lines'
env names (`knowledge.tf_lines.ENV_NAMES`).
Finding one reads package metadata only; TensorFlow is imported by workers alone.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from migrator.convert.managed import env_variable, verified_python
from migrator.convert.runtime_config import configured_python
from migrator.errors import ConversionError, RuntimeUnavailable, WorkerCrashed
from migrator.knowledge import tf_lines, versions

# The folder holding the `migrator` package: put first on the workers' PYTHONPATH so every runtime
# runs this very source, not an older copy installed in its env.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
REPLY_PREFIX = "@@migrator-reply@@ "

# The runtime names the project knows, oldest first. The last one found is "the latest".
RUNTIME_NAMES: tuple[str, ...] = tf_lines.ENV_NAMES

_PROBE = (
    "import json, sys, importlib.metadata as m\n"
    "def v(*names):\n"
    "    for n in names:\n"
    "        try:\n"
    "            return m.version(n)\n"
    "        except m.PackageNotFoundError:\n"
    "            pass\n"
    "    return None\n"
    "print(json.dumps({'python': sys.version.split()[0],"
    " 'tensorflow': v('tensorflow', 'tensorflow-cpu', 'tensorflow-intel'),"
    " 'keras': v('keras'), 'tf_keras': v('tf-keras', 'tf_keras'), 'h5py': v('h5py'),"
    " 'numpy': v('numpy')}))\n"
)


@dataclass(frozen=True)
class Runtime:
    """One Python interpreter with a TensorFlow line installed, described by package metadata."""

    name: str
    python: Path
    tensorflow: str | None
    keras: str | None
    tf_keras: str | None
    numpy: str | None = None

    @property
    def keras_major(self) -> int:
        """Major version of the `keras` package (`tf.keras` in TF <= 2.15 is Keras 2)."""
        return versions.major(self.keras) or 0

    @property
    def has_keras3(self) -> bool:
        return self.keras_major >= 3

    @property
    def has_tf_keras(self) -> bool:
        return self.tf_keras is not None

    @property
    def tf_line(self) -> tuple[int, int]:
        return versions.minor_line(self.tensorflow) or (0, 0)

    def describe(self) -> str:
        parts = [f"tensorflow {self.tensorflow}", f"keras {self.keras}"]
        if self.tf_keras:
            parts.append(f"tf-keras {self.tf_keras}")
        return f"{self.name} ({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "python": str(self.python),
            "tensorflow": self.tensorflow,
            "keras": self.keras,
            "tf_keras": self.tf_keras,
        }


def candidates(name: str) -> Iterable[tuple[str, Path]]:
    """(where it was named, interpreter) for runtime `name`, in order of precedence:
    environment variable, pyproject, then the managed cache (only a completed install)."""
    env = os.environ.get(env_variable(name))
    if env:
        yield env_variable(name), Path(env)
    configured = configured_python(name)
    if configured is not None:
        yield "[tool.migrator] runtimes", configured
    managed = verified_python(name)
    if managed is not None:
        yield "managed", managed


def _candidates(name: str) -> Iterable[Path]:
    for _origin, path in candidates(name):
        yield path


def how_to_provide(name: str) -> str:
    """The command that installs runtime `name`, and the override for an env of one's own."""
    line = tf_lines.by_env(name)
    pins = ", ".join(f"{dist}=={version}" for dist, version in line.pins().items())
    return (
        f"run `migrator runtimes install {name}` (or convert with --install-runtimes); to use "
        f"an env of your own (Python <= {line.python_max}, {pins}) set "
        f"{env_variable(name)}=/path/to/python"
    )


@cache
def probe(python: str) -> dict[str, Any] | None:
    """Package versions of an interpreter, without importing TensorFlow (None if it will not run)."""
    try:
        out = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find(name: str) -> Runtime | None:
    """The runtime called `name` (e.g. "tf215"), or None when no interpreter for it exists."""
    for path in _candidates(name):
        if not path.exists():
            continue
        info = probe(str(path))
        if info and info.get("tensorflow"):
            return Runtime(
                name,
                path,
                info["tensorflow"],
                info.get("keras"),
                info.get("tf_keras"),
                info.get("numpy"),
            )
    return None


def current() -> Runtime | None:
    """This interpreter as a runtime, when it has TensorFlow installed."""
    info = probe(sys.executable)
    if not info or not info.get("tensorflow"):
        return None
    major, minor = info["tensorflow"].split(".")[:2]
    return Runtime(
        f"tf{major}{minor}",
        Path(sys.executable),
        info["tensorflow"],
        info.get("keras"),
        info.get("tf_keras"),
        info.get("numpy"),
    )


def available() -> list[Runtime]:
    """Every runtime found, oldest TensorFlow first; this interpreter included when it has TF."""
    found: dict[str, Runtime] = {}
    for name in RUNTIME_NAMES:
        runtime = find(name)
        if runtime is not None:
            found[name] = runtime
    here = current()
    if here is not None and not any(
        r.python.resolve() == here.python.resolve() for r in found.values()
    ):
        found.setdefault(here.name, here)
    return sorted(found.values(), key=lambda r: r.tf_line)


def latest() -> Runtime:
    """The newest TensorFlow with Keras 3: where steps run and outputs are validated."""
    keras3 = [r for r in available() if r.has_keras3]
    if not keras3:
        newest = tf_lines.newest()
        raise RuntimeUnavailable(
            "migrator",
            f"conversion needs a TensorFlow runtime with Keras 3 and none was found (runtime "
            f"{newest.env}: tensorflow {newest.tensorflow}, keras {newest.keras})",
            how_to_provide(newest.env),
        )
    return keras3[-1]


class Worker:
    """A `python -m migrator.convert.worker` subprocess of one runtime, restarted on demand."""

    def __init__(
        self, runtime: Runtime, *, extra_paths: Iterable[Path] = (), onednn: bool = False
    ) -> None:
        self.runtime = runtime
        self.extra_paths = tuple(Path(p).resolve() for p in extra_paths)
        self.onednn = onednn
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._next_id = 0
        self._log: Path | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(PACKAGE_ROOT), os.getcwd(), *map(str, self.extra_paths)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # oneDNN reorders float arithmetic differently in each TF release, which would make the
        # same model differ by more than 1e-5 between runtimes; TensorFlow's own CPU kernels do
        # not. They lack channels-first convolutions, though, so those models run with oneDNN.
        env["TF_ENABLE_ONEDNN_OPTS"] = "1" if self.onednn else "0"
        env.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        env.setdefault("KERAS_BACKEND", "tensorflow")
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONHASHSEED"] = "0"
        return env

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        fd, log = tempfile.mkstemp(prefix=f"migrator-{self.runtime.name}-", suffix=".log")
        self._log = Path(log)
        self._lines = queue.Queue()
        self._proc = subprocess.Popen(
            [str(self.runtime.python), "-u", "-m", "migrator.convert.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=fd,
            text=True,
            env=self._env(),
            start_new_session=True,
        )
        os.close(fd)
        threading.Thread(target=self._pump, args=(self._proc, self._lines), daemon=True).start()

    @staticmethod
    def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(REPLY_PREFIX):
                lines.put(line[len(REPLY_PREFIX) :])
        lines.put(None)

    def stderr_tail(self, limit: int = 1500) -> str:
        if self._log is None or not self._log.exists():
            return ""
        try:
            text = self._log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [ln for ln in text.splitlines() if ln.strip() and not _is_noise(ln)]
        return "\n".join(lines)[-limit:]

    def call(self, op: str, args: Mapping[str, Any], *, timeout: float, subject: str) -> Any:
        """Run `op` in the worker; its result, or the `ConversionError` it raised, re-raised here.

        `subject` names the artifact in error messages.
        """
        self.start()
        assert self._proc is not None and self._proc.stdin is not None
        self._next_id += 1
        request = {"id": self._next_id, "op": op, "args": dict(args)}
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._died(subject, op)
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
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
        code = self._proc.poll() if self._proc else None
        tail = self.stderr_tail(600)
        self.stop()
        how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
        raise WorkerCrashed(
            subject,
            f"the {self.runtime.name} worker died during {op} ({how})"
            + (f": {tail.splitlines()[-1]}" if tail else ""),
            "the model crashes this TensorFlow build; report it with the file attached",
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None


def _is_noise(line: str) -> bool:
    noise = (
        "oneDNN custom operations",
        "cuda drivers",
        "cudart_stub",
        "To enable the following",
        "rebuild TensorFlow",
        "AVX",
        "absl::InitializeLog",
        "TF-TRT Warning",
    )
    return any(n in line for n in noise)


class Pool:
    """One lazily started worker per runtime; `close()` stops them all."""

    def __init__(self, *, extra_paths: Iterable[Path] = ()) -> None:
        self.extra_paths = tuple(extra_paths)
        self._workers: dict[str, Worker] = {}

    def worker(self, runtime: Runtime, *, onednn: bool = False) -> Worker:
        key = f"{runtime.python}|{onednn}"
        if key not in self._workers:
            self._workers[key] = Worker(runtime, extra_paths=self.extra_paths, onednn=onednn)
        return self._workers[key]

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()
        self._workers.clear()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error_types() -> dict[str, type[ConversionError]]:
    from migrator import errors

    return {
        cls.__name__: cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, ConversionError)
    }


_ERROR_TYPES = _error_types()
