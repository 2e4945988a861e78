"""The registry of verdicts and of the named checks they run.

A *verdict* is the function that predicts one loader call (`load_model`, `load_weights`,
`tf.saved_model.load`, `keras.layers.TFSMLayer`) on one artifact format; `@verdict(call, fmt)`
registers it. A *check* is one reason a loader refuses an artifact: a small function whose
docstring says what it catches and whose `evidence=` names the matrix cell(s) or the Keras/TF
source that shows it; `@check(stage, evidence=...)` registers it, and a verdict runs a stage's
checks with `first_blocker`. Checks of a stage live in one module and run in the order written
there (the first message wins).

Every module of `migrator.loadability.verdicts` is imported the first time the registry is used,
so a new fact is one decorated function in one module (plus its test).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Prediction
from migrator.loadability.profiles import LoaderProfile

# A check: (evidence, profile, container) -> why the loader refuses, or None. `container` is
# how a model reaches the build: "h5", "keras" (`.keras`), "sm" (Keras SavedModel), or "".
CheckFunction = Callable[[Evidence, LoaderProfile, str], str | None]
VerdictFunction = Callable[[Evidence, LoaderProfile], Prediction]
C = TypeVar("C", bound=CheckFunction)
V = TypeVar("V", bound=VerdictFunction)


@dataclass(frozen=True)
class Check:
    stage: str
    name: str
    doc: str
    evidence: str
    run: CheckFunction = field(compare=False, repr=False)


@dataclass(frozen=True)
class Verdict:
    call: str  # "load_model" | "load_weights" | "tf.saved_model.load" | "keras.layers.TFSMLayer"
    fmt: str
    name: str
    doc: str
    evidence: str
    run: VerdictFunction = field(compare=False, repr=False)


_CHECKS: dict[str, list[Check]] = {}
_VERDICTS: dict[tuple[str, str], Verdict] = {}
_loaded = False
_LOAD_LOCK = threading.RLock()


def check(stage: str, *, evidence: str) -> Callable[[C], C]:
    """Register a check of `stage`; `evidence` cites the matrix cell(s) or source showing it."""

    def register(function: C) -> C:
        doc = (function.__doc__ or "").strip()
        if not doc or not evidence:
            raise ValueError(f"check {function.__name__} needs a docstring and its evidence")
        checks = _CHECKS.setdefault(stage, [])
        if any(c.name == function.__name__ for c in checks):
            raise ValueError(f"check {stage}/{function.__name__} is registered twice")
        checks.append(Check(stage, function.__name__, doc, evidence, function))
        return function

    return register


def verdict(call: str, *formats: str, evidence: str) -> Callable[[V], V]:
    """Register the verdict of loader `call` on each of `formats`."""

    def register(function: V) -> V:
        doc = (function.__doc__ or "").strip()
        if not doc or not evidence:
            raise ValueError(f"verdict {function.__name__} needs a docstring and its evidence")
        for fmt in formats:
            if (call, fmt) in _VERDICTS:
                raise ValueError(f"two verdicts for {call} on {fmt}")
            _VERDICTS[(call, fmt)] = Verdict(call, fmt, function.__name__, doc, evidence, function)
        return function

    return register


def first_blocker(
    stages: tuple[str, ...], evidence: Evidence, profile: LoaderProfile, container: str = ""
) -> str | None:
    """The message of the first check of `stages` (in order) that refuses, or None."""
    _load()
    for stage in stages:
        for registered in _CHECKS.get(stage, ()):
            message = registered.run(evidence, profile, container)
            if message:
                return message
    return None


def verdict_for(call: str, fmt: str) -> Verdict:
    _load()
    return _VERDICTS[(call, fmt)]


def all_checks() -> tuple[Check, ...]:
    _load()
    return tuple(c for checks in _CHECKS.values() for c in checks)


def all_verdicts() -> tuple[Verdict, ...]:
    _load()
    return tuple(_VERDICTS.values())


def _load() -> None:
    """Import every verdict module once. Threads may ask at once (`convert --jobs` orders each
    source's runs by the verdicts): the first imports under the lock, and the others wait
    until every module is registered, never seeing a registry half filled."""
    global _loaded
    if _loaded:
        return
    with _LOAD_LOCK:
        if _loaded:
            return
        from migrator.loadability import verdicts

        for module in sorted(pkgutil.iter_modules(verdicts.__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                importlib.import_module(f"{verdicts.__name__}.{module.name}")
        _loaded = True
