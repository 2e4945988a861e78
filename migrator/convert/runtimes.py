"""The TensorFlow runtimes conversion can use: found, described, the newest chosen.

The tox matrix has one env per TensorFlow line (tf212, tf215, tf216, tf221). A legacy model is best
loaded by the runtime of its era (tf.keras 2.15 for a Keras 2 HDF5) and the converted model by the
newest one; both run in worker processes of those runtimes (`worker_client`, pooled for a batch
by `runtime_pool`). This module only finds them.

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
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from migrator.convert.managed import env_variable, verified_python
from migrator.convert.runtime_config import configured_python
from migrator.errors import RuntimeUnavailable
from migrator.knowledge import tf_lines, versions

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
    """Every runtime found, oldest TensorFlow first; this interpreter included when it has TF.

    The interpreters are probed at once (each probe starts a Python: 0.7 s one after another
    for four runtimes, on the path of every conversion)."""
    with ThreadPoolExecutor(max_workers=len(RUNTIME_NAMES)) as executor:
        runtimes = list(executor.map(find, RUNTIME_NAMES))
    found = {r.name: r for r in runtimes if r is not None}
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
