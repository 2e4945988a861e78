"""Write every artifact this TensorFlow env's save APIs can produce, for every corpus model.

Run inside one TF env (the tox envs `tf212`, `tf215`, `tf216`, `tf221` do it for you):

    python -m corpus.generate [--out corpus/generated]

Output: `<out>/<env>/<framework>/<model>/<api>/<artifact>` plus `reference.json` (fixed inputs and
the outputs of the in-memory model) in each `<model>/` folder, and `<out>/<env>/generated.json`,
the manifest: one entry per (framework, model, api) with the API call, the artifact's path and
files, or, where the API raises in this version, the exception type and first line.

`framework` is `keras` (the env's own `import keras`: tf.keras 2.x up to TF 2.15, Keras 3 from
2.16), `tf_keras` (2.16+, the legacy Keras 2 package) or `tf` (TF1 graph APIs and frozen graphs).
Every job runs in its own forked process, so name counters and registrations never leak between
artifacts and a crash in one API cannot stop the rest. Nothing written depends on the clock.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from corpus import GENERATED, forked, models
from corpus.save_apis import KERAS_APIS, SAVED_MODEL_APIS, Api
from migrator.knowledge.runtimes import RUNTIMES, by_name

# The fixed "timestamp" of the TF1 export folder (the layout of Estimator/TF Serving exports).
EXPORT_TIMESTAMP = "1600000000"
TF1_MODEL = "linear"


# --- TF1 graph APIs: a linear model y = x @ W + b built in a tf.Graph, and frozen Keras graphs.


def _linear_weights() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(21)
    return (
        rng.standard_normal((4, 3)).astype("float32"),
        rng.standard_normal((3,)).astype("float32"),
    )


def linear_reference() -> dict[str, Any]:
    inputs = {"x": np.random.default_rng(1021).standard_normal((2, 4)).astype("float32")}
    w, b = _linear_weights()
    return _reference(TF1_MODEL, inputs, inputs["x"] @ w + b)


def _tf1_session(tf: ModuleType) -> tuple[Any, Any, Any]:
    graph = tf.Graph()
    with graph.as_default():
        w0, b0 = _linear_weights()
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.compat.v1.get_variable("W", initializer=tf.constant(w0))
        b = tf.compat.v1.get_variable("b", initializer=tf.constant(b0))
        y = tf.identity(tf.matmul(x, w) + b, name="y")
        sess = tf.compat.v1.Session(graph=graph)
        sess.run(tf.compat.v1.global_variables_initializer())
    return sess, x, y


def _builder_tags(tf: ModuleType, out: Path) -> tuple[str, str]:
    sess, x, y = _tf1_session(tf)
    path = out / "export" / EXPORT_TIMESTAMP
    with sess.graph.as_default(), sess:
        sig = tf.compat.v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        builder = tf.compat.v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": sig}
        )
        builder.add_meta_graph(["train"], signature_def_map={"serving_default": sig})
        builder.add_meta_graph(["serve", "gpu"], signature_def_map={"serving_default": sig})
        builder.save()
    rel = f"export/{EXPORT_TIMESTAMP}"
    return rel, rel


def _builder_text(tf: ModuleType, out: Path) -> tuple[str, str]:
    sess, x, y = _tf1_session(tf)
    with sess.graph.as_default(), sess:
        sig = tf.compat.v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        builder = tf.compat.v1.saved_model.Builder(str(out / "saved_model"))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": sig}
        )
        builder.save(as_text=True)
    return "saved_model", "saved_model"


def _simple_save(tf: ModuleType, out: Path) -> tuple[str, str]:
    sess, x, y = _tf1_session(tf)
    with sess.graph.as_default(), sess:
        tf.compat.v1.saved_model.simple_save(sess, str(out / "saved_model"), {"x": x}, {"y": y})
    return "saved_model", "saved_model"


def _frozen_graph(model: Any, tf: ModuleType, out: Path, as_text: bool) -> tuple[str, str]:
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    fn = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec((None, 4), tf.float32, name="x")
    )
    frozen = convert_variables_to_constants_v2(fn)
    name = "frozen.pbtxt" if as_text else "frozen.pb"
    tf.io.write_graph(frozen.graph.as_graph_def(), str(out), name, as_text=as_text)
    return name, name


TF_APIS: tuple[tuple[str, str, str], ...] = (
    # (model, api id, call)
    (
        TF1_MODEL,
        "builder-tags",
        "SavedModelBuilder, tags {serve}, {train}, {serve,gpu}, timestamped folder",
    ),
    (TF1_MODEL, "builder-text", "SavedModelBuilder(...).save(as_text=True)"),
    (TF1_MODEL, "simple-save", "tf.compat.v1.saved_model.simple_save"),
    (
        "sequential",
        "frozen-graph",
        "convert_variables_to_constants_v2 -> tf.io.write_graph(as_text=False)",
    ),
    (
        "sequential",
        "frozen-graph-text",
        "convert_variables_to_constants_v2 -> tf.io.write_graph(as_text=True)",
    ),
)


# --- the jobs


@dataclass(frozen=True)
class Job:
    framework: str
    model: str
    api: str  # api id, or "reference"
    out: str  # the job's folder


def keras_module(framework: str) -> ModuleType:
    """The Keras a framework name stands for in this env."""
    if framework == "tf_keras":
        import tf_keras

        return tf_keras
    import keras

    return keras


def frameworks() -> list[str]:
    """`keras` always, `tf_keras` where the env has it next to Keras 3, and `tf`."""
    import keras

    names = ["keras"]
    if int(keras.__version__.split(".")[0]) >= 3:
        try:
            import tf_keras  # noqa: F401
        except ImportError:
            pass
        else:
            names.append("tf_keras")
    return [*names, "tf"]


def _reference(
    name: str, inputs: dict[str, np.ndarray], outputs: np.ndarray, **extra: Any
) -> dict[str, Any]:
    return {
        "model": name,
        "inputs": {k: v.tolist() for k, v in inputs.items()},
        "outputs": np.asarray(outputs, dtype="float32").tolist(),
        **extra,
    }


def _built(framework: str, name: str) -> tuple[Any, ModuleType]:
    keras = keras_module("keras" if framework == "tf" else framework)
    model = models.build(name, keras)
    if name == "trained":
        models.train(model, keras)
    return model, keras


def run_job(job: Job) -> dict[str, Any]:
    """Do one job in this (forked) process; return what the manifest records."""
    import tensorflow as tf

    out = Path(job.out)
    if job.api == "reference":
        if job.model == TF1_MODEL:
            ref = linear_reference()
        else:
            model, _ = _built(job.framework, job.model)
            inputs = models.reference_inputs(job.model)
            extra = {"train_steps": models.TRAIN_STEPS} if job.model == "trained" else {}
            ref = _reference(job.model, inputs, models.call(model, inputs), **extra)
        out.mkdir(parents=True, exist_ok=True)
        (out / "reference.json").write_text(json.dumps(ref, indent=1) + "\n", encoding="utf-8")
        return {}
    out.mkdir(parents=True, exist_ok=True)
    if job.framework == "tf":
        if job.model == TF1_MODEL:
            saver = {
                "builder-tags": _builder_tags,
                "builder-text": _builder_text,
                "simple-save": _simple_save,
            }
            path, load_path = saver[job.api](tf, out)
        else:
            model, _ = _built("keras", job.model)
            path, load_path = _frozen_graph(model, tf, out, as_text=job.api.endswith("-text"))
        return {"path": path, "load_path": load_path}
    model, keras = _built(job.framework, job.model)
    api = next(a for a in KERAS_APIS if a.id == job.api)
    path, load_path = api.save(model, keras, tf, job.model, out)
    return {"path": path, "load_path": load_path}


def keras_apis(env: str, *, extended: bool) -> tuple[Api, ...]:
    """The Keras save APIs runtime `env` writes with.

    A CI line writes the APIs its committed manifest always had, or (`extended`) only those
    added for the extended matrix. Another TF line writes all of them, except the Keras files
    when its Keras is a CI line's (the same bytes, written there). A Keras overlay writes only
    the Keras files: its TF, tf_keras and traced SavedModels are its base line's.
    """
    runtime = by_name(env)
    if runtime.ci:
        return tuple(api for api in KERAS_APIS if api.extended == extended)
    if runtime.overlay:
        return tuple(api for api in KERAS_APIS if api.keras_file)
    ci_keras = {r.keras for r in RUNTIMES if r.ci}
    return tuple(api for api in KERAS_APIS if not (api.keras_file and runtime.keras in ci_keras))


def plan(env_dir: Path, env: str, *, extended: bool = False) -> list[Job]:
    runtime = by_name(env)
    apis = keras_apis(env, extended=extended)
    shared_keras_files = not runtime.ci and not runtime.overlay
    jobs: list[Job] = []
    for framework in ["keras"] if runtime.overlay else frameworks():
        if framework == "tf":
            if runtime.ci and extended:
                continue  # the CI line's TF1 graphs are in its committed manifest
            names = sorted({m for m, _, _ in TF_APIS})
            for name in names:
                jobs.append(Job("tf", name, "reference", str(env_dir / "tf" / name)))
            for name, api_id, _ in TF_APIS:
                jobs.append(Job("tf", name, api_id, str(env_dir / "tf" / name / api_id)))
            continue
        for name in models.MODELS:
            if not (runtime.ci and extended):
                jobs.append(Job(framework, name, "reference", str(env_dir / framework / name)))
            for api in apis if framework == "keras" or not shared_keras_files else KERAS_APIS:
                if name in models.NO_SAVED_MODEL and api.id in SAVED_MODEL_APIS:
                    continue
                if name not in api.models or framework not in api.frameworks:
                    continue
                jobs.append(Job(framework, name, api.id, str(env_dir / framework / name / api.id)))
    return jobs


def versions() -> dict[str, str | None]:
    """Versions of everything that decides what an artifact looks like."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for dist in ("tensorflow-cpu", "keras", "tf-keras", "h5py", "numpy", "protobuf"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def current_env() -> str:
    """The measured runtime this interpreter is (`migrator.knowledge.runtimes`): "tf217",
    "tf219-keras35" (a Keras overlay on tf219)."""
    import keras
    import tensorflow as tf

    from migrator.knowledge.runtimes import identify

    try:
        return identify(tf.__version__, keras.__version__).name
    except KeyError as exc:
        raise SystemExit(f"not a matrix runtime: {exc.args[0]}") from None


def _api_call(framework: str, api_id: str) -> str:
    if framework == "tf":
        return next(call for _, a, call in TF_APIS if a == api_id)
    return next(a.call for a in KERAS_APIS if a.id == api_id)


def sniff(path: Path) -> str:
    """The format an artifact was written in, from its bytes (as the readers name formats).

    The save API alone does not decide it: tf.keras 2.12 `model.save('model.keras')` writes
    HDF5, and `save_weights('x.weights.h5')` writes the Keras 3 layout from tf.keras 2.12 on.
    """
    if path.is_dir():
        names = {p.name for p in path.iterdir()}
        if "config.json" in names:  # Keras 3 `save(..., zipped=False)`
            return "keras-v3"
        if names & {"saved_model.pb", "saved_model.pbtxt"}:
            return "saved-model"
        if any(name.endswith(".index") for name in names):
            return "tf-checkpoint"
        raise ValueError(f"{path}: a folder with neither a SavedModel nor a checkpoint")
    head = path.read_bytes()[:8]
    if head.startswith(b"PK"):
        return "keras-v3"
    if head.startswith(b"\x89HDF"):
        import h5py

        with h5py.File(path, "r") as h5:
            if "model_config" in h5.attrs:
                return "keras-h5"
            if "layer_names" in h5.attrs:
                return "keras-h5-weights"
            return "keras-v3-weights"
    if path.name.endswith(".weights.json"):  # the sharding index of `.weights.h5` shards
        return "keras-v3-weights"
    if path.suffix in (".pb", ".pbtxt"):
        return "graph-def"
    raise ValueError(f"{path}: unrecognised artifact")


def _files(root: Path, artifact: Path) -> list[str]:
    if artifact.is_file():
        return [artifact.relative_to(root).as_posix()]
    return sorted(p.relative_to(root).as_posix() for p in artifact.rglob("*") if p.is_file())


def manifest_name(env: str, *, extended: bool) -> str:
    """A CI line's extended artifacts have their own manifest beside its committed one."""
    return "generated_extended.json" if extended and by_name(env).ci else "generated.json"


def generate(
    out_root: Path, *, jobs: int = 2, only: str | None = None, extended: bool = False
) -> dict[str, Any]:
    """Generate this env's artifacts under `out_root/<env>/` and return (and write) the manifest.

    `extended` matters for the CI lines only: it writes the APIs added for the extended matrix
    (beside the committed ones, which it leaves alone) instead of the committed set.
    """
    import keras  # noqa: F401  (imported before forking: each child then starts in milliseconds)
    import tensorflow as tf

    env = current_env()
    env_dir = out_root / env
    extended = extended and by_name(env).ci
    todo = plan(env_dir, env, extended=extended)
    if only:  # a debugging aid: rewrite those folders only, leave the manifest alone
        todo = [j for j in todo if only in f"{j.framework}/{j.model}/{j.api}"]
    if only or extended:
        for job in todo:
            if job.api != "reference":
                shutil.rmtree(job.out, ignore_errors=True)
    elif env_dir.exists():
        shutil.rmtree(env_dir)
    env_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()

    def progress(index: int, result: dict[str, Any]) -> None:
        job = todo[index]
        elapsed = time.monotonic() - started
        print(
            f"[{env} {elapsed:6.1f}s] {job.framework}/{job.model}/{job.api}: {result['status']}",
            flush=True,
        )

    results = forked.run_all(run_job, todo, jobs=jobs, timeout=300, on_result=progress)
    placeholders = {str(env_dir): "<dir>"}
    artifacts: list[dict[str, Any]] = []
    for job, result in zip(todo, results, strict=True):
        if job.api == "reference":
            if result["status"] != "ok":
                raise SystemExit(f"reference for {job.framework}/{job.model} failed: {result}")
            continue
        entry: dict[str, Any] = {
            "id": f"{env}/{job.framework}/{job.model}/{job.api}",
            "env": env,
            "tf": tf.__version__,
            "framework": job.framework,
            "model": job.model,
            "api": job.api,
            "call": _api_call(job.framework, job.api),
            "reference": f"{env}/{job.framework}/{job.model}/reference.json",
        }
        out = Path(job.out)
        if result["status"] == "ok":
            base = out.relative_to(out_root).as_posix()
            entry["path"] = f"{base}/{result['value']['path']}"
            entry["load_path"] = f"{base}/{result['value']['load_path']}"
            entry["files"] = _files(out_root, out)
            entry["format"] = sniff(out / result["value"]["path"])
        else:
            shutil.rmtree(out, ignore_errors=True)
            error = result.get("error", result["status"])
            error = error.replace(job.out, "<out>")
            for old, new in placeholders.items():
                error = error.replace(old, new)
            entry["error"] = forked.shorten(error)
        artifacts.append(entry)
    if only:
        return {"env": env, "artifacts": artifacts}
    manifest = {
        "env": env,
        "versions": versions(),
        "python": ".".join(map(str, sys.version_info[:2])),
        "artifacts": artifacts,
    }
    (env_dir / manifest_name(env, extended=extended)).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def collect_api_errors(out_root: Path) -> dict[str, Any]:
    """Merge every env's API errors into `api_errors.json`: facts for the code rules.

    Keyed by env, framework and API; the models an error applies to are listed, so an error that
    depends on the model (a Lambda, a custom layer) is told apart from one the API always raises.
    """
    merged: dict[str, Any] = {}
    found = [*out_root.glob("*/generated.json"), *out_root.glob("*/generated_extended.json")]
    for manifest_path in sorted(found):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["artifacts"]:
            if "error" not in entry:
                continue
            key = f"{entry['env']}/{entry['framework']}/{entry['api']}"
            slot = merged.setdefault(
                key,
                {
                    "env": entry["env"],
                    "versions": manifest["versions"],
                    "framework": entry["framework"],
                    "call": entry["call"],
                    "errors": {},
                },
            )
            slot["errors"].setdefault(entry["error"], []).append(entry["model"])
    (out_root / "api_errors.json").write_text(
        json.dumps(merged, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=GENERATED, help="corpus root (default: %(default)s)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs (default: 2)")
    parser.add_argument("--only", help="only jobs whose framework/model/api contains this text")
    parser.add_argument(
        "--extended",
        action="store_true",
        help="a CI line: write only the APIs added for the extended matrix",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    manifest = generate(args.out, jobs=args.jobs, only=args.only, extended=args.extended)
    collect_api_errors(args.out)
    made = sum("error" not in a for a in manifest["artifacts"])
    print(f"[{manifest['env']}] {made} artifacts, {len(manifest['artifacts']) - made} API errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
