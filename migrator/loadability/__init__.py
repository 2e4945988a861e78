"""Which loader can load an artifact, and why: verdicts predicted from what the readers found.

A verdict is a function of the artifact's reading and the loader's Keras (`LoaderProfile`:
package and version), never of a column name: a profile's capabilities come from the release
thresholds of `migrator.knowledge.loaders`, so any runtime (TF, Keras, tf_keras versions) gets
verdicts. The report's default columns are the four CI lines (`migrator.knowledge.tf_lines`);
the extended matrix measures every TF minor 2.12-2.21 and Keras 3 minor
(`migrator.knowledge.runtimes`). Facts are found in the measurements (`corpus/matrix.json`,
`corpus/matrix_extended.json`, `corpus/realworld_matrix.json`) and, where the cause was not
obvious, in the Keras/TF sources; the tests hold every prediction to the measured cells.

- `tables`: the loaders and which take each format.
- `runtimes`: `Runtime` (TF, Keras, tf_keras), the measured ones, the loaders each has, and the
  releases a loader's range is drawn over.
- `profiles`: `LoaderProfile`, the Keras a loader runs, its capabilities computed from its
  version with `migrator.knowledge.loaders`.
- `evidence`: what the verdicts read from an artifact, gathered once.
- `registry`: `@verdict(call, fmt)` and `@check(stage, evidence=...)`; `verdicts/` holds them,
  one module per loader family, imported on first use.
- `ranges`: where each loader loads the artifact, as release ranges, and where it first stops.
- `targets`: `--target` runtimes, parsed and judged; `usable`: what "it loads" means to a user.

Verdicts: `loads` (loads and reproduces the outputs), `loads-with-changes` (loads once the caller
supplies or accepts what `reason` names: `safe_mode=False`, `compile=False`, the custom classes,
`tags=`, `call_endpoint=`, a reset optimizer), `fails`. The caller is assumed to have the model's
custom classes importable and registered; `reason` says when they are required.

This package never imports TensorFlow and never loads a model: it reads the `Reading` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from migrator.knowledge.tf_lines import LINE_NAMES as TF_LINES
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Prediction
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.ranges import load_ranges
from migrator.loadability.registry import verdict_for
from migrator.loadability.runtimes import LOADERS_BY_TF, MEASURED, PROFILES, Runtime, applicable
from migrator.loadability.tables import LOADERS, LOADERS_BY_FORMAT, NEEDS
from migrator.loadability.targets import TARGET_FINDING, Target, judge_target, parse_targets
from migrator.loadability.usable import weights_loader
from migrator.model import Artifact, Finding

__all__ = [
    "LOADERS",
    "LOADERS_BY_FORMAT",
    "LOADERS_BY_TF",
    "MEASURED",
    "NEEDS",
    "PROFILES",
    "TF_LINES",
    "LoaderProfile",
    "Prediction",
    "Runtime",
    "Target",
    "applicable",
    "judge",
    "parse_targets",
    "predict",
    "predict_cells",
    "predict_runtime",
    "profile_and_call",
]


def profile_and_call(tf_line: str, loader: str) -> tuple[LoaderProfile, str]:
    """The profile a loader of `LOADERS` runs in measured TF line `tf_line`, and its call."""
    (runtime,) = (r for r in MEASURED if r.label == tf_line)
    return runtime.profile_and_call(loader)


def predict_runtime(evidence: Evidence, runtime: Runtime) -> dict[str, Prediction]:
    """`{loader: Prediction}` for every loader of `runtime` that takes the artifact's format."""
    wanted = set(LOADERS_BY_FORMAT.get(evidence.fmt, ()))
    out: dict[str, Prediction] = {}
    for loader in runtime.loaders():
        if loader in wanted:
            profile, call = runtime.profile_and_call(loader)
            out[loader] = verdict_for(call, evidence.fmt).run(evidence, profile)
    return out


def predict_cells(
    artifact: Artifact, runtimes: Sequence[Runtime] = MEASURED
) -> dict[str, Prediction]:
    """Every applicable `<runtime>/<loader>` cell of this artifact, predicted from its reading
    (the measured TF lines unless `runtimes` says otherwise)."""
    if artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
        return {}
    evidence = Evidence.of(artifact)
    return {
        f"{runtime.label}/{loader}": cell
        for runtime in runtimes
        for loader, cell in predict_runtime(evidence, runtime).items()
    }


def predict(
    artifact: Artifact, runtimes: Sequence[Runtime] = MEASURED
) -> dict[str, dict[str, str]]:
    """`{"<runtime>/<loader>": {"verdict": ..., "reason": ...}}` for the report."""
    return {key: cell.to_json() for key, cell in predict_cells(artifact, runtimes).items()}


def judge(artifact: Artifact, targets: Sequence[Target] = ()) -> Artifact:
    """Audit judge: attach the verdicts (of the measured runtimes, or of `targets` only), the
    ranges where the artifact loads, and for each target it does not load in a finding saying
    why (which makes `migrator audit` exit 1).

    A reading shaped in a way no check foresaw must not stop a ten-thousand-model audit: the
    artifact then goes on without verdicts (the tests run `predict_cells` unguarded), or, with
    targets, with an error line, since a gate must not pass what it could not judge.
    """
    if artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
        return artifact
    try:
        evidence = Evidence.of(artifact)
        runtimes = [t.runtime for t in targets] or MEASURED
        per_runtime = [(runtime, predict_runtime(evidence, runtime)) for runtime in runtimes]
        ranges = load_ranges(evidence)
        judged = [
            judge_target(t, cells) for t, (_, cells) in zip(targets, per_runtime, strict=False)
        ]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if not targets:
            return artifact
        # a gate must not pass what it could not judge: an error line (exit 2), not silence
        problem = (
            f"internal error judging loadability for --target ({type(exc).__name__}: {exc}); "
            "please report this artifact to the migrator maintainers"
        )
        reading = replace(artifact.reading, errors=(*artifact.reading.errors, problem))
        return replace(artifact, reading=reading)
    cells = {
        f"{runtime.label}/{loader}": cell.to_json()
        for runtime, predicted in per_runtime
        for loader, cell in predicted.items()
    }
    findings = list(artifact.findings)
    if targets:
        ranges["targets"] = judged
        findings += [_target_finding(entry, ranges) for entry in judged if not entry["loads"]]
    return replace(artifact, loadability=cells, load_ranges=ranges, findings=tuple(findings))


def _target_finding(entry: dict[str, Any], ranges: dict[str, Any]) -> Finding:
    """`does not load in tf==2.17 (TF 2.17, Keras 3.5; ...): <why>`, with where it does."""
    loaders = ranges["loaders"]
    model = [k for k in loaders if not weights_loader(k)] or list(loaders)
    where = "; ".join(
        f"{loader}: {loaders[loader]['text']}" for loader in model if loaders[loader].get("loads")
    )
    return Finding(
        TARGET_FINDING,
        "high",
        f"does not load in target {entry['target']} ({entry['runtime']}; {entry['basis']}): "
        f"{entry['reason']}",
        fix=(
            f"keep a runtime it loads in ({where}) or convert it with `migrator convert`"
            if where
            else "convert it with `migrator convert`, or rebuild the model and load its weights"
        ),
    )
