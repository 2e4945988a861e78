"""Build the interpreters of the extended matrix: one virtual env per TF line that is not a CI
line, one Keras overlay per Keras 3 minor (`migrator.knowledge.runtimes`).

    python -m corpus.envs build --toxworkdir .tox [--only tf217,tf219-keras35]
    python -m corpus.envs run --toxworkdir .tox NAME -- -m corpus.probe measure ...

The four CI lines are tox's own envs (``{toxworkdir}/tf212``...); the others live under
``{toxworkdir}/matrixenvs/``. A TF line gets a full env: `tensorflow-cpu`, `keras`, `tf-keras`
pinned as the table says and everything else by ``corpus/constraints/<name>.txt`` (the pip freeze
written the first time the env is built, so a rebuild reproduces the env that measured the
committed matrix). A Keras minor gets an overlay: ``pip install --no-deps --target`` of that
Keras, plus any of its requirements the base env lacks (Keras 3.0 still wants `dm-tree`), put
first on ``PYTHONPATH`` of its base line's interpreter. Sixteen full envs would cost ~1.2 GB
each; an overlay is ~10 MB and changes exactly one thing: the Keras.

An env or overlay is built beside its place (``.partial``), checked (`import` of each pinned
package reports its pinned version), and only then renamed into place, so an interrupted build is
never used. Imports neither NumPy nor TensorFlow: it runs in the `tox -e matrix` driver env.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from corpus import CORPUS
from migrator.knowledge.runtimes import RUNTIMES, MeasuredRuntime, by_name

REPO = CORPUS.parent
CONSTRAINTS = CORPUS / "constraints"
ENVS_DIR = "matrixenvs"

# Run by the base interpreter inside an overlay: the overlay's Keras requirements the base lacks.
_MISSING = """
import sys
from importlib import metadata
from packaging.requirements import Requirement
overlay = sys.argv[1]
dist = next(d for d in metadata.distributions(path=[overlay]) if d.metadata["Name"] == "keras")
for text in dist.requires or []:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        found = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        print(text)
        continue
    if not req.specifier.contains(found, prereleases=True):
        print(text)
"""

# Run by a runtime's interpreter: the versions it really imports (overlay first on the path).
_VERSIONS = """
import json, importlib
out = {}
for module in ("tensorflow", "keras", "tf_keras"):
    try:
        out[module] = importlib.import_module(module).__version__
    except ImportError:
        out[module] = None
print(json.dumps(out))
"""


def env_dir(runtime: MeasuredRuntime, toxworkdir: Path) -> Path:
    """Where a runtime's env (or overlay) lives."""
    if runtime.ci:
        return toxworkdir / runtime.name
    return toxworkdir / ENVS_DIR / runtime.name


def interpreter(runtime: MeasuredRuntime, toxworkdir: Path) -> tuple[Path, dict[str, str]]:
    """The Python that runs `runtime` and the environment variables it needs."""
    if runtime.overlay:
        base = by_name(runtime.base or "")
        python, env = interpreter(base, toxworkdir)
        paths = [str(env_dir(runtime, toxworkdir)), str(REPO)]
        return python, {**env, "PYTHONPATH": os.pathsep.join(paths)}
    return env_dir(runtime, toxworkdir) / "bin" / "python", {"PYTHONPATH": str(REPO)}


def installed(runtime: MeasuredRuntime, toxworkdir: Path) -> dict[str, str | None]:
    """The TF, Keras and tf_keras versions the runtime's interpreter imports."""
    python, extra = interpreter(runtime, toxworkdir)
    result = subprocess.run(
        [str(python), "-c", _VERSIONS],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{runtime.name}: importing TensorFlow/Keras failed: {last}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check(runtime: MeasuredRuntime, toxworkdir: Path) -> None:
    got = installed(runtime, toxworkdir)
    want = {"tensorflow": runtime.tensorflow, "keras": runtime.keras, "tf_keras": runtime.tf_keras}
    if got != want:
        raise RuntimeError(f"{runtime.name}: imports {got}, the table pins {want}")


def _pip(python: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"}  # tox's, not ours
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        env=env,
        check=True,
    )


def _build_env(runtime: MeasuredRuntime, place: Path, python: str) -> None:
    partial = place.with_name(place.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(partial)], check=True)
    constraints = CONSTRAINTS / f"{runtime.name}.txt"
    pins = [f"{name}=={version}" for name, version in runtime.pins().items()]
    extra = ["-c", str(constraints)] if constraints.is_file() else []
    _pip(partial / "bin" / "python", *extra, *pins, f"{REPO}[test]")
    if not constraints.is_file():
        write_freeze(runtime, partial / "bin" / "python")
    # venv scripts name their folder: rename, then fix nothing (the runtime is run as
    # `<env>/bin/python -m ...`, never through its console scripts).
    shutil.rmtree(place, ignore_errors=True)
    partial.rename(place)


def write_freeze(runtime: MeasuredRuntime, python: Path) -> None:
    """Record a full env's pip freeze as its constraints file (migrator itself left out)."""
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude", "migrator"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header = (
        f"# pip freeze of the env that measured corpus/matrix_extended.json (runtime "
        f"{runtime.name}); applied as a constraints file by corpus/envs.py\n"
    )
    (CONSTRAINTS / f"{runtime.name}.txt").write_text(header + frozen, encoding="utf-8")


def _build_overlay(runtime: MeasuredRuntime, place: Path, toxworkdir: Path) -> None:
    base_python, _ = interpreter(by_name(runtime.base or ""), toxworkdir)
    partial = place.with_name(place.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    constraints = CONSTRAINTS / f"{runtime.name}.txt"
    if constraints.is_file():  # the recorded overlay: keras and what the base lacked
        wanted = [
            line.strip()
            for line in constraints.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        _pip(base_python, "--no-deps", "--target", str(partial), *wanted)
    else:
        _pip(base_python, "--no-deps", "--target", str(partial), f"keras=={runtime.keras}")
        missing = subprocess.run(
            [str(base_python), "-c", _MISSING, str(partial)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if missing:
            _pip(base_python, "--no-deps", "--target", str(partial), *missing)
        frozen = subprocess.run(
            [str(base_python), "-m", "pip", "list", "--path", str(partial), "--format", "freeze"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        header = (
            f"# overlay of runtime {runtime.name}: installed with --no-deps --target and put first "
            f"on PYTHONPATH of {runtime.base}'s interpreter (corpus/envs.py)\n"
        )
        constraints.write_text(header + frozen, encoding="utf-8")
    shutil.rmtree(place, ignore_errors=True)
    partial.rename(place)


def build(runtime: MeasuredRuntime, toxworkdir: Path, python: str) -> str:
    """Make `runtime` runnable (reusing a correct one); return what was done."""
    place = env_dir(runtime, toxworkdir)
    if runtime.ci:
        if not (place / "bin" / "python").exists():
            raise SystemExit(
                f"{place} not found; create it first: tox run -e {runtime.name} --notest"
            )
        check(runtime, toxworkdir)
        return "tox env"
    if place.exists():
        try:
            check(runtime, toxworkdir)
            return "kept"
        except RuntimeError:
            pass
    if runtime.overlay:
        _build_overlay(runtime, place, toxworkdir)
    else:
        _build_env(runtime, place, python)
    check(runtime, toxworkdir)
    return "built"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build (or check) every runtime's env or overlay")
    b.add_argument("--toxworkdir", type=Path, required=True)
    b.add_argument("--only", help="comma-separated runtime names (default: all)")
    b.add_argument("--python", default=sys.executable, help="Python for the new full envs")
    r = sub.add_parser("run", help="run a runtime's interpreter with its overlay on the path")
    r.add_argument("name")
    r.add_argument("--toxworkdir", type=Path, required=True)
    r.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "run":
        runtime = by_name(args.name)
        python, extra = interpreter(runtime, args.toxworkdir)
        rest = args.args[1:] if args.args[:1] == ["--"] else args.args
        return subprocess.run(
            [str(python), *rest], env={**os.environ, **extra}, cwd=REPO
        ).returncode
    names = args.only.split(",") if args.only else [r.name for r in RUNTIMES]
    failed = []
    for name in names:
        runtime = by_name(name)
        try:
            print(f"{name}: {build(runtime, args.toxworkdir, args.python)}", flush=True)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            failed.append(name)
            print(f"corpus.envs: {name}: {exc}; see the output above", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
