"""Security rules (MIG3xx): malicious real-world entries are flagged, and no payload ever runs.

The canary test builds artifacts whose payloads WOULD create a canary file if anything loaded
them (marshalled Lambda bytecode in HDF5, JSON and `.keras`, a pickle in `.npz` weights, a
YAML python tag, a config naming an importable module whose import writes the canary) and
audits them, together with every `malicious` real-world entry, in a
subprocess where `os.system`, `os.popen`, the `exec*`/`spawn*` family, `subprocess`, `pickle`,
`marshal`, `numpy.load`, `yaml.load` and `builtins.exec`/`eval` are replaced by recorders that
raise. The audit must finish with findings, with no recorder called and no canary file.
"""

from __future__ import annotations

import base64
import json
import marshal
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from migrator.audit import audit
from migrator.rules import check_artifact
from migrator.rules.security.graph_ops import UNSAFE_OPS, _is_path, unsafe_graph_ops
from tests.cases._writers import KERAS3_SEQ, keras3_functional
from tests.conftest import REALWORLD, REPO, build_case, realworld_manifest

MALICIOUS = [e["id"] for e in realworld_manifest() if "malicious" in e.get("tags", [])]


def security_findings(path: Path) -> list[tuple[str, str, str]]:
    report = audit([path], judges=[check_artifact])
    return [
        (a.path, f.rule, f.severity)
        for a in report.artifacts
        for f in a.findings
        if f.rule.startswith("MIG3")
    ]


# --- real malicious entries ------------------------------------------------------------------------


def test_the_manifest_has_malicious_entries_where_it_is_present() -> None:
    if not (REALWORLD / "MANIFEST.json").is_file():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    assert len(MALICIOUS) >= 6


@pytest.mark.parametrize("entry", MALICIOUS or ["(none)"])
def test_every_malicious_entry_gets_a_security_finding(entry: str) -> None:
    folder = REALWORLD / "artifacts" / entry
    if not folder.is_dir():
        pytest.skip(f"real-world entry {entry} not available at {folder}")
    found = security_findings(folder)
    assert found, f"{entry}: no security finding"


# What each malicious entry carries, and the rule (and severity) that must say so.
MALICIOUS_EXPECTED = {
    "kosenko_lambda_marshal_h5_tfk215": {("MIG301", "critical")},
    "evilkeras_npz_dupentry_k36": {("MIG304", "critical"), ("MIG309", "high")},
    "malmodelscan_tensorabuse_readfile_sm": {("MIG305", "critical")},
    "malmodelscan_lambda_keras_sm_tf215": {("MIG301", "high")},
    "bn_malicious_subclass_keras_k333": {("MIG302", "high"), ("MIG303", "medium")},
    "bn_malicious_subclass_h5_k333": {("MIG303", "medium")},
}


@pytest.mark.parametrize("entry", sorted(MALICIOUS_EXPECTED))
def test_malicious_entries_are_flagged_for_what_they_carry(entry: str) -> None:
    folder = REALWORLD / "artifacts" / entry
    if not folder.is_dir():
        pytest.skip(f"real-world entry {entry} not available at {folder}")
    assert {(rule, sev) for _, rule, sev in security_findings(folder)} == MALICIOUS_EXPECTED[entry]


def test_tensorabuse_message_names_ops_paths_and_addresses() -> None:
    folder = REALWORLD / "artifacts" / "malmodelscan_tensorabuse_readfile_sm"
    if not folder.is_dir():
        pytest.skip("tensorabuse entry not available")
    (artifact,) = audit([folder], judges=[check_artifact]).artifacts
    (finding,) = [f for f in artifact.findings if f.rule == "MIG305"]
    for needle in (
        "5 unsafe op(s)",
        "DebugIdentityV3 (sends tensors over the network)",
        "`grpc://10.214.148.18:1236`",
        "DistributedSave (contacts a network address)",
        "FixedLengthRecordDatasetV2 (reads local files)",
        "`/etc/passwd`",
        "MatchingFiles (reads local files)",
        "`/home/*/.ssh`",
        "Save (writes files)",
    ):
        assert needle in finding.message
    # the SavedModel's own traced save/restore functions are not reported
    located = {(op, loc) for op, loc, _, _ in unsafe_graph_ops(artifact)}
    assert not any("__inference__traced_" in loc for _, loc in located)


def test_no_real_benign_artifact_gets_a_critical_or_high_security_finding() -> None:
    root = REALWORLD / "artifacts"
    if not root.is_dir():
        pytest.skip(f"real-world artifacts not available at {REALWORLD}")
    benign = [e["id"] for e in realworld_manifest() if "malicious" not in e.get("tags", [])]
    flagged = {}
    for entry in benign:
        found = [f for f in security_findings(root / entry) if f[2] in ("critical", "high")]
        if found:
            flagged[entry] = found
    # dv_k120_fullmodel_lambda really holds marshalled Lambda bytecode (Keras 1.2 preprocessing)
    assert set(flagged) == {"dv_k120_fullmodel_lambda"}
    assert {rule for _, rule, _ in flagged["dv_k120_fullmodel_lambda"]} == {"MIG301"}


# --- no payload runs: the canary test ------------------------------------------------------------


def _payload(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').write('payload ran')"


def _marshalled_lambda(canary: Path) -> str:
    namespace: dict = {}
    exec(  # building the payload in the test; the audit must never run it
        f"def f(x):\n    {_payload(canary)}\n    return x\n", namespace
    )
    return base64.b64encode(marshal.dumps(namespace["f"].__code__)).decode()


class _Payload:
    """Pickles as a call of os.system that would create the canary (never unpickled)."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.canary}",))


def build_hostile_tree(root: Path, canary: Path) -> dict[str, str]:
    """Artifacts that would create `canary` if loaded; returns {path: expected rule}."""
    code = _marshalled_lambda(canary)
    lambda_layer = {
        "class_name": "Lambda",
        "config": {"name": "boom", "function": [code, None, None], "function_type": "lambda",
                   "module": "__main__", "output_shape": None, "output_shape_type": "raw",
                   "arguments": {}},
    }  # fmt: skip
    nested = {
        "class_name": "Sequential",
        "config": {
            "name": "outer",
            "layers": [
                {"class_name": "Sequential", "config": {"name": "inner", "layers": [lambda_layer]}}
            ],
        },
    }
    root.mkdir(parents=True)
    with h5py.File(root / "lambda.h5", "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(nested)
        f.create_group("model_weights").attrs["layer_names"] = []
    (root / "lambda.json").write_text(json.dumps({**nested, "keras_version": "2.15.0"}))

    k3_lambda = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                 "name": "boom", "inbound_nodes": [], "config": {"name": "boom", "function": {
                     "class_name": "__lambda__", "config": {"code": code}}}}  # fmt: skip
    build_case("MIG301", "positive", "keras3_lambda.keras", root / "tmp")
    with zipfile.ZipFile(root / "lambda.keras", "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        z.writestr("config.json", json.dumps(keras3_functional(k3_lambda)))
        z.writestr("model.weights.h5", (root / "tmp" / "keras3_lambda.keras").read_bytes()[:0])

    layer = np.empty((), dtype=object)
    layer[()] = _Payload(canary)
    npz = root / "weights.npz"
    np.savez(npz, **{"layers/d": layer})
    with zipfile.ZipFile(root / "pickle.keras", "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.writestr("config.json", json.dumps(KERAS3_SEQ))
        z.writestr("model.weights.npz", npz.read_bytes())
        with pytest.warns(UserWarning, match="Duplicate name"):  # the duplicate is the point
            z.writestr("model.weights.npz", pickle.dumps(_Payload(canary), protocol=4))
    npz.unlink()
    # A module a loader would import for the config's `module` key; importing it is a payload.
    modules = root.parent / "pymods"
    modules.mkdir()
    (modules / "canary_module.py").write_text(f"{_payload(canary)}\nclass Boom:\n    pass\n")
    boom = {"module": "canary_module", "class_name": "Boom", "config": {"name": "boom"},
            "registered_name": None, "name": "boom", "inbound_nodes": []}  # fmt: skip
    with zipfile.ZipFile(root / "module.keras", "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        z.writestr("config.json", json.dumps(keras3_functional(boom)))
    (root / "model.yaml").write_text(
        f"class_name: !!python/object/apply:os.system ['touch {canary}']\nconfig: {{}}\n"
    )
    return {
        "lambda.h5": "MIG301",
        "lambda.json": "MIG301",
        "lambda.keras": "MIG301",
        "pickle.keras": "MIG304",
        "module.keras": "MIG302",
    }


CANARY_AUDIT = textwrap.dedent(
    """
    import builtins, inspect, json, marshal, os, pickle, subprocess, sys
    from pathlib import Path

    from migrator.audit import audit
    from migrator.formats import readers
    from migrator.rules import all_rules, check_artifact, check_source
    import numpy, yaml

    all_rules()  # import every reader and rule module before the spies go in
    readers()
    canary, log = Path(sys.argv[1]), Path(sys.argv[2])
    # Python's own machinery may use these: importing a module (exec of its code, marshal of
    # its .pyc, namedtuple's eval while the module runs; readers import h5py/numpy/yaml lazily)
    # and multiprocessing starting the audit's reader workers (fork). Nothing else may.
    MULTIPROCESSING = os.path.dirname(__import__("multiprocessing").__file__)

    def machinery(frame):
        if frame.f_code.co_filename.startswith(MULTIPROCESSING):
            return True
        while frame is not None:
            if frame.f_code.co_filename.startswith("<frozen importlib"):
                return True
            frame = frame.f_back
        return False

    def spy(name, real):
        def refuse(*args, **kwargs):
            if machinery(sys._getframe(1)):
                return real(*args, **kwargs)
            with open(log, "a") as fh:  # a file, so calls in forked workers are seen too
                fh.write(name + "\\n")
            raise RuntimeError(f"{name} called during the audit")
        return refuse

    targets = {
        os: ["system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execle",
             "execlp", "execlpe", "spawnv", "spawnve", "spawnl", "spawnle", "posix_spawn",
             "posix_spawnp", "fork", "forkpty"],
        subprocess: ["Popen", "run", "call", "check_call", "check_output", "getoutput",
                     "getstatusoutput"],
        pickle: ["load", "loads", "Unpickler"],
        marshal: ["load", "loads"],
        builtins: ["exec", "eval"],
        numpy: ["load"],
        yaml: ["load", "unsafe_load", "full_load", "load_all", "unsafe_load_all"],
    }
    for module, names in targets.items():
        for name in names:
            if hasattr(module, name):
                real = getattr(module, name)
                setattr(module, name, spy(f"{module.__name__}.{name}", real))

    paths = [Path(p) for p in sys.argv[3:]]
    runs = [{}]
    if "jobs" in inspect.signature(audit).parameters:
        runs.append({"jobs": 0})  # in this process as well as in the reader workers
    for options in runs:
        report = audit(paths, judges=[check_artifact], code_rules=check_source, **options)
    out = {
        "called": log.read_text().split() if log.exists() else [],
        "canary": canary.exists(),
        "forbidden_modules": sorted(m for m in sys.modules if m.split(".")[0] in
                             ("tensorflow", "keras", "tf_keras", "canary_module")),
        "findings": {a.path: sorted({f.rule for f in a.findings}) for a in report.artifacts},
        "messages": {a.path: [f.message for f in a.findings] for a in report.artifacts},
        "errors": {a.path: list(a.errors) for a in report.artifacts if a.errors},
    }
    print(json.dumps(out))
    """
)


def run_canary_audit(canary: Path, log: Path, paths: list[Path], script: str = CANARY_AUDIT):
    result = subprocess.run(
        [sys.executable, "-c", script, str(canary), str(log), *map(str, paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if k != "MIGRATOR_JOBS"},  # real workers too
            "PYTHONPATH": os.pathsep.join([str(REPO), str(canary.parent / "pymods")]),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_auditing_hostile_artifacts_runs_no_payload(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    hostile = tmp_path / "hostile"
    expected = build_hostile_tree(hostile, canary)
    paths = [hostile]
    real = [REALWORLD / "artifacts" / e for e in MALICIOUS]
    paths += [p for p in real if p.is_dir()]
    out = run_canary_audit(canary, tmp_path / "calls.log", paths)
    assert out["called"] == [], out["called"]
    assert out["canary"] is False and not canary.exists()
    assert out["forbidden_modules"] == []
    for name, rule in expected.items():
        (path,) = [p for p in out["findings"] if p.endswith(f"hostile/{name}") or p == name]
        assert rule in out["findings"][path], (name, out["findings"][path])
    # the payloads were named (pickletools, our marshal reader) under the spies, not run
    messages = {p.rsplit("/", 1)[-1]: " ".join(m) for p, m in out["messages"].items()}
    assert f"calls `{os.system.__module__}.system`" in messages["pickle.keras"]
    assert "bytecode references `open`" in messages["lambda.h5"]
    assert "bytecode references `open`" in messages["lambda.keras"]
    (yaml_path,) = [p for p in out["errors"] if p.endswith("model.yaml")]
    assert "!!python/object/apply:os.system" in out["errors"][yaml_path][0]
    for entry in MALICIOUS:
        flagged = [p for p, rules in out["findings"].items()
                   if entry in p and any(r.startswith("MIG3") for r in rules)]  # fmt: skip
        assert flagged or not (REALWORLD / "artifacts" / entry).is_dir(), entry


def test_the_spies_would_have_caught_a_payload(tmp_path: Path) -> None:
    """The canary harness works: a call from anywhere but Python's machinery is recorded."""
    script = CANARY_AUDIT.replace(
        "paths = [Path(p) for p in sys.argv[3:]]",
        "try:\n    pickle.loads(b'x')\nexcept RuntimeError:\n    pass\npaths = [canary.parent]",
    )
    out = run_canary_audit(tmp_path / "CANARY", tmp_path / "calls.log", [], script)
    assert out["called"] == ["pickle.loads"] and out["canary"] is False
    # ... and importing the hostile tree's module would have left the canary behind
    build_hostile_tree(tmp_path / "hostile", tmp_path / "CANARY")
    script = CANARY_AUDIT.replace(
        "paths = [Path(p) for p in sys.argv[3:]]", "import canary_module\npaths = [canary.parent]"
    )
    out = run_canary_audit(tmp_path / "CANARY", tmp_path / "calls2.log", [], script)
    assert out["canary"] is True and out["forbidden_modules"] == ["canary_module"]


# --- the unsafe-op table and its judgement ---------------------------------------------------------


def test_unsafe_op_table_covers_the_file_network_and_python_ops() -> None:
    for op in (
        "ReadFile", "WriteFile", "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints",
        "MatchingFiles", "DistributedSave", "WholeFileReader", "WholeFileReaderV2",
        "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2", "TFRecordDataset",
        "TFRecordDatasetV2", "TextLineDataset", "PyFunc", "EagerPyFunc", "PyFuncStateless",
        "ImmutableConst", "DatasetToTFRecord", "CreateSummaryFileWriter", "SqlDataset",
    ):  # fmt: skip
        assert op in UNSAFE_OPS, op
    assert UNSAFE_OPS["WriteFile"].severity == "critical"
    assert UNSAFE_OPS["ReadFile"].severity == "high"
    assert "Identity" not in UNSAFE_OPS and "InitializeTableFromTextFileV2" not in UNSAFE_OPS


@pytest.mark.parametrize(
    ("text", "is_path"),
    [
        ("/etc/passwd", True),
        ("/home/*/.ssh", True),
        ("grpc://10.0.0.1:6064", True),
        ("file:///tmp/x", True),
        ("C:\\Users\\x", True),
        ("../../x", True),
        ("model", False),
        ("dense/kernel", False),
        ("/.ATTRIBUTES/OBJECT_CONFIG_JSON", False),
        (
            "layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
            False,
        ),
        ("10 0,10", False),
    ],
)
def test_path_or_url_detection(text: str, is_path: bool) -> None:
    assert _is_path(text) is is_path


def test_tfjs_graph_with_file_ops_is_medium(tmp_path: Path) -> None:
    folder = tmp_path / "tfjs"
    folder.mkdir()
    document = {
        "format": "graph-model",
        "generatedBy": "2.15.0",
        "convertedBy": "TensorFlow.js Converter v4.17.0",
        "modelTopology": {
            "node": [
                {"name": "path", "op": "Const", "attr": {}},
                {"name": "read", "op": "ReadFile", "input": ["path"]},
            ],
            "library": {},
            "versions": {"producer": 1},
        },
        "weightsManifest": [],
    }
    (folder / "model.json").write_text(json.dumps(document))
    found = security_findings(folder)
    assert [(rule, sev) for _, rule, sev in found] == [("MIG305", "medium")]


def test_saver_ops_with_a_baked_in_path_are_not_exempt(tmp_path: Path) -> None:
    target = build_case("MIG305", "positive", "save_with_constant_path", tmp_path)
    (artifact,) = audit([target], judges=[check_artifact]).artifacts
    (finding,) = [f for f in artifact.findings if f.rule == "MIG305"]
    assert "`/home/user/.ssh/authorized_keys`" in finding.message and finding.severity == "critical"
    negative = build_case("MIG305", "negative", "tf2_savedmodel_traced_saver", tmp_path / "n")
    assert security_findings(negative) == []
