"""`--format cyclonedx`: the ML-BOM validates against the official CycloneDX 1.6 JSON schema.

The schema comes from `cyclonedx-python-lib` (the CycloneDX project's own Python library, which
ships the published schemas under `cyclonedx/schema/_res/`), read offline; the test fails, not
skips, when it is missing, because a BOM nobody validated is not one."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from migrator.cli import main
from migrator.model import Artifact, Finding, Reading, Report
from migrator.report import cyclonedx
from tests.test_audit_cli import write_keras_h5, write_saved_model
from tests.test_reports import sample_report

SCHEMA_FILES = (
    "bom-1.6.SNAPSHOT.schema.json",
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return make_validator()


def make_validator() -> jsonschema.Draft7Validator:
    """The CycloneDX 1.6 schema with the schemas it refers to, from cyclonedx-python-lib."""
    res = resources.files("cyclonedx.schema") / "_res"
    schemas = {name: json.loads((res / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES}
    bom_schema = schemas[SCHEMA_FILES[0]]
    assert bom_schema["$id"] == "http://cyclonedx.org/schema/bom-1.6.schema.json"
    registry: Registry = Registry()
    for name, schema in schemas.items():
        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        registry = registry.with_resource(f"http://cyclonedx.org/schema/{name}", resource)
    return jsonschema.Draft7Validator(
        bom_schema, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def errors_of(validator: jsonschema.Draft7Validator, document: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_validator_rejects_a_broken_bom(validator):
    """Control: the schema is really applied (a wrong component type and a bad hash fail)."""
    bad = json.loads(cyclonedx.render(sample_report()))
    bad["components"][0]["type"] = "neural-network"
    bad["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "xyz"}]
    assert len(errors_of(validator, bad)) >= 2


def test_sample_report_bom_is_valid(validator):
    text = cyclonedx.render(sample_report())
    bom = json.loads(text)
    assert errors_of(validator, bom) == []
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    types = {c["type"] for c in bom["components"]}
    assert types == {"machine-learning-model"}
    assert [c["name"] for c in bom["components"]] == sorted(
        a.path for a in sample_report().artifacts
    )
    assert text == cyclonedx.render(sample_report())  # deterministic, serial number included


def test_audited_tree_bom_has_hashes_model_cards_and_vulnerabilities(tmp_path, validator, capsys):
    write_keras_h5(tmp_path / "models" / "classifier.h5")
    write_saved_model(tmp_path / "serving" / "1")
    out = tmp_path / "bom.cdx.json"
    assert main(["audit", str(tmp_path / "models"), str(tmp_path / "serving"), "-o", str(out)]) == 0
    bom = json.loads(out.read_text(encoding="utf-8"))  # the extension chose the format
    assert errors_of(validator, bom) == []
    by_name = {c["name"]: c for c in bom["components"]}
    h5 = by_name["models/classifier.h5"]
    digest = hashlib.sha256((tmp_path / "models" / "classifier.h5").read_bytes()).hexdigest()
    assert h5["hashes"] == [{"alg": "SHA-256", "content": digest}]
    assert h5["version"] == "2.3.1"
    assert h5["modelCard"]["modelParameters"]["modelArchitecture"] == "Sequential"
    props = {p["name"]: p["value"] for p in h5["properties"]}
    assert props["migrator:format"] == "keras-h5"
    saved = by_name["serving/1"]
    files = {f["name"]: f for f in saved["components"]}
    pb = (tmp_path / "serving" / "1" / "saved_model.pb").read_bytes()
    assert (
        files["serving/1/saved_model.pb"]["hashes"][0]["content"] == hashlib.sha256(pb).hexdigest()
    )


def test_big_files_are_hashed_only_with_hashes(tmp_path, monkeypatch):
    write_keras_h5(tmp_path / "m.h5")
    monkeypatch.setattr(cyclonedx, "SMALL_FILE_BYTES", 10)  # the test file counts as "huge"
    report = Report(
        tmp_path.as_posix(),
        artifacts=(Artifact("m.h5", tmp_path / "m.h5", Reading("keras-h5"), ("m.h5",)),),
    )
    plain = cyclonedx.bom(report)["components"][0]
    assert "hashes" not in plain
    assert {"name": "migrator:hash-skipped", "value": "larger than 16 MiB; use --hashes"} in plain[
        "properties"
    ]
    full = cyclonedx.bom(report, all_hashes=True)["components"][0]
    assert (
        full["hashes"][0]["content"] == hashlib.sha256((tmp_path / "m.h5").read_bytes()).hexdigest()
    )


def test_security_findings_are_vulnerabilities_of_the_model(validator):
    lam = Finding("MIG301", "critical", "Lambda layer `f` holds marshalled bytecode; rebuild it.")
    report = Report(
        "/r",
        artifacts=(
            Artifact("lam.h5", Path("/r/lam.h5"), Reading("keras-h5"), ("lam.h5",), (lam,)),
        ),
    )
    bom = cyclonedx.bom(report)
    assert errors_of(validator, bom) == []
    (vuln,) = bom["vulnerabilities"]
    assert vuln["id"] == "MIG301" and vuln["ratings"] == [
        {"severity": "critical", "method": "other"}
    ]
    assert vuln["affects"] == [{"ref": "migrator:artifact:lam.h5"}]
    props = {p["name"]: p["value"] for p in bom["components"][0]["properties"]}
    assert props["migrator:executes-on-load"] == "true"
    # a missing file is a property, not a crash
    assert "migrator:hash-skipped" in props


def test_any_string_goes_into_a_valid_bom(validator):
    odd = Artifact(
        "bad-\udcff-name.h5",
        Path("/nowhere/bad.h5"),
        Reading("keras-h5", {"keras_version": "2.\ud800"}, errors=("config holds \ud800",)),
        ("bad-\udcff-name.h5",),
    )
    text = cyclonedx.render(Report("/nowhere", artifacts=(odd,)))
    text.encode("utf-8")  # writable
    assert errors_of(validator, json.loads(text)) == []
