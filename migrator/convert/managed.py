"""Managed runtimes: the pinned interpreter of each TF line, installed into a per-user cache.

`migrator runtimes install tf215` makes a virtual env holding exactly the pins of that line in
`knowledge/tf_lines.py` (the same pins tox installs), so a user never has to build the envs of
older TensorFlow releases by hand. The cache folder is, first found:
`MIGRATOR_RUNTIMES_DIR`, `[tool.migrator] runtimes-dir` in the nearest pyproject.toml, then
`$XDG_CACHE_HOME/migrator/runtimes` (`~/.cache/migrator/runtimes` without XDG_CACHE_HOME).

An install that dies half-way must never be used, whatever killed it: the env is built in a
hidden temporary folder beside its final place, its package versions are probed (metadata only,
no TensorFlow import) and checked against the pins, a marker file recording them is written
last, and only then is the folder renamed into place. On use, an env counts only when its marker
is there, is readable, names the same runtime and pins as the table, and the interpreter still
reports the recorded TensorFlow. Anything else is reported as broken, never run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import InstallFailed
from migrator.knowledge import tf_lines, versions

MARKER = "migrator-runtime.json"
MARKER_SCHEMA = 1
ENV_DIR = "MIGRATOR_RUNTIMES_DIR"
PARTIAL_PREFIX = ".partial-"  # temporary build folders: `.partial-tf215-<random>`

Say = Callable[[str], None]


def cache_dir() -> Path:
    """Where managed runtimes live (see the module docstring for the order of the settings)."""
    from migrator.convert.runtime_config import configured_runtimes_dir

    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    configured = configured_runtimes_dir(Path.cwd())
    if configured is not None:
        return configured
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "migrator" / "runtimes"


def interpreter(env_root: Path) -> Path:
    """The python of a virtual env folder (POSIX `bin/python`, Windows `Scripts/python.exe`)."""
    if os.name == "nt":
        return env_root / "Scripts" / "python.exe"
    return env_root / "bin" / "python"


@dataclass(frozen=True)
class Installed:
    """What one folder of the cache holds: a usable runtime, or why it is not one."""

    name: str
    root: Path
    marker: dict[str, Any] | None  # the marker's content when it is valid
    problem: str = ""  # why the folder is not used ("" when it is usable)

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def python(self) -> Path:
        return interpreter(self.root)


def inspect(name: str, root: Path | None = None) -> Installed | None:
    """The managed env of runtime `name` in the cache, checked, or None when there is none."""
    folder = (cache_dir() if root is None else root) / name
    if not folder.exists():
        return None
    marker_path = folder / MARKER
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Installed(name, folder, None, "no completion marker (an install that never ended)")
    except (OSError, ValueError) as exc:
        return Installed(name, folder, None, f"unreadable completion marker ({exc})")
    if not isinstance(marker, dict) or marker.get("runtime") != name:
        return Installed(name, folder, None, "completion marker names another runtime")
    expected = tf_lines.by_env(name).pins()
    if marker.get("pins") != expected:
        return Installed(
            name, folder, marker, "installed with other pins than this migrator's; reinstall it"
        )
    if not interpreter(folder).exists():
        return Installed(name, folder, marker, "its python is missing")
    return Installed(name, folder, marker)


def verified_python(name: str) -> Path | None:
    """The interpreter of the managed runtime `name` when it is complete and still intact.

    The marker alone could outlive a damaged env (deleted site-packages): the interpreter is
    probed too, and must report the TensorFlow the marker recorded.
    """
    from migrator.convert.runtimes import probe

    found = inspect(name)
    if found is None or not found.usable or found.marker is None:
        return None
    info = probe.__wrapped__(str(found.python))  # uncached: the env may have changed since
    if not info or info.get("tensorflow") != found.marker.get("versions", {}).get("tensorflow"):
        return None
    return found.python


def partial_builds(root: Path | None = None) -> list[Path]:
    """Temporary build folders left by installs that were killed: never used, safe to delete."""
    folder = cache_dir() if root is None else root
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(PARTIAL_PREFIX))


def disk_size(path: Path) -> int:
    """Bytes under `path`, symlinks not followed (an env's python links to the base install)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def python_version(python: Path) -> str | None:
    """`X.Y.Z` of an interpreter, by running it (None when it does not run)."""
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def check_host(name: str, python: Path) -> str:
    """Why `python` cannot host runtime `name` ("" when it can): TF wheels stop at a Python."""
    line = tf_lines.by_env(name)
    version = python_version(python)
    if version is None:
        return f"{python} does not run; pass --python with a working interpreter"
    have = versions.minor_line(version)
    top = versions.minor_line(line.python_max)
    if have is not None and top is not None and have > top:
        return (
            f"{name} (tensorflow-cpu {line.tensorflow}) has wheels up to Python "
            f"{line.python_max} only and {python} is Python {version}; install it with "
            f"`migrator runtimes install {name} --python /path/to/python{line.python_max}`, or "
            f"point {env_variable(name)} at an interpreter that has "
            f"{', '.join(f'{d}=={v}' for d, v in line.pins().items())}"
        )
    return ""


def env_variable(name: str) -> str:
    """The environment variable that names runtime `name`'s interpreter."""
    return f"MIGRATOR_RUNTIME_{name.upper()}"


def install(
    name: str,
    *,
    python: Path | None = None,
    force: bool = False,
    say: Say = lambda _line: None,
    root: Path | None = None,
) -> Installed:
    """Install runtime `name` into the cache; the checked result. Raises `InstallFailed`."""
    from migrator.convert.runtimes import probe

    line = tf_lines.by_env(name)
    folder = cache_dir() if root is None else root
    target = folder / name
    current = inspect(name, folder)
    if current is not None and current.usable and not force:
        say(f"{name}: already installed in {target}")
        return current
    base = Path(python) if python is not None else Path(sys.executable)
    problem = check_host(name, base)
    if problem:
        raise InstallFailed(problem)
    folder.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}{name}-", dir=folder))
    try:
        tool = _make_env(build, base, say, name)
        pins = [f"{dist}=={version}" for dist, version in line.pins().items()]
        say(f"{name}: installing {' '.join(pins)} with {tool}")
        _install_pins(build, pins, tool, say, name)
        info = probe(str(interpreter(build)))
        got = {
            "tensorflow-cpu": (info or {}).get("tensorflow"),
            "keras": (info or {}).get("keras"),
            "tf-keras": (info or {}).get("tf_keras"),
        }
        expected = {"keras": line.keras, **line.pins()}  # tf.keras lines: keras comes with TF
        wrong = [f"{d} {got[d]} (pinned {v})" for d, v in expected.items() if got[d] != v]
        if not info or wrong:
            raise InstallFailed(
                f"{name}: the new env does not hold the pinned versions ({', '.join(wrong)}); "
                "nothing was installed; check the package index pip uses"
            )
        marker = {
            "schema": MARKER_SCHEMA,
            "runtime": name,
            "pins": line.pins(),
            "versions": info,
            "python": info.get("python"),
            "base_python": str(base),
            "tool": tool,
        }
        _write_marker(build / MARKER, marker)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(build, 0o777 & ~umask)  # mkdtemp made it private; an env is readable as usual
        if target.exists():
            say(f"{name}: replacing the previous {target}")
            _remove_tree(target, folder)
        os.replace(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    say(f"{name}: installed in {target}")
    result = inspect(name, folder)
    assert result is not None
    return result


def remove(name: str, root: Path | None = None) -> bool:
    """Delete the managed env of `name` (and its killed partial builds); False if none existed."""
    tf_lines.by_env(name)
    folder = cache_dir() if root is None else root
    removed = False
    for partial in partial_builds(folder):
        if partial.name.startswith(f"{PARTIAL_PREFIX}{name}-"):
            shutil.rmtree(partial, ignore_errors=True)
            removed = True
    target = folder / name
    if target.exists():
        _remove_tree(target, folder)
        removed = True
    return removed


def _remove_tree(target: Path, folder: Path) -> None:
    """Take `target` out of use atomically (rename to a partial name), then delete it."""
    doomed = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}{target.name}-old-", dir=folder))
    os.replace(target, doomed / "env")
    shutil.rmtree(doomed, ignore_errors=True)


def _write_marker(path: Path, marker: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(marker, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _make_env(build: Path, base: Path, say: Say, name: str) -> str:
    """Create the virtual env in `build` with uv when installed, else venv; the tool's name.

    venv makes it without pip (ensurepip alone can take longer than the rest): migrator's own
    pip installs into it with `pip --python`, and only a host without a recent pip pays for
    ensurepip.
    """
    uv = shutil.which("uv")
    if uv:
        say(f"{name}: creating the env with uv (python {base})")
        _run([uv, "venv", "--quiet", "--python", str(base), str(build)], say, name, quiet=True)
        return "uv"
    say(f"{name}: creating the env with venv (python {base})")
    _run([str(base), "-m", "venv", "--without-pip", str(build)], say, name, quiet=True)
    return "pip"


def _host_pip_targets_other_pythons() -> bool:
    """Can this interpreter's pip install into another env (`pip --python`, pip >= 22.3)?"""
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pip", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    parsed = versions.parse(out.split()[1]) if len(out.split()) > 1 else None
    return parsed is not None and parsed >= (22, 3)


def _install_pins(build: Path, pins: Sequence[str], tool: str, say: Say, name: str) -> None:
    python = str(interpreter(build))
    quiet_bar = ["--progress-bar", "off"]  # progress goes through `say`, line by line
    if tool == "uv":
        uv = shutil.which("uv") or "uv"
        command = [uv, "pip", "install", "--python", python, *pins]
    elif _host_pip_targets_other_pythons():
        command = [sys.executable, "-m", "pip", "--python", python, "install", *quiet_bar, *pins]
    else:
        _run([python, "-m", "ensurepip", "--default-pip"], say, name, quiet=True)
        command = [python, "-m", "pip", "install", *quiet_bar, *pins]
    _run(command, say, name, quiet=False)


# pip/uv lines worth showing as progress: what is fetched and what is installed.
_PROGRESS_WORDS = (
    "Collecting",
    "Downloading",
    "Installing",
    "Successfully",
    "Resolved",
    "Prepared",
)


# Settings of the calling environment that would change what a runtime gets or where it goes:
# a runtime holds exactly its TF line's pins, so another project's constraints file (tox sets
# PIP_CONSTRAINT to its own env's pins, which conflict with every other line) must not apply.
_FOREIGN_INSTALL_SETTINGS = (
    "PIP_CONSTRAINT",
    "PIP_REQUIREMENT",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_USER",
    "PIP_EDITABLE",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
)


def _install_env() -> dict[str, str]:
    """The environment of an install command: the caller's, less the settings above (index and
    proxy settings are kept, so a private mirror still serves the wheels)."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_INSTALL_SETTINGS}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(command: Sequence[str], say: Say, name: str, *, quiet: bool) -> None:
    """Run an install command, passing its progress lines on; its last lines in the error."""
    try:
        proc = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_install_env(),
        )
    except OSError as exc:
        raise InstallFailed(
            f"{name}: cannot run {command[0]} ({exc}); nothing was installed"
        ) from None
    tail: list[str] = []
    for line in _lines(proc):
        tail = [*tail[-11:], line]
        if not quiet and line.lstrip().startswith(_PROGRESS_WORDS):
            say(f"{name}: {line.strip().split(' (from ')[0]}")  # not pip's dependency chains
    if proc.wait() != 0:
        last = next((t.strip() for t in reversed(tail) if t.strip()), "no output")
        raise InstallFailed(
            f"{name}: `{' '.join(command[:4])} ...` failed ({last}); nothing was installed; "
            "check that the package index pip uses is reachable"
        )


def _lines(proc: subprocess.Popen[str]) -> Iterator[str]:
    assert proc.stdout is not None
    yield from proc.stdout
