"""Where an artifact loads, per loader, as version ranges; and where it first stops loading.

A range is derived, not measured: the loader's verdict is evaluated at every release of its own
axis (`runtimes.axis`: tf.keras 2.12-2.15 then Keras 3.0-3.15 for `keras.*`, tf_keras 2.16-2.21,
TensorFlow 2.12-2.21 for `tf.saved_model.load`), and the releases where it loads are joined into
spans. Since each verdict is a function of the loader's version and the release facts of
`migrator.knowledge`, a range moves when a fact's threshold moves, never by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Prediction
from migrator.loadability.registry import verdict_for
from migrator.loadability.runtimes import Point, axis
from migrator.loadability.tables import LOADERS, LOADERS_BY_FORMAT

# The loader whose first failure is "where the artifact stops loading": the first of these that
# loads anywhere (a Keras file's load_model; a serving SavedModel's tf.saved_model.load).
_PRIMARY = ("keras.load_model", "tf.saved_model.load", "keras.load_weights")


@dataclass(frozen=True)
class Span:
    """Consecutive releases of one package where a loader loads."""

    package: str  # "tf.keras", "Keras", "tf_keras", "TF"
    first: str  # "2.12"
    last: str
    changes: bool  # some release in it needs a change (loads-with-changes)

    @property
    def text(self) -> str:
        versions = self.first if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.package} {versions}" + (" (with changes)" if self.changes else "")


@dataclass(frozen=True)
class LoaderRange:
    """Where one loader loads the artifact, and the first release after that where it fails."""

    loader: str
    spans: tuple[Span, ...]
    stops: Point | None
    stop_reason: str

    @property
    def text(self) -> str:
        return "; ".join(span.text for span in self.spans) or "nowhere"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "loads": [
                {"package": s.package, "from": s.first, "to": s.last, "changes": s.changes}
                for s in self.spans
            ],
            "text": self.text,
        }
        if self.stops is not None:
            out["stops"] = {"at": self.stops.name, "reason": self.stop_reason}
        return out


def loader_range(evidence: Evidence, loader: str) -> LoaderRange:
    """Evaluate `loader` along its axis and join the releases where it loads."""
    spans: list[Span] = []
    stops: Point | None = None
    reason = ""
    loaded = False
    for point in axis(loader):
        profile, call = point.runtime.profile_and_call(loader)
        cell: Prediction = verdict_for(call, evidence.fmt).run(evidence, profile)
        if cell.verdict == "fails":
            if loaded and stops is None:
                stops, reason = point, cell.reason
            continue
        loaded = True
        changes = cell.verdict != "loads"
        last = spans[-1] if spans else None
        if last and last.package == point.package and _next(last, point):
            spans[-1] = Span(last.package, last.first, point.version, last.changes or changes)
        else:
            spans.append(Span(point.package, point.version, point.version, changes))
    return LoaderRange(loader, tuple(spans), stops, reason)


def _next(span: Span, point: Point) -> bool:
    """`point` directly follows the span's last release on the axis (no failing one between)."""
    return point.previous == span.last


def load_ranges(evidence: Evidence) -> dict[str, Any]:
    """The report's `load_ranges`: per applicable loader its spans and first stop, and the
    artifact's first stop (the primary loader's)."""
    wanted = LOADERS_BY_FORMAT.get(evidence.fmt, ())
    ranges = {loader: loader_range(evidence, loader) for loader in LOADERS if loader in wanted}
    out: dict[str, Any] = {"loaders": {k: r.to_json() for k, r in ranges.items()}}
    for loader in _PRIMARY:
        found = ranges.get(loader)
        if found is not None and found.spans:
            if found.stops is not None:
                out["stops_loading"] = {
                    "loader": loader,
                    "at": found.stops.name,
                    "reason": found.stop_reason,
                }
            break
    return out
