"""TF Hub: TF1 Hub modules (format `tfhub-module`) and TF2 Reusable SavedModels.

The TF1 module is reproduced from its documented layout (tensorflow_hub native_module.py,
saved_model_lib.py, module_def.proto and docs/hosting.md): `tfhub_module.pb` holding
`ModuleDef(format=FORMAT_V3)`, a TF1 `saved_model.pb` whose MetaGraphs are the graph variants
`set()` and `{"train"}` with the `default` signature, `variables/`; and, as tfhub.dev served it,
the same folder as a `.tar.gz` whose root is the module. Real modules in the shared real-world
trees are read in place when a manifest lists one. The TF2 side uses the SavedModels tf.keras
2.15 wrote into `corpus/generated` (tf.keras adds the Reusable SavedModel attributes) and the
`model.export` ones (which do not).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from migrator import loadability
from migrator.audit import audit
from migrator.model import Artifact
from migrator.rules import check_artifact
from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def
from tests.conftest import REPO

JUDGES = [loadability.judge, check_artifact]
DEFAULT = {"default": signature(PREDICT, {"default": "x:0"}, {"default": "y:0"})}
GENERATED = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional"
SHARED = REPO.parent / "shared"


def hub_module(folder: Path, *variants: tuple[str, ...], fmt: int = 3) -> Path:
    graphs = [meta_graph(tags=tags, tf_version="1.15.0", signatures=DEFAULT) for tags in variants]
    return tfhub_module_def(saved_model(folder, *graphs), fmt)


def only(path: Path) -> Artifact:
    (artifact,) = audit([path], judges=JUDGES).artifacts
    return artifact


def verdict(artifact: Artifact, cell: str) -> dict[str, str]:
    return dict(artifact.loadability[cell])


def test_tf1_hub_module_is_its_own_format_with_its_module_def(tmp_path: Path) -> None:
    module = only(hub_module(tmp_path / "module", (), ("train",)))
    assert module.format == "tfhub-module" and not module.errors
    hub = module.details["hub"]
    assert hub["module_format"] == 3 and hub["module_format_name"] == "FORMAT_V3"
    assert hub["graph_variants"] == [[], ["train"]]
    assert hub["inference_variant"] and hub["default_signature"]
    assert module.details["era"] == "tf1"  # the SavedModel facts are all there too
    assert module.producer["tensorflow_version"] == "1.15.0"
    assert "tfhub_module.pb" in {f.rsplit("/", 1)[-1] for f in module.files}
    assert module.reading.evidence[0].startswith("tfhub_module.pb parses as a tensorflow_hub")
    assert {f.rule for f in module.findings} == {"MIG140"}


def test_tf1_hub_module_verdicts_in_tf2(tmp_path: Path) -> None:
    two = only(hub_module(tmp_path / "two", (), ("train",)))
    load = verdict(two, "2.21/tf.saved_model.load")
    assert load["verdict"] == "loads-with-changes"
    assert "tags=[]" in load["reason"] and "hub.load passes tags=[] itself" in load["reason"]
    assert "fine-tuning is unsupported" in load["reason"]
    for cell in ("2.21/keras.load_model", "2.21/tf_keras.load_model", "2.15/keras.load_model"):
        assert verdict(two, cell)["verdict"] == "fails"
        assert "hub.load(path)" in verdict(two, cell)["reason"]
    assert verdict(two, "2.21/keras.layers.TFSMLayer")["verdict"] == "fails"
    assert "2 graph variants" in verdict(two, "2.21/keras.layers.TFSMLayer")["reason"]

    one = only(hub_module(tmp_path / "one", ()))
    assert verdict(one, "2.21/tf.saved_model.load")["verdict"] == "loads"
    tfsm = verdict(one, "2.16/keras.layers.TFSMLayer")
    assert tfsm["verdict"] == "loads-with-changes" and "call_endpoint='default'" in tfsm["reason"]


def test_a_module_without_the_inference_variant_needs_its_tags(tmp_path: Path) -> None:
    module = only(hub_module(tmp_path / "train_only", ("train",), ("eval",)))
    assert not module.details["hub"]["inference_variant"]
    reason = verdict(module, "2.21/tf.saved_model.load")["reason"]
    assert "needs tags=['train']" in reason and "pass hub.load(path, tags=...)" in reason
    serve_only = only(hub_module(tmp_path / "serve_only", ("serve",)))
    cell = verdict(serve_only, "2.21/tf.saved_model.load")
    assert cell["verdict"] == "loads" and "hub.load(path) passes tags=[]" in cell["reason"]


@pytest.mark.parametrize(("fmt", "expected"), [(3, set()), (0, {"MIG141"}), (7, {"MIG141"})])
def test_module_def_formats_no_release_reads(tmp_path: Path, fmt: int, expected: set[str]) -> None:
    module = only(hub_module(tmp_path / "module", (), fmt=fmt))
    assert {f.rule for f in module.findings} - {"MIG140"} == expected
    assert module.details["hub"]["module_format_name"] == ("FORMAT_V3" if fmt == 3 else "unknown")


def test_damaged_module_def_and_missing_graph_are_one_line_errors(tmp_path: Path) -> None:
    broken = hub_module(tmp_path / "broken", ())
    (broken / "tfhub_module.pb").write_bytes(b"\xff\xff\xff\xff")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    tfhub_module_def(lonely)
    report = audit([tmp_path], judges=JUDGES)
    found = {a.path: a for a in report.artifacts}
    assert found["broken"].format == found["lonely"].format == "tfhub-module"
    (error,) = found["broken"].errors
    assert "does not parse as a tensorflow_hub ModuleDef" in error and "re-download" in error
    (error,) = found["lonely"].errors
    assert "without saved_model.pb" in error and "\n" not in error


def test_compressed_hub_module_as_tfhub_dev_served_it(tmp_path: Path) -> None:
    """docs/hosting.md: `tar -cz -C /tmp/export-model/ .`: the archive's root is the module."""
    folder = hub_module(tmp_path / "export", (), ("train",))
    with tarfile.open(tmp_path / "module.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname=".")
    report = audit([tmp_path / "module.tar.gz"], judges=JUDGES)
    found = {a.path: a for a in report.artifacts}
    assert found["module.tar.gz!/"].format == "tfhub-module"
    assert found["module.tar.gz!/"].details["hub"]["graph_variants"] == [[], ["train"]]
    assert found["module.tar.gz"].details["artifacts"] == ["."]


def test_tf2_reusable_savedmodels_are_recognised() -> None:
    keras_sm = only(GENERATED / "save-dir" / "model")
    exported = only(GENERATED / "export" / "export")
    assert keras_sm.format == exported.format == "saved-model"
    assert keras_sm.details["reusable"] is True
    assert any("a Reusable SavedModel (TF Hub's TF2 format" in e for e in keras_sm.reading.evidence)
    assert exported.details["reusable"] is False  # model.export writes only `serve`


def _realworld_hub_entries() -> list[Path]:
    found = []
    for tree in sorted(SHARED.glob("realworld*")):
        manifest = tree / "MANIFEST.json"
        if not manifest.is_file():
            continue
        for entry in json.loads(manifest.read_text()):
            text = json.dumps(entry).lower()
            if "tfhub" in text or "hub_module" in text or "tfhub_module.pb" in text:
                for item in entry.get("files", []):
                    if str(item.get("path", "")).endswith("tfhub_module.pb"):
                        found.append((tree / item["path"]).parent)
    return found


def test_real_hub_modules_read_in_place() -> None:
    modules = _realworld_hub_entries()
    if not modules:
        pytest.skip("no TF Hub module in ../shared/realworld*/MANIFEST.json")
    for folder in modules:
        module = only(folder)
        assert module.format == "tfhub-module" and not module.errors, folder
        assert module.details["hub"]["module_format_name"] == "FORMAT_V3"


def test_plan_converts_a_hub_module_by_its_own_step(tmp_path: Path) -> None:
    """`convert --plan`: the inference variant converts by tfhub-module-to-tf2 in the newest
    runtime; a module without one needs --tags; a Keras target is refused with what to do."""
    from migrator.convert import Options
    from migrator.convert.plan import make_plan
    from migrator.knowledge import tf_lines

    module = hub_module(tmp_path / "module", (), ("train",))
    (item,) = make_plan(module, tmp_path / "out", Options()).artifacts
    assert item.status == "convert" and item.kind == "tfhub-module"
    assert item.targets == [
        {
            "target": "saved-model",
            "steps": ["tfhub-module-to-tf2"],
            "runtimes": [tf_lines.newest().env],
        }
    ]
    (item,) = make_plan(module, tmp_path / "out", Options(targets=("keras",))).artifacts
    assert item.status == "no-path" and "TFSMLayer" in item.reason
    train_only = hub_module(tmp_path / "train", ("train",))
    (item,) = make_plan(train_only, tmp_path / "out", Options()).artifacts
    assert item.status == "no-path" and "no inference graph variant" in item.reason
    assert item.reason.endswith("choose the variant to convert with --tags")
    (item,) = make_plan(train_only, tmp_path / "out", Options(tags=("train",))).artifacts
    assert item.status == "convert" and item.targets[0]["steps"] == ["tfhub-module-to-tf2"]
    assert not (tmp_path / "out").exists()
    (finding,) = only(module).findings
    assert finding.rule == "MIG140" and "migrator convert" in finding.message


def test_hub_step_picks_the_variant_and_signature_hub_load_uses() -> None:
    from migrator.convert.steps.tfhub_module_to_sm import choose_module_signature, choose_variant
    from migrator.errors import ConversionError

    metas = [
        {"tags": [], "signatures": ["default", "tokens"]},
        {"tags": ["train"], "signatures": ["tokens"]},
    ]
    assert choose_variant(metas, ()) == []
    assert choose_variant(metas, ("train",)) == ["train"]
    with pytest.raises(ConversionError, match="--tags"):
        choose_variant(metas, ("serve",))
    assert choose_module_signature(metas, [], None) == "default"
    assert choose_module_signature(metas, ["train"], None) is None  # the TF1 step's own choice
    assert choose_module_signature(metas, [], "tokens") == "tokens"


def test_text_modules_are_validated_on_sentences_of_their_vocabulary(tmp_path: Path) -> None:
    """A hub text embedding takes a batch of sentences: two made of the vocabulary's words
    (after the first, usually <unk>); no vocabulary or another input: None (--inputs needed)."""
    from migrator.convert.steps.tfhub_module_to_sm import vocabulary_sentences

    sentences = [{"name": "default", "shape": [None], "dtype": "string"}]
    (tmp_path / "assets").mkdir()
    assert vocabulary_sentences(tmp_path, sentences) is None  # no asset at all
    (tmp_path / "assets" / "a.bin").write_bytes(b"\xff\xfe\x00binary")
    assert vocabulary_sentences(tmp_path, sentences) is None
    (tmp_path / "assets" / "tokens.txt").write_text("<unk>\tcount\nthe\t9\ncat\t4\nsat\t2\non\t1\n")
    found = vocabulary_sentences(tmp_path, sentences)
    assert found is not None and found.tolist() == [b"the cat", b"sat on"]
    images = [{"name": "images", "shape": [None, 2], "dtype": "string"}]
    assert vocabulary_sentences(tmp_path, images) is None
    two = [*sentences, {"name": "lengths", "shape": [None], "dtype": "int32"}]
    assert vocabulary_sentences(tmp_path, two) is None
