"""The runtimes a verdict is given for: a TensorFlow release, the Keras `keras.*` resolves to in
it and, where installed, tf_keras.

A verdict is a function of the loader's Keras (its `LoaderProfile`) and the artifact, never of a
column name: the capabilities of a profile come from the release thresholds of
`migrator.knowledge.loaders`, so any runtime in the known range gets verdicts, measured or not.
The four CI lines (`migrator.knowledge.tf_lines`) are the report's default columns; every runtime
of the extended matrix (`migrator.knowledge.runtimes`: each TF minor 2.12-2.21, each Keras 3
minor) is measured too; a runtime between them (`tf==2.18 keras==3.8`) is answered from the same
facts and says so.

What a runtime holds follows TensorFlow's packaging (`knowledge.loaders`): up to TF 2.15
`keras.*` is tf.keras, the Keras 2 release of the TF minor; from TF 2.16 it is Keras 3, and the
Keras 2 line lives on as the separate `tf-keras` package of the same minor, installed only when
asked for. `TFSMLayer` is Keras 3's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from migrator.knowledge.loaders import KERAS3_IN_TF_SINCE
from migrator.knowledge.runtimes import RUNTIMES as MEASURED_RUNTIMES
from migrator.knowledge.tf_lines import TF_LINES
from migrator.knowledge.versions import Version, parse, render
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.tables import LOADERS, LOADERS_BY_FORMAT

# The loaders that call through a Keras package's own function; the others are TF-level (or
# Keras 3's TFSMLayer) and run next to the runtime's `keras` profile.
_PACKAGE_CALLS = ("load_model", "load_weights")


@dataclass(frozen=True)
class Runtime:
    """One runtime: TensorFlow, its `keras.*`, and `tf_keras.*` when installed."""

    tensorflow: Version
    keras: Version
    tf_keras: Version | None = None
    label: str = ""  # the column name: "2.16" for a measured line, else built by `labelled`
    measured: bool = False  # a column of corpus/matrix.json

    @property
    def keras3(self) -> bool:
        return self.keras[0] >= 3

    @property
    def tf_minor(self) -> Version:
        return self.tensorflow[:2]

    def profile(self, package: str) -> LoaderProfile:
        """The profile `keras.*` ("keras") or `tf_keras.*` ("tf_keras") runs here."""
        tf = render(self.tensorflow)
        if package == "tf_keras":
            if self.tf_keras is None:
                raise KeyError(f"{self.describe()} has no tf_keras")
            return LoaderProfile("tf_keras", self.tf_keras, tf)
        return LoaderProfile("keras" if self.keras3 else "tf.keras", self.keras, tf)

    def loaders(self) -> tuple[str, ...]:
        """The loaders this runtime has: tf_keras's where installed, TFSMLayer with Keras 3."""
        return tuple(
            loader
            for loader in LOADERS
            if (self.tf_keras is not None or not loader.startswith("tf_keras."))
            and (self.keras3 or loader != "keras.layers.TFSMLayer")
        )

    def profile_and_call(self, loader: str) -> tuple[LoaderProfile, str]:
        """The profile a loader of `LOADERS` runs here, and the call it makes."""
        return _profile_and_call(self, loader)

    def describe(self) -> str:
        """`TF 2.18, Keras 3.8, tf_keras 2.18` (tf.keras is implied up to TF 2.15)."""
        text = f"TF {render(self.tensorflow)}"
        if self.keras3:
            text += f", Keras {render(self.keras)}"
        if self.tf_keras is not None:
            text += f", tf_keras {render(self.tf_keras)}"
        return text


@lru_cache(maxsize=4096)
def _profile_and_call(runtime: Runtime, loader: str) -> tuple[LoaderProfile, str]:
    """Cached: load ranges ask it for every release of every loader of every artifact."""
    package, _, call = loader.partition(".")
    if package in ("keras", "tf_keras") and call in _PACKAGE_CALLS:
        return runtime.profile(package), call
    return runtime.profile("keras"), loader


def _pin(text: str) -> Version:
    parsed = parse(text)
    if parsed is None:
        raise ValueError(f"unparsable version pin {text!r} in migrator.knowledge")
    return parsed


def pinned(label: str, tensorflow: str, keras: str, tf_keras: str | None) -> Runtime:
    """A measured runtime from its pins (a `tf_lines` row or a `knowledge.runtimes` one)."""
    return Runtime(
        _pin(tensorflow),
        _pin(keras),
        _pin(tf_keras) if tf_keras else None,
        label=label,
        measured=True,
    )


MEASURED: tuple[Runtime, ...] = tuple(
    pinned(line.line, line.tensorflow, line.keras, line.tf_keras) for line in TF_LINES
)

# (measured line, "keras" | "tf_keras") -> the profile that loader prefix runs.
PROFILES: dict[tuple[str, str], LoaderProfile] = {
    (runtime.label, package): runtime.profile(package)
    for runtime in MEASURED
    for package in ("keras", "tf_keras")
    if package == "keras" or runtime.tf_keras is not None
}

# measured line -> the loaders it has
LOADERS_BY_TF: dict[str, tuple[str, ...]] = {
    runtime.label: runtime.loaders() for runtime in MEASURED
}


def applicable(fmt: str, tf_line: str) -> tuple[str, ...]:
    """The loaders that apply to format `fmt` in measured line `tf_line`, in LOADERS order."""
    wanted = set(LOADERS_BY_FORMAT.get(fmt, ()))
    return tuple(loader for loader in LOADERS_BY_TF[tf_line] if loader in wanted)


# Every runtime the extended matrix measures (corpus/matrix_extended.json: `<name>/<loader>`).
EXTENDED: tuple[Runtime, ...] = tuple(
    pinned(m.name, m.tensorflow, m.keras, m.tf_keras) for m in MEASURED_RUNTIMES
)
_TF_LINE_RUNTIMES: tuple[Runtime, ...] = tuple(
    r for r, m in zip(EXTENDED, MEASURED_RUNTIMES, strict=True) if not m.overlay
)


def labelled(runtime: Runtime) -> Runtime:
    """`runtime` with its column name and whether it is measured.

    Measured: a runtime of the extended matrix with the same TF and Keras minors (and tf_keras
    minor, when `runtime` has one). The name is the TF line ("2.18") where Keras is the one pip
    pairs with that TF (or tf.keras), else `2.19+keras3.5` (`+tf_keras2.19` with tf_keras)."""
    measured = any(
        known.tf_minor == runtime.tf_minor
        and known.keras[:2] == runtime.keras[:2]
        and (runtime.tf_keras is None or (known.tf_keras or ())[:2] == runtime.tf_keras[:2])
        for known in EXTENDED
    )
    paired = paired_keras(runtime.tensorflow)
    label = render(runtime.tf_minor)
    if runtime.keras3 and (paired is None or paired[:2] != runtime.keras[:2]):
        label += f"+keras{render(runtime.keras[:2])}"
    if runtime.tf_keras is not None:
        label += f"+tf_keras{render(runtime.tf_keras[:2])}"
    return replace(runtime, label=label, measured=measured)


def paired_keras(tf: Version) -> Version | None:
    """The Keras 3 release pip installs with TF `tf` (a measured TF line's pin), if known."""
    found = next((r.keras for r in _TF_LINE_RUNTIMES if r.tf_minor == tf[:2]), None)
    return found if found is not None and found[0] >= 3 else None


def keras_of_tf(tf: Version) -> Version | None:
    """The Keras 2 release `keras.*` is in a TF minor up to 2.15 (tf.keras 2.x tracks TF's
    minor), or None from TF 2.16 on (Keras 3: a separate package, named by the target)."""
    return None if tf[:2] >= KERAS3_IN_TF_SINCE else tf[:2]


def tf_keras_of_tf(tf: Version) -> Version | None:
    """tf_keras releases track TensorFlow's minor (tf-keras 2.18 for TF 2.18), from TF 2.16."""
    return tf[:2] if tf[:2] >= KERAS3_IN_TF_SINCE else None


# --- the releases a range is drawn over: the measured runtimes, oldest first


def _keras3_runtimes() -> tuple[Runtime, ...]:
    """One runtime per Keras 3 minor: the extended matrix's (the newest TF admitting it)."""
    by_minor: dict[Version, Runtime] = {}
    for runtime, measured in zip(EXTENDED, MEASURED_RUNTIMES, strict=True):
        if runtime.keras3 and (measured.overlay or measured.ci):
            by_minor.setdefault(runtime.keras[:2], runtime)
    return tuple(by_minor[minor] for minor in sorted(by_minor))


KERAS3_RUNTIMES: tuple[Runtime, ...] = _keras3_runtimes()
TF_MINORS: tuple[Version, ...] = tuple(r.tf_minor for r in _TF_LINE_RUNTIMES)
KERAS3_MINORS: tuple[Version, ...] = tuple(r.keras[:2] for r in KERAS3_RUNTIMES)


@dataclass(frozen=True)
class Point:
    """One release on a loader's axis, and the runtime its verdict is evaluated in."""

    runtime: Runtime
    package: str  # "tf.keras", "Keras", "tf_keras", "TF"
    version: str  # "2.12"
    previous: str | None  # the release before it on the same package's axis

    @property
    def name(self) -> str:
        return f"{self.package} {self.version}"


def _points(package: str, runtimes: list[tuple[Version, Runtime]]) -> list[Point]:
    out: list[Point] = []
    for minor, runtime in runtimes:
        previous = out[-1].version if out else None
        out.append(Point(runtime, package, render(minor), previous))
    return out


def axis(loader: str) -> tuple[Point, ...]:
    """The releases a loader's range is drawn over, oldest first, each in its measured runtime:
    `keras.*` runs tf.keras 2.12-2.15 then every Keras 3 minor (on the newest TF admitting it),
    `tf_keras.*` every tf_keras minor, `tf.saved_model.load` every TF minor, TFSMLayer every
    Keras 3 minor."""
    return _AXES[loader]


def _axis(loader: str) -> tuple[Point, ...]:
    keras3 = [(r.keras[:2], r) for r in KERAS3_RUNTIMES]
    if loader.startswith("tf_keras."):
        lines = [(r.tf_keras[:2], r) for r in _TF_LINE_RUNTIMES if r.tf_keras is not None]
        return tuple(_points("tf_keras", lines))
    if loader == "keras.layers.TFSMLayer":
        return tuple(_points("Keras", keras3))
    if loader not in ("keras.load_model", "keras.load_weights"):
        # TF-level loaders (tf.saved_model.load, and any other framework's): the TF lines, each
        # with the Keras pip pairs with it
        return tuple(_points("TF", [(r.tf_minor, r) for r in _TF_LINE_RUNTIMES]))
    tf_keras_line = [(r.tf_minor, r) for r in _TF_LINE_RUNTIMES if not r.keras3]
    return (*_points("tf.keras", tf_keras_line), *_points("Keras", keras3))


_AXES: dict[str, tuple[Point, ...]] = {loader: _axis(loader) for loader in LOADERS}
