"""`--target "tf==2.18 keras==3.8"`: the runtimes a team runs, parsed, checked and judged.

A target names TensorFlow and, from TF 2.16 on, the Keras 3 release beside it (or takes the
one pip pairs with that TF, the measured TF line's); `tf_keras==` adds the tf_keras loaders (pip installs
tf-keras only when asked, so a target without it has none). Up to TF 2.15 `keras.*` is the
tf.keras of TF's own minor. A target outside the releases the facts cover (TF and Keras 3
minors between the first and the newest measured ones) is a usage error naming the range; one
between measured runtimes is answered from the release facts and says so.

An artifact "loads" in a target as a user means it (`usable.user_verdict`): a model loader
opens it (a weights format: a weights loader restores it); weights alone are not a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from migrator.errors import UsageError
from migrator.knowledge.loaders import KERAS3_IN_TF_SINCE
from migrator.knowledge.versions import Version, parse, render
from migrator.loadability.prediction import Prediction
from migrator.loadability.runtimes import (
    KERAS3_MINORS,
    TF_MINORS,
    Runtime,
    keras_of_tf,
    labelled,
    paired_keras,
    tf_keras_of_tf,
)
from migrator.loadability.usable import WEIGHTS_ONLY, user_verdict

_PART = re.compile(r"(?P<name>[A-Za-z_-]+)\s*==\s*(?P<version>\d+(?:\.\d+){0,2})")
_NAMES = {
    "tf": "tf",
    "tensorflow": "tf",
    "tensorflow-cpu": "tf",
    "keras": "keras",
    "tf_keras": "tf_keras",
    "tf-keras": "tf_keras",
}
# The finding a failed target adds to an artifact (not a rule of the registry: it exists only
# when targets are given, and `--exit-zero` is its off switch).
TARGET_FINDING = "target"


@dataclass(frozen=True)
class Target:
    """One target runtime as the user wrote it and as the verdicts see it."""

    text: str  # normalised: "tf==2.18 keras==3.8"
    runtime: Runtime


def _range(minors: tuple[Version, ...], name: str) -> str:
    return f"{name} {render(minors[0])}-{render(minors[-1])}"


def known_range() -> str:
    """The releases targets may name, for error messages."""
    return (
        f"{_range(TF_MINORS, 'TF')}; {_range(KERAS3_MINORS, 'Keras')} from TF "
        f"{render(KERAS3_IN_TF_SINCE)}"
    )


def parse_target(text: str, where: str = "--target") -> Target:
    """`tf==2.18 keras==3.8` (spaces or commas between parts) -> Target, or a UsageError saying
    what is wrong and what is known."""
    parts: dict[str, Version] = {}
    rest = text
    for match in _PART.finditer(text):
        name = _NAMES.get(match.group("name").lower())
        version = parse(match.group("version"))
        if name is None or version is None:
            raise UsageError(
                f"{where} {text!r}: unknown package {match.group('name')!r}; name tf, keras "
                "and tf_keras, as in \"tf==2.18 keras==3.8\""
            )
        if name in parts:
            raise UsageError(f"{where} {text!r} names {name} twice; give one version of each")
        if len(version) < 2:
            raise UsageError(
                f"{where} {text!r}: {name}=={render(version)} names no minor release; write "
                f"{name}=={render(version)}.x"
            )
        parts[name] = version
        rest = rest.replace(match.group(0), " ", 1)
    if rest.replace(",", " ").strip() or "tf" not in parts:
        raise UsageError(
            f'{where} {text!r} is not a runtime; write it as "tf==2.18 keras==3.8" '
            "(tf== required, keras== and tf_keras== optional)"
        )
    return Target(_normalised(parts), labelled(_runtime(parts, text, where)))


def _normalised(parts: Mapping[str, Version]) -> str:
    return " ".join(
        f"{name}=={render(parts[name])}" for name in ("tf", "keras", "tf_keras") if name in parts
    )


def _runtime(parts: Mapping[str, Version], text: str, where: str) -> Runtime:
    tf = parts["tf"]
    if tf[:2] not in TF_MINORS:
        raise UsageError(
            f"{where} {text!r}: TF {render(tf)} is outside the known range ({known_range()}); "
            "name a release in it"
        )
    keras = parts.get("keras")
    builtin = keras_of_tf(tf)
    if builtin is not None:  # tf.keras: the Keras 2 release of TF's minor
        if keras is not None and keras[:2] != builtin:
            raise UsageError(
                f"{where} {text!r}: TF {render(tf[:2])} comes with tf.keras {render(builtin)}, "
                f"not keras {render(keras)} (Keras 3 needs TF {render(KERAS3_IN_TF_SINCE)}+)"
            )
        if "tf_keras" in parts:
            raise UsageError(
                f"{where} {text!r}: tf_keras exists from TF {render(KERAS3_IN_TF_SINCE)}; "
                "drop it or raise tf=="
            )
        return Runtime(tf, keras or builtin)
    keras = keras or paired_keras(tf)
    if keras is None:
        raise UsageError(
            f"{where} {text!r}: TF {render(tf[:2])} runs Keras 3 and no measured runtime pairs "
            f"one with it; add keras==3.x ({known_range()})"
        )
    if keras[0] != 3 or keras[:2] not in KERAS3_MINORS:
        raise UsageError(
            f"{where} {text!r}: keras {render(keras)} is outside the known range "
            f"({known_range()}); name a release in it"
        )
    tf_keras = parts.get("tf_keras")
    if tf_keras is not None and tf_keras[:2] != tf_keras_of_tf(tf):
        raise UsageError(
            f"{where} {text!r}: tf_keras releases follow TF's minor; TF {render(tf[:2])} "
            f"takes tf_keras=={render(tf[:2])}"
        )
    return Runtime(tf, keras, tf_keras)


def parse_targets(texts: Iterable[str], where: str = "--target") -> tuple[Target, ...]:
    """Every target, once each (in the order given)."""
    out: dict[str, Target] = {}
    for text in texts:
        target = parse_target(text, where)
        out.setdefault(target.text, target)
    return tuple(out.values())


def judge_target(target: Target, cells: Mapping[str, Prediction]) -> dict[str, Any]:
    """What the report says about one target: loads or not as a user means it, and why."""
    runtime = target.runtime
    answered = (
        "measured"
        if runtime.measured
        else "answered from the release facts (this runtime is not measured)"
    )
    found = user_verdict({k: c.to_json() for k, c in cells.items()})
    verdict, loaders = found if found else ("fails", ())
    chosen = [cells[loader] for loader in loaders] or list(cells.values())
    if verdict in ("loads", "loads-with-changes"):
        reason = chosen[0].reason if chosen else ""
    elif verdict == WEIGHTS_ONLY:
        model = [c.reason for k, c in cells.items() if not k.endswith("load_weights")]
        reason = "only the weights load; " + "; ".join(dict.fromkeys(model))
    else:
        reason = "; ".join(dict.fromkeys(c.reason for c in cells.values())) or (
            "no loader of this runtime takes this format"
        )
    return {
        "target": target.text,
        "runtime": runtime.describe(),
        "column": runtime.label,
        "basis": answered,
        "loads": verdict in ("loads", "loads-with-changes"),
        "verdict": verdict,
        "loaders": list(loaders),
        "reason": reason,
    }
