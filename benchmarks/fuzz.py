"""Fuzz the whole audit: mutated copies of every format's files, audited through the real worker pool.

Why here and not in the test suite: the claim that no input can sink a batch is only worth what the
inputs behind it are worth, and that takes hundreds of thousands of them (`tox -e fuzz`, ~40 min on
two cores). `tests/test_fuzz.py` runs a few hundred seeded inputs of the same harness.

Seeds are the corpus's artifacts (HDF5, SavedModels, checkpoints, `.keras` zips, GraphDefs,
architecture files) plus TF.js and TFLite models built by the test suite's own writers. Each input
is one seed with one file mutated: bit flips, byte sets, truncations, chunk deletes/duplicates,
splices; field-level mutations of JSON values (wrong types, NUL bytes, lone surrogates, deep
nesting, huge numbers), of protobuf fields (varints, lengths, wire types, duplicated fields), of
the HDF5 `model_config` attribute (rewritten with h5py on a pristine copy), and of zip members
(mutated, duplicated, renamed outside the archive, dropped). Other files of the seed are hard links.

Inputs are audited in batches, each batch one `audit()` call with the command line's judges
(loadability and every artifact rule) and real forked workers. Counted: inputs, uncaught
exceptions (audit raised), "internal error" lines, model-named files with no line at all, main
process hangs (a batch past its budget dumps the stack and ends the run: faulthandler), and the
peak RSS of the workers (RUSAGE_CHILDREN) and of this process. Findings are copied under
`--keep` with the line that flagged them.

    python benchmarks/fuzz.py --inputs 300000 --seed 1 --keep /tmp/fuzz-finds
"""

from __future__ import annotations

import argparse
import faulthandler
import io
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator import loadability  # noqa: E402
from migrator.audit import audit  # noqa: E402
from migrator.discover import _looks_like_model, discover  # noqa: E402
from migrator.rules import check_artifact  # noqa: E402

MAX_SEED_BYTES = 160 * 1024


@dataclass(frozen=True)
class Seed:
    """One artifact to mutate: its files (relative to `base`) and which one is the main file."""

    reader: str
    base: Path
    files: tuple[str, ...]
    main: str


@dataclass
class Tally:
    inputs: int = 0
    batches: int = 0
    uncaught: int = 0
    internal_errors: int = 0
    unlined: int = 0
    hangs: int = 0
    artifact_errors: int = 0
    by_reader: Counter[str] = field(default_factory=Counter)
    by_mutator: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


# --- seeds --------------------------------------------------------------------------------------


def corpus_seeds(corpus: Path) -> list[Seed]:
    seeds = []
    for cand in discover(corpus).candidates:
        if cand.location.is_dir():
            base = cand.location
            files = tuple(Path(f).relative_to(Path(cand.rel)).as_posix() for f in cand.files)
            main = next((f for f in files if f.startswith("saved_model.")), files[0])
        else:
            base = cand.location.parent
            rel_dir = Path(cand.rel).parent
            files = tuple(Path(f).relative_to(rel_dir).as_posix() for f in cand.files)
            main = cand.location.name if cand.location.name in files else files[0]
        if not files or sum((base / f).stat().st_size for f in files) > MAX_SEED_BYTES:
            continue
        seeds.append(Seed(cand.reader, base, files, main))
    return seeds


def built_seeds(folder: Path) -> list[Seed]:
    """TF.js and TFLite seeds, written by the test suite's writers (the corpus has none)."""
    from tests.test_tfjs import write_layers_model
    from tests.test_tflite import sample_model

    out = []
    write_layers_model(folder / "tfjs_layers")
    out.append(
        Seed("tfjs", folder / "tfjs_layers", ("group1-shard1of1.bin", "model.json"), "model.json")
    )
    graph = folder / "tfjs_graph"
    graph.mkdir()
    (graph / "model.json").write_text(
        json.dumps(
            {
                "format": "graph-model",
                "generatedBy": "2.3.1",
                "convertedBy": "TensorFlow.js Converter v2.7.0",
                "modelTopology": {
                    "node": [
                        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
                        {"name": "w", "op": "Const", "attr": {}},
                        {"name": "y", "op": "MatMul", "input": ["x", "w"]},
                    ],
                    "library": {},
                    "versions": {"producer": 440},
                },
                "weightsManifest": [
                    {
                        "paths": ["group1-shard1of1.bin"],
                        "weights": [{"name": "w", "shape": [2, 2], "dtype": "float32"}],
                    }
                ],
            }
        )
    )
    (graph / "group1-shard1of1.bin").write_bytes(bytes(16))
    out.append(Seed("tfjs", graph, ("group1-shard1of1.bin", "model.json"), "model.json"))
    lite = folder / "tflite"
    lite.mkdir()
    (lite / "model.tflite").write_bytes(sample_model())
    out.append(Seed("tflite", lite, ("model.tflite",), "model.tflite"))
    out.extend(_archive_and_hub_seeds(folder))
    return out


def _archive_and_hub_seeds(folder: Path) -> list[Seed]:
    """A SageMaker-style `model.tar.gz` and a plain `.tar` of the corpus's smallest SavedModel
    (byte mutations of the plain tar reach headers and member bytes; of the gzip, the stream),
    and a TF1 Hub module from the test writers (`tfhub_module.pb` mutated like any proto)."""
    import tarfile

    from tests.cases._writers import PREDICT, meta_graph, saved_model, signature, tfhub_module_def

    out = []
    source = next(
        (
            c.location
            for c in discover(REPO / "corpus" / "generated").candidates
            if c.reader == "savedmodel" and c.location.is_dir()
        ),
        None,
    )
    if source is not None:
        for name, mode in (("model.tar.gz", "w:gz"), ("model.tar", "w")):
            packed = folder / name.replace(".", "_")
            packed.mkdir()
            with tarfile.open(packed / name, mode) as tar:
                tar.add(source, arcname="1")
            out.append(Seed("archive", packed, (name,), name))
    default = {"default": signature(PREDICT, {"default": "x:0"}, {"default": "y:0"})}
    hub = saved_model(
        folder / "tfhub_module",
        meta_graph(tags=(), signatures=default),
        meta_graph(tags=("train",), signatures=default),
    )
    tfhub_module_def(hub)
    files = tuple(sorted(p.relative_to(hub).as_posix() for p in hub.rglob("*") if p.is_file()))
    out.append(Seed("tfhub", hub, files, "tfhub_module.pb"))
    return out


# --- mutators -----------------------------------------------------------------------------------

INTERESTING = (0, 1, 0x7F, 0x80, 0xFF)
JSON_VALUES: tuple[object, ...] = (
    None,
    True,
    0,
    -1,
    2**64,
    1e308,
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "../../etc/passwd",
    [],
    {},
    [1, "x", None],
    {"class_name": {"x": 1}},
    {"class_name": ["Dense"]},
    "Lambda",
)


def bitflip(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


def byteset(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(buf))
        width = rng.choice((1, 2, 4, 8))
        buf[i : i + width] = bytes([rng.choice(INTERESTING)]) * width
    return bytes(buf[: len(data)])


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def chunk(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 256))
    return data[:i] + data[j:] if rng.random() < 0.5 else data[:j] + data[i:j] + data[j:]


def _mutate_json_value(value: object, rng: random.Random, depth: int = 0) -> object:
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        if rng.random() < 0.1:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _mutate_json_value(value[key], rng, depth + 1)}
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        if rng.random() < 0.1:
            return value[:i] + value[i + 1 :]
        return value[:i] + [_mutate_json_value(value[i], rng, depth + 1)] + value[i + 1 :]
    roll = rng.random()
    if roll < 0.05:
        return f"__DEEP_{rng.choice((100, 1000, 5000, 50000))}__"  # expanded by _dumps
    return rng.choice(JSON_VALUES)


def _dumps(value: object) -> bytes:
    """JSON text, with each `__DEEP_N__` marker expanded to N nested lists (too deep for json)."""
    text = json.dumps(value)
    text = re.sub(r'"__DEEP_(\d+)__"', lambda m: "[" * int(m[1]) + "1" + "]" * int(m[1]), text)
    return text.encode("utf-8", "surrogatepass")


def json_field(data: bytes, rng: random.Random) -> bytes | None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return _dumps(_mutate_json_value(value, rng))


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("bad varint")
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return value, i
        shift += 7


def _enc(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        out.append(b | (0x80 if value else 0))
        if not value:
            return bytes(out)


def proto_field(data: bytes, rng: random.Random) -> bytes | None:
    """Walk top-level protobuf fields; mutate one (value, length, wire type, duplicate, inner)."""
    fields: list[tuple[int, int, int, int, int]] = []  # (start, key_end, value_start, end, wire)
    i = 0
    try:
        while i < len(data):
            start = i
            key, i = _varint(data, i)
            wire = key & 7
            key_end = i
            if wire == 0:
                _, i = _varint(data, i)
            elif wire == 2:
                n, i = _varint(data, i)
                i += n
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            else:
                raise ValueError("wire")
            if i > len(data):
                raise ValueError("length")
            fields.append((start, key_end, key_end, i, wire))
    except ValueError:
        if not fields:
            return None
    start, key_end, _, end, wire = rng.choice(fields)
    head, body, tail = data[:start], data[start:end], data[end:]
    roll = rng.random()
    if roll < 0.2:
        return head + body + body + tail
    if roll < 0.35:
        key, _ = _varint(data, start)
        return head + _enc((key & ~7) | rng.choice((0, 1, 2, 5, 3))) + data[key_end:end] + tail
    if wire == 2:
        n, value_start = _varint(data, key_end)
        inner = data[value_start:end]
        if roll < 0.55 or not inner:
            n = rng.choice((0, n + 1, n * 2 + 7, 2**31, 2**63))
            return head + data[start:key_end] + _enc(n) + inner + tail
        inner = (proto_field(inner, rng) if rng.random() < 0.5 else None) or bitflip(inner, rng)
        return head + data[start:key_end] + _enc(len(inner)) + inner + tail
    if wire == 0:
        value = rng.choice((0, 1, 2**31 - 1, 2**32, 2**63, 2**64 - 1))
        return head + data[start:key_end] + _enc(value) + tail
    return head + bitflip(body, rng) + tail


def zip_member(data: bytes, rng: random.Random) -> bytes | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    except Exception:
        return None
    if not members:
        return None
    i = rng.randrange(len(members))
    name, body = members[i]
    roll = rng.random()
    if roll < 0.1:
        members.append((name, body))
    elif roll < 0.2:
        members[i] = (rng.choice(("../" + name, "/" + name, name + "/", "a/../../" + name)), body)
    elif roll < 0.3:
        del members[i]
    elif body:
        mutated = json_field(body, rng) if name.endswith(".json") else None
        members[i] = (name, mutated if mutated is not None else mutate_bytes(body, rng)[1])
    out = io.BytesIO()
    with zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
    ) as zf:
        for name, body in members:
            zf.writestr(name, body)
    return out.getvalue()


def hdf5_config(path: Path, rng: random.Random) -> str | None:
    """Rewrite the `model_config` (or `layer_names`) attribute of a pristine HDF5 copy in place."""
    import h5py
    import numpy as np

    try:
        with h5py.File(path, "r+") as f:
            if "model_config" in f.attrs:
                raw = f.attrs["model_config"]
                text = raw.decode() if isinstance(raw, bytes) else str(raw)
                value = _mutate_json_value(json.loads(text), rng)
                blob = _dumps(value)
                f.attrs["model_config"] = np.bytes_(blob)
                return "hdf5-model-config"
            target = f if "layer_names" in f.attrs else None
            if target is None:
                return None
            names = list(target.attrs["layer_names"])
            if names and rng.random() < 0.5:
                names[rng.randrange(len(names))] = rng.choice((b"", b"a\x00b", b"../x", b"/"))
            else:
                names.append(b"missing_layer")
            target.attrs["layer_names"] = np.array(names, dtype="S")
            return "hdf5-layer-names"
    except Exception:
        return None


BYTE_MUTATORS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    bitflip,
    byteset,
    truncate,
    chunk,
)


def mutate_bytes(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    if not data:
        return "empty", b"\x00" * rng.randint(0, 64)
    mutator = rng.choice(BYTE_MUTATORS)
    return mutator.__name__, mutator(data, rng)


def make_input(seed: Seed, dest: Path, rng: random.Random, cache: dict[Path, bytes]) -> str:
    """Lay out one mutated copy of `seed` in `dest`; return the mutator's name."""
    target = seed.main if rng.random() < 0.7 else rng.choice(seed.files)
    for rel in seed.files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel != target:
            try:
                os.link(seed.base / rel, dest / rel)
            except OSError:
                shutil.copyfile(seed.base / rel, dest / rel)
    source = seed.base / target
    data = cache.get(source)
    if data is None:
        data = cache[source] = source.read_bytes()
    out = dest / target
    roll = rng.random()
    name, mutated = "", None
    if data[:4] == b"\x89HDF" and roll < 0.15:
        out.write_bytes(data)
        name = hdf5_config(out, rng) or ""
        if name:
            return name
    elif data[:2] == b"PK" and roll < 0.4:
        mutated, name = zip_member(data, rng), "zip-member"
    elif target.endswith((".json", ".yaml", ".yml")) and roll < 0.5:
        mutated, name = json_field(data, rng), "json-field"
    elif target.endswith(".pb") and roll < 0.4:
        mutated, name = proto_field(data, rng), "proto-field"
    if mutated is None:
        name, mutated = mutate_bytes(data, rng)
    out.write_bytes(mutated)
    return name


# --- the run ------------------------------------------------------------------------------------


def _model_named(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return _looks_like_model(name) or name in ("model.json", "saved_model.pb", "saved_model.pbtxt")


def run_batch(
    folder: Path, made: dict[str, str], tally: Tally, jobs: int, timeout: float, keep: Path | None
) -> None:
    judges = [loadability.judge, check_artifact]
    try:
        report = audit([folder], judges=judges, jobs=jobs, timeout=timeout)
    except Exception as exc:  # the one thing that must never happen
        tally.uncaught += 1
        tally.examples.append(f"uncaught {type(exc).__name__}: {exc} in batch {folder}")
        _keep(keep, folder, f"uncaught-{tally.batches}", f"{type(exc).__name__}: {exc}")
        return
    lined: set[str] = set()
    lines = [(a.path, e) for a in report.artifacts for e in a.errors]
    lines += [(e.split(":", 1)[0], e) for e in (*report.errors, *report.skipped)]
    for artifact in report.artifacts:
        lined.update(artifact.files)
        lined.add(artifact.path)
    for path, _ in lines:
        lined.add(path.rstrip("/"))
    tally.artifact_errors += sum(1 for a in report.artifacts if a.errors)
    for path, line in lines:
        if "internal error" in line:
            tally.internal_errors += 1
            case = path.split("/", 1)[0]
            tally.examples.append(f"internal: {made.get(case, '?')} {path}: {line[:300]}")
            _keep(keep, folder / case, f"internal-{case}-{tally.batches}", line)
    for case in made:
        for dirpath, _, filenames in os.walk(folder / case):
            for fname in filenames:
                rel = (Path(dirpath) / fname).relative_to(folder).as_posix()
                if _model_named(rel) and not _covered(rel, lined):
                    tally.unlined += 1
                    tally.examples.append(f"unlined: {made[case]} {rel}")
                    _keep(keep, folder / case, f"unlined-{case}-{tally.batches}", rel)


def _covered(rel: str, lined: set[str]) -> bool:
    parts = rel.split("/")
    return any("/".join(parts[:n]) in lined for n in range(len(parts), 0, -1))


def _keep(keep: Path | None, source: Path, name: str, why: str) -> None:
    if keep is None:
        return
    dest = keep / name
    if dest.exists():
        return
    try:
        shutil.copytree(source, dest) if source.is_dir() else None
        (keep / f"{name}.txt").write_text(why + "\n", encoding="utf-8", errors="replace")
    except OSError:
        pass


def fuzz(
    inputs: int,
    seed: int,
    batch: int,
    jobs: int,
    timeout: float,
    keep: Path | None,
    work: Path,
    progress: bool,
    checkpoint: Path | None = None,
    seconds: float = 0.0,
) -> Tally:
    rng = random.Random(seed)
    by_reader: dict[str, list[Seed]] = {}
    for one in corpus_seeds(REPO / "corpus") + built_seeds(work / "seeds"):
        by_reader.setdefault(one.reader, []).append(one)
    readers = sorted(by_reader)  # each format gets the same share of inputs, however many seeds
    tally = Tally()
    cache: dict[Path, bytes] = {}
    started = time.monotonic()
    while tally.inputs < inputs and not (seconds and time.monotonic() - started > seconds):
        folder = work / f"batch{tally.batches}"
        folder.mkdir()
        made: dict[str, str] = {}
        for _ in range(min(batch, inputs - tally.inputs)):
            chosen = rng.choice(by_reader[rng.choice(readers)])
            case = f"{tally.inputs:07d}"
            dest = folder / case
            dest.mkdir()
            mutator = make_input(chosen, dest, rng, cache)
            made[case] = f"[{chosen.reader}:{mutator}]"
            tally.by_reader[chosen.reader] += 1
            tally.by_mutator[mutator] += 1
            tally.inputs += 1
        # A batch is `batch` artifacts on `jobs` workers; past this budget the main process hung.
        budget = 120 + batch * timeout / max(1, jobs)
        faulthandler.dump_traceback_later(budget, exit=True)
        run_batch(folder, made, tally, jobs, timeout, keep)
        faulthandler.cancel_dump_traceback_later()
        tally.batches += 1
        shutil.rmtree(folder, ignore_errors=True)
        if checkpoint is not None and tally.batches % 10 == 0:
            partial_figures = summary(tally, time.monotonic() - started)
            checkpoint.write_text(json.dumps({**partial_figures, "complete": False}, indent=2))
        if progress and tally.batches % 20 == 0:
            rate = tally.inputs / (time.monotonic() - started)
            print(
                f"  {tally.inputs:,} inputs, {rate:.0f}/s, uncaught {tally.uncaught}, "
                f"internal {tally.internal_errors}, unlined {tally.unlined}",
                flush=True,
            )
    return tally


def summary(tally: Tally, seconds: float) -> dict[str, object]:
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    main_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "inputs": tally.inputs,
        "uncaught": tally.uncaught,
        "internal_errors": tally.internal_errors,
        "model_named_files_without_a_line": tally.unlined,
        "main_process_hangs": tally.hangs,
        "artifacts_with_error_lines": tally.artifact_errors,
        "worker_peak_rss_mb": round(kb / 1024, 1),
        "main_peak_rss_mb": round(main_kb / 1024, 1),
        "seconds": round(seconds, 1),
        "inputs_per_second": round(tally.inputs / seconds, 1) if seconds else 0,
        "by_reader": dict(sorted(tally.by_reader.items())),
        "by_mutator": dict(sorted(tally.by_mutator.items())),
        "examples": tally.examples[:40],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--inputs", type=int, default=300_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=400, help="inputs per audit() call")
    p.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    p.add_argument("--timeout", type=float, default=8.0, help="per-artifact deadline (s)")
    p.add_argument("--keep", type=Path, help="copy inputs that found something here")
    p.add_argument("--json", type=Path, help="write the summary as JSON here too")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0: never)")
    args = p.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")  # zipfile's "Duplicate name" is the mutation, not news
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="migrator-fuzz-") as tmp:
        tally = fuzz(
            args.inputs,
            args.seed,
            args.batch,
            args.jobs,
            args.timeout,
            args.keep,
            Path(tmp),
            not args.quiet,
            args.json,
            args.seconds,
        )
    result = {**summary(tally, time.monotonic() - started), "complete": True}
    text = json.dumps(result, indent=2, ensure_ascii=True)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    bad = tally.uncaught + tally.internal_errors + tally.unlined + tally.hangs
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
