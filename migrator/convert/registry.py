"""The conversion steps, each declared once by its own module with `@conversion_step`.

A step module in `migrator/convert/steps/` decorates its `run` function with its public name
(`h5-to-keras`, the name rules and reports use), the kind it reads, the kind it writes, which
runtimes run the *source* when validating (`ValidateWith`) and a one-line summary. Everything
else derives from these declarations: the planner's graph, the worker's list of callable steps,
the kinds `classify` may give an artifact and the rule registry's list of conversions. A chain
(`savedmodel-to-serving`) names several steps the planner runs one after another.

Importing this module imports no TensorFlow: step modules import it inside `run` only.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

# Which runtimes load the source to compare its outputs with the converted model's:
# "era": the runtime of the artifact's own era (Keras 2 via tf.keras <= 2.15, Keras 3 for Keras 3
#   files), "tf_keras": any runtime with the tf-keras package, "newest": the newest runtime (TF1
#   graphs run there in a compat.v1 session; Keras 3 files load there).
ValidateWith = Literal["era", "tf_keras", "newest"]

STEPS_PACKAGE = "migrator.convert.steps"

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Step:
    """One single-hop conversion, implemented by `migrator.convert.steps.<module>.run`."""

    name: str  # public conversion name ("h5-to-keras")
    module: str  # the module under migrator.convert.steps ("h5_to_keras")
    source: str  # the kind it reads (a key of migrator.convert.KINDS)
    target: str  # the kind it writes
    validate_with: tuple[ValidateWith, ...]  # runtime families that run the source, best first
    summary: str
    # Facts of the source (`Convertible.facts`) the step cannot run without, each with the
    # (problem, remedy) the planner refuses with when it is missing: a chain through the step
    # is refused before anything runs, not after its earlier steps loaded the model.
    requires: tuple[tuple[str, str, str], ...] = ()

    def unmet(self, facts: Mapping[str, Any]) -> tuple[str, str] | None:
        """(problem, remedy) of the first required fact `facts` lacks, else None."""
        for fact, problem, remedy in self.requires:
            if not facts.get(fact):
                return problem, remedy
        return None


@dataclass(frozen=True)
class Chain:
    """A conversion that is several steps in a row, named because rules recommend it."""

    name: str
    steps: tuple[str, ...]  # public step names, in order
    summary: str


_STEPS: dict[str, Step] = {}
_CHAINS: dict[str, Chain] = {}
_loaded = False


def conversion_step(
    name: str,
    *,
    source: str,
    target: str,
    validate_with: tuple[ValidateWith, ...],
    summary: str,
    requires: Mapping[str, tuple[str, str]] | None = None,
) -> Callable[[F], F]:
    """Declare the decorated `run` function as the step `name` from `source` to `target`;
    `requires` maps a source fact the step needs to the (problem, remedy) refusing without it."""
    needed = tuple((k, p, r) for k, (p, r) in (requires or {}).items())

    def register(run: F) -> F:
        module = run.__module__
        if not module.startswith(STEPS_PACKAGE + "."):
            raise ValueError(f"step {name!r} must live in {STEPS_PACKAGE}, not {module}")
        step = Step(name, module.rsplit(".", 1)[1], source, target, validate_with, summary, needed)
        if name in _STEPS and _STEPS[name] != step:
            raise ValueError(f"conversion step {name!r} is declared twice")
        _STEPS[name] = step
        return run

    return register


def conversion_chain(name: str, steps: tuple[str, ...], summary: str) -> Chain:
    """Declare a named chain of already declared steps (checked when the registry loads)."""
    chain = Chain(name, steps, summary)
    if name in _CHAINS and _CHAINS[name] != chain:
        raise ValueError(f"conversion chain {name!r} is declared twice")
    _CHAINS[name] = chain
    return chain


def _load() -> None:
    global _loaded
    if _loaded:
        return
    package = importlib.import_module(STEPS_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        importlib.import_module(f"{STEPS_PACKAGE}.{info.name}")
    for chain in _CHAINS.values():
        for step_name in chain.steps:
            if step_name not in _STEPS:
                raise ValueError(f"chain {chain.name!r} names unknown step {step_name!r}")
    _loaded = True


def steps() -> tuple[Step, ...]:
    """Every registered step, in the order of the modules' names."""
    _load()
    return tuple(sorted(_STEPS.values(), key=lambda s: s.module))


def chains() -> tuple[Chain, ...]:
    """Every named chain of steps."""
    _load()
    return tuple(_CHAINS.values())


def conversions() -> dict[str, str]:
    """Public conversion name -> one-line summary, for steps and chains alike."""
    out = {s.name: s.summary for s in steps()}
    out.update({c.name: c.summary for c in chains()})
    return out


def step_named(name: str) -> Step:
    """The step with public name `name` or module name `name`."""
    for step in steps():
        if name in (step.name, step.module):
            return step
    raise KeyError(f"no conversion step named {name!r}; known: {', '.join(_STEPS)}")


def source_kinds() -> frozenset[str]:
    """Every kind some step starts from: what `classify` can usefully give an artifact."""
    return frozenset(s.source for s in steps())
